//! Authentication: thin wrappers over the core's `auth` module (URL tokens, Standard Webhooks
//! signatures, the `Receiver`).
//!
//! Headers arrive as two parallel arrays of names and values (`oneinbox.js` flattens a plain
//! object, a `Headers` instance or a list of pairs). Times are Unix seconds as JavaScript
//! numbers, already checked to be integers by `oneinbox.js` and saturated to `i64` here.
//! Outcomes are values (`NativeVerification`); misuse comes back as the `UsageError`'s issues.
//! Secrets stay in Rust values whose `Debug` is redacted and are never put in a message.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::auth::{self, ReceiveError, Receiver, Verification};
use oneinbox_webhooks::{ParseOptions, UsageError};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The outcome of a verification (the core's `Verification`).
#[napi(object, js_name = "NativeVerification")]
pub struct NativeVerification {
    /// `true` exactly when `code` is `"ok"`.
    pub ok: bool,
    /// A stable code: `ok`, `missing_token`, `token_mismatch`, `missing_header`,
    /// `invalid_header`, `invalid_timestamp`, `timestamp_too_old`, `timestamp_too_new`,
    /// `no_matching_signature`, `not_configured`.
    pub code: String,
    /// The index of the secret that matched, or `null`.
    pub matched_secret: Option<u32>,
}

fn verification(v: Verification) -> NativeVerification {
    NativeVerification {
        ok: v.ok,
        code: v.code.as_str().to_owned(),
        matched_secret: v.matched_secret.and_then(|i| u32::try_from(i).ok()),
    }
}

fn or_issues<T, U>(
    result: Result<T, UsageError>,
    f: impl FnOnce(T) -> U,
) -> Either<U, Vec<NativeIssue>> {
    match result {
        Ok(v) => Either::A(f(v)),
        Err(e) => Either::B(issues_to_js(e.into_issues())),
    }
}

fn pairs<'a>(names: &'a [String], values: &'a [String]) -> Vec<(&'a str, &'a str)> {
    names
        .iter()
        .zip(values.iter())
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// `verify_signature(headers, body, secrets, now, tolerance)`.
#[napi(js_name = "verifySignature")]
pub fn verify_signature(
    names: Vec<String>,
    values: Vec<String>,
    body: &[u8],
    secrets: Vec<String>,
    now: f64,
    tolerance: f64,
) -> napi::Result<Either<NativeVerification, Vec<NativeIssue>>> {
    guard(|| {
        let headers = pairs(&names, &values);
        // `as` saturates: -2^63 and 2^63 - 1 stay the extremes of `i64`.
        let result = auth::verify_signature(&headers, body, &secrets, now as i64, tolerance as u64);
        Ok(or_issues(result, verification))
    })
}

/// `sign(secret, msg_id, timestamp, body)`: the `webhook-signature` header value.
#[napi(js_name = "sign")]
pub fn sign(
    secret: String,
    msg_id: String,
    timestamp: f64,
    body: &[u8],
) -> napi::Result<Either<String, Vec<NativeIssue>>> {
    guard(|| {
        Ok(or_issues(
            auth::sign(&secret, &msg_id, timestamp as i64, body),
            |s| s,
        ))
    })
}

/// `add_url_token(url, token)`.
#[napi(js_name = "addUrlToken")]
pub fn add_url_token(url: String, token: String) -> napi::Result<Either<String, Vec<NativeIssue>>> {
    guard(|| Ok(or_issues(auth::add_url_token(&url, &token), |s| s)))
}

/// `redact_url_token(text)`.
#[napi(js_name = "redactUrlToken")]
pub fn redact_url_token(text: String) -> napi::Result<String> {
    guard(|| Ok(auth::redact_url_token(&text)))
}

/// `verify_url_token(request_url_or_query, secrets)`.
#[napi(js_name = "verifyUrlToken")]
pub fn verify_url_token(
    url: String,
    secrets: Vec<String>,
) -> napi::Result<Either<NativeVerification, Vec<NativeIssue>>> {
    guard(|| {
        Ok(or_issues(
            auth::verify_url_token(&url, &secrets),
            verification,
        ))
    })
}

/// A configured `Receiver` (its secrets never leave Rust).
#[napi]
pub struct NativeReceiver {
    inner: Receiver,
}

/// Builds a `Receiver`: URL tokens and signing secrets when given (an empty list, or a
/// `null`/`undefined`/empty item, is misuse), whether an open receiver is allowed, the tolerance
/// in seconds, and the parse options. `warning` is the line to log once (an allowed open
/// receiver), or `null`.
#[napi(js_name = "newReceiver")]
#[allow(clippy::too_many_arguments)]
pub fn new_receiver(
    url_tokens: Option<Vec<Option<String>>>,
    signing_secrets: Option<Vec<Option<String>>>,
    allow_unauthenticated: bool,
    tolerance: f64,
    strict: bool,
    max_body_bytes: f64,
    max_depth: f64,
) -> napi::Result<Either<NativeReceiver, Vec<NativeIssue>>> {
    guard(|| {
        let built = Receiver::new()
            .with_tolerance(tolerance as u64)
            .with_parse_options(ParseOptions {
                strict,
                max_body_bytes: max_body_bytes as usize,
                max_depth: max_depth as usize,
            })
            .with_authentication(
                url_tokens.as_deref(),
                signing_secrets.as_deref(),
                allow_unauthenticated,
            );
        Ok(match built {
            Ok(inner) => Either::A(NativeReceiver { inner }),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

#[napi]
impl NativeReceiver {
    /// The line to log once at construction when this receiver accepts every delivery
    /// (`allowUnauthenticated` and no secrets), or `null`.
    #[napi(getter)]
    pub fn warning(&self) -> napi::Result<Option<String>> {
        guard(|| Ok(self.inner.unauthenticated_warning().map(str::to_owned)))
    }

    /// `Receiver::receive`: `null` when the delivery authenticates and the body is a valid
    /// event (`oneinbox.js` then builds it with `JSON.parse`), the failed verification when it
    /// does not authenticate, or the body's issues.
    #[napi]
    pub fn receive(
        &self,
        body: &[u8],
        names: Vec<String>,
        values: Vec<String>,
        url: Option<String>,
        now: f64,
    ) -> napi::Result<Option<Either<NativeVerification, Vec<NativeIssue>>>> {
        guard(|| {
            let headers = pairs(&names, &values);
            Ok(
                match self
                    .inner
                    .receive(body, &headers, url.as_deref(), now as i64)
                {
                    Ok(_) => None,
                    Err(ReceiveError::Unauthenticated(v)) => Some(Either::A(verification(v))),
                    Err(ReceiveError::Invalid(e)) => Some(Either::B(issues_to_js(e.into_issues()))),
                },
            )
        })
    }
}
