"""Every shared delivery-doctor fixture (tests/fixtures/doctor, format in
tests/fixtures/README.md) as its own case: ``diagnose`` over the fixture's webhooks, delivery
rows and calls (as dicts, and as the client's native objects), compared with the expected JSON
and text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO

from oneinbox_webhooks import Api, Diagnosis, UsageError, diagnose

DOCTOR = REPO / "tests" / "fixtures" / "doctor"
PATHS = sorted(p for p in DOCTOR.glob("*.json") if not p.name.endswith(".schema.json"))


def native(fixture: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any] | None]:
    """The fixture's input as the client returns it: Webhook, Delivery and Call objects."""
    api = Api("oi_sk_test_abc123")
    hooks = api.list_webhooks().parse_response(200, json.dumps(fixture["webhooks"]).encode())
    page = {"items": fixture["deliveries"], "total": 0, "limit": 200, "offset": 0}
    rows = api.list_deliveries("wh_1").parse_response(200, json.dumps(page).encode()).items
    calls = None
    if "calls" in fixture:
        calls = []
        for call in fixture["calls"]:
            prepared = api.create_call(
                agent_id="agt_1", to_number="+15550000001", from_number="+15550000002"
            )
            calls.append(prepared.parse_response(200, json.dumps(call).encode()))
    return hooks, rows, calls


def test_every_fixture_is_collected() -> None:
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_doctor_fixture(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    args = (fixture["webhooks"], fixture["deliveries"], fixture.get("calls"))
    if "error" in fixture:
        with pytest.raises(UsageError) as raised:
            diagnose(*args)
        got = [{"code": i.code, "path": i.path} for i in raised.value.issues]
        assert got == fixture["error"]
        return
    d = diagnose(*args)
    assert isinstance(d, Diagnosis)
    assert d.to_dict() == fixture["expected"]
    assert json.loads(d.to_json()) == fixture["expected"]
    assert d.healthy is fixture["expected"]["healthy"]
    assert d.causes == fixture["expected"]["causes"]
    if "text" in fixture:
        assert d.to_text() == fixture["text"]
    hooks, rows, calls = native(fixture)
    assert diagnose(hooks, iter(rows), None if calls is None else tuple(calls)) == d
