"""The management API's Python surface, and every endpoint sent with urllib.request to a
loopback HTTP server started by the test."""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from oneinbox_webhooks import (
    Api,
    ApiError,
    Call,
    DeliveryPage,
    OneInboxError,
    PreparedRequest,
    Secret,
    UsageError,
    ValidationError,
    Webhook,
    retry_after,
)

KEY = "oi_sk_test_SUPERSECRETKEY"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK = {
    "id": "wh_1",
    "name": "Call events",
    "url": "https://example.com/h",
    "events": ["call.ended"],
    "secret": WHSEC,
    "status": "disabled",
    "created_at": "2026-01-01T00:00:00Z",
    "team": "t_1",
}


def api() -> Api:
    return Api(KEY)


def test_api_repr_never_shows_the_key() -> None:
    a = Api(KEY, base_url="http://127.0.0.1:9/")
    assert a.base_url == "http://127.0.0.1:9"
    assert "SUPERSECRET" not in repr(a) and "[redacted]" in repr(a)
    p = a.list_webhooks()
    assert "SUPERSECRET" not in repr(p) and "SUPERSECRET" not in str(p)
    assert p.headers["Authorization"] == f"Bearer {KEY}"  # the key is there to be sent


@pytest.mark.parametrize(
    "key",
    ["oi_sk_SUPER\r\nSECRET", "oi_sk_SUPER\nSECRET", "oi_pk_live_SUPERSECRET", "SUPER SECRET"],
)
def test_bad_keys_are_usage_errors_without_the_key(key: str) -> None:
    with pytest.raises(UsageError) as e:
        Api(key)
    assert [i.path for i in e.value.issues] == ["/api_key"]
    assert "SUPER" not in f"{e.value} {e.value!r} {e.value.issues!r}"


def test_webhook_secret_is_redacted_but_exposed_on_purpose() -> None:
    hook = api().create_webhook(name="n", url="https://e.com/h", events=["call.ended"])
    w = hook.parse_response(201, json.dumps(HOOK))
    assert isinstance(w, Webhook)
    text = f"{w!r} {w} {w.secret!r} {w.secret}"
    assert "MfKQ9r8" not in text, text
    assert "Secret('[redacted]')" in repr(w)
    assert isinstance(w.secret, Secret) and w.secret.expose() == WHSEC
    assert w.secret == Secret(WHSEC)
    assert w.status == "inactive"  # "disabled" reads as "inactive"
    assert w.extra == {"team": "t_1"}
    assert w.events == ["call.ended"] and w.updated_at is None
    assert w.to_dict()["secret"] == WHSEC  # the wire form keeps it (you asked for a dict)
    assert w == hook.parse_response(200, json.dumps(HOOK).encode())
    with pytest.raises(AttributeError):
        w.id = "x"  # type: ignore[misc]


def test_call_attributes_and_type() -> None:
    p = api().create_call(agent_id="a", to_number="+15551234567", from_number="+15557654321")
    c = p.parse_response(201, b'{"id":"call_1","type":"outbound","duration_seconds":12.5,"x":1}')
    assert isinstance(c, Call)
    assert (c.id, c.type, c.duration_seconds, c.extra) == ("call_1", "outbound", 12.5, {"x": 1})
    assert c.to_dict() == {"id": "call_1", "type": "outbound", "duration_seconds": 12.5, "x": 1}
    assert repr(c) == "Call(id='call_1', type='outbound')"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["variables", "metadata"])
def test_non_finite_numbers_in_variables_and_metadata(bad: float, where: str) -> None:
    value = {"ok": 1, "deep": {"list": [1, bad]}}
    with pytest.raises(UsageError) as e:
        api().create_call(
            agent_id="a", to_number="+15551234567", from_number="+15557654321", **{where: value}
        )
    assert [(i.code, i.path) for i in e.value.issues] == [
        ("invalid_value", f"/{where}/deep/list/1")
    ]


def test_argument_issues_and_value_issues_in_one_error() -> None:
    with pytest.raises(UsageError) as e:
        api().create_call(
            agent_id="",
            to_number="0",
            from_number="+15557654321",
            variables={"a/b": math.nan, "big": 2**64},
            metadata={"deep": _nested(100)},
        )
    assert [i.path for i in e.value.issues] == [
        "/agent_id",
        "/to_number",
        "/variables/a~1b",
        "/variables/big",
        "/metadata" + "/deep" + "/x" * 62,
    ]
    assert e.value.issues[-1].code == "too_deep"


def _nested(n: int) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for _ in range(n):
        d = {"x": d}
    return d


def test_variables_round_trip_as_json() -> None:
    variables = {
        "name": "Ana",
        "n": 3,
        "f": 0.5,
        "t": True,
        "none": None,
        "l": [1, "a"],
        "u": "é\x00",
    }
    p = api().create_call(
        agent_id="a", to_number="+15551234567", from_number="+15557654321", variables=variables
    )
    assert p.body is not None
    assert json.loads(p.body)["variables"] == variables


@pytest.mark.parametrize("bad", [{1: "x"}, {"d": object()}, {"s": {1, 2}}, {"b": b"x"}])
def test_non_json_values_are_type_errors(bad: dict[Any, Any]) -> None:
    with pytest.raises(TypeError):
        api().create_call(
            agent_id="a", to_number="+15551234567", from_number="+15557654321", metadata=bad
        )


def test_cyclic_variables_do_not_recurse_forever() -> None:
    cyc: dict[str, Any] = {}
    cyc["self"] = cyc
    with pytest.raises(UsageError) as e:
        api().create_call(
            agent_id="a", to_number="+15551234567", from_number="+15557654321", variables=cyc
        )
    assert e.value.issues[0].code == "too_deep"


@pytest.mark.parametrize(
    ("wid", "path"),
    [
        ("a/b", "/v1/webhooks/a%2Fb"),
        ("a?b", "/v1/webhooks/a%3Fb"),
        ("a#b", "/v1/webhooks/a%23b"),
        ("../x", "/v1/webhooks/..%2Fx"),
        ("a\r\nb", "/v1/webhooks/a%0D%0Ab"),
    ],
)
def test_ids_are_one_path_segment(wid: str, path: str) -> None:
    assert api().delete_webhook(wid).url == "https://api.oneinbox.ai" + path


@pytest.mark.parametrize("wid", ["", ".", ".."])
def test_ids_that_would_change_the_path_are_usage_errors(wid: str) -> None:
    with pytest.raises(UsageError) as e:
        api().test_webhook(wid)
    assert [i.path for i in e.value.issues] == ["/webhook_id"]


def test_builders_are_keyword_only_and_typed() -> None:
    with pytest.raises(TypeError):
        api().create_webhook("n", "https://e.com", ["call.ended"])  # type: ignore[misc]
    with pytest.raises(TypeError):
        api().create_webhook(name="n", url="https://e.com", events="call.ended")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        api().list_deliveries("wh", limit="10")  # type: ignore[arg-type]


def test_parse_response_errors() -> None:
    p = api().list_webhooks()
    with pytest.raises(ApiError) as e:
        p.parse_response(401, f'{{"detail":"bad key {KEY}"}}'.encode())
    assert e.value.status == 401 and not e.value.retryable
    assert KEY not in str(e.value) and e.value.message == "bad key [redacted]"
    with pytest.raises(ApiError) as e:
        p.parse_response(503, b"")
    assert e.value.retryable and e.value.details == []
    with pytest.raises(ValidationError):
        p.parse_response(200, b"<html>")
    with pytest.raises(UsageError):
        p.parse_response(70000, b"")
    with pytest.raises(TypeError, match="parse_response"):
        p.parse_response(200, {"id": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        p.next_page(p.parse_response(200, b"[]"))  # type: ignore[arg-type]


def test_retry_policy_per_request() -> None:
    a = api()
    creates = {
        "creates_webhook": a.create_webhook(
            name="n", url="https://example.com/h", events=["call.ended"]
        ),
        "creates_call": a.create_call(
            agent_id="ag_1", to_number="+15551234567", from_number="+15551234568"
        ),
        # each send may make OneInbox send another test delivery (issue 25)
        "sends_test_delivery": a.test_webhook("wh_1"),
    }
    idempotent = [
        a.list_webhooks(),
        a.update_webhook("wh_1", name="n"),
        a.delete_webhook("wh_1"),
        a.list_deliveries("wh_1"),
    ]
    for p in idempotent:
        assert p.retry == "idempotent"
        for status in (408, 429, 500, 502, 503, 504):
            with pytest.raises(ApiError) as e:
                p.parse_response(status, b"")
            assert e.value.retryable, (p, status)
            assert "may have been" not in e.value.message
    for policy, p in creates.items():
        assert p.retry == policy
        for status in (429, 503):
            with pytest.raises(ApiError) as e:
                p.parse_response(status, b"")
            assert e.value.retryable
        for status in (408, 500, 502, 504):
            with pytest.raises(ApiError) as e:
                p.parse_response(status, b"")
            assert not e.value.retryable, (policy, status)
            assert ("may have been" in e.value.message) == (status != 408)
    with pytest.raises(ApiError, match="the call may have been placed"):
        creates["creates_call"].parse_response(502, b"")


def test_retry_after() -> None:
    assert retry_after({"Retry-After": "7"}) == 7.0
    assert retry_after([("retry-after", "Thu, 01 Jan 1970 00:01:40 GMT")], now=40.0) == 60.0
    assert retry_after({}) is None
    assert retry_after({"Retry-After": "soon"}) is None


# ---- loopback -----------------------------------------------------------------------------

Seen = dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    seen: list[Seen] = []
    routes: dict[tuple[str, str], tuple[int, bytes]] = {}

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": self.headers, "body": body}
        )
        status, payload = self.routes.get(
            (self.command, self.path.split("?")[0]), (404, b'{"detail":"Not Found"}')
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Retry-After", "3")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, list[Seen]]]:
    seen: list[Seen] = []
    page = {"items": [{"id": "d1", "status": "success"}], "total": 2, "limit": 1, "offset": 0}
    handler = type(
        "Handler",
        (_Handler,),
        {
            "seen": seen,
            "routes": {
                ("POST", "/v1/webhooks"): (201, json.dumps(HOOK).encode()),
                ("GET", "/v1/webhooks"): (200, json.dumps({"items": [HOOK], "total": 1}).encode()),
                ("PATCH", "/v1/webhooks/wh%2F1"): (200, json.dumps(HOOK).encode()),
                ("DELETE", "/v1/webhooks/wh%2F1"): (204, b""),
                ("POST", "/v1/webhooks/wh%2F1/test"): (200, b'{"ok":true}'),
                ("GET", "/v1/webhooks/wh%2F1/deliveries"): (200, json.dumps(page).encode()),
                ("POST", "/v1/calls"): (201, b'{"id":"call_1","status":"queued"}'),
                ("GET", "/v1/limited"): (429, b'{"detail":"slow down"}'),
            },
        },
    )
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def send(p: PreparedRequest) -> tuple[int, bytes, dict[str, str]]:
    """The README's urllib.request snippet."""
    req = urllib.request.Request(p.url, data=p.body, headers=p.headers, method=p.method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


ENDPOINTS: list[tuple[str, Callable[[Api], PreparedRequest], str, str, Any]] = [
    (
        "create_webhook",
        lambda a: a.create_webhook(name="n", url="https://e.com/h", events=["call.ended"]),
        "POST",
        "/v1/webhooks",
        {"name": "n", "url": "https://e.com/h", "events": ["call.ended"]},
    ),
    ("list_webhooks", lambda a: a.list_webhooks(), "GET", "/v1/webhooks", None),
    (
        "update_webhook",
        lambda a: a.update_webhook("wh/1", status="active"),
        "PATCH",
        "/v1/webhooks/wh%2F1",
        {"status": "active"},
    ),
    ("delete_webhook", lambda a: a.delete_webhook("wh/1"), "DELETE", "/v1/webhooks/wh%2F1", None),
    ("test_webhook", lambda a: a.test_webhook("wh/1"), "POST", "/v1/webhooks/wh%2F1/test", None),
    (
        "list_deliveries",
        lambda a: a.list_deliveries("wh/1", limit=1),
        "GET",
        "/v1/webhooks/wh%2F1/deliveries?limit=1",
        None,
    ),
    (
        "create_call",
        lambda a: a.create_call(
            agent_id="agt_1",
            to_number="+15551234567",
            from_number="+15557654321",
            variables={"name": "Ana"},
        ),
        "POST",
        "/v1/calls",
        {
            "agent_id": "agt_1",
            "to_number": "+15551234567",
            "from_number": "+15557654321",
            "variables": {"name": "Ana"},
        },
    ),
]


@pytest.mark.parametrize(
    ("build", "method", "path", "body"),
    [e[1:] for e in ENDPOINTS],
    ids=[e[0] for e in ENDPOINTS],
)
def test_loopback_every_endpoint(
    server: tuple[str, list[Seen]],
    build: Callable[[Api], PreparedRequest],
    method: str,
    path: str,
    body: Any,
) -> None:
    base, seen = server
    p = build(Api(KEY, base_url=base))
    status, payload, _ = send(p)
    assert len(seen) == 1
    got = seen[0]
    assert (got["method"], got["path"]) == (method, path)
    assert got["headers"]["Authorization"] == f"Bearer {KEY}"
    assert got["headers"]["Accept"] == "application/json"
    assert got["headers"].get("Content-Type") == (None if body is None else "application/json")
    assert (None if got["body"] is None else json.loads(got["body"])) == body
    result = p.parse_response(status, payload)
    if isinstance(result, DeliveryPage):
        nxt = p.next_page(result)
        assert nxt is not None and nxt.url.endswith("?limit=1&offset=1")
        send(nxt)
        assert seen[1]["path"] == "/v1/webhooks/wh%2F1/deliveries?limit=1&offset=1"


def test_loopback_error_and_retry_after(server: tuple[str, list[Seen]]) -> None:
    base, _ = server
    p = Api(KEY, base_url=base + "/v1/limited").list_webhooks()
    assert p.url == base + "/v1/limited/v1/webhooks"
    status, payload, _headers = send(p)
    assert status == 404
    with pytest.raises(ApiError) as e:
        p.parse_response(status, payload)
    assert e.value.message == "Not Found" and not e.value.retryable
    p2 = Api(KEY, base_url=base).list_webhooks()
    req = urllib.request.Request(base + "/v1/limited", headers=p2.headers)
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("expected 429")
    except urllib.error.HTTPError as err:
        assert err.code == 429
        assert retry_after(err.headers) == 3.0
        with pytest.raises(ApiError) as e:
            p2.parse_response(err.code, err.read())
        assert e.value.retryable and isinstance(e.value, OneInboxError)


def test_url_tokens_never_show_in_reprs() -> None:
    import oneinbox_webhooks as ow

    token = "tok_do_not_log_me"
    url = ow.add_url_token("https://example.com/hooks", token)
    req = ow.Api("oi_sk_test").create_webhook(name="n", url=url, events=["call.ended"])
    assert token not in repr(req)
    webhook = req.parse_response(200, json.dumps({"id": "wh_1", "url": url}).encode())
    assert token not in repr(webhook)
    assert "token=[redacted]" in repr(webhook)
    assert ow.redact_url_token(url) == "https://example.com/hooks?token=[redacted]"
    # The request itself still carries it: OneInbox has to store the URL.
    assert req.body is not None and token.encode() in req.body


def test_scheduled_at_and_overrides_follow_the_contract() -> None:
    p = api().create_call(
        agent_id="a",
        to_number="+15551234567",
        from_number="+15557654321",
        scheduled_at="2026-01-31T09:30:00Z",
        overrides={"first_message": "Hi"},
    )
    assert p.body is not None
    body = json.loads(p.body)
    assert body["scheduled_at"] == "2026-01-31T09:30:00Z"
    assert body["overrides"] == {"first_message": "Hi"}
    with pytest.raises(UsageError) as e:
        api().create_call(
            agent_id="a", to_number="0044", from_number="+15557654321", scheduled_at="tomorrow"
        )
    assert [(i.code, i.path) for i in e.value.issues] == [
        ("invalid_value", "/to_number"),
        ("invalid_value", "/scheduled_at"),
    ]


def test_builder_arguments_are_checked_like_python_arguments() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        api().create_call(
            agent_id="a", to_number="+15551234567", from_number="+15557654321", colour="red"
        )  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing required keyword argument: 'from_number'"):
        api().create_call(agent_id="a", to_number="+15551234567")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="`overrides` must be a dict"):
        api().create_call(
            agent_id="a", to_number="+15551234567", from_number="+15557654321", overrides=[1]
        )  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        api().delete_webhook(7)  # type: ignore[arg-type]
