"""The FastAPI, Flask and Django adapters, each driven through its framework's own test client:
every answer of the shared behaviour (204, 400, 401, 413, 415, 405, 500, 202, duplicates with a
real store, async handlers, logs that never hold the URL token or a secret) per adapter."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from oneinbox_webhooks import (
    CallEnded,
    CallStarted,
    Event,
    Receiver,
    Router,
    UnknownEvent,
    ValidationError,
    dedupe_key,
    new_url_token,
    parse_event,
)
from oneinbox_webhooks._adapter import Webhook
from oneinbox_webhooks.inbox import current_delivery
from oneinbox_webhooks.stores import MemoryStore, RedisStore, SQLiteStore
from oneinbox_webhooks.testing import Delivery, make_delivery, make_event

pytestmark = pytest.mark.filterwarnings(
    # Starlette's TestClient announces a move to httpx2; httpx is what it runs on today.
    "ignore:Using `httpx` with `starlette.testclient` is deprecated"
)

URL = "http://testserver/webhooks/oneinbox"
LOGGER = "oneinbox_webhooks"
FRAMEWORKS = ["fastapi", "flask", "django"]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Driver:
    """Mounts one adapter in its framework and sends it requests through the test client."""

    name: str

    def mount(
        self,
        receiver: Receiver,
        router: Router,
        *,
        store: Any = None,
        ack_timeout: float | None = 5.0,
        at_most_once: bool = False,
    ) -> None:
        raise NotImplementedError

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FastAPIDriver(Driver):
    name = "fastapi"

    def __init__(self) -> None:
        self._client: Any = None

    def mount(self, receiver: Receiver, router: Router, **options: Any) -> None:
        from fastapi import FastAPI
        from fastapi.testclient import TestClient

        from oneinbox_webhooks.fastapi import webhook_router

        app = FastAPI()
        app.include_router(webhook_router(receiver, router, **options))
        # As a context manager, the client keeps one event loop running across requests, so
        # handlers still running after a 202 go on as they would under uvicorn.
        self._client = TestClient(app)
        self._client.__enter__()

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        r = self._client.request(method, url, content=body, headers=headers)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def close(self) -> None:
        if self._client is not None:
            self._client.__exit__(None, None, None)


class FlaskDriver(Driver):
    name = "flask"

    def __init__(self) -> None:
        self._client: Any = None

    def mount(self, receiver: Receiver, router: Router, **options: Any) -> None:
        from flask import Flask

        from oneinbox_webhooks.flask import webhook_blueprint

        app = Flask("adapter_tests")
        app.register_blueprint(webhook_blueprint(receiver, router, **options))
        self._client = app.test_client()

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        split = urlsplit(url)
        r = self._client.open(
            split.path, method=method, query_string=split.query, data=body, headers=headers
        )
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.get_data())


def _django_ready() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="oneinbox-adapter-tests",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF="django_webhook_urls",
            INSTALLED_APPS=[],
            # CSRF protection on, and enforced by the test client: the view must be exempt.
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            USE_TZ=True,
        )
        django.setup()


class DjangoDriver(Driver):
    name = "django"

    def __init__(self) -> None:
        self._client: Any = None

    def mount(self, receiver: Receiver, router: Router, **options: Any) -> None:
        _django_ready()
        import django_webhook_urls
        from django.test import Client
        from django.urls import clear_url_caches, path

        from oneinbox_webhooks.django import webhook_view

        view = webhook_view(receiver, router, **options)
        django_webhook_urls.urlpatterns[:] = [path("webhooks/oneinbox", view)]
        clear_url_caches()
        self._client = Client(enforce_csrf_checks=True)

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        split = urlsplit(url)
        others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        target = split.path + ("?" + split.query if split.query else "")
        if content_type is None:
            # Client.generic always sets CONTENT_TYPE; a WSGI server leaves it out when the
            # request has none, as this environ does.
            from django.test.client import FakePayload

            environ = {
                "REQUEST_METHOD": method,
                "PATH_INFO": split.path,
                "QUERY_STRING": split.query,
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": FakePayload(body),
                **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in others.items()},
            }
            r = self._client.request(**environ)
        else:
            r = self._client.generic(
                method, target, data=body, content_type=content_type, headers=others
            )
        return Reply(r.status_code, {k.lower(): v for k, v in r.items()}, r.content)

    def close(self) -> None:
        import django_webhook_urls

        django_webhook_urls.urlpatterns[:] = []


DRIVERS: dict[str, Callable[[], Driver]] = {
    "fastapi": FastAPIDriver,
    "flask": FlaskDriver,
    "django": DjangoDriver,
}


def _framework_available(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


@pytest.fixture(params=FRAMEWORKS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    name: str = request.param
    if name == "fastapi" and not _framework_available("fastapi"):
        # requirements-dev.txt installs FastAPI on Python 3.11 and later only (its releases
        # need it); the other adapters run everywhere.
        assert sys.version_info < (3, 11), "FastAPI is a dev dependency: pip install it"
        pytest.skip("FastAPI needs Python 3.11 here")
    d = DRIVERS[name]()
    yield d
    d.close()


# ---- deliveries ---------------------------------------------------------------------------


@dataclass
class Secrets:
    token: str
    signing_secret: str

    def receiver(self, **options: Any) -> Receiver:
        return Receiver(url_tokens=[self.token], signing_secrets=[self.signing_secret], **options)

    def deliver(self, body: bytes, **options: Any) -> Delivery:
        return make_delivery(
            body, url=URL, url_token=self.token, signing_secret=self.signing_secret, **options
        )


@pytest.fixture
def keys() -> Secrets:
    return Secrets(
        new_url_token(), "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")
    )


def post(driver: Driver, delivery: Delivery, **headers: str) -> Reply:
    merged = dict(delivery.headers)
    for name, value in headers.items():
        merged[name.replace("_", "-")] = value
    return driver.send("POST", delivery.url, delivery.body, merged)


class Calls:
    """A router whose handlers note what they were called with."""

    def __init__(self) -> None:
        self.router = Router()
        self.events: list[Event] = []
        self.threads: list[str] = []

        @self.router.on("call.ended")
        def ended(event: CallEnded) -> None:
            self.events.append(event)
            self.threads.append(threading.current_thread().name)

        @self.router.on("call.started")
        def started(event: CallStarted) -> None:
            self.events.append(event)

        @self.router.on_unknown
        def unknown(event: UnknownEvent) -> None:
            self.events.append(event)


@pytest.fixture
def calls() -> Calls:
    return Calls()


def assert_no_secrets(caplog: pytest.LogCaptureFixture, keys: Secrets) -> None:
    """No log record of the server side (every logger but the test client's own, httpx, which
    logs the URL it requests) holds the token or the secret: not in its message, its formatted
    traceback, nor any attribute."""
    formatter = logging.Formatter()
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue
        text = formatter.format(record) + repr(record.__dict__)
        assert keys.token not in text
        assert keys.signing_secret not in text
        assert keys.signing_secret.removeprefix("whsec_") not in text


# ---- 204 ----------------------------------------------------------------------------------


def test_accepts_authenticates_and_handles(driver: Driver, keys: Secrets, calls: Calls) -> None:
    driver.mount(keys.receiver(), calls.router)
    body = make_event("call.ended", call_id="call_204", outcome="Appointment Booked")
    reply = post(driver, keys.deliver(body))
    assert (reply.status, reply.body) == (204, b"")
    assert calls.events == [parse_event(body)]
    assert isinstance(calls.events[0], CallEnded)
    assert calls.events[0].outcome == "Appointment Booked"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/cloudevents+json",
    ],
)
def test_json_content_types(driver: Driver, keys: Secrets, calls: Calls, content_type: str) -> None:
    driver.mount(keys.receiver(), calls.router)
    reply = post(driver, keys.deliver(make_event("call.ended")), content_type=content_type)
    assert reply.status == 204
    assert len(calls.events) == 1


def test_unknown_events_and_events_without_handlers(
    driver: Driver, keys: Secrets, calls: Calls
) -> None:
    driver.mount(keys.receiver(), calls.router)
    unknown = b'{"event":"call.transferred","call_id":"call_x","to":"+15550000000"}'
    assert post(driver, keys.deliver(unknown)).status == 204
    assert post(driver, keys.deliver(make_event("transcript.final"))).status == 204  # no handler
    assert [e.event for e in calls.events] == ["call.transferred"]


def test_url_token_alone_and_signature_alone(driver: Driver, keys: Secrets, calls: Calls) -> None:
    driver.mount(Receiver(url_tokens=[keys.token]), calls.router)
    body = make_event("call.started")
    assert post(driver, make_delivery(body, url=URL, url_token=keys.token)).status == 204
    driver.close()
    driver.mount(Receiver(signing_secrets=[keys.signing_secret]), calls.router)
    delivery = make_delivery(body, url=URL, signing_secret=keys.signing_secret)
    assert post(driver, delivery).status == 204
    assert len(calls.events) == 2


# ---- 401 ----------------------------------------------------------------------------------


def _forged(keys: Secrets, kind: str) -> Delivery:
    body = make_event("call.ended", call_id="call_forged")
    if kind == "no token":
        return make_delivery(body, url=URL, signing_secret=keys.signing_secret)
    if kind == "wrong token":
        return make_delivery(
            body, url=URL, url_token=new_url_token(), signing_secret=keys.signing_secret
        )
    if kind == "no signature":
        return make_delivery(body, url=URL, url_token=keys.token)
    if kind == "another secret":
        other = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")
        return make_delivery(body, url=URL, url_token=keys.token, signing_secret=other)
    if kind == "body changed":
        good = keys.deliver(body)
        return Delivery(body.replace(b"call_forged", b"call_other"), good.headers, good.url)
    if kind == "stale timestamp":
        return keys.deliver(body, timestamp=int(time.time()) - 3600)
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("no token", "missing_token"),
        ("wrong token", "token_mismatch"),
        ("no signature", "missing_header"),
        ("another secret", "no_matching_signature"),
        ("body changed", "no_matching_signature"),
        ("stale timestamp", "timestamp_too_old"),
    ],
)
def test_unauthenticated_is_401_saying_why(
    driver: Driver,
    keys: Secrets,
    calls: Calls,
    kind: str,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Issue 28: a 401 names its reason in its body and in a WARNING, never a token or secret.
    driver.mount(keys.receiver(), calls.router)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="oneinbox_webhooks"):
        reply = post(driver, _forged(keys, kind))
    assert reply.status == 401
    assert json.loads(reply.body)["error"] == code
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"oneinbox-webhooks: delivery not authenticated ({code}); answered 401"
    ]
    for secret in (keys.token, keys.signing_secret):
        assert secret.encode() not in reply.body and secret not in caplog.text
    assert calls.events == []


def test_a_flood_of_refusals_logs_ten_then_a_summary(
    driver: Driver, keys: Secrets, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 28: the core's RefusalLog keeps a flood of forged deliveries out of the logs (10
    # lines per reason per minute, each adapter its own count); another reason is counted apart.
    driver.mount(keys.receiver(), calls.router, store=MemoryStore())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(25):
            assert post(driver, _forged(keys, "wrong token")).status == 401
        assert post(driver, _forged(keys, "no token")).status == 401
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    line = "oneinbox-webhooks: delivery not authenticated ({}); answered 401"
    assert lines == [line.format("token_mismatch")] * 10 + [line.format("missing_token")]


def test_an_adapter_without_a_store_warns_once_when_made(
    driver: Driver, keys: Secrets, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    from oneinbox_webhooks._native import answer_no_store_warning

    _, line = answer_no_store_warning()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        driver.mount(keys.receiver(), calls.router)
        for _ in range(2):
            assert post(driver, keys.deliver(make_event("call.ended"))).status == 204
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [line]
    assert "handlers again" in line
    driver.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        driver.mount(keys.receiver(), calls.router, store=MemoryStore())
    assert [r for r in caplog.records if r.name == LOGGER] == []


def test_authentication_comes_before_validation(
    driver: Driver, keys: Secrets, calls: Calls
) -> None:
    driver.mount(keys.receiver(), calls.router)
    invalid = b'{"event":"call.ended","duration_seconds":"long"}'
    reply = post(driver, make_delivery(invalid, url=URL))  # neither token nor signature
    assert reply.status == 401 and json.loads(reply.body)["error"] == "missing_token"


# ---- 400 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":"call.ended","duration_seconds":"long"}',
        b'{"event":"call.ended","call_id":"c","call_id":"d"}',
        b"not json",
        b"[]",
    ],
)
def test_invalid_payload_is_400_with_every_issue(
    driver: Driver, keys: Secrets, calls: Calls, body: bytes
) -> None:
    driver.mount(keys.receiver(), calls.router)
    reply = post(driver, keys.deliver(body))
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/json"
    with pytest.raises(ValidationError) as err:
        parse_event(body)
    assert reply.json() == {
        "issues": [{"code": i.code, "path": i.path, "message": i.message} for i in err.value.issues]
    }
    assert reply.json()["issues"]
    assert calls.events == []


def test_strict_receiver_reports_strict_issues(driver: Driver, keys: Secrets, calls: Calls) -> None:
    driver.mount(keys.receiver(strict=True), calls.router)
    reply = post(driver, keys.deliver(make_event("call.ended", outcome=None)))
    assert reply.status == 400
    assert [(i["code"], i["path"]) for i in reply.json()["issues"]] == [("wrong_type", "/outcome")]


# ---- 413 ----------------------------------------------------------------------------------


def _sized(size: int) -> bytes:
    base = make_event("call.ended", call_id="call_big", note="")
    body = base.replace(b'"note":""', b'"note":"' + b"x" * (size - len(base)) + b'"')
    assert len(body) == size
    return body


def test_over_the_size_limit_is_413(driver: Driver, keys: Secrets, calls: Calls) -> None:
    driver.mount(keys.receiver(max_body_bytes=2048), calls.router)
    reply = post(driver, keys.deliver(_sized(2049)))
    assert (reply.status, reply.body) == (413, b"")
    assert calls.events == []
    assert post(driver, keys.deliver(_sized(2048))).status == 204  # the limit itself is fine
    assert len(calls.events) == 1


def test_over_the_size_limit_unauthenticated_is_413(
    driver: Driver, keys: Secrets, calls: Calls
) -> None:
    # Content-Length is refused before the body is read, so before it can be authenticated.
    driver.mount(keys.receiver(max_body_bytes=2048), calls.router)
    assert post(driver, make_delivery(_sized(4096), url=URL)).status == 413


def test_fastapi_reads_no_more_than_the_limit_without_content_length(
    keys: Secrets, calls: Calls
) -> None:
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from oneinbox_webhooks.fastapi import webhook_router

    app = FastAPI()
    app.include_router(webhook_router(keys.receiver(max_body_bytes=2048), calls.router))
    delivery = keys.deliver(_sized(8192))
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length
        for start in range(0, len(delivery.body), 512):
            sent.append(start)
            yield delivery.body[start : start + 512]

    with TestClient(app) as client:
        reply = client.post(delivery.url, content=chunks(), headers=delivery.headers)
        assert reply.status_code == 413
        small = keys.deliver(_sized(1500))
        reply = client.post(
            small.url, content=iter([small.body[:700], small.body[700:]]), headers=small.headers
        )
        assert reply.status_code == 204
    assert calls.events and len(calls.events) == 1


class _CountingInput:
    """A ``wsgi.input`` that counts the bytes read from it."""

    def __init__(self, body: bytes) -> None:
        self.body, self.read_bytes = body, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.body) if size is None or size < 0 else self.read_bytes + size
        chunk = self.body[self.read_bytes : end]
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:  # pragma: no cover - not used for JSON bodies
        return self.read(size)


def test_flask_reads_no_more_than_the_limit_plus_one_without_content_length(
    keys: Secrets, calls: Calls
) -> None:
    pytest.importorskip("flask")
    from flask import Flask
    from werkzeug.test import EnvironBuilder

    from oneinbox_webhooks.flask import webhook_blueprint

    limit = 2048
    app = Flask("bounded_read")
    app.register_blueprint(webhook_blueprint(keys.receiver(max_body_bytes=limit), calls.router))

    def send(body: bytes, delivery: Delivery) -> tuple[str, int]:
        split = urlsplit(delivery.url)
        environ = EnvironBuilder(
            path=split.path, query_string=split.query, method="POST", headers=delivery.headers
        ).get_environ()
        stream = _CountingInput(body)
        environ.pop("CONTENT_LENGTH", None)  # chunked transfer: no Content-Length
        environ.update(
            {
                "wsgi.input": stream,
                "wsgi.input_terminated": True,
                "HTTP_TRANSFER_ENCODING": "chunked",
            }
        )
        status: list[str] = []
        b"".join(app(environ, lambda s, h, e=None: status.append(s)))  # type: ignore[misc]
        return status[0], stream.read_bytes

    big = keys.deliver(_sized(64 * 1024))
    status, read = send(big.body, big)
    assert status.startswith("413") and read <= limit + 1, (status, read)
    small = keys.deliver(_sized(limit))  # the limit itself is fine
    status, read = send(small.body, small)
    assert status.startswith("204") and read == limit, (status, read)
    assert len(calls.events) == 1


# ---- 415 and 405 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonl",
        "text/json+x",
        "application/+json",  # no subtype name before the suffix (RFC 6838)
        "",
    ],
)
def test_non_json_content_type_is_415(
    driver: Driver, keys: Secrets, calls: Calls, content_type: str
) -> None:
    driver.mount(keys.receiver(), calls.router)
    delivery = keys.deliver(make_event("call.ended"))
    headers = {k: v for k, v in delivery.headers.items() if k != "content-type"}
    if content_type:
        headers["content-type"] = content_type
    reply = driver.send("POST", delivery.url, delivery.body, headers)
    # Issue 28: a 415 says what is accepted and what came.
    assert reply.status == 415 and reply.headers["content-type"] == "application/json"
    explained = json.loads(reply.body)
    assert explained["error"] == "unsupported_media_type"
    assert explained["accepted"] == ["application/json", "application/<name>+json"]
    assert explained["received"] == (content_type or None)
    assert calls.events == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow_post(
    driver: Driver, keys: Secrets, calls: Calls, method: str
) -> None:
    driver.mount(keys.receiver(), calls.router)
    delivery = keys.deliver(make_event("call.ended"))
    reply = driver.send(method, delivery.url, delivery.body, delivery.headers)
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    assert reply.body == b""
    assert calls.events == []


# ---- 500 and logs ---------------------------------------------------------------------------


def test_handler_exception_is_500_logged_with_call_and_event(
    driver: Driver, keys: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()

    @router.on("call.ended")
    def fails(event: CallEnded) -> None:
        raise RuntimeError("the CRM is down")

    driver.mount(keys.receiver(), router)
    caplog.set_level(logging.DEBUG)
    reply = post(driver, keys.deliver(make_event("call.ended", call_id="call_500")))
    assert (reply.status, reply.body) == (500, b"")
    [record] = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]
    assert "call.ended" in record.getMessage() and "call_500" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert_no_secrets(caplog, keys)


def _inbox_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "redis":
        import redis

        server = request.getfixturevalue("redis_server")
        client = redis.Redis.from_url(server.url)
        request.addfinalizer(client.close)
        return RedisStore(client, prefix=f"test-{uuid.uuid4().hex}:")
    if kind == "postgres":
        from oneinbox_webhooks.stores import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_dsn"))
        request.addfinalizer(store.close)
        return store
    return SQLiteStore(tmp_path / "inbox.sqlite3")


INBOX_STORES = ["memory", "sqlite", "redis", "postgres"]


@pytest.mark.parametrize("kind", INBOX_STORES)
def test_a_handler_that_fails_once_runs_again_on_the_retry(
    driver: Driver, keys: Secrets, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """At least once: the first delivery gets 500, OneInbox's retry 204 with the handler run a
    second time, and a third copy 204 without running it."""
    runs: list[int] = []
    router = Router()

    @router.on("call.ended")
    def ended(event: CallEnded) -> None:
        delivery = current_delivery()
        assert delivery is not None
        runs.append(delivery.attempt)
        if len(runs) == 1:
            raise RuntimeError("database briefly down")

    driver.mount(keys.receiver(), router, store=_inbox_store(kind, tmp_path, request))
    delivery = keys.deliver(make_event("call.ended", call_id="call_once"))
    assert [post(driver, delivery).status for _ in range(3)] == [500, 204, 204]
    assert runs == [1, 2]


@pytest.mark.parametrize("kind", INBOX_STORES)
def test_at_most_once_keeps_the_old_behaviour(
    driver: Driver, keys: Secrets, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``at_most_once=True``: a failed handler's delivery is recorded, so the retry is 204 and
    the handler never runs again (what the README says it loses)."""
    runs: list[str] = []
    router = Router()

    @router.on("call.ended")
    def ended(event: CallEnded) -> None:
        runs.append(event.call_id)
        raise RuntimeError("down")

    store = _inbox_store(kind, tmp_path, request)
    driver.mount(keys.receiver(), router, store=store, at_most_once=True)
    delivery = keys.deliver(make_event("call.ended", call_id="call_amo"))
    assert [post(driver, delivery).status for _ in range(2)] == [500, 204]
    assert runs == ["call_amo"]


def test_a_busy_delivery_is_409_with_retry_after(
    driver: Driver, keys: Secrets, tmp_path: Path
) -> None:
    """A copy that arrives while another worker runs the handlers: 409 and Retry-After, and the
    handlers do not run twice at once."""
    store = SQLiteStore(tmp_path / "inbox.sqlite3", lease=30)
    body = make_event("call.ended", call_id="call_busy")
    store.arrive(parse_event(body), body)  # another worker's live claim
    runs: list[str] = []
    router = Router()
    router.on("call.ended")(lambda event: runs.append(event.call_id))
    driver.mount(keys.receiver(), router, store=store)
    reply = post(driver, keys.deliver(body))
    assert reply.status == 409 and runs == []
    assert 1 <= int(reply.headers["retry-after"]) <= 30


def test_a_late_failure_after_202_is_due_again(
    driver: Driver, keys: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    """Handlers answered 202 that then fail: the inbox records it (due again for the worker),
    and the log says so."""
    release, done = threading.Event(), threading.Event()
    router = Router()

    @router.on("call.ended")
    def slow_then_fails(event: CallEnded) -> None:
        try:
            release.wait(5)
            raise ValueError("late failure")
        finally:
            done.set()

    store = MemoryStore()
    caplog.set_level(logging.ERROR, logger=LOGGER)
    driver.mount(keys.receiver(), router, store=store, ack_timeout=0.2)
    body = make_event("call.ended", call_id="call_late")
    assert post(driver, keys.deliver(body)).status == 202
    release.set()
    assert done.wait(5)
    key = dedupe_key(parse_event(body))
    deadline = time.monotonic() + 5
    while (row := store.row(key)) is not None and row.state == "claimed":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert row is not None and (row.state, row.last_error) == ("failed", "ValueError: late failure")
    assert any("it is due again, and a worker runs it" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("at_most_once", [False, True], ids=["inbox", "at-most-once"])
def test_store_failure_is_500_and_the_handler_does_not_run(
    driver: Driver,
    keys: Secrets,
    calls: Calls,
    caplog: pytest.LogCaptureFixture,
    at_most_once: bool,
) -> None:
    class BrokenStore(MemoryStore):
        def record(self, event: Event) -> Any:
            raise OSError("disk full")

        def arrive(self, event: Event, body: Any = None, *, now: Any = None) -> Any:
            raise OSError("disk full")

    driver.mount(keys.receiver(), calls.router, store=BrokenStore(), at_most_once=at_most_once)
    reply = post(driver, keys.deliver(make_event("call.ended", call_id="call_disk")))
    assert (reply.status, reply.body) == (500, b"")
    assert calls.events == []
    assert any("call_disk" in r.getMessage() for r in caplog.records if r.name == LOGGER)
    assert_no_secrets(caplog, keys)


def test_logs_never_hold_the_token_or_a_secret(
    driver: Driver, keys: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()
    release = threading.Event()
    done = threading.Event()

    @router.on("call.ended")
    def fails(event: CallEnded) -> None:
        raise ValueError(f"cannot handle {event.call_id}")

    @router.on("call.failed")
    def slow_then_fails(event: Any) -> None:
        try:
            release.wait(5)
            raise ValueError("late failure")
        finally:
            done.set()

    caplog.set_level(logging.DEBUG)
    # Long enough for the failing handler to fail within it even on a busy machine.
    driver.mount(keys.receiver(), router, store=MemoryStore(), ack_timeout=0.5)
    try:
        body = make_event("call.ended")
        assert post(driver, keys.deliver(body)).status == 500
        assert post(driver, keys.deliver(body)).status == 500  # due again: it runs again
        assert post(driver, _forged(keys, "wrong token")).status == 401
        assert post(driver, _forged(keys, "another secret")).status == 401
        assert post(driver, keys.deliver(b'{"event":"call.ended"}')).status == 400
        assert post(driver, keys.deliver(make_event("call.failed"))).status == 202
    finally:
        release.set()
    assert done.wait(5)
    _wait_for(lambda: any("202" in r.getMessage() for r in caplog.records))
    assert caplog.records
    assert_no_secrets(caplog, keys)


# ---- 202 ----------------------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_slow_handler_is_answered_202_and_finishes(driver: Driver, keys: Secrets) -> None:
    router = Router()
    release = threading.Event()
    finished = threading.Event()

    @router.on("call.ended")
    def slow(event: CallEnded) -> None:
        release.wait(5)
        finished.set()

    driver.mount(keys.receiver(), router, ack_timeout=0.05)
    try:
        started = time.monotonic()
        reply = post(driver, keys.deliver(make_event("call.ended")))
        assert (reply.status, reply.body) == (202, b"")
        assert time.monotonic() - started < 4
        assert not finished.is_set()
    finally:
        release.set()
    assert finished.wait(5)


def test_slow_handler_that_fails_after_202_is_logged(
    driver: Driver, keys: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()
    release = threading.Event()

    @router.on("call.ended")
    def slow(event: CallEnded) -> None:
        release.wait(5)
        raise RuntimeError("too late")

    driver.mount(keys.receiver(), router, ack_timeout=0.05)
    try:
        reply = post(driver, keys.deliver(make_event("call.ended", call_id="call_late")))
        assert reply.status == 202
    finally:
        release.set()
    _wait_for(lambda: any(r.name == LOGGER and "202" in r.getMessage() for r in caplog.records))
    [record] = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]
    assert "call_late" in record.getMessage() and "call.ended" in record.getMessage()


def test_fast_handler_within_the_ack_timeout_is_204(driver: Driver, keys: Secrets) -> None:
    router = Router()
    ran = threading.Event()

    @router.on("call.ended")
    def quick(event: CallEnded) -> None:
        ran.set()

    driver.mount(keys.receiver(), router, ack_timeout=5.0)
    assert post(driver, keys.deliver(make_event("call.ended"))).status == 204
    assert ran.is_set()


def test_without_ack_timeout_handlers_run_in_the_request(driver: Driver, keys: Secrets) -> None:
    router = Router()
    seen: list[str] = []

    @router.on("call.ended")
    def quick(event: CallEnded) -> None:
        seen.append(threading.current_thread().name)

    driver.mount(keys.receiver(), router, ack_timeout=None)
    assert post(driver, keys.deliver(make_event("call.ended"))).status == 204
    assert len(seen) == 1 and not seen[0].startswith("oneinbox-webhook")


# ---- async handlers -----------------------------------------------------------------------


def test_async_handlers_are_awaited(driver: Driver, keys: Secrets) -> None:
    router = Router()
    order: list[str] = []

    @router.on("call.ended")
    async def first(event: CallEnded) -> None:
        await asyncio.sleep(0.001)
        order.append("async " + event.call_id)

    @router.on("call.ended")
    def second(event: CallEnded) -> None:
        order.append("sync " + event.call_id)

    driver.mount(keys.receiver(), router)
    assert post(driver, keys.deliver(make_event("call.ended", call_id="call_a"))).status == 204
    assert order == ["async call_a", "sync call_a"]


def test_failing_async_handler_is_500(driver: Driver, keys: Secrets) -> None:
    router = Router()

    @router.on("call.ended")
    async def fails(event: CallEnded) -> None:
        raise RuntimeError("async failure")

    driver.mount(keys.receiver(), router)
    assert post(driver, keys.deliver(make_event("call.ended"))).status == 500


def test_slow_async_handler_is_answered_202_and_finishes(driver: Driver, keys: Secrets) -> None:
    router = Router()
    release = threading.Event()
    finished = threading.Event()

    @router.on("call.ended")
    async def slow(event: CallEnded) -> None:
        while not release.is_set():  # waits without blocking the event loop
            await asyncio.sleep(0.005)
        finished.set()

    driver.mount(keys.receiver(), router, ack_timeout=0.05)
    try:
        assert post(driver, keys.deliver(make_event("call.ended"))).status == 202
        assert not finished.is_set()
    finally:
        release.set()
    assert finished.wait(5)


def test_fastapi_runs_sync_handlers_off_the_event_loop(keys: Secrets) -> None:
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from oneinbox_webhooks.fastapi import webhook_router

    router = Router()
    where: dict[str, bool] = {}

    @router.on("call.started")
    def sync_handler(event: CallStarted) -> None:
        try:
            asyncio.get_running_loop()
            where["sync on loop"] = True
        except RuntimeError:
            where["sync on loop"] = False

    @router.on("call.ended")
    async def async_handler(event: CallEnded) -> None:
        where["async on loop"] = asyncio.get_running_loop() is not None

    app = FastAPI()
    app.include_router(webhook_router(keys.receiver(), router, path="/hook"), prefix="/api")
    url = "http://testserver/api/hook"
    with TestClient(app) as client:
        for name in ("call.started", "call.ended"):
            d = make_delivery(
                make_event(name), url=url, url_token=keys.token, signing_secret=keys.signing_secret
            )
            assert client.post(d.url, content=d.body, headers=d.headers).status_code == 204
        assert "/api/hook" not in app.openapi()["paths"]
    assert where == {"sync on loop": False, "async on loop": True}


# ---- duplicates with a real store -----------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        with SQLiteStore(tmp_path / "calls.sqlite3") as sqlite:
            yield sqlite
    else:
        import redis

        server = request.getfixturevalue("redis_server")
        with redis.Redis.from_url(server.url) as client:
            yield RedisStore(client, prefix=f"adapters-{secrets.token_hex(4)}:")


def test_duplicate_delivery_is_204_and_not_handled_again(
    driver: Driver, keys: Secrets, calls: Calls, store: Any
) -> None:
    driver.mount(keys.receiver(), calls.router, store=store)
    call_id = f"call_{secrets.token_hex(4)}"
    ended = make_event("call.ended", call_id=call_id)
    started = make_event("call.started", call_id=call_id)
    assert post(driver, keys.deliver(ended)).status == 204
    assert post(driver, keys.deliver(ended)).status == 204  # the same delivery again
    assert post(driver, keys.deliver(ended, msg_id="msg_retry")).status == 204  # re-signed
    assert post(driver, keys.deliver(started)).status == 204  # out of order: still new
    assert post(driver, keys.deliver(started)).status == 204
    assert [e.event for e in calls.events] == ["call.ended", "call.started"]
    record = store.get(call_id)
    assert record is not None
    assert record.status == "completed"
    assert sorted(record.events_seen) == ["call.ended", "call.started"]


def test_a_rejected_delivery_is_not_recorded(
    driver: Driver, keys: Secrets, calls: Calls, tmp_path: Path
) -> None:
    with SQLiteStore(tmp_path / "calls.sqlite3") as sqlite:
        driver.mount(keys.receiver(), calls.router, store=sqlite)
        body = make_event("call.ended", call_id="call_rejected")
        assert post(driver, _forged(keys, "wrong token")).status == 401
        assert sqlite.get("call_forged") is None
        assert post(driver, keys.deliver(body)).status == 204
        assert len(calls.events) == 1


def test_fastapi_awaits_an_asyncio_redis_store(
    keys: Secrets, calls: Calls, redis_server: Any
) -> None:
    pytest.importorskip("fastapi")
    import redis.asyncio
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from oneinbox_webhooks.fastapi import webhook_router

    client = redis.asyncio.Redis.from_url(redis_server.url)
    store = RedisStore(client, prefix=f"adapters-{secrets.token_hex(4)}:")
    app = FastAPI()
    app.include_router(webhook_router(keys.receiver(), calls.router, store=store))
    body = make_event("call.ended", call_id="call_async_redis")
    with TestClient(app) as test_client:
        for _ in range(3):
            d = keys.deliver(body)
            assert test_client.post(d.url, content=d.body, headers=d.headers).status_code == 204
        assert test_client.portal is not None
        test_client.portal.call(client.aclose)
    assert len(calls.events) == 1


def test_sync_adapters_refuse_an_asyncio_redis_store(keys: Secrets, redis_server: Any) -> None:
    import redis.asyncio

    from oneinbox_webhooks.django import webhook_view
    from oneinbox_webhooks.flask import webhook_blueprint

    store = RedisStore(redis.asyncio.Redis.from_url(redis_server.url))
    with pytest.raises(TypeError, match="Flask cannot await"):
        webhook_blueprint(keys.receiver(), Router(), store=store)
    with pytest.raises(TypeError, match="Django cannot await"):
        webhook_view(keys.receiver(), Router(), store=store)


# ---- the shared answers fixtures, end to end ----------------------------------------------

ANSWERS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "answers"


def _answers_case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((ANSWERS / f"{name}.json").read_text(encoding="utf-8"))
    return case


def _early_cases() -> list[str]:
    """The cases answered from the request line and headers alone whose Content-Length a test
    client sends as it is (the length of the body it is given)."""
    names = []
    for path in sorted(ANSWERS.glob("*.json")):
        if path.name.endswith(".schema.json"):
            continue
        case = _answers_case(path.stem)
        method, length = case["request"]["method"], case["request"]["content_length"]
        if "read" in case or method is None:
            continue
        if length is None or (length.isdigit() and int(length) <= 10_000):
            names.append(path.stem)
    return names


# The body each later case stands for (the early ones send filler of their Content-Length).
LATER_CASES = {
    "invalid-json-400-one-issue": b'{"event":',
    "unauthenticated-token-mismatch-401": make_event("call.ended"),
    "store-repeat-204": make_event("call.ended"),
    "handlers-failed-500": make_event("call.ended"),
    "claim-repeat-204": make_event("call.ended"),
    "claim-run-handlers-failed-500": make_event("call.ended"),
    "claim-run-handlers-done-204": make_event("call.ended"),
}


@pytest.mark.parametrize("name", [*_early_cases(), *LATER_CASES])
def test_answers_fixtures_end_to_end(
    driver: Driver, keys: Secrets, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """The adapter answers as the case says (status, its headers, the exact body) and logs its
    line at its level: the core's table reaches each framework's response and log."""
    case = _answers_case(name)
    request, expected = case["request"], case["answer"]
    router = Router()

    claim = case.get("claim", {}).get("verdict")

    @router.on("call.ended")
    def fails(event: CallEnded) -> None:
        if case.get("handlers", "failed") == "failed" and claim != "repeat":
            raise RuntimeError("handler bug")

    receiver = Receiver(url_tokens=[keys.token], max_body_bytes=request["max_body_bytes"])
    # A `store` case is the store's record (at most once); a `claim` case, its inbox.
    store = MemoryStore() if "store" in case or claim else None
    driver.mount(receiver, router, store=store, at_most_once="store" in case)
    token = new_url_token() if name.startswith("unauthenticated") else keys.token
    length = request["content_length"]
    body = LATER_CASES.get(name, b"x" * int(length or 0))
    delivery = make_delivery(body, url=URL, url_token=token)
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "content-type"}
    if request["content_type"] is not None:
        headers["content-type"] = request["content_type"]
    if case.get("store") == "repeat" or claim == "repeat":  # recorded (or handled) before
        driver.send(request["method"], delivery.url, body, headers)
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    reply = driver.send(request["method"], delivery.url, body, headers)
    assert reply.status == expected["status"]
    for header, value in expected["headers"]:
        assert reply.headers[header.lower()] == value
    assert reply.body == expected["body_text"].encode("utf-8")
    # The core's `warn` is Python's WARNING.
    logged = [
        ("warn" if r.levelno == logging.WARNING else r.levelname.lower(), r.getMessage())
        for r in caplog.records
        if r.name == LOGGER
    ]
    log = expected["log"]
    assert logged == ([] if log["level"] == "none" else [(log["level"], log["line"])])


# ---- arguments, imports, the shared core -------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_arguments_are_checked(framework: str, keys: Secrets) -> None:
    if not _framework_available(framework):
        pytest.skip(f"{framework} is not installed")
    module = __import__(f"oneinbox_webhooks.{framework}", fromlist=["_"])
    make: Any = {
        "fastapi": module.__dict__.get("webhook_router"),
        "flask": module.__dict__.get("webhook_blueprint"),
        "django": module.__dict__.get("webhook_view"),
    }[framework]
    receiver, router = keys.receiver(), Router()
    for bad in (0, -1, float("nan"), float("inf"), True, "5"):
        with pytest.raises(ValueError, match="ack_timeout"):
            make(receiver, router, ack_timeout=bad)
    with pytest.raises(TypeError, match="receiver must be a Receiver"):
        make("not a receiver", router)
    with pytest.raises(TypeError, match="router must be a Router"):
        make(receiver, object())
    with pytest.raises(TypeError, match="record"):
        make(receiver, router, store=object())


def test_receiver_max_body_bytes() -> None:
    assert Receiver(url_tokens=["t"]).max_body_bytes == 1048576
    assert Receiver(url_tokens=["t"], max_body_bytes=10).max_body_bytes == 10


def test_precheck_from_the_headers_alone(keys: Secrets) -> None:
    webhook = Webhook(
        keys.receiver(max_body_bytes=100),
        Router(),
        store=None,
        ack_timeout=5.0,
        framework="test",
        asynchronous=False,
    )
    assert webhook.precheck("POST", "application/json", "100") is None
    assert webhook.precheck("post", "application/json", None) is None

    def status(*request: Any) -> int | None:
        answer = webhook.precheck(*request)
        return None if answer is None else answer.status

    assert status("POST", "application/json", "101") == 413
    assert status("POST", "application/json", "9" * 5000) == 413  # too long for int()
    assert status("POST", "application/json", 10**6) == 413
    assert status("POST", "text/plain", "101") == 415  # the content type first
    assert status("GET", "text/plain", "101") == 405  # the method before all
    assert status(None, None, None) == 405
    assert status("POST", "application/json", " 101 ") == 413  # optional whitespace
    assert status("POST", "application/json", " 100 ") is None
    assert status("POST", "application/json", "4x") is None  # not a length: left to reading
    assert status("POST", "application/json", "-1") is None
    assert status("POST", "application/json", "٣") is None  # a digit, but not an ASCII one
    assert status("POST", "application/problem+json; charset=utf-8", None) is None
    assert status("POST", None, None) == 415
    assert status("POST", "json", None) == 415


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_importing_the_package_imports_no_framework() -> None:
    result = _run(
        "import sys\n"
        "import oneinbox_webhooks, oneinbox_webhooks.stores, oneinbox_webhooks.router\n"
        "import oneinbox_webhooks._adapter\n"
        "loaded = {'fastapi', 'starlette', 'flask', 'werkzeug', 'django'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("module", "framework", "extra"),
    [
        ("fastapi", "FastAPI", "fastapi"),
        ("flask", "Flask", "flask"),
        ("django", "Django", "django"),
    ],
)
def test_an_adapter_without_its_framework_names_the_extra(
    module: str, framework: str, extra: str
) -> None:
    result = _run(
        "import sys\n"
        f"sys.modules[{module!r}] = None  # as if it were not installed\n"
        f"import oneinbox_webhooks.{module}\n"
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"ImportError: oneinbox_webhooks.{module} needs {framework}, an optional dependency: "
        f'pip install "oneinbox-webhooks[{extra}]"'
    )


def test_django_view_is_csrf_exempt(keys: Secrets) -> None:
    from oneinbox_webhooks.django import webhook_view

    view = webhook_view(keys.receiver(), Router())
    assert getattr(view, "csrf_exempt", False) is True


def test_django_body_read_by_a_middleware_is_500_naming_the_fix(
    keys: Secrets, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    driver = DjangoDriver()
    driver.mount(keys.receiver(), calls.router)
    from django.test import Client, override_settings

    try:
        with override_settings(MIDDLEWARE=["django_webhook_urls.read_the_stream_first"]):
            delivery = keys.deliver(make_event("call.ended"))
            reply = Client().post(delivery.url, data=delivery.body, content_type="application/json")
    finally:
        driver.close()
    assert (reply.status_code, reply.content) == (500, b"")
    assert calls.events == []
    [record] = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert "body was read before" in record.getMessage() and "request.body" in record.getMessage()
    assert_no_secrets(caplog, keys)
