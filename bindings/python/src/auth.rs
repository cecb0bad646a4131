//! Authenticating deliveries: `Verification`, `add_url_token`, `verify_url_token`,
//! `verify_signature`, `sign` and `Receiver`, thin wrappers over the core's `auth` module.
//! The binding adds only what the core leaves to its caller: the current time as the default
//! `now` (randomness for `new_url_token` is drawn in Python).

use std::time::SystemTime;

use oneinbox_webhooks::auth::{self as a, DEFAULT_TOLERANCE_SECONDS};
use oneinbox_webhooks::host;
use oneinbox_webhooks::ParseOptions;
use pyo3::prelude::*;

use crate::args::{one, Headers, Int, ReceiverSecrets, Secrets};
use crate::errors::{_verification, Verification};
use crate::errors::{guard, to_py_err};
use crate::events::{detached, parse_options, parse_to_py, with_body_of, with_owned_body_of};
use crate::secret::Secret;
use oneinbox_webhooks::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH};

/// `now` (Unix seconds) or the current time.
fn now_or_current(now: Option<i64>) -> i64 {
    now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

fn tolerance_seconds(py: Python<'_>, tolerance: Int) -> PyResult<u64> {
    one(py, host::seconds(tolerance.0, "tolerance"))
}

/// `redact_url_token(text)`: `text` with every `token=` query value replaced by `[redacted]`.
#[pyfunction]
pub fn redact_url_token(py: Python<'_>, text: String) -> PyResult<String> {
    guard(py, || Ok(a::redact_url_token(&text)))
}

/// `signing_secret_from_bytes(data)`: a `whsec_` signing secret from 32 random bytes (the core's
/// format; `new_signing_secret()` passes `secrets.token_bytes(32)`).
#[pyfunction]
pub fn signing_secret_from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<String> {
    guard(py, || {
        let bytes: &[u8; a::SIGNING_SECRET_BYTES] = data.try_into().map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "signing_secret_from_bytes needs {} bytes, got {}",
                a::SIGNING_SECRET_BYTES,
                data.len()
            ))
        })?;
        Ok(a::signing_secret_from_bytes(bytes))
    })
}

/// Sets (or replaces) the `token` query parameter of `url`, percent-encoded, keeping the rest
/// of the URL.
#[pyfunction]
pub fn add_url_token(py: Python<'_>, url: String, token: String) -> PyResult<String> {
    guard(py, || {
        a::add_url_token(&url, &token).map_err(|e| to_py_err(py, e))
    })
}

/// Checks the `token` query parameter of a request URL (or its query string) against
/// `secrets` in constant time.
#[pyfunction]
pub fn verify_url_token(
    py: Python<'_>,
    request_url_or_query: String,
    secrets: Secrets,
) -> PyResult<Verification> {
    guard(py, || {
        a::verify_url_token(&request_url_or_query, &secrets.0)
            .map(Verification::from)
            .map_err(|e| to_py_err(py, e))
    })
}

/// Verifies a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`) over the raw body bytes, exactly as received.
#[pyfunction]
#[pyo3(
    signature = (headers, body, secrets, *, now = None, tolerance = Int::of(DEFAULT_TOLERANCE_SECONDS as usize)),
    text_signature = "(headers, body, secrets, *, now=None, tolerance=300)"
)]
pub fn verify_signature(
    py: Python<'_>,
    headers: Headers,
    body: &Bound<'_, PyAny>,
    secrets: Secrets,
    now: Option<i64>,
    tolerance: Int,
) -> PyResult<Verification> {
    guard(py, || {
        let tolerance = tolerance_seconds(py, tolerance)?;
        let now = now_or_current(now);
        with_body_of(py, "verify_signature", body, |bytes| {
            a::verify_signature(&headers.0, bytes, &secrets.0, now, tolerance)
        })?
        .map(Verification::from)
        .map_err(|e| to_py_err(py, e))
    })
}

/// The `webhook-signature` header value (`v1,<base64>`) for `body`, for your own tests.
#[pyfunction]
pub fn sign(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    msg_id: String,
    timestamp: i64,
    body: &Bound<'_, PyAny>,
) -> PyResult<String> {
    guard(py, || {
        let secret = match secret.cast::<Secret>() {
            Ok(s) => s.get().expose(),
            Err(_) => secret.extract::<String>()?,
        };
        with_body_of(py, "sign", body, |bytes| {
            a::sign(&secret, &msg_id, timestamp, bytes)
        })?
        .map_err(|e| to_py_err(py, e))
    })
}

/// Authenticates deliveries (URL token and/or Standard Webhooks signature, whichever is
/// configured) and then parses them. `repr()` shows how many secrets it holds, never them.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct Receiver {
    inner: a::Receiver,
    options: ParseOptions,
    tokens: usize,
    secrets: usize,
    tolerance: u64,
}

#[pymethods]
impl Receiver {
    #[new]
    #[pyo3(signature = (
        *,
        url_tokens = None,
        signing_secrets = None,
        tolerance = Int::of(DEFAULT_TOLERANCE_SECONDS as usize),
        strict = false,
        max_body_bytes = Int::of(DEFAULT_MAX_BODY_BYTES),
        max_depth = Int::of(DEFAULT_MAX_DEPTH),
        allow_unauthenticated = false,
    ), text_signature = "(*, url_tokens=None, signing_secrets=None, tolerance=300, strict=False, max_body_bytes=1048576, max_depth=64, allow_unauthenticated=False)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url_tokens: Option<ReceiverSecrets>,
        signing_secrets: Option<ReceiverSecrets>,
        tolerance: Int,
        strict: bool,
        max_body_bytes: Int,
        max_depth: Int,
        allow_unauthenticated: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let tolerance = tolerance_seconds(py, tolerance)?;
            let options = parse_options(py, strict, max_body_bytes, max_depth)?;
            let tokens = url_tokens.as_ref().map_or(0, |t| t.0.len());
            let secrets = signing_secrets.as_ref().map_or(0, |s| s.0.len());
            let inner = a::Receiver::new()
                .with_tolerance(tolerance)
                .with_parse_options(options)
                .with_authentication(
                    url_tokens.as_ref().map(|t| t.0.as_slice()),
                    signing_secrets.as_ref().map(|s| s.0.as_slice()),
                    allow_unauthenticated,
                )
                .map_err(|e| to_py_err(py, e))?;
            if let Some(line) = inner.unauthenticated_warning() {
                py.import("logging")?
                    .call_method1("getLogger", ("oneinbox_webhooks",))?
                    .call_method1("warning", ("%s", line))?;
            }
            Ok(Receiver {
                inner,
                options,
                tokens,
                secrets,
                tolerance,
            })
        })
    }

    /// Authenticates and parses one delivery: the event, or `AuthenticationError` (with
    /// `.verification`) when it does not authenticate, or `ValidationError` when the body is
    /// not a valid event. `url` is the request URL (or its query string) for URL tokens; `now`
    /// (Unix seconds) defaults to the current time.
    #[pyo3(
        signature = (body, *, headers = Headers(Vec::new()), url = None, now = None),
        text_signature = "(self, body, *, headers=None, url=None, now=None)"
    )]
    fn receive<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        headers: Headers,
        url: Option<String>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let now = now_or_current(now);
            with_owned_body_of(py, "receive", body, |bytes, owner| {
                detached(py, &self.options, bytes, |b| {
                    self.inner.authenticate(b, &headers.0, url.as_deref(), now)
                })
                .map_err(|v| to_py_err(py, a::ReceiveError::Unauthenticated(v)))?;
                parse_to_py(py, &self.options, bytes, owner)
            })?
        })
    }

    /// The largest body `receive` accepts, in bytes (`max_body_bytes`): framework adapters
    /// answer 413 above it from `Content-Length`, before reading the body.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.options.max_body_bytes
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            Ok(format!(
            "Receiver(url_tokens=[{} redacted], signing_secrets=[{} redacted], tolerance={}, strict={})",
            self.tokens,
            self.secrets,
            self.tolerance,
            if self.options.strict { "True" } else { "False" }
        ))
        })
    }
}

/// Adds the authentication functions and classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Verification>()?;
    m.add_class::<Receiver>()?;
    m.add_function(wrap_pyfunction!(add_url_token, m)?)?;
    m.add_function(wrap_pyfunction!(redact_url_token, m)?)?;
    m.add_function(wrap_pyfunction!(signing_secret_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(verify_url_token, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(_verification, m)?)?;
    m.add("DEFAULT_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
}
