//! Events: validation of a webhook body by the core.
//!
//! The fast path is deliberately narrow: the body crosses as a borrowed `Uint8Array` (one
//! N-API call), the core validates it, and success returns `null` (no object is built here).
//! The JavaScript layer then lets V8 build the event with `JSON.parse` over the same,
//! already-validated bytes, which is far cheaper than building the objects through N-API.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::ParseOptions;

use crate::errors::{guard, issues_to_js, NativeIssue};

/// Validates a webhook body with the core's `ParseOptions::validate_unlisted` (the verdict and
/// issues of `ParseOptions::parse`, without building the event). Returns `null` when the body
/// is a valid event whose members the contract all lists, `true` when it is valid and some
/// object of it has members the contract does not list (or the event is unknown: `oneinbox.js`
/// then adds `extra`), otherwise every issue found. `maxBodyBytes` and `maxDepth` are
/// non-negative integers (checked by the caller, `oneinbox.js`). The typed reference entry;
/// `oneinbox.js` calls `validateEventFast` (`fast.rs`), which the tests check against this.
#[napi(js_name = "validateEvent")]
pub fn validate_event(
    body: &[u8],
    strict: bool,
    max_body_bytes: f64,
    max_depth: f64,
) -> napi::Result<Option<Either<Vec<NativeIssue>, bool>>> {
    guard(|| {
        let opts = ParseOptions {
            strict,
            max_body_bytes: to_usize(max_body_bytes),
            max_depth: to_usize(max_depth),
        };
        Ok(match opts.validate_unlisted(body) {
            Ok(false) => None,
            Ok(true) => Some(Either::B(true)),
            Err(err) => Some(Either::A(issues_to_js(err.into_issues()))),
        })
    })
}

/// A saturating conversion of an already-checked non-negative integer.
fn to_usize(n: f64) -> usize {
    if n.is_nan() || n <= 0.0 {
        0
    } else {
        // `as` saturates for floats beyond the target's range.
        n as usize
    }
}

/// Panics inside the guard: lets the tests check that a Rust panic becomes a thrown error and
/// never aborts the process. Not part of the public API (not re-exported by `oneinbox.js`), and
/// compiled only with the `test-panic` feature, which `just build-node` (the test build) turns
/// on; `npm install` builds without it.
#[cfg(feature = "test-panic")]
#[napi(js_name = "__triggerPanicForTests", skip_typescript)]
pub fn trigger_panic_for_tests() -> napi::Result<()> {
    guard(|| -> napi::Result<()> {
        #[allow(clippy::panic)]
        {
            panic!("deliberate panic from __triggerPanicForTests")
        }
    })
}
