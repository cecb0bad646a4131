//! The JSON form of a [`CallRecord`]: `Serialize` (for `to_json`) and `from_json`, which
//! checks every member and every rule a record keeps, reporting each issue with its JSON
//! Pointer.

use std::collections::BTreeSet;
use std::sync::Arc;

use compact_str::CompactString;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{
    analysis_of, key, message_of, snapshot_key, tier_of, CallRecord, CallStatus, Field, Slot, Val,
    Values, FIELDS,
};
use crate::error::{Issue, IssueCode, ValidationError};
use crate::text::{child, child_index, preview};

/// Every member of the JSON form, in the order `to_json` writes them.
const MEMBERS: [&str; 16] = [
    "call_id",
    "status",
    "agent_id",
    "to_number",
    "from_number",
    "started_at",
    "duration_seconds",
    "outcome",
    "ai_summary",
    "analysis",
    "failure_reason",
    "recording_url",
    "transcript",
    "transcript_final",
    "events_seen",
    "sources",
];

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::Str(v) => s.serialize_str(v),
            Val::Num(v) => v.serialize(s),
            Val::Analysis(v) => v.serialize(s),
            Val::Messages(v) => v.serialize(s),
        }
    }
}

/// The members written only when they hold something, so that records without snapshots or
/// reconciliation keep the JSON form they had (and records stored before load as they are):
/// `snapshot_status` (written when not `unknown`) and `reconciled` (when not empty).
const OPTIONAL_MEMBERS: [&str; 2] = ["snapshot_status", "reconciled"];

/// The `sources` member: field name to dedupe key, for the fields that have a value.
struct Sources<'a>(&'a CallRecord);

impl Serialize for Sources<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (slot, field) in self.0.slots.iter().zip(Field::ALL) {
            if let Some(slot) = slot {
                map.serialize_entry(field.name(), &*slot.key)?;
            }
        }
        map.end()
    }
}

impl Serialize for CallRecord {
    /// The JSON form: see [`CallRecord`] and `schemas/call-record.schema.json`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(MEMBERS.len()))?;
        map.serialize_entry("call_id", &*self.call_id)?;
        map.serialize_entry("status", &self.status())?;
        for (slot, field) in self.slots.iter().zip(Field::ALL) {
            map.serialize_entry(field.name(), &slot.as_ref().and_then(Slot::value))?;
        }
        map.serialize_entry("transcript_final", &self.transcript_final())?;
        map.serialize_entry("events_seen", &self.events_seen)?;
        map.serialize_entry("sources", &Sources(self))?;
        if self.snapshot_status != CallStatus::Unknown {
            map.serialize_entry("snapshot_status", &self.snapshot_status)?;
        }
        if !self.reconciled.is_empty() {
            map.serialize_entry("reconciled", &self.reconciled)?;
        }
        map.end()
    }
}

/// "a string (\"abc\")", "a number (12)", "null", ... for messages (bounded).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({})", preview(&n.to_string())),
        Value::String(s) => format!("a string ({})", preview(s)),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// The issues found so far.
struct Issues(Vec<Issue>);

impl Issues {
    fn push(&mut self, code: IssueCode, path: impl Into<String>, message: String) {
        self.0.push(Issue::new(code, path, message));
    }

    fn wrong_type(&mut self, path: &str, name: &str, expected: &str, found: &Value) {
        self.push(
            IssueCode::WrongType,
            path,
            format!("`{name}` must be {expected}, found {}", describe(found)),
        );
    }
}

/// What the members read so far hold (each `None` until read, or when of the wrong type).
#[derive(Default)]
struct Parts {
    call_id: Option<String>,
    status: Option<CallStatus>,
    /// Each field's value; `Some(None)` for `null`.
    values: [Option<Option<Val>>; FIELDS],
    transcript_final: Option<bool>,
    events_seen: Option<BTreeSet<String>>,
    /// Each field's source key; `Some(None)` when it is there but not a string.
    sources: [Option<Option<String>>; FIELDS],
    /// Whether `sources` was an object.
    sources_read: bool,
    /// `snapshot_status`, `unknown` when absent.
    snapshot_status: Option<CallStatus>,
    /// `reconciled`, empty when absent.
    reconciled: Option<BTreeSet<String>>,
}

pub(super) fn from_json(body: &[u8]) -> Result<CallRecord, ValidationError> {
    let value = crate::parse::parse_value(body, crate::MAX_DEPTH_CEILING)?;
    let Value::Object(obj) = value else {
        return Err(ValidationError::new(vec![Issue::new(
            IssueCode::NotAnObject,
            "",
            format!(
                "a call record must be a JSON object, found {}",
                describe(&value)
            ),
        )]));
    };
    let mut issues = Issues(Vec::new());
    let mut parts = Parts {
        snapshot_status: Some(CallStatus::Unknown),
        reconciled: Some(BTreeSet::new()),
        ..Parts::default()
    };
    for (name, v) in &obj {
        let path = child("", name);
        read_member(&mut issues, &mut parts, name, &path, v);
    }
    for name in MEMBERS {
        if !obj.contains_key(name) {
            issues.push(
                IssueCode::MissingField,
                child("", name),
                format!("`{name}` is missing (every member of a call record is required; `null` where allowed)"),
            );
        }
    }
    check_rules(&mut issues, &parts);
    if !issues.0.is_empty() {
        return Err(ValidationError::new(issues.0));
    }
    build(parts).ok_or_else(|| {
        // cannot happen: every part was read without an issue
        ValidationError::new(vec![Issue::new(
            IssueCode::InvalidValue,
            "",
            "the call record could not be read".to_owned(),
        )])
    })
}

/// A status name (`status`, `snapshot_status`).
fn read_status(issues: &mut Issues, name: &str, path: &str, v: &Value) -> Option<CallStatus> {
    match v {
        Value::String(s) => match s.parse::<CallStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                issues.push(
                    IssueCode::InvalidValue,
                    path,
                    format!(
                        "`{name}` must be one of unknown, in_progress, completed, failed; found {}",
                        preview(s)
                    ),
                );
                None
            }
        },
        _ => {
            issues.wrong_type(path, name, "a string", v);
            None
        }
    }
}

fn read_member(issues: &mut Issues, parts: &mut Parts, name: &str, path: &str, v: &Value) {
    match name {
        "snapshot_status" => parts.snapshot_status = read_status(issues, name, path, v),
        "reconciled" => parts.reconciled = read_events_seen(issues, path, name, v),
        "call_id" => match v {
            Value::String(s) => parts.call_id = Some(s.clone()),
            _ => issues.wrong_type(path, name, "a string", v),
        },
        "status" => parts.status = read_status(issues, name, path, v),
        "transcript_final" => match v {
            Value::Bool(b) => parts.transcript_final = Some(*b),
            _ => issues.wrong_type(path, name, "a boolean", v),
        },
        "events_seen" => parts.events_seen = read_events_seen(issues, path, name, v),
        "sources" => read_sources(issues, parts, path, v),
        _ => match Field::from_name(name) {
            Some(field) => {
                let value = read_value(issues, field, path, v);
                if let Some((slot, _)) = parts
                    .values
                    .iter_mut()
                    .zip(Field::ALL)
                    .find(|(_, f)| *f == field)
                {
                    *slot = value;
                }
            }
            None => issues.push(
                IssueCode::UnknownField,
                path,
                format!(
                    "a call record has no member {}; expected one of {}, {}",
                    preview(name),
                    MEMBERS.join(", "),
                    OPTIONAL_MEMBERS.join(", ")
                ),
            ),
        },
    }
}

/// A field's value: `Some(None)` for `null`, `Some(Some(v))` for a value of the right type,
/// `None` (with an issue) otherwise.
fn read_value(issues: &mut Issues, field: Field, path: &str, v: &Value) -> Option<Option<Val>> {
    let name = field.name();
    match (field, v) {
        (_, Value::Null) => Some(None),
        (Field::DurationSeconds, Value::Number(n)) => {
            Some(Some(Val::Num(key::canonical_number(n))))
        }
        (Field::DurationSeconds, _) => {
            issues.wrong_type(path, name, "a number or null", v);
            None
        }
        (Field::Analysis, Value::Object(map)) => {
            Some(Some(Val::Analysis(Box::new(analysis_of(map)))))
        }
        (Field::Analysis, _) => {
            issues.wrong_type(path, name, "an object or null", v);
            None
        }
        (Field::Transcript, Value::Array(items)) => {
            let mut messages = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(map) => messages.push(message_of(map)),
                    _ => {
                        ok = false;
                        issues.push(
                            IssueCode::WrongType,
                            child_index(path, i),
                            format!(
                                "each message of `transcript` must be an object, found {}",
                                describe(item)
                            ),
                        );
                    }
                }
            }
            ok.then_some(Some(Val::Messages(messages)))
        }
        (Field::Transcript, _) => {
            issues.wrong_type(path, name, "an array of messages or null", v);
            None
        }
        (_, Value::String(s)) => Some(Some(Val::Str(CompactString::new(s)))),
        (_, _) => {
            issues.wrong_type(path, name, "a string or null", v);
            None
        }
    }
}

/// A sorted set of event names (`events_seen`, `reconciled`).
fn read_events_seen(
    issues: &mut Issues,
    path: &str,
    member: &str,
    v: &Value,
) -> Option<BTreeSet<String>> {
    let Value::Array(items) = v else {
        issues.wrong_type(path, member, "an array of event names", v);
        return None;
    };
    let mut names = BTreeSet::new();
    let mut previous: Option<&str> = None;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let Value::String(name) = item else {
            ok = false;
            issues.push(
                IssueCode::WrongType,
                child_index(path, i),
                format!(
                    "each item of `{member}` must be a string, found {}",
                    describe(item)
                ),
            );
            continue;
        };
        if let Some(prev) = previous.filter(|prev| name.as_str() <= *prev) {
            ok = false;
            issues.push(
                IssueCode::InvalidValue,
                child_index(path, i),
                format!(
                    "`{member}` must be sorted by code point without repeats: {} comes after {}",
                    preview(name),
                    preview(prev)
                ),
            );
        }
        previous = Some(name);
        names.insert(name.clone());
    }
    ok.then_some(names)
}

fn read_sources(issues: &mut Issues, parts: &mut Parts, path: &str, v: &Value) {
    let Value::Object(map) = v else {
        issues.wrong_type(path, "sources", "an object", v);
        return;
    };
    parts.sources_read = true;
    for (name, key) in map {
        let at = child(path, name);
        let Some(field) = Field::from_name(name) else {
            issues.push(
                IssueCode::UnknownField,
                at,
                format!(
                    "`sources` names the fields that come from events; {} is not one of them",
                    preview(name)
                ),
            );
            continue;
        };
        let key = match key {
            Value::String(key) => Some(key.clone()),
            _ => {
                issues.wrong_type(
                    &at,
                    &format!("sources.{name}"),
                    "a dedupe key (a string)",
                    key,
                );
                None
            }
        };
        if let Some((slot, _)) = parts
            .sources
            .iter_mut()
            .zip(Field::ALL)
            .find(|(_, f)| *f == field)
        {
            *slot = Some(key);
        }
    }
}

/// The rules between members: a source for exactly the fields with a value, each the key of
/// an event of this call that supplies the field and that `events_seen` lists; `status` and
/// `transcript_final` as derived.
fn check_rules(issues: &mut Issues, parts: &Parts) {
    if let (Some(status), Some(seen), Some(snapshot)) =
        (parts.status, &parts.events_seen, parts.snapshot_status)
    {
        let derived = CallStatus::of(seen.iter().map(String::as_str)).max(snapshot);
        if status != derived {
            issues.push(
                IssueCode::InvalidValue,
                "/status",
                format!("`status` is {status}, but the events in `events_seen` and `snapshot_status` give {derived}"),
            );
        }
    }
    if let (Some(reconciled), Some(seen)) = (&parts.reconciled, &parts.events_seen) {
        if let Some(name) = reconciled.iter().find(|name| !seen.contains(*name)) {
            issues.push(
                IssueCode::InvalidValue,
                "/reconciled",
                format!(
                    "`reconciled` lists {}, but `events_seen` does not",
                    preview(name)
                ),
            );
        }
    }
    if !parts.sources_read {
        return;
    }
    let call_id = parts.call_id.as_deref();
    for ((value, source), field) in parts.values.iter().zip(&parts.sources).zip(Field::ALL) {
        let name = field.name();
        let at = child("/sources", name);
        match (value, source) {
            (Some(Some(_)), None) => issues.push(
                IssueCode::MissingField,
                at,
                format!("`{name}` has a value, so `sources` must give the dedupe key of the event it came from"),
            ),
            (Some(None), Some(Some(_))) => issues.push(
                IssueCode::InvalidValue,
                at,
                format!("`{name}` is null, so `sources` must not name an event for it"),
            ),
            (_, Some(Some(key))) => {
                let Some(call_id) = call_id else { continue };
                if *key == snapshot_key(call_id) {
                    continue;
                }
                let event = field
                    .sources()
                    .iter()
                    .map(|(event, _, _)| *event)
                    .find(|event| key::is_key_of(key, event, call_id));
                match event {
                    None => issues.push(
                        IssueCode::InvalidValue,
                        at,
                        format!(
                            "`sources.{name}` must be `snapshot:<call_id>` or the dedupe key of an event of call {} that supplies `{name}` ({}), found {}",
                            preview(call_id),
                            field
                                .sources()
                                .iter()
                                .map(|(event, _, _)| *event)
                                .collect::<Vec<_>>()
                                .join(", "),
                            preview(key)
                        ),
                    ),
                    Some(event) => {
                        if parts
                            .events_seen
                            .as_ref()
                            .is_some_and(|seen| !seen.contains(event))
                        {
                            issues.push(
                                IssueCode::InvalidValue,
                                at,
                                format!("`sources.{name}` names a {event} event, but `events_seen` does not list {event}"),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(flag) = parts.transcript_final {
        let from_final = parts
            .sources
            .last()
            .and_then(|s| s.as_ref()?.as_deref())
            .zip(call_id)
            .is_some_and(|(key, call_id)| key::is_key_of(key, "transcript.final", call_id));
        if flag != from_final {
            issues.push(
                IssueCode::InvalidValue,
                "/transcript_final",
                format!(
                    "`transcript_final` is {flag}, but the transcript's source {} a transcript.final event",
                    if from_final { "is" } else { "is not" }
                ),
            );
        }
    }
}

/// The record from parts read without any issue.
fn build(parts: Parts) -> Option<CallRecord> {
    let mut record = CallRecord::new(parts.call_id?);
    record.events_seen = parts.events_seen?.into_iter().collect();
    record.snapshot_status = parts.snapshot_status?;
    record.reconciled = parts.reconciled?;
    let snapshot = snapshot_key(&record.call_id);
    for (i, ((slot, (value, key)), field)) in record
        .slots
        .iter_mut()
        .zip(parts.values.into_iter().zip(parts.sources))
        .zip(Field::ALL)
        .enumerate()
    {
        let Some(value) = value? else { continue };
        let key = key??;
        let event_rank = if key == snapshot {
            0
        } else {
            field
                .sources()
                .iter()
                .find(|(event, _, _)| key::is_key_of(&key, event, &record.call_id))
                .map(|&(_, _, rank)| rank)?
        };
        let rank = field.rank(tier_of(&key), event_rank, &value);
        let mut values = Values::default();
        if let Some(v) = values.0.get_mut(i) {
            *v = Some(value);
        }
        *slot = Some(Slot {
            rank,
            key: key.into(),
            values: Arc::new(values),
            field: i,
        });
    }
    Some(record)
}

/// Map of the JSON form, for tests.
#[cfg(test)]
pub(super) fn to_map(record: &CallRecord) -> serde_json::Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_event;
    use serde_json::{json, Map};

    fn full() -> CallRecord {
        let mut r = CallRecord::new("c");
        for body in [
            r#"{"event":"call.started","call_id":"c","agent_id":"a","to_number":"+1","from_number":"+2","created_at":"t"}"#,
            r#"{"event":"call.ended","call_id":"c","duration_seconds":87,"outcome":"o","ai_summary":"s","analysis":{"summary":"x"}}"#,
            r#"{"event":"call.failed","call_id":"c","reason":"r"}"#,
            r#"{"event":"call.recording.available","call_id":"c","recording_url":"https://x"}"#,
            r#"{"event":"transcript.final","call_id":"c","messages":[{"role":"agent","content":"hi"}]}"#,
            r#"{"event":"call.transferred","call_id":"c"}"#,
        ] {
            r.apply(&parse_event(body.as_bytes()).unwrap());
        }
        r
    }

    fn codes(body: &Value) -> Vec<(String, String)> {
        let err = CallRecord::from_json(body.to_string().as_bytes()).unwrap_err();
        err.issues()
            .iter()
            .map(|i| {
                assert!(i.message.len() < 400, "{}", i.message);
                (i.code.as_str().to_owned(), i.path.clone())
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn round_trip() {
        let r = full();
        let text = r.to_json();
        assert_eq!(CallRecord::from_json(text.as_bytes()).unwrap(), r);
        let keys: Vec<String> = to_map(&r).keys().cloned().collect();
        assert_eq!(keys, MEMBERS);
        let empty = CallRecord::new("");
        assert_eq!(
            empty.to_json(),
            r#"{"call_id":"","status":"unknown","agent_id":null,"to_number":null,"from_number":null,"started_at":null,"duration_seconds":null,"outcome":null,"ai_summary":null,"analysis":null,"failure_reason":null,"recording_url":null,"transcript":null,"transcript_final":false,"events_seen":[],"sources":{}}"#
        );
        assert_eq!(
            CallRecord::from_json(empty.to_json().as_bytes()).unwrap(),
            empty
        );
        // Member order and whitespace are free; numbers and objects are made canonical.
        let mut v = to_map(&r);
        v["duration_seconds"] = json!(87.0);
        v["analysis"] = json!({"z": 1.0, "summary": "x"});
        let mut reversed: Map<String, Value> = Map::new();
        for (k, val) in v.iter().rev() {
            reversed.insert(k.clone(), val.clone());
        }
        let back = CallRecord::from_json(
            serde_json::to_string_pretty(&Value::Object(reversed))
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(back.duration_seconds(), r.duration_seconds());
        assert_eq!(back.analysis().unwrap().extra["z"], json!(1));
    }

    #[test]
    fn not_json_or_not_an_object() {
        let err = CallRecord::from_json(b"{").unwrap_err();
        assert_eq!(err.issues()[0].code, IssueCode::InvalidJson);
        let err = CallRecord::from_json(br#"{"call_id":"a","call_id":"b"}"#).unwrap_err();
        assert_eq!(err.issues()[0].code, IssueCode::DuplicateField);
        assert_eq!(codes(&json!([])), pairs(&[("not_an_object", "")]));
    }

    #[test]
    fn every_member_is_required() {
        let got = codes(&json!({}));
        let expected: Vec<(String, String)> = MEMBERS
            .iter()
            .map(|m| ("missing_field".to_owned(), format!("/{m}")))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn types_unknown_members_and_rules() {
        let mut v = to_map(&full());
        v["call_id"] = json!(5);
        v["status"] = json!("done");
        v["agent_id"] = json!(1);
        v["duration_seconds"] = json!("87");
        v["analysis"] = json!([]);
        v["transcript"] = json!([{}, 3]);
        v["transcript_final"] = json!("yes");
        v["events_seen"] = json!(["b", "a", 2]);
        v.insert("extra/member".into(), json!(1));
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[
                ("wrong_type", "/call_id"),
                ("invalid_value", "/status"),
                ("wrong_type", "/agent_id"),
                ("wrong_type", "/duration_seconds"),
                ("wrong_type", "/analysis"),
                ("wrong_type", "/transcript/1"),
                ("wrong_type", "/transcript_final"),
                ("invalid_value", "/events_seen/1"),
                ("wrong_type", "/events_seen/2"),
                ("unknown_field", "/extra~1member"),
            ])
        );
    }

    #[test]
    fn sources_must_match_values() {
        let r = full();
        let good = to_map(&r);

        let mut v = good.clone();
        v["sources"].as_object_mut().unwrap().remove("outcome");
        v["sources"]["status"] = json!("x");
        v["sources"]["agent_id"] = json!(7);
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[
                ("wrong_type", "/sources/agent_id"),
                ("unknown_field", "/sources/status"),
                ("missing_field", "/sources/outcome"),
            ])
        );

        let mut v = good.clone();
        v["outcome"] = Value::Null;
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[("invalid_value", "/sources/outcome")])
        );

        // A key of another event, another call, or a malformed key.
        let mut v = good.clone();
        let ended = r.source("duration_seconds").unwrap().to_owned();
        v["sources"]["agent_id"] = json!(ended.replace("call.ended", "call.analyzed"));
        v["sources"]["recording_url"] = json!(ended);
        v["sources"]["outcome"] = json!(ended.replace(":c:", ":d:"));
        v["sources"]["ai_summary"] = json!(format!("{ended}0"));
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[
                ("invalid_value", "/sources/agent_id"),
                ("invalid_value", "/sources/outcome"),
                ("invalid_value", "/sources/ai_summary"),
                ("invalid_value", "/sources/recording_url"),
            ])
        );

        // status and transcript_final are derived; sources must be in events_seen.
        let mut v = good.clone();
        v["status"] = json!("completed");
        v["transcript_final"] = json!(false);
        v["events_seen"] = json!([
            "call.ended",
            "call.failed",
            "call.recording.available",
            "call.transferred",
            "transcript.final"
        ]);
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[
                ("invalid_value", "/status"),
                ("invalid_value", "/sources/agent_id"),
                ("invalid_value", "/sources/to_number"),
                ("invalid_value", "/sources/from_number"),
                ("invalid_value", "/sources/started_at"),
                ("invalid_value", "/transcript_final"),
            ])
        );

        let mut v = good;
        v["sources"] = json!([]);
        assert_eq!(
            codes(&Value::Object(v)),
            pairs(&[("wrong_type", "/sources")])
        );
    }
}
