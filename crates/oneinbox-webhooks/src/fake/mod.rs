//! A fake OneInbox management API as a state machine, for tests (feature `testing`).
//!
//! [`FakeOneInbox::handle`] takes one request (method, target, headers, body and `now`) and
//! returns the answer the API would give, or `None` when the connection must close without one.
//! It keeps webhooks (`wh_…` ids, a `whsec_…` secret), their delivery history and the calls
//! created, and answers as the API does:
//!
//! - 404 `{"detail":"Not Found"}` for an unknown route, 405 for a known one with another method,
//!   then 401 `{"detail":"Not authenticated"}` without `Authorization: Bearer …` and
//!   `{"detail":"Invalid API key"}` with another key (both with `www-authenticate: Bearer`);
//! - 422 with FastAPI's `{"detail":[{"type","loc","msg","input"?}]}` for a bad body or query,
//!   whose values are judged by the core's own builders ([`Api`](crate::management::Api));
//! - 404 `{"detail":"Webhook not found"}` for an unknown webhook id (after the 422 checks),
//!   `{"detail":"Call not found"}` for an unknown call id;
//! - `GET /v1/calls` (filters `agent_id`, `status`; `limit` 20 and `offset` 0 by default;
//!   newest first) and `GET /v1/calls/{call_id}` from the calls it stores.
//!
//! Faults come first: [`FakeOneInbox::fail_next`] and [`FakeOneInbox::disconnect_next`] queue
//! answers for the next requests, whatever their endpoint; `processed` carries a request out
//! before the fault answers it. There is no clock and no randomness: `now` comes with each
//! request, and ids and secrets are drawn from the seed given to [`FakeOneInbox::new`].
//!
//! ```
//! use oneinbox_webhooks::fake::FakeOneInbox;
//!
//! let mut fake = FakeOneInbox::new("oi_sk_test_fake", 7);
//! let auth = [("Authorization".to_owned(), "Bearer oi_sk_test_fake".to_owned())];
//! let body = br#"{"name":"n","url":"https://example.com/h","events":["call.ended"]}"#;
//! let answer = fake.handle("POST", "/v1/webhooks", &auth, Some(body), 1_700_000_000).unwrap();
//! assert_eq!(answer.status, 201);
//! assert_eq!(fake.webhooks().len(), 1);
//! ```

mod checks;
pub mod play;

pub use play::{
    Faults, Outcome, Outgoing, PlayCall, LIFECYCLE, MAX_ATTEMPTS, MAX_DELAY_MS,
    RESPONSE_BODY_CHARS, RETRY_DELAYS_MS,
};

use std::collections::VecDeque;

use base64::Engine;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use crate::error::{Issue, IssueCode, UsageError};
use crate::host::HostNumber;
use crate::send::SplitMix64;

/// One answer of the fake: status, headers (lower-case names, in order) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers, lower-case names (`content-type` for a JSON body; `retry-after`,
    /// `www-authenticate` when they apply). A server adds `content-length` itself.
    pub headers: Vec<(String, String)>,
    /// The body (empty for a 204).
    pub body: Vec<u8>,
}

/// A request the fake received. The `Authorization` header is not kept, only whether it
/// carried the fake's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, upper-case.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query, without `?` (empty when none).
    pub query: String,
    /// The body; `None` when there was none (or it was empty).
    pub body: Option<Vec<u8>>,
    /// Whether it carried exactly `Authorization: Bearer <the fake's key>`.
    pub authorized: bool,
}

/// A value for the `Retry-After` header of a failed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryAfter {
    /// Seconds; a whole number is written without a fraction (`2`, not `2.0`).
    Seconds(f64),
    /// Sent as given (an HTTP date, or anything a test wants to try).
    Text(String),
}

/// The options of [`FakeOneInbox::fail_next`] besides the status and count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailOptions {
    /// A `Retry-After` header.
    pub retry_after: Option<RetryAfter>,
    /// The body; default `{"detail":"<reason phrase>"}`.
    pub body: Option<Vec<u8>>,
    /// Carry the request out first (the webhook or call then exists), then fail.
    pub processed: bool,
}

/// A queued fault: an answer (or none: the connection closes), whether the request is carried
/// out first, and for how many more requests.
#[derive(Debug, Clone)]
struct Fault {
    response: Option<FakeResponse>,
    processed: bool,
    times: usize,
}

/// A webhook and its delivery history (newest first).
#[derive(Debug, Clone)]
struct Hook {
    object: Map<String, Value>,
    deliveries: Vec<Value>,
}

/// The lowest and highest status [`FakeOneInbox::fail_next`] takes: an error answer (4xx or
/// 5xx), the only kind a client must treat as a failure.
pub const FAIL_STATUSES: (u16, u16) = (400, 599);

/// The fake management API. See the [module documentation](self).
#[derive(Clone)]
pub struct FakeOneInbox {
    api_key: String,
    rng: SplitMix64,
    hooks: Vec<Hook>,
    calls: Vec<Value>,
    requests: Vec<RecordedRequest>,
    faults: VecDeque<Fault>,
    player: play::Player,
}

impl std::fmt::Debug for FakeOneInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOneInbox")
            .field("webhooks", &self.hooks.len())
            .field("calls", &self.calls.len())
            .field("requests", &self.requests.len())
            .field("api_key", &"[redacted]")
            .finish()
    }
}

/// The reason phrase of `status` (the default `detail` of a failed answer): the one the
/// client's `ApiError` names, or `"Error"` for a status without one.
pub fn reason(status: u16) -> &'static str {
    crate::management::reason_phrase(status).unwrap_or("Error")
}

fn json_response(status: u16, payload: &Value, extra: &[(&str, &str)]) -> FakeResponse {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    FakeResponse {
        status,
        headers,
        body: payload.to_string().into_bytes(),
    }
}

fn detail(status: u16, message: &str) -> FakeResponse {
    json_response(status, &json!({ "detail": message }), &[])
}

fn invalid(details: Vec<Value>) -> FakeResponse {
    json_response(422, &json!({ "detail": details }), &[])
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (proleptic Gregorian, UTC).
pub fn rfc3339(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Splits a request target (a path and query, or a whole URL) into path and query.
fn split_target(target: &str) -> (&str, &str) {
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|scheme| target.strip_prefix(scheme))
        .map_or(target, |after| {
            after.find('/').and_then(|i| after.get(i..)).unwrap_or("/")
        });
    let rest = rest.split('#').next().unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

/// The routes; the id is percent-decoded.
enum Route {
    Webhooks,
    Webhook(String),
    Test(String),
    Deliveries(String),
    Calls,
    Call(String),
}

fn route_of(path: &str) -> Option<Route> {
    let mut parts = Vec::new();
    for raw in path.split('/').skip(1) {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .ok()?;
        parts.push(decoded.into_owned());
    }
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["v1", "webhooks"] => Some(Route::Webhooks),
        ["v1", "webhooks", id] => Some(Route::Webhook((*id).to_owned())),
        ["v1", "webhooks", id, "test"] => Some(Route::Test((*id).to_owned())),
        ["v1", "webhooks", id, "deliveries"] => Some(Route::Deliveries((*id).to_owned())),
        ["v1", "calls"] => Some(Route::Calls),
        ["v1", "calls", id] => Some(Route::Call((*id).to_owned())),
        _ => None,
    }
}

/// The request body as JSON, or the 422 answer FastAPI gives (no body; not JSON).
fn json_body(body: Option<&[u8]>) -> Result<Value, FakeResponse> {
    let Some(body) = body.filter(|b| !b.is_empty()) else {
        let loc = vec![Value::from("body")];
        return Err(invalid(vec![checks::item(
            loc,
            "missing",
            "Field required",
            None,
        )]));
    };
    serde_json::from_slice(body).map_err(|e| {
        let loc = vec![Value::from("body"), Value::from(0)];
        let mut it = checks::item(loc, "json_invalid", "JSON decode error", None);
        if let Value::Object(map) = &mut it {
            map.insert("ctx".into(), json!({ "error": e.to_string() }));
        }
        invalid(vec![it])
    })
}

fn times_issue(times: HostNumber, issues: &mut Vec<Issue>) -> usize {
    match crate::host::limit(times, "times") {
        Ok(n) if n >= 1 => n,
        _ => {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                "/times",
                format!("`times` must be a whole number of 1 or more, found {times}"),
            ));
            0
        }
    }
}

fn usage(issues: Vec<Issue>) -> Result<(), UsageError> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(UsageError::new(issues))
    }
}

impl FakeOneInbox {
    /// A fake that accepts `api_key`, with no webhooks or calls. Ids and secrets are drawn from
    /// `seed` (SplitMix64), so the same seed and requests give the same answers.
    pub fn new(api_key: impl Into<String>, seed: u64) -> Self {
        FakeOneInbox {
            api_key: api_key.into(),
            rng: SplitMix64(seed),
            hooks: Vec::new(),
            calls: Vec::new(),
            requests: Vec::new(),
            faults: VecDeque::new(),
            player: play::Player::new(seed),
        }
    }

    /// The key the fake accepts.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The webhooks, oldest first, as the API shows them.
    pub fn webhooks(&self) -> Vec<Value> {
        self.hooks
            .iter()
            .map(|h| Value::Object(h.object.clone()))
            .collect()
    }

    /// The calls created, oldest first: the API's call object plus the `webhook_url` it was
    /// created with (`null` without one).
    pub fn calls(&self) -> &[Value] {
        &self.calls
    }

    /// Every request received, in order (failed and unauthorized ones too).
    pub fn requests(&self) -> &[RecordedRequest] {
        &self.requests
    }

    /// The delivery history of a webhook, newest first; `None` for an unknown id.
    pub fn deliveries(&self, webhook_id: &str) -> Option<&[Value]> {
        self.hook(webhook_id).map(|h| h.deliveries.as_slice())
    }

    /// Adds a record to a webhook's delivery history (it becomes the newest) and returns it;
    /// `fields` set or add members over the defaults (`event` `call.ended`, `status`
    /// `succeeded`, `attempt` 1, `response_status` 200, timestamps `now`). `None` for an
    /// unknown webhook.
    pub fn add_delivery(
        &mut self,
        webhook_id: &str,
        fields: Map<String, Value>,
        now: i64,
    ) -> Option<Value> {
        self.hook(webhook_id)?;
        let mut record = self.new_delivery(webhook_id, "call.ended", now);
        record.extend(fields);
        let record = Value::Object(record);
        let hook = self.hooks.iter_mut().find(|h| h.id() == webhook_id)?;
        hook.deliveries.insert(0, record.clone());
        Some(record)
    }

    /// The next `times` requests (whatever their endpoint) are answered with `status`, an
    /// error status from 400 to 599 ([`FAIL_STATUSES`]), and `options.body` (default
    /// `{"detail":"<reason>"}`, `content-type: application/json`), with a `retry-after` header
    /// when given. A status outside the range or `times` below 1 is a [`UsageError`] (`/status`,
    /// `/times`), and nothing is queued.
    pub fn fail_next(
        &mut self,
        status: HostNumber,
        times: HostNumber,
        options: FailOptions,
    ) -> Result<(), UsageError> {
        let mut issues = Vec::new();
        let (low, high) = FAIL_STATUSES;
        let code = match crate::host::http_status(status, "status") {
            Ok(code) if (low..=high).contains(&code) => code,
            _ => {
                issues.push(Issue::new(
                    IssueCode::InvalidValue,
                    "/status",
                    format!(
                        "`status` must be an HTTP error status from {low} to {high}, found {status}"
                    ),
                ));
                0
            }
        };
        let times = times_issue(times, &mut issues);
        usage(issues)?;
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        match options.retry_after {
            Some(RetryAfter::Seconds(s)) if s.fract() == 0.0 && s.abs() < 1e18 => {
                headers.push(("retry-after".into(), format!("{}", s as i64)));
            }
            Some(RetryAfter::Seconds(s)) => headers.push(("retry-after".into(), s.to_string())),
            Some(RetryAfter::Text(t)) => headers.push(("retry-after".into(), t)),
            None => {}
        }
        let body = options
            .body
            .unwrap_or_else(|| json!({ "detail": reason(code) }).to_string().into_bytes());
        let response = FakeResponse {
            status: code,
            headers,
            body,
        };
        self.queue(Some(response), times, options.processed);
        Ok(())
    }

    /// The next `times` requests get no answer: [`handle`](Self::handle) returns `None`, and
    /// the server closes the connection. `processed` carries each request out first, so the
    /// webhook or call exists although the client saw no answer. `times` below 1 is a
    /// [`UsageError`] (`/times`).
    pub fn disconnect_next(
        &mut self,
        times: HostNumber,
        processed: bool,
    ) -> Result<(), UsageError> {
        let mut issues = Vec::new();
        let times = times_issue(times, &mut issues);
        usage(issues)?;
        self.queue(None, times, processed);
        Ok(())
    }

    fn queue(&mut self, response: Option<FakeResponse>, times: usize, processed: bool) {
        self.faults.push_back(Fault {
            response,
            processed,
            times,
        });
    }

    /// The fault for the next request, if any (one use of the oldest).
    fn next_fault(&mut self) -> Option<Fault> {
        let front = self.faults.front_mut()?;
        if front.times > 1 {
            front.times -= 1;
            return Some(front.clone());
        }
        self.faults.pop_front()
    }

    /// Answers one request. `target` is the path and query (or a whole URL); header names are
    /// matched without regard to case; `now` (Unix seconds) stamps what the request creates.
    /// `None`: the connection closes without an answer (a [`disconnect_next`](Self::disconnect_next)).
    pub fn handle(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        now: i64,
    ) -> Option<FakeResponse> {
        let method = method.to_ascii_uppercase();
        let (path, query) = split_target(target);
        let auth = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str());
        let expected = format!("Bearer {}", self.api_key);
        let authorized = auth.is_some_and(|a| bool::from(a.as_bytes().ct_eq(expected.as_bytes())));
        let body = body.filter(|b| !b.is_empty());
        self.fire_due(now.saturating_mul(1000));
        self.requests.push(RecordedRequest {
            method: method.clone(),
            path: path.to_owned(),
            query: query.to_owned(),
            body: body.map(<[u8]>::to_vec),
            authorized,
        });
        let fault = self.next_fault();
        if let Some(fault) = &fault {
            if !fault.processed {
                return fault.response.clone();
            }
        }
        let response = self.route(&method, path, query, auth, authorized, body, now);
        match fault {
            Some(fault) => fault.response,
            None => Some(response),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn route(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        auth: Option<&str>,
        authorized: bool,
        body: Option<&[u8]>,
        now: i64,
    ) -> FakeResponse {
        let Some(route) = route_of(path) else {
            return detail(404, "Not Found");
        };
        let allowed: &[&str] = match route {
            Route::Webhooks => &["GET", "POST"],
            Route::Webhook(_) => &["GET", "PATCH", "DELETE"],
            Route::Test(_) => &["POST"],
            Route::Calls => &["GET", "POST"],
            Route::Deliveries(_) | Route::Call(_) => &["GET"],
        };
        if !allowed.contains(&method) {
            return detail(405, "Method Not Allowed");
        }
        let bearer = auth.is_some_and(|a| {
            a.get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
        });
        if !bearer || !authorized {
            let message = if bearer {
                "Invalid API key"
            } else {
                "Not authenticated"
            };
            let payload = json!({ "detail": message });
            return json_response(401, &payload, &[("www-authenticate", "Bearer")]);
        }
        let result = match (route, method) {
            (Route::Webhooks, "GET") => Ok(self.list_webhooks()),
            (Route::Webhooks, _) => self.create_webhook(body, now),
            (Route::Webhook(id), "GET") => Ok(self.get_webhook(&id)),
            (Route::Webhook(id), "PATCH") => self.update_webhook(&id, body, now),
            (Route::Webhook(id), _) => Ok(self.delete_webhook(&id)),
            (Route::Test(id), _) => Ok(self.test_webhook(&id, now)),
            (Route::Deliveries(id), _) => Ok(self.list_deliveries(&id, query)),
            (Route::Calls, "GET") => Ok(self.list_calls(query)),
            (Route::Calls, _) => self.create_call(body, now),
            (Route::Call(id), _) => Ok(self.get_call(&id)),
        };
        result.unwrap_or_else(|e| e)
    }

    fn hook(&self, id: &str) -> Option<&Hook> {
        self.hooks.iter().find(|h| h.id() == id)
    }

    /// A new id: `prefix_` and 16 hex digits.
    fn new_id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{:016x}", self.rng.next())
    }

    fn new_delivery(&mut self, webhook_id: &str, event: &str, now: i64) -> Map<String, Value> {
        let now = rfc3339(now);
        let record = json!({
            "id": self.new_id("dlv"), "webhook_id": webhook_id, "event": event,
            "status": "succeeded", "attempt": 1, "response_status": 200, "response_body": "",
            "error": null, "next_retry_at": null, "completed_at": now, "created_at": now,
        });
        match record {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn create_webhook(
        &mut self,
        body: Option<&[u8]>,
        now: i64,
    ) -> Result<FakeResponse, FakeResponse> {
        let (args, details) = checks::create_webhook(&json_body(body)?);
        if !details.is_empty() {
            return Err(invalid(details));
        }
        Ok(json_response(201, &self.new_hook(&args, now), &[]))
    }

    /// Creates and keeps an active webhook from the checked arguments; returns it.
    fn new_hook(&mut self, args: &Map<String, Value>, now: i64) -> Value {
        let id = self.new_id("wh");
        let secret: Vec<u8> = (0..3).flat_map(|_| self.rng.next().to_le_bytes()).collect();
        let secret = base64::engine::general_purpose::STANDARD.encode(secret);
        let now = rfc3339(now);
        let hook = json!({
            "id": id, "name": args.get("name"), "url": args.get("url"),
            "events": args.get("events"), "secret": format!("whsec_{secret}"),
            "status": "active", "created_at": now, "updated_at": now,
        });
        if let Value::Object(object) = &hook {
            self.hooks.push(Hook {
                object: object.clone(),
                deliveries: Vec::new(),
            });
        }
        hook
    }

    fn list_webhooks(&self) -> FakeResponse {
        let items = self.webhooks();
        let total = items.len();
        let page = json!({ "items": items, "total": total, "limit": total.max(50), "offset": 0 });
        json_response(200, &page, &[])
    }

    fn get_webhook(&self, id: &str) -> FakeResponse {
        match self.hook(id) {
            Some(h) => json_response(200, &Value::Object(h.object.clone()), &[]),
            None => detail(404, "Webhook not found"),
        }
    }

    fn update_webhook(
        &mut self,
        id: &str,
        body: Option<&[u8]>,
        now: i64,
    ) -> Result<FakeResponse, FakeResponse> {
        let (args, details) = checks::update_webhook(&json_body(body)?);
        if !details.is_empty() {
            return Err(invalid(details));
        }
        let Some(hook) = self.hooks.iter_mut().find(|h| h.id() == id) else {
            return Err(detail(404, "Webhook not found"));
        };
        hook.object.extend(args);
        hook.object.insert("updated_at".into(), rfc3339(now).into());
        Ok(json_response(200, &Value::Object(hook.object.clone()), &[]))
    }

    fn delete_webhook(&mut self, id: &str) -> FakeResponse {
        let before = self.hooks.len();
        self.hooks.retain(|h| h.id() != id);
        if self.hooks.len() == before {
            return detail(404, "Webhook not found");
        }
        FakeResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn test_webhook(&mut self, id: &str, now: i64) -> FakeResponse {
        let Some(hook) = self.hook(id) else {
            return detail(404, "Webhook not found");
        };
        let event = hook
            .object
            .get("events")
            .and_then(|e| e.get(0))
            .and_then(Value::as_str);
        let event = event.unwrap_or("call.started").to_owned();
        let record = Value::Object(self.new_delivery(id, &event, now));
        if let Some(hook) = self.hooks.iter_mut().find(|h| h.id() == id) {
            hook.deliveries.insert(0, record);
        }
        json_response(200, &json!({ "ok": true }), &[])
    }

    fn list_deliveries(&self, id: &str, query: &str) -> FakeResponse {
        let args = match checks::list_deliveries(query) {
            Ok(args) => args,
            Err(details) => return invalid(details),
        };
        let Some(hook) = self.hook(id) else {
            return detail(404, "Webhook not found");
        };
        let limit = usize::try_from(args.limit.unwrap_or(50)).unwrap_or(0);
        let offset = usize::try_from(args.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let items: Vec<&Value> = hook.deliveries.iter().skip(offset).take(limit).collect();
        let page = json!({
            "items": items, "total": hook.deliveries.len(),
            "limit": args.limit.unwrap_or(50), "offset": args.offset.unwrap_or(0),
        });
        json_response(200, &page, &[])
    }

    fn create_call(&mut self, body: Option<&[u8]>, now: i64) -> Result<FakeResponse, FakeResponse> {
        let (args, details) = checks::create_call(&json_body(body)?);
        if !details.is_empty() {
            return Err(invalid(details));
        }
        let call = self.new_call(&args, now);
        let mut answer = call.clone();
        if let Value::Object(map) = &mut answer {
            map.remove("webhook_url");
        }
        self.schedule_call(&call, now.saturating_mul(1000), None);
        Ok(json_response(201, &answer, &[]))
    }

    /// Creates and keeps a queued call from the checked arguments of `POST /v1/calls`, with
    /// the `webhook_url` it was given (`null` without one); returns it.
    fn new_call(&mut self, args: &Map<String, Value>, now: i64) -> Value {
        let now = rfc3339(now);
        let or_empty = |name: &str| args.get(name).cloned().unwrap_or_else(|| json!({}));
        let mut call = json!({
            "id": self.new_id("call"), "agent_id": args.get("agent_id"), "type": "outbound",
            "status": "queued", "direction": "outbound", "from_number": args.get("from_number"),
            "to_number": args.get("to_number"), "room_name": null,
            "scheduled_at": args.get("scheduled_at"), "variables": or_empty("variables"),
            "started_at": null, "ended_at": null, "duration_seconds": null, "end_reason": null,
            "transcript": null, "messages": [], "recording_url": null, "analysis": {},
            "latency": {}, "cost_cents": null, "metadata": or_empty("metadata"),
            "created_at": now, "updated_at": now, "twilio_call_sid": null, "outcome": null,
            "ai_summary": null, "credits_used": 0,
        });
        if let Value::Object(map) = &mut call {
            map.insert(
                "webhook_url".into(),
                args.get("webhook_url").cloned().into(),
            );
        }
        self.calls.push(call.clone());
        call
    }
}

impl FakeOneInbox {
    /// A stored call as the API shows it: its `webhook_url` kept when it had one.
    fn shown_call(call: &Value) -> Value {
        let mut call = call.clone();
        if let Value::Object(map) = &mut call {
            if map.get("webhook_url").is_some_and(Value::is_null) {
                map.shift_remove("webhook_url");
            }
        }
        call
    }

    /// `GET /v1/calls/{call_id}`: 422 for an id the builder refuses, 404 `Call not found` for
    /// an unknown one.
    fn get_call(&self, id: &str) -> FakeResponse {
        if let Err(details) = checks::call_id(id) {
            return invalid(details);
        }
        let found = self
            .calls
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id));
        match found {
            Some(call) => json_response(200, &Self::shown_call(call), &[]),
            None => detail(404, "Call not found"),
        }
    }

    /// `GET /v1/calls`: the calls that match `agent_id` and `status`, newest first, one page
    /// (`limit` default 20, `offset` default 0).
    fn list_calls(&self, query: &str) -> FakeResponse {
        let args = match checks::list_calls(query) {
            Ok(args) => args,
            Err(details) => return invalid(details),
        };
        let matches = |call: &&Value, name: &str, want: &Option<String>| {
            want.as_deref()
                .map_or(true, |w| call.get(name).and_then(Value::as_str) == Some(w))
        };
        let found: Vec<&Value> = self
            .calls
            .iter()
            .rev()
            .filter(|c| {
                matches(c, "agent_id", &args.agent_id) && matches(c, "status", &args.status)
            })
            .collect();
        let limit = args.limit.unwrap_or(20);
        let offset = args.offset.unwrap_or(0);
        let items: Vec<Value> = found
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|c| Self::shown_call(c))
            .collect();
        let page =
            json!({ "items": items, "total": found.len(), "limit": limit, "offset": offset });
        json_response(200, &page, &[])
    }
}

impl Hook {
    fn id(&self) -> &str {
        self.object.get("id").and_then(Value::as_str).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn a_loc_gives_the_client_its_pointer_back() {
        use crate::management::{Api, CreateWebhook, ResponseError};
        let mut fake = FakeOneInbox::new("oi_sk_k", 0);
        let auth = [("authorization".to_owned(), "Bearer oi_sk_k".to_owned())];
        let body =
            br#"{"name":"n","url":"https://e.com/h","events":["call.ended"],"a/b":1,"c~d":2}"#;
        let answer = fake.handle("POST", "/v1/webhooks", &auth, Some(body), 0);
        let answer = answer.expect("an answer");
        let args = CreateWebhook {
            name: "n".into(),
            url: "https://e.com/h".into(),
            events: vec!["call.ended".into()],
        };
        let prepared = Api::new("oi_sk_k").and_then(|api| api.create_webhook(&args));
        match prepared
            .expect("valid")
            .parse_response(answer.status, &answer.body)
        {
            Err(ResponseError::Api(e)) => {
                let paths: Vec<&str> = e.details.iter().map(|i| i.path.as_str()).collect();
                assert_eq!(paths, ["/a~1b", "/c~0d"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn targets() {
        assert_eq!(split_target("/v1/x?a=1"), ("/v1/x", "a=1"));
        assert_eq!(split_target("http://h:1/v1/x?a#f"), ("/v1/x", "a"));
        assert_eq!(split_target("http://h"), ("/", ""));
    }
}
