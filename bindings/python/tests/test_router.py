"""The router: which handlers run, in which order, sync and async, and the exhaustive check."""

from __future__ import annotations

import asyncio
import functools
import json
import warnings
from typing import Any

import pytest
from fixtures import EVENTS

from oneinbox_webhooks import (
    CallAnalyzed,
    CallEnded,
    CallStarted,
    Event,
    OneInboxError,
    Router,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
    parse_event,
)
from oneinbox_webhooks.router import KNOWN_EVENTS, MissingHandlersError

GUIDE = {
    name: parse_event(
        json.loads((EVENTS / f"guide-{name.replace('.', '-')}.json").read_text())["body_text"]
    )
    for name in KNOWN_EVENTS
}
UNKNOWN = parse_event(b'{"event":"call.transferred","call_id":"call_abc123","to":"+15550001111"}')


def test_known_events_are_the_seven_in_guide_order() -> None:
    assert KNOWN_EVENTS == (
        "call.started",
        "call.ended",
        "call.analyzed",
        "call.failed",
        "call.recording.available",
        "transcript.partial",
        "transcript.final",
    )
    for name, event in GUIDE.items():
        assert event.event == name


def test_each_event_reaches_its_handlers_by_name_or_class() -> None:
    router = Router()
    seen: list[tuple[str, str]] = []
    for name in KNOWN_EVENTS:
        router.on(name)(lambda e, name=name: seen.append(("name", name)))  # type: ignore[call-overload]
    for cls in (CallEnded, TranscriptFinal):
        router.on(cls)(lambda e, cls=cls: seen.append(("class", cls.event)))
    for name, event in GUIDE.items():
        seen.clear()
        ran = router.dispatch(event)
        expected = [("name", name)] + (
            [("class", name)] if name in ("call.ended", "transcript.final") else []
        )
        assert seen == expected
        assert ran == len(expected)
    assert router.dispatch(UNKNOWN) == 0


def test_handlers_run_in_registration_order_with_unknown_and_any() -> None:
    router = Router()
    calls: list[str] = []

    @router.on_any
    def first(e: Event) -> None:
        calls.append(f"any1 {e.event}")

    @router.on("call.ended")
    def ended(e: CallEnded) -> None:
        calls.append(f"ended {e.outcome}")

    @router.on_unknown
    def unknown(e: UnknownEvent) -> None:
        calls.append(f"unknown {e.event} {e.extra['to']}")

    @router.on(CallEnded)
    def ended_again(e: CallEnded) -> None:
        calls.append(f"ended2 {e.duration_seconds}")

    @router.on_any
    def last(e: Event) -> None:
        calls.append(f"any2 {e.call_id}")

    assert router.dispatch(GUIDE["call.ended"]) == 4
    assert calls == ["any1 call.ended", "ended Appointment Booked", "ended2 87", "any2 call_abc123"]
    calls.clear()
    assert router.dispatch(UNKNOWN) == 3
    assert calls == [
        "any1 call.transferred",
        "unknown call.transferred +15550001111",
        "any2 call_abc123",
    ]
    calls.clear()
    assert router.dispatch(GUIDE["call.started"]) == 2
    assert calls == ["any1 call.started", "any2 call_abc123"]
    # Registering later invalidates what dispatch remembered.
    router.on("call.started")(lambda e: calls.append("started"))
    calls.clear()
    assert router.dispatch(GUIDE["call.started"]) == 3
    assert calls == ["any1 call.started", "any2 call_abc123", "started"]


def test_decorators_return_the_function_and_stack() -> None:
    router = Router()
    got: list[str] = []

    @router.on("transcript.partial")
    @router.on("transcript.final")
    def transcript(e: TranscriptPartial | TranscriptFinal) -> str:
        got.append(f"{e.event} {len(e.messages)}")
        return "returned"

    final = GUIDE["transcript.final"]
    assert isinstance(final, TranscriptFinal)
    assert transcript(final) == "returned"  # still the plain function
    got.clear()
    router.dispatch(GUIDE["transcript.partial"])
    router.dispatch(GUIDE["transcript.final"])
    assert got == ["transcript.partial 2", "transcript.final 3"]
    # One function registered twice for one event runs twice.
    router.on("transcript.final")(transcript)
    got.clear()
    assert router.dispatch(GUIDE["transcript.final"]) == 2
    assert got == ["transcript.final 3"] * 2


def test_handler_exception_propagates_and_stops_the_rest() -> None:
    router = Router()
    ran: list[str] = []

    @router.on("call.failed")
    def boom(e: Any) -> None:
        raise RuntimeError("handler failed")

    router.on_any(lambda e: ran.append("after"))
    with pytest.raises(RuntimeError, match="handler failed"):
        router.dispatch(GUIDE["call.failed"])
    assert ran == []


def test_dispatch_refuses_async_handlers_before_running_any() -> None:
    router = Router()
    ran: list[str] = []
    router.on_any(lambda e: ran.append("sync"))

    @router.on("call.analyzed")
    async def analyzed(e: CallAnalyzed) -> None:
        ran.append("async")

    with pytest.raises(
        TypeError,
        match=(
            r"handler .*analyzed for 'call.analyzed' is async: "
            r"use `await router.dispatch_async\(event\)`"
        ),
    ):
        router.dispatch(GUIDE["call.analyzed"])
    assert ran == []
    # Events without async handlers still dispatch synchronously.
    assert router.dispatch(GUIDE["call.started"]) == 1


@pytest.mark.parametrize("kind", ["object", "partial"])
def test_async_callables_are_detected(kind: str) -> None:
    class Handler:
        async def __call__(self, e: Event) -> None:
            pass

    async def two(e: Event, extra: int) -> None:
        pass

    handler = Handler() if kind == "object" else functools.partial(two, extra=1)
    router = Router()
    router.on_unknown(handler)
    with pytest.raises(TypeError, match=r"for unknown events \(on_unknown\) is async"):
        router.dispatch(UNKNOWN)


def test_dispatch_refuses_a_sync_handler_that_returns_an_awaitable() -> None:
    async def work() -> None:
        pass

    router = Router()
    router.on_any(lambda e: work())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the coroutine is closed, so no "never awaited" warning
        with pytest.raises(TypeError, match=r"for every event \(on_any\) returned an awaitable"):
            router.dispatch(GUIDE["call.started"])


def test_dispatch_async_awaits_async_and_calls_sync_handlers_in_order() -> None:
    router = Router()
    order: list[str] = []

    @router.on("call.ended")
    async def slow(e: CallEnded) -> None:
        order.append("slow start")
        await asyncio.sleep(0.01)
        order.append("slow end")

    @router.on("call.ended")
    def plain(e: CallEnded) -> None:
        order.append("plain")

    async def later() -> None:
        order.append("awaitable from a sync handler")

    router.on_any(lambda e: later())

    assert asyncio.run(router.dispatch_async(GUIDE["call.ended"])) == 3
    assert order == ["slow start", "slow end", "plain", "awaitable from a sync handler"]
    assert asyncio.run(router.dispatch_async(UNKNOWN)) == 1


def test_exhaustive_check_names_each_missing_event() -> None:
    router = Router(exhaustive=True)
    assert router.exhaustive
    router.on("call.started")(print)
    router.on(CallEnded)(print)
    router.on_any(print)  # does not count
    router.on_unknown(print)  # neither
    with pytest.raises(MissingHandlersError) as info:
        router.check()
    missing = (
        "call.analyzed",
        "call.failed",
        "call.recording.available",
        "transcript.partial",
        "transcript.final",
    )
    assert info.value.missing == missing
    assert isinstance(info.value, OneInboxError)
    assert str(info.value) == (
        "no handler for 5 known events: call.analyzed, call.failed, call.recording.available, "
        "transcript.partial, transcript.final (register one with @router.on(name))"
    )
    for name in missing[:-1]:
        router.on(name)(print)  # type: ignore[call-overload]
    with pytest.raises(
        MissingHandlersError, match=r"no handler for 1 known event: transcript.final \("
    ):
        router.check()
    router.on(TranscriptFinal)(print)
    router.check()


def test_check_does_nothing_unless_exhaustive() -> None:
    Router().check()
    assert repr(Router(exhaustive=True)) == "Router(exhaustive=True, handlers=0)"


def test_misuse_is_refused_with_a_clear_error() -> None:
    router = Router()
    with pytest.raises(ValueError, match=r"'call.endd' is not a known event name .*on_unknown"):
        router.on("call.endd")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=r"use @router\.on_unknown to handle UnknownEvent"):
        router.on(UnknownEvent)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dict is not an event class"):
        router.on(dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="on\\(\\) takes an event name or class, got int"):
        router.on(3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="a handler must be callable, got str"):
        router.on("call.ended")("not a function")  # type: ignore[type-var]
    with pytest.raises(
        TypeError, match=r"dispatch takes an event returned by parse_event .*got dict"
    ):
        router.dispatch({"event": "call.ended", "call_id": "c"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exhaustive must be a bool"):
        Router(exhaustive="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Router(True)  # type: ignore[call-arg]
    assert repr(router) == "Router(exhaustive=False, handlers=0)"


def test_class_and_name_give_the_same_route() -> None:
    router = Router()
    got: list[CallStarted] = []
    router.on(CallStarted)(got.append)
    router.dispatch(GUIDE["call.started"])
    assert got == [GUIDE["call.started"]]
