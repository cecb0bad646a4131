"""``Event``: every class ``parse_event`` can return, written once for the package's modules."""

from __future__ import annotations

from typing import Union

from ._native import (
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    TranscriptFinal,
    TranscriptPartial,
    UnknownEvent,
)

__all__ = ["Event"]

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
