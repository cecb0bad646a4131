//! Runs every shared fixture in `tests/fixtures/fake` as its own named case: a `FakeOneInbox`
//! made with the fixture's key and seed, then each step (a request and its exact answer, a
//! fault queued or refused, a delivery added, the state) in order.

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::fake::{FailOptions, FakeOneInbox, FakeResponse, RetryAfter};
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::UsageError;
use serde_json::{json, Map, Value};

/// The bytes of a `{json}` / `{text}` body, `None` without either.
fn body_of(spec: &Value) -> Option<Vec<u8>> {
    if let Some(v) = spec.get("json") {
        return Some(v.to_string().into_bytes());
    }
    spec.get("text")
        .and_then(Value::as_str)
        .map(|t| t.as_bytes().to_vec())
}

fn number(v: &Value, default: i64) -> HostNumber {
    match v {
        Value::Number(n) if n.is_i64() => HostNumber::Int(i128::from(n.as_i64().unwrap_or(0))),
        Value::Number(n) => HostNumber::Float(n.as_f64().unwrap_or(f64::NAN)),
        _ => HostNumber::Int(i128::from(default)),
    }
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or("").into(),
                        p[1].as_str().unwrap_or("").into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn answer_json(r: &Option<FakeResponse>, expected: &Value) -> Value {
    let Some(r) = r else { return Value::Null };
    let mut out = json!({ "status": r.status, "headers": r.headers });
    let text = String::from_utf8_lossy(&r.body).into_owned();
    if expected.get("json").is_some() {
        out["json"] = serde_json::from_str(&text).unwrap_or(Value::String(text));
    } else if expected.get("text").is_some() {
        out["text"] = Value::String(text);
    }
    out
}

fn issues_json(result: Result<(), UsageError>) -> Value {
    match result {
        Ok(()) => Value::Null,
        Err(e) => e
            .issues()
            .iter()
            .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
            .collect(),
    }
}

fn state_json(fake: &FakeOneInbox, expected: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for name in expected.keys() {
        let value = match name.as_str() {
            "webhooks" => Value::Array(fake.webhooks()),
            "calls" => Value::Array(fake.calls().to_vec()),
            "deliveries" => expected[name]
                .as_object()
                .map(|ids| {
                    ids.keys()
                        .map(|id| {
                            (
                                id.clone(),
                                fake.deliveries(id).map(<[Value]>::to_vec).into(),
                            )
                        })
                        .collect::<Map<_, _>>()
                        .into()
                })
                .unwrap_or_default(),
            _ => fake
                .requests()
                .iter()
                .map(|r| {
                    let body = r
                        .body
                        .as_ref()
                        .map(|b| String::from_utf8_lossy(b).into_owned());
                    json!({"method": r.method, "path": r.path, "query": r.query, "body": body,
                           "authorized": r.authorized})
                })
                .collect(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn run(fixture: &Value) -> Result<(), Failed> {
    let key = fixture["api_key"].as_str().unwrap_or("oi_sk_test_fake");
    let seed: u64 = fixture["seed"].as_str().unwrap_or("0").parse()?;
    let mut fake = FakeOneInbox::new(key, seed);
    let steps = fixture["steps"].as_array().cloned().unwrap_or_default();
    for (i, step) in steps.iter().enumerate() {
        let (got, expected) = if let Some(req) = step.get("request") {
            let body = body_of(req);
            let answer = fake.handle(
                req["method"].as_str().unwrap_or(""),
                req["target"].as_str().unwrap_or(""),
                &pairs(&req["headers"]),
                body.as_deref(),
                req["now"].as_i64().unwrap_or(0),
            );
            (
                answer_json(&answer, &step["response"]),
                step["response"].clone(),
            )
        } else if let Some(f) = step.get("fail_next") {
            let options = FailOptions {
                retry_after: match &f["retry_after"] {
                    Value::String(s) => Some(RetryAfter::Text(s.clone())),
                    Value::Number(n) => Some(RetryAfter::Seconds(n.as_f64().unwrap_or(0.0))),
                    _ => None,
                },
                body: body_of(f),
                processed: f["processed"].as_bool().unwrap_or(false),
            };
            let result = fake.fail_next(number(&f["status"], 0), number(&f["times"], 1), options);
            (
                issues_json(result),
                step.get("issues").cloned().unwrap_or(Value::Null),
            )
        } else if let Some(d) = step.get("disconnect_next") {
            let processed = d["processed"].as_bool().unwrap_or(false);
            let result = fake.disconnect_next(number(&d["times"], 1), processed);
            (
                issues_json(result),
                step.get("issues").cloned().unwrap_or(Value::Null),
            )
        } else if let Some(a) = step.get("add_delivery") {
            let fields = a["fields"].as_object().cloned().unwrap_or_default();
            let record = fake.add_delivery(
                a["webhook_id"].as_str().unwrap_or(""),
                fields,
                a["now"].as_i64().unwrap_or(0),
            );
            (record.unwrap_or(Value::Null), step["record"].clone())
        } else {
            let expected = step["state"].as_object().cloned().unwrap_or_default();
            (state_json(&fake, &expected), Value::Object(expected))
        };
        if got != expected {
            return Err(format!("step {i}:\n  got      {got}\n  expected {expected}").into());
        }
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("fake", 20, run)
}
