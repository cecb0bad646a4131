//! The client against the core's fake OneInbox served over loopback: every endpoint, the
//! retry rules (a 502 on `create_call` is not retried, a 429 with `Retry-After` is), paging,
//! redirects, and the API key kept out of `Debug` and errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use oneinbox_webhooks::fake::{FailOptions, FakeOneInbox, FakeResponse, RetryAfter};
use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::management::{
    CreateCall, CreateWebhook, ListCalls, ListDeliveries, UpdateWebhook, WebhookStatus,
};
use oneinbox_webhooks_client::testing::{serve, FakeServer};
use oneinbox_webhooks_client::{Client, Error};
use serde_json::{json, Map};

const KEY: &str = "oi_sk_test_Zq9secretKEY";

async fn setup() -> (FakeServer, Client) {
    let server = FakeServer::start(FakeOneInbox::new(KEY, 7)).await.unwrap();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (server, client)
}

fn hook_args() -> CreateWebhook {
    CreateWebhook {
        name: "Call events".into(),
        url: "https://example.com/hooks/oneinbox".into(),
        events: vec!["call.ended".into(), "call.started".into()],
    }
}

fn call_args(to: &str) -> CreateCall {
    CreateCall {
        agent_id: "agt_1".into(),
        to_number: to.into(),
        from_number: "+15739693824".into(),
        ..CreateCall::default()
    }
}

fn fail(server: &FakeServer, status: i128, times: i128, options: FailOptions) {
    server
        .fake()
        .fail_next(HostNumber::Int(status), HostNumber::Int(times), options)
        .unwrap();
}

fn assert_no_key(text: &str) {
    assert!(!text.contains(KEY), "the API key leaked: {text}");
    assert!(
        !text.contains("Zq9secret"),
        "part of the API key leaked: {text}"
    );
}

#[tokio::test]
async fn every_webhook_endpoint() {
    let (server, client) = setup().await;
    let hook = client.create_webhook(&hook_args()).await.unwrap();
    assert!(hook.id.starts_with("wh_"), "{}", hook.id);
    assert!(hook.secret.as_ref().unwrap().expose().starts_with("whsec_"));
    assert_eq!(hook.events.as_deref().unwrap().len(), 2);

    let hooks = client.list_webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].id, hook.id);

    let updated = client
        .update_webhook(
            &hook.id,
            &UpdateWebhook {
                status: Some("inactive".into()),
                ..UpdateWebhook::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.status, Some(WebhookStatus::Inactive));

    client.test_webhook(&hook.id).await.unwrap();

    let page = client
        .list_deliveries(&hook.id, &ListDeliveries::default())
        .await
        .unwrap();
    assert_eq!(page.offset, 0);
    assert_eq!(page.total, page.items.len() as u64);

    client.delete_webhook(&hook.id).await.unwrap();
    assert!(client.list_webhooks().await.unwrap().is_empty());

    // A 404 is an ApiError at once (one request), with the server's message.
    let before = server.fake().requests().len();
    let err = client.delete_webhook(&hook.id).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.message, "Webhook not found");
    assert!(!err.is_retryable());
    assert_eq!(server.fake().requests().len(), before + 1);
    assert!(server.fake().requests().iter().all(|r| r.authorized));
}

#[tokio::test]
async fn every_call_endpoint() {
    let (server, client) = setup().await;
    let call = client
        .create_call(&call_args("+919876543210"))
        .await
        .unwrap();
    assert!(!call.id.is_empty());
    assert_eq!(call.agent_id.as_deref(), Some("agt_1"));

    let got = client.get_call(&call.id).await.unwrap();
    assert_eq!(got.id, call.id);

    let page = client.list_calls(&ListCalls::default()).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, call.id);

    let other = client
        .list_calls(&ListCalls {
            agent_id: Some("agt_other".into()),
            ..ListCalls::default()
        })
        .await
        .unwrap();
    assert_eq!(other.total, 0);

    let err = client.get_call("call_missing").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status == 404 && e.message == "Call not found"),
        "{err:?}"
    );
    assert_eq!(server.fake().calls().len(), 1);
}

#[tokio::test]
async fn a_bad_argument_is_a_usage_error_and_sends_nothing() {
    let (server, client) = setup().await;
    let err = client
        .create_call(&call_args("not a number"))
        .await
        .unwrap_err();
    let Error::Usage(usage) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(usage.issues()[0].path, "/to_number");
    assert!(client
        .iter_calls(&ListCalls {
            limit: Some(0),
            ..ListCalls::default()
        })
        .is_err());
    assert!(server.fake().requests().is_empty());
}

#[tokio::test]
async fn a_502_on_create_call_is_not_retried() {
    let (server, client) = setup().await;
    fail(
        &server,
        502,
        1,
        FailOptions {
            processed: true,
            ..FailOptions::default()
        },
    );
    let err = client
        .create_call(&call_args("+919876543210"))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 502);
    assert!(!api.retryable);
    // Sent once: the call may have been placed (and here it was).
    assert_eq!(server.fake().requests().len(), 1);
    assert_eq!(server.fake().calls().len(), 1);
}

#[tokio::test]
async fn a_502_on_a_read_is_retried() {
    let (server, client) = setup().await;
    fail(&server, 502, 1, FailOptions::default());
    assert!(client.list_webhooks().await.unwrap().is_empty());
    assert_eq!(server.fake().requests().len(), 2);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_wait() {
    let (server, client) = setup().await;
    fail(
        &server,
        429,
        1,
        FailOptions {
            retry_after: Some(RetryAfter::Seconds(1.0)),
            ..FailOptions::default()
        },
    );
    let started = Instant::now();
    let call = client
        .create_call(&call_args("+919876543210"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.fake().requests().len(), 2);
    assert_eq!(server.fake().calls().len(), 1);
    assert_eq!(server.fake().calls()[0]["id"], call.id.as_str());
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let (server, _) = setup().await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_retries(1)
        .build()
        .unwrap();
    fail(
        &server,
        503,
        5,
        FailOptions {
            retry_after: Some(RetryAfter::Seconds(0.0)),
            ..FailOptions::default()
        },
    );
    let err = client.list_webhooks().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status == 503 && e.retryable),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.fake().requests().len(), 2);
}

#[tokio::test]
async fn a_lost_connection_on_create_call_is_not_retried_and_says_so() {
    let (server, client) = setup().await;
    server
        .fake()
        .disconnect_next(HostNumber::Int(1), true)
        .unwrap();
    let err = client
        .create_call(&call_args("+919876543210"))
        .await
        .unwrap_err();
    let Error::Transport {
        sent,
        retryable,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(*sent);
    assert!(!*retryable);
    assert!(message.starts_with("POST http://127.0.0.1:"), "{message}");
    assert!(message.contains("/v1/calls"), "{message}");
    assert_eq!(server.fake().requests().len(), 1);
    assert_no_key(&err.to_string());
    assert_no_key(&format!("{err:?}"));
}

#[tokio::test]
async fn a_lost_connection_on_a_read_is_retried() {
    let (server, client) = setup().await;
    server
        .fake()
        .disconnect_next(HostNumber::Int(1), false)
        .unwrap();
    assert!(client.list_webhooks().await.unwrap().is_empty());
    assert_eq!(server.fake().requests().len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_was_not_sent() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = client.list_webhooks().await.unwrap_err();
    let Error::Transport {
        sent,
        retryable,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(!*sent);
    assert!(*retryable);
    assert!(message.contains("no response after 1 attempt"), "{message}");
    assert_no_key(&err.to_string());
}

#[tokio::test]
async fn paging_over_45_calls_in_3_pages() {
    let (server, client) = setup().await;
    for i in 0..45 {
        client
            .create_call(&call_args(&format!("+9198765432{i:02}")))
            .await
            .unwrap();
    }
    let before = server.fake().requests().len();
    let calls: Vec<_> = client
        .iter_calls(&ListCalls {
            limit: Some(20),
            ..ListCalls::default()
        })
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(calls.len(), 45);
    let mut ids: Vec<_> = calls.iter().map(|c| c.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 45);
    let fake = server.fake();
    let pages: Vec<_> = fake.requests()[before..]
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(
        pages,
        ["limit=20", "limit=20&offset=20", "limit=20&offset=40"]
    );
}

#[tokio::test]
async fn paging_over_deliveries_fetches_pages_lazily() {
    let (server, client) = setup().await;
    let hook = client.create_webhook(&hook_args()).await.unwrap();
    for i in 0..5 {
        let mut fields = Map::new();
        fields.insert("attempt".into(), json!(i + 1));
        server
            .fake()
            .add_delivery(&hook.id, fields, 1_700_000_000)
            .unwrap();
    }
    let before = server.fake().requests().len();
    let mut stream = Box::pin(
        client
            .iter_deliveries(
                &hook.id,
                &ListDeliveries {
                    limit: Some(2),
                    offset: None,
                },
            )
            .unwrap(),
    );
    let first = stream.try_next().await.unwrap().unwrap();
    assert_eq!(first.attempt, Some(5)); // newest first
    assert_eq!(server.fake().requests().len(), before + 1);
    let rest: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 4);
    assert_eq!(server.fake().requests().len(), before + 3);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (server, _) = setup().await;
    let target = format!("{}/v1/webhooks", server.base_url());
    let redirecting = serve(move |_| {
        Some(FakeResponse {
            status: 307,
            headers: vec![("location".into(), target.clone())],
            body: Vec::new(),
        })
    })
    .await
    .unwrap();
    let client = Client::builder(KEY)
        .base_url(redirecting.base_url())
        .build()
        .unwrap();
    let err = client.list_webhooks().await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 307);
    assert!(!api.retryable);
    assert!(
        server.fake().requests().is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn the_key_is_never_in_debug_or_errors() {
    let (server, client) = setup().await;
    assert_no_key(&format!("{client:?}"));
    assert!(format!("{client:?}").contains("[redacted]"));

    // A server that echoes the key in its error.
    let echo = json!({ "detail": format!("bad key {KEY}") })
        .to_string()
        .into_bytes();
    fail(
        &server,
        400,
        1,
        FailOptions {
            body: Some(echo),
            ..FailOptions::default()
        },
    );
    let err = client.list_webhooks().await.unwrap_err();
    assert!(matches!(err, Error::Api(_)));
    assert_no_key(&err.to_string());
    assert_no_key(&format!("{err:?}"));

    // A wrong key is a 401, and the message does not quote either key.
    let wrong = Client::builder("oi_sk_test_otherZq9secret")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let err = wrong.list_webhooks().await.unwrap_err();
    assert!(matches!(&err, Error::Api(e) if e.status == 401), "{err:?}");
    assert_no_key(&err.to_string());

    // A bad key is refused before anything is sent, without quoting it.
    let err = Client::new("oi_pk_live_Zq9secret").unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
    assert_no_key(&err.to_string());
    assert_no_key(&format!("{err:?}"));
}
