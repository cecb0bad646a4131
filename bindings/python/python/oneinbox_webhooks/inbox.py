"""The inbox: every delivery's handlers complete at least once, across handler errors, store
errors, crashes and early 202 answers.

A store keeps one row per delivery: ``claimed`` (one worker runs its handlers, until its lease
ends), ``done``, ``failed`` (due again after a backoff) or ``dead`` (after ``max_attempts``).
Every change of a row is one step of :class:`InboxPolicy`, the core's state machine (the same
in the Node package and the Rust crate, on the shared fixtures of ``tests/fixtures/inbox``):
the row as read, what happened and the time give the row to write and a verdict. The stores
read the row, ask the step and write its answer in one transaction; they decide nothing.

- An adapter (``oneinbox_webhooks.fastapi``, ``.flask``, ``.django``) with a store asks it to
  ``arrive`` each authenticated delivery, runs the handlers when the verdict is ``run`` and
  tells the store how they ``finish``. A handler that raises makes the answer 500 and the
  delivery due again: OneInbox's retry (or the worker) runs it again.
- The worker, :func:`drain` (and :func:`adrain`), runs every due delivery once: one whose
  handler failed, or whose process died mid-run (its lease ran out). ``python -m
  oneinbox_webhooks worker`` loops it.
- When deliveries go missing (OneInbox gave up on them), :func:`reconcile` (and
  :func:`areconcile`) fetches the overdue calls with ``client.get_call``, folds each snapshot
  into its record and dispatches, through the inbox and the router, the events the snapshot
  shows happened but no delivery brought (``event.reconciled`` / ``"reconciled": true``, key
  ``<event>:<call_id>:reconciled``). Each event's handlers run once per call, whether by
  delivery or by reconciliation: a real delivery that arrives later is folded into the record
  and answered as a repeat.
- Without an adapter, :meth:`claim` a delivery yourself::

      with store.claim(event, body) as claim:
          if claim.run:
              handle(event)  # an exception marks it failed (due again); a return, done

>>> policy = InboxPolicy(lease=60.0, max_attempts=10)
>>> first = policy.arrive(None, 1_000)
>>> first.verdict, first.attempt, first.row.state, first.row.due_at
('run', 1, 'claimed', 61000)
>>> failed = policy.finish(first.row, 1, "db down", 2_000)
>>> failed.verdict, failed.due_at
('failed', 12000)
>>> policy.arrive(failed.row, 5_000).verdict
'run'
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import math
import time
from collections import Counter
from collections.abc import Awaitable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, Protocol, TypeVar

from ._events import Event as _Event
from ._native import (
    INBOX_DEFAULT_LEASE_MS,
    INBOX_DEFAULT_MAX_ATTEMPTS,
    MAX_DEPTH_CEILING,
    Call,
    CallRecord,
    InboxPolicy,
    InboxRow,
    InboxStep,
    Overdue,
    ReconcilePolicy,
    inbox_backoff_ms,
    parse_event,
    record_is_open,
    synthesize,
)

if TYPE_CHECKING:
    from typing_extensions import Self, TypeAlias

    from .router import Router

__all__ = [
    "DEFAULT_RETENTION",
    "INBOX_DEFAULT_LEASE_MS",
    "INBOX_DEFAULT_MAX_ATTEMPTS",
    "Arrival",
    "AsyncInboxStore",
    "Claim",
    "DeadLetter",
    "Delivery",
    "DrainReport",
    "InboxPolicy",
    "InboxRow",
    "InboxStep",
    "InboxStore",
    "Overdue",
    "ReconcilePolicy",
    "ReconcileReport",
    "Verdict",
    "adrain",
    "areconcile",
    "current_delivery",
    "drain",
    "inbox_backoff_ms",
    "reconcile",
    "record_is_open",
    "synthesize",
]

DEFAULT_RETENTION = 7 * 24 * 3600.0
"""Seconds a done delivery's row and body are kept before ``prune`` drops them (the worker
prunes with it); the call's record stays."""

_T = TypeVar("_T")

Verdict: TypeAlias = Literal[
    "run", "repeat", "busy", "dead", "not_due", "done", "failed", "released", "replayed", "stale"
]
"""A verdict of the inbox's state machine (``InboxStep.verdict``)."""


@dataclass(frozen=True)
class Delivery:
    """One delivery a store claimed for a run: its dedupe ``key``, ``call_id``, ``event`` name,
    raw ``body`` and the claim's ``attempt`` number (1 for the first run)."""

    key: str
    call_id: str
    event: str
    body: bytes = field(repr=False)
    attempt: int


@dataclass(frozen=True)
class Arrival:
    """What a store did with a delivery that arrived: the ``verdict`` (``"run"``: run the
    handlers of ``delivery``, then ``finish`` it; ``"repeat"``: they completed before;
    ``"busy"``: another worker runs them now, for ``retry_after_ms`` more; ``"dead"``: a dead
    letter), and the call's ``record`` with the delivery folded in (a copy)."""

    verdict: Verdict
    key: str
    delivery: Optional[Delivery]
    retry_after_ms: Optional[int]
    record: CallRecord

    @property
    def run(self) -> bool:
        """Whether to run the handlers now."""
        return self.delivery is not None


@dataclass(frozen=True)
class DeadLetter:
    """A delivery whose handlers failed ``attempts`` times: kept with its ``last_error`` and
    ``body`` until ``store.replay(key)`` makes it due again (``updated_at``: Unix seconds)."""

    key: str
    call_id: str
    event: str
    attempts: int
    last_error: Optional[str]
    updated_at: float
    body: bytes = field(repr=False)


@dataclass
class DrainReport:
    """What one :func:`drain` did: the keys of the deliveries it ran to ``done``, those that
    ``failed`` (due again later) and those now ``dead``."""

    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.done or self.failed or self.dead)


class InboxStore(Protocol):
    """What a store offers the inbox (``MemoryStore``, ``SQLiteStore``, ``PostgresStore``)."""

    def arrive(
        self, event: _Event, body: Optional[bytes] = None, *, now: Optional[float] = None
    ) -> Arrival: ...
    def finish(
        self, delivery: Delivery, error: Optional[str] = None, *, now: Optional[float] = None
    ) -> Verdict: ...
    def release(
        self, delivery: Delivery, reason: str, *, now: Optional[float] = None
    ) -> Verdict: ...
    def due(self, *, now: Optional[float] = None, limit: int = 100) -> list[str]: ...
    def take(
        self, key: str, *, now: Optional[float] = None
    ) -> tuple[Verdict, Optional[Delivery]]: ...
    def prune(
        self,
        older_than: Optional[float] = None,
        *,
        include_dead: bool = False,
        now: Optional[float] = None,
    ) -> int: ...


class ReconcileStore(InboxStore, Protocol):
    """What :func:`reconcile` needs of a store besides the inbox: its open calls, their
    records, snapshots folded in, and calls settled (every store of this package)."""

    def open_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]: ...
    def get(self, call_id: str) -> Optional[CallRecord]: ...
    def apply_call(self, call: Call, *, now: Optional[float] = None) -> Optional[CallRecord]: ...
    def settle(self, call_id: str) -> None: ...


class AsyncInboxStore(Protocol):
    """``InboxStore`` with coroutines (``AsyncPostgresStore``): :func:`adrain` awaits them."""

    async def finish(
        self, delivery: Delivery, error: Optional[str] = None, *, now: Optional[float] = None
    ) -> Verdict: ...
    async def due(self, *, now: Optional[float] = None, limit: int = 100) -> list[str]: ...
    async def take(
        self, key: str, *, now: Optional[float] = None
    ) -> tuple[Verdict, Optional[Delivery]]: ...
    async def prune(
        self,
        older_than: Optional[float] = None,
        *,
        include_dead: bool = False,
        now: Optional[float] = None,
    ) -> int: ...


_CURRENT: contextvars.ContextVar[Optional[Delivery]] = contextvars.ContextVar(
    "oneinbox_webhooks_delivery", default=None
)


def current_delivery() -> Optional[Delivery]:
    """The delivery whose handlers run now (its ``key`` and ``attempt``, for a handler's own
    idempotency), or ``None`` outside a run by an adapter, :func:`drain` or :meth:`claim`."""
    return _CURRENT.get()


def awaited(store: object, name: str) -> Optional[Callable[..., Awaitable[Any]]]:
    """The coroutine method of ``store`` for ``name`` (``arrive``, ``finish``, …), or ``None``
    when its method blocks: an asyncio ``RedisStore``'s ``a…`` methods, or a store whose
    ``name`` itself is a coroutine function (``AsyncPostgresStore``)."""
    if getattr(store, "asynchronous", None) is True:
        method = getattr(store, "a" + name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    method = getattr(store, name, None)
    if inspect.iscoroutinefunction(method):
        return method
    return None


def now_ms(now: Optional[float]) -> int:
    """``now`` (Unix seconds; ``None``: the clock) as whole Unix milliseconds."""
    seconds = time.time() if now is None else now
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"now must be Unix seconds (int or float), got {type(now).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"now must be finite, got {seconds!r}")
    return int(seconds * 1000)


def error_text(error: BaseException) -> str:
    """How a handler's failure is kept: its class and message, at most 1,000 characters."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 1000 else text[:999] + "…"


def read_body(body: bytes) -> _Event:
    """The event of a kept body: it was valid when it arrived, so it is read again with no
    limits but the core's deepest nesting."""
    return parse_event(body, max_body_bytes=max(len(body), 1), max_depth=MAX_DEPTH_CEILING)


def run_handlers(router: Router, event: _Event, delivery: Delivery) -> None:
    """Runs ``event``'s handlers in this thread (async ones on a new event loop), with
    :func:`current_delivery` set."""
    token = _CURRENT.set(delivery)
    try:
        if router.has_async_handlers(event):
            asyncio.run(router.dispatch_async(event))
        else:
            router.dispatch(event)
    finally:
        _CURRENT.reset(token)


async def run_handlers_async(
    router: Router,
    event: _Event,
    delivery: Delivery,
    run_sync: Callable[[Callable[[], Any]], Awaitable[Any]],
) -> None:
    """``run_handlers`` on an event loop: sync handlers through ``run_sync`` (a thread)."""
    token = _CURRENT.set(delivery)
    try:
        if router.has_async_handlers(event):
            await router.dispatch_async(event)
        else:
            context = contextvars.copy_context()
            await run_sync(lambda: context.run(router.dispatch, event))
    finally:
        _CURRENT.reset(token)


class Claim:
    """A delivery claimed by :meth:`claim`: ``run`` says whether to run its handlers; leaving
    the ``with`` block marks it done, or failed (due again) on an exception, which propagates.
    ``verdict``, ``record`` and ``delivery`` are the store's :class:`Arrival`."""

    __slots__ = ("_store", "_token", "arrival")

    @property
    def run(self) -> bool:
        return self.arrival.run

    @property
    def verdict(self) -> Verdict:
        return self.arrival.verdict

    @property
    def record(self) -> CallRecord:
        return self.arrival.record

    @property
    def delivery(self) -> Optional[Delivery]:
        return self.arrival.delivery

    def __init__(self, store: InboxStore, arrival: Arrival) -> None:
        self._store = store
        self._token: Optional[contextvars.Token[Optional[Delivery]]] = None
        self.arrival = arrival

    def __enter__(self) -> Self:
        if self.arrival.delivery is not None:
            self._token = _CURRENT.set(self.arrival.delivery)
        return self

    def __exit__(self, exc_type: object, exc: Optional[BaseException], tb: object) -> None:
        delivery = self.arrival.delivery
        if delivery is None:
            return
        if self._token is not None:
            _CURRENT.reset(self._token)
        self._store.finish(delivery, None if exc is None else error_text(exc))


def drain(
    store: InboxStore,
    router: Router,
    *,
    now: Optional[float] = None,
    limit: int = 100,
    retention: Optional[float] = None,
) -> DrainReport:
    """Runs every delivery due at ``now`` (at most ``limit``) once, through ``router``'s
    handlers: a delivery whose handler failed, or whose worker died mid-run. Prunes done
    deliveries older than ``retention`` seconds when given. Returns what it did."""
    report = DrainReport()
    for key in store.due(now=now, limit=limit):
        verdict, delivery = store.take(key, now=now)
        if verdict == "dead":
            report.dead.append(key)
        if delivery is None:
            continue
        try:
            run_handlers(router, read_body(delivery.body), delivery)
        except Exception as err:  # recorded on the delivery: due again, or dead
            _tally(report, key, store.finish(delivery, error_text(err), now=now))
        else:
            store.finish(delivery, None, now=now)
            report.done.append(key)
    if retention is not None:
        store.prune(retention, now=now)
    return report


def _tally(report: DrainReport, key: str, verdict: str) -> None:
    (report.dead if verdict == "dead" else report.failed).append(key)


async def adrain(
    store: InboxStore | AsyncInboxStore,
    router: Router,
    *,
    now: Optional[float] = None,
    limit: int = 100,
    retention: Optional[float] = None,
) -> DrainReport:
    """:func:`drain` on an event loop: async handlers and an asyncio store (``RedisStore``
    over ``redis.asyncio``, ``AsyncPostgresStore``) are awaited; a blocking store's calls and
    sync handlers run in a thread."""

    async def in_thread(f: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await asyncio.to_thread(f, *args, **kwargs)

    async def store_call(name: str, *args: Any, **kwargs: Any) -> Any:
        method = awaited(store, name)
        if method is not None:
            return await method(*args, **kwargs)
        return await in_thread(getattr(store, name), *args, **kwargs)

    report = DrainReport()
    for key in await store_call("due", now=now, limit=limit):
        verdict, delivery = await store_call("take", key, now=now)
        if verdict == "dead":
            report.dead.append(key)
        if delivery is None:
            continue
        try:
            await run_handlers_async(router, read_body(delivery.body), delivery, partial(in_thread))
        except Exception as err:  # recorded on the delivery: due again, or dead
            verdict = await store_call("finish", delivery, error_text(err), now=now)
            _tally(report, key, verdict)
        else:
            await store_call("finish", delivery, None, now=now)
            report.done.append(key)
    if retention is not None:
        await store_call("prune", retention, now=now)
    return report


# ---- reconcile: when deliveries go missing ---------------------------------------------------


@dataclass
class ReconcileReport:
    """What one :func:`reconcile` did: how many overdue calls it ``checked`` (fetched), the
    synthesized events it recorded per event name (``recovered``), the events each call still
    misses afterwards (``missing``), the calls it could not fetch (``errors``: call id to the
    error's text), and the keys of the synthesized deliveries whose handlers failed
    (``failed``: due again, for the worker)."""

    checked: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (``--json``)."""
        return {
            "checked": self.checked,
            "recovered": dict(sorted(self.recovered.items())),
            "missing": dict(sorted(self.missing.items())),
            "errors": dict(sorted(self.errors.items())),
            "failed": list(self.failed),
        }


class CallsClient(Protocol):
    """What :func:`reconcile` needs of a client: ``Client.get_call``."""

    def get_call(self, call_id: str) -> Call: ...


class AsyncCallsClient(Protocol):
    """What :func:`areconcile` needs of a client: ``AsyncClient.get_call``."""

    async def get_call(self, call_id: str) -> Call: ...


_LIST_LIMIT = 10_000
"""The most open calls one reconcile run lists (oldest change first)."""


def _overdue(
    policy: ReconcilePolicy, ms: int, listed: list[tuple[str, int]], records: list[Any]
) -> tuple[dict[str, int], list[str]]:
    """The overdue call ids (with when their record last changed), and the listed ones the
    policy finds nothing missing in."""
    overdue, settled = {}, []
    for (call_id, changed_at), record in zip(listed, records):
        if record is None or not policy.missing(record):
            settled.append(call_id)
        elif policy.overdue(record, changed_at, ms) is not None:
            overdue[call_id] = changed_at
    return overdue, settled


def _batches(ids: list[str], size: int) -> Iterator[list[str]]:
    """``ids`` in batches of ``size``: a run keeps at most one batch of fetched calls."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _named(call_ids: Iterable[str]) -> list[str]:
    """The ``call_ids`` given to reconcile, each once, in order."""
    if isinstance(call_ids, str):
        raise TypeError("call_ids must be an iterable of call ids, not one string")
    named = list(dict.fromkeys(call_ids))
    for call_id in named:
        if not isinstance(call_id, str) or not call_id:
            raise TypeError(f"call_ids must hold non-empty strings, got {call_id!r}")
    return named


def _report_missing(
    report: ReconcileReport, policy: ReconcilePolicy, record: Any, changed_at: int, ms: int
) -> bool:
    """Notes what ``record`` still misses; whether the reconciler is done with it (settle it:
    ``ReconcilePolicy.settled``)."""
    if record is None:
        return True
    missing = list(policy.missing(record))
    if missing:
        report.missing[record.call_id] = missing
    return policy.settled(record, changed_at, ms)


def reconcile(
    store: ReconcileStore,
    client: CallsClient,
    router: Router,
    *,
    now: Optional[float] = None,
    policy: Optional[ReconcilePolicy] = None,
    concurrency: int = 8,
    call_ids: Optional[Iterable[str]] = None,
) -> ReconcileReport:
    """Recovers the events whose deliveries went missing.

    Lists the store's open calls (``store.open_calls``: the records not yet failed or complete,
    an index kept beside them, never every record) that ``policy`` (default
    ``ReconcilePolicy()``: started and no end after 2 hours; ended and no ``call.analyzed`` or
    ``transcript.final`` after 10 minutes, measured from the record's last change) finds
    overdue at ``now`` (Unix seconds; ``None``: the clock). Fetches each with
    ``client.get_call`` (``concurrency`` at a time; the client retries per the core's policy; a
    failure is counted in ``errors`` and never stops the run), folds the snapshot into the
    record, and dispatches each synthesized event through the inbox like a delivery: arrive
    (recorded, key ``<event>:<call_id>:reconciled``), ``router``'s handlers, finish (a failure
    leaves it due for :func:`drain`). A call with nothing missing is dropped from the open
    calls. Returns a :class:`ReconcileReport`.

    ``call_ids``: fetch exactly these calls, whatever the policy and the open calls say (what
    ``doctor --reconcile`` passes: the calls whose events never succeeded). A call the store
    has no record of (every delivery lost) gets one from the events synthesized."""
    policy = ReconcilePolicy() if policy is None else policy
    workers = _check_concurrency(concurrency)
    ms = now_ms(now)
    if call_ids is None:
        before = ms - min(policy.ongoing_after_ms, policy.ended_after_ms)
        listed = store.open_calls(before, _LIST_LIMIT)
        records = [store.get(call_id) for call_id, _ in listed]
        overdue, settled = _overdue(policy, ms, listed, records)
        for call_id in settled:
            store.settle(call_id)
    else:  # named: never given up on by time
        overdue = dict.fromkeys(_named(call_ids), ms)
    report = ReconcileReport()
    recovered: Counter[str] = Counter()

    def fetch(call_id: str) -> tuple[str, Optional[Call], Optional[str]]:
        try:
            return call_id, client.get_call(call_id), None
        except Exception as err:  # counted in the report; the run goes on
            return call_id, None, error_text(err)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        fetched = (f for batch in _batches(list(overdue), workers) for f in pool.map(fetch, batch))
        for call_id, call, error in fetched:
            _reconcile_one(store, router, report, recovered, call_id, call, error, now)
            if call is not None and _report_missing(
                report,
                policy,
                store.get(call_id),
                overdue[call_id],
                ms,
            ):
                store.settle(call_id)
    report.recovered = dict(recovered)
    return report


def _reconcile_one(
    store: ReconcileStore,
    router: Router,
    report: ReconcileReport,
    recovered: Counter[str],
    call_id: str,
    call: Optional[Call],
    error: Optional[str],
    now: Optional[float],
) -> None:
    """Folds one fetched call in and runs the events it shows that no delivery brought."""
    if call is None:
        report.errors[call_id] = error or "no call"
        return
    report.checked += 1
    record = store.apply_call(call, now=now)
    for name, key, body in synthesize(record or CallRecord(call.id), call):
        data = body.encode()
        event = read_body(data)
        arrival = store.arrive(event, data, now=now)
        if arrival.delivery is None:
            continue
        recovered[name] += 1
        try:
            run_handlers(router, event, arrival.delivery)
        except Exception as err:  # recorded on the delivery: due again, or dead
            store.finish(arrival.delivery, error_text(err), now=now)
            report.failed.append(key)
        else:
            store.finish(arrival.delivery, None, now=now)
    if record is None:  # a record now exists if anything was synthesized: fold the snapshot
        store.apply_call(call, now=now)


def _check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of 1 or more, got {concurrency!r}")
    return concurrency


async def areconcile(
    store: Any,
    client: AsyncCallsClient,
    router: Router,
    *,
    now: Optional[float] = None,
    policy: Optional[ReconcilePolicy] = None,
    concurrency: int = 8,
    call_ids: Optional[Iterable[str]] = None,
) -> ReconcileReport:
    """:func:`reconcile` on an event loop, with an ``AsyncClient``: at most ``concurrency``
    ``get_call`` requests at a time; an asyncio store (``AsyncPostgresStore``) is awaited, a
    blocking store's calls and sync handlers run in a thread."""
    policy = ReconcilePolicy() if policy is None else policy
    workers = _check_concurrency(concurrency)
    ms = now_ms(now)

    async def in_thread(f: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await asyncio.to_thread(f, *args, **kwargs)

    async def store_call(name: str, *args: Any, **kwargs: Any) -> Any:
        method = awaited(store, name)
        if method is not None:
            return await method(*args, **kwargs)
        return await in_thread(getattr(store, name), *args, **kwargs)

    if call_ids is None:
        before = ms - min(policy.ongoing_after_ms, policy.ended_after_ms)
        listed = await store_call("open_calls", before, _LIST_LIMIT)
        records = [await store_call("get", call_id) for call_id, _ in listed]
        overdue, settled = _overdue(policy, ms, listed, records)
        for call_id in settled:
            await store_call("settle", call_id)
    else:  # named: never given up on by time
        overdue = dict.fromkeys(_named(call_ids), ms)

    async def fetch(call_id: str) -> tuple[str, Optional[Call], Optional[str]]:
        try:
            return call_id, await client.get_call(call_id), None
        except Exception as err:  # counted in the report; the run goes on
            return call_id, None, error_text(err)

    report = ReconcileReport()
    recovered: Counter[str] = Counter()
    for batch in _batches(list(overdue), workers):  # at most one batch of calls held
        for call_id, call, error in await asyncio.gather(*(fetch(c) for c in batch)):
            await _areconcile_one(
                store_call,
                in_thread,
                router,
                policy,
                report,
                recovered,
                call_id,
                call,
                error,
                now,
                overdue[call_id],
                ms,
            )
    report.recovered = dict(recovered)
    return report


async def _areconcile_one(
    store_call: Callable[..., Awaitable[Any]],
    in_thread: Callable[..., Awaitable[Any]],
    router: Router,
    policy: ReconcilePolicy,
    report: ReconcileReport,
    recovered: Counter[str],
    call_id: str,
    call: Optional[Call],
    error: Optional[str],
    now: Optional[float],
    changed_at: int,
    ms: int,
) -> None:
    """``_reconcile_one`` for :func:`areconcile`, then settles the call when it is done."""
    if call is None:
        report.errors[call_id] = error or "no call"
        return
    report.checked += 1
    record = await store_call("apply_call", call, now=now)
    for name, key, body in synthesize(record or CallRecord(call.id), call):
        data = body.encode()
        event = read_body(data)
        arrival = await store_call("arrive", event, data, now=now)
        if arrival.delivery is None:
            continue
        recovered[name] += 1
        try:
            await run_handlers_async(router, event, arrival.delivery, partial(in_thread))
        except Exception as err:  # recorded on the delivery: due again, or dead
            await store_call("finish", arrival.delivery, error_text(err), now=now)
            report.failed.append(key)
        else:
            await store_call("finish", arrival.delivery, None, now=now)
    if record is None:
        await store_call("apply_call", call, now=now)
    if _report_missing(report, policy, await store_call("get", call_id), changed_at, ms):
        await store_call("settle", call_id)
