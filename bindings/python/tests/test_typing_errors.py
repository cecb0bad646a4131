"""Misuse that `mypy --strict` must reject: each line marked `# E: text` has an error containing
`text`, and no other line has one. The snippet is checked, never run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROUTER_SNIPPET = """
from oneinbox_webhooks import (
    CallEnded,
    CallFailed,
    CallStarted,
    Event,
    Router,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
)

router = Router()


@router.on("call.ended")
def right(event: CallEnded) -> None:
    print(event.outcome, event.recording_url)  # E: "CallEnded" has no attribute "recording_url"


@router.on("call.ended")  # E: cannot be "Callable[[CallStarted], None]"
def wrong_for_name(event: CallStarted) -> None: ...


@router.on(CallFailed)  # E: cannot be "Callable[[CallEnded], None]"
def wrong_for_class(event: CallEnded) -> None: ...


@router.on("transcript.final")  # E: "_TranscriptFinalHandler" of "__call__"
async def wrong_async(event: TranscriptPartial) -> None: ...


@router.on_unknown  # E: "_UnknownEventHandler" of "on_unknown" of "Router"
def wrong_unknown(event: CallEnded) -> None: ...


@router.on_any  # E: "_AnyEventHandler" of "on_any" of "Router"
def too_narrow_for_any(event: CallEnded) -> None: ...


router.on("call.endd")  # E: No overload variant of "on" of "Router" matches argument type "str"


@router.on("transcript.partial")
@router.on("transcript.final")
def stacked(event: TranscriptPartial | TranscriptFinal) -> int:
    return len(event.messages)


@router.on("call.analyzed")
def broader(event: Event) -> None: ...


@router.on_unknown
def unknown(event: UnknownEvent) -> None: ...


count: str = router.dispatch(stacked)  # E: Argument 1 to "dispatch" of "Router" has incompatible type
"""

STORES_SNIPPET = """
import redis

from oneinbox_webhooks import CallRecord, parse_event
from oneinbox_webhooks.stores import MemoryStore, RedisStore, SQLiteStore, Store

store: Store = MemoryStore()
recorded = store.record(parse_event(b"{}"))
recorded.new = False  # E: Property "new" defined in "Recorded" is read-only
store.record(b"{}")  # E: Argument 1 to "record" of "Store" has incompatible type "bytes"
name: str = store.get("c")  # E: Incompatible types in assignment
RedisStore(redis.Redis(), ttl_seconds="60")  # E: Argument "ttl_seconds" to "RedisStore"
RedisStore(object())  # E: Argument 1 to "RedisStore" has incompatible type "object"
RedisStore(redis.Redis(), "app:")  # E: Too many positional arguments for "RedisStore"
SQLiteStore(3)  # E: Argument 1 to "SQLiteStore" has incompatible type "int"
record: CallRecord | None = store.get("c")
"""


def mypy_errors(snippet: str, tmp_path: Path) -> dict[int, list[str]]:
    path = tmp_path / "snippet.py"
    path.write_text(snippet, encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(path),
        ],
        capture_output=True,
        check=False,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 1, f"mypy exited {run.returncode}:\n{run.stdout}{run.stderr}"
    errors: dict[int, list[str]] = {}
    for line in run.stdout.splitlines():
        found = re.match(r"^.*snippet\.py:(\d+): error: (.*)$", line)
        if found:
            errors.setdefault(int(found[1]), []).append(found[2])
    return errors


def expected_errors(snippet: str) -> dict[int, str]:
    expected = {}
    for number, line in enumerate(snippet.splitlines(), start=1):
        if "# E: " in line:
            expected[number] = line.split("# E: ", 1)[1]
    return expected


def test_router_handlers_of_the_wrong_type_fail_mypy(tmp_path: Path) -> None:
    errors = mypy_errors(ROUTER_SNIPPET, tmp_path)
    expected = expected_errors(ROUTER_SNIPPET)
    assert len(expected) == 8
    assert sorted(errors) == sorted(expected), errors
    for number, text in expected.items():
        assert any(text in message for message in errors[number]), (number, errors[number])


def test_store_misuse_fails_mypy(tmp_path: Path) -> None:
    errors = mypy_errors(STORES_SNIPPET, tmp_path)
    expected = expected_errors(STORES_SNIPPET)
    assert len(expected) == 7
    assert sorted(errors) == sorted(expected), errors
    for number, text in expected.items():
        assert any(text in message for message in errors[number]), (number, errors[number])
