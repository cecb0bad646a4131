"""JSONTestSuite (the 318 files of ../shared/corpora/JSONTestSuite/test_parsing, read in place)
through parse_event, lenient and strict, plus each i_string_*/y_string_* value embedded as a
message's content: every verdict equals tests/fixtures/json-test-suite/expected.json, which
crates/oneinbox-webhooks/tests/json_test_suite.rs pins (one verdict in every language)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures import REPO

from oneinbox_webhooks import ValidationError, parse_event

CORPUS = REPO / ".." / "shared" / "corpora" / "JSONTestSuite" / "test_parsing"
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


def test_corpus_complete() -> None:
    assert len(FILES) == 318
    assert len(CASES) == len(EXPECTED)
