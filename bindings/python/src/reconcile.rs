//! The reconcile decisions (the core's `reconcile`): `ReconcilePolicy` (`overdue`, `missing`),
//! `Overdue`, `record_is_open` and `synthesize`. The reconcilers (`inbox.reconcile`,
//! `inbox.areconcile`) are Python I/O over these.

use oneinbox_webhooks::reconcile as core;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

use crate::args::to_json;
use crate::errors::{guard, to_py_err};
use crate::management::Call;
use crate::record::CallRecord;

/// When a record is overdue: `ongoing_after_ms` (default 2 hours) without `call.ended` or
/// `call.failed`, or `ended_after_ms` (default 10 minutes) after its end without every event
/// of `expect` (default `call.analyzed`, `transcript.final`; `call.recording.available` only
/// when listed), measured from the record's last change.
#[pyclass(module = "oneinbox_webhooks", frozen, eq)]
#[derive(PartialEq)]
pub struct ReconcilePolicy {
    policy: core::ReconcilePolicy,
}

/// Why and since when a record is overdue (`ReconcilePolicy.overdue`).
#[pyclass(module = "oneinbox_webhooks", frozen, eq, get_all)]
#[derive(PartialEq)]
pub struct Overdue {
    /// `"no_end"` or `"missing_events"`.
    reason: &'static str,
    /// The events still expected.
    missing: Vec<&'static str>,
    /// How long the record has been unchanged (ms).
    quiet_ms: u64,
}

#[pymethods]
impl Overdue {
    fn __repr__(&self) -> String {
        format!(
            "Overdue(reason={:?}, missing={:?}, quiet_ms={})",
            self.reason, self.missing, self.quiet_ms
        )
    }
}

#[pymethods]
impl ReconcilePolicy {
    #[new]
    #[pyo3(signature = (*, ongoing_after_ms = None, ended_after_ms = None, expect = None, **extra))]
    fn new(
        py: Python<'_>,
        ongoing_after_ms: Option<&Bound<'_, PyAny>>,
        ended_after_ms: Option<&Bound<'_, PyAny>>,
        expect: Option<&Bound<'_, PyAny>>,
        extra: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let mut issues = Vec::new();
            let mut map = Map::new();
            for (name, v) in [
                ("ongoing_after_ms", ongoing_after_ms),
                ("ended_after_ms", ended_after_ms),
                ("expect", expect),
            ] {
                if let Some(v) = v {
                    map.insert(
                        name.into(),
                        to_json(v, &format!("/{name}"), 0, &mut issues)?,
                    );
                }
            }
            if let Some(extra) = extra {
                for (k, v) in extra.iter() {
                    let k: String = k.extract()?;
                    map.insert(k.clone(), to_json(&v, &format!("/{k}"), 0, &mut issues)?);
                }
            }
            if !issues.is_empty() {
                return Err(to_py_err(py, oneinbox_webhooks::UsageError::new(issues)));
            }
            let policy = core::ReconcilePolicy::from_json(&Value::Object(map))
                .map_err(|e| to_py_err(py, e))?;
            Ok(ReconcilePolicy { policy })
        })
    }

    #[getter]
    fn ongoing_after_ms(&self) -> u64 {
        self.policy.ongoing_after_ms()
    }

    #[getter]
    fn ended_after_ms(&self) -> u64 {
        self.policy.ended_after_ms()
    }

    #[getter]
    fn expect(&self) -> Vec<&'static str> {
        self.policy.expect().to_vec()
    }

    /// The events `record` still expects (none for a failed call or a record without events).
    fn missing(
        &self,
        py: Python<'_>,
        record: PyRef<'_, CallRecord>,
    ) -> PyResult<Vec<&'static str>> {
        guard(py, || Ok(self.policy.missing(&record.inner)))
    }

    /// Whether a reconciler is done with `record`, last changed at `changed_at`, at `now`
    /// (Unix ms): nothing is missing, or the snapshot shows the call over and it has been
    /// quiet for a day.
    fn settled(
        &self,
        py: Python<'_>,
        record: PyRef<'_, CallRecord>,
        changed_at: i64,
        now: i64,
    ) -> PyResult<bool> {
        guard(py, || {
            Ok(self.policy.settled(&record.inner, changed_at, now))
        })
    }

    /// Whether to fetch the call of `record`, last changed at `changed_at` (Unix ms), at
    /// `now` (Unix ms): an `Overdue`, or `None`.
    fn overdue(
        &self,
        py: Python<'_>,
        record: PyRef<'_, CallRecord>,
        changed_at: i64,
        now: i64,
    ) -> PyResult<Option<Overdue>> {
        guard(py, || {
            Ok(self
                .policy
                .overdue(&record.inner, changed_at, now)
                .map(|o| Overdue {
                    reason: o.reason.as_str(),
                    missing: o.missing,
                    quiet_ms: o.quiet_ms,
                }))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "ReconcilePolicy(ongoing_after_ms={}, ended_after_ms={}, expect={:?})",
            self.policy.ongoing_after_ms(),
            self.policy.ended_after_ms(),
            self.policy.expect()
        )
    }
}

/// Whether a store keeps `record` among its open calls (until failed, or ended with every
/// event any policy can expect).
#[pyfunction]
fn record_is_open(py: Python<'_>, record: PyRef<'_, CallRecord>) -> PyResult<bool> {
    guard(py, || Ok(core::is_open(&record.inner)))
}

/// The events the snapshot `call` shows happened and `record` did not apply, as
/// `(event, key, body)`: each body a full event with `"reconciled": true`, each key
/// `<event>:<call_id>:reconciled`. Raises `UsageError` for a snapshot of another call.
#[pyfunction]
fn synthesize(
    py: Python<'_>,
    record: PyRef<'_, CallRecord>,
    call: PyRef<'_, Call>,
) -> PyResult<Vec<(&'static str, String, String)>> {
    guard(py, || {
        let events = core::synthesize(&record.inner, &call.inner).map_err(|e| to_py_err(py, e))?;
        Ok(events
            .into_iter()
            .map(|s| (s.event, s.key, s.body))
            .collect())
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ReconcilePolicy>()?;
    m.add_class::<Overdue>()?;
    m.add_function(wrap_pyfunction!(record_is_open, m)?)?;
    m.add_function(wrap_pyfunction!(synthesize, m)?)?;
    m.add(
        "RECONCILE_DEFAULT_ONGOING_AFTER_MS",
        core::DEFAULT_ONGOING_AFTER_MS,
    )?;
    m.add(
        "RECONCILE_DEFAULT_ENDED_AFTER_MS",
        core::DEFAULT_ENDED_AFTER_MS,
    )
}
