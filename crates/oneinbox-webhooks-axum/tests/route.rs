//! The route over a real `MemoryStore`, driven with tower's `oneshot`: forged deliveries,
//! failing handlers and their retries, repeats, the ack timeout, the extractor and the layer.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRef, Request};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use http_body_util::BodyExt;
use oneinbox_webhooks::auth::Receiver;
use oneinbox_webhooks::inbox::State;
use oneinbox_webhooks::{dedupe_key, parse_event};
use oneinbox_webhooks_axum::{Logger, Verified, Webhook};
use oneinbox_webhooks_stores::{drain, now_ms, HandlerError, Handlers, MemoryStore, Store};
use tower::{service_fn, Layer, ServiceExt};

const BODY: &str = r#"{"event":"call.ended","call_id":"call_1","duration_seconds":42}"#;

fn receiver() -> Receiver {
    Receiver::new().with_url_tokens(&["tok_1"]).unwrap()
}

fn post_to(uri: &str, body: &str) -> Request {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A handler that fails its first `failures` runs, and counts every run.
fn counting(runs: &Arc<AtomicUsize>, failures: usize) -> Handlers {
    let runs = runs.clone();
    Handlers::new().on("call.ended", move |_| {
        let n = runs.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < failures {
                Err::<(), HandlerError>("db down".into())
            } else {
                Ok(())
            }
        }
    })
}

fn logs() -> (Logger, Arc<Mutex<Vec<String>>>) {
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = lines.clone();
    (
        Arc::new(move |log, _| sink.lock().unwrap().push(log.line.clone())),
        lines,
    )
}

fn key() -> String {
    dedupe_key(&parse_event(BODY.as_bytes()).unwrap())
}

#[tokio::test]
async fn a_forged_delivery_gets_401_and_runs_nothing() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/hook",
        oneinbox_webhooks_axum::webhook_route(
            receiver(),
            counting(&runs, 0),
            MemoryStore::default(),
        ),
    );
    let response = app
        .oneshot(post_to("/hook?token=guess", BODY))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Issue 28: the 401 says why (the verification code), never the token.
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "token_mismatch");
    assert!(!body.to_string().contains("guess"));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_flood_of_refusals_logs_ten_lines_per_reason() {
    let (logger, lines) = logs();
    let webhook = Webhook::new(
        receiver(),
        counting(&Arc::default(), 0),
        MemoryStore::default(),
    )
    .logger(logger);
    let app = Router::new().route("/hook", webhook.route());
    for _ in 0..25 {
        let response = app
            .clone()
            .oneshot(post_to("/hook?token=guess", BODY))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let line = "oneinbox-webhooks: delivery not authenticated (token_mismatch); answered 401";
    assert_eq!(*lines.lock().unwrap(), vec![line.to_owned(); 10]);
}

#[tokio::test]
async fn a_failing_handler_gets_500_its_retry_runs_again_and_a_repeat_runs_nothing() {
    let runs = Arc::new(AtomicUsize::new(0));
    let (logger, lines) = logs();
    let webhook =
        Webhook::new(receiver(), counting(&runs, 1), MemoryStore::default()).logger(logger);
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());

    let first = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(store.state(&key()), Some(State::Failed));
    assert_eq!(
        lines.lock().unwrap().as_slice(),
        ["oneinbox-webhooks: a handler of \"call.ended\" of call \"call_1\" failed; answered 500"]
    );

    let retry = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::NO_CONTENT);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(store.state(&key()), Some(State::Done));

    let repeat = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(repeat.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "a repeat does not run the handler"
    );

    let record = store.get("call_1").await.unwrap().unwrap();
    assert_eq!(
        record.duration_seconds().map(ToString::to_string),
        Some("42".into())
    );
}

#[tokio::test]
async fn handlers_past_the_ack_timeout_get_202_and_a_late_failure_is_due_for_the_worker() {
    let (logger, lines) = logs();
    let slow = Handlers::new().on("call.ended", |_| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Err::<(), HandlerError>("late boom".into())
    });
    let webhook = Webhook::new(receiver(), slow, MemoryStore::default())
        .ack_timeout(Some(Duration::from_millis(20)))
        .logger(logger);
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());

    let answer = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    assert_eq!(
        store.state(&key()),
        Some(State::Claimed),
        "claimed before the 202"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.state(&key()), Some(State::Failed));
    assert_eq!(
        lines.lock().unwrap().as_slice(),
        ["oneinbox-webhooks: a handler of \"call.ended\" of call \"call_1\" failed after the delivery was answered 202; it is due again, and a worker runs it"]
    );

    // The worker runs it once it is due (10 s after the failure).
    let runs = Arc::new(AtomicUsize::new(0));
    let report = drain(&*store, &counting(&runs, 0), now_ms() + 10_001, 10)
        .await
        .unwrap();
    assert_eq!(report.done, [key()]);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(store.state(&key()), Some(State::Done));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_closes_the_connection() {
    let small = receiver().with_parse_options(oneinbox_webhooks::ParseOptions {
        max_body_bytes: 16,
        ..Default::default()
    });
    let app = Router::new().route(
        "/hook",
        oneinbox_webhooks_axum::webhook_route(small, Handlers::new(), MemoryStore::default()),
    );
    let response = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()["connection"], "close");
}

#[derive(Clone)]
struct AppState {
    receiver: Receiver,
}

impl FromRef<AppState> for Receiver {
    fn from_ref(state: &AppState) -> Receiver {
        state.receiver.clone()
    }
}

#[tokio::test]
async fn the_extractor_yields_the_event_and_rejects_from_the_table() {
    async fn hook(Verified { event, body }: Verified) -> String {
        format!("{} {} {}", event.name(), event.call_id(), body.len())
    }
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(AppState {
            receiver: receiver(),
        });

    let ok = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    let text = ok.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(text, format!("call.ended call_1 {}", BODY.len()));

    let forged = app
        .clone()
        .oneshot(post_to("/hook?token=guess", BODY))
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    let invalid = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", r#"{"event":"call.ended"}"#))
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert_eq!(invalid.headers()["content-type"], "application/json");
    let body = invalid.into_body().collect().await.unwrap().to_bytes();
    let issues = parse_event(br#"{"event":"call.ended"}"#).unwrap_err();
    let want = oneinbox_webhooks::answer::after_receive(
        oneinbox_webhooks::answer::Received::Invalid(issues.issues()),
    )
    .unwrap();
    assert_eq!(body.as_ref(), want.body.as_slice());

    let text = Request::builder()
        .method("POST")
        .uri("/hook?token=tok_1")
        .header("content-type", "text/plain")
        .body(Body::from(BODY))
        .unwrap();
    assert_eq!(
        app.oneshot(text).await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn the_layer_answers_its_path_and_passes_the_rest_on() {
    let runs = Arc::new(AtomicUsize::new(0));
    let webhook = Webhook::new(receiver(), counting(&runs, 0), MemoryStore::default());
    let service = webhook.layer("/hook").layer(service_fn(|_: Request| async {
        Ok::<_, Infallible>(Response::new(Body::from("rest")))
    }));

    let hook = service
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::NO_CONTENT);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let get = Request::builder().uri("/hook").body(Body::empty()).unwrap();
    let not_post = service.clone().oneshot(get).await.unwrap();
    assert_eq!(not_post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(not_post.headers()["allow"], "POST");

    let other = service.oneshot(post_to("/other", BODY)).await.unwrap();
    let body = other.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "rest");
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_its_delivery_is_due_again() {
    let handlers = Handlers::new().on("call.ended", |_| async {
        if true {
            panic!("index out of bounds");
        }
        Ok::<(), HandlerError>(())
    });
    let (logger, lines) = logs();
    let webhook = Webhook::new(receiver(), handlers, MemoryStore::default()).logger(logger);
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());
    let response = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(store.state(&key()), Some(State::Failed));
    assert_eq!(lines.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_copy_while_the_handlers_run_gets_409_with_retry_after() {
    let slow = Handlers::new().on("call.ended", |_| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<(), HandlerError>(())
    });
    let webhook = Webhook::new(receiver(), slow, MemoryStore::default())
        .ack_timeout(Some(Duration::from_millis(20)));
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());

    let first = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let copy = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(copy.status(), StatusCode::CONFLICT);
    assert_eq!(copy.headers()["retry-after"], "60");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.state(&key()), Some(State::Done));
    let later = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(later.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn without_a_store_every_copy_runs_its_handlers() {
    let runs = Arc::new(AtomicUsize::new(0));
    let webhook = Webhook::without_store(receiver(), counting(&runs, 0));
    assert!(webhook.store().is_none());
    let app = Router::new().route("/hook", webhook.route());
    for _ in 0..2 {
        let answer = app
            .clone()
            .oneshot(post_to("/hook?token=tok_1", BODY))
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn at_most_once_records_before_the_handlers_and_never_runs_a_failed_one_again() {
    let runs = Arc::new(AtomicUsize::new(0));
    let (logger, lines) = logs();
    let webhook = Webhook::new(receiver(), counting(&runs, 1), MemoryStore::default())
        .at_most_once(true)
        .logger(logger);
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());

    // The handler fails: 500, but the delivery was recorded done before it ran.
    let first = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(store.state(&key()), Some(State::Done));
    assert!(store.get("call_1").await.unwrap().is_some());

    // OneInbox's retry is a repeat: 204, the handler not run again (the work is lost).
    let retry = app
        .clone()
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::NO_CONTENT);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        lines.lock().unwrap().as_slice(),
        [
            "oneinbox-webhooks: a handler of \"call.ended\" of call \"call_1\" failed; answered 500",
            "oneinbox-webhooks: \"call.ended\" of call \"call_1\" was recorded before (a retry); answered 204 without running its handlers",
        ]
    );
    // Nothing is due for a worker.
    let report = drain(&*store, &counting(&runs, 0), now_ms() + 3_600_000, 10)
        .await
        .unwrap();
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn at_most_once_a_failure_after_the_202_is_only_logged() {
    let (logger, lines) = logs();
    let slow = Handlers::new().on("call.ended", |_| async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err::<(), HandlerError>("late boom".into())
    });
    let webhook = Webhook::new(receiver(), slow, MemoryStore::default())
        .at_most_once(true)
        .ack_timeout(Some(Duration::from_millis(20)))
        .logger(logger);
    let store = webhook.store().unwrap().clone();
    let app = Router::new().route("/hook", webhook.route());

    let answer = app
        .oneshot(post_to("/hook?token=tok_1", BODY))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    assert_eq!(
        store.state(&key()),
        Some(State::Done),
        "recorded before the 202"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.state(&key()), Some(State::Done));
    assert_eq!(
        lines.lock().unwrap().as_slice(),
        ["oneinbox-webhooks: a handler of \"call.ended\" of call \"call_1\" failed after the delivery was answered 202; OneInbox will not retry it"]
    );
}
