"""Every shared fixture in tests/fixtures/fake is its own case, run through the binding's native
fake (``_native.FakeOneInbox``, the core's state machine) as the Rust runner
(crates/oneinbox-webhooks/tests/fake_fixtures.rs) runs it: each request's exact answer (or no
answer), each fault queued or refused with its issues, each delivery added, the state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import UsageError, _native

FAKE = REPO / "tests" / "fixtures" / "fake"
PATHS = sorted(p for p in FAKE.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
FORMAT = Draft202012Validator(load(FAKE / "fixture.schema.json"))


def test_all_fake_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


def body_of(spec: dict[str, Any]) -> Optional[bytes]:
    if "json" in spec:  # compact, as the Rust and Node runners write it
        return json.dumps(spec["json"], separators=(",", ":"), ensure_ascii=False).encode()
    return spec["text"].encode() if "text" in spec else None


def issues_of(call: Any, *args: Any) -> Optional[list[dict[str, str]]]:
    try:
        call(*args)
    except UsageError as err:
        return [{"code": i.code, "path": i.path} for i in err.issues]
    return None


def answer_of(got: Any, expected: Any) -> Any:
    if got is None:
        return None
    status, headers, raw = got
    out: dict[str, Any] = {"status": status, "headers": [list(h) for h in headers]}
    if "json" in expected:
        out["json"] = json.loads(raw)
    elif "text" in expected:
        out["text"] = raw.decode()
    return out


def state_of(fake: _native.FakeOneInbox, expected: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in expected:
        if name == "webhooks":
            out[name] = fake.webhooks()
        elif name == "calls":
            out[name] = fake.calls()
        elif name == "deliveries":
            out[name] = {i: fake.deliveries(i) for i in expected[name]}
        else:
            out[name] = [
                {"method": m, "path": p, "query": q, "authorized": a}
                | {"body": None if b is None else b.decode()}
                for m, p, q, b, a in fake.requests()
            ]
    return out


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_fake_fixture(path: Path) -> None:
    fixture = load(path)
    FORMAT.validate(fixture)
    fake = _native.FakeOneInbox(
        fixture.get("api_key", "oi_sk_test_fake"), int(fixture.get("seed", "0"))
    )
    for i, step in enumerate(fixture["steps"]):
        if "request" in step:
            r = step["request"]
            headers = [tuple(h) for h in r.get("headers", [])]
            got = fake.handle(r["method"], r["target"], headers, body_of(r), r["now"])
            result, expected = answer_of(got, step["response"]), step["response"]
        elif "fail_next" in step:
            f = step["fail_next"]
            args = (f["status"], f.get("times", 1), f.get("retry_after"), body_of(f))
            result = issues_of(fake.fail_next, *args, f.get("processed", False))
            expected = step.get("issues")
        elif "disconnect_next" in step:
            d = step["disconnect_next"]
            args = (d.get("times", 1), d.get("processed", False))
            result = issues_of(fake.disconnect_next, *args)
            expected = step.get("issues")
        elif "add_delivery" in step:
            a = step["add_delivery"]
            result = fake.add_delivery(a["webhook_id"], a.get("fields", {}), a["now"])
            expected = step["record"]
        else:
            result, expected = state_of(fake, step["state"]), step["state"]
        assert result == expected, f"step {i}"
