# Hand-written stub of the native module; `python -m mypy.stubtest oneinbox_webhooks` checks
# it against the built module.
from typing import Any, ClassVar, Literal, Union, final

__all__ = [
    "OneInboxError",
    "ValidationError",
    "UsageError",
    "ApiError",
    "Issue",
    "parse_event",
    "_panic_for_tests",
    "CallStarted",
    "CallEnded",
    "CallAnalyzed",
    "CallFailed",
    "CallRecordingAvailable",
    "TranscriptPartial",
    "TranscriptFinal",
    "UnknownEvent",
    "Message",
    "Analysis",
    "__version__",
]

__version__: str

_IssueCode = Literal[
    "invalid_json",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "invalid_value",
    "unknown_event",
    "unknown_field",
    "duplicate_field",
    "too_large",
    "too_deep",
]

_Body = Union[bytes, bytearray, memoryview, str]

class OneInboxError(Exception):
    """Base class of every error raised by oneinbox_webhooks."""

class ValidationError(OneInboxError, ValueError):
    issues: list[Issue]
    def __init__(self, message: str, issues: list[Issue]) -> None: ...

class UsageError(OneInboxError, ValueError):
    issues: list[Issue]
    def __init__(self, message: str, issues: list[Issue]) -> None: ...

class ApiError(OneInboxError):
    status: int
    message: str
    details: Any
    retryable: bool
    def __init__(
        self, status: int, message: str, details: Any = None, retryable: bool = False
    ) -> None: ...

@final
class Issue:
    __match_args__: ClassVar[tuple[str, ...]]
    def __new__(cls, code: str, path: str, message: str) -> Issue: ...
    @property
    def code(self) -> _IssueCode: ...
    @property
    def path(self) -> str: ...
    @property
    def message(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __repr__(self) -> str: ...

@final
class Message:
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def role(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Analysis:
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def summary(self) -> str | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def extracted_data(self) -> dict[str, Any] | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallStarted:
    event: ClassVar[Literal["call.started"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def to_number(self) -> str | None: ...
    @property
    def from_number(self) -> str | None: ...
    @property
    def created_at(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallEnded:
    event: ClassVar[Literal["call.ended"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def status(self) -> str | None: ...
    @property
    def duration_seconds(self) -> int | float | None: ...
    @property
    def to_number(self) -> str | None: ...
    @property
    def from_number(self) -> str | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def ai_summary(self) -> str | None: ...
    @property
    def analysis(self) -> Analysis | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallAnalyzed:
    event: ClassVar[Literal["call.analyzed"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def ai_summary(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallFailed:
    event: ClassVar[Literal["call.failed"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def to_number(self) -> str | None: ...
    @property
    def from_number(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallRecordingAvailable:
    event: ClassVar[Literal["call.recording.available"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def recording_url(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TranscriptPartial:
    event: ClassVar[Literal["transcript.partial"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def messages(self) -> list[Message]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TranscriptFinal:
    event: ClassVar[Literal["transcript.final"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str: ...
    @property
    def messages(self) -> list[Message]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class UnknownEvent:
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def event(self) -> str: ...
    @property
    def call_id(self) -> str: ...
    @property
    def extra(self) -> dict[str, Any]:
        """The whole payload, ``event`` and ``call_id`` included."""
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

def parse_event(
    body: _Body,
    *,
    strict: bool = False,
    max_body_bytes: int = 1048576,
    max_depth: int = 64,
) -> Union[
    CallStarted,
    CallEnded,
    CallAnalyzed,
    CallFailed,
    CallRecordingAvailable,
    TranscriptPartial,
    TranscriptFinal,
    UnknownEvent,
]: ...

def _panic_for_tests() -> None:
    """Panics inside the binding's guard; raises ``OneInboxError`` (for the tests)."""
