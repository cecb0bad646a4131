//! Reconciliation: when deliveries go missing, which calls to fetch with `GET /v1/calls/{id}`
//! ([`ReconcilePolicy::overdue`]) and which events the fetched snapshot shows happened but no
//! delivery brought ([`synthesize`]). Pure decisions: the reconcilers of the bindings list the
//! open records of a store, fetch, fold ([`CallRecord::apply_call`]) and dispatch what these
//! functions say, through the inbox like any delivery.
//!
//! A synthesized event is a full event body as OneInbox would send it (the guide's shapes,
//! values from the snapshot) with `"reconciled": true`, which OneInbox never sends; its dedupe
//! key is `<event>:<call_id>:reconciled` (one per call and event), and a record that applied
//! it [`covers`](CallRecord::covers) a later real delivery of the same event, which a store
//! then records as done without running its handlers again.
//!
//! ```
//! use oneinbox_webhooks::reconcile::{synthesize, ReconcilePolicy};
//! use oneinbox_webhooks::management::Call;
//! use oneinbox_webhooks::{parse_event, CallRecord};
//!
//! let mut record = CallRecord::new("call_1");
//! record.apply(&parse_event(br#"{"event":"call.ended","call_id":"call_1","outcome":"Voicemail"}"#)?);
//! let policy = ReconcilePolicy::default();
//! // Ten minutes after the record last changed, call.analyzed and transcript.final are overdue.
//! let overdue = policy.overdue(&record, 0, 600_000).expect("overdue");
//! assert_eq!(overdue.missing, ["call.analyzed", "transcript.final"]);
//!
//! let call = Call::from_json(br#"{"id":"call_1","status":"completed","outcome":"Booked"}"#)?;
//! record.apply_call(&call);
//! let events = synthesize(&record, &call)?;
//! // A completed call was started too: call.started and call.analyzed never came.
//! let keys: Vec<&str> = events.iter().map(|e| e.key.as_str()).collect();
//! assert_eq!(keys, ["call.started:call_1:reconciled", "call.analyzed:call_1:reconciled"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::{Map, Value};

use crate::error::{Issue, IssueCode, UsageError};
use crate::host;
use crate::management::Call;
use crate::record::{CallRecord, CallStatus};
use crate::text::preview;

/// How long a started call may stay without `call.ended` or `call.failed`, unless told
/// otherwise: two hours since its record last changed.
pub const DEFAULT_ONGOING_AFTER_MS: u64 = 7_200_000;
/// How long an ended call may wait for the events the policy expects after the end, unless
/// told otherwise: ten minutes since its record last changed.
pub const DEFAULT_ENDED_AFTER_MS: u64 = 600_000;
/// The events expected after `call.ended`, unless told otherwise.
pub const DEFAULT_EXPECT: [&str; 2] = ["call.analyzed", "transcript.final"];
/// The events a policy may expect after `call.ended` (`call.recording.available` only when
/// asked: not every call is recorded).
pub const EXPECTABLE: [&str; 3] = [
    "call.analyzed",
    "transcript.final",
    "call.recording.available",
];
/// The longest wait a policy takes (30 days).
pub const MAX_AFTER_MS: u64 = 2_592_000_000;

/// When a record is overdue, and what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcilePolicy {
    ongoing_after_ms: u64,
    ended_after_ms: u64,
    expect: Vec<&'static str>,
}

impl Default for ReconcilePolicy {
    /// Started and no end after 2 hours; ended and no `call.analyzed` or no
    /// `transcript.final` after 10 minutes.
    fn default() -> Self {
        ReconcilePolicy {
            ongoing_after_ms: DEFAULT_ONGOING_AFTER_MS,
            ended_after_ms: DEFAULT_ENDED_AFTER_MS,
            expect: DEFAULT_EXPECT.to_vec(),
        }
    }
}

/// Why a record is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverdueReason {
    /// `no_end`: events seen, but neither `call.ended` nor `call.failed`, for
    /// [`ongoing_after_ms`](ReconcilePolicy::ongoing_after_ms).
    NoEnd,
    /// `missing_events`: ended, but an expected event is missing after
    /// [`ended_after_ms`](ReconcilePolicy::ended_after_ms).
    MissingEvents,
}

impl OverdueReason {
    /// The stable name: `no_end` or `missing_events`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OverdueReason::NoEnd => "no_end",
            OverdueReason::MissingEvents => "missing_events",
        }
    }
}

/// What [`ReconcilePolicy::overdue`] says of an overdue record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    /// Why.
    pub reason: OverdueReason,
    /// The events it still expects (see [`ReconcilePolicy::missing`]).
    pub missing: Vec<&'static str>,
    /// How long the record has been unchanged.
    pub quiet_ms: u64,
}

impl ReconcilePolicy {
    /// A policy: overdue after `ongoing_after_ms` without an end, or `ended_after_ms` after
    /// the end without every event of `expect` (a subset of [`EXPECTABLE`]).
    ///
    /// # Errors
    ///
    /// A [`UsageError`] with an issue per bad argument: a wait above [`MAX_AFTER_MS`]
    /// (`out_of_range`), an event that is not expectable or repeated (`invalid_value` at
    /// `/expect/<i>`).
    pub fn new(
        ongoing_after_ms: u64,
        ended_after_ms: u64,
        expect: &[&str],
    ) -> Result<Self, UsageError> {
        let mut issues = Vec::new();
        for (name, ms) in [
            ("ongoing_after_ms", ongoing_after_ms),
            ("ended_after_ms", ended_after_ms),
        ] {
            if ms > MAX_AFTER_MS {
                issues.push(host::issue(name, "from 0 to 2592000000 milliseconds", ms));
            }
        }
        let mut kept: Vec<&'static str> = Vec::new();
        for (i, name) in expect.iter().enumerate() {
            match EXPECTABLE.iter().find(|e| *e == name) {
                Some(e) if !kept.contains(e) => kept.push(e),
                found => issues.push(Issue::new(
                    IssueCode::InvalidValue,
                    format!("/expect/{i}"),
                    format!(
                        "`expect` lists events from {} once each; found {}{}",
                        EXPECTABLE.join(", "),
                        preview(name),
                        if found.is_some() { " again" } else { "" }
                    ),
                )),
            }
        }
        if issues.is_empty() {
            // In the order of EXPECTABLE, so that equal policies compare equal.
            let expect = EXPECTABLE
                .into_iter()
                .filter(|e| kept.contains(e))
                .collect();
            Ok(ReconcilePolicy {
                ongoing_after_ms,
                ended_after_ms,
                expect,
            })
        } else {
            Err(UsageError::new(issues))
        }
    }

    /// A policy from its JSON form `{"ongoing_after_ms", "ended_after_ms", "expect"}`, each
    /// member optional (the default when absent or `null`): what the bindings pass.
    ///
    /// # Errors
    ///
    /// A [`UsageError`]: not an object, an unknown member, a wait that is not a whole number
    /// of milliseconds from 0 to [`MAX_AFTER_MS`], `expect` not an array of strings, and
    /// every issue of [`new`](ReconcilePolicy::new).
    pub fn from_json(value: &Value) -> Result<Self, UsageError> {
        let default = ReconcilePolicy::default();
        let Some(map) = value.as_object() else {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::WrongType,
                "",
                "a reconcile policy must be an object".to_owned(),
            )]));
        };
        let mut issues = Vec::new();
        let mut ms = |name: &str, fallback: u64| match map.get(name) {
            None | Some(Value::Null) => fallback,
            Some(v) => match v.as_u64() {
                Some(n) => n,
                None => {
                    issues.push(Issue::new(
                        IssueCode::WrongType,
                        format!("/{name}"),
                        format!(
                            "`{name}` must be a whole number of milliseconds from 0 to {MAX_AFTER_MS}"
                        ),
                    ));
                    fallback
                }
            },
        };
        let ongoing = ms("ongoing_after_ms", default.ongoing_after_ms);
        let ended = ms("ended_after_ms", default.ended_after_ms);
        let expect: Vec<&str> = match map.get("expect") {
            None | Some(Value::Null) => DEFAULT_EXPECT.to_vec(),
            Some(Value::Array(items)) => {
                let mut names = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) => names.push(s),
                        None => issues.push(Issue::new(
                            IssueCode::WrongType,
                            format!("/expect/{i}"),
                            "each item of `expect` must be an event name".to_owned(),
                        )),
                    }
                }
                names
            }
            Some(_) => {
                issues.push(Issue::new(
                    IssueCode::WrongType,
                    "/expect",
                    "`expect` must be an array of event names".to_owned(),
                ));
                Vec::new()
            }
        };
        for name in map.keys() {
            if !["ongoing_after_ms", "ended_after_ms", "expect"].contains(&name.as_str()) {
                issues.push(Issue::new(
                    IssueCode::UnknownField,
                    crate::text::child("", name),
                    format!(
                        "a reconcile policy has no member {}; expected ongoing_after_ms, ended_after_ms, expect",
                        preview(name)
                    ),
                ));
            }
        }
        match ReconcilePolicy::new(ongoing, ended, &expect) {
            Ok(policy) if issues.is_empty() => Ok(policy),
            Ok(_) => Err(UsageError::new(issues)),
            Err(e) => {
                issues.extend(e.into_issues());
                Err(UsageError::new(issues))
            }
        }
    }

    /// The JSON form read by [`from_json`](ReconcilePolicy::from_json).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "ongoing_after_ms": self.ongoing_after_ms,
            "ended_after_ms": self.ended_after_ms,
            "expect": self.expect,
        })
    }

    /// How long a started call may stay without an end.
    pub fn ongoing_after_ms(&self) -> u64 {
        self.ongoing_after_ms
    }

    /// How long an ended call may wait for the expected events.
    pub fn ended_after_ms(&self) -> u64 {
        self.ended_after_ms
    }

    /// The events expected after `call.ended`, in the order of [`EXPECTABLE`].
    pub fn expect(&self) -> &[&'static str] {
        &self.expect
    }

    /// The events the record still expects, from the events it applied (a snapshot counts
    /// for nothing): none for a failed call or a record without events; for an ended call
    /// the expected events it lacks; for any other, `call.ended` and the expected events it
    /// lacks.
    pub fn missing(&self, record: &CallRecord) -> Vec<&'static str> {
        let seen = record.events_seen();
        let status = record.events_status();
        if status == CallStatus::Failed || seen.is_empty() {
            return Vec::new();
        }
        let end = (status != CallStatus::Completed).then_some("call.ended");
        end.into_iter()
            .chain(self.expect.iter().copied())
            .filter(|name| !seen.contains(name))
            .collect()
    }

    /// Whether a reconciler is done with `record`, last changed at `changed_at`, once a
    /// snapshot is folded in at `now` (Unix ms): nothing is [`missing`](Self::missing); or the
    /// snapshot shows the call over (`completed` or `failed`) and the record has been quiet
    /// for [`GIVE_UP_AFTER_MS`] (a day), so the API has nothing more to give (a voicemail
    /// without `transcript.final`, a call without analysis) and fetching it on every run
    /// would bring nothing. The reconciler then drops it from the open calls, still reporting
    /// what is missing; a later delivery that changes the record lists it again if it is
    /// still open.
    pub fn settled(&self, record: &CallRecord, changed_at: i64, now: i64) -> bool {
        let over = matches!(
            record.snapshot_status(),
            CallStatus::Completed | CallStatus::Failed
        );
        let quiet = u64::try_from(now.saturating_sub(changed_at)).unwrap_or(0);
        self.missing(record).is_empty() || (over && quiet >= GIVE_UP_AFTER_MS)
    }

    /// Whether to fetch the call of `record`, which its store last changed at `changed_at`
    /// (Unix ms), at `now`: `Some` when it has been unchanged for
    /// [`ongoing_after_ms`](ReconcilePolicy::ongoing_after_ms) without an end, or for
    /// [`ended_after_ms`](ReconcilePolicy::ended_after_ms) after its end with an expected
    /// event missing (a wait of 0 is overdue at once).
    pub fn overdue(&self, record: &CallRecord, changed_at: i64, now: i64) -> Option<Overdue> {
        let missing = self.missing(record);
        if missing.is_empty() {
            return None;
        }
        let quiet_ms = u64::try_from(now.saturating_sub(changed_at)).unwrap_or(0);
        let (reason, after) = if record.events_status() == CallStatus::Completed {
            (OverdueReason::MissingEvents, self.ended_after_ms)
        } else {
            (OverdueReason::NoEnd, self.ongoing_after_ms)
        };
        (quiet_ms >= after).then_some(Overdue {
            reason,
            missing,
            quiet_ms,
        })
    }
}

/// How long a call whose snapshot shows it over may stay incomplete before a reconciler gives
/// up on it ([`ReconcilePolicy::settled`]): a day, in ms.
pub const GIVE_UP_AFTER_MS: u64 = 24 * 60 * 60 * 1000;

/// Whether a store should keep `record` among the records a reconciler lists (its *open*
/// records): until it has events and a failure, or an end with every event any policy can
/// expect ([`EXPECTABLE`]). A reconciler settles (drops from the list) an open record that
/// its own policy finds nothing missing in.
pub fn is_open(record: &CallRecord) -> bool {
    let all = ReconcilePolicy {
        expect: EXPECTABLE.to_vec(),
        ..ReconcilePolicy::default()
    };
    !all.missing(record).is_empty()
}

/// One event synthesized from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesized {
    /// The event's name.
    pub event: &'static str,
    /// Its dedupe key: `<event>:<call_id>:reconciled`.
    pub key: String,
    /// Its body, as OneInbox would send it, with `"reconciled": true`.
    pub body: String,
}

/// The events that the snapshot `call` shows happened and that `record` did not apply (from
/// a delivery or an earlier reconciliation), in the order OneInbox sends them, never
/// `transcript.partial`:
///
/// - `call.started` when the snapshot has `started_at`, or its status is `in_progress` or
///   `completed`;
/// - `call.failed` when its status is `failed` (`reason` from `end_reason`);
/// - when its status is `completed`: `transcript.final` when it has messages,
///   `call.ended` unless the record has `call.failed`, and `call.analyzed` when it has an
///   outcome or summary (its own, else its analysis's);
/// - `call.recording.available` when it has a `recording_url`.
///
/// Each body has the members of the guide's payload for its event that the snapshot has
/// (`created_at` of `call.started` from `started_at`), then `"reconciled": true`.
///
/// # Errors
///
/// A [`UsageError`] (`invalid_value` at `/id`) when the snapshot is of another call.
pub fn synthesize(record: &CallRecord, call: &Call) -> Result<Vec<Synthesized>, UsageError> {
    if call.id != record.call_id() {
        return Err(UsageError::new(vec![Issue::new(
            IssueCode::InvalidValue,
            "/id",
            format!(
                "the snapshot is of call {}; the record is of call {}",
                preview(&call.id),
                preview(record.call_id())
            ),
        )]));
    }
    let seen = record.events_seen();
    let status = call
        .status
        .as_deref()
        .map_or(CallStatus::Unknown, CallStatus::of_snapshot);
    let completed = status == CallStatus::Completed;
    let analysis_text = |member: &str| {
        call.analysis
            .as_ref()
            .and_then(|a| a.get(member))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let outcome = call.outcome.clone().or_else(|| analysis_text("outcome"));
    let summary = call.ai_summary.clone().or_else(|| analysis_text("summary"));
    let messages = call
        .messages
        .as_ref()
        .filter(|m| !m.is_empty() && m.iter().all(Value::is_object));

    let s = |v: &Option<String>| v.clone().map(Value::String);
    let mut out = Vec::new();
    let mut emit = |name: &'static str, members: Vec<(&str, Option<Value>)>| {
        if seen.contains(name) {
            return;
        }
        let mut body = Map::new();
        body.insert("event".into(), Value::String(name.into()));
        body.insert("call_id".into(), Value::String(call.id.clone()));
        for (member, value) in members {
            if let Some(value) = value {
                body.insert(member.into(), value);
            }
        }
        body.insert("reconciled".into(), Value::Bool(true));
        out.push(Synthesized {
            event: name,
            key: format!("{name}:{}:reconciled", call.id),
            body: Value::Object(body).to_string(),
        });
    };
    let parties = |with_agent: bool| {
        let mut m = Vec::new();
        if with_agent {
            m.push(("agent_id", s(&call.agent_id)));
        }
        m.push(("to_number", s(&call.to_number)));
        m.push(("from_number", s(&call.from_number)));
        m
    };
    if call.started_at.is_some() || matches!(status, CallStatus::InProgress | CallStatus::Completed)
    {
        let mut m = parties(true);
        m.push(("created_at", s(&call.started_at)));
        emit("call.started", m);
    }
    if status == CallStatus::Failed {
        let mut m = parties(true);
        m.push(("reason", s(&call.end_reason)));
        emit("call.failed", m);
    }
    if completed {
        if let Some(messages) = messages {
            emit(
                "transcript.final",
                vec![("messages", Some(Value::Array(messages.clone())))],
            );
        }
        if !seen.contains("call.failed") {
            let mut m = vec![
                ("agent_id", s(&call.agent_id)),
                ("status", Some(Value::String("completed".into()))),
                (
                    "duration_seconds",
                    call.duration_seconds.clone().map(Value::Number),
                ),
            ];
            m.extend(parties(false));
            m.push(("outcome", outcome.clone().map(Value::String)));
            m.push(("ai_summary", summary.clone().map(Value::String)));
            m.push(("analysis", call.analysis.clone().map(Value::Object)));
            emit("call.ended", m);
        }
        if outcome.is_some() || summary.is_some() {
            emit(
                "call.analyzed",
                vec![
                    ("agent_id", s(&call.agent_id)),
                    ("outcome", outcome.map(Value::String)),
                    ("ai_summary", summary.map(Value::String)),
                ],
            );
        }
    }
    if call.recording_url.is_some() {
        emit(
            "call.recording.available",
            vec![("recording_url", s(&call.recording_url))],
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_event;

    #[test]
    fn synthesized_bodies_parse_and_cover_late_deliveries() {
        let mut record = CallRecord::new("c");
        record.apply(&parse_event(br#"{"event":"call.started","call_id":"c"}"#).unwrap());
        let call = Call::from_json(
            br#"{"id":"c","status":"completed","messages":[{"role":"agent","content":"hi"}],"analysis":{"outcome":"o","summary":"s"},"recording_url":"https://x/r.mp3","duration_seconds":12}"#,
        )
        .unwrap();
        record.apply_call(&call);
        let events = synthesize(&record, &call).unwrap();
        let names: Vec<&str> = events.iter().map(|e| e.event).collect();
        assert_eq!(
            names,
            [
                "transcript.final",
                "call.ended",
                "call.analyzed",
                "call.recording.available"
            ]
        );
        for e in &events {
            let event = parse_event(e.body.as_bytes()).unwrap();
            assert_eq!(crate::dedupe_key(&event), e.key);
            record.apply(&event);
        }
        assert_eq!(record.status(), CallStatus::Completed);
        assert!(ReconcilePolicy::default().missing(&record).is_empty());
        assert!(!is_open(&record));
        assert!(synthesize(&record, &call).unwrap().is_empty());
        let late =
            parse_event(br#"{"event":"call.analyzed","call_id":"c","outcome":"o2"}"#).unwrap();
        assert!(record.covers("call.analyzed", &crate::dedupe_key(&late)));
        record.apply(&late);
        // The real delivery wins over the reconciled value.
        assert_eq!(record.outcome(), Some("o2"));
        assert!(synthesize(&CallRecord::new("d"), &call).is_err());
    }

    #[test]
    fn policy_arguments() {
        assert!(ReconcilePolicy::new(0, 0, &["call.analyzed"]).is_ok());
        let err = ReconcilePolicy::new(
            MAX_AFTER_MS + 1,
            0,
            &["x", "call.analyzed", "call.analyzed"],
        )
        .unwrap_err();
        let paths: Vec<&str> = err.issues().iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["/ongoing_after_ms", "/expect/0", "/expect/2"]);
        let p = ReconcilePolicy::from_json(
            &serde_json::json!({"expect": ["call.recording.available", "call.analyzed"]}),
        )
        .unwrap();
        assert_eq!(p.expect(), ["call.analyzed", "call.recording.available"]);
        assert_eq!(ReconcilePolicy::from_json(&p.to_json()).unwrap(), p);
    }
}
