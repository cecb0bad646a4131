# Partly generated: the blocks between @generated lines are written by `just generate`.
"""Typed, validated OneInbox webhook events.

``parse_event(body)`` turns a raw webhook body into one of the event classes below, or raises
``ValidationError`` listing every issue found::

    from oneinbox_webhooks import CallEnded, parse_event

    match parse_event(raw_body):
        case CallEnded(call_id=call_id, outcome=outcome):
            print(call_id, outcome)

``Receiver`` authenticates a delivery (secret URL token and/or Standard Webhooks signature)
before parsing it; ``Api`` builds management requests that any HTTP client can send.
``oneinbox_webhooks.client`` sends them with httpx (``Client``, ``AsyncClient``; the ``[httpx]``
extra), ``oneinbox_webhooks.testing`` fakes OneInbox for your tests (``FakeOneInbox``,
``make_event``, ``make_call``, ``make_delivery``), and ``python -m oneinbox_webhooks send``
plays a call's deliveries into a running receiver.
"""

import base64
import secrets as _secrets

from ._access_log import UrlTokenFilter, redact_access_logs

# @generated begin: event imports (just generate, from crates/oneinbox-webhooks/src/contract.rs)
from ._events import (
    Analysis,
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    Event,
    Message,
    TranscriptFinal,
    TranscriptPartial,
)

# @generated end: event imports
from ._native import (
    DEFAULT_BASE_URL,
    DEFAULT_TOLERANCE_SECONDS,
    Api,
    ApiError,
    Applied,
    AuthenticationError,
    Call,
    CallPage,
    CallRecord,
    Delivery,
    DeliveryPage,
    Diagnosis,
    Issue,
    Ledger,
    OneInboxError,
    PreparedRequest,
    Receiver,
    RetryStep,
    Secret,
    UnknownEvent,
    UsageError,
    ValidationError,
    Verification,
    Webhook,
    __version__,
    add_url_token,
    dedupe_key,
    diagnose,
    parse_event,
    redact_url_token,
    retry_after,
    sign,
    verify_signature,
    verify_url_token,
)
from ._native import signing_secret_from_bytes as _signing_secret_from_bytes
from .router import Router


def new_url_token() -> str:
    """A new secret URL token: 32 random bytes from ``secrets.token_bytes`` (the operating
    system's CSPRNG), base64url-encoded without padding (43 characters).

    Put it in your webhook URL with ``add_url_token(url, token)`` and check deliveries with
    ``Receiver(url_tokens=[token])`` or ``verify_url_token(request_url, [token])``.
    """
    return base64.urlsafe_b64encode(_secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def new_signing_secret() -> str:
    """A new Standard Webhooks signing secret for your tests and your own senders: ``whsec_``
    and 32 random bytes from ``secrets.token_bytes`` in base64 (the core's format, which every
    verifier accepts: ``Receiver(signing_secrets=[...])``, ``sign``, ``make_delivery``,
    ``send --signing-secret``).
    """
    return _signing_secret_from_bytes(_secrets.token_bytes(32))


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TOLERANCE_SECONDS",
    "Api",
    "ApiError",
    "Applied",
    "AuthenticationError",
    "Call",
    "CallPage",
    "CallRecord",
    "Delivery",
    "DeliveryPage",
    "Diagnosis",
    "Issue",
    "Ledger",
    "OneInboxError",
    "PreparedRequest",
    "Receiver",
    "RetryStep",
    "Router",
    "Secret",
    "UnknownEvent",
    "UrlTokenFilter",
    "UsageError",
    "ValidationError",
    "Verification",
    "Webhook",
    "__version__",
    "add_url_token",
    "dedupe_key",
    "diagnose",
    "new_signing_secret",
    "new_url_token",
    "parse_event",
    "redact_access_logs",
    "redact_url_token",
    "retry_after",
    "sign",
    "verify_signature",
    "verify_url_token",
]
# @generated begin: event exports (just generate, from crates/oneinbox-webhooks/src/contract.rs)
__all__ += [
    "Analysis",
    "CallAnalyzed",
    "CallEnded",
    "CallFailed",
    "CallRecordingAvailable",
    "CallStarted",
    "Event",
    "Message",
    "TranscriptFinal",
    "TranscriptPartial",
]
# @generated end: event exports
