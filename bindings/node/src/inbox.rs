//! `NativeInboxPolicy`: the core's inbox state machine (`inbox` module) for the JavaScript
//! `InboxPolicy` (`inbox.js`), which the stores ask for every change of a delivery's row; and
//! `NativeMemoryInbox`, the core's `MemoryInbox` that the JavaScript `MemoryStore` keeps beside
//! its ledger.
//! Times are Unix milliseconds; names are those of `tests/fixtures/inbox/`.

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::inbox::{self as core, Input, Policy, State, Verdict};
use oneinbox_webhooks::KeyedEvent;

use crate::errors::{guard, issues_to_js, NativeIssue};
use crate::record::{shared, NativeCallRecord, NativeLedger, TEXT};

/// A delivery's progress as a store keeps it.
#[napi(object, js_name = "NativeInboxRow")]
pub struct NativeInboxRow {
    /// `claimed`, `done`, `failed` or `dead`.
    pub state: String,
    /// Handler runs started.
    pub attempts: u32,
    /// Unix ms when a worker should take it; `null` when done or dead.
    pub due_at: Option<i64>,
    /// The last failure's text.
    pub last_error: Option<String>,
    /// Unix ms of the last change.
    pub updated_at: i64,
}

/// One step: the row to write (`null`: nothing) and the verdict with its number.
#[napi(object, js_name = "NativeInboxStep")]
pub struct NativeInboxStep {
    /// The row to write in the same atomic unit as the read.
    pub row: Option<NativeInboxRow>,
    /// `run`, `repeat`, `busy`, `dead`, `not_due`, `done`, `failed`, `released`, `replayed`
    /// or `stale`.
    pub verdict: String,
    /// The claim's attempt number, for `run`.
    pub attempt: Option<u32>,
    /// The time left on the live claim, for `busy`.
    pub retry_after_ms: Option<i64>,
    /// When the delivery is due again, for `failed`.
    pub due_at: Option<i64>,
}

fn row_in(row: Option<NativeInboxRow>) -> napi::Result<Option<core::Row>> {
    row.map(|r| {
        Ok(core::Row {
            state: r
                .state
                .parse::<State>()
                .map_err(|e| napi::Error::new(napi::Status::InvalidArg, e.to_string()))?,
            attempts: r.attempts,
            due_at: r.due_at,
            last_error: r.last_error,
            updated_at: r.updated_at,
        })
    })
    .transpose()
}

fn row_out(row: core::Row) -> NativeInboxRow {
    NativeInboxRow {
        state: row.state.as_str().to_owned(),
        attempts: row.attempts,
        due_at: row.due_at,
        last_error: row.last_error,
        updated_at: row.updated_at,
    }
}

/// The inbox's policy and state machine.
#[napi(js_name = "NativeInboxPolicy")]
pub struct NativeInboxPolicy {
    policy: Policy,
}

/// Builds a policy from `lease` (seconds) and `maxAttempts`, or the usage error's issues.
#[napi(js_name = "newInboxPolicy")]
pub fn new_inbox_policy(
    lease: f64,
    max_attempts: f64,
) -> napi::Result<Either<NativeInboxPolicy, Vec<NativeIssue>>> {
    guard(|| {
        Ok(
            match Policy::from_host(
                HostNumber::Float(lease),
                HostNumber::Float(max_attempts),
                ("lease", "maxAttempts"),
            ) {
                Ok(policy) => Either::A(NativeInboxPolicy { policy }),
                Err(e) => Either::B(issues_to_js(e.into_issues())),
            },
        )
    })
}

#[napi]
impl NativeInboxPolicy {
    /// The lease in milliseconds.
    #[napi(getter, js_name = "leaseMs")]
    pub fn lease_ms(&self) -> i64 {
        i64::try_from(self.policy.lease_ms()).unwrap_or(i64::MAX)
    }

    /// How many times a delivery's handlers start before it is dead.
    #[napi(getter, js_name = "maxAttempts")]
    pub fn max_attempts(&self) -> u32 {
        self.policy.max_attempts()
    }

    /// One step: `kind` is `arrive`, `covered` (an arrival that reconciliation already ran),
    /// `claim`, `finish`, `release` or `replay`; `attempt` and
    /// `text` (the error or the reason) for `finish` and `release`; `now` in Unix ms.
    #[napi]
    pub fn step(
        &self,
        row: Option<NativeInboxRow>,
        kind: String,
        attempt: Option<u32>,
        text: Option<String>,
        now: i64,
    ) -> napi::Result<NativeInboxStep> {
        guard(|| {
            let row = row_in(row)?;
            let attempt = attempt.unwrap_or(0);
            let input = match kind.as_str() {
                "arrive" => Input::Arrive,
                "covered" => Input::Covered,
                "claim" => Input::Claim,
                "replay" => Input::Replay,
                "finish" => Input::Finish {
                    attempt,
                    error: text.as_deref(),
                },
                "release" => Input::Release {
                    attempt,
                    reason: text.as_deref().unwrap_or_default(),
                },
                other => {
                    return Err(napi::Error::new(
                        napi::Status::InvalidArg,
                        format!("unknown inbox input {other:?}"),
                    ))
                }
            };
            let s = self.policy.step(row.as_ref(), &input, now);
            let (attempt, retry_after_ms, due_at) = match s.verdict {
                Verdict::Run { attempt } => (Some(attempt), None, None),
                Verdict::Busy { retry_after_ms } => (
                    None,
                    Some(i64::try_from(retry_after_ms).unwrap_or(i64::MAX)),
                    None,
                ),
                Verdict::Failed { due_at } => (None, None, Some(due_at)),
                _ => (None, None, None),
            };
            Ok(NativeInboxStep {
                row: s.row.map(row_out),
                verdict: s.verdict.name().to_owned(),
                attempt,
                retry_after_ms,
                due_at,
            })
        })
    }
}

/// The wait after failed attempt `attempt`, in milliseconds.
#[napi(js_name = "inboxBackoffMs")]
pub fn inbox_backoff_ms(attempt: u32) -> i64 {
    i64::try_from(Policy::backoff_ms(attempt)).unwrap_or(i64::MAX)
}

/// The default lease, in milliseconds.
#[napi(js_name = "INBOX_DEFAULT_LEASE_MS")]
pub const INBOX_DEFAULT_LEASE_MS: u32 = core::DEFAULT_LEASE_MS as u32;

/// The default number of attempts.
#[napi(js_name = "INBOX_DEFAULT_MAX_ATTEMPTS")]
pub const INBOX_DEFAULT_MAX_ATTEMPTS: u32 = core::DEFAULT_MAX_ATTEMPTS;

/// The inbox's Redis write script (compare and set), the same text Python sends.
#[napi(js_name = "REDIS_WRITE_SCRIPT")]
pub const REDIS_WRITE_SCRIPT: &str = core::redis::WRITE;

/// The inbox's Redis script that writes a call's record alone (a snapshot folded in).
#[napi(js_name = "REDIS_RECORD_SCRIPT")]
pub const REDIS_RECORD_SCRIPT: &str = core::redis::RECORD;

/// The inbox's Redis prune script.
#[napi(js_name = "REDIS_PRUNE_SCRIPT")]
pub const REDIS_PRUNE_SCRIPT: &str = core::redis::PRUNE;

/// What `arrive` did with a delivery: the verdict (`attempt` for `run`, `retryAfterMs` for
/// `busy`), its dedupe key and the JSON form of its call's record with it folded in.
#[napi(object, object_from_js = false, js_name = "NativeArrival")]
pub struct NativeArrival {
    /// The verdict's name.
    pub verdict: String,
    /// The claim's attempt number, for `run`.
    pub attempt: Option<u32>,
    /// The time left on another worker's claim, for `busy`.
    pub retry_after_ms: Option<i64>,
    /// The dedupe key.
    pub key: String,
    /// The call's record (shared with the ledger until either changes).
    pub record: NativeCallRecord,
}

/// A kept delivery: who it is, its row's numbers and its raw body.
#[napi(object, js_name = "NativeKept")]
pub struct NativeKept {
    /// The dedupe key.
    pub key: String,
    /// The call.
    pub call_id: String,
    /// The event name.
    pub event: String,
    /// Handler runs started.
    pub attempts: u32,
    /// The last failure's text.
    pub last_error: Option<String>,
    /// Unix ms of the last change.
    pub updated_at: i64,
    /// The body as received.
    pub body: Buffer,
}

/// An open call and when its record last changed (Unix ms).
#[napi(object, js_name = "NativeOpenCall")]
pub struct NativeOpenCall {
    /// The call.
    pub call_id: String,
    /// When its record last changed.
    pub changed_at: i64,
}

/// A worker's claim: the verdict and, for `run`, the attempt and the delivery.
#[napi(object, js_name = "NativeTaken")]
pub struct NativeTaken {
    /// The verdict's name.
    pub verdict: String,
    /// The claim's attempt number, for `run`.
    pub attempt: Option<u32>,
    /// The delivery, for `run`.
    pub kept: Option<NativeKept>,
}

fn kept_out(k: &core::Kept) -> NativeKept {
    NativeKept {
        key: k.key.clone(),
        call_id: k.call_id.clone(),
        event: k.event.clone(),
        attempts: k.row.attempts,
        last_error: k.row.last_error.clone(),
        updated_at: k.row.updated_at,
        body: Buffer::from(&k.body[..]),
    }
}

/// The inbox of one process (the core's `MemoryInbox`), which the JavaScript `MemoryStore`
/// keeps beside its ledger. Times are Unix ms.
#[napi(js_name = "NativeMemoryInbox")]
pub struct NativeMemoryInbox {
    inner: core::MemoryInbox,
}

/// An empty inbox with a policy from `lease` (seconds) and `maxAttempts`, keeping at most
/// `maxDeliveries`, or the usage error's issues.
#[napi(js_name = "newMemoryInbox")]
pub fn new_memory_inbox(
    lease: f64,
    max_attempts: f64,
    max_deliveries: u32,
) -> napi::Result<Either<NativeMemoryInbox, Vec<NativeIssue>>> {
    guard(|| {
        Ok(
            match Policy::from_host(
                HostNumber::Float(lease),
                HostNumber::Float(max_attempts),
                ("lease", "maxAttempts"),
            ) {
                Ok(policy) => Either::A(NativeMemoryInbox {
                    inner: core::MemoryInbox::new(policy, max_deliveries as usize),
                }),
                Err(e) => Either::B(issues_to_js(e.into_issues())),
            },
        )
    })
}

#[napi]
impl NativeMemoryInbox {
    /// The lease in milliseconds.
    #[napi(getter, js_name = "leaseMs")]
    pub fn lease_ms(&self) -> i64 {
        i64::try_from(self.inner.policy().lease_ms()).unwrap_or(i64::MAX)
    }

    /// How many times a delivery's handlers start before it is dead.
    #[napi(getter, js_name = "maxAttempts")]
    pub fn max_attempts(&self) -> u32 {
        self.inner.policy().max_attempts()
    }

    /// A copy of the event (the JSON text of the event object, read as `ledgerRecord` reads
    /// it) with its raw `body` arrived, folded into `ledger`; or the issues that stop the text
    /// from being an event.
    #[napi]
    pub fn arrive(
        &mut self,
        ledger: &NativeLedger,
        event_json: String,
        body: &[u8],
        now: i64,
    ) -> napi::Result<Either<NativeArrival, Vec<NativeIssue>>> {
        guard(|| {
            let event = match KeyedEvent::parse(&TEXT, event_json.as_bytes()) {
                Ok(event) => event,
                Err(e) => return Ok(Either::B(issues_to_js(e.into_issues()))),
            };
            let mut ledger = ledger
                .try_borrow_mut()
                .map_err(|_| napi::Error::from_reason("the Ledger is in use"))?;
            let (verdict, record) = self.inner.arrive(&mut ledger, &event, body, now);
            let (attempt, retry_after_ms) = match verdict {
                Verdict::Run { attempt } => (Some(attempt), None),
                Verdict::Busy { retry_after_ms } => (
                    None,
                    Some(i64::try_from(retry_after_ms).unwrap_or(i64::MAX)),
                ),
                _ => (None, None),
            };
            Ok(Either::A(NativeArrival {
                verdict: verdict.name().to_owned(),
                attempt,
                retry_after_ms,
                key: event.key().to_owned(),
                record: shared(record),
            }))
        })
    }

    /// The handlers of claim `attempt` of `key` ended (`error`: absent when they completed):
    /// the verdict.
    #[napi]
    pub fn finish(
        &mut self,
        key: String,
        attempt: u32,
        error: Option<String>,
        now: i64,
    ) -> napi::Result<String> {
        guard(|| {
            Ok(self
                .inner
                .finish(&key, attempt, error.as_deref(), now)
                .name()
                .to_owned())
        })
    }

    /// Claim `attempt` of `key` is given back unrun: the verdict.
    #[napi]
    pub fn release(
        &mut self,
        key: String,
        attempt: u32,
        reason: String,
        now: i64,
    ) -> napi::Result<String> {
        guard(|| {
            Ok(self
                .inner
                .release(&key, attempt, &reason, now)
                .name()
                .to_owned())
        })
    }

    /// The keys of up to `limit` deliveries due at `now`, the longest due first.
    #[napi]
    pub fn due(&self, now: i64, limit: u32) -> napi::Result<Vec<String>> {
        guard(|| Ok(self.inner.due(now, limit as usize)))
    }

    /// A worker's claim of `key`: the verdict and, for `run`, the delivery.
    #[napi]
    pub fn claim(&mut self, key: String, now: i64) -> napi::Result<NativeTaken> {
        guard(|| {
            let (verdict, kept) = self.inner.claim(&key, now);
            let attempt = match verdict {
                Verdict::Run { attempt } => Some(attempt),
                _ => None,
            };
            Ok(NativeTaken {
                verdict: verdict.name().to_owned(),
                attempt,
                kept: kept.map(kept_out),
            })
        })
    }

    /// Makes `key` due now, its attempts from 0: the verdict.
    #[napi]
    pub fn replay(&mut self, key: String, now: i64) -> napi::Result<String> {
        guard(|| Ok(self.inner.replay(&key, now).name().to_owned()))
    }

    /// Up to `limit` dead letters, oldest first.
    #[napi]
    pub fn dead(&self, limit: u32) -> napi::Result<Vec<NativeKept>> {
        guard(|| {
            Ok(self
                .inner
                .dead()
                .into_iter()
                .take(limit as usize)
                .map(kept_out)
                .collect())
        })
    }

    /// Drops done deliveries last changed at or before `before` (dead letters too with
    /// `includeDead`): how many.
    #[napi]
    pub fn prune(&mut self, before: i64, include_dead: bool) -> napi::Result<u32> {
        guard(|| Ok(u32::try_from(self.inner.prune(before, include_dead)).unwrap_or(u32::MAX)))
    }

    /// The row of `key`, if kept.
    #[napi]
    pub fn row(&self, key: String) -> napi::Result<Option<NativeInboxRow>> {
        guard(|| Ok(self.inner.get(&key).map(|k| row_out(k.row.clone()))))
    }

    /// The open calls last changed at or before `changed_before` (Unix ms), oldest first, at
    /// most `limit`.
    #[napi(js_name = "openCalls")]
    pub fn open_calls(&self, changed_before: i64, limit: u32) -> napi::Result<Vec<NativeOpenCall>> {
        guard(|| {
            Ok(self
                .inner
                .open_calls(changed_before, limit as usize)
                .into_iter()
                .map(|(call_id, changed_at)| NativeOpenCall {
                    call_id,
                    changed_at,
                })
                .collect())
        })
    }

    /// Folds the snapshot (the JSON text of a call) into its call's record in `ledger`: the
    /// record, `null` when the ledger has none, or the issues of `Call::from_json`.
    #[napi(js_name = "applyCall")]
    pub fn apply_call(
        &mut self,
        ledger: &NativeLedger,
        call_json: String,
        now: i64,
    ) -> napi::Result<Either<Option<NativeCallRecord>, Vec<NativeIssue>>> {
        guard(|| {
            let call = match oneinbox_webhooks::management::Call::from_json(call_json.as_bytes()) {
                Ok(call) => call,
                Err(e) => return Ok(Either::B(issues_to_js(e.into_issues()))),
            };
            let mut ledger = ledger
                .try_borrow_mut()
                .map_err(|_| napi::Error::from_reason("the Ledger is in use"))?;
            Ok(Either::A(
                self.inner
                    .apply_call(&mut ledger, &call, now)
                    .map(|(_, record)| shared(record)),
            ))
        })
    }

    /// Drops `call_id` from the open calls.
    #[napi]
    pub fn settle(&mut self, call_id: String) {
        self.inner.settle(&call_id);
    }

    /// The number of deliveries kept.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}
