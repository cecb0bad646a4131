//! Call records: thin wrappers over the core's `record` module (`CallRecord`, `dedupe_key`).
//!
//! An event arrives as the JSON text `record.js` writes with `JSON.stringify` of the object
//! (so a changed object is keyed as it now is); the core reads it in one pass in lenient mode
//! with no size limit, straight into the key (`ParseOptions::dedupe_key`) or into what a record
//! reads (`KeyedEvent::parse`), which gives back the event that object was built from (JavaScript reads numbers as doubles, as
//! the dedupe key's canonical form does). So the keys and records are byte for byte those of
//! the Rust core and of the Python binding. Failures come back as the issues of the core's
//! `ValidationError` / `UsageError`; `record.js` throws the matching class.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::{self as core, KeyedEvent, ParseOptions};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The deepest nesting any parse allows (the core's `MAX_DEPTH_CEILING`): the stores read
/// their stored events back within it.
#[napi]
pub const MAX_DEPTH_CEILING: u32 = oneinbox_webhooks::MAX_DEPTH_CEILING as u32;

/// How the JSON text of an event object is read: lenient, with no size limit and the deepest
/// nesting any parse allows. That gives back the event the object was built from.
const TEXT: ParseOptions = ParseOptions {
    strict: false,
    max_body_bytes: usize::MAX,
    max_depth: oneinbox_webhooks::MAX_DEPTH_CEILING,
};

/// `dedupe_key(event)` of the JSON text of an event object (`ParseOptions::dedupe_key`: made
/// in one pass over the text, no event made), or the issues that stop the text from being an
/// event.
#[napi(js_name = "dedupeKey")]
pub fn dedupe_key(event_json: String) -> napi::Result<Either<String, Vec<NativeIssue>>> {
    guard(|| {
        Ok(match TEXT.dedupe_key(event_json.as_bytes()) {
            Ok(key) => Either::A(key),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

/// What `apply` did (the core's `Applied`), or the issues that stop the text from being an
/// event (`issues` set, the other members meaningless).
#[napi(object, js_name = "NativeApplied")]
pub struct NativeApplied {
    /// Whether the record changed.
    pub changed: bool,
    /// Why the event was ignored, or `null`.
    pub ignored: Option<String>,
    /// The issues when the text is not an event, else `null`.
    pub issues: Option<Vec<NativeIssue>>,
}

/// The core's `CallRecord`.
#[napi]
pub struct NativeCallRecord {
    inner: core::CallRecord,
}

/// `CallRecord::new(call_id)`.
#[napi(js_name = "newCallRecord")]
pub fn new_call_record(call_id: String) -> napi::Result<NativeCallRecord> {
    guard(|| {
        Ok(NativeCallRecord {
            inner: core::CallRecord::new(call_id),
        })
    })
}

/// `CallRecord::from_json(bytes)`, or the `ValidationError`'s issues.
#[napi(js_name = "callRecordFromJson")]
pub fn call_record_from_json(
    bytes: &[u8],
) -> napi::Result<Either<NativeCallRecord, Vec<NativeIssue>>> {
    guard(|| {
        Ok(match core::CallRecord::from_json(bytes) {
            Ok(inner) => Either::A(NativeCallRecord { inner }),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

#[napi]
impl NativeCallRecord {
    /// `apply` of the JSON text of an event object.
    #[napi]
    pub fn apply(&mut self, event_json: String) -> napi::Result<NativeApplied> {
        guard(|| {
            Ok(match KeyedEvent::parse(&TEXT, event_json.as_bytes()) {
                Ok(event) => {
                    let applied = self.inner.apply_keyed(&event);
                    NativeApplied {
                        changed: applied.changed,
                        ignored: applied.ignored,
                        issues: None,
                    }
                }
                Err(e) => NativeApplied {
                    changed: false,
                    ignored: None,
                    issues: Some(issues_to_js(e.into_issues())),
                },
            })
        })
    }

    /// `merge(other)`: whether this record changed, or the `UsageError`'s issues (records of
    /// different calls). `record.js` never passes a record to its own `merge`.
    #[napi]
    pub fn merge(
        &mut self,
        other: &NativeCallRecord,
    ) -> napi::Result<Either<bool, Vec<NativeIssue>>> {
        guard(|| {
            Ok(match self.inner.merge(&other.inner) {
                Ok(changed) => Either::A(changed),
                Err(e) => Either::B(issues_to_js(e.into_issues())),
            })
        })
    }

    /// A new record equal to this one.
    #[napi]
    pub fn copy(&self) -> napi::Result<NativeCallRecord> {
        guard(|| {
            Ok(NativeCallRecord {
                inner: self.inner.clone(),
            })
        })
    }

    /// The JSON form.
    #[napi(js_name = "toJson")]
    pub fn to_json(&self) -> napi::Result<String> {
        guard(|| Ok(self.inner.to_json()))
    }
}
