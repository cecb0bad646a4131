//! Runs every shared fixture in `tests/fixtures/play` as its own named case: a `FakeOneInbox`
//! made with the fixture's seed, then each step (a request, faults, an outage, a call played,
//! the outbox's next due time, the attempts taken, an outcome reported, a simulated receiver
//! settling everything, the state) in order.
//!
//! `PLAY_FIXTURES_BLESS=1` writes what each step gives into the fixture instead of comparing
//! (for writing a new case; review the result against the rules before committing it).

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::fake::{FakeOneInbox, Faults, Outcome, PlayCall};
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::UsageError;
use serde_json::{json, Map, Value};

fn issues_json<T>(result: &Result<T, UsageError>) -> Value {
    match result {
        Ok(_) => Value::Null,
        Err(e) => e
            .issues()
            .iter()
            .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
            .collect(),
    }
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn outcome(spec: &Value) -> Result<Outcome, UsageError> {
    let status = spec.get("status").and_then(Value::as_i64);
    Outcome::from_parts(
        status.map(|s| HostNumber::Int(i128::from(s))),
        text(spec, "body"),
        text(spec, "error"),
    )
}

/// The first answer rule matching `url` at `now`, else 200.
fn answer(rules: &Value, url: &str, now: i64) -> Value {
    rules
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            let prefix = r["url_prefix"].as_str().unwrap_or("");
            url.starts_with(prefix) && r["until"].as_i64().map_or(true, |u| now < u)
        })
        .cloned()
        .unwrap_or_else(|| json!({"status": 200}))
}

fn settle(fake: &mut FakeOneInbox, spec: &Value) -> Result<Value, Failed> {
    let mut now = spec["from"].as_i64().unwrap_or(0);
    let timestamp = spec["timestamp"].as_i64().unwrap_or(0);
    let mut sent = Vec::new();
    for _ in 0..100_000 {
        let Some(due) = fake.next_due() else {
            return Ok(json!({"sent": sent, "now": now}));
        };
        now = now.max(due);
        for out in fake.take_due(now, timestamp) {
            let body: Value = serde_json::from_slice(&out.body)?;
            sent.push(format!(
                "{} {}",
                body["event"].as_str().unwrap_or(""),
                out.url
            ));
            let spec = answer(&spec["answers"], &out.url, now);
            fake.report(&out.attempt_id, outcome(&spec)?, now)?;
        }
    }
    Err("settle did not end".into())
}

fn state(fake: &FakeOneInbox, expected: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (name, wanted) in expected {
        let ids = wanted.as_object().cloned().unwrap_or_default();
        let value = match name.as_str() {
            "calls" => ids
                .iter()
                .map(|(id, members)| {
                    let call = fake.calls().iter().find(|c| c["id"] == id.as_str());
                    let picked: Map<String, Value> = members
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(m, _)| (m.clone(), call.map_or(Value::Null, |c| c[m].clone())))
                        .collect();
                    (id.clone(), Value::Object(picked))
                })
                .collect::<Map<_, _>>()
                .into(),
            "deliveries" => ids
                .keys()
                .map(|id| {
                    (
                        id.clone(),
                        fake.deliveries(id).map(<[Value]>::to_vec).into(),
                    )
                })
                .collect::<Map<_, _>>()
                .into(),
            "call_deliveries" => ids
                .keys()
                .map(|id| (id.clone(), fake.deliveries_for_call(id).into()))
                .collect::<Map<_, _>>()
                .into(),
            _ => fake.in_flight().into(),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// What a step gives, under the name of its expectation.
fn step(fake: &mut FakeOneInbox, step: &Value) -> Result<(&'static str, Value), Failed> {
    if let Some(req) = step.get("request") {
        let body = req.get("json").map(|v| v.to_string().into_bytes());
        let auth = [(
            "authorization".to_owned(),
            "Bearer oi_sk_test_fake".to_owned(),
        )];
        let answer = fake.handle(
            req["method"].as_str().unwrap_or(""),
            req["target"].as_str().unwrap_or(""),
            &auth,
            body.as_deref(),
            req["now"].as_i64().unwrap_or(0),
        );
        let got = answer.map(|a| {
            let body: Value = serde_json::from_slice(&a.body).unwrap_or(Value::Null);
            json!({"status": a.status, "id": body.get("id")})
        });
        return Ok(("response", got.unwrap_or(Value::Null)));
    }
    if let Some(w) = step.get("add_webhook") {
        let events: Vec<String> = w["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_owned))
            .collect();
        let result = fake.add_webhook(
            w["name"].as_str().unwrap_or(""),
            w["url"].as_str().unwrap_or(""),
            &events,
            w["now"].as_i64().unwrap_or(0),
        );
        return Ok(match result {
            Ok(hook) => ("webhook_id", hook["id"].clone()),
            Err(_) => ("issues", issues_json(&result)),
        });
    }
    if let Some(f) = step.get("faults") {
        let number = |n: &str| f[n].as_f64().unwrap_or(0.0);
        let faults = Faults {
            drop: number("drop"),
            duplicate: number("duplicate"),
            shuffle: number("shuffle"),
            delay: number("delay"),
            max_delay_ms: f["max_delay_ms"].as_u64().unwrap_or(0),
        };
        return Ok(("issues", issues_json(&fake.set_faults(faults))));
    }
    if let Some(s) = step.get("signing_secret") {
        let result = fake.set_signing_secret(s.as_str().map(str::to_owned));
        return Ok(("issues", issues_json(&result)));
    }
    if let Some(o) = step.get("outage") {
        let prefix = o["url_prefix"].as_str().unwrap_or("");
        let result = fake.add_outage(
            prefix,
            o["from"].as_i64().unwrap_or(0),
            o["until"].as_i64().unwrap_or(0),
        );
        return Ok(("issues", issues_json(&result)));
    }
    if let Some(p) = step.get("play_call") {
        let spec = PlayCall {
            agent_id: text(p, "agent_id"),
            to_number: text(p, "to_number"),
            from_number: text(p, "from_number"),
            webhook_url: text(p, "webhook_url"),
            failure: text(p, "failure"),
        };
        let result = fake.play_call(&spec, p["now"].as_i64().unwrap_or(0));
        return Ok(match result {
            Ok(call) => ("call_id", call["id"].clone()),
            Err(_) => ("issues", issues_json(&result)),
        });
    }
    if step.get("next_due").is_some() {
        return Ok(("next_due", fake.next_due().into()));
    }
    if let Some(t) = step.get("take_due") {
        let now = t["now"].as_i64().unwrap_or(0);
        let outgoing: Vec<Value> = fake
            .take_due(now, t["timestamp"].as_i64().unwrap_or(0))
            .into_iter()
            .map(|o| {
                let body: Value = serde_json::from_slice(&o.body).unwrap_or(Value::Null);
                json!({"attempt_id": o.attempt_id, "url": o.url, "headers": o.headers, "json": body})
            })
            .collect();
        return Ok(("outgoing", outgoing.into()));
    }
    if let Some(r) = step.get("report") {
        let id = r["attempt_id"].as_str().unwrap_or("");
        let result = outcome(r).and_then(|o| fake.report(id, o, r["now"].as_i64().unwrap_or(0)));
        return Ok(("issues", issues_json(&result)));
    }
    if let Some(s) = step.get("settle") {
        return Ok(("settled", settle(fake, s)?));
    }
    let expected = step["state"].as_object().cloned().unwrap_or_default();
    Ok(("state", state(fake, &expected)))
}

fn run(fixture: &Value) -> Result<(), Failed> {
    let seed: u64 = fixture["seed"].as_str().unwrap_or("0").parse()?;
    let mut fake = FakeOneInbox::new("oi_sk_test_fake", seed);
    let bless = std::env::var_os("PLAY_FIXTURES_BLESS").is_some();
    let mut blessed = fixture.clone();
    let steps = fixture["steps"].as_array().cloned().unwrap_or_default();
    for (i, s) in steps.iter().enumerate() {
        let (name, got) = step(&mut fake, s)?;
        if bless {
            let kept = if name == "state" {
                s["state"].clone()
            } else {
                got.clone()
            };
            if name == "state" {
                blessed["steps"][i]["state"] = state(&fake, kept.as_object().unwrap());
            } else if name == "issues" && got.is_null() {
                blessed["steps"][i]
                    .as_object_mut()
                    .unwrap()
                    .remove("issues");
            } else {
                blessed["steps"][i][name] = got;
            }
            continue;
        }
        let expected = s.get(name).cloned().unwrap_or(Value::Null);
        if got != expected {
            return Err(format!("step {i}:\n  got      {got}\n  expected {expected}").into());
        }
    }
    if bless {
        let dir = common::repo_root().join("tests/fixtures/play");
        for path in common::json_files(&dir) {
            if common::read_json(&path)["description"] == fixture["description"] {
                let text = serde_json::to_string_pretty(&blessed)? + "\n";
                std::fs::write(&path, text)?;
            }
        }
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("play", 20, run)
}
