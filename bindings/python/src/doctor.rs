//! The delivery doctor: `diagnose(webhooks, deliveries, calls=None)` and the `Diagnosis` it
//! returns, a thin wrapper over the core's `doctor` module.

use oneinbox_webhooks::doctor;
use oneinbox_webhooks::UsageError;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::args::to_json;
use crate::errors::{guard, to_py_err};
use crate::events::value_to_py;
use crate::management::{Call, Delivery, Webhook};

/// What the delivery doctor found: `healthy`, `summary`, `causes`, `recovered`,
/// `calls_never_succeeded` (plain dicts and lists, the JSON form's members), `to_json()` (the
/// `doctor --json` output) and `to_text()` (the report for people).
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct Diagnosis {
    inner: doctor::Diagnosis,
}

fn to_py<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| {
        PyTypeError::new_err(format!("oneinbox_webhooks: cannot convert a value: {e}"))
    })?;
    value_to_py(py, &value)
}

#[pymethods]
impl Diagnosis {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("healthy", "causes")
    }

    /// No problem found.
    #[getter]
    fn healthy(&self) -> bool {
        self.inner.healthy
    }

    /// Counts over the input.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || to_py(py, &self.inner.summary))
    }

    /// The problems, in a fixed order of cause codes.
    #[getter]
    fn causes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || to_py(py, &self.inner.causes))
    }

    /// Failures that later succeeded, by cause.
    #[getter]
    fn recovered<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || to_py(py, &self.inner.recovered))
    }

    /// The calls with events that no attempt delivered.
    #[getter]
    fn calls_never_succeeded<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || to_py(py, &self.inner.calls_never_succeeded))
    }

    /// The JSON form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || to_py(py, &self.inner))
    }

    /// The JSON form as text: the doctor commands' `--json` output.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.inner.to_json()))
    }

    /// The report for people: the doctor commands' output.
    fn to_text(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(doctor::render_text(&self.inner)))
    }

    fn __repr__(&self) -> String {
        // Cause codes are snake_case ASCII: quoted as Python quotes them.
        let codes: Vec<String> = self
            .inner
            .causes
            .iter()
            .map(|c| format!("'{}'", c.code.as_str()))
            .collect();
        format!(
            "Diagnosis(healthy={}, causes=[{}])",
            if self.inner.healthy { "True" } else { "False" },
            codes.join(", ")
        )
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(match other.cast::<Diagnosis>() {
            Ok(o) => PyBool::new(py, self.inner == o.get().inner)
                .to_owned()
                .into_any()
                .unbind(),
            Err(_) => py.NotImplemented(),
        })
    }
}

/// One list argument (any iterable but a str, bytes or dict: a list, or `iter_deliveries`) as
/// JSON: each item a native `Webhook`/`Delivery`/`Call` (its wire form) or a JSON value (a
/// dict as the API returns it). Anything else JSON can hold (not a list, an item that is not
/// an object) goes to the core, which reports it as an issue.
fn items(
    list: &Bound<'_, PyAny>,
    name: &str,
    issues: &mut Vec<oneinbox_webhooks::Issue>,
) -> PyResult<Value> {
    let path = format!("/{name}");
    let json_scalar_or_object = list.is_none()
        || list.is_instance_of::<PyString>()
        || list.is_instance_of::<PyBytes>()
        || list.is_instance_of::<PyDict>();
    let iter = match list.try_iter() {
        Ok(iter) if !json_scalar_or_object => iter,
        _ => return to_json(list, &path, 1, issues),
    };
    let mut out = Vec::new();
    for (i, item) in iter.enumerate() {
        let item = item?;
        let value = if let Ok(w) = item.cast::<Webhook>() {
            serde_json::to_value(&w.get().inner)
        } else if let Ok(d) = item.cast::<Delivery>() {
            serde_json::to_value(&d.get().inner)
        } else if let Ok(c) = item.cast::<Call>() {
            serde_json::to_value(&c.get().inner)
        } else {
            Ok(to_json(&item, &format!("{path}/{i}"), 2, issues)?)
        };
        out.push(value.map_err(|e| PyTypeError::new_err(e.to_string()))?);
    }
    Ok(Value::Array(out))
}

/// Diagnoses the delivery history of `webhooks`: `deliveries` (every page, one row per
/// attempt) and optionally `calls` (for URL drift and unsubscribed events). Items are the
/// client's `Webhook`/`Delivery`/`Call` objects or dicts as the API returns them; an item
/// without an `id` (or with a wrong type) is a `UsageError`.
#[pyfunction]
#[pyo3(signature = (webhooks, deliveries, calls = None))]
fn diagnose(
    py: Python<'_>,
    webhooks: &Bound<'_, PyAny>,
    deliveries: &Bound<'_, PyAny>,
    calls: Option<&Bound<'_, PyAny>>,
) -> PyResult<Diagnosis> {
    guard(py, || {
        let mut issues = Vec::new();
        let mut input = Map::new();
        input.insert("webhooks".into(), items(webhooks, "webhooks", &mut issues)?);
        input.insert(
            "deliveries".into(),
            items(deliveries, "deliveries", &mut issues)?,
        );
        if let Some(calls) = calls.filter(|c| !c.is_none()) {
            input.insert("calls".into(), items(calls, "calls", &mut issues)?);
        }
        if !issues.is_empty() {
            return Err(to_py_err(py, UsageError::new(issues)));
        }
        doctor::diagnose_json(Value::Object(input))
            .map(|inner| Diagnosis { inner })
            .map_err(|e| to_py_err(py, UsageError::new(e.into_issues())))
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Diagnosis>()?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    Ok(())
}
