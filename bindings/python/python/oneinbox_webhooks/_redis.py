"""The inbox and the call records over Redis, for ``RedisStore`` (the Node package's
``RedisStore`` writes the same keys and values, so Python and Node workers share one server).

Keys, under the store's prefix (``oneinbox:`` by default):

- ``{prefix}d:{dedupe key}``: a hash per delivery: ``call_id``, ``event``, ``body`` (the raw
  body, UTF-8 JSON), the inbox row (``state``, ``attempts``, ``due_at``, ``last_error``,
  ``updated_at``; an absent field is ``None``; times in Unix ms) and ``v``, its version;
- ``{prefix}r:{call_id}``: a hash per call: ``record`` (``CallRecord.to_json()``) and ``v``;
- ``{prefix}due``, ``{prefix}dead``, ``{prefix}done``: sorted sets of dedupe keys, by due time
  (for the worker), by the time of death, and by the time they were done (for ``prune``);
- ``{prefix}open``: the open calls' ids (``record_is_open``), by the time their record last
  changed (what ``reconcile`` lists).

Each change reads the hashes, asks the core's ``InboxPolicy`` for the step, and writes with one
script that first checks the versions it read (compare and set): when another worker wrote in
between, the change starts again from a new read. The steps are generators of commands, run by
a blocking driver (``redis.Redis``) or an awaiting one (``redis.asyncio.Redis``).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, Optional, Union

from ._events import Event as _Event
from ._native import (
    REDIS_PRUNE_SCRIPT,
    REDIS_RECORD_SCRIPT,
    REDIS_WRITE_SCRIPT,
    Call,
    CallRecord,
    InboxPolicy,
    InboxRow,
    InboxStep,
    dedupe_key,
    record_is_open,
)
from .inbox import Arrival, DeadLetter, Delivery, Verdict, now_ms

__all__ = ["RedisInbox", "Steps", "arun", "run"]

# A command to send: ("hgetall", key), ("eval", script, keys, args), ("zrangebyscore", ...).
Command = tuple[Any, ...]
Steps = Generator[Command, Any, Any]

# The scripts are the core's (`inbox/redis.rs`), the same text the Node store sends.
WRITE = REDIS_WRITE_SCRIPT
PRUNE = REDIS_PRUNE_SCRIPT

_TRIES = 50


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _fields(raw: Any) -> dict[str, Any]:
    """A hash's fields with text names (values as they came: bytes or text)."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise TypeError(f"HGETALL answered {type(raw).__name__}, not a mapping")
    return {_text(k): v for k, v in raw.items()}


def _opt(fields: Mapping[str, Any], name: str) -> Optional[str]:
    value = fields.get(name)
    return None if value is None else _text(value)


def _row(fields: Mapping[str, Any]) -> Optional[InboxRow]:
    if "state" not in fields:
        return None
    due = _opt(fields, "due_at")
    return InboxRow(
        _text(fields["state"]),  # type: ignore[arg-type]
        int(_text(fields["attempts"])),
        None if due is None else int(due),
        _opt(fields, "last_error"),
        int(_text(fields["updated_at"])),
    )


def _blank(value: Union[int, str, None]) -> str:
    return "" if value is None else str(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class RedisInbox:
    """The steps over one prefix: each method is a generator of commands (see ``Steps``) that
    a driver runs, answering each command with its result; its return value is the result."""

    def __init__(self, prefix: str, policy: InboxPolicy, ttl: Optional[int]) -> None:
        self.prefix = prefix
        self.policy = policy
        self.ttl = ttl
        self.due_key, self.dead_key, self.done_key = (prefix + s for s in ("due", "dead", "done"))
        self.open_key = prefix + "open"

    def delivery_key(self, key: str) -> str:
        return f"{self.prefix}d:{key}"

    def record_key(self, call_id: str) -> str:
        return f"{self.prefix}r:{call_id}"

    def _write(
        self,
        key: str,
        version: str,
        row: InboxRow,
        new: Optional[tuple[str, str, bytes]] = None,
        record: Optional[tuple[str, str, str, str, str]] = None,
    ) -> Command:
        keys = [self.delivery_key(key), self.due_key, self.dead_key, self.done_key]
        call_id, event, body = new if new is not None else ("", "", b"")
        args: list[Any] = [
            version,
            row.state,
            row.attempts,
            _blank(row.due_at),
            _blank(row.last_error),
            row.updated_at,
            key,
            call_id,
            event,
            body,
        ]
        if record is not None:
            record_key, record_version, text, open_flag, call_id = record
            keys += [record_key, self.open_key]
            args += [record_version, text, _blank(self.ttl), open_flag, call_id]
        return ("eval", WRITE, keys, args)

    def _read(self, key: str) -> Steps:
        fields = _fields((yield ("hgetall", self.delivery_key(key))))
        return fields, _text(fields.get("v", ""))

    def arrive(self, event: _Event, body: bytes, now: Optional[float]) -> Steps:
        key, ms, call_id = dedupe_key(event), now_ms(now), event.call_id
        record_key = self.record_key(call_id)
        for _ in range(_TRIES):
            fields, version = yield from self._read(key)
            stored = _fields((yield ("hgetall", record_key)))
            record_version = _text(stored.get("v", ""))
            record = (
                CallRecord.from_json(_bytes(stored["record"]))
                if "record" in stored
                else CallRecord(call_id)
            )
            row = _row(fields)
            # A new delivery of an event that reconciliation already ran: a repeat, folded in.
            covered = row is None and record.covers(event.event, key)
            step = self.policy.arrive(row, ms, covered)
            written = True
            if step.row is not None and row is None:  # a new delivery: folded in, at once
                changed = record.apply(event).changed
                text = record.to_json() if changed else ""
                new = (call_id, event.event, body)
                stored_record = (record_key, record_version, text, _open(changed, record), call_id)
                write = self._write(key, version, step.row, new, stored_record)
                written = bool((yield write))
            elif step.row is not None:
                written = bool((yield self._write(key, version, step.row)))
            if written:
                delivery = (
                    Delivery(key, call_id, event.event, body, step.attempt)
                    if step.verdict == "run" and step.attempt is not None
                    else None
                )
                return Arrival(step.verdict, key, delivery, step.retry_after_ms, record)
        raise RuntimeError(f"RedisStore: {_TRIES} concurrent writers in a row on one delivery")

    def record(self, event: _Event, body: bytes, now: Optional[float]) -> Steps:
        """At most once: the delivery is written as done when new, and folded in."""
        key, ms, call_id = dedupe_key(event), now_ms(now), event.call_id
        record_key = self.record_key(call_id)
        for _ in range(_TRIES):
            fields, version = yield from self._read(key)
            stored = _fields((yield ("hgetall", record_key)))
            record = (
                CallRecord.from_json(_bytes(stored["record"]))
                if "record" in stored
                else CallRecord(call_id)
            )
            if fields:
                return False, record
            covered = record.covers(event.event, key)
            record.apply(event)
            done = InboxRow("done", 0, None, None, ms)
            write = self._write(
                key,
                version,
                done,
                (call_id, event.event, body),
                (
                    record_key,
                    _text(stored.get("v", "")),
                    record.to_json(),
                    _open(True, record),
                    call_id,
                ),
            )
            if (yield write):
                # Reconciliation already ran this event's handlers: folded, not new.
                return not covered, record
        raise RuntimeError(f"RedisStore: {_TRIES} concurrent writers in a row on one delivery")

    def change(self, key: str, ask: Any) -> Steps:
        """One step on the row of ``key``: ``ask(row)`` gives it; returns the step and the
        delivery's hash as read."""
        for _ in range(_TRIES):
            fields, version = yield from self._read(key)
            step: InboxStep = ask(_row(fields))
            if step.row is None or not fields:
                return step, fields
            if (yield self._write(key, version, step.row)):
                return step, fields
        raise RuntimeError(f"RedisStore: {_TRIES} concurrent writers in a row on one delivery")

    def finish(self, delivery: Delivery, error: Optional[str], now: Optional[float]) -> Steps:
        ms, attempt = now_ms(now), delivery.attempt
        step, _ = yield from self.change(
            delivery.key, lambda row: self.policy.finish(row, attempt, error, ms)
        )
        verdict: Verdict = step.verdict
        return verdict

    def release(self, delivery: Delivery, reason: str, now: Optional[float]) -> Steps:
        ms, attempt = now_ms(now), delivery.attempt
        step, _ = yield from self.change(
            delivery.key, lambda row: self.policy.release(row, attempt, reason, ms)
        )
        verdict: Verdict = step.verdict
        return verdict

    def replay(self, key: str, now: Optional[float]) -> Steps:
        ms = now_ms(now)
        step, _ = yield from self.change(key, lambda row: self.policy.replay(row, ms))
        verdict: Verdict = step.verdict
        return verdict

    def take(self, key: str, now: Optional[float]) -> Steps:
        ms = now_ms(now)
        step, fields = yield from self.change(key, lambda row: self.policy.claim(row, ms))
        if step.verdict != "run" or step.attempt is None:
            return step.verdict, None
        delivery = Delivery(
            key,
            _text(fields["call_id"]),
            _text(fields["event"]),
            _bytes(fields["body"]),
            step.attempt,
        )
        return step.verdict, delivery

    def due(self, now: Optional[float], limit: int) -> Steps:
        keys = yield ("zrangebyscore", self.due_key, "-inf", now_ms(now), 0, limit)
        return [_text(k) for k in keys]

    def dead(self, limit: int) -> Steps:
        letters = []
        for raw in (yield ("zrange", self.dead_key, 0, limit - 1)):
            key = _text(raw)
            fields = _fields((yield ("hgetall", self.delivery_key(key))))
            row = _row(fields)
            if row is None or row.state != "dead":
                continue  # replayed or pruned meanwhile
            letters.append(
                DeadLetter(
                    key,
                    _text(fields["call_id"]),
                    _text(fields["event"]),
                    row.attempts,
                    row.last_error,
                    row.updated_at / 1000,
                    _bytes(fields["body"]),
                )
            )
        return letters

    def prune(self, older_than: float, include_dead: bool, now: Optional[float]) -> Steps:
        before = now_ms(now) - int(older_than * 1000)
        args = [before, "1" if include_dead else "0", self.prefix]
        dropped = yield ("eval", PRUNE, [self.done_key, self.dead_key], args)
        return int(dropped)

    def get(self, call_id: str) -> Steps:
        stored = _fields((yield ("hgetall", self.record_key(call_id))))
        return CallRecord.from_json(_bytes(stored["record"])) if "record" in stored else None

    def row(self, key: str) -> Steps:
        fields, _ = yield from self._read(key)
        return _row(fields)

    def open_calls(self, changed_before: int, limit: int) -> Steps:
        pairs = yield ("zrangebyscore_withscores", self.open_key, "-inf", changed_before, 0, limit)
        return [(_text(member), int(score)) for member, score in pairs]

    def apply_call(self, call: Call, now: Optional[float]) -> Steps:
        """Folds the snapshot ``call`` into its call's stored record (compare and set)."""
        ms, record_key = now_ms(now), self.record_key(call.id)
        for _ in range(_TRIES):
            stored = _fields((yield ("hgetall", record_key)))
            if "record" not in stored:
                return None
            record = CallRecord.from_json(_bytes(stored["record"]))
            if not record.apply_call(call).changed:
                return record
            args = [
                _text(stored.get("v", "")),
                record.to_json(),
                _blank(self.ttl),
                _open(True, record),
                call.id,
                ms,
            ]
            if (yield ("eval", REDIS_RECORD_SCRIPT, [record_key, self.open_key], args)):
                return record
        raise RuntimeError(f"RedisStore: {_TRIES} concurrent writers in a row on one record")

    def settle(self, call_id: str) -> Steps:
        yield ("zrem", self.open_key, call_id)


def _open(changed: bool, record: CallRecord) -> str:
    """Whether a write lists the call as open (``"1"``), drops it (``"0"``) or leaves it."""
    if not changed:
        return ""
    return "1" if record_is_open(record) else "0"


def _send(client: Any, command: Command) -> Any:
    """Sends one command with a redis-py style client (blocking or asyncio): the result, or the
    awaitable of it."""
    name = command[0]
    if name == "eval":
        _, script, keys, args = command
        return client.eval(script, len(keys), *keys, *args)
    if name == "zrangebyscore":
        _, key, low, high, start, num = command
        return client.zrangebyscore(key, low, high, start=start, num=num)
    if name == "zrangebyscore_withscores":
        _, key, low, high, start, num = command
        return client.zrangebyscore(key, low, high, start=start, num=num, withscores=True)
    return getattr(client, name)(*command[1:])


def run(client: Any, steps: Steps, now: Any) -> Any:
    """Runs ``steps`` over a blocking client; ``now(result)`` checks each result."""
    try:
        command = next(steps)
        while True:
            command = steps.send(now(_send(client, command)))
    except StopIteration as stop:
        return stop.value


async def arun(client: Any, steps: Steps, later: Any) -> Any:
    """Runs ``steps`` over an asyncio client; ``later(result)`` awaits each result."""
    try:
        command = next(steps)
        while True:
            command = steps.send(await later(_send(client, command)))
    except StopIteration as stop:
        return stop.value
