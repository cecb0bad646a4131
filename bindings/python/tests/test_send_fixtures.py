"""Every shared fixture in tests/fixtures/send is its own case, checked as the Rust runner
(crates/oneinbox-webhooks/tests/send_fixtures.rs) checks it: the plan of the `send` command's
arguments (each delivery and its `--dry-run` line) or the usage error's issues. Then the command
itself: `send --dry-run` with the same arguments prints exactly the fixture's lines (or exits 2
naming every bad argument)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import UsageError, _native
from oneinbox_webhooks.cli import main

SEND = REPO / "tests" / "fixtures" / "send"
PATHS = sorted(p for p in SEND.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
FORMAT = Draft202012Validator(load(SEND / "fixture.schema.json"))


def test_all_send_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


def argv(args: dict[str, Any]) -> list[str]:
    """The command line of the fixture's arguments."""
    out = ["send", "--dry-run"]
    for name in ("call_id", "seed", "duplicates"):
        if name in args:
            out.append(f"--{name.replace('_', '-')}={args[name]}")  # as the Node runner does
    if args.get("shuffle"):
        out.append("--shuffle")
    return out + list(args.get("events", []))


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_send_fixture(path: Path) -> None:
    fixture = load(path)
    FORMAT.validate(fixture)
    args = fixture["args"]
    call = (
        list(args.get("events", [])),
        args.get("call_id"),
        args.get("seed"),
        args.get("duplicates"),
        args.get("shuffle", False),
        int(fixture.get("random_seed", "0")),
    )
    out, err = io.StringIO(), io.StringIO()
    if "deliveries" in fixture:
        got = [
            {"event": e, "call_id": c, "msg_id": m, "repeat": r, "line": line}
            for e, c, m, r, line in _native.plan_send(*call)
        ]
        assert got == fixture["deliveries"]
        if "seed" in args:  # the command draws its own seed otherwise
            assert main(argv(args), stdout=out, stderr=err) == 0, err.getvalue()
            assert out.getvalue() == "".join(d["line"] + "\n" for d in fixture["deliveries"])
    else:
        with pytest.raises(UsageError) as caught:
            _native.plan_send(*call)
        got_issues = [{"code": i.code, "path": i.path} for i in caught.value.issues]
        assert got_issues == fixture["issues"]
        assert main(argv(args), stdout=out, stderr=err) == 2
        assert out.getvalue() == ""
        for issue in fixture["issues"]:
            assert f"{issue['path']}: " in err.getvalue()
