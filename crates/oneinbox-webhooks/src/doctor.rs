//! The delivery doctor: reads a webhook's delivery history and says what is wrong, why, and
//! how to fix it.
//!
//! [`diagnose`] is pure: it takes the webhooks, their delivery history (one row per attempt,
//! as `GET /v1/webhooks/{id}/deliveries` returns it) and, optionally, calls (as `GET
//! /v1/calls/{id}` returns them), and returns a [`Diagnosis`]: the failed deliveries grouped
//! by [`CauseCode`], each with an explanation and a fix. The JSON form of a `Diagnosis` is the
//! `doctor --json` output of both commands; [`render_text`] is their text output.
//!
//! How it reads the history:
//!
//! - A *delivery* is one event of one call to one webhook: the attempts with the same
//!   `webhook_id`, `call_id` (an extra member of the row) and `event`. A row without a
//!   `call_id` is a delivery of its own. Its *newest* attempt has the highest `attempt`, then
//!   the latest time (`completed_at`, else `created_at`), then comes first in the input (the
//!   API lists the newest first).
//! - An attempt *failed* when its `status` says so (`failed`, `failure`, `error`), or, when the
//!   status is absent or another word, when it has an `error` or a non-2xx `response_status`.
//! - A delivery *failed for good* when its newest attempt failed without a `next_retry_at`; it
//!   is *retrying* when that attempt has one (or the newest attempt is neither a success nor a
//!   failure). One whose newest attempt succeeded after failures is *recovered*: listed under
//!   [`Diagnosis::recovered`], not a problem.
//! - Each failed attempt of a delivery that failed for good or is retrying counts under its
//!   cause, read from `response_status`, `response_body` and `error`. A row the doctor cannot
//!   read (no status, no error) counts under [`CauseCode::Unknown`]; nothing makes it fail.
//! - Connection-refused attempts that follow each other in one webhook's history (no answered
//!   attempt between them, at least two) form an *outage window* of the receiver.
//! - With calls: a call whose `webhook_url` (kept in [`Call::extra`]) is none of the
//!   registered webhooks' URLs is *URL drift* (the comparison is exact; a URL that differs only
//!   in its `token` parameter is reported as a stale token). A URL's `token` is never printed.
//!   An event that a call shows has happened (`started_at`, `ended_at`, `messages`,
//!   `analysis`, `recording_url`, a `failed` status) that no webhook subscribes to is
//!   *not subscribed*.
//!
//! ```
//! use oneinbox_webhooks::doctor::{diagnose_json, render_text, CauseCode};
//!
//! let input = serde_json::json!({
//!     "webhooks": [{"id": "wh_1", "url": "https://example.com/hooks", "status": "active"}],
//!     "deliveries": [{"id": "dlv_2", "webhook_id": "wh_1", "event": "call.ended",
//!                     "call_id": "call_1", "status": "failed", "attempt": 2,
//!                     "response_status": 401, "completed_at": "2026-06-01T10:05:00Z"},
//!                    {"id": "dlv_1", "webhook_id": "wh_1", "event": "call.ended",
//!                     "call_id": "call_1", "status": "failed", "attempt": 1,
//!                     "response_status": 401, "next_retry_at": "2026-06-01T10:05:00Z",
//!                     "completed_at": "2026-06-01T10:00:00Z"}],
//! });
//! let diagnosis = diagnose_json(input)?;
//! assert!(!diagnosis.healthy);
//! assert_eq!(diagnosis.causes[0].code, CauseCode::Unauthorized);
//! assert_eq!(diagnosis.causes[0].attempts, 2);
//! assert_eq!(diagnosis.causes[0].failed_for_good, 1);
//! assert!(render_text(&diagnosis).contains("[unauthorized]"));
//! # Ok::<(), oneinbox_webhooks::ValidationError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Issue, IssueCode, ValidationError};
use crate::management::{Call, Delivery, Webhook, WebhookStatus};
use crate::text::{child_index, redact_url_tokens};

/// How many example delivery ids a [`Cause`] lists at most.
pub const MAX_EXAMPLES: usize = 3;

/// Why deliveries failed (or what else is wrong). The snake_case string ([`CauseCode::as_str`],
/// also the JSON form) is part of the public API. Causes are listed in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CauseCode {
    /// 401 or 403: the receiver did not authenticate the delivery.
    Unauthorized,
    /// 400 without this SDK's issues body: the body was changed or rejected before the SDK.
    BadRequest,
    /// 400 with this SDK's `{"issues": [...]}` body: the payload did not validate.
    InvalidPayload,
    /// 404: nothing at that path.
    NotFound,
    /// 405: the endpoint does not accept `POST`.
    MethodNotAllowed,
    /// 413: the receiver's size limit is below the body.
    PayloadTooLarge,
    /// 415: the receiver refused the content type.
    UnsupportedMediaType,
    /// 5xx (but 504): the handler failed.
    ServerError,
    /// A timeout, 408 or 504: the receiver answered too late.
    Timeout,
    /// The connection was refused (or the host was unreachable).
    ConnectionRefused,
    /// Another transport error: no response at all (for example `dropped`).
    NoResponse,
    /// Another HTTP status.
    OtherStatus,
    /// A failed attempt with neither a status nor an error.
    Unknown,
    /// A webhook is inactive (paused): nothing is delivered to it.
    WebhookInactive,
    /// Calls show events that no webhook subscribes to.
    EventsNotSubscribed,
    /// Calls were sent to a `webhook_url` that is not a registered webhook's URL.
    UrlDrift,
}

impl CauseCode {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CauseCode::Unauthorized => "unauthorized",
            CauseCode::BadRequest => "bad_request",
            CauseCode::InvalidPayload => "invalid_payload",
            CauseCode::NotFound => "not_found",
            CauseCode::MethodNotAllowed => "method_not_allowed",
            CauseCode::PayloadTooLarge => "payload_too_large",
            CauseCode::UnsupportedMediaType => "unsupported_media_type",
            CauseCode::ServerError => "server_error",
            CauseCode::Timeout => "timeout",
            CauseCode::ConnectionRefused => "connection_refused",
            CauseCode::NoResponse => "no_response",
            CauseCode::OtherStatus => "other_status",
            CauseCode::Unknown => "unknown",
            CauseCode::WebhookInactive => "webhook_inactive",
            CauseCode::EventsNotSubscribed => "events_not_subscribed",
            CauseCode::UrlDrift => "url_drift",
        }
    }

    /// A one-line title, the explanation and the fix, for people.
    pub const fn texts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            CauseCode::Unauthorized => (
                "Deliveries rejected as unauthenticated (401/403)",
                "The receiver did not accept the delivery's token or signature: the URL token was rotated, the receiver checks with another webhook's secret, or the body was changed (parsed and re-serialized) before it was verified.",
                "Give the receiver the token and secret of this webhook (see the webhook's `url` and `secret`), and verify the raw body before any JSON middleware reads it.",
            ),
            CauseCode::BadRequest => (
                "Deliveries rejected with 400 before the SDK read them",
                "The 400 did not come from this SDK's receiver (it writes an `issues` body): a JSON body parser or another middleware changed or rejected the body first.",
                "Mount the webhook route before any JSON middleware (or exclude it), so that the SDK receives the raw body.",
            ),
            CauseCode::InvalidPayload => (
                "Deliveries rejected as invalid payloads (400)",
                "The receiver parsed the body and found issues (listed in the response body): a payload this receiver's version or options do not accept.",
                "Read the issues in the response bodies; upgrade the SDK or relax the receiver's options (strict mode, limits), then replay the deliveries or reconcile the calls.",
            ),
            CauseCode::NotFound => (
                "Deliveries sent to a path that does not exist (404)",
                "The webhook's URL points to a path the receiver does not serve: a typo, a changed route or a missing prefix.",
                "Update the webhook's `url` to the receiver's route (or mount the route at that path).",
            ),
            CauseCode::MethodNotAllowed => (
                "Deliveries refused with 405 (method not allowed)",
                "The route exists but does not accept POST: another handler (for example a GET page) is at that path.",
                "Serve the webhook with a POST route at the webhook's URL.",
            ),
            CauseCode::PayloadTooLarge => (
                "Deliveries refused as too large (413)",
                "A size limit (the receiver's `max_body_bytes`, a proxy's or a framework's body limit) is below the size of these events; long transcripts are the usual case.",
                "Raise the body limit on the receiver and every proxy in front of it above the largest event (transcripts can be megabytes).",
            ),
            CauseCode::UnsupportedMediaType => (
                "Deliveries refused with 415 (unsupported media type)",
                "The receiver or a middleware refused the delivery's content type.",
                "Accept `application/json` (with any parameters) on the webhook route.",
            ),
            CauseCode::ServerError => (
                "The receiver failed while handling deliveries (5xx)",
                "The handler raised an error or the receiver's store failed (the SDK answers 500 then, so that OneInbox retries; it also answers 500 when a middleware read the body first).",
                "Read the receiver's logs at these times and fix the handler; with an inbox, failed handlers are retried by the worker instead of failing the delivery.",
            ),
            CauseCode::Timeout => (
                "The receiver answered too late (timeout)",
                "OneInbox waits only a few seconds for an answer; the handler did its work before answering.",
                "Acknowledge first: record the delivery in an inbox and answer at once (`ack_timeout`), and let the worker run the handlers.",
            ),
            CauseCode::ConnectionRefused => (
                "The receiver could not be reached (connection refused)",
                "Nothing accepted the connection: the receiver was down, restarting or not listening at that address. Consecutive refusals are an outage (see the windows).",
                "Keep the receiver up (health checks, rolling restarts); after an outage, reconcile the affected calls (`doctor --reconcile` or `reconcile`).",
            ),
            CauseCode::NoResponse => (
                "Deliveries got no response",
                "The connection failed or the delivery was dropped before any answer.",
                "Check the network path to the receiver (DNS, TLS, proxies); reconcile the affected calls to recover their events.",
            ),
            CauseCode::OtherStatus => (
                "Deliveries refused with another HTTP status",
                "The receiver answered with a status this doctor has no rule for (see the statuses).",
                "Check what answers at the webhook's URL with these statuses.",
            ),
            CauseCode::Unknown => (
                "Failed deliveries without a reason",
                "The delivery history records a failure with neither an HTTP status nor an error.",
                "Look at the deliveries in OneInbox's dashboard; reconcile the affected calls.",
            ),
            CauseCode::WebhookInactive => (
                "Webhook inactive",
                "The webhook is paused (`inactive` or `disabled`): OneInbox delivers nothing to it.",
                "Set the webhook's status to `active` (update_webhook), then reconcile the calls made meanwhile.",
            ),
            CauseCode::EventsNotSubscribed => (
                "Events that no webhook subscribes to",
                "These calls show events (a start, an end, a transcript, an analysis, a recording) that none of the webhooks subscribes to, so they are never delivered.",
                "Add the events to a webhook's `events` (update_webhook replaces the whole list), or fetch the calls with `get_call` (reconcile).",
            ),
            CauseCode::UrlDrift => (
                "Calls sent to an unregistered webhook_url",
                "These calls carry a per-call `webhook_url` that is none of the registered webhooks' URLs (an old deployment, a stale token, another environment).",
                "Create calls with the current URL (or none, to use the registered webhooks), and reconcile the calls that went elsewhere.",
            ),
        }
    }

    /// Every code, in the order causes are listed.
    pub const ALL: [CauseCode; 16] = [
        CauseCode::Unauthorized,
        CauseCode::BadRequest,
        CauseCode::InvalidPayload,
        CauseCode::NotFound,
        CauseCode::MethodNotAllowed,
        CauseCode::PayloadTooLarge,
        CauseCode::UnsupportedMediaType,
        CauseCode::ServerError,
        CauseCode::Timeout,
        CauseCode::ConnectionRefused,
        CauseCode::NoResponse,
        CauseCode::OtherStatus,
        CauseCode::Unknown,
        CauseCode::WebhookInactive,
        CauseCode::EventsNotSubscribed,
        CauseCode::UrlDrift,
    ];
}

/// What the doctor found. Its JSON form (serde) is the commands' `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// No problem: no cause and no call with an event that never succeeded.
    pub healthy: bool,
    /// Counts over the input.
    pub summary: Summary,
    /// The problems, in [`CauseCode`] order.
    pub causes: Vec<Cause>,
    /// Failures that later succeeded, by cause (not problems).
    pub recovered: Vec<Recovered>,
    /// The calls with an event that no attempt delivered (failed for good or still retrying),
    /// by call id.
    pub calls_never_succeeded: Vec<MissingCall>,
}

/// Counts over the input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Webhooks given.
    pub webhooks: u64,
    /// Delivery rows (attempts) given.
    pub attempts: u64,
    /// Deliveries (one event of one call to one webhook).
    pub deliveries: u64,
    /// Deliveries whose newest attempt succeeded (recovered ones included).
    pub succeeded: u64,
    /// Deliveries that succeeded after failed attempts.
    pub recovered: u64,
    /// Deliveries still being retried.
    pub retrying: u64,
    /// Deliveries that failed for good.
    pub failed: u64,
    /// Calls given (0 without calls).
    pub calls: u64,
}

/// One cause of failed deliveries (or another problem), with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// The stable code.
    pub code: CauseCode,
    /// A one-line title.
    pub title: String,
    /// What it means.
    pub explanation: String,
    /// How to fix it.
    pub fix: String,
    /// Failed attempts with this cause.
    pub attempts: u64,
    /// Deliveries with at least one such attempt.
    pub deliveries: u64,
    /// Deliveries that failed for good with this cause on their newest attempt.
    pub failed_for_good: u64,
    /// Deliveries still retrying with this cause on their newest attempt.
    pub retrying: u64,
    /// The earliest attempt's time, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_at: Option<String>,
    /// The latest attempt's time, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    /// The webhooks concerned, sorted.
    pub webhook_ids: Vec<String>,
    /// Up to [`MAX_EXAMPLES`] delivery ids, newest first.
    pub example_delivery_ids: Vec<String>,
    /// The calls concerned, sorted.
    pub call_ids: Vec<String>,
    /// The HTTP statuses seen, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<i64>,
    /// Outage windows ([`CauseCode::ConnectionRefused`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    /// The drifted URLs, tokens redacted ([`CauseCode::UrlDrift`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<DriftUrl>,
    /// The events concerned ([`CauseCode::EventsNotSubscribed`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// An outage of a receiver: consecutive connection-refused attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The webhook.
    pub webhook_id: String,
    /// The first refused attempt's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The last refused attempt's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// How many attempts were refused in the window.
    pub attempts: u64,
}

/// A per-call `webhook_url` that no registered webhook has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftUrl {
    /// The URL, its `token` redacted.
    pub url: String,
    /// `token`: it differs from a registered URL only in its token; `url`: it differs more.
    pub kind: String,
    /// The calls sent there, sorted.
    pub call_ids: Vec<String>,
}

/// Failures that later succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    /// The cause of the failed attempts.
    pub code: CauseCode,
    /// Failed attempts.
    pub attempts: u64,
    /// Deliveries that recovered from them.
    pub deliveries: u64,
    /// The webhooks concerned, sorted.
    pub webhook_ids: Vec<String>,
}

/// A call with events that no attempt delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingCall {
    /// The call.
    pub call_id: String,
    /// Its events that never succeeded on any webhook, sorted.
    pub events: Vec<String>,
    /// The webhooks that failed them, sorted.
    pub webhook_ids: Vec<String>,
}

impl Diagnosis {
    /// A diagnosis of nothing: healthy, all counts zero.
    pub fn healthy() -> Self {
        Diagnosis {
            healthy: true,
            summary: Summary::default(),
            causes: Vec::new(),
            recovered: Vec::new(),
            calls_never_succeeded: Vec::new(),
        }
    }

    /// The JSON form as text, indented by two spaces (no final newline): the doctor
    /// commands' `--json` output in every language.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// An attempt's outcome.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed(CauseCode),
    Pending,
}

/// A delivery's state, from its newest attempt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Ok,
    Recovered,
    Retrying,
    FailedForGood,
}

struct Row<'a> {
    index: usize,
    d: &'a Delivery,
    call_id: Option<&'a str>,
    time: Option<&'a str>,
    instant: Option<i128>,
    outcome: Outcome,
}

fn outcome(d: &Delivery) -> Outcome {
    let status = d.status.as_deref().map(str::to_ascii_lowercase);
    let answered_2xx = matches!(d.response_status, Some(200..=299));
    match status.as_deref() {
        Some("succeeded" | "success" | "delivered" | "ok") => Outcome::Succeeded,
        Some("failed" | "failure" | "error") => Outcome::Failed(cause_of(d)),
        _ if d.error.is_some() || (d.response_status.is_some() && !answered_2xx) => {
            Outcome::Failed(cause_of(d))
        }
        _ if answered_2xx => Outcome::Succeeded,
        _ => Outcome::Pending,
    }
}

/// The cause of a failed attempt.
fn cause_of(d: &Delivery) -> CauseCode {
    match d.response_status {
        Some(401 | 403) => CauseCode::Unauthorized,
        Some(400) if is_issues_body(d.response_body.as_deref()) => CauseCode::InvalidPayload,
        Some(400) => CauseCode::BadRequest,
        Some(404) => CauseCode::NotFound,
        Some(405) => CauseCode::MethodNotAllowed,
        Some(413) => CauseCode::PayloadTooLarge,
        Some(415) => CauseCode::UnsupportedMediaType,
        Some(408 | 504) => CauseCode::Timeout,
        Some(500..=599) => CauseCode::ServerError,
        Some(200..=299) => CauseCode::Unknown,
        Some(_) => CauseCode::OtherStatus,
        None => match d.error.as_deref().map(str::to_ascii_lowercase) {
            Some(e) if e.contains("timeout") || e.contains("timed out") => CauseCode::Timeout,
            Some(e)
                if [
                    "refused",
                    "unreachable",
                    "could not connect",
                    "failed to connect",
                    "cannot connect",
                ]
                .iter()
                .any(|w| e.contains(w)) =>
            {
                CauseCode::ConnectionRefused
            }
            Some(_) => CauseCode::NoResponse,
            None => CauseCode::Unknown,
        },
    }
}

/// The body this SDK's receivers answer an invalid payload with: `{"issues": [...]}`
/// ([`answer::after_receive`](crate::answer::after_receive)).
fn is_issues_body(body: Option<&str>) -> bool {
    body.and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|v| v.get("issues").map(Value::is_array))
        .unwrap_or(false)
}

/// An RFC 3339 time as nanoseconds since the epoch (`None` when it is not one).
fn instant(s: &str) -> Option<i128> {
    if !crate::formats::is_rfc3339(s) {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<i64> { s.get(a..b)?.parse().ok() };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut rest = s.get(19..)?;
    let mut nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut scale = 100_000_000i128;
        for c in frac.get(..digits)?.bytes().take(9) {
            nanos += i128::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = frac.get(digits..)?;
    }
    let offset = match rest.as_bytes() {
        [sign @ (b'+' | b'-'), ..] => {
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            let total = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => 0,
    };
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

#[derive(Default)]
struct Acc<'a> {
    rows: Vec<&'a Row<'a>>,
    deliveries: BTreeSet<usize>,
    failed_for_good: u64,
    retrying: u64,
}

/// Diagnoses the delivery history of `webhooks`. `deliveries` may hold rows of other webhooks
/// too (they are diagnosed, under their own `webhook_id`); `calls`, when given, also checks
/// URL drift and unsubscribed events.
pub fn diagnose(
    webhooks: &[Webhook],
    deliveries: &[Delivery],
    calls: Option<&[Call]>,
) -> Diagnosis {
    let rows: Vec<Row<'_>> = deliveries
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let time = d.completed_at.as_deref().or(d.created_at.as_deref());
            Row {
                index,
                d,
                call_id: d.extra.get("call_id").and_then(Value::as_str),
                time,
                instant: time.and_then(instant),
                outcome: outcome(d),
            }
        })
        .collect();

    // Group the attempts into deliveries.
    let mut groups: BTreeMap<(String, String, String), Vec<&Row<'_>>> = BTreeMap::new();
    for row in &rows {
        let key = match row.call_id {
            Some(call) => (
                row.d.webhook_id.clone().unwrap_or_default(),
                call.to_owned(),
                row.d.event.clone().unwrap_or_default(),
            ),
            None => (String::new(), String::new(), format!("#{}", row.index)),
        };
        groups.entry(key).or_default().push(row);
    }

    let mut summary = Summary {
        webhooks: webhooks.len() as u64,
        attempts: rows.len() as u64,
        deliveries: groups.len() as u64,
        calls: calls.map_or(0, |c| c.len() as u64),
        ..Summary::default()
    };
    let mut problems: BTreeMap<CauseCode, Acc<'_>> = BTreeMap::new();
    let mut recovered: BTreeMap<CauseCode, Acc<'_>> = BTreeMap::new();
    let mut problem_rows: BTreeSet<usize> = BTreeSet::new();
    // (call id, event) -> (succeeded somewhere, failing webhooks)
    let mut per_event: BTreeMap<(&str, &str), (bool, BTreeSet<&str>)> = BTreeMap::new();

    for (g, members) in groups.values().enumerate() {
        let Some(newest) = members.iter().copied().max_by(|a, b| {
            (
                a.d.attempt.unwrap_or(0),
                a.instant,
                std::cmp::Reverse(a.index),
            )
                .cmp(&(
                    b.d.attempt.unwrap_or(0),
                    b.instant,
                    std::cmp::Reverse(b.index),
                ))
        }) else {
            continue;
        };
        let any_failed = members
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Failed(_)));
        let state = match newest.outcome {
            Outcome::Succeeded if any_failed => State::Recovered,
            Outcome::Succeeded => State::Ok,
            Outcome::Failed(_) if newest.d.next_retry_at.is_none() => State::FailedForGood,
            _ => State::Retrying,
        };
        match state {
            State::Ok => summary.succeeded += 1,
            State::Recovered => {
                summary.succeeded += 1;
                summary.recovered += 1;
            }
            State::Retrying => summary.retrying += 1,
            State::FailedForGood => summary.failed += 1,
        }
        let target = if state == State::Recovered {
            &mut recovered
        } else {
            &mut problems
        };
        for row in members {
            if let Outcome::Failed(code) = row.outcome {
                let acc = target.entry(code).or_default();
                acc.rows.push(row);
                acc.deliveries.insert(g);
                if state != State::Recovered {
                    problem_rows.insert(row.index);
                }
            }
        }
        if let Outcome::Failed(code) = newest.outcome {
            if let Some(acc) = problems.get_mut(&code) {
                match state {
                    State::FailedForGood => acc.failed_for_good += 1,
                    State::Retrying => acc.retrying += 1,
                    _ => {}
                }
            }
        }
        if let (Some(call), Some(event)) = (newest.call_id, newest.d.event.as_deref()) {
            let entry = per_event.entry((call, event)).or_default();
            match state {
                State::Ok | State::Recovered => entry.0 = true,
                _ => {
                    if let Some(w) = newest.d.webhook_id.as_deref() {
                        entry.1.insert(w);
                    }
                }
            }
        }
    }

    let windows = outage_windows(&rows, &problem_rows);
    let mut causes: Vec<Cause> = problems
        .into_iter()
        .map(|(code, acc)| {
            let mut cause = cause_from(code, &acc);
            if code == CauseCode::ConnectionRefused {
                cause.windows.clone_from(&windows);
            }
            cause
        })
        .collect();
    causes.extend(config_causes(webhooks, calls));
    causes.sort_by_key(|c| c.code);

    let recovered = recovered
        .into_iter()
        .map(|(code, acc)| Recovered {
            code,
            attempts: acc.rows.len() as u64,
            deliveries: acc.deliveries.len() as u64,
            webhook_ids: webhook_ids(&acc.rows),
        })
        .collect();

    let mut missing: BTreeMap<&str, MissingCall> = BTreeMap::new();
    for ((call, event), (succeeded, hooks)) in per_event {
        if succeeded {
            continue;
        }
        let entry = missing.entry(call).or_insert_with(|| MissingCall {
            call_id: call.to_owned(),
            events: Vec::new(),
            webhook_ids: Vec::new(),
        });
        entry.events.push(event.to_owned());
        for h in hooks {
            if !entry.webhook_ids.iter().any(|w| w == h) {
                entry.webhook_ids.push(h.to_owned());
            }
        }
    }
    let calls_never_succeeded: Vec<MissingCall> = missing
        .into_values()
        .map(|mut m| {
            m.webhook_ids.sort();
            m
        })
        .collect();

    Diagnosis {
        healthy: causes.is_empty() && calls_never_succeeded.is_empty(),
        summary,
        causes,
        recovered,
        calls_never_succeeded,
    }
}

fn webhook_ids(rows: &[&Row<'_>]) -> Vec<String> {
    let set: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.d.webhook_id.as_deref())
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

fn empty_cause(code: CauseCode) -> Cause {
    let (title, explanation, fix) = code.texts();
    Cause {
        code,
        title: title.to_owned(),
        explanation: explanation.to_owned(),
        fix: fix.to_owned(),
        attempts: 0,
        deliveries: 0,
        failed_for_good: 0,
        retrying: 0,
        first_at: None,
        last_at: None,
        webhook_ids: Vec::new(),
        example_delivery_ids: Vec::new(),
        call_ids: Vec::new(),
        statuses: Vec::new(),
        windows: Vec::new(),
        urls: Vec::new(),
        events: Vec::new(),
    }
}

fn cause_from(code: CauseCode, acc: &Acc<'_>) -> Cause {
    let mut cause = empty_cause(code);
    cause.attempts = acc.rows.len() as u64;
    cause.deliveries = acc.deliveries.len() as u64;
    cause.failed_for_good = acc.failed_for_good;
    cause.retrying = acc.retrying;
    // Newest first: latest time, then first in the input.
    let mut by_time: Vec<&Row<'_>> = acc.rows.clone();
    by_time.sort_by(|a, b| (b.instant, a.index).cmp(&(a.instant, b.index)));
    let timed: Vec<&&Row<'_>> = by_time.iter().filter(|r| r.time.is_some()).collect();
    cause.last_at = timed.first().and_then(|r| r.time).map(str::to_owned);
    cause.first_at = timed.last().and_then(|r| r.time).map(str::to_owned);
    cause.example_delivery_ids = by_time
        .iter()
        .take(MAX_EXAMPLES)
        .map(|r| r.d.id.clone())
        .collect();
    cause.webhook_ids = webhook_ids(&acc.rows);
    let calls: BTreeSet<&str> = acc.rows.iter().filter_map(|r| r.call_id).collect();
    cause.call_ids = calls.into_iter().map(str::to_owned).collect();
    let statuses: BTreeSet<i64> = acc
        .rows
        .iter()
        .filter_map(|r| r.d.response_status)
        .collect();
    cause.statuses = statuses.into_iter().collect();
    cause
}

/// Runs of at least two connection-refused attempts in one webhook's history (oldest first)
/// with no answered attempt between them (a success, or any HTTP status), each holding an
/// attempt of a delivery that did not recover.
fn outage_windows(rows: &[Row<'_>], problem_rows: &BTreeSet<usize>) -> Vec<Window> {
    let mut by_hook: BTreeMap<&str, Vec<&Row<'_>>> = BTreeMap::new();
    for row in rows {
        if let Some(w) = row.d.webhook_id.as_deref() {
            by_hook.entry(w).or_default().push(row);
        }
    }
    let mut windows = Vec::new();
    for (hook, mut hook_rows) in by_hook {
        // Oldest first: earliest time, then last in the input.
        hook_rows.sort_by(|a, b| (a.instant, b.index).cmp(&(b.instant, a.index)));
        let mut run: Vec<&Row<'_>> = Vec::new();
        let mut flush = |run: &mut Vec<&Row<'_>>| {
            if run.len() >= 2 && run.iter().any(|r| problem_rows.contains(&r.index)) {
                windows.push(Window {
                    webhook_id: hook.to_owned(),
                    from: run.first().and_then(|r| r.time).map(str::to_owned),
                    to: run.last().and_then(|r| r.time).map(str::to_owned),
                    attempts: run.len() as u64,
                });
            }
            run.clear();
        };
        for row in hook_rows {
            match row.outcome {
                Outcome::Failed(CauseCode::ConnectionRefused) => run.push(row),
                // The receiver answered: the outage (if any) was over.
                Outcome::Succeeded => flush(&mut run),
                _ if row.d.response_status.is_some() => flush(&mut run),
                // No answer (a timeout, a dropped delivery, nothing recorded): it may still
                // have been down.
                _ => {}
            }
        }
        flush(&mut run);
    }
    windows
}

/// The problems the webhooks and calls show by themselves: inactive webhooks, unsubscribed
/// events, URL drift.
fn config_causes(webhooks: &[Webhook], calls: Option<&[Call]>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let inactive: Vec<String> = webhooks
        .iter()
        .filter(|w| w.status == Some(WebhookStatus::Inactive))
        .map(|w| w.id.clone())
        .collect();
    if !inactive.is_empty() {
        let mut cause = empty_cause(CauseCode::WebhookInactive);
        cause.webhook_ids = sorted(inactive);
        causes.push(cause);
    }
    let Some(calls) = calls else {
        return causes;
    };

    // Events the calls show that no webhook subscribes to (only when some webhook lists its
    // events: otherwise nothing can be told).
    let known: Vec<&Webhook> = webhooks.iter().filter(|w| w.events.is_some()).collect();
    if !known.is_empty() {
        let subscribed: BTreeSet<&str> = known
            .iter()
            .flat_map(|w| w.events.iter().flatten().map(String::as_str))
            .collect();
        let mut events = BTreeSet::new();
        let mut call_ids = BTreeSet::new();
        for call in calls {
            for event in implied_events(call) {
                if !subscribed.contains(event) {
                    events.insert(event);
                    call_ids.insert(call.id.as_str());
                }
            }
        }
        if !events.is_empty() {
            let mut cause = empty_cause(CauseCode::EventsNotSubscribed);
            cause.events = events.into_iter().map(str::to_owned).collect();
            cause.call_ids = call_ids.into_iter().map(str::to_owned).collect();
            cause.webhook_ids = sorted(known.iter().map(|w| w.id.clone()).collect());
            causes.push(cause);
        }
    }

    // URL drift.
    let registered: Vec<&str> = webhooks.iter().filter_map(|w| w.url.as_deref()).collect();
    if !registered.is_empty() {
        let mut drift: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for call in calls {
            let Some(url) = call.extra.get("webhook_url").and_then(Value::as_str) else {
                continue;
            };
            if !registered.contains(&url) {
                drift.entry(url).or_default().insert(call.id.as_str());
            }
        }
        if !drift.is_empty() {
            let mut cause = empty_cause(CauseCode::UrlDrift);
            let mut all_calls = BTreeSet::new();
            for (url, ids) in drift {
                let kind = if registered
                    .iter()
                    .any(|r| redact_url_tokens(r) == redact_url_tokens(url))
                {
                    "token"
                } else {
                    "url"
                };
                all_calls.extend(ids.iter().copied());
                cause.urls.push(DriftUrl {
                    url: redact_url_tokens(url).into_owned(),
                    kind: kind.to_owned(),
                    call_ids: ids.into_iter().map(str::to_owned).collect(),
                });
            }
            cause
                .urls
                .sort_by(|a, b| (&a.url, &a.kind).cmp(&(&b.url, &b.kind)));
            cause.call_ids = all_calls.into_iter().map(str::to_owned).collect();
            causes.push(cause);
        }
    }
    causes
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// The events a call's snapshot shows have happened.
fn implied_events(call: &Call) -> Vec<&'static str> {
    let status = call.status.as_deref().unwrap_or("");
    let mut events = Vec::new();
    if call.started_at.is_some() || matches!(status, "in_progress" | "completed") {
        events.push("call.started");
    }
    if call.ended_at.is_some() || status == "completed" {
        events.push("call.ended");
    }
    if status == "failed" {
        events.push("call.failed");
    }
    if call.messages.as_ref().is_some_and(|m| !m.is_empty()) {
        events.push("transcript.final");
    }
    if call.analysis.is_some() || call.outcome.is_some() || call.ai_summary.is_some() {
        events.push("call.analyzed");
    }
    if call.recording_url.is_some() {
        events.push("call.recording.available");
    }
    events
}

/// Reads the doctor's input from JSON: `{"webhooks": [...], "deliveries": [...], "calls":
/// [...] | null}`, each item read as the API's response (leniently: unknown members kept, only
/// `id` required), then diagnoses it. Issues have paths into that document
/// (`/deliveries/3/id`).
pub fn diagnose_json(input: Value) -> Result<Diagnosis, ValidationError> {
    let mut issues = Vec::new();
    let Value::Object(mut obj) = input else {
        return Err(ValidationError::new(vec![Issue::new(
            IssueCode::NotAnObject,
            "",
            "expected an object with `webhooks`, `deliveries` and `calls`",
        )]));
    };
    let mut list = |key: &str, required: bool, issues: &mut Vec<Issue>| -> Option<Vec<Value>> {
        match obj.shift_remove(key) {
            Some(Value::Array(items)) => Some(items),
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                issues.push(Issue::new(
                    IssueCode::MissingField,
                    format!("/{key}"),
                    format!("`{key}` is missing: expected a list"),
                ));
                None
            }
            Some(other) => {
                issues.push(Issue::new(
                    IssueCode::WrongType,
                    format!("/{key}"),
                    format!(
                        "`{key}` must be a list, found {}",
                        crate::management::json_type_name(&other)
                    ),
                ));
                None
            }
        }
    };
    let hooks = list("webhooks", true, &mut issues);
    let rows = list("deliveries", true, &mut issues);
    let calls = list("calls", false, &mut issues);
    let webhooks: Vec<Webhook> = hooks
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(i, v)| {
            crate::management::read_webhook(v, &child_index("/webhooks", i), &mut issues)
        })
        .collect();
    let deliveries: Vec<Delivery> = rows
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(i, v)| {
            crate::management::read_delivery(v, &child_index("/deliveries", i), &mut issues)
        })
        .collect();
    let calls: Option<Vec<Call>> = calls.map(|items| {
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let prefix = child_index("/calls", i);
                let body = serde_json::to_vec(&v).unwrap_or_default();
                crate::management::decode_call(&body)
                    .map_err(|e| {
                        issues.extend(e.issues().iter().map(|issue| {
                            Issue::new(
                                issue.code,
                                format!("{prefix}{}", issue.path),
                                issue.message.clone(),
                            )
                        }));
                    })
                    .ok()
            })
            .collect()
    });
    if !issues.is_empty() {
        return Err(ValidationError::new(issues));
    }
    Ok(diagnose(&webhooks, &deliveries, calls.as_deref()))
}

/// The diagnosis as text for people (the commands' output without `--json`). URLs are shown
/// with their tokens redacted; no secret appears.
pub fn render_text(d: &Diagnosis) -> String {
    let mut out = String::new();
    let s = &d.summary;
    if d.healthy {
        out.push_str("OneInbox delivery doctor: healthy\n");
    } else {
        let n = d.causes.len();
        let _ = writeln!(
            out,
            "OneInbox delivery doctor: {n} problem{} found",
            if n == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        out,
        "Checked {} webhook{}, {} attempt{} in {} deliver{}: {} succeeded ({} after failures), {} retrying, {} failed for good.",
        s.webhooks,
        plural(s.webhooks, "", "s"),
        s.attempts,
        plural(s.attempts, "", "s"),
        s.deliveries,
        plural(s.deliveries, "y", "ies"),
        s.succeeded,
        s.recovered,
        s.retrying,
        s.failed,
    );
    for c in &d.causes {
        let _ = writeln!(out, "\n[{}] {}", c.code.as_str(), c.title);
        if c.attempts > 0 {
            let _ = write!(
                out,
                "  {} failed attempt{} in {} deliver{} ({} failed for good, {} retrying)",
                c.attempts,
                plural(c.attempts, "", "s"),
                c.deliveries,
                plural(c.deliveries, "y", "ies"),
                c.failed_for_good,
                c.retrying
            );
            match (&c.first_at, &c.last_at) {
                (Some(a), Some(b)) if a == b => {
                    let _ = write!(out, ", at {a}");
                }
                (Some(a), Some(b)) => {
                    let _ = write!(out, ", from {a} to {b}");
                }
                _ => {}
            }
            out.push('\n');
        }
        if !c.statuses.is_empty() {
            let statuses: Vec<String> = c.statuses.iter().map(i64::to_string).collect();
            let _ = writeln!(out, "  statuses: {}", statuses.join(", "));
        }
        for w in &c.windows {
            let _ = writeln!(
                out,
                "  outage of {}: {} refused attempts from {} to {}",
                w.webhook_id,
                w.attempts,
                w.from.as_deref().unwrap_or("?"),
                w.to.as_deref().unwrap_or("?")
            );
        }
        for u in &c.urls {
            let what = if u.kind == "token" {
                "a stale token"
            } else {
                "an unregistered URL"
            };
            let _ = writeln!(
                out,
                "  {} ({what}): {}",
                redact_url_tokens(&u.url),
                list(&u.call_ids)
            );
        }
        if !c.events.is_empty() {
            let _ = writeln!(out, "  events: {}", c.events.join(", "));
        }
        if !c.webhook_ids.is_empty() {
            let _ = writeln!(out, "  webhooks: {}", list(&c.webhook_ids));
        }
        if !c.call_ids.is_empty() {
            let _ = writeln!(out, "  calls: {}", list(&c.call_ids));
        }
        if !c.example_delivery_ids.is_empty() {
            let _ = writeln!(out, "  examples: {}", c.example_delivery_ids.join(", "));
        }
        let _ = writeln!(out, "  Why: {}", c.explanation);
        let _ = writeln!(out, "  Fix: {}", c.fix);
    }
    if !d.calls_never_succeeded.is_empty() {
        let _ = writeln!(
            out,
            "\nCalls with events never delivered ({}):",
            d.calls_never_succeeded.len()
        );
        const SHOWN: usize = 20;
        for m in d.calls_never_succeeded.iter().take(SHOWN) {
            let _ = writeln!(out, "  {}: {}", m.call_id, m.events.join(", "));
        }
        if d.calls_never_succeeded.len() > SHOWN {
            let more = d.calls_never_succeeded.len() - SHOWN;
            let _ = writeln!(out, "  and {more} more (--json lists them all)");
        }
    }
    if !d.recovered.is_empty() {
        out.push_str("\nRecovered (failed, then delivered; no action needed):\n");
        for r in &d.recovered {
            let _ = writeln!(
                out,
                "  [{}] {} failed attempt{} in {} deliver{}",
                r.code.as_str(),
                r.attempts,
                plural(r.attempts, "", "s"),
                r.deliveries,
                plural(r.deliveries, "y", "ies")
            );
        }
    }
    out
}

/// Up to 10 items joined, then how many more.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let shown: Vec<&str> = items.iter().take(SHOWN).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if items.len() > SHOWN {
        let _ = write!(s, " and {} more", items.len() - SHOWN);
    }
    s
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_lists_at_most_twenty_calls() {
        let rows: Vec<Value> = (0..25)
            .map(|i| {
                serde_json::json!({"id": format!("dlv_{i}"), "webhook_id": "wh_1",
                    "event": "call.ended", "call_id": format!("call_{i:02}"),
                    "status": "failed", "attempt": 1, "response_status": 500})
            })
            .collect();
        let input = serde_json::json!({"webhooks": [{"id": "wh_1"}], "deliveries": rows});
        let d = diagnose_json(input).expect("valid input");
        assert_eq!(d.calls_never_succeeded.len(), 25);
        let text = render_text(&d);
        assert!(text.contains("  call_19: call.ended\n"), "{text}");
        assert!(!text.contains("  call_20: call.ended"), "{text}");
        assert!(
            text.contains("  and 5 more (--json lists them all)\n"),
            "{text}"
        );
    }

    #[test]
    fn instants() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            instant("2023-11-14T22:13:20Z"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            instant("2023-11-14T23:13:20.5+01:00"),
            Some(1_700_000_000_500_000_000)
        );
        assert_eq!(instant("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        assert_eq!(instant("yesterday"), None);
    }

    #[test]
    fn codes_round_trip_and_have_texts() {
        for code in CauseCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, Value::String(code.as_str().into()));
            let (t, e, f) = code.texts();
            assert!(!t.is_empty() && !e.is_empty() && !f.is_empty());
        }
    }

    #[test]
    fn empty_input_is_healthy() {
        let d = diagnose(&[], &[], None);
        assert_eq!(d, Diagnosis::healthy());
        assert!(render_text(&d).starts_with("OneInbox delivery doctor: healthy\n"));
    }

    #[test]
    fn bad_input_gives_issues_not_panics() {
        for input in [
            serde_json::json!(null),
            serde_json::json!({}),
            serde_json::json!({"webhooks": 1, "deliveries": [{"x": 1}], "calls": [{"id": 2}]}),
        ] {
            assert!(diagnose_json(input).is_err());
        }
    }
}
