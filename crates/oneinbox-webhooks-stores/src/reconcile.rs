//! [`reconcile`]: recovers the events whose deliveries went missing, as Python's
//! `inbox.reconcile` and Node's `reconcile` do, over the core's decisions
//! ([`ReconcilePolicy`], [`synthesize`]) and any [`Store`]: list the open calls, fetch the
//! overdue ones (`GET /v1/calls/{id}`), fold each snapshot into its record, and run every
//! event it shows happened that no delivery brought through the inbox like a delivery (key
//! `<event>:<call_id>:reconciled`, run once; a late real delivery of it is a repeat).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::reconcile::{synthesize, ReconcilePolicy};
use oneinbox_webhooks::{CallRecord, KeyedEvent, ParseOptions};

use crate::{error_text, HandlerError, Handlers, Store, StoreError};

/// The most open calls one run lists (the oldest change first), as in Python and Node.
pub const LIST_LIMIT: usize = 10_000;

/// How a [`reconcile`] run chooses and fetches its calls.
#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// When an open call is overdue, and what it expects.
    pub policy: ReconcilePolicy,
    /// How many calls are fetched at a time (at least 1); a run holds at most one batch.
    pub concurrency: usize,
    /// Fetch exactly these calls, whatever the policy and the open calls say (what
    /// `doctor --reconcile` passes); `None`: the overdue open calls.
    pub call_ids: Option<Vec<String>>,
}

impl Default for ReconcileOptions {
    /// The default policy, 8 fetches at a time, the overdue open calls.
    fn default() -> Self {
        ReconcileOptions {
            policy: ReconcilePolicy::default(),
            concurrency: 8,
            call_ids: None,
        }
    }
}

/// What one [`reconcile`] run did (the fields of Python's and Node's report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// How many overdue calls it fetched.
    pub checked: usize,
    /// The synthesized events it ran, per event name.
    pub recovered: BTreeMap<String, usize>,
    /// The events each call still misses afterwards.
    pub missing: BTreeMap<String, Vec<String>>,
    /// The calls it could not fetch (or whose snapshot it could not use): the error's text.
    pub errors: BTreeMap<String, String>,
    /// The keys of the synthesized deliveries whose handlers failed (due again, for
    /// [`drain`](crate::drain)).
    pub failed: Vec<String>,
}

/// Recovers the events whose deliveries went missing, at `now` (Unix ms).
///
/// Lists the store's open calls ([`Store::open_calls`]) that the policy finds overdue (a call
/// with nothing missing is settled: dropped from the open calls); fetches each with `fetch`
/// (`GET /v1/calls/{id}`, e.g. `oneinbox_webhooks_client::Client::get_call`;
/// `options.concurrency` at a time; a failure is counted in `errors` and never stops the
/// run); folds the snapshot into the record ([`Store::apply_call`]); and runs each event
/// the snapshot shows happened that no delivery brought: [`Store::arrive`], `handlers`,
/// [`Store::finish`] (a failing handler leaves it due for [`drain`](crate::drain)). A call
/// the policy settles afterwards ([`ReconcilePolicy::settled`]) leaves the open calls. Only a
/// store failure stops the run.
///
/// ```
/// use oneinbox_webhooks::management::Call;
/// use oneinbox_webhooks::{KeyedEvent, ParseOptions};
/// use oneinbox_webhooks_stores::reconcile::{reconcile, ReconcileOptions};
/// use oneinbox_webhooks_stores::{Handlers, MemoryStore, Store};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::default();
/// let body = br#"{"event":"call.started","call_id":"call_1"}"#;
/// let event = KeyedEvent::new(&ParseOptions::default().parse(body).unwrap());
/// store.arrive(&event, body, 0).await.unwrap(); // then every other delivery was lost
///
/// // Two hours later, the call is overdue: its snapshot says it completed.
/// let fetch = |id: String| async move {
///     let json = format!(r#"{{"id":"{id}","status":"completed","outcome":"Booked"}}"#);
///     Call::from_json(json.as_bytes())
/// };
/// let handlers = Handlers::new().on_any(|event| async move {
///     println!("recovered {}", event.name());
///     Ok(())
/// });
/// let report = reconcile(&store, fetch, &handlers, 2 * 3_600_000, &ReconcileOptions::default())
///     .await
///     .unwrap();
/// assert_eq!(report.checked, 1);
/// assert_eq!(report.recovered["call.ended"], 1);
/// # });
/// ```
pub async fn reconcile<S, F, Fut, E>(
    store: &S,
    fetch: F,
    handlers: &Handlers,
    now: i64,
    options: &ReconcileOptions,
) -> Result<ReconcileReport, StoreError>
where
    S: Store,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Call, E>>,
    E: Into<HandlerError>,
{
    let policy = &options.policy;
    let overdue: Vec<(String, i64)> = match &options.call_ids {
        Some(named) => {
            // Each once, in order; never given up on by time.
            let mut seen = std::collections::HashSet::new();
            named
                .iter()
                .filter(|id| seen.insert(id.as_str()))
                .map(|id| (id.clone(), now))
                .collect()
        }
        None => {
            let wait = policy.ongoing_after_ms().min(policy.ended_after_ms());
            let before = now.saturating_sub(i64::try_from(wait).unwrap_or(i64::MAX));
            let mut overdue = Vec::new();
            for (call_id, changed_at) in store.open_calls(before, LIST_LIMIT).await? {
                match store.get(&call_id).await? {
                    Some(record) if !policy.missing(&record).is_empty() => {
                        if policy.overdue(&record, changed_at, now).is_some() {
                            overdue.push((call_id, changed_at));
                        }
                    }
                    _ => store.settle(&call_id).await?,
                }
            }
            overdue
        }
    };
    let mut report = ReconcileReport::default();
    for batch in overdue.chunks(options.concurrency.max(1)) {
        let fetched = join_all(batch.iter().map(|(id, _)| fetch(id.clone()))).await;
        for ((call_id, changed_at), call) in batch.iter().zip(fetched) {
            let call = match call {
                Ok(call) => call,
                Err(error) => {
                    let error: HandlerError = error.into();
                    report
                        .errors
                        .insert(call_id.clone(), error_text(error.as_ref()));
                    continue;
                }
            };
            report.checked += 1;
            if let Err(error) = reconcile_one(store, handlers, &mut report, &call, now).await? {
                report.errors.insert(call_id.clone(), error);
                continue;
            }
            let Some(record) = store.get(call_id).await? else {
                store.settle(call_id).await?;
                continue;
            };
            let missing = policy.missing(&record);
            if !missing.is_empty() {
                let missing = missing.into_iter().map(str::to_owned).collect();
                report.missing.insert(call_id.clone(), missing);
            }
            if policy.settled(&record, *changed_at, now) {
                store.settle(call_id).await?;
            }
        }
    }
    Ok(report)
}

/// Folds one fetched call in and runs the events it shows that no delivery brought. The
/// inner error: the snapshot could not be used (it is of another call, or a synthesized body
/// did not parse).
async fn reconcile_one<S: Store>(
    store: &S,
    handlers: &Handlers,
    report: &mut ReconcileReport,
    call: &Call,
    now: i64,
) -> Result<Result<(), String>, StoreError> {
    let record = store.apply_call(call, now).await?;
    let had_record = record.is_some();
    let record = record.unwrap_or_else(|| CallRecord::new(&call.id));
    let events = match synthesize(&record, call) {
        Ok(events) => events,
        Err(error) => return Ok(Err(error.to_string())),
    };
    for synthesized in events {
        let body = synthesized.body.as_bytes();
        let event = match ParseOptions::default().parse(body) {
            Ok(event) => event,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let arrival = store.arrive(&KeyedEvent::new(&event), body, now).await?;
        let Some(delivery) = arrival.delivery else {
            continue;
        };
        *report
            .recovered
            .entry(synthesized.event.to_owned())
            .or_default() += 1;
        match handlers.dispatch(event).await {
            Ok(()) => {
                store.finish(&delivery, None, now).await?;
            }
            Err(error) => {
                let text = error_text(error.as_ref());
                store.finish(&delivery, Some(&text), now).await?;
                report.failed.push(synthesized.key);
            }
        }
    }
    if !had_record {
        // A record exists now if anything was synthesized: fold the snapshot into it.
        store.apply_call(call, now).await?;
    }
    Ok(Ok(()))
}

/// Runs the futures side by side; their outputs in order.
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
