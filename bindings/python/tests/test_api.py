"""The Python surface: body types, options, errors, classes, threads."""

from __future__ import annotations

import json
import pickle
import threading
import typing

import pytest
from fixtures import REPO, body_bytes, fixture_paths, load, options
from jsonschema import Draft202012Validator

import oneinbox_webhooks as ow
from oneinbox_webhooks import (
    Analysis,
    CallEnded,
    Issue,
    Message,
    OneInboxError,
    TranscriptFinal,
    UnknownEvent,
    UsageError,
    ValidationError,
    parse_event,
)

GUIDE_ENDED = load(REPO / "tests/fixtures/events/guide-call-ended.json")
ENDED = body_bytes(GUIDE_ENDED)


def test_format_checker_checks_date_time() -> None:
    # Without rfc3339-validator python-jsonschema silently skips "date-time".
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers


def test_all_is_explicit_and_complete() -> None:
    assert sorted(ow.__all__) == sorted(set(ow.__all__))
    for name in ow.__all__:
        assert hasattr(ow, name), name
    assert set(typing.get_args(ow.Event)) == {
        ow.CallStarted,
        ow.CallEnded,
        ow.CallAnalyzed,
        ow.CallFailed,
        ow.CallRecordingAvailable,
        ow.TranscriptPartial,
        ow.TranscriptFinal,
        ow.UnknownEvent,
    }


@pytest.mark.parametrize(
    "body",
    [ENDED, bytearray(ENDED), memoryview(ENDED), ENDED.decode(), memoryview(b"xx" + ENDED)[2:]],
    ids=["bytes", "bytearray", "memoryview", "str", "memoryview-slice"],
)
def test_body_types(body: object) -> None:
    event = parse_event(body)  # type: ignore[arg-type]
    assert isinstance(event, CallEnded)
    assert event == parse_event(ENDED)


@pytest.mark.parametrize("body", [{}, {"event": "call.ended"}, [1]])
def test_parsed_json_is_a_type_error_naming_the_raw_body(body: object) -> None:
    with pytest.raises(TypeError, match="raw request body"):
        parse_event(body)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [None, 1, 1.5, object()])
def test_other_types_are_type_errors(body: object) -> None:
    with pytest.raises(TypeError, match="bytes, bytearray, memoryview or str"):
        parse_event(body)  # type: ignore[arg-type]


def test_lone_surrogate_in_str_is_invalid_json() -> None:
    body = '{"event":"call.failed","call_id":"c\ud800"}'
    with pytest.raises(ValidationError) as info:
        parse_event(body)
    assert [(i.code, i.path) for i in info.value.issues] == [("invalid_json", "")]


def test_negative_limits_are_usage_errors() -> None:
    with pytest.raises(UsageError) as info:
        parse_event(ENDED, max_body_bytes=-1, max_depth=-(10**40))
    err = info.value
    assert isinstance(err, OneInboxError) and isinstance(err, ValueError)
    assert [(i.code, i.path) for i in err.issues] == [
        ("invalid_value", "/max_body_bytes"),
        ("invalid_value", "/max_depth"),
    ]
    assert "/max_body_bytes" in str(err) and "/max_depth" in str(err)


def test_huge_limits_mean_no_limit() -> None:
    event = parse_event(ENDED, max_body_bytes=10**30, max_depth=2**64)
    assert isinstance(event, CallEnded)


def test_zero_limits() -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(ENDED, max_body_bytes=0)
    assert info.value.issues[0].code == "too_large"
    with pytest.raises(ValidationError) as info:
        parse_event(ENDED, max_depth=0)
    assert info.value.issues[0].code == "too_deep"


@pytest.mark.parametrize("value", ["10", 1.0, None, True])
def test_non_int_limits_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError):
        parse_event(ENDED, max_depth=value)  # type: ignore[arg-type]


def test_limits_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        parse_event(ENDED, True)  # type: ignore[misc]


def test_event_attributes_and_match() -> None:
    event = parse_event(ENDED)
    assert isinstance(event, CallEnded)
    assert event.event == "call.ended" and CallEnded.event == "call.ended"
    assert event.call_id == "call_abc123"
    assert event.duration_seconds == 87
    assert isinstance(event.analysis, Analysis)
    assert event.analysis.summary and event.analysis.extra == {}
    assert event.extra == {}
    match event:
        case CallEnded(call_id=call_id, outcome=outcome):
            assert (call_id, outcome) == ("call_abc123", "Appointment Booked")
        case _:
            pytest.fail("no match")
    match event:
        case CallEnded(call_id, agent_id):
            assert agent_id == "agt_abc123"
        case _:
            pytest.fail("no positional match")


def test_classes_are_frozen_and_final() -> None:
    event = parse_event(ENDED)
    with pytest.raises(AttributeError):
        event.call_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):

        class Sub(CallEnded):  # type: ignore[misc]
            pass


def test_extra_keeps_unknown_members_in_order() -> None:
    body = (
        b'{"event":"call.failed","call_id":"c","zeta":1,"reason":"busy",'
        b'"alpha":{"x":[1,2.5,null,true,"s"]}}'
    )
    event = parse_event(body)
    assert event.extra == {"zeta": 1, "alpha": {"x": [1, 2.5, None, True, "s"]}}
    assert list(event.extra) == ["zeta", "alpha"]
    assert list(event.to_dict()) == ["event", "call_id", "reason", "zeta", "alpha"]
    assert "extra=" in repr(event)


def test_unknown_event_keeps_the_whole_payload() -> None:
    body = b'{"event":"call.transferred","call_id":"c","to":"+1555"}'
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert (event.event, event.call_id) == ("call.transferred", "c")
    assert event.to_dict() == json.loads(body)
    assert event == parse_event(body)
    match event:
        case UnknownEvent(name, call_id):
            assert (name, call_id) == ("call.transferred", "c")
    with pytest.raises(ValidationError) as info:
        parse_event(body, strict=True)
    assert info.value.issues[0].code == "unknown_event"


def test_transcript_messages() -> None:
    body = load(REPO / "tests/fixtures/events/guide-transcript-final.json")
    event = parse_event(body_bytes(body))
    assert isinstance(event, TranscriptFinal)
    assert all(isinstance(m, Message) for m in event.messages)
    assert event.messages[0].role in ("agent", "user")
    assert event.to_dict()["messages"][0] == event.messages[0].to_dict()


def test_equality() -> None:
    a, b = parse_event(ENDED), parse_event(ENDED)
    assert a == b and not (a != b)
    other = parse_event(ENDED.replace(b"call_abc123", b"call_other"))
    assert a != other
    assert a != "call.ended" and a != object()


def test_validation_error_lists_every_issue() -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(b'{"event":"call.ended","duration_seconds":"x","analysis":[]}')
    err = info.value
    assert isinstance(err, OneInboxError) and isinstance(err, ValueError)
    pairs = [(i.code, i.path) for i in err.issues]
    assert len(pairs) >= 2
    for issue in err.issues:
        assert isinstance(issue, Issue)
        assert issue.path in str(err) and issue.code in str(err)
    assert str(err).startswith("invalid payload (")


def test_issue_value_semantics() -> None:
    a = Issue("missing_field", "/call_id", "`call_id` is required")
    b = Issue("missing_field", "/call_id", "`call_id` is required")
    assert a == b and hash(a) == hash(b) and a != Issue("wrong_type", "", "")
    assert (
        repr(a) == "Issue(code='missing_field', path='/call_id', message='`call_id` is required')"
    )
    with pytest.raises(AttributeError):
        a.code = "x"  # type: ignore[misc]
    match a:
        case Issue(code, path):
            assert (code, path) == ("missing_field", "/call_id")


def test_errors_pickle() -> None:
    err = ValidationError("bad", [])
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ValidationError and str(again) == "bad" and again.issues == []


def test_api_error_shape() -> None:
    err = ow.ApiError(429, "slow down", {"retry_after": 2}, True)
    assert isinstance(err, OneInboxError) and not isinstance(err, ValueError)
    assert (err.status, err.message, err.details, err.retryable) == (
        429,
        "slow down",
        {"retry_after": 2},
        True,
    )
    assert "429" in str(err)


def test_no_panic_escapes_as_panic_exception() -> None:
    with pytest.raises(OneInboxError, match="internal error"):
        ow._native._panic_for_tests()  # type: ignore[attr-defined]


def test_repr_and_str_of_errors_are_bounded() -> None:
    huge = "A" * 100_000
    cases = [
        json.dumps({"event": "call.ended", "call_id": "c", "status": 1, "outcome": [huge]}),
        json.dumps({"event": huge, "call_id": "c"}),
        json.dumps({"event": "call.ended", "call_id": "c", huge: 1}),
        '{"event":"' + huge,
        huge,
    ]
    for body in cases:
        for strict in (False, True):
            try:
                parse_event(body, strict=strict)
            except ValidationError as err:
                for text in (str(err), repr(err), *map(repr, err.issues)):
                    assert "A" * 90 not in text, text[:300]
                    assert len(text) < 2000
    # an accepted event's repr is cut per attribute too
    event = parse_event(json.dumps({"event": "call.analyzed", "call_id": "c", "ai_summary": huge}))
    assert "A" * 90 not in repr(event)


def test_both_ways_of_building_give_equal_objects() -> None:
    # With `event` first the objects are made during the parse; with `event` last the core
    # parses in full first and the objects are made from its event. Same objects either way.
    members = {
        "call_id": "call_1",
        "agent_id": "agt_1",
        "status": "completed",
        "duration_seconds": 87.5,
        "analysis": {"summary": "s", "extracted_data": {"k": [1, None, True, {"x": "y"}]}, "z": 2},
        "custom": {"nested": [1, 2.5, "three"]},
    }
    first = parse_event(json.dumps({"event": "call.ended", **members}))
    last = parse_event(json.dumps({**members, "event": "call.ended"}))
    assert first == last
    assert first.to_dict() == last.to_dict() == {"event": "call.ended", **members}
    assert first.analysis == last.analysis and first.extra == last.extra == {
        "custom": members["custom"]
    }


def test_large_bodies_release_the_gil_and_threads_agree() -> None:
    # 8 threads parse every fixture (and a ~90 KB transcript, parsed with the GIL released)
    # at once; each sees the same verdicts as a sequential run.
    messages = [
        {"role": "agent" if i % 2 else "user", "content": f"turn {i} " * 20} for i in range(450)
    ]
    big = json.dumps({"event": "transcript.final", "call_id": "c", "messages": messages}).encode()
    assert len(big) > 64 * 1024  # above the threshold where the GIL is released
    assert parse_event(big).to_dict() == json.loads(big)
    cases = [
        (body_bytes(f), options(f, s))
        for p in fixture_paths()
        for f in [load(p)]
        for s in (False, True)
    ]
    cases.append((big, {"strict": True}))

    def run() -> list[object]:
        out: list[object] = []
        for body, opts in cases:
            try:
                out.append(parse_event(body, **opts).to_dict())
            except ValidationError as err:
                out.append([(i.code, i.path, i.message) for i in err.issues])
        return out

    expected = run()
    results: list[list[object]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def worker(k: int) -> None:
        barrier.wait()
        for _ in range(3):
            results[k] = run()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def _call_ended(call_id: str, agent_id: str, outcome: str) -> bytes:
    return json.dumps(
        {
            "event": "call.ended",
            "call_id": call_id,
            "agent_id": agent_id,
            "status": "completed",
            "outcome": outcome,
        }
    ).encode()


def test_values_that_repeat_between_events_share_one_str() -> None:
    # agent_id, status, outcome, roles and keys repeat from event to event: the binding keeps
    # one str for such a value once it has seen it twice (a small table), and hands it out
    # from then on.
    first, a, b = (parse_event(_call_ended(f"call_{i}", "agt_1", "Booked")) for i in range(3))
    assert first.agent_id == a.agent_id == b.agent_id == "agt_1" and a.agent_id is b.agent_id
    assert a.outcome is b.outcome and a.status is b.status
    assert type(a.agent_id) is str
    # Call ids are new in every event and are never kept.
    assert a.call_id is not parse_event(_call_ended(a.call_id, "agt_1", "Booked")).call_id
    messages = [{"role": "agent", "content": "Hi", "lang": "en"}]
    body = json.dumps({"event": "transcript.final", "call_id": "c", "messages": messages})
    _, t1, t2 = (parse_event(body) for _ in range(3))
    assert t1.messages[0].role is t2.messages[0].role
    assert next(iter(t1.messages[0].extra)) is next(iter(t2.messages[0].extra))
    # Values seen only once (thousands of callers' numbers) do not push out one that repeats.
    for i in range(5000):
        parse_event(_call_ended("c", f"agt_once_{i}", f"once {i}"))
    assert parse_event(_call_ended("call_9", "agt_1", "Booked")).agent_id is a.agent_id


def test_shared_strs_never_mix_up_values() -> None:
    # Far more distinct values than the table has slots, so slots are shared and replaced,
    # plus lengths around the 64-byte limit, non-ASCII text and an agent id equal to another
    # field's value: each event still gets exactly its own values, twice over.
    agents = [f"agt_{i}" for i in range(5000)]
    agents += ["a" * n for n in (1, 63, 64, 65, 200)] + ["agënt_ü_日本", "", "completed", "call_1"]
    for _ in range(2):
        for i, agent in enumerate(agents):
            outcome = f"outcome {i % 7}"
            event = parse_event(_call_ended("call_1", agent, outcome))
            assert (event.agent_id, event.outcome, event.status) == (agent, outcome, "completed")
    # Keys of unknown members too.
    for i in range(3000):
        extra = parse_event(json.dumps({"event": "call.started", "call_id": "c", f"k{i}": i})).extra
        assert extra == {f"k{i}": i}


_NESTED_PARSE = """
import gc, json
from oneinbox_webhooks import parse_event

def call_ended(agent_id):
    return json.dumps({"event": "call.ended", "call_id": "c", "agent_id": agent_id, "outcome": "o"})

inner = []

def on_gc(phase, info):
    if phase == "start":
        inner.append(parse_event(call_ended("agt_inner")).agent_id)

messages = [{"role": f"r{i % 5}", "content": "x", "n": [i]} for i in range(2000)]
body = json.dumps({"event": "transcript.final", "call_id": "c", "messages": messages})
gc.callbacks.append(on_gc)
gc.set_threshold(10)
event = parse_event(body)
gc.set_threshold(700)
gc.callbacks.remove(on_gc)
assert inner and set(inner) == {"agt_inner"}, inner
assert [m.role for m in event.messages] == [f"r{i % 5}" for i in range(2000)]
assert event.to_dict() == json.loads(body)
print("ok", len(inner))
"""


def test_a_parse_inside_a_parse_does_not_wait_for_the_shared_strs() -> None:
    # A garbage collection during a parse can run Python code, which may parse an event of its
    # own while the outer parse holds the table: it must neither block nor get wrong values.
    # In a child process, so that a deadlock fails the test instead of hanging the run.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _NESTED_PARSE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok "), done.stdout


def test_threads_parsing_different_agents_get_their_own_values() -> None:
    barrier = threading.Barrier(8)
    failures: list[tuple[int, int, object]] = []

    def worker(k: int) -> None:
        barrier.wait()
        for i in range(3000):
            agent = f"agt_{k}_{i % 300}"
            event = parse_event(_call_ended(f"call_{i}", agent, f"o{k}"))
            if (event.agent_id, event.outcome) != (agent, f"o{k}"):
                failures.append((k, i, event))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def _scribble(value: object) -> None:
    """Changes every dict and list inside `value`, in place."""
    if isinstance(value, dict):
        for v in list(value.values()):
            _scribble(v)
        value["scribbled"] = True
    elif isinstance(value, list):
        for v in value:
            _scribble(v)
        value.append("scribbled")


def test_to_dict_and_extra_never_hand_out_the_events_own_containers() -> None:
    bodies = [
        {
            "event": "call.ended",
            "call_id": "c",
            "analysis": {
                "summary": "s",
                "extracted_data": {"k": [1, {"x": ["y"]}]},
                "z": {"w": []},
            },
            "custom": {"nested": [1, {"deep": [2.5, "three"]}]},
        },
        {
            "event": "transcript.final",
            "call_id": "c",
            "messages": [{"role": "agent", "content": "Hi", "meta": {"tags": ["a"]}}],
            "custom": [[{"a": 1}]],
        },
        {"event": "call.new", "call_id": "c", "payload": {"list": [{"a": [1]}]}},
    ]
    for body in bodies:
        event = parse_event(json.dumps(body))
        _scribble(event.to_dict())
        _scribble(event.extra)
        for message in getattr(event, "messages", None) or []:
            _scribble(message.to_dict())
            _scribble(message.extra)
        analysis = getattr(event, "analysis", None)
        if analysis is not None:
            _scribble(analysis.to_dict())
            _scribble(analysis.extra)
        assert event.to_dict() == body
        assert event == parse_event(json.dumps(body))
