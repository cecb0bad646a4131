//! Property tests of `CallRecord` and `dedupe_key` over generated sets of small events: the
//! record is a join-semilattice (apply commutative, idempotent and associative; merge equal to
//! the record of the union), `changed` tells the truth, the JSON form round-trips, and the
//! dedupe key ignores spelling (member order, whitespace, `87` against `87.0`), and the key and
//! record made from a body in one pass are those of the event parsed from it.
//!
//! Snapshots (`Call`s folded with `apply_call`) and events synthesized by reconciliation
//! (`"reconciled": true`, whose key names no content) are interleaved with the events: the laws
//! hold for them too, and no snapshot moves the status backwards.
//!
//! 14,000 cases in all (5,000 + 5,000 + 2,000 + 2,000); the values come from small pools so that
//! events collide and conflict often.

use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::{
    dedupe_key, parse_event, Analysis, CallAnalyzed, CallEnded, CallFailed, CallRecordingAvailable,
    CallStarted, Event, Message, TranscriptFinal, TranscriptPartial, UnknownEvent,
};
use oneinbox_webhooks::{Applied, CallRecord, CallStatus, KeyedEvent, ParseOptions, Role};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{json, Map, Number, Value};

const CALL: &str = "call_1";

fn config(cases: u32) -> Config {
    Config {
        cases,
        // No regression files written into the source tree; a failure prints its input.
        failure_persistence: None,
        ..Config::default()
    }
}

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = Option<String>> + Clone {
    prop::option::of(select(pool).prop_map(String::from))
}

fn number() -> impl Strategy<Value = Option<Number>> + Clone {
    prop_oneof![
        Just(None),
        Just(Some(Number::from(87))),
        // The same value spelt as a float: the same content.
        Just(Number::from_f64(87.0)),
        Just(Some(Number::from(12))),
        Just(Number::from_f64(12.5)),
    ]
}

fn extra() -> impl Strategy<Value = Map<String, Value>> + Clone {
    prop_oneof![
        3 => Just(Map::new()),
        1 => Just(json!({"attempt": 1}).as_object().cloned().unwrap_or_default()),
        1 => Just(json!({"attempt": 1.0, "meta": {"b": true, "a": [1, "x"]}}).as_object().cloned().unwrap_or_default()),
        1 => Just(json!({"meta": {"a": [1, "x"], "b": true}, "attempt": 2}).as_object().cloned().unwrap_or_default()),
    ]
}

fn messages() -> impl Strategy<Value = Vec<Message>> {
    prop::collection::vec(
        (
            pick(&["agent", "user", "system"]),
            pick(&["Hi!", "Book a demo.", "Done."]),
            extra(),
        )
            .prop_map(|(role, content, extra)| Message {
                role: role.map(Role::from),
                content,
                extra,
            }),
        0..4,
    )
}

fn analysis() -> impl Strategy<Value = Option<Analysis>> {
    prop::option::of(
        (
            pick(&["Demo booked.", "No answer."]),
            pick(&["Booked"]),
            extra(),
        )
            .prop_map(|(summary, outcome, extra)| Analysis {
                summary,
                outcome,
                extracted_data: None,
                extra,
            }),
    )
}

/// One small event: mostly of `call_1`, sometimes of another call; any of the seven events
/// or an unknown one; each field from a pool of two or three values, or absent.
fn event() -> impl Strategy<Value = Event> {
    let call = prop_oneof![9 => Just(CALL.to_owned()), 1 => Just("call_2".to_owned())];
    let agent = pick(&["agt_1", "agt_2"]);
    let numbers = (pick(&["+15550001"]), pick(&["+15550002", "+15550003"]));
    let texts = (
        pick(&["Appointment Booked", "Voicemail"]),
        pick(&["Summary A", "Summary B"]),
        pick(&["no-answer", "busy"]),
    );
    (
        (0u8..8, prop::bool::weighted(0.2)),
        call,
        agent,
        numbers,
        texts,
        number(),
        analysis(),
        messages(),
        extra(),
        pick(&["2026-06-01T10:00:00Z", "2026-06-01T10:00:05Z"]),
        pick(&["https://r/1.mp3", "https://r/2.mp3"]),
    )
        .prop_map(
            |(
                (kind, reconciled),
                call_id,
                agent_id,
                (to_number, from_number),
                (outcome, ai_summary, reason),
                duration_seconds,
                analysis,
                messages,
                extra,
                created_at,
                recording_url,
            )| {
                // As a reconciler synthesizes it: one key per call and event.
                let reconciled = reconciled.then_some(true);
                match kind {
                    0 => Event::CallStarted(CallStarted {
                        call_id,
                        agent_id,
                        to_number,
                        from_number,
                        created_at,
                        extra,
                        reconciled,
                    }),
                    1 => Event::CallEnded(CallEnded {
                        call_id,
                        agent_id,
                        status: Some("completed".into()),
                        duration_seconds,
                        to_number,
                        from_number,
                        outcome,
                        ai_summary,
                        analysis,
                        extra,
                        reconciled,
                    }),
                    2 => Event::CallAnalyzed(CallAnalyzed {
                        call_id,
                        agent_id,
                        outcome,
                        ai_summary,
                        extra,
                        reconciled,
                    }),
                    3 => Event::CallFailed(CallFailed {
                        call_id,
                        agent_id,
                        to_number,
                        from_number,
                        reason,
                        extra,
                        reconciled,
                    }),
                    4 => Event::CallRecordingAvailable(CallRecordingAvailable {
                        call_id,
                        recording_url,
                        extra,
                        reconciled,
                    }),
                    5 => Event::TranscriptPartial(TranscriptPartial {
                        call_id,
                        messages,
                        extra,
                        reconciled,
                    }),
                    6 => Event::TranscriptFinal(TranscriptFinal {
                        call_id,
                        messages,
                        extra,
                        reconciled,
                    }),
                    _ => {
                        let mut payload = Map::new();
                        payload.insert("event".into(), "call.transferred".into());
                        payload.insert("call_id".into(), call_id.clone().into());
                        if let Some(a) = agent_id {
                            payload.insert("agent_id".into(), a.into());
                        }
                        payload.extend(extra);
                        Event::Unknown(UnknownEvent {
                            event: "call.transferred".into(),
                            call_id,
                            payload,
                        })
                    }
                }
            },
        )
}

/// What a record folds: a delivered (or synthesized) event, or a snapshot of the call.
#[derive(Debug, Clone)]
enum Item {
    Event(Box<Event>),
    Snapshot(Box<Call>),
}

impl Item {
    fn call_id(&self) -> &str {
        match self {
            Item::Event(e) => e.call_id(),
            Item::Snapshot(c) => &c.id,
        }
    }

    fn apply_to(&self, record: &mut CallRecord) -> Applied {
        match self {
            Item::Event(e) => record.apply(e),
            Item::Snapshot(c) => record.apply_call(c),
        }
    }
}

/// One small snapshot, from the same pools as the events.
fn snapshot() -> impl Strategy<Value = Call> {
    let call = prop_oneof![9 => Just(CALL.to_owned()), 1 => Just("call_2".to_owned())];
    (
        call,
        pick(&["queued", "in_progress", "completed", "failed"]),
        (
            pick(&["agt_1", "agt_2"]),
            pick(&["+15550001"]),
            pick(&["+15550002"]),
        ),
        (
            pick(&["Appointment Booked", "Voicemail"]),
            pick(&["Summary A", "Summary C"]),
        ),
        (
            number(),
            pick(&["https://r/1.mp3", "https://r/3.mp3"]),
            pick(&["2026-06-01T10:00:00Z"]),
        ),
        (
            pick(&["busy", "api_stop"]),
            prop::bool::ANY,
            prop::bool::ANY,
        ),
    )
        .prop_map(
            |(
                id,
                status,
                (agent, to, from),
                (outcome, summary),
                (duration, recording, started),
                (end_reason, with_messages, with_analysis),
            )| {
                let mut v = Map::new();
                v.insert("id".into(), id.into());
                for (k, val) in [
                    ("status", status),
                    ("agent_id", agent),
                    ("to_number", to),
                    ("from_number", from),
                    ("outcome", outcome),
                    ("ai_summary", summary),
                    ("recording_url", recording),
                    ("started_at", started),
                    ("end_reason", end_reason),
                ] {
                    if let Some(val) = val {
                        v.insert(k.into(), val.into());
                    }
                }
                if let Some(d) = duration {
                    v.insert("duration_seconds".into(), Value::Number(d));
                }
                if with_messages {
                    v.insert(
                        "messages".into(),
                        json!([{"role": "agent", "content": "Hi!"}]),
                    );
                }
                if with_analysis {
                    v.insert(
                        "analysis".into(),
                        json!({"outcome": "Booked", "summary": "Demo."}),
                    );
                }
                Call::from_json(Value::Object(v).to_string().as_bytes()).expect("a call")
            },
        )
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![4 => event().prop_map(|e| Item::Event(Box::new(e))), 1 => snapshot().prop_map(|c| Item::Snapshot(Box::new(c)))]
}

fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> CallRecord {
    let mut record = CallRecord::new(CALL);
    for e in events {
        record.apply(e);
    }
    record
}

fn fold_items<'a>(items: impl IntoIterator<Item = &'a Item>) -> CallRecord {
    let mut record = CallRecord::new(CALL);
    for item in items {
        item.apply_to(&mut record);
    }
    record
}

fn merged(a: &CallRecord, b: &CallRecord) -> CallRecord {
    let mut out = a.clone();
    out.merge(b).expect("same call");
    out
}

/// A list of events and snapshots and a shuffle of it.
fn events_and_shuffle() -> impl Strategy<Value = (Vec<Item>, Vec<Item>)> {
    prop::collection::vec(item(), 0..8).prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
}

proptest! {
    #![proptest_config(config(5_000))]

    /// apply is commutative (any order), idempotent (repeats change nothing) and `changed`
    /// is true exactly when the record changed; the JSON form round-trips.
    #[test]
    fn order_and_repeats_do_not_matter((events, shuffled) in events_and_shuffle()) {
        let record = fold_items(&events);
        prop_assert_eq!(&fold_items(&shuffled), &record);
        prop_assert_eq!(&fold_items(events.iter().chain(&shuffled)), &record);

        let mut step = CallRecord::new(CALL);
        for e in &events {
            let before = step.clone();
            let applied = e.apply_to(&mut step);
            prop_assert_eq!(applied.changed, before != step);
            // Nothing, a snapshot included, moves the call backwards.
            prop_assert!(step.status() >= before.status());
            prop_assert_eq!(applied.ignored.is_some(), e.call_id() != CALL);
            if applied.ignored.is_some() {
                prop_assert_eq!(&before, &step);
            }
        }
        for e in &shuffled {
            prop_assert!(!e.apply_to(&mut step).changed);
        }
        prop_assert_eq!(&step, &record);

        let text = record.to_json();
        let back = CallRecord::from_json(text.as_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&record), "{}", text);
        // status is derived from the events seen and the snapshots' statuses.
        let seen = |n: &str| events.iter().any(|e| matches!(e, Item::Event(e) if e.call_id() == CALL && e.name() == n));
        let snapshots = events
            .iter()
            .filter_map(|e| match e {
                Item::Snapshot(c) if c.id == CALL => c.status.as_deref().map(CallStatus::of_snapshot),
                _ => None,
            })
            .fold(CallStatus::Unknown, CallStatus::max);
        let expected = if seen("call.failed") {
            CallStatus::Failed
        } else if seen("call.ended") {
            CallStatus::Completed
        } else if seen("call.started") {
            CallStatus::InProgress
        } else {
            CallStatus::Unknown
        };
        prop_assert_eq!(record.status(), expected.max(snapshots));
    }
}

proptest! {
    #![proptest_config(config(5_000))]

    /// merge is commutative, associative and idempotent, and merging the records of the parts
    /// of an event list (in any split) gives the record of the whole list.
    #[test]
    fn merge_equals_the_union(
        events in prop::collection::vec(item(), 0..9),
        i in 0usize..10,
        j in 0usize..10,
    ) {
        let n = events.len();
        let (i, j) = (i.min(j).min(n), i.max(j).min(n));
        let whole = fold_items(&events);
        let a = fold_items(&events[..i]);
        let b = fold_items(&events[i..j]);
        let c = fold_items(&events[j..]);

        prop_assert_eq!(&merged(&a, &b), &fold_items(&events[..j]));
        prop_assert_eq!(&merged(&a, &b), &merged(&b, &a));
        prop_assert_eq!(&merged(&merged(&a, &b), &c), &whole);
        prop_assert_eq!(&merged(&a, &merged(&b, &c)), &whole);
        prop_assert_eq!(&merged(&c, &merged(&a, &b)), &whole);
        prop_assert_eq!(&merged(&whole, &a), &whole);
        prop_assert_eq!(&merged(&a, &a), &a);

        // `changed` of merge tells the truth.
        let mut x = a.clone();
        let changed = x.merge(&c).expect("same call");
        prop_assert_eq!(changed, x != a);

        // A record read back from its JSON form merges the same.
        let b_again = CallRecord::from_json(b.to_json().as_bytes()).expect("round trip");
        prop_assert_eq!(&merged(&merged(&a, &b_again), &c), &whole);

        // Applying the rest of the events to a merged record also gives the whole.
        let mut rest = merged(&a, &c);
        for e in &events[i..j] {
            e.apply_to(&mut rest);
        }
        prop_assert_eq!(&rest, &whole);
    }
}

/// `v` with every object's members in reverse order and every whole number written as a
/// float (`87` becomes `87.0`).
fn respell(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), respell(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(respell).collect()),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() < (1 << 53) => Number::from_f64(i as f64)
                .map(Value::Number)
                .unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    /// The dedupe key and the record do not depend on member order, whitespace or number
    /// spelling: the same event written differently has the same key and changes nothing.
    #[test]
    fn spelling_does_not_matter(e in event()) {
        let key = dedupe_key(&e);
        let prefix = format!("{}:{}:", e.name(), e.call_id());
        prop_assert!(key.starts_with(&prefix));
        let wire: Value = serde_json::from_slice(&e.to_json()).expect("json");
        let respelt = respell(&wire);
        let pretty = serde_json::to_string_pretty(&respelt).expect("json");
        let again = parse_event(pretty.as_bytes()).expect("parses");
        prop_assert_eq!(&dedupe_key(&again), &key);
        let mut record = fold([&e]);
        prop_assert!(!record.apply(&again).changed);
        prop_assert_eq!(&record, &fold([&again]));
    }
}

/// An unknown member's name: sorted by UTF-16 code units, which differ from bytes and code
/// points for these (an escape, a name that is a prefix of another, two scripts, a surrogate
/// pair against a character above it), and names that documented members have.
fn awkward_name() -> impl Strategy<Value = String> {
    select(
        &[
            "a",
            "ab",
            "B",
            "z",
            "a\n",
            "\"q",
            "\u{e9}",
            "\u{fb33}",
            "\u{1f600}",
            "\u{1}",
            "summary",
            "outcome",
            "role",
            "event",
            "call_id",
        ][..],
    )
    .prop_map(String::from)
}

/// Any JSON value, a few levels deep, with awkward names and numbers spelt as floats.
fn awkward_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        Just(json!(1.5)),
        Just(json!(1e21)),
        Just(json!(-0.0)),
        Just(json!(u64::MAX)),
        select(&["", "x", "a\"b", "\u{1f600}", "\t"][..]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((awkward_name(), inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Adds `extra` to the wire object `wire` (and to its `analysis` object and first message,
/// when it has them), for members it does not have.
fn with_unknown(wire: &mut Value, extra: &[(String, Value)]) {
    let put = |v: &mut Value| {
        if let Value::Object(map) = v {
            for (k, x) in extra {
                map.entry(k.clone()).or_insert_with(|| x.clone());
            }
        }
    };
    if let Some(analysis) = wire.get_mut("analysis") {
        put(analysis);
    }
    if let Some(first) = wire.get_mut("messages").and_then(|m| m.get_mut(0)) {
        put(first);
    }
    put(wire);
}

proptest! {
    #![proptest_config(config(2_000))]

    /// The key and record a store makes from a body in one pass (`ParseOptions::dedupe_key`,
    /// `KeyedEvent::parse`, no event made) are those of the event `parse_event` makes of it,
    /// whatever unknown members, names and numbers it holds, in either mode.
    #[test]
    fn the_key_from_the_body_is_the_key_of_its_event(
        e in event(),
        extra in prop::collection::vec((awkward_name(), awkward_value()), 0..4),
        strict in any::<bool>(),
    ) {
        let mut wire: Value = serde_json::from_slice(&e.to_json()).expect("json");
        with_unknown(&mut wire, &extra);
        let body = serde_json::to_string_pretty(&respell(&wire)).expect("json");
        let opts = ParseOptions { strict, ..ParseOptions::default() };
        match opts.parse(body.as_bytes()) {
            Ok(event) => {
                let key = dedupe_key(&event);
                prop_assert_eq!(opts.dedupe_key(body.as_bytes()), Ok(key.clone()));
                let keyed = KeyedEvent::parse(&opts, body.as_bytes()).expect("parses");
                prop_assert_eq!(keyed.key(), key.as_str());
                let mut from_body = CallRecord::new(event.call_id());
                let mut from_event = from_body.clone();
                prop_assert_eq!(from_body.apply_keyed(&keyed), from_event.apply(&event));
                prop_assert_eq!(from_body.to_json(), from_event.to_json());
                prop_assert_eq!(from_body, from_event);
            }
            Err(err) => {
                prop_assert_eq!(opts.dedupe_key(body.as_bytes()), Err(err.clone()));
                prop_assert_eq!(KeyedEvent::parse(&opts, body.as_bytes()).err(), Some(err));
            }
        }
    }
}

#[test]
fn any_change_of_content_changes_the_key() {
    let base = parse_event(br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x","extracted_data":{"n":[1,2]}}}"#).unwrap();
    let key = dedupe_key(&base);
    let changed = [
        &br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87.5,"analysis":{"summary":"x","extracted_data":{"n":[1,2]}}}"#[..],
        br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x ","extracted_data":{"n":[1,2]}}}"#,
        br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x","extracted_data":{"n":[2,1]}}}"#,
        br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x","extracted_data":{"n":[1,2],"m":null}}}"#,
        br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x","extracted_data":{"n":[1,"2"]}}}"#,
        br#"{"event":"call.analyzed","call_id":"call_1","duration_seconds":87,"analysis":{"summary":"x","extracted_data":{"n":[1,2]}}}"#,
    ];
    for body in changed {
        assert_ne!(dedupe_key(&parse_event(body).unwrap()), key);
    }
}
