//! `CallRecord` and `dedupe_key` never panic, and keep their laws on any input. The input is
//! read two ways: as a record's JSON form (`from_json` must reject it or read a record that
//! writes itself back unchanged), and as event bodies separated by 0x1E bytes, each parsed in
//! lenient mode: folding the events that parse in reverse order, or in two halves merged,
//! gives the same record as folding them in order, and that record round-trips through JSON;
//! the key made from a body in one pass is the key of the event parsed from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oneinbox_webhooks::{dedupe_key, CallRecord, Event, ParseOptions};

fn fold<'a>(call_id: &str, events: impl IntoIterator<Item = &'a Event>) -> CallRecord {
    let mut record = CallRecord::new(call_id);
    for e in events {
        record.apply(e);
    }
    record
}

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = CallRecord::from_json(data) {
        let text = record.to_json();
        let again = CallRecord::from_json(text.as_bytes()).expect("to_json reads back");
        assert_eq!(again, record, "from_json(to_json()) changed the record");
        let mut merged = record.clone();
        assert_eq!(
            merged.merge(&record),
            Ok(false),
            "merging a record into itself changed it"
        );
    }

    let opts = ParseOptions {
        max_depth: 16,
        ..ParseOptions::default()
    };
    let bodies: Vec<&[u8]> = data
        .split(|&b| b == 0x1e)
        .filter(|body| opts.parse(body).is_ok())
        .collect();
    let events: Vec<Event> = bodies.iter().filter_map(|b| opts.parse(b).ok()).collect();
    let Some(first) = events.first() else { return };
    let call_id = first.call_id().to_owned();
    for (e, body) in events.iter().zip(&bodies) {
        let key = dedupe_key(e);
        assert!(
            key.len() > 64 && key.starts_with(e.name()),
            "malformed key {key}"
        );
        // The key a store makes from the body in one pass is the key of its event.
        assert_eq!(
            opts.dedupe_key(body).as_deref(),
            Ok(key.as_str()),
            "the key of the body differs"
        );
    }
    let record = fold(&call_id, &events);
    assert_eq!(
        fold(&call_id, events.iter().rev()),
        record,
        "apply is not commutative"
    );
    assert_eq!(
        fold(&call_id, events.iter().chain(&events)),
        record,
        "apply is not idempotent"
    );
    let half = events.len() / 2;
    let mut merged = fold(&call_id, &events[..half]);
    merged
        .merge(&fold(&call_id, &events[half..]))
        .expect("same call");
    assert_eq!(merged, record, "merge is not the union");
    let again = CallRecord::from_json(record.to_json().as_bytes()).expect("to_json reads back");
    assert_eq!(again, record, "the record does not round-trip");
});
