"""JSONTestSuite (the 318 files of tests/corpora/JSONTestSuite/test_parsing, read in place)
through parse_event, lenient and strict, plus each i_string_*/y_string_* value embedded as a
message's content: every verdict equals tests/fixtures/json-test-suite/expected.json, which
crates/oneinbox-webhooks/tests/json_test_suite.rs pins (one verdict in every language). And
every file json.loads reads, as a member value of an event, comes back as json.loads's value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures import REPO

from oneinbox_webhooks import ValidationError, parse_event

CORPUS = REPO / "tests" / "corpora" / "JSONTestSuite" / "test_parsing"
EXPECTED: dict[str, Any] = json.loads(
    (REPO / "tests" / "fixtures" / "json-test-suite" / "expected.json").read_text("utf-8")
)
FILES = sorted(CORPUS.glob("*.json"))


def embed(file: bytes) -> bytes:
    """The same body as `embed` in json_test_suite.rs (trim_ascii, then drop one [ ... ])."""
    trimmed = file.strip(b" \t\n\r\x0c")
    inner = trimmed[1:-1] if trimmed[:1] == b"[" and trimmed[-1:] == b"]" else trimmed
    return (
        b'{"event":"transcript.final","call_id":"call_1","messages":[{"role":"user","content":'
        + inner
        + b"}]}"
    )


def verdict(body: bytes, strict: bool) -> Any:
    try:
        event = parse_event(body, strict=strict)
    except ValidationError as e:
        return [{"code": i.code, "path": i.path} for i in e.issues]
    return {"accepted": event.event}


CASES: list[tuple[str, bytes]] = []
for _path in FILES:
    _bytes = _path.read_bytes()
    if _path.name.startswith(("i_string_", "y_string_")):
        CASES.append((f"embedded:{_path.name}", embed(_bytes)))
    CASES.append((_path.name, _bytes))


@pytest.mark.parametrize(("name", "body"), CASES, ids=[c[0] for c in CASES])
def test_json_test_suite(name: str, body: bytes) -> None:
    got = {"lenient": verdict(body, False), "strict": verdict(body, True)}
    assert got == EXPECTED.get(name), name
    if not name.startswith("embedded:"):
        for v in got.values():
            codes = [i["code"] for i in v] if isinstance(v, list) else []
            if name.startswith("n_"):
                assert codes in (["invalid_json"], ["too_deep"], ["too_large"])
            if name.startswith("y_"):
                assert isinstance(v, list) and "invalid_json" not in codes


def _int(text: str) -> int | float:
    """An integer as the core reads it: 64-bit integers stay int (u64 when non-negative, i64
    when negative), wider ones and `-0` become float."""
    n = int(text)
    if text.lstrip().startswith("-") and n == 0:
        return -0.0
    return n if -(2**63) <= n < 2**64 else float(text)


def _member_value_cases() -> list[tuple[str, bytes]]:
    out = []
    for path in FILES:
        raw = path.read_bytes()
        try:
            json.loads(raw)
        except (ValueError, RecursionError):
            continue
        out.append((path.name, raw))
    return out


@pytest.mark.parametrize(("name", "raw"), _member_value_cases(), ids=lambda c: str(c)[:60])
def test_member_values_read_as_json_loads_reads_them(name: str, raw: bytes) -> None:
    """Every JSON text CPython's json module reads, as a member of an event, comes back as the
    same Python value (strings with escapes and surrogate pairs, numbers, nesting)."""
    body = b'{"event":"call.unknown","call_id":"c","value":' + raw + b"}"
    want = json.loads(raw, parse_int=_int)
    try:
        event = parse_event(body)
    except ValidationError as e:
        # Only what the contract rejects on purpose and json.loads takes: nesting beyond
        # max_depth, lone surrogates, numbers out of range, duplicate keys.
        assert {i.code for i in e.issues} <= {"too_deep", "invalid_json", "duplicate_field"}, name
        return
    got = event.to_dict()["value"]
    # NaN never equals itself; json.loads accepts NaN/Infinity, which are not JSON.
    assert repr(got) == repr(want), name


def test_corpus_complete() -> None:
    assert len(FILES) == 318
    assert len(CASES) == len(EXPECTED)
