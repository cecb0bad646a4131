# Partly generated: the blocks between @generated lines are written by `just generate`.
# The rest is the hand-written stub of the native module; `python -m mypy.stubtest
# oneinbox_webhooks` checks it against the built module.
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, Literal, Optional, Protocol, TypeVar, Union, final

from typing_extensions import TypeAlias

__all__ = [
    "CALL_SEQUENCE",
    "DEFAULT_BASE_URL",
    "DEFAULT_TOLERANCE_SECONDS",
    "MAX_DEPTH_CEILING",
    "Api",
    "ApiError",
    "Applied",
    "AuthenticationError",
    "Call",
    "CallRecord",
    "Delivery",
    "DeliveryPage",
    "Issue",
    "Ledger",
    "OneInboxError",
    "PreparedRequest",
    "Receiver",
    "Secret",
    "UnknownEvent",
    "UsageError",
    "ValidationError",
    "Verification",
    "Webhook",
    "__version__",
    "_panic_for_tests",
    "_verification",
    "add_url_token",
    "dedupe_key",
    "make_call",
    "make_delivery",
    "make_event",
    "parse_event",
    "redact_url_token",
    "retry_after",
    "sign",
    "verify_signature",
    "verify_url_token",
]

__version__: str

_IssueCode: TypeAlias = Literal[
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

_Body: TypeAlias = Union[bytes, bytearray, memoryview, str]

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

class AuthenticationError(OneInboxError):
    """A delivery did not authenticate; ``verification.code`` says why."""

    verification: Verification
    def __init__(self, verification: Verification) -> None: ...

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

# @generated begin: event classes (just generate, from crates/oneinbox-webhooks/src/contract.rs)
@final
class Analysis:
    """The ``analysis`` object of ``call.ended``.

    The guide shows ``{ "summary": ... }``; the API's call record also documents ``outcome``
    and ``extracted_data``. Strict mode requires ``summary`` and allows those two; lenient
    mode keeps any other member in ``extra``."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def summary(self) -> str | None:
        """The summary of the call."""
    @property
    def outcome(self) -> str | None:
        """The outcome, when the analysis carries one. May be absent or null in strict mode too."""
    @property
    def extracted_data(self) -> dict[str, Any] | None:
        """Data extracted by the agent's tools, keyed by tool name. May be absent or null in
        strict mode too."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Message:
    """One turn of a conversation."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def role(self) -> str | None:
        """Who spoke: ``agent`` or ``user`` (other values are kept as sent in lenient mode)."""
    @property
    def content(self) -> str | None:
        """What was said."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallStarted:
    """``call.started``: the call connected and the agent began the session."""

    event: ClassVar[Literal["call.started"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this event belongs to (a non-empty string)."""
    @property
    def agent_id(self) -> str | None:
        """The agent handling the call."""
    @property
    def to_number(self) -> str | None:
        """The called number (E.164)."""
    @property
    def from_number(self) -> str | None:
        """The calling number (E.164)."""
    @property
    def created_at(self) -> str | None:
        """When the call started, an RFC 3339 date-time such as ``2026-06-01T10:00:00Z``."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallEnded:
    """``call.ended``: the call ended (agent or caller hung up). Carries the outcome and summary."""

    event: ClassVar[Literal["call.ended"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this event belongs to (a non-empty string)."""
    @property
    def agent_id(self) -> str | None:
        """The agent that handled the call."""
    @property
    def status(self) -> str | None:
        """The call status, e.g. ``completed``; unknown values are kept as sent."""
    @property
    def duration_seconds(self) -> int | float | None:
        """How long the call lasted, in seconds (an integer or a number on the wire)."""
    @property
    def to_number(self) -> str | None:
        """The called number (E.164)."""
    @property
    def from_number(self) -> str | None:
        """The calling number (E.164)."""
    @property
    def outcome(self) -> str | None:
        """The call outcome, e.g. ``Appointment Booked``; unknown values are kept as sent."""
    @property
    def ai_summary(self) -> str | None:
        """The AI-written summary of the call."""
    @property
    def analysis(self) -> Analysis | None:
        """The call analysis."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallAnalyzed:
    """``call.analyzed``: the AI analysis (summary, outcome) is ready after the call."""

    event: ClassVar[Literal["call.analyzed"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this event belongs to (a non-empty string)."""
    @property
    def agent_id(self) -> str | None:
        """The agent that handled the call."""
    @property
    def outcome(self) -> str | None:
        """The call outcome; unknown values are kept as sent."""
    @property
    def ai_summary(self) -> str | None:
        """The AI-written summary of the call."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallFailed:
    """``call.failed``: the call failed to connect."""

    event: ClassVar[Literal["call.failed"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this event belongs to (a non-empty string)."""
    @property
    def agent_id(self) -> str | None:
        """The agent that placed the call."""
    @property
    def to_number(self) -> str | None:
        """The called number (E.164)."""
    @property
    def from_number(self) -> str | None:
        """The calling number (E.164)."""
    @property
    def reason(self) -> str | None:
        """Why the call failed, e.g. ``no-answer``; unknown values are kept as sent."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CallRecordingAvailable:
    """``call.recording.available``: the recording is processed and ready."""

    event: ClassVar[Literal["call.recording.available"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this event belongs to (a non-empty string)."""
    @property
    def recording_url(self) -> str | None:
        """Where to fetch the recording (an ``https`` URL; it may be a signed URL that expires)."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TranscriptPartial:
    """``transcript.partial``: a partial transcript during a live call; later updates may change
    it."""

    event: ClassVar[Literal["transcript.partial"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this transcript belongs to (a non-empty string)."""
    @property
    def messages(self) -> list[Message]:
        """The conversation so far, in order."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TranscriptFinal:
    """``transcript.final``: the full transcript, sent after ``call.ended``."""

    event: ClassVar[Literal["transcript.final"]]
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def call_id(self) -> str:
        """The call this transcript belongs to (a non-empty string)."""
    @property
    def messages(self) -> list[Message]:
        """The whole conversation, in order."""
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

# Every class parse_event can return (the package exports it as ``Event``).
_Event: TypeAlias = Union[
    CallStarted,
    CallEnded,
    CallAnalyzed,
    CallFailed,
    CallRecordingAvailable,
    TranscriptPartial,
    TranscriptFinal,
    UnknownEvent,
]

__all__ += [
    "Analysis",
    "CallAnalyzed",
    "CallEnded",
    "CallFailed",
    "CallRecordingAvailable",
    "CallStarted",
    "Message",
    "TranscriptFinal",
    "TranscriptPartial",
]
# @generated end: event classes

def parse_event(
    body: _Body,
    *,
    strict: bool = False,
    max_body_bytes: int = 1048576,
    max_depth: int = 64,
) -> _Event: ...
def _panic_for_tests() -> None:
    """Panics inside the binding's guard; raises ``OneInboxError`` (for the tests)."""

# ---- call records -------------------------------------------------------------------------

_CallStatus: TypeAlias = Literal["in_progress", "completed", "failed", "unknown"]

MAX_DEPTH_CEILING: int
"""The deepest nesting any parse allows (the core's ``MAX_DEPTH_CEILING``)."""

def dedupe_key(event: _Event) -> str:
    """``"<event name>:<call_id>:<sha256 hex>"`` over the event's RFC 8785 canonical JSON."""

@final
class Applied:
    """What ``CallRecord.apply`` did."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def changed(self) -> bool: ...
    @property
    def ignored(self) -> str | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Ledger:
    """The deliveries seen and the records they fold into, in memory (``MemoryStore``'s)."""

    def __new__(cls) -> Ledger: ...
    def record(self, event: _Event) -> tuple[bool, CallRecord]:
        """Claims the delivery: whether it is new, and a copy of the call's record with it."""
    def get(self, call_id: str) -> CallRecord | None: ...
    def __len__(self) -> int: ...

@final
class CallRecord:
    """What is known about one call: the same for any order, repetition or merge of its events."""

    def __new__(cls, call_id: str) -> CallRecord: ...
    def apply(self, event: _Event) -> Applied: ...
    def merge(self, other: CallRecord) -> bool: ...
    def copy(self) -> CallRecord:
        """A new record equal to this one (changing either leaves the other as it is)."""
    def __copy__(self) -> CallRecord: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(data: _Body) -> CallRecord: ...
    def to_dict(self) -> dict[str, Any]: ...
    @property
    def call_id(self) -> str: ...
    @property
    def status(self) -> _CallStatus: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def to_number(self) -> str | None: ...
    @property
    def from_number(self) -> str | None: ...
    @property
    def started_at(self) -> str | None: ...
    @property
    def duration_seconds(self) -> int | float | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def ai_summary(self) -> str | None: ...
    @property
    def analysis(self) -> Analysis | None: ...
    @property
    def failure_reason(self) -> str | None: ...
    @property
    def recording_url(self) -> str | None: ...
    @property
    def transcript(self) -> list[Message] | None: ...
    @property
    def transcript_final(self) -> bool: ...
    @property
    def events_seen(self) -> list[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

# ---- management -------------------------------------------------------------------------

DEFAULT_BASE_URL: str

_T = TypeVar("_T", covariant=True)

@final
class Secret:
    """A webhook signing secret; ``repr``/``str`` are redacted, ``expose()`` gives the string."""

    def __new__(cls, secret: str) -> Secret: ...
    def expose(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Webhook:
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def url(self) -> Optional[str]: ...
    @property
    def events(self) -> Optional[list[str]]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def secret(self) -> Optional[Secret]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def updated_at(self) -> Optional[str]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Delivery:
    @property
    def id(self) -> str: ...
    @property
    def webhook_id(self) -> Optional[str]: ...
    @property
    def event(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def attempt(self) -> Optional[int]: ...
    @property
    def response_status(self) -> Optional[int]: ...
    @property
    def response_body(self) -> Optional[str]: ...
    @property
    def error(self) -> Optional[str]: ...
    @property
    def next_retry_at(self) -> Optional[str]: ...
    @property
    def completed_at(self) -> Optional[str]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class DeliveryPage:
    @property
    def items(self) -> list[Delivery]: ...
    @property
    def total(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Call:
    @property
    def id(self) -> str: ...
    @property
    def agent_id(self) -> Optional[str]: ...
    @property
    def type(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def direction(self) -> Optional[str]: ...
    @property
    def from_number(self) -> Optional[str]: ...
    @property
    def to_number(self) -> Optional[str]: ...
    @property
    def room_name(self) -> Optional[str]: ...
    @property
    def scheduled_at(self) -> Optional[str]: ...
    @property
    def variables(self) -> Optional[dict[str, Any]]: ...
    @property
    def started_at(self) -> Optional[str]: ...
    @property
    def ended_at(self) -> Optional[str]: ...
    @property
    def duration_seconds(self) -> Optional[Union[int, float]]: ...
    @property
    def end_reason(self) -> Optional[str]: ...
    @property
    def transcript(self) -> Any: ...
    @property
    def messages(self) -> Optional[list[Any]]: ...
    @property
    def recording_url(self) -> Optional[str]: ...
    @property
    def analysis(self) -> Optional[dict[str, Any]]: ...
    @property
    def latency(self) -> Optional[dict[str, Any]]: ...
    @property
    def cost_cents(self) -> Optional[Union[int, float]]: ...
    @property
    def metadata(self) -> Optional[dict[str, Any]]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def updated_at(self) -> Optional[str]: ...
    @property
    def twilio_call_sid(self) -> Optional[str]: ...
    @property
    def outcome(self) -> Optional[str]: ...
    @property
    def ai_summary(self) -> Optional[str]: ...
    @property
    def credits_used(self) -> Optional[Union[int, float]]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PreparedRequest(Generic[_T]):
    """A request to send with any HTTP client, and the parser of its response.

    Generic in what ``parse_response`` returns (``PreparedRequest[Webhook]`` and so on); the
    runtime class accepts the subscript too."""

    @property
    def method(self) -> Literal["GET", "POST", "PATCH", "DELETE"]: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> dict[str, str]:
        """A new dict each time; ``Authorization`` carries the API key."""
    @property
    def body(self) -> Optional[bytes]: ...
    @property
    def retry(self) -> Literal["idempotent", "creates_webhook", "creates_call"]:
        """``"idempotent"``: may be sent again after 408, 429, 5xx or a lost connection.
        ``"creates_webhook"`` / ``"creates_call"``: only after 429 or 503; after any other
        failure the webhook or call may exist already."""
    def parse_response(self, status: int, body: _Body) -> _T:
        """Raises ``ApiError`` (non-2xx) or ``ValidationError`` (a 2xx body that does not
        match)."""
    def next_page(
        self: PreparedRequest[DeliveryPage], page: DeliveryPage
    ) -> Optional[PreparedRequest[DeliveryPage]]: ...
    def __class_getitem__(cls, item: Any) -> Any: ...

@final
class Api:
    def __new__(cls, api_key: str, *, base_url: str = "https://api.oneinbox.ai") -> Api: ...
    @property
    def base_url(self) -> str: ...
    def create_webhook(
        self, *, name: str, url: str, events: list[str]
    ) -> PreparedRequest[Webhook]: ...
    def list_webhooks(self) -> PreparedRequest[list[Webhook]]: ...
    def update_webhook(
        self,
        webhook_id: str,
        *,
        name: Optional[str] = None,
        url: Optional[str] = None,
        events: Optional[list[str]] = None,
        status: Optional[str] = None,
    ) -> PreparedRequest[Webhook]: ...
    def delete_webhook(self, webhook_id: str) -> PreparedRequest[None]: ...
    def test_webhook(self, webhook_id: str) -> PreparedRequest[None]: ...
    def list_deliveries(
        self, webhook_id: str, *, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> PreparedRequest[DeliveryPage]: ...
    def create_call(
        self,
        *,
        agent_id: str,
        to_number: str,
        from_number: str,
        webhook_url: Optional[str] = None,
        variables: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> PreparedRequest[Call]: ...

# ---- authentication ---------------------------------------------------------------------

DEFAULT_TOLERANCE_SECONDS: int

class _ItemsHeaders(Protocol):
    def items(self) -> Iterable[tuple[Union[str, bytes], Union[str, bytes]]]: ...

_Headers: TypeAlias = Union[
    Mapping[str, str],
    _ItemsHeaders,
    Iterable[tuple[Union[str, bytes], Union[str, bytes]]],
]
_Secrets: TypeAlias = Iterable[Union[str, Secret]]

_VerificationCode: TypeAlias = Literal[
    "ok",
    "missing_token",
    "token_mismatch",
    "missing_header",
    "invalid_header",
    "invalid_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "no_matching_signature",
]

@final
class Verification:
    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def ok(self) -> bool: ...
    @property
    def code(self) -> _VerificationCode: ...
    @property
    def matched_secret(self) -> Optional[int]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class Receiver:
    def __new__(
        cls,
        *,
        url_tokens: Optional[_Secrets] = None,
        signing_secrets: Optional[_Secrets] = None,
        tolerance: int = 300,
        strict: bool = False,
        max_body_bytes: int = 1048576,
        max_depth: int = 64,
    ) -> Receiver: ...
    @property
    def max_body_bytes(self) -> int:
        """The largest body ``receive`` accepts, in bytes."""
    def receive(
        self,
        body: _Body,
        *,
        headers: Optional[_Headers] = None,
        url: Optional[str] = None,
        now: Optional[int] = None,
    ) -> _Event: ...

def retry_after(headers: _Headers, *, now: Optional[float] = None) -> Optional[float]: ...
def add_url_token(url: str, token: str) -> str: ...
def redact_url_token(text: str) -> str:
    """``text`` with every ``token=`` query value replaced by ``[redacted]`` (for logs)."""

def verify_url_token(request_url_or_query: str, secrets: _Secrets) -> Verification: ...
def verify_signature(
    headers: _Headers,
    body: _Body,
    secrets: _Secrets,
    *,
    now: Optional[int] = None,
    tolerance: int = 300,
) -> Verification: ...
def sign(secret: Union[str, Secret], msg_id: str, timestamp: int, body: _Body) -> str: ...
def _verification(ok: bool, code: str, matched_secret: Optional[int]) -> Verification: ...

# The core's `testing` module (wrapped by `oneinbox_webhooks.testing`).
CALL_SEQUENCE: list[str]

def make_event(event: str, overrides: Optional[Mapping[str, Any]] = None) -> bytes:
    """The guide's payload of ``event`` with ``overrides`` (wire names) set; ``UsageError``
    for an unknown event name."""

def make_call(call_id: str) -> list[bytes]:
    """The deliveries of one connected call (``CALL_SEQUENCE``), all with ``call_id``."""

def make_delivery(
    body: _Body,
    url: str,
    url_token: Optional[str],
    signing_secret: Optional[str],
    msg_id: str,
    timestamp: int,
) -> tuple[bytes, list[tuple[str, str]], str]:
    """``(body, headers, url)`` of the delivery OneInbox would make."""
