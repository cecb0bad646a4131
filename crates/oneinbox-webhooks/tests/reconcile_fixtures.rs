//! Runs every shared fixture in `tests/fixtures/reconcile` as its own named case: the policy
//! (or its usage error), whether the record is open and overdue, the events a snapshot
//! synthesizes (each body parsed back, its dedupe key the fixture's), the record after the
//! snapshot and those events, and which later deliveries it covers.

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile::{is_open, synthesize, ReconcilePolicy};
use oneinbox_webhooks::{dedupe_key, parse_event, CallRecord, Event, UsageError};
use serde_json::{json, Value};

fn event(body: &Value) -> Result<Event, Failed> {
    parse_event(body.to_string().as_bytes()).map_err(|e| format!("{body}: {e}").into())
}

fn issues(err: &UsageError) -> Value {
    err.issues()
        .iter()
        .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
        .collect()
}

fn same(what: &str, got: &Value, expected: &Value) -> Result<(), Failed> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {got}").into())
    }
}

fn run(f: &Value) -> Result<(), Failed> {
    let policy = match f.get("policy") {
        Some(p) => ReconcilePolicy::from_json(p),
        None => Ok(ReconcilePolicy::default()),
    };
    let policy = match (policy, f.get("policy_issues")) {
        (Err(e), Some(expected)) => return same("policy issues", &issues(&e), expected),
        (Ok(_), Some(_)) => return Err("the policy was accepted".into()),
        (Err(e), None) => return Err(format!("policy: {e}").into()),
        (Ok(p), None) => p,
    };
    let mut record = CallRecord::new(f["call_id"].as_str().unwrap_or_default());
    for body in f["events"].as_array().into_iter().flatten() {
        record.apply(&event(body)?);
    }
    let changed_at = f["changed_at"].as_i64().ok_or("changed_at")?;
    let now = f["now"].as_i64().ok_or("now")?;
    same("open", &json!(is_open(&record)), &f["open"])?;
    let overdue = policy.overdue(&record, changed_at, now).map_or(
        Value::Null,
        |o| json!({"reason": o.reason.as_str(), "missing": o.missing, "quiet_ms": o.quiet_ms}),
    );
    same("overdue", &overdue, &f["overdue"])?;
    let Some(call) = f.get("call") else {
        return Ok(());
    };
    let call = Call::from_json(call.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let synthesized = match (synthesize(&record, &call), f.get("synthesize_issues")) {
        (Err(e), Some(expected)) => return same("synthesize issues", &issues(&e), expected),
        (Ok(_), Some(_)) => return Err("synthesize accepted the snapshot".into()),
        (Err(e), None) => return Err(format!("synthesize: {e}").into()),
        (Ok(s), None) => s,
    };
    let mut got = Vec::new();
    let mut events = Vec::new();
    for s in &synthesized {
        let body: Value = serde_json::from_str(&s.body)?;
        let e = event(&body)?;
        same("dedupe key", &json!(dedupe_key(&e)), &json!(s.key))?;
        events.push(e);
        got.push(json!({"event": s.event, "key": s.key, "body": body}));
    }
    same("synthesized", &Value::Array(got), &f["synthesized"])?;
    record.apply_call(&call);
    for e in &events {
        record.apply(e);
    }
    let after = json!({
        "status": record.status().as_str(),
        "snapshot_status": record.snapshot_status().as_str(),
        "reconciled": record.reconciled(),
        "missing": policy.missing(&record),
        "settled": policy.settled(&record, changed_at, now),
        "open": is_open(&record),
        "outcome": record.outcome(),
    });
    same("after", &after, &f["after"])?;
    // The record still reads back from its JSON form.
    same(
        "round trip",
        &json!(
            CallRecord::from_json(record.to_json().as_bytes()).map_err(|e| e.to_string())?
                == record
        ),
        &json!(true),
    )?;
    for late in f
        .get("late")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let e = event(&late["body"])?;
        let covered = record.covers(e.name(), &dedupe_key(&e));
        same(
            &format!("covers {}", e.name()),
            &json!(covered),
            &late["covered"],
        )?;
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("reconcile", 20, run)
}
