//! The answer to a delivery (`Answer` and one `answer_*` function per step): thin wrappers over
//! the core's `answer` module, which `oneinbox_webhooks._adapter` asks between its I/O steps.
//! A step's result is named by the same string as in `tests/fixtures/answers/`.

use oneinbox_webhooks::answer::{self as a, Handled, Read, Received, Request, Stored};
use oneinbox_webhooks::inbox::Verdict;
use oneinbox_webhooks::{Issue, IssueCode};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::errors::guard;

/// The reply to a delivery and what to log about it: `status`, `headers` (pairs, in order),
/// `body` (JSON for a 400, 401 or 415; else empty), `close_connection` (the body was not read
/// to its end), `log_level` (`"none"`, `"debug"`, `"info"`, `"warn"` or `"error"`), `log_line`
/// and `reason` (a 401's or 415's reason code, else `None`).
#[pyclass(module = "oneinbox_webhooks", frozen, eq)]
#[derive(PartialEq, Eq)]
pub struct Answer {
    #[pyo3(get)]
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    #[pyo3(get)]
    close_connection: bool,
    #[pyo3(get)]
    log_level: &'static str,
    #[pyo3(get)]
    log_line: String,
    #[pyo3(get)]
    reason: Option<&'static str>,
}

impl From<a::Answer> for Answer {
    fn from(answer: a::Answer) -> Self {
        Answer {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
            close_connection: answer.close_connection,
            log_level: answer.log.level.as_str(),
            log_line: answer.log.line,
            reason: answer.reason,
        }
    }
}

#[pymethods]
impl Answer {
    /// The headers as `(name, value)` pairs, in order.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.headers)
    }

    /// The body bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body)
    }

    fn __repr__(&self) -> String {
        // The names and values are the core's constants (ASCII, no quotes).
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("('{n}', '{v}')"))
            .collect();
        format!(
            "Answer(status={}, headers=({}{}), body=<{} bytes>, log_level='{}')",
            self.status,
            headers.join(", "),
            if headers.len() == 1 { "," } else { "" },
            self.body.len(),
            self.log_level
        )
    }
}

fn unknown(what: &str, value: &str) -> PyErr {
    PyValueError::new_err(format!("unknown {what} {value:?}"))
}

/// Step 1: 405, 415 or 413 from the method and headers alone; `None`: read the body.
#[pyfunction]
pub fn answer_before_body(
    py: Python<'_>,
    method: Option<String>,
    content_type: Option<String>,
    content_length: Option<String>,
    max_body_bytes: usize,
) -> PyResult<Option<Answer>> {
    guard(py, || {
        Ok(a::before_body(&Request {
            method: method.as_deref(),
            content_type: content_type.as_deref(),
            content_length: content_length.as_deref(),
            max_body_bytes,
        })
        .map(Answer::from))
    })
}

/// Step 2: `result` is `"body"` (`length` bytes), `"over_limit"`, `"failed"` or
/// `"already_read"` (with `fix`); `None`: receive the body.
#[pyfunction]
#[pyo3(signature = (result, max_body_bytes, *, length = 0, fix = String::new()))]
pub fn answer_after_read(
    py: Python<'_>,
    result: &str,
    max_body_bytes: usize,
    length: usize,
    fix: String,
) -> PyResult<Option<Answer>> {
    guard(py, || {
        let read = match result {
            "body" => Read::Body { length },
            "over_limit" => Read::OverLimit,
            "failed" => Read::Failed,
            "already_read" => Read::AlreadyRead { fix: &fix },
            other => return Err(unknown("read result", other)),
        };
        Ok(a::after_read(read, max_body_bytes).map(Answer::from))
    })
}

/// The core issue of an object with `code`, `path` and `message` (an `Issue`).
fn issue_of(item: &Bound<'_, PyAny>) -> PyResult<Issue> {
    let py = item.py();
    let text = |name: &Bound<'_, pyo3::types::PyString>| -> PyResult<String> {
        item.getattr(name)?.extract::<String>()
    };
    let code = text(intern!(py, "code"))?;
    let code = code
        .parse::<IssueCode>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(Issue::new(
        code,
        text(intern!(py, "path"))?,
        text(intern!(py, "message"))?,
    ))
}

/// Step 3: `result` is `"event"`, `"unauthenticated"` (with the verification `code`),
/// `"invalid"` (with the `issues` of the `ValidationError`) or `"failed"`; `None`: record the
/// event (or handle it).
#[pyfunction]
#[pyo3(signature = (result, *, code = None, issues = None))]
pub fn answer_after_receive(
    py: Python<'_>,
    result: &str,
    code: Option<String>,
    issues: Option<Vec<Bound<'_, PyAny>>>,
) -> PyResult<Option<Answer>> {
    guard(py, || {
        let issues = issues
            .unwrap_or_default()
            .iter()
            .map(issue_of)
            .collect::<PyResult<Vec<_>>>()?;
        let received = Received::from_name(result, code.as_deref(), &issues)
            .map_err(|e| PyValueError::new_err(format!("unknown {}", e.0)))?;
        Ok(a::after_receive(received).map(Answer::from))
    })
}

/// Step 4, with a store: `stored` is `"new"`, `"repeat"` or `"failed"`; `None`: run the
/// handlers.
#[pyfunction]
pub fn answer_after_store(
    py: Python<'_>,
    event: &str,
    call_id: &str,
    stored: &str,
) -> PyResult<Option<Answer>> {
    guard(py, || {
        let stored = stored
            .parse::<Stored>()
            .map_err(|_| unknown("store result", stored))?;
        Ok(a::after_store(event, call_id, stored).map(Answer::from))
    })
}

/// Step 5: `handled` is `"done"`, `"failed"` or `"late"` (still running at the ack timeout).
#[pyfunction]
pub fn answer_after_handlers(
    py: Python<'_>,
    event: &str,
    call_id: &str,
    handled: &str,
) -> PyResult<Answer> {
    guard(py, || {
        let handled = handled
            .parse::<Handled>()
            .map_err(|_| unknown("handlers result", handled))?;
        Ok(a::after_handlers(event, call_id, handled).into())
    })
}

/// `(log_level, log_line)` for a handler that failed after its delivery was answered 202.
#[pyfunction]
pub fn answer_late_failure(
    py: Python<'_>,
    event: &str,
    call_id: &str,
) -> PyResult<(&'static str, String)> {
    guard(py, || {
        let log = a::late_failure(event, call_id);
        Ok((log.level.as_str(), log.line))
    })
}

/// Step 4, with an inbox: `verdict` is the store's arrive verdict (`"run"`, `"repeat"`,
/// `"busy"` with `retry_after_ms`, `"dead"`, ...); `None`: run the handlers.
#[pyfunction]
#[pyo3(signature = (event, call_id, verdict, retry_after_ms = 0))]
pub fn answer_after_claim(
    py: Python<'_>,
    event: &str,
    call_id: &str,
    verdict: &str,
    retry_after_ms: i64,
) -> PyResult<Option<Answer>> {
    guard(py, || {
        let verdict = Verdict::from_name(verdict, retry_after_ms)
            .ok_or_else(|| unknown("inbox verdict", verdict))?;
        Ok(a::after_claim(event, call_id, verdict).map(Answer::from))
    })
}

/// `(log_level, log_line)` for a handler that failed after its delivery was answered 202, with
/// an inbox (the delivery is due again).
#[pyfunction]
pub fn answer_late_failure_due(
    py: Python<'_>,
    event: &str,
    call_id: &str,
) -> PyResult<(&'static str, String)> {
    guard(py, || {
        let log = a::late_failure_due(event, call_id);
        Ok((log.level.as_str(), log.line))
    })
}

/// The lines of refused deliveries to log: the core's per-reason limit (`RefusalLog`), one per
/// adapter; safe to share between threads.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct RefusalLog {
    inner: std::sync::Mutex<a::RefusalLog>,
}

#[pymethods]
impl RefusalLog {
    #[new]
    #[pyo3(signature = (burst = a::RefusalLog::DEFAULT_BURST, window_ms = a::RefusalLog::DEFAULT_WINDOW_MS))]
    fn new(burst: u32, window_ms: u64) -> Self {
        RefusalLog {
            inner: std::sync::Mutex::new(a::RefusalLog::new(burst, window_ms)),
        }
    }

    /// `[(log_level, log_line)]` to log now for a refusal of `reason` whose answer says to log
    /// `(level, line)`, at `now_ms` (empty: suppressed).
    fn admit(
        &self,
        py: Python<'_>,
        reason: &str,
        level: &str,
        line: String,
        now_ms: u64,
    ) -> PyResult<Vec<(&'static str, String)>> {
        guard(py, || {
            let level = a::LogLevel::ALL
                .into_iter()
                .find(|l| l.as_str() == level)
                .ok_or_else(|| unknown("log level", level))?;
            let log = a::Log { level, line };
            let lines = match self.inner.lock() {
                Ok(mut limit) => limit.admit(reason, &log, now_ms),
                Err(_) => vec![log],
            };
            Ok(lines
                .into_iter()
                .map(|l| (l.level.as_str(), l.line))
                .collect())
        })
    }

    fn __repr__(&self) -> &'static str {
        "RefusalLog()"
    }
}

/// `(log_level, log_line)` an adapter made without a store logs once.
#[pyfunction]
pub fn answer_no_store_warning() -> (&'static str, String) {
    let log = a::no_store_warning();
    (log.level.as_str(), log.line)
}

/// The reason a receiver gave with its answer's `body` (see the core's `refusal_reason`).
#[pyfunction]
pub fn refusal_reason(py: Python<'_>, body: &[u8]) -> PyResult<Option<String>> {
    guard(py, || Ok(a::refusal_reason(body)))
}

/// Adds `Answer` and the `answer_*` functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Answer>()?;
    m.add_class::<RefusalLog>()?;
    m.add_function(wrap_pyfunction!(answer_no_store_warning, m)?)?;
    m.add_function(wrap_pyfunction!(refusal_reason, m)?)?;
    m.add_function(wrap_pyfunction!(answer_before_body, m)?)?;
    m.add_function(wrap_pyfunction!(answer_after_read, m)?)?;
    m.add_function(wrap_pyfunction!(answer_after_receive, m)?)?;
    m.add_function(wrap_pyfunction!(answer_after_store, m)?)?;
    m.add_function(wrap_pyfunction!(answer_after_handlers, m)?)?;
    m.add_function(wrap_pyfunction!(answer_after_claim, m)?)?;
    m.add_function(wrap_pyfunction!(answer_late_failure_due, m)?)?;
    m.add_function(wrap_pyfunction!(answer_late_failure, m)?)
}
