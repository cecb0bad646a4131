"""The shape of the binding itself: the native modules import each other without cycles, and
the exception tree is a Python file, not Python source kept inside Rust."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


PACKAGE = REPO / "bindings" / "python" / "python" / "oneinbox_webhooks"
# A framework's own private names that an adapter must set, with the reason.
FRAMEWORK_PRIVATE = {
    # Django's flag that keeps `django.request` from logging the answer (with the URL token).
    ("django.py", "_has_been_logged"),
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined(tree: ast.Module) -> set[str]:
    """Every name a module defines: functions, classes, assignments, attributes set on any
    object (``self._x = ...``), parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def private_uses(path: Path) -> list[str]:
    """Where ``path`` uses a private name (``_x``) of another module: imports one, reads one
    off another module or object, or sets one on an object it does not own."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _defined(tree)
    modules = {p.stem for p in path.parent.glob("*.py")} | {"_native"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name) and alias.name not in modules:
                    found.append(f"{path.name}:{node.lineno}: imports {alias.name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"{path.name}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and (path.name, node.attr) not in FRAMEWORK_PRIVATE
        ):
            mine = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not mine and isinstance(node.ctx, ast.Store):
                found.append(f"{path.name}:{node.lineno}: sets .{node.attr} on another object")
            elif not mine and node.attr not in own:
                found.append(f"{path.name}:{node.lineno}: uses .{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    paths = sorted(PACKAGE.glob("*.py"))
    assert len(paths) >= 10
    found = [use for path in paths for use in private_uses(path)]
    assert found == []


def test_the_private_name_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .client import _import_httpx\n"
        "from . import _native\n"
        "def f(store, client):\n"
        "    client._owns_http = False\n"
        "    return store._is_async or getattr(store, '_is_async')\n",
        encoding="utf-8",
    )
    assert private_uses(sample) == [
        "sample.py:1: imports _import_httpx",
        "sample.py:4: sets ._owns_http on another object",
        "sample.py:5: uses ._is_async",
        "sample.py:5: getattr(..., '_is_async')",
    ]
