//! An async [reqwest] client for the OneInbox management API, built on the sans-I/O core
//! [`oneinbox_webhooks`].
//!
//! Every method builds its request with the core's [`Api`] (so every argument rule is the
//! core's, and a bad argument is an [`Error::Usage`] before anything is sent), sends it, and
//! reads the answer with [`Prepared::parse_response`]. This crate is only the I/O:
//!
//! - **Retries** are the core's decision: one loop asks [`Prepared::next_step`] after each
//!   failed attempt whether to wait and send again (honouring `Retry-After`) or give up. A
//!   request that creates something (`create_webhook`, `create_call`) is never sent again after
//!   an answer or a lost connection that leaves open whether it was processed.
//! - **Paging** is a [`Stream`]: [`Client::iter_deliveries`] and [`Client::iter_calls`] fetch
//!   each page (with [`Prepared::next_page`]) only when the one before is used up.
//! - **Redirects are never followed** (they would send the API key and the body elsewhere): a
//!   3xx is an [`Error::Api`]. Every request has a timeout (10 s unless told otherwise).
//! - **The API key** is only ever in the `Authorization` header: never in `Debug` or in an
//!   error's message.
//! - **TLS** is rustls by default (no OpenSSL); the `native-tls` feature uses the platform's
//!   library instead.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use oneinbox_webhooks::management::{CreateWebhook, ListCalls};
//! use oneinbox_webhooks_client::{Client, Error};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     // The key from ONEINBOX_API_KEY, the base URL from ONEINBOX_BASE_URL if set.
//!     let client = Client::from_env()?;
//!     let hook = client
//!         .create_webhook(&CreateWebhook {
//!             name: "Call events".into(),
//!             url: "https://example.com/hooks/oneinbox".into(),
//!             events: vec!["call.ended".into()],
//!         })
//!         .await?; // a 502 is not retried: the webhook may exist (see the error's message)
//!     println!("created {}", hook.id);
//!
//!     // Every completed call, page after page (a Stream; 429s and 5xx retried as the core says).
//!     let completed = ListCalls { status: Some("completed".into()), ..ListCalls::default() };
//!     let mut calls = client.iter_calls(&completed)?;
//!     while let Some(call) = calls.try_next().await? {
//!         println!("{} {:?}", call.id, call.status);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! With the `testing` feature, `testing::FakeServer` serves the core's fake OneInbox over
//! loopback, so a test can point a [`Client`] (or any HTTP client) at it.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_core::Stream;
use futures_util::{stream, StreamExt, TryStreamExt};
use oneinbox_webhooks::management::{
    retry_after, Api, ApiError, Call, CallPage, CreateCall, CreateWebhook, Delivery, DeliveryPage,
    GiveUp, ListCalls, ListDeliveries, Outcome, Prepared, ResponseError, Step, UpdateWebhook,
    Webhook, DEFAULT_MAX_RETRIES,
};
use oneinbox_webhooks::{UsageError, ValidationError};

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

/// The environment a client reads (`ONEINBOX_API_KEY`, `ONEINBOX_BASE_URL`), for
/// [`ClientBuilder::build_with_env`].
pub use oneinbox_webhooks::management::ClientEnv;

/// How long one attempt may take, from connecting to reading the whole answer, unless
/// [`ClientBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call of the [`Client`] failed.
///
/// Messages never contain the API key: the core scrubs it from every message it makes, even
/// one that echoes a server's text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad argument (or API key, or base URL): nothing was sent. Every issue, with JSON
    /// Pointer paths into the arguments.
    #[error(transparent)]
    Usage(UsageError),
    /// The API answered with a status outside 2xx (a 3xx too: redirects are never followed),
    /// after any retries the core allowed. [`ApiError::retryable`] says whether sending it
    /// again later is safe.
    #[error(transparent)]
    Api(ApiError),
    /// The API answered 2xx with a body that does not match the endpoint's result.
    #[error("unexpected response body: {0}")]
    Decode(ValidationError),
    /// No answer: the connection could not be opened, or was lost, or the attempt timed out,
    /// after any retries the core allowed.
    #[error("{message}")]
    Transport {
        /// Whether the request may have reached the server. For a request that creates
        /// something, `true` means it may exist: `message` says how to check.
        sent: bool,
        /// Whether sending the same request again later is safe and may succeed.
        retryable: bool,
        /// The core's message: method and URL (tokens redacted), the cause, the attempts made.
        message: String,
    },
    /// The HTTP client could not be made (the TLS backend failed to start).
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

impl Error {
    /// Whether the same request may be sent again later: a retryable [`Error::Api`] or
    /// [`Error::Transport`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.retryable,
            Error::Transport { retryable, .. } => *retryable,
            _ => false,
        }
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(e) => Error::Api(e),
            ResponseError::Decode(e) => Error::Decode(e),
        }
    }
}

/// An API key that `Debug` never shows.
#[derive(Clone)]
struct Redacted(String);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// Options for a [`Client`]: [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    // `Debug` shows `None` or `Some("[redacted]")`, never the key.
    api_key: Option<Redacted>,
    base_url: Option<String>,
    timeout: Duration,
    max_retries: u32,
}

impl ClientBuilder {
    /// Sends requests to another base URL (a proxy, a staging host, a local fake), as
    /// [`Api::with_base_url`] checks it.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// How long one attempt may take, from connecting to reading the whole answer
    /// (default [`DEFAULT_TIMEOUT`]). A retry gets the same time again.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// At most this many retries of a failed request (default [`DEFAULT_MAX_RETRIES`]); 0
    /// sends each request once.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Checks the key and base URL (an [`Error::Usage`] that never quotes the key) and makes
    /// the client. A key or base URL not given is read from the environment variable
    /// `ONEINBOX_API_KEY` or `ONEINBOX_BASE_URL` ([`Api::configure`]'s rule: an empty variable
    /// is unset; with no key anywhere the issue names the argument and the variable).
    pub fn build(self) -> Result<Client, Error> {
        let env = ClientEnv::read_with(|name| std::env::var(name).ok());
        self.build_with_env(env)
    }

    /// [`ClientBuilder::build`] with the environment's values given rather than read (tests,
    /// or configuration that comes from elsewhere).
    pub fn build_with_env(self, env: ClientEnv) -> Result<Client, Error> {
        let api = Api::configure(self.api_key.map(|k| k.0), self.base_url, env)?;
        let http = reqwest::Client::builder()
            // Never: a redirect would re-send the API key and the body to the Location.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::Setup(cause(&e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                http,
                max_retries: self.max_retries,
                timeout: self.timeout,
                jitter: AtomicU64::new(clock_seed()),
            }),
        })
    }
}

/// The async OneInbox management API client. Cheap to clone (the clones share one
/// connection pool); `Debug` shows `api_key: "[redacted]"`.
///
/// It needs a Tokio runtime (reqwest's and the retry waits').
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    api: Api,
    http: reqwest::Client,
    max_retries: u32,
    timeout: Duration,
    /// SplitMix64 state for the retry jitter, seeded from the clock.
    jitter: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.inner.api)
            .field("max_retries", &self.inner.max_retries)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with this key, for `ONEINBOX_BASE_URL` if set, else `https://api.oneinbox.ai`,
    /// with the default timeout and retries.
    pub fn new(api_key: impl Into<String>) -> Result<Client, Error> {
        Client::builder(api_key).build()
    }

    /// A client whose key (and base URL, if set) come from the environment variables
    /// `ONEINBOX_API_KEY` and `ONEINBOX_BASE_URL`: an [`Error::Usage`] naming both the
    /// argument and the variable when there is no key.
    pub fn from_env() -> Result<Client, Error> {
        Client::builder_from_env().build()
    }

    /// Options before making the client: base URL, timeout, retries.
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            api_key: Some(Redacted(api_key.into())),
            ..Client::builder_from_env()
        }
    }

    /// Options before making a client whose key comes from `ONEINBOX_API_KEY` (read by
    /// [`ClientBuilder::build`]).
    pub fn builder_from_env() -> ClientBuilder {
        ClientBuilder {
            api_key: None,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }

    /// The core's request builder this client uses (to prepare a request yourself and hand it
    /// to [`Client::send`]).
    pub fn api(&self) -> &Api {
        &self.inner.api
    }

    /// Sends a prepared request, retrying as the core's driver says ([`Prepared::next_step`]),
    /// and returns the endpoint's result.
    pub async fn send<T>(&self, prepared: &Prepared<T>) -> Result<T, Error> {
        let mut attempt = 0u32;
        loop {
            let failed = match self.attempt(prepared).await {
                Ok((status, retry_after, body)) => match prepared.parse_response(status, &body) {
                    Ok(value) => return Ok(value),
                    Err(ResponseError::Api(error)) => Failed::Status { retry_after, error },
                    Err(e) => return Err(e.into()),
                },
                Err(failed) => failed,
            };
            let draw = self.draw();
            match prepared.next_step(attempt, self.inner.max_retries, failed.outcome(), draw) {
                Step::Retry { wait } => tokio::time::sleep(wait).await,
                Step::GiveUp(give_up) => return Err(failed.into_error(give_up)),
            }
            attempt = attempt.saturating_add(1);
        }
    }

    /// One send: the answer's status, `Retry-After` and body, or how it failed without one.
    async fn attempt<T>(
        &self,
        prepared: &Prepared<T>,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), Failed> {
        let req = prepared.request();
        let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .map_err(|_| Failed::NotConnected("unsupported method".into()))?;
        let mut builder = self.inner.http.request(method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_connect() || e.is_builder() {
                Failed::NotConnected(cause(&e))
            } else {
                Failed::Lost(cause(&e))
            }
        })?;
        let status = response.status().as_u16();
        let headers: Vec<(&str, &str)> = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect();
        let retry_after = retry_after(&headers, SystemTime::now());
        let body = response
            .bytes()
            .await
            .map_err(|e| Failed::Lost(cause(&e)))?;
        Ok((status, retry_after, body.to_vec()))
    }

    /// A random number in `[0, 1)` for the retry jitter (SplitMix64).
    fn draw(&self) -> f64 {
        let mut z = self
            .inner
            .jitter
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `POST /v1/webhooks` ([`Api::create_webhook`]): the new webhook, with its secret. Not
    /// retried after an answer that leaves open whether it was created.
    pub async fn create_webhook(&self, args: &CreateWebhook) -> Result<Webhook, Error> {
        self.send(&self.api().create_webhook(args)?).await
    }

    /// `GET /v1/webhooks` ([`Api::list_webhooks`]): the account's webhooks.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, Error> {
        self.send(&self.api().list_webhooks()?).await
    }

    /// `PATCH /v1/webhooks/{webhook_id}` ([`Api::update_webhook`]): the changed webhook.
    pub async fn update_webhook(
        &self,
        webhook_id: &str,
        args: &UpdateWebhook,
    ) -> Result<Webhook, Error> {
        self.send(&self.api().update_webhook(webhook_id, args)?)
            .await
    }

    /// `DELETE /v1/webhooks/{webhook_id}` ([`Api::delete_webhook`]).
    pub async fn delete_webhook(&self, webhook_id: &str) -> Result<(), Error> {
        self.send(&self.api().delete_webhook(webhook_id)?).await
    }

    /// `POST /v1/webhooks/{webhook_id}/test` ([`Api::test_webhook`]): asks OneInbox to send a
    /// sample delivery. Not retried after an answer that leaves open whether it was sent.
    pub async fn test_webhook(&self, webhook_id: &str) -> Result<(), Error> {
        self.send(&self.api().test_webhook(webhook_id)?).await
    }

    /// `GET /v1/webhooks/{webhook_id}/deliveries` ([`Api::list_deliveries`]): one page of the
    /// delivery history, most recent first.
    pub async fn list_deliveries(
        &self,
        webhook_id: &str,
        args: &ListDeliveries,
    ) -> Result<DeliveryPage, Error> {
        self.send(&self.api().list_deliveries(webhook_id, args)?)
            .await
    }

    /// Every delivery of the webhook, most recent first (from `args.offset`), fetching each
    /// page (of `args.limit`) only when the one before is used up. The arguments are checked
    /// at once; the stream ends after its first error.
    pub fn iter_deliveries(
        &self,
        webhook_id: &str,
        args: &ListDeliveries,
    ) -> Result<impl Stream<Item = Result<Delivery, Error>> + Send + 'static, Error> {
        let first = self.api().list_deliveries(webhook_id, args)?;
        Ok(self.items(
            first,
            Prepared::<DeliveryPage>::next_page,
            |page: DeliveryPage| page.items,
        ))
    }

    /// `POST /v1/calls` ([`Api::create_call`]): places an outbound call. Never retried after
    /// an answer (500, 502, 504) or a lost connection that leaves open whether it was placed.
    pub async fn create_call(&self, args: &CreateCall) -> Result<Call, Error> {
        self.send(&self.api().create_call(args)?).await
    }

    /// `GET /v1/calls/{call_id}` ([`Api::get_call`]): the call as OneInbox has it now.
    pub async fn get_call(&self, call_id: &str) -> Result<Call, Error> {
        self.send(&self.api().get_call(call_id)?).await
    }

    /// `GET /v1/calls` ([`Api::list_calls`]): one page of the account's calls, most recent
    /// first.
    pub async fn list_calls(&self, args: &ListCalls) -> Result<CallPage, Error> {
        self.send(&self.api().list_calls(args)?).await
    }

    /// Every call that matches the filters, most recent first (from `args.offset`), fetching
    /// each page (of `args.limit`) only when the one before is used up. The arguments are
    /// checked at once; the stream ends after its first error.
    pub fn iter_calls(
        &self,
        args: &ListCalls,
    ) -> Result<impl Stream<Item = Result<Call, Error>> + Send + 'static, Error> {
        let first = self.api().list_calls(args)?;
        Ok(
            self.items(first, Prepared::<CallPage>::next_page, |page: CallPage| {
                page.items
            }),
        )
    }

    /// The items of every page from `first` on: one request per page, made when the items of
    /// the page before are used up.
    fn items<P, I>(
        &self,
        first: Prepared<P>,
        next: fn(&Prepared<P>, &P) -> Option<Prepared<P>>,
        items: fn(P) -> Vec<I>,
    ) -> impl Stream<Item = Result<I, Error>> + Send + 'static
    where
        P: Send + 'static,
        I: Send + 'static,
    {
        let client = self.clone();
        stream::try_unfold(Some(first), move |prepared| {
            let client = client.clone();
            async move {
                let Some(prepared) = prepared else {
                    return Ok::<_, Error>(None);
                };
                let page = client.send(&prepared).await?;
                let after = next(&prepared, &page);
                Ok(Some((page, after)))
            }
        })
        .map_ok(move |page| stream::iter(items(page).into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }
}

/// How one attempt failed.
enum Failed {
    /// An answer outside 2xx: the core's error for it.
    Status {
        retry_after: Option<Duration>,
        error: ApiError,
    },
    /// Nothing was sent: the cause.
    NotConnected(String),
    /// The request may have reached the server: the cause.
    Lost(String),
}

impl Failed {
    /// What the core's retry driver is told.
    fn outcome(&self) -> Outcome<'_> {
        match self {
            Failed::Status { retry_after, error } => Outcome::Status {
                status: error.status,
                retry_after: *retry_after,
            },
            Failed::NotConnected(cause) => Outcome::NotConnected { cause },
            Failed::Lost(cause) => Outcome::Lost { cause },
        }
    }

    /// The error to return when the driver gives up.
    fn into_error(self, give_up: GiveUp) -> Error {
        let sent = matches!(self, Failed::Lost(_));
        match self {
            Failed::Status { error, .. } => Error::Api(error),
            Failed::NotConnected(_) | Failed::Lost(_) => Error::Transport {
                sent,
                retryable: give_up.retryable,
                message: give_up.message.unwrap_or_default(),
            },
        }
    }
}

/// A reqwest error's causes, without its URL (the core adds the URL, tokens redacted, and
/// scrubs the API key from the whole message).
fn cause(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_owned());
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        // The error's own text, without the URL it names.
        let mut text = e.to_string();
        if let Some(url) = e.url() {
            text = text.replace(&format!(" ({url})"), "");
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// A seed for the jitter from the clock (the only randomness the retry waits need).
fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    (nanos as u64) ^ ((nanos >> 64) as u64)
}
