//! Reading responses: [`ResponseError`], [`ApiError`] and [`retry_after`].

use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::error::{Issue, IssueCode, ValidationError};
use crate::text::push_token;

/// The most characters of a server-provided message that an [`ApiError`] keeps.
const MESSAGE_CHARS: usize = 300;

/// Why a response could not be turned into the endpoint's result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The server answered with a status outside 2xx.
    #[error(transparent)]
    Api(ApiError),
    /// The server answered 2xx but the body does not match the endpoint's result: every issue,
    /// with JSON Pointer paths into the body.
    #[error("unexpected response body: {0}")]
    Decode(ValidationError),
}

impl ResponseError {
    /// Whether the same request may be sent again (only a [`ResponseError::Api`] whose
    /// [`ApiError::retryable`] is set; see [`Retry`] for which statuses that is per request).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ResponseError::Api(e) if e.retryable)
    }
}

/// A non-2xx answer from the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// A sentence for people: the server's `detail` (or `message`/`error`) string when the body
    /// has one, `"request validation failed"` for a FastAPI validation list, otherwise
    /// `"HTTP <status> <reason>"`. Cut to 300 characters, control characters replaced, the
    /// API key scrubbed. A 3xx is an error too (clients never follow a redirect, which would
    /// send the API key and body elsewhere): its message ends with a note saying so.
    pub message: String,
    /// The items of a FastAPI-style `{"detail": [{"loc", "msg", "type"}]}` body, one [`Issue`]
    /// each. `path` is a JSON Pointer built from `loc` after dropping its leading `"body"`,
    /// `"query"` or `"path"` element (so `["body", "events", 2]` becomes `/events/2`, which
    /// matches the builder's argument paths). `code` maps the FastAPI `type`: `missing` →
    /// `missing_field`, `extra_forbidden` → `unknown_field`, `*_type`/`*_parsing`/`type_error*`
    /// → `wrong_type`, `json_invalid` → `invalid_json`, anything else → `invalid_value`.
    /// `message` is the item's `msg`. Empty for any other body.
    pub details: Vec<Issue>,
    /// Whether sending the same request again is safe and may succeed (see [`retry_after`]
    /// for how long to wait). It depends on the request ([`Retry`]): a request that can be sent
    /// twice without harm is retryable on 408, 429 and 5xx; a request that creates something
    /// only on 429 and 503, the statuses that say the request was not processed. After any
    /// other 5xx to such a request the thing may exist already, and `message` says how to check.
    pub retryable: bool,
}

/// How a request may be retried: the policy of its endpoint, from [`Prepared::retry`].
///
/// OneInbox documents no idempotency key, so a request that creates something (a webhook, or
/// a call, which dials a phone) is never sent again after an answer that leaves open whether
/// it was processed (500, 502, 504, a lost connection).
///
/// [`Prepared::retry`]: super::Prepared::retry
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Sending it twice has the effect of sending it once (`GET`, `PATCH`, `DELETE`):
    /// retryable on 408, 429 and 5xx, and after a lost connection.
    Idempotent,
    /// It creates a webhook (`create_webhook`): retryable only on 429 and 503.
    CreatesWebhook,
    /// It creates a call and dials the phone (`create_call`): retryable only on 429 and 503.
    CreatesCall,
    /// It makes OneInbox send a test delivery (`test_webhook`): each retry may send another, so
    /// it is retryable only on 429 and 503 (not processed), never after a lost connection.
    SendsTestDelivery,
}

impl Retry {
    /// Whether a response with `status` may be answered by sending the request again.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Retry;
    ///
    /// assert!(Retry::Idempotent.allows(502));
    /// assert!(!Retry::CreatesCall.allows(502)); // the call may have been placed
    /// assert!(Retry::CreatesCall.allows(503));
    /// ```
    pub const fn allows(self, status: u16) -> bool {
        match self {
            Retry::Idempotent => is_retryable_status(status),
            Retry::CreatesWebhook | Retry::CreatesCall | Retry::SendsTestDelivery => {
                status == 429 || status == 503
            }
        }
    }

    /// The policy's stable name, as the bindings show it: `"idempotent"`, `"creates_webhook"`,
    /// `"creates_call"` or `"sends_test_delivery"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Retry::Idempotent => "idempotent",
            Retry::CreatesWebhook => "creates_webhook",
            Retry::CreatesCall => "creates_call",
            Retry::SendsTestDelivery => "sends_test_delivery",
        }
    }

    /// Whether a failure before any answer (the connection lost after the request was sent, a
    /// timeout) may be answered by sending the request again: only for idempotent requests.
    pub const fn after_lost_connection(self) -> bool {
        matches!(self, Retry::Idempotent)
    }

    /// For a request that is not idempotent: what a person should do before sending it again
    /// when the outcome is unknown. `None` for idempotent requests.
    pub const fn ambiguity_note(self) -> Option<&'static str> {
        match self {
            Retry::Idempotent => None,
            Retry::CreatesWebhook => Some(
                "the webhook may have been created; not retried: list the webhooks (list_webhooks, listWebhooks) before creating it again",
            ),
            Retry::CreatesCall => Some(
                "the call may have been placed; not retried: check for its call events (call.started, call.failed) before creating it again",
            ),
            Retry::SendsTestDelivery => Some(
                "a test delivery may have been sent; not retried: check the webhook's deliveries (list_deliveries, listDeliveries) before testing it again",
            ),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error {}: {}", self.status, self.message)?;
        for d in &self.details {
            write!(f, "\n  - {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// `true` for the statuses worth retrying for an idempotent request: 408, 429 and 5xx. A
/// request that creates something has its own rule: [`Retry::allows`].
pub const fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (status >= 500 && status < 600)
}

/// The reason phrase of `status`, for the statuses the API is known to answer.
pub(crate) fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// Server text made safe for a message: control characters become spaces, the key (if any)
/// is replaced by `[redacted]`, and the result is cut to [`MESSAGE_CHARS`] characters.
pub(crate) fn clean(text: &str, secret: Option<&str>) -> String {
    let scrubbed = match secret {
        Some(key) if !key.is_empty() => text.replace(key, "[redacted]"),
        _ => text.to_owned(),
    };
    // A server that echoes a URL back must not put a secret URL token into our errors.
    let scrubbed = crate::text::redact_url_tokens(&scrubbed).into_owned();
    let mut out = String::new();
    for (i, c) in scrubbed.chars().enumerate() {
        if i == MESSAGE_CHARS {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

fn fastapi_code(kind: &str) -> IssueCode {
    match kind {
        "missing" | "value_error.missing" => IssueCode::MissingField,
        "extra_forbidden" | "value_error.extra" => IssueCode::UnknownField,
        "json_invalid" | "value_error.jsondecode" => IssueCode::InvalidJson,
        k if k.ends_with("_type") || k.ends_with("_parsing") || k.starts_with("type_error") => {
            IssueCode::WrongType
        }
        _ => IssueCode::InvalidValue,
    }
}

fn loc_pointer(loc: Option<&Value>) -> String {
    let mut pointer = String::new();
    let Some(Value::Array(parts)) = loc else {
        return pointer;
    };
    let skip = matches!(
        parts.first(),
        Some(Value::String(s)) if s == "body" || s == "query" || s == "path"
    );
    for part in parts.iter().skip(usize::from(skip)) {
        match part {
            Value::String(s) => push_token(&mut pointer, s),
            other => push_token(&mut pointer, &other.to_string()),
        }
    }
    pointer
}

fn detail_issue(item: &Value, secret: Option<&str>) -> Issue {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
    let msg = item
        .get("msg")
        .and_then(Value::as_str)
        .unwrap_or("invalid value");
    Issue::new(
        fastapi_code(kind),
        clean(&loc_pointer(item.get("loc")), secret),
        clean(msg, secret),
    )
}

fn message_of(obj: &serde_json::Map<String, Value>) -> Option<&str> {
    if let Some(Value::String(s)) = obj.get("detail") {
        return Some(s);
    }
    if let Some(Value::String(s)) = obj.get("message") {
        return Some(s);
    }
    match obj.get("error") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(e)) => e.get("message").and_then(Value::as_str),
        _ => None,
    }
}

/// Reads a non-2xx response body into an [`ApiError`] for a request with the `retry` policy.
/// Never fails.
pub(crate) fn parse_error_response(
    status: u16,
    body: &[u8],
    secret: Option<&str>,
    retry: Retry,
) -> ApiError {
    let mut message = None;
    let mut details = Vec::new();
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
        if let Some(Value::Array(items)) = obj.get("detail") {
            details = items.iter().map(|i| detail_issue(i, secret)).collect();
            message = Some("request validation failed".to_owned());
        } else if let Some(m) = message_of(&obj) {
            message = Some(clean(m, secret));
        }
    }
    let mut message = message.unwrap_or_else(|| match reason_phrase(status) {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    });
    if (300..400).contains(&status) {
        message.push_str(
            " (a redirect is not followed: the API key and body go only to the base URL)",
        );
    }
    let retryable = retry.allows(status);
    if !retryable && (500..600).contains(&status) {
        if let Some(note) = retry.ambiguity_note() {
            message.push_str(" (");
            message.push_str(note);
            message.push(')');
        }
    }
    ApiError {
        status,
        message,
        details,
        retryable,
    }
}

/// How long to wait before retrying, from the first `Retry-After` header (name compared
/// case-insensitively).
///
/// The value is either delta-seconds (`"120"`) or an HTTP date (`"Wed, 21 Oct 2015 07:28:00
/// GMT"`, read with `httpdate`), compared with `now` (the caller passes the current time; the
/// crate never reads the clock). A date that is not after `now` gives `Some(Duration::ZERO)`: retry
/// now. A missing, empty or unreadable value, or a number too large for `u64`, gives `None`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oneinbox_webhooks::management::retry_after;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(retry_after(&[("retry-after", "30")], now), Some(Duration::from_secs(30)));
/// assert_eq!(
///     retry_after(&[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")], now),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(retry_after(&[("Content-Type", "text/plain")], now), None);
/// ```
pub fn retry_after<K: AsRef<str>, V: AsRef<str>>(
    headers: &[(K, V)],
    now: SystemTime,
) -> Option<Duration> {
    let value = headers
        .iter()
        .find(|(name, _)| name.as_ref().trim().eq_ignore_ascii_case("retry-after"))?
        .1
        .as_ref()
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastapi_details_become_issues() {
        let body = br#"{"detail":[{"loc":["body","events",2],"msg":"Input should be 'call.started'","type":"enum"},{"loc":["path","webhook_id"],"msg":"Input should be a valid UUID","type":"uuid_parsing"},{"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#;
        let err = parse_error_response(422, body, None, Retry::Idempotent);
        let got: Vec<(&str, &str)> = err
            .details
            .iter()
            .map(|i| (i.code.as_str(), i.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("invalid_value", "/events/2"),
                ("wrong_type", "/webhook_id"),
                ("missing_field", "/name")
            ]
        );
        assert!(!err.retryable);
    }

    #[test]
    fn the_key_is_scrubbed_from_messages() {
        let err = parse_error_response(
            401,
            br#"{"detail":"bad key oi_sk_live_secret123"}"#,
            Some("oi_sk_live_secret123"),
            Retry::Idempotent,
        );
        assert_eq!(err.message, "bad key [redacted]");
    }

    #[test]
    fn creating_requests_retry_only_when_not_processed() {
        for status in [400, 404, 408, 409, 422, 429, 500, 501, 502, 503, 504, 599] {
            let idem = parse_error_response(status, b"", None, Retry::Idempotent);
            assert_eq!(
                idem.retryable,
                status == 408 || status == 429 || status >= 500
            );
            assert!(!idem.message.contains("may have been"), "{}", idem.message);
            for retry in [
                Retry::CreatesCall,
                Retry::CreatesWebhook,
                Retry::SendsTestDelivery,
            ] {
                let e = parse_error_response(status, b"", None, retry);
                assert_eq!(e.retryable, status == 429 || status == 503, "{status}");
                let ambiguous = status >= 500 && status != 503;
                assert_eq!(
                    e.message.contains("may have been"),
                    ambiguous,
                    "{}",
                    e.message
                );
                assert!(!retry.after_lost_connection());
            }
        }
        let e = parse_error_response(502, b"", None, Retry::CreatesCall);
        assert_eq!(
            e.message,
            "HTTP 502 Bad Gateway (the call may have been placed; not retried: check for its call events (call.started, call.failed) before creating it again)"
        );
        assert!(Retry::Idempotent.after_lost_connection());
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            retry_after(&[("RETRY-AFTER", " 0 ")], now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&[("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT")], now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&[("Retry-After", "-5")], now), None);
        assert_eq!(retry_after(&[("Retry-After", "soon")], now), None);
        assert_eq!(retry_after(&[("Retry-After", "")], now), None);
        assert_eq!(
            retry_after(&[("Retry-After", "99999999999999999999999")], now),
            None
        );
        let none: [(&str, &str); 0] = [];
        assert_eq!(retry_after(&none, now), None);
    }

    #[test]
    fn display_snapshot() {
        let err = ResponseError::Api(parse_error_response(
            422,
            br#"{"detail":[{"loc":["body","url"],"msg":"URL scheme should be 'https'","type":"url_scheme"}]}"#,
            None,
            Retry::Idempotent,
        ));
        insta::assert_snapshot!(err.to_string(), @r"
        API error 422: request validation failed
          - /url: URL scheme should be 'https' [invalid_value]
        ");
    }
}
