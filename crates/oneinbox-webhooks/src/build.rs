//! Building the caller's own values while a body is validated: [`Builder`] and
//! [`ParseOptions::parse_with`](crate::ParseOptions::parse_with).
//!
//! [`ParseOptions::parse`](crate::ParseOptions::parse) builds Rust [`Event`]s. A host that
//! wants its own objects (a Python class, a JavaScript object) would otherwise convert that
//! event a second time. With a [`Builder`], the core validates the body and calls the builder
//! for every value it accepts, so the host's strings and objects are made straight from the
//! bytes in one pass; the core still owns every rule and every issue.
//!
//! The core reads the body once (its private `pass` module) and calls the builder in
//! document order for every value it accepts: plain JSON values with the scalar,
//! [`Builder::array`] and [`Builder::object`] methods, and the objects of the contract (an
//! event, `analysis`, a message) with [`Builder::record`] ([`Builder::item`] for the items
//! of a list, then [`Builder::list`]), which gets one slot per field of the contract's
//! [`Shape`]. So a builder needs no field list of its own. Once an issue is found nothing
//! more is built (the body is invalid; the pass goes on only to report every issue), and
//! values already made are dropped: a builder should make values and nothing else (no side
//! effects that must happen once).
//!
//! ```
//! use oneinbox_webhooks::build::ValueBuilder;
//! use oneinbox_webhooks::ParseOptions;
//!
//! let body = br#"{"event":"call.failed","call_id":"call_1","reason":"no-answer"}"#;
//! let value = ParseOptions::default().parse_with(body, &mut ValueBuilder)?;
//! assert_eq!(value["reason"], "no-answer");
//! # Ok::<(), oneinbox_webhooks::build::BuildError<std::convert::Infallible>>(())
//! ```

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::contract::{FieldSpec, Format, HasShape, ObjectKind};
use crate::error::ValidationError;
use crate::events::{self, Event, Role, UnknownEvent};

pub use crate::contract::{Kind, Shape};

/// The members of an object: keys and values in document order.
pub type Members<V> = Vec<(V, V)>;

/// The items of a list of records (a transcript's `messages`), in order: held inline up to
/// eight, so that a short list costs no allocation before the builder makes its own.
pub type Items<V> = smallvec::SmallVec<[V; 8]>;

/// Makes the caller's values while the core validates a body.
///
/// Every method returns the host's value or the host's error (for example an out-of-memory
/// error of the host runtime), which stops the parse and is returned as
/// [`BuildError::Host`]. Values are handed back to the builder by value: nothing is cloned.
pub trait Builder {
    /// Any value the builder makes.
    type Value;
    /// The host's error.
    type Error;

    /// JSON `null` inside a value the contract does not type: members of `extra`, of
    /// `extracted_data` and of an unknown event's payload, items of their arrays.
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// A JSON boolean.
    fn bool(&mut self, v: bool) -> Result<Self::Value, Self::Error>;
    /// A JSON integer that fits an `i64`.
    fn i64(&mut self, v: i64) -> Result<Self::Value, Self::Error>;
    /// A JSON integer above `i64::MAX` that fits a `u64`.
    fn u64(&mut self, v: u64) -> Result<Self::Value, Self::Error>;
    /// Any other JSON number (always finite).
    fn f64(&mut self, v: f64) -> Result<Self::Value, Self::Error>;
    /// A string value.
    fn str(&mut self, v: &str) -> Result<Self::Value, Self::Error>;
    /// A string value of a field whose values tend to repeat from one event to the next:
    /// `agent_id`, `to_number`, `from_number`, `status`, `outcome` (also the analysis's),
    /// `reason` and a message's `role`. A builder may hand out one shared value for equal
    /// strings (the Python binding keeps a small cache of them). The default makes it with
    /// [`Builder::str`].
    #[inline]
    fn repeated_str(&mut self, v: &str) -> Result<Self::Value, Self::Error> {
        self.str(v)
    }
    /// A message's `role`: a string of [`Format::Role`](crate::contract::Format::Role), whose
    /// values the contract knows (`agent`, `user`; any other in lenient mode). The Rust
    /// builder makes a [`Role`](crate::Role) without copying a known value. The default makes it with
    /// [`Builder::repeated_str`].
    #[inline]
    fn role(&mut self, v: &str) -> Result<Self::Value, Self::Error> {
        self.repeated_str(v)
    }
    /// An object key. The default makes it with [`Builder::str`].
    #[inline]
    fn key(&mut self, v: &str) -> Result<Self::Value, Self::Error> {
        self.str(v)
    }
    /// A JSON array, its items in order.
    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// A JSON object: keys (made with [`Builder::key`]) and values in document order; keys
    /// are unique.
    fn object(&mut self, members: Members<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An array of records of `shape` (the transcript's `messages`), its items made by
    /// [`Builder::item`]: take them out of `items`. The default makes it with
    /// [`Builder::array`].
    fn list(
        &mut self,
        shape: &'static Shape,
        items: &mut Items<Self::Value>,
    ) -> Result<Self::Value, Self::Error> {
        let _ = shape;
        self.array(items.drain(..).collect())
    }
    /// An object of the contract: an event ([`Shape::kind`] is set) or `analysis` (the items
    /// of a list, messages, are made with [`Builder::item`]). `values` has one slot per
    /// field of [`Shape::fields`], in that order; a slot is `None` when the field is absent
    /// or `null` (the fields required in both modes, `call_id` and `messages`, are always
    /// there). `extra` is an object of the members the contract does not list, `None` when
    /// there are none. Take the values out of the slots.
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Self::Value>],
        extra: Option<Self::Value>,
    ) -> Result<Self::Value, Self::Error>;
    /// A record that is an item of a list of records (a message of `messages`), with the
    /// slots of [`Builder::record`]. [`Builder::list`] gets the values `item` made for that
    /// list, in order; lists nest (a list inside an item is made before that item), so a
    /// builder may keep items on a stack. Once an issue is found no list is made, so items
    /// already made may never reach one. The default makes it with [`Builder::record`].
    fn item(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Self::Value>],
        extra: Option<Self::Value>,
    ) -> Result<Self::Value, Self::Error> {
        self.record(shape, values, extra)
    }
    /// An event whose name this version does not know (lenient mode only).
    fn unknown_event(
        &mut self,
        parts: UnknownParts<Self::Value>,
    ) -> Result<Self::Value, Self::Error>;
}

/// An event whose name this version does not know.
#[derive(Debug)]
#[non_exhaustive]
pub struct UnknownParts<V> {
    /// The `event` member, a string.
    pub event: V,
    /// The `call_id` member, a non-empty string.
    pub call_id: V,
    /// The whole payload as one object, `event` and `call_id` included, in document order.
    pub payload: V,
}

/// Why [`ParseOptions::parse_with`](crate::ParseOptions::parse_with) made no value.
#[derive(Debug)]
pub enum BuildError<E> {
    /// The body is not a valid event: every issue, exactly as `parse` reports them.
    Invalid(ValidationError),
    /// The builder failed.
    Host(E),
}

impl<E: fmt::Display> fmt::Display for BuildError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Invalid(e) => e.fmt(f),
            BuildError::Host(e) => write!(f, "the builder failed: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for BuildError<E> {}

/// Makes the builder's value of a parsed event: the same calls, with the same arguments, as
/// parsing its wire form with [`ParseOptions::parse_with`](crate::ParseOptions::parse_with).
pub fn event<B: Builder + ?Sized>(e: &Event, b: &mut B) -> Result<B::Value, B::Error> {
    walk_event(e, b)
}

/// Makes the builder's value of any JSON value (e.g. a member of `extra`).
pub fn value<B: Builder + ?Sized>(v: &Value, b: &mut B) -> Result<B::Value, B::Error> {
    match v {
        Value::Null => b.null(),
        Value::Bool(x) => b.bool(*x),
        Value::Number(n) => number(b, n),
        Value::String(s) => b.str(s),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| value(item, b))
                .collect::<Result<Vec<_>, _>>()?;
            b.array(items)
        }
        Value::Object(map) => object(b, map),
    }
}

/// A number as the parser hands it over: `i64` when it fits, then `u64`, then `f64`.
pub(crate) fn number<B: Builder + ?Sized>(b: &mut B, n: &Number) -> Result<B::Value, B::Error> {
    if let Some(i) = n.as_i64() {
        b.i64(i)
    } else if let Some(u) = n.as_u64() {
        b.u64(u)
    } else {
        // Without serde_json's arbitrary_precision a number is an i64, a u64 or an f64.
        b.f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn object<B: Builder + ?Sized>(b: &mut B, map: &Map<String, Value>) -> Result<B::Value, B::Error> {
    let members = map
        .iter()
        .map(|(k, v)| Ok((b.key(k)?, value(v, b)?)))
        .collect::<Result<Vec<_>, _>>()?;
    b.object(members)
}

/// `extra`: `None` when empty.
fn members<B: Builder + ?Sized>(
    b: &mut B,
    map: &Map<String, Value>,
) -> Result<Option<B::Value>, B::Error> {
    if map.is_empty() {
        Ok(None)
    } else {
        object(b, map).map(Some)
    }
}

/// A string field as the parser makes it.
fn string<B: Builder + ?Sized>(b: &mut B, spec: &FieldSpec, s: &str) -> Result<B::Value, B::Error> {
    if spec.format == Format::Role {
        b.role(s)
    } else if spec.repeats {
        b.repeated_str(s)
    } else {
        b.str(s)
    }
}

/// A field of a parsed record, walked: `None` when absent.
trait WalkField {
    fn walk<B: Builder + ?Sized>(
        &self,
        spec: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error>;
}

impl WalkField for String {
    fn walk<B: Builder + ?Sized>(
        &self,
        spec: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        string(b, spec, self).map(Some)
    }
}

impl WalkField for Option<String> {
    fn walk<B: Builder + ?Sized>(
        &self,
        spec: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.as_deref().map(|s| string(b, spec, s)).transpose()
    }
}

impl WalkField for Option<Role> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.as_ref().map(|r| b.role(r.as_str())).transpose()
    }
}

impl WalkField for Option<Number> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.as_ref().map(|n| number(b, n)).transpose()
    }
}

impl WalkField for Option<bool> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.map(|v| b.bool(v)).transpose()
    }
}

impl WalkField for Option<Map<String, Value>> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.as_ref().map(|m| object(b, m)).transpose()
    }
}

impl<T: WalkRecord> WalkField for Option<T> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        self.as_ref().map(|r| r.walk(b, false)).transpose()
    }
}

impl<T: WalkRecord + HasShape> WalkField for Vec<T> {
    fn walk<B: Builder + ?Sized>(
        &self,
        _: &FieldSpec,
        b: &mut B,
    ) -> Result<Option<B::Value>, B::Error> {
        let mut items = self
            .iter()
            .map(|r| r.walk(b, true))
            .collect::<Result<Items<_>, _>>()?;
        b.list(T::SHAPE, &mut items).map(Some)
    }
}

/// A record of the contract, walked.
trait WalkRecord {
    /// `item`: an item of a list, made with [`Builder::item`] as the parse makes it.
    fn walk<B: Builder + ?Sized>(&self, b: &mut B, item: bool) -> Result<B::Value, B::Error>;
}

/// What the builder of `parse` makes: JSON values, the records, and the event.
#[derive(Debug)]
pub(crate) enum Built {
    // Small (24 bytes): the slots of every record hold these. Strings and numbers, nearly
    // every value of an event, are kept inline; the rest is boxed.
    Str(String),
    /// A message's `role` of a known value: no allocation, and no payload that would make
    /// this enum larger (any other role is a [`Built::Str`]).
    Agent,
    /// See [`Built::Agent`].
    User,
    Number(Number),
    Json(Box<Value>),
    /// A list of records, typed.
    List(Box<RecordList>),
    Event(Box<Event>),
    Record(Box<Record>),
    /// An item of a list of records, kept by the builder in [`Pools`] until its list is made.
    Item,
}

// The slots of every record are an array of these: keep them small. 24 bytes, a `String`'s
// size (the other variants fit in its niche); a variant with a `Role` payload made it 32 bytes
// and the 40 KB transcript's parse slower than with a `String` per role.
const _: () = assert!(std::mem::size_of::<Built>() <= 24);

/// A record of the contract, made from its slots (see [`Builder::record`]).
trait FromSlots {
    fn from_slots(values: &mut [Option<Built>], extra: Map<String, Value>) -> Self;
}

/// A field's value, taken from what the builder made (the parser guarantees the types).
trait FromBuilt: Sized {
    fn from_built(v: Option<Built>) -> Self;
}

impl FromBuilt for String {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Str(s)) => s,
            _ => String::new(),
        }
    }
}

impl FromBuilt for Option<String> {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Str(s)) => Some(s),
            _ => None,
        }
    }
}

impl FromBuilt for Option<Role> {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Agent) => Some(Role::Agent),
            Some(Built::User) => Some(Role::User),
            Some(Built::Str(s)) => Some(Role::from(s)),
            _ => None,
        }
    }
}

impl FromBuilt for Option<Number> {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Number(n)) => Some(n),
            _ => None,
        }
    }
}

impl FromBuilt for Option<bool> {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Json(v)) => v.as_bool(),
            _ => None,
        }
    }
}

impl FromBuilt for Option<Map<String, Value>> {
    fn from_built(v: Option<Built>) -> Self {
        match v {
            Some(Built::Json(v)) => match *v {
                Value::Object(m) => Some(m),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Built {
    /// Any JSON value (what the builder makes for untyped values).
    fn into_value(self) -> Value {
        match self {
            Built::Str(s) => Value::String(s),
            Built::Agent => Value::String(Role::Agent.as_str().to_owned()),
            Built::User => Value::String(Role::User.as_str().to_owned()),
            Built::Number(n) => Value::Number(n),
            Built::Json(v) => *v,
            Built::List(records) => records.into_value(),
            Built::Record(r) => r.into_value(),
            Built::Event(e) => serde_json::to_value(&*e).unwrap_or_default(),
            // Never reached: an event is only ever the whole body's value, and an item only
            // ever goes to its list.
            Built::Item => Value::Null,
        }
    }

    fn into_object(self) -> Map<String, Value> {
        match self.into_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// The builder of [`ParseOptions::parse`](crate::ParseOptions::parse): makes the Rust types.
///
/// The items of lists are kept here rather than boxed one by one into [`Built`]: a
/// transcript's messages are made straight into the `Vec` the event holds.
#[derive(Default)]
pub(crate) struct EventBuilder {
    pools: Pools,
}

impl Builder for EventBuilder {
    type Value = Built;
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<Built, Self::Error> {
        Ok(Built::Json(Box::new(Value::Null)))
    }
    fn bool(&mut self, v: bool) -> Result<Built, Self::Error> {
        Ok(Built::Json(Box::new(Value::Bool(v))))
    }
    fn i64(&mut self, v: i64) -> Result<Built, Self::Error> {
        Ok(Built::Number(v.into()))
    }
    fn u64(&mut self, v: u64) -> Result<Built, Self::Error> {
        Ok(Built::Number(v.into()))
    }
    fn f64(&mut self, v: f64) -> Result<Built, Self::Error> {
        Ok(match Number::from_f64(v) {
            Some(n) => Built::Number(n),
            None => Built::Json(Box::new(Value::Null)),
        })
    }
    #[inline]
    fn str(&mut self, v: &str) -> Result<Built, Self::Error> {
        Ok(Built::Str(v.to_owned()))
    }
    #[inline]
    fn role(&mut self, v: &str) -> Result<Built, Self::Error> {
        Ok(match Role::from_wire_known(v) {
            Some(Role::Agent) => Built::Agent,
            Some(Role::User) => Built::User,
            _ => Built::Str(v.to_owned()),
        })
    }
    fn array(&mut self, items: Vec<Built>) -> Result<Built, Self::Error> {
        Ok(Built::Json(Box::new(Value::Array(
            items.into_iter().map(Built::into_value).collect(),
        ))))
    }
    fn object(&mut self, members: Members<Built>) -> Result<Built, Self::Error> {
        let mut map = Map::with_capacity(members.len());
        for (k, v) in members {
            if let Built::Str(k) = k {
                map.insert(k, v.into_value());
            }
        }
        Ok(Built::Json(Box::new(Value::Object(map))))
    }
    fn list(
        &mut self,
        shape: &'static Shape,
        items: &mut Items<Built>,
    ) -> Result<Built, Self::Error> {
        // The items are markers (`item` makes nothing else for a record of a list): the
        // records are the last ones of their pool.
        debug_assert!(items.iter().all(|v| matches!(v, Built::Item)));
        let n = items.len();
        items.clear();
        Ok(self.pools.take(shape, n))
    }
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Built>],
        extra: Option<Built>,
    ) -> Result<Built, Self::Error> {
        let extra = extra.map(Built::into_object).unwrap_or_default();
        Ok(make_record(shape, values, extra))
    }
    fn item(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Built>],
        extra: Option<Built>,
    ) -> Result<Built, Self::Error> {
        let extra = extra.map(Built::into_object).unwrap_or_default();
        Ok(self.pools.make(shape, values, extra))
    }
    fn unknown_event(&mut self, p: UnknownParts<Built>) -> Result<Built, Self::Error> {
        let event = String::from_built(Some(p.event));
        let call_id = String::from_built(Some(p.call_id));
        Ok(Built::Event(Box::new(Event::Unknown(UnknownEvent {
            event,
            call_id,
            payload: p.payload.into_object(),
        }))))
    }
}

/// [`WalkRecord`] for one record of the contract: its fields in the contract's order.
macro_rules! walk_record {
    ($record:ident { $($field:ident),* }) => {
        impl WalkRecord for events::$record {
            fn walk<B: Builder + ?Sized>(
                &self,
                b: &mut B,
                item: bool,
            ) -> Result<B::Value, B::Error> {
                let shape = <Self as HasShape>::SHAPE;
                let mut specs = shape.fields.iter();
                let mut values = Vec::with_capacity(shape.fields.len());
                $(
                    let spec = specs.next().unwrap_or(&NO_SPEC);
                    values.push(WalkField::walk(&self.$field, spec, b)?);
                )*
                let extra = members(b, &self.extra)?;
                if item {
                    b.item(shape, &mut values, extra)
                } else {
                    b.record(shape, &mut values, extra)
                }
            }
        }
    };
}

/// [`FromSlots`] for one record of the contract: its fields in the contract's order.
macro_rules! from_slots {
    ($record:ident { $($field:ident),* }) => {
        impl FromSlots for events::$record {
            #[inline(always)]
            fn from_slots(values: &mut [Option<Built>], extra: Map<String, Value>) -> Self {
                let mut slots = values.iter_mut();
                events::$record {
                    $( $field: FromBuilt::from_built(slots.next().and_then(Option::take)), )*
                    extra,
                }
            }
        }
    };
}

/// Makes the walk, the conversions and the records of [`Built`] from the contract.
macro_rules! builders {
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
        fn walk_event<B: Builder + ?Sized>(e: &Event, b: &mut B) -> Result<B::Value, B::Error> {
            match e {
                $( Event::$event(e) => e.walk(b, false), )*
                Event::Unknown(u) => {
                    let parts = UnknownParts {
                        event: b.str(&u.event)?,
                        call_id: b.str(&u.call_id)?,
                        payload: object(b, &u.payload)?,
                    };
                    b.unknown_event(parts)
                }
            }
        }

        $( walk_record!($event { $($field),* }); )*
        $(
            walk_record!($object { $($ofield),* });

            impl FromBuilt for Option<events::$object> {
                fn from_built(v: Option<Built>) -> Self {
                    match v {
                        Some(Built::Record(r)) => match *r {
                            Record::$object(r) => Some(r),
                            #[allow(unreachable_patterns)]
                            _ => None,
                        },
                        _ => None,
                    }
                }
            }
        )*

        /// A nested record made by [`EventBuilder`].
        #[derive(Debug)]
        pub(crate) enum Record {
            $( $object(events::$object), )*
        }

        impl Record {
            fn into_value(self) -> Value {
                match self {
                    $( Record::$object(r) => serde_json::to_value(&r).unwrap_or_default(), )*
                }
            }
        }

        /// A list of records made by [`EventBuilder`].
        #[derive(Debug)]
        pub(crate) enum RecordList {
            $( $object(Vec<events::$object>), )*
        }

        impl RecordList {
            fn into_value(self) -> Value {
                match self {
                    $( RecordList::$object(r) => serde_json::to_value(&r).unwrap_or_default(), )*
                }
            }
        }

        /// The items of lists of records, one pool per kind of record, in the order they were
        /// made. Lists nest properly, so the items of the list being made are the last ones of
        /// their pool.
        #[derive(Debug, Default)]
        #[allow(non_snake_case)]
        struct Pools {
            $( $object: Vec<events::$object>, )*
        }

        impl Pools {
            /// Makes an item of a list of records into its pool.
            fn make(
                &mut self,
                shape: &'static Shape,
                values: &mut [Option<Built>],
                extra: Map<String, Value>,
            ) -> Built {
                match (shape.kind, shape.object) {
                    $(
                        (None, Some(ObjectKind::$object)) => {
                            self.$object.push(FromSlots::from_slots(values, extra));
                            Built::Item
                        }
                    )*
                    _ => make_record(shape, values, extra),
                }
            }

            /// The list of the last `n` records of `shape`'s pool.
            fn take(&mut self, shape: &'static Shape, n: usize) -> Built {
                fn last<T>(pool: &mut Vec<T>, n: usize) -> Vec<T> {
                    debug_assert!(n <= pool.len(), "a list has more items than its pool");
                    match pool.len().saturating_sub(n) {
                        // The whole pool (one list, the usual case): handed over, not copied.
                        0 => std::mem::take(pool),
                        at => pool.split_off(at),
                    }
                }
                match shape.object {
                    $( Some(ObjectKind::$object) => {
                        Built::List(Box::new(RecordList::$object(last(&mut self.$object, n))))
                    } )*
                    _ => Built::Json(Box::new(Value::Array(Vec::new()))),
                }
            }
        }

        $(
            impl FromBuilt for Vec<events::$object> {
                fn from_built(v: Option<Built>) -> Self {
                    match v {
                        Some(Built::List(records)) => match *records {
                            RecordList::$object(r) => r,
                            #[allow(unreachable_patterns)]
                            _ => Vec::new(),
                        },
                        _ => Vec::new(),
                    }
                }
            }
        )*

        $( from_slots!($event { $($field),* }); )*
        $( from_slots!($object { $($ofield),* }); )*

        fn make_record(
            shape: &'static Shape,
            values: &mut [Option<Built>],
            extra: Map<String, Value>,
        ) -> Built {
            match shape.kind {
                $(
                    Some(Kind::$event) => Built::Event(Box::new(Event::$event(
                        FromSlots::from_slots(values, extra),
                    ))),
                )*
                None => match shape.object {
                    $(
                        Some(ObjectKind::$object) => Built::Record(Box::new(Record::$object(
                            FromSlots::from_slots(values, extra),
                        ))),
                    )*
                    _ => Built::Json(Box::new(Value::Object(extra))),
                },
            }
        }
    };
}

crate::contract!(builders);

/// Stands for a field spec that cannot be missing (the shapes come from the same list).
const NO_SPEC: FieldSpec =
    crate::contract::Spec::OPTIONAL.field("", "", crate::contract::Type::String);

/// Builds the wire form of an event as a [`serde_json::Value`], exactly what
/// [`Event::to_json`] writes: `event` first, then the present fields in the contract's
/// order, then the other members. The fixture tests check every other builder against it.
#[derive(Debug, Default, Clone, Copy)]
pub struct ValueBuilder;

impl ValueBuilder {
    fn with_extra(mut map: Map<String, Value>, extra: Option<Value>) -> Value {
        if let Some(Value::Object(extra)) = extra {
            map.extend(extra);
        }
        Value::Object(map)
    }
}

impl Builder for ValueBuilder {
    type Value = Value;
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }
    fn bool(&mut self, v: bool) -> Result<Value, Self::Error> {
        Ok(Value::Bool(v))
    }
    fn i64(&mut self, v: i64) -> Result<Value, Self::Error> {
        Ok(Value::from(v))
    }
    fn u64(&mut self, v: u64) -> Result<Value, Self::Error> {
        Ok(Value::from(v))
    }
    fn f64(&mut self, v: f64) -> Result<Value, Self::Error> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn str(&mut self, v: &str) -> Result<Value, Self::Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn array(&mut self, items: Vec<Value>) -> Result<Value, Self::Error> {
        Ok(Value::Array(items))
    }
    fn object(&mut self, members: Members<Value>) -> Result<Value, Self::Error> {
        let mut map = Map::with_capacity(members.len());
        for (k, v) in members {
            if let Value::String(k) = k {
                map.insert(k, v);
            }
        }
        Ok(Value::Object(map))
    }
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Value>],
        extra: Option<Value>,
    ) -> Result<Value, Self::Error> {
        let mut map = Map::new();
        if let Some(kind) = shape.kind {
            map.insert("event".into(), Value::String(kind.name().into()));
        }
        for (field, v) in shape.fields.iter().zip(values.iter_mut()) {
            if let Some(v) = v.take() {
                map.insert(field.name.into(), v);
            }
        }
        Ok(Self::with_extra(map, extra))
    }
    fn unknown_event(&mut self, p: UnknownParts<Value>) -> Result<Value, Self::Error> {
        Ok(p.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::MESSAGE;

    fn message(b: &mut EventBuilder, content: &str) -> Built {
        let mut values = [None, Some(Built::Str(content.to_owned()))];
        b.item(MESSAGE, &mut values, None).unwrap()
    }

    fn contents(list: Built) -> Vec<String> {
        Vec::<events::Message>::from_built(Some(list))
            .into_iter()
            .map(|m| m.content.unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_list_takes_the_last_items_of_its_pool_and_leaves_the_others() {
        // Lists nest: the items of an inner list are made after some of the outer list's.
        let mut b = EventBuilder::default();
        let mut outer: Items<Built> = [message(&mut b, "a"), message(&mut b, "b")]
            .into_iter()
            .collect();
        let mut inner: Items<Built> = [message(&mut b, "c"), message(&mut b, "d")]
            .into_iter()
            .collect();
        let inner = b.list(MESSAGE, &mut inner).unwrap();
        assert_eq!(contents(inner), ["c", "d"]);
        // An empty inner list takes nothing either.
        let empty = b.list(MESSAGE, &mut Items::new()).unwrap();
        assert!(contents(empty).is_empty());
        assert_eq!(b.pools.Message.len(), 2);
        outer.push(message(&mut b, "e"));
        let outer = b.list(MESSAGE, &mut outer).unwrap();
        assert_eq!(contents(outer), ["a", "b", "e"]);
        assert!(b.pools.Message.is_empty());
    }
}
