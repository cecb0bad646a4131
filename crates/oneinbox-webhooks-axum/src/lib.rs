//! An axum 0.8 / tower receiver for OneInbox webhooks.
//!
//! Every answer is the core's answer table ([`oneinbox_webhooks::answer`]): the same statuses,
//! headers, bodies and log lines as the Python and Node adapters. This crate only does the
//! I/O between the steps: it reads the request, asks the core, keeps the delivery in a
//! [`Store`] and runs the [`Handlers`].
//!
//! - [`webhook_route`]: a ready route with at-least-once handlers over a store (the delivery
//!   arrives in the store's inbox; a repeat is answered 204 without running its handlers; a
//!   failing handler gives 500 and the delivery is due again; handlers still running after
//!   the ack timeout are answered 202 and go on). [`Webhook`] sets its options.
//! - [`Verified`]: an extractor that yields the authenticated, parsed [`Event`], the
//!   [`Receiver`] taken from the state through [`FromRef`]; its rejection, [`Rejection`],
//!   answers from the same table.
//! - [`WebhookLayer`]: the route as a [`tower::Layer`] in front of any service.
//! - [`Webhook::without_store`]: the handlers of every authenticated delivery run, nothing
//!   kept (as the other adapters without a store).
//! - [`Webhook::at_most_once`]: the delivery is recorded done before its handlers run, as
//!   Python's `at_most_once=True` and Node's `atMostOnce: true`: a handler that fails or
//!   outlives a 202 is not run again (OneInbox's retry is answered 204), which loses that work.
//!
//! ```
//! use axum::Router;
//! use oneinbox_webhooks::auth::Receiver;
//! use oneinbox_webhooks::CallEnded;
//! use oneinbox_webhooks_axum::webhook_route;
//! use oneinbox_webhooks_stores::{Handlers, MemoryStore};
//!
//! let receiver = Receiver::new().with_url_tokens(&["tok_9f8e7d"])?;
//! // Typed: a handler per event struct (or `.on("call.ended", |event| …)` and a `match`).
//! let handlers = Handlers::new().handle(|ended: CallEnded| async move {
//!     println!("{} ended after {:?} s", ended.call_id, ended.duration_seconds);
//!     Ok(())
//! });
//! let app: Router = Router::new().route(
//!     "/webhooks/oneinbox",
//!     webhook_route(receiver, handlers, MemoryStore::default()),
//! );
//! # Ok::<(), oneinbox_webhooks::UsageError>(())
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use oneinbox_webhooks::answer::{
    self, Answer, Handled, Log, LogLevel, Read, Received, RefusalLog, Stored,
};
use oneinbox_webhooks::auth::{ReceiveError, Receiver};
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::management::Call;
use oneinbox_webhooks::CallRecord;
use oneinbox_webhooks::{Event, KeyedEvent};
use oneinbox_webhooks_stores::{
    error_text, now_ms, Arrival, DeadLetter, Delivery, Handlers, Store, StoreError,
};

pub use oneinbox_webhooks_stores as stores;

/// How long handlers may run before the delivery is answered 202 while they go on, unless
/// told otherwise (as in Python and Node).
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the route is mounted by [`WebhookLayer`] unless told otherwise (as in Python and
/// Node).
pub const DEFAULT_PATH: &str = "/webhooks/oneinbox";

/// Where log lines go: the core's line, at its level, with the error caught (if any).
pub type Logger = Arc<dyn Fn(&Log, Option<&(dyn std::error::Error + 'static)>) + Send + Sync>;

/// The default logger: a `tracing` event on the target `oneinbox_webhooks`.
fn trace(log: &Log, error: Option<&(dyn std::error::Error + 'static)>) {
    let line = log.line.as_str();
    let error = error.map(|e| e.to_string());
    match log.level {
        LogLevel::None => {}
        LogLevel::Debug => tracing::debug!(target: "oneinbox_webhooks", error, "{line}"),
        LogLevel::Info => tracing::info!(target: "oneinbox_webhooks", error, "{line}"),
        LogLevel::Warn => tracing::warn!(target: "oneinbox_webhooks", error, "{line}"),
        LogLevel::Error => tracing::error!(target: "oneinbox_webhooks", error, "{line}"),
    }
}

/// The answer a delivery got before its handlers ran (or instead of running them): an
/// [`IntoResponse`] with the status, headers and body of the core's answer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub Answer);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        response(self.0)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "delivery answered {}", self.0.status)
    }
}

/// The HTTP response of an answer.
fn response(answer: Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(name, value);
        }
    }
    if answer.close_connection {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// An authenticated, valid delivery: the parsed event and the raw body it came in.
///
/// As an extractor it reads the request the way the answer table says (405, 415, 413 before
/// and while reading a bounded body, 401, 400 with the issues, 413) and rejects with a
/// [`Rejection`]; the [`Receiver`] comes from the router's state through [`FromRef`]. It
/// records nothing and answers nothing: a handler using it replies itself (204 is the
/// table's answer once its work is done).
///
/// ```
/// use axum::{http::StatusCode, routing::post, Router};
/// use oneinbox_webhooks::auth::Receiver;
/// use oneinbox_webhooks_axum::Verified;
///
/// async fn hook(Verified { event, .. }: Verified) -> StatusCode {
///     println!("{} for {}", event.name(), event.call_id());
///     StatusCode::NO_CONTENT
/// }
///
/// let receiver = Receiver::new().with_signing_secrets(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])?;
/// let app: Router = Router::new().route("/hooks", post(hook)).with_state(receiver);
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verified {
    /// The event.
    pub event: Event,
    /// The raw body.
    pub body: Bytes,
}

impl<S> FromRequest<S> for Verified
where
    S: Send + Sync,
    Receiver: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Receiver::from_ref(state);
        verify(&receiver, request, &trace_logger(), &REFUSALS)
            .await
            .map_err(Rejection)
    }
}

fn trace_logger() -> Logger {
    Arc::new(trace)
}

/// The log lines of refusals (401, 415) the [`Verified`] extractor allowed so far, for the
/// whole process (a [`Webhook`] keeps its own): the core's default limit, 10 lines per reason
/// per minute, then a summary.
static REFUSALS: Mutex<RefusalLog> = Mutex::new(RefusalLog::new(
    RefusalLog::DEFAULT_BURST,
    RefusalLog::DEFAULT_WINDOW_MS,
));

/// Logs an answer's line, then gives it back.
fn told(
    answer: Answer,
    logger: &Logger,
    error: Option<&(dyn std::error::Error + 'static)>,
) -> Answer {
    if answer.log.level != LogLevel::None {
        logger(&answer.log, error);
    }
    answer
}

/// Logs an answer's line, a refusal's (401, 415) as `refusals` allows, then gives it back.
fn refused(answer: Answer, logger: &Logger, refusals: &Mutex<RefusalLog>) -> Answer {
    let Some(reason) = answer.reason else {
        return told(answer, logger, None);
    };
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let lines = match refusals.lock() {
        Ok(mut limit) => limit.admit(reason, &answer.log, now),
        Err(_) => vec![answer.log.clone()],
    };
    for log in &lines {
        logger(log, None);
    }
    answer
}

/// Steps 1 to 3 of the answer table: the verified delivery, or the answer.
async fn verify(
    receiver: &Receiver,
    request: Request,
    logger: &Logger,
    refusals: &Mutex<RefusalLog>,
) -> Result<Verified, Answer> {
    let max = receiver.parse_options().max_body_bytes;
    let (parts, body) = request.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let before = answer::Request {
        method: Some(parts.method.as_str()),
        content_type: header(CONTENT_TYPE),
        content_length: header(CONTENT_LENGTH),
        max_body_bytes: max,
    };
    if let Some(answer) = answer::before_body(&before) {
        return Err(refused(answer, logger, refusals));
    }
    let body = match Limited::new(body, max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return Err(told(
                no_body(answer::after_read(Read::OverLimit, max)),
                logger,
                None,
            ))
        }
        Err(_) => {
            return Err(told(
                no_body(answer::after_read(Read::Failed, max)),
                logger,
                None,
            ))
        }
    };
    if let Some(answer) = answer::after_read(Read::Body { length: body.len() }, max) {
        return Err(told(answer, logger, None));
    }
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let url = parts.uri.path_and_query().map(|pq| pq.as_str());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match receiver.receive(&body, &headers, url, now) {
        Ok(event) => Ok(Verified { event, body }),
        Err(ReceiveError::Unauthenticated(verification)) => Err(received(
            Received::Unauthenticated(verification.code),
            logger,
            refusals,
        )),
        Err(ReceiveError::Invalid(error)) => Err(received(
            Received::Invalid(error.issues()),
            logger,
            refusals,
        )),
    }
}

fn received(received: Received<'_>, logger: &Logger, refusals: &Mutex<RefusalLog>) -> Answer {
    refused(no_body(answer::after_receive(received)), logger, refusals)
}

/// The answer of a step that always answers for this input (a 500 if it ever did not).
fn no_body(answer: Option<Answer>) -> Answer {
    answer.unwrap_or_else(|| answer::after_handlers("", "", Handled::Failed))
}

/// A webhook endpoint: a [`Receiver`], the [`Handlers`], a [`Store`] and its options. Turn it
/// into an axum route with [`Webhook::route`] or a tower layer with [`Webhook::layer`].
pub struct Webhook<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Webhook<S> {
    fn clone(&self) -> Self {
        Webhook {
            inner: self.inner.clone(),
        }
    }
}

impl<S> fmt::Debug for Webhook<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("receiver", &self.inner.receiver)
            .field("handlers", &self.inner.handlers)
            .field("ack_timeout", &self.inner.ack_timeout)
            .field("at_most_once", &self.inner.at_most_once)
            .finish_non_exhaustive()
    }
}

struct Inner<S> {
    receiver: Receiver,
    handlers: Handlers,
    store: Option<Arc<S>>,
    ack_timeout: Option<Duration>,
    at_most_once: bool,
    logger: Logger,
    /// The log lines of refusals allowed so far (this webhook's own limit).
    refusals: Arc<Mutex<RefusalLog>>,
}

/// The store of a [`Webhook`] made [`without_store`](Webhook::without_store): there is none
/// (no value of this type exists).
#[derive(Debug, Clone, Copy)]
pub enum NoStore {}

impl Store for NoStore {
    async fn arrive(&self, _: &KeyedEvent, _: &[u8], _: i64) -> Result<Arrival, StoreError> {
        match *self {}
    }
    async fn finish(&self, _: &Delivery, _: Option<&str>, _: i64) -> Result<Verdict, StoreError> {
        match *self {}
    }
    async fn release(&self, _: &Delivery, _: &str, _: i64) -> Result<Verdict, StoreError> {
        match *self {}
    }
    async fn due(&self, _: i64, _: usize) -> Result<Vec<String>, StoreError> {
        match *self {}
    }
    async fn take(&self, _: &str, _: i64) -> Result<(Verdict, Option<Delivery>), StoreError> {
        match *self {}
    }
    async fn dead(&self) -> Result<Vec<DeadLetter>, StoreError> {
        match *self {}
    }
    async fn replay(&self, _: &str, _: i64) -> Result<Verdict, StoreError> {
        match *self {}
    }
    async fn prune(&self, _: u64, _: bool, _: i64) -> Result<usize, StoreError> {
        match *self {}
    }
    async fn get(&self, _: &str) -> Result<Option<CallRecord>, StoreError> {
        match *self {}
    }
    async fn open_calls(&self, _: i64, _: usize) -> Result<Vec<(String, i64)>, StoreError> {
        match *self {}
    }
    async fn apply_call(&self, _: &Call, _: i64) -> Result<Option<CallRecord>, StoreError> {
        match *self {}
    }
    async fn settle(&self, _: &str) -> Result<(), StoreError> {
        match *self {}
    }
}

impl Webhook<NoStore> {
    /// An endpoint that keeps nothing: the handlers of every authenticated delivery run (a
    /// retry of one that completed runs them again), and a failure after the 202 is only
    /// logged, as the Python and Node adapters do without a store. Like them, it logs the
    /// core's [`NO_STORE_WARNING`](answer::NO_STORE_WARNING) once, when it is made (`tracing`,
    /// warn).
    pub fn without_store(receiver: Receiver, handlers: Handlers) -> Self {
        trace(&answer::no_store_warning(), None);
        Webhook::make(receiver, handlers, None)
    }
}

/// The ready route: `receiver` authenticates, `store` keeps the deliveries (at-least-once
/// handlers), `handlers` run; handlers still running after [`DEFAULT_ACK_TIMEOUT`] are
/// answered 202. Mount it at any path: it answers every method (405 for all but `POST`).
pub fn webhook_route<S: Store, T>(
    receiver: Receiver,
    handlers: Handlers,
    store: S,
) -> MethodRouter<T, Infallible>
where
    T: Clone + Send + Sync + 'static,
{
    Webhook::new(receiver, handlers, store).route()
}

impl<S: Store> Webhook<S> {
    /// An endpoint with the default ack timeout, logging through `tracing`.
    pub fn new(receiver: Receiver, handlers: Handlers, store: S) -> Self {
        Webhook::with_shared_store(receiver, handlers, Arc::new(store))
    }

    /// [`Webhook::new`] with a store shared with others (a worker, another route).
    pub fn with_shared_store(receiver: Receiver, handlers: Handlers, store: Arc<S>) -> Self {
        Webhook::make(receiver, handlers, Some(store))
    }

    fn make(receiver: Receiver, handlers: Handlers, store: Option<Arc<S>>) -> Self {
        Webhook {
            inner: Arc::new(Inner {
                receiver,
                handlers,
                store,
                ack_timeout: Some(DEFAULT_ACK_TIMEOUT),
                at_most_once: false,
                logger: trace_logger(),
                refusals: Arc::default(),
            }),
        }
    }

    fn change(self, f: impl FnOnce(&mut Inner<S>)) -> Self {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                receiver: shared.receiver.clone(),
                handlers: shared.handlers.clone(),
                store: shared.store.clone(),
                ack_timeout: shared.ack_timeout,
                at_most_once: shared.at_most_once,
                logger: shared.logger.clone(),
                refusals: shared.refusals.clone(),
            },
        };
        f(&mut inner);
        Webhook {
            inner: Arc::new(inner),
        }
    }

    /// Answer 202 when the handlers run longer than `timeout` (they go on, their end is
    /// recorded); `None`: wait for them however long they take.
    pub fn ack_timeout(self, timeout: Option<Duration>) -> Self {
        self.change(|inner| inner.ack_timeout = timeout)
    }

    /// At most once (`false` by default): each new delivery is recorded done
    /// ([`Store::record`]) before its handlers run, and a copy recorded before is answered 204
    /// without running them, as Python's `at_most_once=True` and Node's `atMostOnce: true`.
    /// The trade-off: a handler that fails (answered 500) or fails after a 202 is not run
    /// again, neither by OneInbox's retry nor by a worker; that work is lost (the failure is
    /// only logged). The default, at least once, runs it again until it completes.
    pub fn at_most_once(self, at_most_once: bool) -> Self {
        self.change(|inner| inner.at_most_once = at_most_once)
    }

    /// Log through `logger` instead of `tracing`.
    pub fn logger(self, logger: Logger) -> Self {
        self.change(|inner| inner.logger = logger)
    }

    /// The store (`None` for [`Webhook::without_store`]).
    pub fn store(&self) -> Option<&Arc<S>> {
        self.inner.store.as_ref()
    }

    /// The axum route: every method, answered from the table.
    pub fn route<T>(self) -> MethodRouter<T, Infallible>
    where
        T: Clone + Send + Sync + 'static,
    {
        any(move |request: Request| {
            let webhook = self.clone();
            async move { webhook.respond(request).await }
        })
    }

    /// A tower layer answering requests to `path` (compared with the request's path) and
    /// passing every other request to the service it wraps.
    pub fn layer(self, path: impl Into<String>) -> WebhookLayer<S> {
        WebhookLayer {
            webhook: self,
            path: Arc::from(path.into()),
        }
    }

    /// The answer to one request, through every step of the table.
    pub async fn respond(&self, request: Request) -> Response {
        let inner = &self.inner;
        let logger = &inner.logger;
        let Verified { event, body } =
            match verify(&inner.receiver, request, logger, &inner.refusals).await {
                Ok(verified) => verified,
                Err(answer) => return response(answer),
            };
        let keyed = KeyedEvent::new(&event);
        let (name, call_id) = (keyed.name().to_owned(), keyed.call_id().to_owned());
        let mut delivery = None;
        if let (Some(store), true) = (&inner.store, inner.at_most_once) {
            let stored = match store.record(&keyed, &body, now_ms()).await {
                Ok(recorded) if recorded.new => Stored::New,
                Ok(_) => Stored::Repeat,
                Err(error) => {
                    let answer = no_body(answer::after_store(&name, &call_id, Stored::Failed));
                    return response(told(answer, logger, Some(&error)));
                }
            };
            if let Some(answer) = answer::after_store(&name, &call_id, stored) {
                return response(told(answer, logger, None));
            }
        } else if let Some(store) = &inner.store {
            let arrival = match store.arrive(&keyed, &body, now_ms()).await {
                Ok(arrival) => arrival,
                Err(error) => {
                    let answer = no_body(answer::after_store(&name, &call_id, Stored::Failed));
                    return response(told(answer, logger, Some(&error)));
                }
            };
            if let Some(answer) = answer::after_claim(&name, &call_id, arrival.verdict) {
                return response(told(answer, logger, None));
            }
            if arrival.delivery.is_none() {
                let answer = no_body(answer::after_store(&name, &call_id, Stored::Failed));
                return response(told(answer, logger, None));
            }
            delivery = arrival.delivery;
        }
        // Only a delivery kept in the inbox (at least once) is due again after a failure.
        let late_failure = match &delivery {
            Some(_) => answer::late_failure_due,
            None => answer::late_failure,
        };
        // The handlers run in a task of their own: they go on (and their end is recorded)
        // after a 202, or when the client goes away before the answer.
        let job = run(self.inner.clone(), event, delivery);
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let late = self.inner.clone();
        let (late_name, late_call) = (name.clone(), call_id.clone());
        tokio::spawn(async move {
            // Nobody waits for the answer any more: a failure is told to the log.
            if let Err(Err(error)) = tx.send(job.await) {
                let log = late_failure(&late_name, &late_call);
                (late.logger)(&log, Some(error.as_ref()));
            }
        });
        let outcome = match inner.ack_timeout {
            None => (&mut rx).await,
            Some(timeout) => match tokio::time::timeout(timeout, &mut rx).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    rx.close();
                    match rx.try_recv() {
                        Ok(outcome) => Ok(outcome),
                        Err(_) => return response(handled_late(&name, &call_id, logger)),
                    }
                }
            },
        };
        // The task ended without an outcome (the store's finish panicked): answered 500; the
        // delivery's lease runs out and it is due again.
        let outcome = outcome.unwrap_or_else(|_| Err("the handlers' task ended early".into()));
        response(handled(&name, &call_id, outcome, logger))
    }
}

type Outcome = Result<(), oneinbox_webhooks_stores::HandlerError>;

/// Runs the handlers of a delivery, then tells the store (if any) how they ended.
async fn run<S: Store>(inner: Arc<Inner<S>>, event: Event, delivery: Option<Delivery>) -> Outcome {
    let outcome = inner.handlers.dispatch(event).await;
    let (Some(store), Some(delivery)) = (&inner.store, delivery) else {
        return outcome;
    };
    let text = outcome.as_ref().err().map(|e| error_text(e.as_ref()));
    if let Err(error) = store.finish(&delivery, text.as_deref(), now_ms()).await {
        let log = Log {
            level: LogLevel::Error,
            line: format!(
                "oneinbox-webhooks: store.finish failed for {:?} of call {:?}; the delivery is due again when its lease ends",
                delivery.event, delivery.call_id
            ),
        };
        (inner.logger)(&log, Some(&error));
        if outcome.is_ok() {
            return Err(Box::new(error));
        }
    }
    outcome
}

fn handled(name: &str, call_id: &str, outcome: Outcome, logger: &Logger) -> Answer {
    match outcome {
        Ok(()) => told(
            answer::after_handlers(name, call_id, Handled::Done),
            logger,
            None,
        ),
        Err(error) => told(
            answer::after_handlers(name, call_id, Handled::Failed),
            logger,
            Some(error.as_ref()),
        ),
    }
}

fn handled_late(name: &str, call_id: &str, logger: &Logger) -> Answer {
    told(
        answer::after_handlers(name, call_id, Handled::Late),
        logger,
        None,
    )
}

/// The route as a [`tower::Layer`]: requests to its path go to the [`Webhook`], every other
/// request to the wrapped service.
///
/// ```
/// use std::convert::Infallible;
/// use axum::{body::Body, extract::Request, response::Response};
/// use oneinbox_webhooks::auth::Receiver;
/// use oneinbox_webhooks_axum::{Webhook, DEFAULT_PATH};
/// use oneinbox_webhooks_stores::{Handlers, MemoryStore};
/// use tower::{service_fn, Layer};
///
/// let receiver = Receiver::new().with_url_tokens(&["tok_9f8e7d"])?;
/// let webhook = Webhook::new(receiver, Handlers::new(), MemoryStore::default());
/// let app = webhook.layer(DEFAULT_PATH).layer(service_fn(|_: Request| async {
///     Ok::<_, Infallible>(Response::new(Body::from("the rest of the app")))
/// }));
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub struct WebhookLayer<S> {
    webhook: Webhook<S>,
    path: Arc<str>,
}

impl<S> Clone for WebhookLayer<S> {
    fn clone(&self) -> Self {
        WebhookLayer {
            webhook: self.webhook.clone(),
            path: self.path.clone(),
        }
    }
}

impl<S> fmt::Debug for WebhookLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookLayer")
            .field("webhook", &self.webhook)
            .field("path", &self.path)
            .finish()
    }
}

impl<S: Store, I> tower::Layer<I> for WebhookLayer<S> {
    type Service = WebhookService<S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        WebhookService {
            layer: self.clone(),
            inner,
        }
    }
}

/// The service of a [`WebhookLayer`].
pub struct WebhookService<S, I> {
    layer: WebhookLayer<S>,
    inner: I,
}

impl<S, I: Clone> Clone for WebhookService<S, I> {
    fn clone(&self) -> Self {
        WebhookService {
            layer: self.layer.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S, I: fmt::Debug> fmt::Debug for WebhookService<S, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookService")
            .field("layer", &self.layer)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, I, B> tower::Service<http::Request<B>> for WebhookService<S, I>
where
    S: Store,
    I: tower::Service<http::Request<B>, Response = Response>,
    I::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = I::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, I::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() == &*self.layer.path {
            let webhook = self.layer.webhook.clone();
            Box::pin(async move { Ok(webhook.respond(request.map(Body::new)).await) })
        } else {
            Box::pin(self.inner.call(request))
        }
    }
}
