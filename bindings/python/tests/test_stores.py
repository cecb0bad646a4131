"""The stores, one process: MemoryStore, SQLiteStore on a real file, RedisStore on a real
redis-server (started by the tests, see conftest.py). test_stores_workers.py has the
multi-process tests."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import body_bytes, fixture_paths, load, options
from redis_server import RedisServer
from store_worker import CALL_ID, bodies

from oneinbox_webhooks import CallRecord, Event, dedupe_key, parse_event
from oneinbox_webhooks.stores import (
    MemoryStore,
    Recorded,
    RedisStore,
    SQLiteStore,
    Store,
    _parse_stored,
    _wire_json,
)

EVENTS = [parse_event(body) for body in bodies()]
OTHER_CALL = parse_event(b'{"event":"call.failed","call_id":"call_other","reason":"busy"}')
UNKNOWN = parse_event(b'{"event":"call.transferred","call_id":"call_abc123","to":"+15550001111"}')


def fold(events: list[Event], call_id: str = CALL_ID) -> CallRecord:
    record = CallRecord(call_id)
    for event in events:
        record.apply(event)
    return record


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """A factory of stores that share one backing store (the same file, server and prefix)."""
    if request.param == "memory":
        shared = MemoryStore()
        yield lambda: shared
    elif request.param == "sqlite":
        opened: list[SQLiteStore] = []

        def sqlite_store() -> SQLiteStore:
            opened.append(SQLiteStore(tmp_path / "calls.sqlite3"))
            return opened[-1]

        yield sqlite_store
        for store in opened:
            store.close()
    else:
        import redis

        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"test-{uuid.uuid4().hex}:"
        clients: list[Any] = []

        def redis_store() -> RedisStore:
            clients.append(redis.Redis.from_url(server.url))
            return RedisStore(clients[-1], prefix=prefix)

        yield redis_store
        for client in clients:
            client.close()


def test_each_delivery_is_new_once_and_the_record_is_the_fold_of_the_set(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    assert isinstance(store, Store)
    assert store.get(CALL_ID) is None
    seen: list[Event] = []
    for event in EVENTS:
        recorded = store.record(event)
        seen.append(event)
        assert recorded.new
        assert recorded.record == fold(seen)
        again = store.record(event)  # a retry
        assert not again.new
        assert again.record == fold(seen)
    assert store.get(CALL_ID) == fold(EVENTS)
    # Another instance over the same backing store sees every delivery as a duplicate.
    other = make_store()
    for event in reversed(EVENTS):
        assert not other.record(event).new
    assert other.get(CALL_ID) == fold(EVENTS)


def test_order_does_not_matter(make_store: Callable[[], Store]) -> None:
    store = make_store()
    for event in [*EVENTS[::2], *EVENTS[1::2], *EVENTS[::-1]]:
        store.record(event)
    assert store.get(CALL_ID) == fold(EVENTS)
    assert fold(EVENTS) == fold(EVENTS[::-1])


def test_calls_are_kept_apart_and_unknown_events_count_as_deliveries(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    store.record(EVENTS[0])
    other = store.record(OTHER_CALL)
    assert other.new and other.record == fold([OTHER_CALL], "call_other")
    assert store.get("call_other") == fold([OTHER_CALL], "call_other")
    assert store.get(CALL_ID) == fold(EVENTS[:1])
    assert store.record(UNKNOWN).new
    assert not store.record(UNKNOWN).new
    assert store.get(CALL_ID) == fold([EVENTS[0], UNKNOWN])
    assert store.get("call_none") is None


def test_a_recorded_record_is_a_copy(make_store: Callable[[], Store]) -> None:
    store = make_store()
    recorded = store.record(EVENTS[0])
    assert isinstance(recorded, Recorded)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.new = False  # type: ignore[misc]
    # The record object is made on first read, and is the same object on every read: a
    # change to it stays in it.
    assert recorded.record is recorded.record
    recorded.record.apply(EVENTS[1])
    assert recorded.record == fold(EVENTS[:2])
    got = store.get(CALL_ID)
    assert got is not None and got == fold(EVENTS[:1])
    given = fold(EVENTS[:1])
    assert Recorded(True, given).record is given
    got.apply(EVENTS[2])
    assert store.get(CALL_ID) == fold(EVENTS[:1])
    with pytest.raises(TypeError, match="call_id must be a str"):
        store.get(1)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_threads_claim_each_delivery_once(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "t.sqlite3")
    barrier = threading.Barrier(8)
    claims: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def deliver() -> None:
        barrier.wait()
        for event in EVENTS * 2:
            new = store.record(event).new
            with lock:
                claims.append((dedupe_key(event), new))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(key for key, new in claims if new) == sorted(dedupe_key(e) for e in EVENTS)
    assert len(claims) == 8 * 2 * len(EVENTS)
    assert store.get(CALL_ID) == fold(EVENTS)


def test_wire_json_reads_back_as_the_same_event_for_every_accepted_fixture() -> None:
    checked = 0
    for path in fixture_paths():
        fixture = load(path)
        if "variant" not in fixture["lenient"]:
            continue
        event = parse_event(body_bytes(fixture), **options(fixture, strict=False))
        again = _parse_stored(_wire_json(event))
        assert again == event, path.name
        assert dedupe_key(again) == dedupe_key(event), path.name
        assert _parse_stored(_wire_json(event).encode("utf-8")) == event
        checked += 1
    assert checked > 100


# ---- SQLite ---------------------------------------------------------------------------------


def test_sqlite_uses_wal_two_tables_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    with SQLiteStore(str(path), timeout=5) as store:
        assert repr(store) == f"SQLiteStore({str(path)!r})"
        for event in EVENTS:
            store.record(event)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = conn.execute(
            "SELECT key, call_id, event, body, state FROM oneinbox_inbox"
        ).fetchall()
        records = conn.execute("SELECT call_id, record FROM oneinbox_calls").fetchall()
    # One row per delivery, kept as done (recorded at most once), with its wire body.
    assert sorted(key for key, *_rest in rows) == sorted(dedupe_key(e) for e in EVENTS)
    assert {(call, state) for _key, call, _event, _body, state in rows} == {(CALL_ID, "done")}
    assert sorted(_parse_stored(body).event for *_rest, body, _state in rows) == sorted(
        e.event for e in EVENTS
    )
    # One row per call: the folded record, written as each new delivery came.
    assert [(call, CallRecord.from_json(text)) for call, text in records] == [
        (CALL_ID, fold(EVENTS))
    ]
    # Used after close(), the store opens a new connection.
    assert store.get(CALL_ID) == fold(EVENTS)
    store.close()


def test_sqlite_refuses_what_cannot_be_shared(tmp_path: Path) -> None:
    for path in (":memory:", "", "file:x?mode=memory&cache=shared"):
        with pytest.raises(ValueError, match="use MemoryStore"):
            SQLiteStore(path)
    for timeout in (-1, float("nan"), float("inf"), True, "5"):
        with pytest.raises(ValueError, match="timeout must be a non-negative number"):
            SQLiteStore(tmp_path / "x.sqlite3", timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.OperationalError):
        SQLiteStore(tmp_path / "missing-dir" / "x.sqlite3")


def test_sqlite_after_fork_uses_a_new_connection(tmp_path: Path) -> None:
    # A child forked after the parent used the store must not share the parent's connection.
    script = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from store_worker import bodies
from oneinbox_webhooks import parse_event
from oneinbox_webhooks.stores import SQLiteStore
store = SQLiteStore({str(tmp_path / "fork.sqlite3")!r})
events = [parse_event(b) for b in bodies()]
store.record(events[0])
pid = os.fork()
if pid == 0:
    ok = [store.record(e).new for e in events[1:]] == [True] * (len(events) - 1)
    store.close()
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0
assert not any(store.record(e).new for e in events)
print(len(store.get("call_abc123").events_seen))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == len(fold(EVENTS).events_seen)


# ---- Redis ----------------------------------------------------------------------------------


def test_redis_keys_values_and_ttl(redis_server: RedisServer) -> None:
    import redis

    prefix = f"test-{uuid.uuid4().hex}:"
    with redis.Redis.from_url(redis_server.url, decode_responses=True) as client:
        store = RedisStore(client, prefix=prefix, ttl_seconds=60)
        assert repr(store) == f"RedisStore(prefix={prefix!r}, ttl_seconds=60)"
        assert store.key(CALL_ID) == f"{prefix}r:{CALL_ID}"
        for event in EVENTS:
            assert store.record(event).new
        # One hash per call: its folded record, and a version for compare-and-set.
        stored = client.hgetall(f"{prefix}r:{CALL_ID}")
        assert CallRecord.from_json(stored["record"]) == fold(EVENTS)
        assert stored["v"] == str(len(EVENTS))
        # One hash per delivery: its wire body and its inbox row (done: recorded at most once).
        for event in EVENTS:
            row = client.hgetall(f"{prefix}d:{dedupe_key(event)}")
            assert (row["call_id"], row["event"], row["state"]) == (CALL_ID, event.event, "done")
            assert _parse_stored(row["body"]) == event
        assert 0 < client.ttl(f"{prefix}r:{CALL_ID}") <= 60
        assert store.get(CALL_ID) == fold(EVENTS)
        # Without ttl_seconds nothing expires; another prefix is another store.
        plain = RedisStore(client, prefix=f"{prefix}plain:")
        assert plain.get(CALL_ID) is None
        assert plain.record(EVENTS[0]).new
        assert client.ttl(f"{prefix}plain:r:{CALL_ID}") == -1
        assert RedisStore(client).key("c") == "oneinbox:r:c"


def test_redis_asyncio_client(redis_server: RedisServer) -> None:
    import redis.asyncio

    prefix = f"test-{uuid.uuid4().hex}:"

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_server.url)
        try:
            store = RedisStore(client, prefix=prefix, ttl_seconds=30)
            assert await store.aget(CALL_ID) is None
            results = await asyncio.gather(*(store.arecord(e) for e in EVENTS + EVENTS))
            assert sum(r.new for r in results) == len(EVENTS)
            assert await store.aget(CALL_ID) == fold(EVENTS)
            assert 0 < await client.ttl(f"{prefix}r:{CALL_ID}") <= 30
            # The synchronous methods refuse an asyncio client before sending anything.
            with pytest.raises(TypeError, match=r"asyncio client: await its a… methods"):
                store.record(OTHER_CALL)
            with pytest.raises(TypeError, match="asyncio client"):
                store.get(CALL_ID)
            assert await client.exists(f"{prefix}r:call_other") == 0
        finally:
            await client.aclose()

    asyncio.run(main())


def test_redis_sync_client_refuses_the_async_methods(redis_server: RedisServer) -> None:
    import redis

    prefix = f"test-{uuid.uuid4().hex}:"
    with redis.Redis.from_url(redis_server.url) as client:
        store = RedisStore(client, prefix=prefix)
        with pytest.raises(TypeError, match=r"synchronous client: call its methods without `a`"):
            asyncio.run(store.arecord(EVENTS[0]))
        with pytest.raises(TypeError, match="synchronous client"):
            asyncio.run(store.aget(CALL_ID))
        with pytest.raises(TypeError, match="synchronous client"):
            asyncio.run(store.aarrive(EVENTS[0]))
        assert client.exists(f"{prefix}r:{CALL_ID}") == 0


class CommandsOnly:
    """A client with only the commands the store uses (no execute_command to tell sync from
    async)."""

    def __init__(self, client: Any) -> None:
        self.hgetall = client.hgetall
        self.eval = client.eval
        self.zrangebyscore = client.zrangebyscore
        self.zrange = client.zrange


def test_redis_other_clients_are_told_apart_by_their_answers(redis_server: RedisServer) -> None:
    import redis
    import redis.asyncio

    prefix = f"test-{uuid.uuid4().hex}:"
    with redis.Redis.from_url(redis_server.url) as sync_client:
        sync_store = RedisStore(CommandsOnly(sync_client), prefix=prefix)
        assert sync_store.record(EVENTS[0]).new
        # arecord over a synchronous client works (its commands have run when answered).
        assert not asyncio.run(sync_store.arecord(EVENTS[0])).new

        async def main() -> None:
            client = redis.asyncio.Redis.from_url(redis_server.url)
            try:
                store = RedisStore(CommandsOnly(client), prefix=prefix)
                assert (await store.arecord(EVENTS[1])).new
                with pytest.raises(TypeError, match="asyncio client"):
                    store.record(EVENTS[2])  # the coroutine is closed, never sent
            finally:
                await client.aclose()

        with_warnings_as_errors(lambda: asyncio.run(main()))
        assert sync_store.get(CALL_ID) == fold(EVENTS[:2])


def with_warnings_as_errors(run: Callable[[], None]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "coroutine was never awaited"
        run()


def test_redis_store_misuse() -> None:
    with pytest.raises(TypeError, match=r"client has no hgetall\(\) method"):
        RedisStore(object())  # type: ignore[arg-type]
    commands = ("hgetall", "eval", "zrangebyscore", "zrange")
    fake = type("Fake", (), dict.fromkeys(commands, print))()
    with pytest.raises(TypeError, match="prefix must be a str"):
        RedisStore(fake, prefix=b"x")  # type: ignore[arg-type]
    for ttl in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="ttl_seconds must be a positive int or None"):
            RedisStore(fake, ttl_seconds=ttl)  # type: ignore[arg-type]


def test_importing_the_package_does_not_import_redis() -> None:
    code = (
        "import sys, oneinbox_webhooks, oneinbox_webhooks.stores, oneinbox_webhooks.router\n"
        "assert 'redis' not in sys.modules, 'redis was imported'\n"
        "assert oneinbox_webhooks.Router is oneinbox_webhooks.router.Router\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (
        importlib.import_module("oneinbox_webhooks.stores").__name__ == "oneinbox_webhooks.stores"
    )
