//! The core's rules for numeric arguments (`host` in the core), for `oneinbox.js`: a number
//! that breaks one comes back as the issue of a `UsageError`. Also the core's defaults, so that
//! the JavaScript layer restates none of them.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::host::{self, HostNumber};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The default `maxBodyBytes` (1 MiB).
#[napi]
pub const DEFAULT_MAX_BODY_BYTES: u32 = oneinbox_webhooks::DEFAULT_MAX_BODY_BYTES as u32;

/// The default `maxDepth`.
#[napi]
pub const DEFAULT_MAX_DEPTH: u32 = oneinbox_webhooks::DEFAULT_MAX_DEPTH as u32;

/// The default clock tolerance of signature checks, in seconds.
#[napi]
pub const DEFAULT_TOLERANCE_SECONDS: u32 =
    oneinbox_webhooks::auth::DEFAULT_TOLERANCE_SECONDS as u32;

/// How deeply `variables` / `metadata` may nest.
#[napi]
pub const MAX_ARGUMENT_DEPTH: u32 = host::MAX_ARGUMENT_DEPTH as u32;

/// Checks `value` against the core's rule `rule` (`limit`, `seconds`, `unix_seconds` or
/// `http_status`) for the argument `name`: the value to use, or the issues of a `UsageError`.
#[napi(js_name = "hostArg")]
pub fn host_arg(
    rule: String,
    name: String,
    value: f64,
) -> napi::Result<Either<f64, Vec<NativeIssue>>> {
    guard(|| {
        let n = HostNumber::Float(value);
        let checked = match rule.as_str() {
            "limit" => host::limit(n, &name).map(|v| v as f64),
            "seconds" => host::seconds(n, &name).map(|v| v as f64),
            "unix_seconds" => host::unix_seconds(n, &name).map(|v| v as f64),
            "http_status" => host::http_status(n, &name).map(f64::from),
            other => return Err(napi::Error::from_reason(format!("no rule {other:?}"))),
        };
        Ok(match checked {
            Ok(v) => Either::A(v),
            Err(issue) => Either::B(issues_to_js(vec![issue])),
        })
    })
}

/// `token` as one JSON Pointer reference token (`~` and `/` escaped, RFC 6901), by the core's
/// one implementation.
#[napi(js_name = "pointerToken")]
pub fn pointer_token(token: String) -> napi::Result<String> {
    guard(|| {
        let mut pointer = String::new();
        host::push_pointer_token(&mut pointer, &token);
        Ok(pointer.split_off(1))
    })
}
