"""``python -m oneinbox_webhooks worker``: rounds of drain over a store URL, a clean stop on
SIGTERM, and errors that never print the store URL."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from oneinbox_webhooks import parse_event
from oneinbox_webhooks.cli import main
from oneinbox_webhooks.stores import SQLiteStore
from oneinbox_webhooks.testing import make_event

ROUTER = """
from pathlib import Path
from typing import Any
from oneinbox_webhooks import Router
from oneinbox_webhooks.inbox import current_delivery

router = Router()
LOG = Path(__file__).with_name("runs.txt")

@router.on("call.ended")
def ended(event):
    with LOG.open("a") as f:
        f.write(f"{event.call_id} {current_delivery().attempt}\\n")
"""


def setup(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "app_router.py").write_text(textwrap.dedent(ROUTER))
    db = tmp_path / "inbox.sqlite3"
    with SQLiteStore(db) as store:
        body = make_event("call.ended", call_id="call_w")
        arrival = store.arrive(parse_event(body), body, now=time.time() - 3600)
        store.finish(arrival.delivery, "RuntimeError: down", now=time.time() - 3600)
    return db, arrival.key


def worker(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "oneinbox_webhooks", "worker", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_one_round_runs_the_due_delivery(tmp_path: Path) -> None:
    db, key = setup(tmp_path)
    p = worker(tmp_path, "--store", f"sqlite:///{db}", "--router", "app_router:router", "--once")
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out, err) == (0, "worker: 1 done, 0 failed, 0 dead\n", "")
    assert (tmp_path / "runs.txt").read_text() == "call_w 2\n"
    with SQLiteStore(db) as store:
        row = store.row(key)
        assert row is not None and row.state == "done"


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    db, _ = setup(tmp_path)
    p = worker(
        tmp_path,
        "--store",
        f"sqlite:///{db}",
        "--router",
        "app_router:router",
        "--interval",
        "0.05",
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "runs.txt").exists():
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.02)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and err == ""
    assert out == "worker: 1 done, 0 failed, 0 dead\n"  # later rounds found nothing


def test_errors_never_print_the_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    secret_url = "postgres://app:hunter2@db.internal/calls"
    for store, router, message in [
        ("mysql://app:hunter2@db/x", "app_router:router", "unknown scheme 'mysql'"),
        ("sqlite://relative", "app_router:router", "sqlite:///relative/path"),
        (secret_url, "nope", "MODULE:ATTRIBUTE"),
        (secret_url, "no_such_module:router", "cannot import 'no_such_module'"),
        (secret_url, "app_router:LOG", "is PosixPath, not a oneinbox_webhooks Router"),
        ("", "app_router:router", "--store URL is required"),
    ]:
        out, err = io.StringIO(), io.StringIO()
        assert main(["worker", "--store", store, "--router", router], stdout=out, stderr=err) == 2
        assert message in err.getvalue() and "hunter2" not in err.getvalue(), err.getvalue()


def test_the_worker_drains_a_postgres_store(tmp_path: Path, postgres_dsn: str) -> None:
    from oneinbox_webhooks.stores import PostgresStore

    (tmp_path / "app_router.py").write_text(textwrap.dedent(ROUTER))
    with PostgresStore(postgres_dsn) as store:
        body = make_event("call.ended", call_id="call_pg")
        arrival = store.arrive(parse_event(body), body, now=time.time() - 3600)
        store.finish(arrival.delivery, "RuntimeError: down", now=time.time() - 3600)
    p = worker(tmp_path, "--store", postgres_dsn, "--router", "app_router:router", "--once")
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out, err) == (0, "worker: 1 done, 0 failed, 0 dead\n", "")
    assert (tmp_path / "runs.txt").read_text() == "call_pg 2\n"
    with PostgresStore(postgres_dsn) as store:
        row = store.row(arrival.key)
        assert row is not None and row.state == "done"


def test_the_worker_drains_a_redis_store(tmp_path: Path, redis_server: Any) -> None:
    import redis

    from oneinbox_webhooks.stores import RedisStore

    (tmp_path / "app_router.py").write_text(textwrap.dedent(ROUTER))
    with redis.Redis.from_url(redis_server.url) as client:
        store = RedisStore(client)
        body = make_event("call.ended", call_id="call_redis_w")
        arrival = store.arrive(parse_event(body), body, now=time.time() - 3600)
        store.finish(arrival.delivery, "RuntimeError: down", now=time.time() - 3600)
        p = worker(tmp_path, "--store", redis_server.url, "--router", "app_router:router", "--once")
        out, err = p.communicate(timeout=60)
        assert (p.returncode, out, err) == (0, "worker: 1 done, 0 failed, 0 dead\n", "")
        row = store.row(arrival.key)
        assert row is not None and row.state == "done"


def test_a_store_that_fails_is_reported_without_its_password(tmp_path: Path) -> None:
    """A password psycopg cannot decode (`%zz`) and a server that is not there: the round is
    reported (class and message, never the URL or the password) and, with --once, exit 1."""
    (tmp_path / "app_router.py").write_text(textwrap.dedent(ROUTER))
    url = "postgresql://app:s3cr%zzet@127.0.0.1:1/calls"
    p = worker(tmp_path, "--store", url, "--router", "app_router:router", "--once")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1 and out == ""
    assert "worker: drain failed:" in err and "cannot connect to PostgreSQL" in err
    assert "s3cr" not in err and "zzet" not in err and "127.0.0.1:1" not in err
