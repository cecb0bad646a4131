"""parse_event against msgspec, pydantic and json.loads on the OneInbox guide payloads and a
~40 KB transcript.final. Interleaved rounds (every library measured once per round, in a
rotating order), median ns/op over the rounds. Run with `just bench-python` (release build).

    python bench.py            the table
    python bench.py --gil      parse_event ns/op around the GIL-release threshold (64 KiB)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Optional, Union

import msgspec
import pydantic

from oneinbox_webhooks import parse_event

REPO = Path(__file__).resolve().parents[3]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))  # fewer for a quick look
TARGET_NS = 20_000_000  # each timed batch runs about 20 ms


def guide_payloads() -> list[tuple[str, bytes]]:
    out = []
    for path in sorted((REPO / "tests/fixtures/events").glob("guide-*.json")):
        fixture = json.loads(path.read_text(encoding="utf-8"))
        text = fixture["body_text"] if "body_text" in fixture else json.dumps(fixture["body"])
        out.append((path.stem.removeprefix("guide-"), text.encode()))
    return out


def fresh_call_failed(n: int = 4096) -> list[bytes]:
    """The guide's call.failed n times over, each with its own call id, agent id, numbers and
    reason: no value repeats, so no library's string cache helps (parse_event and pydantic keep
    repeating short strings)."""
    return [
        json.dumps(
            {
                "event": "call.failed",
                "call_id": f"call_{i:06d}",
                "agent_id": f"agt_{i:06d}",
                "to_number": f"+91987{i:07d}",
                "from_number": f"+15739{i:06d}",
                "reason": f"no-answer-{i}",
            }
        ).encode()
        for i in range(n)
    ]


def big_transcript() -> bytes:
    """A deterministic transcript.final of 200 messages, about 40 KB."""
    words = [
        "sure", "thanks", "appointment", "thursday", "demo",
        "pricing", "calendar", "confirm", "number", "email",
    ]  # fmt: skip
    messages = []
    for i in range(200):
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(24))
        messages.append({"role": "agent" if i % 2 == 0 else "user", "content": f"{i}: {text}."})
    body = {"event": "transcript.final", "call_id": "call_abc123", "messages": messages}
    return json.dumps(body, separators=(",", ":")).encode()


# msgspec: a tagged union of Structs (tag = the `event` member), unknown members ignored.
class MAnalysis(msgspec.Struct):
    summary: Optional[str] = None
    outcome: Optional[str] = None
    extracted_data: Optional[dict[str, Any]] = None


class MMessage(msgspec.Struct):
    role: Optional[str] = None
    content: Optional[str] = None


class MCallStarted(msgspec.Struct, tag_field="event", tag="call.started"):
    call_id: str
    agent_id: Optional[str] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    created_at: Optional[str] = None


class MCallEnded(msgspec.Struct, tag_field="event", tag="call.ended"):
    call_id: str
    agent_id: Optional[str] = None
    status: Optional[str] = None
    duration_seconds: Optional[float] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    outcome: Optional[str] = None
    ai_summary: Optional[str] = None
    analysis: Optional[MAnalysis] = None


class MCallAnalyzed(msgspec.Struct, tag_field="event", tag="call.analyzed"):
    call_id: str
    agent_id: Optional[str] = None
    outcome: Optional[str] = None
    ai_summary: Optional[str] = None


class MCallFailed(msgspec.Struct, tag_field="event", tag="call.failed"):
    call_id: str
    agent_id: Optional[str] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    reason: Optional[str] = None


class MCallRecordingAvailable(msgspec.Struct, tag_field="event", tag="call.recording.available"):
    call_id: str
    recording_url: Optional[str] = None


class MTranscriptPartial(msgspec.Struct, tag_field="event", tag="transcript.partial"):
    call_id: str
    messages: list[MMessage]


class MTranscriptFinal(msgspec.Struct, tag_field="event", tag="transcript.final"):
    call_id: str
    messages: list[MMessage]


MEvent = Union[
    MCallStarted,
    MCallEnded,
    MCallAnalyzed,
    MCallFailed,
    MCallRecordingAvailable,
    MTranscriptPartial,
    MTranscriptFinal,
]
msgspec_decoder = msgspec.json.Decoder(MEvent)


# pydantic v2: a discriminated union of models.
class PAnalysis(pydantic.BaseModel):
    summary: Optional[str] = None
    outcome: Optional[str] = None
    extracted_data: Optional[dict[str, Any]] = None


class PMessage(pydantic.BaseModel):
    role: Optional[str] = None
    content: Optional[str] = None


class PCallStarted(pydantic.BaseModel):
    event: Literal["call.started"]
    call_id: str
    agent_id: Optional[str] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    created_at: Optional[str] = None


class PCallEnded(pydantic.BaseModel):
    event: Literal["call.ended"]
    call_id: str
    agent_id: Optional[str] = None
    status: Optional[str] = None
    duration_seconds: Optional[float] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    outcome: Optional[str] = None
    ai_summary: Optional[str] = None
    analysis: Optional[PAnalysis] = None


class PCallAnalyzed(pydantic.BaseModel):
    event: Literal["call.analyzed"]
    call_id: str
    agent_id: Optional[str] = None
    outcome: Optional[str] = None
    ai_summary: Optional[str] = None


class PCallFailed(pydantic.BaseModel):
    event: Literal["call.failed"]
    call_id: str
    agent_id: Optional[str] = None
    to_number: Optional[str] = None
    from_number: Optional[str] = None
    reason: Optional[str] = None


class PCallRecordingAvailable(pydantic.BaseModel):
    event: Literal["call.recording.available"]
    call_id: str
    recording_url: Optional[str] = None


class PTranscriptPartial(pydantic.BaseModel):
    event: Literal["transcript.partial"]
    call_id: str
    messages: list[PMessage]


class PTranscriptFinal(pydantic.BaseModel):
    event: Literal["transcript.final"]
    call_id: str
    messages: list[PMessage]


PEvent = Annotated[
    Union[
        PCallStarted,
        PCallEnded,
        PCallAnalyzed,
        PCallFailed,
        PCallRecordingAvailable,
        PTranscriptPartial,
        PTranscriptFinal,
    ],
    pydantic.Field(discriminator="event"),
]
pydantic_adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(PEvent)

LIBS: dict[str, Callable[[bytes], object]] = {
    "oneinbox": parse_event,
    "msgspec": msgspec_decoder.decode,
    "pydantic": pydantic_adapter.validate_json,
    "json.loads": json.loads,
}


def batch_ns(fn: Callable[[bytes], object], bodies: list[bytes], n: int) -> float:
    """ns per call of `fn` over n bodies, cycling through `bodies`."""
    run = (bodies * (n // len(bodies) + 1))[:n]
    timer = time.perf_counter_ns
    start = timer()
    for body in run:
        fn(body)
    return (timer() - start) / n


def calibrate(fn: Callable[[bytes], object], bodies: list[bytes]) -> int:
    n = 1
    while True:
        per = batch_ns(fn, bodies, n)
        if per * n > TARGET_NS / 10:
            return max(1, int(TARGET_NS / per))
        n *= 4


def measure(bodies: list[bytes], libs: dict[str, Callable[[bytes], object]]) -> dict[str, float]:
    counts = {name: calibrate(fn, bodies) for name, fn in libs.items()}
    samples: dict[str, list[float]] = {name: [] for name in libs}
    names = list(libs)
    for r in range(ROUNDS):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(batch_ns(libs[name], bodies, counts[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def table() -> None:
    payloads = [(name, [body]) for name, body in guide_payloads()]
    payloads.append(("transcript.final 40KB", [big_transcript()]))
    payloads.append(("call-failed, every value new", fresh_call_failed()))
    for _name, bodies in payloads:  # every library accepts every payload
        for fn in LIBS.values():
            fn(bodies[0])
    print(f"Python {sys.version.split()[0]}, {ROUNDS} interleaved rounds, median ns/op\n")
    head = (
        "| payload | bytes | oneinbox | msgspec | pydantic | json.loads"
        " | vs msgspec | vs pydantic |"
    )
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, bodies in payloads:
        m = measure(bodies, LIBS)
        print(
            f"| {name} | {len(bodies[0])} | {m['oneinbox']:,.0f} | {m['msgspec']:,.0f} | "
            f"{m['pydantic']:,.0f} | {m['json.loads']:,.0f} | "
            f"{m['oneinbox'] / m['msgspec']:.2f}x | {m['pydantic'] / m['oneinbox']:.1f}x faster |"
        )


def gil() -> None:
    """parse_event on transcripts around the 65,536-byte threshold above which the GIL is
    released (and the objects are made from the core's parsed event in a second pass): the
    step between the rows either side of it is what releasing the GIL costs the caller."""
    print("| bytes | parse_event ns/op | ns per KB |")
    print("|---:|---:|---:|")
    for n in (1, 20, 80, 320, 330, 335, 340, 360, 640):
        messages = [{"role": "user", "content": "x" * 180} for _ in range(n)]
        body = json.dumps(
            {"event": "transcript.final", "call_id": "c", "messages": messages}
        ).encode()
        m = measure([body], {"oneinbox": parse_event})["oneinbox"]
        print(f"| {len(body)} | {m:,.0f} | {m / len(body) * 1000:,.0f} |")


if __name__ == "__main__":
    gil() if "--gil" in sys.argv else table()
