"""Chaos: 8 processes deliver 50 calls' events with duplicates, in shuffled orders, into one
store's inbox; handlers fail 20 % of their runs; one process is SIGKILLed mid-run. Then the
worker drains until nothing is due. Every delivery's handler has completed at least once, no
delivery is dead unless it failed max_attempts times, and every record is the sequential fold.
On a real SQLite file and a real redis-server (bounded: well under a minute each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import chaos_worker
from chaos_worker import MAX_ATTEMPTS, all_bodies, fails

from oneinbox_webhooks import CallRecord, Router, dedupe_key, parse_event
from oneinbox_webhooks.inbox import drain

PROCESSES = 8
WORKER = Path(chaos_worker.__file__)


def run_chaos(kind: str, target: str, prefix: str, tmp_path: Path, store: Any) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    logs = [tmp_path / f"log-{i}.txt" for i in range(PROCESSES)]
    progress = [tmp_path / f"progress-{i}.txt" for i in range(PROCESSES)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                kind,
                target,
                prefix,
                str(i),
                str(logs[i]),
                str(progress[i]),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    victim = processes[0]
    try:
        deadline = time.monotonic() + 120
        # Kill the first process mid-run: once it has delivered some, never after it is done.
        while not (progress[0].exists() and progress[0].read_text() not in ("", "20")):
            assert time.monotonic() < deadline and victim.poll() is None, (
                "worker 0 made no progress"
            )
            time.sleep(0.01)
        assert progress[0].read_text() != "done"
        victim.send_signal(signal.SIGKILL)
        for p in processes[1:]:
            _, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
            assert p.returncode == 0, err
        victim.wait(10)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    # The worker: a handler that still fails 20 % of its runs, until nothing is due.
    drained = tmp_path / "log-drain.txt"
    router = Router()

    with drained.open("a", encoding="utf-8") as log:

        @router.on_any
        def handler(event: Any) -> None:
            chaos_worker.handle(log, store if kind == "postgres" else None)

        now = time.time()
        for _ in range(MAX_ATTEMPTS + 5):
            now += 3 * 3600  # past every lease and backoff
            if not drain(store, router, now=now, limit=10_000):
                break
        assert store.due(now=now + 10**6) == []

    bodies = all_bodies()
    keys = {dedupe_key(parse_event(b)) for b in bodies}
    completed: set[str] = set()
    for log_file in [*logs, drained]:
        if log_file.exists():
            completed |= set(log_file.read_text().split())
    if kind == "postgres":
        # The effects committed with the done marks: each delivery's exactly once.
        import psycopg

        with psycopg.connect(target) as conn:
            counts = dict(conn.execute("SELECT key, count(*) FROM chaos_effects GROUP BY key"))
        assert set(counts.values()) <= {1}, {k: n for k, n in counts.items() if n != 1}
        completed = set(counts)

    # A delivery dies only by failing all its attempts, and then it never completed.
    def dies(key: str) -> bool:
        return all(fails(key, a) for a in range(1, MAX_ATTEMPTS + 1))

    dead = {letter.key for letter in store.dead(limit=10_000)}
    assert dead == {k for k in keys if dies(k)}
    assert completed == keys - dead  # every other delivery's handler completed at least once
    for letter in store.dead(limit=10_000):
        assert letter.attempts == MAX_ATTEMPTS
    # Every record is the fold of its call's events, whatever the order, repeats and crashes.
    for i in range(chaos_worker.CALLS):
        call_id = f"call_chaos_{i:02d}"
        expected = CallRecord(call_id)
        for body in bodies:
            event = parse_event(body)
            if event.call_id == call_id:
                expected.apply(event)
        assert store.get(call_id) == expected, call_id


def test_chaos_on_sqlite(tmp_path: Path) -> None:
    from oneinbox_webhooks.stores import SQLiteStore

    path = tmp_path / "chaos.sqlite3"
    with SQLiteStore(path, lease=chaos_worker.LEASE, max_attempts=MAX_ATTEMPTS) as store:
        run_chaos("sqlite", str(path), "", tmp_path, store)


def test_chaos_on_redis(tmp_path: Path, redis_server: Any) -> None:
    import redis

    from oneinbox_webhooks.stores import RedisStore

    prefix = f"chaos-{uuid.uuid4().hex}:"
    with redis.Redis.from_url(redis_server.url) as client:
        store = RedisStore(
            client, prefix=prefix, lease=chaos_worker.LEASE, max_attempts=MAX_ATTEMPTS
        )
        run_chaos("redis", redis_server.url, prefix, tmp_path, store)


def test_the_chaos_handler_fails_about_a_fifth_of_the_time() -> None:
    keys = [dedupe_key(parse_event(b)) for b in all_bodies()]
    rate = sum(fails(k, 1) for k in keys) / len(keys)
    assert 0.1 < rate < 0.3, rate


def test_chaos_on_postgres(tmp_path: Path, postgres_dsn: str) -> None:
    """On Postgres the handler writes its effect in the store's transaction: exactly once."""
    import psycopg

    from oneinbox_webhooks.stores import PostgresStore

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE chaos_effects (key TEXT NOT NULL, attempt INTEGER NOT NULL)")

    with PostgresStore(postgres_dsn, lease=chaos_worker.LEASE, max_attempts=MAX_ATTEMPTS) as store:
        run_chaos("postgres", postgres_dsn, "", tmp_path, store)
