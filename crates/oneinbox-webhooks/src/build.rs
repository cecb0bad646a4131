//! Building the caller's own values while a body is validated: [`Builder`] and
//! [`ParseOptions::parse_with`](crate::ParseOptions::parse_with).
//!
//! [`ParseOptions::parse`](crate::ParseOptions::parse) builds Rust [`Event`]s. A host that
//! wants its own objects (a Python class, a JavaScript object) would otherwise convert that
//! event a second time. With a [`Builder`], the core validates the body and calls the builder
//! for every value it accepts, so the host's strings and objects are made straight from the
//! bytes in one pass; the core still owns every rule and every issue.
//!
//! The builder is called in document order for the common shape of a body. For anything
//! unusual (a problem to report, `event` not first, an escaped key) the core runs its full
//! parser and then walks the parsed [`Event`] with the same builder ([`event`]), so the
//! result is the same either way (the same methods with the same arguments). The builder may
//! then have been called for part of the body before the fast pass gave up, and for bodies
//! that turn out to be invalid: those values are dropped, so a builder should make values
//! and nothing else (no side effects that must happen once).
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

use crate::error::ValidationError;
use crate::events::{Analysis, Event, Message};

pub use crate::parse::Kind;

/// The members of an object: keys and values in document order.
pub type Members<V> = Vec<(V, V)>;

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
    fn repeated_str(&mut self, v: &str) -> Result<Self::Value, Self::Error> {
        self.str(v)
    }
    /// An object key. The default makes it with [`Builder::str`].
    fn key(&mut self, v: &str) -> Result<Self::Value, Self::Error> {
        self.str(v)
    }
    /// A JSON array, its items in order.
    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// A JSON object: keys (made with [`Builder::key`]) and values in document order; keys
    /// are unique.
    fn object(&mut self, members: Members<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// One transcript message.
    fn message(&mut self, parts: MessageParts<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// The `analysis` object of `call.ended`.
    fn analysis(&mut self, parts: AnalysisParts<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// One of the seven documented events.
    fn event(&mut self, parts: EventParts<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An event whose name this version does not know (lenient mode only).
    fn unknown_event(
        &mut self,
        parts: UnknownParts<Self::Value>,
    ) -> Result<Self::Value, Self::Error>;
}

/// The fields of one [`Message`]. A field is `None` when it is absent or `null`; `extra` is
/// an object of the members the contract does not list, `None` when there are none.
#[derive(Debug)]
#[non_exhaustive]
pub struct MessageParts<V> {
    /// `role`.
    pub role: Option<V>,
    /// `content`.
    pub content: Option<V>,
    /// The other members, as one object.
    pub extra: Option<V>,
}

/// The fields of one [`Analysis`], as in [`MessageParts`].
#[derive(Debug)]
#[non_exhaustive]
pub struct AnalysisParts<V> {
    /// `summary`.
    pub summary: Option<V>,
    /// `outcome`.
    pub outcome: Option<V>,
    /// `extracted_data` (an object).
    pub extracted_data: Option<V>,
    /// The other members, as one object.
    pub extra: Option<V>,
}

/// The fields of one documented event. Only the fields of `kind` can be set (`call.started`:
/// `agent_id`, `to_number`, `from_number`, `created_at`; `call.ended`: `agent_id`, `status`,
/// `duration_seconds`, `to_number`, `from_number`, `outcome`, `ai_summary`, `analysis`;
/// `call.analyzed`: `agent_id`, `outcome`, `ai_summary`; `call.failed`: `agent_id`,
/// `to_number`, `from_number`, `reason`; `call.recording.available`: `recording_url`; the
/// transcripts: `messages`); a field is `None` when it is absent or `null` (lenient mode). `messages` is always
/// set on the transcript events, and `extra` is `None` when there are no other members.
#[derive(Debug)]
#[non_exhaustive]
pub struct EventParts<V> {
    /// Which event.
    pub kind: Kind,
    /// `call_id`, a non-empty string.
    pub call_id: V,
    /// `agent_id`.
    pub agent_id: Option<V>,
    /// `to_number`.
    pub to_number: Option<V>,
    /// `from_number`.
    pub from_number: Option<V>,
    /// `created_at`.
    pub created_at: Option<V>,
    /// `status`.
    pub status: Option<V>,
    /// `duration_seconds`, a number.
    pub duration_seconds: Option<V>,
    /// `outcome`.
    pub outcome: Option<V>,
    /// `ai_summary`.
    pub ai_summary: Option<V>,
    /// `analysis`, made by [`Builder::analysis`].
    pub analysis: Option<V>,
    /// `reason`.
    pub reason: Option<V>,
    /// `recording_url`.
    pub recording_url: Option<V>,
    /// `messages`, an array made of [`Builder::message`] values.
    pub messages: Option<V>,
    /// The other members, as one object.
    pub extra: Option<V>,
}

impl<V> EventParts<V> {
    /// Parts with only `kind` and `call_id` set.
    pub fn new(kind: Kind, call_id: V) -> Self {
        EventParts {
            kind,
            call_id,
            agent_id: None,
            to_number: None,
            from_number: None,
            created_at: None,
            status: None,
            duration_seconds: None,
            outcome: None,
            ai_summary: None,
            analysis: None,
            reason: None,
            recording_url: None,
            messages: None,
            extra: None,
        }
    }
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

/// Makes the builder's value of a parsed event (what `parse_with` does after its full parse).
pub fn event<B: Builder + ?Sized>(e: &Event, b: &mut B) -> Result<B::Value, B::Error> {
    fn known<B: Builder + ?Sized>(
        b: &mut B,
        kind: Kind,
        call_id: &str,
        extra: &Map<String, Value>,
        fill: impl FnOnce(&mut B, &mut EventParts<B::Value>) -> Result<(), B::Error>,
    ) -> Result<B::Value, B::Error> {
        let mut parts = EventParts::new(kind, b.str(call_id)?);
        fill(b, &mut parts)?;
        parts.extra = members(b, extra)?;
        b.event(parts)
    }
    match e {
        Event::CallStarted(e) => known(b, Kind::CallStarted, &e.call_id, &e.extra, |b, p| {
            p.agent_id = opt_repeated(b, &e.agent_id)?;
            p.to_number = opt_repeated(b, &e.to_number)?;
            p.from_number = opt_repeated(b, &e.from_number)?;
            p.created_at = opt_str(b, &e.created_at)?;
            Ok(())
        }),
        Event::CallEnded(e) => known(b, Kind::CallEnded, &e.call_id, &e.extra, |b, p| {
            p.agent_id = opt_repeated(b, &e.agent_id)?;
            p.status = opt_repeated(b, &e.status)?;
            p.duration_seconds = e
                .duration_seconds
                .as_ref()
                .map(|n| number(b, n))
                .transpose()?;
            p.to_number = opt_repeated(b, &e.to_number)?;
            p.from_number = opt_repeated(b, &e.from_number)?;
            p.outcome = opt_repeated(b, &e.outcome)?;
            p.ai_summary = opt_str(b, &e.ai_summary)?;
            p.analysis = e.analysis.as_ref().map(|a| analysis(b, a)).transpose()?;
            Ok(())
        }),
        Event::CallAnalyzed(e) => known(b, Kind::CallAnalyzed, &e.call_id, &e.extra, |b, p| {
            p.agent_id = opt_repeated(b, &e.agent_id)?;
            p.outcome = opt_repeated(b, &e.outcome)?;
            p.ai_summary = opt_str(b, &e.ai_summary)?;
            Ok(())
        }),
        Event::CallFailed(e) => known(b, Kind::CallFailed, &e.call_id, &e.extra, |b, p| {
            p.agent_id = opt_repeated(b, &e.agent_id)?;
            p.to_number = opt_repeated(b, &e.to_number)?;
            p.from_number = opt_repeated(b, &e.from_number)?;
            p.reason = opt_repeated(b, &e.reason)?;
            Ok(())
        }),
        Event::CallRecordingAvailable(e) => known(
            b,
            Kind::CallRecordingAvailable,
            &e.call_id,
            &e.extra,
            |b, p| {
                p.recording_url = opt_str(b, &e.recording_url)?;
                Ok(())
            },
        ),
        Event::TranscriptPartial(e) => {
            known(b, Kind::TranscriptPartial, &e.call_id, &e.extra, |b, p| {
                p.messages = Some(messages(b, &e.messages)?);
                Ok(())
            })
        }
        Event::TranscriptFinal(e) => {
            known(b, Kind::TranscriptFinal, &e.call_id, &e.extra, |b, p| {
                p.messages = Some(messages(b, &e.messages)?);
                Ok(())
            })
        }
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

fn number<B: Builder + ?Sized>(b: &mut B, n: &Number) -> Result<B::Value, B::Error> {
    if let Some(i) = n.as_i64() {
        b.i64(i)
    } else if let Some(u) = n.as_u64() {
        b.u64(u)
    } else {
        // Without serde_json's arbitrary_precision a number is an i64, a u64 or an f64.
        b.f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn opt_str<B: Builder + ?Sized>(
    b: &mut B,
    s: &Option<String>,
) -> Result<Option<B::Value>, B::Error> {
    s.as_deref().map(|s| b.str(s)).transpose()
}

fn opt_repeated<B: Builder + ?Sized>(
    b: &mut B,
    s: &Option<String>,
) -> Result<Option<B::Value>, B::Error> {
    s.as_deref().map(|s| b.repeated_str(s)).transpose()
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

fn messages<B: Builder + ?Sized>(b: &mut B, list: &[Message]) -> Result<B::Value, B::Error> {
    let items = list
        .iter()
        .map(|m| {
            let parts = MessageParts {
                role: opt_repeated(b, &m.role)?,
                content: opt_str(b, &m.content)?,
                extra: members(b, &m.extra)?,
            };
            b.message(parts)
        })
        .collect::<Result<Vec<_>, _>>()?;
    b.array(items)
}

fn analysis<B: Builder + ?Sized>(b: &mut B, a: &Analysis) -> Result<B::Value, B::Error> {
    let parts = AnalysisParts {
        summary: opt_str(b, &a.summary)?,
        outcome: opt_repeated(b, &a.outcome)?,
        extracted_data: a
            .extracted_data
            .as_ref()
            .map(|m| object(b, m))
            .transpose()?,
        extra: members(b, &a.extra)?,
    };
    b.analysis(parts)
}

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
    fn message(&mut self, p: MessageParts<Value>) -> Result<Value, Self::Error> {
        let mut map = Map::new();
        put(&mut map, "role", p.role);
        put(&mut map, "content", p.content);
        Ok(Self::with_extra(map, p.extra))
    }
    fn analysis(&mut self, p: AnalysisParts<Value>) -> Result<Value, Self::Error> {
        let mut map = Map::new();
        put(&mut map, "summary", p.summary);
        put(&mut map, "outcome", p.outcome);
        put(&mut map, "extracted_data", p.extracted_data);
        Ok(Self::with_extra(map, p.extra))
    }
    fn event(&mut self, p: EventParts<Value>) -> Result<Value, Self::Error> {
        let mut map = Map::new();
        map.insert("event".into(), Value::String(p.kind.name().into()));
        map.insert("call_id".into(), p.call_id);
        put(&mut map, "agent_id", p.agent_id);
        put(&mut map, "status", p.status);
        put(&mut map, "duration_seconds", p.duration_seconds);
        put(&mut map, "to_number", p.to_number);
        put(&mut map, "from_number", p.from_number);
        put(&mut map, "created_at", p.created_at);
        put(&mut map, "outcome", p.outcome);
        put(&mut map, "ai_summary", p.ai_summary);
        put(&mut map, "analysis", p.analysis);
        put(&mut map, "reason", p.reason);
        put(&mut map, "recording_url", p.recording_url);
        put(&mut map, "messages", p.messages);
        Ok(Self::with_extra(map, p.extra))
    }
    fn unknown_event(&mut self, p: UnknownParts<Value>) -> Result<Value, Self::Error> {
        Ok(p.payload)
    }
}

fn put(map: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        map.insert(key.into(), v);
    }
}
