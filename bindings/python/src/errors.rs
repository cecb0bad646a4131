//! The exception tree, the values errors carry ([`Issue`], [`Verification`]), the one mapping
//! from core errors to Python exceptions, and the panic guard that every export runs in. A
//! bottom module: it imports nothing else of the binding.
//!
//! `ValidationError` and `UsageError` derive from both `OneInboxError` and `ValueError`, which
//! pyo3's `create_exception!` (single base) cannot express, so the tree is plain Python
//! (`oneinbox_webhooks/_errors.py`), imported once when the native module is.

use std::panic::{catch_unwind, AssertUnwindSafe};

use oneinbox_webhooks as core;
use oneinbox_webhooks::auth as a;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyModule, PyString, PyTuple, PyType};

/// The classes of `_errors.py`, added to the native module in this order.
const NAMES: [&str; 5] = [
    "OneInboxError",
    "ValidationError",
    "UsageError",
    "ApiError",
    "AuthenticationError",
];

static TREE_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static VALIDATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static USAGE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ONEINBOX_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static API_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static AUTHENTICATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn tree(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    TREE_MODULE
        .get_or_try_init(py, || {
            py.import("oneinbox_webhooks._errors").map(Bound::unbind)
        })
        .map(|m| m.bind(py))
}

fn class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyType>> {
    cell.get_or_try_init(py, || {
        Ok::<_, PyErr>(tree(py)?.getattr(name)?.cast_into::<PyType>()?.unbind())
    })
    .map(|t| t.bind(py))
}

/// Adds the exception classes and [`Issue`] to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let tree = tree(m.py())?;
    for name in NAMES {
        m.add(name, tree.getattr(name)?)?;
    }
    m.add_class::<Issue>()
}

/// One problem found in a payload or an argument: a stable `code`, a JSON Pointer `path` and
/// a `message` for people (never more than about 80 characters of input).
#[pyclass(module = "oneinbox_webhooks", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub struct Issue {
    #[pyo3(get)]
    code: String,
    #[pyo3(get)]
    path: String,
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl Issue {
    #[new]
    fn new(code: String, path: String, message: String) -> Self {
        Issue {
            code,
            path,
            message,
        }
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("code", "path", "message")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            // The path can hold a member name of any length; the message is bounded already.
            let path = short_repr(PyString::new(py, &self.path).as_any())?;
            let full = |s: &str| -> PyResult<String> {
                Ok(PyString::new(py, s).repr()?.to_cow()?.into_owned())
            };
            Ok(format!(
                "Issue(code={}, path={path}, message={})",
                full(&self.code)?,
                full(&self.message)?
            ))
        })
    }
}

impl From<core::Issue> for Issue {
    fn from(issue: core::Issue) -> Self {
        Issue {
            code: issue.code.as_str().to_owned(),
            path: issue.path,
            message: issue.message,
        }
    }
}

/// Every error the core returns.
pub(crate) enum CoreError {
    /// Bad remote input.
    Validation(core::ValidationError),
    /// A caller's bad argument.
    Usage(core::UsageError),
    /// The management API answered with an error status.
    Api(core::ApiError),
    /// A delivery that did not authenticate.
    Unauthenticated(core::auth::Verification),
}

impl From<core::ResponseError> for CoreError {
    fn from(e: core::ResponseError) -> Self {
        match e {
            core::ResponseError::Api(e) => CoreError::Api(e),
            core::ResponseError::Decode(e) => CoreError::Validation(e),
        }
    }
}

impl From<core::auth::ReceiveError> for CoreError {
    fn from(e: core::auth::ReceiveError) -> Self {
        match e {
            core::auth::ReceiveError::Unauthenticated(v) => CoreError::Unauthenticated(v),
            core::auth::ReceiveError::Invalid(e) => CoreError::Validation(e),
        }
    }
}

impl From<core::ValidationError> for CoreError {
    fn from(e: core::ValidationError) -> Self {
        CoreError::Validation(e)
    }
}

impl From<core::UsageError> for CoreError {
    fn from(e: core::UsageError) -> Self {
        CoreError::Usage(e)
    }
}

/// The one mapping from a core error to a Python exception: `ValidationError` or
/// `UsageError` (the core's text as `str()`, its issues as `.issues`), `ApiError` (`.status`,
/// `.message`, `.details` as issues, `.retryable`) or `AuthenticationError` (`.verification`).
pub(crate) fn to_py_err(py: Python<'_>, err: impl Into<CoreError>) -> PyErr {
    let issue_list = |issues: Vec<core::Issue>| -> PyResult<Bound<'_, PyList>> {
        PyList::new(
            py,
            issues
                .into_iter()
                .map(|i| Bound::new(py, Issue::from(i)))
                .collect::<PyResult<Vec<_>>>()?,
        )
    };
    let build = || -> PyResult<PyErr> {
        let value = match err.into() {
            CoreError::Validation(e) => class(py, &VALIDATION_ERROR, "ValidationError")?
                .call1((e.to_string(), issue_list(e.into_issues())?))?,
            CoreError::Usage(e) => class(py, &USAGE_ERROR, "UsageError")?
                .call1((e.to_string(), issue_list(e.into_issues())?))?,
            CoreError::Api(e) => class(py, &API_ERROR, "ApiError")?.call1((
                e.status,
                e.message,
                issue_list(e.details)?,
                e.retryable,
            ))?,
            CoreError::Unauthenticated(v) => {
                let v = Bound::new(py, Verification::from(v))?;
                class(py, &AUTHENTICATION_ERROR, "AuthenticationError")?.call1((v,))?
            }
        };
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|e| e)
}

/// An unexpected failure inside the binding (a bug): a `OneInboxError`, never pyo3's
/// `PanicException` (which is not an `Exception` and escapes `except Exception`).
fn internal_error(py: Python<'_>, what: &str) -> PyErr {
    let message = format!("internal error in oneinbox_webhooks (please report it): {what}");
    match class(py, &ONEINBOX_ERROR, "OneInboxError") {
        Ok(ty) => PyErr::from_type(ty.clone(), message),
        Err(e) => e,
    }
}

/// Runs `f`, turning a panic into `OneInboxError`. Every function and method the module
/// exports runs its body through this.
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            Err(internal_error(py, &what))
        }
    }
}

/// Most characters of one value's repr shown by a `__repr__`.
const REPR_CHARS: usize = 80;

/// `repr(v)`, cut to [`REPR_CHARS`] characters so that a huge payload never floods a log.
pub(crate) fn short_repr(v: &Bound<'_, PyAny>) -> PyResult<String> {
    let r = v.repr()?.to_cow()?.into_owned();
    if r.chars().count() <= REPR_CHARS {
        return Ok(r);
    }
    let mut cut: String = r.chars().take(REPR_CHARS).collect();
    cut.push('…');
    Ok(cut)
}

/// The outcome of a check: `ok`, a stable `code` (`"ok"`, `"missing_token"`,
/// `"token_mismatch"`, `"missing_header"`, `"invalid_header"`, `"invalid_timestamp"`,
/// `"timestamp_too_old"`, `"timestamp_too_new"`, `"no_matching_signature"`, `"not_configured"`) and
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
pub(crate) fn _verification(
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
