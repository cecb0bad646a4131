"""Every shared management fixture (tests/fixtures/management, format in its README) as its own
case, interpreted exactly as crates/oneinbox-webhooks/tests/management_fixtures.rs does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from fixtures import REPO

from oneinbox_webhooks import (
    Api,
    ApiError,
    Call,
    CallPage,
    DeliveryPage,
    PreparedRequest,
    UsageError,
    ValidationError,
    Webhook,
)

MANAGEMENT = REPO / "tests" / "fixtures" / "management"
DEFAULT_KEY = "oi_sk_test_abc123"
PATHS = sorted(p for p in MANAGEMENT.glob("*.json") if not p.name.endswith(".schema.json"))

DEFAULT_ARGS: dict[str, dict[str, Any]] = {
    "create_webhook": {
        "name": "Call events",
        "url": "https://example.com/h",
        "events": ["call.ended"],
    },
    "update_webhook": {"webhook_id": "wh_abc123", "status": "inactive"},
    "create_call": {
        "agent_id": "agt_abc123",
        "to_number": "+919876543210",
        "from_number": "+15739693824",
    },
    "get_call": {"call_id": "call_abc123"},
    "list_calls": {},
}


def make_api(api: Optional[dict[str, Any]]) -> Api:
    api = api or {}
    key = api.get("api_key", DEFAULT_KEY)
    if "base_url" in api:
        return Api(key, base_url=api["base_url"])
    return Api(key)


def opt_str(args: dict[str, Any], key: str) -> Optional[str]:
    v = args.get(key)
    return v if isinstance(v, str) else None


def opt_int(args: dict[str, Any], key: str) -> Optional[int]:
    # serde_json's as_i64: an integer in the i64 range, anything else is "not given".
    v = args.get(key)
    if isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63:
        return v
    return None


def opt_obj(args: dict[str, Any], key: str) -> Optional[dict[str, Any]]:
    v = args.get(key)
    return v if isinstance(v, dict) else None


def build(call: str, api: Api, args: dict[str, Any]) -> PreparedRequest:
    wid = args.get("webhook_id", "")
    if call == "create_webhook":
        return api.create_webhook(
            name=args.get("name", ""), url=args.get("url", ""), events=args.get("events", [])
        )
    if call == "list_webhooks":
        return api.list_webhooks()
    if call == "update_webhook":
        return api.update_webhook(
            wid,
            name=opt_str(args, "name"),
            url=opt_str(args, "url"),
            events=args.get("events") if isinstance(args.get("events"), list) else None,
            status=opt_str(args, "status"),
        )
    if call == "delete_webhook":
        return api.delete_webhook(wid)
    if call == "test_webhook":
        return api.test_webhook(wid)
    if call == "list_deliveries":
        return api.list_deliveries(
            wid, limit=opt_int(args, "limit"), offset=opt_int(args, "offset")
        )
    if call == "create_call":
        return api.create_call(
            agent_id=args.get("agent_id", ""),
            to_number=args.get("to_number", ""),
            from_number=args.get("from_number", ""),
            webhook_url=opt_str(args, "webhook_url"),
            variables=opt_obj(args, "variables"),
            metadata=opt_obj(args, "metadata"),
            scheduled_at=opt_str(args, "scheduled_at"),
            overrides=opt_obj(args, "overrides"),
        )
    if call == "get_call":
        return api.get_call(args.get("call_id", ""))
    if call == "list_calls":
        return api.list_calls(
            agent_id=opt_str(args, "agent_id"),
            status=opt_str(args, "status"),
            limit=opt_int(args, "limit"),
            offset=opt_int(args, "offset"),
        )
    raise AssertionError(f"unknown call {call!r}")


def request_json(p: PreparedRequest) -> dict[str, Any]:
    return {
        "method": p.method,
        "url": p.url,
        "headers": [[n, v] for n, v in p.headers.items()],
        "json": None if p.body is None else json.loads(p.body),
    }


def issue_list(issues: list[Any]) -> list[dict[str, str]]:
    return [{"code": i.code, "path": i.path} for i in issues]


def result_json(result: object) -> Any:
    if result is None:
        return None
    if isinstance(result, list):
        return [result_json(r) for r in result]
    return result.to_dict()  # type: ignore[attr-defined]


def run_builder(f: dict[str, Any]) -> None:
    call = f["call"]
    expect = f["expect"]
    key = f.get("api", {}).get("api_key", "")
    try:
        api = make_api(f.get("api"))
        if call == "api":
            raise AssertionError(f"expected usage issues, got {api!r}")
        p = build(call, api, f["args"])
    except UsageError as e:
        assert "usage_issues" in expect, f"expected a request, got: {e}"
        assert issue_list(e.issues) == expect["usage_issues"]
        if len(key) > 3:
            assert key not in f"{e} {e!r} {e.issues!r}", "the error shows the API key"
        return
    assert "request" in expect, f"expected usage issues, got a request: {request_json(p)}"
    assert request_json(p) == expect["request"]
    assert ("Content-Type" in p.headers) == (p.body is not None)
    assert not any(c in s for n, v in p.headers.items() for s in (n, v) for c in "\r\n")
    if len(key) > 3:
        assert key not in repr(p) and key not in repr(api)


def run_response(f: dict[str, Any]) -> None:
    call = f["call"]
    status = f["status"]
    if "body_text" in f:
        body = f["body_text"].encode("utf-8")
    else:
        body = json.dumps(f["body"]).encode("utf-8")
    args = f.get("args", DEFAULT_ARGS.get(call, {"webhook_id": "wh_abc123"}))
    p = build(call, make_api(f.get("api")), args)
    expect = f["expect"]
    if "result" in expect:
        result = p.parse_response(status, body)
        assert result_json(result) == expect["result"]
        if call == "create_webhook":
            assert isinstance(result, Webhook)
        if call == "get_call":
            assert isinstance(result, Call)
        if "next_request" in expect:
            assert isinstance(result, (DeliveryPage, CallPage))
            nxt = p.next_page(result)
            assert (None if nxt is None else request_json(nxt)) == expect["next_request"]
        return
    if "api_error" in expect:
        with pytest.raises(ApiError) as api_err:
            p.parse_response(status, body)
        e = api_err.value
        got = {
            "status": e.status,
            "message": e.message,
            "details": issue_list(e.details),
            "retryable": e.retryable,
        }
        assert got == expect["api_error"]
        assert DEFAULT_KEY not in f"{e} {e!r}"
        return
    with pytest.raises(ValidationError) as bad:
        p.parse_response(status, body)
    assert issue_list(bad.value.issues) == expect["decode_issues"]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_management_fixture(path: Path) -> None:
    with path.open(encoding="utf-8") as fh:
        f = json.load(fh)
    if "status" in f:
        run_response(f)
    else:
        run_builder(f)


def test_every_fixture_is_run() -> None:
    assert len(PATHS) >= 65
