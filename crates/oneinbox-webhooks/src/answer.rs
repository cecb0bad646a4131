//! The answer to a delivery: what every framework adapter replies, decided once.
//!
//! An adapter (FastAPI, Flask, Django, Express, Fastify, a fetch handler) does the I/O of one
//! delivery: it reads the request line and headers, reads the body, calls
//! [`Receiver::receive`](crate::auth::Receiver::receive), records the event in a store and runs
//! the handlers. Between those steps it asks this module, in order, whether the delivery is
//! answered yet; each step returns `None` ("go on") or the [`Answer`]:
//!
//! | step | input | answer |
//! |---|---|---|
//! | [`before_body`] | a method other than `POST` (any case) | 405, `Allow: POST` |
//! | | a `Content-Type` that is not JSON ([`is_json_content_type`]) | 415 with a JSON body saying what is accepted and what came, logged (warn) |
//! | | a `Content-Length` over `max_body_bytes` | 413, connection closed |
//! | [`after_read`] | reading stopped past `max_body_bytes` | 413, connection closed |
//! | | a whole body longer than `max_body_bytes` | 413 |
//! | | the body stream failed or closed early | 400, no body |
//! | | something else read the body first | 500, logged (error) with the fix |
//! | [`after_receive`] | not authenticated | 401 `{"error":<code>,"message":…}`, logged (warn) with the code |
//! | | an invalid payload over the limit (`too_large`) | 413 |
//! | | an invalid payload | 400 `{"issues":[{code,path,message}]}`, logged (info) |
//! | | an unexpected failure | 500, logged (error) |
//! | [`after_store`] (with a store) | recorded before: a retry | 204, logged (debug), handlers not run |
//! | | the store failed | 500, logged (error), so that OneInbox retries |
//! | [`after_handlers`] | they returned | 204 |
//! | | one failed | 500, logged (error) |
//! | | still running after the ack timeout | 202 (they go on) |
//! | [`late_failure`] | one failed after the 202 | logged (error) |
//!
//! The refusals a sender can fix say why in their body: the 400 for an invalid payload
//! (`{"issues":[…]}`), the 401 and the 415 (`{"error":<reason>,"message":…}`, the reason also in
//! [`Answer::reason`]); [`refusal_reason`] reads it back (the `send` command prints it). The 401
//! and 415 are logged at [`LogLevel::Warn`]; an adapter passes them through a [`RefusalLog`] so
//! that a flood of them cannot fill the logs. A log line names the event and its call id
//! (quoted, cut to 80 characters), never the request URL (it carries the URL token), a header
//! or a secret. The table is held by the fixtures in `tests/fixtures/answers/`, which the core
//! and both bindings run.
//!
//! ```
//! use oneinbox_webhooks::answer::{self, Handled, Read, Received, Request, Stored};
//!
//! let request = Request {
//!     method: Some("POST"),
//!     content_type: Some("application/json; charset=utf-8"),
//!     content_length: Some("52"),
//!     max_body_bytes: 1024,
//! };
//! assert_eq!(answer::before_body(&request), None); // read the body
//! assert_eq!(answer::after_read(Read::Body { length: 52 }, 1024), None); // receive it
//! assert_eq!(answer::after_receive(Received::Event), None); // record it
//! assert_eq!(answer::after_store("call.ended", "call_1", Stored::New), None); // handle it
//! let done = answer::after_handlers("call.ended", "call_1", Handled::Done);
//! assert_eq!((done.status, done.body.len()), (204, 0));
//!
//! let retry = answer::after_store("call.ended", "call_1", Stored::Repeat).unwrap();
//! assert_eq!(retry.status, 204);
//! assert_eq!(retry.log.level, answer::LogLevel::Debug);
//! ```

use std::fmt;
use std::str::FromStr;

mod limit;
pub use limit::RefusalLog;

use crate::auth::VerificationCode;
use crate::inbox::Verdict;
use crate::text::preview;
use crate::{Issue, IssueCode};

/// The prefix of every log line.
const PREFIX: &str = "oneinbox-webhooks: ";

/// How important a log line is. Python's adapters log on the `oneinbox_webhooks` logger at
/// this level; Node's give a line to their logger's method of that name when it has one
/// (`error` always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// Nothing is logged.
    None,
    /// A detail for debugging (a retry acknowledged).
    Debug,
    /// A refused delivery: the sender's problem, worth seeing while setting up.
    Info,
    /// A refused delivery that points at a setup mistake (401: the token or secret differs;
    /// 415: not JSON), shown by default logging; rate-limited by [`RefusalLog`]. Python logs it
    /// at `WARNING`, Node with the logger's `warn` method, Rust with `tracing::warn!`.
    Warn,
    /// Something the operator has to fix or look at (a failing store or handler).
    Error,
}

impl LogLevel {
    /// Every level.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::None,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
    ];

    /// `none`, `debug`, `info`, `warn` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::None => "none",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to log about a delivery: a level and one line of text (empty for
/// [`LogLevel::None`]). The adapter adds the error it caught, if any (Python's `exc_info`, the
/// second argument of a Node logger), which this line never repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// How important it is.
    pub level: LogLevel,
    /// One line (no line breaks) that holds no URL, header or secret.
    pub line: String,
}

impl Log {
    /// Nothing to log.
    pub fn none() -> Self {
        Log {
            level: LogLevel::None,
            line: String::new(),
        }
    }

    fn new(level: LogLevel, line: String) -> Self {
        Log { level, line }
    }
}

/// The reply to a delivery, and what to log about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The response headers, in this order (names as written here; HTTP ignores their case).
    pub headers: Vec<(&'static str, String)>,
    /// The response body: JSON for the 400 of an invalid payload, the 401 and the 415; empty
    /// for every other answer.
    pub body: Vec<u8>,
    /// The body was not read to its end: a server that can should close the connection
    /// rather than read the rest (`Connection: close` where the framework allows it).
    pub close_connection: bool,
    /// What to log.
    pub log: Log,
    /// For a refusal the sender can fix and whose log line a [`RefusalLog`] limits (401, 415):
    /// its stable reason code, e.g. `token_mismatch` or `unsupported_media_type`.
    pub reason: Option<&'static str>,
}

impl Answer {
    fn new(status: u16) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close_connection: false,
            log: Log::none(),
            reason: None,
        }
    }

    /// A refusal with a JSON body `{"error": reason, "message": message, ...more}`, logged at
    /// warn.
    fn refused(
        status: u16,
        reason: &'static str,
        message: &str,
        more: serde_json::Value,
        line: String,
    ) -> Self {
        let mut body = serde_json::json!({"error": reason, "message": message});
        if let (Some(body), serde_json::Value::Object(more)) = (body.as_object_mut(), more) {
            body.extend(more);
        }
        let mut answer = Answer::new(status).logged(LogLevel::Warn, line);
        answer
            .headers
            .push(("Content-Type", "application/json".to_owned()));
        answer.body = serde_json::to_vec(&body).unwrap_or_default();
        answer.reason = Some(reason);
        answer
    }

    fn logged(mut self, level: LogLevel, line: String) -> Self {
        self.log = Log::new(level, line);
        self
    }
}

/// The request line and headers, before any of the body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method as the framework gives it (`None` when it gives none).
    pub method: Option<&'a str>,
    /// The first `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The first `Content-Length` header, if any, as sent.
    pub content_length: Option<&'a str>,
    /// The receiver's size limit ([`ParseOptions::max_body_bytes`](crate::ParseOptions)).
    pub max_body_bytes: usize,
}

/// What reading the body gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read<'a> {
    /// The whole body, `length` bytes.
    Body {
        /// How many bytes it has.
        length: usize,
    },
    /// Reading stopped as soon as more than `max_body_bytes` bytes had come.
    OverLimit,
    /// The stream failed or closed before its end (the client went away).
    Failed,
    /// Something before the endpoint (a body-parsing middleware) read the body, so its raw
    /// bytes are gone and it cannot be authenticated. `fix` says what to change, in the
    /// framework's terms (one sentence; it goes into the log line).
    AlreadyRead {
        /// How to fix the setup.
        fix: &'a str,
    },
}

/// What [`Receiver::receive`](crate::auth::Receiver::receive) gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received<'a> {
    /// An authenticated, valid event.
    Event,
    /// The delivery did not authenticate, for this reason.
    Unauthenticated(VerificationCode),
    /// It authenticated, but the body is not a valid event: these issues.
    Invalid(&'a [Issue]),
    /// An unexpected failure (a bug, not the sender's doing).
    Failed,
}

impl<'a> Received<'a> {
    /// The outcome from the names the bindings and the fixtures use: `"event"`,
    /// `"unauthenticated"` (with the verification `code`, e.g. `"no_matching_token"`),
    /// `"invalid"` (with its `issues`) or `"failed"`.
    pub fn from_name(
        name: &str,
        code: Option<&str>,
        issues: &'a [Issue],
    ) -> Result<Self, UnknownName> {
        Ok(match name {
            "event" => Received::Event,
            "unauthenticated" => {
                let code = code.unwrap_or_default();
                Received::Unauthenticated(
                    VerificationCode::ALL
                        .iter()
                        .copied()
                        .find(|c| c.as_str() == code)
                        .ok_or_else(|| {
                            UnknownName(format!("verification code {}", preview(code)))
                        })?,
                )
            }
            "invalid" => Received::Invalid(issues),
            "failed" => Received::Failed,
            other => return Err(UnknownName(format!("receive result {}", preview(other)))),
        })
    }
}

/// What the store said when asked to record the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stored {
    /// `new`: recorded now, for the first time.
    New,
    /// `repeat`: recorded before (OneInbox retried the delivery).
    Repeat,
    /// `failed`: the store failed (or gave something that is not an answer).
    Failed,
}

/// How the handlers of an event ended, as seen when the delivery is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handled {
    /// `done`: every handler returned.
    Done,
    /// `failed`: one raised, threw or rejected.
    Failed,
    /// `late`: still running when the ack timeout passed (they go on).
    Late,
}

/// The error of the [`FromStr`] impls of [`Stored`] and [`Handled`]: not one of their names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0}")]
pub struct UnknownName(pub String);

macro_rules! named {
    ($ty:ident { $($variant:ident = $name:literal),+ }) => {
        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// Its name, as the fixtures and the bindings write it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName(preview(s)))
            }
        }
    };
}

named!(Stored { New = "new", Repeat = "repeat", Failed = "failed" });
named!(Handled { Done = "done", Failed = "failed", Late = "late" });

/// Step 1, before reading the body: 405 for a method other than `POST` (compared without
/// regard to case), then 415 for a content type that is not JSON, then 413 (closing the
/// connection) for a `Content-Length` over `max_body_bytes`. `None`: read the body, stopping
/// as soon as it is longer than `max_body_bytes`.
///
/// A `Content-Length` that is not a plain decimal number (after optional spaces and tabs) is
/// left to the server and to the limit while reading.
pub fn before_body(request: &Request<'_>) -> Option<Answer> {
    if !request
        .method
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
    {
        let mut answer = Answer::new(405);
        answer.headers.push(("Allow", "POST".to_owned()));
        return Some(answer);
    }
    if !request.content_type.is_some_and(is_json_content_type) {
        return Some(unsupported_media_type(request.content_type));
    }
    match request.content_length.and_then(declared_length) {
        Some(n) if n > request.max_body_bytes as u64 => Some(too_large(true)),
        _ => None,
    }
}

/// Whether a `Content-Type` names JSON: `application/json`, or an `application` subtype with
/// the `+json` structured syntax suffix (RFC 6838, section 4.2.8), such as
/// `application/cloudevents+json`; parameters (`; charset=utf-8`) and case do not matter.
///
/// The subtype must be a valid name (RFC 6838, section 4.2: a letter or digit, then up to 126
/// of letters, digits and `!#$&-^_.+`), so a suffix needs a non-empty name before it:
/// `application/+json` is not JSON.
pub fn is_json_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_matches(is_ows);
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if !kind.eq_ignore_ascii_case("application") || !is_restricted_name(subtype) {
        return false;
    }
    subtype.eq_ignore_ascii_case("json")
        || subtype
            .len()
            .checked_sub(5)
            .and_then(|start| subtype.get(start..))
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
}

/// `restricted-name` of RFC 6838, section 4.2.
fn is_restricted_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 127
        && chars.all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
}

/// Optional whitespace around a header value (RFC 9110, section 5.6.3).
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A `Content-Length` value: ASCII digits between optional whitespace, saturating at
/// `u64::MAX`; `None` for anything else (absent digits, a sign, a list).
fn declared_length(value: &str) -> Option<u64> {
    let digits = value.trim_matches(is_ows);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The reason code of a 415.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";

/// The content types a receiver accepts, as the 415's body lists them.
pub const ACCEPTED_CONTENT_TYPES: [&str; 2] = ["application/json", "application/<name>+json"];

/// 415: the body lists the accepted types and the one received (cut to 80 characters; `null`
/// when the header is absent).
fn unsupported_media_type(received: Option<&str>) -> Answer {
    let what = match received {
        None => "no Content-Type".to_owned(),
        Some(t) if t.trim_matches(is_ows).is_empty() => "an empty Content-Type".to_owned(),
        Some(t) => format!("Content-Type {}", preview(t)),
    };
    let received = received.map(cut);
    let message = format!(
        "a delivery must be JSON: send Content-Type: application/json (or application/<name>+json); received {what}"
    );
    Answer::refused(
        415,
        UNSUPPORTED_MEDIA_TYPE,
        &message,
        serde_json::json!({"accepted": ACCEPTED_CONTENT_TYPES, "received": received}),
        format!(
            "{PREFIX}delivery refused ({UNSUPPORTED_MEDIA_TYPE}): {what}, not JSON; answered 415"
        ),
    )
}

/// `text` cut to 80 characters (with `…`), one line.
fn cut(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if text.chars().nth(80).is_some() {
        out.push('…');
    }
    one_line(&out)
}

fn too_large(close_connection: bool) -> Answer {
    let mut answer = Answer::new(413);
    answer.close_connection = close_connection;
    answer
}

/// Step 2, once the body is read (or could not be): 413 past the limit (closing the connection
/// when reading stopped early), 400 for a failed stream, 500 (logged with `fix`) for a body
/// something else read. `None`: receive it.
pub fn after_read(read: Read<'_>, max_body_bytes: usize) -> Option<Answer> {
    match read {
        Read::Body { length } if length > max_body_bytes => Some(too_large(false)),
        Read::Body { .. } => None,
        Read::OverLimit => Some(too_large(true)),
        Read::Failed => Some(Answer::new(400)),
        Read::AlreadyRead { fix } => Some(Answer::new(500).logged(
            LogLevel::Error,
            format!(
                "{PREFIX}the request body was read before, so it cannot be authenticated; \
                 answered 500. Fix: {}",
                one_line(fix)
            ),
        )),
    }
}

/// Step 3, after [`Receiver::receive`](crate::auth::Receiver::receive): 401 when it did not
/// authenticate, 413 for a body over the parse limit, 400 with every issue for an invalid
/// payload, 500 for an unexpected failure. `None` for an event: record it (or, without a
/// store, handle it).
pub fn after_receive(received: Received<'_>) -> Option<Answer> {
    match received {
        Received::Event => None,
        Received::Unauthenticated(code) => Some(Answer::refused(
            401,
            code.as_str(),
            &format!("the delivery was not authenticated ({code}): check the webhook's URL token or signing secret"),
            serde_json::Value::Null,
            format!("{PREFIX}delivery not authenticated ({code}); answered 401"),
        )),
        Received::Invalid(issues) if issues.iter().any(|i| i.code == IssueCode::TooLarge) => {
            Some(too_large(false))
        }
        Received::Invalid(issues) => {
            let mut answer = Answer::new(400).logged(
                LogLevel::Info,
                format!(
                    "{PREFIX}invalid payload ({} issue{}); answered 400",
                    issues.len(),
                    if issues.len() == 1 { "" } else { "s" }
                ),
            );
            answer
                .headers
                .push(("Content-Type", "application/json".to_owned()));
            answer.body = issues_body(issues);
            Some(answer)
        }
        Received::Failed => Some(Answer::new(500).logged(
            LogLevel::Error,
            format!(
                "{PREFIX}the delivery could not be received (an unexpected error); answered 500"
            ),
        )),
    }
}

/// `{"issues":[{"code":…,"path":…,"message":…}]}`, compact, UTF-8 (non-ASCII unescaped).
fn issues_body(issues: &[Issue]) -> Vec<u8> {
    let issues: Vec<serde_json::Value> = issues
        .iter()
        .map(|i| serde_json::json!({"code": i.code.as_str(), "path": i.path, "message": i.message}))
        .collect();
    serde_json::to_vec(&serde_json::json!({ "issues": issues })).unwrap_or_default()
}

/// `"<event>" of call "<call id>"`, each quoted and cut to 80 characters.
fn what(event: &str, call_id: &str) -> String {
    format!("{} of call {}", preview(event), preview(call_id))
}

/// Step 4, with a store, after recording the event: 204 for a delivery recorded before (its
/// handlers do not run again), 500 when the store failed (so that OneInbox retries). `None`:
/// run the handlers.
pub fn after_store(event: &str, call_id: &str, stored: Stored) -> Option<Answer> {
    match stored {
        Stored::New => None,
        Stored::Repeat => Some(Answer::new(204).logged(
            LogLevel::Debug,
            format!(
                "{PREFIX}{} was recorded before (a retry); answered 204 without running its handlers",
                what(event, call_id)
            ),
        )),
        Stored::Failed => Some(Answer::new(500).logged(
            LogLevel::Error,
            format!(
                "{PREFIX}store.record failed for {}; answered 500 so that OneInbox retries",
                what(event, call_id)
            ),
        )),
    }
}

/// Step 4, with an inbox (at-least-once handlers), after the store's claim step
/// ([`crate::inbox::Policy::step`] for [`crate::inbox::Input::Arrive`]): `None` for
/// [`Verdict::Run`]: run the handlers, then report how they ended to the store. Otherwise:
///
/// - `repeat` → 204: the handlers completed before; nothing runs again.
/// - `busy` → **409** with `Retry-After` (whole seconds, at least 1): another worker runs the
///   handlers now. Not a 2xx, because the work is not done yet and OneInbox must try again; not
///   a 5xx, because nothing is broken (a 409 says "this resource is busy", and does not show
///   as an outage); so the handlers never run twice at the same time.
/// - `dead` → 204, logged at error: the delivery failed `max_attempts` times and is kept as a
///   dead letter with its body; OneInbox retrying it would change nothing, a replay does.
/// - any other verdict (not one an arrival gives) → 500, as a store failure.
pub fn after_claim(event: &str, call_id: &str, verdict: Verdict) -> Option<Answer> {
    match verdict {
        Verdict::Run { .. } => None,
        Verdict::Repeat => Some(Answer::new(204).logged(
            LogLevel::Debug,
            format!(
                "{PREFIX}{} was handled before (a retry); answered 204 without running its handlers",
                what(event, call_id)
            ),
        )),
        Verdict::Busy { retry_after_ms } => {
            let seconds = retry_after_ms.div_ceil(1000).max(1);
            let mut answer = Answer::new(409).logged(
                LogLevel::Info,
                format!(
                    "{PREFIX}{} is being handled by another worker; answered 409 (Retry-After: {seconds})",
                    what(event, call_id)
                ),
            );
            answer.headers.push(("Retry-After", seconds.to_string()));
            Some(answer)
        }
        Verdict::Dead => Some(Answer::new(204).logged(
            LogLevel::Error,
            format!(
                "{PREFIX}{} is a dead letter (its handlers failed too many times); answered 204 without running them: replay it from the store",
                what(event, call_id)
            ),
        )),
        _ => after_store(event, call_id, Stored::Failed),
    }
}

/// Step 5, the handlers: 204 when they returned, 500 when one failed, 202 when they were still
/// running after the ack timeout (they go on; see [`late_failure`]).
pub fn after_handlers(event: &str, call_id: &str, handled: Handled) -> Answer {
    match handled {
        Handled::Done => Answer::new(204),
        Handled::Late => Answer::new(202),
        Handled::Failed => Answer::new(500).logged(
            LogLevel::Error,
            format!(
                "{PREFIX}a handler of {} failed; answered 500",
                what(event, call_id)
            ),
        ),
    }
}

/// What to log when a handler fails after its delivery was answered 202 without an inbox: nobody
/// else hears of it, and OneInbox will not retry it (with an inbox, see [`late_failure_due`]).
pub fn late_failure(event: &str, call_id: &str) -> Log {
    Log::new(
        LogLevel::Error,
        format!(
            "{PREFIX}a handler of {} failed after the delivery was answered 202; OneInbox will not retry it",
            what(event, call_id)
        ),
    )
}

/// What to log when a handler fails after its delivery was answered 202, with an inbox: the
/// failure is recorded and the delivery is due again, so a worker (`drain`) runs it.
pub fn late_failure_due(event: &str, call_id: &str) -> Log {
    Log::new(
        LogLevel::Error,
        format!(
            "{PREFIX}a handler of {} failed after the delivery was answered 202; it is due again, and a worker runs it",
            what(event, call_id)
        ),
    )
}

/// What an adapter made without a store logs once, when it is made (at warn): it cannot tell a
/// retried delivery from a new one, so a retry runs the handlers again.
pub const NO_STORE_WARNING: &str = "oneinbox-webhooks: this webhook has no store, so a delivery \
OneInbox retries (after a timeout, a 5xx or a lost answer) runs its handlers again; give it a \
store (MemoryStore in one process; SQLite, Redis or Postgres when shared) to run them once per \
delivery";

/// [`NO_STORE_WARNING`] at [`LogLevel::Warn`].
pub fn no_store_warning() -> Log {
    Log::new(LogLevel::Warn, NO_STORE_WARNING.to_owned())
}

/// The reason a receiver gave for refusing a delivery, read from its answer as the adapters
/// make it (the `send` command prints it after the status): the `error` of a JSON body
/// `{"error": …}` (401, 415), or for `{"issues": […]}` (400) the first issue's code, then
/// ` at <path>` unless the path is the whole body (`""`), then ` (and N more)`. `None` for a
/// body that is neither (empty, not JSON). One line, each part cut to 80 characters.
///
/// ```
/// use oneinbox_webhooks::answer::refusal_reason;
///
/// assert_eq!(refusal_reason(br#"{"error":"token_mismatch","message":"x"}"#).as_deref(), Some("token_mismatch"));
/// let issues = br#"{"issues":[{"code":"invalid_json","path":"","message":"x"}]}"#;
/// assert_eq!(refusal_reason(issues).as_deref(), Some("invalid_json"));
/// let issues = br#"{"issues":[{"code":"missing_field","path":"/call_id","message":"x"},{"code":"wrong_type","path":"/a","message":"y"}]}"#;
/// assert_eq!(refusal_reason(issues).as_deref(), Some("missing_field at /call_id (and 1 more)"));
/// assert_eq!(refusal_reason(b""), None);
/// ```
pub fn refusal_reason(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(error) = value.get("error").and_then(serde_json::Value::as_str) {
        return (!error.is_empty()).then(|| cut(error));
    }
    let issues = value.get("issues")?.as_array()?;
    let first = issues.first()?;
    let code = first.get("code")?.as_str()?;
    let mut reason = cut(code);
    match first.get("path").and_then(serde_json::Value::as_str) {
        Some(path) if !path.is_empty() => {
            reason.push_str(" at ");
            reason.push_str(&cut(path));
        }
        _ => {}
    }
    if issues.len() > 1 {
        reason.push_str(&format!(" (and {} more)", issues.len() - 1));
    }
    Some(reason)
}

/// `text` with every control character (line breaks included) replaced by a space, so that a
/// log line stays one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        for yes in [
            "application/json",
            "Application/JSON",
            " application/json ; charset=utf-8",
            "application/cloudevents+json",
            "application/vnd.oneinbox+JSON; charset=UTF-8",
            "application/a+json",
        ] {
            assert!(is_json_content_type(yes), "{yes}");
        }
        for no in [
            "",
            "json",
            "application/+json",
            "application/.+json",
            "application/x/y+json",
            "application/ json",
            "application/jsonl",
            "application/json+x",
            "text/json",
            "text/vnd.a+json",
            "application/+json; charset=utf-8",
            "application/é+json",
        ] {
            assert!(!is_json_content_type(no), "{no}");
        }
        let long = format!("application/{}+json", "a".repeat(122));
        assert!(is_json_content_type(&long));
        let longer = format!("application/{}+json", "a".repeat(123));
        assert!(!is_json_content_type(&longer));
    }

    #[test]
    fn lengths() {
        assert_eq!(declared_length(" 42\t"), Some(42));
        assert_eq!(declared_length("99999999999999999999999"), Some(u64::MAX));
        for no in ["", " ", "-1", "+1", "4x", "1,1", "٣", "1 2"] {
            assert_eq!(declared_length(no), None, "{no}");
        }
    }

    #[test]
    fn log_lines_are_one_line_and_cut() {
        let long = "x".repeat(500);
        let log = late_failure("call.ended\n", &long);
        assert!(!log.line.contains('\n'));
        assert!(log.line.len() < 300);
        let read = after_read(Read::AlreadyRead { fix: "a\r\nb" }, 1).unwrap();
        assert!(read.log.line.ends_with("Fix: a  b"));
    }

    #[test]
    fn refusal_reasons() {
        for (body, reason) in [
            (&b""[..], None),
            (b"not json", None),
            (b"[]", None),
            (br#"{"error":""}"#, None),
            (br#"{"issues":[]}"#, None),
            (br#"{"issues":[{"path":"/a"}]}"#, None),
            (br#"{"error":"a\nb"}"#, Some("a b".to_owned())),
            (
                br#"{"issues":[{"code":"invalid_json","path":""}]}"#,
                Some("invalid_json".to_owned()),
            ),
        ] {
            assert_eq!(
                refusal_reason(body),
                reason,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let long = format!(r#"{{"error":"{}"}}"#, "e".repeat(100));
        let reason = refusal_reason(long.as_bytes()).unwrap();
        assert_eq!(reason.chars().count(), 81);
        assert!(reason.ends_with('…'));
        // The adapters' own refusals read back as their reason.
        for answer in [
            before_body(&Request {
                method: Some("POST"),
                content_type: None,
                content_length: None,
                max_body_bytes: 1,
            }),
            after_receive(Received::Unauthenticated(VerificationCode::TokenMismatch)),
        ] {
            let answer = answer.unwrap();
            assert_eq!(refusal_reason(&answer.body).as_deref(), answer.reason);
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Stored::ALL {
            assert_eq!(s.as_str().parse::<Stored>(), Ok(*s));
        }
        for h in Handled::ALL {
            assert_eq!(h.as_str().parse::<Handled>(), Ok(*h));
        }
        assert!("nope".parse::<Stored>().is_err());
    }
}
