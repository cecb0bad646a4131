"""Typed use of the API. `mypy --strict` checks this file (see `just test-python`), and
pytest runs it, so the annotations and the runtime agree."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Optional, TypeVar, Union

from oneinbox_webhooks import (
    Api,
    ApiError,
    AuthenticationError,
    Call,
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallPage,
    CallRecord,
    CallRecordingAvailable,
    CallStarted,
    DeliveryPage,
    Event,
    Issue,
    PreparedRequest,
    Receiver,
    RetryStep,
    Router,
    Secret,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
    UrlTokenFilter,
    UsageError,
    ValidationError,
    Verification,
    Webhook,
    add_url_token,
    new_signing_secret,
    new_url_token,
    parse_event,
    redact_access_logs,
    retry_after,
    sign,
    verify_signature,
    verify_url_token,
)
from oneinbox_webhooks.inbox import AsyncInboxStore, InboxStore
from oneinbox_webhooks.stores import (
    AsyncPostgresStore,
    MemoryStore,
    Recorded,
    RedisStore,
    SQLiteStore,
    Store,
)

T = TypeVar("T")


def describe(event: Event) -> str:
    match event:
        case CallEnded(call_id=call_id, outcome=outcome, duration_seconds=seconds):
            text: str = call_id
            if outcome is not None:
                text += f" {outcome.lower()}"
            if seconds is not None:
                text += f" {seconds + 0}s"
            if event.analysis is not None and event.analysis.summary is not None:
                text += f" {event.analysis.summary.strip()}"
            return text
        case TranscriptFinal(messages=messages) | TranscriptPartial(messages=messages):
            return " / ".join(f"{m.role}: {m.content}" for m in messages)
        case CallStarted() | CallAnalyzed() | CallFailed() | CallRecordingAvailable():
            return f"{event.event} {event.call_id}"
        case UnknownEvent(name, call_id):
            return f"unknown {name} {call_id} {sorted(event.extra)}"


def issues_of(body: Union[bytes, str], strict: bool = False) -> list[tuple[str, str]]:
    try:
        parse_event(body, strict=strict, max_body_bytes=4096, max_depth=8)
    except (ValidationError, UsageError) as err:
        found: list[Issue] = err.issues
        return [(i.code, i.path) for i in found]
    return []


def test_describe() -> None:
    body = (
        b'{"event":"call.ended","call_id":"c1","outcome":"Booked",'
        b'"duration_seconds":3,"analysis":{"summary":" ok "}}'
    )
    assert describe(parse_event(body)) == "c1 booked 3s ok"
    final = (
        b'{"event":"transcript.final","call_id":"c","messages":[{"role":"user","content":"hi"}]}'
    )
    assert describe(parse_event(final)) == "user: hi"
    assert describe(parse_event(b'{"event":"call.failed","call_id":"c"}')) == "call.failed c"
    assert describe(parse_event(b'{"event":"x.y","call_id":"c","z":1}')).startswith("unknown x.y c")


def test_issues_of() -> None:
    assert issues_of('{"event":"call.failed","call_id":""}') == [("invalid_value", "/call_id")]
    assert issues_of(b'{"event":"call.failed","call_id":"c"}') == []


# ---- management and authentication, typed ----------------------------------------------


def send_fake(prepared: PreparedRequest[T], status: int, body: bytes) -> T:
    assert prepared.method in ("GET", "POST", "PATCH", "DELETE")
    headers: dict[str, str] = prepared.headers
    assert headers["Accept"] == "application/json"
    sent: Optional[bytes] = prepared.body
    assert sent is None or sent.startswith(b"{")
    return prepared.parse_response(status, body)


def test_management_types() -> None:
    api = Api("oi_sk_test_abc123")
    hook: Webhook = send_fake(
        api.create_webhook(name="n", url="https://e.com/h", events=["call.ended"]),
        201,
        b'{"id":"wh_1","secret":"whsec_abc"}',
    )
    secret: Optional[Secret] = hook.secret
    assert secret is not None and secret.expose() == "whsec_abc"
    hooks: list[Webhook] = send_fake(api.list_webhooks(), 200, b"[]")
    assert hooks == []
    gone: None = send_fake(api.delete_webhook("wh_1"), 204, b"")
    assert gone is None
    prepared = api.list_deliveries("wh_1", limit=1)
    page: DeliveryPage = send_fake(
        prepared, 200, b'{"items":[{"id":"d"}],"total":2,"limit":1,"offset":0}'
    )
    nxt: Optional[PreparedRequest[DeliveryPage]] = prepared.next_page(page)
    assert nxt is not None and page.items[0].id == "d"
    listing = api.list_calls(agent_id="agt_1", status="completed", limit=1)
    calls: CallPage = send_fake(
        listing, 200, b'{"items":[{"id":"call_1"}],"total":2,"limit":1,"offset":0}'
    )
    first_call: Call = calls.items[0]
    more: Optional[PreparedRequest[CallPage]] = listing.next_page(calls)
    assert more is not None and first_call.id == "call_1" and calls.total == 2
    one: Call = send_fake(api.get_call("call_1"), 200, b'{"id":"call_1"}')
    assert one.id == "call_1"
    call: Call = send_fake(
        api.create_call(
            agent_id="a",
            to_number="+15551234567",
            from_number="+15557654321",
            variables={"x": 1},
            scheduled_at="2026-01-31T09:30:00Z",
            overrides={"first_message": "Hi"},
        ),
        201,
        b'{"id":"call_1"}',
    )
    assert call.type is None
    try:
        api.list_webhooks().parse_response(429, b"")
    except ApiError as err:
        assert err.retryable
    wait: Optional[float] = retry_after({"Retry-After": "2"})
    assert wait == 2.0
    step: RetryStep = api.list_webhooks().after_status(0, 2, 503, {"Retry-After": "2"}, 0.5)
    assert step.wait == 2.0 and step.retryable and step.message is None
    lost = api.create_call(
        agent_id="a", to_number="+15551234567", from_number="+15557654321"
    ).after_failure(0, 2, sent=True, cause="ReadTimeout", draw=0.5)
    message: Optional[str] = lost.message
    assert lost.wait is None and message is not None and "may have been placed" in message


def test_secret_and_access_log_types() -> None:
    secret: str = new_signing_secret()
    assert sign(secret, "m", 1, b"{}").startswith("v1,")
    installed: UrlTokenFilter = redact_access_logs("typing.test.access")
    assert isinstance(installed, logging.Filter)
    logging.getLogger("typing.test.access").removeFilter(installed)


def test_auth_types() -> None:
    token: str = new_url_token()
    url: str = add_url_token("https://e.com/h", token)
    v: Verification = verify_url_token(url, [token])
    index: Optional[int] = v.matched_secret
    assert v.ok and index == 0
    signature: str = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, b"{}")
    checked = verify_signature(
        {"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": signature},
        b"{}",
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        now=1,
    )
    match checked:
        case Verification(ok=True, code="ok"):
            pass
        case _:
            raise AssertionError(checked)
    receiver = Receiver(url_tokens=[token], strict=False)
    open_receiver: Receiver = Receiver(allow_unauthenticated=True)
    assert repr(open_receiver).startswith("Receiver(")
    try:
        receiver.receive(b'{"event":"call.started","call_id":"c"}', headers=[("a", "b")], url="/h")
    except AuthenticationError as err:
        code: str = err.verification.code
        assert code == "missing_token"
    event: Event = receiver.receive(b'{"event":"call.started","call_id":"c"}', url=url)
    assert describe(event) == "call.started c"


# ---- the router, typed (tests/test_typing_errors.py has the handlers mypy must reject) -----

router = Router(exhaustive=True)
handled: list[str] = []


@router.on("call.ended")
def on_ended(event: CallEnded) -> None:
    seconds: Union[int, float, None] = event.duration_seconds  # narrowed to CallEnded
    handled.append(f"ended {seconds}")


@router.on(CallFailed)
def on_failed(event: CallFailed) -> str:
    reason: Optional[str] = event.reason
    handled.append(f"failed {reason}")
    return reason or ""


@router.on("transcript.partial")
@router.on(TranscriptFinal)
def on_transcript(event: Union[TranscriptPartial, TranscriptFinal]) -> int:
    handled.append(f"{event.event} {len(event.messages)}")
    return len(event.messages)


@router.on("call.started")
@router.on("call.analyzed")
@router.on("call.recording.available")
def on_other(event: Event) -> None:  # a broader parameter takes any event
    handled.append(event.event)


@router.on("call.started")
async def on_started(event: CallStarted) -> None:
    await asyncio.sleep(0)
    handled.append(f"started {event.created_at}")


@router.on_unknown
def on_unknown(event: UnknownEvent) -> None:
    handled.append(f"unknown {event.event}")


@router.on_any
async def on_any(event: Event) -> None:
    handled.append(f"any {event.call_id}")


def test_router_types() -> None:
    router.check()  # every known event has a handler
    final = parse_event(b'{"event":"transcript.final","call_id":"c","messages":[]}')
    assert isinstance(final, TranscriptFinal)
    length: int = on_transcript(final)
    assert length == 0  # the decorators return the function itself
    handled.clear()
    ended = parse_event(b'{"event":"call.ended","call_id":"c","duration_seconds":3}')
    ran: int = asyncio.run(router.dispatch_async(ended))
    assert ran == 2 and handled == ["ended 3", "any c"]
    handled.clear()
    ran = asyncio.run(router.dispatch_async(parse_event(b'{"event":"call.started","call_id":"c"}')))
    assert ran == 3 and handled == ["call.started", "started None", "any c"]
    sync_router = Router()
    sync_router.on("call.failed")(on_failed)
    sync_router.on_unknown(on_unknown)
    handled.clear()
    failed = parse_event(b'{"event":"call.failed","call_id":"c","reason":"busy"}')
    ran = sync_router.dispatch(failed)
    ran += sync_router.dispatch(parse_event(b'{"event":"x.y","call_id":"c"}'))
    assert ran == 2 and handled == ["failed busy", "unknown x.y"]


def test_call_record_types() -> None:
    from oneinbox_webhooks import Applied, CallRecord, dedupe_key

    record = CallRecord("c")
    event: Event = parse_event(b'{"event":"call.ended","call_id":"c","duration_seconds":87}')
    applied: Applied = record.apply(event)
    changed: bool = applied.changed
    why: Optional[str] = applied.ignored
    key: str = dedupe_key(event)
    assert changed and why is None and key.startswith("call.ended:c:")
    seconds: Union[int, float, None] = record.duration_seconds
    status: str = record.status
    seen: list[str] = record.events_seen
    assert (seconds, status, seen) == (87, "completed", ["call.ended"])
    other = CallRecord.from_json(record.to_json())
    merged: bool = other.merge(record)
    assert not merged and other == record
    # A raw body is not an event: mypy rejects it (the ignore would be unused otherwise, which
    # --strict reports), and so does the runtime.
    try:
        dedupe_key(b"{}")  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        raise AssertionError("dedupe_key accepted bytes")


# ---- stores, typed (tests/test_stores.py runs them against a real Redis and SQLite file) ----


def record_twice(store: Store, body: bytes) -> tuple[bool, bool, CallRecord]:
    first: Recorded = store.record(parse_event(body))
    second = store.record(parse_event(body))
    got: Optional[CallRecord] = store.get(first.record.call_id)
    assert got is not None and got == second.record
    return first.new, second.new, second.record


def test_store_types(tmp_path: Path) -> None:
    body = b'{"event":"call.ended","call_id":"c","outcome":"Booked"}'
    stores: list[Store] = [MemoryStore(), SQLiteStore(tmp_path / "calls.sqlite3")]
    for store in stores:
        new, again, record = record_twice(store, body)
        assert (new, again) == (True, False)
        status: str = record.status
        assert status == "completed" and record.outcome == "Booked"
    with SQLiteStore(str(tmp_path / "other.sqlite3"), timeout=1.5) as sqlite_store:
        assert sqlite_store.get("c") is None


def redis_stores_type_check(url: str) -> tuple[Store, RedisStore, RedisStore]:
    """Never called: mypy checks that redis-py's clients fit RedisStore."""
    import redis
    import redis.asyncio

    sync_store: Store = RedisStore(redis.Redis.from_url(url), prefix="app:", ttl_seconds=86400)
    text_store = RedisStore(redis.Redis.from_url(url, decode_responses=True))
    async_store = RedisStore(redis.asyncio.Redis.from_url(url))
    return sync_store, text_store, async_store


def postgres_stores_type_check(dsn: str) -> tuple[Store, InboxStore, AsyncInboxStore]:
    """Never called: mypy checks the Postgres stores' targets and protocols."""
    import psycopg
    import psycopg_pool

    from oneinbox_webhooks.stores import AsyncPostgresStore, PostgresStore

    with PostgresStore(psycopg.connect(dsn), lease=30.0) as store, store.transaction() as conn:
        conn.execute("SELECT 1")
    pooled = PostgresStore(psycopg_pool.ConnectionPool(dsn), max_attempts=5)
    return PostgresStore(dsn), pooled, AsyncPostgresStore(dsn)


async def postgres_async_type_check(store: AsyncPostgresStore, body: bytes) -> Optional[str]:
    arrival = await store.arrive(parse_event(body), body)
    if arrival.delivery is not None:
        async with store.transaction() as conn:
            await conn.execute("SELECT 1")
        verdict: str = await store.finish(arrival.delivery)
        assert verdict
    return arrival.record.outcome


async def record_async(store: RedisStore, body: bytes) -> Optional[str]:
    recorded: Recorded = await store.arecord(parse_event(body))
    record: Optional[CallRecord] = await store.aget(recorded.record.call_id)
    return None if record is None else record.outcome


# ---- the client, the fake and the factories, typed -------------------------------------------


def test_client_fake_and_factory_types() -> None:
    import random

    from oneinbox_webhooks.client import AsyncClient, Client, TransportError
    from oneinbox_webhooks.testing import (
        Delivery,
        FakeOneInbox,
        FakeResponse,
        RecordedRequest,
        make_call,
        make_delivery,
        make_event,
    )

    waits: list[float] = []
    with FakeOneInbox("oi_sk_test_typed") as fake:
        fake.fail_next(503, retry_after=1)
        client: Client = fake.client(sleep=waits.append, random=random.Random(1).random)
        with client:
            hook: Webhook = client.create_webhook(
                name="n", url="https://e.com/h", events=["call.ended"]
            )
            hooks: list[Webhook] = client.list_webhooks()
            renamed: Webhook = client.update_webhook(hook.id, name="m")
            client.test_webhook(hook.id)
            page: DeliveryPage = client.list_deliveries(hook.id, limit=1)
            every: list[str] = [d.id for d in client.iter_deliveries(hook.id, limit=1)]
            call: Call = client.create_call(
                agent_id="a",
                to_number="+15551234567",
                from_number="+15557654321",
                webhook_url="https://e.com/c",
            )
            fetched: Call = client.get_call(call.id)
            listed: CallPage = client.list_calls(agent_id="a", status="queued", limit=5)
            every_call: list[Call] = list(client.iter_calls(agent_id="a", limit=1))
            assert fetched.id == call.id and listed.total == 1 and len(every_call) == 1
            client.delete_webhook(hook.id)
        assert waits == [1.0] and len(hooks) == 1 and renamed.name == "m"
        assert page.total == 1 and every == [page.items[0].id] and call.id
        seen: list[RecordedRequest] = fake.requests
        stored: list[dict[str, object]] = fake.calls
        assert seen[0].authorized and stored[0]["webhook_url"] == "https://e.com/c"
        answer: Optional[FakeResponse] = fake.handle("GET", "/v1/webhooks", {})
        assert answer is not None and answer.status == 401

        async def listing() -> list[Webhook]:
            async with AsyncClient(fake.api_key, base_url=fake.serve(), max_retries=0) as a:
                return await a.list_webhooks()

        assert asyncio.run(listing()) == []
    try:
        raise TransportError("x", retryable=False)
    except TransportError as err:
        retryable: bool = err.retryable
        assert not retryable

    body: bytes = make_event("call.ended", call_id="call_1", outcome="Booked")
    bodies: list[bytes] = make_call("call_1")
    delivery: Delivery = make_delivery(
        body, url="https://e.com/h", url_token="t", signing_secret=Secret("whsec_abcd")
    )
    headers: dict[str, str] = delivery.headers
    event: Event = Receiver(url_tokens=["t"], signing_secrets=["whsec_abcd"]).receive(
        delivery.body, headers=headers, url=delivery.url
    )
    assert event.call_id == "call_1" and len(bodies) == 6 and delivery.event == "call.ended"


# ---- framework adapters, typed (tests/test_adapters.py drives each through its framework) ----


def test_adapter_types(tmp_path: Path) -> None:
    import pytest

    pytest.importorskip("fastapi")  # a dev dependency from Python 3.11 on
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern, path
    from fastapi import APIRouter, FastAPI
    from flask import Blueprint, Flask

    from oneinbox_webhooks.django import webhook_view
    from oneinbox_webhooks.fastapi import webhook_router
    from oneinbox_webhooks.flask import webhook_blueprint

    receiver = Receiver(url_tokens=[new_url_token()])
    router = Router()

    @router.on("call.ended")
    async def ended(event: CallEnded) -> None:
        assert event.call_id

    store: Store = MemoryStore()
    api_router: APIRouter = webhook_router(
        receiver, router, path="/hooks/oneinbox", store=store, ack_timeout=1.5
    )
    blueprint: Blueprint = webhook_blueprint(receiver, router, ack_timeout=None)
    with SQLiteStore(tmp_path / "calls.sqlite3") as sqlite:
        view = webhook_view(receiver, router, store=sqlite, ack_timeout=2)
    typed_view: Callable[[HttpRequest], HttpResponse] = view
    route: URLPattern = path("webhooks/oneinbox", typed_view)

    app = FastAPI()
    app.include_router(api_router, prefix="/api")
    flask_app = Flask(__name__)
    flask_app.register_blueprint(blueprint)
    assert route.callback is view and "oneinbox_webhooks" in flask_app.blueprints


def test_doctor_types() -> None:
    from oneinbox_webhooks import Diagnosis, diagnose

    rows = [{"id": "dlv_1", "webhook_id": "wh_1", "status": "failed", "response_status": 401}]
    d: Diagnosis = diagnose([{"id": "wh_1"}], rows)
    assert d.healthy is False
    codes: list[str] = [c["code"] for c in d.causes]
    attempts: int = d.causes[0]["attempts"]
    failed: int = d.summary["failed"]
    assert codes == ["unauthorized"] and attempts == 1 and failed == 1
    assert d.to_text().startswith("OneInbox delivery doctor: 1 problem found")
    assert d.to_json().startswith("{")
    match d:
        case Diagnosis(healthy=False, causes=[first, *_]):
            assert first["code"] == "unauthorized"
        case _:
            raise AssertionError(d)
    assert repr(d) == "Diagnosis(healthy=False, causes=['unauthorized'])"


# ---- the fake playing calls, typed -------------------------------------------------------------


def test_the_fake_playing_calls_typed() -> None:
    from typing import Any

    from oneinbox_webhooks.testing import FakeOneInbox, Faults

    faults = Faults(drop=1.0, max_delay_ms=1000)
    fake = FakeOneInbox(seed=1, faults=faults, signing_secret=None)
    hook: dict[str, Any] = fake.add_webhook("http://127.0.0.1:9/h", events=["call.started"])
    played: dict[str, Any] = fake.play_call(webhook_url="http://127.0.0.1:9/c", failure=None)
    fake.outage("http://127.0.0.1", start=0.0, duration=1.0)
    sent: int = fake.settle(timeout=1.0)  # every delivery dropped: nothing is sent
    rows: list[dict[str, Any]] = fake.deliveries_for_call(played["id"])
    clock: float = fake.now
    assert sent == 0 and rows[0]["error"] == "dropped" and hook["id"] and clock > 0


def test_reconcile_types() -> None:
    from oneinbox_webhooks import Call, CallRecord, Router
    from oneinbox_webhooks.inbox import (
        Overdue,
        ReconcilePolicy,
        ReconcileReport,
        reconcile,
        record_is_open,
        synthesize,
    )
    from oneinbox_webhooks.stores import MemoryStore

    class Calls:
        def get_call(self, call_id: str) -> Call:
            return Call.from_json(f'{{"id": "{call_id}", "status": "completed"}}')

    policy = ReconcilePolicy(ended_after_ms=60_000, expect=["call.analyzed"])
    record = CallRecord("call_1")
    call = Calls().get_call("call_1")
    assert not record.apply_call(call).changed or record.snapshot_status == "completed"
    reconciled: list[str] = record.reconciled
    overdue: Overdue | None = policy.overdue(record, 0, 1)
    events: list[tuple[str, str, str]] = synthesize(record, call)
    report: ReconcileReport = reconcile(MemoryStore(), Calls(), Router(), policy=policy, now=1.0)
    assert report.checked == 0 and overdue is None and not reconciled
    assert [name for name, _, _ in events] == ["call.started", "call.ended"]
    assert record_is_open(record) is False and record.covers("call.analyzed", "k") is False
