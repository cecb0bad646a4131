"""What every framework adapter does, written once and free of any framework.

An adapter (``oneinbox_webhooks.fastapi``, ``.flask``, ``.django``) reads the method, the
``Content-Type`` and ``Content-Length`` headers, the body, the headers and the query string from
its framework's request, hands them to a ``Webhook`` and turns the ``Answer`` into its
framework's response:

- 405 (``Allow: POST``) for any method but POST;
- 415 unless the content type is ``application/json`` (parameters allowed) or a ``+json`` type;
- 413 when ``Content-Length`` (before the body is read) or the body is over the receiver's
  ``max_body_bytes``;
- 401, with no detail, when ``Receiver.receive`` does not authenticate the delivery;
- 400 ``{"issues": [{"code", "path", "message"}]}`` when the payload is invalid;
- with a store, the delivery is recorded; a delivery recorded before (``Recorded.new`` false,
  a retry) is answered 204 and its handlers do not run again;
- the router's handlers for the event run: 204 when they return, 500 with no detail when one
  raises, and 202 when they take longer than ``ack_timeout`` seconds (they go on running).

Nothing logged ever holds the request URL (it carries the URL token), a header or a secret:
failures are logged on the ``oneinbox_webhooks`` logger with the event name and call id.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._events import Event as _Event
from ._native import (
    AuthenticationError,
    Receiver,
    ValidationError,
)
from .router import Router
from .stores import MemoryStore, Recorded, Store

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


@dataclass(frozen=True)
class Answer:
    """A response: status, body (empty, or JSON) and headers."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


NO_CONTENT = Answer(204)
ACCEPTED = Answer(202)
UNAUTHORIZED = Answer(401)
NOT_ALLOWED = Answer(405, headers=(("Allow", "POST"),))
TOO_LARGE = Answer(413)
UNSUPPORTED_MEDIA_TYPE = Answer(415)
FAILED = Answer(500)


def _invalid(err: ValidationError) -> Answer:
    issues = [{"code": i.code, "path": i.path, "message": i.message} for i in err.issues]
    body = json.dumps({"issues": issues}, ensure_ascii=False, separators=(",", ":"))
    return Answer(400, body.encode("utf-8"), (("Content-Type", "application/json"),))


def is_json(content_type: str | None) -> bool:
    """``application/json`` (with any parameters) or a ``+json`` type such as
    ``application/cloudevents+json``; a missing content type is not JSON."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def declared_length(value: str | int | None) -> int | None:
    """The ``Content-Length`` header as a number, ``None`` when absent or not a number (the
    server rejects those)."""
    if value is None or isinstance(value, int):
        return value
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 18 else 1 << 63  # int() refuses 4,300 digits and more


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
    """Whether ``store`` must be awaited: a ``RedisStore`` over a ``redis.asyncio`` client."""
    return getattr(store, "_is_async", None) is True and callable(getattr(store, "arecord", None))


def _label(event: _Event) -> tuple[str, str]:
    return event.event, event.call_id


class Webhook:
    """One webhook endpoint: authenticates with ``receiver``, records with ``store`` (if any),
    dispatches with ``router``. ``framework`` names the adapter in error messages."""

    __slots__ = ("_ack_timeout", "_receiver", "_router", "_store", "_store_awaited")

    def __init__(
        self,
        receiver: Receiver,
        router: Router,
        *,
        store: Store | None,
        ack_timeout: float | None,
        framework: str,
        asynchronous: bool,
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
        self._store_awaited = _awaits_store(store)
        if self._store_awaited and not asynchronous:
            raise TypeError(
                f"this RedisStore has a redis.asyncio client, which {framework} cannot await: "
                "give it a redis.Redis client"
            )
        self._receiver = receiver
        self._router = router
        self._store = store
        self._ack_timeout = _check_ack_timeout(ack_timeout)

    @property
    def max_body_bytes(self) -> int:
        return self._receiver.max_body_bytes

    # ---- before the body is read ----------------------------------------------------------

    def precheck(
        self,
        method: str | None,
        content_type: str | None,
        content_length: str | int | None,
    ) -> Answer | None:
        """405, 415 or 413 from the request line and headers alone; ``None``: read the body."""
        if (method or "").upper() != "POST":
            return NOT_ALLOWED
        if not is_json(content_type):
            return UNSUPPORTED_MEDIA_TYPE
        length = declared_length(content_length)
        if length is not None and length > self.max_body_bytes:
            return TOO_LARGE
        return None

    def body_unreadable(self, fix: str) -> Answer:
        """500 for a body something else read first; the log line says how to fix it."""
        logger.error(
            "OneInbox webhook: the request body was read before, so it cannot be authenticated: %s",
            fix,
        )
        return FAILED

    # ---- after the body is read -------------------------------------------------------------

    def _receive(self, body: bytes, headers: Any, query: str) -> Answer | _Event:
        if len(body) > self.max_body_bytes:
            return TOO_LARGE
        try:
            return self._receiver.receive(body, headers=headers, url=query)
        except AuthenticationError as err:
            logger.info("OneInbox webhook: delivery not authenticated (%s)", err.verification.code)
            return UNAUTHORIZED
        except ValidationError as err:
            if any(issue.code == "too_large" for issue in err.issues):
                return TOO_LARGE
            logger.info("OneInbox webhook: invalid payload (%d issues)", len(err.issues))
            return _invalid(err)
        except Exception:  # a bug, not the sender's: answered 500 and logged
            logger.exception("OneInbox webhook: the delivery could not be received")
            return FAILED

    def _recorded(self, event: _Event, recorded: Recorded) -> Answer | None:
        if recorded.new:
            return None
        logger.debug("OneInbox webhook: %s of call %r already recorded", *_label(event))
        return NO_CONTENT

    def _store_failed(self, event: _Event) -> Answer:
        logger.exception("OneInbox webhook: could not record %s of call %r", *_label(event))
        return FAILED

    def _handler_failed(self, event: _Event, err: BaseException, *, late: bool) -> None:
        name, call_id = _label(event)
        logger.error(
            "OneInbox webhook: a handler for %s of call %r raised %s%s",
            name,
            call_id,
            type(err).__name__,
            " (after the delivery was answered 202)" if late else "",
            exc_info=(type(err), err, err.__traceback__),
        )

    def _awaits_handlers(self, event: _Event) -> bool:
        return any(route.is_async for route in self._router._routes_for(event))

    def _dispatch(self, event: _Event) -> None:
        """Runs the handlers in this thread (async ones in a new event loop)."""
        if self._awaits_handlers(event):
            asyncio.run(self._router.dispatch_async(event))
        else:
            self._router.dispatch(event)

    # ---- sync frameworks ----------------------------------------------------------------------

    def respond(self, body: bytes, headers: Any, query: str) -> Answer:
        """The answer to a POST whose precheck passed: authenticate, record, handle. The
        handlers run in a thread of their own, so that the delivery can be answered 202 after
        ``ack_timeout`` seconds while they go on."""
        event = self._receive(body, headers, query)
        if isinstance(event, Answer):
            return event
        if self._store is not None:
            try:
                recorded = self._store.record(event)
            except Exception:  # answered 500 and logged
                return self._store_failed(event)
            duplicate = self._recorded(event, recorded)
            if duplicate is not None:
                return duplicate
        if self._ack_timeout is None:
            try:
                self._dispatch(event)
            except Exception as err:  # answered 500 and logged
                self._handler_failed(event, err, late=False)
                return FAILED
            return NO_CONTENT
        job = _Job(self, event)
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
        store = self._store
        if store is not None:
            try:
                if self._store_awaited:
                    recorded: Recorded = await store.arecord(event)  # type: ignore[attr-defined]
                elif isinstance(store, MemoryStore):
                    recorded = store.record(event)  # in memory: no need for a thread
                else:
                    recorded = await run_sync(lambda: store.record(event))
            except Exception:  # answered 500 and logged
                return self._store_failed(event)
            duplicate = self._recorded(event, recorded)
            if duplicate is not None:
                return duplicate
        handlers: asyncio.Future[Any]
        if self._awaits_handlers(event):
            handlers = asyncio.ensure_future(self._router.dispatch_async(event))
        else:
            handlers = asyncio.ensure_future(run_sync(lambda: self._router.dispatch(event)))
        _RUNNING.add(handlers)  # the loop keeps only a weak reference to a task
        handlers.add_done_callback(_RUNNING.discard)
        try:
            done, _ = await asyncio.wait({handlers}, timeout=self._ack_timeout)
        except asyncio.CancelledError:  # the client went away: the handlers go on
            handlers.add_done_callback(lambda f: self._finished_late(event, f))
            raise
        if not done:
            handlers.add_done_callback(lambda f: self._finished_late(event, f))
            return ACCEPTED
        err = handlers.exception() if not handlers.cancelled() else asyncio.CancelledError()
        if err is not None:
            self._handler_failed(event, err, late=False)
            return FAILED
        return NO_CONTENT

    def _finished_late(self, event: _Event, handlers: asyncio.Future[Any]) -> None:
        err = asyncio.CancelledError() if handlers.cancelled() else handlers.exception()
        if err is not None:
            self._handler_failed(event, err, late=True)


_RUNNING: set[asyncio.Future[Any]] = set()


class _Job:
    """The handlers of one event in a thread, and who answers for them: the request, if they
    finish within the timeout, else the thread itself (which then logs a failure)."""

    __slots__ = ("_answered", "_done", "_error", "_event", "_lock", "_webhook")

    def __init__(self, webhook: Webhook, event: _Event) -> None:
        self._webhook = webhook
        self._event = event
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._answered = False

    def run(self) -> None:
        error: BaseException | None = None
        try:
            self._webhook._dispatch(self._event)
        except BaseException as err:  # reported to the request or the log
            error = err
        with self._lock:
            self._error = error
            late = self._answered
            self._done.set()
        if error is not None and late:
            self._webhook._handler_failed(self._event, error, late=True)

    def answer(self, timeout: float) -> Answer:
        self._done.wait(timeout)
        with self._lock:
            if not self._done.is_set():
                self._answered = True
                return ACCEPTED
            error = self._error
        if error is not None:
            self._webhook._handler_failed(self._event, error, late=False)
            return FAILED
        return NO_CONTENT


def missing_framework(framework: str, extra: str) -> ImportError:
    """The ImportError an adapter raises when its framework is not installed."""
    return ImportError(
        f"oneinbox_webhooks.{extra} needs {framework}, an optional dependency: "
        f'pip install "oneinbox-webhooks[{extra}]"'
    )
