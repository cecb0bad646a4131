//! The names `index.d.ts` gives the addon's opaque handles. A call record and a ledger cross to
//! JavaScript as `External`s behind Rust type aliases (`record.rs`), which napi-rs names in the
//! signatures but does not declare; these empty interfaces declare them, so that `index.d.ts`
//! type-checks on its own (`oneinbox.d.ts` imports the option types from it).

use napi_derive::napi;

/// A call record held by the addon (`newCallRecord`, `callRecordFromJson`): opaque.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    js_name = "NativeCallRecord"
)]
pub struct NativeCallRecordHandle {}

/// A ledger held by the addon (`newLedger`): opaque.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    js_name = "NativeLedger"
)]
pub struct NativeLedgerHandle {}
