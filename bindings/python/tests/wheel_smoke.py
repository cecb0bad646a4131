"""Run by `just check-wheels` in a fresh venv holding only the wheel pip chose: the wheel is
the one this Python should get (cp310-abi3 on CPython 3.10 and later, cp39-abi3 before) and
the installed package parses an event and reports a bad one."""

from __future__ import annotations

import importlib.metadata
import sys

import oneinbox_webhooks as ow

want = "cp310-abi3" if sys.version_info >= (3, 10) else "cp39-abi3"
wheel = importlib.metadata.distribution("oneinbox-webhooks").read_text("WHEEL") or ""
tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
assert tags and all(t.startswith(want + "-") for t in tags), f"pip installed {tags}, want {want}"

event = ow.parse_event(b'{"event":"call.failed","call_id":"call_1","reason":"busy"}')
assert isinstance(event, ow.CallFailed) and event.reason == "busy", event
try:
    ow.parse_event(b'{"event":"call.failed"}')
except ow.ValidationError as e:
    assert [i.path for i in e.issues] == ["/call_id"], e.issues
else:
    raise AssertionError("a call.failed without call_id was accepted")
print(f"{want} wheel: installs, parses, reports")
