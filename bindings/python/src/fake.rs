//! `FakeOneInbox`: the core's fake management API (`fake` module) for the Python
//! `oneinbox_webhooks.testing.FakeOneInbox`, which serves it (an httpx transport, a loopback
//! server) and adds the seed, the clock and the recorded waits.

use std::sync::{Mutex, MutexGuard};

use oneinbox_webhooks::fake::{self, FailOptions, Faults, Outcome, PlayCall, RetryAfter};
use oneinbox_webhooks::{Issue, UsageError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::Value;

use crate::args::{to_json, Int};
use crate::errors::{guard, to_py_err};
use crate::events::value_to_py;

/// One answer: `(status, headers, body)`.
type Answer<'py> = (u16, Vec<(String, String)>, Bound<'py, PyBytes>);
/// One attempt to send: `(attempt_id, url, headers, body)`.
type Attempt<'py> = (String, String, Vec<(String, String)>, Bound<'py, PyBytes>);
/// One recorded request: `(method, path, query, body, authorized)`.
type Recorded<'py> = (String, String, String, Option<Bound<'py, PyBytes>>, bool);

/// The fake management API's state machine; thread-safe (one lock around each call).
#[pyclass(module = "oneinbox_webhooks", frozen, name = "FakeOneInbox")]
pub struct FakeOneInbox {
    inner: Mutex<fake::FakeOneInbox>,
}

impl FakeOneInbox {
    fn lock(&self) -> MutexGuard<'_, fake::FakeOneInbox> {
        // A panic while locked is already reported by `guard`; the state is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn values<'py>(py: Python<'py>, items: &[Value]) -> PyResult<Bound<'py, PyList>> {
    let items = items
        .iter()
        .map(|v| value_to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

fn retry_after(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RetryAfter>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(RetryAfter::Text(s.to_cow()?.into_owned())));
    }
    if (v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>())
        && !v.is_instance_of::<PyBool>()
    {
        return Ok(Some(RetryAfter::Seconds(v.extract::<f64>()?)));
    }
    Err(PyTypeError::new_err(format!(
        "retry_after must be seconds (int or float) or a str, not {}",
        v.get_type().name()?
    )))
}

#[pymethods]
impl FakeOneInbox {
    /// A fake accepting `api_key`, its ids and secrets drawn from `seed`.
    #[new]
    fn new(py: Python<'_>, api_key: String, seed: u64) -> PyResult<Self> {
        guard(py, || {
            Ok(FakeOneInbox {
                inner: Mutex::new(fake::FakeOneInbox::new(api_key, seed)),
            })
        })
    }

    /// Answers one request; `None`: close the connection without an answer.
    #[pyo3(signature = (method, target, headers, body, now))]
    fn handle<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        target: &str,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        now: i64,
    ) -> PyResult<Option<Answer<'py>>> {
        guard(py, || {
            let answer = self.lock().handle(method, target, &headers, body, now);
            Ok(answer.map(|a| (a.status, a.headers, PyBytes::new(py, &a.body))))
        })
    }

    /// Queues `times` answers with `status` (400–599; `UsageError` otherwise).
    #[pyo3(signature = (status, times, retry_after_value, body, processed))]
    fn fail_next(
        &self,
        py: Python<'_>,
        status: Int,
        times: Int,
        retry_after_value: Option<&Bound<'_, PyAny>>,
        body: Option<Vec<u8>>,
        processed: bool,
    ) -> PyResult<()> {
        guard(py, || {
            let options = FailOptions {
                retry_after: retry_after(retry_after_value)?,
                body,
                processed,
            };
            self.lock()
                .fail_next(status.0, times.0, options)
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// Queues `times` requests without an answer.
    fn disconnect_next(&self, py: Python<'_>, times: Int, processed: bool) -> PyResult<()> {
        guard(py, || {
            self.lock()
                .disconnect_next(times.0, processed)
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// Adds a delivery record (`fields` over the defaults); `None` for an unknown webhook.
    fn add_delivery<'py>(
        &self,
        py: Python<'py>,
        webhook_id: &str,
        fields: &Bound<'py, PyDict>,
        now: i64,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            let mut issues: Vec<Issue> = Vec::new();
            let fields = match to_json(fields.as_any(), "", 1, &mut issues)? {
                Value::Object(map) if issues.is_empty() => map,
                _ => return Err(to_py_err(py, UsageError::new(issues))),
            };
            let record = self.lock().add_delivery(webhook_id, fields, now);
            record.map(|r| value_to_py(py, &r)).transpose()
        })
    }

    /// The webhooks, oldest first.
    fn webhooks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || values(py, &self.lock().webhooks()))
    }

    /// The calls created, oldest first, each with the webhook URL it was given.
    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || values(py, self.lock().calls()))
    }

    /// A webhook's delivery history, newest first; `None` for an unknown id.
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        webhook_id: &str,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        guard(py, || {
            let fake = self.lock();
            fake.deliveries(webhook_id)
                .map(|d| values(py, d))
                .transpose()
        })
    }

    /// Every request received: `(method, path, query, body, authorized)`.
    fn requests<'py>(&self, py: Python<'py>) -> PyResult<Vec<Recorded<'py>>> {
        guard(py, || {
            Ok(self
                .lock()
                .requests()
                .iter()
                .map(|r| {
                    let body = r.body.as_ref().map(|b| PyBytes::new(py, b));
                    (
                        r.method.clone(),
                        r.path.clone(),
                        r.query.clone(),
                        body,
                        r.authorized,
                    )
                })
                .collect())
        })
    }

    /// Registers an active webhook without the API's https rule (`now` in Unix seconds).
    fn add_webhook<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        url: &str,
        events: Vec<String>,
        now: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let hook = self.lock().add_webhook(name, url, &events, now);
            value_to_py(py, &hook.map_err(|e| to_py_err(py, e))?)
        })
    }

    /// Sets the seeded faults of the deliveries (`UsageError` for a value out of range).
    fn set_faults(
        &self,
        py: Python<'_>,
        drop: f64,
        duplicate: f64,
        shuffle: f64,
        delay: f64,
        max_delay_ms: Int,
    ) -> PyResult<()> {
        guard(py, || {
            let faults = Faults::from_host(drop, duplicate, shuffle, delay, max_delay_ms.0);
            let faults = faults.map_err(|e| to_py_err(py, e))?;
            self.lock().set_faults(faults).map_err(|e| to_py_err(py, e))
        })
    }

    /// Signs every attempt with this `whsec_` secret (`None`: unsigned).
    #[pyo3(signature = (secret))]
    fn set_signing_secret(&self, py: Python<'_>, secret: Option<String>) -> PyResult<()> {
        guard(py, || {
            self.lock()
                .set_signing_secret(secret)
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// Refuses the attempts to URLs starting with `url_prefix` from `from_ms` until `until_ms`.
    fn add_outage(
        &self,
        py: Python<'_>,
        url_prefix: &str,
        from_ms: i64,
        until_ms: i64,
    ) -> PyResult<()> {
        guard(py, || {
            self.lock()
                .add_outage(url_prefix, from_ms, until_ms)
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// Creates a call at `now_ms` and schedules its events; returns the call.
    #[pyo3(signature = (agent_id, to_number, from_number, webhook_url, failure, now_ms))]
    #[allow(clippy::too_many_arguments)]
    fn play_call<'py>(
        &self,
        py: Python<'py>,
        agent_id: Option<String>,
        to_number: Option<String>,
        from_number: Option<String>,
        webhook_url: Option<String>,
        failure: Option<String>,
        now_ms: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let spec = PlayCall {
                agent_id,
                to_number,
                from_number,
                webhook_url,
                failure,
            };
            let call = self.lock().play_call(&spec, now_ms);
            value_to_py(py, &call.map_err(|e| to_py_err(py, e))?)
        })
    }

    /// When something happens next (ms), or `None`.
    fn next_due(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        guard(py, || Ok(self.lock().next_due()))
    }

    /// How many attempts wait for their outcome.
    fn in_flight(&self, py: Python<'_>) -> PyResult<usize> {
        guard(py, || Ok(self.lock().in_flight()))
    }

    /// The attempts due by `now_ms`, signed with `timestamp` (Unix seconds).
    fn take_due<'py>(
        &self,
        py: Python<'py>,
        now_ms: i64,
        timestamp: i64,
    ) -> PyResult<Vec<Attempt<'py>>> {
        guard(py, || {
            let due = self.lock().take_due(now_ms, timestamp);
            Ok(due
                .into_iter()
                .map(|o| (o.attempt_id, o.url, o.headers, PyBytes::new(py, &o.body)))
                .collect())
        })
    }

    /// Records an attempt's outcome: a `status` (and `body`), else an `error`.
    #[pyo3(signature = (attempt_id, status, body, error, now_ms))]
    fn report(
        &self,
        py: Python<'_>,
        attempt_id: &str,
        status: Option<Int>,
        body: Option<String>,
        error: Option<String>,
        now_ms: i64,
    ) -> PyResult<()> {
        guard(py, || {
            let outcome = Outcome::from_parts(status.map(|s| s.0), body, error)
                .map_err(|e| to_py_err(py, e))?;
            self.lock()
                .report(attempt_id, outcome, now_ms)
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// The history of the deliveries to a call's own URL, newest first.
    fn deliveries_for_call<'py>(
        &self,
        py: Python<'py>,
        call_id: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, || values(py, &self.lock().deliveries_for_call(call_id)))
    }

    /// The counts only: the key is never shown.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let fake = self.lock();
            Ok(format!(
                "FakeOneInbox(webhooks={}, calls={}, requests={}, api_key=[redacted])",
                fake.webhooks().len(),
                fake.calls().len(),
                fake.requests().len()
            ))
        })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FakeOneInbox>()
}
