//! Authenticating deliveries: `Verification`, `add_url_token`, `verify_url_token`,
//! `verify_signature`, `sign` and `Receiver`, thin wrappers over the core's `auth` module.
//! The binding adds only what the core leaves to its caller: the current time as the default
//! `now` (randomness for `new_url_token` is drawn in Python).

use std::time::SystemTime;

use oneinbox_webhooks::auth::{self as a, DEFAULT_TOLERANCE_SECONDS};
use oneinbox_webhooks::host;
use oneinbox_webhooks::ParseOptions;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};
use pyo3::{intern, Borrowed};

use crate::args::{one, Int};
use crate::errors::{guard, to_py_err};
use crate::events::{detached, parse_options, parse_to_py, with_body_of};
use crate::management::Secret;
use oneinbox_webhooks::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH};

/// Request headers as name/value pairs, from a dict, a list of pairs or any object with an
/// `items()` method that yields pairs (a `Mapping`, Starlette's and Werkzeug's `Headers`,
/// `http.client.HTTPMessage`; repeated headers are kept). Names and values may be `str` or
/// `bytes` (decoded as Latin-1, as ASGI servers hand them over).
pub struct Headers(pub(crate) Vec<(String, String)>);

fn header_text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_string_lossy().into_owned());
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(b.as_bytes().iter().map(|&c| char::from(c)).collect());
    }
    Err(PyTypeError::new_err(format!(
        "header names and values must be str or bytes, not {}",
        v.get_type().name()?
    )))
}

impl<'a, 'py> FromPyObject<'a, 'py> for Headers {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        if obj.is_none() {
            return Ok(Headers(Vec::new()));
        }
        if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "headers must be a dict, a list of (name, value) pairs or a Mapping, not a string",
            ));
        }
        let pairs = if obj.hasattr(intern!(py, "items"))? {
            obj.call_method0(intern!(py, "items"))?
        } else {
            obj.to_owned()
        };
        let mut out = Vec::new();
        for pair in pairs.try_iter()? {
            let pair = pair?;
            let items: Vec<Bound<'py, PyAny>> =
                if pair.is_instance_of::<PyString>() || pair.is_instance_of::<PyBytes>() {
                    Vec::new()
                } else {
                    pair.try_iter()?.collect::<PyResult<_>>()?
                };
            match items.as_slice() {
                [name, value] => out.push((header_text(name)?, header_text(value)?)),
                _ => {
                    return Err(PyTypeError::new_err(
                        "headers must be (name, value) pairs; iterate a Mapping with .items()",
                    ))
                }
            }
        }
        Ok(Headers(out))
    }
}

/// A list of secrets: each a `str` or a `Secret` (as `Webhook.secret` returns it).
pub struct Secrets(Vec<String>);

impl<'a, 'py> FromPyObject<'a, 'py> for Secrets {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "secrets must be a list of str (several are accepted at once for key rotation), \
                 not a single string: pass [secret]",
            ));
        }
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            let item = item?;
            if let Ok(s) = item.cast::<Secret>() {
                out.push(s.get().expose());
            } else if let Ok(s) = item.cast::<PyString>() {
                // Strict: a lone surrogate raises UnicodeEncodeError rather than silently
                // becoming U+FFFD (a different secret from the one given).
                out.push(s.to_cow()?.into_owned());
            } else {
                return Err(PyTypeError::new_err(format!(
                    "each secret must be a str or a Secret, not {}",
                    item.get_type().name()?
                )));
            }
        }
        Ok(Secrets(out))
    }
}

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

/// The outcome of a check: `ok`, a stable `code` (`"ok"`, `"missing_token"`,
/// `"token_mismatch"`, `"missing_header"`, `"invalid_header"`, `"invalid_timestamp"`,
/// `"timestamp_too_old"`, `"timestamp_too_new"`, `"no_matching_signature"`) and
/// `matched_secret`, the index of the secret that matched (or `None`).
#[pyclass(module = "oneinbox_webhooks", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub struct Verification {
    #[pyo3(get)]
    ok: bool,
    #[pyo3(get)]
    code: &'static str,
    #[pyo3(get)]
    matched_secret: Option<usize>,
}

impl From<a::Verification> for Verification {
    fn from(v: a::Verification) -> Self {
        Verification {
            ok: v.ok,
            code: v.code.as_str(),
            matched_secret: v.matched_secret,
        }
    }
}

#[pymethods]
impl Verification {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("ok", "code", "matched_secret")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let matched = self
                .matched_secret
                .map_or_else(|| "None".to_owned(), |i| i.to_string());
            let ok = if self.ok { "True" } else { "False" };
            Ok(format!(
                "Verification(ok={ok}, code='{}', matched_secret={matched})",
                self.code
            ))
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || {
            let rebuild = py
                .import(intern!(py, "oneinbox_webhooks._native"))?
                .getattr(intern!(py, "_verification"))?;
            (rebuild, (self.ok, self.code, self.matched_secret)).into_pyobject(py)
        })
    }
}

/// Rebuilds a `Verification` (for pickling `AuthenticationError`).
#[pyfunction]
fn _verification(
    py: Python<'_>,
    ok: bool,
    code: String,
    matched_secret: Option<usize>,
) -> PyResult<Verification> {
    guard(py, || {
        let code = a::VerificationCode::ALL
            .iter()
            .find(|c| c.as_str() == code)
            .map(|c| c.as_str())
            .ok_or_else(|| PyTypeError::new_err("unknown verification code"))?;
        Ok(Verification {
            ok,
            code,
            matched_secret,
        })
    })
}

/// `redact_url_token(text)`: `text` with every `token=` query value replaced by `[redacted]`.
#[pyfunction]
pub fn redact_url_token(py: Python<'_>, text: String) -> PyResult<String> {
    guard(py, || Ok(a::redact_url_token(&text)))
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
    ), text_signature = "(*, url_tokens=None, signing_secrets=None, tolerance=300, strict=False, max_body_bytes=1048576, max_depth=64)")]
    fn new(
        py: Python<'_>,
        url_tokens: Option<Secrets>,
        signing_secrets: Option<Secrets>,
        tolerance: Int,
        strict: bool,
        max_body_bytes: Int,
        max_depth: Int,
    ) -> PyResult<Self> {
        guard(py, || {
            let tolerance = tolerance_seconds(py, tolerance)?;
            let options = parse_options(py, strict, max_body_bytes, max_depth)?;
            let mut inner = a::Receiver::new()
                .with_tolerance(tolerance)
                .with_parse_options(options);
            let (mut tokens, mut secrets) = (0, 0);
            if let Some(t) = url_tokens {
                tokens = t.0.len();
                inner = inner.with_url_tokens(&t.0).map_err(|e| to_py_err(py, e))?;
            }
            if let Some(s) = signing_secrets {
                secrets = s.0.len();
                inner = inner
                    .with_signing_secrets(&s.0)
                    .map_err(|e| to_py_err(py, e))?;
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
            with_body_of(py, "receive", body, |bytes| {
                detached(py, &self.options, bytes, |b| {
                    self.inner.authenticate(b, &headers.0, url.as_deref(), now)
                })
                .map_err(|v| to_py_err(py, a::ReceiveError::Unauthenticated(v)))?;
                parse_to_py(py, &self.options, bytes)
            })?
        })
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
    m.add_function(wrap_pyfunction!(verify_url_token, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(_verification, m)?)?;
    m.add("DEFAULT_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
}
