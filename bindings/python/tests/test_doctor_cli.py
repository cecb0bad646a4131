"""`python -m oneinbox_webhooks doctor` against the FakeOneInbox served over loopback: delivery
histories set up with ``add_delivery`` (401s, a window of refused connections, 500s, a healthy
webhook), the exit status (0 healthy, 2 problems, 1 could not check), ``--json`` equal to the
core's diagnosis of the same input, and the API key never printed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from oneinbox_webhooks import diagnose
from oneinbox_webhooks.cli import main
from oneinbox_webhooks.testing import FakeOneInbox

KEY = "oi_sk_test_doctor_SECRET"


def at(minute: int) -> str:
    return f"2026-06-01T10:{minute:02d}:00Z"


def attempt(fake: FakeOneInbox, hook: str, call: str, n: int, minute: int, **fields: Any) -> None:
    fields.setdefault("status", "failed")
    fake.add_delivery(
        hook, call_id=call, attempt=n, completed_at=at(minute), created_at=at(minute), **fields
    )


@pytest.fixture
def fake() -> Iterator[FakeOneInbox]:
    with FakeOneInbox(KEY) as fake:
        fake.serve()
        yield fake


def hooks(fake: FakeOneInbox) -> dict[str, str]:
    """Four webhooks: `a` (401s), `b` (an outage, then 500s), `c` (healthy), `d` (unused)."""
    client = fake.client()
    ids = {}
    for name in "abcd":
        url = f"https://{name}.example.com/hooks?token=tok_{name}"
        hook = client.create_webhook(name=name, url=url, events=["call.ended"])
        ids[name] = hook.id
    # Every create_webhook left no delivery; add the histories, oldest first (each becomes the
    # newest).
    for call, minute in (("call_1", 0), ("call_2", 1)):
        for n in (1, 2, 3):
            attempt(
                fake,
                ids["a"],
                call,
                n,
                minute + 10 * n,
                response_status=401,
                next_retry_at=None if n == 3 else at(minute + 10 * n + 10),
            )
    attempt(fake, ids["b"], "call_0", 1, 0, status="succeeded", response_status=204)
    for n, call in enumerate(("call_3", "call_4", "call_5")):
        attempt(fake, ids["b"], call, 1, 5 + n, response_status=None, error="connection refused")
    attempt(fake, ids["b"], "call_6", 1, 20, response_status=500, response_body="boom")
    attempt(fake, ids["b"], "call_6", 2, 25, response_status=500, response_body="boom")
    attempt(fake, ids["c"], "call_7", 1, 30, status="succeeded", response_status=200)
    return ids


def run(fake: FakeOneInbox, *argv: str, key: str | None = KEY) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {} if key is None else {"ONEINBOX_API_KEY": key}
    assert fake.url is not None
    code = main(["doctor", "--base-url", fake.url, *argv], stdout=out, stderr=err, environ=env)
    assert KEY not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_problems_exit_2_and_json_is_the_cores(fake: FakeOneInbox) -> None:
    ids = hooks(fake)
    code, out, err = run(fake, "--json")
    assert (code, err) == (2, "")
    rows = [row for hook in fake.webhooks for row in fake.deliveries(hook["id"])]
    expected = diagnose(fake.webhooks, rows)
    assert out == expected.to_json() + "\n"
    got = json.loads(out)
    codes = [c["code"] for c in got["causes"]]
    assert codes == ["unauthorized", "server_error", "connection_refused"]
    refused = got["causes"][2]
    assert refused["windows"] == [
        {"webhook_id": ids["b"], "from": at(5), "to": at(7), "attempts": 3}
    ]
    assert got["causes"][0]["webhook_ids"] == [ids["a"]]
    assert [m["call_id"] for m in got["calls_never_succeeded"]] == [
        "call_1",
        "call_2",
        "call_3",
        "call_4",
        "call_5",
        "call_6",
    ]
    assert "tok_" not in out


def test_text_report(fake: FakeOneInbox) -> None:
    hooks(fake)
    code, out, _ = run(fake)
    assert code == 2
    assert out.startswith("OneInbox delivery doctor: 3 problems found\n")
    assert "[connection_refused]" in out and "outage of wh_" in out and "Fix: " in out
    rows = [row for hook in fake.webhooks for row in fake.deliveries(hook["id"])]
    assert out == diagnose(fake.webhooks, rows).to_text()


def test_healthy_webhooks_exit_0(fake: FakeOneInbox) -> None:
    ids = hooks(fake)
    code, out, _ = run(fake, "--webhook-id", ids["c"], "--webhook-id", ids["d"])
    assert code == 0
    assert out.startswith("OneInbox delivery doctor: healthy\n")
    assert "Checked 2 webhooks, 1 attempt in 1 delivery" in out


def test_one_failing_webhook(fake: FakeOneInbox) -> None:
    ids = hooks(fake)
    code, out, _ = run(fake, "--webhook-id", ids["a"], "--json")
    assert code == 2
    assert [c["code"] for c in json.loads(out)["causes"]] == ["unauthorized"]


def test_could_not_check_exit_1(fake: FakeOneInbox) -> None:
    hooks(fake)
    code, out, err = run(fake, key=None)
    assert (code, out) == (1, "")
    assert "ONEINBOX_API_KEY" in err
    code, out, err = run(fake, "--webhook-id", "wh_nope")
    assert (code, out) == (1, "")
    assert "wh_nope" in err


def test_the_key_and_base_url_follow_the_clients_rule(fake: FakeOneInbox) -> None:
    """doctor reads ONEINBOX_API_KEY / ONEINBOX_BASE_URL by Api.configure, as every client
    does: its messages are the rule's, naming the variable a bad value came from."""
    out, err = io.StringIO(), io.StringIO()
    env = {"ONEINBOX_API_KEY": "oi_pk_live_PUBLISHABLE", "ONEINBOX_BASE_URL": "ftp://files"}
    assert main(["doctor"], stdout=out, stderr=err, environ=env) == 1
    lines = err.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("doctor: error: ") for line in lines)
    assert "ONEINBOX_API_KEY" in lines[0] and "ONEINBOX_BASE_URL" in lines[1]
    assert "PUBLISHABLE" not in err.getvalue()
    # The base URL from the environment when no --base-url: the fake answers.
    hooks(fake)
    assert fake.url is not None
    env = {"ONEINBOX_API_KEY": KEY, "ONEINBOX_BASE_URL": fake.url}
    assert main(["doctor"], stdout=out, stderr=err, environ=env) == 2
    code, out, err = run(fake, key="oi_sk_test_wrong_key")
    assert (code, out) == (1, "")
    assert "could not check" in err and "oi_sk_test_wrong_key" not in err
    code, _, err = run(fake, "--no-such-option")
    assert code == 1 and "unrecognized" in err


def test_reconcile_needs_a_store_and_a_router(fake: FakeOneInbox) -> None:
    hooks(fake)
    code, out, err = run(fake, "--reconcile")
    assert code == 1 and "--router is required" in err
    assert "OneInbox delivery doctor" in out  # the diagnosis was printed first
    code, _, err = run(fake, "--reconcile", "--router", "no_such_module_here:router")
    assert code == 1 and "no_such_module_here" in err and KEY not in err


def test_module_entry_point(fake: FakeOneInbox) -> None:
    hooks(fake)
    assert fake.url is not None
    env = {**os.environ, "ONEINBOX_API_KEY": KEY, "ONEINBOX_BASE_URL": fake.url}
    done = subprocess.run(
        [sys.executable, "-m", "oneinbox_webhooks", "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert json.loads(done.stdout)["healthy"] is False


def test_every_page_is_read(fake: FakeOneInbox) -> None:
    hook = fake.client().create_webhook(
        name="busy", url="https://busy.example.com/hooks", events=["call.ended"]
    )
    for i in range(201):  # two pages of 200
        fake.add_delivery(hook.id, call_id=f"call_{i}", status="succeeded", response_status=200)
    code, out, _ = run(fake, "--json")
    assert code == 0
    assert json.loads(out)["summary"]["attempts"] == 201
