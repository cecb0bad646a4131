"""What every framework adapter does, written once and free of any framework.

An adapter (``oneinbox_webhooks.fastapi``, ``.flask``, ``.django``) reads the method, the
``Content-Type`` and ``Content-Length`` headers, the body, the headers and the query string from
its framework's request, hands them to a ``Webhook`` and turns the ``Answer`` into its
framework's response. The answers themselves are the core's (``answer_*`` of the native module,
the table in ``crates/oneinbox-webhooks/src/answer.rs`` and ``tests/fixtures/answers/``):

- 405 (``Allow: POST``) for any method but POST;
- 415 unless the content type is ``application/json`` (parameters allowed) or an
  ``application/<name>+json`` type, with a JSON body naming the accepted types and the one
  received, logged at WARNING;
- 413 when ``Content-Length`` (before the body is read) or the body is over the receiver's
  ``max_body_bytes``;
- 401 ``{"error": <code>, "message": ...}`` when ``Receiver.receive`` does not authenticate the
  delivery, logged at WARNING with the code (e.g. ``token_mismatch``); the 401 and 415 lines go
  through the core's ``RefusalLog`` (10 per reason per minute, then one summary line), one per
  adapter;
- 400 ``{"issues": [{"code", "path", "message"}]}`` when the payload is invalid;
- with a store, the delivery arrives in its inbox (``oneinbox_webhooks.inbox``): a delivery
  whose handlers completed before is answered 204 without running them again, one that another
  worker runs now 409 with ``Retry-After``, a dead letter 204; 500 when the store fails. With
  ``at_most_once=True`` it is only recorded, as before the inbox: a copy recorded before is
  answered 204 even if its handlers failed;
- the router's handlers for the event run: 204 when they return, 500 with no detail when one
  raises (with a store, the delivery is then due again: OneInbox's retry or the worker runs it),
  and 202 when they take longer than ``ack_timeout`` seconds (they go on running; with a store
  their end is recorded, and a failure makes the delivery due for the worker).

This file does the I/O between the steps: threads, the event loop, the store and the router.
Each answer says what to log, at which level, on the ``oneinbox_webhooks`` logger (with the
exception caught, if any): never the request URL (it carries the URL token), a header or a
secret, only the event name and call id. An adapter made without a store logs the core's
warning once, when it is made: a retried delivery runs its handlers again.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._events import Event as _Event
from ._native import (
    Answer,
    AuthenticationError,
    Receiver,
    RefusalLog,
    ValidationError,
    answer_after_claim,
    answer_after_handlers,
    answer_after_read,
    answer_after_receive,
    answer_after_store,
    answer_before_body,
    answer_late_failure,
    answer_late_failure_due,
    answer_no_store_warning,
)
from .inbox import (
    Arrival,
    Delivery,
    InboxStore,
    awaited,
    error_text,
    run_handlers,
    run_handlers_async,
)
from .router import Router
from .stores import MemoryStore, Store

__all__ = ["DEFAULT_ACK_TIMEOUT", "DEFAULT_PATH", "Answer", "Webhook", "logger"]

_T = TypeVar("_T")
if TYPE_CHECKING:
    # How an async framework runs blocking code (a sync handler, a SQLite store) off its loop.
    _RunSync = Callable[[Callable[[], _T]], Awaitable[_T]]

logger = logging.getLogger("oneinbox_webhooks")

DEFAULT_PATH = "/webhooks/oneinbox"
DEFAULT_ACK_TIMEOUT = 5.0
"""Seconds a handler may take before the delivery is answered 202 (OneInbox then does not
retry it) while the handler goes on."""

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def _log(level: str, line: str, error: BaseException | None = None) -> None:
    """Logs the core's line at its level, with the exception caught (if any)."""
    if level in _LEVELS:
        exc_info = None if error is None else (type(error), error, error.__traceback__)
        logger.log(_LEVELS[level], "%s", line, exc_info=exc_info)


def _told(answer: Answer, error: BaseException | None = None) -> Answer:
    """``answer``, once its log line is logged."""
    _log(answer.log_level, answer.log_line, error)
    return answer


def _refused(answer: Answer, refusals: RefusalLog) -> Answer:
    """``answer``, once its log line is logged; a refusal's (401, 415) as ``refusals`` allows,
    so that a flood of them cannot fill the logs."""
    if answer.reason is None:
        return _told(answer)
    now_ms = time.time_ns() // 1_000_000
    for level, line in refusals.admit(answer.reason, answer.log_level, answer.log_line, now_ms):
        _log(level, line)
    return answer


def _check_ack_timeout(ack_timeout: object) -> float | None:
    if ack_timeout is None:
        return None
    if (
        isinstance(ack_timeout, bool)
        or not isinstance(ack_timeout, (int, float))
        or not math.isfinite(ack_timeout)
        or ack_timeout <= 0
    ):
        raise ValueError(
            f"ack_timeout must be a positive number of seconds or None, got {ack_timeout!r}"
        )
    return float(ack_timeout)


def _awaits_store(store: object) -> bool:
    """Whether ``store`` must be awaited: a ``RedisStore`` over a ``redis.asyncio`` client, or
    a store whose methods are coroutines (``AsyncPostgresStore``)."""
    return (
        getattr(store, "asynchronous", None) is True and callable(getattr(store, "arecord", None))
    ) or awaited(store, "arrive") is not None


def _handled(
    event: _Event,
    handled: Literal["done", "failed", "late"],
    error: BaseException | None = None,
) -> Answer:
    return _told(answer_after_handlers(event.event, event.call_id, handled), error)


def _failed_late(event: _Event, error: BaseException, delivery: Delivery | None = None) -> None:
    late = answer_late_failure if delivery is None else answer_late_failure_due
    _log(*late(event.event, event.call_id), error)


def _inbox_of(store: object) -> bool:
    """Whether ``store`` keeps an inbox (``arrive``/``finish``): at-least-once handlers."""
    return callable(getattr(store, "arrive", None)) and callable(getattr(store, "finish", None))


def _claimed(event: _Event, arrive: Callable[[], Arrival]) -> Answer | Delivery:
    """Asks the store's inbox for the delivery: the answer, or the delivery to run."""
    try:
        arrival = arrive()
    except Exception as err:  # answered 500 and logged
        return _told(answer_after_store(event.event, event.call_id, "failed"), err)
    return _verdict(event, arrival)


def _verdict(event: _Event, arrival: Arrival) -> Answer | Delivery:
    answer = answer_after_claim(
        event.event, event.call_id, arrival.verdict, arrival.retry_after_ms or 0
    )
    if answer is not None:
        return _told(answer)
    assert arrival.delivery is not None  # the verdict is "run"
    return arrival.delivery


def _finish_failed(event: _Event, error: BaseException) -> None:
    logger.error(
        "oneinbox-webhooks: store.finish failed for %r of call %r; the delivery is due again "
        "when its lease ends",
        event.event,
        event.call_id,
        exc_info=(type(error), error, error.__traceback__),
    )


class Webhook:
    """One webhook endpoint: authenticates with ``receiver``, records with ``store`` (if any),
    dispatches with ``router``. ``framework`` names the adapter in error messages."""

    __slots__ = (
        "_ack_timeout",
        "_inbox",
        "_receiver",
        "_refusals",
        "_router",
        "_store",
        "_store_awaited",
    )

    def __init__(
        self,
        receiver: Receiver,
        router: Router,
        *,
        store: Store | None,
        ack_timeout: float | None,
        framework: str,
        asynchronous: bool,
        at_most_once: bool = False,
    ) -> None:
        if not isinstance(receiver, Receiver):
            raise TypeError(f"receiver must be a Receiver, got {type(receiver).__name__}")
        if not isinstance(router, Router):
            raise TypeError(f"router must be a Router, got {type(router).__name__}")
        if store is not None and not callable(getattr(store, "record", None)):
            raise TypeError(
                f"store must have a record(event) method (MemoryStore, SQLiteStore, RedisStore), "
                f"got {type(store).__name__}"
            )
        if not isinstance(at_most_once, bool):
            raise TypeError(f"at_most_once must be a bool, got {type(at_most_once).__name__}")
        self._inbox: InboxStore | None = (
            store if store is not None and not at_most_once and _inbox_of(store) else None  # type: ignore[assignment]
        )
        self._store_awaited = _awaits_store(store)
        if self._store_awaited and not asynchronous:
            raise TypeError(
                f"this {type(store).__name__} has an asyncio client, which {framework} cannot "
                "await: give it a blocking client (redis.Redis, a psycopg Connection)"
            )
        self._receiver = receiver
        self._router = router
        self._store = store
        self._ack_timeout = _check_ack_timeout(ack_timeout)
        self._refusals = RefusalLog()  # 10 log lines per reason per minute, then a summary
        if store is None:
            _log(*answer_no_store_warning())

    @property
    def max_body_bytes(self) -> int:
        return self._receiver.max_body_bytes

    # ---- before and while the body is read ------------------------------------------------

    def precheck(
        self,
        method: str | None,
        content_type: str | None,
        content_length: str | int | None,
    ) -> Answer | None:
        """405, 415 or 413 from the request line and headers alone; ``None``: read the body."""
        length = None if content_length is None else str(content_length)
        answer = answer_before_body(method, content_type, length, self.max_body_bytes)
        return None if answer is None else _refused(answer, self._refusals)

    def over_limit(self) -> Answer:
        """413 for a body found longer than ``max_body_bytes`` while reading it."""
        return _told(answer_after_read("over_limit", self.max_body_bytes))

    def body_unreadable(self, fix: str) -> Answer:
        """500 for a body something else read first; the log line says how to ``fix`` it."""
        return _told(answer_after_read("already_read", self.max_body_bytes, fix=fix))

    # ---- after the body is read -------------------------------------------------------------

    def _receive(self, body: bytes, headers: Any, query: str) -> Answer | _Event:
        answer = answer_after_read("body", self.max_body_bytes, length=len(body))
        if answer is not None:
            return _told(answer)
        try:
            return self._receiver.receive(body, headers=headers, url=query)
        except AuthenticationError as err:
            answer = answer_after_receive("unauthenticated", code=err.verification.code)
            return _refused(answer, self._refusals)
        except ValidationError as err:
            return _told(answer_after_receive("invalid", issues=err.issues))
        except Exception as err:  # a bug, not the sender's: answered 500 and logged
            return _told(answer_after_receive("failed"), err)

    @staticmethod
    def _stored(event: _Event, record: Callable[[], Any]) -> Answer | None:
        """Records the event with ``record()``: the answer, or ``None`` to run the handlers."""
        try:
            stored: Literal["new", "repeat"] = "new" if record().new else "repeat"
        except Exception as err:  # answered 500 and logged
            return _told(answer_after_store(event.event, event.call_id, "failed"), err)
        answer = answer_after_store(event.event, event.call_id, stored)
        return None if answer is None else _told(answer)

    def _awaits_handlers(self, event: _Event) -> bool:
        return self._router.has_async_handlers(event)

    def _dispatch(self, event: _Event, delivery: Delivery | None = None) -> None:
        """Runs the handlers in this thread (async ones in a new event loop)."""
        if delivery is not None:
            run_handlers(self._router, event, delivery)
        elif self._awaits_handlers(event):
            asyncio.run(self._router.dispatch_async(event))
        else:
            self._router.dispatch(event)

    def _finish(self, event: _Event, delivery: Delivery, error: BaseException | None) -> bool:
        """Tells the inbox how the handlers ended; False when the store failed (logged)."""
        assert self._inbox is not None
        try:
            self._inbox.finish(delivery, None if error is None else error_text(error))
        except Exception as err:  # the lease runs out and the delivery is due again
            _finish_failed(event, err)
            return False
        return True

    # ---- sync frameworks ----------------------------------------------------------------------

    def respond(self, body: bytes, headers: Any, query: str) -> Answer:
        """The answer to a POST whose precheck passed: authenticate, record, handle. The
        handlers run in a thread of their own, so that the delivery can be answered 202 after
        ``ack_timeout`` seconds while they go on."""
        event = self._receive(body, headers, query)
        if isinstance(event, Answer):
            return event
        store, inbox, delivery = self._store, self._inbox, None
        if inbox is not None:
            claimed = _claimed(event, lambda: inbox.arrive(event, body))
            if isinstance(claimed, Answer):
                return claimed
            delivery = claimed
        elif store is not None:
            answer = self._stored(event, lambda: store.record(event))
            if answer is not None:
                return answer
        if self._ack_timeout is None:
            return _Job(self, event, delivery).run_here()
        job = _Job(self, event, delivery)
        context = contextvars.copy_context()
        # Not a daemon: handlers answered 202 finish before the interpreter exits.
        threading.Thread(
            target=context.run, args=(job.run,), name=f"oneinbox-webhook-{event.event}"
        ).start()
        return job.answer(self._ack_timeout)

    # ---- async frameworks ---------------------------------------------------------------------

    async def respond_async(
        self, body: bytes, headers: Any, query: str, run_sync: _RunSync[Any]
    ) -> Answer:
        """``respond`` on an event loop: async handlers (and an asyncio Redis store) are awaited
        on it, blocking ones (sync handlers, SQLite) run through ``run_sync`` in a thread."""
        event = self._receive(body, headers, query)
        if isinstance(event, Answer):
            return event
        store, inbox, delivery = self._store, self._inbox, None
        if inbox is not None:
            try:
                arrive = awaited(inbox, "arrive")
                if arrive is not None:
                    arrival: Arrival = await arrive(event, body)
                elif isinstance(inbox, MemoryStore):
                    arrival = inbox.arrive(event, body)  # in memory: no need for a thread
                else:
                    arrival = await run_sync(lambda: inbox.arrive(event, body))
            except Exception as err:  # answered 500 and logged
                return _told(answer_after_store(event.event, event.call_id, "failed"), err)
            claimed = _verdict(event, arrival)
            if isinstance(claimed, Answer):
                return claimed
            delivery = claimed
        elif store is not None:
            try:
                record = awaited(store, "record")
                if record is not None:
                    recorded = await record(event)
                elif isinstance(store, MemoryStore):
                    recorded = store.record(event)  # in memory: no need for a thread
                else:
                    recorded = await run_sync(lambda: store.record(event))
            except Exception as err:  # answered 500 and logged
                return _told(answer_after_store(event.event, event.call_id, "failed"), err)
            answer = self._stored(event, lambda: recorded)
            if answer is not None:
                return answer
        handlers = asyncio.ensure_future(self._handle_async(event, delivery, run_sync))
        _RUNNING.add(handlers)  # the loop keeps only a weak reference to a task
        handlers.add_done_callback(_RUNNING.discard)
        try:
            done, _ = await asyncio.wait({handlers}, timeout=self._ack_timeout)
        except asyncio.CancelledError:  # the client went away: the handlers go on
            handlers.add_done_callback(lambda f: _finished_late(event, f, delivery))
            raise
        if not done:
            handlers.add_done_callback(lambda f: _finished_late(event, f, delivery))
            return _handled(event, "late")
        error = handlers.exception() if not handlers.cancelled() else asyncio.CancelledError()
        if error is not None:
            return _handled(event, "failed", error)
        return _handled(event, "done")

    async def _handle_async(
        self, event: _Event, delivery: Delivery | None, run_sync: _RunSync[Any]
    ) -> None:
        """The handlers on the loop, then (with an inbox) their end told to the store; raises
        what a handler raised, or a store failure after handlers that completed."""
        if delivery is None:
            if self._awaits_handlers(event):
                await self._router.dispatch_async(event)
            else:
                await run_sync(lambda: self._router.dispatch(event))
            return
        error: BaseException | None = None
        try:
            await run_handlers_async(self._router, event, delivery, run_sync)
        except Exception as err:  # told to the store, then to the request or the log
            error = err
        inbox = self._inbox
        assert inbox is not None
        text = None if error is None else error_text(error)
        try:
            finish = awaited(inbox, "finish")
            if finish is not None:
                await finish(delivery, text)
            elif isinstance(inbox, MemoryStore):
                inbox.finish(delivery, text)
            else:
                await run_sync(lambda: inbox.finish(delivery, text))
        except Exception as err:  # the lease runs out and the delivery is due again
            _finish_failed(event, err)
            if error is None:
                raise
        if error is not None:
            raise error


def _finished_late(
    event: _Event, handlers: asyncio.Future[Any], delivery: Delivery | None = None
) -> None:
    err = asyncio.CancelledError() if handlers.cancelled() else handlers.exception()
    if err is not None:
        _failed_late(event, err, delivery)


_RUNNING: set[asyncio.Future[Any]] = set()


class _Job:
    """The handlers of one event in a thread, and who answers for them: the request, if they
    finish within the timeout, else the thread itself (which then logs a failure)."""

    __slots__ = ("_answered", "_delivery", "_done", "_error", "_event", "_lock", "_webhook")

    def __init__(self, webhook: Webhook, event: _Event, delivery: Delivery | None) -> None:
        self._webhook = webhook
        self._event = event
        self._delivery = delivery
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._answered = False

    def _handle(self) -> BaseException | None:
        """Runs the handlers, then (with an inbox) tells the store how they ended: what a
        handler raised, or the store's failure after handlers that completed."""
        error: BaseException | None = None
        try:
            self._webhook._dispatch(self._event, self._delivery)
        except BaseException as err:  # reported to the request or the log
            error = err
        if self._delivery is not None:
            stored = self._webhook._finish(self._event, self._delivery, error)
            if not stored and error is None:
                error = RuntimeError("store.finish failed")
        return error

    def run_here(self) -> Answer:
        """Runs the handlers in this thread, without a time limit: the answer."""
        error = self._handle()
        if error is not None:
            if not isinstance(error, Exception):
                raise error
            return _handled(self._event, "failed", error)
        return _handled(self._event, "done")

    def run(self) -> None:
        error = self._handle()
        with self._lock:
            self._error = error
            late = self._answered
            self._done.set()
        if error is not None and late:
            _failed_late(self._event, error, self._delivery)

    def answer(self, timeout: float) -> Answer:
        self._done.wait(timeout)
        with self._lock:
            if not self._done.is_set():
                self._answered = True
                return _handled(self._event, "late")
            error = self._error
        if error is not None:
            return _handled(self._event, "failed", error)
        return _handled(self._event, "done")


def missing_framework(framework: str, extra: str) -> ImportError:
    """The ImportError an adapter raises when its framework is not installed."""
    return ImportError(
        f"oneinbox_webhooks.{extra} needs {framework}, an optional dependency: "
        f'pip install "oneinbox-webhooks[{extra}]"'
    )
