"""An event object from `parse_event` keeps its validated body (the fast road of `dedupe_key` and
`CallRecord.apply`, src/events.rs `Core`). For every shared fixture event, in each mode that
accepts it, the fast road gives exactly what the wire road gives: the key and record of the
event `to_dict()` writes, parsed again leniently with no limits (the road an event without a
body takes). Unknown members (`extra`) and unknown events are among the fixtures."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from fixtures import REPO, body_bytes, fixture_paths, load, options

import oneinbox_webhooks as ow
from oneinbox_webhooks import CallRecord, dedupe_key, parse_event
from oneinbox_webhooks._native import MAX_DEPTH_CEILING
from oneinbox_webhooks.stores import Recorded

CALLS = REPO / "tests" / "fixtures" / "calls"
EVENT_PATHS = fixture_paths()
CALL_PATHS = sorted(p for p in CALLS.glob("*.json") if not p.name.endswith(".schema.json"))


def by_the_wire(event: ow.Event) -> ow.Event:
    """The event `to_dict()` writes, parsed again as the wire road does."""
    data = json.dumps(event.to_dict(), ensure_ascii=False).encode()
    return parse_event(data, max_body_bytes=len(data), max_depth=MAX_DEPTH_CEILING)


def record_of(event: ow.Event) -> str:
    record = CallRecord(event.call_id)
    record.apply(event)
    return record.to_json()


def check_same(body: bytes, **opts: object) -> bool:
    try:
        event = parse_event(body, **opts)  # type: ignore[arg-type]
    except ow.ValidationError:
        return False
    wired = by_the_wire(event)
    # apply first (it makes the kept key), then dedupe_key reuses it; and the other way round.
    assert record_of(event) == record_of(wired)
    assert dedupe_key(event) == dedupe_key(wired) == dedupe_key(event)
    fresh = parse_event(body, **opts)  # type: ignore[arg-type]
    assert dedupe_key(fresh) == dedupe_key(event)
    assert record_of(fresh) == record_of(wired)
    # Every kind of body the event can come from keeps the same key.
    for other in (bytearray(body), memoryview(body)):
        assert dedupe_key(parse_event(other, **opts)) == dedupe_key(event)  # type: ignore[arg-type]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    assert dedupe_key(parse_event(text, **opts)) == dedupe_key(event)  # type: ignore[arg-type]
    return True


@pytest.mark.parametrize("path", EVENT_PATHS, ids=[p.stem for p in EVENT_PATHS])
def test_event_fixture_fast_road_is_the_wire_road(path: Path) -> None:
    fixture = load(path)
    body = body_bytes(fixture)
    accepted = [check_same(body, **options(fixture, strict)) for strict in (False, True)]
    if "lenient" in fixture and "variant" in fixture["lenient"]:
        assert accepted[0]


@pytest.mark.parametrize("path", CALL_PATHS, ids=[p.stem for p in CALL_PATHS])
def test_call_fixture_deliveries_fast_road_is_the_wire_road(path: Path) -> None:
    for delivery in load(path)["deliveries"]:
        if "fixture" in delivery:
            body = body_bytes(load(REPO / "tests" / "fixtures" / delivery["fixture"]))
        else:
            body = body_bytes(delivery)
        assert check_same(body)


def test_the_fixtures_hold_unknown_members_and_unknown_events() -> None:
    events = []
    for path in EVENT_PATHS:
        with contextlib.suppress(ow.ValidationError):
            events.append(parse_event(body_bytes(load(path))))
    assert any(isinstance(e, ow.UnknownEvent) for e in events)
    assert any(not isinstance(e, ow.UnknownEvent) and e.extra for e in events)


def test_a_receiver_event_keeps_its_body_too() -> None:
    body = body_bytes(load(REPO / "tests/fixtures/events/guide-call-ended.json"))
    event = ow.Receiver(allow_unauthenticated=True).receive(bytearray(body))
    assert dedupe_key(event) == dedupe_key(by_the_wire(event))


def test_the_stores_read_the_ceiling_from_the_core() -> None:
    from oneinbox_webhooks import stores

    assert MAX_DEPTH_CEILING == 126
    assert not hasattr(stores, "_MAX_DEPTH_CEILING")


def test_copy_is_an_equal_record_of_its_own() -> None:
    import copy

    record = CallRecord("call_abc123")
    record.apply(
        parse_event(body_bytes(load(REPO / "tests/fixtures/events/guide-call-ended.json")))
    )
    for twin in (record.copy(), copy.copy(record)):
        assert twin == record and twin is not record
        twin.apply(parse_event(b'{"event":"call.failed","call_id":"call_abc123"}'))
        assert twin != record and record.status == "completed"


def test_ledger_claims_each_delivery_once_and_hands_out_copies() -> None:
    started = body_bytes(load(REPO / "tests/fixtures/events/guide-call-started.json"))
    ended = body_bytes(load(REPO / "tests/fixtures/events/guide-call-ended.json"))
    ledger = ow.Ledger()
    assert len(ledger) == 0 and ledger.get("call_abc123") is None
    first = ledger.record(parse_event(started))
    assert first.new and first.record.status == "in_progress"
    assert not ledger.record(parse_event(started)).new
    recorded = ledger.record(parse_event(ended))
    record = recorded.record
    assert recorded.new and record.status == "completed"
    # The copy handed out before is the record as it was then.
    assert first.record.status == "in_progress" and first.record.events_seen == ["call.started"]
    expected = CallRecord("call_abc123")
    expected.apply(parse_event(started))
    expected.apply(parse_event(ended))
    assert record == expected == ledger.get("call_abc123")
    assert recorded == Recorded(True, expected) != Recorded(False, expected)
    record.apply(parse_event(b'{"event":"call.failed","call_id":"call_abc123"}'))
    assert ledger.get("call_abc123") == expected  # a copy
    got = ledger.get("call_abc123")
    assert got is not None
    got.apply(parse_event(b'{"event":"call.failed","call_id":"call_abc123"}'))
    assert ledger.get("call_abc123") == expected != got  # a copy too
    assert len(ledger) == 1 and repr(ledger) == "Ledger(calls=1)"
    with pytest.raises(TypeError):
        ledger.record(started)  # type: ignore[arg-type]
