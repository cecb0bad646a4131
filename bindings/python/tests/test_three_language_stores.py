"""One Redis and one Postgres store shared by workers in three languages: the deliveries of three
calls arrive through a Rust process (the ``oneinbox-webhooks-worker`` binary of
``crates/oneinbox-webhooks-stores``), this Python process and a Node process, each with a handler
that fails; then a Rust, a Python and a Node worker drain them, in turn and then all at once.
Each delivery's handler completes exactly once, every copy is then a repeat in every language,
and the three languages read the same call records, equal to an in-memory fold.

Reconciliation across languages (Redis, Postgres and SQLite): a call that started through the
Rust process is listed by Python's ``store.open_calls``; Python's ``reconcile`` runs the missing
event from a snapshot, and its late real delivery is then a repeat in the Rust process (its
handler not run), as in Python and Node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oneinbox_webhooks import Call, Router, dedupe_key, parse_event
from oneinbox_webhooks.inbox import drain, reconcile
from oneinbox_webhooks.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore
from oneinbox_webhooks.testing import make_call, make_event

REPO = Path(__file__).resolve().parents[3]
NODE_PACKAGE = REPO / "bindings" / "node"
T0 = 1_800_000_000.0  # Unix seconds
CALLS = ["call_mix_1", "call_mix_2", "call_mix_3"]
LANGUAGES = ["rust", "python", "node"]

NODE = """
const pkg = process.argv[1]
const fs = require('node:fs')
const { Router, parseEvent, dedupeKey } = require(pkg)
const { RedisStore, PostgresStore, drain } = require(pkg + '/stores.js')
;(async () => {
  const [kind, target, prefix, nowText, limitText, log, mode, ...rest] = process.argv.slice(2)
  const now = Number(nowText)
  let store, close
  if (kind === 'redis') {
    const { createClient } = require(pkg + '/node_modules/redis')
    const client = createClient({ url: target })
    await client.connect()
    store = new RedisStore(client, { prefix })
    close = () => client.close()
  } else {
    const { Pool } = require(pkg + '/node_modules/pg')
    const pool = new Pool({ connectionString: target })
    store = new PostgresStore(pool)
    close = () => pool.end()
  }
  const fail = mode === 'arrive'
  const router = new Router().onAny((event) => {
    fs.appendFileSync(log, `node ${dedupeKey(event)} ${fail ? 'failed' : 'ok'}\\n`)
    if (fail) throw new Error('the handler failed')
  })
  const out = []
  if (mode === 'arrive') {
    for (const file of rest) {
      const body = fs.readFileSync(file)
      const event = parseEvent(body)
      const arrival = await store.arrive(event, body, { now })
      let finished = null
      if (arrival.delivery) {
        let error = null
        try { await router.dispatch(event) } catch (err) { error = String(err) }
        finished = await store.finish(arrival.delivery, error, { now })
      }
      out.push({ key: arrival.key, verdict: arrival.verdict, finished })
    }
  } else if (mode === 'drain') {
    out.push(await drain(store, router, { now, limit: Number(limitText) }))
  } else {
    for (const id of rest) {
      const record = await store.get(id)
      out.push(record === null ? null : record.toJson())
    }
  }
  console.log(JSON.stringify(out))
  await close()
})().catch((err) => { console.error(err); process.exit(1) })
"""


def rust_worker() -> Path:
    """The Rust worker binary, built (a no-op when up to date) unless named by the environment."""
    named = os.environ.get("ONEINBOX_RUST_WORKER")
    if named:
        return Path(named)
    cargo = shutil.which("cargo")
    assert cargo is not None, "cargo is not installed (the Rust worker is built with it)"
    features = "redis,postgres,sqlite,worker"
    subprocess.run(
        [
            cargo,
            "build",
            "--quiet",
            "-p",
            "oneinbox-webhooks-stores",
            "--features",
            features,
            "--bin",
            "oneinbox-webhooks-worker",
        ],
        cwd=REPO,
        check=True,
        timeout=1800,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "oneinbox-webhooks-worker"


class Shared:
    """One shared store, seen from the three languages."""

    def __init__(self, kind: str, target: str, store: Any, prefix: str, tmp: Path) -> None:
        self.kind, self.target, self.store, self.prefix = kind, target, store, prefix
        self.log = tmp / "handled.log"
        self.log.touch()
        self.tmp = tmp
        self.worker = rust_worker()
        node = shutil.which("node")
        assert node is not None, "node is not installed (the Node binding's tests need it too)"
        self.node = node

    def _files(self, bodies: list[bytes]) -> list[str]:
        files = []
        for body in bodies:
            path = self.tmp / f"{uuid.uuid4().hex}.json"
            path.write_bytes(body)
            files.append(str(path))
        return files

    def _rust(
        self, now: float, limit: int, *command: str, fail: bool = False
    ) -> subprocess.Popen[str]:
        argv = [
            str(self.worker),
            "--store",
            self.target,
            "--prefix",
            self.prefix,
            "--log",
            str(self.log),
            "--now",
            str(int(now * 1000)),
            "--limit",
            str(limit),
        ]
        return subprocess.Popen(
            [*argv, *(["--fail"] if fail else []), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _node(self, now: float, limit: int, mode: str, *rest: str) -> subprocess.Popen[str]:
        argv = [
            self.node,
            "-e",
            NODE,
            str(NODE_PACKAGE),
            self.kind,
            self.target,
            self.prefix,
            str(int(now * 1000)),
            str(limit),
            str(self.log),
            mode,
            *rest,
        ]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def _out(process: subprocess.Popen[str]) -> list[Any]:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def router(self, fail: bool) -> Router:
        router = Router()

        @router.on_any
        def handle(event: Any) -> None:
            with self.log.open("a") as log:
                log.write(f"python {dedupe_key(event)} {'failed' if fail else 'ok'}\n")
            if fail:
                raise RuntimeError("the handler failed")

        return router

    def arrive(self, language: str, bodies: list[bytes], now: float) -> list[dict[str, Any]]:
        """Each body arrives in ``language``; its failing handler runs."""
        if language == "rust":
            return self._out(self._rust(now, 100, "arrive", *self._files(bodies), fail=True))
        if language == "node":
            return self._out(self._node(now, 100, "arrive", *self._files(bodies)))[0]  # type: ignore[no-any-return]
        seen = []
        router = self.router(fail=True)
        for body in bodies:
            event = parse_event(body)
            arrival = self.store.arrive(event, body, now=now)
            finished = None
            if arrival.delivery is not None:
                try:
                    router.dispatch(event)
                except RuntimeError as err:
                    finished = self.store.finish(arrival.delivery, f"RuntimeError: {err}", now=now)
            seen.append({"key": arrival.key, "verdict": arrival.verdict, "finished": finished})
        return seen

    def drain_all(self, now: float, limit: int) -> dict[str, list[str]]:
        """The three workers drain at once; the keys each ran to done."""
        rust = self._rust(now, limit, "drain")
        node = self._node(now, limit, "drain")
        python = drain(self.store, self.router(fail=False), now=now, limit=limit)
        return {
            "rust": self._out(rust)[0]["done"],
            "python": python.done,
            "node": self._out(node)[0][0]["done"],
        }

    def records(self, language: str) -> list[str | None]:
        """Each call's record as its language's ``to_json`` wrote it (the core's text)."""
        if language == "rust":
            process = self._rust(T0, 100, "get", *CALLS)
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            return [None if line == "null" else line for line in out.splitlines()]
        if language == "node":
            return self._out(self._node(T0, 100, "get", *CALLS))[0]  # type: ignore[no-any-return]
        return [None if (r := self.store.get(c)) is None else r.to_json() for c in CALLS]


def open_shared(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shared]:
    """One new shared store of ``kind`` (``redis``, ``postgres`` or ``sqlite``)."""
    prefix = f"mix-{uuid.uuid4().hex}:"
    if kind == "redis":
        import redis

        server = request.getfixturevalue("redis_server")
        with redis.Redis.from_url(server.url) as client:
            yield Shared("redis", server.url, RedisStore(client, prefix=prefix), prefix, tmp_path)
    elif kind == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        with PostgresStore(dsn) as store:
            yield Shared("postgres", dsn, store, prefix, tmp_path)
    else:
        path = tmp_path / "inbox.sqlite3"
        with SQLiteStore(path) as sqlite:
            yield Shared("sqlite", f"sqlite:{path}", sqlite, prefix, tmp_path)


@pytest.fixture(params=["redis", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shared]:
    yield from open_shared(request.param, request, tmp_path)


def test_three_languages_share_one_store(shared: Shared) -> None:
    bodies = [body for call in CALLS for body in make_call(call)]
    assert len(bodies) >= 6
    keys = [dedupe_key(parse_event(b)) for b in bodies]
    assert len(set(keys)) == len(keys)
    by_language = {lang: bodies[i::3] for i, lang in enumerate(LANGUAGES)}

    # Arrival: every delivery runs once, in the language it arrived in, and fails.
    arrived = {lang: shared.arrive(lang, by_language[lang], T0) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert [a["verdict"] for a in arrived[lang]] == ["run"] * len(by_language[lang]), lang
        assert [a["finished"] for a in arrived[lang]] == ["failed"] * len(by_language[lang]), lang
    assert sorted(a["key"] for seen in arrived.values() for a in seen) == sorted(keys)

    # The workers: a third each in turn (due 10 s later), then the rest all at once.
    third = len(keys) // 3
    later = T0 + 3600
    in_turn = {
        "rust": shared._out(shared._rust(later, third, "drain"))[0]["done"],
        "python": drain(shared.store, shared.router(fail=False), now=later, limit=third).done,
        "node": shared._out(shared._node(later, third, "drain"))[0][0]["done"],
    }
    for lang in LANGUAGES:
        assert len(in_turn[lang]) == third, (lang, in_turn)
    at_once = shared.drain_all(later + 1, 100)
    done = [key for ran in (*in_turn.values(), *at_once.values()) for key in ran]
    assert sorted(done) == sorted(keys), "every delivery done once, by one worker"

    lines = shared.log.read_text().splitlines()
    failed = Counter(line.split()[1] for line in lines if line.endswith(" failed"))
    ok = Counter(line.split()[1] for line in lines if line.endswith(" ok"))
    assert failed == Counter(keys), "each handler failed once, on arrival"
    assert ok == Counter(keys), "each handler completed exactly once"
    assert {line.split()[0] for line in lines if line.endswith(" ok")} == set(LANGUAGES)

    # Every copy is now a repeat, whichever language it comes to.
    for lang in LANGUAGES:
        again = shared.arrive(lang, bodies, T0 + 7200)
        assert {a["verdict"] for a in again} == {"repeat"}, lang
    assert Counter(line.split()[1] for line in shared.log.read_text().splitlines()) == Counter(
        keys * 2
    )

    # One record per call, the same in the three languages and as an in-memory fold.
    memory = MemoryStore()
    for body in bodies:
        memory.arrive(parse_event(body), body, now=T0)
    folded = [None if (r := memory.get(c)) is None else r.to_json() for c in CALLS]
    assert None not in folded
    for lang in LANGUAGES:
        assert shared.records(lang) == folded, lang


def test_rust_and_python_share_one_sqlite_file(tmp_path: Path) -> None:
    """Python's handlers fail on arrival; the Rust worker drains the same SQLite file (WAL, the
    same tables); Python then sees repeats and the record the Rust side reads."""
    path = tmp_path / "inbox.sqlite3"
    log = tmp_path / "handled.log"
    bodies = make_call("call_sqlite")
    keys = sorted(dedupe_key(parse_event(b)) for b in bodies)
    with SQLiteStore(path) as store:
        for body in bodies:
            arrival = store.arrive(parse_event(body), body, now=T0)
            assert arrival.delivery is not None
            assert store.finish(arrival.delivery, "RuntimeError: down", now=T0) == "failed"
        worker = [str(rust_worker()), "--store", f"sqlite:{path}", "--log", str(log)]
        now = ["--now", str(int((T0 + 3600) * 1000))]
        drained = subprocess.run(
            [*worker, *now, "drain"], capture_output=True, text=True, timeout=120, check=True
        )
        assert sorted(json.loads(drained.stdout)["done"]) == keys
        assert sorted(line.split()[1] for line in log.read_text().splitlines()) == keys
        for body in bodies:
            assert store.arrive(parse_event(body), body, now=T0 + 7200).verdict == "repeat"
        got = subprocess.run(
            [*worker, "get", "call_sqlite"], capture_output=True, text=True, timeout=120, check=True
        )
        record = store.get("call_sqlite")
        assert record is not None
        assert got.stdout.strip() == record.to_json()


@pytest.fixture(params=["redis", "postgres", "sqlite"])
def rust_fed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shared]:
    """One store written by the Rust worker binary and by this Python process."""
    yield from open_shared(request.param, request, tmp_path)


class StandIn:
    """A client with one method, ``get_call``: the snapshot of an ended call, analysed."""

    def __init__(self, call_id: str) -> None:
        self.call = {
            "id": call_id,
            "status": "completed",
            "agent_id": "agt_abc123",
            "duration_seconds": 87,
            "outcome": "Appointment Booked",
            "ai_summary": "Caller agreed to a demo.",
            "messages": [{"role": "agent", "content": "Hi!"}],
        }

    def get_call(self, call_id: str) -> Call:
        assert call_id == self.call["id"]
        return Call.from_json(json.dumps(self.call))


def test_python_reconciles_what_the_rust_worker_started(rust_fed: Shared) -> None:
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    t0_ms = int(T0 * 1000)
    # The call starts and ends through the Rust process; call.analyzed never comes in time.
    early = [make_event(name, call_id=call_id) for name in ("call.started", "call.ended")]
    early.append(make_event("transcript.final", call_id=call_id))
    arrived = rust_fed._out(rust_fed._rust(T0, 100, "arrive", *rust_fed._files(early)))
    assert [a["verdict"] for a in arrived] == ["run"] * 3
    assert [a["finished"] for a in arrived] == ["done"] * 3

    # The Rust arrivals kept the open calls' index that Python's reconcile lists.
    assert (call_id, t0_ms) in rust_fed.store.open_calls(t0_ms, 1000)
    assert call_id not in {c for c, _ in rust_fed.store.open_calls(t0_ms - 1, 1000)}

    # Python reconciles it 10 minutes later: call.analyzed is synthesized and its handler runs.
    report = reconcile(rust_fed.store, StandIn(call_id), rust_fed.router(fail=False), now=T0 + 600)
    assert (report.checked, report.recovered, report.errors) == (1, {"call.analyzed": 1}, {})
    synthesized = f"call.analyzed:{call_id}:reconciled"
    assert rust_fed.log.read_text().splitlines()[-1] == f"python {synthesized} ok"
    # Nothing is missing now: settled, no longer listed.
    assert call_id not in {c for c, _ in rust_fed.store.open_calls(t0_ms + 3_600_000, 1000)}

    # The late real delivery reaches the Rust process: a repeat, its handler not run.
    late = make_event("call.analyzed", call_id=call_id)
    key = dedupe_key(parse_event(late))
    log_before = rust_fed.log.read_text()
    repeat = rust_fed._out(rust_fed._rust(T0 + 700, 100, "arrive", *rust_fed._files([late])))
    assert repeat == [{"key": key, "verdict": "repeat", "finished": None}]
    assert rust_fed.log.read_text() == log_before, "no handler ran for the late delivery"
    # Nothing is due for any worker; Python sees a repeat too; one record in both languages.
    drained = rust_fed._out(rust_fed._rust(T0 + 86_400, 100, "drain"))[0]
    assert drained == {"done": [], "failed": [], "dead": []}
    assert rust_fed.store.arrive(parse_event(late), late, now=T0 + 800).verdict == "repeat"
    record = rust_fed.store.get(call_id)
    assert record is not None and "call.analyzed" in record.events_seen
    got = rust_fed._rust(T0, 100, "get", call_id).communicate(timeout=120)[0]
    assert got.strip() == record.to_json()
