//! Runs every shared fixture in `tests/fixtures/send` as its own named case: the plan of the
//! `send` command's arguments (`SendArgs::plan`), each delivery and its `--dry-run` line, or the
//! usage error's issues; and, for a plan, that the typed `plan(&SendOptions)` gives the same.

mod common;

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::send::{plan, PlannedDelivery, SendArgs, SendOptions};
use serde_json::{json, Value};

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn args_of(fixture: &Value) -> SendArgs {
    let args = &fixture["args"];
    SendArgs {
        events: args["events"]
            .as_array()
            .map(|a| a.iter().filter_map(text).collect())
            .unwrap_or_default(),
        call_id: text(&args["call_id"]),
        seed: text(&args["seed"]),
        duplicates: text(&args["duplicates"]),
        shuffle: args["shuffle"].as_bool().unwrap_or(false),
    }
}

fn as_json(d: &PlannedDelivery) -> Value {
    json!({
        "event": d.event, "call_id": d.call_id, "msg_id": d.msg_id, "repeat": d.repeat,
        "line": d.line(),
    })
}

fn run(fixture: &Value, format: &jsonschema::Validator) -> Result<(), Failed> {
    if let Err(e) = format.validate(fixture) {
        return Err(format!("fixture does not match send/fixture.schema.json: {e}").into());
    }
    let args = args_of(fixture);
    let random_seed: u64 = fixture["random_seed"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .map_err(|e| format!("random_seed: {e}"))?;
    match (args.plan(random_seed), fixture.get("deliveries")) {
        (Ok(got), Some(expected)) => {
            let got_json = Value::Array(got.iter().map(as_json).collect());
            if &got_json != expected {
                return Err(format!("plan:\n  got      {got_json}\n  expected {expected}").into());
            }
            // The typed options give the same plan.
            let options = SendOptions {
                events: args.events.clone(),
                call_id: args.call_id.clone(),
                seed: args.seed.as_deref().map_or(Ok(random_seed), str::parse)?,
                duplicates: args.duplicates.as_deref().map_or(Ok(0), str::parse)?,
                shuffle: args.shuffle,
            };
            if plan(&options).map_err(|e| e.to_string())? != got {
                return Err("plan(&SendOptions) differs from SendArgs::plan".into());
            }
            Ok(())
        }
        (Err(e), None) => {
            let got: Vec<Value> = e
                .issues()
                .iter()
                .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
                .collect();
            if Value::Array(got.clone()) != fixture["issues"] {
                return Err(format!("issues {got:?}, expected {}", fixture["issues"]).into());
            }
            Ok(())
        }
        (Ok(got), None) => {
            Err(format!("expected a usage error, got a plan of {}", got.len()).into())
        }
        (Err(e), Some(_)) => Err(format!("expected a plan, got {e}").into()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = common::repo_root().join("tests/fixtures/send");
    let schema = common::read_json(&dir.join("fixture.schema.json"));
    let format = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .unwrap_or_else(|e| panic!("send/fixture.schema.json does not compile: {e}")),
    );
    let files: Vec<_> = common::json_files(&dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".schema.json"))
        .collect();
    let count = files.len();
    let mut trials = vec![Trial::test("send::every_fixture_is_collected", move || {
        if count >= 20 {
            Ok(())
        } else {
            Err(format!("only {count} send fixtures").into())
        }
    })];
    for path in files {
        let stem = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let format = Arc::clone(&format);
        trials.push(Trial::test(format!("send::{stem}"), move || {
            run(&common::read_json(&path), &format)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
