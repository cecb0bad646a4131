"""Stores that keep each call's record across retries, reordering and several workers.

A store keeps, per call, the set of deliveries it has seen, keyed by ``dedupe_key(event)``, and
the call's ``CallRecord`` is the fold of that set. The fold ignores order and repetition, so
concurrent writers need no lock: claiming a delivery is one atomic insert (``HSETNX`` in Redis,
``INSERT … ON CONFLICT DO NOTHING`` in SQLite), and any worker can compute the record::

    from oneinbox_webhooks import parse_event
    from oneinbox_webhooks.stores import SQLiteStore

    store = SQLiteStore("calls.sqlite3")

    def handle(body: bytes) -> None:
        recorded = store.record(parse_event(body))
        if not recorded.new:
            return  # a retry of a delivery some worker has already recorded
        print(recorded.record.status, recorded.record.outcome)

``MemoryStore`` keeps everything in this process; ``SQLiteStore`` in one SQLite file shared by
the processes of one machine; ``RedisStore`` in Redis, shared by every machine (``redis`` is
imported by your code, never by this package). Each has ``record(event) -> Recorded`` and
``get(call_id) -> CallRecord | None``, the ``Store`` protocol.

SQLite and Redis keep each delivery's event as its wire JSON; a record is folded from them on
every ``record`` and ``get``, so a call with many deliveries costs one parse per delivery per
call. Python and Node workers can share one Redis store: both write the same keys and values.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._events import Event as _Event
from ._native import (
    MAX_DEPTH_CEILING,
    CallRecord,
    Ledger,
    Recorded,
    dedupe_key,
    parse_event,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AsyncRedisClient",
    "MemoryStore",
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


def _fold(call_id: str, stored: Iterable[str | bytes]) -> CallRecord:
    record = CallRecord(call_id)
    for text in stored:
        record.apply(_parse_stored(text))
    return record


def _check_call_id(call_id: object) -> str:
    if not isinstance(call_id, str):
        raise TypeError(f"call_id must be a str, got {type(call_id).__name__}")
    return call_id


class MemoryStore:
    """A store in this process's memory (thread-safe): the default for one process.

    It keeps every call it has seen until the process ends; use ``SQLiteStore`` or
    ``RedisStore`` to share deliveries between processes or to keep them across restarts."""

    def __init__(self) -> None:
        # The ledger takes its own lock for each call: no lock here.
        self._ledger = Ledger()

    def __repr__(self) -> str:
        return f"MemoryStore(calls={len(self._ledger)})"

    def record(self, event: _Event) -> Recorded:
        return self._ledger.record(event)

    def get(self, call_id: str) -> CallRecord | None:
        return self._ledger.get(_check_call_id(call_id))


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS oneinbox_deliveries (
    call_id TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (call_id, dedupe_key)
) WITHOUT ROWID
"""
_SQLITE_INSERT = (
    "INSERT INTO oneinbox_deliveries (call_id, dedupe_key, event) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_SQLITE_SELECT = "SELECT event FROM oneinbox_deliveries WHERE call_id = ?"


def _setup(conn: sqlite3.Connection, timeout: float) -> None:
    """WAL mode and the table. When several processes open a new file at once, switching the
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
            conn.execute(_SQLITE_SCHEMA)
            return
        except sqlite3.OperationalError as err:
            busy = "locked" in str(err) or "busy" in str(err)
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class SQLiteStore:
    """A store in one SQLite file (stdlib ``sqlite3``), safe for many threads and processes.

    The file is put in WAL mode and waits up to ``timeout`` seconds for a lock; each thread of
    each process opens its own connection (after a ``fork`` too). The table is
    ``oneinbox_deliveries(call_id, dedupe_key, event)``, created if missing; delete a call's
    rows to forget it. Needs SQLite 3.24 or later (``ON CONFLICT``), and a local file system:
    SQLite's locks do not work over NFS.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self._path = os.fspath(path)
        if not isinstance(self._path, str):
            raise TypeError("path must be a str or an os.PathLike of str")
        if self._path in ("", ":memory:") or "mode=memory" in self._path:
            raise ValueError(
                "SQLiteStore needs a file that every connection shares; "
                "use MemoryStore for an in-process store"
            )
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout < 0
        ):
            raise ValueError(f"timeout must be a non-negative number of seconds, got {timeout!r}")
        self._timeout = float(timeout)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._connection()  # create the file and table now, so a bad path fails here

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
            _setup(conn, self._timeout)
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        self._local.pid = pid
        with self._lock:
            self._opened.append((pid, conn))
        return conn

    def record(self, event: _Event) -> Recorded:
        key = dedupe_key(event)
        text = _wire_json(event)
        conn = self._connection()
        new = conn.execute(_SQLITE_INSERT, (event.call_id, key, text)).rowcount == 1
        rows = conn.execute(_SQLITE_SELECT, (event.call_id,)).fetchall()
        return Recorded(new, _fold(event.call_id, (row[0] for row in rows)))

    def get(self, call_id: str) -> CallRecord | None:
        rows = self._connection().execute(_SQLITE_SELECT, (_check_call_id(call_id),)).fetchall()
        return _fold(call_id, (row[0] for row in rows)) if rows else None

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


class RedisClient(Protocol):
    """The commands ``RedisStore.record``/``get`` use: ``redis.Redis`` (and ``RedisCluster``,
    ``valkey.Valkey``, …) has them."""

    def hsetnx(self, name: str, key: str, value: str, /) -> Any: ...
    def hgetall(self, name: str, /) -> Any: ...
    def expire(self, name: str, time: int, /) -> Any: ...


class AsyncRedisClient(Protocol):
    """The commands ``RedisStore.arecord``/``aget`` await: ``redis.asyncio.Redis`` has them."""

    def hsetnx(self, name: str, key: str, value: str, /) -> Awaitable[Any]: ...
    def hgetall(self, name: str, /) -> Awaitable[Any]: ...
    def expire(self, name: str, time: int, /) -> Awaitable[Any]: ...


class RedisStore:
    """A store in Redis, shared by every process and machine that uses the same server.

    Each call is one hash, ``{prefix}call:{call_id}``, from dedupe key to the event's wire JSON;
    ``record`` claims a delivery with ``HSETNX`` and then reads the hash with ``HGETALL``. With
    ``ttl_seconds``, ``EXPIRE`` after each delivery drops a call that long after its last one.
    Pass a ``redis.Redis`` client and call ``record``/``get``, or a ``redis.asyncio.Redis``
    client and ``await arecord``/``aget``; either may use ``decode_responses``.
    """

    def __init__(
        self,
        client: RedisClient | AsyncRedisClient,
        *,
        prefix: str = "oneinbox:",
        ttl_seconds: int | None = None,
    ) -> None:
        for command in ("hsetnx", "hgetall", "expire"):
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
        # redis-py's asyncio clients (and valkey-py's) have `async def execute_command`: known
        # before a command is sent, so the wrong method never claims a delivery it then drops.
        execute = getattr(client, "execute_command", None)
        self._is_async = None if execute is None else inspect.iscoroutinefunction(execute)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r}, ttl_seconds={self._ttl!r})"

    @property
    def asynchronous(self) -> bool | None:
        """``True`` for an asyncio client (use ``arecord``/``aget``), ``False`` for a blocking
        one, ``None`` when the client does not say (any method may be used)."""
        return self._is_async

    def key(self, call_id: str) -> str:
        """The Redis key of a call's hash."""
        return f"{self._prefix}call:{_check_call_id(call_id)}"

    def record(self, event: _Event) -> Recorded:
        self._require(asynchronous=False)
        name, key, text = self.key(event.call_id), dedupe_key(event), _wire_json(event)
        client = self._client
        claimed = _now(client.hsetnx(name, key, text))
        if self._ttl is not None:
            _now(client.expire(name, self._ttl))
        fields = _now(client.hgetall(name))
        return Recorded(bool(claimed), _fold(event.call_id, fields.values()))

    def get(self, call_id: str) -> CallRecord | None:
        self._require(asynchronous=False)
        fields = _now(self._client.hgetall(self.key(call_id)))
        return _fold(call_id, fields.values()) if fields else None

    async def arecord(self, event: _Event) -> Recorded:
        """``record`` over a ``redis.asyncio.Redis`` client."""
        self._require(asynchronous=True)
        name, key, text = self.key(event.call_id), dedupe_key(event), _wire_json(event)
        client = self._client
        claimed = await _later(client.hsetnx(name, key, text))
        if self._ttl is not None:
            await _later(client.expire(name, self._ttl))
        fields = await _later(client.hgetall(name))
        return Recorded(bool(claimed), _fold(event.call_id, fields.values()))

    async def aget(self, call_id: str) -> CallRecord | None:
        """``get`` over a ``redis.asyncio.Redis`` client."""
        self._require(asynchronous=True)
        fields = await _later(self._client.hgetall(self.key(call_id)))
        return _fold(call_id, fields.values()) if fields else None

    def _require(self, *, asynchronous: bool) -> None:
        if self._is_async is None or self._is_async == asynchronous:
            return
        raise TypeError(_SYNC_CLIENT if asynchronous else _ASYNC_CLIENT)


_ASYNC_CLIENT = (
    "this RedisStore has an asyncio client: use `await store.arecord(event)` and "
    "`await store.aget(call_id)`"
)
_SYNC_CLIENT = (
    "this RedisStore has a synchronous client: use `store.record(event)` and "
    "`store.get(call_id)`, or pass a redis.asyncio.Redis client"
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
