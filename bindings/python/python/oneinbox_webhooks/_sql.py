"""The inbox and the call records over SQL, written once for every SQL store (``SQLiteStore``,
``PostgresStore``): the statements, and the read-step-write of each change in one transaction.

Two tables (their DDL is in README.md; each store creates them if missing):

- ``oneinbox_inbox``: one row per delivery, by its dedupe key: the call, the event name, the raw
  body, and the inbox row (``state``, ``attempts``, ``due_at``, ``last_error``,
  ``updated_at``; times in Unix milliseconds). A worker asks for ``due_at <= now``.
- ``oneinbox_calls``: each call's folded record (``CallRecord.to_json()``). A new delivery is
  folded into it in the transaction that inserts its row, so recording costs the size of the
  event and the record, never a fold of the call's other deliveries.

Every change reads the row, asks the core's ``InboxPolicy`` for the step and writes its row, in
one transaction: SQLite's ``BEGIN IMMEDIATE`` (one writer at a time), Postgres's row locks
(``SELECT … FOR UPDATE``; an insert that meets a concurrent one starts the step again).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from ._events import Event as _Event
from ._native import CallRecord, InboxPolicy, InboxRow, InboxStep, dedupe_key
from .inbox import (
    Arrival,
    DeadLetter,
    Delivery,
    now_ms,
)

if TYPE_CHECKING:
    from .inbox import Verdict

__all__ = ["SqlInbox"]

_COLUMNS = "state, attempts, due_at, last_error, updated_at"


class Cursor(Protocol):
    """What the engine needs of a DB-API cursor."""

    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


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
            """CREATE TABLE IF NOT EXISTS oneinbox_calls (
    call_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
)""",
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


class SqlInbox:
    """The engine: ``transaction()`` is a context manager giving a cursor inside one
    transaction (committed on exit, rolled back on an exception)."""

    def __init__(
        self,
        dialect: Dialect,
        transaction: Callable[[], AbstractContextManager[Any]],
        policy: InboxPolicy,
    ) -> None:
        self._d = dialect
        self._transaction = transaction
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

    def schema(self) -> list[str]:
        return self._d.schema()

    # ---- the steps ------------------------------------------------------------------------

    def _retrying(self, f: Callable[[Cursor], Any]) -> Any:
        """Runs ``f`` in a transaction, again (up to 5 times) when an insert raced."""
        for _ in range(4):
            try:
                with self._transaction() as cur:
                    return f(cur)
            except Raced:
                continue
        with self._transaction() as cur:
            return f(cur)

    def _write(self, cur: Cursor, key: str, row: InboxRow) -> None:
        cur.execute(
            self._update,
            (row.state, row.attempts, row.due_at, row.last_error, row.updated_at, key),
        )

    def _fold(self, cur: Cursor, event: _Event) -> CallRecord:
        """Folds ``event`` into its call's stored record (locked), and writes it back."""
        call_id = event.call_id
        cur.execute(self._read_record, (call_id,))
        found = cur.fetchone()
        if found is None:
            record = CallRecord(call_id)
            record.apply(event)
            cur.execute(self._insert_record, (call_id, record.to_json()))
            if cur.rowcount != 1:
                raise Raced
            return record
        record = CallRecord.from_json(found[0])
        if record.apply(event).changed:
            cur.execute(self._update_record, (record.to_json(), call_id))
        return record

    def _record_of(self, cur: Cursor, call_id: str) -> CallRecord:
        cur.execute(self._get, (call_id,))
        found = cur.fetchone()
        return CallRecord(call_id) if found is None else CallRecord.from_json(found[0])

    def arrive(self, event: _Event, body: bytes, now: Optional[float]) -> Arrival:
        key = dedupe_key(event)
        ms = now_ms(now)

        def step(cur: Cursor) -> Arrival:
            cur.execute(self._read, (key,))
            found = cur.fetchone()
            row = None if found is None else _row(found)
            s = self.policy.arrive(row, ms)
            if row is None and s.row is not None:
                r = s.row
                values = (r.state, r.attempts, r.due_at, r.last_error, r.updated_at, ms)
                cur.execute(self._insert, (key, event.call_id, event.event, body, *values))
                if cur.rowcount != 1:
                    raise Raced
                record = self._fold(cur, event)
            else:
                if s.row is not None:
                    self._write(cur, key, s.row)
                record = self._record_of(cur, event.call_id)
            delivery = (
                _delivery(key, event.call_id, event.event, body, s) if s.verdict == "run" else None
            )
            return Arrival(s.verdict, key, delivery, s.retry_after_ms, record)

        result: Arrival = self._retrying(step)
        return result

    def record(self, event: _Event, body: bytes, now: Optional[float]) -> tuple[bool, CallRecord]:
        """At most once: inserts the delivery as done (if new) and folds it in."""
        key = dedupe_key(event)
        ms = now_ms(now)

        def step(cur: Cursor) -> tuple[bool, CallRecord]:
            cur.execute(
                self._insert,
                (key, event.call_id, event.event, body, "done", 0, None, None, ms, ms),
            )
            if cur.rowcount != 1:
                return False, self._record_of(cur, event.call_id)
            return True, self._fold(cur, event)

        result: tuple[bool, CallRecord] = self._retrying(step)
        return result

    def change(
        self, key: str, now: Optional[float], ask: Callable[[Optional[InboxRow], int], InboxStep]
    ) -> InboxStep:
        """One step on the row of ``key``: ``ask(row, now_ms)`` gives it."""
        ms = now_ms(now)
        with self._transaction() as cur:
            cur.execute(self._read, (key,))
            found = cur.fetchone()
            s = ask(None if found is None else _row(found), ms)
            if s.row is not None and found is not None:
                self._write(cur, key, s.row)
            return s

    def finish(self, delivery: Delivery, error: Optional[str], now: Optional[float]) -> Verdict:
        attempt = delivery.attempt
        return self.change(
            delivery.key, now, lambda row, ms: self.policy.finish(row, attempt, error, ms)
        ).verdict

    def release(self, delivery: Delivery, reason: str, now: Optional[float]) -> Verdict:
        attempt = delivery.attempt
        return self.change(
            delivery.key, now, lambda row, ms: self.policy.release(row, attempt, reason, ms)
        ).verdict

    def replay(self, key: str, now: Optional[float]) -> Verdict:
        return self.change(key, now, self.policy.replay).verdict

    def take(self, key: str, now: Optional[float]) -> tuple[Verdict, Optional[Delivery]]:
        ms = now_ms(now)
        with self._transaction() as cur:
            cur.execute(self._read_whole, (key,))
            found = cur.fetchone()
            if found is None:
                return self.policy.claim(None, ms).verdict, None
            call_id, event, body = found[0], found[1], found[2]
            s = self.policy.claim(_row(found[3:]), ms)
            if s.row is not None:
                self._write(cur, key, s.row)
            if s.verdict != "run":
                return s.verdict, None
            return s.verdict, _delivery(key, call_id, event, body, s)

    def due(self, now: Optional[float], limit: int) -> list[str]:
        with self._transaction() as cur:
            cur.execute(self._due, (now_ms(now), limit))
            return [row[0] for row in cur.fetchall()]

    def dead(self, limit: int) -> list[DeadLetter]:
        with self._transaction() as cur:
            cur.execute(self._dead, (limit,))
            return [
                DeadLetter(key, call, event, int(attempts), error, updated / 1000, bytes(body))
                for key, call, event, attempts, error, updated, body in cur.fetchall()
            ]

    def prune(self, older_than: float, include_dead: bool, now: Optional[float]) -> int:
        before = now_ms(now) - int(older_than * 1000)
        with self._transaction() as cur:
            cur.execute(self._prune, (before, include_dead))
            dropped: int = cur.rowcount
            return max(dropped, 0)

    def get(self, call_id: str) -> Optional[CallRecord]:
        with self._transaction() as cur:
            cur.execute(self._get, (call_id,))
            found = cur.fetchone()
        return None if found is None else CallRecord.from_json(found[0])

    def row(self, key: str) -> Optional[InboxRow]:
        with self._transaction() as cur:
            cur.execute(self._peek, (key,))
            found = cur.fetchone()
        return None if found is None else _row(found)
