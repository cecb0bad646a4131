//! `NativeFakeOneInbox`: the core's fake management API (`fake` module) for the JavaScript
//! `FakeOneInbox` (`testing.js` with `fake-server.js`), which serves it (a `fetch` function, a
//! loopback server) and adds the seed, the clock and the recorded waits.

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use oneinbox_webhooks::fake::{FailOptions, FakeOneInbox, Faults, Outcome, PlayCall, RetryAfter};
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::{Issue, IssueCode, UsageError};
use serde_json::Value;

use crate::errors::{guard, issues_to_js, NativeIssue};

/// One answer of the fake.
#[napi(object, js_name = "NativeFakeResponse")]
pub struct NativeFakeResponse {
    /// The HTTP status.
    pub status: u32,
    /// `[name, value]` pairs, lower-case names, in order.
    pub headers: Vec<Vec<String>>,
    /// The body (empty for a 204).
    pub body: Buffer,
}

/// A request the fake received (the key itself is never kept).
#[napi(object, js_name = "NativeRecordedRequest")]
pub struct NativeRecordedRequest {
    /// The method, upper-case.
    pub method: String,
    /// The path, as sent.
    pub path: String,
    /// The query without `?`.
    pub query: String,
    /// The body; `null` when there was none.
    pub body: Option<Buffer>,
    /// Whether it carried `Authorization: Bearer <the fake's key>`.
    pub authorized: bool,
}

/// One attempt to send, from `takeDue`.
#[napi(object, js_name = "NativeAttempt")]
pub struct NativeAttempt {
    /// The id to report its outcome with.
    pub attempt_id: String,
    /// The URL as registered (a token included).
    pub url: String,
    /// `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
    /// The event's JSON body.
    pub body: Buffer,
}

/// A call for `playCall` (each member optional but `nowMs`).
#[napi(object, js_name = "NativePlayCall")]
pub struct NativePlayCall {
    /// The agent.
    pub agent_id: Option<String>,
    /// The number called.
    pub to_number: Option<String>,
    /// The caller id.
    pub from_number: Option<String>,
    /// A per-call URL that gets every event.
    pub webhook_url: Option<String>,
    /// Fail the call with this reason.
    pub failure: Option<String>,
}

/// JSON text, or the issues of the usage error.
fn json_or_issues(result: Result<Value, UsageError>) -> Either<String, Vec<NativeIssue>> {
    match result {
        Ok(value) => Either::A(value.to_string()),
        Err(e) => Either::B(issues_to_js(e.into_issues())),
    }
}

/// The fake management API's state machine.
#[napi(js_name = "NativeFakeOneInbox")]
pub struct NativeFakeOneInbox {
    fake: FakeOneInbox,
}

fn json_text(values: &[Value]) -> String {
    Value::Array(values.to_vec()).to_string()
}

fn issues_of(result: Result<(), UsageError>) -> Vec<NativeIssue> {
    result
        .err()
        .map(|e| issues_to_js(e.into_issues()))
        .unwrap_or_default()
}

#[napi]
impl NativeFakeOneInbox {
    /// A fake accepting `api_key`, its ids and secrets drawn from `seed` (8 bytes, big-endian).
    #[napi(constructor)]
    pub fn new(api_key: String, seed: &[u8]) -> napi::Result<Self> {
        guard(|| {
            let seed = seed
                .iter()
                .take(8)
                .fold(0u64, |s, &b| s << 8 | u64::from(b));
            Ok(NativeFakeOneInbox {
                fake: FakeOneInbox::new(api_key, seed),
            })
        })
    }

    /// Answers one request (`headers` as `[name, value]` pairs, `now` in Unix seconds);
    /// `null`: close the connection without an answer.
    #[napi]
    pub fn handle(
        &mut self,
        method: String,
        target: String,
        headers: Vec<Vec<String>>,
        body: Option<&[u8]>,
        now: i64,
    ) -> napi::Result<Option<NativeFakeResponse>> {
        guard(|| {
            let pairs: Vec<(String, String)> = headers
                .into_iter()
                .filter_map(|mut p| {
                    let value = p.pop()?;
                    Some((p.pop()?, value))
                })
                .collect();
            let answer = self.fake.handle(&method, &target, &pairs, body, now);
            Ok(answer.map(|a| NativeFakeResponse {
                status: u32::from(a.status),
                headers: a.headers.into_iter().map(|(n, v)| vec![n, v]).collect(),
                body: a.body.into(),
            }))
        })
    }

    /// Queues `times` answers with `status` (400 to 599): the issues of the usage error, or
    /// none.
    #[napi(js_name = "failNext")]
    pub fn fail_next(
        &mut self,
        status: f64,
        times: f64,
        retry_after: Option<Either<f64, String>>,
        body: Option<&[u8]>,
        processed: bool,
    ) -> napi::Result<Vec<NativeIssue>> {
        guard(|| {
            let options = FailOptions {
                retry_after: retry_after.map(|r| match r {
                    Either::A(seconds) => RetryAfter::Seconds(seconds),
                    Either::B(text) => RetryAfter::Text(text),
                }),
                body: body.map(<[u8]>::to_vec),
                processed,
            };
            let result =
                self.fake
                    .fail_next(HostNumber::Float(status), HostNumber::Float(times), options);
            Ok(issues_of(result))
        })
    }

    /// Queues `times` requests without an answer: the issues of the usage error, or none.
    #[napi(js_name = "disconnectNext")]
    pub fn disconnect_next(
        &mut self,
        times: f64,
        processed: bool,
    ) -> napi::Result<Vec<NativeIssue>> {
        guard(|| {
            let result = self
                .fake
                .disconnect_next(HostNumber::Float(times), processed);
            Ok(issues_of(result))
        })
    }

    /// Adds a delivery record (`fields_json`: a JSON object over the defaults); its JSON text,
    /// or `null` for an unknown webhook.
    #[napi(js_name = "addDelivery")]
    pub fn add_delivery(
        &mut self,
        webhook_id: String,
        fields_json: String,
        now: i64,
    ) -> napi::Result<Either<Option<String>, Vec<NativeIssue>>> {
        guard(|| {
            let fields = match serde_json::from_str::<Value>(&fields_json) {
                Ok(Value::Object(map)) => map,
                _ => {
                    let issue =
                        Issue::new(IssueCode::WrongType, "/fields", "expected a JSON object");
                    return Ok(Either::B(issues_to_js(vec![issue])));
                }
            };
            let record = self.fake.add_delivery(&webhook_id, fields, now);
            Ok(Either::A(record.map(|r| r.to_string())))
        })
    }

    /// The webhooks, oldest first, as JSON text.
    #[napi(js_name = "webhooksJson")]
    pub fn webhooks_json(&self) -> napi::Result<String> {
        guard(|| Ok(json_text(&self.fake.webhooks())))
    }

    /// The calls created, oldest first, each with the webhook URL it was given, as JSON text.
    #[napi(js_name = "callsJson")]
    pub fn calls_json(&self) -> napi::Result<String> {
        guard(|| Ok(json_text(self.fake.calls())))
    }

    /// A webhook's delivery history, newest first, as JSON text; `null` for an unknown id.
    #[napi(js_name = "deliveriesJson")]
    pub fn deliveries_json(&self, webhook_id: String) -> napi::Result<Option<String>> {
        guard(|| Ok(self.fake.deliveries(&webhook_id).map(json_text)))
    }

    /// Registers an active webhook without the API's https rule (`now` in Unix seconds): its
    /// JSON text, or the issues.
    #[napi(js_name = "addWebhook")]
    pub fn add_webhook(
        &mut self,
        name: String,
        url: String,
        events: Vec<String>,
        now: i64,
    ) -> napi::Result<Either<String, Vec<NativeIssue>>> {
        guard(|| {
            Ok(json_or_issues(
                self.fake.add_webhook(&name, &url, &events, now),
            ))
        })
    }

    /// Sets the seeded faults of the deliveries: the issues of the usage error, or none.
    #[napi(js_name = "setFaults")]
    pub fn set_faults(
        &mut self,
        drop: f64,
        duplicate: f64,
        shuffle: f64,
        delay: f64,
        max_delay_ms: f64,
    ) -> napi::Result<Vec<NativeIssue>> {
        guard(|| {
            let faults = Faults::from_host(
                drop,
                duplicate,
                shuffle,
                delay,
                HostNumber::Float(max_delay_ms),
            );
            Ok(issues_of(faults.and_then(|f| self.fake.set_faults(f))))
        })
    }

    /// Signs every attempt with this `whsec_` secret (`null`: unsigned): the issues, or none.
    #[napi(js_name = "setSigningSecret")]
    pub fn set_signing_secret(&mut self, secret: Option<String>) -> napi::Result<Vec<NativeIssue>> {
        guard(|| Ok(issues_of(self.fake.set_signing_secret(secret))))
    }

    /// Refuses the attempts to URLs starting with `url_prefix` in the window (ms).
    #[napi(js_name = "addOutage")]
    pub fn add_outage(
        &mut self,
        url_prefix: String,
        from_ms: i64,
        until_ms: i64,
    ) -> napi::Result<Vec<NativeIssue>> {
        guard(|| {
            Ok(issues_of(self.fake.add_outage(
                &url_prefix,
                from_ms,
                until_ms,
            )))
        })
    }

    /// Creates a call at `now_ms` and schedules its events: its JSON text, or the issues.
    #[napi(js_name = "playCall")]
    pub fn play_call(
        &mut self,
        call: NativePlayCall,
        now_ms: i64,
    ) -> napi::Result<Either<String, Vec<NativeIssue>>> {
        guard(|| {
            let spec = PlayCall {
                agent_id: call.agent_id,
                to_number: call.to_number,
                from_number: call.from_number,
                webhook_url: call.webhook_url,
                failure: call.failure,
            };
            Ok(json_or_issues(self.fake.play_call(&spec, now_ms)))
        })
    }

    /// When something happens next (ms), or `null`.
    #[napi(js_name = "nextDue")]
    pub fn next_due(&self) -> napi::Result<Option<i64>> {
        guard(|| Ok(self.fake.next_due()))
    }

    /// How many attempts wait for their outcome.
    #[napi(js_name = "inFlight")]
    pub fn in_flight(&self) -> napi::Result<u32> {
        guard(|| Ok(u32::try_from(self.fake.in_flight()).unwrap_or(u32::MAX)))
    }

    /// The attempts due by `now_ms`, signed with `timestamp` (Unix seconds).
    #[napi(js_name = "takeDue")]
    pub fn take_due(&mut self, now_ms: i64, timestamp: i64) -> napi::Result<Vec<NativeAttempt>> {
        guard(|| {
            Ok(self
                .fake
                .take_due(now_ms, timestamp)
                .into_iter()
                .map(|o| NativeAttempt {
                    attempt_id: o.attempt_id,
                    url: o.url,
                    headers: o.headers.into_iter().map(|(n, v)| vec![n, v]).collect(),
                    body: o.body.into(),
                })
                .collect())
        })
    }

    /// Records an attempt's outcome (a `status` and `body`, else an `error`): the issues, or
    /// none.
    #[napi]
    pub fn report(
        &mut self,
        attempt_id: String,
        status: Option<f64>,
        body: Option<String>,
        error: Option<String>,
        now_ms: i64,
    ) -> napi::Result<Vec<NativeIssue>> {
        guard(|| {
            let outcome = Outcome::from_parts(status.map(HostNumber::Float), body, error);
            let result = outcome.and_then(|o| self.fake.report(&attempt_id, o, now_ms));
            Ok(issues_of(result))
        })
    }

    /// The history of the deliveries to a call's own URL, newest first, as JSON text.
    #[napi(js_name = "deliveriesForCallJson")]
    pub fn deliveries_for_call_json(&self, call_id: String) -> napi::Result<String> {
        guard(|| Ok(json_text(&self.fake.deliveries_for_call(&call_id))))
    }

    /// Every request received, in order.
    #[napi]
    pub fn requests(&self) -> napi::Result<Vec<NativeRecordedRequest>> {
        guard(|| {
            Ok(self
                .fake
                .requests()
                .iter()
                .map(|r| NativeRecordedRequest {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    query: r.query.clone(),
                    body: r.body.clone().map(Buffer::from),
                    authorized: r.authorized,
                })
                .collect())
        })
    }
}
