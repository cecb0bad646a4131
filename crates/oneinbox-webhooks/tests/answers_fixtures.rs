//! Runs every shared fixture in `tests/fixtures/answers` as its own named case: the steps of
//! the `answer` module in order (before_body, after_read, after_receive, after_store when the
//! case has a store, after_handlers), stopping at the first answer, which must come at the
//! last step the case gives inputs for and equal the expected one; then `late_failure` when
//! the case expects a late log.

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::answer::{self, Answer, Handled, Log, Read, Received, Request, Stored};
use oneinbox_webhooks::auth::VerificationCode;
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::{Issue, IssueCode};
use serde_json::{json, Value};

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, Failed> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` is not a string").into())
}

fn count(v: &Value, key: &str) -> Result<usize, Failed> {
    v.get(key)
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .ok_or_else(|| format!("`{key}` is not a count").into())
}

fn log_json(log: &Log) -> Value {
    json!({"level": log.level.as_str(), "line": log.line})
}

/// The answer in the fixtures' form (`reason` only when there is one).
fn answer_json(a: &Answer) -> Value {
    let mut v = json!({
        "status": a.status,
        "headers": a.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body_text": String::from_utf8(a.body.clone()).unwrap_or_else(|_| "(not UTF-8)".into()),
        "close_connection": a.close_connection,
        "log": log_json(&a.log),
    });
    if let (Some(reason), Some(map)) = (a.reason, v.as_object_mut()) {
        map.insert("reason".into(), json!(reason));
    }
    v
}

/// Runs the steps; the answer and the name of the step that gave it.
fn drive(f: &Value) -> Result<(Answer, &'static str), Failed> {
    let r = &f["request"];
    let max = count(r, "max_body_bytes")?;
    let request = Request {
        method: r["method"].as_str(),
        content_type: r["content_type"].as_str(),
        content_length: r["content_length"].as_str(),
        max_body_bytes: max,
    };
    if let Some(a) = answer::before_body(&request) {
        return Ok((a, "request"));
    }
    let read = &f["read"];
    let read = match text(read, "result")? {
        "body" => Read::Body {
            length: count(read, "length")?,
        },
        "over_limit" => Read::OverLimit,
        "failed" => Read::Failed,
        "already_read" => Read::AlreadyRead {
            fix: text(read, "fix")?,
        },
        other => return Err(format!("read result {other}").into()),
    };
    if let Some(a) = answer::after_read(read, max) {
        return Ok((a, "read"));
    }
    let receive = &f["receive"];
    let issues: Vec<Issue> = receive["issues"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let code: IssueCode = text(i, "code")?.parse().map_err(|e| format!("{e}"))?;
            Ok(Issue::new(code, text(i, "path")?, text(i, "message")?))
        })
        .collect::<Result<_, Failed>>()?;
    let received = match text(receive, "result")? {
        "event" => Received::Event,
        "unauthenticated" => {
            let code = text(receive, "code")?;
            Received::Unauthenticated(
                VerificationCode::ALL
                    .into_iter()
                    .find(|c| c.as_str() == code)
                    .ok_or("unknown verification code")?,
            )
        }
        "invalid" => Received::Invalid(&issues),
        "failed" => Received::Failed,
        other => return Err(format!("receive result {other}").into()),
    };
    if let Some(a) = answer::after_receive(received) {
        return Ok((a, "receive"));
    }
    let (event, call_id) = (text(receive, "event")?, text(receive, "call_id")?);
    if let Some(stored) = f.get("store").and_then(Value::as_str) {
        let stored: Stored = stored.parse().map_err(|e| format!("{e}"))?;
        if let Some(a) = answer::after_store(event, call_id, stored) {
            return Ok((a, "store"));
        }
    }
    if let Some(claim) = f.get("claim") {
        let verdict = Verdict::from_name(
            text(claim, "verdict")?,
            claim
                .get("retry_after_ms")
                .and_then(Value::as_i64)
                .unwrap_or(1),
        )
        .ok_or("unknown verdict")?;
        if let Some(a) = answer::after_claim(event, call_id, verdict) {
            return Ok((a, "claim"));
        }
    }
    let handled: Handled = text(f, "handlers")?.parse().map_err(|e| format!("{e}"))?;
    Ok((answer::after_handlers(event, call_id, handled), "handlers"))
}

fn run(f: &Value) -> Result<(), Failed> {
    let (answer, step) = drive(f)?;
    // The answer comes at the last step the case gives inputs for: later inputs are unused.
    let steps = ["request", "read", "receive", "store", "claim", "handlers"];
    let last = steps
        .iter()
        .rposition(|s| f.get(*s).is_some())
        .unwrap_or_default();
    let at = steps.iter().position(|s| *s == step).unwrap_or_default();
    if at != last {
        return Err(format!("answered at `{step}`, but the case gives `{}`", steps[last]).into());
    }
    let got = answer_json(&answer);
    if got != f["answer"] {
        return Err(format!("answer\n  got:      {got}\n  expected: {}", f["answer"]).into());
    }
    if answer.log.line.contains(['\n', '\r']) {
        return Err("the log line has a line break".into());
    }
    if let Some(expected) = f.get("late_log") {
        if f["handlers"] != "late" {
            return Err("late_log without handlers `late`".into());
        }
        let receive = &f["receive"];
        let (event, call_id) = (text(receive, "event")?, text(receive, "call_id")?);
        let log = if f.get("claim").is_some() {
            answer::late_failure_due(event, call_id)
        } else {
            answer::late_failure(event, call_id)
        };
        if &log_json(&log) != expected {
            return Err(format!(
                "late log\n  got:      {}\n  expected: {expected}",
                log_json(&log)
            )
            .into());
        }
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("answers", 20, run)
}
