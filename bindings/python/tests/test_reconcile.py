"""``inbox.reconcile`` and ``areconcile`` with a stand-in client (one ``get_call`` method) over
``MemoryStore``, ``SQLiteStore`` and ``RedisStore``: an ended call missing ``call.analyzed`` gets it
synthesized once and its handler runs once; a second run recovers nothing; the real late
delivery afterwards is folded but runs no handler; a failing handler leaves the synthesized
delivery due for ``drain``; a failed fetch is counted and the run goes on."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneinbox_webhooks import Call, Router, parse_event
from oneinbox_webhooks.inbox import ReconcilePolicy, areconcile, drain, reconcile
from oneinbox_webhooks.stores import MemoryStore, RedisStore, SQLiteStore
from oneinbox_webhooks.testing import make_event

T0 = 1_780_000_000.0  # Unix seconds
TEN_MINUTES = 600.0


def completed(call_id: str, **more: Any) -> dict[str, Any]:
    call = {
        "id": call_id,
        "status": "completed",
        "agent_id": "agt_abc123",
        "duration_seconds": 87,
        "outcome": "Appointment Booked",
        "ai_summary": "Caller agreed to a demo.",
        "messages": [{"role": "agent", "content": "Hi!"}],
    }
    call.update(more)
    return call


class StandIn:
    """A client with one method: ``get_call`` from a dict of call JSON (a missing id raises)."""

    def __init__(self, calls: dict[str, dict[str, Any]]) -> None:
        self.calls = calls
        self.asked: list[str] = []

    def get_call(self, call_id: str) -> Call:
        self.asked.append(call_id)
        if call_id not in self.calls:
            raise RuntimeError(f"GET /v1/calls/{call_id}: 404")
        return Call.from_json(json.dumps(self.calls[call_id]))


class AsyncStandIn(StandIn):
    async def get_call(self, call_id: str) -> Call:  # type: ignore[override]
        await asyncio.sleep(0)
        return StandIn.get_call(self, call_id)


class Runs:
    """A router whose handlers count their runs per (event, call), and may fail."""

    def __init__(self) -> None:
        self.router = Router()
        self.runs: dict[tuple[str, str], int] = {}
        self.reconciled: list[bool] = []
        self.fail = False
        for name in ("call.started", "call.ended", "call.analyzed", "transcript.final"):
            self.router.on(name)(self.handler)

    def handler(self, event: Any) -> None:
        if self.fail:
            raise RuntimeError("handler down")
        key = (event.event, event.call_id)
        self.runs[key] = self.runs.get(key, 0) + 1
        self.reconciled.append(event.reconciled is True)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        s = SQLiteStore(tmp_path / "calls.sqlite3")
        yield s
        s.close()
    else:
        import redis

        server = request.getfixturevalue("redis_server")
        with redis.Redis.from_url(server.url) as client:
            yield RedisStore(client, prefix=f"reconcile-{uuid.uuid4().hex}:")


def deliver(store: Any, runs: Runs, body: bytes, now: float) -> str:
    """A delivery through the inbox, as an adapter does: the verdict."""
    event = parse_event(body)
    arrival = store.arrive(event, body, now=now)
    if arrival.delivery is not None:
        runs.handler(event)
        store.finish(arrival.delivery, None, now=now)
    return str(arrival.verdict)


def ended_without_analysis(store: Any, runs: Runs, call_id: str = "call_1") -> None:
    for name in ("call.started", "call.ended", "transcript.final"):
        deliver(store, runs, make_event(name, call_id=call_id), T0)


def test_missing_call_analyzed_is_synthesized_once(store: Any) -> None:
    runs = Runs()
    ended_without_analysis(store, runs)
    client = StandIn({"call_1": completed("call_1")})
    # Not overdue before 10 minutes: nothing fetched.
    early = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES - 1)
    assert (early.checked, client.asked) == (0, [])

    report = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES)
    assert report.checked == 1 and client.asked == ["call_1"]
    assert report.recovered == {"call.analyzed": 1}
    assert report.missing == {} and report.errors == {} and report.failed == []
    assert runs.runs[("call.analyzed", "call_1")] == 1
    assert runs.reconciled[-1] is True
    record = store.get("call_1")
    assert record.outcome == "Appointment Booked"
    assert record.reconciled == ["call.analyzed"]
    assert record.snapshot_status == "completed"

    # A second run: nothing to fetch, nothing recovered (the call is complete).
    again = reconcile(store, client, runs.router, now=T0 + 2 * TEN_MINUTES)
    assert (again.checked, again.recovered, client.asked) == (0, {}, ["call_1"])

    # The real call.analyzed arrives late: folded (its values win), no handler runs.
    late = make_event("call.analyzed", call_id="call_1", outcome="Interested")
    assert deliver(store, runs, late, T0 + 3 * TEN_MINUTES) == "repeat"
    assert runs.runs[("call.analyzed", "call_1")] == 1
    record = store.get("call_1")
    assert record.outcome == "Interested"


def test_a_failing_handler_leaves_it_due_for_drain(store: Any) -> None:
    runs = Runs()
    ended_without_analysis(store, runs)
    runs.fail = True
    client = StandIn({"call_1": completed("call_1")})
    now = T0 + TEN_MINUTES
    report = reconcile(store, client, runs.router, now=now)
    assert report.recovered == {"call.analyzed": 1}
    assert report.failed == ["call.analyzed:call_1:reconciled"]
    # Not synthesized again: the record has it; the inbox has it due.
    again = reconcile(store, client, runs.router, now=now + 1)
    assert again.recovered == {}
    runs.fail = False
    drained = drain(store, runs.router, now=now + 3600)
    assert drained.done == ["call.analyzed:call_1:reconciled"]
    assert runs.runs[("call.analyzed", "call_1")] == 1


def test_errors_are_counted_and_the_run_goes_on(store: Any) -> None:
    runs = Runs()
    ended_without_analysis(store, runs, "call_1")
    ended_without_analysis(store, runs, "call_2")
    client = StandIn({"call_2": completed("call_2")})
    report = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES, concurrency=1)
    assert sorted(client.asked) == ["call_1", "call_2"]
    assert list(report.errors) == ["call_1"] and "404" in report.errors["call_1"]
    assert report.checked == 1 and report.recovered == {"call.analyzed": 1}
    # call_1 stays open: the next run tries it again.
    client.calls["call_1"] = completed("call_1", outcome=None, ai_summary=None)
    later = reconcile(store, client, runs.router, now=T0 + 2 * TEN_MINUTES)
    assert later.checked == 1 and later.recovered == {}
    assert later.missing == {"call_1": ["call.analyzed"]}


def test_a_started_call_without_end(store: Any) -> None:
    runs = Runs()
    deliver(store, runs, make_event("call.started", call_id="call_1"), T0)
    client = StandIn({"call_1": completed("call_1")})
    assert reconcile(store, client, runs.router, now=T0 + 3600).checked == 0
    report = reconcile(store, client, runs.router, now=T0 + 7200)
    assert report.recovered == {"call.ended": 1, "call.analyzed": 1, "transcript.final": 1}
    assert store.get("call_1").status == "completed"
    policy = ReconcilePolicy(expect=["call.analyzed"])
    assert reconcile(store, client, runs.router, now=T0 + 9000, policy=policy).checked == 0


def test_a_real_delivery_racing_the_reconcile_runs_once(store: Any) -> None:
    """OneInbox's retry of call.analyzed arrives while reconcile works from the record it read
    before: the real one runs its handler, the synthesized one is then covered (a repeat)."""
    runs = Runs()
    for name in ("call.started", "call.ended"):
        deliver(store, runs, make_event(name, call_id="call_1"), T0)
    real = make_event("call.analyzed", call_id="call_1")
    raced = []

    def on_final(event: Any) -> None:  # the first synthesized event's handler
        if not raced:
            raced.append(deliver(store, runs, real, T0 + TEN_MINUTES))

    runs.router.on("transcript.final")(on_final)
    client = StandIn({"call_1": completed("call_1")})
    report = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES)
    assert raced == ["run"]
    assert report.recovered == {"transcript.final": 1}  # call.analyzed: covered, not run
    assert runs.runs[("call.analyzed", "call_1")] == 1
    assert runs.reconciled.count(True) == 1  # only transcript.final ran as reconciled


def test_a_completed_call_that_stays_incomplete_is_given_up_after_a_day(store: Any) -> None:
    runs = Runs()
    ended_without_analysis(store, runs)
    client = StandIn({"call_1": completed("call_1", outcome=None, ai_summary=None)})
    first = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES)
    assert first.missing == {"call_1": ["call.analyzed"]}
    again = reconcile(store, client, runs.router, now=T0 + 2 * TEN_MINUTES)
    assert again.checked == 1  # still open: the analysis may come
    # A day after the record last changed (the first snapshot, at T0 + 10 min): given up.
    given_up = reconcile(store, client, runs.router, now=T0 + TEN_MINUTES + 24 * 3600)
    assert given_up.checked == 1 and given_up.missing == {"call_1": ["call.analyzed"]}
    after = reconcile(store, client, runs.router, now=T0 + 48 * 3600)
    assert after.checked == 0 and client.asked == ["call_1"] * 3  # settled: not fetched again


def test_areconcile(store: Any) -> None:
    runs = Runs()
    ended_without_analysis(store, runs)
    client = AsyncStandIn({"call_1": completed("call_1")})
    report = asyncio.run(areconcile(store, client, runs.router, now=T0 + TEN_MINUTES))
    assert report.recovered == {"call.analyzed": 1}
    assert runs.runs[("call.analyzed", "call_1")] == 1
    assert report.to_dict()["recovered"] == {"call.analyzed": 1}


def test_bad_concurrency() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        reconcile(MemoryStore(), StandIn({}), Router(), concurrency=0)


ROUTER_MODULE = """
from oneinbox_webhooks import Router

router = Router()
RUNS = []

@router.on("call.analyzed")
def analyzed(event):
    RUNS.append((event.call_id, event.reconciled))
"""


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from oneinbox_webhooks import client as client_module
    from oneinbox_webhooks.cli import main

    path = tmp_path / "calls.sqlite3"
    store = SQLiteStore(path)
    ended_without_analysis(store, Runs())
    store.close()
    (tmp_path / "reconcile_router.py").write_text(ROUTER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[tuple[str, str]] = []

    class Client(StandIn):
        def __init__(self, key: str, *, base_url: str) -> None:
            made.append((key, base_url))
            super().__init__({"call_1": completed("call_1")})

        def close(self) -> None:
            pass

    monkeypatch.setattr(client_module, "Client", Client)
    argv = ["reconcile", "--store", f"sqlite:///{path}", "--router", "reconcile_router:router"]

    def run(*more: str, env: dict[str, str]) -> tuple[int, str, str]:
        out, err = StringIO(), StringIO()
        status = main([*argv, *more], stdout=out, stderr=err, environ=env)
        return status, out.getvalue(), err.getvalue()

    # No key: could not run.
    status, _, err = run(env={})
    assert status == 1 and "ONEINBOX_API_KEY" in err
    env = {"ONEINBOX_API_KEY": "oi_sk_test_abc", "ONEINBOX_BASE_URL": "http://127.0.0.1:9"}
    status, out, err = run("--json", env=env)
    assert (status, err) == (0, ""), err
    assert json.loads(out) == {
        "checked": 1,
        "recovered": {"call.analyzed": 1},
        "missing": {},
        "errors": {},
        "failed": [],
    }
    assert made == [("oi_sk_test_abc", "http://127.0.0.1:9")]
    import reconcile_router

    assert reconcile_router.RUNS == [("call_1", True)]
    # Again, in text: nothing left to do.
    status, out, _ = run("--base-url", "http://x.test", env=env)
    assert status == 0 and out.startswith("reconcile: checked 0 call(s); recovered 0 event(s)")
    assert made[-1][1] == "http://x.test"
    # A bad router or store: could not run.
    status, _, err = run("--router", "nope:router", env=env)
    assert status == 1 and "cannot import" in err
    # A store that cannot be opened: one error line, no traceback, exit 1.
    bad = ["reconcile", "--store", f"sqlite:///{tmp_path}/no/such/dir/x.db"]
    out, err = StringIO(), StringIO()
    status = main(
        [*bad, "--router", "reconcile_router:router"], stdout=out, stderr=err, environ=env
    )
    assert status == 1 and err.getvalue().startswith(
        "python -m oneinbox_webhooks reconcile: error:"
    )
    assert "Traceback" not in err.getvalue() and len(err.getvalue().splitlines()) == 1
    # --json prints compact JSON (the bytes the Node command prints).
    status, out, _ = run("--json", env=env)
    assert out == '{"checked":0,"recovered":{},"missing":{},"errors":{},"failed":[]}\n'
