//! The inbox's state machine (`InboxPolicy`, `InboxRow`, `InboxStep`): thin wrappers over the
//! core's `inbox` module, which the stores ask for every change of a delivery's row. Times are
//! Unix milliseconds (`int`); names are those of `tests/fixtures/inbox/`.

use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::inbox::{self as core, Input, Policy, State, Verdict};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt};

use crate::args::Int;
use crate::errors::{guard, to_py_err};
use crate::record::{with_keyed, CallRecord, Ledger};

/// A number argument: an `int` (exact) or a `float`; a `bool` or anything else is a
/// `TypeError`.
struct Number(HostNumber);

impl<'a, 'py> FromPyObject<'a, 'py> for Number {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyFloat>() {
            return Ok(Number(HostNumber::Float(obj.extract::<f64>()?)));
        }
        if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
            return Ok(Number(obj.extract::<Int>()?.0));
        }
        let name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        Err(PyTypeError::new_err(format!(
            "expected an int or a float, got {name}"
        )))
    }
}

/// A delivery's progress as a store keeps it: `state` (`"claimed"`, `"done"`, `"failed"` or
/// `"dead"`), `attempts` (handler runs started), `due_at` (Unix ms when a worker should take
/// it: a claim's lease end or a failure's next try; `None` when done or dead), `last_error`
/// and `updated_at` (Unix ms).
#[pyclass(module = "oneinbox_webhooks", frozen, eq)]
#[derive(PartialEq, Eq, Clone)]
pub struct InboxRow {
    row: core::Row,
}

#[pymethods]
impl InboxRow {
    #[new]
    #[pyo3(signature = (state, attempts, due_at, last_error, updated_at))]
    fn new(
        state: &str,
        attempts: u32,
        due_at: Option<i64>,
        last_error: Option<String>,
        updated_at: i64,
    ) -> PyResult<Self> {
        let state = state
            .parse::<State>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(InboxRow {
            row: core::Row {
                state,
                attempts,
                due_at,
                last_error,
                updated_at,
            },
        })
    }

    #[getter]
    fn state(&self) -> &'static str {
        self.row.state.as_str()
    }

    #[getter]
    fn attempts(&self) -> u32 {
        self.row.attempts
    }

    #[getter]
    fn due_at(&self) -> Option<i64> {
        self.row.due_at
    }

    #[getter]
    fn last_error(&self) -> Option<&str> {
        self.row.last_error.as_deref()
    }

    #[getter]
    fn updated_at(&self) -> i64 {
        self.row.updated_at
    }

    /// Whether a worker should take it at `now` (Unix ms).
    fn is_due(&self, now: i64) -> bool {
        self.row.is_due(now)
    }

    fn __repr__(&self) -> String {
        // The last error is the user's handler's text: shown by length only.
        format!(
            "InboxRow(state='{}', attempts={}, due_at={}, last_error={}, updated_at={})",
            self.row.state,
            self.row.attempts,
            self.row.due_at.map_or("None".to_owned(), |d| d.to_string()),
            self.row
                .last_error
                .as_ref()
                .map_or("None".to_owned(), |e| format!(
                    "<{} chars>",
                    e.chars().count()
                )),
            self.row.updated_at
        )
    }
}

/// One step's result: `row`, the row to write in the same atomic unit as the read (`None`:
/// write nothing), and `verdict` (`"run"`, `"repeat"`, `"busy"`, `"dead"`, `"not_due"`,
/// `"done"`, `"failed"`, `"released"`, `"replayed"` or `"stale"`) with its number: `attempt`
/// for `run`, `retry_after_ms` for `busy`, `due_at` for `failed`.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct InboxStep {
    #[pyo3(get)]
    row: Option<Py<InboxRow>>,
    #[pyo3(get)]
    verdict: &'static str,
    #[pyo3(get)]
    attempt: Option<u32>,
    #[pyo3(get)]
    retry_after_ms: Option<u64>,
    #[pyo3(get)]
    due_at: Option<i64>,
}

#[pymethods]
impl InboxStep {
    fn __repr__(&self) -> String {
        format!(
            "InboxStep(verdict='{}', write={})",
            self.verdict,
            self.row.is_some()
        )
    }
}

/// The inbox's settings and its state machine: how long a claim lasts (`lease`, seconds) and
/// how many times a delivery's handlers start before it is dead (`max_attempts`). Each method
/// is one change of a delivery's row (`None`: the store has none) at `now` (Unix ms).
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct InboxPolicy {
    policy: Policy,
}

fn step(
    py: Python<'_>,
    policy: &Policy,
    row: Option<&InboxRow>,
    input: Input<'_>,
    now: i64,
) -> PyResult<InboxStep> {
    let s = policy.step(row.map(|r| &r.row), &input, now);
    let (attempt, retry_after_ms, due_at) = match s.verdict {
        Verdict::Run { attempt } => (Some(attempt), None, None),
        Verdict::Busy { retry_after_ms } => (None, Some(retry_after_ms), None),
        Verdict::Failed { due_at } => (None, None, Some(due_at)),
        _ => (None, None, None),
    };
    Ok(InboxStep {
        row: s.row.map(|row| Py::new(py, InboxRow { row })).transpose()?,
        verdict: s.verdict.name(),
        attempt,
        retry_after_ms,
        due_at,
    })
}

#[pymethods]
impl InboxPolicy {
    #[new]
    #[pyo3(signature = (*, lease = None, max_attempts = None))]
    fn new(py: Python<'_>, lease: Option<Number>, max_attempts: Option<Number>) -> PyResult<Self> {
        guard(py, || {
            let lease = lease.map_or(
                HostNumber::Int(i128::from(core::DEFAULT_LEASE_MS / 1000)),
                |n| n.0,
            );
            let max_attempts = max_attempts.map_or(
                HostNumber::Int(i128::from(core::DEFAULT_MAX_ATTEMPTS)),
                |n| n.0,
            );
            let policy = Policy::from_host(lease, max_attempts, ("lease", "max_attempts"))
                .map_err(|e| to_py_err(py, e))?;
            Ok(InboxPolicy { policy })
        })
    }

    /// The lease in milliseconds.
    #[getter]
    fn lease_ms(&self) -> u64 {
        self.policy.lease_ms()
    }

    #[getter]
    fn max_attempts(&self) -> u32 {
        self.policy.max_attempts()
    }

    /// A copy of the delivery arrived at a receiver; ``covered``: its call's record says its
    /// handlers already ran through reconciliation (``CallRecord.covers``).
    #[pyo3(signature = (row, now, covered = false))]
    fn arrive(
        &self,
        py: Python<'_>,
        row: Option<PyRef<'_, InboxRow>>,
        now: i64,
        covered: bool,
    ) -> PyResult<InboxStep> {
        let input = if covered {
            Input::Covered
        } else {
            Input::Arrive
        };
        guard(py, || step(py, &self.policy, row.as_deref(), input, now))
    }

    /// A worker found the delivery due and wants to run it.
    fn claim(
        &self,
        py: Python<'_>,
        row: Option<PyRef<'_, InboxRow>>,
        now: i64,
    ) -> PyResult<InboxStep> {
        guard(py, || {
            step(py, &self.policy, row.as_deref(), Input::Claim, now)
        })
    }

    /// The handlers of claim `attempt` ended: `error` is `None` when they completed.
    #[pyo3(signature = (row, attempt, error, now))]
    fn finish(
        &self,
        py: Python<'_>,
        row: Option<PyRef<'_, InboxRow>>,
        attempt: u32,
        error: Option<&str>,
        now: i64,
    ) -> PyResult<InboxStep> {
        guard(py, || {
            step(
                py,
                &self.policy,
                row.as_deref(),
                Input::Finish { attempt, error },
                now,
            )
        })
    }

    /// Claim `attempt` is given back without running its handlers.
    fn release(
        &self,
        py: Python<'_>,
        row: Option<PyRef<'_, InboxRow>>,
        attempt: u32,
        reason: &str,
        now: i64,
    ) -> PyResult<InboxStep> {
        guard(py, || {
            step(
                py,
                &self.policy,
                row.as_deref(),
                Input::Release { attempt, reason },
                now,
            )
        })
    }

    /// Run the delivery again on purpose (a dead letter, a failed or a done delivery).
    fn replay(
        &self,
        py: Python<'_>,
        row: Option<PyRef<'_, InboxRow>>,
        now: i64,
    ) -> PyResult<InboxStep> {
        guard(py, || {
            step(py, &self.policy, row.as_deref(), Input::Replay, now)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "InboxPolicy(lease_ms={}, max_attempts={})",
            self.policy.lease_ms(),
            self.policy.max_attempts()
        )
    }
}

/// The wait after failed attempt `attempt`, in milliseconds.
#[pyfunction]
fn inbox_backoff_ms(attempt: u32) -> u64 {
    Policy::backoff_ms(attempt)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<InboxRow>()?;
    m.add_class::<InboxStep>()?;
    m.add_class::<InboxPolicy>()?;
    m.add_class::<MemoryInbox>()?;
    m.add_function(wrap_pyfunction!(inbox_backoff_ms, m)?)?;
    m.add("INBOX_DEFAULT_LEASE_MS", core::DEFAULT_LEASE_MS)?;
    m.add("REDIS_WRITE_SCRIPT", core::redis::WRITE)?;
    m.add("REDIS_PRUNE_SCRIPT", core::redis::PRUNE)?;
    m.add("REDIS_RECORD_SCRIPT", core::redis::RECORD)?;
    m.add("INBOX_DEFAULT_MAX_ATTEMPTS", core::DEFAULT_MAX_ATTEMPTS)
}

/// The inbox of one process (the core's `MemoryInbox`); `MemoryStore` keeps one beside its
/// `Ledger`, behind its lock. Times are Unix ms.
#[pyclass(module = "oneinbox_webhooks")]
pub struct MemoryInbox {
    inner: core::MemoryInbox,
}

/// `(verdict, attempt, retry_after_ms, key, record)` of an arrival.
type Arrived = (&'static str, Option<u32>, Option<u64>, String, CallRecord);

/// `(key, call_id, event, attempts, last_error, updated_at, body)` of a kept delivery.
type KeptTuple<'py> = (
    String,
    String,
    String,
    u32,
    Option<String>,
    i64,
    Bound<'py, PyBytes>,
);

fn kept_tuple<'py>(py: Python<'py>, k: &core::Kept) -> KeptTuple<'py> {
    (
        k.key.clone(),
        k.call_id.clone(),
        k.event.clone(),
        k.row.attempts,
        k.row.last_error.clone(),
        k.row.updated_at,
        PyBytes::new(py, &k.body),
    )
}

#[pymethods]
impl MemoryInbox {
    #[new]
    #[pyo3(signature = (policy, max_deliveries))]
    fn new(policy: &InboxPolicy, max_deliveries: usize) -> Self {
        MemoryInbox {
            inner: core::MemoryInbox::new(policy.policy, max_deliveries),
        }
    }

    /// A copy of `event` with its raw `body` arrived (folded into `ledger`): `(verdict, attempt, retry_after_ms, key,
    /// record)`, the record being a copy of the call's with the event folded in.
    fn arrive(
        &mut self,
        py: Python<'_>,
        ledger: &Ledger,
        event: &Bound<'_, PyAny>,
        body: &[u8],
        now: i64,
    ) -> PyResult<Arrived> {
        guard(py, || {
            with_keyed(py, "MemoryStore.arrive", event, |keyed| {
                let (verdict, record) = self.inner.arrive(&mut ledger.lock(), keyed, body, now);
                let (attempt, retry_after_ms) = match verdict {
                    Verdict::Run { attempt } => (Some(attempt), None),
                    Verdict::Busy { retry_after_ms } => (None, Some(retry_after_ms)),
                    _ => (None, None),
                };
                (
                    verdict.name(),
                    attempt,
                    retry_after_ms,
                    keyed.key().to_owned(),
                    CallRecord { inner: record },
                )
            })
        })
    }

    /// The handlers of claim `attempt` of `key` ended: the verdict.
    #[pyo3(signature = (key, attempt, error, now))]
    fn finish(&mut self, key: &str, attempt: u32, error: Option<&str>, now: i64) -> &'static str {
        self.inner.finish(key, attempt, error, now).name()
    }

    /// Claim `attempt` of `key` is given back unrun: the verdict.
    fn release(&mut self, key: &str, attempt: u32, reason: &str, now: i64) -> &'static str {
        self.inner.release(key, attempt, reason, now).name()
    }

    /// The keys of up to `limit` deliveries due at `now`, the longest due first.
    fn due(&self, now: i64, limit: usize) -> Vec<String> {
        self.inner.due(now, limit)
    }

    /// A worker's claim of `key`: `(verdict, attempt, call_id, event, body)`, the last four
    /// `None` unless the verdict is `run`.
    #[allow(clippy::type_complexity)]
    fn claim<'py>(
        &mut self,
        py: Python<'py>,
        key: &str,
        now: i64,
    ) -> (
        &'static str,
        Option<u32>,
        Option<String>,
        Option<String>,
        Option<Bound<'py, PyBytes>>,
    ) {
        let (verdict, kept) = self.inner.claim(key, now);
        match (verdict, kept) {
            (Verdict::Run { attempt }, Some(k)) => (
                verdict.name(),
                Some(attempt),
                Some(k.call_id.clone()),
                Some(k.event.clone()),
                Some(PyBytes::new(py, &k.body)),
            ),
            _ => (verdict.name(), None, None, None, None),
        }
    }

    /// Makes `key` due now: the verdict.
    fn replay(&mut self, key: &str, now: i64) -> &'static str {
        self.inner.replay(key, now).name()
    }

    /// The dead letters, oldest first, as `(key, call_id, event, attempts, last_error,
    /// updated_at, body)`.
    fn dead<'py>(&self, py: Python<'py>) -> Vec<KeptTuple<'py>> {
        self.inner
            .dead()
            .into_iter()
            .map(|k| kept_tuple(py, k))
            .collect()
    }

    /// Drops done deliveries last changed at or before `before` (dead letters too with
    /// `include_dead`): how many.
    fn prune(&mut self, before: i64, include_dead: bool) -> usize {
        self.inner.prune(before, include_dead)
    }

    /// The open calls (``is_open``) whose record last changed at or before `changed_before`,
    /// oldest first, at most `limit`: `(call_id, changed_at)`.
    fn open_calls(&self, changed_before: i64, limit: usize) -> Vec<(String, i64)> {
        self.inner.open_calls(changed_before, limit)
    }

    /// Folds the snapshot `call` into its call's record in `ledger`: `(changed, record)`, or
    /// `None` when the ledger has no record of the call.
    fn apply_call(
        &mut self,
        py: Python<'_>,
        ledger: &Ledger,
        call: PyRef<'_, crate::management::Call>,
        now: i64,
    ) -> PyResult<Option<(bool, CallRecord)>> {
        guard(py, || {
            Ok(self
                .inner
                .apply_call(&mut ledger.lock(), &call.inner, now)
                .map(|(changed, inner)| (changed, CallRecord { inner })))
        })
    }

    /// Drops `call_id` from the open calls.
    fn settle(&mut self, call_id: &str) {
        self.inner.settle(call_id);
    }

    /// The row of `key`, if kept.
    fn row(&self, key: &str) -> Option<InboxRow> {
        self.inner.get(key).map(|k| InboxRow { row: k.row.clone() })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}
