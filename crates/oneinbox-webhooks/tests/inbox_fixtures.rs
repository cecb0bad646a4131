//! Runs every shared fixture in `tests/fixtures/inbox` as its own named case: the inbox's
//! state machine (`Policy::step`) over a sequence of steps, or a policy from host arguments.

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::inbox::{Input, Policy, Row, State, Verdict};
use serde_json::{json, Value};

fn row_from(v: &Value) -> Result<Option<Row>, Failed> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(Row {
        state: v["state"].as_str().unwrap_or_default().parse::<State>()?,
        attempts: u32::try_from(v["attempts"].as_u64().ok_or("attempts")?)?,
        due_at: v["due_at"].as_i64(),
        last_error: v["last_error"].as_str().map(str::to_owned),
        updated_at: v["updated_at"].as_i64().ok_or("updated_at")?,
    }))
}

fn row_json(row: Option<&Row>) -> Value {
    row.map_or(Value::Null, |row| {
        json!({
            "state": row.state.as_str(),
            "attempts": row.attempts,
            "due_at": row.due_at,
            "last_error": row.last_error,
            "updated_at": row.updated_at,
        })
    })
}

fn verdict_json(verdict: Verdict) -> Value {
    match verdict {
        Verdict::Run { attempt } => json!({ "kind": "run", "attempt": attempt }),
        Verdict::Busy { retry_after_ms } => {
            json!({ "kind": "busy", "retry_after_ms": retry_after_ms })
        }
        Verdict::Failed { due_at } => json!({ "kind": "failed", "due_at": due_at }),
        other => json!({ "kind": other.name() }),
    }
}

fn host(v: &Value) -> Result<HostNumber, Failed> {
    Ok(match v {
        Value::String(s) if s == "NaN" => HostNumber::Float(f64::NAN),
        Value::String(s) if s == "Infinity" => HostNumber::Float(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => HostNumber::Float(f64::NEG_INFINITY),
        v if v.is_i64() => HostNumber::Int(i128::from(v.as_i64().ok_or("int")?)),
        v => HostNumber::Float(v.as_f64().ok_or("not a number")?),
    })
}

fn same(got: &Value, expected: &Value, what: &str) -> Result<(), Failed> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {got}").into())
    }
}

fn run(fixture: &Value) -> Result<(), Failed> {
    if let Some(args) = fixture.get("host_policy") {
        let names = (
            args["names"][0].as_str().unwrap_or_default(),
            args["names"][1].as_str().unwrap_or_default(),
        );
        let got =
            match Policy::from_host(host(&args["lease"])?, host(&args["max_attempts"])?, names) {
                Ok(p) => json!({ "lease_ms": p.lease_ms(), "max_attempts": p.max_attempts() }),
                Err(e) => json!({ "issues": e.issues().iter().map(|i| json!({
                "code": i.code.as_str(), "path": i.path, "message": i.message,
            })).collect::<Vec<_>>() }),
            };
        return same(&got, &fixture["expect"], "policy");
    }
    let policy = match fixture.get("policy") {
        Some(p) => Policy::new(
            p["lease_ms"].as_u64().ok_or("lease_ms")?,
            u32::try_from(p["max_attempts"].as_u64().ok_or("max_attempts")?)?,
        )?,
        None => Policy::default(),
    };
    let mut row = row_from(&fixture["row"])?;
    for (i, step) in fixture["steps"]
        .as_array()
        .ok_or("steps")?
        .iter()
        .enumerate()
    {
        let input = &step["input"];
        let attempt = || -> Result<u32, Failed> {
            Ok(u32::try_from(input["attempt"].as_u64().ok_or("attempt")?)?)
        };
        let input = match input["kind"].as_str().unwrap_or_default() {
            "arrive" => Input::Arrive,
            "covered" => Input::Covered,
            "claim" => Input::Claim,
            "replay" => Input::Replay,
            "finish" => Input::Finish {
                attempt: attempt()?,
                error: input["error"].as_str(),
            },
            "release" => Input::Release {
                attempt: attempt()?,
                reason: input["reason"].as_str().ok_or("reason")?,
            },
            other => return Err(format!("unknown input {other:?}").into()),
        };
        let now = step["now"].as_i64().ok_or("now")?;
        let result = policy.step(row.as_ref(), &input, now);
        let write = result.row.is_some();
        if let Some(next) = result.row {
            row = Some(next);
        }
        let got = json!({
            "verdict": verdict_json(result.verdict),
            "write": write,
            "row": row_json(row.as_ref()),
        });
        same(&got, &step["expect"], &format!("step {i}"))?;
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("inbox", 20, run);
}
