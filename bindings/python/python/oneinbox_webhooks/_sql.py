"""The inbox and the call records over SQL, written once for every SQL store (``SQLiteStore``,
``PostgresStore``): the statements, and the read-step-write of each change in one transaction.

Two tables (their DDL is in docs/reference.md; each store creates them if missing):

- ``oneinbox_inbox``: one row per delivery, by its dedupe key: the call, the event name, the raw
  body, and the inbox row (``state``, ``attempts``, ``due_at``, ``last_error``,
  ``updated_at``; times in Unix milliseconds). A worker asks for ``due_at <= now``.
- ``oneinbox_calls``: each call's folded record (``CallRecord.to_json()``). A new delivery is
  folded into it in the transaction that inserts its row, so recording costs the size of the
  event and the record, never a fold of the call's other deliveries.
- ``oneinbox_open_calls``: the calls whose record is open (``record_is_open``: not failed, and
  not ended with every event a reconcile policy can expect) and when it last changed, written
  with the record; what ``reconcile`` lists (an index on ``changed_at``), so it never reads
  the closed records.

Every change reads the row, asks the core's ``InboxPolicy`` for the step and writes its row, in
one transaction: SQLite's ``BEGIN IMMEDIATE`` (one writer at a time), Postgres's row locks
(``SELECT … FOR UPDATE``; an insert that meets a concurrent one starts the step again).

Each change is written once, as a generator (``Steps``) that yields its statements and is sent
what each gave (``Result``): it does no I/O. ``SqlInbox`` runs them on a DB-API cursor
(``sqlite3``, ``psycopg.Connection``), ``AsyncSqlInbox`` awaits them on an async one
(``psycopg.AsyncConnection``): the same SQL text and the same steps for both.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, TypeVar

from ._events import Event as _Event
from ._native import (
    Call,
    CallRecord,
    InboxPolicy,
    InboxRow,
    InboxStep,
    dedupe_key,
    record_is_open,
)
from .inbox import (
    Arrival,
    DeadLetter,
    Delivery,
    now_ms,
)

if TYPE_CHECKING:
    from .inbox import Verdict

__all__ = ["AsyncSqlInbox", "SqlInbox"]

_COLUMNS = "state, attempts, due_at, last_error, updated_at"


_T = TypeVar("_T")


class Cursor(Protocol):
    """What the sync runner needs of a DB-API cursor."""

    @property
    def rowcount(self) -> int: ...
    @property
    def description(self) -> Any: ...
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...
    def fetchall(self) -> Sequence[Any]: ...


class AsyncCursor(Protocol):
    """What the async runner needs of an async cursor (``psycopg.AsyncCursor``)."""

    @property
    def rowcount(self) -> int: ...
    @property
    def description(self) -> Any: ...
    async def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...
    async def fetchall(self) -> Sequence[Any]: ...


class Result:
    """What one statement gave: its ``rowcount`` and the ``rows`` it read (none for a write)."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rowcount: int, rows: Sequence[Any]) -> None:
        self.rowcount = rowcount
        self.rows = rows

    def one(self) -> Any:
        """The first row read, or ``None``."""
        return self.rows[0] if self.rows else None


Statement = tuple[str, Sequence[Any]]
Steps = Generator[Statement, Result, _T]
"""A change as a generator: it yields each statement and is sent what it gave."""


def run_steps(cur: Cursor, steps: Steps[_T]) -> _T:
    """Runs ``steps`` on ``cur`` (inside a transaction the caller holds)."""
    try:
        statement = next(steps)
        while True:
            cur.execute(*statement)
            rows = cur.fetchall() if cur.description is not None else ()
            statement = steps.send(Result(cur.rowcount, rows))
    except StopIteration as stop:
        result: _T = stop.value
        return result


async def arun_steps(cur: AsyncCursor, steps: Steps[_T]) -> _T:
    """``run_steps`` on an async cursor."""
    try:
        statement = next(steps)
        while True:
            await cur.execute(*statement)
            rows = await cur.fetchall() if cur.description is not None else ()
            statement = steps.send(Result(cur.rowcount, rows))
    except StopIteration as stop:
        result: _T = stop.value
        return result


class Dialect:
    """How one database spells the statements: its parameter mark, whether reads lock rows,
    and its binary type."""

    def __init__(self, *, mark: str, lock: str, blob: str, bigint: str) -> None:
        self.mark = mark
        self.lock = lock
        self.blob = blob
        self.bigint = bigint

    def sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def schema(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS oneinbox_inbox (
    key TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body {self.blob},
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    due_at {self.bigint},
    last_error TEXT,
    created_at {self.bigint} NOT NULL,
    updated_at {self.bigint} NOT NULL
)""",
            "CREATE INDEX IF NOT EXISTS oneinbox_inbox_due ON oneinbox_inbox (due_at) "
            "WHERE due_at IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS oneinbox_inbox_dead ON oneinbox_inbox (updated_at) "
            "WHERE state = 'dead'",
            "CREATE INDEX IF NOT EXISTS oneinbox_inbox_done ON oneinbox_inbox (updated_at) "
            "WHERE state = 'done'",
            """CREATE TABLE IF NOT EXISTS oneinbox_calls (
    call_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
)""",
            f"""CREATE TABLE IF NOT EXISTS oneinbox_open_calls (
    call_id TEXT PRIMARY KEY,
    changed_at {self.bigint} NOT NULL
)""",
            "CREATE INDEX IF NOT EXISTS oneinbox_open_calls_changed ON oneinbox_open_calls "
            "(changed_at)",
        ]


SQLITE = Dialect(mark="?", lock="", blob="BLOB", bigint="INTEGER")
POSTGRES = Dialect(mark="%s", lock=" FOR UPDATE", blob="BYTEA", bigint="BIGINT")


class Raced(Exception):
    """An insert met a row another worker inserted after this one's read: step again."""


def _row(values: Sequence[Any]) -> InboxRow:
    state, attempts, due_at, last_error, updated_at = values
    return InboxRow(state, int(attempts), due_at, last_error, int(updated_at))


def _delivery(key: str, call_id: str, event: str, body: Any, step: InboxStep) -> Delivery:
    assert step.attempt is not None
    return Delivery(key, call_id, event, bytes(body), step.attempt)


class SqlSteps:
    """The statements of one dialect and every change as ``Steps`` (no I/O)."""

    def __init__(self, dialect: Dialect, policy: InboxPolicy) -> None:
        self._d = dialect
        self.policy = policy
        q = dialect.sql
        lock = dialect.lock
        self._read = q(f"SELECT {_COLUMNS} FROM oneinbox_inbox WHERE key = ?{lock}")
        self._peek = q(f"SELECT {_COLUMNS} FROM oneinbox_inbox WHERE key = ?")
        self._read_whole = q(
            f"SELECT call_id, event, body, {_COLUMNS} FROM oneinbox_inbox WHERE key = ?{lock}"
        )
        self._insert = q(
            f"INSERT INTO oneinbox_inbox (key, call_id, event, body, {_COLUMNS}, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
        )
        self._update = q(
            "UPDATE oneinbox_inbox SET state = ?, attempts = ?, due_at = ?, last_error = ?, "
            "updated_at = ? WHERE key = ?"
        )
        self._read_record = q(f"SELECT record FROM oneinbox_calls WHERE call_id = ?{lock}")
        self._insert_record = q(
            "INSERT INTO oneinbox_calls (call_id, record) VALUES (?, ?) "
            "ON CONFLICT (call_id) DO NOTHING"
        )
        self._update_record = q("UPDATE oneinbox_calls SET record = ? WHERE call_id = ?")
        self._due = q(
            "SELECT key FROM oneinbox_inbox WHERE due_at IS NOT NULL AND due_at <= ? "
            "ORDER BY due_at, key LIMIT ?"
        )
        self._dead = q(
            "SELECT key, call_id, event, attempts, last_error, updated_at, body "
            "FROM oneinbox_inbox WHERE state = 'dead' ORDER BY updated_at, key LIMIT ?"
        )
        self._prune = q(
            "DELETE FROM oneinbox_inbox WHERE updated_at <= ? AND "
            "(state = 'done' OR (? AND state = 'dead'))"
        )
        self._get = q("SELECT record FROM oneinbox_calls WHERE call_id = ?")
        self._open = q(
            "INSERT INTO oneinbox_open_calls (call_id, changed_at) VALUES (?, ?) "
            "ON CONFLICT (call_id) DO UPDATE SET changed_at = excluded.changed_at"
        )
        self._close = q("DELETE FROM oneinbox_open_calls WHERE call_id = ?")
        self._open_calls = q(
            "SELECT call_id, changed_at FROM oneinbox_open_calls WHERE changed_at <= ? "
            "ORDER BY changed_at, call_id LIMIT ?"
        )

    def schema(self) -> list[str]:
        return self._d.schema()

    # ---- the steps (generators: no I/O) -----------------------------------------------------

    def _write(self, key: str, row: InboxRow) -> Statement:
        return (
            self._update,
            (row.state, row.attempts, row.due_at, row.last_error, row.updated_at, key),
        )

    def _fold(self, event: _Event, ms: int, found: Any = None) -> Steps[CallRecord]:
        """Folds ``event`` into its call's stored record (locked; ``found``: the record's row
        already read, if it was), and writes it back."""
        call_id = event.call_id
        if found is None:
            found = (yield self._read_record, (call_id,)).one()
        if found is None:
            record = CallRecord(call_id)
            record.apply(event)
            if (yield self._insert_record, (call_id, record.to_json())).rowcount != 1:
                raise Raced
            yield from self._touch(record, ms)
            return record
        record = CallRecord.from_json(found[0])
        if record.apply(event).changed:
            yield self._update_record, (record.to_json(), call_id)
            yield from self._touch(record, ms)
        return record

    def _touch(self, record: CallRecord, ms: int) -> Steps[None]:
        """The record changed at ``ms``: keeps it among the open calls while it is open."""
        if record_is_open(record):
            yield self._open, (record.call_id, ms)
        else:
            yield self._close, (record.call_id,)

    def _record_of(self, call_id: str) -> Steps[CallRecord]:
        found = (yield self._get, (call_id,)).one()
        return CallRecord(call_id) if found is None else CallRecord.from_json(found[0])

    def arrive_steps(self, event: _Event, body: bytes, ms: int) -> Steps[Arrival]:
        key = dedupe_key(event)
        found = (yield self._read, (key,)).one()
        row = None if found is None else _row(found)
        stored = None
        if row is None:
            # A new delivery: its call's record (locked) says whether reconciliation ran it.
            stored = (yield self._read_record, (event.call_id,)).one()
        covered = stored is not None and CallRecord.from_json(stored[0]).covers(event.event, key)
        s = self.policy.arrive(row, ms, covered)
        if row is None and s.row is not None:
            r = s.row
            values = (r.state, r.attempts, r.due_at, r.last_error, r.updated_at, ms)
            inserted = yield self._insert, (key, event.call_id, event.event, body, *values)
            if inserted.rowcount != 1:
                raise Raced
            record = yield from self._fold(event, ms, stored)
        else:
            if s.row is not None:
                yield self._write(key, s.row)
            record = yield from self._record_of(event.call_id)
        delivery = (
            _delivery(key, event.call_id, event.event, body, s) if s.verdict == "run" else None
        )
        return Arrival(s.verdict, key, delivery, s.retry_after_ms, record)

    def record_steps(self, event: _Event, body: bytes, ms: int) -> Steps[tuple[bool, CallRecord]]:
        """At most once: inserts the delivery as done (if new) and folds it in."""
        key = dedupe_key(event)
        values = (key, event.call_id, event.event, body, "done", 0, None, None, ms, ms)
        if (yield self._insert, values).rowcount != 1:
            return False, (yield from self._record_of(event.call_id))
        record = yield from self._fold(event, ms)
        # Reconciliation already ran this event's handlers: a repeat.
        return not record.covers(event.event, key), record

    def change_steps(
        self, key: str, ms: int, ask: Callable[[Optional[InboxRow], int], InboxStep]
    ) -> Steps[InboxStep]:
        """One step on the row of ``key``: ``ask(row, ms)`` gives it."""
        found = (yield self._read, (key,)).one()
        s = ask(None if found is None else _row(found), ms)
        if s.row is not None and found is not None:
            yield self._write(key, s.row)
        return s

    def finish_steps(self, delivery: Delivery, error: Optional[str], ms: int) -> Steps[InboxStep]:
        attempt = delivery.attempt
        return self.change_steps(
            delivery.key, ms, lambda row, ms: self.policy.finish(row, attempt, error, ms)
        )

    def release_steps(self, delivery: Delivery, reason: str, ms: int) -> Steps[InboxStep]:
        attempt = delivery.attempt
        return self.change_steps(
            delivery.key, ms, lambda row, ms: self.policy.release(row, attempt, reason, ms)
        )

    def lock_steps(self, key: str) -> Steps[Optional[InboxRow]]:
        """Locks the row of ``key`` until the transaction ends (Postgres) and reads it."""
        found = (yield self._read, (key,)).one()
        return None if found is None else _row(found)

    def take_steps(self, key: str, ms: int) -> Steps[tuple[Verdict, Optional[Delivery]]]:
        found = (yield self._read_whole, (key,)).one()
        if found is None:
            return self.policy.claim(None, ms).verdict, None
        call_id, event, body = found[0], found[1], found[2]
        s = self.policy.claim(_row(found[3:]), ms)
        if s.row is not None:
            yield self._write(key, s.row)
        if s.verdict != "run":
            return s.verdict, None
        return s.verdict, _delivery(key, call_id, event, body, s)

    def due_steps(self, ms: int, limit: int) -> Steps[list[str]]:
        return [row[0] for row in (yield self._due, (ms, limit)).rows]

    def dead_steps(self, limit: int) -> Steps[list[DeadLetter]]:
        return [
            DeadLetter(key, call, event, int(attempts), error, updated / 1000, bytes(body))
            for key, call, event, attempts, error, updated, body in (
                yield self._dead, (limit,)
            ).rows
        ]

    def prune_steps(self, older_than: float, include_dead: bool, ms: int) -> Steps[int]:
        before = ms - int(older_than * 1000)
        return max((yield self._prune, (before, include_dead)).rowcount, 0)

    def get_steps(self, call_id: str) -> Steps[Optional[CallRecord]]:
        found = (yield self._get, (call_id,)).one()
        return None if found is None else CallRecord.from_json(found[0])

    def open_calls_steps(self, changed_before: int, limit: int) -> Steps[list[tuple[str, int]]]:
        rows = (yield self._open_calls, (changed_before, limit)).rows
        return [(call_id, int(changed_at)) for call_id, changed_at in rows]

    def apply_call_steps(self, call: Call, ms: int) -> Steps[Optional[CallRecord]]:
        """Folds the snapshot ``call`` into its call's stored record (locked), if there is one."""
        found = (yield self._read_record, (call.id,)).one()
        if found is None:
            return None
        record = CallRecord.from_json(found[0])
        if record.apply_call(call).changed:
            yield self._update_record, (record.to_json(), call.id)
            yield from self._touch(record, ms)
        return record

    def settle_steps(self, call_id: str) -> Steps[None]:
        yield self._close, (call_id,)

    def row_steps(self, key: str) -> Steps[Optional[InboxRow]]:
        found = (yield self._peek, (key,)).one()
        return None if found is None else _row(found)


_RETRIES = 5


class SqlInbox(SqlSteps):
    """The engine over a DB-API connection: ``transaction()`` is a context manager giving a
    cursor inside one transaction (committed on exit, rolled back on an exception)."""

    def __init__(
        self,
        dialect: Dialect,
        transaction: Callable[[], AbstractContextManager[Any]],
        policy: InboxPolicy,
    ) -> None:
        super().__init__(dialect, policy)
        self._transaction = transaction

    def _run(self, make: Callable[[], Steps[_T]]) -> _T:
        """Runs ``make()``'s steps in one transaction, again (up to 5 times) when an insert
        raced."""
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as cur:
                    return run_steps(cur, make())
            except Raced:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def arrive(self, event: _Event, body: bytes, now: Optional[float]) -> Arrival:
        ms = now_ms(now)
        return self._run(lambda: self.arrive_steps(event, body, ms))

    def record(self, event: _Event, body: bytes, now: Optional[float]) -> tuple[bool, CallRecord]:
        ms = now_ms(now)
        return self._run(lambda: self.record_steps(event, body, ms))

    def finish(self, delivery: Delivery, error: Optional[str], now: Optional[float]) -> Verdict:
        ms = now_ms(now)
        return self._run(lambda: self.finish_steps(delivery, error, ms)).verdict

    def release(self, delivery: Delivery, reason: str, now: Optional[float]) -> Verdict:
        ms = now_ms(now)
        return self._run(lambda: self.release_steps(delivery, reason, ms)).verdict

    def replay(self, key: str, now: Optional[float]) -> Verdict:
        ms = now_ms(now)
        return self._run(lambda: self.change_steps(key, ms, self.policy.replay)).verdict

    def take(self, key: str, now: Optional[float]) -> tuple[Verdict, Optional[Delivery]]:
        ms = now_ms(now)
        return self._run(lambda: self.take_steps(key, ms))

    def due(self, now: Optional[float], limit: int) -> list[str]:
        ms = now_ms(now)
        return self._run(lambda: self.due_steps(ms, limit))

    def dead(self, limit: int) -> list[DeadLetter]:
        return self._run(lambda: self.dead_steps(limit))

    def prune(self, older_than: float, include_dead: bool, now: Optional[float]) -> int:
        ms = now_ms(now)
        return self._run(lambda: self.prune_steps(older_than, include_dead, ms))

    def get(self, call_id: str) -> Optional[CallRecord]:
        return self._run(lambda: self.get_steps(call_id))

    def row(self, key: str) -> Optional[InboxRow]:
        return self._run(lambda: self.row_steps(key))

    def open_calls(self, changed_before: int, limit: int) -> list[tuple[str, int]]:
        return self._run(lambda: self.open_calls_steps(changed_before, limit))

    def apply_call(self, call: Call, now: Optional[float]) -> Optional[CallRecord]:
        ms = now_ms(now)
        return self._run(lambda: self.apply_call_steps(call, ms))

    def settle(self, call_id: str) -> None:
        self._run(lambda: self.settle_steps(call_id))


class AsyncSqlInbox(SqlSteps):
    """``SqlInbox`` over an async connection: ``transaction()`` is an async context manager
    giving an async cursor inside one transaction."""

    def __init__(
        self,
        dialect: Dialect,
        transaction: Callable[[], AbstractAsyncContextManager[Any]],
        policy: InboxPolicy,
    ) -> None:
        super().__init__(dialect, policy)
        self._transaction = transaction

    async def _run(self, make: Callable[[], Steps[_T]]) -> _T:
        for attempt in range(_RETRIES):
            try:
                async with self._transaction() as cur:
                    return await arun_steps(cur, make())
            except Raced:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def arrive(self, event: _Event, body: bytes, now: Optional[float]) -> Arrival:
        ms = now_ms(now)
        return await self._run(lambda: self.arrive_steps(event, body, ms))

    async def record(
        self, event: _Event, body: bytes, now: Optional[float]
    ) -> tuple[bool, CallRecord]:
        ms = now_ms(now)
        return await self._run(lambda: self.record_steps(event, body, ms))

    async def finish(
        self, delivery: Delivery, error: Optional[str], now: Optional[float]
    ) -> Verdict:
        ms = now_ms(now)
        return (await self._run(lambda: self.finish_steps(delivery, error, ms))).verdict

    async def release(self, delivery: Delivery, reason: str, now: Optional[float]) -> Verdict:
        ms = now_ms(now)
        return (await self._run(lambda: self.release_steps(delivery, reason, ms))).verdict

    async def replay(self, key: str, now: Optional[float]) -> Verdict:
        ms = now_ms(now)
        return (await self._run(lambda: self.change_steps(key, ms, self.policy.replay))).verdict

    async def take(self, key: str, now: Optional[float]) -> tuple[Verdict, Optional[Delivery]]:
        ms = now_ms(now)
        return await self._run(lambda: self.take_steps(key, ms))

    async def due(self, now: Optional[float], limit: int) -> list[str]:
        ms = now_ms(now)
        return await self._run(lambda: self.due_steps(ms, limit))

    async def dead(self, limit: int) -> list[DeadLetter]:
        return await self._run(lambda: self.dead_steps(limit))

    async def prune(self, older_than: float, include_dead: bool, now: Optional[float]) -> int:
        ms = now_ms(now)
        return await self._run(lambda: self.prune_steps(older_than, include_dead, ms))

    async def get(self, call_id: str) -> Optional[CallRecord]:
        return await self._run(lambda: self.get_steps(call_id))

    async def row(self, key: str) -> Optional[InboxRow]:
        return await self._run(lambda: self.row_steps(key))

    async def open_calls(self, changed_before: int, limit: int) -> list[tuple[str, int]]:
        return await self._run(lambda: self.open_calls_steps(changed_before, limit))

    async def apply_call(self, call: Call, now: Optional[float]) -> Optional[CallRecord]:
        ms = now_ms(now)
        return await self._run(lambda: self.apply_call_steps(call, ms))

    async def settle(self, call_id: str) -> None:
        await self._run(lambda: self.settle_steps(call_id))
