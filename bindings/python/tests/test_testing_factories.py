"""oneinbox_webhooks.testing: make_event, make_call and make_delivery (over the core's testing
module), checked by the package's own parser and Receiver."""

from __future__ import annotations

import json
import time

import pytest

from oneinbox_webhooks import (
    AuthenticationError,
    CallEnded,
    Receiver,
    Secret,
    TranscriptFinal,
    UsageError,
    parse_event,
    sign,
    verify_signature,
)
from oneinbox_webhooks.router import KNOWN_EVENTS
from oneinbox_webhooks.testing import (
    CALL_SEQUENCE,
    Delivery,
    make_call,
    make_delivery,
    make_event,
)

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "tok_do_not_log_me_0123456789"


@pytest.mark.parametrize("name", KNOWN_EVENTS)
def test_every_event_is_strict_valid(name: str) -> None:
    body = make_event(name)
    assert isinstance(body, bytes)
    event = parse_event(body, strict=True)
    assert event.event == name and event.call_id


def test_overrides_by_wire_name() -> None:
    body = make_event("call.ended", call_id="call_1", outcome="Not Interested", extra_member=1)
    event = parse_event(body)
    assert isinstance(event, CallEnded)
    assert (event.call_id, event.outcome, event.extra) == (
        "call_1",
        "Not Interested",
        {"extra_member": 1},
    )
    messages = [{"role": "user", "content": "hi"}]
    final = parse_event(make_event("transcript.final", messages=messages))
    assert isinstance(final, TranscriptFinal) and final.messages[0].content == "hi"
    assert json.loads(make_event("call.failed", reason=None))["reason"] is None


def test_unknown_event_names_and_bad_overrides() -> None:
    with pytest.raises(UsageError) as e:
        make_event("call.exploded")
    assert [i.path for i in e.value.issues] == ["/event"]
    with pytest.raises(UsageError):
        make_event("call.ended", duration_seconds=float("nan"))


def test_make_call() -> None:
    bodies = make_call("call_abc")
    events = [parse_event(b, strict=True) for b in bodies]
    assert tuple(e.event for e in events) == CALL_SEQUENCE
    assert {e.call_id for e in events} == {"call_abc"}
    fresh = {parse_event(make_call()[0]).call_id for _ in range(3)}
    assert len(fresh) == 3 and all(c.startswith("call_") for c in fresh)


def test_a_receiver_with_the_same_secrets_accepts_the_delivery() -> None:
    body = make_event("call.ended", call_id="call_1")
    delivery = make_delivery(
        body, url="https://example.com/hooks", url_token=TOKEN, signing_secret=WHSEC
    )
    assert isinstance(delivery, Delivery) and delivery.body == body
    assert delivery.url == f"https://example.com/hooks?token={TOKEN}"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["webhook-id"].startswith("msg_")
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 60
    assert delivery.event == "call.ended"
    receiver = Receiver(url_tokens=[TOKEN], signing_secrets=[WHSEC], strict=True)
    event = receiver.receive(delivery.body, headers=delivery.headers, url=delivery.url)
    assert isinstance(event, CallEnded) and event.call_id == "call_1"
    # and not one with other secrets
    with pytest.raises(AuthenticationError) as e:
        Receiver(url_tokens=["other"]).receive(delivery.body, url=delivery.url)
    assert e.value.verification.code == "token_mismatch"
    other = "whsec_" + "A" * 32
    with pytest.raises(AuthenticationError) as e:
        Receiver(signing_secrets=[other]).receive(delivery.body, headers=delivery.headers)
    assert e.value.verification.code == "no_matching_signature"


def test_fixed_id_and_timestamp_sign_as_sign_does() -> None:
    body = make_event("call.started")
    delivery = make_delivery(
        body, url="https://e.com/h", signing_secret=Secret(WHSEC), msg_id="msg_1", timestamp=1700
    )
    assert delivery.headers == {
        "content-type": "application/json",
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700",
        "webhook-signature": sign(WHSEC, "msg_1", 1700, body),
    }
    assert delivery.url == "https://e.com/h"
    assert verify_signature(delivery.headers, body, [WHSEC], now=1700).ok
    plain = make_delivery(body, url="https://e.com/h")
    assert plain.headers == {"content-type": "application/json"}


def test_delivery_repr_hides_the_token() -> None:
    delivery = make_delivery(b"{}", url="https://e.com/h", url_token=Secret(TOKEN))
    assert TOKEN in delivery.url
    assert TOKEN not in repr(delivery) and "token=[redacted]" in repr(delivery)
    assert delivery.event is None
    with pytest.raises(AttributeError):
        delivery.url = "x"  # type: ignore[misc]


def test_a_bad_signing_secret_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as e:
        make_delivery(b"{}", url="https://e.com/h", signing_secret="whsec_!!notbase64SECRETXYZ")
    assert "SECRETXYZ" not in f"{e.value} {e.value!r}"
