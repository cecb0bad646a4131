//! `NativeInboxPolicy`: the core's inbox state machine (`inbox` module) for the JavaScript
//! `InboxPolicy` (`inbox.js`), which the stores ask for every change of a delivery's row.
//! Times are Unix milliseconds; names are those of `tests/fixtures/inbox/`.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::inbox::{self as core, Input, Policy, State, Verdict};

use crate::errors::{guard, issues_to_js, NativeIssue};

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

    /// One step: `kind` is `arrive`, `claim`, `finish`, `release` or `replay`; `attempt` and
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

/// The inbox's Redis prune script.
#[napi(js_name = "REDIS_PRUNE_SCRIPT")]
pub const REDIS_PRUNE_SCRIPT: &str = core::redis::PRUNE;
