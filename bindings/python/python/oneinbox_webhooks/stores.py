"""Stores that keep each call's record and each delivery's progress, across retries,
reordering, crashes and several workers.

A store keeps, per delivery (by ``dedupe_key(event)``), its raw body and its inbox row
(``oneinbox_webhooks.inbox``: claimed, done, failed or dead), and per call its ``CallRecord``,
into which each new delivery is folded as it arrives: a record costs the size of the event and
the record, never a fold of the call's other deliveries. Every change is one atomic step of the
core's state machine, so workers never run a delivery's handlers twice at once and never lose
an update::

    from oneinbox_webhooks import parse_event
    from oneinbox_webhooks.stores import SQLiteStore

    store = SQLiteStore("calls.sqlite3")

    def handle(body: bytes) -> None:
        event = parse_event(body)
        with store.claim(event, body) as claim:  # done on return, failed (due again) on raise
            if claim.run:
                print(claim.record.status, claim.record.outcome)

``MemoryStore`` keeps everything in this process; ``SQLiteStore`` in one SQLite file shared by
the processes of one machine; ``RedisStore`` in Redis and ``PostgresStore`` (and
``AsyncPostgresStore``, awaited) in PostgreSQL, shared by every machine (their clients are
imported by your code, never by this package; psycopg 3 is the ``[postgres]`` extra). Python and
Node workers can share one Redis or Postgres store: both write the same keys, rows and values.
``record(event)`` (at most once: a delivery recorded before is not new, whatever its handlers
did) and ``get(call_id)`` are the ``Store`` protocol.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from ._events import Event as _Event
from ._native import (
    INBOX_DEFAULT_LEASE_MS,
    INBOX_DEFAULT_MAX_ATTEMPTS,
    MAX_DEPTH_CEILING,
    Call,
    CallRecord,
    InboxPolicy,
    InboxRow,
    Ledger,
    MemoryInbox,
    Recorded,
    parse_event,
)
from ._postgres import AsyncConnections, Connections, label
from ._redis import RedisInbox, Steps
from ._redis import arun as arun_redis
from ._redis import run as run_redis
from ._sql import POSTGRES, SQLITE, AsyncSqlInbox, SqlInbox
from .inbox import (
    DEFAULT_RETENTION,
    Arrival,
    Claim,
    DeadLetter,
    Delivery,
    InboxStore,
    now_ms,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool
    from typing_extensions import Self

    from .inbox import Verdict

__all__ = [
    "AsyncPostgresStore",
    "AsyncRedisClient",
    "MemoryStore",
    "PostgresStore",
    "Recorded",
    "RedisClient",
    "RedisStore",
    "SQLiteStore",
    "Store",
]


@runtime_checkable
class Store(Protocol):
    """What every store offers: ``MemoryStore``, ``SQLiteStore``, ``RedisStore``."""

    def record(self, event: _Event) -> Recorded:
        """Claims the delivery of ``event`` (atomically, across every worker sharing the store)
        and returns whether it is new and the call's record with it."""
        ...

    def get(self, call_id: str) -> CallRecord | None:
        """The record of the call, or ``None`` if no delivery of it was recorded."""
        ...


def _wire_json(event: _Event) -> str:
    """The event's wire form as compact JSON, which ``parse_event`` reads back as an equal event
    with the same dedupe key."""
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _parse_stored(text: str | bytes) -> _Event:
    data = text.encode("utf-8") if isinstance(text, str) else text
    # A stored event was parsed within the core's deepest nesting, so it is read back within
    # it whatever max_depth the first parse had.
    return parse_event(data, max_body_bytes=len(data), max_depth=MAX_DEPTH_CEILING)


def _verdict(name: str) -> Verdict:
    return name  # type: ignore[return-value]  # the core's verdict names, which Verdict lists


def _check_call_id(call_id: object) -> str:
    if not isinstance(call_id, str):
        raise TypeError(f"call_id must be a str, got {type(call_id).__name__}")
    return call_id


class _Inbox:
    """The inbox methods every store shares, over its own ``arrive`` and ``finish``."""

    def claim(self, event: _Event, body: bytes | None = None, *, now: float | None = None) -> Claim:
        """Claims the delivery of ``event`` (``body``: its raw bytes, kept for the worker and a
        replay; the event's wire JSON when not given) for a run of your own::

            with store.claim(event, body) as claim:
                if claim.run:
                    handle(event)

        Leaving the block marks it done, or failed (due again) on an exception."""
        store = cast("InboxStore", self)
        return Claim(store, store.arrive(event, body, now=now))


def _body(event: _Event, body: bytes | None) -> bytes:
    if body is None:
        return _wire_json(event).encode("utf-8")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be bytes, got {type(body).__name__}")
    return bytes(body)


def _check_limit(limit: object, name: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, got {limit!r}")
    return limit


def _check_seconds(value: object, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a non-negative number of seconds, got {value!r}")
    return float(value)


def _age(older_than: float | None) -> float:
    return _check_seconds(DEFAULT_RETENTION if older_than is None else older_than, "older_than")


class MemoryStore(_Inbox):
    """A store in this process's memory (thread-safe): the default for one process.

    It keeps every call's record until the process ends, and at most ``max_deliveries``
    deliveries (the oldest done ones are dropped first). Use ``SQLiteStore``, ``RedisStore`` or
    ``PostgresStore`` to share deliveries between processes or to keep them across restarts:
    here a delivery whose process dies is lost with it. ``lease`` (seconds) and
    ``max_attempts`` set the inbox (see ``oneinbox_webhooks.inbox``)."""

    def __init__(
        self,
        *,
        lease: float = INBOX_DEFAULT_LEASE_MS / 1000,
        max_attempts: int = INBOX_DEFAULT_MAX_ATTEMPTS,
        max_deliveries: int = 100_000,
    ) -> None:
        # The ledger takes its own lock for each call; this one keeps the inbox and the ledger
        # in step for the inbox's methods.
        self._lock = threading.Lock()
        self._ledger = Ledger()
        self._policy = InboxPolicy(lease=lease, max_attempts=max_attempts)
        self._inbox = MemoryInbox(self._policy, _check_limit(max_deliveries, "max_deliveries"))

    def __repr__(self) -> str:
        return f"MemoryStore(calls={len(self._ledger)}, deliveries={len(self._inbox)})"

    @property
    def policy(self) -> InboxPolicy:
        return self._policy

    def record(self, event: _Event) -> Recorded:
        return self._ledger.record(event)

    def get(self, call_id: str) -> CallRecord | None:
        return self._ledger.get(_check_call_id(call_id))

    def arrive(
        self, event: _Event, body: bytes | None = None, *, now: float | None = None
    ) -> Arrival:
        """A delivery of ``event`` arrived: claim it (verdict ``"run"``) unless it is done,
        running elsewhere or dead; with its call's record, the delivery folded in."""
        data, ms = _body(event, body), now_ms(now)
        with self._lock:
            verdict, attempt, retry, key, record = self._inbox.arrive(self._ledger, event, data, ms)
        delivery = (
            None if attempt is None else Delivery(key, event.call_id, event.event, data, attempt)
        )
        return Arrival(_verdict(verdict), key, delivery, retry, record)

    def finish(
        self, delivery: Delivery, error: str | None = None, *, now: float | None = None
    ) -> Verdict:
        """The handlers of ``delivery`` ended (``error``: why they failed): the verdict."""
        ms = now_ms(now)
        with self._lock:
            return _verdict(self._inbox.finish(delivery.key, delivery.attempt, error, ms))

    def release(self, delivery: Delivery, reason: str, *, now: float | None = None) -> Verdict:
        """Gives ``delivery``'s claim back without running it: due now."""
        ms = now_ms(now)
        with self._lock:
            return _verdict(self._inbox.release(delivery.key, delivery.attempt, reason, ms))

    def due(self, *, now: float | None = None, limit: int = 100) -> list[str]:
        """The keys of up to ``limit`` deliveries due now, the longest due first."""
        ms, limit = now_ms(now), _check_limit(limit)
        with self._lock:
            return self._inbox.due(ms, limit)

    def take(self, key: str, *, now: float | None = None) -> tuple[Verdict, Delivery | None]:
        """A worker's claim of the due delivery ``key``: the verdict, and the delivery to run
        for ``"run"``."""
        ms = now_ms(now)
        with self._lock:
            verdict, attempt, call_id, event, body = self._inbox.claim(key, ms)
        if attempt is None or call_id is None or event is None or body is None:
            return _verdict(verdict), None
        return _verdict(verdict), Delivery(key, call_id, event, body, attempt)

    def replay(self, key: str, *, now: float | None = None) -> Verdict:
        """Makes the delivery ``key`` (a dead letter, say) due now, its attempts from 0."""
        ms = now_ms(now)
        with self._lock:
            return _verdict(self._inbox.replay(key, ms))

    def dead(self, *, limit: int = 100) -> list[DeadLetter]:
        """The dead letters, oldest first, with their last error and body."""
        limit = _check_limit(limit)
        with self._lock:
            letters = self._inbox.dead()[:limit]
        return [
            DeadLetter(key, call_id, event, attempts, error, updated / 1000, body)
            for key, call_id, event, attempts, error, updated, body in letters
        ]

    def prune(
        self,
        older_than: float | None = None,
        *,
        include_dead: bool = False,
        now: float | None = None,
    ) -> int:
        """Drops done deliveries last changed ``older_than`` seconds ago or more (default
        ``DEFAULT_RETENTION``; dead letters too with ``include_dead``): how many. The calls'
        records stay."""
        before = now_ms(now) - int(_age(older_than) * 1000)
        with self._lock:
            return self._inbox.prune(before, bool(include_dead))

    def row(self, key: str) -> InboxRow | None:
        """The inbox row of the delivery ``key``, if kept."""
        with self._lock:
            return self._inbox.row(key)

    def open_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]:
        """For ``reconcile``: the open calls (``record_is_open``) whose record last changed at
        or before ``changed_before_ms`` (Unix ms), oldest first, as ``(call_id, changed_at
        ms)``. Costs a pass over the open calls (kept beside the records), never the closed
        ones."""
        with self._lock:
            return self._inbox.open_calls(changed_before_ms, _check_limit(limit))

    def apply_call(self, call: Call, *, now: float | None = None) -> CallRecord | None:
        """Folds the snapshot ``call`` into its call's record: the record, or ``None`` when no
        delivery of the call was recorded."""
        ms = now_ms(now)
        with self._lock:
            applied = self._inbox.apply_call(self._ledger, call, ms)
        return None if applied is None else applied[1]

    def settle(self, call_id: str) -> None:
        """Drops ``call_id`` from the open calls (reconcile found nothing missing)."""
        with self._lock:
            self._inbox.settle(_check_call_id(call_id))


def _setup(conn: sqlite3.Connection, timeout: float, schema: list[str]) -> None:
    """WAL mode and the tables. When several processes open a new file at once, switching the
    journal mode can fail with "database is locked" at once, without waiting for the busy
    timeout (SQLite does not call the busy handler there), so the setup is retried until
    ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            for statement in schema:
                conn.execute(statement)
            return
        except sqlite3.OperationalError as err:
            busy = "locked" in str(err) or "busy" in str(err)
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class _SqlStore(_Inbox):
    """The methods of the stores over ``_sql.SqlInbox`` (``SQLiteStore``, ``PostgresStore``)."""

    _sql: SqlInbox

    @property
    def policy(self) -> InboxPolicy:
        return self._sql.policy

    def record(self, event: _Event) -> Recorded:
        """At most once: records the delivery as done; ``new`` says whether it was new."""
        new, record = self._sql.record(event, _body(event, None), None)
        return Recorded(new, record)

    def get(self, call_id: str) -> CallRecord | None:
        return self._sql.get(_check_call_id(call_id))

    def arrive(
        self, event: _Event, body: bytes | None = None, *, now: float | None = None
    ) -> Arrival:
        """See ``MemoryStore.arrive``."""
        return self._sql.arrive(event, _body(event, body), now)

    def finish(
        self, delivery: Delivery, error: str | None = None, *, now: float | None = None
    ) -> Verdict:
        return self._sql.finish(delivery, error, now)

    def release(self, delivery: Delivery, reason: str, *, now: float | None = None) -> Verdict:
        return self._sql.release(delivery, reason, now)

    def due(self, *, now: float | None = None, limit: int = 100) -> list[str]:
        return self._sql.due(now, _check_limit(limit))

    def take(self, key: str, *, now: float | None = None) -> tuple[Verdict, Delivery | None]:
        return self._sql.take(key, now)

    def replay(self, key: str, *, now: float | None = None) -> Verdict:
        return self._sql.replay(key, now)

    def dead(self, *, limit: int = 100) -> list[DeadLetter]:
        return self._sql.dead(_check_limit(limit))

    def prune(
        self,
        older_than: float | None = None,
        *,
        include_dead: bool = False,
        now: float | None = None,
    ) -> int:
        return self._sql.prune(_age(older_than), bool(include_dead), now)

    def row(self, key: str) -> InboxRow | None:
        return self._sql.row(key)

    def open_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]:
        """See ``MemoryStore.open_calls``: one indexed query on ``oneinbox_open_calls``."""
        return self._sql.open_calls(changed_before_ms, _check_limit(limit))

    def apply_call(self, call: Call, *, now: float | None = None) -> CallRecord | None:
        """See ``MemoryStore.apply_call``."""
        return self._sql.apply_call(call, now)

    def settle(self, call_id: str) -> None:
        """See ``MemoryStore.settle``."""
        self._sql.settle(_check_call_id(call_id))


class SQLiteStore(_SqlStore):
    """A store in one SQLite file (stdlib ``sqlite3``), safe for many threads and processes.

    The file is put in WAL mode and waits up to ``timeout`` seconds for a lock; each thread of
    each process opens its own connection (after a ``fork`` too). The tables are
    ``oneinbox_inbox`` (one row per delivery, with its raw body and inbox state) and
    ``oneinbox_calls`` (each call's folded record), created if missing (DDL in docs/reference.md):
    recording a delivery reads and writes one record, whatever the number of the call's
    deliveries. ``lease`` and ``max_attempts`` set the inbox. Needs SQLite 3.24 or later and
    a local file system (SQLite's locks do not work over NFS). Its calls block: the async
    adapters run them in a thread.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        lease: float = INBOX_DEFAULT_LEASE_MS / 1000,
        max_attempts: int = INBOX_DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._path = os.fspath(path)
        if not isinstance(self._path, str):
            raise TypeError("path must be a str or an os.PathLike of str")
        if self._path in ("", ":memory:") or "mode=memory" in self._path:
            raise ValueError(
                "SQLiteStore needs a file that every connection shares; "
                "use MemoryStore for an in-process store"
            )
        self._timeout = _check_seconds(timeout, "timeout")
        self._policy = InboxPolicy(lease=lease, max_attempts=max_attempts)
        self._sql = SqlInbox(SQLITE, self._transaction, self._policy)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._connection()  # create the file and tables now, so a bad path fails here

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == pid:
            return conn
        # A connection inherited through fork is never used (nor closed) in the child.
        conn = sqlite3.connect(
            self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            _setup(conn, self._timeout, self._sql.schema())
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        self._local.pid = pid
        with self._lock:
            self._opened.append((pid, conn))
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self._connection().cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            # Never leave this thread's connection inside a transaction (holding the lock).
            try:
                cur.execute("ROLLBACK")
            except sqlite3.Error:
                self.close()
            raise

    def close(self) -> None:
        """Closes every connection this process opened (the store reopens one when used)."""
        pid = os.getpid()
        with self._lock:
            mine = [conn for owner, conn in self._opened if owner == pid]
            self._opened = [(owner, conn) for owner, conn in self._opened if owner != pid]
        for conn in mine:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PostgresStore(_SqlStore):
    """A store in PostgreSQL (9.5 or later), shared by every process of every machine, over
    psycopg 3 (the ``[postgres]`` extra; imported when a store is made).

    ``target`` is a DSN (``"postgresql://user@host/db"``: the store opens one connection per
    thread of each process), a ``psycopg.Connection`` (one transaction at a time; give it in
    autocommit mode) or a ``psycopg_pool.ConnectionPool``. The tables (``oneinbox_inbox``,
    ``oneinbox_calls``; DDL in docs/reference.md) are created on first use, or by
    :meth:`migrate`. Each change is one transaction that locks the rows it reads. ``lease``
    and ``max_attempts`` set the inbox. Its calls block: :class:`AsyncPostgresStore` is the one
    to await.

    A handler whose own writes go to the same database makes them commit together with the
    delivery's *done* mark, so they happen exactly once::

        @router.on("call.ended")
        def ended(event: CallEnded) -> None:
            with store.transaction() as conn:
                conn.execute("INSERT INTO invoices (call_id) VALUES (%s)", (event.call_id,))
    """

    def __init__(
        self,
        target: str | psycopg.Connection[Any] | psycopg_pool.ConnectionPool[Any],
        *,
        lease: float = INBOX_DEFAULT_LEASE_MS / 1000,
        max_attempts: int = INBOX_DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._sql = SqlInbox(
            POSTGRES, self._transaction, InboxPolicy(lease=lease, max_attempts=max_attempts)
        )
        self._db = Connections(target, self._sql)

    def __repr__(self) -> str:
        return f"PostgresStore({label(self._db.target)})"

    def _transaction(self) -> AbstractContextManager[Any]:
        return self._db.transaction()

    def migrate(self) -> None:
        """Creates the tables and indexes if missing (the store does it on first use too)."""
        self._db.migrate()

    def transaction(
        self, *, now: float | None = None
    ) -> AbstractContextManager[psycopg.Connection[Any]]:
        """A connection inside one transaction, for a handler's own writes. In a run of a
        delivery (``current_delivery()`` is set), its row is locked first and marked *done* at
        the end of the block, in this transaction: the writes and the mark commit together, or
        neither (an exception rolls both back, and the delivery is due again). When another run
        completed the delivery first, the block's writes are rolled back: they happened once."""
        return self._db.handler_transaction(now)

    def close(self) -> None:
        """Closes the connections this store opened from a DSN in this process (a connection or
        a pool you gave stays open: it is yours)."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPostgresStore:
    """:class:`PostgresStore` for asyncio: the same methods as coroutines, over a DSN (one
    connection of its own, opened on first use), a ``psycopg.AsyncConnection`` or a
    ``psycopg_pool.AsyncConnectionPool``. :func:`~oneinbox_webhooks.inbox.adrain` awaits it;
    its :meth:`transaction` is an ``async with``."""

    def __init__(
        self,
        target: str | psycopg.AsyncConnection[Any] | psycopg_pool.AsyncConnectionPool[Any],
        *,
        lease: float = INBOX_DEFAULT_LEASE_MS / 1000,
        max_attempts: int = INBOX_DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._sql = AsyncSqlInbox(
            POSTGRES, self._transaction, InboxPolicy(lease=lease, max_attempts=max_attempts)
        )
        self._db = AsyncConnections(target, self._sql)

    def __repr__(self) -> str:
        return f"AsyncPostgresStore({label(self._db.target)})"

    def _transaction(self) -> AbstractAsyncContextManager[Any]:
        return self._db.transaction()

    @property
    def policy(self) -> InboxPolicy:
        return self._sql.policy

    @property
    def asynchronous(self) -> bool:
        """``True``: every method is a coroutine."""
        return True

    async def migrate(self) -> None:
        """Creates the tables and indexes if missing (the store does it on first use too)."""
        await self._db.migrate()

    def transaction(
        self, *, now: float | None = None
    ) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]:
        """See ``PostgresStore.transaction``."""
        return self._db.handler_transaction(now)

    async def record(self, event: _Event) -> Recorded:
        """At most once: records the delivery as done; ``new`` says whether it was new."""
        new, record = await self._sql.record(event, _body(event, None), None)
        return Recorded(new, record)

    async def get(self, call_id: str) -> CallRecord | None:
        return await self._sql.get(_check_call_id(call_id))

    async def arrive(
        self, event: _Event, body: bytes | None = None, *, now: float | None = None
    ) -> Arrival:
        """See ``MemoryStore.arrive``."""
        return await self._sql.arrive(event, _body(event, body), now)

    async def finish(
        self, delivery: Delivery, error: str | None = None, *, now: float | None = None
    ) -> Verdict:
        return await self._sql.finish(delivery, error, now)

    async def release(
        self, delivery: Delivery, reason: str, *, now: float | None = None
    ) -> Verdict:
        return await self._sql.release(delivery, reason, now)

    async def due(self, *, now: float | None = None, limit: int = 100) -> list[str]:
        return await self._sql.due(now, _check_limit(limit))

    async def take(self, key: str, *, now: float | None = None) -> tuple[Verdict, Delivery | None]:
        return await self._sql.take(key, now)

    async def replay(self, key: str, *, now: float | None = None) -> Verdict:
        return await self._sql.replay(key, now)

    async def dead(self, *, limit: int = 100) -> list[DeadLetter]:
        return await self._sql.dead(_check_limit(limit))

    async def prune(
        self,
        older_than: float | None = None,
        *,
        include_dead: bool = False,
        now: float | None = None,
    ) -> int:
        return await self._sql.prune(_age(older_than), bool(include_dead), now)

    async def row(self, key: str) -> InboxRow | None:
        return await self._sql.row(key)

    async def open_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]:
        """See ``MemoryStore.open_calls``."""
        return await self._sql.open_calls(changed_before_ms, _check_limit(limit))

    async def apply_call(self, call: Call, *, now: float | None = None) -> CallRecord | None:
        """See ``MemoryStore.apply_call``."""
        return await self._sql.apply_call(call, now)

    async def settle(self, call_id: str) -> None:
        """See ``MemoryStore.settle``."""
        await self._sql.settle(_check_call_id(call_id))

    async def aclose(self) -> None:
        """Closes the connection this store opened from a DSN (yours stay open)."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class RedisClient(Protocol):
    """The commands ``RedisStore`` uses: ``redis.Redis`` (and ``valkey.Valkey``, …) has them."""

    def hgetall(self, name: str, /) -> Any: ...
    def eval(self, script: str, numkeys: int, /, *keys_and_args: Any) -> Any: ...
    def zrangebyscore(self, name: str, min: Any, max: Any, start: int, num: int) -> Any: ...
    def zrange(self, name: str, start: int, end: int, /) -> Any: ...


class AsyncRedisClient(Protocol):
    """The commands ``RedisStore``'s ``a…`` methods await: ``redis.asyncio.Redis`` has them."""

    def hgetall(self, name: str, /) -> Awaitable[Any]: ...
    def eval(self, script: str, numkeys: int, /, *keys_and_args: Any) -> Awaitable[Any]: ...
    def zrangebyscore(
        self, name: str, min: Any, max: Any, start: int, num: int
    ) -> Awaitable[Any]: ...
    def zrange(self, name: str, start: int, end: int, /) -> Awaitable[Any]: ...


class RedisStore(_Inbox):
    """A store in Redis, shared by every process and machine that uses the same server (and by
    the Node package's ``RedisStore``: the same keys and values, see ``_redis.py``).

    Each delivery is one hash with its raw body and inbox row, each call one hash with its folded
    record; every change is a compare-and-set script, so concurrent workers never lose an
    update and recording costs the size of the event and the record. With ``ttl_seconds``, a
    call's record expires that long after its last delivery. Pass a ``redis.Redis`` client and
    call the methods (``record``, ``get``, ``arrive``, ``finish``, …), or a
    ``redis.asyncio.Redis`` client and await the same names with an ``a`` (``arecord``,
    ``aget``, ``aarrive``, ``afinish``, …); either may use ``decode_responses``.
    """

    def __init__(
        self,
        client: RedisClient | AsyncRedisClient,
        *,
        prefix: str = "oneinbox:",
        ttl_seconds: int | None = None,
        lease: float = INBOX_DEFAULT_LEASE_MS / 1000,
        max_attempts: int = INBOX_DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        for command in ("hgetall", "eval", "zrangebyscore", "zrange"):
            if not callable(getattr(client, command, None)):
                raise TypeError(
                    f"client has no {command}() method: pass a redis.Redis or "
                    "redis.asyncio.Redis client"
                )
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
        if ttl_seconds is not None and (
            isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0
        ):
            raise ValueError(f"ttl_seconds must be a positive int or None, got {ttl_seconds!r}")
        self._client = client
        self._prefix = prefix
        self._ttl = ttl_seconds
        self._policy = InboxPolicy(lease=lease, max_attempts=max_attempts)
        self._inbox = RedisInbox(prefix, self._policy, ttl_seconds)
        # redis-py's asyncio clients (and valkey-py's) have `async def execute_command`: known
        # before a command is sent, so the wrong method never claims a delivery it then drops.
        execute = getattr(client, "execute_command", None)
        self._is_async = None if execute is None else inspect.iscoroutinefunction(execute)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r}, ttl_seconds={self._ttl!r})"

    @property
    def asynchronous(self) -> bool | None:
        """``True`` for an asyncio client (await the ``a…`` methods), ``False`` for a blocking
        one, ``None`` when the client does not say (any method may be used)."""
        return self._is_async

    @property
    def policy(self) -> InboxPolicy:
        return self._policy

    def key(self, call_id: str) -> str:
        """The Redis key of a call's record."""
        return self._inbox.record_key(_check_call_id(call_id))

    def _run(self, steps: Steps) -> Any:
        self._require(asynchronous=False)
        return run_redis(self._client, steps, _now)

    async def _arun(self, steps: Steps) -> Any:
        self._require(asynchronous=True)
        return await arun_redis(self._client, steps, _later)

    # ---- blocking -------------------------------------------------------------------------

    def record(self, event: _Event) -> Recorded:
        """At most once: records the delivery as done; ``new`` says whether it was new."""
        new, record = self._run(self._inbox.record(event, _body(event, None), None))
        return Recorded(new, record)

    def get(self, call_id: str) -> CallRecord | None:
        result: CallRecord | None = self._run(self._inbox.get(_check_call_id(call_id)))
        return result

    def arrive(
        self, event: _Event, body: bytes | None = None, *, now: float | None = None
    ) -> Arrival:
        """See ``MemoryStore.arrive``."""
        arrival: Arrival = self._run(self._inbox.arrive(event, _body(event, body), now))
        return arrival

    def finish(
        self, delivery: Delivery, error: str | None = None, *, now: float | None = None
    ) -> Verdict:
        return _verdict(self._run(self._inbox.finish(delivery, error, now)))

    def release(self, delivery: Delivery, reason: str, *, now: float | None = None) -> Verdict:
        return _verdict(self._run(self._inbox.release(delivery, reason, now)))

    def due(self, *, now: float | None = None, limit: int = 100) -> list[str]:
        keys: list[str] = self._run(self._inbox.due(now, _check_limit(limit)))
        return keys

    def take(self, key: str, *, now: float | None = None) -> tuple[Verdict, Delivery | None]:
        taken: tuple[Verdict, Delivery | None] = self._run(self._inbox.take(key, now))
        return taken

    def replay(self, key: str, *, now: float | None = None) -> Verdict:
        return _verdict(self._run(self._inbox.replay(key, now)))

    def dead(self, *, limit: int = 100) -> list[DeadLetter]:
        letters: list[DeadLetter] = self._run(self._inbox.dead(_check_limit(limit)))
        return letters

    def prune(
        self,
        older_than: float | None = None,
        *,
        include_dead: bool = False,
        now: float | None = None,
    ) -> int:
        dropped: int = self._run(self._inbox.prune(_age(older_than), bool(include_dead), now))
        return dropped

    def row(self, key: str) -> InboxRow | None:
        row: InboxRow | None = self._run(self._inbox.row(key))
        return row

    def open_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]:
        """See ``MemoryStore.open_calls``: one ZRANGEBYSCORE on ``{prefix}open``."""
        calls: list[tuple[str, int]] = self._run(
            self._inbox.open_calls(changed_before_ms, _check_limit(limit))
        )
        return calls

    def apply_call(self, call: Call, *, now: float | None = None) -> CallRecord | None:
        """See ``MemoryStore.apply_call``."""
        record: CallRecord | None = self._run(self._inbox.apply_call(call, now))
        return record

    def settle(self, call_id: str) -> None:
        """See ``MemoryStore.settle``."""
        self._run(self._inbox.settle(_check_call_id(call_id)))

    # ---- asyncio --------------------------------------------------------------------------

    async def arecord(self, event: _Event) -> Recorded:
        """``record`` over a ``redis.asyncio.Redis`` client."""
        new, record = await self._arun(self._inbox.record(event, _body(event, None), None))
        return Recorded(new, record)

    async def aget(self, call_id: str) -> CallRecord | None:
        """``get`` over a ``redis.asyncio.Redis`` client."""
        result: CallRecord | None = await self._arun(self._inbox.get(_check_call_id(call_id)))
        return result

    async def aarrive(
        self, event: _Event, body: bytes | None = None, *, now: float | None = None
    ) -> Arrival:
        """``arrive`` over a ``redis.asyncio.Redis`` client."""
        arrival: Arrival = await self._arun(self._inbox.arrive(event, _body(event, body), now))
        return arrival

    async def afinish(
        self, delivery: Delivery, error: str | None = None, *, now: float | None = None
    ) -> Verdict:
        return _verdict(await self._arun(self._inbox.finish(delivery, error, now)))

    async def arelease(
        self, delivery: Delivery, reason: str, *, now: float | None = None
    ) -> Verdict:
        return _verdict(await self._arun(self._inbox.release(delivery, reason, now)))

    async def adue(self, *, now: float | None = None, limit: int = 100) -> list[str]:
        keys: list[str] = await self._arun(self._inbox.due(now, _check_limit(limit)))
        return keys

    async def atake(self, key: str, *, now: float | None = None) -> tuple[Verdict, Delivery | None]:
        taken: tuple[Verdict, Delivery | None] = await self._arun(self._inbox.take(key, now))
        return taken

    async def areplay(self, key: str, *, now: float | None = None) -> Verdict:
        return _verdict(await self._arun(self._inbox.replay(key, now)))

    async def adead(self, *, limit: int = 100) -> list[DeadLetter]:
        letters: list[DeadLetter] = await self._arun(self._inbox.dead(_check_limit(limit)))
        return letters

    async def aprune(
        self,
        older_than: float | None = None,
        *,
        include_dead: bool = False,
        now: float | None = None,
    ) -> int:
        steps = self._inbox.prune(_age(older_than), bool(include_dead), now)
        dropped: int = await self._arun(steps)
        return dropped

    async def arow(self, key: str) -> InboxRow | None:
        row: InboxRow | None = await self._arun(self._inbox.row(key))
        return row

    async def aopen_calls(self, changed_before_ms: int, limit: int = 1000) -> list[tuple[str, int]]:
        calls: list[tuple[str, int]] = await self._arun(
            self._inbox.open_calls(changed_before_ms, _check_limit(limit))
        )
        return calls

    async def aapply_call(self, call: Call, *, now: float | None = None) -> CallRecord | None:
        record: CallRecord | None = await self._arun(self._inbox.apply_call(call, now))
        return record

    async def asettle(self, call_id: str) -> None:
        await self._arun(self._inbox.settle(_check_call_id(call_id)))

    def _require(self, *, asynchronous: bool) -> None:
        if self._is_async is None or self._is_async == asynchronous:
            return
        raise TypeError(_SYNC_CLIENT if asynchronous else _ASYNC_CLIENT)


_ASYNC_CLIENT = (
    "this RedisStore has an asyncio client: await its a… methods "
    "(`await store.arecord(event)`, `await store.aarrive(event, body)`, …)"
)
_SYNC_CLIENT = (
    "this RedisStore has a synchronous client: call its methods without `a` "
    "(`store.record(event)`, `store.arrive(event, body)`, …), or pass a redis.asyncio.Redis client"
)


# Without execute_command to tell, a command's result does: an awaitable from `record` is closed
# unsent; a plain answer in `arecord` is used (the command has run).
def _now(result: Any) -> Any:
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()  # never awaited: close it rather than leak a warning
        raise TypeError(_ASYNC_CLIENT)
    return result


async def _later(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result
