"""The PostgreSQL connections of ``PostgresStore`` and ``AsyncPostgresStore`` (in ``stores``):
psycopg 3 (``pip install 'oneinbox-webhooks[postgres]'``), imported when a store is made, never
by ``import oneinbox_webhooks``. The statements and steps are ``_sql.py``'s, with the Postgres
dialect: each change is one transaction that locks its rows (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Optional

from ._sql import SqlSteps, arun_steps, run_steps
from .inbox import current_delivery, now_ms

__all__ = ["AsyncConnections", "Connections", "label"]

# The key of the advisory lock that serializes migrations: a CREATE … IF NOT EXISTS is not safe
# against a concurrent CREATE of the same table in Postgres.
MIGRATION_LOCK = 0x6F6E6569


# The connection whose transaction() block runs in this thread or task, with its store's
# connections: the store's own calls inside the block use it (no second connection to wait on
# the rows the block has locked, no deadlock on a connection it already holds).
HELD: contextvars.ContextVar[Optional[tuple[object, Any]]] = contextvars.ContextVar(
    "oneinbox_webhooks_postgres_held", default=None
)


def psycopg_module() -> Any:
    """``psycopg``, or an ImportError that names the extra."""
    try:
        import psycopg
    except ImportError as err:
        raise ImportError(
            "PostgresStore needs psycopg 3: pip install 'oneinbox-webhooks[postgres]'"
        ) from err
    return psycopg


def kind_of(target: object, *, asynchronous: bool) -> str:
    """``"dsn"``, ``"connection"`` or ``"pool"``; a TypeError for anything else."""
    if isinstance(target, str):
        return "dsn"
    psycopg = psycopg_module()
    connection = psycopg.AsyncConnection if asynchronous else psycopg.Connection
    if isinstance(target, connection):
        if not target.autocommit:
            # Outside autocommit, the store's transactions would be savepoints of the caller's
            # own: a claim would not be stored before the answer, and its locks held on.
            raise TypeError(
                "give the store a connection with autocommit=True (or a pool, or a DSN)"
            )
        return "connection"
    try:
        import psycopg_pool
    except ImportError:  # then a pool cannot have been made
        pass
    else:
        pool = psycopg_pool.AsyncConnectionPool if asynchronous else psycopg_pool.ConnectionPool
        if isinstance(target, pool):
            return "pool"
    name, expected = (
        ("AsyncPostgresStore", "psycopg.AsyncConnection or psycopg_pool.AsyncConnectionPool")
        if asynchronous
        else ("PostgresStore", "psycopg.Connection or psycopg_pool.ConnectionPool")
    )
    raise TypeError(f"{name} takes a DSN str, a {expected}; got {type(target).__name__}")


def connect_error(err: Exception) -> Exception:
    """The error of a connection from a DSN, without the DSN: psycopg quotes parts of it (a
    password included) in some of its messages."""
    return type(err)(f"cannot connect to PostgreSQL with the store's DSN ({type(err).__name__})")


def label(target: object) -> str:
    """How a store shows its target in ``repr``: never a DSN (it may hold a password)."""
    return "dsn=…" if isinstance(target, str) else type(target).__name__


class Connections:
    """A store's connections: its own per thread from a DSN, a given connection (one
    transaction at a time) or a pool's; the tables made on first use."""

    def __init__(self, target: object, sql: SqlSteps) -> None:
        self.kind = kind_of(target, asynchronous=False)
        self.target: Any = target
        self._sql = sql
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened: list[tuple[int, Any]] = []
        self._migrated = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection for this thread's use only."""
        held = HELD.get()
        if held is not None and held[0] is self:
            yield held[1]
        elif self.kind == "pool":
            with self.target.connection() as conn:
                yield conn
        elif self.kind == "connection":
            with self._lock:
                yield self.target
        else:
            pid = os.getpid()
            conn = getattr(self._local, "conn", None)
            if conn is None or conn.closed or getattr(self._local, "pid", None) != pid:
                # A connection inherited through fork is never used (nor closed) in the child.
                try:
                    conn = psycopg_module().connect(self.target, autocommit=True)
                except Exception as err:  # its message may quote the DSN
                    raise connect_error(err) from None
                self._local.conn, self._local.pid = conn, pid
                with self._lock:
                    self._opened.append((pid, conn))
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction (committed on exit, rolled back on an exception)."""
        if not self._migrated:
            self.migrate()
        with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def migrate(self) -> None:
        with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for statement in self._sql.schema():
                cur.execute(statement)
        self._migrated = True

    @contextmanager
    def handler_transaction(self, now: Optional[float]) -> Iterator[Any]:
        """``PostgresStore.transaction``: in a run, the delivery's row locked first and marked
        done last; rolled back (writes included) when another run completed it first."""
        delivery = current_delivery()
        if not self._migrated:
            self.migrate()
        with self.connection() as conn, conn.transaction():
            if delivery is not None:
                with conn.cursor() as cur:
                    run_steps(cur, self._sql.lock_steps(delivery.key))
            token = HELD.set((self, conn))
            try:
                yield conn
            finally:
                HELD.reset(token)
            if delivery is not None:
                with conn.cursor() as cur:
                    step = run_steps(cur, self._sql.finish_steps(delivery, None, now_ms(now)))
                if step.verdict != "done":
                    raise psycopg_module().Rollback

    def close(self) -> None:
        """Closes the connections opened from a DSN in this process."""
        pid = os.getpid()
        with self._lock:
            mine = [conn for owner, conn in self._opened if owner == pid]
            self._opened = [(owner, conn) for owner, conn in self._opened if owner != pid]
        for conn in mine:
            conn.close()
        self._local = threading.local()


class AsyncConnections:
    """``Connections`` for asyncio: one connection of its own from a DSN (opened on first use),
    a given one, or a pool's; a connection serves one transaction at a time."""

    def __init__(self, target: object, sql: SqlSteps) -> None:
        self.kind = kind_of(target, asynchronous=True)
        self.target: Any = target
        self._sql = sql
        self._lock: Optional[asyncio.Lock] = None
        self._own: Any = None
        self._migrated = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        held = HELD.get()
        if held is not None and held[0] is self:
            yield held[1]
            return
        if self.kind == "pool":
            async with self.target.connection() as conn:
                yield conn
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.kind == "connection":
                yield self.target
                return
            if self._own is None or self._own.closed:
                try:
                    self._own = await psycopg_module().AsyncConnection.connect(
                        self.target, autocommit=True
                    )
                except Exception as err:  # its message may quote the DSN
                    raise connect_error(err) from None
            yield self._own

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        if not self._migrated:
            await self.migrate()
        async with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    async def migrate(self) -> None:
        async with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for statement in self._sql.schema():
                await cur.execute(statement)
        self._migrated = True

    @asynccontextmanager
    async def handler_transaction(self, now: Optional[float]) -> AsyncIterator[Any]:
        delivery = current_delivery()
        if not self._migrated:
            await self.migrate()
        async with self.connection() as conn, conn.transaction():
            if delivery is not None:
                async with conn.cursor() as cur:
                    await arun_steps(cur, self._sql.lock_steps(delivery.key))
            token = HELD.set((self, conn))
            try:
                yield conn
            finally:
                HELD.reset(token)
            if delivery is not None:
                async with conn.cursor() as cur:
                    steps = self._sql.finish_steps(delivery, None, now_ms(now))
                    step = await arun_steps(cur, steps)
                if step.verdict != "done":
                    raise psycopg_module().Rollback

    async def close(self) -> None:
        if self._own is not None:
            await self._own.close()
            self._own = None
