//! Call records: thin wrappers over the core's `record` module (`CallRecord`, `dedupe_key`).
//!
//! An event arrives as the JSON text `record.js` writes with `JSON.stringify` of the object
//! (so a changed object is keyed as it now is); the core reads it in one pass in lenient mode
//! with no size limit, straight into the key (`ParseOptions::dedupe_key`) or into what a record
//! reads (`KeyedEvent::parse`), which gives back the event that object was built from (JavaScript reads numbers as doubles, as
//! the dedupe key's canonical form does). So the keys and records are byte for byte those of
//! the Rust core and of the Python binding. Failures come back as the issues of the core's
//! `ValidationError` / `UsageError`; `record.js` throws the matching class.

use std::cell::{RefCell, RefMut};
use std::sync::Arc;

use napi::bindgen_prelude::{Either, Either3, External};
use napi_derive::napi;
use oneinbox_webhooks::{self as core, KeyedEvent, ParseOptions};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The deepest nesting any parse allows (the core's `MAX_DEPTH_CEILING`): the stores read
/// their stored events back within it.
#[napi]
pub const MAX_DEPTH_CEILING: u32 = oneinbox_webhooks::MAX_DEPTH_CEILING as u32;

/// How the JSON text of an event object is read: lenient, with no size limit and the deepest
/// nesting any parse allows. That gives back the event the object was built from.
pub(crate) const TEXT: ParseOptions = ParseOptions {
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

/// The core's `CallRecord`, held by a JavaScript `External` (far cheaper to make than an
/// instance of a native class: a store makes two records per delivery). A `RefCell`, so that
/// `merge` of a record with itself is an error, not two references to one value. Shared
/// (`Arc`) with the ledger that handed it out or the record it is a copy of, until one of
/// them changes (copy on write).
pub type NativeCallRecord = External<RefCell<Arc<core::CallRecord>>>;

fn external(record: core::CallRecord) -> NativeCallRecord {
    shared(Arc::new(record))
}

pub(crate) fn shared(record: Arc<core::CallRecord>) -> NativeCallRecord {
    External::new(RefCell::new(record))
}

/// The record to change (copied first when it is shared), or an error when it is in use
/// (never: each call borrows it once).
fn borrow_mut(record: &NativeCallRecord) -> napi::Result<RefMut<'_, core::CallRecord>> {
    record
        .try_borrow_mut()
        .map(|r| RefMut::map(r, Arc::make_mut))
        .map_err(|_| napi::Error::from_reason("the CallRecord is in use"))
}

/// `CallRecord::new(call_id)`.
#[napi(js_name = "newCallRecord")]
pub fn new_call_record(call_id: String) -> napi::Result<NativeCallRecord> {
    guard(|| Ok(external(core::CallRecord::new(call_id))))
}

/// `CallRecord::from_json(bytes)`, or the `ValidationError`'s issues.
#[napi(js_name = "callRecordFromJson")]
pub fn call_record_from_json(
    bytes: &[u8],
) -> napi::Result<Either<NativeCallRecord, Vec<NativeIssue>>> {
    guard(|| {
        Ok(match core::CallRecord::from_json(bytes) {
            Ok(inner) => Either::A(external(inner)),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

/// `record.apply` of the JSON text of an event object (`KeyedEvent::parse`: one pass).
#[napi(js_name = "recordApply")]
pub fn record_apply(record: &NativeCallRecord, event_json: String) -> napi::Result<NativeApplied> {
    guard(|| {
        Ok(match KeyedEvent::parse(&TEXT, event_json.as_bytes()) {
            Ok(event) => {
                let applied = borrow_mut(record)?.apply_keyed(&event);
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

/// `record.merge(other)`: whether `record` changed, or the `UsageError`'s issues (records of
/// different calls). `record.js` never passes a record to its own `merge`.
#[napi(js_name = "recordMerge")]
pub fn record_merge(
    record: &NativeCallRecord,
    other: &NativeCallRecord,
) -> napi::Result<Either<bool, Vec<NativeIssue>>> {
    guard(|| {
        let theirs = Arc::clone(&other.borrow());
        Ok(match borrow_mut(record)?.merge(&theirs) {
            Ok(changed) => Either::A(changed),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

/// A new record equal to `record`.
#[napi(js_name = "recordCopy")]
pub fn record_copy(record: &NativeCallRecord) -> napi::Result<NativeCallRecord> {
    guard(|| Ok(shared(Arc::clone(&record.borrow()))))
}

/// The JSON form of `record`.
#[napi(js_name = "recordToJson")]
pub fn record_to_json(record: &NativeCallRecord) -> napi::Result<String> {
    guard(|| Ok(record.borrow().to_json()))
}

/// `record.apply_call` of the JSON text of a call (a plain object from `getCall`), or the
/// `ValidationError`'s issues of `Call::from_json`.
#[napi(js_name = "recordApplyCall")]
pub fn record_apply_call(
    record: &NativeCallRecord,
    call_json: String,
) -> napi::Result<Either<NativeApplied, Vec<NativeIssue>>> {
    guard(|| {
        Ok(
            match oneinbox_webhooks::management::Call::from_json(call_json.as_bytes()) {
                Ok(call) => {
                    let applied = borrow_mut(record)?.apply_call(&call);
                    Either::A(NativeApplied {
                        changed: applied.changed,
                        ignored: applied.ignored,
                        issues: None,
                    })
                }
                Err(e) => Either::B(issues_to_js(e.into_issues())),
            },
        )
    })
}

/// `record.covers(event, key)`: whether a delivery of `event` with dedupe key `key` already
/// ran through reconciliation.
#[napi(js_name = "recordCovers")]
pub fn record_covers(record: &NativeCallRecord, event: String, key: String) -> napi::Result<bool> {
    guard(|| Ok(record.borrow().covers(&event, &key)))
}

/// The core's `Ledger` (what `MemoryStore` keeps), held by a JavaScript `External`.
pub type NativeLedger = External<RefCell<core::Ledger>>;

/// `Ledger::new()`.
#[napi(js_name = "newLedger")]
pub fn new_ledger() -> napi::Result<NativeLedger> {
    guard(|| Ok(External::new(RefCell::new(core::Ledger::new()))))
}

/// What `ledger.record` says of a delivery it saw before: the call's record (unchanged by it).
#[napi(object, object_from_js = false, js_name = "NativeRepeat")]
pub struct NativeRepeat {
    /// The call's record (shared with the ledger until either changes).
    pub record: NativeCallRecord,
}

/// `ledger.record` of the JSON text of an event object: for a new delivery the call's record
/// with it (an `External`, shared with the ledger until either changes; no object around it,
/// as most deliveries are new), for a repeat a `NativeRepeat`, or the issues that stop the
/// text from being an event.
#[napi(js_name = "ledgerRecord")]
pub fn ledger_record(
    ledger: &NativeLedger,
    event_json: String,
) -> napi::Result<Either3<NativeCallRecord, NativeRepeat, Vec<NativeIssue>>> {
    guard(|| {
        Ok(match KeyedEvent::parse(&TEXT, event_json.as_bytes()) {
            Ok(event) => {
                let mut ledger = ledger
                    .try_borrow_mut()
                    .map_err(|_| napi::Error::from_reason("the Ledger is in use"))?;
                let (new, record) = ledger.record_shared(&event);
                if new {
                    Either3::A(shared(record))
                } else {
                    Either3::B(NativeRepeat {
                        record: shared(record),
                    })
                }
            }
            Err(e) => Either3::C(issues_to_js(e.into_issues())),
        })
    })
}

/// The call's record (shared with the ledger until either changes), or `null`.
#[napi(js_name = "ledgerGet")]
pub fn ledger_get(
    ledger: &NativeLedger,
    call_id: String,
) -> napi::Result<Option<NativeCallRecord>> {
    guard(|| Ok(ledger.borrow().get_shared(&call_id).map(shared)))
}

/// The number of calls seen.
#[napi(js_name = "ledgerSize")]
pub fn ledger_size(ledger: &NativeLedger) -> napi::Result<u32> {
    guard(|| Ok(u32::try_from(ledger.borrow().len()).unwrap_or(u32::MAX)))
}
