"""The inbox over every store, and what only ``PostgresStore`` does: a real PostgreSQL server
(tests/postgres_server.py) started for the session, a new database per test.

The behaviour tests take a ``store`` fixture parametrized over MemoryStore, SQLiteStore,
PostgresStore (a DSN, a connection, a pool) and AsyncPostgresStore (through a sync facade that
runs each coroutine on one event loop), so each rule is checked once for all of them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg_pool
import pytest

from oneinbox_webhooks import CallEnded, CallRecord, Router, dedupe_key, parse_event
from oneinbox_webhooks.inbox import adrain, current_delivery, drain
from oneinbox_webhooks.stores import (
    AsyncPostgresStore,
    MemoryStore,
    PostgresStore,
    SQLiteStore,
)

T0 = 1_700_000_000.0  # Unix seconds; every test passes `now`
LEASE = 60.0


def ended(call_id: str = "call_1", outcome: str = "Booked") -> bytes:
    return (
        f'{{"event":"call.ended","call_id":"{call_id}","agent_id":"agt_1",'
        f'"outcome":"{outcome}","duration_seconds":42}}'
    ).encode()


def started(call_id: str = "call_1") -> bytes:
    return f'{{"event":"call.started","call_id":"{call_id}","agent_id":"agt_1"}}'.encode()


class SyncFacade:
    """An AsyncPostgresStore's coroutines run to completion on one loop, so the sync tests run
    over it too."""

    def __init__(self, store: AsyncPostgresStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)
        return lambda *args, **kwargs: self.loop.run_until_complete(method(*args, **kwargs))

    def claim(self, event: Any, body: Any = None, *, now: Any = None) -> Any:
        from oneinbox_webhooks.inbox import Claim

        return Claim(self, self.arrive(event, body, now=now))


@pytest.fixture(
    params=["memory", "sqlite", "postgres-dsn", "postgres-connection", "postgres-pool", "async"]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    kind: str = request.param
    if kind == "memory":
        yield MemoryStore(lease=LEASE, max_attempts=3)
        return
    if kind == "sqlite":
        with SQLiteStore(tmp_path / "inbox.sqlite3", lease=LEASE, max_attempts=3) as s:
            yield s
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    if kind == "postgres-dsn":
        with PostgresStore(dsn, lease=LEASE, max_attempts=3) as s:
            yield s
    elif kind == "postgres-connection":
        with psycopg.connect(dsn, autocommit=True) as conn:
            yield PostgresStore(conn, lease=LEASE, max_attempts=3)
    elif kind == "postgres-pool":
        with psycopg_pool.ConnectionPool(dsn, min_size=1, max_size=2) as pool:
            yield PostgresStore(pool, lease=LEASE, max_attempts=3)
    else:
        loop = asyncio.new_event_loop()
        astore = AsyncPostgresStore(dsn, lease=LEASE, max_attempts=3)
        yield SyncFacade(astore, loop)
        loop.run_until_complete(astore.aclose())
        loop.close()


# ---- the inbox, over every store ------------------------------------------------------------


def test_first_arrival_runs_and_a_retry_after_done_repeats(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    first = store.arrive(event, body, now=T0)
    assert first.verdict == "run" and first.run
    assert first.key == dedupe_key(event)
    assert first.delivery.attempt == 1 and first.delivery.body == body
    assert first.delivery.call_id == "call_1" and first.delivery.event == "call.ended"
    assert first.record.outcome == "Booked"
    assert store.finish(first.delivery, now=T0 + 1) == "done"
    again = store.arrive(event, body, now=T0 + 2)
    assert again.verdict == "repeat" and again.delivery is None
    assert again.record.outcome == "Booked"
    assert store.row(first.key).state == "done"


def test_a_failed_handler_runs_again_on_the_retry_and_a_third_copy_repeats(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    first = store.arrive(event, body, now=T0)
    assert store.finish(first.delivery, "RuntimeError: db down", now=T0 + 1) == "failed"
    row = store.row(first.key)
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "RuntimeError: db down")
    assert row.due_at == int((T0 + 1) * 1000) + 10_000  # the first backoff
    second = store.arrive(event, body, now=T0 + 2)  # OneInbox's retry runs it at once
    assert second.verdict == "run" and second.delivery.attempt == 2
    assert store.finish(second.delivery, now=T0 + 3) == "done"
    assert store.arrive(event, body, now=T0 + 4).verdict == "repeat"


def test_a_copy_during_a_live_claim_is_busy_until_the_lease_ends(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    first = store.arrive(event, body, now=T0)
    busy = store.arrive(event, body, now=T0 + 10)
    assert busy.verdict == "busy" and busy.delivery is None
    assert busy.retry_after_ms == 50_000
    assert store.due(now=T0 + 10) == []
    # The worker died: at the lease's end the delivery is due, and taking it runs attempt 2.
    assert store.due(now=T0 + LEASE) == [first.key]
    verdict, delivery = store.take(first.key, now=T0 + LEASE)
    assert verdict == "run" and delivery.attempt == 2 and delivery.body == body
    assert store.take(first.key, now=T0 + LEASE + 1) == ("not_due", None)
    # The first worker's late completion is recorded, so nothing runs it again.
    assert store.finish(first.delivery, now=T0 + LEASE + 2) == "done"
    assert store.finish(delivery, now=T0 + LEASE + 3) == "stale"


def test_release_gives_the_claim_back_at_once(store: Any) -> None:
    body = ended()
    first = store.arrive(parse_event(body), body, now=T0)
    assert store.release(first.delivery, "shutting down", now=T0 + 1) == "released"
    assert store.due(now=T0 + 1) == [first.key]


def test_max_attempts_make_a_dead_letter_that_replay_makes_due(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    arrival = store.arrive(event, body, now=T0)
    delivery = arrival.delivery
    verdicts = []
    for attempt in range(3):
        verdicts.append(store.finish(delivery, f"boom {attempt + 1}", now=T0 + attempt))
        if attempt < 2:
            _verdict, delivery = store.take(arrival.key, now=T0 + 10_000)
    assert verdicts == ["failed", "failed", "dead"]
    assert store.due(now=T0 + 100_000) == []
    assert store.arrive(event, body, now=T0 + 5).verdict == "dead"
    (letter,) = store.dead()
    assert (letter.key, letter.call_id, letter.event) == (arrival.key, "call_1", "call.ended")
    assert (letter.attempts, letter.last_error, letter.body) == (3, "boom 3", body)
    assert letter.updated_at == T0 + 2
    assert store.replay(arrival.key, now=T0 + 6) == "replayed"
    assert store.dead() == []
    assert store.due(now=T0 + 6) == [arrival.key]
    assert store.replay("no such key", now=T0 + 6) == "not_due"  # replay-of-missing-row.json


def test_due_is_oldest_first_and_limited(store: Any) -> None:
    keys = []
    for i in range(3):
        body = ended(f"call_{i}")
        arrival = store.arrive(parse_event(body), body, now=T0 + i)
        keys.append(arrival.key)
    assert store.due(now=T0 + 1000) == keys
    assert store.due(now=T0 + 1000, limit=2) == keys[:2]
    with pytest.raises(ValueError, match="limit"):
        store.due(now=T0, limit=0)


def test_prune_drops_old_done_deliveries_and_keeps_the_record(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    arrival = store.arrive(event, body, now=T0)
    store.finish(arrival.delivery, now=T0)
    assert store.prune(3600, now=T0 + 10) == 0
    assert store.prune(3600, now=T0 + 3600) == 1
    assert store.row(arrival.key) is None
    assert store.get("call_1").outcome == "Booked"


def test_record_is_at_most_once_and_get_is_the_fold(store: Any) -> None:
    a, b = parse_event(started()), parse_event(ended())
    assert store.record(a).new and store.record(b).new
    again = store.record(b)
    assert not again.new
    expected = CallRecord("call_1")
    expected.apply(a)
    expected.apply(b)
    assert again.record == expected and store.get("call_1") == expected
    assert store.get("call_none") is None


def test_claim_marks_done_on_exit_and_failed_on_an_exception(store: Any) -> None:
    body = ended()
    event = parse_event(body)
    with pytest.raises(RuntimeError):
        with store.claim(event, body, now=T0) as claim:
            assert claim.run and current_delivery() == claim.delivery
            raise RuntimeError("nope")
    assert store.row(claim.arrival.key).state == "failed"
    with store.claim(event, body, now=T0 + 1) as claim:
        assert claim.run and claim.delivery.attempt == 2
    assert store.row(claim.arrival.key).state == "done"
    with store.claim(event, body, now=T0 + 2) as claim:
        assert not claim.run and claim.verdict == "repeat"


def test_drain_runs_what_is_due_once(store: Any) -> None:
    def run_drain(now: float) -> Any:
        if isinstance(store, SyncFacade):  # adrain awaits the async store
            return store.loop.run_until_complete(adrain(store.store, router, now=now))
        return drain(store, router, now=now)

    runs: list[tuple[str, int]] = []
    router = Router()

    @router.on("call.ended")
    def on_ended(event: CallEnded) -> None:
        delivery = current_delivery()
        assert delivery is not None
        runs.append((event.call_id, delivery.attempt))
        if event.call_id == "call_bad":
            raise RuntimeError("bad call")

    good, bad = ended("call_good"), ended("call_bad")
    for body in (good, bad):
        store.arrive(parse_event(body), body, now=T0)  # and the process died
    report = run_drain(T0 + LEASE)
    assert report.done == [dedupe_key(parse_event(good))]
    assert report.failed == [dedupe_key(parse_event(bad))]
    assert sorted(runs) == [("call_bad", 2), ("call_good", 2)]
    assert not run_drain(T0 + LEASE + 1)


# ---- Postgres only ----------------------------------------------------------------------------


def test_the_tables_are_made_on_first_use_or_by_migrate(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        store = PostgresStore(conn)
        tables = "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'oneinbox_%'"
        assert conn.execute(tables).fetchone() == (0,)  # nothing before its first use
        assert store.get("call_1") is None
        # oneinbox_inbox, oneinbox_calls and oneinbox_open_calls
        assert conn.execute(tables).fetchone() == (3,)
        store.migrate()  # again: nothing changes
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'oneinbox_inbox' ORDER BY ordinal_position"
        ).fetchall()
    assert dict(columns) == {
        "key": "text",
        "call_id": "text",
        "event": "text",
        "body": "bytea",
        "state": "text",
        "attempts": "integer",
        "due_at": "bigint",
        "last_error": "text",
        "created_at": "bigint",
        "updated_at": "bigint",
    }


def test_stores_on_one_database_share_rows(postgres_dsn: str) -> None:
    body = ended()
    with PostgresStore(postgres_dsn) as one, PostgresStore(postgres_dsn) as two:
        arrival = one.arrive(parse_event(body), body, now=T0)
        assert two.arrive(parse_event(body), body, now=T0 + 1).verdict == "busy"
        assert two.finish(arrival.delivery, now=T0 + 2) == "done"
        assert one.row(arrival.key).state == "done"


def test_threads_share_a_dsn_store(postgres_dsn: str) -> None:
    bodies = [ended(f"call_{i}") for i in range(16)]
    verdicts: list[str] = []
    with PostgresStore(postgres_dsn) as store:

        def work(body: bytes) -> None:
            for _ in range(3):
                verdicts.append(store.arrive(parse_event(body), body, now=T0).verdict)

        threads = [threading.Thread(target=work, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(verdicts) == ["busy"] * 32 + ["run"] * 16
        assert len(store.due(now=T0 + LEASE, limit=100)) == 16


def test_a_wrong_target_is_a_type_error_and_repr_shows_no_dsn() -> None:
    with pytest.raises(TypeError, match="DSN str"):
        PostgresStore(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AsyncConnection"):
        AsyncPostgresStore(b"postgresql://")  # type: ignore[arg-type]
    store = PostgresStore("postgresql://user:s3cret@127.0.0.1:1/db")  # connects on first use
    assert "s3cret" not in repr(store) and repr(store) == "PostgresStore(dsn=…)"


def test_importing_the_package_does_not_import_psycopg() -> None:
    code = (
        "import sys, oneinbox_webhooks, oneinbox_webhooks.stores, oneinbox_webhooks.inbox\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- the transactional handler: writes and the done mark commit together --------------------


def _effects(dsn: str) -> list[tuple[str, int]]:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS effects (call_id TEXT, attempt INTEGER)")
        conn.commit()
        return [tuple(row) for row in conn.execute("SELECT * FROM effects ORDER BY attempt")]


def _transactional_router(store: PostgresStore, fail_after_write: set[int]) -> Router:
    router = Router()

    @router.on("call.ended")
    def on_ended(event: CallEnded) -> None:
        delivery = current_delivery()
        assert delivery is not None
        with store.transaction() as conn:
            conn.execute("INSERT INTO effects VALUES (%s, %s)", (event.call_id, delivery.attempt))
            if delivery.attempt in fail_after_write:
                raise RuntimeError("failed after its write")

    return router


def test_a_transactional_handler_that_fails_leaves_no_write(postgres_dsn: str) -> None:
    assert _effects(postgres_dsn) == []
    body = ended()
    with PostgresStore(postgres_dsn) as store:
        router = _transactional_router(store, fail_after_write={2})
        arrival = store.arrive(parse_event(body), body, now=T0)  # and the receiver died
        report = drain(store, router, now=T0 + LEASE)  # attempt 2 fails after its write
        assert report.failed == [arrival.key]
        row = store.row(arrival.key)
        assert row is not None and row.state == "failed" and row.attempts == 2
    assert _effects(postgres_dsn) == []


def test_a_transactional_handler_commits_its_write_with_the_done_mark(postgres_dsn: str) -> None:
    _effects(postgres_dsn)
    body = ended()
    with PostgresStore(postgres_dsn) as store:
        router = _transactional_router(store, fail_after_write={1})
        with pytest.raises(RuntimeError):
            with store.claim(parse_event(body), body) as claim:  # the clock's time: claim's too
                router.dispatch(parse_event(body))
        assert _effects(postgres_dsn) == []
        assert store.row(claim.arrival.key).state == "failed"
        report = drain(store, router, now=time.time() + 3600)
        assert report.done == [claim.arrival.key]
        assert _effects(postgres_dsn) == [("call_1", 2)]
        assert store.row(claim.arrival.key).state == "done"
        assert not drain(store, router, now=time.time() + 7200)
    assert _effects(postgres_dsn) == [("call_1", 2)]


def test_a_transactional_handler_whose_delivery_completed_elsewhere_writes_nothing(
    postgres_dsn: str,
) -> None:
    _effects(postgres_dsn)
    body = ended()
    with PostgresStore(postgres_dsn) as store:
        router = _transactional_router(store, fail_after_write=set())
        slow = store.arrive(parse_event(body), body, now=T0)
        # Its lease ran out; another worker takes it over and completes it, effects included.
        drain(store, router, now=T0 + LEASE)
        assert _effects(postgres_dsn) == [("call_1", 2)]
        # The first worker's handler ends late: its writes roll back, they happened once.
        from oneinbox_webhooks.inbox import run_handlers

        assert slow.delivery is not None
        run_handlers(router, parse_event(body), slow.delivery)
        assert _effects(postgres_dsn) == [("call_1", 2)]
        assert store.finish(slow.delivery, now=T0 + LEASE + 5) == "stale"


def test_transactional_effects_happen_once_when_leases_run_out_under_four_workers(
    postgres_dsn: str,
) -> None:
    # A lease shorter than the handler: other workers take deliveries over while their first
    # run still holds the row, and every call's effect is still written exactly once.
    _effects(postgres_dsn)
    runs: list[int] = []
    with PostgresStore(postgres_dsn, lease=0.05) as store:
        router = Router()

        @router.on("call.ended")
        def on_ended(event: CallEnded) -> None:
            delivery = current_delivery()
            assert delivery is not None
            runs.append(delivery.attempt)
            time.sleep(0.2)  # slow work past the lease (a worker waiting on the row lock of a
            # running transaction cannot take the delivery over: this one has none yet)
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO effects VALUES (%s, %s)", (event.call_id, delivery.attempt)
                )

        for i in range(10):
            body = ended(f"call_{i}")
            store.arrive(parse_event(body), body)  # and the receiver died
        time.sleep(0.06)

        keys = [dedupe_key(parse_event(ended(f"call_{i}"))) for i in range(10)]

        def all_done() -> bool:
            return all((row := store.row(key)) is not None and row.state == "done" for key in keys)

        def worker() -> None:
            # Each worker polls until every delivery is done (not until nothing is due at one
            # moment): an idle worker takes over a claim whose lease ran out while it runs.
            deadline = time.monotonic() + 60
            while not all_done() and time.monotonic() < deadline:
                drain(store, router, limit=1)
                time.sleep(0.01)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows = [store.row(dedupe_key(parse_event(ended(f"call_{i}")))) for i in range(10)]
        assert [row.state if row else None for row in rows] == ["done"] * 10
    calls = sorted(call_id for call_id, _attempt in _effects(postgres_dsn))
    assert calls == sorted(f"call_{i}" for i in range(10))  # once each
    assert len(runs) > 10, runs  # some deliveries ran twice: taken over


def test_a_transaction_outside_a_run_is_a_plain_transaction(postgres_dsn: str) -> None:
    _effects(postgres_dsn)
    with PostgresStore(postgres_dsn) as store:
        with store.transaction() as conn:
            conn.execute("INSERT INTO effects VALUES ('call_x', 0)")
        with pytest.raises(ZeroDivisionError), store.transaction() as conn:
            conn.execute("INSERT INTO effects VALUES ('call_y', 0)")
            1 / 0  # noqa: B018
    assert _effects(postgres_dsn) == [("call_x", 0)]


def test_the_store_can_be_used_inside_its_transaction(postgres_dsn: str) -> None:
    # The block holds the connection (and, in a run, the delivery's row): the store's own calls
    # inside it use that connection instead of waiting for it.
    _effects(postgres_dsn)
    body = ended()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        store = PostgresStore(conn)
        with store.claim(parse_event(body), body, now=T0) as claim:
            with store.transaction(now=T0 + 1) as tx:
                tx.execute("INSERT INTO effects VALUES ('call_1', 1)")
                assert store.get("call_1") is not None
                assert store.row(claim.arrival.key).state == "claimed"  # type: ignore[union-attr]
        assert store.row(claim.arrival.key).state == "done"  # type: ignore[union-attr]
    assert _effects(postgres_dsn) == [("call_1", 1)]


# ---- async ------------------------------------------------------------------------------------


def test_adrain_awaits_an_async_store_on_the_loop(postgres_dsn: str) -> None:
    _effects(postgres_dsn)
    body = ended()

    async def main() -> None:
        loop_thread = threading.get_ident()
        async with AsyncPostgresStore(postgres_dsn) as store:
            router = Router()
            threads: list[int] = []

            @router.on("call.ended")
            async def on_ended(event: CallEnded) -> None:
                threads.append(threading.get_ident())
                delivery = current_delivery()
                assert delivery is not None
                async with store.transaction() as conn:
                    await conn.execute(
                        "INSERT INTO effects VALUES (%s, %s)", (event.call_id, delivery.attempt)
                    )
                    assert (await store.row(delivery.key)).state == "claimed"  # type: ignore[union-attr]

            arrival = await store.arrive(parse_event(body), body, now=T0)
            report = await adrain(store, router, now=T0 + LEASE)
            assert report.done == [arrival.key] and threads == [loop_thread]
            row = await store.row(arrival.key)
            assert row is not None and row.state == "done"
            assert not await adrain(store, router, now=T0 + LEASE + 1)
            # The done mark was written by the handler's transaction, at the clock's time.
            assert await store.prune(0) == 1 and await store.row(arrival.key) is None

    asyncio.run(main(), debug=True)
    assert _effects(postgres_dsn) == [("call_1", 2)]


def test_an_async_store_takes_a_connection_or_a_pool(postgres_dsn: str) -> None:
    body = ended()

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as conn:
            store = AsyncPostgresStore(conn)
            arrival = await store.arrive(parse_event(body), body, now=T0)
            assert arrival.verdict == "run"
        async with psycopg_pool.AsyncConnectionPool(postgres_dsn, min_size=1, open=False) as pool:
            store = AsyncPostgresStore(pool)
            again = await store.arrive(parse_event(body), body, now=T0 + 1)
            assert again.verdict == "busy"
            assert arrival.delivery is not None
            assert await store.finish(arrival.delivery, now=T0 + 2) == "done"
            assert (await store.get("call_1")).outcome == "Booked"  # type: ignore[union-attr]

    asyncio.run(main())


def test_the_reference_shows_the_ddl_the_store_runs() -> None:
    from oneinbox_webhooks._sql import POSTGRES

    readme = (Path(__file__).resolve().parents[3] / "docs" / "reference.md").read_text(
        encoding="utf-8"
    )
    block = readme.split("<!-- postgres-ddl: begin")[1].split("<!-- postgres-ddl: end")[0]
    sql = block.split("```sql\n")[1].split("```")[0]
    assert sql == "".join(f"{statement};\n" for statement in POSTGRES.schema())
