//! Runs every shared fixture in `tests/fixtures/refusals` as its own named case: one
//! `RefusalLog` (the case's `burst` and `window_ms`, or the default), each step's refusal
//! admitted at its `now_ms`, and the lines to log compared with the step's `logged`.

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::answer::{Log, LogLevel, RefusalLog};
use serde_json::{json, Value};

fn run(f: &Value) -> Result<(), Failed> {
    let mut limit = match (f.get("burst"), f.get("window_ms")) {
        (None, None) => RefusalLog::default(),
        (burst, window) => RefusalLog::new(
            burst.and_then(Value::as_u64).unwrap_or(10) as u32,
            window.and_then(Value::as_u64).unwrap_or(60_000),
        ),
    };
    let steps = f["steps"].as_array().ok_or("`steps` is not an array")?;
    for (i, step) in steps.iter().enumerate() {
        let level = step.get("level").and_then(Value::as_str).unwrap_or("warn");
        let level = LogLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == level)
            .ok_or("unknown level")?;
        let log = Log {
            level,
            line: step["line"].as_str().ok_or("`line`")?.to_owned(),
        };
        let reason = step["reason"].as_str().ok_or("`reason`")?;
        let now = step["now_ms"].as_u64().ok_or("`now_ms`")?;
        let got: Vec<Value> = limit
            .admit(reason, &log, now)
            .iter()
            .map(|l| json!({"level": l.level.as_str(), "line": l.line}))
            .collect();
        if Value::Array(got.clone()) != step["logged"] {
            return Err(format!(
                "step {i}\n  got:      {}\n  expected: {}",
                Value::Array(got),
                step["logged"]
            )
            .into());
        }
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("refusals", 20, run)
}
