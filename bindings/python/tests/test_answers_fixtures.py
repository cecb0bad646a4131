"""Every shared fixture in tests/fixtures/answers is its own case, run as the Rust runner
(crates/oneinbox-webhooks/tests/answers_fixtures.rs) runs it, through the native ``answer_*``
functions the adapters call: the steps in order, stopping at the first answer, which must come
at the last step the case gives inputs for and equal the expected answer (status, headers,
body bytes, whether to close the connection, log level and line). test_adapters.py drives the
FastAPI, Flask and Django adapters through some of these cases end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO, load
from jsonschema import Draft202012Validator

from oneinbox_webhooks import Issue, _native

ANSWERS = REPO / "tests" / "fixtures" / "answers"
PATHS = sorted(p for p in ANSWERS.glob("*.json") if not p.name.endswith(".schema.json"))
IDS = [p.stem for p in PATHS]
FORMAT = Draft202012Validator(load(ANSWERS / "fixture.schema.json"))
STEPS = ["request", "read", "receive", "store", "claim", "handlers"]


def test_all_answers_fixtures_are_collected() -> None:
    assert len(PATHS) >= 20


def as_fixture(answer: _native.Answer) -> dict[str, Any]:
    """An answer in the fixtures' form."""
    return {
        "status": answer.status,
        "headers": [list(h) for h in answer.headers],
        "body_text": answer.body.decode("utf-8"),
        "close_connection": answer.close_connection,
        "log": {"level": answer.log_level, "line": answer.log_line},
        **({} if answer.reason is None else {"reason": answer.reason}),
    }


def drive(f: dict[str, Any]) -> tuple[_native.Answer, str]:
    """The steps in order: the first answer and the step that gave it."""
    r = f["request"]
    limit = r["max_body_bytes"]
    answer = _native.answer_before_body(r["method"], r["content_type"], r["content_length"], limit)
    if answer is not None:
        return answer, "request"
    read = f["read"]
    answer = _native.answer_after_read(
        read["result"], limit, length=read.get("length", 0), fix=read.get("fix", "")
    )
    if answer is not None:
        return answer, "read"
    receive = f["receive"]
    issues = [Issue(i["code"], i["path"], i["message"]) for i in receive.get("issues", [])]
    answer = _native.answer_after_receive(
        receive["result"], code=receive.get("code"), issues=issues
    )
    if answer is not None:
        return answer, "receive"
    event, call_id = receive["event"], receive["call_id"]
    if "store" in f:
        answer = _native.answer_after_store(event, call_id, f["store"])
        if answer is not None:
            return answer, "store"
    if "claim" in f:
        claim = f["claim"]
        answer = _native.answer_after_claim(
            event, call_id, claim["verdict"], claim.get("retry_after_ms", 0)
        )
        if answer is not None:
            return answer, "claim"
    return _native.answer_after_handlers(event, call_id, f["handlers"]), "handlers"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_answers_fixture(path: Path) -> None:
    f = load(path)
    assert not list(FORMAT.iter_errors(f))
    answer, step = drive(f)
    last = max(i for i, s in enumerate(STEPS) if s in f)
    assert step == STEPS[last], f"answered at {step}, but the case gives {STEPS[last]}"
    assert as_fixture(answer) == f["answer"]
    assert "\n" not in answer.log_line and "\r" not in answer.log_line
    if "late_log" in f:
        assert f["handlers"] == "late"
        receive = f["receive"]
        late = _native.answer_late_failure_due if "claim" in f else _native.answer_late_failure
        level, line = late(receive["event"], receive["call_id"])
        assert {"level": level, "line": line} == f["late_log"]


def test_unknown_step_results_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown read result"):
        _native.answer_after_read("eaten", 10)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="unknown verification code"):
        _native.answer_after_receive("unauthenticated", code="ok?")
    with pytest.raises(ValueError, match="unknown issue code"):
        _native.answer_after_receive("invalid", issues=[Issue("nope", "", "")])
    with pytest.raises(ValueError, match="unknown store result"):
        _native.answer_after_store("call.ended", "c", "maybe")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="unknown inbox verdict"):
        _native.answer_after_claim("call.ended", "c", "Run")
    with pytest.raises(ValueError, match="unknown handlers result"):
        _native.answer_after_handlers("call.ended", "c", "slow")  # type: ignore[arg-type]


def test_answer_repr_and_equality() -> None:
    a = _native.answer_before_body("GET", None, None, 10)
    assert a is not None
    assert (
        repr(a)
        == "Answer(status=405, headers=(('Allow', 'POST'),), body=<0 bytes>, log_level='none')"
    )
    assert a == _native.answer_before_body("DELETE", None, None, 10)
    assert a != _native.answer_before_body("POST", None, None, 10)
