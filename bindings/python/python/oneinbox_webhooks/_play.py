"""The play loop of ``testing.FakeOneInbox.settle()`` / ``asettle()``: it POSTs each attempt the
core's outbox gives (``take_due``) to its receiver over HTTP with httpx, reports the outcome
(``report``) and moves the fake's clock to the next due time, until nothing is pending. Every
decision (what is due, signatures, retries, faults, history rows) is the core's."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from . import _native

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Faults:
    """Seeded faults of the fake's deliveries: probabilities from 0 to 1 that a delivery is
    lost for good (``drop``), sent twice (``duplicate``), that a call's deliveries leave out of
    order (``shuffle``), and that a delivery waits up to ``max_delay_ms`` more (``delay``). A
    value out of range is a ``UsageError`` (paths ``/faults/drop`` ...)."""

    drop: float = 0.0
    duplicate: float = 0.0
    shuffle: float = 0.0
    delay: float = 0.0
    max_delay_ms: int = 30_000


# (status, body, error) of one attempt, as report() takes it.
Result = tuple[Optional[int], Optional[str], Optional[str]]


def _failed(exc: Exception) -> Result:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return None, None, "timeout"
    if isinstance(exc, httpx.ConnectError):
        return None, None, "connection refused"
    return None, None, str(exc) or type(exc).__name__


def _answered(response: httpx.Response) -> Result:
    return response.status_code, response.text, None


class Clock:
    """The fake's clock: the wall clock (or a fixed ``start_ms``) plus how far settling moved
    it (ms)."""

    def __init__(self, start_ms: Optional[int] = None) -> None:
        self.skew_ms = 0
        self.start_ms = start_ms

    def now_ms(self) -> int:
        """The fake's time, ms."""
        base = int(time.time() * 1000) if self.start_ms is None else self.start_ms
        return base + self.skew_ms

    def reach(self, due_ms: int) -> int:
        """Moves the clock to ``due_ms`` if it is behind; returns the time."""
        self.skew_ms += max(0, due_ms - self.now_ms())
        return self.now_ms()


class Playing:
    """The play methods of ``testing.FakeOneInbox`` (over its ``_machine`` and ``_clock``)."""

    _machine: _native.FakeOneInbox
    _clock: Clock

    def add_webhook(
        self, url: str, *, events: Optional[list[str]] = None, name: str = "fake"
    ) -> dict[str, Any]:
        """Registers an active webhook (every event by default) as ``create_webhook`` does, but
        also at a loopback ``http`` URL, which the API refuses; returns it."""
        from .router import KNOWN_EVENTS

        every = list(KNOWN_EVENTS) if events is None else events
        return self._machine.add_webhook(name, url, every, self._clock.now_ms() // 1000)

    def play_call(
        self,
        *,
        agent_id: Optional[str] = None,
        to_number: Optional[str] = None,
        from_number: Optional[str] = None,
        webhook_url: Optional[str] = None,
        failure: Optional[str] = None,
    ) -> dict[str, Any]:
        """Creates a call now and plays it (``failure="no-answer"``: only ``call.failed``);
        returns the call. ``settle()`` sends its events."""
        args = (agent_id, to_number, from_number, webhook_url, failure)
        return self._machine.play_call(*args, self._clock.now_ms())

    def outage(self, url_prefix: str = "", *, start: float = 0.0, duration: float) -> None:
        """Refuses the attempts to URLs starting with ``url_prefix`` from ``start`` seconds
        after the fake's now for ``duration`` seconds (rows ``connection refused``)."""
        begin = self._clock.now_ms() + int(start * 1000)
        self._machine.add_outage(url_prefix, begin, begin + int(duration * 1000))

    def deliveries_for_call(self, call_id: str) -> list[dict[str, Any]]:
        """The history of the deliveries to a call's own ``webhook_url``, newest first."""
        return self._machine.deliveries_for_call(call_id)

    @property
    def now(self) -> float:
        """The fake's clock, Unix seconds (ahead of the wall clock once ``settle`` moved it)."""
        return self._clock.now_ms() / 1000

    def settle(self, timeout: float = 5.0) -> int:
        """Sends every pending attempt over HTTP (each with ``timeout`` seconds), reports
        each outcome, moves the fake's clock to the next due time (retries included), and
        returns the number of attempts sent when nothing is pending."""
        return _settle(self._machine, self._clock, timeout)

    async def asettle(self, timeout: float = 5.0) -> int:
        """``settle()`` for asyncio (``httpx.AsyncClient``)."""
        return await _asettle(self._machine, self._clock, timeout)


def _due(machine: _native.FakeOneInbox, clock: Clock) -> Optional[list[Any]]:
    due = machine.next_due()
    if due is None:
        return None
    return machine.take_due(clock.reach(due), int(time.time()))


def _settle(machine: _native.FakeOneInbox, clock: Clock, timeout: float) -> int:
    """Plays every pending attempt (each POST with ``timeout`` seconds); returns how many."""
    import httpx

    sent = 0
    with httpx.Client(timeout=timeout) as http:
        while (attempts := _due(machine, clock)) is not None:
            for attempt_id, url, headers, body in attempts:
                try:
                    result = _answered(http.post(url, headers=headers, content=body))
                except httpx.HTTPError as exc:
                    result = _failed(exc)
                machine.report(attempt_id, *result, clock.now_ms())
                sent += 1
    return sent


async def _asettle(machine: _native.FakeOneInbox, clock: Clock, timeout: float) -> int:
    """``_settle`` with ``httpx.AsyncClient`` (the receivers may run on this event loop)."""
    import httpx

    sent = 0
    async with httpx.AsyncClient(timeout=timeout) as http:
        while (attempts := _due(machine, clock)) is not None:
            for attempt_id, url, headers, body in attempts:
                try:
                    result = _answered(await http.post(url, headers=headers, content=body))
                except httpx.HTTPError as exc:
                    result = _failed(exc)
                machine.report(attempt_id, *result, clock.now_ms())
                sent += 1
    return sent
