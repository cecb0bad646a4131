"""The inbox: where each delivery stands between its arrival and the end of its handlers.

A store keeps one row per delivery: ``claimed`` (one worker runs its handlers, until its lease
ends), ``done``, ``failed`` (due again after a backoff) or ``dead`` (after ``max_attempts``).
Every change of a row is one step of :class:`InboxPolicy`, the core's state machine: the row as
read, what happened and the time (Unix milliseconds) give the row to write and a verdict. The
stores read the row, ask the step and write its answer in one transaction; they decide nothing
themselves. The same machine runs in the Node package and the Rust crate, on the shared fixtures
of ``tests/fixtures/inbox``.

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

from ._native import (
    INBOX_DEFAULT_LEASE_MS,
    INBOX_DEFAULT_MAX_ATTEMPTS,
    InboxPolicy,
    InboxRow,
    InboxStep,
    inbox_backoff_ms,
)

__all__ = [
    "INBOX_DEFAULT_LEASE_MS",
    "INBOX_DEFAULT_MAX_ATTEMPTS",
    "InboxPolicy",
    "InboxRow",
    "InboxStep",
    "inbox_backoff_ms",
]
