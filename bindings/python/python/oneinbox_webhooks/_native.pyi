# Partly generated: the blocks between @generated lines are written by `just generate`.
# The rest is the hand-written stub of the native module; `python -m mypy.stubtest
# oneinbox_webhooks` checks it against the built module.
from collections.abc import Iterable, Mapping, Sequence
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    Optional,
    Protocol,
    TypeVar,
    Union,
    final,
    overload,
)

from typing_extensions import NotRequired, TypeAlias, TypedDict

__all__ = [
    "API_KEY_VAR",
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "BASE_URL_VAR",
    "CALL_SEQUENCE",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TOLERANCE_SECONDS",
    "INBOX_DEFAULT_LEASE_MS",
    "INBOX_DEFAULT_MAX_ATTEMPTS",
    "MAX_DEPTH_CEILING",
    "RECONCILE_DEFAULT_ENDED_AFTER_MS",
    "RECONCILE_DEFAULT_ONGOING_AFTER_MS",
    "REDIS_PRUNE_SCRIPT",
    "REDIS_RECORD_SCRIPT",
    "REDIS_WRITE_SCRIPT",
    "RETRY_AFTER_CAP",
    "Answer",
    "Api",
    "ApiError",
    "Applied",
    "AuthenticationError",
    "Call",
    "CallPage",
    "CallRecord",
    "Delivery",
    "DeliveryPage",
    "FakeOneInbox",
    "InboxPolicy",
    "InboxRow",
    "InboxStep",
    "Issue",
    "Ledger",
    "MemoryInbox",
    "OneInboxError",
    "Overdue",
    "PreparedRequest",
    "Receiver",
    "ReconcilePolicy",
    "Recorded",
    "RefusalLog",
    "RetryStep",
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
    "answer_after_claim",
    "answer_after_handlers",
    "answer_after_read",
    "answer_after_receive",
    "answer_after_store",
    "answer_before_body",
    "answer_late_failure",
    "answer_late_failure_due",
    "answer_no_store_warning",
    "choose_secret",
    "dedupe_key",
    "inbox_backoff_ms",
    "make_call",
    "make_delivery",
    "make_event",
    "parse_event",
    "plan_send",
    "record_is_open",
    "redact_url_token",
    "refusal_reason",
    "retry_after",
    "send_sent_line",
    "send_summary_line",
    "sign",
    "signing_secret_from_bytes",
    "synthesize",
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
    def reconciled(self) -> bool | None:
        """Set by this SDK, never sent by OneInbox: ``true`` on an event that a reconciler
        synthesized from the call's ``GET /v1/calls/{id}`` snapshot because no delivery
        brought it (its dedupe key is ``<event>:<call_id>:reconciled``). May be absent or null
        in strict mode too."""
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
class Recorded:
    """What ``Store.record`` did with one delivery (frozen)."""

    __match_args__: ClassVar[tuple[str, ...]]
    def __new__(cls, new: bool, record: CallRecord) -> Recorded: ...
    @property
    def new(self) -> bool:
        """True if no worker had recorded this delivery before (by its dedupe key): process it.
        False for a retry or any other copy of a delivery already recorded."""
    @property
    def record(self) -> CallRecord:
        """The call's record with this delivery included (a copy: changing it changes no store)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Ledger:
    """The deliveries seen and the records they fold into, in memory (``MemoryStore``'s)."""

    def __new__(cls) -> Ledger: ...
    def record(self, event: _Event) -> Recorded:
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
    def apply_call(self, call: Call) -> Applied:
        """Folds a snapshot of the call: its values rank below every event's; its status
        raises ``status`` and never lowers it."""
    @property
    def events_status(self) -> _CallStatus:
        """The status the applied events alone give (no snapshot)."""
    @property
    def snapshot_status(self) -> _CallStatus:
        """The greatest status a snapshot showed (``"unknown"`` when none did)."""
    @property
    def reconciled(self) -> list[str]:
        """The names of the events applied from reconciliation, sorted."""
    def covers(self, event: str, key: str) -> bool:
        """Whether the handlers of a delivery of ``event`` with dedupe key ``key`` already ran
        through reconciliation."""

# ---- management -------------------------------------------------------------------------

DEFAULT_BASE_URL: str
API_KEY_VAR: str
"""``ONEINBOX_API_KEY``: where a client reads its API key when given none."""
BASE_URL_VAR: str
"""``ONEINBOX_BASE_URL``: where a client reads its base URL when given none."""
BACKOFF_BASE: float
"""Seconds: the first retry waits up to this long (full jitter), doubling each retry."""
BACKOFF_CAP: float
"""Seconds: the longest backoff window."""
RETRY_AFTER_CAP: float
"""Seconds: the longest ``Retry-After`` honoured; a longer one is cut to this."""
DEFAULT_MAX_RETRIES: int
"""How many times a client sends a failed request again unless told otherwise."""

@final
class RetryStep:
    """What a client does after a failed attempt: ``wait`` seconds, then send again; or, when
    ``wait`` is ``None``, give up. ``retryable`` says whether sending again later is safe;
    ``message`` is the error text for a failure without an answer (``None`` after a status:
    raise the ``ApiError``)."""

    @property
    def wait(self) -> Optional[float]: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def message(self) -> Optional[str]: ...
    def __eq__(self, value: object, /) -> bool: ...

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
    @staticmethod
    def from_json(data: _Body) -> Call:
        """Reads a call from its JSON, as ``GET /v1/calls/{id}`` returns it (only ``id`` is
        required); raises ``ValidationError``."""
    def to_json(self) -> str: ...

@final
class CallPage:
    """One page of the account's calls (``GET /v1/calls``), most recent first."""

    @property
    def items(self) -> list[Call]: ...
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
    def retry(
        self,
    ) -> Literal["idempotent", "creates_webhook", "creates_call", "sends_test_delivery"]:
        """``"idempotent"``: may be sent again after 408, 429, 5xx or a lost connection.
        ``"creates_webhook"`` / ``"creates_call"`` / ``"sends_test_delivery"``: only after 429
        or 503; after any other failure the webhook or call may exist already, or a test
        delivery may have been sent."""
    def parse_response(self, status: int, body: _Body) -> _T:
        """Raises ``ApiError`` (non-2xx) or ``ValidationError`` (a 2xx body that does not
        match)."""
    @overload
    def next_page(
        self: PreparedRequest[DeliveryPage], page: DeliveryPage
    ) -> Optional[PreparedRequest[DeliveryPage]]: ...
    @overload
    def next_page(
        self: PreparedRequest[CallPage], page: CallPage
    ) -> Optional[PreparedRequest[CallPage]]: ...
    def after_status(
        self,
        attempt: int,
        max_retries: int,
        status: int,
        headers: _Headers,
        draw: float,
        *,
        now: Optional[float] = None,
    ) -> RetryStep:
        """After attempt ``attempt`` (0 for the first) was answered ``status``: wait and send
        again, or give up. ``draw`` is a random number in [0, 1]."""
    def after_failure(
        self, attempt: int, max_retries: int, *, sent: bool, cause: str, draw: float
    ) -> RetryStep:
        """After attempt ``attempt`` got no answer: ``sent`` is ``False`` when the connection
        could not be opened (nothing was sent)."""
    def __class_getitem__(cls, item: Any) -> Any: ...

@final
class Api:
    def __new__(cls, api_key: str, *, base_url: str = "https://api.oneinbox.ai") -> Api: ...
    @staticmethod
    def configure(
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        env_api_key: Optional[str] = None,
        env_base_url: Optional[str] = None,
    ) -> Api:
        """The ``Api`` of a client: the arguments given, else the environment's values (read by
        the caller), else the default base URL. Issues name the variable a bad value came from."""
    @property
    def base_url(self) -> str: ...
    # @generated begin: Api builders (just generate, from the core's management/contract.rs)
    def create_webhook(
        self,
        *,
        name: str,
        url: str,
        events: list[str],
    ) -> PreparedRequest[Webhook]:
        """``POST /v1/webhooks``: Creates a webhook; the response is the new webhook, with its
        secret.

        ``name``: A name for people, 1-255 characters.

        ``url``: The delivery endpoint: an absolute https URL with a host and no user-info.

        ``events``: 1-20 distinct event names. ``call.analyzed`` is accepted although the API
        reference's enum leaves it out."""
    def list_webhooks(self) -> PreparedRequest[list[Webhook]]:
        """``GET /v1/webhooks``: Lists the account's webhooks."""
    def update_webhook(
        self,
        webhook_id: str,
        *,
        name: Optional[str] = None,
        url: Optional[str] = None,
        events: Optional[list[str]] = None,
        status: Optional[str] = None,
    ) -> PreparedRequest[Webhook]:
        """``PATCH /v1/webhooks/{webhook_id}``: Changes the fields given (at least one); the
        response is the webhook.

        ``webhook_id``: The webhook's id (one path segment: non-empty, not ``.`` or ``..``).

        ``name``: A name for people, 1-255 characters.

        ``url``: The delivery endpoint: an absolute https URL with a host and no user-info.

        ``events``: 1-20 distinct event names. ``call.analyzed`` is accepted although the API
        reference's enum leaves it out.

        ``status``: ``inactive`` (the guide) and ``disabled`` (the API enum) both pause
        delivery; sent as given."""
    def delete_webhook(
        self,
        webhook_id: str,
    ) -> PreparedRequest[None]:
        """``DELETE /v1/webhooks/{webhook_id}``: Deletes a webhook for good.

        ``webhook_id``: The webhook's id (one path segment: non-empty, not ``.`` or ``..``)."""
    def test_webhook(
        self,
        webhook_id: str,
    ) -> PreparedRequest[None]:
        """``POST /v1/webhooks/{webhook_id}/test``: Asks OneInbox to send a sample delivery to
        the webhook's URL.

        ``webhook_id``: The webhook's id (one path segment: non-empty, not ``.`` or ``..``)."""
    def list_deliveries(
        self,
        webhook_id: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> PreparedRequest[DeliveryPage]:
        """``GET /v1/webhooks/{webhook_id}/deliveries``: One page of the webhook's delivery
        history, most recent first.

        ``webhook_id``: The webhook's id (one path segment: non-empty, not ``.`` or ``..``).

        ``limit``: Page size, 1-200 (the server's default is 50).

        ``offset``: How many deliveries to skip, 0 or more (the server's default is 0)."""
    def create_call(
        self,
        *,
        agent_id: str,
        to_number: str,
        from_number: str,
        scheduled_at: Optional[str] = None,
        variables: Optional[Mapping[str, Any]] = None,
        webhook_url: Optional[str] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> PreparedRequest[Call]:
        """``POST /v1/calls``: Places an outbound call; the response is the new call.

        ``agent_id``: The agent that places the call.

        ``to_number``: The number to call, E.164.

        ``from_number``: Your OneInbox number to call from, E.164.

        ``scheduled_at``: When to place the call (RFC 3339); now when absent.

        ``variables``: Variables for the agent's prompt.

        ``webhook_url``: The per-call webhook override: this call's events go there.

        ``overrides``: Per-call agent overrides: ``llm``, ``transcriber``, ``tts``,
        ``first_message``.

        ``metadata``: Your own metadata, stored with the call."""
    def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> PreparedRequest[CallPage]:
        """``GET /v1/calls``: One page of the account's calls, most recent first.

        ``agent_id``: Only the calls of this agent.

        ``status``: Only the calls with this status (``queued``, ``in_progress``,
        ``completed``, ...).

        ``limit``: Page size, 1-100 (the server's default is 20).

        ``offset``: How many calls to skip, 0 or more (the server's default is 0)."""
    def get_call(
        self,
        call_id: str,
    ) -> PreparedRequest[Call]:
        """``GET /v1/calls/{call_id}``: The call as OneInbox has it now: status, times,
        transcript, analysis.

        ``call_id``: The call's id (one path segment: non-empty, not ``.`` or ``..``)."""
    # @generated end: Api builders

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
    "not_configured",
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
        allow_unauthenticated: bool = False,
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

def signing_secret_from_bytes(data: bytes) -> str:
    """``whsec_`` and 32 bytes in base64 (``ValueError`` for another length)."""

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

# ---- the answer to a delivery (the core's `answer` module; used by `_adapter.py`) ---------

_LogLevel: TypeAlias = Literal["none", "debug", "info", "warn", "error"]

@final
class Answer:
    """The reply to a delivery and what to log about it."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def close_connection(self) -> bool: ...
    @property
    def log_level(self) -> _LogLevel: ...
    @property
    def log_line(self) -> str: ...
    @property
    def reason(self) -> Optional[str]:
        """A 401's or 415's reason code (``token_mismatch``, ``unsupported_media_type``), the
        key its log line is rate-limited under; ``None`` for other answers."""
    def __eq__(self, other: object, /) -> bool: ...

def answer_before_body(
    method: Optional[str],
    content_type: Optional[str],
    content_length: Optional[str],
    max_body_bytes: int,
) -> Optional[Answer]:
    """Step 1: 405, 415 or 413 from the method and headers alone; ``None``: read the body."""

@overload
def answer_after_read(
    result: Literal["body"], max_body_bytes: int, *, length: int = 0, fix: str = ""
) -> Optional[Answer]: ...
@overload
def answer_after_read(
    result: Literal["over_limit", "failed", "already_read"],
    max_body_bytes: int,
    *,
    length: int = 0,
    fix: str = "",
) -> Answer:
    """Step 2, once the body is read (or could not be); ``None``: receive it."""

@overload
def answer_after_receive(
    result: Literal["event"],
    *,
    code: Optional[str] = None,
    issues: Optional[Sequence[Issue]] = None,
) -> None: ...
@overload
def answer_after_receive(
    result: Literal["unauthenticated", "invalid", "failed"],
    *,
    code: Optional[str] = None,
    issues: Optional[Sequence[Issue]] = None,
) -> Answer:
    """Step 3, after ``Receiver.receive``; ``None`` for an event: record it (or handle it)."""

@overload
def answer_after_store(event: str, call_id: str, stored: Literal["new"]) -> None: ...
@overload
def answer_after_store(event: str, call_id: str, stored: Literal["repeat", "failed"]) -> Answer:
    """Step 4, with a store; ``None`` for a new delivery: run the handlers."""

def answer_after_handlers(
    event: str, call_id: str, handled: Literal["done", "failed", "late"]
) -> Answer:
    """Step 5: 204, 500, or 202 when the handlers were still running at the ack timeout."""

def answer_late_failure(event: str, call_id: str) -> tuple[_LogLevel, str]:
    """``(log_level, log_line)`` for a handler that failed after its delivery was answered 202."""

def answer_after_claim(
    event: str, call_id: str, verdict: str, retry_after_ms: int = 0
) -> Optional[Answer]:
    """Step 4, with an inbox: ``None`` for ``"run"`` (run the handlers); 204 for ``"repeat"``
    and ``"dead"``, 409 with ``Retry-After`` for ``"busy"``; 500 for any other verdict."""

def answer_late_failure_due(event: str, call_id: str) -> tuple[_LogLevel, str]:
    """``(log_level, log_line)`` for a handler that failed after a 202, with an inbox."""

def answer_no_store_warning() -> tuple[_LogLevel, str]:
    """``(log_level, log_line)`` an adapter made without a store logs once."""

def refusal_reason(body: bytes) -> Optional[str]:
    """The reason a receiver gave in its answer's body (``token_mismatch``,
    ``invalid_json``, ``missing_field at /call_id (and 1 more)``), or ``None``."""

@final
class RefusalLog:
    """The core's per-reason limit on the log lines of refused deliveries (401, 415)."""

    def __new__(cls, burst: int = ..., window_ms: int = ...) -> RefusalLog:
        """At most `burst` lines per reason per `window_ms` (default: 10 per 60000 ms)."""
    def admit(
        self, reason: str, level: _LogLevel, line: str, now_ms: int
    ) -> list[tuple[_LogLevel, str]]:
        """The lines to log now for this refusal (empty: suppressed)."""

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

@final
class FakeOneInbox:
    """The core's fake OneInbox management API (a state machine), which
    ``oneinbox_webhooks.testing.FakeOneInbox`` serves; ids and secrets drawn from ``seed``."""

    def __new__(cls, api_key: str, seed: int) -> FakeOneInbox: ...
    def handle(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: Optional[bytes],
        now: int,
    ) -> Optional[tuple[int, list[tuple[str, str]], bytes]]:
        """``(status, headers, body)`` for one request (``now`` in Unix seconds); ``None``:
        close the connection without an answer."""
    def fail_next(
        self,
        status: int,
        times: int,
        retry_after_value: Union[float, str, None],
        body: Optional[bytes],
        processed: bool,
    ) -> None:
        """Queues ``times`` answers with ``status`` (400 to 599); ``UsageError`` otherwise."""
    def disconnect_next(self, times: int, processed: bool) -> None:
        """Queues ``times`` requests without an answer; ``UsageError`` for ``times`` below 1."""
    def add_delivery(
        self, webhook_id: str, fields: Mapping[str, Any], now: int
    ) -> Optional[dict[str, Any]]:
        """Adds a delivery record (``fields`` over the defaults); ``None`` for an unknown id."""
    def webhooks(self) -> list[dict[str, Any]]:
        """The webhooks, oldest first."""
    def calls(self) -> list[dict[str, Any]]:
        """The calls created, oldest first, each with its ``webhook_url``."""
    def deliveries(self, webhook_id: str) -> Optional[list[dict[str, Any]]]:
        """A webhook's delivery history, newest first; ``None`` for an unknown id."""
    def requests(self) -> list[tuple[str, str, str, Optional[bytes], bool]]:
        """Every request received: ``(method, path, query, body, authorized)``."""
    def add_webhook(self, name: str, url: str, events: list[str], now: int) -> dict[str, Any]:
        """Registers an active webhook without the API's https rule; returns it."""
    def set_faults(
        self, drop: float, duplicate: float, shuffle: float, delay: float, max_delay_ms: int
    ) -> None:
        """Sets the seeded faults of the deliveries; ``UsageError`` for a value out of range."""
    def set_signing_secret(self, secret: Optional[str]) -> None:
        """Signs every attempt with this ``whsec_`` secret (``None``: unsigned)."""
    def add_outage(self, url_prefix: str, from_ms: int, until_ms: int) -> None:
        """Refuses the attempts to URLs starting with ``url_prefix`` in the window (ms)."""
    def play_call(
        self,
        agent_id: Optional[str],
        to_number: Optional[str],
        from_number: Optional[str],
        webhook_url: Optional[str],
        failure: Optional[str],
        now_ms: int,
    ) -> dict[str, Any]:
        """Creates a call at ``now_ms`` and schedules its events; returns the call."""
    def next_due(self) -> Optional[int]:
        """When something happens next (ms), or ``None``."""
    def in_flight(self) -> int:
        """How many attempts wait for their outcome."""
    def take_due(
        self, now_ms: int, timestamp: int
    ) -> list[tuple[str, str, list[tuple[str, str]], bytes]]:
        """``(attempt_id, url, headers, body)`` of each attempt due by ``now_ms``."""
    def report(
        self,
        attempt_id: str,
        status: Optional[int],
        body: Optional[str],
        error: Optional[str],
        now_ms: int,
    ) -> None:
        """Records an attempt's outcome: a ``status`` (and ``body``), else an ``error``."""
    def deliveries_for_call(self, call_id: str) -> list[dict[str, Any]]:
        """The history of the deliveries to a call's own URL, newest first."""

def send_sent_line(
    event: str, status: str, millis: float, reason: Optional[str], repeat: bool
) -> str:
    """The line ``send`` prints for a delivery it sent."""

def send_summary_line(deliveries: int, to: str, answered: int) -> str:
    """The last line of ``send``, the URL's token redacted."""

def plan_send(
    events: list[str],
    call_id: Optional[str],
    seed: Optional[str],
    duplicates: Optional[str],
    shuffle: bool,
    random_seed: int,
) -> list[tuple[str, str, str, bool, str]]:
    """The plan of the ``send`` command's arguments as typed (``seed`` and ``duplicates`` as
    their text; ``random_seed``, 0 to 2**64 - 1, when ``seed`` is ``None``): ``(event, call_id,
    msg_id, repeat, line)`` per delivery in sending order, ``line`` being what ``send
    --dry-run`` prints. ``UsageError`` for an unknown event name, an empty call id, or a seed or
    duplicates count that is not decimal digits in range."""

# The inbox's state machine (the core's `inbox` module): one method a change of a delivery's row.
_InboxState: TypeAlias = Literal["claimed", "done", "failed", "dead"]
_InboxVerdict: TypeAlias = Literal[
    "run", "repeat", "busy", "dead", "not_due", "done", "failed", "released", "replayed", "stale"
]
INBOX_DEFAULT_LEASE_MS: int
INBOX_DEFAULT_MAX_ATTEMPTS: int
REDIS_WRITE_SCRIPT: str
REDIS_PRUNE_SCRIPT: str
REDIS_RECORD_SCRIPT: str

@final
class InboxRow:
    """A delivery's progress as a store keeps it; times are Unix milliseconds."""

    def __new__(
        cls,
        state: _InboxState,
        attempts: int,
        due_at: Optional[int],
        last_error: Optional[str],
        updated_at: int,
    ) -> InboxRow: ...
    @property
    def state(self) -> _InboxState: ...
    @property
    def attempts(self) -> int: ...
    @property
    def due_at(self) -> Optional[int]: ...
    @property
    def last_error(self) -> Optional[str]: ...
    @property
    def updated_at(self) -> int: ...
    def is_due(self, now: int) -> bool:
        """Whether a worker should take it at ``now`` (Unix ms)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class InboxStep:
    """One step: the row to write (``None``: nothing) and the verdict with its number."""

    @property
    def row(self) -> Optional[InboxRow]: ...
    @property
    def verdict(self) -> _InboxVerdict: ...
    @property
    def attempt(self) -> Optional[int]:
        """The claim's attempt number, for ``run``."""
    @property
    def retry_after_ms(self) -> Optional[int]:
        """The time left on the live claim, for ``busy``."""
    @property
    def due_at(self) -> Optional[int]:
        """When the delivery is due again, for ``failed``."""

@final
class InboxPolicy:
    """How long a claim lasts (``lease``, seconds) and how many attempts a delivery gets."""

    def __new__(
        cls, *, lease: Optional[float] = None, max_attempts: Optional[int] = None
    ) -> InboxPolicy: ...
    @property
    def lease_ms(self) -> int:
        """The lease in milliseconds."""
    @property
    def max_attempts(self) -> int: ...
    def arrive(self, row: Optional[InboxRow], now: int, covered: bool = False) -> InboxStep:
        """A copy of the delivery arrived at a receiver; ``covered``: its call's record says
        its handlers already ran through reconciliation."""
    def claim(self, row: Optional[InboxRow], now: int) -> InboxStep:
        """A worker found the delivery due and wants to run it."""
    def finish(
        self, row: Optional[InboxRow], attempt: int, error: Optional[str], now: int
    ) -> InboxStep:
        """The handlers of claim ``attempt`` ended; ``error`` is ``None`` when they completed."""
    def release(self, row: Optional[InboxRow], attempt: int, reason: str, now: int) -> InboxStep:
        """Claim ``attempt`` is given back without running its handlers."""
    def replay(self, row: Optional[InboxRow], now: int) -> InboxStep:
        """Run the delivery again on purpose."""

def inbox_backoff_ms(attempt: int) -> int:
    """The wait after failed attempt ``attempt``, in milliseconds."""

@final
class MemoryInbox:
    """The inbox of one process (the core's ``MemoryInbox``); ``MemoryStore`` keeps one beside
    its ``Ledger``, behind its lock. Times are Unix ms."""

    def __new__(cls, policy: InboxPolicy, max_deliveries: int) -> MemoryInbox: ...
    def arrive(
        self, ledger: Ledger, event: _Event, body: bytes, now: int
    ) -> tuple[_InboxVerdict, Optional[int], Optional[int], str, CallRecord]:
        """``(verdict, attempt, retry_after_ms, key, record)``; the event folded into
        ``ledger``."""
    def finish(self, key: str, attempt: int, error: Optional[str], now: int) -> _InboxVerdict: ...
    def release(self, key: str, attempt: int, reason: str, now: int) -> _InboxVerdict: ...
    def due(self, now: int, limit: int) -> list[str]: ...
    def claim(
        self, key: str, now: int
    ) -> tuple[_InboxVerdict, Optional[int], Optional[str], Optional[str], Optional[bytes]]:
        """``(verdict, attempt, call_id, event, body)``; all but the verdict ``None`` unless
        ``run``."""
    def replay(self, key: str, now: int) -> _InboxVerdict: ...
    def dead(
        self,
    ) -> list[tuple[str, str, str, int, Optional[str], int, bytes]]:
        """``(key, call_id, event, attempts, last_error, updated_at, body)``, oldest first."""
    def prune(self, before: int, include_dead: bool) -> int: ...
    def row(self, key: str) -> Optional[InboxRow]: ...
    def __len__(self) -> int: ...
    def open_calls(self, changed_before: int, limit: int) -> list[tuple[str, int]]:
        """The open calls last changed at or before ``changed_before``: ``(call_id, ms)``."""
    def apply_call(
        self, ledger: Ledger, call: Call, now: int
    ) -> Optional[tuple[bool, CallRecord]]: ...
    def settle(self, call_id: str) -> None: ...

# ---- reconcile --------------------------------------------------------------------------

RECONCILE_DEFAULT_ONGOING_AFTER_MS: int
"""A started call without an end is overdue after this long (2 hours)."""
RECONCILE_DEFAULT_ENDED_AFTER_MS: int
"""An ended call without the expected events is overdue after this long (10 minutes)."""

_ExpectedEvent: TypeAlias = Literal["call.analyzed", "transcript.final", "call.recording.available"]

@final
class ReconcilePolicy:
    """When a record is overdue, measured from its last change: ``ongoing_after_ms`` without
    an end (default 2 hours), ``ended_after_ms`` after the end without every event of
    ``expect`` (default 10 minutes; ``call.analyzed`` and ``transcript.final``)."""

    def __new__(
        cls,
        *,
        ongoing_after_ms: Optional[int] = None,
        ended_after_ms: Optional[int] = None,
        expect: Optional[Sequence[str]] = None,
        **extra: Any,
    ) -> ReconcilePolicy: ...
    @property
    def ongoing_after_ms(self) -> int: ...
    @property
    def ended_after_ms(self) -> int: ...
    @property
    def expect(self) -> list[_ExpectedEvent]: ...
    def missing(self, record: CallRecord) -> list[str]:
        """The events ``record`` still expects."""
    def settled(self, record: CallRecord, changed_at: int, now: int) -> bool:
        """Whether a reconciler is done with ``record`` (times in Unix ms): nothing is missing,
        or the snapshot shows the call over and it has been quiet for a day."""
    def overdue(self, record: CallRecord, changed_at: int, now: int) -> Optional[Overdue]:
        """Whether to fetch the call (times in Unix ms)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Overdue:
    """Why a record is overdue (``"no_end"``, ``"missing_events"``), what it misses and how
    long it has been unchanged."""

    @property
    def reason(self) -> Literal["no_end", "missing_events"]: ...
    @property
    def missing(self) -> list[str]: ...
    @property
    def quiet_ms(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

def record_is_open(record: CallRecord) -> bool:
    """Whether a store lists ``record`` among its open calls."""

def synthesize(record: CallRecord, call: Call) -> list[tuple[str, str, str]]:
    """``(event, key, body)`` of each event the snapshot shows happened and the record lacks."""

def choose_secret(
    name: str, option: Optional[str], file: Optional[str], env: Optional[str]
) -> Optional[str]:
    """A command-line secret (``name``: ``url_token``, ``signing_secret``, ``api_key``) from the
    first source given: the option, the content of its ``--…-file``, the environment variable
    (an empty one counts as unset); ``None`` for none. ``UsageError`` for an empty option or a
    file that is not one non-empty line."""

# ---- the delivery doctor ------------------------------------------------------------------

_CauseCode: TypeAlias = Literal[
    "unauthorized",
    "bad_request",
    "invalid_payload",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "unsupported_media_type",
    "server_error",
    "timeout",
    "connection_refused",
    "no_response",
    "other_status",
    "unknown",
    "webhook_inactive",
    "events_not_subscribed",
    "url_drift",
]

class _DiagnosisSummary(TypedDict):
    webhooks: int
    attempts: int
    deliveries: int
    succeeded: int
    recovered: int
    retrying: int
    failed: int
    calls: int

_OutageWindow = TypedDict(
    "_OutageWindow",
    {"webhook_id": str, "from": NotRequired[str], "to": NotRequired[str], "attempts": int},
)

class _DriftUrl(TypedDict):
    url: str
    kind: Literal["token", "url"]
    call_ids: list[str]

class _Cause(TypedDict):
    code: _CauseCode
    title: str
    explanation: str
    fix: str
    attempts: int
    deliveries: int
    failed_for_good: int
    retrying: int
    first_at: NotRequired[str]
    last_at: NotRequired[str]
    webhook_ids: list[str]
    example_delivery_ids: list[str]
    call_ids: list[str]
    statuses: NotRequired[list[int]]
    windows: NotRequired[list[_OutageWindow]]
    urls: NotRequired[list[_DriftUrl]]
    events: NotRequired[list[str]]

class _Recovered(TypedDict):
    code: _CauseCode
    attempts: int
    deliveries: int
    webhook_ids: list[str]

class _MissingCall(TypedDict):
    call_id: str
    events: list[str]
    webhook_ids: list[str]

@final
class Diagnosis:
    """What the delivery doctor found (``diagnose``)."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def healthy(self) -> bool: ...
    @property
    def summary(self) -> _DiagnosisSummary: ...
    @property
    def causes(self) -> list[_Cause]: ...
    @property
    def recovered(self) -> list[_Recovered]: ...
    @property
    def calls_never_succeeded(self) -> list[_MissingCall]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str:
        """The ``doctor --json`` output."""
    def to_text(self) -> str:
        """The report for people (the ``doctor`` output)."""
    def __eq__(self, other: object, /) -> bool: ...

def diagnose(
    webhooks: Iterable[Union[Webhook, Mapping[str, Any]]],
    deliveries: Iterable[Union[Delivery, Mapping[str, Any]]],
    calls: Optional[Iterable[Union[Call, Mapping[str, Any]]]] = None,
) -> Diagnosis:
    """Groups failed deliveries by cause, with an explanation and a fix for each."""

__all__ += ["Diagnosis", "diagnose"]
