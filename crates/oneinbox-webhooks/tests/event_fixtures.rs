//! Runs every shared fixture in `tests/fixtures/events` as its own named case: the lenient
//! and strict verdicts, an insta snapshot of each error report, the round trip of every
//! accepted event, and the strict verdict of the JSON Schemas in `schemas/events`.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::build::{self, BuildError, ValueBuilder};
use oneinbox_webhooks::{Event, IssueCode, ParseOptions, ValidationError};
use serde_json::{json, Value};

/// Codes that a JSON Schema cannot express (they concern bytes, limits or duplicate keys, not
/// the document), so fixtures with them are left out of the schema cross-check.
const NOT_IN_SCHEMA: [&str; 4] = ["invalid_json", "too_large", "too_deep", "duplicate_field"];

fn variant(event: &Event) -> &'static str {
    match event {
        Event::CallStarted(_) => "CallStarted",
        Event::CallEnded(_) => "CallEnded",
        Event::CallAnalyzed(_) => "CallAnalyzed",
        Event::CallFailed(_) => "CallFailed",
        Event::CallRecordingAvailable(_) => "CallRecordingAvailable",
        Event::TranscriptPartial(_) => "TranscriptPartial",
        Event::TranscriptFinal(_) => "TranscriptFinal",
        Event::Unknown(_) => "UnknownEvent",
    }
}

fn verdict(result: &Result<Event, ValidationError>) -> Value {
    match result {
        Ok(event) => json!({ "variant": variant(event) }),
        Err(err) => json!({
            "issues": err
                .issues()
                .iter()
                .map(|i| json!({ "code": i.code.as_str(), "path": i.path }))
                .collect::<Vec<_>>()
        }),
    }
}

/// Whether some object of the event has members the contract does not list, or the event
/// is unknown: what `validate_unlisted` must say of it.
fn has_unlisted(event: &Event) -> bool {
    let messages = |m: &[oneinbox_webhooks::Message]| m.iter().any(|m| !m.extra.is_empty());
    !event.extra().is_empty()
        || matches!(event, Event::Unknown(_))
        || match event {
            Event::CallEnded(e) => e.analysis.as_ref().is_some_and(|a| !a.extra.is_empty()),
            Event::TranscriptPartial(e) => messages(&e.messages),
            Event::TranscriptFinal(e) => messages(&e.messages),
            _ => false,
        }
}

fn options(fixture: &Value, strict: bool) -> ParseOptions {
    let mut opts = ParseOptions {
        strict,
        ..ParseOptions::default()
    };
    if let Some(o) = fixture.get("options") {
        if let Some(n) = o.get("max_body_bytes").and_then(Value::as_u64) {
            opts.max_body_bytes = n as usize;
        }
        if let Some(n) = o.get("max_depth").and_then(Value::as_u64) {
            opts.max_depth = n as usize;
        }
    }
    opts
}

fn run(
    stem: &str,
    fixture: &Value,
    schema: &jsonschema::Validator,
    format: &jsonschema::Validator,
) -> Result<(), Failed> {
    if let Err(e) = format.validate(fixture) {
        return Err(format!("fixture does not match fixture.schema.json: {e}").into());
    }
    let body = common::fixture_body(fixture);
    for mode in ["lenient", "strict"] {
        let opts = options(fixture, mode == "strict");
        let result = opts.parse(&body);
        // The validation-only entry point gives the same verdict and the same issues.
        let checked = opts.validate(&body);
        if checked.as_ref().err() != result.as_ref().err() {
            return Err(format!("{mode}: validate() disagrees with parse(): {checked:?}").into());
        }
        // `validate_unlisted` too, and its flag says whether the parsed event has `extra`
        // somewhere (the event, its analysis, a message), or is unknown.
        let unlisted = opts.validate_unlisted(&body);
        if unlisted.as_ref().err() != result.as_ref().err() {
            return Err(format!(
                "{mode}: validate_unlisted() disagrees with parse(): {unlisted:?}"
            )
            .into());
        }
        if let (Ok(flag), Ok(event)) = (&unlisted, &result) {
            if *flag != has_unlisted(event) {
                return Err(
                    format!("{mode}: validate_unlisted() says {flag} for {event:?}").into(),
                );
            }
            if *flag && mode == "strict" {
                return Err("strict: validate_unlisted() says true".into());
            }
        }
        // A builder gets the same verdict, and builds what `parse` parsed: the same value
        // whether the fast pass built it or the parsed event was walked, and the same as the
        // event's own serialization.
        let built = opts.parse_with(&body, &mut ValueBuilder);
        match (&result, built) {
            (Ok(event), Ok(value)) => {
                // Compared as text, so that member order counts too.
                let Ok(walked) = build::event(event, &mut ValueBuilder);
                let (value, walked) = (value.to_string(), walked.to_string());
                let written = String::from_utf8_lossy(&event.to_json()).into_owned();
                if value != walked || value != written {
                    return Err(format!(
                        "{mode}: parse_with built {value}\nwalking the event gives {walked}\nto_json gives {written}"
                    )
                    .into());
                }
                // The same builder methods on both paths (an integer is an `i64` whenever it
                // fits, a float an `f64`, ...), not only the same values.
                let Ok(tagged) = opts.parse_with(&body, &mut common::TagBuilder) else {
                    return Err(format!("{mode}: parse_with(TagBuilder) failed").into());
                };
                let Ok(walked) = build::event(event, &mut common::TagBuilder);
                if tagged != walked {
                    return Err(
                        format!("{mode}: builder calls differ: {tagged}\nwalk: {walked}").into(),
                    );
                }
            }
            (Err(expected), Err(BuildError::Invalid(got))) if *expected == got => {}
            (_, built) => {
                return Err(format!("{mode}: parse_with disagrees with parse(): {built:?}").into())
            }
        }
        let got = verdict(&result);
        if got != fixture[mode] {
            return Err(format!(
                "{mode}: expected {}, got {got}\nreport: {result:?}",
                fixture[mode]
            )
            .into());
        }
        match &result {
            Ok(event) => {
                // parse -> serialize -> parse gives an equal event (unknown members included).
                let again = opts.parse(&event.to_json());
                if again.as_ref() != Ok(event) {
                    return Err(format!("{mode}: round trip changed the event: {again:?}").into());
                }
            }
            Err(err) => {
                let report = err.to_string();
                let name = format!("{stem}.{mode}");
                std::panic::catch_unwind(|| {
                    insta::assert_snapshot!(name, report);
                })
                .map_err(|_| Failed::from(format!("{mode}: snapshot mismatch")))?;
                for issue in err.issues() {
                    if issue.message.chars().count() > 400 {
                        return Err(format!("{mode}: message too long: {}", issue.message).into());
                    }
                }
            }
        }
    }
    // The schema's verdict equals strict mode's, where a schema can say anything.
    let strict_codes: Vec<&str> = fixture["strict"]["issues"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
        .unwrap_or_default();
    let schema_applies =
        fixture.get("options").is_none() && !strict_codes.iter().any(|c| NOT_IN_SCHEMA.contains(c));
    if schema_applies {
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("body should be JSON for the schema check: {e}"))?;
        let schema_ok = schema.is_valid(&doc);
        let strict_ok = fixture["strict"].get("variant").is_some();
        if schema_ok != strict_ok {
            let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
            return Err(format!(
                "schema says valid={schema_ok}, strict mode says valid={strict_ok}; schema errors: {errors:?}"
            )
            .into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = common::repo_root();
    let dir = root.join("tests/fixtures/events");
    let schema = Arc::new(common::schema_validator(
        &root.join("schemas/events"),
        "event.schema.json",
    ));
    let format = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&common::read_json(
                &root.join("tests/fixtures/fixture.schema.json"),
            ))
            .expect("fixture.schema.json compiles"),
    );
    let files = common::json_files(&dir);
    let mut trials = Vec::new();
    let mut codes = BTreeSet::new();
    for file in &files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name")
            .to_owned();
        let fixture = common::read_json(file);
        for mode in ["lenient", "strict"] {
            for issue in fixture[mode]["issues"].as_array().into_iter().flatten() {
                codes.insert(issue["code"].as_str().unwrap_or("").to_owned());
            }
        }
        let (schema, format) = (Arc::clone(&schema), Arc::clone(&format));
        trials.push(Trial::test(format!("events::{stem}"), move || {
            run(&stem, &fixture, &schema, &format)
        }));
    }
    let count = files.len();
    trials.push(Trial::test("events::coverage", move || {
        if count < 80 {
            return Err(format!("only {count} event fixtures; at least 80 expected").into());
        }
        let missing: Vec<&str> = IssueCode::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !codes.contains(*c))
            .collect();
        if !missing.is_empty() {
            return Err(format!("no fixture covers {missing:?}").into());
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
