"""Every shared retry fixture (tests/fixtures/retry, format in tests/fixtures/README.md) as its own
case: ``PreparedRequest.after_status`` / ``after_failure``, the core's retry driver that both
clients ask after a failed attempt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO

from oneinbox_webhooks import Api, PreparedRequest, RetryStep

RETRY = REPO / "tests" / "fixtures" / "retry"
PATHS = sorted(p for p in RETRY.glob("*.json") if not p.name.endswith(".schema.json"))
KEY = "oi_sk_test_abc123"


def build(call: str) -> PreparedRequest[Any]:
    api = Api(KEY)
    if call == "list_webhooks":
        return api.list_webhooks()
    if call == "test_webhook":
        return api.test_webhook("wh_abc123")
    if call == "delete_webhook":
        return api.delete_webhook("wh_abc123")
    if call == "create_webhook":
        return api.create_webhook(
            name="Call events", url="https://example.com/h", events=["call.ended"]
        )
    if call == "create_call":
        return api.create_call(
            agent_id="agt_abc123", to_number="+919876543210", from_number="+15739693824"
        )
    raise AssertionError(f"unknown call {call!r}")


def step_json(step: RetryStep) -> dict[str, Any]:
    if step.wait is not None:
        assert step.retryable and step.message is None
        return {"wait": step.wait}
    return {"give_up": {"retryable": step.retryable, "message": step.message}}


def test_every_fixture_is_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_retry_fixture(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    prepared = build(fixture["call"])
    outcome = fixture["outcome"]
    if "status" in outcome:
        step = prepared.after_status(
            fixture["attempt"],
            fixture["max_retries"],
            outcome["status"],
            [tuple(pair) for pair in outcome["headers"]],
            fixture["draw"],
            now=outcome["now"],
        )
    else:
        step = prepared.after_failure(
            fixture["attempt"],
            fixture["max_retries"],
            sent=outcome["failure"] == "lost",
            cause=outcome["cause"],
            draw=fixture["draw"],
        )
    assert step_json(step) == fixture["expect"]
    assert KEY not in repr(step) and KEY not in (step.message or "")
