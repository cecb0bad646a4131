//! The fast pass behind [`ParseOptions::validate`] and [`ParseOptions::parse_with`].
//!
//! One pass over the body (read by [`crate::scan`], with borrowed strings and keys) answers
//! "valid for sure" for the common shape, calling the [`Builder`] for every accepted value on the way (`validate`
//! uses a builder that makes nothing). Anything else (a problem, or a rare shape it does not
//! handle: `event` not first, an escaped key, a huge object) makes it give up, and the full
//! parser takes over: it reports the issues, or parses the event that the builder then walks
//! ([`crate::build::event`]). So the issues are always the full parser's, and the fast pass
//! only has to be sound: it never accepts a body that `parse` rejects, and it builds what
//! `parse` would (both checked over every shared fixture by `tests/event_fixtures.rs` and by
//! the `parse_event` fuzz target).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::build::{
    self, AnalysisParts, BuildError, Builder, EventParts, Members, MessageParts, UnknownParts,
};
use crate::error::ValidationError;
use crate::formats;
use crate::parse::{Field, Kind, ParseOptions};
use crate::scan::Scan;

impl ParseOptions {
    /// Validates one webhook body exactly as [`ParseOptions::parse`] does (same verdict, same
    /// issues) without building the event. Faster than `parse` when only the verdict is
    /// needed.
    ///
    /// ```
    /// use oneinbox_webhooks::ParseOptions;
    ///
    /// let opts = ParseOptions::default();
    /// assert!(opts.validate(br#"{"event":"call.failed","call_id":"call_1"}"#).is_ok());
    /// let err = opts.validate(br#"{"event":"call.failed"}"#).unwrap_err();
    /// assert_eq!(err.issues()[0].path, "/call_id");
    /// ```
    pub fn validate(&self, body: &[u8]) -> Result<(), ValidationError> {
        if self.fast(body, &mut Nothing).is_ok() {
            Ok(())
        } else {
            self.parse(body).map(|_| ())
        }
    }

    /// Validates one webhook body exactly as [`ParseOptions::parse`] does and makes the
    /// builder's value of the event, calling `builder` for every value (see [`crate::build`]).
    ///
    /// ```
    /// use oneinbox_webhooks::build::{BuildError, ValueBuilder};
    /// use oneinbox_webhooks::ParseOptions;
    ///
    /// let opts = ParseOptions::default();
    /// let body = br#"{"event":"call.analyzed","call_id":"call_1","outcome":"Booked"}"#;
    /// let value = opts.parse_with(body, &mut ValueBuilder).unwrap();
    /// assert_eq!(value["outcome"], "Booked");
    /// match opts.parse_with(br#"{"event":"call.analyzed"}"#, &mut ValueBuilder) {
    ///     Err(BuildError::Invalid(e)) => assert_eq!(e.issues()[0].path, "/call_id"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    #[doc(hidden)]
    pub fn parse_with<B: Builder + ?Sized>(
        &self,
        body: &[u8],
        builder: &mut B,
    ) -> Result<B::Value, BuildError<B::Error>> {
        match self.fast(body, builder) {
            Ok(v) => Ok(v),
            // An invalid body is reported as such even when the builder failed first.
            Err(Some(host)) => match self.validate(body) {
                Ok(()) => Err(BuildError::Host(host)),
                Err(invalid) => Err(BuildError::Invalid(invalid)),
            },
            Err(None) => {
                let event = self.parse(body).map_err(BuildError::Invalid)?;
                build::event(&event, builder).map_err(BuildError::Host)
            }
        }
    }

    /// Whether the fast pass alone accepts `body` (no fallback to the full parser). For the
    /// tests that every valid shape the fast pass is meant to cover really takes it: a drift
    /// there would only show as a silent slowdown.
    #[doc(hidden)]
    pub fn fast_path_accepts(&self, body: &[u8]) -> bool {
        self.fast(body, &mut Nothing).is_ok()
    }

    /// The fast pass: the value when the body is surely valid; `Err(None)` when it is not or
    /// when unsure, `Err(Some(_))` when the builder failed.
    fn fast<B: Builder + ?Sized>(
        &self,
        body: &[u8],
        builder: &mut B,
    ) -> Result<B::Value, Option<B::Error>> {
        if body.len() > self.max_body_bytes {
            return Err(None);
        }
        // std's check, done with SIMD: a few percent of a webhook's parse time saved.
        let Ok(text) = simdutf8::basic::from_utf8(body) else {
            return Err(None);
        };
        let mut de = Scan::new(text);
        let mut sink = Sink {
            b: builder,
            failed: None,
        };
        let top = Top {
            sink: &mut sink,
            strict: self.strict,
            max_depth: self.max_depth.min(crate::parse::MAX_DEPTH_CEILING),
        };
        match top.deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
            Ok(v) => Ok(v),
            Err(_) => Err(sink.failed),
        }
    }
}

/// The builder of `validate`: makes nothing, so the pass only checks.
struct Nothing;

impl Builder for Nothing {
    type Value = ();
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn bool(&mut self, _: bool) -> Result<(), Self::Error> {
        Ok(())
    }
    fn i64(&mut self, _: i64) -> Result<(), Self::Error> {
        Ok(())
    }
    fn u64(&mut self, _: u64) -> Result<(), Self::Error> {
        Ok(())
    }
    fn f64(&mut self, _: f64) -> Result<(), Self::Error> {
        Ok(())
    }
    fn str(&mut self, _: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    fn array(&mut self, _: Vec<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    fn object(&mut self, _: Members<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    fn message(&mut self, _: MessageParts<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    fn analysis(&mut self, _: AnalysisParts<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    fn event(&mut self, _: EventParts<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    fn unknown_event(&mut self, _: UnknownParts<()>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The builder, and its error once it failed (the pass then stops).
struct Sink<'b, B: Builder + ?Sized> {
    b: &'b mut B,
    failed: Option<B::Error>,
}

impl<B: Builder + ?Sized> Sink<'_, B> {
    /// A builder result as the pass's result.
    fn put<E: de::Error>(&mut self, r: Result<B::Value, B::Error>) -> Result<B::Value, E> {
        r.or_else(|e| {
            self.failed = Some(e);
            no()
        })
    }

    /// An object of `members`, or `None` when there are none (`extra`).
    fn extra<E: de::Error>(&mut self, members: Members<B::Value>) -> Result<Option<B::Value>, E> {
        if members.is_empty() {
            Ok(None)
        } else {
            let r = self.b.object(members);
            self.put(r).map(Some)
        }
    }
}

/// A non-negative integer (serde_json reports them all as `u64`): `i64` when it fits, as
/// [`build::event`] does for the parsed event.
fn int<B: Builder + ?Sized>(b: &mut B, v: u64) -> Result<B::Value, B::Error> {
    match i64::try_from(v) {
        Ok(i) => b.i64(i),
        Err(_) => b.u64(v),
    }
}

/// Any failure: the fast pass gives up and the full parser takes over.
fn no<T, E: de::Error>() -> Result<T, E> {
    Err(E::custom("not surely valid"))
}

macro_rules! expecting {
    ($what:literal) => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str($what)
        }
    };
}

macro_rules! seed {
    ($name:ident, $value:ty) => {
        impl<'de, B: Builder + ?Sized> DeserializeSeed<'de> for $name<'_, '_, B> {
            type Value = $value;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Keys and duplicate detection

/// An object key borrowed from the body; a key written with escapes gives up (rare).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = &'de str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = &'de str;
    expecting!("an object key");

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<&'de str, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<&'de str, E> {
        no()
    }
}

/// The keys of one object that are checked for duplicates (known fields use flags instead).
/// Nothing is allocated until the first key.
struct Keys<'de>(Vec<&'de str>);

impl<'de> Keys<'de> {
    fn new() -> Self {
        Keys(Vec::new())
    }

    /// Adds a key; `false` if it was already there (or the object is huge: the full parser
    /// then takes over).
    fn insert(&mut self, key: &'de str) -> bool {
        if self.0.len() > 512 || self.0.contains(&key) {
            return false;
        }
        self.0.push(key);
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Any value: depth, duplicate keys, valid strings

struct Any<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    depth: usize,
    max_depth: usize,
}

impl<'b, B: Builder + ?Sized> Any<'_, 'b, B> {
    /// The seed of a value one level down.
    fn inner(&mut self) -> Any<'_, 'b, B> {
        Any {
            sink: &mut *self.sink,
            depth: self.depth + 1,
            max_depth: self.max_depth,
        }
    }

    /// The seed of a value at `depth`.
    fn at<'s>(sink: &'s mut Sink<'b, B>, depth: usize, max_depth: usize) -> Any<'s, 'b, B> {
        Any {
            sink,
            depth,
            max_depth,
        }
    }

    /// The members of an object whose keys are all unknown (`extracted_data`, any object
    /// inside a value).
    fn members<'de, A: MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> Result<Members<B::Value>, A::Error> {
        if self.depth > self.max_depth {
            return no();
        }
        let mut keys = Keys::new();
        let mut members = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if !keys.insert(key) {
                return no();
            }
            let r = self.sink.b.key(key);
            let k = self.sink.put(r)?;
            let v = map.next_value_seed(self.inner())?;
            members.push((k, v));
        }
        Ok(members)
    }
}

seed!(Any, B::Value);

impl<'de, B: Builder + ?Sized> Visitor<'de> for Any<'_, '_, B> {
    type Value = B::Value;
    expecting!("any JSON value");

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<B::Value, E> {
        let r = self.sink.b.bool(v);
        self.sink.put(r)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<B::Value, E> {
        let r = self.sink.b.i64(v);
        self.sink.put(r)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<B::Value, E> {
        let r = int(self.sink.b, v);
        self.sink.put(r)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<B::Value, E> {
        if !v.is_finite() {
            return no();
        }
        let r = self.sink.b.f64(v);
        self.sink.put(r)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<B::Value, E> {
        let r = self.sink.b.str(v);
        self.sink.put(r)
    }
    fn visit_unit<E: de::Error>(self) -> Result<B::Value, E> {
        let r = self.sink.b.null();
        self.sink.put(r)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<B::Value, A::Error> {
        if self.depth > self.max_depth {
            return no();
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.inner())? {
            items.push(item);
        }
        let r = self.sink.b.array(items);
        self.sink.put(r)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<B::Value, A::Error> {
        let Any {
            sink,
            depth,
            max_depth,
        } = self;
        let members = Any::at(&mut *sink, depth, max_depth).members(map)?;
        let r = sink.b.object(members);
        sink.put(r)
    }
}

// ---------------------------------------------------------------------------------------------
// Typed fields

/// A string field: `null` allowed when `nullable` (it reads as `None`), the string checked
/// by `ok`, made with [`Builder::repeated_str`] when `repeats`.
struct Str<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    nullable: bool,
    ok: fn(&str) -> bool,
    repeats: bool,
}

fn any_str(_: &str) -> bool {
    true
}

fn non_empty(s: &str) -> bool {
    !s.is_empty()
}

seed!(Str, Option<B::Value>);

impl<'de, B: Builder + ?Sized> Visitor<'de> for Str<'_, '_, B> {
    type Value = Option<B::Value>;
    expecting!("a string");

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if !(self.ok)(v) {
            return no();
        }
        let r = if self.repeats {
            self.sink.b.repeated_str(v)
        } else {
            self.sink.b.str(v)
        };
        self.sink.put(r).map(Some)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(None)
        } else {
            no()
        }
    }
}

/// `duration_seconds`: a number (≥ 0 in strict mode), `null` in lenient mode.
struct Duration<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    strict: bool,
}

seed!(Duration, Option<B::Value>);

impl<'de, B: Builder + ?Sized> Visitor<'de> for Duration<'_, '_, B> {
    type Value = Option<B::Value>;
    expecting!("a number");

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if self.strict && v < 0 {
            return no();
        }
        let r = self.sink.b.i64(v);
        self.sink.put(r).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let r = int(self.sink.b, v);
        self.sink.put(r).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // `-0.0` is not below zero, as in `parse`.
        if !v.is_finite() || (self.strict && v < 0.0) {
            return no();
        }
        let r = self.sink.b.f64(v);
        self.sink.put(r).map(Some)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.strict {
            no()
        } else {
            Ok(None)
        }
    }
}

/// `messages`: an array of message objects (never `null`).
struct Messages<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    strict: bool,
    max_depth: usize,
}

seed!(Messages, B::Value);

impl<'de, B: Builder + ?Sized> Visitor<'de> for Messages<'_, '_, B> {
    type Value = B::Value;
    expecting!("an array of messages");

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<B::Value, A::Error> {
        if 2 > self.max_depth {
            return no();
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Message {
            sink: &mut *self.sink,
            strict: self.strict,
            max_depth: self.max_depth,
        })? {
            items.push(item);
        }
        let r = self.sink.b.array(items);
        self.sink.put(r)
    }
}

struct Message<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    strict: bool,
    max_depth: usize,
}

seed!(Message, B::Value);

fn is_role(s: &str) -> bool {
    s == "agent" || s == "user"
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for Message<'_, '_, B> {
    type Value = B::Value;
    expecting!("a message object");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<B::Value, A::Error> {
        if 3 > self.max_depth {
            return no();
        }
        let Message {
            sink,
            strict,
            max_depth,
        } = self;
        let (mut role, mut content) = (None, None);
        let (mut seen_role, mut seen_content) = (false, false);
        let mut keys = Keys::new();
        let mut extra = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let (seen, slot) = match key {
                "role" => (&mut seen_role, &mut role),
                "content" => (&mut seen_content, &mut content),
                _ => {
                    if strict || !keys.insert(key) {
                        return no();
                    }
                    let r = sink.b.key(key);
                    let k = sink.put(r)?;
                    let v = map.next_value_seed(Any::at(&mut *sink, 4, max_depth))?;
                    extra.push((k, v));
                    continue;
                }
            };
            if std::mem::replace(seen, true) {
                return no();
            }
            let ok = if strict && key == "role" {
                is_role
            } else {
                any_str
            };
            *slot = map.next_value_seed(Str {
                sink: &mut *sink,
                nullable: !strict,
                ok,
                repeats: key == "role",
            })?;
        }
        if strict && !(seen_role && seen_content) {
            return no();
        }
        let extra = sink.extra(extra)?;
        let r = sink.b.message(MessageParts {
            role,
            content,
            extra,
        });
        sink.put(r)
    }
}

/// `analysis`: an object (`null` in lenient mode, which reads as `None`).
struct AnalysisV<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    strict: bool,
    max_depth: usize,
}

seed!(AnalysisV, Option<B::Value>);

impl<'de, B: Builder + ?Sized> Visitor<'de> for AnalysisV<'_, '_, B> {
    type Value = Option<B::Value>;
    expecting!("an analysis object");

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.strict {
            no()
        } else {
            Ok(None)
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if 2 > self.max_depth {
            return no();
        }
        let AnalysisV {
            sink,
            strict,
            max_depth,
        } = self;
        let mut seen = [false; 3];
        let mut parts = AnalysisParts {
            summary: None,
            outcome: None,
            extracted_data: None,
            extra: None,
        };
        let mut keys = Keys::new();
        let mut extra = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let slot = match key {
                "summary" => 0,
                "outcome" => 1,
                "extracted_data" => 2,
                _ => {
                    if strict || !keys.insert(key) {
                        return no();
                    }
                    let r = sink.b.key(key);
                    let k = sink.put(r)?;
                    let v = map.next_value_seed(Any::at(&mut *sink, 3, max_depth))?;
                    extra.push((k, v));
                    continue;
                }
            };
            match seen.get_mut(slot) {
                Some(flag) if !*flag => *flag = true,
                _ => return no(),
            }
            match slot {
                0 => {
                    parts.summary = map.next_value_seed(Str {
                        sink: &mut *sink,
                        nullable: !strict,
                        ok: any_str,
                        repeats: false,
                    })?;
                }
                1 => {
                    parts.outcome = map.next_value_seed(Str {
                        sink: &mut *sink,
                        nullable: true,
                        ok: any_str,
                        repeats: true,
                    })?;
                }
                _ => {
                    parts.extracted_data =
                        map.next_value_seed(ObjectOrNull(Any::at(&mut *sink, 3, max_depth)))?;
                }
            }
        }
        if strict && !seen[0] {
            return no();
        }
        parts.extra = sink.extra(extra)?;
        let r = sink.b.analysis(parts);
        sink.put(r).map(Some)
    }
}

/// `analysis.extracted_data`: an object or `null` (which reads as `None`), in both modes.
struct ObjectOrNull<'s, 'b, B: Builder + ?Sized>(Any<'s, 'b, B>);

impl<'de, B: Builder + ?Sized> DeserializeSeed<'de> for ObjectOrNull<'_, '_, B> {
    type Value = Option<B::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for ObjectOrNull<'_, '_, B> {
    type Value = Option<B::Value>;
    expecting!("an object or null");

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map).map(Some)
    }
}

// ---------------------------------------------------------------------------------------------
// The top-level object

/// The value of `event`: a known kind, or the builder's values of an unknown name (one for
/// the `event` attribute, one for the payload).
enum Name<V> {
    Known(Kind),
    Unknown(V, V),
}

struct EventName<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
}

seed!(EventName, Name<B::Value>);

impl<'de, B: Builder + ?Sized> Visitor<'de> for EventName<'_, '_, B> {
    type Value = Name<B::Value>;
    expecting!("an event name");

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Some(kind) = Kind::from_name(v) {
            return Ok(Name::Known(kind));
        }
        let r = self.sink.b.str(v);
        let name = self.sink.put(r)?;
        let r = self.sink.b.str(v);
        let again = self.sink.put(r)?;
        Ok(Name::Unknown(name, again))
    }
}

struct Top<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
    strict: bool,
    max_depth: usize,
}

seed!(Top, B::Value);

impl<'de, B: Builder + ?Sized> Visitor<'de> for Top<'_, '_, B> {
    type Value = B::Value;
    expecting!("a JSON object");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<B::Value, A::Error> {
        let Top {
            sink,
            strict,
            max_depth,
        } = self;
        if max_depth < 1 {
            return no();
        }
        // OneInbox sends `event` first; any other order is left to the full parser.
        if map.next_key_seed(Key)? != Some("event") {
            return no();
        }
        let name = map.next_value_seed(EventName { sink: &mut *sink })?;
        let mut keys = Keys::new();
        let kind = match name {
            Name::Known(kind) => kind,
            Name::Unknown(name, in_payload) => {
                keys.insert("event");
                return unknown(sink, map, keys, strict, max_depth, name, in_payload);
            }
        };
        let mask = kind.mask();
        let mut seen = 0u16;
        // Indexed by `Field as usize`.
        let mut slots: [Option<B::Value>; 13] = std::array::from_fn(|_| None);
        let mut extra = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let field = Field::from_key(key).filter(|f| mask & f.bit() != 0);
            let Some(field) = field else {
                // A second `event` is a duplicate of the first key.
                if strict || key == "event" || !keys.insert(key) {
                    return no();
                }
                let r = sink.b.key(key);
                let k = sink.put(r)?;
                let v = map.next_value_seed(Any::at(&mut *sink, 2, max_depth))?;
                extra.push((k, v));
                continue;
            };
            if seen & field.bit() != 0 {
                return no();
            }
            seen |= field.bit();
            let v = match field {
                Field::Messages => Some(map.next_value_seed(Messages {
                    sink: &mut *sink,
                    strict,
                    max_depth,
                })?),
                Field::Analysis => map.next_value_seed(AnalysisV {
                    sink: &mut *sink,
                    strict,
                    max_depth,
                })?,
                Field::DurationSeconds => map.next_value_seed(Duration {
                    sink: &mut *sink,
                    strict,
                })?,
                Field::CallId => map.next_value_seed(Str {
                    sink: &mut *sink,
                    nullable: false,
                    ok: non_empty,
                    repeats: false,
                })?,
                _ => map.next_value_seed(Str {
                    sink: &mut *sink,
                    nullable: !strict,
                    ok: if strict { format_of(field) } else { any_str },
                    repeats: repeats(field),
                })?,
            };
            if let Some(slot) = slots.get_mut(field as usize) {
                *slot = v;
            }
        }
        let required = kind.required_mask(strict);
        let all_there = seen & required == required;
        let [call_id, agent_id, to_number, from_number, created_at, status, duration_seconds, outcome, ai_summary, analysis, reason, recording_url, messages] =
            slots;
        let (true, Some(call_id)) = (all_there, call_id) else {
            return no();
        };
        let mut parts = EventParts {
            kind,
            call_id,
            agent_id,
            to_number,
            from_number,
            created_at,
            status,
            duration_seconds,
            outcome,
            ai_summary,
            analysis,
            reason,
            recording_url,
            messages,
            extra: None,
        };
        parts.extra = sink.extra(extra)?;
        let r = sink.b.event(parts);
        sink.put(r)
    }
}

/// The rest of an unknown event (lenient mode): the whole payload, with a non-empty `call_id`.
fn unknown<'de, A: MapAccess<'de>, B: Builder + ?Sized>(
    sink: &mut Sink<'_, B>,
    mut map: A,
    mut keys: Keys<'de>,
    strict: bool,
    max_depth: usize,
    name: B::Value,
    in_payload: B::Value,
) -> Result<B::Value, A::Error> {
    if strict {
        return no();
    }
    let r = sink.b.key("event");
    let mut payload = vec![(sink.put(r)?, in_payload)];
    let mut call_id = None;
    while let Some(key) = map.next_key_seed(Key)? {
        if !keys.insert(key) {
            return no();
        }
        let r = sink.b.key(key);
        let k = sink.put(r)?;
        if key == "call_id" {
            let (id, in_payload) = map.next_value_seed(CallIdTwice { sink: &mut *sink })?;
            call_id = Some(id);
            payload.push((k, in_payload));
        } else {
            let v = map.next_value_seed(Any::at(&mut *sink, 2, max_depth))?;
            payload.push((k, v));
        }
    }
    let Some(call_id) = call_id else {
        return no();
    };
    let r = sink.b.object(payload);
    let payload = sink.put(r)?;
    let r = sink.b.unknown_event(UnknownParts {
        event: name,
        call_id,
        payload,
    });
    sink.put(r)
}

/// The `call_id` of an unknown event: a non-empty string, made twice (the attribute and the
/// payload member).
struct CallIdTwice<'s, 'b, B: Builder + ?Sized> {
    sink: &'s mut Sink<'b, B>,
}

seed!(CallIdTwice, (B::Value, B::Value));

impl<'de, B: Builder + ?Sized> Visitor<'de> for CallIdTwice<'_, '_, B> {
    type Value = (B::Value, B::Value);
    expecting!("a call id");

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return no();
        }
        let r = self.sink.b.str(v);
        let id = self.sink.put(r)?;
        let r = self.sink.b.str(v);
        Ok((id, self.sink.put(r)?))
    }
}

/// The string fields whose values tend to repeat from one event to the next (see
/// [`Builder::repeated_str`]).
fn repeats(field: Field) -> bool {
    matches!(
        field,
        Field::AgentId
            | Field::ToNumber
            | Field::FromNumber
            | Field::Status
            | Field::Outcome
            | Field::Reason
    )
}

/// Strict-mode formats of string fields (as `parse`'s `check_format`).
fn format_of(field: Field) -> fn(&str) -> bool {
    match field {
        Field::AgentId => non_empty,
        Field::ToNumber | Field::FromNumber => formats::is_e164,
        Field::CreatedAt => formats::is_rfc3339,
        Field::RecordingUrl => formats::is_https_url,
        _ => any_str,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(body: &str) -> [bool; 2] {
        [false, true].map(|strict| {
            ParseOptions {
                strict,
                ..ParseOptions::default()
            }
            .fast(body.as_bytes(), &mut Nothing)
            .is_ok()
        })
    }

    #[test]
    fn fast_pass_accepts_the_common_shapes() {
        let ended = r#"{"event":"call.ended","call_id":"c","agent_id":"a","status":"completed",
            "duration_seconds":87,"to_number":"+919876543210","from_number":"+15739693824",
            "outcome":"x","ai_summary":"y","analysis":{"summary":"s"}}"#;
        assert_eq!(both(ended), [true, true]);
        let partial = r#"{"event":"transcript.partial","call_id":"c","messages":[{"role":"agent","content":"hi"}]}"#;
        assert_eq!(both(partial), [true, true]);
        let unknown = r#"{"event":"call.new","call_id":"c","x":[1,{"y":null}]}"#;
        assert_eq!(both(unknown), [true, false]);
        assert_eq!(
            both(r#"{"event":"call.failed","call_id":"c","extra":1}"#),
            [true, false]
        );
    }

    #[test]
    fn fast_pass_gives_up_on_problems_and_rare_shapes() {
        for body in [
            r#"{"event":"call.failed","call_id":"c","call_id":"d"}"#,
            r#"{"event":"call.failed","call_id":"c","event":"call.failed"}"#,
            r#"{"event":"call.new","call_id":"c","event":"call.new"}"#,
            r#"{"event":"call.failed","call_id":"c","x":1,"x":2}"#,
            r#"{"event":"call.failed","call_id":""}"#,
            r#"{"event":"call.failed","x":{"a":1,"a":2},"call_id":"c"}"#,
            r#"{"call_id":"c","event":"call.failed"}"#,
            r#"{"event":"transcript.final","call_id":"c"}"#,
            r#"{"event":"transcript.final","call_id":"c","messages":[{"role":1}]}"#,
            r#"{"event":"call.failed","call_id":"c","\u0078":1}"#,
            r#"[{"event":"call.failed","call_id":"c"}]"#,
            r#"{"event":"call.failed","call_id":"c"} x"#,
        ] {
            assert_eq!(both(body), [false, false], "{body}");
        }
        let deep = ParseOptions {
            max_depth: 2,
            ..ParseOptions::default()
        };
        assert!(deep
            .fast(br#"{"event":"x","call_id":"c","a":{"b":{}}}"#, &mut Nothing)
            .is_err());
        assert!(deep
            .fast(br#"{"event":"x","call_id":"c","a":{"b":1}}"#, &mut Nothing)
            .is_ok());
    }
}
