"""The inbox through each store (MemoryStore, SQLiteStore): the same steps give the same rows and
verdicts, handlers complete at least once across failures and crashes, records fold each
delivery once, and the worker (drain, adrain) runs what is due."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneinbox_webhooks import CallEnded, CallRecord, Event, Router, parse_event
from oneinbox_webhooks.inbox import (
    Claim,
    DrainReport,
    adrain,
    current_delivery,
    drain,
    inbox_backoff_ms,
)
from oneinbox_webhooks.stores import MemoryStore, RedisStore, SQLiteStore
from oneinbox_webhooks.testing import make_delivery, make_event

T0 = 1_800_000_000.0  # a fixed clock, in Unix seconds

STORES = ["memory", "sqlite", "redis"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore(lease=30, max_attempts=3)
    elif request.param == "sqlite":
        with SQLiteStore(tmp_path / "inbox.sqlite3", lease=30, max_attempts=3) as s:
            yield s
    else:
        import redis

        server = request.getfixturevalue("redis_server")
        with redis.Redis.from_url(server.url) as client:
            prefix = f"test-{uuid.uuid4().hex}:"
            yield RedisStore(client, prefix=prefix, lease=30, max_attempts=3)


def event(name: str = "call.ended", call_id: str = "call_1", **fields: Any) -> tuple[Event, bytes]:
    body = make_event(name, call_id=call_id, **fields)
    return parse_event(body), body


class Handlers:
    """A router whose call.ended handler fails its first ``failures`` runs."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.runs: list[tuple[str, int]] = []
        self.router = Router()

        @self.router.on("call.ended")
        def ended(e: CallEnded) -> None:
            delivery = current_delivery()
            assert delivery is not None
            self.runs.append((e.call_id, delivery.attempt))
            if self.failures > 0:
                self.failures -= 1
                raise RuntimeError("database briefly down")


def test_a_failed_handler_runs_again_then_a_copy_is_a_repeat(store: Any) -> None:
    e, body = event()
    first = store.arrive(e, body, now=T0)
    assert (first.verdict, first.run, first.delivery.attempt) == ("run", True, 1)
    assert first.delivery.body == body and first.record.status == "completed"
    assert store.finish(first.delivery, "RuntimeError: down", now=T0 + 1) == "failed"
    row = store.row(first.key)
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "RuntimeError: down")
    assert row.due_at == int((T0 + 1) * 1000) + inbox_backoff_ms(1)
    retry = store.arrive(e, body, now=T0 + 2)  # OneInbox's retry, before the inbox's due time
    assert (retry.verdict, retry.delivery.attempt) == ("run", 2)
    assert store.finish(retry.delivery, now=T0 + 3) == "done"
    third = store.arrive(e, body, now=T0 + 4)
    assert (third.verdict, third.delivery) == ("repeat", None)
    assert store.due(now=T0 + 10_000) == []


def test_a_live_claim_is_busy_until_its_lease_ends(store: Any) -> None:
    e, body = event()
    first = store.arrive(e, body, now=T0)
    busy = store.arrive(e, body, now=T0 + 10)
    assert (busy.verdict, busy.retry_after_ms, busy.run) == ("busy", 20_000, False)
    # The worker died: at the lease's end the delivery is due, and a copy takes it over.
    assert store.due(now=T0 + 29.999) == []
    assert store.due(now=T0 + 30) == [first.key]
    taken = store.arrive(e, body, now=T0 + 30)
    assert (taken.verdict, taken.delivery.attempt) == ("run", 2)
    # The first worker's late failure is stale; its late success would be recorded.
    assert store.finish(first.delivery, "late", now=T0 + 31) == "stale"
    assert store.finish(taken.delivery, now=T0 + 32) == "done"


def test_drain_runs_what_is_due_once(store: Any) -> None:
    handlers = Handlers(failures=1)
    e, body = event()
    first = store.arrive(e, body, now=T0)
    store.finish(first.delivery, "boom", now=T0)
    assert drain(store, handlers.router, now=T0 + 5) == DrainReport()  # not due yet
    report = drain(store, handlers.router, now=T0 + 10)
    assert report == DrainReport(failed=[first.key])  # it fails again (attempt 2)
    report = drain(store, handlers.router, now=T0 + 10 + inbox_backoff_ms(2) / 1000)
    assert report == DrainReport(done=[first.key])
    assert drain(store, handlers.router, now=T0 + 100_000) == DrainReport()
    assert handlers.runs == [("call_1", 2), ("call_1", 3)]


def test_dead_letters_keep_their_body_and_replay(store: Any) -> None:
    handlers = Handlers(failures=10)
    e, body = event()
    arrival = store.arrive(e, body, now=T0)
    store.finish(arrival.delivery, "one", now=T0)
    now = T0
    for _ in range(2):
        now += 3600
        drain(store, handlers.router, now=now)
    [letter] = store.dead()
    assert (letter.key, letter.attempts, letter.call_id, letter.event) == (
        arrival.key,
        3,
        "call_1",
        "call.ended",
    )
    assert letter.last_error == "RuntimeError: database briefly down" and letter.body == body
    assert store.arrive(e, body, now=now + 1).verdict == "dead"
    assert store.due(now=now + 10**6) == []
    handlers.failures = 0
    assert store.replay(arrival.key, now=now + 2) == "replayed"
    assert drain(store, handlers.router, now=now + 2) == DrainReport(done=[arrival.key])
    assert store.dead() == []
    assert store.replay("no such key", now=now) == "not_due"


def test_a_crashed_claim_dies_after_its_last_lease(store: Any) -> None:
    e, body = event()
    key = store.arrive(e, body, now=T0).key  # attempt 1: its worker dies with it
    for attempt in (2, 3):  # each lease runs out; a worker takes it and dies too
        assert store.take(key, now=T0 + 30 * attempt - 31) == ("not_due", None)
        verdict, delivery = store.take(key, now=T0 + 30 * (attempt - 1))
        assert (verdict, delivery.attempt) == ("run", attempt)
    report = drain(store, Handlers().router, now=T0 + 90)
    assert report == DrainReport(dead=[key])
    [letter] = store.dead()
    assert letter.last_error == "attempt 3 did not finish within its lease"


def test_claim_marks_done_or_failed(store: Any) -> None:
    e, body = event()
    with store.claim(e, body, now=T0) as claim:
        assert isinstance(claim, Claim) and claim.run and claim.verdict == "run"
        assert current_delivery() == claim.delivery
    assert current_delivery() is None
    assert store.row(claim.delivery.key).state == "done"
    with store.claim(e, body, now=T0 + 1) as again:
        assert not again.run and again.verdict == "repeat"
    other, other_body = event(call_id="call_2")
    with pytest.raises(ValueError, match="bad"), store.claim(other, other_body, now=T0) as c:
        raise ValueError("bad")
    assert store.row(c.delivery.key).state == "failed"
    assert store.row(c.delivery.key).last_error == "ValueError: bad"
    # Without a body, the event's wire JSON is kept: it reads back as the same event.
    third, _ = event(call_id="call_3")
    with store.claim(third, now=T0) as c3:
        assert parse_event(c3.delivery.body) == third


def test_records_fold_each_delivery_once(store: Any) -> None:
    bodies = [
        make_event("call.started", call_id="c"),
        make_event("transcript.final", call_id="c"),
        make_event("call.ended", call_id="c"),
        make_event("call.analyzed", call_id="c"),
    ]
    expected = CallRecord("c")
    for i, body in enumerate(bodies + bodies):  # every delivery twice
        arrival = store.arrive(parse_event(body), body, now=T0 + i)
        if arrival.run:
            store.finish(arrival.delivery, now=T0 + i)
        expected.apply(parse_event(body))
        assert arrival.record == expected
    assert store.get("c") == expected
    # The at-most-once record() sees the same deliveries as old.
    assert [store.record(parse_event(b)).new for b in bodies] == [False] * 4


def test_prune_drops_old_done_rows_and_keeps_records(store: Any) -> None:
    handlers = Handlers()
    done_e, done_body = event(call_id="done")
    dead_e, dead_body = event(call_id="dead")
    a = store.arrive(done_e, done_body, now=T0)
    store.finish(a.delivery, now=T0)
    b = store.arrive(dead_e, dead_body, now=T0)
    for attempt in range(1, 4):
        store.finish(b.delivery, "x", now=T0)
        if attempt < 3:
            b = store.arrive(dead_e, dead_body, now=T0)
    assert store.prune(3600, now=T0 + 3599) == 0
    assert store.prune(3600, now=T0 + 3600) == 1
    assert store.row(a.key) is None and store.get("done") is not None
    assert store.prune(0, now=T0 + 3600) == 0  # dead letters stay
    assert store.prune(0, include_dead=True, now=T0 + 3600) == 1
    assert drain(store, handlers.router, now=T0 + 10**6) == DrainReport()
    with pytest.raises(ValueError, match="older_than"):
        store.prune(-1)


def test_adrain_awaits_async_handlers(store: Any) -> None:
    router = Router()
    seen: list[int] = []

    @router.on("call.ended")
    async def ended(e: CallEnded) -> None:
        await asyncio.sleep(0)
        delivery = current_delivery()
        assert delivery is not None
        seen.append(delivery.attempt)

    e, body = event()
    first = store.arrive(e, body, now=T0)
    store.finish(first.delivery, "x", now=T0)
    report = asyncio.run(adrain(store, router, now=T0 + 3600))
    assert report == DrainReport(done=[first.key]) and seen == [2]


def test_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_deliveries"):
        MemoryStore(max_deliveries=0)
    from oneinbox_webhooks import UsageError

    with pytest.raises(UsageError) as err:
        SQLiteStore(tmp_path / "x.sqlite3", lease=0)
    assert err.value.issues[0].path == "/lease"
    store = MemoryStore()
    with pytest.raises(ValueError, match="limit"):
        store.due(limit=0)
    with pytest.raises(TypeError, match="body must be bytes"):
        store.arrive(event()[0], "text")  # type: ignore[arg-type]


def test_memory_store_is_bounded() -> None:
    store = MemoryStore(max_deliveries=2)
    keys = []
    for i in range(4):
        e, body = event(call_id=f"c{i}")
        arrival = store.arrive(e, body, now=T0 + i)
        store.finish(arrival.delivery, now=T0 + i)
        keys.append(arrival.key)
    assert [store.row(k) is not None for k in keys] == [False, False, True, True]
    assert all(store.get(f"c{i}") is not None for i in range(4))


# ---- a receiver process killed after its 202 -----------------------------------------------

RECEIVER = """
import sys, time
from pathlib import Path
from flask import Flask
from oneinbox_webhooks import Receiver, Router
from oneinbox_webhooks.flask import webhook_blueprint
from oneinbox_webhooks.stores import SQLiteStore

path, token, port, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
router = Router()

@router.on("call.ended")
def slow(event):
    marker.write_text("started")
    time.sleep(60)  # killed before this ends

app = Flask(__name__)
app.register_blueprint(
    webhook_blueprint(Receiver(url_tokens=[token]), router,
                      store=SQLiteStore(path, lease=1), ack_timeout=0.2)
)
app.run(host="127.0.0.1", port=port)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_receiver_killed_after_its_202_loses_nothing(tmp_path: Path) -> None:
    db, marker, script = tmp_path / "inbox.sqlite3", tmp_path / "started", tmp_path / "r.py"
    script.write_text(textwrap.dedent(RECEIVER))
    token, port = "tok_" + os.urandom(8).hex(), _free_port()
    process = subprocess.Popen(
        [sys.executable, str(script), str(db), token, str(port), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = make_event("call.ended", call_id="call_crash")
        delivery = make_delivery(
            body, url=f"http://127.0.0.1:{port}/webhooks/oneinbox", url_token=token
        )
        deadline = time.monotonic() + 30
        while True:
            request = urllib.request.Request(delivery.url, body, dict(delivery.headers))
            try:
                with urllib.request.urlopen(request, timeout=10) as reply:
                    status = reply.status
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert status == 202
        while not marker.exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    handlers = Handlers()
    with SQLiteStore(db, lease=1) as store:
        assert drain(store, handlers.router) == DrainReport()  # the lease is still live
        time.sleep(1.1)
        report = drain(store, handlers.router)
        assert len(report.done) == 1 and handlers.runs == [("call_crash", 2)]
        assert drain(store, handlers.router, now=time.time() + 10**6) == DrainReport()


def test_an_asyncio_redis_store_is_awaited(redis_server: Any) -> None:
    import redis.asyncio

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
        try:
            store = RedisStore(client, prefix=f"test-{uuid.uuid4().hex}:", lease=30)
            e, body = event()
            first = await store.aarrive(e, body, now=T0)
            assert (first.verdict, first.delivery.body) == ("run", body)
            assert await store.afinish(first.delivery, "boom", now=T0) == "failed"
            assert await store.adue(now=T0 + 10) == [first.key]
            handlers = Handlers()
            report = await adrain(store, handlers.router, now=T0 + 10)
            assert report == DrainReport(done=[first.key]) and handlers.runs == [("call_1", 2)]
            assert (await store.aarrive(e, body, now=T0 + 11)).verdict == "repeat"
            assert (await store.arow(first.key)).state == "done"
            assert await store.aprune(0, now=T0 + 12) == 1
        finally:
            await client.aclose()

    asyncio.run(main())


NODE_WORKER = """
const { RedisStore } = require(process.argv[1] + '/stores.js')
const { createClient } = require(process.argv[1] + '/node_modules/redis')
;(async () => {
  const client = createClient({ url: process.argv[2] })
  await client.connect()
  const store = new RedisStore(client, { prefix: process.argv[3] })
  const now = Number(process.argv[4])
  const keys = await store.due({ now })
  const { verdict, delivery } = await store.take(keys[0], { now })
  const finished = await store.finish(delivery, null, { now })
  const record = await store.get(delivery.callId)
  console.log(JSON.stringify({ keys, verdict, attempt: delivery.attempt, finished,
    body: delivery.body.toString('utf8'), status: record.status }))
  await client.close()
})().catch((err) => { console.error(err); process.exit(1) })
"""


def test_python_and_node_share_one_redis_inbox(redis_server: Any) -> None:
    """Python's delivery fails; a Node worker takes it from the same Redis, runs it and marks it
    done; Python then sees a repeat and the same record."""
    import json
    import shutil

    import redis

    node = shutil.which("node")
    assert node is not None, "node is not installed (the Node binding's tests need it too)"
    package = Path(__file__).resolve().parents[2] / "node"
    prefix = f"test-{uuid.uuid4().hex}:"
    with redis.Redis.from_url(redis_server.url) as client:
        store = RedisStore(client, prefix=prefix)
        e, body = event(call_id="call_shared")
        first = store.arrive(e, body, now=T0)
        assert store.finish(first.delivery, "boom", now=T0) == "failed"
        due = int((T0 + 3600) * 1000)
        run = subprocess.run(
            [node, "-e", NODE_WORKER, str(package), redis_server.url, prefix, str(due)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        seen = json.loads(run.stdout)
        assert seen == {
            "keys": [first.key],
            "verdict": "run",
            "attempt": 2,
            "finished": "done",
            "body": body.decode("utf-8"),
            "status": "completed",
        }
        assert store.arrive(e, body, now=T0 + 3601).verdict == "repeat"
        assert store.get("call_shared") == first.record


def test_fastapi_never_blocks_the_event_loop_on_a_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A blocking store (SQLite, here slowed to 200 ms a call) runs in a thread: asyncio's
    debug mode reports no slow callback on the loop while deliveries go through."""
    pytest.importorskip("fastapi")
    import logging

    import httpx
    from fastapi import FastAPI

    from oneinbox_webhooks import Receiver
    from oneinbox_webhooks.fastapi import webhook_router

    class SlowSQLiteStore(SQLiteStore):
        def arrive(self, *args: Any, **kwargs: Any) -> Any:
            time.sleep(0.2)
            return super().arrive(*args, **kwargs)

        def finish(self, *args: Any, **kwargs: Any) -> Any:
            time.sleep(0.2)
            return super().finish(*args, **kwargs)

    handlers = Handlers()
    token = "tok_" + os.urandom(8).hex()
    app = FastAPI()
    store = SlowSQLiteStore(tmp_path / "slow.sqlite3")
    app.include_router(webhook_router(Receiver(url_tokens=[token]), handlers.router, store=store))

    async def main() -> list[int]:
        asyncio.get_running_loop().slow_callback_duration = 0.1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            statuses = []
            for i in range(3):
                body = make_event("call.ended", call_id=f"call_loop_{i}")
                d = make_delivery(body, url="http://test/webhooks/oneinbox", url_token=token)
                reply = await client.post(d.url, content=d.body, headers=d.headers)
                statuses.append(reply.status_code)
            return statuses

    caplog.set_level(logging.WARNING, logger="asyncio")
    assert asyncio.run(main(), debug=True) == [204, 204, 204]
    assert len(handlers.runs) == 3
    slow = [
        r.getMessage() for r in caplog.records if r.name == "asyncio" and "took" in r.getMessage()
    ]
    assert slow == []
    # The check can fail: the same store called on the loop is reported.
    caplog.clear()

    async def blocking() -> None:
        asyncio.get_running_loop().slow_callback_duration = 0.1
        body = make_event("call.ended", call_id="call_on_loop")
        store.arrive(parse_event(body), body)

    asyncio.run(blocking(), debug=True)
    assert any("took" in r.getMessage() for r in caplog.records if r.name == "asyncio")


def test_fastapi_awaits_an_async_postgres_store(postgres_dsn: str) -> None:
    """FastAPI over ``AsyncPostgresStore``: its coroutines are awaited on the loop; a handler
    that fails once runs again on the retry."""
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from oneinbox_webhooks import Receiver
    from oneinbox_webhooks.fastapi import webhook_router
    from oneinbox_webhooks.stores import AsyncPostgresStore

    handlers = Handlers(failures=1)
    token = "tok_" + os.urandom(8).hex()
    store = AsyncPostgresStore(postgres_dsn)
    app = FastAPI()
    app.include_router(webhook_router(Receiver(url_tokens=[token]), handlers.router, store=store))
    body = make_event("call.ended", call_id="call_apg")
    with TestClient(app) as client:
        statuses = []
        for _ in range(3):
            d = make_delivery(body, url="http://testserver/webhooks/oneinbox", url_token=token)
            statuses.append(client.post(d.url, content=d.body, headers=d.headers).status_code)
        assert client.portal is not None
        client.portal.call(store.aclose)
    assert statuses == [500, 204, 204]
    assert handlers.runs == [("call_apg", 1), ("call_apg", 2)]


def test_fastapi_records_at_most_once_in_an_async_postgres_store(postgres_dsn: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from oneinbox_webhooks import Receiver
    from oneinbox_webhooks.fastapi import webhook_router
    from oneinbox_webhooks.stores import AsyncPostgresStore

    runs: list[str] = []
    router = Router()
    router.on("call.ended")(lambda e: runs.append(e.call_id))
    token = "tok_" + os.urandom(8).hex()
    store = AsyncPostgresStore(postgres_dsn)
    app = FastAPI()
    receiver = Receiver(url_tokens=[token])
    app.include_router(webhook_router(receiver, router, store=store, at_most_once=True))
    body = make_event("call.ended", call_id="call_amo_pg")
    with TestClient(app) as client:
        d = make_delivery(body, url="http://testserver/webhooks/oneinbox", url_token=token)
        statuses = [
            client.post(d.url, content=d.body, headers=d.headers).status_code for _ in range(2)
        ]
        assert client.portal is not None
        client.portal.call(store.aclose)
    assert (statuses, runs) == ([204, 204], ["call_amo_pg"])


def test_a_postgres_connection_must_autocommit(postgres_dsn: str) -> None:
    import psycopg

    from oneinbox_webhooks.stores import PostgresStore

    with psycopg.connect(postgres_dsn) as conn, pytest.raises(TypeError, match="autocommit=True"):
        PostgresStore(conn)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        PostgresStore(conn).migrate()
