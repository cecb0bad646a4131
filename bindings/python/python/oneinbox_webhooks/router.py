"""A typed event router: one handler per event name, checked by mypy.

::

    from oneinbox_webhooks import CallEnded, Router, parse_event

    router = Router()

    @router.on("call.ended")
    def ended(event: CallEnded) -> None:  # mypy knows the parameter is a CallEnded
        print(event.call_id, event.outcome)

    router.dispatch(parse_event(body))

``@router.on(...)`` takes an event name or its class (``@router.on(CallEnded)``) and returns the
handler unchanged; a handler whose parameter cannot take that event is a mypy error. Every
handler that matches an event runs, in the order the handlers were registered: those for its
name, ``@router.on_unknown`` ones for an ``UnknownEvent``, and ``@router.on_any`` ones for
every event. ``dispatch`` calls plain functions; ``await dispatch_async`` also awaits
``async def`` handlers. A handler's exception propagates at once (the handlers after it do
not run).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, overload

from ._events import EVENT_CLASSES
from ._events import Event as _Event
from ._native import (
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    OneInboxError,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
)

__all__ = ["KNOWN_EVENTS", "MissingHandlersError", "Router"]


_NAME_OF_CLASS: dict[type[Any], str] = {cls: cls.event for cls in EVENT_CLASSES}

KNOWN_EVENTS: tuple[str, ...] = tuple(_NAME_OF_CLASS.values())
"""The names of the seven documented events, in the guide's order."""

# One type variable and one decorator type per event: the decorator returns the handler with its
# own type (so decorators stack), and mypy rejects a handler that cannot take the event.
_CallStartedHandler = TypeVar("_CallStartedHandler", bound=Callable[[CallStarted], object])
_CallEndedHandler = TypeVar("_CallEndedHandler", bound=Callable[[CallEnded], object])
_CallAnalyzedHandler = TypeVar("_CallAnalyzedHandler", bound=Callable[[CallAnalyzed], object])
_CallFailedHandler = TypeVar("_CallFailedHandler", bound=Callable[[CallFailed], object])
_CallRecordingAvailableHandler = TypeVar(
    "_CallRecordingAvailableHandler", bound=Callable[[CallRecordingAvailable], object]
)
_TranscriptPartialHandler = TypeVar(
    "_TranscriptPartialHandler", bound=Callable[[TranscriptPartial], object]
)
_TranscriptFinalHandler = TypeVar(
    "_TranscriptFinalHandler", bound=Callable[[TranscriptFinal], object]
)
_UnknownEventHandler = TypeVar("_UnknownEventHandler", bound=Callable[[UnknownEvent], object])
_AnyEventHandler = TypeVar("_AnyEventHandler", bound=Callable[[_Event], object])
_H = TypeVar("_H", bound=Callable[..., object])


class _OnCallStarted(Protocol):
    def __call__(self, handler: _CallStartedHandler, /) -> _CallStartedHandler: ...


class _OnCallEnded(Protocol):
    def __call__(self, handler: _CallEndedHandler, /) -> _CallEndedHandler: ...


class _OnCallAnalyzed(Protocol):
    def __call__(self, handler: _CallAnalyzedHandler, /) -> _CallAnalyzedHandler: ...


class _OnCallFailed(Protocol):
    def __call__(self, handler: _CallFailedHandler, /) -> _CallFailedHandler: ...


class _OnCallRecordingAvailable(Protocol):
    def __call__(
        self, handler: _CallRecordingAvailableHandler, /
    ) -> _CallRecordingAvailableHandler: ...


class _OnTranscriptPartial(Protocol):
    def __call__(self, handler: _TranscriptPartialHandler, /) -> _TranscriptPartialHandler: ...


class _OnTranscriptFinal(Protocol):
    def __call__(self, handler: _TranscriptFinalHandler, /) -> _TranscriptFinalHandler: ...


class MissingHandlersError(OneInboxError):
    """``Router.check()`` of an exhaustive router: these known events have no handler.

    ``missing`` lists their names in the guide's order."""

    missing: tuple[str, ...]

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__(
            f"no handler for {len(missing)} known event{'s' if len(missing) != 1 else ''}: "
            + ", ".join(missing)
            + " (register one with @router.on(name))"
        )


class _Route(NamedTuple):
    kind: Literal["event", "unknown", "any"]
    name: str
    handler: Callable[[Any], object]
    is_async: bool


def _is_async(handler: Callable[..., object]) -> bool:
    # An `async def` function (or a partial of one), or an object with `async def __call__`.
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        type(handler).__call__
    )


def _describe(handler: object) -> str:
    name = getattr(handler, "__qualname__", None) or getattr(handler, "__name__", None)
    return name if isinstance(name, str) else repr(handler)


class Router:
    """Routes events to handlers by name; see the module's documentation.

    ``Router(exhaustive=True)`` makes ``check()`` raise ``MissingHandlersError`` naming each of
    the seven known events that has no ``@router.on`` handler (``on_any`` handlers do not
    count). Call it once at startup or in a test, after registering the handlers.
    """

    __slots__ = ("_cache", "_exhaustive", "_routes")

    def __init__(self, *, exhaustive: bool = False) -> None:
        if not isinstance(exhaustive, bool):
            raise TypeError(f"exhaustive must be a bool, got {type(exhaustive).__name__}")
        self._exhaustive = exhaustive
        self._routes: list[_Route] = []
        self._cache: dict[str, tuple[_Route, ...]] = {}

    @property
    def exhaustive(self) -> bool:
        return self._exhaustive

    def __repr__(self) -> str:
        return f"Router(exhaustive={self._exhaustive}, handlers={len(self._routes)})"

    @overload
    def on(self, event: Literal["call.started"] | type[CallStarted], /) -> _OnCallStarted: ...
    @overload
    def on(self, event: Literal["call.ended"] | type[CallEnded], /) -> _OnCallEnded: ...
    @overload
    def on(self, event: Literal["call.analyzed"] | type[CallAnalyzed], /) -> _OnCallAnalyzed: ...
    @overload
    def on(self, event: Literal["call.failed"] | type[CallFailed], /) -> _OnCallFailed: ...
    @overload
    def on(
        self,
        event: Literal["call.recording.available"] | type[CallRecordingAvailable],
        /,
    ) -> _OnCallRecordingAvailable: ...
    @overload
    def on(
        self, event: Literal["transcript.partial"] | type[TranscriptPartial], /
    ) -> _OnTranscriptPartial: ...
    @overload
    def on(
        self, event: Literal["transcript.final"] | type[TranscriptFinal], /
    ) -> _OnTranscriptFinal: ...
    def on(self, event: str | type[Any], /) -> Callable[[_H], _H]:
        """A decorator that registers its function for one known event, given by name
        (``"call.ended"``) or class (``CallEnded``). Use ``on_unknown`` for events this version
        does not know. Stack it to register one function for several events."""
        name = _name_of(event)

        def register(handler: _H) -> _H:
            self._add("event", name, handler)
            return handler

        return register

    def on_unknown(self, handler: _UnknownEventHandler, /) -> _UnknownEventHandler:
        """Registers ``handler`` for every ``UnknownEvent`` (an event name this version does not
        know; its ``event`` attribute gives the name)."""
        self._add("unknown", "", handler)
        return handler

    def on_any(self, handler: _AnyEventHandler, /) -> _AnyEventHandler:
        """Registers ``handler`` for every event, known or not."""
        self._add("any", "", handler)
        return handler

    def check(self) -> None:
        """For ``Router(exhaustive=True)``: raises ``MissingHandlersError`` if any known event has
        no ``on`` handler. Does nothing for a router that is not exhaustive."""
        if not self._exhaustive:
            return
        handled = {route.name for route in self._routes if route.kind == "event"}
        missing = tuple(name for name in KNOWN_EVENTS if name not in handled)
        if missing:
            raise MissingHandlersError(missing)

    def dispatch(self, event: _Event) -> int:
        """Calls every handler of ``event`` in registration order; returns how many ran (0: no
        handler matched).

        Raises ``TypeError`` before calling any handler if one of them is ``async`` (use
        ``await router.dispatch_async(event)``), and for anything that is not an event."""
        routes = self._routes_for(event)
        for route in routes:
            if route.is_async:
                raise TypeError(
                    f"handler {_describe(route.handler)} for {_label(route)} is async: "
                    "use `await router.dispatch_async(event)` instead of `router.dispatch(event)`"
                )
        for route in routes:
            result = route.handler(event)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: close it rather than leak a warning
                raise TypeError(
                    f"handler {_describe(route.handler)} for {_label(route)} returned an "
                    "awaitable: use `await router.dispatch_async(event)`"
                )
        return len(routes)

    def has_async_handlers(self, event: _Event) -> bool:
        """Whether a handler of ``event`` is ``async`` (so it needs ``dispatch_async``)."""
        return any(route.is_async for route in self._routes_for(event))

    async def dispatch_async(self, event: _Event) -> int:
        """Calls every handler of ``event`` in registration order, one after the other, awaiting
        each ``async`` one (and any awaitable a plain function returns); returns how many ran."""
        routes = self._routes_for(event)
        for route in routes:
            result = route.handler(event)
            if inspect.isawaitable(result):
                await result
        return len(routes)

    def _add(
        self, kind: Literal["event", "unknown", "any"], name: str, handler: Callable[..., object]
    ) -> None:
        if not callable(handler):
            raise TypeError(f"a handler must be callable, got {type(handler).__name__}")
        self._routes.append(_Route(kind, name, handler, _is_async(handler)))
        self._cache.clear()

    def _routes_for(self, event: object) -> tuple[_Route, ...]:
        name = _NAME_OF_CLASS.get(type(event))
        if name is None:
            if not isinstance(event, UnknownEvent):
                raise TypeError(
                    "dispatch takes an event returned by parse_event or Receiver.receive, "
                    f"got {type(event).__name__}"
                )
            key = ""  # every unknown event has the same handlers
        else:
            key = name
        routes = self._cache.get(key)
        if routes is None:
            routes = tuple(
                route
                for route in self._routes
                if route.kind == "any"
                or (route.kind == "unknown" and key == "")
                or (route.kind == "event" and route.name == key and key != "")
            )
            self._cache[key] = routes
        return routes


def _name_of(event: object) -> str:
    if isinstance(event, str):
        if event in KNOWN_EVENTS:
            return event
        raise ValueError(
            f"{event!r} is not a known event name (known: {', '.join(KNOWN_EVENTS)}); "
            "use @router.on_unknown for events this version does not know"
        )
    if isinstance(event, type):
        name = _NAME_OF_CLASS.get(event)
        if name is not None:
            return name
        if event is UnknownEvent:
            raise ValueError("use @router.on_unknown to handle UnknownEvent")
        raise TypeError(f"{event.__name__} is not an event class")
    raise TypeError(f"on() takes an event name or class, got {type(event).__name__}")


def _label(route: _Route) -> str:
    if route.kind == "any":
        return "every event (on_any)"
    if route.kind == "unknown":
        return "unknown events (on_unknown)"
    return repr(route.name)
