//! JSONTestSuite (the 318 parser cases, read in place from
//! `tests/corpora/JSONTestSuite/test_parsing`) through `parse_event`, lenient and strict:
//! `n_` files are `invalid_json` (or `too_deep`/`too_large` where that is the cause), `y_`
//! files are valid JSON but not events (never accepted), `i_` files get a deterministic
//! verdict. Each `i_string_*`/`y_string_*` value is also embedded as a message's `content`.
//! Every file is also embedded as a member value of an unknown event, and on every body the
//! fast pass (`validate`, `parse_with`) must agree with `parse`: same issues, same value.
//!
//! Every verdict is pinned in `tests/fixtures/json-test-suite/expected.json`, which the Python
//! and Node suites check too (one verdict in every language). Regenerate it after a reviewed
//! change with `ONEINBOX_UPDATE_EXPECTED=1 cargo test --test json_test_suite`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::build::{self, BuildError, ValueBuilder};
use oneinbox_webhooks::{IssueCode, ParseOptions};
use serde_json::{json, Value};

fn verdict(body: &[u8], strict: bool) -> Value {
    let opts = ParseOptions {
        strict,
        ..ParseOptions::default()
    };
    match opts.parse(body) {
        Ok(e) => json!({ "accepted": e.name() }),
        Err(err) => Value::Array(
            err.issues()
                .iter()
                .map(|i| json!({ "code": i.code.as_str(), "path": i.path }))
                .collect(),
        ),
    }
}

/// `validate` and `parse_with` (the fast pass, with the full parser behind it) give `parse`'s
/// verdict and issues, and `parse_with` builds what walking the parsed event builds.
fn fast_pass_agrees(body: &[u8]) -> Result<(), Failed> {
    for strict in [false, true] {
        let opts = ParseOptions {
            strict,
            ..ParseOptions::default()
        };
        let parsed = opts.parse(body);
        if opts.validate(body).as_ref().err() != parsed.as_ref().err() {
            return Err(format!("validate and parse disagree (strict: {strict})").into());
        }
        match (&parsed, opts.parse_with(body, &mut ValueBuilder)) {
            (Ok(event), Ok(value)) => {
                let Ok(walked) = build::event(event, &mut ValueBuilder);
                // Compared as text: member order counts too.
                if serde_json::to_vec(&value).ok() != serde_json::to_vec(&walked).ok() {
                    return Err(format!("parse_with built {value}, the walk {walked}").into());
                }
            }
            (Err(e), Err(BuildError::Invalid(got))) if &got == e => {}
            (_, built) => {
                return Err(format!("parse_with and parse disagree: {built:?}").into());
            }
        }
    }
    Ok(())
}

/// Any JSON text as the value of a member of an unknown event (the fast pass reads it with
/// the rest of the event in lenient mode).
fn embed_as_member(file: &[u8]) -> Vec<u8> {
    let mut body = br#"{"event":"call.unknown","call_id":"call_1","value":"#.to_vec();
    body.extend_from_slice(file);
    body.extend_from_slice(b"}");
    body
}

/// The raw JSON text of the single string in an `i_string_*`/`y_string_*` file, embedded as
/// a message's content in an otherwise valid `transcript.final`.
pub fn embed(file: &[u8]) -> Vec<u8> {
    let trimmed = file.trim_ascii();
    let inner = match (trimmed.first(), trimmed.last()) {
        (Some(b'['), Some(b']')) => &trimmed[1..trimmed.len() - 1],
        _ => trimmed,
    };
    let mut body =
        br#"{"event":"transcript.final","call_id":"call_1","messages":[{"role":"user","content":"#
            .to_vec();
    body.extend_from_slice(inner);
    body.extend_from_slice(b"}]}");
    body
}

fn check_rule(name: &str, lenient: &Value, strict: &Value) -> Result<(), Failed> {
    for v in [lenient, strict] {
        let codes: Vec<&str> = v
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
            .unwrap_or_default();
        let invalid_json = IssueCode::InvalidJson.as_str();
        if name.starts_with("n_")
            && !(codes == [invalid_json] || codes == ["too_deep"] || codes == ["too_large"])
        {
            return Err(format!("{name}: an n_ file must be invalid_json, got {v}").into());
        }
        if name.starts_with("y_") && (v.get("accepted").is_some() || codes.contains(&invalid_json))
        {
            return Err(format!("{name}: a y_ file is valid JSON but no event, got {v}").into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = common::repo_root();
    let corpus = root.join("tests/corpora/JSONTestSuite/test_parsing");
    let expected_path: PathBuf = root.join("tests/fixtures/json-test-suite/expected.json");
    let update = std::env::var_os("ONEINBOX_UPDATE_EXPECTED").is_some();
    let expected: Arc<Value> = Arc::new(if update {
        json!({})
    } else {
        common::read_json(&expected_path)
    });
    let mut cases: Vec<(String, Vec<u8>, bool)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("the JSONTestSuite corpus is in tests/corpora")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    for path in &names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_owned();
        let bytes = std::fs::read(path).expect("readable");
        if name.starts_with("i_string_") || name.starts_with("y_string_") {
            cases.push((format!("embedded:{name}"), embed(&bytes), false));
        }
        cases.push((name, bytes, true));
    }
    let count = names.len();
    let recorded = Arc::new(Mutex::new(BTreeMap::new()));
    let mut trials = Vec::new();
    for (name, body, rule) in cases {
        let expected = Arc::clone(&expected);
        let recorded = Arc::clone(&recorded);
        trials.push(Trial::test(format!("json_test_suite::{name}"), move || {
            let lenient = verdict(&body, false);
            let strict = verdict(&body, true);
            if verdict(&body, false) != lenient {
                return Err("lenient verdict is not deterministic".into());
            }
            if rule {
                check_rule(&name, &lenient, &strict)?;
                fast_pass_agrees(&embed_as_member(&body))?;
            }
            fast_pass_agrees(&body)?;
            let got = json!({ "lenient": lenient, "strict": strict });
            if update {
                recorded
                    .lock()
                    .map_err(|_| "poisoned")?
                    .insert(name.clone(), got);
                return Ok(());
            }
            if expected.get(&name) != Some(&got) {
                return Err(format!(
                    "verdict changed: expected {:?}, got {got}",
                    expected.get(&name)
                )
                .into());
            }
            Ok(())
        }));
    }
    trials.push(Trial::test("json_test_suite::corpus_complete", move || {
        if count != 318 {
            return Err(format!("expected the 318 JSONTestSuite files, found {count}").into());
        }
        Ok(())
    }));
    let conclusion = libtest_mimic::run(&args, trials);
    if update {
        let map = recorded.lock().map(|m| m.clone()).unwrap_or_default();
        let text = serde_json::to_string_pretty(&map).expect("serializes") + "\n";
        std::fs::write(&expected_path, text).expect("writes expected.json");
    }
    conclusion.exit();
}
