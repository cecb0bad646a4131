"""When deliveries go missing, from end to end: the fake OneInbox plays 50 calls with seeded
faults (deliveries dropped for good, duplicates, shuffled order, delays) and a three-hour
outage of the receiver (longer than OneInbox retries) into a FastAPI receiver with a SQLite
store, served over loopback. The doctor (its command, against the fake's API) names the outage
and the dropped deliveries; ``doctor --reconcile`` then recovers the calls whose events never
came. Afterwards every record equals the fold of every event the calls fired (what a fault-free
run gives), and each call's handlers ran once per event."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from uvicorn_server import UvicornServer

from oneinbox_webhooks import Receiver, Router
from oneinbox_webhooks.cli import main
from oneinbox_webhooks.stores import MemoryStore, SQLiteStore
from oneinbox_webhooks.testing import FakeOneInbox, Faults

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TOKEN = "tok_missing_e2e"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEY = "oi_sk_test_missing_SECRET"
SEED = 26
START = 1_780_000_000.0  # the fakes' clocks start here: two runs play the same bytes
CALLS = 50
FAILED_CALLS = 5  # of the 50, these end in call.failed (no answer)
FAULTS = Faults(drop=0.05, duplicate=0.1, shuffle=0.5, delay=0.2, max_delay_ms=20_000)

#: Handler runs per (call id, event), over every receiver in this module; the router is also
#: what ``doctor --reconcile --router test_missing_deliveries:ROUTER`` loads.
RAN: Counter[tuple[str, str]] = Counter()
ROUTER = Router()


@ROUTER.on_any
def _count(event: Any) -> None:
    RAN[(event.call_id, event.event)] += 1


class Served:
    """A FastAPI receiver over ``store`` on a free loopback port (uvicorn, in a thread)."""

    def __init__(self, store: Any) -> None:
        from fastapi import FastAPI

        from oneinbox_webhooks.fastapi import webhook_router

        app = FastAPI()
        receiver = Receiver(url_tokens=[TOKEN], signing_secrets=[SECRET])
        app.include_router(webhook_router(receiver, ROUTER, store=store))
        self.served = UvicornServer(app)
        self.url = f"{self.served.origin}/webhooks/oneinbox?token={TOKEN}"

    def close(self) -> None:
        self.served.close()


def play(fake: FakeOneInbox, url: str) -> tuple[dict[str, Any], list[str]]:
    """Registers ``url`` as the webhook of every event and plays the calls; the webhook and the
    call ids."""
    hook = fake.add_webhook(url)
    ids = [
        fake.play_call(failure="no-answer" if i < FAILED_CALLS else None)["id"]
        for i in range(CALLS)
    ]
    return hook, ids


def summary(record: Any) -> dict[str, Any]:
    """What a record knows of its call: its JSON without where each value came from (a
    delivery, a synthesized event or a snapshot) and without ``transcript.partial``, which
    reconciliation never brings back."""
    values = json.loads(record.to_json())
    for how in ("sources", "reconciled", "snapshot_status"):
        values.pop(how, None)
    values["events_seen"] = [e for e in values["events_seen"] if e != "transcript.partial"]
    return dict(values)


@pytest.fixture(scope="module")
def fault_free() -> dict[str, Any]:
    """Every call's record when every delivery arrives (same seed and clock, no faults)."""
    RAN.clear()
    store = MemoryStore()
    served = Served(store)
    try:
        fake = FakeOneInbox(KEY, seed=SEED, signing_secret=SECRET, start=START)
        _, ids = play(fake, served.url)
        fake.settle()
    finally:
        served.close()
    assert all(
        row["status"] == "succeeded" for h in fake.webhooks for row in fake.deliveries(h["id"])
    )
    RAN.clear()
    return {call_id: summary(store.get(call_id)) for call_id in ids}


def test_the_doctor_names_the_outage_and_reconcile_recovers_every_call(
    fault_free: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "calls.sqlite3"
    store = SQLiteStore(str(path))
    served = Served(store)
    fake = FakeOneInbox(KEY, seed=SEED, signing_secret=SECRET, faults=FAULTS, start=START)
    try:
        # The receiver is down from 100 s after the calls start, for three hours: longer than
        # OneInbox's retries (10 s, 1 min, 5 min, 30 min, 2 h), so those deliveries are lost.
        hook, ids = play(fake, served.url)
        fake.outage(served.url.split("/webhooks")[0], start=100, duration=3 * 3600)
        fake.settle()
    finally:
        served.close()
    assert sorted(ids) == sorted(fault_free)
    rows = fake.deliveries(hook["id"])
    assert {r["error"] for r in rows} >= {"dropped", "connection refused"}

    # The doctor, against the fake's API: problems (exit 2), the outage named with its window,
    # the dropped deliveries, and the calls whose events never succeeded.
    base_url = fake.serve()
    try:
        out, err = io.StringIO(), io.StringIO()
        env = {"ONEINBOX_API_KEY": KEY}
        code = main(
            ["doctor", "--json", "--base-url", base_url], stdout=out, stderr=err, environ=env
        )
        assert (code, err.getvalue()) == (2, "")
        diagnosis = json.loads(out.getvalue())
        causes = {c["code"]: c for c in diagnosis["causes"]}
        assert causes["connection_refused"]["windows"], causes["connection_refused"]
        assert causes["connection_refused"]["failed_for_good"] > 0
        assert causes["no_response"]["failed_for_good"] > 0  # the dropped deliveries
        never = {m["call_id"] for m in diagnosis["calls_never_succeeded"]}
        assert never and never <= set(ids)

        # Records are incomplete now: the outage and the drops left events out.
        incomplete = [
            c for c in ids if store.get(c) is None or summary(store.get(c)) != fault_free[c]
        ]
        assert incomplete

        # doctor --reconcile: the same diagnosis, then reconcile of those calls (from the API).
        out = io.StringIO()
        argv = ["doctor", "--base-url", base_url, "--reconcile", "--store", f"sqlite:///{path}"]
        argv += ["--router", "test_missing_deliveries:ROUTER"]
        code = main(argv, stdout=out, stderr=err, environ=env)
        assert (code, err.getvalue()) == (2, ""), err.getvalue()
        text = out.getvalue()
        assert "OneInbox delivery doctor" in text and "reconcile: checked" in text
    finally:
        fake.close()

    # Every record now equals the fault-free fold, and each event ran its handlers once.
    for call_id in ids:
        record = store.get(call_id)
        assert record is not None, call_id
        assert summary(record) == fault_free[call_id], call_id
    fired = {(c, e) for c, e in RAN}
    assert all(RAN[key] == 1 for key in fired if key[1] != "transcript.partial"), RAN
    expected = {e for c in ids for e in store.get(c).events_seen if e != "transcript.partial"}
    assert {e for _, e in fired} >= expected


RECORDED = (
    Path(__file__).parents[3] / "tests" / "fixtures" / "doctor" / "recorded_from_the_fake.json"
)
HOOK_URL = "https://hooks.example.com/oneinbox?token=tok_recorded"


def test_the_doctor_golden_file_is_a_recording_of_the_fake() -> None:
    """``doctor/recorded_from_the_fake.json`` is what the fake's history gives for 10 calls with
    faults and an outage (fixed seed and clock), and the doctor's JSON and text for it: played
    again here, the history and the diagnosis must be the file's (``ONEINBOX_RECORD=1`` writes
    it). The receiver's address is replaced by the file's URL (its port changes)."""
    import os

    from oneinbox_webhooks import diagnose

    served = Served(MemoryStore())
    fake = FakeOneInbox(KEY, seed=7, signing_secret=SECRET, faults=FAULTS, start=START)
    try:
        hook = fake.add_webhook(served.url)
        for i in range(10):
            fake.play_call(failure="no-answer" if i == 0 else None)
        fake.outage(served.url.split("/webhooks")[0], start=60, duration=3 * 3600)
        fake.settle()
    finally:
        served.close()
    webhooks = [{**h, "url": HOOK_URL} for h in fake.webhooks]
    rows = fake.deliveries(hook["id"])
    d = diagnose(webhooks, rows)
    recording = {
        "description": "Recorded from the fake OneInbox (seed 7, a fixed clock): 10 calls with "
        "seeded faults (drops, duplicates, shuffles, delays) and a three-hour outage of the "
        "receiver from 60 s on; every row of the webhook's history, and the doctor's JSON and "
        "text. bindings/python/tests/test_missing_deliveries.py plays it again.",
        "webhooks": webhooks,
        "deliveries": rows,
        "text": d.to_text(),
        "expected": json.loads(d.to_json()),
    }
    if os.environ.get("ONEINBOX_RECORD") == "1":
        RECORDED.write_text(json.dumps(recording, indent=2, ensure_ascii=False) + "\n")
    golden = json.loads(RECORDED.read_text())
    assert golden["deliveries"] == rows
    assert golden["expected"] == recording["expected"]
    assert golden["text"] == recording["text"]
    causes = {c["code"] for c in golden["expected"]["causes"]}
    assert {"connection_refused", "no_response"} <= causes
