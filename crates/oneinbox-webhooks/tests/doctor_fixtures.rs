//! Runs every delivery-doctor fixture (`tests/fixtures/doctor/*.json`) as its own named test
//! case: the input through `diagnose_json`, the diagnosis compared with `expected` (its JSON
//! form) and `text` (the text rendering), or the issues compared with `error`.
//!
//! `DOCTOR_FIXTURES_WRITE=1` writes `expected` (and `text`, for a fixture that has one) from
//! the current output, for review before committing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::doctor::{diagnose_json, render_text, Diagnosis};
use serde_json::{json, Value};

fn input(fixture: &Value) -> Value {
    json!({
        "webhooks": fixture["webhooks"],
        "deliveries": fixture["deliveries"],
        "calls": fixture.get("calls").cloned().unwrap_or(Value::Null),
    })
}

fn run(fixture: &Value) -> Result<(), Failed> {
    let got = diagnose_json(input(fixture));
    if let Some(error) = fixture.get("error") {
        let issues = got.err().ok_or("expected issues, got a diagnosis")?;
        let issues: Vec<Value> = issues
            .issues()
            .iter()
            .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
            .collect();
        if Value::Array(issues.clone()) != *error {
            return Err(format!("issues {issues:?}, expected {error}").into());
        }
        return Ok(());
    }
    let diagnosis = got.map_err(|e| format!("diagnose_json: {e}"))?;
    let json = serde_json::to_value(&diagnosis).map_err(|e| e.to_string())?;
    if json != fixture["expected"] {
        return Err(format!(
            "diagnosis:\n  got      {json}\n  expected {}",
            fixture["expected"]
        )
        .into());
    }
    let back: Diagnosis =
        serde_json::from_value(fixture["expected"].clone()).map_err(|e| e.to_string())?;
    if back != diagnosis {
        return Err("the expected JSON does not read back as the same Diagnosis".into());
    }
    if json["healthy"] == true && diagnosis.causes.is_empty() {
        let text = render_text(&diagnosis);
        if !text.starts_with("OneInbox delivery doctor: healthy\n") {
            return Err(format!("a healthy diagnosis renders as {text:?}").into());
        }
    }
    if let Some(text) = fixture.get("text") {
        let got = render_text(&diagnosis);
        if Value::String(got.clone()) != *text {
            return Err(format!("text:\n{got}\nexpected:\n{}", text.as_str().unwrap_or("")).into());
        }
    }
    lacking_members_never_fail(fixture)?;
    let everything = format!("{json}{}", render_text(&diagnosis));
    for secret in ["whsec_", "tok_"] {
        if everything.contains(secret) {
            return Err(format!("the output shows a secret ({secret}…)").into());
        }
    }
    Ok(())
}

/// Real rows may lack any member: the input with any one member (but `id`) of any one of the
/// first [`MUTATED_ITEMS`] items of each list removed, or set to null, still gives a diagnosis
/// (every kind of row is among them; a 300-row recording would otherwise take minutes).
const MUTATED_ITEMS: usize = 40;

fn lacking_members_never_fail(fixture: &Value) -> Result<(), Failed> {
    let base = input(fixture);
    for list in ["webhooks", "deliveries", "calls"] {
        let Some(items) = base[list].as_array() else {
            continue;
        };
        for (i, item) in items.iter().enumerate().take(MUTATED_ITEMS) {
            let keys: Vec<&String> = item
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            for key in keys.into_iter().filter(|k| *k != "id") {
                for replace in [None, Some(Value::Null)] {
                    let mut changed = base.clone();
                    let object = changed[list][i].as_object_mut().unwrap();
                    match &replace {
                        None => {
                            object.shift_remove(key);
                        }
                        Some(v) => {
                            object.insert(key.clone(), v.clone());
                        }
                    }
                    if let Err(e) = diagnose_json(changed) {
                        return Err(format!("{list}/{i} without {key}: {e}").into());
                    }
                }
            }
        }
    }
    Ok(())
}

fn write_expected() {
    let dir = common::repo_root().join("tests/fixtures/doctor");
    for path in common::json_files(&dir) {
        if path.to_string_lossy().ends_with(".schema.json") {
            continue;
        }
        let mut fixture = common::read_json(&path);
        if fixture.get("error").is_some() {
            continue;
        }
        let d = diagnose_json(input(&fixture)).unwrap();
        fixture["expected"] = serde_json::to_value(&d).unwrap();
        if fixture.get("text").is_some() {
            fixture["text"] = Value::String(render_text(&d));
        }
        let text = serde_json::to_string_pretty(&fixture).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
}

fn main() {
    if std::env::var_os("DOCTOR_FIXTURES_WRITE").is_some() {
        write_expected();
    }
    common::run_fixture_folder("doctor", 20, run)
}
