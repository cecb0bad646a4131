"""`just demo`: one simulated OneInbox call played into three real receivers.

Starts the FastAPI receiver (examples/python_receiver.py, SQLite store), the Express receiver
(examples/node_receiver.js, memory store) and the axum receiver
(crates/oneinbox-webhooks-axum/examples/receiver.rs, memory store, built by the recipe) on free
loopback ports, plays a call into each with the `send` command (every event of the guide, one
duplicate delivery, one out-of-order pair), sends a forged delivery without the URL token, then
reads the call's record from each receiver and checks that the three are byte-identical.
Then, when deliveries go missing: the fake OneInbox plays 50 calls with seeded faults and a
receiver outage into another receiver; the delivery doctor names what went wrong, and
`doctor --reconcile` recovers the lost events from the calls API.
Exits 0 when everything behaved as described.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Built by `just demo` (cargo build -p oneinbox-webhooks-axum --example receiver).
RUST_RECEIVER = (
    Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "debug" / "examples" / "receiver"
)
CALL = "call_demo_" + secrets.token_hex(3)
FAILED_CALL = "call_demo_" + secrets.token_hex(3)
# A connected call with transcript.final before transcript.partial (an out-of-order pair);
# `--duplicates 1` sends one of them twice, as a OneInbox retry would.
CALL_EVENTS = [
    "call.started",
    "transcript.final",
    "transcript.partial",
    "call.ended",
    "call.analyzed",
    "call.recording.available",
]


def step(title: str, *lines: str) -> None:
    print(f"\n== {title}", flush=True)
    for line in lines:
        print(f"   {line}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(name: str, url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the {name} receiver exited with status {proc.returncode}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the {name} receiver did not start within 30 s")


def send(url: str, token: str, *args: str) -> int:
    env = {**os.environ, "ONEINBOX_URL_TOKEN": token}
    cmd = [sys.executable, "-m", "oneinbox_webhooks", "send", "--to", url, *args]
    return subprocess.run(cmd, env=env, check=False).returncode


MISSING_CALLS = 50
MISSING_FAILED = 5  # of them, calls that never connect (call.failed)
CONNECTED_EVENTS = {"call.started", "call.ended", "call.analyzed", "call.recording.available"}


def complete(url: str, call_id: str, failed: bool) -> bool:
    """Whether the receiver's record of the call has every event (transcript.partial aside)."""
    status, body = get(f"{url}/calls/{call_id}")
    if status != 200:
        return False
    seen = set(json.loads(body)["events_seen"])
    return "call.failed" in seen if failed else seen >= CONNECTED_EVENTS | {"transcript.final"}


def missing_deliveries(work: Path, token: str) -> bool:
    """The scene "when deliveries go missing"; whether it behaved as described."""
    from oneinbox_webhooks.testing import FakeOneInbox, Faults

    key = "oi_sk_test_demo_" + secrets.token_hex(4)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ONEINBOX_URL_TOKEN": token,
        "ONEINBOX_DB": str(work / "missing.sqlite3"),
        "PORT": str(port),
        "PYTHONPATH": str(REPO / "examples"),
    }
    # The receiver prints a line per handler run: quiet while 50 calls play.
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "python_receiver.py")],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    faults = Faults(drop=0.05, duplicate=0.1, shuffle=0.5, delay=0.2, max_delay_ms=20_000)
    fake = FakeOneInbox(key, seed=26, faults=faults)
    try:
        wait_ready("fourth", f"{url}/calls/none", proc)
        step(
            f"When deliveries go missing: {MISSING_CALLS} calls with faults",
            "The fake OneInbox plays 50 calls into a fourth receiver (FastAPI, SQLiteStore) as",
            "OneInbox would: seeded faults drop 5% of the deliveries for good, send 10% twice,",
            "shuffle and delay some; and the receiver is down for three hours, longer than",
            "OneInbox retries (10 s, 1 min, 5 min, 30 min, 2 h), so those deliveries are lost.",
        )
        hook = fake.add_webhook(f"{url}/webhooks/oneinbox?token={token}")
        calls = [
            (fake.play_call(failure="no-answer" if i < MISSING_FAILED else None)["id"], i < 5)
            for i in range(MISSING_CALLS)
        ]
        fake.outage(url, start=100, duration=3 * 3600)
        sent = fake.settle()
        rows = fake.deliveries(hook["id"])
        errors = {
            e: sum(1 for r in rows if r["error"] == e) for e in ("dropped", "connection refused")
        }
        done = sum(complete(url, c, failed) for c, failed in calls)
        print(f"   {sent} attempts sent; {errors['dropped']} attempts of dropped deliveries,")
        print(f"   {errors['connection refused']} refused during the outage.")
        print(f"   Complete records: {done} of {MISSING_CALLS}.")
        env["ONEINBOX_API_KEY"] = key
        env["ONEINBOX_BASE_URL"] = fake.serve()
        step(
            "The delivery doctor reads the delivery history from the API",
            "python -m oneinbox_webhooks doctor: the causes, each with what it means and the fix.",
        )
        doctor = [sys.executable, "-m", "oneinbox_webhooks", "doctor"]
        status = subprocess.run(doctor, env=env, check=False).returncode
        ok = status == 2  # problems found
        step(
            "doctor --reconcile: fetch the calls whose events never succeeded",
            "GET /v1/calls/{id} shows what happened; the events no delivery brought run through",
            "the receiver's router (its lines below), marked reconciled, each once.",
        )
        again = [*doctor, "--reconcile", "--store", f"sqlite:///{env['ONEINBOX_DB']}"]
        again += ["--router", "python_receiver:router"]
        done_run = subprocess.run(again, env=env, check=False, stdout=subprocess.PIPE, text=True)
        ok &= done_run.returncode == 2
        # The report was printed above: show the handlers' lines and reconcile's report.
        lines = done_run.stdout.splitlines()
        ran = [line for line in lines if line.startswith("  [python]")]
        for line in ran[:6]:
            print(line)
        if len(ran) > 6:
            print(f"  ... and {len(ran) - 6} more handler lines")
        for line in lines[
            next((i for i, x in enumerate(lines) if x.startswith("reconcile:")), len(lines)) :
        ]:
            print(f"   {line}")
        step(
            "Records after reconciling",
            "A scheduled reconcile (the same command without the doctor) would also catch",
            "calls that go quiet; here the doctor named them all.",
        )
        done = sum(complete(url, c, failed) for c, failed in calls)
        print(f"   Complete records: {done} of {MISSING_CALLS}.")
        return ok and done == MISSING_CALLS
    finally:
        fake.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    if not RUST_RECEIVER.is_file():
        raise SystemExit(f"{RUST_RECEIVER} is missing: `just demo` builds it")
    token = secrets.token_urlsafe(24)
    work = Path(tempfile.mkdtemp(prefix="oneinbox-demo-"))
    # Node finds the package and Express as an installed app would.
    modules = work / "node_modules"
    modules.mkdir()
    (modules / "oneinbox-webhooks").symlink_to(REPO / "bindings" / "node", target_is_directory=True)
    py_port, node_port, rust_port = free_port(), free_port(), free_port()
    base_env = {**os.environ, "ONEINBOX_URL_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    receivers = {
        "python": subprocess.Popen(
            [sys.executable, str(REPO / "examples" / "python_receiver.py")],
            env={**base_env, "PORT": str(py_port), "ONEINBOX_DB": str(work / "calls.sqlite3")},
        ),
        "node": subprocess.Popen(
            ["node", str(REPO / "examples" / "node_receiver.js")],
            env={
                **base_env,
                "PORT": str(node_port),
                "NODE_PATH": os.pathsep.join(
                    [str(modules), str(REPO / "bindings" / "node" / "node_modules")]
                ),
            },
        ),
        "rust": subprocess.Popen(
            [str(RUST_RECEIVER)],
            env={**base_env, "PORT": str(rust_port)},
        ),
    }
    urls = {
        "python": f"http://127.0.0.1:{py_port}",
        "node": f"http://127.0.0.1:{node_port}",
        "rust": f"http://127.0.0.1:{rust_port}",
    }
    ok = True
    try:
        step(
            "Starting three receivers",
            f"python: FastAPI + uvicorn, SQLiteStore   {urls['python']}/webhooks/oneinbox",
            f"node:   Express, MemoryStore             {urls['node']}/webhooks/oneinbox",
            f"rust:   axum, MemoryStore                {urls['rust']}/webhooks/oneinbox",
            "Each accepts only deliveries that carry the secret URL token.",
        )
        for name, proc in receivers.items():
            wait_ready(name, f"{urls[name]}/calls/none", proc)

        for name in receivers:
            step(
                f"Playing call {CALL} into the {name} receiver",
                "The send command POSTs each event as OneInbox does: transcript.final arrives",
                "before transcript.partial, and one delivery comes twice (a retry). The receiver",
                "answers 204 to both copies but runs its handler once: it prints six events.",
            )
            args = ["--call-id", CALL, "--duplicates", "1", "--seed", "7", *CALL_EVENTS]
            ok &= send(f"{urls[name]}/webhooks/oneinbox", token, *args) == 0
            time.sleep(0.2)  # let the receiver's lines reach the terminal before the next step

        step(
            f"A call that never connected: {FAILED_CALL}",
            "call.failed fires instead of call.started / call.ended.",
        )
        for name in receivers:
            ok &= (
                send(
                    f"{urls[name]}/webhooks/oneinbox",
                    token,
                    "--call-id",
                    FAILED_CALL,
                    "call.failed",
                )
                == 0
            )
        time.sleep(0.2)

        step(
            "A forged delivery (no valid URL token)",
            "Every receiver answers 401 and runs nothing; send exits 1, as it should.",
        )
        for name in receivers:
            status = send(
                f"{urls[name]}/webhooks/oneinbox", "forged-token", "--call-id", CALL, "call.ended"
            )
            ok &= status == 1

        step(
            "The call's record, as each receiver stored it",
            "Folded from the deliveries in any order, duplicates ignored: status, outcome,",
            "summary, the final transcript and the events seen.",
        )
        records = {}
        for name in receivers:
            status, body = get(f"{urls[name]}/calls/{CALL}")
            if status != 200:
                print(f"   {name}: no record (HTTP {status})")
                ok = False
                continue
            records[name] = body
            print(f"\n   {name} ({len(body)} bytes of JSON):")
            for key, value in json.loads(body).items():
                if key == "sources":
                    value = f"(the dedupe key each of {len(value)} fields came from)"
                elif key == "transcript" and isinstance(value, list):
                    value = f"{len(value)} messages"
                print(
                    f"     {key:<17} {json.dumps(value) if not isinstance(value, str) else value}"
                )
        same = len(records) == len(receivers) and len(set(records.values())) == 1
        step(
            "Result",
            "The three records (python, node, rust) are identical, byte for byte."
            if same
            else "The records DIFFER.",
        )
        ok &= same
        ok &= missing_deliveries(work, token)
    finally:
        for proc in receivers.values():
            proc.terminate()
        for proc in receivers.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(
        "\nDemo finished: every step behaved as described." if ok else "\nDemo FAILED: see above."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
