//! `parse_event` and the event classes: thin wrappers over the core's `events` module.
//!
//! The core parses the body into its typed `Event`; each class is then built straight from
//! that Rust value (no intermediate JSON document, no dict per event). Attribute values are
//! Python objects made once at parse time, so reading an attribute is a reference count bump.

use oneinbox_webhooks::{self as core, Event, Issue, IssueCode, ParseOptions, UsageError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use pyo3::{intern, Borrowed};
use serde_json::{Map, Number, Value};

use crate::errors::{guard, short_repr, to_py_err};

/// Bodies longer than this are parsed with the GIL released, so that other Python threads
/// run meanwhile (the event objects are built after it is taken back). Measured with
/// `bench/bench.py --gil`: parsing costs about 1.7 µs per KB, and releasing and re-taking
/// the (uncontended) GIL makes no visible step at this size, i.e. it costs well under the
/// 2% noise of a 7 µs parse; on small bodies the same fixed cost would be a larger share
/// of a sub-microsecond call, for no gain.
const DETACH_ABOVE_BYTES: usize = 4096;

/// The default of `max_body_bytes`.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The default of `max_depth`.
pub(crate) const DEFAULT_MAX_DEPTH: usize = 64;

/// A `max_body_bytes` / `max_depth` argument: any Python `int`. A value above what the
/// platform can count means "no limit"; a negative one is kept so that `parse_event` can
/// report it as a `UsageError` naming the argument.
#[derive(Clone, Copy)]
pub struct Limit(pub(crate) Option<usize>);

impl<'a, 'py> FromPyObject<'a, 'py> for Limit {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "expected an int, got {}",
                type_name(&obj)
            )));
        }
        if let Ok(n) = obj.extract::<usize>() {
            return Ok(Limit(Some(n)));
        }
        if obj.lt(0)? {
            Ok(Limit(None))
        } else {
            Ok(Limit(Some(usize::MAX)))
        }
    }
}

fn type_name(obj: &Borrowed<'_, '_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Parses and validates one webhook body into an event object, or raises `ValidationError`
/// listing every issue. Pass the raw request body, exactly as received.
#[pyfunction]
#[pyo3(
    signature = (body, *, strict = false, max_body_bytes = Limit(Some(DEFAULT_MAX_BODY_BYTES)), max_depth = Limit(Some(DEFAULT_MAX_DEPTH))),
    text_signature = "(body, *, strict=False, max_body_bytes=1048576, max_depth=64)"
)]
pub fn parse_event<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    strict: bool,
    max_body_bytes: Limit,
    max_depth: Limit,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let opts = parse_options(py, strict, max_body_bytes, max_depth)?;
        let parsed = with_body(py, body, |bytes| parse_detached(py, &opts, bytes))?;
        match parsed {
            Ok(event) => event_to_py(py, event),
            Err(err) => Err(to_py_err(py, err)),
        }
    })
}

/// The core's options from the Python arguments; a negative limit is a `UsageError` naming
/// the argument.
pub(crate) fn parse_options(
    py: Python<'_>,
    strict: bool,
    max_body_bytes: Limit,
    max_depth: Limit,
) -> PyResult<ParseOptions> {
    let mut bad = Vec::new();
    for (name, limit) in [("max_body_bytes", max_body_bytes), ("max_depth", max_depth)] {
        if limit.0.is_none() {
            bad.push(Issue::new(
                IssueCode::InvalidValue,
                format!("/{name}"),
                format!("`{name}` must be a non-negative integer, got a negative one"),
            ));
        }
    }
    if !bad.is_empty() {
        return Err(to_py_err(py, UsageError::new(bad)));
    }
    Ok(ParseOptions {
        strict,
        max_body_bytes: max_body_bytes.0.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        max_depth: max_depth.0.unwrap_or(DEFAULT_MAX_DEPTH),
    })
}

/// Runs `f` (which parses `bytes`) with the GIL released when the body is large enough for
/// that to pay off (see [`DETACH_ABOVE_BYTES`]).
pub(crate) fn parse_detached(
    py: Python<'_>,
    opts: &ParseOptions,
    bytes: &[u8],
) -> Result<Event, core::ValidationError> {
    detached(py, opts, bytes, |b| opts.parse(b))
}

/// Runs `f` over `bytes`, with the GIL released when `bytes` is larger than
/// [`DETACH_ABOVE_BYTES`] and within `opts.max_body_bytes`.
pub(crate) fn detached<R: Send>(
    py: Python<'_>,
    opts: &ParseOptions,
    bytes: &[u8],
    f: impl FnOnce(&[u8]) -> R + Send,
) -> R {
    if bytes.len() > DETACH_ABOVE_BYTES && bytes.len() <= opts.max_body_bytes {
        py.detach(|| f(bytes))
    } else {
        f(bytes)
    }
}

/// Calls `f` with the bytes of `body`: `bytes` and `str` without a copy where the platform
/// allows, `bytearray` and `memoryview` copied first (they are mutable).
pub(crate) fn with_body<R>(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    f: impl FnOnce(&[u8]) -> R,
) -> PyResult<R> {
    with_body_of(py, "parse_event", body, f)
}

/// [`with_body`] for the function `func` (named in the `TypeError`).
pub(crate) fn with_body_of<R>(
    py: Python<'_>,
    func: &str,
    body: &Bound<'_, PyAny>,
    f: impl FnOnce(&[u8]) -> R,
) -> PyResult<R> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    if let Ok(s) = body.cast::<PyString>() {
        if let Ok(text) = s.to_cow() {
            return Ok(f(text.as_bytes()));
        }
        // A lone surrogate: pass its bytes on, and the core reports invalid JSON text.
        let raw = s.call_method1(
            intern!(py, "encode"),
            (intern!(py, "utf-8"), intern!(py, "surrogatepass")),
        )?;
        return Ok(f(raw.cast::<PyBytes>()?.as_bytes()));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(f(&b.to_vec()));
    }
    if body.is_instance_of::<PyMemoryView>() {
        let raw = body.call_method0(intern!(py, "tobytes"))?;
        return Ok(f(raw.cast::<PyBytes>()?.as_bytes()));
    }
    let kind = type_name(&body.as_borrowed());
    if body.is_instance_of::<PyDict>() || body.is_instance_of::<PyList>() {
        return Err(PyTypeError::new_err(format!(
            "{func}() takes the raw request body (bytes or str), not an already parsed {kind}: \
             pass e.g. `await request.body()` (FastAPI/Starlette) or `request.get_data()` (Flask), \
             not `request.json`"
        )));
    }
    Err(PyTypeError::new_err(format!(
        "{func}() takes the raw body as bytes, bytearray, memoryview or str, not {kind}"
    )))
}

/// Builds the Python object of a parsed event.
pub(crate) fn event_to_py(py: Python<'_>, event: Event) -> PyResult<Bound<'_, PyAny>> {
    Ok(match event {
        Event::CallStarted(e) => Bound::new(py, CallStarted::from_core(py, e)?)?.into_any(),
        Event::CallEnded(e) => Bound::new(py, CallEnded::from_core(py, e)?)?.into_any(),
        Event::CallAnalyzed(e) => Bound::new(py, CallAnalyzed::from_core(py, e)?)?.into_any(),
        Event::CallFailed(e) => Bound::new(py, CallFailed::from_core(py, e)?)?.into_any(),
        Event::CallRecordingAvailable(e) => {
            Bound::new(py, CallRecordingAvailable::from_core(py, e)?)?.into_any()
        }
        Event::TranscriptPartial(e) => {
            Bound::new(py, TranscriptPartial::from_core(py, e)?)?.into_any()
        }
        Event::TranscriptFinal(e) => Bound::new(py, TranscriptFinal::from_core(py, e)?)?.into_any(),
        Event::Unknown(e) => Bound::new(py, UnknownEvent::from_core(py, e)?)?.into_any(),
    })
}

/// A core field value turned into the Python attribute value.
trait Field {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>>;
}

impl Field for String {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        // The values that repeat in every transcript and call share one interned str.
        let shared = match self.as_str() {
            "agent" => intern!(py, "agent"),
            "user" => intern!(py, "user"),
            "completed" => intern!(py, "completed"),
            _ => return Ok(PyString::new(py, &self).into_any().unbind()),
        };
        Ok(shared.clone().into_any().unbind())
    }
}

impl<T: Field> Field for Option<T> {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Some(v) => v.into_py_field(py),
            None => Ok(py.None()),
        }
    }
}

impl Field for Number {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        number_to_py(py, &self).map(Bound::unbind)
    }
}

impl Field for Map<String, Value> {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        map_to_py(py, &self).map(|d| d.into_any().unbind())
    }
}

impl Field for core::Analysis {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(Py::new(py, Analysis::from_core(py, self)?)?.into_any())
    }
}

impl Field for Vec<core::Message> {
    fn into_py_field(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let items = self
            .into_iter()
            .map(|m| Bound::new(py, Message::from_core(py, m)?))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any().unbind())
    }
}

pub(crate) fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    Ok(if let Some(i) = n.as_i64() {
        i.into_pyobject(py)?.into_any()
    } else if let Some(u) = n.as_u64() {
        u.into_pyobject(py)?.into_any()
    } else {
        PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
    })
}

pub(crate) fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

pub(crate) fn map_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(PyString::new(py, k), value_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// The wire form of an attribute value: nested `Analysis` and `Message` objects become dicts.
fn wire<'py>(py: Python<'py>, v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(a) = v.cast::<Analysis>() {
        return Ok(a.get().dict(py)?.into_any());
    }
    if let Ok(list) = v.cast::<PyList>() {
        let out = PyList::empty(py);
        for item in list.iter() {
            match item.cast::<Message>() {
                Ok(m) => out.append(m.get().dict(py)?)?,
                Err(_) => out.append(item)?,
            }
        }
        return Ok(out.into_any());
    }
    Ok(v.clone())
}

/// The `extra` members: no dict at all in the usual case where there are none (a dict per
/// event and per message would be a measurable share of the parse time).
struct Extra(Option<Py<PyDict>>);

impl Extra {
    fn new(py: Python<'_>, map: &Map<String, Value>) -> PyResult<Self> {
        if map.is_empty() {
            return Ok(Extra(None));
        }
        Ok(Extra(Some(map_to_py(py, map)?.unbind())))
    }

    fn get<'py>(&self, py: Python<'py>) -> Bound<'py, PyDict> {
        match &self.0 {
            Some(d) => d.bind(py).clone(),
            None => PyDict::new(py),
        }
    }

    fn write_into(&self, py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<()> {
        match &self.0 {
            Some(extra) => d.update(extra.bind(py).as_mapping()),
            None => Ok(()),
        }
    }
}

/// Defines a frozen class over a core struct: one attribute per listed field (wire name,
/// `None` when absent), `extra`, `__match_args__`, `__repr__`, `__eq__` and `to_dict()`;
/// with `event = "..."`, also the `event` class attribute, written first by `to_dict()`.
macro_rules! record {
    (
        $(#[$doc:meta])*
        $py:ident($core:ty) $(event = $wire:literal)? { $($field:ident),* $(,)? }
    ) => {
        $(#[$doc])*
        #[pyclass(module = "oneinbox_webhooks", frozen)]
        pub struct $py {
            $( #[pyo3(get)] $field: Py<PyAny>, )*
            extra: Extra,
        }

        impl $py {
            fn from_core(py: Python<'_>, e: $core) -> PyResult<Self> {
                Ok($py {
                    $( $field: Field::into_py_field(e.$field, py)?, )*
                    extra: Extra::new(py, &e.extra)?,
                })
            }

            /// The wire form: known fields that are present, then `extra`.
            fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let d = PyDict::new(py);
                $( d.set_item(intern!(py, "event"), intern!(py, $wire))?; )?
                $(
                    let v = self.$field.bind(py);
                    if !v.is_none() {
                        d.set_item(intern!(py, stringify!($field)), wire(py, v)?)?;
                    }
                )*
                self.extra.write_into(py, &d)?;
                Ok(d)
            }
        }

        #[pymethods]
        impl $py {
            $(
                /// The wire name of this event.
                #[classattr]
                #[pyo3(name = "event")]
                fn event_name() -> &'static str {
                    $wire
                }
            )?

            /// Members the contract does not list, in their original order.
            #[getter]
            fn extra<'py>(&self, py: Python<'py>) -> Bound<'py, PyDict> {
                self.extra.get(py)
            }

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
                PyTuple::new(py, [$(stringify!($field)),*])
            }

            /// The wire form as a dict (unknown members included), ready for `json.dumps`.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                guard(py, || self.dict(py))
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                guard(py, || {
                    let mut parts: Vec<String> = Vec::new();
                    $( parts.push(format!(
                        concat!(stringify!($field), "={}"),
                        short_repr(self.$field.bind(py))?
                    )); )*
                    if let Some(extra) = &self.extra.0 {
                        parts.push(format!("extra={}", short_repr(extra.bind(py).as_any())?));
                    }
                    Ok(format!(concat!(stringify!($py), "({})"), parts.join(", ")))
                })
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<bool> {
                guard(py, || {
                    let other = other.get();
                    $(
                        if !self.$field.bind(py).eq(other.$field.bind(py))? {
                            return Ok(false);
                        }
                    )*
                    self.extra.get(py).eq(other.extra.get(py))
                })
            }
        }
    };
}

record! {
    /// `call.started`: the call connected and the agent began the session.
    CallStarted(core::CallStarted) event = "call.started" {
        call_id, agent_id, to_number, from_number, created_at
    }
}

record! {
    /// `call.ended`: the call ended; carries the outcome and summary.
    CallEnded(core::CallEnded) event = "call.ended" {
        call_id, agent_id, status, duration_seconds, to_number, from_number, outcome,
        ai_summary, analysis
    }
}

record! {
    /// `call.analyzed`: the AI analysis is ready after the call.
    CallAnalyzed(core::CallAnalyzed) event = "call.analyzed" {
        call_id, agent_id, outcome, ai_summary
    }
}

record! {
    /// `call.failed`: the call failed to connect.
    CallFailed(core::CallFailed) event = "call.failed" {
        call_id, agent_id, to_number, from_number, reason
    }
}

record! {
    /// `call.recording.available`: the recording is ready.
    CallRecordingAvailable(core::CallRecordingAvailable) event = "call.recording.available" {
        call_id, recording_url
    }
}

record! {
    /// `transcript.partial`: a partial transcript during a live call.
    TranscriptPartial(core::TranscriptPartial) event = "transcript.partial" {
        call_id, messages
    }
}

record! {
    /// `transcript.final`: the full transcript, sent after `call.ended`.
    TranscriptFinal(core::TranscriptFinal) event = "transcript.final" {
        call_id, messages
    }
}

record! {
    /// One turn of a conversation.
    Message(core::Message) { role, content }
}

record! {
    /// The `analysis` object of `call.ended`.
    Analysis(core::Analysis) { summary, outcome, extracted_data }
}

/// An event whose name this version does not know (lenient mode only). `extra` holds the
/// whole payload, `event` and `call_id` included, in its original order.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct UnknownEvent {
    #[pyo3(get)]
    event: Py<PyAny>,
    #[pyo3(get)]
    call_id: Py<PyAny>,
    #[pyo3(get)]
    extra: Py<PyDict>,
}

impl UnknownEvent {
    fn from_core(py: Python<'_>, e: core::UnknownEvent) -> PyResult<Self> {
        Ok(UnknownEvent {
            event: e.event.into_py_field(py)?,
            call_id: e.call_id.into_py_field(py)?,
            extra: map_to_py(py, &e.payload)?.unbind(),
        })
    }
}

#[pymethods]
impl UnknownEvent {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("event", "call_id")
    }

    /// The whole payload as a dict, in its original order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || self.extra.bind(py).copy())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            Ok(format!(
                "UnknownEvent(event={}, call_id={}, extra={})",
                short_repr(self.event.bind(py))?,
                short_repr(self.call_id.bind(py))?,
                short_repr(self.extra.bind(py).as_any())?
            ))
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<bool> {
        guard(py, || self.extra.bind(py).eq(other.get().extra.bind(py)))
    }
}

/// Raises a panic inside the guard; for the test that no panic escapes as `PanicException`.
/// Compiled only with the `test-panic` feature, which `just build-python` (the test build)
/// turns on; a package built by `pip install` does not have it.
#[cfg(feature = "test-panic")]
#[pyfunction]
pub fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    guard(py, || -> PyResult<()> {
        let v: Vec<u8> = Vec::new();
        // A deliberate out-of-bounds index, standing in for any bug.
        #[allow(clippy::indexing_slicing)]
        let _ = v[usize::from(v.is_empty())];
        Ok(())
    })
}

/// Adds the functions and classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_event, m)?)?;
    #[cfg(feature = "test-panic")]
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_class::<CallStarted>()?;
    m.add_class::<CallEnded>()?;
    m.add_class::<CallAnalyzed>()?;
    m.add_class::<CallFailed>()?;
    m.add_class::<CallRecordingAvailable>()?;
    m.add_class::<TranscriptPartial>()?;
    m.add_class::<TranscriptFinal>()?;
    m.add_class::<UnknownEvent>()?;
    m.add_class::<Message>()?;
    m.add_class::<Analysis>()
}
