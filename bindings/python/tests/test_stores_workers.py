"""Eight processes deliver the same call to one real store at once (a real SQLite file; a real
redis-server and a real PostgreSQL server started by the tests): each distinct delivery is `new`
exactly once across all of them, and every process then reads the record a single sequential
fold gives."""

from __future__ import annotations

import multiprocessing
import sqlite3
import uuid
from typing import Any

import pytest
import store_worker
from postgres_server import PostgresServer
from redis_server import RedisServer
from store_worker import CALL_ID, bodies

from oneinbox_webhooks import CallRecord, dedupe_key, parse_event
from oneinbox_webhooks.stores import PostgresStore, RedisStore, SQLiteStore

WORKERS = 8


def sequential_fold() -> CallRecord:
    record = CallRecord(CALL_ID)
    for body in bodies():
        record.apply(parse_event(body))
    return record


def run_workers(kind: str, target: str, prefix: str) -> list[tuple[Any, ...]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=store_worker.deliver, args=(kind, target, prefix, seed, barrier, results)
        )
        for seed in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        got = [results.get(timeout=300) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()
    errors = [result[1] for result in got if result[0] == "error"]
    assert not errors, "\n".join(errors)
    assert all(process.exitcode == 0 for process in processes)
    return got


def check_results(got: list[tuple[Any, ...]]) -> None:
    keys = {dedupe_key(parse_event(body)) for body in bodies()}
    assert len(keys) == 9
    assert sorted(result[0] for result in got) == list(range(WORKERS))
    new_claims: dict[str, int] = dict.fromkeys(keys, 0)
    delivered = 0
    for _seed, outcomes, _records, _final in got:
        assert {key for key, _new in outcomes} == keys  # each worker delivered all nine
        assert len(outcomes) == 9 + 5  # and five duplicates
        delivered += len(outcomes)
        for key, new in outcomes:
            new_claims[key] += new
    # Every distinct delivery was new for exactly one worker; every other copy was a duplicate.
    assert new_claims == dict.fromkeys(keys, 1)
    assert delivered == WORKERS * 14

    expected = sequential_fold()
    for _seed, _outcomes, records, final in got:
        assert final == expected.to_json()
        assert CallRecord.from_json(final) == expected
        # What each delivery returned is part of the final record: merging adds nothing.
        for text in records:
            assert not CallRecord.from_json(expected.to_json()).merge(CallRecord.from_json(text))


def test_eight_processes_open_a_new_sqlite_file_at_once(tmp_path: Any) -> None:
    # Switching a new file to WAL can fail with "database is locked" without waiting for the
    # busy timeout; the store retries it (without the retry this test failed in 3 runs of 3).
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(8):
        path = str(tmp_path / f"new-{round_}.sqlite3")
        barrier = ctx.Barrier(WORKERS)
        results = ctx.Queue()
        processes = [
            ctx.Process(target=store_worker.open_at_once, args=(path, barrier, results))
            for _ in range(WORKERS)
        ]
        for process in processes:
            process.start()
        try:
            got = [results.get(timeout=300) for _ in processes]
        finally:
            for process in processes:
                process.join(timeout=60)
        assert got == ["ok"] * WORKERS, "\n".join(r for r in got if r != "ok")


def test_eight_processes_share_one_sqlite_file(tmp_path: Any) -> None:
    path = tmp_path / "calls.sqlite3"
    check_results(run_workers("sqlite", str(path), ""))
    with SQLiteStore(path) as store:
        assert store.get(CALL_ID) == sequential_fold()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        count = conn.execute("SELECT count(*) FROM oneinbox_inbox WHERE call_id = ?", (CALL_ID,))
        assert count.fetchone() == (9,)


def test_eight_processes_share_one_redis_server(redis_server: RedisServer) -> None:
    import redis

    prefix = f"test-workers-{uuid.uuid4().hex}:"
    check_results(run_workers("redis", redis_server.url, prefix))
    with redis.Redis.from_url(redis_server.url) as client:
        assert RedisStore(client, prefix=prefix).get(CALL_ID) == sequential_fold()
        assert len(client.keys(f"{prefix}d:*")) == 9  # one hash per distinct delivery
        assert 0 < client.ttl(f"{prefix}r:{CALL_ID}") <= 3600


def test_eight_processes_share_one_postgres_database(postgres_server: PostgresServer) -> None:
    # A new database: the eight processes also create its tables at once (on first use).
    dsn = postgres_server.new_database()
    check_results(run_workers("postgres", dsn, ""))
    with PostgresStore(dsn) as store:
        assert store.get(CALL_ID) == sequential_fold()
    import psycopg

    with psycopg.connect(dsn) as conn:
        count = conn.execute("SELECT count(*) FROM oneinbox_inbox WHERE call_id = %s", (CALL_ID,))
        assert count.fetchone() == (9,)


@pytest.mark.parametrize("seed", range(WORKERS))
def test_each_worker_sends_every_delivery_and_duplicates(seed: int) -> None:
    sequence = store_worker.deliveries(seed)
    assert sorted(set(sequence)) == sorted(bodies()) and len(sequence) == 14
    assert sequence != store_worker.deliveries((seed + 1) % WORKERS)  # orders differ
