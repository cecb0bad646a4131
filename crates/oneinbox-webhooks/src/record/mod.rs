//! [`CallRecord`]: what is known about one call, folded from its events in any order, with any
//! repeats, across any number of workers; and [`dedupe_key`], the name of a delivery's content.
//!
//! ```
//! use oneinbox_webhooks::{dedupe_key, parse_event, CallRecord, CallStatus};
//!
//! let ended = parse_event(br#"{"event":"call.ended","call_id":"call_1","outcome":"Voicemail"}"#)?;
//! let analyzed = parse_event(br#"{"event":"call.analyzed","call_id":"call_1","outcome":"Appointment Booked"}"#)?;
//!
//! // Two workers, each with part of the deliveries, one of them twice.
//! let mut a = CallRecord::new("call_1");
//! a.apply(&analyzed);
//! let mut b = CallRecord::new("call_1");
//! b.apply(&ended);
//! b.apply(&ended); // a retried delivery: no change
//! assert!(!b.apply(&ended).changed);
//!
//! a.merge(&b)?; // as if one worker had seen all three
//! assert_eq!(a.status(), CallStatus::Completed);
//! assert_eq!(a.outcome(), Some("Appointment Booked")); // call.analyzed wins over call.ended
//! assert_eq!(a.source("outcome"), Some(dedupe_key(&analyzed).as_str()));
//! assert_eq!(CallRecord::from_json(a.to_json().as_bytes())?, a);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canon;
mod json;
mod key;
mod ledger;
mod seen;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use compact_str::CompactString;
use serde_json::{Map, Number, Value};

pub use key::{dedupe_key, KeyedEvent};
pub use ledger::Ledger;
pub use seen::EventsSeen;

use crate::contract::same;
use crate::error::{Issue, IssueCode, UsageError};
use crate::events::{Analysis, Event, Message, Role};
use crate::management::Call;
use crate::text::preview;

/// Where a call stands, derived from the lifecycle events the record has seen.
///
/// The greatest of the seen statuses wins, in the order `unknown` < `in_progress` <
/// `completed` < `failed`: `call.failed` gives `failed`, else `call.ended` gives `completed`,
/// else `call.started` gives `in_progress`, else (only transcripts, `call.analyzed`,
/// `call.recording.available` or unknown events) `unknown`. So a late `call.started` never
/// reopens an ended call, and a `call.failed` is never hidden by a `call.ended`. The
/// `status` member of `call.ended` is not read (its values are not documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallStatus {
    /// `unknown`: no `call.started`, `call.ended` or `call.failed` seen yet.
    Unknown,
    /// `in_progress`: `call.started` seen, and neither `call.ended` nor `call.failed`.
    InProgress,
    /// `completed`: `call.ended` seen, and no `call.failed`.
    Completed,
    /// `failed`: `call.failed` seen.
    Failed,
}

impl CallStatus {
    /// Every status, in increasing order.
    pub const ALL: [CallStatus; 4] = [
        CallStatus::Unknown,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Failed,
    ];

    /// The stable snake_case name, e.g. `"in_progress"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallStatus::Unknown => "unknown",
            CallStatus::InProgress => "in_progress",
            CallStatus::Completed => "completed",
            CallStatus::Failed => "failed",
        }
    }

    /// The status a `Call` snapshot's `status` shows: `in_progress`, `completed` and `failed`
    /// are themselves; every other value (`queued`, `initiated`, ...) shows nothing.
    pub fn of_snapshot(status: &str) -> CallStatus {
        match status {
            "in_progress" => CallStatus::InProgress,
            "completed" => CallStatus::Completed,
            "failed" => CallStatus::Failed,
            _ => CallStatus::Unknown,
        }
    }

    /// The status of a record that has seen these event names.
    fn of<'a>(names: impl Iterator<Item = &'a str>) -> CallStatus {
        names
            .map(|name| match name {
                "call.failed" => CallStatus::Failed,
                "call.ended" => CallStatus::Completed,
                "call.started" => CallStatus::InProgress,
                _ => CallStatus::Unknown,
            })
            .fold(CallStatus::Unknown, CallStatus::max)
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`CallStatus::from_str`]: the string is not one of the four names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown call status {0:?}")]
pub struct UnknownCallStatus(pub String);

impl FromStr for CallStatus {
    type Err = UnknownCallStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCallStatus(preview(s)))
    }
}

impl serde::Serialize for CallStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What [`CallRecord::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Whether the record changed. `false` for a repeated delivery, for an event that brings
    /// nothing new (every value it carries lost to one already held), and for an ignored event.
    pub changed: bool,
    /// Why the event was ignored, or `None` when it was applied. The only reason today is an
    /// event of another call; the text is for people and may change.
    pub ignored: Option<String>,
}

/// One value of the record and the event it came from.
#[derive(Debug, Clone)]
struct Slot {
    /// The rank of the value: whether it came from an event (not a snapshot), the rank of
    /// its event's name, its source's tier (snapshot, reconciled, delivered) and (for the
    /// transcript) its length; see [`Field::rank`].
    rank: (u8, u8, u8, usize),
    /// The dedupe key of the event the value came from (shared by the slots it fills).
    key: Arc<str>,
    /// The values of that event (one allocation per event, shared by the slots it fills),
    /// so that a copy of a record (a store hands one out per delivery) copies no string,
    /// analysis or transcript.
    values: Arc<Values>,
    /// This slot's value in `values`: the index of its field in [`Field::ALL`].
    field: usize,
}

impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        self.rank == other.rank && self.key == other.key && self.value() == other.value()
    }
}

impl Slot {
    /// The value (always there: a slot is made for a value).
    fn value(&self) -> Option<&Val> {
        self.values.0.get(self.field).and_then(Option::as_ref)
    }

    /// Whether this value beats `other`: greater rank, or equal rank and greater key; between
    /// two values of one snapshot or reconciled key (a key that does not name the content),
    /// the greater JSON text of the value.
    fn beats(&self, other: &Slot) -> bool {
        match (self.rank, &self.key).cmp(&(other.rank, &other.key)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                self.rank.2 < TIER_DELIVERED && value_text(self.value()) > value_text(other.value())
            }
        }
    }
}

/// The JSON text of a value (for the tie between two values of one snapshot or reconciled key).
fn value_text(value: Option<&Val>) -> String {
    serde_json::to_string(&value).unwrap_or_default()
}

/// The tier of a value from a `Call` snapshot: below every event.
const TIER_SNAPSHOT: u8 = 0;
/// The tier of a value from an event synthesized by reconciliation.
const TIER_RECONCILED: u8 = 1;
/// The tier of a value from a delivered event: above every other source.
const TIER_DELIVERED: u8 = 2;

/// The prefix of the source of a value from a `Call` snapshot: `snapshot:<call_id>`.
const SNAPSHOT_PREFIX: &str = "snapshot:";

/// The tier of a value whose source is `key`.
fn tier_of(key: &str) -> u8 {
    if key.starts_with(SNAPSHOT_PREFIX) {
        TIER_SNAPSHOT
    } else if key::is_reconciled_key(key) {
        TIER_RECONCILED
    } else {
        TIER_DELIVERED
    }
}

/// The source of the values a `Call` snapshot of call `call_id` gives.
fn snapshot_key(call_id: &str) -> String {
    format!("{SNAPSHOT_PREFIX}{call_id}")
}

/// A value of the record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// Inline up to 24 bytes (ids, phone numbers and outcomes usually are): no allocation of
    /// its own, so a record a store keeps per call is a few allocations, not one per value.
    Str(CompactString),
    Num(Number),
    /// Boxed: an analysis is large, and most values are strings.
    Analysis(Box<Analysis>),
    Messages(Vec<Message>),
}

/// The record's fields that come from events, in the order of the JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    AgentId,
    ToNumber,
    FromNumber,
    StartedAt,
    DurationSeconds,
    Outcome,
    AiSummary,
    Analysis,
    FailureReason,
    RecordingUrl,
    Transcript,
}

/// How many [`Field`]s there are.
const FIELDS: usize = 11;

impl Field {
    const ALL: [Field; FIELDS] = [
        Field::AgentId,
        Field::ToNumber,
        Field::FromNumber,
        Field::StartedAt,
        Field::DurationSeconds,
        Field::Outcome,
        Field::AiSummary,
        Field::Analysis,
        Field::FailureReason,
        Field::RecordingUrl,
        Field::Transcript,
    ];

    /// The name in the JSON form (and of the getter).
    const fn name(self) -> &'static str {
        match self {
            Field::AgentId => "agent_id",
            Field::ToNumber => "to_number",
            Field::FromNumber => "from_number",
            Field::StartedAt => "started_at",
            Field::DurationSeconds => "duration_seconds",
            Field::Outcome => "outcome",
            Field::AiSummary => "ai_summary",
            Field::Analysis => "analysis",
            Field::FailureReason => "failure_reason",
            Field::RecordingUrl => "recording_url",
            Field::Transcript => "transcript",
        }
    }

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The events that supply this field: `(event name, wire member, rank)`.
    const fn sources(self) -> &'static [(&'static str, &'static str, u8)] {
        const STARTED: &str = "call.started";
        const ENDED: &str = "call.ended";
        const ANALYZED: &str = "call.analyzed";
        const FAILED: &str = "call.failed";
        match self {
            Field::AgentId => &[
                (STARTED, "agent_id", 0),
                (ENDED, "agent_id", 0),
                (ANALYZED, "agent_id", 0),
                (FAILED, "agent_id", 0),
            ],
            Field::ToNumber => &[
                (STARTED, "to_number", 0),
                (ENDED, "to_number", 0),
                (FAILED, "to_number", 0),
            ],
            Field::FromNumber => &[
                (STARTED, "from_number", 0),
                (ENDED, "from_number", 0),
                (FAILED, "from_number", 0),
            ],
            Field::StartedAt => &[(STARTED, "created_at", 0)],
            Field::DurationSeconds => &[(ENDED, "duration_seconds", 0)],
            Field::Outcome => &[(ENDED, "outcome", 0), (ANALYZED, "outcome", 1)],
            Field::AiSummary => &[(ENDED, "ai_summary", 0), (ANALYZED, "ai_summary", 1)],
            Field::Analysis => &[(ENDED, "analysis", 0)],
            Field::FailureReason => &[(FAILED, "reason", 0)],
            Field::RecordingUrl => &[("call.recording.available", "recording_url", 0)],
            Field::Transcript => &[
                ("transcript.partial", "messages", 0),
                ("transcript.final", "messages", 1),
            ],
        }
    }

    /// The wire member and rank of this field in the event `name`, if it supplies the field.
    fn source(self, name: &str) -> Option<(&'static str, u8)> {
        self.sources()
            .iter()
            .find(|(event, _, _)| same(event, name))
            .map(|&(_, member, rank)| (member, rank))
    }

    /// The value each field takes from the event `name`: `take(field, member)` gives the
    /// value `field` takes from the wire member `member` (and may move the member out), if
    /// the event has it. No two fields read the same member of one event.
    fn values_of(name: &str, mut take: impl FnMut(Field, &str) -> Option<Val>) -> Values {
        let mut values = Values::default();
        for (slot, field) in values.0.iter_mut().zip(Field::ALL) {
            if let Some((member, _)) = field.source(name) {
                *slot = take(field, member);
            }
        }
        values
    }

    /// The full rank of a value of this field: any event above a snapshot, then the event's
    /// rank (`call.analyzed` over `call.ended`, ...), then a delivered event over a
    /// reconciled one, then (for the transcript) the number of messages. So a reconciled
    /// `call.analyzed` still beats a delivered `call.ended`, as the real one would, and a
    /// real delivery beats the reconciled event that stood for it.
    fn rank(self, tier: u8, event_rank: u8, value: &Val) -> (u8, u8, u8, usize) {
        let class = u8::from(tier > TIER_SNAPSHOT);
        match value {
            Val::Messages(m) => (class, event_rank, tier, m.len()),
            _ => (class, event_rank, tier, 0),
        }
    }

    /// The value this field takes from the wire member `v`, if it has the field's type.
    fn value_of(self, v: Value) -> Option<Val> {
        match (self, v) {
            (Field::DurationSeconds, Value::Number(n)) => Some(Val::Num(key::canonical_number(&n))),
            (Field::DurationSeconds, _) => None,
            (Field::Analysis, Value::Object(map)) => {
                Some(Val::Analysis(Box::new(analysis_of(&map))))
            }
            (Field::Analysis, _) => None,
            (Field::Transcript, Value::Array(items)) => items
                .iter()
                .map(|item| item.as_object().map(message_of))
                .collect::<Option<Vec<Message>>>()
                .map(Val::Messages),
            (Field::Transcript, _) => None,
            (_, Value::String(s)) => Some(Val::Str(CompactString::from(s))),
            (_, _) => None,
        }
    }
}

/// The value of each [`Field`] that one event offers (in the order of [`Field::ALL`]).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Values(pub(crate) [Option<Val>; FIELDS]);

/// The analysis the record keeps for a wire `analysis` object: `summary` and `outcome` when
/// they are strings, `extracted_data` when it is an object, every other member in `extra`; all
/// of it canonical (members sorted by UTF-16 code units, numbers as doubles).
fn analysis_of(map: &Map<String, Value>) -> Analysis {
    let mut out = Analysis::default();
    for (k, v) in key::canonical_map(map) {
        analysis_member(&mut out, Cow::Owned(k), v);
    }
    out
}

/// Puts the canonical member `k`: `v` of a wire `analysis` object into `out` (see
/// [`analysis_of`]); members come in canonical order.
fn analysis_member(out: &mut Analysis, k: Cow<'_, str>, v: Value) {
    match (&*k, v) {
        ("summary", Value::String(s)) => out.summary = Some(s),
        ("outcome", Value::String(s)) => out.outcome = Some(s),
        ("extracted_data", Value::Object(m)) => out.extracted_data = Some(m),
        ("summary" | "outcome" | "extracted_data", Value::Null) => {}
        (_, v) => {
            out.extra.insert(k.into_owned(), v);
        }
    }
}

/// The message the record keeps for a wire message object: `role` and `content` when they
/// are strings, every other member in `extra`, canonical as in [`analysis_of`].
fn message_of(map: &Map<String, Value>) -> Message {
    let mut out = Message::default();
    for (k, v) in key::canonical_map(map) {
        match (k.as_str(), v) {
            ("role", Value::String(s)) => out.role = Some(Role::from(s)),
            ("content", Value::String(s)) => out.content = Some(s),
            ("role" | "content", Value::Null) => {}
            (_, v) => {
                out.extra.insert(k, v);
            }
        }
    }
    out
}

/// What is known about one call: a function of the **set** of its events, whatever their
/// order, repetition, or the workers that saw them.
///
/// [`apply`](CallRecord::apply) is commutative, idempotent and associative, and
/// [`merge`](CallRecord::merge) of two records equals the record that saw both sets of
/// events: the record is a join-semilattice. Each field holds one *candidate* value taken
/// from one event, and every conflict resolves by a rule that depends only on values:
///
/// | field (JSON name) | taken from (wire member) | rank, greatest wins |
/// |---|---|---|
/// | `agent_id` | `call.started`, `call.ended`, `call.analyzed`, `call.failed` | all equal |
/// | `to_number`, `from_number` | `call.started`, `call.ended`, `call.failed` | all equal |
/// | `started_at` | `call.started` (`created_at`) | |
/// | `duration_seconds` | `call.ended` | |
/// | `outcome`, `ai_summary` | `call.analyzed` over `call.ended` | analyzed 1, ended 0 |
/// | `analysis` | `call.ended` | |
/// | `failure_reason` | `call.failed` (`reason`) | |
/// | `recording_url` | `call.recording.available` | |
/// | `transcript` | `transcript.final` over `transcript.partial` (`messages`) | final first, then most messages |
///
/// - Sources: a snapshot of the call ([`apply_call`](CallRecord::apply_call), source
///   `snapshot:<call_id>`) ranks below every event; an event synthesized by reconciliation
///   (`"reconciled": true`, key `<event>:<call_id>:reconciled`) ranks as its event, below a
///   delivered event of the same name (the rank in the table first, then delivered over
///   reconciled, then the transcript's length). Two values of one snapshot or reconciled key
///   may differ: the greater JSON text wins.
/// - Between two candidates of equal rank, the one whose event has the greater
///   [`dedupe_key`] wins (byte-wise string comparison; every key of one call starts with
///   the event name, so this compares names first, then content hashes). Two candidates with
///   the same key come from the same content and are equal.
/// - A member that is absent or `null` is no candidate: it never erases a value. A member of
///   another JSON type than the field's (only possible in an event built by hand) is no
///   candidate either.
/// - `status` is derived from `events_seen` (see [`CallStatus`]): `failed` > `completed` >
///   `in_progress` > `unknown`.
/// - `transcript_final` is `true` when the transcript came from `transcript.final`.
/// - `events_seen` is the set of event names applied (unknown events included), sorted by
///   code point.
/// - Values are kept canonical, so that equal content gives equal records: numbers as the
///   double they denote (`87.0` is kept as `87`), object members sorted by UTF-16 code units
///   (in `analysis` and in the messages' unknown members).
/// - Events of another call are ignored ([`Applied::ignored`]); a record with an empty
///   `call_id` matches no parsed event (parsing requires a non-empty one).
///
/// The record remembers, for each field, the dedupe key of the event its value came from
/// ([`source`](CallRecord::source), and `sources` in the JSON form), which is what makes
/// [`merge`](CallRecord::merge) exact. It does not remember the set of dedupe keys: a store
/// that must report whether a delivery is new keeps those itself.
///
/// The JSON form ([`to_json`](CallRecord::to_json), [`from_json`](CallRecord::from_json)) is
/// described by `schemas/call-record.schema.json`: every member is always written, `null`
/// when unknown, in the order `call_id`, `status`, `agent_id`, `to_number`, `from_number`,
/// `started_at`, `duration_seconds`, `outcome`, `ai_summary`, `analysis`, `failure_reason`,
/// `recording_url`, `transcript`, `transcript_final`, `events_seen`, `sources` (an object from
/// field name to dedupe key, for the fields that have a value).
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// Shared with the ledger that keeps the record and the events applied.
    call_id: Arc<str>,
    events_seen: EventsSeen,
    slots: [Option<Slot>; FIELDS],
    /// The greatest status a `Call` snapshot showed.
    snapshot_status: CallStatus,
    /// The names of the events applied from reconciliation (their key ends in `:reconciled`).
    reconciled: BTreeSet<String>,
}

impl CallRecord {
    /// An empty record of the call `call_id`: status `unknown`, no values, no events seen.
    pub fn new(call_id: impl Into<String>) -> Self {
        CallRecord::with_id(Arc::from(call_id.into()))
    }

    /// [`new`](CallRecord::new), keeping the shared call id of an event.
    pub(crate) fn with_id(call_id: Arc<str>) -> Self {
        CallRecord {
            call_id,
            events_seen: EventsSeen::default(),
            slots: Default::default(),
            snapshot_status: CallStatus::Unknown,
            reconciled: BTreeSet::new(),
        }
    }

    /// Folds one event into the record. An event of another call is ignored (the record is
    /// unchanged and [`Applied::ignored`] says why); any other event, unknown ones included,
    /// is added to `events_seen` and offers its values to the fields it supplies (see the
    /// rules on [`CallRecord`]).
    pub fn apply(&mut self, event: &Event) -> Applied {
        if event.call_id() != &*self.call_id {
            return self.ignore(event.call_id());
        }
        self.apply_keyed(&KeyedEvent::new(event))
    }

    /// [`apply`](CallRecord::apply) of the event `event` was made from, reusing its key and
    /// values (the record shares them): the same result and the same record.
    pub fn apply_keyed(&mut self, event: &KeyedEvent) -> Applied {
        if *event.call_id != *self.call_id {
            return self.ignore(&event.call_id);
        }
        let (name, key) = (&*event.name, event.shared_key());
        let mut changed = self.see(name);
        let tier = tier_of(key);
        if tier == TIER_RECONCILED && !self.reconciled.contains(name) {
            changed |= self.reconciled.insert(name.to_string());
        }
        let values = &event.values;
        for (i, ((slot, field), value)) in self
            .slots
            .iter_mut()
            .zip(Field::ALL)
            .zip(&values.0)
            .enumerate()
        {
            let Some(value) = value else { continue };
            let Some((_, event_rank)) = field.source(name) else {
                continue;
            };
            let candidate = Slot {
                rank: field.rank(tier, event_rank, value),
                key: Arc::clone(key),
                values: Arc::clone(values),
                field: i,
            };
            changed |= offer(slot, candidate);
        }
        Applied {
            changed,
            ignored: None,
        }
    }

    /// What [`apply`](CallRecord::apply) says of an event of the call `call_id`, another call.
    fn ignore(&self, call_id: &str) -> Applied {
        Applied {
            changed: false,
            ignored: Some(format!(
                "the event is for call {}, this record is for call {}",
                preview(call_id),
                preview(&self.call_id)
            )),
        }
    }

    /// Combines `other` into this record, as if this record had also seen every event
    /// `other` saw: afterwards it equals the record of the union of both event sets. Returns
    /// whether this record changed.
    ///
    /// # Errors
    ///
    /// A [`UsageError`] (`invalid_value` at `/call_id`) when the records are of different
    /// calls; this record is then unchanged.
    pub fn merge(&mut self, other: &CallRecord) -> Result<bool, UsageError> {
        if other.call_id != self.call_id {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::InvalidValue,
                "/call_id",
                format!(
                    "`call_id` of the record to merge is {}; this record is of call {}",
                    preview(&other.call_id),
                    preview(&self.call_id)
                ),
            )]));
        }
        let mut changed = false;
        for name in other.events_seen.iter() {
            changed |= self.see(name);
        }
        for name in &other.reconciled {
            if !self.reconciled.contains(name) {
                changed |= self.reconciled.insert(name.clone());
            }
        }
        if other.snapshot_status > self.snapshot_status {
            self.snapshot_status = other.snapshot_status;
            changed = true;
        }
        for (slot, theirs) in self.slots.iter_mut().zip(&other.slots) {
            if let Some(theirs) = theirs {
                changed |= offer(slot, theirs.clone());
            }
        }
        Ok(changed)
    }

    /// Adds `name` to `events_seen`; whether it was new.
    fn see(&mut self, name: &str) -> bool {
        self.events_seen.insert(name)
    }

    fn slot(&self, field: Field) -> Option<&Slot> {
        self.slots
            .iter()
            .zip(Field::ALL)
            .find(|(_, f)| *f == field)
            .and_then(|(s, _)| s.as_ref())
    }

    fn str_field(&self, field: Field) -> Option<&str> {
        match self.slot(field).and_then(Slot::value) {
            Some(Val::Str(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The call this record is about.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Where the call stands (see [`CallStatus`]): the greater of the status its events give
    /// and the status a snapshot showed ([`snapshot_status`](CallRecord::snapshot_status)).
    pub fn status(&self) -> CallStatus {
        self.events_status().max(self.snapshot_status)
    }

    /// The status the applied events alone give (delivered or reconciled, no snapshot).
    pub fn events_status(&self) -> CallStatus {
        CallStatus::of(self.events_seen.iter())
    }

    /// The greatest status a `Call` snapshot applied with
    /// [`apply_call`](CallRecord::apply_call) showed (`unknown` when none showed one).
    pub fn snapshot_status(&self) -> CallStatus {
        self.snapshot_status
    }

    /// The names of the events applied from reconciliation: events synthesized from a
    /// snapshot (`"reconciled": true`, key `<event>:<call_id>:reconciled`), sorted.
    pub fn reconciled(&self) -> &BTreeSet<String> {
        &self.reconciled
    }

    /// Whether the handlers of a delivery of the event `name` with dedupe key `key` already
    /// ran, so that a store records it as done without running them (the inbox's
    /// [`Input::Covered`](crate::inbox::Input::Covered)); asked before the delivery is folded in:
    ///
    /// - a real delivery, when the record applied a synthesized `name` event (reconciliation
    ///   came first);
    /// - a synthesized event (its key ends in `:reconciled`), when the record has seen `name`
    ///   already: a real delivery came while the reconciler was working from an older record
    ///   (never for `transcript.partial`, which is never synthesized).
    pub fn covers(&self, name: &str, key: &str) -> bool {
        if key::is_reconciled_key(key) {
            name != "transcript.partial" && self.events_seen.contains(name)
        } else {
            self.reconciled.contains(name)
        }
    }

    /// Folds a snapshot of the call, as `GET /v1/calls/{id}` returns it, into the record.
    /// Its values rank below every event's (a delivered or reconciled event's value always
    /// wins), and their [`source`](CallRecord::source) is `snapshot:<call_id>`; between two
    /// snapshots' values the greater JSON text wins (so the laws still hold). Its `status`
    /// (see [`CallStatus::of_snapshot`]) raises [`status`](CallRecord::status) and never
    /// lowers it: an `in_progress` snapshot does not undo `completed`. It adds nothing to
    /// `events_seen`. A snapshot of another call is ignored.
    ///
    /// The snapshot gives `agent_id`, `to_number`, `from_number`, `started_at`,
    /// `duration_seconds`, `outcome` and `ai_summary` (else the analysis's `outcome` and
    /// `summary`), `analysis`, `failure_reason` (its `end_reason`, when its status is
    /// `failed`), `recording_url` and `transcript` (its `messages`, when they are objects and
    /// not empty; never final).
    pub fn apply_call(&mut self, call: &Call) -> Applied {
        if *call.id != *self.call_id {
            return self.ignore(&call.id);
        }
        let status = call
            .status
            .as_deref()
            .map_or(CallStatus::Unknown, CallStatus::of_snapshot);
        let mut changed = false;
        if status > self.snapshot_status {
            self.snapshot_status = status;
            changed = true;
        }
        let values = Arc::new(snapshot_values(call, status));
        let key: Arc<str> = Arc::from(snapshot_key(&self.call_id));
        for (i, ((slot, field), value)) in self
            .slots
            .iter_mut()
            .zip(Field::ALL)
            .zip(&values.0)
            .enumerate()
        {
            let Some(value) = value else { continue };
            let candidate = Slot {
                rank: field.rank(TIER_SNAPSHOT, 0, value),
                key: Arc::clone(&key),
                values: Arc::clone(&values),
                field: i,
            };
            changed |= offer(slot, candidate);
        }
        Applied {
            changed,
            ignored: None,
        }
    }

    /// The agent that handled the call.
    pub fn agent_id(&self) -> Option<&str> {
        self.str_field(Field::AgentId)
    }

    /// The called number.
    pub fn to_number(&self) -> Option<&str> {
        self.str_field(Field::ToNumber)
    }

    /// The calling number.
    pub fn from_number(&self) -> Option<&str> {
        self.str_field(Field::FromNumber)
    }

    /// When the call started: `created_at` of `call.started`.
    pub fn started_at(&self) -> Option<&str> {
        self.str_field(Field::StartedAt)
    }

    /// How long the call lasted, in seconds (canonical: `87.0` is kept as `87`).
    pub fn duration_seconds(&self) -> Option<&Number> {
        match self.slot(Field::DurationSeconds).and_then(Slot::value) {
            Some(Val::Num(n)) => Some(n),
            _ => None,
        }
    }

    /// The outcome: from `call.analyzed` if one had it, else from `call.ended`.
    pub fn outcome(&self) -> Option<&str> {
        self.str_field(Field::Outcome)
    }

    /// The AI summary: from `call.analyzed` if one had it, else from `call.ended`.
    pub fn ai_summary(&self) -> Option<&str> {
        self.str_field(Field::AiSummary)
    }

    /// The `analysis` object of `call.ended` (canonical: members sorted).
    pub fn analysis(&self) -> Option<&Analysis> {
        match self.slot(Field::Analysis).and_then(Slot::value) {
            Some(Val::Analysis(a)) => Some(a),
            _ => None,
        }
    }

    /// Why the call failed: `reason` of `call.failed`.
    pub fn failure_reason(&self) -> Option<&str> {
        self.str_field(Field::FailureReason)
    }

    /// Where to fetch the recording.
    pub fn recording_url(&self) -> Option<&str> {
        self.str_field(Field::RecordingUrl)
    }

    /// The transcript: the final one if seen, else the partial one with the most messages.
    pub fn transcript(&self) -> Option<&[Message]> {
        match self.slot(Field::Transcript).and_then(Slot::value) {
            Some(Val::Messages(m)) => Some(m),
            _ => None,
        }
    }

    /// Whether [`transcript`](CallRecord::transcript) came from `transcript.final`.
    pub fn transcript_final(&self) -> bool {
        self.slot(Field::Transcript)
            .is_some_and(|s| s.rank.0 == 1 && s.rank.1 == TRANSCRIPT_FINAL_RANK)
    }

    /// The names of the events applied (unknown events included), sorted by code point.
    pub fn events_seen(&self) -> &EventsSeen {
        &self.events_seen
    }

    /// The dedupe key of the event that the value of `field` (a JSON member name such as
    /// `"outcome"`) came from; `None` when the field has no value or is not one that comes
    /// from events (`call_id`, `status`, `transcript_final` and `events_seen` do not).
    pub fn source(&self, field: &str) -> Option<&str> {
        Field::from_name(field)
            .and_then(|f| self.slot(f))
            .map(|s| &*s.key)
    }

    /// The JSON form (compact, members in a fixed order, every value canonical), which
    /// [`from_json`](CallRecord::from_json) reads back into an equal record.
    pub fn to_json(&self) -> String {
        // Serializing a record cannot fail: every map key is a string and every number finite.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the JSON form written by [`to_json`](CallRecord::to_json) (whitespace and member
    /// order are free; numbers and objects are made canonical).
    ///
    /// # Errors
    ///
    /// A [`ValidationError`](crate::ValidationError) listing every issue, each with a JSON
    /// Pointer: `invalid_json` (not one UTF-8 JSON text, duplicate members at any depth are
    /// `duplicate_field`, nesting beyond [`MAX_DEPTH_CEILING`](crate::MAX_DEPTH_CEILING) is
    /// `too_deep`), `not_an_object`, `missing_field` (every member is required, `null` where
    /// allowed), `unknown_field`, `wrong_type`, and `invalid_value` for a record that no set of
    /// events can produce: a `status` that disagrees with `events_seen`, `events_seen` not
    /// sorted or not unique, a field with a value but no source (`missing_field` at
    /// `/sources/<field>`) or a source but no value, a source that is not the dedupe key of
    /// an event of this call that supplies the field or whose event is not in `events_seen`,
    /// or a `transcript_final` that disagrees with the transcript's source.
    pub fn from_json(body: &[u8]) -> Result<CallRecord, crate::ValidationError> {
        json::from_json(body)
    }
}

/// The values a snapshot gives each field (see [`CallRecord::apply_call`]).
fn snapshot_values(call: &Call, status: CallStatus) -> Values {
    let text = |v: &Option<String>| v.as_deref().map(|s| Val::Str(CompactString::new(s)));
    let analysis = call.analysis.as_ref();
    let of_analysis = |member: &str| {
        analysis
            .and_then(|a| a.get(member))
            .and_then(Value::as_str)
            .map(|s| Val::Str(CompactString::new(s)))
    };
    let mut messages = call
        .messages
        .as_ref()
        .filter(|m| !m.is_empty())
        .and_then(|m| {
            m.iter()
                .map(|item| item.as_object().map(message_of))
                .collect::<Option<Vec<Message>>>()
        });
    let mut values = Values::default();
    for (slot, field) in values.0.iter_mut().zip(Field::ALL) {
        *slot = match field {
            Field::AgentId => text(&call.agent_id),
            Field::ToNumber => text(&call.to_number),
            Field::FromNumber => text(&call.from_number),
            Field::StartedAt => text(&call.started_at),
            Field::DurationSeconds => call
                .duration_seconds
                .as_ref()
                .map(|n| Val::Num(key::canonical_number(n))),
            Field::Outcome => text(&call.outcome).or_else(|| of_analysis("outcome")),
            Field::AiSummary => text(&call.ai_summary).or_else(|| of_analysis("summary")),
            Field::Analysis => analysis.map(|a| Val::Analysis(Box::new(analysis_of(a)))),
            Field::FailureReason if status == CallStatus::Failed => text(&call.end_reason),
            Field::FailureReason => None,
            Field::RecordingUrl => text(&call.recording_url),
            Field::Transcript => messages.take().map(Val::Messages),
        };
    }
    values
}

/// The rank of `transcript.final` in [`Field::Transcript`]'s sources.
const TRANSCRIPT_FINAL_RANK: u8 = 1;

/// Puts `candidate` in `slot` if it beats what is there; whether it did.
fn offer(slot: &mut Option<Slot>, candidate: Slot) -> bool {
    match slot {
        Some(current) if !candidate.beats(current) => false,
        _ => {
            *slot = Some(candidate);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_event;

    fn ev(body: &str) -> Event {
        parse_event(body.as_bytes()).unwrap()
    }

    #[test]
    fn status_order() {
        let s = |names: &[&str]| CallStatus::of(names.iter().copied());
        assert_eq!(s(&[]), CallStatus::Unknown);
        assert_eq!(s(&["transcript.final", "x"]), CallStatus::Unknown);
        assert_eq!(s(&["call.started"]), CallStatus::InProgress);
        assert_eq!(s(&["call.ended", "call.started"]), CallStatus::Completed);
        assert_eq!(s(&["call.ended", "call.failed"]), CallStatus::Failed);
        assert_eq!(s(&["call.failed", "call.started"]), CallStatus::Failed);
        for c in CallStatus::ALL {
            assert_eq!(c.as_str().parse::<CallStatus>(), Ok(c));
        }
        assert!("done".parse::<CallStatus>().is_err());
    }

    #[test]
    fn other_calls_are_ignored() {
        let mut r = CallRecord::new("c1");
        let applied = r.apply(&ev(r#"{"event":"call.started","call_id":"c2"}"#));
        assert!(!applied.changed);
        assert!(applied.ignored.unwrap().contains("\"c2\""));
        assert_eq!(r, CallRecord::new("c1"));
        // An empty call id matches nothing.
        let mut empty = CallRecord::new("");
        assert!(empty
            .apply(&ev(r#"{"event":"call.started","call_id":"c2"}"#))
            .ignored
            .is_some());
    }

    #[test]
    fn merge_refuses_another_call() {
        let mut a = CallRecord::new("c1");
        let err = a.merge(&CallRecord::new("c2")).unwrap_err();
        assert_eq!(err.issues()[0].code, IssueCode::InvalidValue);
        assert_eq!(err.issues()[0].path, "/call_id");
        assert!(err.issues()[0].message.contains("`call_id`"));
    }

    #[test]
    fn unknown_events_are_seen_and_change_nothing_else() {
        let mut r = CallRecord::new("c");
        assert!(
            r.apply(&ev(
                r#"{"event":"call.transferred","call_id":"c","agent_id":"a"}"#
            ))
            .changed
        );
        assert_eq!(r.agent_id(), None);
        assert_eq!(
            r.events_seen().iter().collect::<Vec<_>>(),
            ["call.transferred"]
        );
        assert_eq!(r.status(), CallStatus::Unknown);
    }

    #[test]
    fn rules() {
        let started =
            ev(r#"{"event":"call.started","call_id":"c","agent_id":"a1","created_at":"t"}"#);
        let ended = ev(
            r#"{"event":"call.ended","call_id":"c","outcome":"o-ended","ai_summary":"s-ended","duration_seconds":87.0,"analysis":{"summary":"x","z":1,"a":2.0}}"#,
        );
        let analyzed = ev(r#"{"event":"call.analyzed","call_id":"c","outcome":"o-analyzed"}"#);
        let partial2 = ev(
            r#"{"event":"transcript.partial","call_id":"c","messages":[{"role":"agent","content":"1"},{"role":"user","content":"2"}]}"#,
        );
        let final1 = ev(
            r#"{"event":"transcript.final","call_id":"c","messages":[{"content":"1","role":"agent","w":1.0}]}"#,
        );
        let mut r = CallRecord::new("c");
        for e in [&analyzed, &final1, &ended, &partial2, &started] {
            assert!(r.apply(e).changed, "{}", e.name());
        }
        assert_eq!(r.status(), CallStatus::Completed);
        assert_eq!(r.agent_id(), Some("a1"));
        assert_eq!(r.started_at(), Some("t"));
        assert_eq!(r.outcome(), Some("o-analyzed"));
        assert_eq!(r.ai_summary(), Some("s-ended")); // call.analyzed had none
        assert_eq!(r.duration_seconds(), Some(&Number::from(87)));
        let analysis = r.analysis().unwrap();
        assert_eq!(analysis.summary.as_deref(), Some("x"));
        assert_eq!(analysis.extra.keys().collect::<Vec<_>>(), ["a", "z"]);
        assert_eq!(analysis.extra["a"], Value::from(2));
        // The final transcript wins even though the partial one has more messages.
        assert!(r.transcript_final());
        let t = r.transcript().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].extra["w"], Value::from(1));
        assert_eq!(r.source("outcome"), Some(dedupe_key(&analyzed).as_str()));
        assert_eq!(r.source("ai_summary"), Some(dedupe_key(&ended).as_str()));
        assert_eq!(r.source("status"), None);
        assert_eq!(r.source("failure_reason"), None);
        // Nothing applied twice changes anything.
        for e in [&started, &ended, &analyzed, &partial2, &final1] {
            assert_eq!(
                r.apply(e),
                Applied {
                    changed: false,
                    ignored: None
                }
            );
        }
        // A late call.failed wins the status.
        assert!(
            r.apply(&ev(
                r#"{"event":"call.failed","call_id":"c","reason":"busy"}"#
            ))
            .changed
        );
        assert_eq!(r.status(), CallStatus::Failed);
        assert_eq!(r.failure_reason(), Some("busy"));
    }

    #[test]
    fn partials_by_length_then_key() {
        let p = |n: usize, tag: &str| {
            let msgs: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"role":"user","content":"{tag}{i}"}}"#))
                .collect();
            ev(&format!(
                r#"{{"event":"transcript.partial","call_id":"c","messages":[{}]}}"#,
                msgs.join(",")
            ))
        };
        let (a, b, c) = (p(2, "a"), p(2, "b"), p(1, "c"));
        let winner = if dedupe_key(&a) > dedupe_key(&b) {
            &a
        } else {
            &b
        };
        for order in [[&a, &b, &c], [&c, &b, &a], [&b, &c, &a]] {
            let mut r = CallRecord::new("c");
            for e in order {
                r.apply(e);
            }
            assert!(!r.transcript_final());
            assert_eq!(r.source("transcript"), Some(dedupe_key(winner).as_str()));
            assert_eq!(r.status(), CallStatus::Unknown);
        }
    }

    #[test]
    fn null_never_erases() {
        let mut r = CallRecord::new("c");
        r.apply(&ev(r#"{"event":"call.ended","call_id":"c","outcome":"o"}"#));
        r.apply(&ev(
            r#"{"event":"call.ended","call_id":"c","outcome":null,"x":1}"#,
        ));
        r.apply(&ev(
            r#"{"event":"call.analyzed","call_id":"c","outcome":null}"#,
        ));
        assert_eq!(r.outcome(), Some("o"));
    }
}
