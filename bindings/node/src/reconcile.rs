//! The reconcile decisions (the core's `reconcile`) for the JavaScript `ReconcilePolicy` and
//! `reconcile` (`reconcile.js`): the policy from its JSON form, `overdue`, `missing`,
//! `recordIsOpen` and `synthesize` (a call is the JSON text of a plain object).

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile as core;

use crate::errors::{guard, issues_to_js, NativeIssue};
use crate::record::NativeCallRecord;

/// The core's `ReconcilePolicy`.
#[napi(js_name = "NativeReconcilePolicy")]
pub struct NativeReconcilePolicy {
    policy: core::ReconcilePolicy,
}

/// Why a record is overdue.
#[napi(object, js_name = "NativeOverdue")]
pub struct NativeOverdue {
    /// `no_end` or `missing_events`.
    pub reason: String,
    /// The events still expected.
    pub missing: Vec<String>,
    /// How long the record has been unchanged (ms).
    pub quiet_ms: i64,
}

/// One synthesized event.
#[napi(object, js_name = "NativeSynthesized")]
pub struct NativeSynthesized {
    /// Its name.
    pub event: String,
    /// Its dedupe key (`<event>:<call_id>:reconciled`).
    pub key: String,
    /// Its body (JSON text, `"reconciled": true`).
    pub body: String,
}

/// The policy from its JSON form (`ongoing_after_ms`, `ended_after_ms`, `expect`, each
/// optional), or the usage error's issues.
#[napi(js_name = "newReconcilePolicy")]
pub fn new_reconcile_policy(
    json: String,
) -> napi::Result<Either<NativeReconcilePolicy, Vec<NativeIssue>>> {
    guard(|| {
        let value: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| napi::Error::from_reason(format!("policy JSON: {e}")))?;
        Ok(match core::ReconcilePolicy::from_json(&value) {
            Ok(policy) => Either::A(NativeReconcilePolicy { policy }),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

fn strings(names: Vec<&'static str>) -> Vec<String> {
    names.into_iter().map(str::to_owned).collect()
}

#[napi]
impl NativeReconcilePolicy {
    /// The policy's JSON form.
    #[napi(js_name = "toJson")]
    pub fn to_json(&self) -> String {
        self.policy.to_json().to_string()
    }

    /// The events `record` still expects.
    #[napi]
    pub fn missing(&self, record: &NativeCallRecord) -> napi::Result<Vec<String>> {
        guard(|| Ok(strings(self.policy.missing(&record.borrow()))))
    }

    /// Whether a reconciler is done with `record`, last changed at `changed_at`, at `now`
    /// (Unix ms): nothing is missing, or the snapshot shows the call over and it has been
    /// quiet for a day.
    #[napi]
    pub fn settled(
        &self,
        record: &NativeCallRecord,
        changed_at: i64,
        now: i64,
    ) -> napi::Result<bool> {
        guard(|| Ok(self.policy.settled(&record.borrow(), changed_at, now)))
    }

    /// Whether to fetch the call of `record`, last changed at `changed_at`, at `now` (Unix
    /// ms).
    #[napi]
    pub fn overdue(
        &self,
        record: &NativeCallRecord,
        changed_at: i64,
        now: i64,
    ) -> napi::Result<Option<NativeOverdue>> {
        guard(|| {
            Ok(self
                .policy
                .overdue(&record.borrow(), changed_at, now)
                .map(|o| NativeOverdue {
                    reason: o.reason.as_str().to_owned(),
                    missing: strings(o.missing),
                    quiet_ms: i64::try_from(o.quiet_ms).unwrap_or(i64::MAX),
                }))
        })
    }
}

/// Whether a store lists `record` among its open calls.
#[napi(js_name = "recordIsOpen")]
pub fn record_is_open(record: &NativeCallRecord) -> napi::Result<bool> {
    guard(|| Ok(core::is_open(&record.borrow())))
}

/// The events the snapshot (the JSON text of a call) shows happened and `record` lacks, or
/// the issues (of `Call::from_json`, or a snapshot of another call).
#[napi]
pub fn synthesize(
    record: &NativeCallRecord,
    call_json: String,
) -> napi::Result<Either<Vec<NativeSynthesized>, Vec<NativeIssue>>> {
    guard(|| {
        let call = match Call::from_json(call_json.as_bytes()) {
            Ok(call) => call,
            Err(e) => return Ok(Either::B(issues_to_js(e.into_issues()))),
        };
        Ok(match core::synthesize(&record.borrow(), &call) {
            Ok(events) => Either::A(
                events
                    .into_iter()
                    .map(|s| NativeSynthesized {
                        event: s.event.to_owned(),
                        key: s.key,
                        body: s.body,
                    })
                    .collect(),
            ),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}
