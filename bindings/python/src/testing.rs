//! `make_event`, `make_call` and `make_delivery`: the core's `testing` module (and `plan_send`,
//! its `send` module, for the `send` command) for the Python
//! `oneinbox_webhooks.testing` helpers (which add a random message id and the current time).

use oneinbox_webhooks::send::SendArgs;
use oneinbox_webhooks::testing::{self as t, DeliveryOptions};
use oneinbox_webhooks::UsageError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::Value;

use crate::args::json_object;
use crate::errors::{guard, to_py_err};
use crate::events::with_body_of;

/// The body of one `event` delivery: the guide's payload with `overrides` (wire names) set.
#[pyfunction]
#[pyo3(signature = (event, overrides = None))]
pub fn make_event<'py>(
    py: Python<'py>,
    event: &str,
    overrides: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let mut issues = Vec::new();
        let overrides = json_object(overrides, "overrides", &mut issues)?;
        if !issues.is_empty() {
            return Err(to_py_err(py, UsageError::new(issues)));
        }
        let overrides = overrides.map_or(Value::Null, Value::Object);
        let body = t::make_event(event, &overrides).map_err(|e| to_py_err(py, e))?;
        Ok(PyBytes::new(py, &body))
    })
}

/// The deliveries of one connected call, in the order OneInbox sends them.
#[pyfunction]
pub fn make_call<'py>(py: Python<'py>, call_id: &str) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    guard(py, || {
        Ok(t::make_call(call_id)
            .iter()
            .map(|b| PyBytes::new(py, b))
            .collect())
    })
}

/// The delivery of `body` as OneInbox makes it: `(body, headers, url)`.
#[pyfunction]
#[pyo3(signature = (body, url, url_token, signing_secret, msg_id, timestamp))]
#[allow(clippy::type_complexity)]
pub fn make_delivery<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    url: String,
    url_token: Option<String>,
    signing_secret: Option<String>,
    msg_id: String,
    timestamp: i64,
) -> PyResult<(Bound<'py, PyBytes>, Vec<(String, String)>, String)> {
    guard(py, || {
        let options = DeliveryOptions {
            url,
            url_token,
            signing_secret,
            msg_id,
            timestamp,
        };
        let d = with_body_of(py, "make_delivery", body, |bytes| {
            t::make_delivery(bytes, &options)
        })?
        .map_err(|e| to_py_err(py, e))?;
        Ok((PyBytes::new(py, &d.body), d.headers, d.url))
    })
}

/// The plan of the `send` command's arguments as typed (`random_seed` when `seed` is `None`):
/// `(event, call_id, msg_id, repeat, line)` per delivery, in sending order.
#[pyfunction]
#[pyo3(signature = (events, call_id, seed, duplicates, shuffle, random_seed))]
#[allow(clippy::type_complexity)]
pub fn plan_send(
    py: Python<'_>,
    events: Vec<String>,
    call_id: Option<String>,
    seed: Option<String>,
    duplicates: Option<String>,
    shuffle: bool,
    random_seed: u64,
) -> PyResult<Vec<(String, String, String, bool, String)>> {
    guard(py, || {
        let args = SendArgs {
            events,
            call_id,
            seed,
            duplicates,
            shuffle,
        };
        let plan = args.plan(random_seed).map_err(|e| to_py_err(py, e))?;
        Ok(plan
            .into_iter()
            .map(|d| {
                let line = d.line();
                (d.event, d.call_id, d.msg_id, d.repeat, line)
            })
            .collect())
    })
}

/// A command-line secret from the first source given: the option, the content of its file
/// option, the environment variable (`send::choose_secret`); `None` for none.
#[pyfunction]
#[pyo3(signature = (name, option, file, env))]
pub fn choose_secret(
    py: Python<'_>,
    name: &str,
    option: Option<&str>,
    file: Option<&str>,
    env: Option<&str>,
) -> PyResult<Option<String>> {
    guard(py, || {
        oneinbox_webhooks::send::choose_secret(name, option, file, env)
            .map_err(|e| to_py_err(py, e))
    })
}

/// The line `send` prints for a delivery it sent (`send::sent_line`).
#[pyfunction]
#[pyo3(signature = (event, status, millis, reason, repeat))]
pub fn send_sent_line(
    event: &str,
    status: &str,
    millis: f64,
    reason: Option<&str>,
    repeat: bool,
) -> String {
    oneinbox_webhooks::send::sent_line(event, status, millis, reason, repeat)
}

/// The last line of `send` (`send::summary_line`; the URL's token redacted).
#[pyfunction]
pub fn send_summary_line(deliveries: usize, to: &str, answered: usize) -> String {
    oneinbox_webhooks::send::summary_line(deliveries, to, answered)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(send_sent_line, m)?)?;
    m.add_function(wrap_pyfunction!(send_summary_line, m)?)?;
    m.add_function(wrap_pyfunction!(make_event, m)?)?;
    m.add_function(wrap_pyfunction!(make_call, m)?)?;
    m.add_function(wrap_pyfunction!(make_delivery, m)?)?;
    m.add_function(wrap_pyfunction!(plan_send, m)?)?;
    m.add_function(wrap_pyfunction!(choose_secret, m)?)?;
    m.add("CALL_SEQUENCE", t::CALL_SEQUENCE.to_vec())
}
