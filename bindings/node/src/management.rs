//! Management: thin wrappers over the core's sans-I/O `Api` (request builders and response
//! parsers).
//!
//! The builders' arguments arrive as JSON text that `oneinbox.js` produced after refusing what
//! JSON cannot carry (non-finite numbers, functions, cycles, lone surrogates); the core holds
//! them to its management contract (types, presence, rules), and `managementEndpoints` tells
//! `oneinbox.js` which methods `Api` has. Misuse comes back as the list of the core's
//! `UsageError` issues (`oneinbox.js` throws `TypeError` or `UsageError`); a parsed response comes back as the JSON form of
//! the core's typed result (`oneinbox.js` lets `JSON.parse` build the objects), an error
//! response as a `NativeFailure`. The API key lives only in the Rust `Api` value.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::management::contract::{self, Place, Response};
use oneinbox_webhooks::management::{
    self, AnyPrepared, AnyResponse, Api, DeliveryPage, ResponseError,
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

/// The `Api` of a client (the core's `Api::configure`): the arguments given, else the values
/// of `ONEINBOX_API_KEY` / `ONEINBOX_BASE_URL` that `client.js` read, else the default base URL.
#[napi(js_name = "configureApi")]
pub fn configure_api(
    api_key: Option<String>,
    base_url: Option<String>,
    env_api_key: Option<String>,
    env_base_url: Option<String>,
) -> napi::Result<Either<NativeApi, Vec<NativeIssue>>> {
    guard(|| {
        let env = management::ClientEnv {
            api_key: env_api_key,
            base_url: env_base_url,
        };
        let api = Api::configure(api_key, base_url, env);
        Ok(or_issues(api, |api| NativeApi { api }))
    })
}

/// The environment variable a client reads its API key from when it is given none.
#[napi]
pub const API_KEY_VAR: &str = management::API_KEY_VAR;

/// The environment variable a client reads its base URL from when it is given none.
#[napi]
pub const BASE_URL_VAR: &str = management::BASE_URL_VAR;

/// One endpoint of the management contract, as `oneinbox.js` defines the `Api` method for it.
#[napi(object, js_name = "NativeEndpoint")]
pub struct NativeEndpoint {
    /// The contract's name (`create_call`).
    pub name: String,
    /// The method's name (`createCall`).
    pub js_name: String,
    /// How many positional arguments come first (the path ones: `webhookId`).
    pub positional: u32,
    /// Their wire names, in order (`webhook_id`): the paths of their issues.
    pub positional_names: Vec<String>,
    /// Whether an object of the other arguments follows (wire names).
    pub takes_args: bool,
    /// Whether that object must be given.
    pub args_required: bool,
    /// What a 2xx response holds: `webhook`, `webhooks`, `nothing`, `deliveries` or `call`.
    pub response: String,
}

/// `create_call` → `createCall`.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

/// The endpoints of the core's management contract, in its order.
#[napi(js_name = "managementEndpoints")]
pub fn management_endpoints() -> napi::Result<Vec<NativeEndpoint>> {
    guard(|| {
        Ok(contract::ENDPOINTS
            .iter()
            .map(|e| {
                let rest: Vec<_> = e.args.iter().filter(|a| a.place != Place::Path).collect();
                let response = match e.response {
                    Response::Webhook => "webhook",
                    Response::WebhookList => "webhooks",
                    Response::DeliveryPage => "deliveries",
                    Response::Call => "call",
                    Response::CallPage => "calls",
                    _ => "nothing",
                };
                NativeEndpoint {
                    name: e.name.to_owned(),
                    js_name: camel(e.name),
                    positional: u32::try_from(e.args_in(Place::Path).count()).unwrap_or(0),
                    positional_names: e.args_in(Place::Path).map(|a| a.name.to_owned()).collect(),
                    takes_args: !rest.is_empty(),
                    args_required: e.at_least_one || rest.iter().any(|a| a.required),
                    response: response.to_owned(),
                }
            })
            .collect())
    })
}

/// Reads a JSON text `oneinbox.js` produced from checked values (an array or an object).
fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

#[napi]
impl NativeApi {
    /// The base URL requests go to, without a trailing slash.
    #[napi(getter, js_name = "baseUrl")]
    pub fn base_url(&self) -> String {
        self.api.base_url().to_owned()
    }

    /// Builds the request of `endpoint` (the contract's name) from its positional arguments (a
    /// JSON array text: the path ones) and the object of the others (a JSON object text, wire
    /// names), held to the contract by the core. Issues of code `wrong_type` or
    /// `missing_field` at an argument are thrown as a `TypeError` by `oneinbox.js`.
    #[napi]
    pub fn build(
        &self,
        endpoint: String,
        positional_json: String,
        args_json: Option<String>,
    ) -> napi::Result<Either<NativePrepared, Vec<NativeIssue>>> {
        guard(|| {
            let Some(e) = contract::endpoint(&endpoint) else {
                return Ok(Either::B(issues_to_js(vec![Issue::new(
                    IssueCode::UnknownField,
                    "",
                    "no such endpoint",
                )])));
            };
            let mut args = match args_json.as_deref().map(json_text) {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            };
            let mut issues = Vec::new();
            // A path argument is positional: a member of the same name is not one.
            for a in e.args_in(Place::Path) {
                if args.remove(a.name).is_some() {
                    issues.push(Issue::new(
                        IssueCode::UnknownField,
                        format!("/{}", a.name),
                        format!("`{}` is given as the first argument, not in `args`", a.name),
                    ));
                }
            }
            if let Value::Array(values) = json_text(&positional_json) {
                for (a, v) in e.args_in(Place::Path).zip(values) {
                    args.insert(a.name.to_owned(), v);
                }
            }
            Ok(match self.api.build(e.name, &args) {
                Ok(p) if issues.is_empty() => Either::A(NativePrepared::new(p)),
                Ok(_) => Either::B(issues_to_js(issues)),
                Err(err) => {
                    let mut all = err.into_issues();
                    all.append(&mut issues);
                    Either::B(issues_to_js(all))
                }
            })
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
    /// The retry policy: `idempotent`, `creates_webhook`, `creates_call` or `sends_test_delivery`.
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
    page: Option<Page>,
}

/// A page kept for `nextPage`.
enum Page {
    Deliveries(DeliveryPage),
    Calls(management::CallPage),
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
                AnyResponse::Calls(v) => serde_json::to_string(v),
            }
            .unwrap_or_else(|_| "null".to_owned());
            let page = match value {
                AnyResponse::Deliveries(page) => Some(Page::Deliveries(page)),
                AnyResponse::Calls(page) => Some(Page::Calls(page)),
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
    /// (or when this is not a list-deliveries or list-calls request).
    #[napi(js_name = "nextPage")]
    pub fn next_page(&self, parsed: &NativeParsed) -> napi::Result<Option<NativePrepared>> {
        guard(|| {
            let next = match &parsed.page {
                Some(Page::Deliveries(page)) => self.inner.next_page(page),
                Some(Page::Calls(page)) => self.inner.next_calls_page(page),
                None => Ok(None),
            };
            Ok(next.ok().flatten().map(NativePrepared::new))
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
