"""The hostile-input table (issue 7, item 2): each row a named test; each input gives a clear
typed error (or, where the input is valid, the right value), never a crash. The management rows
(ids with / ? # .., CR/LF in API keys, non-finite numbers in variables/metadata) are in
test_management.py: test_ids_are_one_path_segment, test_ids_that_would_change_the_path_are_
usage_errors, test_bad_keys_are_usage_errors_without_the_key,
test_non_finite_numbers_in_variables_and_metadata."""

from __future__ import annotations

import tracemalloc
from typing import Any, Union

import pytest

from oneinbox_webhooks import (
    CallEnded,
    CallStarted,
    Receiver,
    TranscriptFinal,
    UsageError,
    ValidationError,
    parse_event,
)

STARTED = b'{"event":"call.started","call_id":"%s"}'
ENDED = b'{"event":"call.ended","call_id":"c","duration_seconds":%s}'


def issues(body: Union[bytes, str], **kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as e:
        parse_event(body, **kw)
    return [(i.code, i.path) for i in e.value.issues]


def test_nesting_beyond_max_depth() -> None:
    body = b'{"event":"call.ended","call_id":"c","x":' + b"[" * 70 + b"]" * 70 + b"}"
    assert issues(body) == [("too_deep", "/x" + "/0" * 63)]
    assert issues(body, max_depth=5)[0][0] == "too_deep"
    assert isinstance(parse_event(body, max_depth=100), CallEnded)


@pytest.mark.parametrize("strict", [False, True])
def test_100000_brackets_no_stack_overflow(strict: bool) -> None:
    closed = b"[" * 100_000 + b"]" * 100_000
    assert issues(closed, strict=strict)[0][0] == "too_deep"
    nested_obj = (
        b'{"event":"call.ended","call_id":"c","x":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    )
    assert issues(nested_obj, strict=strict)[0] == ("too_deep", "/x" + "/a" * 63)
    assert issues(b"[" * 100_000, strict=strict) == [("invalid_json", "")]  # never closed
    # a max_depth above the ceiling acts as the ceiling (126): still too_deep, as in Rust
    deep = issues(closed, strict=strict, max_depth=10**9)
    assert len(deep) == 1 and deep[0][0] == "too_deep" and deep[0][1].count("/") == 126


def test_100000_brackets_through_receiver() -> None:
    with pytest.raises(ValidationError):
        Receiver(allow_unauthenticated=True).receive(b"[" * 100_000 + b"]" * 100_000)


def test_body_just_over_max_body_bytes() -> None:
    body = STARTED % b"x" * 1
    assert isinstance(parse_event(body, max_body_bytes=len(body)), CallStarted)
    assert issues(body, max_body_bytes=len(body) - 1) == [("too_large", "")]
    big = STARTED % (b"x" * (1_048_576 - len(STARTED) + 3))
    assert len(big) == 1_048_577
    assert issues(big) == [("too_large", "")]
    # rejected before parsing: an invalid body over the limit is too_large, not invalid_json
    assert issues(b"{" * 1_048_577) == [("too_large", "")]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"event":"call.started","call_id":"a","call_id":"b"}', "/call_id"),
        (b'{"event":"call.started","event":"call.ended","call_id":"a"}', "/event"),
        (
            b'{"event":"call.analyzed","call_id":"a","analysis":{"summary":"s","summary":"t","outcome":"o"}}',
            "/analysis/summary",
        ),
        (b'{"event":"call.started","call_id":"a","x":{"k":1,"k":2}}', "/x/k"),
        (b'{"event":"call.started","call_id":"a","x":[{"k":{"j":1,"j":1}}]}', "/x/0/k/j"),
    ],
    ids=["top-level", "event-tag", "in-analysis", "in-unknown-member", "nested-in-unknown"],
)
def test_duplicate_keys(body: bytes, path: str) -> None:
    for strict in (False, True):
        assert ("duplicate_field", path) in issues(body, strict=strict)


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":"call.started","call_id":"\\ud800"}',
        b'{"event":"call.started","call_id":"\\udc00\\ud800"}',
        b'{"event":"call.started","call_id":"\xed\xa0\x80"}',
        '{"event":"call.started","call_id":"\ud800"}',
    ],
    ids=["escaped-high", "escaped-reversed-pair", "utf8-encoded-surrogate", "python-str"],
)
def test_lone_surrogates(body: Union[bytes, str]) -> None:
    assert issues(body) == [("invalid_json", "")]


def test_utf8_bom() -> None:
    assert issues(b"\xef\xbb\xbf" + STARTED % b"a") == [("invalid_json", "")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32(encoding: str) -> None:
    assert issues((STARTED % b"a").decode().encode(encoding)) == [("invalid_json", "")]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff",
        b"\xc3",
        b"\x80",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xf0\x80\x80\xaf",
        b"\xf4\x90\x80\x80",
    ],
    ids=[
        "ff",
        "truncated",
        "lone-continuation",
        "overlong-2",
        "overlong-3",
        "overlong-4",
        "above-10ffff",
    ],
)
def test_invalid_and_overlong_utf8(raw: bytes) -> None:
    assert issues(STARTED % raw) == [("invalid_json", "")]


@pytest.mark.parametrize("num", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_non_finite_numbers_in_duration_seconds(num: bytes) -> None:
    assert issues(ENDED % num) == [("invalid_json", "")]
    assert issues(ENDED % num, strict=True) == [("invalid_json", "")]


def test_negative_zero_in_duration_seconds() -> None:
    e = parse_event(ENDED % b"-0")
    assert isinstance(e, CallEnded) and e.duration_seconds == 0
    e = parse_event(ENDED % b"-0.0")
    assert isinstance(e, CallEnded) and str(e.duration_seconds) == "-0.0"


def test_20_digit_integers_in_duration_seconds() -> None:
    e = parse_event(ENDED % b"12345678901234567890")
    assert isinstance(e, CallEnded) and e.duration_seconds == 12345678901234567890
    e = parse_event(ENDED % b"99999999999999999999")
    assert isinstance(e, CallEnded) and isinstance(e.duration_seconds, (int, float))
    assert ("invalid_value", "/duration_seconds") in issues(
        ENDED % b"-12345678901234567890", strict=True
    )


def test_10_mb_string_within_the_limit() -> None:
    content = b"a" * 10_000_000
    body = (
        b'{"event":"transcript.final","call_id":"c","messages":[{"role":"user","content":"'
        + content
        + b'"}]}'
    )
    tracemalloc.start()
    try:
        e = parse_event(body, max_body_bytes=11_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(e, TranscriptFinal) and len(e.messages[0].content) == 10_000_000
    # Python-side allocations (the str itself); the Rust side is bounded by the core's tests.
    assert peak < 3 * len(body), peak
    assert issues(body) == [("too_large", "")]


def test_nul_inside_strings() -> None:
    e = parse_event(STARTED % b"a\\u0000b")
    assert isinstance(e, CallStarted) and e.call_id == "a\x00b"
    assert issues(STARTED % b"a\x00b") == [("invalid_json", "")]  # raw control character


@pytest.mark.parametrize("tail", [b" x", b"{}", b",", b"\x00", b"]"])
def test_trailing_data(tail: bytes) -> None:
    assert issues(STARTED % b"a" + tail) == [("invalid_json", "")]


def test_trailing_whitespace_is_fine() -> None:
    assert isinstance(parse_event(STARTED % b"a" + b" \n\t\r"), CallStarted)


@pytest.mark.parametrize("bad", [-1, -(2**70)])
def test_negative_limits(bad: int) -> None:
    with pytest.raises(UsageError):
        parse_event(STARTED % b"a", max_depth=bad)
    with pytest.raises(UsageError):
        Receiver(max_body_bytes=bad)
