//! `CallRecord`, `Applied` and `dedupe_key`: thin wrappers over the core's `record` module.
//!
//! An event object that `parse_event` or `Receiver.receive` made keeps its validated body and
//! options (`events::Core`): the core parses that body again (no Python object made) into its
//! `KeyedEvent`, the dedupe key and wire form, once per object, which `dedupe_key` and `apply`
//! share. An event object made otherwise (the `testing` factories) reaches the core through its
//! wire form: `to_dict()`, written as JSON and parsed again by the core in lenient mode with no
//! size limit. Both give exactly the event the object was made from (its values are
//! immutable), so the dedupe key and the record are byte for byte those of the Rust core and
//! of the Node binding.
//!
//! The record is a mutable object. Each method converts its Python arguments first and then
//! borrows the record only for the core call (pure Rust, no Python code runs meanwhile), so
//! threads sharing one record never see a half-applied event or a borrow error.

use oneinbox_webhooks::{
    self as core, Event, KeyedEvent, ParseOptions, TranscriptFinal, MAX_DEPTH_CEILING,
};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::errors::{guard, short_repr, to_py_err};
use crate::events::{
    core_of, event_to_py, value_to_py, with_body_of, CallAnalyzed, CallEnded, CallFailed,
    CallRecordingAvailable, CallStarted, TranscriptFinal as PyTranscriptFinal, TranscriptPartial,
    UnknownEvent,
};

/// The JSON value of a Python value made by `to_dict()` of an event: `dict`, `list`, `str`,
/// `int` (64-bit), `float`, `bool`, `None`.
fn json_of(v: &Bound<'_, PyAny>) -> PyResult<Value> {
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
        return Ok(v.extract::<u64>()?.into());
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err("an event holds a number JSON cannot write"));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, item) in d.iter() {
            map.insert(
                k.cast::<PyString>()?.to_cow()?.into_owned(),
                json_of(&item)?,
            );
        }
        return Ok(Value::Object(map));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items = v
            .try_iter()?
            .map(|item| json_of(&item?))
            .collect::<PyResult<Vec<Value>>>()?;
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "an event holds a {}, which is not a JSON value",
        v.get_type().name()?
    )))
}

/// Whether `v` is one of the event classes `parse_event` returns.
fn is_event(v: &Bound<'_, PyAny>) -> bool {
    v.is_instance_of::<CallStarted>()
        || v.is_instance_of::<CallEnded>()
        || v.is_instance_of::<CallAnalyzed>()
        || v.is_instance_of::<CallFailed>()
        || v.is_instance_of::<CallRecordingAvailable>()
        || v.is_instance_of::<TranscriptPartial>()
        || v.is_instance_of::<PyTranscriptFinal>()
        || v.is_instance_of::<UnknownEvent>()
}

/// Calls `f` with the key and wire form of an event object: kept by the object
/// (`events::Core`), or else made from its `to_dict()`. A `TypeError` naming `func` for
/// anything but an event.
pub(crate) fn with_keyed<R>(
    py: Python<'_>,
    func: &str,
    event: &Bound<'_, PyAny>,
    f: impl FnOnce(&KeyedEvent) -> R,
) -> PyResult<R> {
    if let Some(keyed) = core_of(event).map(|c| c.keyed(py)).transpose()?.flatten() {
        return Ok(f(&keyed));
    }
    let event = core_event(py, func, event)?;
    Ok(f(&KeyedEvent::new(&event)))
}

/// The core event of an event object, from its `to_dict()`; a `TypeError` naming `func` for
/// anything else.
fn core_event(py: Python<'_>, func: &str, event: &Bound<'_, PyAny>) -> PyResult<Event> {
    if !is_event(event) {
        let kind = event.get_type().name()?;
        let hint = if event.is_instance_of::<pyo3::types::PyBytes>()
            || event.is_instance_of::<PyString>()
        {
            ": pass the event parse_event returned, not the raw body"
        } else {
            ""
        };
        return Err(PyTypeError::new_err(format!(
            "{func}() takes an event returned by parse_event, not {kind}{hint}"
        )));
    }
    let wire = json_of(&event.call_method0(intern!(py, "to_dict"))?)?;
    let text = serde_json::to_vec(&wire)
        .map_err(|e| PyTypeError::new_err(format!("{func}(): cannot write the event: {e}")))?;
    let opts = ParseOptions {
        strict: false,
        max_body_bytes: usize::MAX,
        max_depth: MAX_DEPTH_CEILING,
    };
    opts.parse(&text).map_err(|e| to_py_err(py, e))
}

/// The key under which to remember that a delivery was seen:
/// ``"<event name>:<call_id>:<64 hex digits of SHA-256>"`` over the event's RFC 8785
/// canonical wire JSON. The same for the same content, whatever its member order, whitespace
/// or number spelling (``87`` and ``87.0``); different for any change of content. The same
/// string as in Rust and Node.
#[pyfunction]
pub fn dedupe_key(py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<String> {
    guard(py, || {
        if let Some(key) = core_of(event).map(|c| c.key(py)).transpose()?.flatten() {
            return Ok(key);
        }
        with_keyed(py, "dedupe_key", event, |k| k.key().to_owned())
    })
}

/// What ``CallRecord.apply`` did: ``changed`` (whether the record changed) and ``ignored``
/// (why the event was ignored, e.g. it belongs to another call; ``None`` when applied).
#[pyclass(module = "oneinbox_webhooks", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub struct Applied {
    #[pyo3(get)]
    changed: bool,
    #[pyo3(get)]
    ignored: Option<String>,
}

#[pymethods]
impl Applied {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("changed", "ignored")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let ignored = match &self.ignored {
                None => "None".to_owned(),
                Some(why) => PyString::new(py, why).repr()?.to_cow()?.into_owned(),
            };
            Ok(format!(
                "Applied(changed={}, ignored={ignored})",
                if self.changed { "True" } else { "False" }
            ))
        })
    }
}

/// What is known about one call, folded from its events in any order, with any repeats, and
/// merged across workers: the record is a function of the set of events applied. See the
/// README and ``schemas/call-record.schema.json`` for the rules.
#[pyclass(module = "oneinbox_webhooks")]
pub struct CallRecord {
    /// Shared with the ledger that handed it out, or with the record it is a `copy()` of,
    /// until one of them changes (copy on write).
    pub(crate) inner: Arc<core::CallRecord>,
}

/// A number as the Python `int` or `float` it denotes.
fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    value_to_py(py, &Value::Number(n.clone()))
}

#[pymethods]
impl CallRecord {
    /// An empty record of the call ``call_id``.
    #[new]
    fn new(call_id: String) -> Self {
        CallRecord {
            inner: Arc::new(core::CallRecord::new(call_id)),
        }
    }

    /// Folds one event (as returned by ``parse_event``) into the record. An event of another
    /// call is ignored: ``Applied(changed=False, ignored="...")``.
    fn apply(slf: &Bound<'_, Self>, event: &Bound<'_, PyAny>) -> PyResult<Applied> {
        let py = slf.py();
        guard(py, || {
            let applied = with_keyed(py, "CallRecord.apply", event, |k| {
                Arc::make_mut(&mut slf.borrow_mut().inner).apply_keyed(k)
            })?;
            Ok(Applied {
                changed: applied.changed,
                ignored: applied.ignored,
            })
        })
    }

    /// Combines ``other`` into this record, as if this record had also seen every event
    /// ``other`` saw; returns whether this record changed. Raises ``UsageError`` when the
    /// records are of different calls.
    fn merge(slf: &Bound<'_, Self>, other: &Bound<'_, CallRecord>) -> PyResult<bool> {
        let py = slf.py();
        guard(py, || {
            if slf.is(other) {
                return Ok(false);
            }
            let theirs = Arc::clone(&other.borrow().inner);
            let result = Arc::make_mut(&mut slf.borrow_mut().inner).merge(&theirs);
            result.map_err(|e| to_py_err(py, e))
        })
    }

    /// A new record equal to this one (changing either leaves the other as it is).
    fn copy(&self) -> CallRecord {
        CallRecord {
            inner: Arc::clone(&self.inner),
        }
    }

    fn __copy__(&self) -> CallRecord {
        self.copy()
    }

    /// The JSON form (compact, members in a fixed order), which ``from_json`` reads back.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.inner.to_json()))
    }

    /// Reads the JSON form (``str`` or ``bytes``); raises ``ValidationError`` listing every
    /// issue, each with a JSON Pointer.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<CallRecord> {
        guard(py, || {
            let record = with_body_of(py, "CallRecord.from_json", data, |bytes| {
                core::CallRecord::from_json(bytes)
            })?;
            record
                .map(|inner| CallRecord {
                    inner: Arc::new(inner),
                })
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// The JSON form as a dict (what ``json.loads(record.to_json())`` gives).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let value = serde_json::to_value(&*self.inner)
                .map_err(|e| PyTypeError::new_err(format!("cannot write the record: {e}")))?;
            value_to_py(py, &value)
        })
    }

    #[getter]
    fn call_id(&self) -> &str {
        self.inner.call_id()
    }

    /// Folds a snapshot of the call (a ``Call``, as ``client.get_call`` returns it): its values
    /// rank below every event's, its status raises ``status`` and never lowers it. A snapshot
    /// of another call is ignored: ``Applied(changed=False, ignored="...")``.
    fn apply_call(
        &mut self,
        py: Python<'_>,
        call: PyRef<'_, crate::management::Call>,
    ) -> PyResult<Applied> {
        guard(py, || {
            let applied = Arc::make_mut(&mut self.inner).apply_call(&call.inner);
            Ok(Applied {
                changed: applied.changed,
                ignored: applied.ignored,
            })
        })
    }

    /// The status the applied events alone give (no snapshot).
    #[getter]
    fn events_status(&self) -> &'static str {
        self.inner.events_status().as_str()
    }

    /// The greatest status a snapshot showed (``"unknown"`` when none did).
    #[getter]
    fn snapshot_status(&self) -> &'static str {
        self.inner.snapshot_status().as_str()
    }

    /// The names of the events applied from reconciliation (``"reconciled": true``), sorted.
    #[getter]
    fn reconciled(&self) -> Vec<String> {
        self.inner.reconciled().iter().cloned().collect()
    }

    /// Whether the handlers of a delivery of the event ``event`` (a name) with dedupe key
    /// ``key`` already ran through reconciliation (a store then records it as a repeat).
    fn covers(&self, event: &str, key: &str) -> bool {
        self.inner.covers(event, key)
    }

    /// ``"in_progress"``, ``"completed"``, ``"failed"`` or ``"unknown"``.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status().as_str()
    }

    #[getter]
    fn agent_id(&self) -> Option<&str> {
        self.inner.agent_id()
    }

    #[getter]
    fn to_number(&self) -> Option<&str> {
        self.inner.to_number()
    }

    #[getter(from_number)]
    fn caller_number(&self) -> Option<&str> {
        self.inner.from_number()
    }

    #[getter]
    fn started_at(&self) -> Option<&str> {
        self.inner.started_at()
    }

    #[getter]
    fn duration_seconds<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            self.inner
                .duration_seconds()
                .map(|n| number_to_py(py, n))
                .transpose()
        })
    }

    #[getter]
    fn outcome(&self) -> Option<&str> {
        self.inner.outcome()
    }

    #[getter]
    fn ai_summary(&self) -> Option<&str> {
        self.inner.ai_summary()
    }

    /// The ``analysis`` of ``call.ended``, an ``Analysis`` (a new object on every access).
    #[getter]
    fn analysis<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            let Some(analysis) = self.inner.analysis() else {
                return Ok(None);
            };
            let ended = Event::CallEnded(core::CallEnded {
                call_id: self.inner.call_id().to_owned(),
                analysis: Some(analysis.clone()),
                ..Default::default()
            });
            Ok(Some(
                event_to_py(py, &ended)?.getattr(intern!(py, "analysis"))?,
            ))
        })
    }

    #[getter]
    fn failure_reason(&self) -> Option<&str> {
        self.inner.failure_reason()
    }

    #[getter]
    fn recording_url(&self) -> Option<&str> {
        self.inner.recording_url()
    }

    /// The transcript, a list of ``Message`` (a new list on every access).
    #[getter]
    fn transcript<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            let Some(messages) = self.inner.transcript() else {
                return Ok(None);
            };
            let event = Event::TranscriptFinal(TranscriptFinal {
                call_id: self.inner.call_id().to_owned(),
                messages: messages.to_vec(),
                extra: Map::new(),
                reconciled: None,
            });
            Ok(Some(
                event_to_py(py, &event)?.getattr(intern!(py, "messages"))?,
            ))
        })
    }

    #[getter]
    fn transcript_final(&self) -> bool {
        self.inner.transcript_final()
    }

    /// The names of the events applied, sorted (a new list on every access).
    #[getter]
    fn events_seen(&self) -> Vec<String> {
        self.inner.events_seen().iter().map(str::to_owned).collect()
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            Ok(match other.cast::<CallRecord>() {
                Ok(other) => {
                    let equal = other.borrow().inner == self.inner;
                    PyBool::new(py, equal).to_owned().into_any().unbind()
                }
                Err(_) => py.NotImplemented(),
            })
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            // Each value cut on its own, so that a huge id or event name never floods a log.
            let short = |s: &str| short_repr(PyString::new(py, s).as_any());
            let seen = self
                .inner
                .events_seen()
                .iter()
                .map(&short)
                .collect::<PyResult<Vec<String>>>()?;
            Ok(format!(
                "CallRecord(call_id={}, status='{}', events_seen=[{}])",
                short(self.inner.call_id())?,
                self.inner.status().as_str(),
                seen.join(", ")
            ))
        })
    }
}

/// What ``Store.record`` did with one delivery: ``new`` (no worker had recorded it before,
/// by its dedupe key: process it) and ``record`` (the call's record with this delivery
/// included, a copy of its own). Frozen, like the dataclass it replaces: setting an attribute
/// raises ``dataclasses.FrozenInstanceError``.
#[pyclass(module = "oneinbox_webhooks.stores", frozen)]
pub struct Recorded {
    #[pyo3(get)]
    new: bool,
    /// The ``CallRecord`` object, made on first read (a receiver that only looks at ``new``
    /// makes none); the same object on every read.
    record: PyOnceLock<Py<CallRecord>>,
    /// What it is made of: the record a store handed out (shared until either changes),
    /// given up once the object is made (so a changed copy never keeps the store's alive), or
    /// `None` when the object was given.
    shared: Mutex<Option<Arc<core::CallRecord>>>,
}

impl Recorded {
    /// What a store says of a delivery: whether it is new, and the call's record.
    pub(crate) fn of(new: bool, record: Arc<core::CallRecord>) -> Self {
        Recorded {
            new,
            record: PyOnceLock::new(),
            shared: Mutex::new(Some(record)),
        }
    }

    /// The record it is made of, while the object is not made.
    fn shared(&self) -> std::sync::MutexGuard<'_, Option<Arc<core::CallRecord>>> {
        // Never poisoned: nothing that can panic runs while it is held.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ``CallRecord`` object.
    fn record_of<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, CallRecord>> {
        let record = self.record.get_or_try_init(py, || {
            // `shared` is `None` only when the object was given, and then it is set.
            let inner = self
                .shared()
                .clone()
                .unwrap_or_else(|| Arc::new(core::CallRecord::new("")));
            Py::new(py, CallRecord { inner })
        })?;
        // Given up only once the object is stored: another thread making it at the same time
        // still finds the record, or finds the object stored and has its own dropped.
        *self.shared() = None;
        Ok(record.bind(py))
    }
}

#[pymethods]
impl Recorded {
    #[new]
    fn py_new(py: Python<'_>, new: bool, record: Py<CallRecord>) -> Self {
        let lock = PyOnceLock::new();
        let _ = lock.set(py, record);
        Recorded {
            new,
            record: lock,
            shared: Mutex::new(None),
        }
    }

    /// The call's record with this delivery included (a copy of its own).
    #[getter]
    fn record(&self, py: Python<'_>) -> PyResult<Py<CallRecord>> {
        self.record_of(py).map(|r| r.clone().unbind())
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("new", "record")
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            Ok(match other.cast::<Recorded>() {
                Ok(other) => {
                    let other = other.get();
                    let equal =
                        other.new == self.new && other.record_of(py)?.eq(self.record_of(py)?)?;
                    PyBool::new(py, equal).to_owned().into_any().unbind()
                }
                Err(_) => py.NotImplemented(),
            })
        })
    }

    fn __setattr__(&self, py: Python<'_>, name: &str, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(frozen(py, name))
    }

    fn __delattr__(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        Err(frozen(py, name))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            Ok(format!(
                "Recorded(new={}, record={})",
                if self.new { "True" } else { "False" },
                self.record_of(py)?.repr()?.to_cow()?
            ))
        })
    }
}

/// The `dataclasses.FrozenInstanceError` a frozen dataclass raises on setting `name`.
fn frozen(py: Python<'_>, name: &str) -> PyErr {
    let error = py
        .import(intern!(py, "dataclasses"))
        .and_then(|m| m.getattr(intern!(py, "FrozenInstanceError")))
        .and_then(|cls| cls.call1((format!("cannot assign to field {name:?}"),)));
    match error {
        Ok(error) => PyErr::from_value(error),
        Err(e) => e,
    }
}

/// The deliveries seen and the records they fold into, in memory: per call, the dedupe keys
/// of the deliveries and the call's record (what ``MemoryStore`` keeps). Safe to share
/// between threads: each call holds its lock only for the core's work on it.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct Ledger {
    inner: Mutex<core::Ledger>,
}

impl Ledger {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, core::Ledger> {
        // No code that can panic runs while the lock is held, so it is never poisoned; if it
        // were, the ledger is still whole (each change is one core call).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl Ledger {
    /// An empty ledger.
    #[new]
    fn new() -> Self {
        Ledger {
            inner: Mutex::new(core::Ledger::new()),
        }
    }

    /// Claims the delivery of ``event`` (as returned by ``parse_event``): a ``Recorded``,
    /// whether its dedupe key is new for its call and a copy of the call's record with the
    /// event applied.
    fn record(slf: &Bound<'_, Self>, event: &Bound<'_, PyAny>) -> PyResult<Recorded> {
        let py = slf.py();
        guard(py, || {
            let (new, inner) = with_keyed(py, "Ledger.record", event, |k| {
                slf.get().lock().record_shared(k)
            })?;
            Ok(Recorded::of(new, inner))
        })
    }

    /// A copy of the record of the call ``call_id``, or ``None`` if no delivery of it was
    /// recorded.
    fn get(&self, py: Python<'_>, call_id: &str) -> PyResult<Option<CallRecord>> {
        guard(py, || {
            Ok(self
                .lock()
                .get_shared(call_id)
                .map(|inner| CallRecord { inner }))
        })
    }

    /// The number of calls seen.
    fn __len__(&self) -> usize {
        self.lock().len()
    }

    fn __repr__(&self) -> String {
        format!("Ledger(calls={})", self.lock().len())
    }
}

/// Adds the classes and functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dedupe_key, m)?)?;
    m.add("MAX_DEPTH_CEILING", MAX_DEPTH_CEILING)?;
    m.add_class::<Applied>()?;
    m.add_class::<Ledger>()?;
    m.add_class::<Recorded>()?;
    m.add_class::<CallRecord>()
}
