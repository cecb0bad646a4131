"""Every shared fixture in tests/fixtures/play is its own case, run through the binding's native
fake (``_native.FakeOneInbox``) as the Rust runner (crates/oneinbox-webhooks/tests/play_fixtures.rs)
runs it: requests, faults, outages, calls played, the outbox's due times and attempts, outcomes
reported, a simulated receiver settling everything, and the state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import UsageError, _native

PLAY = REPO / "tests" / "fixtures" / "play"
PATHS = sorted(p for p in PLAY.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
FORMAT = Draft202012Validator(load(PLAY / "fixture.schema.json"))
AUTH = [("authorization", "Bearer oi_sk_test_fake")]


def test_all_play_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


def issues_of(call: Callable[..., Any], *args: Any) -> Optional[list[dict[str, str]]]:
    try:
        call(*args)
    except UsageError as err:
        return [{"code": i.code, "path": i.path} for i in err.issues]
    return None


def answer(rules: list[dict[str, Any]], url: str, now: int) -> dict[str, Any]:
    for rule in rules:
        if url.startswith(rule["url_prefix"]) and ("until" not in rule or now < rule["until"]):
            return rule
    return {"status": 200}


def settle(fake: _native.FakeOneInbox, spec: dict[str, Any]) -> dict[str, Any]:
    now, sent = spec["from"], []
    while (due := fake.next_due()) is not None:
        now = max(now, due)
        for attempt_id, url, _headers, body in fake.take_due(now, spec["timestamp"]):
            sent.append(f"{json.loads(body)['event']} {url}")
            rule = answer(spec.get("answers", []), url, now)
            fake.report(attempt_id, rule.get("status"), rule.get("body"), rule.get("error"), now)
    return {"sent": sent, "now": now}


def state(fake: _native.FakeOneInbox, expected: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, wanted in expected.items():
        if name == "calls":
            calls = {c["id"]: c for c in fake.calls()}
            out[name] = {i: {m: calls[i][m] for m in members} for i, members in wanted.items()}
        elif name == "deliveries":
            out[name] = {i: fake.deliveries(i) for i in wanted}
        elif name == "call_deliveries":
            out[name] = {i: fake.deliveries_for_call(i) for i in wanted}
        else:
            out[name] = fake.in_flight()
    return out


def step(fake: _native.FakeOneInbox, s: dict[str, Any]) -> tuple[str, Any]:
    if "request" in s:
        r = s["request"]
        body = json.dumps(r["json"], separators=(",", ":")).encode() if "json" in r else None
        got = fake.handle(r["method"], r["target"], AUTH, body, r["now"])
        assert got is not None
        return "response", {"status": got[0], "id": json.loads(got[2] or b"{}").get("id")}
    if "add_webhook" in s:
        w = s["add_webhook"]
        try:
            return "webhook_id", fake.add_webhook(w["name"], w["url"], w["events"], w["now"])["id"]
        except UsageError as err:
            return "issues", [{"code": i.code, "path": i.path} for i in err.issues]
    if "faults" in s:
        f = s["faults"]
        args = [f.get(n, 0.0) for n in ("drop", "duplicate", "shuffle", "delay")]
        return "issues", issues_of(fake.set_faults, *args, f.get("max_delay_ms", 0))
    if "signing_secret" in s:
        return "issues", issues_of(fake.set_signing_secret, s["signing_secret"])
    if "outage" in s:
        o = s["outage"]
        return "issues", issues_of(fake.add_outage, o["url_prefix"], o["from"], o["until"])
    if "play_call" in s:
        p = s["play_call"]
        names = ("agent_id", "to_number", "from_number", "webhook_url", "failure")
        try:
            return "call_id", fake.play_call(*(p.get(n) for n in names), p["now"])["id"]
        except UsageError as err:
            return "issues", [{"code": i.code, "path": i.path} for i in err.issues]
    if "next_due" in s:
        return "next_due", fake.next_due()
    if "take_due" in s:
        t = s["take_due"]
        return "outgoing", [
            {"attempt_id": i, "url": u, "headers": [list(h) for h in hs], "json": json.loads(b)}
            for i, u, hs, b in fake.take_due(t["now"], t["timestamp"])
        ]
    if "report" in s:
        r = s["report"]
        args = (r["attempt_id"], r.get("status"), r.get("body"), r.get("error"), r["now"])
        return "issues", issues_of(fake.report, *args)
    if "settle" in s:
        return "settled", settle(fake, s["settle"])
    return "state", state(fake, s["state"])


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_play_fixture(path: Path) -> None:
    fixture = load(path)
    FORMAT.validate(fixture)
    fake = _native.FakeOneInbox("oi_sk_test_fake", int(fixture.get("seed", "0")))
    for i, s in enumerate(fixture["steps"]):
        name, got = step(fake, s)
        assert got == s.get(name), f"step {i}"
