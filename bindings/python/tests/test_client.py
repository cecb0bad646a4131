"""oneinbox_webhooks.client: every endpoint through Client and AsyncClient against FakeOneInbox
(an httpx.MockTransport, and a loopback socket), the retry policy (statuses, Retry-After, full
jitter, transport errors per request), and the API key kept out of reprs, errors and logs."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from oneinbox_webhooks import ApiError, Call, DeliveryPage, OneInboxError, UsageError, Webhook
from oneinbox_webhooks.client import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    RETRY_AFTER_CAP,
    AsyncClient,
    Client,
    TransportError,
)
from oneinbox_webhooks.testing import FakeOneInbox

KEY = "oi_sk_test_SUPERSECRETKEY"
HOOK: dict[str, Any] = {
    "name": "Call events",
    "url": "https://example.com/h",
    "events": ["call.ended"],
}
CALL: dict[str, Any] = {
    "agent_id": "agt_1",
    "to_number": "+15551234567",
    "from_number": "+15557654321",
}


@pytest.fixture()
def fake() -> FakeOneInbox:
    return FakeOneInbox(KEY)


def seeded(seed: int = 7) -> Callable[[], float]:
    return random.Random(seed).random


def expected_backoff(seed: int, retries: int) -> list[float]:
    """Full jitter from the same seeded source: each failed attempt draws one number, and the
    wait is whole milliseconds (the fraction cut)."""
    rnd = random.Random(seed)
    windows_ms = [min(BACKOFF_CAP, BACKOFF_BASE * 2.0**n) * 1000 for n in range(retries)]
    return [math.floor(rnd.random() * w) / 1000 for w in windows_ms]


def paths(fake: FakeOneInbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests]


# ---- every endpoint, synchronous and asynchronous -------------------------------------------


def test_every_endpoint(fake: FakeOneInbox) -> None:
    with fake.client() as client:
        hook = client.create_webhook(**HOOK)
        assert isinstance(hook, Webhook) and hook.id.startswith("wh_")
        assert hook.status == "active" and hook.secret is not None
        assert hook.secret.expose().startswith("whsec_")
        assert [h.id for h in client.list_webhooks()] == [hook.id]
        updated = client.update_webhook(hook.id, name="Renamed", events=["call.started"])
        assert (updated.name, updated.events, updated.url) == (
            "Renamed",
            ["call.started"],
            HOOK["url"],
        )
        client.test_webhook(hook.id)
        page = client.list_deliveries(hook.id, limit=10)
        assert isinstance(page, DeliveryPage) and page.total == 1
        assert [(d.webhook_id, d.event) for d in page.items] == [(hook.id, "call.started")]
        call = client.create_call(
            **CALL, webhook_url="https://example.com/calls", variables={"n": 1}
        )
        assert isinstance(call, Call) and call.id.startswith("call_")
        assert (call.status, call.to_number, call.variables) == ("queued", "+15551234567", {"n": 1})
        client.delete_webhook(hook.id)
        assert client.list_webhooks() == []
    assert fake.webhooks == []
    assert [c["webhook_url"] for c in fake.calls] == ["https://example.com/calls"]
    assert paths(fake) == [
        "POST /v1/webhooks",
        "GET /v1/webhooks",
        f"PATCH /v1/webhooks/{hook.id}",
        f"POST /v1/webhooks/{hook.id}/test",
        f"GET /v1/webhooks/{hook.id}/deliveries",
        "POST /v1/calls",
        f"DELETE /v1/webhooks/{hook.id}",
        "GET /v1/webhooks",
    ]
    assert all(r.authorized for r in fake.requests)
    assert fake.requests[0].json() == HOOK
    assert fake.sleeps == []


def test_every_endpoint_async(fake: FakeOneInbox) -> None:
    async def run() -> None:
        async with fake.async_client() as client:
            hook = await client.create_webhook(**HOOK)
            assert [h.id for h in await client.list_webhooks()] == [hook.id]
            updated = await client.update_webhook(hook.id, status="disabled")
            assert updated.status == "inactive"  # "disabled" reads as "inactive"
            await client.test_webhook(hook.id)
            page = await client.list_deliveries(hook.id)
            assert page.total == 1 and page.limit == 50
            call = await client.create_call(**CALL, webhook_url="https://example.com/c")
            assert call.id == fake.calls[0]["id"]
            await client.delete_webhook(hook.id)
            with pytest.raises(ApiError) as e:
                await client.delete_webhook(hook.id)
            assert (e.value.status, e.value.message) == (404, "Webhook not found")

    asyncio.run(run())
    assert len(fake.requests) == 8 and fake.webhooks == []


def seed_deliveries(fake: FakeOneInbox, client: Client, count: int) -> str:
    hook = client.create_webhook(**HOOK)
    for i in range(count):
        fake.add_delivery(hook.id, event="call.ended", attempt=i + 1)
    return hook.id


def test_iter_deliveries_pages_lazily(fake: FakeOneInbox) -> None:
    with fake.client() as client:
        hook_id = seed_deliveries(fake, client, 7)
        before = len(fake.requests)
        deliveries = client.iter_deliveries(hook_id, limit=3)
        assert len(fake.requests) == before  # nothing sent until the first item is needed
        first = next(deliveries)
        assert first.attempt == 7  # newest first
        assert len(fake.requests) == before + 1
        rest = list(deliveries)
    assert [d.attempt for d in [first, *rest]] == [7, 6, 5, 4, 3, 2, 1]
    queries = [r.query for r in fake.requests[before:]]
    assert queries == ["limit=3", "limit=3&offset=3", "limit=3&offset=6"]


def test_iter_deliveries_async(fake: FakeOneInbox) -> None:
    with fake.client() as sync:
        hook_id = seed_deliveries(fake, sync, 5)

    async def collect() -> list[int]:
        async with fake.async_client() as client:
            return [d.attempt or 0 async for d in client.iter_deliveries(hook_id, limit=2)]

    assert asyncio.run(collect()) == [5, 4, 3, 2, 1]
    assert [r.query for r in fake.requests if r.path.endswith("/deliveries")] == [
        "limit=2",
        "limit=2&offset=2",
        "limit=2&offset=4",
    ]


def test_arguments_are_the_cores_and_checked_before_sending(fake: FakeOneInbox) -> None:
    with fake.client() as client:
        with pytest.raises(UsageError) as e:
            client.create_webhook(name="", url="http://e.com", events=["nope"])
        assert [i.path for i in e.value.issues] == ["/name", "/url", "/events/0"]
        with pytest.raises(UsageError):
            client.iter_deliveries("wh_1", limit=0)  # at once, not at the first next()
        with pytest.raises(UsageError):
            client.update_webhook("wh_1")
    assert fake.requests == []


def test_api_errors_are_the_cores(fake: FakeOneInbox) -> None:
    with fake.client() as client:
        with pytest.raises(ApiError) as e:
            client.update_webhook("wh_missing", name="x")
        assert (e.value.status, e.value.message, e.value.retryable) == (
            404,
            "Webhook not found",
            False,
        )
    other = FakeOneInbox("oi_sk_test_another_key")
    with Client(KEY, http_client=httpx.Client(transport=other.transport())) as wrong:
        with pytest.raises(ApiError) as e:
            wrong.list_webhooks()
    assert (e.value.status, e.value.message) == (401, "Invalid API key")
    assert [r.authorized for r in other.requests] == [False]


# ---- retries --------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_after_that_wait(fake: FakeOneInbox) -> None:
    fake.fail_next(429, retry_after=2)
    with fake.client() as client:
        hook = client.create_webhook(**HOOK)  # 429 says "not processed": safe even to create
    assert fake.sleeps == [2.0]
    assert paths(fake) == ["POST /v1/webhooks", "POST /v1/webhooks"]
    assert [h["id"] for h in fake.webhooks] == [hook.id]


def test_retry_after_is_capped(fake: FakeOneInbox) -> None:
    fake.fail_next(503, retry_after=3600)
    with fake.client() as client:
        client.list_webhooks()
    assert fake.sleeps == [RETRY_AFTER_CAP]


def test_502_on_list_webhooks_is_retried_with_full_jitter(fake: FakeOneInbox) -> None:
    fake.fail_next(502, times=2)
    with fake.client(random=seeded(7)) as client:
        assert client.list_webhooks() == []
    assert paths(fake) == ["GET /v1/webhooks"] * 3
    assert fake.sleeps == expected_backoff(7, 2)
    assert 0 <= fake.sleeps[0] < BACKOFF_BASE and 0 <= fake.sleeps[1] < 2 * BACKOFF_BASE


def test_retries_stop_at_max_retries(fake: FakeOneInbox) -> None:
    fake.fail_next(500, times=10)
    with fake.client(random=seeded(3), max_retries=4) as client:
        with pytest.raises(ApiError) as e:
            client.list_webhooks()
    assert e.value.status == 500 and e.value.retryable
    assert len(fake.requests) == 5
    assert fake.sleeps == expected_backoff(3, 4)
    windows = [min(BACKOFF_CAP, BACKOFF_BASE * 2.0**n) for n in range(4)]
    assert all(0 <= s < w for s, w in zip(fake.sleeps, windows, strict=True))


def test_backoff_window_is_capped() -> None:
    waits: list[float] = []
    fake = FakeOneInbox(KEY)
    fake.fail_next(503, times=6)
    with fake.client(random=lambda: 1.0, max_retries=6, sleep=waits.append) as client:
        client.list_webhooks()
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert fake.sleeps == []  # our own sleep replaced the fake's recorder


def test_max_retries_zero_never_retries(fake: FakeOneInbox) -> None:
    fake.fail_next(503)
    with fake.client(max_retries=0) as client:
        with pytest.raises(ApiError) as e:
            client.list_webhooks()
    assert e.value.retryable and len(fake.requests) == 1 and fake.sleeps == []


def test_502_on_create_call_is_not_retried(fake: FakeOneInbox) -> None:
    # The backend placed the call, then the gateway answered 502.
    fake.fail_next(502, times=3, processed=True)
    with fake.client() as client:
        with pytest.raises(ApiError) as e:
            client.create_call(**CALL)
    assert e.value.status == 502 and not e.value.retryable
    assert "the call may have been placed" in str(e.value)
    assert "call.started" in e.value.message  # how to check
    assert paths(fake) == ["POST /v1/calls"] and len(fake.calls) == 1
    assert fake.sleeps == []


def test_500_on_create_webhook_is_not_retried(fake: FakeOneInbox) -> None:
    fake.fail_next(500, processed=True)
    with fake.client() as client:
        with pytest.raises(ApiError, match=r"may have been created.*list_webhooks"):
            client.create_webhook(**HOOK)
    assert len(fake.requests) == 1 and len(fake.webhooks) == 1


def test_503_on_create_call_is_retried(fake: FakeOneInbox) -> None:
    fake.fail_next(503)
    with fake.client(random=seeded(1)) as client:
        client.create_call(**CALL)
    assert len(fake.requests) == 2 and len(fake.calls) == 1
    assert fake.sleeps == expected_backoff(1, 1)


def test_422_is_not_retried(fake: FakeOneInbox) -> None:
    fake.fail_next(422, body={"detail": [{"loc": ["body", "url"], "msg": "bad", "type": "x"}]})
    with fake.client() as client:
        with pytest.raises(ApiError) as e:
            client.list_webhooks()
    assert [(i.code, i.path) for i in e.value.details] == [("invalid_value", "/url")]
    assert len(fake.requests) == 1


def test_async_retries_and_waits(fake: FakeOneInbox) -> None:
    fake.fail_next(429, retry_after=2)
    fake.fail_next(502)

    async def run() -> list[Webhook]:
        async with fake.async_client(random=seeded(5)) as client:
            return await client.list_webhooks()

    assert asyncio.run(run()) == []
    # Every failed attempt draws a number (the Retry-After wait leaves its draw unused); the
    # second retry's window is 2 * BACKOFF_BASE.
    assert fake.sleeps == [2.0, expected_backoff(5, 2)[1]]
    assert len(fake.requests) == 3


# ---- failures without a response ------------------------------------------------------------


class Flaky(httpx.BaseTransport):
    """Raises ``error`` for the first ``times`` requests, then answers from the fake."""

    def __init__(self, fake: FakeOneInbox, error: type[httpx.TransportError], times: int) -> None:
        self.inner = fake.transport()
        self.error, self.times, self.seen = error, times, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.times:
            raise self.error(f"simulated {self.error.__name__}", request=request)
        return self.inner.handle_request(request)


def flaky_client(
    fake: FakeOneInbox, error: type[httpx.TransportError], times: int, **options: Any
) -> tuple[Client, Flaky, list[float]]:
    transport = Flaky(fake, error, times)
    waits: list[float] = []
    client = Client(
        fake.api_key,
        http_client=httpx.Client(transport=transport),
        sleep=waits.append,
        random=seeded(11),
        **options,
    )
    return client, transport, waits


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError])
def test_lost_connection_on_create_webhook_is_not_retried(
    fake: FakeOneInbox, error: type[httpx.TransportError]
) -> None:
    client, transport, waits = flaky_client(fake, error, 1)
    with pytest.raises(TransportError) as e:
        client.create_webhook(**HOOK)
    assert transport.seen == 1 and waits == []
    assert not e.value.retryable
    assert isinstance(e.value, OneInboxError) and isinstance(e.value, ConnectionError)
    message = str(e.value)
    assert "the webhook may have been created" in message and "list_webhooks" in message
    assert error.__name__ in message
    assert e.value.__cause__ is None and e.value.__context__ is None  # httpx's holds the key


def test_lost_connection_on_create_call_says_the_call_may_exist(fake: FakeOneInbox) -> None:
    client, transport, _ = flaky_client(fake, httpx.ReadTimeout, 1)
    with pytest.raises(TransportError, match="the call may have been placed") as e:
        client.create_call(**CALL)
    assert "call.started" in str(e.value) and transport.seen == 1


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError])
def test_lost_connection_on_list_webhooks_is_retried(
    fake: FakeOneInbox, error: type[httpx.TransportError]
) -> None:
    client, transport, waits = flaky_client(fake, error, 2)
    assert client.list_webhooks() == []
    assert transport.seen == 3 and waits == expected_backoff(11, 2)


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_lost_connection_on_test_webhook_is_not_retried(
    fake: FakeOneInbox, error: type[httpx.TransportError]
) -> None:
    # Each send may make OneInbox send another test delivery (issue 25).
    client, transport, waits = flaky_client(fake, error, 1)
    with pytest.raises(TransportError, match="a test delivery may have been sent") as e:
        client.test_webhook("wh_1")
    assert transport.seen == 1 and waits == [] and not e.value.retryable
    assert "list_deliveries" in str(e.value)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_on_test_webhook_is_not_retried(fake: FakeOneInbox, status: int) -> None:
    with fake.client() as client:
        hook = client.create_webhook(**HOOK)
        fake.fail_next(status, times=3, processed=True)
        with pytest.raises(ApiError, match="a test delivery may have been sent") as e:
            client.test_webhook(hook.id)
    assert e.value.status == status and not e.value.retryable
    assert paths(fake).count(f"POST /v1/webhooks/{hook.id}/test") == 1 and fake.sleeps == []


def test_503_on_test_webhook_is_retried(fake: FakeOneInbox) -> None:
    with fake.client(random=seeded(1)) as client:
        hook = client.create_webhook(**HOOK)
        fake.fail_next(503)
        client.test_webhook(hook.id)
    assert paths(fake).count(f"POST /v1/webhooks/{hook.id}/test") == 2


def test_connection_never_opened_is_retried_even_for_creates(fake: FakeOneInbox) -> None:
    client, transport, waits = flaky_client(fake, httpx.ConnectError, 1)
    client.create_call(**CALL)
    assert transport.seen == 2 and len(waits) == 1 and len(fake.calls) == 1


def test_transport_retries_run_out(fake: FakeOneInbox) -> None:
    client, transport, waits = flaky_client(fake, httpx.ReadError, 10, max_retries=2)
    with pytest.raises(TransportError, match="no response after 3 attempts") as e:
        client.list_webhooks()
    assert e.value.retryable and transport.seen == 3 and len(waits) == 2


def test_fake_disconnect_on_create_webhook(fake: FakeOneInbox) -> None:
    fake.disconnect_next(processed=True)
    with fake.client() as client:
        with pytest.raises(TransportError, match="may have been created"):
            client.create_webhook(**HOOK)
        assert len(fake.webhooks) == 1  # it does exist: check before creating it again
        fake.disconnect_next()
        assert len(client.list_webhooks()) == 1  # an idempotent request is sent again
    assert len(fake.requests) == 3 and len(fake.sleeps) == 1


def test_async_lost_connection_on_create_is_not_retried(fake: FakeOneInbox) -> None:
    fake.disconnect_next()

    async def run() -> None:
        async with fake.async_client() as client:
            await client.create_call(**CALL)

    with pytest.raises(TransportError, match="the call may have been placed"):
        asyncio.run(run())
    assert len(fake.requests) == 1 and fake.sleeps == []


# ---- the key stays secret -------------------------------------------------------------------


def test_the_key_is_never_shown(fake: FakeOneInbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = fake.client(max_retries=1)
    assert repr(client) == "Client(base_url='https://api.oneinbox.ai', api_key=[redacted])"
    assert KEY not in repr(fake) and "[redacted]" in repr(fake)
    shown: list[str] = [repr(client), str(client), repr(fake), repr(fake.requests)]
    fake.fail_next(502, times=2, body=json.dumps({"detail": f"upstream said {KEY}"}))
    with pytest.raises(ApiError) as e:
        client.list_webhooks()
    shown += [str(e.value), repr(e.value), e.value.message]
    fake.disconnect_next(times=2)
    with pytest.raises(TransportError) as t:
        client.list_webhooks()
    shown += [str(t.value), repr(t.value)]
    client.close()
    async_client = AsyncClient(KEY, base_url="https://example.com/")
    shown.append(repr(async_client))
    assert async_client.base_url == "https://example.com"
    records = [r.getMessage() for r in caplog.records]
    assert any("retry 1 of 1" in r for r in records)  # the retries were logged...
    for text in shown + records:
        assert KEY not in text and "SUPERSECRET" not in text, text  # ...without the key


def test_bad_key_is_a_usage_error_without_the_key() -> None:
    with pytest.raises(UsageError) as e:
        Client("oi_pk_live_SUPERSECRET")
    assert "SUPERSECRET" not in f"{e.value} {e.value!r}"


# ---- the httpx client -----------------------------------------------------------------------


def test_a_users_http_client_is_used_and_left_open(fake: FakeOneInbox) -> None:
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(request.headers["x-mine"])

    http = httpx.Client(
        transport=fake.transport(), headers={"x-mine": "yes"}, event_hooks={"request": [hook]}
    )
    with Client(KEY, http_client=http) as client:
        client.list_webhooks()
    assert seen == ["yes"] and not http.is_closed
    http.close()


def test_own_http_client_is_closed() -> None:
    client = Client(KEY, timeout=2.5)
    http = client._http
    assert http.timeout == httpx.Timeout(2.5)
    with client:
        pass
    assert http.is_closed


def test_wrong_http_client_type() -> None:
    with pytest.raises(TypeError):
        Client(KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AsyncClient(KEY, http_client=httpx.Client())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Client(KEY, max_retries=-1)
    with pytest.raises(ValueError):
        Client(KEY, timeout=0)


def test_without_httpx() -> None:
    code = (
        "import sys\n"
        "import oneinbox_webhooks\n"
        "before = set(sys.modules)\n"
        "import oneinbox_webhooks.client, oneinbox_webhooks.testing, oneinbox_webhooks.cli\n"
        "assert 'httpx' not in sys.modules, 'imported httpx'\n"
        "assert 'asyncio' in before or 'asyncio' not in sys.modules, 'imported asyncio'\n"
        "sys.modules['httpx'] = None  # as if it were not installed\n"
        "try:\n"
        "    oneinbox_webhooks.client.Client('oi_sk_test_x')\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert 'pip install "oneinbox-webhooks[httpx]"' in out


# ---- over a loopback socket -----------------------------------------------------------------


@pytest.fixture()
def served() -> Iterator[tuple[FakeOneInbox, str]]:
    with FakeOneInbox(KEY) as fake:
        yield fake, fake.serve()


def test_every_endpoint_over_loopback(served: tuple[FakeOneInbox, str]) -> None:
    fake, url = served
    assert url.startswith("http://127.0.0.1:") and fake.url == url
    with Client(KEY, base_url=url, timeout=5) as client:
        hook = client.create_webhook(**HOOK)
        client.update_webhook(hook.id, url="https://example.com/new")
        for _ in range(5):
            client.test_webhook(hook.id)
        ids = [d.id for d in client.iter_deliveries(hook.id, limit=2)]
        assert len(ids) == 5 and len(set(ids)) == 5
        assert [h.url for h in client.list_webhooks()] == ["https://example.com/new"]
        call = client.create_call(**CALL, webhook_url="https://example.com/c")
        client.delete_webhook(hook.id)
        with pytest.raises(ApiError) as e:
            client.test_webhook(hook.id)
        assert e.value.status == 404
    assert fake.calls[0]["id"] == call.id
    assert [r.query for r in fake.requests if r.path.endswith("/deliveries")] == [
        "limit=2",
        "limit=2&offset=2",
        "limit=2&offset=4",
    ]


def test_faults_over_loopback(served: tuple[FakeOneInbox, str]) -> None:
    fake, url = served
    waits: list[float] = []
    with Client(KEY, base_url=url, timeout=5, sleep=waits.append, random=seeded(2)) as client:
        fake.fail_next(429, retry_after=2)
        assert client.list_webhooks() == []
        assert waits == [2.0]
        fake.disconnect_next(processed=True)
        with pytest.raises(TransportError, match="may have been placed"):
            client.create_call(**CALL)
        assert len(fake.calls) == 1
        fake.disconnect_next()
        assert client.list_webhooks() == []
    assert len(waits) == 2 and len(fake.requests) == 5


def test_async_client_over_loopback(served: tuple[FakeOneInbox, str]) -> None:
    fake, url = served

    async def run() -> list[str]:
        async with AsyncClient(KEY, base_url=url, timeout=5) as client:
            hook = await client.create_webhook(**HOOK)
            for _ in range(3):
                await client.test_webhook(hook.id)
            return [d.id async for d in client.iter_deliveries(hook.id, limit=1)]

    assert len(asyncio.run(run())) == 3
    assert len(fake.requests) == 1 + 3 + 3


# ---- redirects ------------------------------------------------------------------------------


def test_a_redirect_is_never_followed() -> None:
    """A 307 to another origin is an ApiError; that origin receives nothing, even when the
    http_client given follows redirects (httpx does not by default)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    elsewhere: list[str] = []
    asked: list[str] = []

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            elsewhere.append(f"GET {self.path}")
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b"[]")

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    other_url = f"http://127.0.0.1:{other.server_address[1]}"

    class Api(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(307)
            self.send_header("location", other_url + self.path)
            self.send_header("content-length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    api = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    for server in (other, api):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{api.server_address[1]}"
    try:
        for http_client in (None, httpx.Client(follow_redirects=True)):
            client = Client(KEY, base_url=base, http_client=http_client, sleep=lambda _: None)
            with client:
                for create in (True, False):
                    with pytest.raises(ApiError) as e:
                        client.create_webhook(**HOOK) if create else client.list_webhooks()
                    assert e.value.status == 307 and not e.value.retryable
                    assert e.value.message.startswith("HTTP 307 Temporary Redirect (a redirect")
                    assert KEY not in f"{e.value} {e.value!r}"
            if http_client is not None:
                http_client.close()
        assert len(asked) == 4  # once per call, never retried
        assert elsewhere == []
    finally:
        for server in (other, api):
            server.shutdown()
            server.server_close()
