"""Every fixture in tests/fixtures/usage (format: its README): the same bad argument gives the
same error class and issue codes here as in Node."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO, load

from oneinbox_webhooks import (
    Api,
    ApiError,
    Receiver,
    UsageError,
    ValidationError,
    parse_event,
    verify_signature,
)

USAGE = REPO / "tests" / "fixtures" / "usage"
ENDED = b'{"event":"call.ended","call_id":"call_1","outcome":"Booked"}'
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

CALLS: dict[str, Callable[[dict[str, Any]], object]] = {
    "parse_event": lambda args: parse_event(ENDED, **args),
    "parse_response": lambda args: (
        Api("oi_sk_test_key").list_webhooks().parse_response(args["status"], b"")
    ),
    "verify_signature": lambda args: verify_signature({}, ENDED, [SECRET], **args),
    "receiver": lambda args: Receiver(**args),
}
ERRORS: dict[str, type[BaseException]] = {
    "UsageError": UsageError,
    "ValidationError": ValidationError,
    "ApiError": ApiError,
    "TypeError": TypeError,
}


def usage_paths() -> list[Path]:
    return sorted(USAGE.glob("*.json"))


def test_the_folder_holds_the_fixtures() -> None:
    assert len(usage_paths()) >= 15


@pytest.mark.parametrize("path", usage_paths(), ids=lambda p: p.stem)
def test_usage_fixture(path: Path) -> None:
    fixture = load(path)
    call = CALLS[fixture["call"]]
    expect = fixture["expect"]
    if expect.get("ok"):
        call(fixture["args"])
        return
    with pytest.raises(ERRORS[expect["error"]]) as info:
        call(fixture["args"])
    if "issues" in expect:
        err = info.value
        assert isinstance(err, (UsageError, ValidationError))
        got = [{"code": i.code, "path": i.path} for i in err.issues]
        assert got == expect["issues"]
        if expect["error"] == "UsageError":
            for issue in err.issues:
                # the message names the argument
                assert f"`{issue.path[1:]}`" in issue.message, issue.message
