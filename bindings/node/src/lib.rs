//! The native half of the npm package `oneinbox-webhooks`.
//!
//! Registration only: each area of the core has its own module (`events`, `management`,
//! `auth`), and `errors` holds the one conversion from core errors plus the panic guard that
//! every export goes through. The public JavaScript API (`parseEvent`, the `Error` classes and
//! the `Event` union type) is the hand-written layer in `oneinbox.js` / `oneinbox.d.ts`, which
//! calls the functions generated into `index.js` / `index.d.ts` and, on the hot path,
//! `validateEventFast` (`fast.rs`, registered by hand to skip napi-rs's per-call overhead).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod answer;
mod args;
mod auth;
mod doctor;
mod errors;
mod events;
mod fake;
mod fast;
mod handles;
mod inbox;
mod management;
mod options;
mod reconcile;
mod record;
mod testing;

pub use answer::{
    answer_after_claim, answer_after_handlers, answer_after_read, answer_after_receive,
    answer_after_store, answer_before_body, answer_late_failure, answer_late_failure_due,
    NativeAnswer, NativeLog,
};
pub use answer::{answer_no_store_warning, new_refusal_log, refusal_reason, NativeRefusalLog};
pub use args::{
    host_arg, pointer_token, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_TOLERANCE_SECONDS,
    MAX_ARGUMENT_DEPTH,
};
pub use auth::signing_secret_from_bytes;
pub use auth::{
    add_url_token, new_receiver, redact_url_token, sign, verify_signature, verify_url_token,
    NativeReceiver, NativeVerification,
};
pub use doctor::{doctor_diagnose, doctor_render, NativeDiagnosed};
pub use errors::NativeIssue;
#[cfg(feature = "test-panic")]
pub use events::trigger_panic_for_tests;
pub use events::validate_event;
pub use fake::{NativeFakeOneInbox, NativeFakeResponse, NativeRecordedRequest};
pub use fast::register_fast_path;
pub use handles::{NativeCallRecordHandle, NativeLedgerHandle};
pub use inbox::{
    inbox_backoff_ms, new_inbox_policy, new_memory_inbox, NativeArrival, NativeInboxPolicy,
    NativeInboxRow, NativeInboxStep, NativeKept, NativeMemoryInbox, NativeTaken,
    INBOX_DEFAULT_LEASE_MS, INBOX_DEFAULT_MAX_ATTEMPTS, REDIS_PRUNE_SCRIPT, REDIS_WRITE_SCRIPT,
};
pub use inbox::{NativeOpenCall, REDIS_RECORD_SCRIPT};
pub use management::{configure_api, API_KEY_VAR, BASE_URL_VAR};
pub use management::{
    management_endpoints, new_api, retry_after, NativeApi, NativeEndpoint, NativeFailure,
    NativeParsed, NativePrepared, NativeRequest, NativeRetryStep, DEFAULT_MAX_RETRIES,
};
pub use options::{parse_options_js, NativeParseLimits, ParseOptions, ReceiverOptions};
pub use reconcile::{
    new_reconcile_policy, record_is_open, synthesize, NativeOverdue, NativeReconcilePolicy,
    NativeSynthesized,
};
pub use record::{
    call_record_from_json, dedupe_key, ledger_get, ledger_record, ledger_size, new_call_record,
    new_ledger, record_apply, record_apply_call, record_copy, record_covers, record_merge,
    record_to_json, NativeApplied, NativeCallRecord, NativeLedger, MAX_DEPTH_CEILING,
};
pub use testing::{
    call_sequence, choose_secret, make_call, make_delivery, make_event, plan_send,
    NativeChosenSecret, NativePlannedDelivery, NativeSendPlan, NativeSimulatedDelivery,
};
pub use testing::{send_sent_line, send_summary_line};
