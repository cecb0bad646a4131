"""Every shared fixture in tests/fixtures/calls is its own case, checked as the Rust runner
(crates/oneinbox-webhooks/tests/call_fixtures.rs) checks it: each delivery's dedupe key byte for
byte, what apply() reports in the listed order, the final record (member order included) and
schemas/call-record.schema.json over it, and that every order, repetition and merge split of
the deliveries gives the same record. Then the Python API itself: types, errors, attributes."""

from __future__ import annotations

import itertools
import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO, body_bytes, load
from jsonschema import Draft202012Validator

import oneinbox_webhooks as ow

CALLS = REPO / "tests" / "fixtures" / "calls"
PATHS = sorted(p for p in CALLS.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
ALL_ORDERS_UP_TO = 6
SHUFFLES = 300

FORMAT = Draft202012Validator(load(CALLS / "fixture.schema.json"))
RECORD_SCHEMA = Draft202012Validator(
    load(REPO / "schemas" / "call-record.schema.json"),
    format_checker=Draft202012Validator.FORMAT_CHECKER,
)


def test_all_call_fixtures_are_collected() -> None:
    assert len(PATHS) >= 16


def delivery_bytes(delivery: dict[str, Any]) -> bytes:
    if "fixture" in delivery:
        return body_bytes(load(REPO / "tests" / "fixtures" / delivery["fixture"]))
    return body_bytes(delivery)


def fold(call_id: str, events: Any) -> ow.CallRecord:
    record = ow.CallRecord(call_id)
    for e in events:
        record.apply(e)
    return record


def merged(a: ow.CallRecord, b: ow.CallRecord) -> ow.CallRecord:
    out = ow.CallRecord.from_json(a.to_json())
    out.merge(b)
    return out


def orders(n: int) -> list[tuple[int, ...]]:
    if n <= ALL_ORDERS_UP_TO:
        return list(itertools.permutations(range(n)))
    rng = random.Random(15)
    out = [tuple(reversed(range(n)))]
    for _ in range(SHUFFLES):
        order = list(range(n))
        rng.shuffle(order)
        out.append(tuple(order))
    return out


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_call_fixture(path: Path) -> None:
    fixture = load(path)
    assert not list(FORMAT.iter_errors(fixture))
    call_id = fixture["call_id"]
    events = [ow.parse_event(delivery_bytes(d)) for d in fixture["deliveries"]]
    assert len(fixture["applied"]) == len(events)

    record = ow.CallRecord(call_id)
    for i, (event, expected) in enumerate(zip(events, fixture["applied"], strict=True)):
        assert ow.dedupe_key(event) == expected["key"], f"delivery {i}"
        applied = record.apply(event)
        assert applied.changed == expected["changed"], f"delivery {i}: {applied!r}"
        assert (applied.ignored is not None) == expected["ignored"], f"delivery {i}: {applied!r}"

    got = json.loads(record.to_json())
    assert got == fixture["record"]
    assert list(got) == list(fixture["record"])
    assert record.to_dict() == fixture["record"]
    assert not list(RECORD_SCHEMA.iter_errors(got))
    assert ow.CallRecord.from_json(record.to_json()) == record
    assert ow.CallRecord.from_json(record.to_json().encode()) == record

    for order in orders(len(events)):
        assert fold(call_id, (events[i] for i in order)) == record, f"order {order}"
    assert fold(call_id, events + events[::-1]) == record

    n = len(events)
    for k in range(n + 1):
        a, b = fold(call_id, events[:k]), fold(call_id, events[k:])
        assert merged(a, b) == record, f"split at {k}"
        assert merged(b, a) == record, f"split at {k}, merged the other way"
        for j in range(k, n + 1):
            x, y, z = (
                fold(call_id, events[:k]),
                fold(call_id, events[k:j]),
                fold(call_id, events[j:]),
            )
            assert merged(merged(x, y), z) == merged(x, merged(y, z)) == record


GUIDE = REPO / "tests" / "fixtures" / "events"


def guide(name: str) -> ow.Event:
    return ow.parse_event(body_bytes(load(GUIDE / f"guide-{name}.json")))


def test_attributes_have_the_wire_names_and_types() -> None:
    record = ow.CallRecord("call_abc123")
    assert record.status == "unknown" and record.events_seen == []
    for name in [
        "call-started",
        "call-ended",
        "transcript-final",
        "call-analyzed",
        "call-recording-available",
    ]:
        record.apply(guide(name))
    assert record.call_id == "call_abc123"
    assert record.status == "completed"
    assert record.agent_id == "agt_abc123"
    assert record.to_number == "+919876543210"
    assert record.from_number == "+15739693824"
    assert record.started_at == "2026-06-01T10:00:00Z"
    assert record.duration_seconds == 87 and type(record.duration_seconds) is int
    assert record.outcome == "Appointment Booked"
    assert record.ai_summary == "Caller agreed to a product demo on Thursday at 3pm."
    assert isinstance(record.analysis, ow.Analysis)
    assert record.analysis.summary == record.ai_summary
    assert record.failure_reason is None
    assert record.recording_url == "https://storage.oneinbox.ai/recordings/call_abc123.mp3"
    assert record.transcript is not None and len(record.transcript) == 3
    assert all(isinstance(m, ow.Message) for m in record.transcript)
    assert record.transcript[0].role == "agent"
    assert record.transcript_final is True
    assert (
        record.events_seen
        == sorted(record.events_seen)
        == [
            "call.analyzed",
            "call.ended",
            "call.recording.available",
            "call.started",
            "transcript.final",
        ]
    )
    # Changing what an attribute returned never changes the record.
    record.events_seen.append("x")
    record.transcript.clear()
    record.to_dict()["sources"].clear()
    assert len(record.events_seen) == 5 and len(record.transcript) == 3
    assert set(record.to_dict()["sources"]) == {
        "agent_id",
        "to_number",
        "from_number",
        "started_at",
        "duration_seconds",
        "outcome",
        "ai_summary",
        "analysis",
        "recording_url",
        "transcript",
    }
    assert repr(record) == (
        "CallRecord(call_id='call_abc123', status='completed', events_seen=['call.analyzed', "
        "'call.ended', 'call.recording.available', 'call.started', 'transcript.final'])"
    )
    with pytest.raises(AttributeError):
        record.status = "failed"  # type: ignore[misc]


def test_applied() -> None:
    record = ow.CallRecord("call_abc123")
    first = record.apply(guide("call-failed"))
    assert (first.changed, first.ignored) == (True, None)
    again = record.apply(guide("call-failed"))
    assert (again.changed, again.ignored) == (False, None)
    assert repr(again) == "Applied(changed=False, ignored=None)"
    other = record.apply(ow.parse_event(b'{"event":"call.started","call_id":"call_other"}'))
    assert other.changed is False and other.ignored is not None and "call_other" in other.ignored
    assert repr(other).startswith("Applied(changed=False, ignored='the event is for call ")
    match other:
        case ow.Applied(changed=False, ignored=str(why)):
            assert "call_abc123" in why
        case _:
            pytest.fail("Applied does not match")
    assert again == record.apply(guide("call-failed")) and hash(again) == hash(
        record.apply(guide("call-failed"))
    )
    with pytest.raises(TypeError):
        ow.Applied()  # type: ignore[call-arg]


def test_dedupe_key_takes_every_event_class() -> None:
    unknown = ow.parse_event(b'{"event":"call.transferred","call_id":"c","to":{"b":1.0,"a":2}}')
    assert isinstance(unknown, ow.UnknownEvent)
    key = ow.dedupe_key(unknown)
    assert key.startswith("call.transferred:c:") and len(key) == len("call.transferred:c:") + 64
    same = ow.parse_event(b'{"to":{"a":2.0,"b":1},"call_id":"c","event":"call.transferred"}')
    assert ow.dedupe_key(same) == key
    for name in [
        "call-started",
        "call-ended",
        "call-analyzed",
        "call-failed",
        "call-recording-available",
        "transcript-partial",
        "transcript-final",
    ]:
        event = guide(name)
        assert ow.dedupe_key(event).startswith(f"{event.event}:call_abc123:")
    # null and absent are the same content; any other change is not.
    assert ow.dedupe_key(
        ow.parse_event(b'{"event":"call.ended","call_id":"c","outcome":null}')
    ) == ow.dedupe_key(ow.parse_event(b'{"event":"call.ended","call_id":"c"}'))
    assert ow.dedupe_key(
        ow.parse_event(b'{"event":"call.ended","call_id":"c","outcome":""}')
    ) != ow.dedupe_key(ow.parse_event(b'{"event":"call.ended","call_id":"c"}'))


@pytest.mark.parametrize(
    "bad", [b"{}", "{}", {"event": "call.ended", "call_id": "c"}, None, 3, ow.CallRecord("c")]
)
def test_only_events_are_accepted(bad: Any) -> None:
    with pytest.raises(TypeError, match="takes an event returned by parse_event"):
        ow.dedupe_key(bad)
    with pytest.raises(TypeError, match="takes an event returned by parse_event"):
        ow.CallRecord("c").apply(bad)


def test_merge() -> None:
    a, b = ow.CallRecord("call_abc123"), ow.CallRecord("call_abc123")
    a.apply(guide("call-ended"))
    b.apply(guide("call-analyzed"))
    assert a.merge(b) is True
    assert a.merge(b) is False
    assert a.merge(a) is False
    assert a.events_seen == ["call.analyzed", "call.ended"]
    with pytest.raises(ow.UsageError) as err:
        a.merge(ow.CallRecord("call_other"))
    assert [(i.code, i.path) for i in err.value.issues] == [("invalid_value", "/call_id")]
    with pytest.raises(TypeError):
        a.merge("call_abc123")  # type: ignore[arg-type]


def test_from_json_reports_every_issue() -> None:
    good = json.loads(
        fold(
            "c", [ow.parse_event(b'{"event":"call.failed","call_id":"c","reason":"busy"}')]
        ).to_json()
    )
    bad = dict(good, status="completed", failure_reason=7, extra=1)
    with pytest.raises(ow.ValidationError) as err:
        ow.CallRecord.from_json(json.dumps(bad))
    assert [(i.code, i.path) for i in err.value.issues] == [
        ("wrong_type", "/failure_reason"),
        ("unknown_field", "/extra"),
        ("invalid_value", "/status"),
    ]
    with pytest.raises(ow.ValidationError) as err:
        ow.CallRecord.from_json(b"[]")
    assert err.value.issues[0].code == "not_an_object"
    with pytest.raises(ow.ValidationError) as err:
        ow.CallRecord.from_json('{"call_id":"a","call_id":"b"}')
    assert err.value.issues[0].code == "duplicate_field"
    with pytest.raises(TypeError):
        ow.CallRecord.from_json(good)


def test_equality() -> None:
    a = fold("c", [ow.parse_event(b'{"event":"call.ended","call_id":"c","duration_seconds":87}')])
    b = fold("c", [ow.parse_event(b'{"event":"call.ended","call_id":"c","duration_seconds":87.0}')])
    assert a == b and not (a != b)
    assert a != ow.CallRecord("c") and a != "c"
    with pytest.raises(TypeError):
        hash(a)


def test_threads_share_one_record() -> None:
    events = [
        guide(n)
        for n in [
            "call-started",
            "call-ended",
            "transcript-final",
            "call-analyzed",
            "transcript-partial",
        ]
    ]
    expected = fold("call_abc123", events)
    shared = ow.CallRecord("call_abc123")

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(50):
            shared.apply(rng.choice(events))
            other = ow.CallRecord("call_abc123")
            other.apply(rng.choice(events))
            shared.merge(other)
            assert ow.CallRecord.from_json(shared.to_json()).call_id == "call_abc123"

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in events:
        shared.apply(e)
    assert shared == expected
