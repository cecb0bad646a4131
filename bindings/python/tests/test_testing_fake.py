"""oneinbox_webhooks.testing.FakeOneInbox on its own: the answers' shapes (schemas/management),
401/404/405, FastAPI-style 422 built from the core's argument rules (every builder fixture in
tests/fixtures/management gives, through the fake and parse_response, the fixture's own issues),
faults, and serving over a loopback socket to a client that is not ours (urllib)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest
from fixtures import REPO
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from oneinbox_webhooks import Api, ApiError
from oneinbox_webhooks.testing import FakeOneInbox, FakeResponse, RecordedRequest

KEY = "oi_sk_test_SUPERSECRETKEY"
AUTH = {"Authorization": f"Bearer {KEY}"}
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
MANAGEMENT = REPO / "tests" / "fixtures" / "management"
SCHEMAS = REPO / "schemas" / "management"


def request(
    fake: FakeOneInbox,
    method: str,
    target: str,
    body: Any = None,
    headers: Optional[dict[str, str]] = None,
) -> FakeResponse:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    response = fake.handle(method, target, AUTH if headers is None else headers, raw)
    assert response is not None
    return response


def schema(name: str) -> Draft202012Validator:
    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text()), registry=registry)


def test_shapes_match_the_published_schemas() -> None:
    fake = FakeOneInbox(KEY)
    created = request(fake, "POST", "/v1/webhooks", HOOK)
    assert created.status == 201 and created.headers["content-type"] == "application/json"
    hook = created.json()
    schema("webhook.schema.json").validate(hook)
    assert hook["id"].startswith("wh_") and hook["secret"].startswith("whsec_")
    assert hook["status"] == "active" and hook["events"] == ["call.ended"]
    listed = request(fake, "GET", "/v1/webhooks")
    schema("webhook-list.schema.json").validate(listed.json())
    assert listed.json()["items"] == [hook] and listed.json()["total"] == 1
    assert request(fake, "GET", f"/v1/webhooks/{hook['id']}").json() == hook
    assert request(fake, "POST", f"/v1/webhooks/{hook['id']}/test").status == 200
    page = request(fake, "GET", f"/v1/webhooks/{hook['id']}/deliveries").json()
    schema("delivery-page.schema.json").validate(page)
    assert (page["total"], page["limit"], page["offset"]) == (1, 50, 0)
    assert page["items"][0]["webhook_id"] == hook["id"]
    call = request(fake, "POST", "/v1/calls", {**CALL, "webhook_url": "https://e.com/c"})
    assert call.status == 201
    schema("call.schema.json").validate(call.json())
    listed_calls = request(fake, "GET", "/v1/calls").json()
    schema("call-page.schema.json").validate(listed_calls)
    assert listed_calls["total"] == 1 and listed_calls["items"][0]["id"] == call.json()["id"]
    schema("call.schema.json").validate(
        request(fake, "GET", f"/v1/calls/{call.json()['id']}").json()
    )
    assert "webhook_url" not in call.json()  # not part of the call object...
    assert fake.calls[0]["webhook_url"] == "https://e.com/c"  # ...but kept by the fake
    deleted = request(fake, "DELETE", f"/v1/webhooks/{hook['id']}")
    assert (deleted.status, deleted.body) == (204, b"")


def test_update_replaces_given_fields_only() -> None:
    fake = FakeOneInbox(KEY)
    hook = request(fake, "POST", "/v1/webhooks", HOOK).json()
    updated = request(
        fake, "PATCH", f"/v1/webhooks/{hook['id']}", {"events": ["call.started"], "name": None}
    )
    assert updated.status == 200
    assert updated.json()["events"] == ["call.started"] and updated.json()["name"] == "Call events"
    assert fake.webhooks[0]["events"] == ["call.started"]
    fake.webhooks[0]["name"] = "changed"  # a copy: the fake's state is not changed
    assert fake.webhooks[0]["name"] == "Call events"


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("PATCH", "/v1/webhooks/wh_nope"),
        ("DELETE", "/v1/webhooks/wh_nope"),
        ("GET", "/v1/webhooks/wh_nope"),
        ("POST", "/v1/webhooks/wh_nope/test"),
        ("GET", "/v1/webhooks/wh_nope/deliveries"),
    ],
)
def test_unknown_ids_are_404(method: str, target: str) -> None:
    response = request(
        FakeOneInbox(KEY), method, target, {"name": "x"} if method == "PATCH" else None
    )
    assert (response.status, response.json()) == (404, {"detail": "Webhook not found"})


def test_auth_routes_and_methods() -> None:
    fake = FakeOneInbox(KEY)
    missing = request(fake, "GET", "/v1/webhooks", headers={})
    assert (missing.status, missing.json()) == (401, {"detail": "Not authenticated"})
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = request(fake, "GET", "/v1/webhooks", headers={"authorization": "Bearer oi_sk_x"})
    assert (wrong.status, wrong.json()) == (401, {"detail": "Invalid API key"})
    assert request(fake, "GET", "/v2/webhooks").status == 404
    assert request(fake, "GET", "/v1/nothing").json() == {"detail": "Not Found"}
    assert request(fake, "PUT", "/v1/webhooks").status == 405
    assert request(fake, "PATCH", "/v1/calls").status == 405
    assert [r.authorized for r in fake.requests] == [False, False, True, True, True, True]
    assert KEY not in repr(fake.requests) and KEY not in repr(fake)


def test_ids_are_one_path_segment() -> None:
    fake = FakeOneInbox(KEY)
    api = Api(KEY)
    prepared = api.update_webhook("wh/1", name="x")
    assert prepared.url.endswith("/v1/webhooks/wh%2F1")
    response = request(fake, prepared.method, prepared.url, prepared.body)
    assert response.status == 404  # the id "wh/1", not a longer path
    with pytest.raises(ApiError, match="Webhook not found"):
        prepared.parse_response(response.status, response.body)


def test_422_detail_is_fastapi_style() -> None:
    fake = FakeOneInbox(KEY)
    body = {"name": 7, "events": ["call.ended", 3, "nope"], "team": "t_1"}
    response = request(fake, "POST", "/v1/webhooks", body)
    assert response.status == 422
    detail = response.json()["detail"]
    assert [(d["loc"], d["type"]) for d in detail] == [
        (["body", "name"], "string_type"),
        (["body", "url"], "missing"),
        (["body", "events", 1], "string_type"),
        (["body", "events", 2], "value_error"),
        (["body", "team"], "extra_forbidden"),
    ]
    assert all(isinstance(d["msg"], str) and d["msg"] for d in detail)
    schema("error.schema.json").validate(response.json())
    assert fake.webhooks == []
    prepared = Api(KEY).create_webhook(**HOOK)
    with pytest.raises(ApiError) as e:
        prepared.parse_response(response.status, response.body)
    assert [(i.code, i.path) for i in e.value.details] == [
        ("wrong_type", "/name"),
        ("missing_field", "/url"),
        ("wrong_type", "/events/1"),
        ("invalid_value", "/events/2"),
        ("unknown_field", "/team"),
    ]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        (b"", ["body"], "missing"),
        (b"{nope", ["body", 0], "json_invalid"),
        (b"[1]", ["body"], "model_attributes_type"),
        (
            b'{"name":null,"url":"https://e.com","events":["call.ended"]}',
            ["body", "name"],
            "string_type",
        ),
        (
            b'{"name":"n","url":"https://e.com","events":"call.ended"}',
            ["body", "events"],
            "list_type",
        ),
        (b'{"name":"n","url":"https://e.com","events":[1]}', ["body", "events", 0], "string_type"),
    ],
)
def test_422_for_unreadable_bodies(body: bytes, loc: list[Any], kind: str) -> None:
    response = request(FakeOneInbox(KEY), "POST", "/v1/webhooks", body)
    assert response.status == 422
    assert [(d["loc"], d["type"]) for d in response.json()["detail"]] == [(loc, kind)]


def test_create_call_bodies() -> None:
    fake = FakeOneInbox(KEY)
    bad = {
        **CALL,
        "to_number": "555",
        "variables": {"a/b": {"deep": [1, 2.5]}},
        "metadata": [],
        "overrides": {"first_message": "Hi"},  # a documented field the core does not build
        "scheduled_at": None,
    }
    response = request(fake, "POST", "/v1/calls", bad)
    assert [(d["loc"], d["type"]) for d in response.json()["detail"]] == [
        (["body", "to_number"], "value_error"),
        (["body", "metadata"], "dict_type"),
    ]
    # Python's json.dumps writes 1e400 as `Infinity`, which is not JSON: the fake (as the Node
    # one always did) refuses the body as unreadable, rather than judging the value.
    infinite = request(fake, "POST", "/v1/calls", {**CALL, "variables": {"a/b": [1e400]}})
    assert [(d["loc"], d["type"]) for d in infinite.json()["detail"]] == [
        (["body", 0], "json_invalid")
    ]
    assert fake.calls == []
    good = request(fake, "POST", "/v1/calls", {**CALL, "overrides": {"first_message": "Hi"}})
    assert good.status == 201 and len(fake.calls) == 1


def test_delivery_paging_and_query_checks() -> None:
    fake = FakeOneInbox(KEY)
    hook = request(fake, "POST", "/v1/webhooks", HOOK).json()
    added = [fake.add_delivery(hook["id"], attempt=i) for i in range(5)]
    assert [d["attempt"] for d in fake.deliveries(hook["id"])] == [4, 3, 2, 1, 0]
    target = f"/v1/webhooks/{hook['id']}/deliveries"
    page = request(fake, "GET", target + "?limit=2&offset=3").json()
    assert [d["id"] for d in page["items"]] == [added[1]["id"], added[0]["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 3)
    beyond = request(fake, "GET", target + "?offset=9").json()
    assert beyond["items"] == [] and beyond["total"] == 5
    bad = request(fake, "GET", target + "?limit=0&offset=-1").json()["detail"]
    assert [(d["loc"], d["type"]) for d in bad] == [
        (["query", "limit"], "value_error"),
        (["query", "offset"], "value_error"),
    ]
    text = request(fake, "GET", target + "?limit=ten").json()["detail"]
    assert [(d["loc"], d["type"]) for d in text] == [(["query", "limit"], "int_parsing")]
    with pytest.raises(KeyError):
        fake.add_delivery("wh_nope")


def test_fail_next_and_disconnect_next() -> None:
    fake = FakeOneInbox(KEY)
    fake.fail_next(503, times=2, retry_after=7)
    first = request(fake, "POST", "/v1/webhooks", HOOK)
    assert (first.status, first.headers["retry-after"]) == (503, "7")
    assert first.json() == {"detail": "Service Unavailable"}
    assert request(fake, "GET", "/v1/webhooks").status == 503
    assert fake.webhooks == []  # not processed
    assert request(fake, "GET", "/v1/webhooks").status == 200
    fake.fail_next(500, body=b"<html>oops</html>", processed=True)
    response = request(fake, "POST", "/v1/webhooks", HOOK)
    assert (response.status, response.body) == (500, b"<html>oops</html>")
    assert len(fake.webhooks) == 1  # processed, then the failure
    fake.disconnect_next()
    assert fake.handle("GET", "/v1/webhooks", AUTH) is None
    fake.fail_next(418, body={"error": {"message": "teapot"}})
    teapot = request(fake, "GET", "/v1/webhooks")
    with pytest.raises(ApiError, match="teapot"):
        Api(KEY).list_webhooks().parse_response(teapot.status, teapot.body)
    with pytest.raises(ValueError):
        fake.fail_next(99)
    assert len(fake.requests) == 6


def test_recorded_requests() -> None:
    fake = FakeOneInbox(KEY)
    request(fake, "POST", "/v1/webhooks", HOOK)
    request(fake, "GET", "/v1/webhooks/wh_x/deliveries?limit=3")
    first, second = fake.requests
    assert first == RecordedRequest("POST", "/v1/webhooks", "", json.dumps(HOOK).encode(), True)
    assert first.json() == HOOK and second.json() is None
    assert (second.path, second.query) == ("/v1/webhooks/wh_x/deliveries", "limit=3")


# ---- the core's fixtures through the fake -----------------------------------------------------

BODY_CALLS = ("create_webhook", "update_webhook", "create_call")


def builder_cases() -> list[Path]:
    cases = []
    for path in sorted(MANAGEMENT.glob("build_*.json")):
        case = json.loads(path.read_text())
        if case["call"] in BODY_CALLS and "usage_issues" in case["expect"]:
            issues = case["expect"]["usage_issues"]
            if not any(i["path"] == "/webhook_id" for i in issues):
                cases.append(path)
    return cases


@pytest.mark.parametrize("path", builder_cases(), ids=lambda p: p.stem)
def test_fixture_arguments_get_the_fixtures_issues_back(path: Path) -> None:
    """A body with a builder fixture's bad arguments, sent to the fake, comes back as a 422 whose
    details, read by parse_response, are the issues the fixture expects from the builder."""
    case = json.loads(path.read_text())
    args = dict(case["args"])
    webhook_id = args.pop("webhook_id", "wh_1")
    fake = FakeOneInbox(KEY)
    target = {"update_webhook": f"/v1/webhooks/{webhook_id}", "create_call": "/v1/calls"}
    method = "PATCH" if case["call"] == "update_webhook" else "POST"
    response = request(fake, method, target.get(case["call"], "/v1/webhooks"), args)
    assert response.status == 422, response.body
    prepared = Api(KEY).list_webhooks()
    with pytest.raises(ApiError) as e:
        prepared.parse_response(response.status, response.body)
    got = [{"code": i.code, "path": i.path} for i in e.value.details]
    assert got == case["expect"]["usage_issues"]


def test_valid_fixture_requests_are_accepted() -> None:
    """Every builder fixture that expects a request: the fake accepts that request's body."""
    count = 0
    for path in sorted(MANAGEMENT.glob("build_*.json")):
        case = json.loads(path.read_text())
        expected = case["expect"].get("request")
        if case["call"] not in BODY_CALLS or expected is None:
            continue
        fake = FakeOneInbox(KEY)
        hook = request(fake, "POST", "/v1/webhooks", HOOK).json()
        method = expected["method"]
        target = "/v1/calls" if case["call"] == "create_call" else "/v1/webhooks"
        if case["call"] == "update_webhook":
            target = f"/v1/webhooks/{hook['id']}"
        response = request(fake, method, target, expected["json"])
        assert response.status in (200, 201), (path.name, response.body)
        count += 1
    assert count >= 10


# ---- over a loopback socket, with urllib -------------------------------------------------------


def urlopen(method: str, url: str, body: Any = None, key: str = KEY) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_serve_on_loopback() -> None:
    with FakeOneInbox(KEY) as fake:
        base = fake.serve(port=0)
        assert repr(fake).endswith(f"url={base!r}, api_key=[redacted])")
        status, hook = urlopen("POST", base + "/v1/webhooks", HOOK)
        assert status == 201 and fake.webhooks[0]["id"] == hook["id"]
        assert urlopen("GET", base + "/v1/webhooks", key="oi_sk_wrong")[0] == 401
        fake.fail_next(429, retry_after=1)
        assert urlopen("GET", base + "/v1/webhooks")[0] == 429
        assert urlopen("DELETE", base + f"/v1/webhooks/{hook['id']}") == (204, None)
        with pytest.raises(RuntimeError):
            fake.serve()
    assert fake.url is None
    fake.close()  # twice is fine


def test_serve_answers_threads_at_once() -> None:
    with FakeOneInbox(KEY) as fake:
        base = fake.serve()
        results: list[int] = []

        def create(i: int) -> None:
            results.append(urlopen("POST", base + "/v1/webhooks", {**HOOK, "name": f"n{i}"})[0])

        threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [201] * 8
    assert sorted(h["name"] for h in fake.webhooks) == [f"n{i}" for i in range(8)]
    assert len({h["id"] for h in fake.webhooks}) == 8


def test_serve_reads_chunked_bodies() -> None:
    import http.client

    with FakeOneInbox(KEY) as fake:
        fake.serve()
        assert fake.url is not None
        port = int(fake.url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        body = json.dumps(HOOK).encode()
        conn.request(
            "POST",
            "/v1/webhooks",
            body=iter([body[:10], body[10:]]),
            headers={**AUTH, "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 201 and json.loads(response.read())["name"] == HOOK["name"]
        conn.close()
    assert fake.requests[0].json() == HOOK


def test_close_ends_kept_alive_connections() -> None:
    import httpx

    fake = FakeOneInbox(KEY)
    base = fake.serve()
    with httpx.Client(base_url=base, headers=AUTH, timeout=5) as http:
        assert http.get("/v1/webhooks").status_code == 200  # the connection stays open
        fake.close()
        with pytest.raises(httpx.TransportError):
            http.get("/v1/webhooks")  # no answer from a closed fake
    assert len(fake.requests) == 1
