//! `reconcile` against the Rust fake OneInbox served over loopback, through the reqwest
//! client: a call whose deliveries were lost but `call.started` is recovered from its
//! snapshot, each missing event run once; a late real delivery is then a repeat; a call named
//! with `call_ids` that the store never saw gets its record; a call the API does not know is
//! an error of the report, not of the run.

use std::sync::{Arc, Mutex};

use oneinbox_webhooks::fake::{FakeOneInbox, PlayCall};
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::reconcile::ReconcilePolicy;
use oneinbox_webhooks::{KeyedEvent, ParseOptions};
use oneinbox_webhooks_client::testing::FakeServer;
use oneinbox_webhooks_client::Client;
use oneinbox_webhooks_stores::reconcile::{reconcile, ReconcileOptions, ReconcileReport};
use oneinbox_webhooks_stores::{now_ms, Handlers, MemoryStore, Store};

const KEY: &str = "oi_sk_test_reconcile";
const HOURS: i64 = 3_600_000;

/// Plays a call that started three hours ago; its deliveries (event name, body), all fired.
fn played(server: &FakeServer, start: i64) -> (String, Vec<(String, Vec<u8>)>) {
    let mut fake = server.fake();
    let spec = PlayCall {
        webhook_url: Some("http://127.0.0.1:9/hook".into()),
        ..PlayCall::default()
    };
    let call = fake.play_call(&spec, start).unwrap();
    let sent = fake.take_due(start + HOURS, (start + HOURS) / 1000);
    let deliveries = sent
        .into_iter()
        .map(|o| {
            let event = ParseOptions::default().parse(&o.body).unwrap();
            (event.name().to_owned(), o.body)
        })
        .collect();
    (call["id"].as_str().unwrap().to_owned(), deliveries)
}

fn recording(runs: &Arc<Mutex<Vec<String>>>) -> Handlers {
    let runs = runs.clone();
    Handlers::new().on_any(move |event| {
        runs.lock()
            .unwrap()
            .push(format!("{} {}", event.name(), event.call_id()));
        async { Ok(()) }
    })
}

async fn run(
    store: &MemoryStore,
    client: &Client,
    handlers: &Handlers,
    now: i64,
    call_ids: Option<Vec<String>>,
) -> ReconcileReport {
    let fetch = |id: String| async move { client.get_call(&id).await };
    let options = ReconcileOptions {
        call_ids,
        ..ReconcileOptions::default()
    };
    reconcile(store, fetch, handlers, now, &options)
        .await
        .unwrap()
}

#[tokio::test]
async fn lost_deliveries_are_recovered_once_from_the_fake_oneinbox() {
    let server = FakeServer::start(FakeOneInbox::new(KEY, 7)).await.unwrap();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let now = now_ms();
    let start = now - 3 * HOURS;
    let (call_id, deliveries) = played(&server, start);
    let names: Vec<&str> = deliveries.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"call.started") && names.contains(&"call.ended"),
        "{names:?}"
    );

    // Only call.started reached the store; every other delivery was lost.
    let store = MemoryStore::default();
    let (_, started) = deliveries
        .iter()
        .find(|(n, _)| n == "call.started")
        .unwrap();
    let event = KeyedEvent::new(&ParseOptions::default().parse(started).unwrap());
    store.arrive(&event, started, start + 3_000).await.unwrap();

    let runs = Arc::new(Mutex::new(Vec::new()));
    let handlers = recording(&runs);
    let report = run(&store, &client, &handlers, now, None).await;
    assert_eq!(report.checked, 1);
    assert!(
        report.errors.is_empty() && report.failed.is_empty(),
        "{report:?}"
    );
    assert!(report.missing.is_empty(), "{report:?}");
    let mut want: Vec<String> = [
        "call.analyzed",
        "call.ended",
        "call.recording.available",
        "transcript.final",
    ]
    .iter()
    .map(|n| n.to_string())
    .collect();
    assert_eq!(report.recovered.keys().cloned().collect::<Vec<_>>(), want);
    assert!(report.recovered.values().all(|n| *n == 1));
    let mut ran = runs.lock().unwrap().clone();
    ran.sort();
    want.iter_mut().for_each(|n| *n = format!("{n} {call_id}"));
    assert_eq!(ran, want, "each recovered event ran once");

    // The record is complete, and the call left the open calls.
    let record = store.get(&call_id).await.unwrap().unwrap();
    assert!(ReconcilePolicy::default().missing(&record).is_empty());
    assert!(store.open_calls(i64::MAX, 10).await.unwrap().is_empty());

    // Nothing more to do; a late real delivery of a recovered event is a repeat.
    let again = run(&store, &client, &handlers, now + HOURS, None).await;
    assert_eq!(again, ReconcileReport::default());
    let (_, ended) = deliveries.iter().find(|(n, _)| n == "call.ended").unwrap();
    let late = KeyedEvent::new(&ParseOptions::default().parse(ended).unwrap());
    let arrival = store.arrive(&late, ended, now).await.unwrap();
    assert_eq!(arrival.verdict, Verdict::Repeat);
    assert_eq!(runs.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn named_calls_are_fetched_whatever_the_store_knows() {
    let server = FakeServer::start(FakeOneInbox::new(KEY, 8)).await.unwrap();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let now = now_ms();
    let (call_id, _) = played(&server, now - 3 * HOURS);
    let store = MemoryStore::default();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let named = vec![call_id.clone(), "call_unknown".to_owned(), call_id.clone()];
    let report = run(&store, &client, &recording(&runs), now, Some(named)).await;

    // Every delivery was lost: the record comes from the snapshot, call.started included.
    assert_eq!(report.checked, 1, "{report:?}");
    assert_eq!(report.recovered.get("call.started"), Some(&1));
    assert_eq!(
        report.recovered.values().sum::<usize>(),
        runs.lock().unwrap().len()
    );
    let record = store.get(&call_id).await.unwrap().unwrap();
    assert!(ReconcilePolicy::default().missing(&record).is_empty());
    // The unknown call is an error of the report (the API's 404), not of the run.
    assert_eq!(report.errors.keys().collect::<Vec<_>>(), ["call_unknown"]);
}
