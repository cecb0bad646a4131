"""Typed, validated OneInbox webhook events.

``parse_event(body)`` turns a raw webhook body into one of the event classes below, or raises
``ValidationError`` listing every issue found::

    from oneinbox_webhooks import CallEnded, parse_event

    match parse_event(raw_body):
        case CallEnded(call_id=call_id, outcome=outcome):
            print(call_id, outcome)
"""

from typing import Union

from ._native import (
    Analysis,
    ApiError,
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    Issue,
    Message,
    OneInboxError,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
    UsageError,
    ValidationError,
    __version__,
    parse_event,
)

Event = Union[
    CallStarted,
    CallEnded,
    CallAnalyzed,
    CallFailed,
    CallRecordingAvailable,
    TranscriptPartial,
    TranscriptFinal,
    UnknownEvent,
]
"""Every class ``parse_event`` can return, for annotations."""

__all__ = [
    "Analysis",
    "ApiError",
    "CallAnalyzed",
    "CallEnded",
    "CallFailed",
    "CallRecordingAvailable",
    "CallStarted",
    "Event",
    "Issue",
    "Message",
    "OneInboxError",
    "TranscriptFinal",
    "TranscriptPartial",
    "UnknownEvent",
    "UsageError",
    "ValidationError",
    "__version__",
    "parse_event",
]
