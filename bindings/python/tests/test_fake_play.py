"""The fake OneInbox plays calls into real receivers: a FastAPI app with a store, served by
uvicorn on a loopback port, gets each event signed and tokened from ``settle()``; a failing
handler's 500 is retried on the fake's clock and shows in the history; seeded faults give the
same history twice; a receiver that is down gets ``connection refused`` rows until it gives up."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from typing import Any

import pytest
from uvicorn_server import UvicornServer

from oneinbox_webhooks import Receiver, Router, UsageError
from oneinbox_webhooks.client import Client
from oneinbox_webhooks.stores import MemoryStore
from oneinbox_webhooks.testing import CALL_SEQUENCE, FakeOneInbox, Faults

TOKEN = "tok_play_123"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class App:
    """A FastAPI receiver with a memory store on a free loopback port (uvicorn, in a thread);
    its handlers count each event per call, and ``fail`` names events whose first run raises."""

    def __init__(self, fail: tuple[str, ...] = ()) -> None:
        from fastapi import FastAPI

        from oneinbox_webhooks.fastapi import webhook_router

        self.ran: Counter[tuple[str, str]] = Counter()
        self.store = MemoryStore()
        router = Router()
        failing = set(fail)

        def count(event: Any) -> None:
            if event.event in failing:
                failing.discard(event.event)
                raise RuntimeError("handler failed once")
            self.ran[(event.call_id, event.event)] += 1

        router.on_any(count)
        receiver = Receiver(url_tokens=[TOKEN], signing_secrets=[SECRET])
        app = FastAPI()
        app.include_router(webhook_router(receiver, router, store=self.store))
        self.served = UvicornServer(app)
        self.url = f"{self.served.origin}/webhooks/oneinbox?token={TOKEN}"

    def close(self) -> None:
        self.served.close()


@pytest.fixture
def app() -> Any:
    served = App()
    yield served
    served.close()


def test_a_call_created_through_the_client_plays_into_the_receiver(app: App) -> None:
    with FakeOneInbox(seed=3, signing_secret=SECRET) as fake:
        client = Client(fake.api_key, base_url=fake.serve())
        hook = fake.add_webhook(app.url)  # create_webhook takes https only
        call = client.create_call(
            agent_id="agt_1", to_number="+919876543210", from_number="+15739693824"
        )
        assert call.status == "queued"
        assert fake.settle() == 6
    assert {e: app.ran[(call.id, e)] for e in CALL_SEQUENCE} == dict.fromkeys(CALL_SEQUENCE, 1)
    record = app.store.get(call.id)
    assert record is not None and record.status == "completed"
    rows = fake.deliveries(hook["id"])
    assert len(rows) == 6 and {r["status"] for r in rows} == {"succeeded"}
    assert {r["call_id"] for r in rows} == {call.id}
    stored = next(c for c in fake.calls if c["id"] == call.id)
    assert stored["status"] == "completed" and stored["outcome"] == "Appointment Booked"


def test_a_call_played_to_its_url_and_a_webhook_runs_each_handler_once(app: App) -> None:
    fake = FakeOneInbox(seed=2, signing_secret=SECRET)
    hook = fake.add_webhook(app.url, events=["call.ended", "call.analyzed"])
    call = fake.play_call(webhook_url=app.url)
    assert fake.settle() == 8  # six events to the call's URL, two to the webhook
    # the same message (webhook-id) to both targets: the inbox runs its handlers once
    assert {e: app.ran[(call["id"], e)] for e in CALL_SEQUENCE} == dict.fromkeys(CALL_SEQUENCE, 1)
    assert [r["event"] for r in fake.deliveries(hook["id"])] == ["call.analyzed", "call.ended"]
    assert len(fake.deliveries_for_call(call["id"])) == 6
    assert fake.calls[0]["webhook_url"] == app.url


def test_an_unsigned_delivery_is_refused_and_retried() -> None:
    served = App()
    try:
        fake = FakeOneInbox(seed=4)  # no signing secret, and the URL without its token
        fake.play_call(webhook_url=served.url.split("?")[0])
        fake.settle()
    finally:
        served.close()
    rows = fake.deliveries_for_call(fake.calls[0]["id"])
    assert len(rows) == 6 * 6 and {r["response_status"] for r in rows} == {401}
    assert served.ran == Counter()


def test_a_500_is_retried_with_backoff_and_shows_in_the_history() -> None:
    served = App(fail=("call.ended",))
    try:
        fake = FakeOneInbox(seed=5, signing_secret=SECRET)
        start = fake.now
        call = fake.play_call(webhook_url=served.url)
        fake.settle()
    finally:
        served.close()
    ended = [r for r in fake.deliveries_for_call(call["id"]) if r["event"] == "call.ended"]
    assert [(r["attempt"], r["status"]) for r in ended] == [(2, "succeeded"), (1, "failed")]
    assert ended[1]["response_status"] >= 500 and ended[1]["next_retry_at"] is not None
    assert served.ran[(call["id"], "call.ended")] == 1
    assert fake.now - start >= 10  # the fake's clock moved past the retry


def test_a_receiver_that_is_down_gets_refused_rows_until_the_fake_gives_up() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    sock.close()  # nothing listens there
    fake = FakeOneInbox(seed=6)
    call = fake.play_call(webhook_url=url, failure="no-answer")
    assert fake.settle() == 6
    rows = fake.deliveries_for_call(call["id"])
    assert [r["attempt"] for r in rows] == [6, 5, 4, 3, 2, 1]
    assert {r["error"] for r in rows} == {"connection refused"}
    assert rows[0]["next_retry_at"] is None
    assert fake.calls[0]["status"] == "failed"


def test_an_outage_refuses_then_the_retry_succeeds(app: App) -> None:
    fake = FakeOneInbox(seed=8, signing_secret=SECRET)
    fake.outage("http://127.0.0.1", duration=60)
    call = fake.play_call(webhook_url=app.url)
    fake.settle()
    started = [r for r in fake.deliveries_for_call(call["id"]) if r["event"] == "call.started"]
    assert [(r["attempt"], r["error"]) for r in started] == [
        (3, None),
        (2, "connection refused"),
        (1, "connection refused"),
    ]


def history(seed: int, app: App) -> list[tuple[Any, ...]]:
    faults = Faults(drop=0.3, duplicate=0.3, shuffle=0.5, delay=0.5, max_delay_ms=20_000)
    # A fixed clock: the same seed then gives the same bytes, whatever the wall clock.
    fake = FakeOneInbox(seed=seed, faults=faults, signing_secret=SECRET, start=1_780_000_000.0)
    calls = [fake.play_call(webhook_url=app.url) for _ in range(3)]
    fake.settle()
    rows = [r for c in calls for r in fake.deliveries_for_call(c["id"])]
    return [(r["id"], r["event"], r["status"], r["attempt"], r["error"]) for r in rows]


def test_seeded_faults_give_the_same_history_twice(app: App) -> None:
    first = history(11, app)
    assert first == history(11, app)
    assert any(r[4] == "dropped" for r in first)
    assert first != history(12, app)


def test_asettle_plays_on_the_event_loop(app: App) -> None:
    fake = FakeOneInbox(seed=9, signing_secret=SECRET)
    call = fake.play_call(webhook_url=app.url)
    assert asyncio.run(fake.asettle()) == 6
    assert app.ran[(call["id"], "transcript.final")] == 1


def test_bad_faults_and_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError) as err:
        FakeOneInbox(faults=Faults(drop=2, delay=-1))
    assert [i.path for i in err.value.issues] == ["/faults/drop", "/faults/delay"]
    with pytest.raises(UsageError) as err:
        FakeOneInbox(faults=Faults(shuffle=1.5, max_delay_ms=-1))
    assert [i.path for i in err.value.issues] == ["/faults/max_delay_ms", "/faults/shuffle"]
    with pytest.raises(UsageError):
        FakeOneInbox(signing_secret="whsec_***")
    with pytest.raises(UsageError):
        FakeOneInbox().play_call(webhook_url="not a url")
