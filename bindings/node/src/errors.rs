//! The one mapping from core errors to JavaScript values, and the panic guard.
//!
//! Errors cross the boundary as plain data: `validateEvent` returns the list of issues and the
//! JavaScript layer (`oneinbox.js`) throws the matching `Error` subclass (`ValidationError`,
//! `UsageError`, ...). Building the issue objects costs a few N-API calls per issue, which only
//! the failure path pays.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi_derive::napi;
use oneinbox_webhooks::Issue;

/// One problem found in a payload: `code` is a stable snake_case string, `path` a JSON Pointer
/// (`""` is the whole body), `message` a sentence for people.
#[napi(object, js_name = "NativeIssue")]
pub struct NativeIssue {
    /// Stable snake_case code, e.g. `missing_field`.
    pub code: String,
    /// JSON Pointer (RFC 6901) to the problem; `""` is the whole body.
    pub path: String,
    /// A sentence for people; never more than ~80 characters of input.
    pub message: String,
}

/// Converts the core's issues (the one conversion used by every export).
pub fn issues_to_js(issues: Vec<Issue>) -> Vec<NativeIssue> {
    issues
        .into_iter()
        .map(|i| NativeIssue {
            code: i.code.as_str().to_owned(),
            path: i.path,
            message: i.message,
        })
        .collect()
}

/// The prefix of the message of an error raised for a Rust panic; `oneinbox.js` turns such an
/// error into a `OneInboxError` with code `ERR_ONEINBOX_INTERNAL`.
pub const PANIC_PREFIX: &str =
    "oneinbox-webhooks internal error (a Rust panic, please report it): ";

/// Runs an export's body, turning a Rust panic into a thrown JavaScript `Error` instead of
/// aborting the process. Every export goes through this guard; the core is written not to
/// panic at all, so this is a backstop.
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            Err(napi::Error::from_reason(format!("{PANIC_PREFIX}{what}")))
        }
    }
}
