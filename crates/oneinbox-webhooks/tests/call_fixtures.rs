//! Runs every shared fixture in `tests/fixtures/calls` as its own named case: the dedupe key
//! of each delivery, what `apply` reports in the listed order, the final record (its exact
//! JSON text), `schemas/call-record.schema.json` over it, and that every order, repetition
//! and merge split of the deliveries gives the same record.

mod common;

use std::sync::OnceLock;

use libtest_mimic::Failed;
use oneinbox_webhooks::{dedupe_key, parse_event, CallRecord, Event};
use serde_json::Value;

/// Deliveries up to this many are tried in every order; longer lists in [`SHUFFLES`] orders.
const ALL_ORDERS_UP_TO: usize = 6;
const SHUFFLES: usize = 300;

/// The body bytes of one delivery (see tests/fixtures/README.md).
fn delivery_body(delivery: &Value) -> Vec<u8> {
    if let Some(path) = delivery.get("fixture").and_then(Value::as_str) {
        let fixture = common::read_json(&common::repo_root().join("tests/fixtures").join(path));
        common::fixture_body(&fixture)
    } else {
        common::fixture_body(delivery)
    }
}

fn fold<'a>(call_id: &str, events: impl IntoIterator<Item = &'a Event>) -> CallRecord {
    let mut record = CallRecord::new(call_id);
    for e in events {
        record.apply(e);
    }
    record
}

fn merged(a: &CallRecord, b: &CallRecord) -> Result<CallRecord, Failed> {
    let mut out = a.clone();
    out.merge(b).map_err(|e| format!("merge: {e}"))?;
    Ok(out)
}

/// A small deterministic generator for the shuffles (xorshift64).
struct Shuffler(u64);

impl Shuffler {
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            items.swap(i, (self.0 % (i as u64 + 1)) as usize);
        }
    }
}

/// Every permutation of `0..n` (Heap's algorithm).
fn permutations(n: usize) -> Vec<Vec<usize>> {
    fn heap(k: usize, a: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if k <= 1 {
            out.push(a.clone());
            return;
        }
        for i in 0..k {
            heap(k - 1, a, out);
            let j = if k % 2 == 0 { i } else { 0 };
            a.swap(j, k - 1);
        }
    }
    let mut out = Vec::new();
    heap(n, &mut (0..n).collect(), &mut out);
    out
}

/// `schemas/call-record.schema.json`, which every final record must satisfy.
fn records() -> &'static jsonschema::Validator {
    static RECORDS: OnceLock<jsonschema::Validator> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let path = common::repo_root().join("schemas/call-record.schema.json");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&common::read_json(&path))
            .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
    })
}

fn run(fixture: &Value) -> Result<(), Failed> {
    let records = records();
    let call_id = fixture["call_id"].as_str().ok_or("call_id")?;
    let deliveries = fixture["deliveries"].as_array().ok_or("deliveries")?;
    let applied = fixture["applied"].as_array().ok_or("applied")?;
    if applied.len() != deliveries.len() {
        return Err("`applied` must have one item per delivery".into());
    }
    let mut events = Vec::new();
    for (i, d) in deliveries.iter().enumerate() {
        let event = parse_event(&delivery_body(d)).map_err(|e| format!("delivery {i}: {e}"))?;
        events.push(event);
    }

    // In the listed order: each key and what apply reports.
    let mut record = CallRecord::new(call_id);
    for (i, (event, expected)) in events.iter().zip(applied).enumerate() {
        let key = dedupe_key(event);
        if key != expected["key"] {
            return Err(format!("delivery {i}: key {key}, expected {}", expected["key"]).into());
        }
        let got = record.apply(event);
        if got.changed != expected["changed"] || got.ignored.is_some() != expected["ignored"] {
            return Err(format!("delivery {i}: apply gave {got:?}, expected {expected}").into());
        }
    }
    let text = record.to_json();
    let expected = serde_json::to_string(&fixture["record"]).map_err(|e| e.to_string())?;
    if text != expected {
        return Err(format!("record:\n  got      {text}\n  expected {expected}").into());
    }
    if let Err(e) =
        records.validate(&serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())?)
    {
        return Err(format!("the record does not match call-record.schema.json: {e}").into());
    }
    let back = CallRecord::from_json(text.as_bytes()).map_err(|e| format!("from_json: {e}"))?;
    if back != record {
        return Err("from_json(to_json()) differs from the record".into());
    }

    // Every order (or many), every delivery twice.
    let n = events.len();
    let orders = if n <= ALL_ORDERS_UP_TO {
        permutations(n)
    } else {
        let mut rng = Shuffler(0x9e37_79b9_7f4a_7c15);
        let mut orders = vec![(0..n).rev().collect::<Vec<_>>()];
        for _ in 0..SHUFFLES {
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            orders.push(order);
        }
        orders
    };
    for order in &orders {
        let got = fold(call_id, order.iter().map(|&i| &events[i]));
        if got != record {
            return Err(format!("order {order:?} gives {}", got.to_json()).into());
        }
    }
    let twice = fold(call_id, events.iter().chain(events.iter().rev()));
    if twice != record {
        return Err("applying every delivery twice changes the record".into());
    }

    // Every split into two parts (and three), merged in either order, from their JSON forms too.
    for k in 0..=n {
        let a = fold(call_id, &events[..k]);
        let b = fold(call_id, &events[k..]);
        let a_json = CallRecord::from_json(a.to_json().as_bytes()).map_err(|e| e.to_string())?;
        for got in [merged(&a, &b)?, merged(&b, &a)?, merged(&b, &a_json)?] {
            if got != record {
                return Err(format!("merging the split at {k} gives {}", got.to_json()).into());
            }
        }
        for j in k..=n {
            let (x, y, z) = (
                fold(call_id, &events[..k]),
                fold(call_id, &events[k..j]),
                fold(call_id, &events[j..]),
            );
            if merged(&merged(&x, &y)?, &z)? != record || merged(&x, &merged(&y, &z)?)? != record {
                return Err(format!("merging the split at {k}, {j} is not associative").into());
            }
        }
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("calls", 16, run)
}
