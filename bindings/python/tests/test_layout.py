"""The shape of the binding itself: the native modules import each other without cycles, and
the exception tree is a Python file, not Python source kept inside Rust."""

from __future__ import annotations

import re

from fixtures import REPO

import oneinbox_webhooks as ow
from oneinbox_webhooks import _errors

SRC = REPO / "bindings" / "python" / "src"


def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.glob("*.rs")):
        text = path.read_text(encoding="utf-8")
        graph[path.stem] = set(re.findall(r"\bcrate::([a-z_]+)", text)) - {path.stem}
    return graph


def test_native_modules_import_without_cycles() -> None:
    graph = imports()
    assert {"errors", "args", "events", "auth", "management"} <= graph.keys()
    done: set[str] = set()

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, " -> ".join((*stack, node))
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            visit(dep, (*stack, node))
        done.add(node)

    for node in graph:
        visit(node, ())
    assert graph["errors"] <= {"strings"}, graph["errors"]


def test_the_exception_tree_is_the_python_module() -> None:
    for name in ("OneInboxError", "ValidationError", "UsageError", "ApiError"):
        assert getattr(ow, name) is getattr(_errors, name)
    assert issubclass(ow.ValidationError, ValueError)
    assert not any("class OneInboxError" in p.read_text() for p in SRC.glob("*.rs"))
