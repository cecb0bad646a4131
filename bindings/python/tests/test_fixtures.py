"""Every shared fixture in tests/fixtures/events is its own case, with the same verdict as the
Rust runner (crates/oneinbox-webhooks/tests/event_fixtures.rs): the variant class name, or the
ordered list of (code, path) pairs. Also the JSON Schema cross-check and the round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import SCHEMAS, body_bytes, fixture_paths, load, options
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import oneinbox_webhooks as ow

PATHS = fixture_paths()
IDS = [p.stem for p in PATHS]

# Codes a JSON Schema cannot express (bytes, limits, duplicate keys), as in the Rust runner.
NOT_IN_SCHEMA = {"invalid_json", "too_large", "too_deep", "duplicate_field"}


def test_all_fixtures_are_collected() -> None:
    assert len(PATHS) >= 363


def verdict(body: bytes, opts: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    try:
        event = ow.parse_event(body, **opts)
    except ow.ValidationError as err:
        issues = [{"code": i.code, "path": i.path} for i in err.issues]
        return {"issues": issues}, err
    return {"variant": type(event).__name__}, event


@pytest.mark.parametrize("mode", ["lenient", "strict"])
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_fixture(path: Path, mode: str) -> None:
    fixture = load(path)
    body = body_bytes(fixture)
    opts = options(fixture, strict=mode == "strict")
    got, result = verdict(body, opts)
    assert got == fixture[mode], f"{mode}: report {result!r}"
    if isinstance(result, ow.ValidationError):
        assert str(result).count("\n") == (0 if len(result.issues) == 1 else len(result.issues))
        for issue in result.issues:
            assert len(issue.message) <= 400
    else:
        # parse -> to_dict -> json.dumps -> parse gives an equal event (unknown members too).
        # json.dumps escapes non-ASCII, so the text may outgrow a fixture's tight size limit.
        again = ow.parse_event(json.dumps(result.to_dict()), **{**opts, "max_body_bytes": 1 << 20})
        assert again == result
        assert type(again) is type(result)


def _schema_validator() -> Draft202012Validator:
    resources = []
    for file in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(file.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads((SCHEMAS / "event.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(
        root, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


SCHEMA = _schema_validator()


def _schema_applies(fixture: dict[str, Any]) -> bool:
    codes = {i["code"] for i in fixture["strict"].get("issues", [])}
    return "options" not in fixture and not codes & NOT_IN_SCHEMA


SCHEMA_PATHS = [p for p in PATHS if _schema_applies(load(p))]


def test_schema_cases_are_collected() -> None:
    assert len(SCHEMA_PATHS) > 200


@pytest.mark.parametrize("path", SCHEMA_PATHS, ids=[p.stem for p in SCHEMA_PATHS])
def test_schema_agrees_with_strict_mode(path: Path) -> None:
    fixture = load(path)
    body = body_bytes(fixture)
    doc = json.loads(body)
    schema_ok = SCHEMA.is_valid(doc)
    try:
        ow.parse_event(body, strict=True)
        strict_ok = True
    except ow.ValidationError:
        strict_ok = False
    assert strict_ok == ("variant" in fixture["strict"])
    errors = [e.message for e in SCHEMA.iter_errors(doc)]
    assert schema_ok == strict_ok, f"schema valid={schema_ok}, strict valid={strict_ok}: {errors}"
