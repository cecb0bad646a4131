"""Every shared inbox fixture (tests/fixtures/inbox, format in tests/fixtures/README.md) as its own
case: ``InboxPolicy``'s steps, the core's state machine that every store asks."""

from __future__ import annotations

import json
import math
import typing
from pathlib import Path
from typing import Any, Optional

import pytest
from fixtures import REPO
from jsonschema import Draft202012Validator

from oneinbox_webhooks import UsageError
from oneinbox_webhooks.inbox import InboxPolicy, InboxRow, InboxStep, Verdict

INBOX = REPO / "tests" / "fixtures" / "inbox"
PATHS = sorted(p for p in INBOX.glob("*.json") if not p.name.endswith(".schema.json"))
FORMAT = Draft202012Validator(json.loads((INBOX / "fixture.schema.json").read_text("utf-8")))
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def row_from(value: Optional[dict[str, Any]]) -> Optional[InboxRow]:
    if value is None:
        return None
    return InboxRow(
        value["state"], value["attempts"], value["due_at"], value["last_error"], value["updated_at"]
    )


def row_json(row: Optional[InboxRow]) -> Optional[dict[str, Any]]:
    if row is None:
        return None
    return {
        "state": row.state,
        "attempts": row.attempts,
        "due_at": row.due_at,
        "last_error": row.last_error,
        "updated_at": row.updated_at,
    }


def verdict_json(step: InboxStep) -> dict[str, Any]:
    verdict: dict[str, Any] = {"kind": step.verdict}
    if step.verdict == "run":
        verdict["attempt"] = step.attempt
    elif step.verdict == "busy":
        verdict["retry_after_ms"] = step.retry_after_ms
    elif step.verdict == "failed":
        verdict["due_at"] = step.due_at
    return verdict


def do(policy: InboxPolicy, row: Optional[InboxRow], inp: dict[str, Any], now: int) -> InboxStep:
    kind = inp["kind"]
    if kind == "arrive":
        return policy.arrive(row, now)
    if kind == "covered":
        return policy.arrive(row, now, True)
    if kind == "claim":
        return policy.claim(row, now)
    if kind == "replay":
        return policy.replay(row, now)
    if kind == "finish":
        return policy.finish(row, inp["attempt"], inp["error"], now)
    assert kind == "release", kind
    return policy.release(row, inp["attempt"], inp["reason"], now)


def test_every_fixture_is_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_inbox_fixture(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    FORMAT.validate(fixture)
    if "host_policy" in fixture:
        args = fixture["host_policy"]
        lease, attempts = (SPECIAL.get(v, v) for v in (args["lease"], args["max_attempts"]))
        # Python names the arguments `lease` and `max_attempts`: a fixture written with Node's
        # names checks the same rule, so compare the issues with the names swapped back.
        names = dict(zip(("lease", "max_attempts"), args["names"], strict=True))
        try:
            built = InboxPolicy(lease=lease, max_attempts=attempts)
        except UsageError as e:
            got: dict[str, Any] = {
                "issues": [{"code": i.code, "path": i.path, "message": i.message} for i in e.issues]
            }
            for issue in got["issues"]:
                for py_name, name in names.items():
                    issue["path"] = issue["path"].replace(f"/{py_name}", f"/{name}")
                    issue["message"] = issue["message"].replace(f"`{py_name}`", f"`{name}`")
        else:
            got = {"lease_ms": built.lease_ms, "max_attempts": built.max_attempts}
        assert got == fixture["expect"]
        return
    policy_args = fixture.get("policy")
    policy = (
        InboxPolicy(lease=policy_args["lease_ms"] / 1000, max_attempts=policy_args["max_attempts"])
        if policy_args
        else InboxPolicy()
    )
    row = row_from(fixture["row"])
    for i, step in enumerate(fixture["steps"]):
        result = do(policy, row, step["input"], step["now"])
        if result.row is not None:
            row = result.row
        got = {
            "verdict": verdict_json(result),
            "write": result.row is not None,
            "row": row_json(row),
        }
        assert got == step["expect"], f"step {i}"


def test_arguments_have_python_types() -> None:
    with pytest.raises(TypeError):
        InboxPolicy(lease=True)
    with pytest.raises(TypeError):
        InboxPolicy(lease="60")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown inbox state"):
        InboxRow("Done", 1, None, None, 0)  # type: ignore[arg-type]


def test_the_verdict_type_names_every_verdict() -> None:
    schema = json.loads((INBOX / "fixture.schema.json").read_text("utf-8"))
    kinds = schema["properties"]["steps"]["items"]["properties"]["expect"]["properties"]
    assert set(typing.get_args(Verdict)) == set(kinds["verdict"]["properties"]["kind"]["enum"])


def test_repr_hides_the_error_text() -> None:
    row = InboxRow("failed", 1, 5, "password=hunter2", 1)
    assert "hunter2" not in repr(row) and "<16 chars>" in repr(row)
    assert repr(InboxPolicy()) == "InboxPolicy(lease_ms=60000, max_attempts=10)"
