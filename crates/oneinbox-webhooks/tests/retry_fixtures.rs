//! Runs every shared fixture in `tests/fixtures/retry` as its own named case: the retry
//! driver's step (`Prepared::next_step`) after one failed attempt.

mod common;

use std::time::{Duration, SystemTime};

use libtest_mimic::Failed;
use oneinbox_webhooks::management::{
    retry_after, AnyPrepared, Api, CreateCall, CreateWebhook, GiveUp, Outcome, Step,
};
use serde_json::{json, Value};

const KEY: &str = "oi_sk_test_abc123";

fn build(call: &str) -> Result<AnyPrepared, Failed> {
    let api = Api::new(KEY).map_err(|e| e.to_string())?;
    let prepared: AnyPrepared = match call {
        "list_webhooks" => api.list_webhooks().map(Into::into),
        "test_webhook" => api.test_webhook("wh_abc123").map(Into::into),
        "delete_webhook" => api.delete_webhook("wh_abc123").map(Into::into),
        "create_webhook" => api
            .create_webhook(&CreateWebhook {
                name: "Call events".into(),
                url: "https://example.com/h".into(),
                events: vec!["call.ended".into()],
            })
            .map(Into::into),
        "create_call" => api
            .create_call(&CreateCall {
                agent_id: "agt_abc123".into(),
                to_number: "+919876543210".into(),
                from_number: "+15739693824".into(),
                ..CreateCall::default()
            })
            .map(Into::into),
        other => return Err(format!("unknown call {other:?}").into()),
    }
    .map_err(|e| e.to_string())?;
    Ok(prepared)
}

fn int(v: &Value, key: &str) -> Result<u64, Failed> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{key} must be a whole number").into())
}

fn step_json(step: &Step) -> Value {
    match step {
        Step::Retry { wait } => json!({ "wait": wait.as_millis() as f64 / 1000.0 }),
        Step::GiveUp(GiveUp { retryable, message }) => {
            json!({ "give_up": { "retryable": retryable, "message": message } })
        }
    }
}

fn run(fixture: &Value) -> Result<(), Failed> {
    let prepared = build(fixture["call"].as_str().unwrap_or_default())?;
    let attempt = u32::try_from(int(fixture, "attempt")?)?;
    let max_retries = u32::try_from(int(fixture, "max_retries")?)?;
    let draw = fixture["draw"].as_f64().ok_or("draw must be a number")?;
    let outcome = &fixture["outcome"];
    let headers: Vec<(String, String)>;
    let step = if let Some(status) = outcome.get("status") {
        headers = outcome["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap_or_default().to_owned(),
                    pair[1].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(int(outcome, "now")?);
        let outcome = Outcome::Status {
            status: u16::try_from(status.as_u64().ok_or("status")?)?,
            retry_after: retry_after(&headers, now),
        };
        prepared.next_step(attempt, max_retries, outcome, draw)
    } else {
        let cause = outcome["cause"].as_str().unwrap_or_default();
        let outcome = match outcome["failure"].as_str() {
            Some("not_connected") => Outcome::NotConnected { cause },
            _ => Outcome::Lost { cause },
        };
        prepared.next_step(attempt, max_retries, outcome, draw)
    };
    let got = step_json(&step);
    if got != fixture["expect"] {
        return Err(format!("expected {}, got {got}", fixture["expect"]).into());
    }
    // A message never holds the API key.
    if got.to_string().contains(KEY) {
        return Err("the step's message holds the API key".into());
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("retry", 20, run)
}
