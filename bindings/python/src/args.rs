//! Python arguments as core values: integers as the core's host numbers (the rules — what a
//! limit, a tolerance or a status may be — live in the core's `host` module), request headers,
//! secret lists, and `dict`/`list` values as JSON. A bottom module: it imports only `errors`
//! and `secret`.

use oneinbox_webhooks::host::{self, HostNumber};
use oneinbox_webhooks::{Issue, IssueCode, UsageError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{intern, Borrowed};
use serde_json::{Map, Number, Value};

use crate::errors::to_py_err;
use crate::secret::Secret;

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
pub struct Secrets(pub(crate) Vec<String>);

impl<'a, 'py> FromPyObject<'a, 'py> for Secrets {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        secret_items(obj, false)?
            .into_iter()
            .map(|s| {
                s.ok_or_else(|| {
                    PyTypeError::new_err("each secret must be a str or a Secret, not NoneType")
                })
            })
            .collect::<PyResult<_>>()
            .map(Secrets)
    }
}

/// A `Receiver`'s list of secrets, where a `None` item (an unset environment variable) is kept
/// for the core to report as a `UsageError` at its index.
pub struct ReceiverSecrets(pub(crate) Vec<Option<String>>);

impl<'a, 'py> FromPyObject<'a, 'py> for ReceiverSecrets {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        secret_items(obj, true).map(ReceiverSecrets)
    }
}

/// The items of a list of secrets (`None` items kept when `allow_none`).
fn secret_items(obj: Borrowed<'_, '_, PyAny>, allow_none: bool) -> PyResult<Vec<Option<String>>> {
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
            out.push(Some(s.get().expose()));
        } else if let Ok(s) = item.cast::<PyString>() {
            // Strict: a lone surrogate raises UnicodeEncodeError rather than silently
            // becoming U+FFFD (a different secret from the one given).
            out.push(Some(s.to_cow()?.into_owned()));
        } else if allow_none && item.is_none() {
            out.push(None);
        } else {
            return Err(PyTypeError::new_err(format!(
                "each secret must be a str or a Secret, not {}",
                item.get_type().name()?
            )));
        }
    }
    Ok(out)
}

/// The deepest a `variables`/`metadata` value may nest (the API's bodies are parsed with the
/// same limit as events, so anything deeper could never be read back).
const MAX_ARG_DEPTH: usize = host::MAX_ARGUMENT_DEPTH;

/// Converts a Python value to JSON for `variables`/`metadata`: `None`, `bool`, `int` (64-bit),
/// finite `float`, `str`, `dict` with `str` keys, `list`/`tuple`. Values JSON cannot hold
/// (non-finite floats, huge ints, lone surrogates, nesting beyond the limit) are recorded as
/// issues at their path; a value of another type is a `TypeError`.
pub(crate) fn to_json(
    v: &Bound<'_, PyAny>,
    path: &str,
    depth: usize,
    issues: &mut Vec<Issue>,
) -> PyResult<Value> {
    let invalid = |issues: &mut Vec<Issue>, code, msg: String| {
        issues.push(Issue::new(code, path, msg));
        Ok(Value::Null)
    };
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(i.into());
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(u.into());
        }
        return invalid(
            issues,
            IssueCode::InvalidValue,
            "an integer outside the 64-bit range cannot be sent as JSON".into(),
        );
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return match Number::from_f64(f.value()) {
            Some(n) => Ok(Value::Number(n)),
            None => invalid(
                issues,
                IssueCode::InvalidValue,
                format!(
                    "{} is not a JSON number (NaN and infinities cannot be sent)",
                    f.value()
                ),
            ),
        };
    }
    if let Ok(s) = v.cast::<PyString>() {
        return match s.to_cow() {
            Ok(text) => Ok(Value::String(text.into_owned())),
            Err(_) => invalid(
                issues,
                IssueCode::InvalidValue,
                "a string with a lone surrogate cannot be sent as UTF-8 JSON".into(),
            ),
        };
    }
    let is_container = v.is_instance_of::<PyDict>()
        || v.is_instance_of::<PyList>()
        || v.is_instance_of::<PyTuple>();
    if is_container && depth >= MAX_ARG_DEPTH {
        return invalid(
            issues,
            IssueCode::TooDeep,
            format!("nested deeper than {MAX_ARG_DEPTH} levels"),
        );
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, item) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_cow()?.into_owned(),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "JSON object keys must be str; found a {} key at {}",
                        k.get_type().name()?,
                        if path.is_empty() { "/" } else { path }
                    )))
                }
            };
            let mut child = path.to_owned();
            host::push_pointer_token(&mut child, &key);
            let value = to_json(&item, &child, depth + 1, issues)?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in v.try_iter()?.enumerate() {
            items.push(to_json(&item?, &format!("{path}/{i}"), depth + 1, issues)?);
        }
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "{path}: a {} is not a JSON value (use dict, list, str, int, float, bool or None)",
        v.get_type().name()?
    )))
}

/// `variables=`/`metadata=`: a dict converted to a JSON object, or `None`.
pub(crate) fn json_object(
    v: Option<&Bound<'_, PyAny>>,
    name: &str,
    issues: &mut Vec<Issue>,
) -> PyResult<Option<Map<String, Value>>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if !v.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!(
            "`{name}` must be a dict, not {}",
            v.get_type().name()?
        )));
    }
    match to_json(v, &format!("/{name}"), 1, issues)? {
        Value::Object(map) => Ok(Some(map)),
        _ => Ok(None),
    }
}
