//! The core's fake OneInbox ([`FakeOneInbox`]) served over loopback HTTP/1.1, for tests
//! (feature `testing`). Any HTTP client can be pointed at [`FakeServer::base_url`]; the
//! receiver and store crates can reuse it as a dev-dependency.
//!
//! ```
//! use oneinbox_webhooks::fake::FakeOneInbox;
//! use oneinbox_webhooks_client::{testing::FakeServer, Client};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = FakeServer::start(FakeOneInbox::new("oi_sk_test_fake", 7)).await?;
//! let client = Client::builder("oi_sk_test_fake").base_url(server.base_url()).build()?;
//! assert!(client.list_webhooks().await?.is_empty());
//! assert_eq!(server.fake().requests().len(), 1);
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use oneinbox_webhooks::fake::{FakeOneInbox, FakeResponse};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as a [`serve`] handler sees it.
#[derive(Debug, Clone)]
pub struct ServedRequest {
    /// The method, upper-case.
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    /// The headers, in order (names lower-case).
    pub headers: Vec<(String, String)>,
    /// The body (empty when none).
    pub body: Vec<u8>,
}

/// A loopback HTTP server; it stops when dropped.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `handler` on a free loopback port: each request gets the handler's answer, or, for
/// `None`, the connection closes without one.
pub async fn serve<F>(handler: F) -> std::io::Result<Served>
where
    F: Fn(ServedRequest) -> Option<FakeResponse> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let handler = Arc::new(handler);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(Arc::clone(&handler), req));
                // A connection that ends with an error (a `None` answer) just closes.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Served { addr, task })
}

/// The handler's answer to one request; an error (which closes the connection) for `None`.
async fn answer<F>(
    handler: Arc<F>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, NoAnswer>
where
    F: Fn(ServedRequest) -> Option<FakeResponse>,
{
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| NoAnswer)?.to_bytes();
    let request = ServedRequest {
        method: parts.method.as_str().to_owned(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    let fake = handler(request).ok_or(NoAnswer)?;
    let mut response = Response::builder().status(fake.status);
    for (name, value) in &fake.headers {
        response = response.header(name, value);
    }
    response
        .body(Full::new(Bytes::from(fake.body)))
        .map_err(|_| NoAnswer)
}

/// The error a handler's `None` becomes: hyper closes the connection without an answer.
#[derive(Debug)]
struct NoAnswer;

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no answer")
    }
}

impl std::error::Error for NoAnswer {}

/// A [`FakeOneInbox`] behind a loopback server: every request goes to
/// [`FakeOneInbox::handle`] with the clock's `now`. It stops when dropped.
#[derive(Debug)]
pub struct FakeServer {
    fake: Arc<Mutex<FakeOneInbox>>,
    served: Served,
}

impl FakeServer {
    /// Serves `fake` on a free loopback port.
    pub async fn start(fake: FakeOneInbox) -> std::io::Result<FakeServer> {
        let fake = Arc::new(Mutex::new(fake));
        let shared = Arc::clone(&fake);
        let served = serve(move |req| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            let body = (!req.body.is_empty()).then_some(req.body.as_slice());
            let mut fake = shared.lock().unwrap_or_else(|e| e.into_inner());
            fake.handle(&req.method, &req.target, &req.headers, body, now)
        })
        .await?;
        Ok(FakeServer { fake, served })
    }

    /// `http://127.0.0.1:<port>`: the base URL to give a client.
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    /// The fake, to inspect (`requests`, `calls`, ...) or to queue faults (`fail_next`,
    /// `disconnect_next`). Do not hold it across an `await` of a request to this server.
    pub fn fake(&self) -> MutexGuard<'_, FakeOneInbox> {
        self.fake.lock().unwrap_or_else(|e| e.into_inner())
    }
}
