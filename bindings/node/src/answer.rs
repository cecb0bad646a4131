//! The answer to a delivery: one function per step of the core's `answer` module, which
//! `adapter-core.js` asks between its I/O steps. A step's result is named by the same string
//! as in `tests/fixtures/answers/`; numbers are JavaScript numbers (`Infinity` saturates).

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use oneinbox_webhooks::answer::{self as a, Handled, Read, Received, Request, Stored};
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::{Issue, IssueCode};

use crate::errors::{guard, NativeIssue};

/// What to log: `level` is `none`, `debug`, `info`, `warn` or `error`; `line` is one line with
/// no URL, header or secret (empty for `none`).
#[napi(object, js_name = "NativeLog")]
pub struct NativeLog {
    /// `none`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The line.
    pub line: String,
}

impl From<a::Log> for NativeLog {
    fn from(log: a::Log) -> Self {
        NativeLog {
            level: log.level.as_str().to_owned(),
            line: log.line,
        }
    }
}

/// The reply to a delivery and what to log about it.
#[napi(object, js_name = "NativeAnswer")]
pub struct NativeAnswer {
    /// The HTTP status.
    pub status: u32,
    /// `[name, value]` pairs, in order.
    pub headers: Vec<Vec<String>>,
    /// The body; absent when it is empty (every answer but a 400, 401 or 415).
    pub body: Option<Buffer>,
    /// The body was not read to its end: close the connection where the server allows it.
    pub close_connection: bool,
    /// `none`, `debug`, `info`, `warn` or `error`.
    pub log_level: String,
    /// What to log: one line with no URL, header or secret (empty for `none`).
    pub log_line: String,
    /// A 401's or 415's reason code (`token_mismatch`, `unsupported_media_type`), the key its
    /// log line is rate-limited under; absent for other answers.
    pub reason: Option<String>,
}

impl From<a::Answer> for NativeAnswer {
    fn from(answer: a::Answer) -> Self {
        NativeAnswer {
            status: u32::from(answer.status),
            headers: answer
                .headers
                .into_iter()
                .map(|(n, v)| vec![n.to_owned(), v])
                .collect(),
            body: (!answer.body.is_empty()).then(|| Buffer::from(answer.body)),
            close_connection: answer.close_connection,
            log_level: answer.log.level.as_str().to_owned(),
            log_line: answer.log.line,
            reason: answer.reason.map(str::to_owned),
        }
    }
}

fn unknown(what: &str, value: &str) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("unknown {what} {value:?}"),
    )
}

/// A JavaScript count of bytes: `as` saturates (`Infinity` is no limit; NaN and negatives 0).
fn bytes(n: f64) -> usize {
    n as usize
}

/// Step 1: 405, 415 or 413 from the method and headers alone; `null`: read the body.
#[napi(js_name = "answerBeforeBody")]
pub fn answer_before_body(
    method: Option<String>,
    content_type: Option<String>,
    content_length: Option<String>,
    max_body_bytes: f64,
) -> napi::Result<Option<NativeAnswer>> {
    guard(|| {
        Ok(a::before_body(&Request {
            method: method.as_deref(),
            content_type: content_type.as_deref(),
            content_length: content_length.as_deref(),
            max_body_bytes: bytes(max_body_bytes),
        })
        .map(NativeAnswer::from))
    })
}

/// Step 2: `result` is `body` (`length` bytes), `over_limit`, `failed` or `already_read`
/// (with `fix`); `null`: receive the body.
#[napi(js_name = "answerAfterRead")]
pub fn answer_after_read(
    result: String,
    max_body_bytes: f64,
    length: Option<f64>,
    fix: Option<String>,
) -> napi::Result<Option<NativeAnswer>> {
    guard(|| {
        let read = match result.as_str() {
            "body" => Read::Body {
                length: bytes(length.unwrap_or(0.0)),
            },
            "over_limit" => Read::OverLimit,
            "failed" => Read::Failed,
            "already_read" => Read::AlreadyRead {
                fix: fix.as_deref().unwrap_or_default(),
            },
            other => return Err(unknown("read result", other)),
        };
        Ok(a::after_read(read, bytes(max_body_bytes)).map(NativeAnswer::from))
    })
}

/// Step 3: `result` is `event`, `unauthenticated` (with the verification `code`), `invalid`
/// (with the `ValidationError`'s `issues`) or `failed`; `null`: record the event (or handle it).
#[napi(js_name = "answerAfterReceive")]
pub fn answer_after_receive(
    result: String,
    code: Option<String>,
    issues: Option<Vec<NativeIssue>>,
) -> napi::Result<Option<NativeAnswer>> {
    guard(|| {
        let issues = issues
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let code = i
                    .code
                    .parse::<IssueCode>()
                    .map_err(|e| unknown("issue code", &e.0))?;
                Ok(Issue::new(code, i.path, i.message))
            })
            .collect::<napi::Result<Vec<_>>>()?;
        let received = Received::from_name(&result, code.as_deref(), &issues)
            .map_err(|e| napi::Error::new(napi::Status::InvalidArg, format!("unknown {}", e.0)))?;
        Ok(a::after_receive(received).map(NativeAnswer::from))
    })
}

/// Step 4, with a store: `stored` is `new`, `repeat` or `failed`; `null`: run the handlers.
#[napi(js_name = "answerAfterStore")]
pub fn answer_after_store(
    event: String,
    call_id: String,
    stored: String,
) -> napi::Result<Option<NativeAnswer>> {
    guard(|| {
        let stored = stored
            .parse::<Stored>()
            .map_err(|_| unknown("store result", &stored))?;
        Ok(a::after_store(&event, &call_id, stored).map(NativeAnswer::from))
    })
}

/// Step 5: `handled` is `done`, `failed` or `late` (still running at the ack timeout).
#[napi(js_name = "answerAfterHandlers")]
pub fn answer_after_handlers(
    event: String,
    call_id: String,
    handled: String,
) -> napi::Result<NativeAnswer> {
    guard(|| {
        let handled = handled
            .parse::<Handled>()
            .map_err(|_| unknown("handlers result", &handled))?;
        Ok(a::after_handlers(&event, &call_id, handled).into())
    })
}

/// What to log when a handler fails after its delivery was answered 202.
#[napi(js_name = "answerLateFailure")]
pub fn answer_late_failure(event: String, call_id: String) -> napi::Result<NativeLog> {
    guard(|| Ok(a::late_failure(&event, &call_id).into()))
}

/// Step 4, with an inbox: `verdict` is the store's arrive verdict (`run`, `repeat`, `busy` with
/// `retryAfterMs`, `dead`, ...); `null`: run the handlers.
#[napi(js_name = "answerAfterClaim")]
pub fn answer_after_claim(
    event: String,
    call_id: String,
    verdict: String,
    retry_after_ms: Option<i64>,
) -> napi::Result<Option<NativeAnswer>> {
    guard(|| {
        let verdict = Verdict::from_name(&verdict, retry_after_ms.unwrap_or(0))
            .ok_or_else(|| unknown("inbox verdict", &verdict))?;
        Ok(a::after_claim(&event, &call_id, verdict).map(NativeAnswer::from))
    })
}

/// What to log when a handler fails after its delivery was answered 202, with an inbox (the
/// delivery is due again).
#[napi(js_name = "answerLateFailureDue")]
pub fn answer_late_failure_due(event: String, call_id: String) -> napi::Result<NativeLog> {
    guard(|| Ok(a::late_failure_due(&event, &call_id).into()))
}

/// The core's per-reason limit on the log lines of refused deliveries (401, 415).
#[napi(js_name = "NativeRefusalLog")]
pub struct NativeRefusalLog {
    inner: a::RefusalLog,
}

/// A limit of `burst` lines per reason per `windowMs` (defaults: 10 per 60000 ms).
#[napi(js_name = "newRefusalLog")]
pub fn new_refusal_log(burst: Option<u32>, window_ms: Option<f64>) -> NativeRefusalLog {
    NativeRefusalLog {
        inner: a::RefusalLog::new(
            burst.unwrap_or(a::RefusalLog::DEFAULT_BURST),
            // `as` saturates: NaN and negatives are 0 (taken as 1 ms), Infinity the longest.
            window_ms.map_or(a::RefusalLog::DEFAULT_WINDOW_MS, |w| w as u64),
        ),
    }
}

#[napi]
impl NativeRefusalLog {
    /// The lines to log now for a refusal of `reason` whose answer says to log `level`/`line`,
    /// at `nowMs` (empty: suppressed).
    #[napi]
    pub fn admit(
        &mut self,
        reason: String,
        level: String,
        line: String,
        now_ms: f64,
    ) -> napi::Result<Vec<NativeLog>> {
        guard(|| {
            let level = a::LogLevel::ALL
                .into_iter()
                .find(|l| l.as_str() == level)
                .ok_or_else(|| unknown("log level", &level))?;
            let log = a::Log { level, line };
            Ok(self
                .inner
                .admit(&reason, &log, now_ms as u64)
                .into_iter()
                .map(NativeLog::from)
                .collect())
        })
    }
}

/// What an adapter made without a store logs once.
#[napi(js_name = "answerNoStoreWarning")]
pub fn answer_no_store_warning() -> NativeLog {
    a::no_store_warning().into()
}

/// The reason a receiver gave in its answer's `body` (the core's `refusal_reason`), or `null`.
#[napi(js_name = "refusalReason")]
pub fn refusal_reason(body: &[u8]) -> napi::Result<Option<String>> {
    guard(|| Ok(a::refusal_reason(body)))
}
