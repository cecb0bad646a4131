"""Every shared reconcile fixture (tests/fixtures/reconcile, format in tests/fixtures/README.md)
as its own case: ``ReconcilePolicy`` (``overdue``, ``missing``), ``record_is_open``,
``synthesize``, ``CallRecord.apply_call`` and ``CallRecord.covers``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO

from oneinbox_webhooks import Call, CallRecord, UsageError, dedupe_key, parse_event
from oneinbox_webhooks.inbox import ReconcilePolicy, record_is_open, synthesize

RECONCILE = REPO / "tests" / "fixtures" / "reconcile"
PATHS = sorted(p for p in RECONCILE.glob("*.json") if not p.name.endswith(".schema.json"))


def issues(err: UsageError) -> list[dict[str, str]]:
    return [{"code": i.code, "path": i.path} for i in err.issues]


def test_every_fixture_is_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_reconcile_fixture(path: Path) -> None:
    f: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if "policy_issues" in f:
        with pytest.raises(UsageError) as raised:
            ReconcilePolicy(**f.get("policy", {}))
        assert issues(raised.value) == f["policy_issues"]
        return
    policy = ReconcilePolicy(**f.get("policy", {}))
    record = CallRecord(f["call_id"])
    for body in f["events"]:
        record.apply(parse_event(json.dumps(body)))
    assert record_is_open(record) is f["open"]
    overdue = policy.overdue(record, f["changed_at"], f["now"])
    got = (
        None
        if overdue is None
        else {"reason": overdue.reason, "missing": overdue.missing, "quiet_ms": overdue.quiet_ms}
    )
    assert got == f["overdue"]
    if "call" not in f:
        return
    call = Call.from_json(json.dumps(f["call"]))
    if "synthesize_issues" in f:
        with pytest.raises(UsageError) as raised:
            synthesize(record, call)
        assert issues(raised.value) == f["synthesize_issues"]
        return
    synthesized = synthesize(record, call)
    events = []
    for _name, key, body in synthesized:
        event = parse_event(body)
        assert dedupe_key(event) == key
        events.append(event)
    assert [
        {"event": name, "key": key, "body": json.loads(body)} for name, key, body in synthesized
    ] == f["synthesized"]
    record.apply_call(call)
    for event in events:
        record.apply(event)
    after = {
        "status": record.status,
        "snapshot_status": record.snapshot_status,
        "reconciled": record.reconciled,
        "missing": policy.missing(record),
        "settled": policy.settled(record, f["changed_at"], f["now"]),
        "open": record_is_open(record),
        "outcome": record.outcome,
    }
    assert after == f["after"]
    assert CallRecord.from_json(record.to_json()) == record
    for late in f.get("late", []):
        event = parse_event(json.dumps(late["body"]))
        assert record.covers(event.event, dedupe_key(event)) is late["covered"], late
