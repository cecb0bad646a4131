"""Smoke test of an installed oneinbox-webhooks, run by `just test-dist` (and the release
workflow) in a fresh venv holding only what pip installed: the distribution is the expected
one, and the package parses, authenticates and builds a management request.

Usage: python smoke.py [--wheel-tag TAG]... [--built-from-sdist]
  --wheel-tag TAG     every tag of the installed wheel must start with TAG (repeat: one of
                      them), e.g. cp310-abi3-manylinux; default: cp310-abi3- on CPython 3.10
                      and later, else cp39-abi3-
  --built-from-sdist  the wheel was built here from the sdist: cp39-abi3-, any platform
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib.metadata
import json
import sys

import oneinbox_webhooks as ow

parser = argparse.ArgumentParser()
parser.add_argument("--wheel-tag", action="append", default=[])
parser.add_argument("--built-from-sdist", action="store_true")
args = parser.parse_args()

# The wheel pip chose: cp310-abi3 wherever CPython is 3.10 or later (pip prefers it over
# cp39-abi3), cp39-abi3 before; manylinux/musllinux/macOS/Windows per the runner.
want = args.wheel_tag or ["cp310-abi3-" if sys.version_info >= (3, 10) else "cp39-abi3-"]
if args.built_from_sdist:
    want = ["cp39-abi3-"]
dist = importlib.metadata.distribution("oneinbox-webhooks")
wheel = dist.read_text("WHEEL") or ""
tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
assert tags and all(any(t.startswith(w) for w in want) for t in tags), (tags, want)
assert dist.version == ow.__version__, (dist.version, ow.__version__)
print(f"installed {dist.version}: {', '.join(tags)}")

# Parse: a valid event becomes its class; an invalid one lists every issue.
event = ow.parse_event(b'{"event":"call.ended","call_id":"call_1","duration_seconds":42}')
assert isinstance(event, ow.CallEnded), event
assert (event.call_id, event.duration_seconds) == ("call_1", 42), event.to_dict()
try:
    ow.parse_event(b'{"event":"call.failed","reason":7}')
except ow.ValidationError as e:
    assert sorted(i.path for i in e.issues) == ["/call_id", "/reason"], e.issues
else:
    raise AssertionError("an invalid call.failed was accepted")

# Authenticate: a Standard Webhooks signature computed here with the standard library is the
# one sign() makes, and Receiver accepts the delivery it signs and refuses a changed body.
key = bytes(range(32))
secret = "whsec_" + base64.b64encode(key).decode()
body = b'{"event":"call.started","call_id":"call_2"}'
msg_id, ts = "msg_1", 1_780_000_000
mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
signature = "v1," + base64.b64encode(mac).decode()
assert ow.sign(secret, msg_id, ts, body) == signature
headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}
receiver = ow.Receiver(signing_secrets=[secret])
received = receiver.receive(body, headers=headers, now=ts)
assert isinstance(received, ow.CallStarted) and received.call_id == "call_2", received
try:
    receiver.receive(body.replace(b"call_2", b"call_3"), headers=headers, now=ts)
except ow.AuthenticationError as e:
    assert e.verification.code == "no_matching_signature", e.verification
else:
    raise AssertionError("a changed body was accepted")
token = "tok_" + "a" * 32
url = ow.add_url_token("https://example.com/hooks/oneinbox", token)
assert ow.Receiver(url_tokens=[token]).receive(body, url=url).call_id == "call_2"

# Build a management request and read its answer.
api = ow.Api("oi_sk_test_smoke")
assert "oi_sk_test_smoke" not in repr(api)
prepared = api.create_webhook(name="Smoke", url="https://example.com/hooks", events=["call.ended"])
assert (prepared.method, prepared.url) == ("POST", "https://api.oneinbox.ai/v1/webhooks")
assert prepared.headers["Authorization"] == "Bearer oi_sk_test_smoke", prepared.headers
assert json.loads(prepared.body or b"") == {
    "name": "Smoke",
    "url": "https://example.com/hooks",
    "events": ["call.ended"],
}
webhook = prepared.parse_response(201, b'{"id":"wh_1","name":"Smoke","events":["call.ended"]}')
assert webhook.id == "wh_1", webhook
try:
    prepared.parse_response(429, b'{"error":"slow down"}')
except ow.ApiError as e:
    assert (e.status, e.retryable) == (429, True), e
else:
    raise AssertionError("a 429 was success")
print("smoke: parses, authenticates, builds requests")
