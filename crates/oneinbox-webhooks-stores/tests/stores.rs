//! The same scenarios on every store: `MemoryStore`, and with their features `RedisStore` and
//! `PostgresStore` on real servers started on free loopback ports (`servers`). Each scenario
//! gets a fresh store (a new prefix, a new database).

mod servers;

use std::future::Future;
use std::pin::Pin;

use oneinbox_webhooks::inbox::{Policy, Verdict};
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::testing::make_event;
use oneinbox_webhooks::{CallRecord, KeyedEvent, ParseOptions};
use oneinbox_webhooks_stores::{drain, HandlerError, Handlers, MemoryStore, Store};

const T0: i64 = 1_700_000_000_000;

type Make<'a, S> = &'a dyn Fn(Policy) -> Pin<Box<dyn Future<Output = S> + 'a>>;

fn event(call_id: &str, n: u32) -> (KeyedEvent, Vec<u8>) {
    let body = format!(
        r#"{{"event":"call.ended","call_id":"{call_id}","duration_seconds":{n},"outcome":"done"}}"#
    )
    .into_bytes();
    let parsed = ParseOptions::default().parse(&body).expect("a valid event");
    (KeyedEvent::new(&parsed), body)
}

async fn every_scenario<S: Store>(make: Make<'_, S>) {
    failed_runs_again_then_repeats(&make(Policy::default()).await).await;
    a_live_claim_is_busy(&make(Policy::default()).await).await;
    drain_runs_what_is_due_once(&make(Policy::default()).await).await;
    dead_letters_replay(&make(Policy::new(60_000, 1).unwrap()).await).await;
    prune_keeps_records(&make(Policy::default()).await).await;
    release_makes_it_due_now(&make(Policy::default()).await).await;
    a_real_delivery_after_reconciliation_is_a_repeat(&make(Policy::default()).await).await;
    a_synthesized_event_after_the_real_one_is_a_repeat(&make(Policy::default()).await).await;
    open_calls_follow_the_records(&make(Policy::default()).await).await;
    record_is_at_most_once(&make(Policy::default()).await).await;
}

/// `record` (the axum route's at-most-once mode): a new delivery is new once, written done
/// (never due, a repeat for OneInbox's retries); a delivery that reconciliation already ran is
/// folded in but not new.
async fn record_is_at_most_once<S: Store>(store: &S) {
    let (e, body) = event("call_once", 7);
    let first = store.record(&e, &body, T0).await.unwrap();
    assert!(first.new);
    assert_eq!(first.record.call_id(), "call_once");
    assert!(!store.record(&e, &body, T0 + 1).await.unwrap().new);
    assert_eq!(
        store.arrive(&e, &body, T0 + 2).await.unwrap().verdict,
        Verdict::Repeat
    );
    assert!(store.due(T0 + 86_400_000, 10).await.unwrap().is_empty());

    let synthesized = delivery("call.ended", "call_once_r", true);
    assert_eq!(
        arrive_and_run(store, &synthesized, T0).await,
        Verdict::Run { attempt: 1 }
    );
    let (real, body) = delivery("call.ended", "call_once_r", false);
    let covered = store.record(&real, &body, T0 + 1).await.unwrap();
    assert!(!covered.new, "reconciliation ran its handlers");
    assert!(covered.record.events_seen().contains("call.ended"));
}

/// The inbox row `record` writes for a new delivery in the SQL stores, as Python's `_sql.py`
/// and Node's `sql.js` write it: `(state, attempts, due_at, last_error, created_at,
/// updated_at)` = `('done', 0, NULL, NULL, now, now)`, so a shared database reads the same
/// whichever language recorded.
const RECORDED_ROW: (&str, i32, Option<i64>, Option<&str>, i64, i64) =
    ("done", 0, None, None, T0, T0);

const ROW_SQL: &str = "SELECT state, attempts, due_at, last_error, created_at, updated_at \
                       FROM oneinbox_inbox WHERE key = $1";

/// A delivery of `name` for `call_id`; `reconciled`: synthesized from a snapshot (its key is
/// `<name>:<call_id>:reconciled`).
fn delivery(name: &str, call_id: &str, reconciled: bool) -> (KeyedEvent, Vec<u8>) {
    let mut fields = serde_json::json!({ "call_id": call_id });
    if reconciled {
        fields["reconciled"] = serde_json::Value::Bool(true);
    }
    let body = make_event(name, &fields).expect("a valid event");
    let parsed = ParseOptions::default().parse(&body).expect("a valid event");
    let event = KeyedEvent::new(&parsed);
    assert_eq!(
        event.key().ends_with(":reconciled"),
        reconciled,
        "{}",
        event.key()
    );
    (event, body)
}

/// Arrives and, when it runs, finishes at once; the verdict of the arrival.
async fn arrive_and_run<S: Store>(
    store: &S,
    (e, body): &(KeyedEvent, Vec<u8>),
    now: i64,
) -> Verdict {
    let arrival = store.arrive(e, body, now).await.unwrap();
    if let Some(delivery) = arrival.delivery {
        assert_eq!(
            store.finish(&delivery, None, now).await.unwrap(),
            Verdict::Done
        );
    }
    arrival.verdict
}

/// A reconciler (Python's or Node's) ran `call.ended` from a snapshot through this store; its
/// late real delivery is a repeat: written done, its handlers not run, nothing due.
async fn a_real_delivery_after_reconciliation_is_a_repeat<S: Store>(store: &S) {
    let started = delivery("call.started", "call_r", false);
    assert_eq!(
        arrive_and_run(store, &started, T0).await,
        Verdict::Run { attempt: 1 }
    );
    let synthesized = delivery("call.ended", "call_r", true);
    assert_eq!(
        arrive_and_run(store, &synthesized, T0 + 1).await,
        Verdict::Run { attempt: 1 }
    );
    let (real, body) = delivery("call.ended", "call_r", false);
    let late = store.arrive(&real, &body, T0 + 2).await.unwrap();
    assert_eq!(late.verdict, Verdict::Repeat);
    assert!(late.delivery.is_none());
    assert!(store.due(T0 + 86_400_000, 10).await.unwrap().is_empty());
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = ran.clone();
    let handlers = Handlers::new().on_any(move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { Ok(()) }
    });
    let report = drain(store, &handlers, T0 + 86_400_000, 10).await.unwrap();
    assert!(report.done.is_empty());
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 0);
    // OneInbox's retry of it is a repeat too.
    assert_eq!(
        store.arrive(&real, &body, T0 + 3).await.unwrap().verdict,
        Verdict::Repeat
    );
    // Its record was folded in: it has seen the real delivery.
    let record = store.get("call_r").await.unwrap().unwrap();
    assert!(record.events_seen().contains("call.ended"));
}

/// A reconciler worked from an older record while the real delivery came: the synthesized
/// event is then a repeat.
async fn a_synthesized_event_after_the_real_one_is_a_repeat<S: Store>(store: &S) {
    let real = delivery("call.ended", "call_s", false);
    assert_eq!(
        arrive_and_run(store, &real, T0).await,
        Verdict::Run { attempt: 1 }
    );
    let (synthesized, body) = delivery("call.ended", "call_s", true);
    let arrival = store.arrive(&synthesized, &body, T0 + 1).await.unwrap();
    assert_eq!(arrival.verdict, Verdict::Repeat);
    assert!(arrival.delivery.is_none());
    assert!(store.due(T0 + 86_400_000, 10).await.unwrap().is_empty());
}

/// The open calls' index: listed by the arrival that started the call, at its time; dropped
/// on settle; listed again by a snapshot that changes the record; dropped when it fails.
async fn open_calls_follow_the_records<S: Store>(store: &S) {
    let started = delivery("call.started", "call_o", false);
    arrive_and_run(store, &started, T0).await;
    assert_eq!(
        store.open_calls(T0, 10).await.unwrap(),
        [("call_o".to_owned(), T0)]
    );
    assert!(store.open_calls(T0 - 1, 10).await.unwrap().is_empty());
    assert!(store.open_calls(T0, 0).await.unwrap().is_empty());
    store.settle("call_o").await.unwrap();
    assert!(store.open_calls(T0 + 10, 10).await.unwrap().is_empty());

    let call =
        Call::from_json(br#"{"id":"call_o","status":"in_progress","duration_seconds":7}"#).unwrap();
    let record = store.apply_call(&call, T0 + 5).await.unwrap().unwrap();
    let seconds = record.duration_seconds().map(|n| n.to_string());
    assert_eq!(seconds.as_deref(), Some("7"));
    assert_eq!(store.get("call_o").await.unwrap(), Some(record));
    assert_eq!(
        store.open_calls(T0 + 10, 10).await.unwrap(),
        [("call_o".to_owned(), T0 + 5)]
    );
    // The same snapshot again changes nothing: the last change stays.
    store.apply_call(&call, T0 + 6).await.unwrap().unwrap();
    assert_eq!(
        store.open_calls(T0 + 10, 10).await.unwrap(),
        [("call_o".to_owned(), T0 + 5)]
    );
    // No delivery of a call: nothing is stored.
    let unknown = Call::from_json(br#"{"id":"call_none","status":"completed"}"#).unwrap();
    assert!(store.apply_call(&unknown, T0).await.unwrap().is_none());
    assert!(store.get("call_none").await.unwrap().is_none());

    // A second call, listed after the first; a failure closes the first.
    arrive_and_run(store, &delivery("call.started", "call_p", false), T0 + 7).await;
    assert_eq!(
        store.open_calls(T0 + 10, 10).await.unwrap(),
        [("call_o".to_owned(), T0 + 5), ("call_p".to_owned(), T0 + 7)]
    );
    assert_eq!(
        store.open_calls(T0 + 10, 1).await.unwrap(),
        [("call_o".to_owned(), T0 + 5)]
    );
    arrive_and_run(store, &delivery("call.failed", "call_o", false), T0 + 8).await;
    assert_eq!(
        store.open_calls(T0 + 10, 10).await.unwrap(),
        [("call_p".to_owned(), T0 + 7)]
    );
}

async fn failed_runs_again_then_repeats<S: Store>(store: &S) {
    let (e, body) = event("call_a", 42);
    let first = store.arrive(&e, &body, T0).await.unwrap();
    assert_eq!(first.verdict, Verdict::Run { attempt: 1 });
    let delivery = first.delivery.clone().unwrap();
    assert_eq!(
        (delivery.key.as_str(), &*delivery.body),
        (e.key(), &body[..])
    );
    let failed = store
        .finish(&delivery, Some("db down"), T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        failed,
        Verdict::Failed {
            due_at: T0 + 10_001
        }
    );
    let again = store.arrive(&e, &body, T0 + 2).await.unwrap();
    assert_eq!(again.verdict, Verdict::Run { attempt: 2 });
    let done = store
        .finish(&again.delivery.unwrap(), None, T0 + 3)
        .await
        .unwrap();
    assert_eq!(done, Verdict::Done);
    let repeat = store.arrive(&e, &body, T0 + 4).await.unwrap();
    assert_eq!((repeat.verdict, repeat.delivery), (Verdict::Repeat, None));

    let mut folded = CallRecord::new("call_a");
    folded.apply_keyed(&e);
    assert_eq!(store.get("call_a").await.unwrap(), Some(folded.clone()));
    assert_eq!(*repeat.record, folded);
    assert_eq!(store.get("call_nobody").await.unwrap(), None);
}

async fn a_live_claim_is_busy<S: Store>(store: &S) {
    let (e, body) = event("call_b", 1);
    store.arrive(&e, &body, T0).await.unwrap();
    let busy = store.arrive(&e, &body, T0 + 1_000).await.unwrap();
    assert_eq!(
        busy.verdict,
        Verdict::Busy {
            retry_after_ms: 59_000
        }
    );
    // The lease ran out: the copy takes the claim over.
    let late = store.arrive(&e, &body, T0 + 60_000).await.unwrap();
    assert_eq!(late.verdict, Verdict::Run { attempt: 2 });
}

async fn drain_runs_what_is_due_once<S: Store>(store: &S) {
    let mut keys = Vec::new();
    for (n, call) in [(1, "call_c"), (2, "call_d")] {
        let (e, body) = event(call, n);
        let arrival = store.arrive(&e, &body, T0 + i64::from(n)).await.unwrap();
        store
            .finish(&arrival.delivery.unwrap(), Some("boom"), T0 + i64::from(n))
            .await
            .unwrap();
        keys.push(e.key().to_owned());
    }
    assert!(store.due(T0 + 10_000, 10).await.unwrap().is_empty());
    assert_eq!(store.due(T0 + 10_002, 10).await.unwrap(), keys);
    assert_eq!(store.due(T0 + 10_002, 1).await.unwrap(), keys[..1]);
    let runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = runs.clone();
    let handlers = Handlers::new().on("call.ended", move |event| {
        seen.lock().unwrap().push(event.call_id().to_owned());
        async { Ok::<(), HandlerError>(()) }
    });
    let report = drain(store, &handlers, T0 + 20_000, 10).await.unwrap();
    assert_eq!(report.done, keys);
    assert_eq!(*runs.lock().unwrap(), ["call_c", "call_d"]);
    assert!(drain(store, &handlers, T0 + 30_000, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn dead_letters_replay<S: Store>(store: &S) {
    let (e, body) = event("call_e", 3);
    let arrival = store.arrive(&e, &body, T0).await.unwrap();
    let dead = store
        .finish(&arrival.delivery.unwrap(), Some("no"), T0 + 5)
        .await
        .unwrap();
    assert_eq!(dead, Verdict::Dead);
    let letters = store.dead().await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        (letter.key.as_str(), letter.call_id.as_str()),
        (e.key(), "call_e")
    );
    assert_eq!(
        (letter.attempts, letter.last_error.as_deref()),
        (1, Some("no"))
    );
    assert_eq!((letter.updated_at, &*letter.body), (T0 + 5, &body[..]));
    assert_eq!(
        store.arrive(&e, &body, T0 + 6).await.unwrap().verdict,
        Verdict::Dead
    );
    assert_eq!(
        store.replay(e.key(), T0 + 7).await.unwrap(),
        Verdict::Replayed
    );
    assert!(store.dead().await.unwrap().is_empty());
    let (verdict, delivery) = store.take(e.key(), T0 + 8).await.unwrap();
    assert_eq!(verdict, Verdict::Run { attempt: 1 });
    assert_eq!(delivery.unwrap().event, "call.ended");
}

async fn prune_keeps_records<S: Store>(store: &S) {
    let (e, body) = event("call_f", 4);
    let arrival = store.arrive(&e, &body, T0).await.unwrap();
    store
        .finish(&arrival.delivery.unwrap(), None, T0 + 1)
        .await
        .unwrap();
    assert_eq!(store.prune(1_000, false, T0 + 500).await.unwrap(), 0);
    assert_eq!(store.prune(1_000, false, T0 + 1_001).await.unwrap(), 1);
    assert!(store.get("call_f").await.unwrap().is_some());
    // Gone from the inbox: a new copy runs again.
    let again = store.arrive(&e, &body, T0 + 2_000).await.unwrap();
    assert_eq!(again.verdict, Verdict::Run { attempt: 1 });
}

async fn release_makes_it_due_now<S: Store>(store: &S) {
    let (e, body) = event("call_g", 5);
    let arrival = store.arrive(&e, &body, T0).await.unwrap();
    let delivery = arrival.delivery.unwrap();
    assert_eq!(
        store
            .release(&delivery, "shutting down", T0 + 1)
            .await
            .unwrap(),
        Verdict::Released
    );
    assert_eq!(store.due(T0 + 1, 10).await.unwrap(), [e.key()]);
    let (verdict, _) = store.take(e.key(), T0 + 2).await.unwrap();
    assert_eq!(verdict, Verdict::Run { attempt: 1 });
}

#[tokio::test]
async fn memory_store() {
    every_scenario(&|policy| Box::pin(async move { MemoryStore::new(policy, 1_000) })).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store() {
    use oneinbox_webhooks_stores::redis::RedisStore;
    let Some(server) = servers::Redis::start() else {
        return;
    };
    let count = std::cell::Cell::new(0);
    every_scenario(&|policy| {
        count.set(count.get() + 1);
        let prefix = format!("test-{}:", count.get());
        let url = server.url.clone();
        Box::pin(async move {
            RedisStore::connect(&url)
                .await
                .unwrap()
                .with_prefix(prefix)
                .with_policy(policy)
        })
    })
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store() {
    use oneinbox_webhooks_stores::postgres::PostgresStore;
    let Some(server) = servers::Postgres::start() else {
        return;
    };
    every_scenario(&|policy| {
        let dsn = server.new_database();
        Box::pin(async move {
            PostgresStore::connect(&dsn)
                .await
                .unwrap()
                .with_policy(policy)
        })
    })
    .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store() {
    use oneinbox_webhooks_stores::sqlite::SqliteStore;
    let dir = std::env::temp_dir().join(format!("oneinbox-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let count = std::cell::Cell::new(0);
    every_scenario(&|policy| {
        count.set(count.get() + 1);
        let path = dir.join(format!("inbox-{}.sqlite3", count.get()));
        Box::pin(async move { SqliteStore::open(path).await.unwrap().with_policy(policy) })
    })
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Another session holds the row lock of one delivery: a step on that delivery waits for it;
/// with a pool, a step on another delivery goes on meanwhile on another connection, and with
/// one connection it waits behind the blocked one. `true` when the other step went through.
#[cfg(feature = "postgres")]
async fn a_locked_row_leaves_other_deliveries_free(dsn: &str, max_connections: usize) -> bool {
    use std::sync::Arc;
    use std::time::Duration;

    use oneinbox_webhooks_stores::postgres::PostgresStore;

    let store = Arc::new(
        PostgresStore::connect_with(dsn, max_connections)
            .await
            .unwrap(),
    );
    let (a, body_a) = event("call_pool_a", 1);
    let first = store.arrive(&a, &body_a, T0).await.unwrap();
    assert_eq!(first.verdict, Verdict::Run { attempt: 1 });

    let (locker, connection) = tokio_postgres::connect(dsn, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    locker.batch_execute("BEGIN").await.unwrap();
    let locked = locker
        .query(
            "SELECT key FROM oneinbox_inbox WHERE key = $1 FOR UPDATE",
            &[&a.key()],
        )
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);

    let blocked = tokio::spawn({
        let store = store.clone();
        async move {
            let (a, body_a) = event("call_pool_a", 1);
            store.arrive(&a, &body_a, T0 + 1).await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!blocked.is_finished(), "the step on the locked row waits");

    let (b, body_b) = event("call_pool_b", 2);
    let other = tokio::time::timeout(Duration::from_secs(3), store.arrive(&b, &body_b, T0)).await;
    let went_on = match other {
        Ok(arrival) => {
            assert_eq!(arrival.unwrap().verdict, Verdict::Run { attempt: 1 });
            true
        }
        Err(_) => false,
    };

    locker.batch_execute("COMMIT").await.unwrap();
    let copy = blocked.await.unwrap().unwrap();
    assert!(
        matches!(copy.verdict, Verdict::Busy { .. }),
        "the first claim's lease is live: {:?}",
        copy.verdict
    );
    if !went_on {
        // Its turn came after the blocked one's.
        let arrival = store.arrive(&b, &body_b, T0).await.unwrap();
        assert_eq!(arrival.verdict, Verdict::Run { attempt: 1 });
    }
    went_on
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_pool_runs_concurrent_deliveries_side_by_side() {
    let Some(server) = servers::Postgres::start() else {
        return;
    };
    assert!(
        a_locked_row_leaves_other_deliveries_free(&server.new_database(), 10).await,
        "with a pool, the other delivery's step does not wait"
    );
    assert!(
        !a_locked_row_leaves_other_deliveries_free(&server.new_database(), 1).await,
        "with one connection, it waits behind the blocked step"
    );
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_pool_many_concurrent_arrivals_each_run_once() {
    use std::sync::Arc;

    use oneinbox_webhooks_stores::postgres::PostgresStore;

    let Some(server) = servers::Postgres::start() else {
        return;
    };
    let dsn = server.new_database();
    let store = Arc::new(PostgresStore::connect_with(&dsn, 4).await.unwrap());
    // 40 tasks: 20 deliveries, each arriving twice at once.
    let tasks: Vec<_> = (0..40u32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let (e, body) = event(&format!("call_many_{}", i % 20), i % 20);
                store.arrive(&e, &body, T0).await.unwrap().verdict
            })
        })
        .collect();
    let mut runs = 0;
    for task in tasks {
        match task.await.unwrap() {
            Verdict::Run { attempt: 1 } => runs += 1,
            Verdict::Busy { .. } => {}
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    assert_eq!(runs, 20, "each delivery claimed once");

    let (client, connection) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    let open: i64 = row.get(0);
    assert!(
        (1..=4).contains(&open),
        "{open} connections for a pool of 4"
    );
    for i in 0..20u32 {
        let record = store.get(&format!("call_many_{i}")).await.unwrap().unwrap();
        assert_eq!(
            record.duration_seconds().map(ToString::to_string),
            Some(i.to_string())
        );
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_record_writes_the_python_row() {
    use oneinbox_webhooks_stores::sqlite::SqliteStore;
    let dir = std::env::temp_dir().join(format!("oneinbox-sqlite-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inbox.sqlite3");
    let store = SqliteStore::open(&path).await.unwrap();
    let (e, body) = event("call_row", 3);
    assert!(store.record(&e, &body, T0).await.unwrap().new);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let row: (String, i32, Option<i64>, Option<String>, i64, i64) = conn
        .query_row(ROW_SQL, [e.key()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap();
    assert_eq!(
        (row.0.as_str(), row.1, row.2, row.3.as_deref(), row.4, row.5),
        RECORDED_ROW
    );
    drop((conn, store));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_record_writes_the_python_row() {
    use oneinbox_webhooks_stores::postgres::PostgresStore;
    let Some(server) = servers::Postgres::start() else {
        return;
    };
    let dsn = server.new_database();
    let store = PostgresStore::connect(&dsn).await.unwrap();
    let (e, body) = event("call_row", 3);
    assert!(store.record(&e, &body, T0).await.unwrap().new);
    let (client, connection) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let r = client.query_one(ROW_SQL, &[&e.key()]).await.unwrap();
    let row: (String, i32, Option<i64>, Option<String>, i64, i64) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    assert_eq!(
        (row.0.as_str(), row.1, row.2, row.3.as_deref(), row.4, row.5),
        RECORDED_ROW
    );
}

/// The Redis form of the same row (Python's `_redis.py`, Node's `redis.js`): the delivery's
/// hash holds `state` done and `attempts` 0, and no `due_at` or `last_error`.
#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_record_writes_the_python_row() {
    use oneinbox_webhooks_stores::redis::RedisStore;
    let Some(server) = servers::Redis::start() else {
        return;
    };
    let store = RedisStore::connect(&server.url)
        .await
        .unwrap()
        .with_prefix("rec:");
    let (e, body) = event("call_row", 3);
    assert!(store.record(&e, &body, T0).await.unwrap().new);
    let client = redis::Client::open(server.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let fields: std::collections::HashMap<String, String> = redis::cmd("HGETALL")
        .arg(format!("rec:d:{}", e.key()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(fields.get("state").map(String::as_str), Some("done"));
    assert_eq!(fields.get("attempts").map(String::as_str), Some("0"));
    assert_eq!(fields.get("updated_at"), Some(&T0.to_string()));
    assert!(!fields.contains_key("due_at") && !fields.contains_key("last_error"));
}

/// The server closes the pool's connections (a restart, an idle timeout, an operator's
/// `pg_terminate_backend`): the next steps open new ones instead of failing.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_pool_replaces_closed_connections() {
    use oneinbox_webhooks_stores::postgres::PostgresStore;

    let Some(server) = servers::Postgres::start() else {
        return;
    };
    let dsn = server.new_database();
    let store = PostgresStore::connect_with(&dsn, 2).await.unwrap();
    let (a, body_a) = event("call_closed_a", 1);
    assert!(store.record(&a, &body_a, T0).await.unwrap().new);

    let (admin, connection) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let ended = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(!ended.is_empty(), "the pool's connection was open");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let (b, body_b) = event("call_closed_b", 2);
    assert!(store.record(&b, &body_b, T0).await.unwrap().new);
    assert!(store.get("call_closed_a").await.unwrap().is_some());
}
