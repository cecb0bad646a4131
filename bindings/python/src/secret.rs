//! `Secret`: a webhook's signing secret, redacted everywhere but `expose()`. A bottom module:
//! it imports nothing of the binding but the panic guard.

use oneinbox_webhooks::management as m;
use pyo3::prelude::*;
use pyo3::types::PyBool;

use crate::errors::guard;

/// A webhook's signing secret. `repr()` and `str()` show `Secret('[redacted]')`; `expose()`
/// returns the string (pass it to `verify_signature` / `Receiver`).
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct Secret {
    pub(crate) inner: m::Secret,
}

#[pymethods]
impl Secret {
    #[new]
    fn new(py: Python<'_>, secret: String) -> PyResult<Self> {
        guard(py, || {
            Ok(Secret {
                inner: m::Secret::new(secret),
            })
        })
    }

    /// The secret itself. Keep it out of logs.
    #[pyo3(name = "expose")]
    fn py_expose(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.expose()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<&'static str> {
        guard(py, || Ok("Secret('[redacted]')"))
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<&'static str> {
        guard(py, || Ok("Secret('[redacted]')"))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            Ok(match other.cast::<Secret>() {
                Ok(o) => PyBool::new(py, self.inner == o.get().inner)
                    .to_owned()
                    .into_any()
                    .unbind(),
                Err(_) => py.NotImplemented(),
            })
        })
    }
}

impl Secret {
    /// The secret string (for the binding's own use: `verify_signature`, `sign`, `Receiver`).
    pub(crate) fn expose(&self) -> String {
        self.inner.expose().to_owned()
    }
}
