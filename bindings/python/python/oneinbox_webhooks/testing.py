"""Test your webhook handler and your management code without OneInbox.

Deliveries, as OneInbox makes them (the bodies come from the core, so they are exactly the
guide's payloads and valid in strict mode)::

    from oneinbox_webhooks.testing import make_call, make_delivery, make_event

    body = make_event("call.ended", call_id="call_1", outcome="Not Interested")
    delivery = make_delivery(body, url="https://example.com/hook", url_token=token,
                             signing_secret="whsec_...")
    response = test_client.post(delivery.url, content=delivery.body, headers=delivery.headers)

    for body in make_call():  # the events of one connected call, in the order they are sent
        ...

A fake OneInbox management API, in memory, with state and the real answers::

    from oneinbox_webhooks.testing import FakeOneInbox

    fake = FakeOneInbox()
    with fake.client() as client:  # a Client whose requests go to the fake, without a socket
        hook = client.create_webhook(name="n", url="https://example.com/h", events=["call.ended"])
        fake.fail_next(502)  # the next answer is a 502
        client.list_webhooks()  # retried: the fake answers 502, then the list
    assert fake.sleeps == [...] and len(fake.webhooks) == 1

    url = fake.serve()  # or over HTTP on a loopback port, for any client
    ...
    fake.close()

The fake checks request bodies with the core's own argument rules (the ``Api`` builders) and
answers a bad one with a FastAPI-style 422; an unknown id gets 404 ``{"detail": "Webhook not
found"}``, a missing or wrong API key 401.
"""

from __future__ import annotations

import json
import secrets as _secrets
import time
from dataclasses import dataclass
from typing import Any, Optional, Union

from . import _native
from ._fake import FakeOneInbox, FakeResponse, RecordedRequest
from ._native import Secret, redact_url_token
from ._play import Faults

__all__ = [
    "CALL_SEQUENCE",
    "Delivery",
    "FakeOneInbox",
    "FakeResponse",
    "Faults",
    "RecordedRequest",
    "make_call",
    "make_delivery",
    "make_event",
]


CALL_SEQUENCE: tuple[str, ...] = tuple(_native.CALL_SEQUENCE)
"""The events ``make_call`` gives, in order: those of one connected call."""


# ---- factories ----------------------------------------------------------------------------


def make_event(event: str, **overrides: Any) -> bytes:
    """The body of one ``event`` delivery: the guide's payload for it (valid in strict mode),
    with ``overrides`` set by wire name (``call_id="call_1"``, ``outcome=None``, a new member).
    ``UsageError`` for a name that is not one of the seven documented events."""
    return _native.make_event(event, overrides or None)


def make_call(call_id: Optional[str] = None) -> list[bytes]:
    """The bodies of one connected call's deliveries (``CALL_SEQUENCE``), all with ``call_id``
    (a new ``call_…`` id when ``None``)."""
    return _native.make_call(call_id if call_id is not None else _new_id("call"))


@dataclass(frozen=True, repr=False)
class Delivery:
    """One delivery as OneInbox makes it: POST ``body`` to ``url`` with ``headers``.

    ``headers`` has ``content-type: application/json`` and, for a signed delivery, the Standard
    Webhooks ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``; ``url`` carries
    the URL token when there is one (its ``repr`` does not).
    """

    body: bytes
    headers: dict[str, str]
    url: str

    @property
    def event(self) -> Optional[str]:
        """The body's ``event`` name (``None`` if the body has none)."""
        try:
            name = json.loads(self.body).get("event")
        except (ValueError, AttributeError):
            return None
        return name if isinstance(name, str) else None

    def __repr__(self) -> str:
        return (
            f"Delivery(url={redact_url_token(self.url)!r}, headers={self.headers!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


def make_delivery(
    body: Union[bytes, str],
    *,
    url: str,
    url_token: Union[str, Secret, None] = None,
    signing_secret: Union[str, Secret, None] = None,
    msg_id: Optional[str] = None,
    timestamp: Optional[int] = None,
) -> Delivery:
    """The delivery of ``body`` to ``url`` that a ``Receiver(url_tokens=[url_token],
    signing_secrets=[signing_secret])`` accepts: the token added to the URL, and the body signed
    (Standard Webhooks) when a signing secret is given. ``msg_id`` defaults to a new ``msg_…``
    id, ``timestamp`` to now (Unix seconds)."""
    raw, headers, full_url = _native.make_delivery(
        body,
        url,
        _expose(url_token),
        _expose(signing_secret),
        msg_id if msg_id is not None else _new_id("msg"),
        timestamp if timestamp is not None else int(time.time()),
    )
    return Delivery(raw, dict(headers), full_url)


def _expose(secret: Union[str, Secret, None]) -> Optional[str]:
    return secret.expose() if isinstance(secret, Secret) else secret


def _new_id(prefix: str) -> str:
    return f"{prefix}_{_secrets.token_hex(8)}"
