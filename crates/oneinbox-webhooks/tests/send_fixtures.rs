//! Runs every shared fixture in `tests/fixtures/send` as its own named case: the plan of the
//! `send` command's arguments (`SendArgs::plan`), each delivery and its `--dry-run` line, or the
//! usage error's issues; and, for a plan, that the typed `plan(&SendOptions)` gives the same.

mod common;

use libtest_mimic::Failed;
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

fn run(fixture: &Value) -> Result<(), Failed> {
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
    common::run_fixture_folder("send", 20, run)
}
