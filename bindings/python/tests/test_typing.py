"""Typed use of the API. `mypy --strict` checks this file (see `just test-python`), and
pytest runs it, so the annotations and the runtime agree."""

from __future__ import annotations

from typing import Union

from oneinbox_webhooks import (
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    Event,
    Issue,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
    UsageError,
    ValidationError,
    parse_event,
)


def describe(event: Event) -> str:
    match event:
        case CallEnded(call_id=call_id, outcome=outcome, duration_seconds=seconds):
            text: str = call_id
            if outcome is not None:
                text += f" {outcome.lower()}"
            if seconds is not None:
                text += f" {seconds + 0}s"
            if event.analysis is not None and event.analysis.summary is not None:
                text += f" {event.analysis.summary.strip()}"
            return text
        case TranscriptFinal(messages=messages) | TranscriptPartial(messages=messages):
            return " / ".join(f"{m.role}: {m.content}" for m in messages)
        case CallStarted() | CallAnalyzed() | CallFailed() | CallRecordingAvailable():
            return f"{event.event} {event.call_id}"
        case UnknownEvent(name, call_id):
            return f"unknown {name} {call_id} {sorted(event.extra)}"


def issues_of(body: Union[bytes, str], strict: bool = False) -> list[tuple[str, str]]:
    try:
        parse_event(body, strict=strict, max_body_bytes=4096, max_depth=8)
    except (ValidationError, UsageError) as err:
        found: list[Issue] = err.issues
        return [(i.code, i.path) for i in found]
    return []


def test_describe() -> None:
    body = (
        b'{"event":"call.ended","call_id":"c1","outcome":"Booked",'
        b'"duration_seconds":3,"analysis":{"summary":" ok "}}'
    )
    assert describe(parse_event(body)) == "c1 booked 3s ok"
    final = b'{"event":"transcript.final","call_id":"c","messages":[{"role":"user","content":"hi"}]}'
    assert describe(parse_event(final)) == "user: hi"
    assert describe(parse_event(b'{"event":"call.failed","call_id":"c"}')) == "call.failed c"
    assert describe(parse_event(b'{"event":"x.y","call_id":"c","z":1}')).startswith("unknown x.y c")


def test_issues_of() -> None:
    assert issues_of('{"event":"call.failed","call_id":""}') == [("invalid_value", "/call_id")]
    assert issues_of(b'{"event":"call.failed","call_id":"c"}') == []
