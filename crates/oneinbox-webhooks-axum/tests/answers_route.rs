//! Runs the shared fixtures of `tests/fixtures/answers` through the axum route with tower's
//! `oneshot`, one named case per file: each case becomes a real request (method, headers, a
//! body of the case's length, a URL token or a signature that authenticates or not as the
//! case says), a store that answers as the case's store or claim step says, and handlers that
//! return, fail or outlast the ack timeout. A case with a `store` step (at most once: the
//! delivery recorded before its handlers) runs the route made `at_most_once`; one with a
//! `claim` step, the inbox. The response's status, headers and body, and the
//! lines logged, must be the case's answer, byte for byte.
//!
//! A few cases describe what cannot happen to this route; they are listed in `NOT_HERE` with
//! the reason, and the list is checked to name only existing files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;
use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::auth::Receiver;
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::testing::{make_delivery, make_event, DeliveryOptions};
use oneinbox_webhooks::{CallRecord, KeyedEvent, ParseOptions};
use oneinbox_webhooks_axum::{Logger, Webhook};
use oneinbox_webhooks_stores::{
    Arrival, DeadLetter, Delivery, HandlerError, Handlers, Store, StoreError,
};
use serde_json::{json, Value};
use tower::ServiceExt;

/// Cases that describe another framework's situation, and why.
const NOT_HERE: [(&str, &str); 5] = [
    (
        "method-missing-405.json",
        "an http::Request always has a method",
    ),
    (
        "body-read-whole-over-limit-413.json",
        "the route stops reading at the limit (body-over-limit-while-reading-413)",
    ),
    (
        "body-already-read-500.json",
        "nothing reads an axum body before the route",
    ),
    (
        "receive-failed-500.json",
        "Receiver::receive has no unexpected failure in Rust",
    ),
    (
        "invalid-too-large-413.json",
        "the route reads with the receiver's own limit, so reading stops first",
    ),
];

const TOKEN: &str = "tok_fixture";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ACK: Duration = Duration::from_millis(100);

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/answers")
}

fn main() {
    let args = Arguments::from_args();
    let mut names: Vec<String> = std::fs::read_dir(folder())
        .expect("the answers fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && n != "fixture.schema.json")
        .collect();
    names.sort();
    for (name, _) in NOT_HERE {
        assert!(
            names.iter().any(|n| n == name),
            "NOT_HERE names a missing fixture {name}"
        );
    }
    let trials = names
        .into_iter()
        .map(|name| {
            let ignored = NOT_HERE.iter().any(|(n, _)| *n == name);
            let path = folder().join(&name);
            Trial::test(name.trim_end_matches(".json").to_owned(), move || {
                run(&path)
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// A store that answers `arrive` as the case says and keeps what it was told.
struct Scripted {
    arrive: Option<Verdict>,
}

impl Store for Scripted {
    async fn arrive(&self, e: &KeyedEvent, body: &[u8], _: i64) -> Result<Arrival, StoreError> {
        let verdict = self.arrive.ok_or_else(|| StoreError::new("disk full"))?;
        let delivery = matches!(verdict, Verdict::Run { .. }).then(|| Delivery {
            key: e.key().to_owned(),
            call_id: e.call_id().to_owned(),
            event: e.name().to_owned(),
            body: Arc::from(body),
            attempt: 1,
        });
        Ok(Arrival {
            verdict,
            key: e.key().to_owned(),
            delivery,
            record: Arc::new(CallRecord::new(e.call_id())),
        })
    }
    async fn finish(&self, _: &Delivery, e: Option<&str>, _: i64) -> Result<Verdict, StoreError> {
        Ok(match e {
            None => Verdict::Done,
            Some(_) => Verdict::Failed { due_at: 0 },
        })
    }
    async fn release(&self, _: &Delivery, _: &str, _: i64) -> Result<Verdict, StoreError> {
        Err(StoreError::new("not scripted"))
    }
    async fn due(&self, _: i64, _: usize) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    async fn take(&self, _: &str, _: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        Ok((Verdict::NotDue, None))
    }
    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(Vec::new())
    }
    async fn replay(&self, _: &str, _: i64) -> Result<Verdict, StoreError> {
        Ok(Verdict::NotDue)
    }
    async fn prune(&self, _: u64, _: bool, _: i64) -> Result<usize, StoreError> {
        Ok(0)
    }
    async fn get(&self, _: &str) -> Result<Option<CallRecord>, StoreError> {
        Ok(None)
    }
    async fn open_calls(&self, _: i64, _: usize) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(Vec::new())
    }
    async fn apply_call(&self, _: &Call, _: i64) -> Result<Option<CallRecord>, StoreError> {
        Ok(None)
    }
    async fn settle(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A body stream that fails (the client went away).
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())))
    }
}

fn padded(mut body: Vec<u8>, length: usize) -> Result<Vec<u8>, Failed> {
    if body.len() > length {
        return Err(format!("no body of {length} bytes for this case").into());
    }
    body.resize(length, b' ');
    Ok(body)
}

/// The body of an invalid case that gives exactly its issues.
fn invalid_body(name: &str) -> Result<(&'static [u8], bool), Failed> {
    Ok(match name {
        "invalid-json-400-one-issue.json" => (br#"{"event":"#, false),
        "invalid-payload-400-every-issue.json" => {
            (br#"{"event":"call.ended","duration_seconds":"long"}"#, false)
        }
        "invalid-payload-400-non-ascii-kept.json" => (
            concat!(
                r#"{"event":"call.started","call_id":"c","agent_id":"a","to_number":"+15551234567","#,
                r#""from_number":"+15557654321","created_at":"2026-01-01T00:00:00Z","café":1}"#
            )
            .as_bytes(),
            true,
        ),
        _ => return Err(format!("{name}: add the body that gives its issues").into()),
    })
}

fn event_body(event: &str, call_id: &str) -> Result<Vec<u8>, Failed> {
    let small = serde_json::to_vec(&json!({"event": event, "call_id": call_id}))?;
    if ParseOptions::default().parse(&small).is_ok() {
        return Ok(small);
    }
    Ok(make_event(event, &json!({"call_id": call_id}))?)
}

fn run(path: &Path) -> Result<(), Failed> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let f: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let r = &f["request"];
    let max = r["max_body_bytes"].as_u64().ok_or("max_body_bytes")? as usize;
    let mut options = ParseOptions {
        max_body_bytes: max,
        ..ParseOptions::default()
    };
    let mut receiver = Receiver::new().with_url_tokens(&[TOKEN])?;
    let mut url = format!("/hook?token={TOKEN}");
    let mut signed: Vec<(String, String)> = Vec::new();
    let read = &f["read"];
    let length = read["length"].as_u64().unwrap_or(0) as usize;
    let receive = &f["receive"];
    let body: Option<Vec<u8>> = match read["result"].as_str() {
        None => Some(padded(event_body("call.ended", "call_1")?, 0).unwrap_or_default()),
        Some("over_limit") => Some(vec![b' '; max + 1]),
        Some("failed") => None,
        Some("body") => Some(match receive["result"].as_str() {
            Some("event") => {
                let (event, call) = (&receive["event"], &receive["call_id"]);
                padded(
                    event_body(event.as_str().unwrap_or(""), call.as_str().unwrap_or(""))?,
                    length,
                )?
            }
            Some("invalid") => {
                // A valid event of a few fields is longer than some cases' length: the answer
                // does not depend on it while it is within the limit.
                let (body, strict) = invalid_body(name)?;
                options.strict = strict;
                padded(body.to_vec(), length.max(body.len()))?
            }
            Some("unauthenticated") => {
                let body = padded(event_body("call.ended", "call_1")?, length)?;
                match receive["code"].as_str() {
                    Some("token_mismatch") => url = "/hook?token=guess".to_owned(),
                    Some("timestamp_too_old") => {
                        receiver = Receiver::new().with_signing_secrets(&[SECRET])?;
                        let o = DeliveryOptions {
                            url: "https://example.com/hook".to_owned(),
                            url_token: None,
                            signing_secret: Some(SECRET.to_owned()),
                            msg_id: "msg_1".to_owned(),
                            timestamp: 1_600_000_000,
                        };
                        signed = make_delivery(&body, &o)?.headers;
                        url = "/hook".to_owned();
                    }
                    other => return Err(format!("no forged delivery for {other:?} yet").into()),
                }
                body
            }
            other => return Err(format!("receive {other:?} not driven").into()),
        }),
        Some(other) => return Err(format!("read {other:?} not driven").into()),
    };
    let receiver = receiver.with_parse_options(options);

    let arrive = match (&f["store"], &f["claim"]) {
        (Value::String(s), _) if s == "failed" => None,
        (Value::String(s), _) if s == "repeat" => Some(Verdict::Repeat),
        (_, Value::Object(c)) => Some(
            Verdict::from_name(
                c["verdict"].as_str().unwrap_or(""),
                c.get("retry_after_ms").and_then(Value::as_i64).unwrap_or(1),
            )
            .ok_or("unknown verdict")?,
        ),
        _ => Some(Verdict::Run { attempt: 1 }),
    };
    let late_fails = f.get("late_log").is_some();
    let handlers = match f["handlers"].as_str() {
        Some("failed") => {
            Handlers::new().on_any(|_| async { Err::<(), HandlerError>("boom".into()) })
        }
        Some("late") => Handlers::new().on_any(move |_| async move {
            tokio::time::sleep(ACK * 4).await;
            if late_fails {
                Err("boom late".into())
            } else {
                Ok(())
            }
        }),
        _ => Handlers::new().on_any(|_| async { Ok(()) }),
    };
    let logs: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = logs.clone();
    let logger: Logger = Arc::new(move |log, _| {
        sink.lock()
            .unwrap()
            .push(json!({"level": log.level.as_str(), "line": log.line}));
    });
    // A case with neither a store nor a claim step is an adapter without a store.
    let app: Router = if f.get("store").is_none() && f.get("claim").is_none() {
        let webhook = Webhook::without_store(receiver, handlers);
        Router::new().route(
            "/hook",
            webhook.ack_timeout(Some(ACK)).logger(logger).route(),
        )
    } else {
        // `store` is the at-most-once step (Store::record, over the scripted arrive).
        let webhook = Webhook::new(receiver, handlers, Scripted { arrive })
            .at_most_once(f.get("store").is_some());
        Router::new().route(
            "/hook",
            webhook.ack_timeout(Some(ACK)).logger(logger).route(),
        )
    };

    let method = r["method"].as_str().ok_or("a method")?;
    let mut request = Request::builder()
        .method(http::Method::from_bytes(method.as_bytes())?)
        .uri(&url);
    if let Some(t) = r["content_type"].as_str() {
        request = request.header("content-type", t);
    }
    if let Some(n) = r["content_length"].as_str() {
        request = request.header("content-length", n);
    }
    for (n, v) in &signed {
        if n != "content-type" {
            request = request.header(n, v);
        }
    }
    let request = match body {
        Some(body) => request.body(Body::from(body))?,
        None => request.body(Body::new(Broken))?,
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let (got, late) = runtime.block_on(async {
        let response = app.oneshot(request).await?;
        let status = response.status().as_u16();
        let headers: Vec<Value> = response
            .headers()
            .iter()
            // Framing, which axum sets from the body (hyper drops it from a 204).
            .filter(|(n, _)| *n != "connection" && *n != "content-length")
            .map(|(n, v)| json!([n.as_str(), v.to_str().unwrap_or("?")]))
            .collect();
        let close = response
            .headers()
            .get("connection")
            .is_some_and(|v| v == "close");
        let body = response.into_body().collect().await?.to_bytes();
        let logged: Vec<Value> = logs.lock().unwrap().drain(..).collect();
        if f["handlers"] == "late" {
            tokio::time::sleep(ACK * 6).await; // the late handlers end, and log
        }
        let late: Vec<Value> = logs.lock().unwrap().drain(..).collect();
        Ok::<_, Failed>((
            json!({
                "status": status,
                "headers": headers,
                "body_text": String::from_utf8_lossy(&body),
                "close_connection": close,
                "log": logged.first().cloned().unwrap_or(json!({"level": "none", "line": ""})),
                "lines": logged.len(),
            }),
            late,
        ))
    })?;
    let mut want = f["answer"].clone();
    // The reason a refusal's log line is limited under is not sent (its body says it).
    if let Some(want) = want.as_object_mut() {
        want.remove("reason");
    }
    // Header names compare as HTTP does (case-insensitively): the response has them lowercase.
    if let Some(headers) = want["headers"].as_array_mut() {
        for h in headers {
            h[0] = json!(h[0].as_str().unwrap_or("").to_ascii_lowercase());
        }
    }
    want["lines"] = json!(usize::from(want["log"]["level"] != "none"));
    if got != want {
        return Err(format!("got {got:#}\nwant {want:#}").into());
    }
    let want_late: Vec<Value> = f.get("late_log").cloned().into_iter().collect();
    if late != want_late {
        return Err(format!("late log {late:?}, want {want_late:?}").into());
    }
    Ok(())
}
