"""Authentication: every tests/fixtures/auth fixture and every Standard Webhooks vector of the
corpus in tests/corpora/standard-webhooks (read in place), interpreted as
crates/oneinbox-webhooks/tests/auth_fixtures.rs does; then the Python surface (header forms,
Receiver, errors, secrecy)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle
import time
from pathlib import Path
from typing import Any

import pytest
from fixtures import REPO

import oneinbox_webhooks as ow
from oneinbox_webhooks import (
    AuthenticationError,
    CallStarted,
    OneInboxError,
    Receiver,
    Secret,
    UsageError,
    ValidationError,
    Verification,
    add_url_token,
    new_url_token,
    sign,
    verify_signature,
    verify_url_token,
)

AUTH = REPO / "tests" / "fixtures" / "auth"
FIXTURES = sorted(AUTH.glob("*.json"))
VECTORS = json.loads(
    (REPO / "tests" / "corpora" / "standard-webhooks" / "vectors.json").read_text()
)
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"event":"call.started","call_id":"call_1"}'


def outcome(f: Any) -> dict[str, Any]:
    try:
        v = f()
    except UsageError as e:
        return {"usage_error": e.issues[0].path if e.issues else None}
    return {"ok": v.ok, "code": v.code, "matched_secret": v.matched_secret}


def receiver(f: dict[str, Any], caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """``check: "receiver"``: the Receiver as a user builds it, then one delivery."""
    caplog.clear()
    try:
        r = Receiver(
            url_tokens=f.get("url_tokens"),
            signing_secrets=f.get("signing_secrets"),
            allow_unauthenticated=f.get("allow_unauthenticated", False),
        )
    except UsageError as e:
        return {
            "usage_error": e.issues[0].path if e.issues else None,
            "issues": [[i.code, i.path] for i in e.issues],
        }
    warnings = [r.getMessage() for r in caplog.records if r.name == "oneinbox_webhooks"]
    assert all(r.levelname == "WARNING" for r in caplog.records), caplog.records
    assert len(warnings) <= 1, warnings
    body = f["body_text"].encode("utf-8")
    headers = [(h[0], h[1]) for h in f["headers"]]
    try:
        r.receive(body, headers=headers, url=f.get("url"), now=f["now"])
        code = "ok"
    except AuthenticationError as e:
        code = e.verification.code
    return {"ok": code == "ok", "code": code, "warning": warnings[0] if warnings else None}


def run(f: dict[str, Any], caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    secrets = [s for s in f.get("secrets", []) if isinstance(s, str)]
    check = f["check"]
    if check == "receiver":
        return receiver(f, caplog)
    if check == "signature":
        headers = [(h[0], h[1]) for h in f.get("headers", [])]
        body = f.get("body_text", "").encode("utf-8")
        tol = f.get("tolerance", 300)
        got = outcome(lambda: verify_signature(headers, body, secrets, now=f["now"], tolerance=tol))
        if "usage_error" in got:
            try:
                verify_signature(headers, body, secrets, now=f["now"], tolerance=tol)
            except UsageError as e:
                text = f"{e} {e!r} {e.issues!r}"
                assert not any(s and s in text for s in secrets), "a usage error shows the secret"
        return got
    if check == "url_token":
        return outcome(lambda: verify_url_token(f.get("url", ""), secrets))
    if check == "add_url_token":
        try:
            return {"url": add_url_token(f.get("url", ""), f.get("token", ""))}
        except UsageError as e:
            return {"usage_error": e.issues[0].path if e.issues else None}
    raise AssertionError(f"unknown check {check!r}")


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_auth_fixture(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    f = json.loads(path.read_text(encoding="utf-8"))
    caplog.set_level("DEBUG", logger="oneinbox_webhooks")
    assert run(f, caplog) == f["expect"]


def test_auth_fixture_coverage() -> None:
    assert len(FIXTURES) >= 30


SW = VECTORS["standard_webhooks"]


@pytest.mark.parametrize("v", SW, ids=[v["name"] for v in SW])
def test_standard_webhooks_vector(v: dict[str, Any]) -> None:
    headers = {
        "webhook-id": v["msg_id"],
        "webhook-timestamp": str(v["timestamp"]),
        "webhook-signature": v["signature_header"],
    }
    got = verify_signature(
        headers, v["payload"].encode(), [v["secret"]], now=v.get("now", v["timestamp"])
    )
    assert got.ok == (v["expect"] == "valid"), got


SP = VECTORS["secret_parsing"]


@pytest.mark.parametrize("case", SP, ids=[f"secret_parsing_{i}" for i in range(len(SP))])
def test_secret_parsing(case: dict[str, Any]) -> None:
    secret = case["secret"]
    try:
        sign(secret, "msg_1", 0, b"")
        refused = False
    except UsageError as e:
        refused = True
        assert not (len(secret) > 6 and secret in f"{e} {e!r}")
    assert refused == (case["expect"] == "construction_error")


# ---- the Python surface -------------------------------------------------------------------


def signed_headers(ts: int = 1_780_000_000, secret: str = WHSEC) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, "msg_1", ts, BODY),
    }


class _ItemsOnly:
    """Like Werkzeug's Headers: not a dict, iterable pairs through items()."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


def test_headers_in_every_form() -> None:
    h = signed_headers()
    pairs = list(h.items())
    forms: list[Any] = [
        h,
        pairs,
        tuple(pairs),
        _ItemsOnly(pairs),
        {k.upper(): v for k, v in h.items()},
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs],
    ]
    for form in forms:
        v = verify_signature(form, BODY, [WHSEC], now=1_780_000_000)
        assert (v.ok, v.code, v.matched_secret) == (True, "ok", 0)
    # http.client.HTTPMessage / email.message.Message, as http.server and urllib give them
    import email.message

    msg = email.message.Message()
    for k, val in pairs:
        msg[k] = val
    assert verify_signature(msg, BODY, [WHSEC], now=1_780_000_000).ok
    # repeated headers stay repeated (and are refused as ambiguous)
    dup = [*pairs, ("Webhook-Signature", h["webhook-signature"])]
    assert (
        verify_signature(_ItemsOnly(dup), BODY, [WHSEC], now=1_780_000_000).code == "invalid_header"
    )


@pytest.mark.parametrize("bad", ["webhook-id: x", b"x", [("a",)], [("a", "b", "c")], [(1, "b")], 5])
def test_bad_headers_are_type_errors(bad: Any) -> None:
    with pytest.raises(TypeError):
        verify_signature(bad, BODY, [WHSEC], now=0)


def test_now_defaults_to_the_current_time() -> None:
    now = int(time.time())
    assert verify_signature(signed_headers(now), BODY, [WHSEC]).ok
    assert verify_signature(signed_headers(now - 3600), BODY, [WHSEC]).code == "timestamp_too_old"
    assert verify_signature(signed_headers(now - 3600), BODY, [WHSEC], tolerance=7200).ok
    with pytest.raises(UsageError):
        verify_signature(signed_headers(now), BODY, [WHSEC], tolerance=-1)


def test_secret_objects_are_accepted_and_single_strings_refused() -> None:
    assert verify_signature(signed_headers(), BODY, [Secret(WHSEC)], now=1_780_000_000).ok
    assert sign(Secret(WHSEC), "msg_1", 1, BODY) == sign(WHSEC, "msg_1", 1, BODY)
    with pytest.raises(TypeError, match=r"\[secret\]"):
        verify_signature(signed_headers(), BODY, WHSEC, now=1_780_000_000)
    with pytest.raises(TypeError):
        verify_url_token("/h?token=t", "t")


def test_rotation_reports_the_matching_index() -> None:
    other = "whsec_" + base64.b64encode(b"another key of some length").decode()
    v = verify_signature(signed_headers(), BODY, [other, WHSEC], now=1_780_000_000)
    assert (v.ok, v.matched_secret) == (True, 1)
    assert verify_url_token("https://x/h?a=1&token=t2", ["t1", "t2"]).matched_secret == 1


def test_verification_value_semantics() -> None:
    v = verify_url_token("/h", ["t"])
    assert repr(v) == "Verification(ok=False, code='missing_token', matched_secret=None)"
    assert v == verify_url_token("/h?x=1", ["t"])
    assert hash(v) == hash(verify_url_token("/h?x=1", ["t"]))
    assert pickle.loads(pickle.dumps(v)) == v
    match v:
        case Verification(ok=False, code="missing_token"):
            pass
        case _:
            raise AssertionError(v)


def test_new_url_token() -> None:
    tokens = {new_url_token() for _ in range(100)}
    assert len(tokens) == 100
    for t in tokens:
        assert len(t) == 43 and "=" not in t
        assert len(base64.urlsafe_b64decode(t + "=")) == 32
    t = new_url_token()
    url = add_url_token("https://example.com/hooks?x=1", t)
    assert verify_url_token(url, [t]).ok


def test_new_signing_secret_is_accepted_by_every_verifier() -> None:
    from oneinbox_webhooks._native import signing_secret_from_bytes

    made = {ow.new_signing_secret() for _ in range(50)}
    assert len(made) == 50
    for secret in made:
        assert secret.startswith("whsec_") and len(secret) == 50
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    secret = made.pop()
    ts = int(time.time())
    h = signed_headers(ts, secret)
    event = Receiver(signing_secrets=[secret]).receive(BODY, headers=h, now=ts)
    assert isinstance(event, CallStarted)
    assert verify_signature(h, BODY, [secret], now=ts).ok
    # The Standard Webhooks reference verifiers decode with padding required, as here.
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    mac = hmac.new(key, f"{h['webhook-id']}.{ts}.".encode() + BODY, hashlib.sha256).digest()
    assert h["webhook-signature"] == "v1," + base64.b64encode(mac).decode("ascii")
    # The format rule is the core's: standard base64 of the 32 bytes, padded.
    assert signing_secret_from_bytes(bytes(range(32))) == "whsec_" + base64.b64encode(
        bytes(range(32))
    ).decode("ascii")
    with pytest.raises(ValueError, match="needs 32 bytes, got 31"):
        signing_secret_from_bytes(bytes(31))


def test_receiver_token_then_signature_then_body() -> None:
    token = new_url_token()
    r = Receiver(url_tokens=[token], signing_secrets=[WHSEC])
    h = signed_headers()
    url = f"/hooks?token={token}"
    event = r.receive(BODY, headers=h, url=url, now=1_780_000_000)
    assert isinstance(event, CallStarted) and event.call_id == "call_1"
    for kwargs, code in [
        ({"headers": h, "url": "/hooks"}, "missing_token"),
        ({"headers": h}, "missing_token"),
        ({"headers": h, "url": "/hooks?token=guess"}, "token_mismatch"),
        ({"url": url}, "missing_header"),
        ({"headers": signed_headers(1), "url": url}, "timestamp_too_old"),
    ]:
        with pytest.raises(AuthenticationError) as e:
            r.receive(BODY, now=1_780_000_000, **kwargs)
        assert isinstance(e.value, OneInboxError) and not isinstance(e.value, ValueError)
        assert e.value.verification.code == code and not e.value.verification.ok
        assert str(e.value) == f"delivery not authenticated: {code}"
        assert token not in f"{e.value!r} {e.value.verification!r}"
        again = pickle.loads(pickle.dumps(e.value))
        assert again.verification == e.value.verification
    # authenticated but not an event: ValidationError, not AuthenticationError
    bad = b'{"event":"call.started"}'
    hb = {**h, "webhook-signature": sign(WHSEC, "msg_1", 1_780_000_000, bad)}
    with pytest.raises(ValidationError):
        r.receive(bad, headers=hb, url=url, now=1_780_000_000)
    # the signature is over the raw bytes: re-serialized JSON does not verify
    reser = json.dumps(json.loads(BODY)).encode()
    with pytest.raises(AuthenticationError) as e:
        r.receive(reser, headers=h, url=url, now=1_780_000_000)
    assert e.value.verification.code == "no_matching_signature"


def test_receiver_options_and_defaults() -> None:
    r = Receiver(url_tokens=["t"], strict=True, max_body_bytes=10)
    with pytest.raises(ValidationError) as e:
        r.receive(BODY, url="/h?token=t")
    assert e.value.issues[0].code == "too_large"
    open_ = Receiver(allow_unauthenticated=True)  # nothing configured, on purpose: parse only
    assert isinstance(open_.receive(BODY), CallStarted)
    with pytest.raises(TypeError):
        Receiver(["t"])  # type: ignore[misc]
    with pytest.raises(UsageError) as u:
        Receiver(url_tokens=[])
    assert u.value.issues[0].path == "/url_tokens"
    with pytest.raises(UsageError) as u:
        Receiver(signing_secrets=["whsec_!!!top-secret-but-not-base64!!!"])
    assert "top-secret" not in f"{u.value} {u.value!r}"
    with pytest.raises(TypeError, match="receive"):
        open_.receive({"event": "call.started"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "secret_args",
    [
        {"url_tokens": ["tok_TOPSECRET_1"]},
        {"signing_secrets": [WHSEC]},
        {"url_tokens": ["tok_TOPSECRET_1", "tok_TOPSECRET_2"], "signing_secrets": [WHSEC]},
    ],
)
def test_secrets_never_in_repr_str_or_errors(secret_args: dict[str, Any]) -> None:
    r = Receiver(**secret_args)
    text = f"{r!r} {r}"
    for s in ["TOPSECRET", "MfKQ9r8"]:
        assert s not in text, text
    assert "redacted" in text
    try:
        r.receive(BODY, headers={"webhook-signature": "v1,xx"}, url="/h?token=nope", now=0)
    except AuthenticationError as e:
        errtext = f"{e} {e!r} {e.verification!r} {e.args!r}"
        assert "TOPSECRET" not in errtext and "MfKQ9r8" not in errtext
    with pytest.raises(UsageError) as u:
        verify_url_token("/h?token=TOPSECRET", ["ok", ""])
    assert "TOPSECRET" not in f"{u.value} {u.value!r}"


def test_bodies_of_every_type() -> None:
    ts = 1_780_000_000
    h = signed_headers(ts)
    for body in [BODY, bytearray(BODY), memoryview(BODY), BODY.decode()]:
        assert verify_signature(h, body, [WHSEC], now=ts).ok
        assert isinstance(
            Receiver(signing_secrets=[WHSEC]).receive(body, headers=h, now=ts), CallStarted
        )


def test_exports() -> None:
    for name in [
        "Verification",
        "Receiver",
        "AuthenticationError",
        "add_url_token",
        "verify_url_token",
        "verify_signature",
        "sign",
        "new_url_token",
        "new_signing_secret",
        "UrlTokenFilter",
        "redact_access_logs",
    ]:
        assert name in ow.__all__
    assert ow.DEFAULT_TOLERANCE_SECONDS == 300


def test_a_secret_with_a_lone_surrogate_is_refused_not_altered() -> None:
    import oneinbox_webhooks as ow

    with pytest.raises(UnicodeEncodeError):
        ow.verify_url_token("/h?token=x", ["tok\ud800"])


def test_receiver_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    """No secrets is a UsageError naming both options; an unset environment variable (None) is
    one too, even with allow_unauthenticated; allowing an open receiver logs one WARNING."""
    caplog.set_level("DEBUG", logger="oneinbox_webhooks")
    with pytest.raises(UsageError) as u:
        Receiver()
    assert [(i.code, i.path) for i in u.value.issues] == [("missing_field", "/url_tokens")]
    assert "url_tokens" in str(u.value) and "signing_secrets" in str(u.value)
    assert "allow_unauthenticated" in str(u.value)
    for bad in ([None], [""], ["ok", None]):
        with pytest.raises(UsageError) as u:
            Receiver(url_tokens=bad, allow_unauthenticated=True)  # type: ignore[arg-type]
        assert u.value.issues[0].path.startswith("/url_tokens/")
    assert caplog.records == []
    r = Receiver(allow_unauthenticated=True)
    got = [(rec.levelname, rec.name) for rec in caplog.records]
    assert got == [("WARNING", "oneinbox_webhooks")]
    assert "allow_unauthenticated" in caplog.records[0].getMessage()
    assert isinstance(r.receive(BODY, url="/h"), CallStarted)
    caplog.clear()
    Receiver(url_tokens=["t"], allow_unauthenticated=True)  # a secret: nothing is open, no warning
    assert caplog.records == []
