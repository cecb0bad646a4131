//! Python integers as the core's host numbers. The rules (what a limit, a tolerance or a status
//! may be) live in the core's `host` module; this file only converts.

use oneinbox_webhooks::host::HostNumber;
use oneinbox_webhooks::{Issue, UsageError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use pyo3::Borrowed;

use crate::errors::to_py_err;

/// An `int` argument (never a `bool` or a `float`: those are `TypeError`s), exact; one beyond
/// 64 bits saturates, which every rule treats as "that many or more".
#[derive(Clone, Copy)]
pub struct Int(pub(crate) HostNumber);

impl Int {
    /// The value for a default that is a plain count.
    pub(crate) const fn of(n: usize) -> Self {
        Int(HostNumber::Int(n as i128))
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Int {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
            let name = obj
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".to_owned());
            return Err(PyTypeError::new_err(format!("expected an int, got {name}")));
        }
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Int(HostNumber::Int(i128::from(n))));
        }
        Ok(Int(HostNumber::Int(if obj.lt(0)? {
            i128::MIN
        } else {
            i128::MAX
        })))
    }
}

/// Runs the core's checks; every failed one becomes an issue of one `UsageError`.
pub(crate) fn checked<T>(py: Python<'_>, results: Vec<Result<T, Issue>>) -> PyResult<Vec<T>> {
    let mut values = Vec::with_capacity(results.len());
    let mut issues = Vec::new();
    for r in results {
        match r {
            Ok(v) => values.push(v),
            Err(issue) => issues.push(issue),
        }
    }
    if issues.is_empty() {
        Ok(values)
    } else {
        Err(to_py_err(py, UsageError::new(issues)))
    }
}

/// One checked value.
pub(crate) fn one<T>(py: Python<'_>, result: Result<T, Issue>) -> PyResult<T> {
    result.map_err(|issue| to_py_err(py, UsageError::new(vec![issue])))
}
