//! Authentication: thin wrappers over the core's `auth` module (URL tokens, Standard Webhooks
//! signatures, the `Receiver`).
//!
//! Headers arrive as two parallel arrays of names and values (`oneinbox.js` flattens a plain
//! object, a `Headers` instance or a list of pairs). Times are Unix seconds as JavaScript
//! numbers, already checked to be integers by `oneinbox.js` and saturated to `i64` here.
//! Outcomes are values (`NativeVerification`); misuse comes back as the `UsageError`'s issues.
//! Secrets stay in Rust values whose `Debug` is redacted and are never put in a message.

use napi::bindgen_prelude::{Either, Either3, Env, Function, Unknown};
use napi_derive::napi;
use oneinbox_webhooks::auth::{self, ReceiveError, Receiver, Verification};
use oneinbox_webhooks::UsageError;

use crate::errors::{guard, issues_to_js, NativeIssue};
use crate::options::{receiver_options, NativeParseLimits};

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

/// A `whsec_` signing secret from 32 random bytes (`newSigningSecret()` passes
/// `crypto.randomBytes(32)`); `null` for another length.
#[napi(js_name = "signingSecretFromBytes")]
pub fn signing_secret_from_bytes(data: &[u8]) -> napi::Result<Option<String>> {
    guard(|| {
        Ok(<&[u8; auth::SIGNING_SECRET_BYTES]>::try_from(data)
            .ok()
            .map(auth::signing_secret_from_bytes))
    })
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

/// A configured `Receiver` (its secrets never leave Rust; only their counts are shown).
#[napi]
pub struct NativeReceiver {
    inner: Receiver,
    url_tokens: u32,
    signing_secrets: u32,
    tolerance: u64,
    parse: NativeParseLimits,
}

/// Builds a `Receiver` from `new Receiver(options)`'s options, converted and checked by
/// `options.rs` (`secretClass` is the package's `Secret`: its instances are read with
/// `reveal()`): URL tokens and signing secrets when given (an empty list, or a `null`,
/// `undefined` or empty item, is misuse), whether an open receiver is allowed (without it, no
/// secrets is misuse: it fails closed), the tolerance in seconds, and the parse options. The
/// receiver, or the `UsageError`'s issues; a wrong type throws `TypeError`.
#[napi(
    js_name = "newReceiver",
    ts_args_type = "options: unknown, secretClass: Function"
)]
pub fn new_receiver(
    env: Env,
    options: Unknown,
    secret_class: Function<(), String>,
) -> napi::Result<Either<NativeReceiver, Vec<NativeIssue>>> {
    guard(|| {
        let checked = match receiver_options(&env, &options, &secret_class)? {
            Either::A(checked) => checked,
            Either::B(issues) => return Ok(Either::B(issues_to_js(issues))),
        };
        let count = |list: &Option<Vec<Option<String>>>| {
            list.as_ref()
                .map_or(0, |l| u32::try_from(l.len()).unwrap_or(u32::MAX))
        };
        let (url_tokens, signing_secrets) =
            (count(&checked.url_tokens), count(&checked.signing_secrets));
        let built = Receiver::new()
            .with_tolerance(checked.tolerance)
            .with_parse_options(checked.parse.core())
            .with_authentication(
                checked.url_tokens.as_deref(),
                checked.signing_secrets.as_deref(),
                checked.allow_unauthenticated,
            );
        Ok(match built {
            Ok(inner) => Either::A(NativeReceiver {
                inner,
                url_tokens,
                signing_secrets,
                tolerance: checked.tolerance,
                parse: checked.parse,
            }),
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

    /// How many URL tokens it accepts.
    #[napi(getter)]
    pub fn url_token_count(&self) -> u32 {
        self.url_tokens
    }

    /// How many signing secrets it accepts.
    #[napi(getter)]
    pub fn signing_secret_count(&self) -> u32 {
        self.signing_secrets
    }

    /// The clock tolerance of signatures, in seconds.
    #[napi(getter)]
    pub fn tolerance(&self) -> f64 {
        self.tolerance as f64
    }

    /// Strict mode.
    #[napi(getter)]
    pub fn strict(&self) -> bool {
        self.parse.strict
    }

    /// The largest body it accepts, in bytes.
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        self.parse.max_body_bytes
    }

    /// The nesting limit.
    #[napi(getter)]
    pub fn max_depth(&self) -> f64 {
        self.parse.max_depth
    }

    /// `Receiver::receive`: `null` when the delivery authenticates and the body is a valid
    /// event (`oneinbox.js` then builds it with `JSON.parse`), `true` when it is valid and has
    /// members the contract does not list (`oneinbox.js` then adds `extra`; see
    /// `ParseOptions::validate_unlisted`), the failed verification when it does not
    /// authenticate, or the body's issues.
    #[napi]
    pub fn receive(
        &self,
        body: &[u8],
        names: Vec<String>,
        values: Vec<String>,
        url: Option<String>,
        now: f64,
    ) -> napi::Result<Option<Either3<NativeVerification, Vec<NativeIssue>, bool>>> {
        guard(|| {
            let headers = pairs(&names, &values);
            // `Receiver::receive` without building the event: JS builds it from the bytes.
            let verdict = self
                .inner
                .authenticate(body, &headers, url.as_deref(), now as i64)
                .map_err(ReceiveError::Unauthenticated)
                .and_then(|()| {
                    let opts = self.inner.parse_options();
                    opts.validate_unlisted(body).map_err(ReceiveError::Invalid)
                });
            Ok(match verdict {
                Ok(false) => None,
                Ok(true) => Some(Either3::C(true)),
                Err(ReceiveError::Unauthenticated(v)) => Some(Either3::A(verification(v))),
                Err(ReceiveError::Invalid(e)) => Some(Either3::B(issues_to_js(e.into_issues()))),
            })
        })
    }
}
