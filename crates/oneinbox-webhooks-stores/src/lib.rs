//! Async stores for OneInbox webhook deliveries, the handler registry and the worker.
//!
//! A [`Store`] keeps each delivery's row of the core's inbox state machine
//! ([`oneinbox_webhooks::inbox::Policy::step`]) next to its raw body, and each call's
//! [`CallRecord`]; it decides nothing itself. The receiver (`oneinbox-webhooks-axum`) asks it
//! whether a delivery's handlers run ([`Store::arrive`]) and tells it how they ended
//! ([`Store::finish`]); [`drain`] runs the deliveries that are due again (a failed handler, a
//! worker that died mid-run).
//!
//! [`MemoryStore`] keeps everything in this process, over the core's
//! [`MemoryInbox`] and [`Ledger`].
//!
//! ```
//! use oneinbox_webhooks::{KeyedEvent, ParseOptions};
//! use oneinbox_webhooks::inbox::Verdict;
//! use oneinbox_webhooks_stores::{drain, Handlers, MemoryStore, Store};
//!
//! # tokio_test_block_on(async {
//! let store = MemoryStore::default();
//! let body = br#"{"event":"call.ended","call_id":"call_1","duration_seconds":42}"#;
//! let event = KeyedEvent::new(&ParseOptions::default().parse(body).unwrap());
//! let arrival = store.arrive(&event, body, 1_000).await.unwrap();
//! assert_eq!(arrival.verdict, Verdict::Run { attempt: 1 });
//!
//! // The handler failed: the delivery is due again after 10 s, and the worker runs it.
//! let delivery = arrival.delivery.unwrap();
//! store.finish(&delivery, Some("db down"), 2_000).await.unwrap();
//! let handlers = Handlers::new().on("call.ended", |_event| async { Ok(()) });
//! let report = drain(&store, &handlers, 12_000, 100).await.unwrap();
//! assert_eq!(report.done, [delivery.key.clone()]);
//! assert_eq!(store.get("call_1").await.unwrap().unwrap().duration_seconds().map(|n| n.to_string()), Some("42".into()));
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod reconcile;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use oneinbox_webhooks::inbox::{prune_before, Kept, MemoryInbox, Policy, State, Verdict};
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::{
    CallAnalyzed, CallEnded, CallFailed, CallRecord, CallRecordingAvailable, CallStarted, Event,
    KeyedEvent, Ledger, ParseOptions, TranscriptFinal, TranscriptPartial, ValidationError,
    MAX_DEPTH_CEILING,
};

/// The error a handler returns.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A store failed (its connection, a query, a stored value it could not read).
#[derive(Debug, thiserror::Error)]
#[error("store failed: {0}")]
pub struct StoreError(#[source] pub HandlerError);

impl StoreError {
    /// A store error from any error or message.
    pub fn new(error: impl Into<HandlerError>) -> Self {
        StoreError(error.into())
    }
}

/// One delivery a store claimed for a run.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its dedupe key ([`oneinbox_webhooks::dedupe_key`]).
    pub key: String,
    /// The call it belongs to.
    pub call_id: String,
    /// The event name.
    pub event: String,
    /// The raw body as it arrived.
    pub body: Arc<[u8]>,
    /// The claim's attempt number (1 for the first run).
    pub attempt: u32,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("key", &self.key)
            .field("call_id", &self.call_id)
            .field("event", &self.event)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// The event of the kept body: it was valid when it arrived, so it is read again with no
    /// limit but the core's deepest nesting.
    pub fn parse(&self) -> Result<Event, ValidationError> {
        ParseOptions {
            max_body_bytes: self.body.len().max(1),
            max_depth: MAX_DEPTH_CEILING,
            ..ParseOptions::default()
        }
        .parse(&self.body)
    }

    fn from_kept(kept: &Kept, attempt: u32) -> Self {
        Delivery {
            key: kept.key.clone(),
            call_id: kept.call_id.clone(),
            event: kept.event.clone(),
            body: kept.body.clone(),
            attempt,
        }
    }
}

/// What a store did with a delivery that arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The inbox's verdict: [`Verdict::Run`] (run the handlers of `delivery`, then
    /// [`Store::finish`] it), [`Verdict::Repeat`], [`Verdict::Busy`] or [`Verdict::Dead`].
    pub verdict: Verdict,
    /// The delivery's dedupe key.
    pub key: String,
    /// The delivery to run, when the verdict is [`Verdict::Run`].
    pub delivery: Option<Delivery>,
    /// The call's record with the delivery folded in.
    pub record: Arc<CallRecord>,
}

/// A delivery whose handlers failed too many times, kept until [`Store::replay`].
#[derive(Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its dedupe key.
    pub key: String,
    /// The call it belongs to.
    pub call_id: String,
    /// The event name.
    pub event: String,
    /// How many times its handlers were started.
    pub attempts: u32,
    /// The last failure's text.
    pub last_error: Option<String>,
    /// When it died (Unix milliseconds).
    pub updated_at: i64,
    /// The raw body.
    pub body: Arc<[u8]>,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("key", &self.key)
            .field("call_id", &self.call_id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
            .field("last_error", &self.last_error)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// Where deliveries and call records are kept. Every time is Unix milliseconds; each method
/// is one atomic step of the core's inbox state machine.
pub trait Store: Send + Sync + 'static {
    /// A copy of a delivery arrived: claim it (or not) and fold it into its call's record. A
    /// new delivery whose event's handlers already ran through reconciliation
    /// ([`CallRecord::covers`], asked of the record before the fold) is written done without
    /// running: [`Verdict::Repeat`] ([`oneinbox_webhooks::inbox::Input::Covered`]).
    fn arrive(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> impl Future<Output = Result<Arrival, StoreError>> + Send;

    /// The handlers of `delivery` ended (`error`: their failure's text).
    fn finish(
        &self,
        delivery: &Delivery,
        error: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// Gives the claim of `delivery` back without running it: due now, not counted.
    fn release(
        &self,
        delivery: &Delivery,
        reason: &str,
        now: i64,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// The keys of the deliveries due at `now`, the longest due first, at most `limit`.
    fn due(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Claims the due delivery `key` for a worker: the verdict, and the delivery to run when
    /// it is [`Verdict::Run`].
    fn take(
        &self,
        key: &str,
        now: i64,
    ) -> impl Future<Output = Result<(Verdict, Option<Delivery>), StoreError>> + Send;

    /// The dead letters, the oldest first.
    fn dead(&self) -> impl Future<Output = Result<Vec<DeadLetter>, StoreError>> + Send;

    /// Makes delivery `key` due now, its attempts counted from 0.
    fn replay(
        &self,
        key: &str,
        now: i64,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// Drops the rows of done deliveries (and dead ones when `include_dead`) last changed
    /// `older_than_ms` or more before `now`; how many.
    fn prune(
        &self,
        older_than_ms: u64,
        include_dead: bool,
        now: i64,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The record of call `call_id`, if any delivery of it arrived.
    fn get(
        &self,
        call_id: &str,
    ) -> impl Future<Output = Result<Option<CallRecord>, StoreError>> + Send;

    /// The open calls ([`oneinbox_webhooks::reconcile::is_open`]) whose record last changed at
    /// or before `changed_before_ms`, the oldest change first, at most `limit`:
    /// `(call_id, changed_at)`. What a reconciler (Python's or Node's `reconcile`) lists; every
    /// arrival that changes a record keeps this index, in the keys and tables the Python and
    /// Node stores use.
    fn open_calls(
        &self,
        changed_before_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;

    /// Folds a snapshot of a call (`GET /v1/calls/{id}`, see [`CallRecord::apply_call`]) into
    /// its stored record; a change counts as the record's last change at `now`. The record, or
    /// `None` when no delivery of the call arrived (nothing is stored then).
    fn apply_call(
        &self,
        call: &Call,
        now: i64,
    ) -> impl Future<Output = Result<Option<CallRecord>, StoreError>> + Send;

    /// Drops `call_id` from the open calls (a reconciler found nothing missing); a later
    /// change of its record lists it again while it is open.
    fn settle(&self, call_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// At most once (Python's `store.record`, Node's `store.record`): the delivery is written
    /// done as it arrives, before any handler runs, and folded into its call's record.
    /// [`Recorded::new`] says whether its handlers run now; they never run again, whether
    /// they fail or not. A copy already kept (done, running, failed or dead) or one that
    /// reconciliation covered is not new.
    ///
    /// The SQLite, Redis and Postgres stores write it in one step, as the Python and Node
    /// stores do: a new delivery's row done with no attempt counted (the row of
    /// [`oneinbox_webhooks::inbox::Input::Covered`]), so a shared store reads the same
    /// whichever language recorded. Provided (for [`MemoryStore`] and stores of your own) as
    /// [`Store::arrive`] then, on [`Verdict::Run`], [`Store::finish`] at once: the row is done
    /// with one attempt counted; a store that fails between the two steps leaves the delivery
    /// claimed, its lease runs out and a worker runs it, so that delivery is at least once
    /// after all.
    fn record(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send {
        async move {
            let arrival = self.arrive(event, body, now).await?;
            let new = match &arrival.delivery {
                Some(delivery) if matches!(arrival.verdict, Verdict::Run { .. }) => {
                    self.finish(delivery, None, now).await?;
                    true
                }
                _ => false,
            };
            Ok(Recorded {
                new,
                record: arrival.record,
            })
        }
    }
}

/// The step of a delivery's arrival and whether it is new (its handlers run): claimed to run
/// ([`Store::arrive`]: `once` false), or at most once ([`Store::record`]): a new delivery
/// written done with no attempt counted, as Python's and Node's `record` write it (the row of
/// `oneinbox_webhooks::inbox::Input::Covered`), and a kept one left as it is. `record` is the call's stored record
/// (asked whether reconciliation covered the event), `found` the delivery's row.
#[cfg(any(feature = "sqlite", feature = "redis", feature = "postgres"))]
pub(crate) fn arrival_step(
    policy: &Policy,
    found: Option<&oneinbox_webhooks::inbox::Row>,
    record: Option<&CallRecord>,
    event: &KeyedEvent,
    now: i64,
    once: bool,
) -> (oneinbox_webhooks::inbox::Step, bool) {
    use oneinbox_webhooks::inbox::{Input, Step};
    let input = Input::arrival(record, event.name(), event.key());
    let new = found.is_none() && matches!(input, Input::Arrive);
    match (once, found) {
        (false, _) => (policy.step(found, &input, now), new),
        (true, None) => (policy.step(None, &Input::Covered, now), new),
        (true, Some(_)) => (
            Step {
                row: None,
                verdict: Verdict::Repeat,
            },
            false,
        ),
    }
}

/// What [`Store::record`] did with a delivery (at most once).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Recorded now for the first time: run its handlers (once).
    pub new: bool,
    /// The call's record with the delivery folded in.
    pub record: Arc<CallRecord>,
}

/// The store that keeps everything in this process: the core's [`MemoryInbox`] and [`Ledger`]
/// behind one lock. It keeps every call's record, and at most `max_deliveries` rows (the
/// oldest done ones are dropped first).
pub struct MemoryStore {
    inner: Mutex<(MemoryInbox, Ledger)>,
}

/// How many delivery rows a [`MemoryStore`] keeps by default (as in Python and Node).
pub const DEFAULT_MAX_DELIVERIES: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(Policy::default(), DEFAULT_MAX_DELIVERIES)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store with this inbox policy, keeping at most `max_deliveries` rows.
    pub fn new(policy: Policy, max_deliveries: usize) -> Self {
        MemoryStore {
            inner: Mutex::new((MemoryInbox::new(policy, max_deliveries), Ledger::new())),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryInbox, &mut Ledger) -> T) -> T {
        // A panic while the lock was held cannot leave the pair half-written: every change is
        // one call of the core, which does not panic.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (inbox, ledger) = &mut *guard;
        f(inbox, ledger)
    }
}

impl Store for MemoryStore {
    async fn arrive(
        &self,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> Result<Arrival, StoreError> {
        Ok(self.with(|inbox, ledger| {
            let (verdict, record) = inbox.arrive(ledger, event, body, now);
            let delivery = match verdict {
                Verdict::Run { attempt } => inbox
                    .get(event.key())
                    .map(|kept| Delivery::from_kept(kept, attempt)),
                _ => None,
            };
            Arrival {
                verdict,
                key: event.key().to_owned(),
                delivery,
                record,
            }
        }))
    }

    async fn finish(
        &self,
        delivery: &Delivery,
        error: Option<&str>,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        Ok(self.with(|inbox, _| inbox.finish(&delivery.key, delivery.attempt, error, now)))
    }

    async fn release(
        &self,
        delivery: &Delivery,
        reason: &str,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        Ok(self.with(|inbox, _| inbox.release(&delivery.key, delivery.attempt, reason, now)))
    }

    async fn due(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|inbox, _| inbox.due(now, limit)))
    }

    async fn take(&self, key: &str, now: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        Ok(self.with(|inbox, _| {
            let (verdict, kept) = inbox.claim(key, now);
            let delivery = match verdict {
                Verdict::Run { attempt } => kept.map(|kept| Delivery::from_kept(kept, attempt)),
                _ => None,
            };
            (verdict, delivery)
        }))
    }

    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.with(|inbox, _| {
            inbox
                .dead()
                .into_iter()
                .map(|kept| DeadLetter {
                    key: kept.key.clone(),
                    call_id: kept.call_id.clone(),
                    event: kept.event.clone(),
                    attempts: kept.row.attempts,
                    last_error: kept.row.last_error.clone(),
                    updated_at: kept.row.updated_at,
                    body: kept.body.clone(),
                })
                .collect()
        }))
    }

    async fn replay(&self, key: &str, now: i64) -> Result<Verdict, StoreError> {
        Ok(self.with(|inbox, _| inbox.replay(key, now)))
    }

    async fn prune(
        &self,
        older_than_ms: u64,
        include_dead: bool,
        now: i64,
    ) -> Result<usize, StoreError> {
        let before = prune_before(now, older_than_ms);
        Ok(self.with(|inbox, _| inbox.prune(before, include_dead)))
    }

    async fn get(&self, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
        Ok(self.with(|_, ledger| ledger.get(call_id).cloned()))
    }

    async fn open_calls(
        &self,
        changed_before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self.with(|inbox, _| inbox.open_calls(changed_before_ms, limit)))
    }

    async fn apply_call(&self, call: &Call, now: i64) -> Result<Option<CallRecord>, StoreError> {
        Ok(self.with(|inbox, ledger| {
            inbox
                .apply_call(ledger, call, now)
                .map(|(_, record)| CallRecord::clone(&record))
        }))
    }

    async fn settle(&self, call_id: &str) -> Result<(), StoreError> {
        self.with(|inbox, _| inbox.settle(call_id));
        Ok(())
    }
}

impl MemoryStore {
    /// The state of delivery `key`, if it is kept (for tests and tools).
    pub fn state(&self, key: &str) -> Option<State> {
        self.with(|inbox, _| inbox.get(key).map(|kept| kept.row.state))
    }
}

type Handler = Arc<dyn Fn(Event) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;

/// The handlers of each event name, run in the order they were added; the handlers added with
/// [`Handlers::on_any`] run after them for every event. Each gets the typed [`Event`]: a
/// `match` (or `if let`) on it reaches the event's fields.
///
/// ```
/// use oneinbox_webhooks::Event;
/// use oneinbox_webhooks_stores::Handlers;
///
/// let handlers = Handlers::new().on("call.ended", |event| async move {
///     if let Event::CallEnded(ended) = event {
///         println!("{} ended", ended.call_id);
///     }
///     Ok(())
/// });
/// assert!(handlers.handles("call.ended"));
/// ```
#[derive(Clone, Default)]
pub struct Handlers {
    by_name: HashMap<String, Vec<Handler>>,
    any: Vec<Handler>,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort();
        f.debug_struct("Handlers")
            .field("events", &names)
            .field("any", &self.any.len())
            .finish()
    }
}

impl Handlers {
    /// No handlers.
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Adds a handler for the event named `event` (e.g. `"call.ended"`).
    pub fn on<F, Fut>(mut self, event: &str, handler: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.by_name
            .entry(event.to_owned())
            .or_default()
            .push(boxed(handler));
        self
    }

    /// Adds a handler that takes one of the seven events typed (its struct), for the event
    /// of that name:
    ///
    /// ```
    /// use oneinbox_webhooks::CallEnded;
    /// use oneinbox_webhooks_stores::Handlers;
    ///
    /// let handlers = Handlers::new().handle(|ended: CallEnded| async move {
    ///     println!("{} ended: {:?}", ended.call_id, ended.outcome);
    ///     Ok(())
    /// });
    /// assert!(handlers.handles("call.ended"));
    /// ```
    pub fn handle<E, F, Fut>(self, handler: F) -> Self
    where
        E: KnownEvent,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.on(E::NAME, move |event| {
            let handler = handler.clone();
            async move {
                match E::from_event(event) {
                    Some(typed) => handler(typed).await,
                    None => Ok(()), // registered under its own name: cannot happen
                }
            }
        })
    }

    /// Adds a handler for every event.
    pub fn on_any<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.any.push(boxed(handler));
        self
    }

    /// Whether any handler runs for the event named `event`.
    pub fn handles(&self, event: &str) -> bool {
        !self.any.is_empty() || self.by_name.get(event).is_some_and(|h| !h.is_empty())
    }

    /// Runs the event's handlers one after the other; the first failure stops them and is
    /// returned. A handler that panics fails with `a handler panicked: …` (the panic does not
    /// reach the caller), so its delivery is due again like any other failure.
    pub async fn dispatch(&self, event: Event) -> Result<(), HandlerError> {
        let named = self.by_name.get(event.name()).into_iter().flatten();
        for handler in named.chain(&self.any) {
            let started = catch_unwind(AssertUnwindSafe(|| handler(event.clone())));
            match started {
                Ok(future) => Caught(future).await?,
                Err(payload) => return Err(panicked(payload.as_ref())),
            }
        }
        Ok(())
    }
}

/// A handler's future, its panic turned into an error.
struct Caught(BoxFuture<'static, Result<(), HandlerError>>);

impl Future for Caught {
    type Output = Result<(), HandlerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(panicked(payload.as_ref()))),
        }
    }
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> HandlerError {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("a handler panicked: {message}").into()
}

/// One of the seven events, as a handler of [`Handlers::handle`] takes it.
pub trait KnownEvent: Sized + Send + 'static {
    /// Its wire name, e.g. `"call.ended"`.
    const NAME: &'static str;

    /// The event, when it is this one.
    fn from_event(event: Event) -> Option<Self>;
}

macro_rules! known_events {
    ($($event:ident = $name:literal),* $(,)?) => {
        $(
            impl KnownEvent for $event {
                const NAME: &'static str = $name;

                fn from_event(event: Event) -> Option<Self> {
                    match event {
                        Event::$event(e) => Some(e),
                        _ => None,
                    }
                }
            }
        )*
    };
}

known_events!(
    CallStarted = "call.started",
    CallEnded = "call.ended",
    CallAnalyzed = "call.analyzed",
    CallFailed = "call.failed",
    CallRecordingAvailable = "call.recording.available",
    TranscriptPartial = "transcript.partial",
    TranscriptFinal = "transcript.final",
);

fn boxed<F, Fut>(handler: F) -> Handler
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    Arc::new(move |event| Box::pin(handler(event)))
}

/// How a handler's failure is kept in a store: its text, at most 1,000 characters (cut with
/// `…`), as the Python and Node workers keep theirs.
pub fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let text = error.to_string();
    if text.chars().count() <= 1000 {
        return text;
    }
    let mut cut: String = text.chars().take(999).collect();
    cut.push('…');
    cut
}

/// The current Unix time in milliseconds (0 before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What one [`drain`] did: the keys of the deliveries it ran to done, those that failed (due
/// again later) and those now dead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Ran and completed.
    pub done: Vec<String>,
    /// Ran and failed; due again after a backoff.
    pub failed: Vec<String>,
    /// Dead letters now (they failed their last attempt, or their last claim never finished).
    pub dead: Vec<String>,
}

impl DrainReport {
    /// Whether it did anything.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty() && self.failed.is_empty() && self.dead.is_empty()
    }
}

/// Runs every delivery due at `now` (at most `limit`) once through `handlers`: a delivery
/// whose handler failed, or whose worker died mid-run. A store failure stops it.
pub async fn drain<S: Store>(
    store: &S,
    handlers: &Handlers,
    now: i64,
    limit: usize,
) -> Result<DrainReport, StoreError> {
    drain_until(store, handlers, now, limit, || false).await
}

/// [`drain`] that takes no further delivery once `stopped()` is true (asked before each
/// claim): the running delivery finishes and is recorded, and the ones not yet taken stay
/// due, unclaimed, for the next worker. A claim is taken only just before its run, so a
/// worker stopped this way leaves no lease behind. The worker binary stops so on SIGTERM
/// and SIGINT.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use oneinbox_webhooks_stores::{drain_until, Handlers, MemoryStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let stop = AtomicBool::new(true); // e.g. set by a signal handler
/// let report = drain_until(&MemoryStore::default(), &Handlers::new(), 0, 100, || {
///     stop.load(Ordering::SeqCst)
/// })
/// .await
/// .unwrap();
/// assert!(report.is_empty());
/// # });
/// ```
pub async fn drain_until<S: Store>(
    store: &S,
    handlers: &Handlers,
    now: i64,
    limit: usize,
    stopped: impl Fn() -> bool,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    if stopped() {
        return Ok(report);
    }
    for key in store.due(now, limit).await? {
        if stopped() {
            break;
        }
        let (verdict, delivery) = store.take(&key, now).await?;
        if verdict == Verdict::Dead {
            report.dead.push(key.clone());
        }
        let Some(delivery) = delivery else { continue };
        let outcome = match delivery.parse() {
            Ok(event) => handlers.dispatch(event).await,
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(()) => {
                store.finish(&delivery, None, now).await?;
                report.done.push(key);
            }
            Err(error) => {
                let text = error_text(error.as_ref());
                match store.finish(&delivery, Some(&text), now).await? {
                    Verdict::Dead => report.dead.push(key),
                    _ => report.failed.push(key),
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneinbox_webhooks::testing::make_event;
    use oneinbox_webhooks::EVENT_NAMES;

    fn typed<E: KnownEvent>() {
        assert!(EVENT_NAMES.contains(&E::NAME), "{}", E::NAME);
        let body = make_event(E::NAME, &serde_json::json!({})).unwrap();
        let event = ParseOptions::default().parse(&body).unwrap();
        assert_eq!(event.name(), E::NAME);
        assert!(E::from_event(event).is_some(), "{}", E::NAME);
    }

    #[test]
    fn each_known_event_is_named_as_the_contract_names_it() {
        typed::<CallStarted>();
        typed::<CallEnded>();
        typed::<CallAnalyzed>();
        typed::<CallFailed>();
        typed::<CallRecordingAvailable>();
        typed::<TranscriptPartial>();
        typed::<TranscriptFinal>();
        assert_eq!(EVENT_NAMES.len(), 7);
    }

    #[tokio::test]
    async fn typed_and_named_handlers_run_in_order_and_a_panic_is_a_failure() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (a, b) = (seen.clone(), seen.clone());
        let handlers = Handlers::new()
            .handle(move |ended: CallEnded| {
                a.lock().unwrap().push(format!("typed {}", ended.call_id));
                async { Ok(()) }
            })
            .on_any(move |event| {
                b.lock().unwrap().push(format!("any {}", event.name()));
                async { Ok(()) }
            });
        let body = make_event("call.ended", &serde_json::json!({"call_id": "c1"})).unwrap();
        let event = ParseOptions::default().parse(&body).unwrap();
        handlers.dispatch(event.clone()).await.unwrap();
        assert_eq!(*seen.lock().unwrap(), ["typed c1", "any call.ended"]);

        let panics = Handlers::new().on_any(|_| async { panic!("boom") });
        let error = panics.dispatch(event).await.unwrap_err();
        assert_eq!(error.to_string(), "a handler panicked: boom");
    }
}
