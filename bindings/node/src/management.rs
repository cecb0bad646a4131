//! Management: thin wrappers over the core's sans-I/O `Api` (request builders and response
//! parsers).
//!
//! Arguments arrive already type-checked by `oneinbox.js`; `variables` and `metadata` arrive
//! as JSON text that `oneinbox.js` produced after refusing what JSON cannot carry (non-finite
//! numbers, functions, cycles). Misuse comes back as the list of the core's `UsageError`
//! issues (`oneinbox.js` throws `UsageError`); a parsed response comes back as the JSON form of
//! the core's typed result (`oneinbox.js` lets `JSON.parse` build the objects), an error
//! response as a `NativeFailure`. The API key lives only in the Rust `Api` value.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::management::{
    self, AnyPrepared, AnyResponse, Api, CreateCall, CreateWebhook, DeliveryPage, ListDeliveries,
    ResponseError, UpdateWebhook,
};
use oneinbox_webhooks::{Issue, IssueCode, UsageError};
use serde_json::{Map, Value};

use crate::errors::{guard, issues_to_js, NativeIssue};

fn or_issues<T, U>(
    result: Result<T, UsageError>,
    f: impl FnOnce(T) -> U,
) -> Either<U, Vec<NativeIssue>> {
    match result {
        Ok(v) => Either::A(f(v)),
        Err(e) => Either::B(issues_to_js(e.into_issues())),
    }
}

/// A validated API key and base URL (the core's `Api`). The key never leaves Rust except in
/// the `Authorization` header of a built request.
#[napi]
pub struct NativeApi {
    api: Api,
}

/// `Api::new(api_key)` then, if given, `.with_base_url(base_url)`.
#[napi(js_name = "newApi")]
pub fn new_api(
    api_key: String,
    base_url: Option<String>,
) -> napi::Result<Either<NativeApi, Vec<NativeIssue>>> {
    guard(|| {
        let api = Api::new(api_key).and_then(|api| match base_url {
            Some(base) => api.with_base_url(base),
            None => Ok(api),
        });
        Ok(or_issues(api, |api| NativeApi { api }))
    })
}

/// Reads a JSON object produced by `oneinbox.js` (`JSON.stringify` of a checked plain object).
fn json_object(
    text: Option<String>,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Option<Map<String, Value>> {
    let text = text?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Some(map),
        Ok(_) => {
            issues.push(Issue::new(IssueCode::WrongType, path, "expected an object"));
            None
        }
        Err(e) => {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                path,
                format!("cannot be sent as JSON ({e})"),
            ));
            None
        }
    }
}

#[napi]
impl NativeApi {
    /// The base URL requests go to, without a trailing slash.
    #[napi(getter, js_name = "baseUrl")]
    pub fn base_url(&self) -> String {
        self.api.base_url().to_owned()
    }

    /// `POST /v1/webhooks`.
    #[napi(js_name = "createWebhook")]
    pub fn create_webhook(
        &self,
        name: String,
        url: String,
        events: Vec<String>,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            let args = CreateWebhook { name, url, events };
            Ok(or_issues(self.api.create_webhook(&args), |p| {
                NativePrepared::new(p)
            }))
        })
    }

    /// `GET /v1/webhooks`.
    #[napi(js_name = "listWebhooks")]
    pub fn list_webhooks(&self) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            Ok(or_issues(self.api.list_webhooks(), |p| {
                NativePrepared::new(p)
            }))
        })
    }

    /// `PATCH /v1/webhooks/{id}`; only the fields given are sent.
    #[napi(js_name = "updateWebhook")]
    pub fn update_webhook(
        &self,
        webhook_id: String,
        name: Option<String>,
        url: Option<String>,
        events: Option<Vec<String>>,
        status: Option<String>,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            let args = UpdateWebhook {
                name,
                url,
                events,
                status,
            };
            Ok(or_issues(
                self.api.update_webhook(&webhook_id, &args),
                NativePrepared::new,
            ))
        })
    }

    /// `DELETE /v1/webhooks/{id}`.
    #[napi(js_name = "deleteWebhook")]
    pub fn delete_webhook(
        &self,
        webhook_id: String,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            Ok(or_issues(self.api.delete_webhook(&webhook_id), |p| {
                NativePrepared::new(p)
            }))
        })
    }

    /// `POST /v1/webhooks/{id}/test`.
    #[napi(js_name = "testWebhook")]
    pub fn test_webhook(
        &self,
        webhook_id: String,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            Ok(or_issues(self.api.test_webhook(&webhook_id), |p| {
                NativePrepared::new(p)
            }))
        })
    }

    /// `GET /v1/webhooks/{id}/deliveries?limit=&offset=`. `limit`/`offset` are integers
    /// (checked by `oneinbox.js`), saturated to `i64`.
    #[napi(js_name = "listDeliveries")]
    pub fn list_deliveries(
        &self,
        webhook_id: String,
        limit: Option<f64>,
        offset: Option<f64>,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            // `as` saturates (the core then reports the value as out of range).
            let args = ListDeliveries {
                limit: limit.map(|n| n as i64),
                offset: offset.map(|n| n as i64),
            };
            Ok(or_issues(
                self.api.list_deliveries(&webhook_id, &args),
                NativePrepared::new,
            ))
        })
    }

    /// `POST /v1/calls`. `variables` and `metadata` are JSON object texts.
    #[napi(js_name = "createCall")]
    pub fn create_call(
        &self,
        agent_id: String,
        to_number: String,
        from_number: String,
        webhook_url: Option<String>,
        variables: Option<String>,
        metadata: Option<String>,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            let mut issues = Vec::new();
            let variables = json_object(variables, "/variables", &mut issues);
            let metadata = json_object(metadata, "/metadata", &mut issues);
            if !issues.is_empty() {
                return Ok(Either::B(issues_to_js(issues)));
            }
            let args = CreateCall {
                agent_id,
                to_number,
                from_number,
                webhook_url,
                variables,
                metadata,
            };
            Ok(or_issues(self.api.create_call(&args), |p| {
                NativePrepared::new(p)
            }))
        })
    }
}

/// The request as plain data, ready for `fetch(url, { method, headers, body })`.
#[napi(object, js_name = "NativeRequest")]
pub struct NativeRequest {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// `[name, value]` pairs in sending order.
    pub headers: Vec<Vec<String>>,
    /// The JSON body, if the endpoint takes one.
    pub body: Option<String>,
    /// The retry policy: `idempotent`, `creates_webhook` or `creates_call`.
    pub retry: String,
}

/// A non-2xx answer (`kind` `"api"`, thrown as `ApiError`) or a 2xx body that does not match
/// (`kind` `"decode"`, thrown as `ValidationError`).
#[napi(object, js_name = "NativeFailure")]
pub struct NativeFailure {
    /// `"api"` or `"decode"`.
    pub kind: String,
    /// The HTTP status.
    pub status: u32,
    /// The core's message (the API key scrubbed).
    pub message: String,
    /// `ApiError.details`, or the decode issues.
    pub issues: Vec<NativeIssue>,
    /// Whether sending the same request again is safe and may succeed (the request's policy).
    pub retryable: bool,
}

/// A successfully parsed response: its JSON form, and the page itself for `nextPage`.
#[napi]
pub struct NativeParsed {
    json: String,
    page: Option<DeliveryPage>,
}

#[napi]
impl NativeParsed {
    /// The JSON form of the result (the secret included; `oneinbox.js` wraps it).
    #[napi(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }
}

/// A request together with its response parser (the core's `Prepared<T>`).
#[napi]
pub struct NativePrepared {
    inner: AnyPrepared,
}

fn parsed(
    result: Result<AnyResponse, ResponseError>,
    status: u16,
) -> Either<NativeParsed, NativeFailure> {
    match result {
        Ok(value) => {
            // Serializing the core's result types cannot fail (string keys, finite numbers).
            let json = match &value {
                AnyResponse::Webhook(v) => serde_json::to_string(v),
                AnyResponse::Webhooks(v) => serde_json::to_string(v),
                AnyResponse::Nothing => Ok("null".to_owned()),
                AnyResponse::Deliveries(v) => serde_json::to_string(v),
                AnyResponse::Call(v) => serde_json::to_string(v),
            }
            .unwrap_or_else(|_| "null".to_owned());
            let page = match value {
                AnyResponse::Deliveries(page) => Some(page),
                _ => None,
            };
            Either::A(NativeParsed { json, page })
        }
        Err(ResponseError::Api(e)) => Either::B(NativeFailure {
            kind: "api".to_owned(),
            status: u32::from(e.status),
            message: e.message,
            issues: issues_to_js(e.details),
            retryable: e.retryable,
        }),
        Err(ResponseError::Decode(e)) => Either::B(NativeFailure {
            kind: "decode".to_owned(),
            status: u32::from(status),
            message: e.to_string(),
            issues: issues_to_js(e.into_issues()),
            retryable: false,
        }),
    }
}

impl NativePrepared {
    fn new(inner: impl Into<AnyPrepared>) -> Self {
        NativePrepared {
            inner: inner.into(),
        }
    }

    fn request_ref(&self) -> &management::HttpRequest {
        self.inner.request()
    }

    fn retry_policy(&self) -> management::Retry {
        self.inner.retry()
    }
}

#[napi]
impl NativePrepared {
    /// The request to send.
    #[napi]
    pub fn request(&self) -> napi::Result<NativeRequest> {
        guard(|| {
            let r = self.request_ref();
            Ok(NativeRequest {
                method: r.method.as_str().to_owned(),
                url: r.url.clone(),
                headers: r
                    .headers
                    .iter()
                    .map(|(n, v)| vec![n.clone(), v.clone()])
                    .collect(),
                // The core's bodies are UTF-8 JSON.
                body: r
                    .body
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                retry: self.retry_policy().as_str().to_owned(),
            })
        })
    }

    /// `Prepared::parse_response(status, body)`. `status` is 0–65535 (checked by
    /// `oneinbox.js`).
    #[napi(js_name = "parseResponse")]
    pub fn parse_response(
        &self,
        status: u32,
        body: &[u8],
    ) -> napi::Result<Either<NativeParsed, NativeFailure>> {
        guard(|| {
            let status = u16::try_from(status).unwrap_or(u16::MAX);
            Ok(parsed(self.inner.parse_response(status, body), status))
        })
    }

    /// `Prepared::next_step` after a non-2xx `status` (with the answer's headers as names and
    /// values, read at `now`, Unix seconds). `attempt` and `maxRetries` are checked counts,
    /// `status` a checked status (`oneinbox.js`).
    #[napi(js_name = "afterStatus")]
    #[allow(clippy::too_many_arguments)]
    pub fn after_status(
        &self,
        attempt: u32,
        max_retries: u32,
        status: u32,
        names: Vec<String>,
        values: Vec<String>,
        now: f64,
        draw: f64,
    ) -> napi::Result<NativeRetryStep> {
        guard(|| {
            let pairs: Vec<(&String, &String)> = names.iter().zip(values.iter()).collect();
            let retry_after = management::retry_after(&pairs, unix_time(now));
            let outcome = management::Outcome::Status {
                status: u16::try_from(status).unwrap_or(u16::MAX),
                retry_after,
            };
            Ok(self
                .inner
                .next_step(attempt, max_retries, outcome, draw)
                .into())
        })
    }

    /// `Prepared::next_step` after no answer: `sent` is false when the connection could not be
    /// opened (nothing was sent); `cause` describes the failure.
    #[napi(js_name = "afterFailure")]
    pub fn after_failure(
        &self,
        attempt: u32,
        max_retries: u32,
        sent: bool,
        cause: String,
        draw: f64,
    ) -> napi::Result<NativeRetryStep> {
        guard(|| {
            let cause = cause.as_str();
            let outcome = if sent {
                management::Outcome::Lost { cause }
            } else {
                management::Outcome::NotConnected { cause }
            };
            Ok(self
                .inner
                .next_step(attempt, max_retries, outcome, draw)
                .into())
        })
    }

    /// `Prepared::next_page(page)` for a page this request returned; `null` on the last page
    /// (or when this is not a list-deliveries request).
    #[napi(js_name = "nextPage")]
    pub fn next_page(&self, parsed: &NativeParsed) -> napi::Result<Option<NativePrepared>> {
        guard(|| {
            Ok(match &parsed.page {
                Some(page) => self
                    .inner
                    .next_page(page)
                    .ok()
                    .flatten()
                    .map(NativePrepared::new),
                None => None,
            })
        })
    }
}

/// How many times a client sends a failed request again unless told otherwise.
#[napi]
pub const DEFAULT_MAX_RETRIES: u32 = management::DEFAULT_MAX_RETRIES;

/// What a client does after a failed attempt (the core's `Step`): `wait` seconds (whole
/// milliseconds) before sending again, or `null` to give up; then `retryable` and, for a
/// failure without an answer, the error's `message`.
#[napi(object, js_name = "NativeRetryStep")]
pub struct NativeRetryStep {
    /// Seconds to wait before sending again; `null`: give up.
    pub wait: Option<f64>,
    /// Whether sending the same request again later is safe.
    pub retryable: bool,
    /// The `TransportError` message for a failure without an answer.
    pub message: Option<String>,
}

impl From<management::Step> for NativeRetryStep {
    fn from(step: management::Step) -> Self {
        match step {
            // Whole milliseconds: divided once, so the number is the same as `ms / 1000`.
            management::Step::Retry { wait } => NativeRetryStep {
                wait: Some(wait.as_millis() as f64 / 1000.0),
                retryable: true,
                message: None,
            },
            management::Step::GiveUp(g) => NativeRetryStep {
                wait: None,
                retryable: g.retryable,
                message: g.message,
            },
        }
    }
}

/// Unix seconds (checked by `oneinbox.js`) as a time; before 1970 counts as 1970.
fn unix_time(now: f64) -> std::time::SystemTime {
    let since_epoch = std::time::Duration::try_from_secs_f64(now).unwrap_or_default();
    std::time::UNIX_EPOCH
        .checked_add(since_epoch)
        .unwrap_or(std::time::UNIX_EPOCH)
}

/// `retry_after(headers, now)`: seconds to wait from a `Retry-After` header, or `null`.
/// `now` is Unix seconds.
#[napi(js_name = "retryAfter")]
pub fn retry_after(names: Vec<String>, values: Vec<String>, now: f64) -> napi::Result<Option<f64>> {
    guard(|| {
        let pairs: Vec<(&String, &String)> = names.iter().zip(values.iter()).collect();
        Ok(management::retry_after(&pairs, unix_time(now)).map(|d| d.as_secs_f64()))
    })
}
