//! `parse_event` and the event classes: thin wrappers over the core's `events` module.
//!
//! The core validates the body and calls [`PyBuilder`] for every value it accepts
//! (`ParseOptions::parse_with`), so the Python strings, numbers and objects are made straight
//! from the bytes: no Rust event in between, no dict per event. Attribute values are made once
//! at parse time, so reading an attribute is a reference count bump.

use oneinbox_webhooks::build::{
    self, BuildError, Builder, Items, Kind, Members, Shape, UnknownParts,
};
use oneinbox_webhooks::contract::ObjectKind;
use oneinbox_webhooks::host;
use oneinbox_webhooks::{
    Event, KeyedEvent, ParseOptions, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, MAX_DEPTH_CEILING,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyList, PyMemoryView, PyString, PyTuple,
};
use pyo3::{intern, Borrowed};
use serde_json::Value;

use crate::args::{checked, Int};
use crate::errors::{guard, short_repr, to_py_err};
use crate::strings::Strings;

/// Bodies longer than this are parsed with the GIL released, so that other Python threads
/// run meanwhile: the core parses into its Rust event without the GIL, and the objects are
/// made from it once the GIL is back. Below it, the objects are made during the parse: one
/// pass, holding the GIL. Measured with `bench/bench.py --gil` (release build): about 0.9 µs
/// per KB in one pass, 1.65 µs per KB in two, of which the core's parse (about 1.2 µs per KB,
/// `just bench`) runs without the GIL. So above the threshold other threads get about twice
/// the time this call loses; webhook bodies are nearly always far below it.
const DETACH_ABOVE_BYTES: usize = 64 * 1024;

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
    signature = (body, *, strict = false, max_body_bytes = Int::of(DEFAULT_MAX_BODY_BYTES), max_depth = Int::of(DEFAULT_MAX_DEPTH)),
    text_signature = "(body, *, strict=False, max_body_bytes=1048576, max_depth=64)"
)]
pub fn parse_event<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    strict: bool,
    max_body_bytes: Int,
    max_depth: Int,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let opts = parse_options(py, strict, max_body_bytes, max_depth)?;
        with_owned_body_of(py, "parse_event", body, |bytes, owner| {
            parse_to_py(py, &opts, bytes, owner)
        })?
    })
}

/// The core's options from the Python arguments; a bad limit is a `UsageError` naming the
/// argument (the rule is the core's `host::limit`).
pub(crate) fn parse_options(
    py: Python<'_>,
    strict: bool,
    max_body_bytes: Int,
    max_depth: Int,
) -> PyResult<ParseOptions> {
    let body = host::limit(max_body_bytes.0, "max_body_bytes");
    let depth = host::limit(max_depth.0, "max_depth");
    if let (Ok(max_body_bytes), Ok(max_depth)) = (&body, &depth) {
        return Ok(ParseOptions {
            strict,
            max_body_bytes: *max_body_bytes,
            max_depth: *max_depth,
        });
    }
    checked(py, vec![body, depth]).map(|_| ParseOptions::default())
}

/// The event object of `bytes`, or the `ValidationError`: made during the parse, or for a
/// large body (see [`DETACH_ABOVE_BYTES`]) from the event parsed with the GIL released.
/// `owner` is the immutable object that holds `bytes` (see [`with_body_of`]): the event keeps
/// it for `dedupe_key` and `CallRecord.apply` ([`Core`]).
pub(crate) fn parse_to_py<'py>(
    py: Python<'py>,
    opts: &ParseOptions,
    bytes: &[u8],
    owner: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if is_large(opts, bytes) {
        let event = py
            .detach(|| opts.parse(bytes))
            .map_err(|e| to_py_err(py, e))?;
        return build::event(&event, &mut PyBuilder::keeping(py, owner));
    }
    match opts.parse_with(bytes, &mut PyBuilder::keeping(py, owner)) {
        Ok(event) => Ok(event),
        Err(BuildError::Invalid(e)) => Err(to_py_err(py, e)),
        Err(BuildError::Host(e)) => Err(e),
    }
}

fn is_large(opts: &ParseOptions, bytes: &[u8]) -> bool {
    bytes.len() > DETACH_ABOVE_BYTES && bytes.len() <= opts.max_body_bytes
}

/// Runs `f` over `bytes`, with the GIL released when `bytes` is larger than
/// [`DETACH_ABOVE_BYTES`] and within `opts.max_body_bytes`.
pub(crate) fn detached<R: Send>(
    py: Python<'_>,
    opts: &ParseOptions,
    bytes: &[u8],
    f: impl FnOnce(&[u8]) -> R + Send,
) -> R {
    if is_large(opts, bytes) {
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

/// [`with_body_of`], also passing `f` an immutable object that holds the bytes (`bytes` or
/// `str`; a `bytearray` or `memoryview` is copied into a new `bytes`), for an event to keep.
pub(crate) fn with_owned_body_of<'py, R>(
    py: Python<'py>,
    func: &str,
    body: &Bound<'py, PyAny>,
    f: impl FnOnce(&[u8], &Bound<'py, PyAny>) -> R,
) -> PyResult<R> {
    if let Ok(bytes) = body.cast_exact::<PyBytes>() {
        // The usual body: no further type checks.
        return Ok(f(bytes.as_bytes(), body));
    }
    let copy;
    let body = if body.is_instance_of::<PyByteArray>() || body.is_instance_of::<PyMemoryView>() {
        copy = with_body_of(py, func, body, |bytes| PyBytes::new(py, bytes).into_any())?;
        &copy
    } else {
        body
    };
    with_body_of(py, func, body, |bytes| f(bytes, body))
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

/// The Python object of a parsed event.
pub(crate) fn event_to_py<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyAny>> {
    build::event(event, &mut PyBuilder::new(py))
}

/// The Python form of any JSON value (a dict for an object, a list for an array).
pub(crate) fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    build::value(v, &mut PyBuilder::new(py))
}

/// What an event object keeps of the parse that made it: the immutable object holding the
/// validated body (`bytes` or `str`): one reference, nearly free at parse time. `dedupe_key`,
/// `CallRecord.apply` and `Ledger.record` read it again in one pass in Rust
/// (`ParseOptions::dedupe_key`, `KeyedEvent::parse`: no event, no Python object; see
/// [`AGAIN`]) instead of writing `to_dict()` as JSON. The object is frozen and the body
/// immutable, so what they give is the event as parsed. An event made another way (from a
/// Rust event: `CallRecord.analysis`, `CallRecord.transcript`) has no body, and goes through
/// `to_dict()`.
#[derive(Default)]
pub(crate) struct Core {
    body: Option<Py<PyAny>>,
}

/// How a kept body is read again: it was valid with the options of its first parse, so it is
/// valid leniently with no limits and gives the same event (strict mode only adds checks,
/// limits only reject).
const AGAIN: ParseOptions = ParseOptions {
    strict: false,
    max_body_bytes: usize::MAX,
    max_depth: MAX_DEPTH_CEILING,
};

impl Core {
    fn of(source: &Source<'_, '_>) -> Self {
        Core {
            body: source.map(|body| body.clone().unbind()),
        }
    }

    /// The dedupe key of the event from its body (the key-only pass,
    /// `ParseOptions::dedupe_key`), or `None` when there is no body.
    pub(crate) fn key(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let Some(body) = &self.body else {
            return Ok(None);
        };
        let key = with_body(py, body.bind(py), |bytes| {
            detached(py, &AGAIN, bytes, |b| AGAIN.dedupe_key(b))
        })?;
        // The body parsed before, so it parses again; if it ever did not, the caller takes
        // the slow road.
        Ok(key.ok())
    }

    /// The key and what a record reads of the event, from its body (`KeyedEvent::parse`),
    /// or `None` when there is no body.
    pub(crate) fn keyed(&self, py: Python<'_>) -> PyResult<Option<KeyedEvent>> {
        let Some(body) = &self.body else {
            return Ok(None);
        };
        let keyed = with_body(py, body.bind(py), |bytes| {
            detached(py, &AGAIN, bytes, |b| KeyedEvent::parse(&AGAIN, b))
        })?;
        Ok(keyed.ok())
    }
}

/// Makes the Python values the core asks for while it validates a body.
struct PyBuilder<'a, 'py> {
    py: Python<'py>,
    /// Shared strs for keys and for the values that repeat between events.
    strings: Strings,
    /// The body, kept by the event object ([`Core`]).
    source: Source<'a, 'py>,
}

/// The object holding the body parsed.
type Source<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

impl<'a, 'py> PyBuilder<'a, 'py> {
    fn new(py: Python<'py>) -> Self {
        PyBuilder {
            py,
            strings: Strings::Untried,
            source: None,
        }
    }

    /// A builder whose event keeps `body` ([`Core`]).
    fn keeping(py: Python<'py>, body: &'a Bound<'py, PyAny>) -> Self {
        PyBuilder {
            py,
            strings: Strings::Untried,
            source: Some(body),
        }
    }
}

impl<'py> Builder for PyBuilder<'_, 'py> {
    type Value = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(&mut self) -> PyResult<Self::Value> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn bool(&mut self, v: bool) -> PyResult<Self::Value> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn i64(&mut self, v: i64) -> PyResult<Self::Value> {
        Ok(v.into_pyobject(self.py)?.into_any())
    }
    fn u64(&mut self, v: u64) -> PyResult<Self::Value> {
        Ok(v.into_pyobject(self.py)?.into_any())
    }
    fn f64(&mut self, v: f64) -> PyResult<Self::Value> {
        Ok(PyFloat::new(self.py, v).into_any())
    }
    fn str(&mut self, v: &str) -> PyResult<Self::Value> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn repeated_str(&mut self, v: &str) -> PyResult<Self::Value> {
        Ok(self.strings.get(self.py, v).into_any())
    }
    fn key(&mut self, v: &str) -> PyResult<Self::Value> {
        Ok(self.strings.get(self.py, v).into_any())
    }
    fn array(&mut self, items: Vec<Self::Value>) -> PyResult<Self::Value> {
        Ok(PyList::new(self.py, items)?.into_any())
    }
    fn list(&mut self, _: &'static Shape, items: &mut Items<Self::Value>) -> PyResult<Self::Value> {
        Ok(PyList::new(self.py, items.drain(..))?.into_any())
    }
    fn object(&mut self, members: Members<Self::Value>) -> PyResult<Self::Value> {
        let dict = PyDict::new(self.py);
        for (k, v) in members {
            dict.set_item(k, v)?;
        }
        Ok(dict.into_any())
    }
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Self::Value>],
        extra: Option<Self::Value>,
    ) -> PyResult<Self::Value> {
        make_record(self.py, shape, values, extra, &self.source)
    }
    fn unknown_event(&mut self, p: UnknownParts<Self::Value>) -> PyResult<Self::Value> {
        let event = UnknownEvent {
            event: p.event.unbind(),
            call_id: p.call_id.unbind(),
            extra: p.payload.cast_into::<PyDict>()?.unbind(),
            core: Core::of(&self.source),
        };
        Ok(Bound::new(self.py, event)?.into_any())
    }
}

/// A builder value as an attribute value (`None` when absent).
trait Attr {
    fn attr(self, py: Python<'_>) -> Py<PyAny>;
}

impl Attr for Bound<'_, PyAny> {
    fn attr(self, _: Python<'_>) -> Py<PyAny> {
        self.unbind()
    }
}

impl Attr for Option<Bound<'_, PyAny>> {
    fn attr(self, py: Python<'_>) -> Py<PyAny> {
        match self {
            Some(v) => v.unbind(),
            None => py.None(),
        }
    }
}

/// The wire form of a value, in new containers all the way down: nested `Analysis` and
/// `Message` objects become dicts, every dict and list is a new one, and strings and numbers
/// (immutable) are shared. So nothing a caller does to a `to_dict()` or `extra` result changes
/// the event. The depth is bounded by the parse (the reader's nesting limit).
fn wire<'py>(py: Python<'py>, v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(a) = v.cast::<Analysis>() {
        return Ok(a.get().dict(py)?.into_any());
    }
    if let Ok(m) = v.cast::<Message>() {
        return Ok(m.get().dict(py)?.into_any());
    }
    if let Ok(list) = v.cast::<PyList>() {
        let out = PyList::empty(py);
        for item in list.iter() {
            out.append(wire(py, &item)?)?;
        }
        return Ok(out.into_any());
    }
    if let Ok(dict) = v.cast::<PyDict>() {
        return Ok(wire_dict(py, dict)?.into_any());
    }
    Ok(v.clone())
}

/// [`wire`] of a dict, as a dict.
fn wire_dict<'py>(py: Python<'py>, dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (k, v) in dict.iter() {
        out.set_item(k, wire(py, &v)?)?;
    }
    Ok(out)
}

/// The `extra` members: no dict at all in the usual case where there are none (a dict per
/// event and per message would be a measurable share of the parse time).
struct Extra(Option<Py<PyDict>>);

impl Extra {
    fn new(extra: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Extra(match extra {
            Some(d) => Some(d.cast_into::<PyDict>()?.unbind()),
            None => None,
        }))
    }

    /// The event's own dict (for comparing).
    fn get<'py>(&self, py: Python<'py>) -> Bound<'py, PyDict> {
        match &self.0 {
            Some(d) => d.bind(py).clone(),
            None => PyDict::new(py),
        }
    }

    /// A copy for the caller, new containers all the way down ([`wire`]).
    fn copy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        match &self.0 {
            Some(d) => wire_dict(py, d.bind(py)),
            None => Ok(PyDict::new(py)),
        }
    }

    fn write_into(&self, py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<()> {
        if let Some(extra) = &self.0 {
            for (k, v) in extra.bind(py).iter() {
                d.set_item(k, wire(py, &v)?)?;
            }
        }
        Ok(())
    }
}

/// The [`Core`] field of an event class (its type, or its value from the builder's source);
/// nested objects have none.
macro_rules! core_of_event {
    ($wire:literal) => {
        Core
    };
    ($wire:literal, $source:expr) => {
        Core::of($source)
    };
}

/// Defines a frozen class made from the values of a record of the contract: one
/// attribute per field (wire name, `None` when absent), `extra`, `__match_args__`,
/// `__repr__`, `__eq__` and `to_dict()`; with `event = "..."`, also the `event` class
/// attribute, written first by `to_dict()`. A freelist keeps a few freed instances for reuse
/// (one event per request: this skips an allocation and a free per event and message).
macro_rules! record {
    (
        $(#[$doc:meta])*
        $py:ident $(event = $wire:literal)? { $($field:ident),* $(,)? }
    ) => {
        $(#[$doc])*
        #[pyclass(module = "oneinbox_webhooks", frozen, freelist = 64)]
        pub struct $py {
            $( #[pyo3(get)] $field: Py<PyAny>, )*
            extra: Extra,
            $( core: core_of_event!($wire), )?
        }

        impl $py {
            /// From one value per field, in the contract's order (`source`: kept by an event).
            fn from_values(
                py: Python<'_>,
                values: &mut [Option<Bound<'_, PyAny>>],
                extra: Option<Bound<'_, PyAny>>,
                #[allow(unused_variables)] source: &Source<'_, '_>,
            ) -> PyResult<Self> {
                let mut slots = values.iter_mut();
                Ok($py {
                    $( $field: Attr::attr(slots.next().and_then(Option::take), py), )*
                    extra: Extra::new(extra)?,
                    $( core: core_of_event!($wire, source), )?
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

            /// Members the contract does not list, in their original order: a new dict
            /// on every access (changing it leaves the event as it is).
            #[getter]
            fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                guard(py, || self.extra.copy(py))
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

/// One class per event and nested object of the core's contract, and [`make_record`].
macro_rules! classes {
    (
        events { $(
            $(#[doc = $edoc:literal])*
            $event:ident = $wire:literal {
                $( $(#[doc = $fdoc:literal])* $field:ident : $ty:ty = $spec:expr ),* $(,)?
            }
        )* }
        objects { $(
            $(#[doc = $odoc:literal])*
            $object:ident = $label:literal, $expected:literal, $list_expected:literal {
                $( $(#[doc = $ofdoc:literal])* $ofield:ident : $oty:ty = $ospec:expr ),* $(,)?
            }
        )* }
    ) => {
        $(
            record! {
                $(#[doc = $edoc])*
                $event event = $wire { $($field),* }
            }
        )*
        $(
            record! {
                $(#[doc = $odoc])*
                $object { $($ofield),* }
            }
        )*

        /// The object of a record the core made.
        fn make_record<'py>(
            py: Python<'py>,
            shape: &'static Shape,
            values: &mut [Option<Bound<'py, PyAny>>],
            extra: Option<Bound<'py, PyAny>>,
            source: &Source<'_, 'py>,
        ) -> PyResult<Bound<'py, PyAny>> {
            Ok(match shape.kind {
                $( Some(Kind::$event) => {
                    Bound::new(py, $event::from_values(py, values, extra, source)?)?.into_any()
                } )*
                None => match shape.object {
                    $( Some(ObjectKind::$object) => {
                        Bound::new(py, $object::from_values(py, values, extra, source)?)?
                            .into_any()
                    } )*
                    other => {
                        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                            "no class for the record {other:?}"
                        )))
                    }
                },
                // `Kind` may grow; a kind without a class is a bug of this binding.
                #[allow(unreachable_patterns)]
                Some(kind) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "no class for the event {}",
                        kind.name()
                    )))
                }
            })
        }

        /// The [`Core`] of an event object `parse_event` made, or `None` for anything else.
        pub(crate) fn core_of<'a>(event: &'a Bound<'_, PyAny>) -> Option<&'a Core> {
            $( if let Ok(e) = event.cast::<$event>() {
                return Some(&e.get().core);
            } )*
            event.cast::<UnknownEvent>().ok().map(|e| &e.get().core)
        }

        /// Registers the classes on the module.
        pub(crate) fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_class::<$event>()?; )*
            $( m.add_class::<$object>()?; )*
            Ok(())
        }
    };
}

oneinbox_webhooks::contract!(classes);

/// An event whose name this version does not know (lenient mode only). `extra` holds the
/// whole payload, `event` and `call_id` included, in its original order.
#[pyclass(module = "oneinbox_webhooks", frozen, freelist = 64)]
pub struct UnknownEvent {
    #[pyo3(get)]
    event: Py<PyAny>,
    #[pyo3(get)]
    call_id: Py<PyAny>,
    extra: Py<PyDict>,
    core: Core,
}

#[pymethods]
impl UnknownEvent {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("event", "call_id")
    }

    /// The whole payload, `event` and `call_id` included, in its original order: a new dict
    /// on every access.
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || wire_dict(py, self.extra.bind(py)))
    }

    /// The whole payload as a dict, in its original order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || wire_dict(py, self.extra.bind(py)))
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
    add_classes(m)?;
    m.add_class::<UnknownEvent>()
}
