//! The seven OneInbox call events, [`Event`] and [`UnknownEvent`].
//!
//! Field names are the wire names. In lenient mode (the default) every documented field other
//! than `call_id` (and `messages` on transcript events) may be absent or `null`, which reads as
//! `None`; members the contract does not list are kept in `extra`, in their original order, and
//! written back by serialization.

pub use call::{
    Analysis, CallAnalyzed, CallEnded, CallFailed, CallRecordingAvailable, CallStarted,
};
pub use transcript::{Message, TranscriptFinal, TranscriptPartial};

use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The names of the seven documented events, in the guide's order.
pub const EVENT_NAMES: [&str; 7] = [
    CallStarted::EVENT,
    CallEnded::EVENT,
    CallAnalyzed::EVENT,
    CallFailed::EVENT,
    CallRecordingAvailable::EVENT,
    TranscriptPartial::EVENT,
    TranscriptFinal::EVENT,
];

/// One OneInbox webhook delivery, typed by its `event` member.
///
/// ```
/// use oneinbox_webhooks::{parse_event, Event};
///
/// let body = br#"{"event":"call.failed","call_id":"call_1","reason":"no-answer"}"#;
/// match parse_event(body)? {
///     Event::CallFailed(e) => assert_eq!(e.reason.as_deref(), Some("no-answer")),
///     other => panic!("unexpected {}", other.name()),
/// }
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
// One event is made per delivery and moved a few times at most; boxing the variants would cost
// an allocation and make matching clumsier for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `call.started`
    CallStarted(CallStarted),
    /// `call.ended`
    CallEnded(CallEnded),
    /// `call.analyzed`
    CallAnalyzed(CallAnalyzed),
    /// `call.failed`
    CallFailed(CallFailed),
    /// `call.recording.available`
    CallRecordingAvailable(CallRecordingAvailable),
    /// `transcript.partial`
    TranscriptPartial(TranscriptPartial),
    /// `transcript.final`
    TranscriptFinal(TranscriptFinal),
    /// An event name this version does not know (lenient mode only), kept whole.
    Unknown(UnknownEvent),
}

impl Event {
    /// The wire name of the event, e.g. `"call.ended"`.
    pub fn name(&self) -> &str {
        match self {
            Event::CallStarted(_) => CallStarted::EVENT,
            Event::CallEnded(_) => CallEnded::EVENT,
            Event::CallAnalyzed(_) => CallAnalyzed::EVENT,
            Event::CallFailed(_) => CallFailed::EVENT,
            Event::CallRecordingAvailable(_) => CallRecordingAvailable::EVENT,
            Event::TranscriptPartial(_) => TranscriptPartial::EVENT,
            Event::TranscriptFinal(_) => TranscriptFinal::EVENT,
            Event::Unknown(e) => &e.event,
        }
    }

    /// The call this event belongs to; every event has one.
    pub fn call_id(&self) -> &str {
        match self {
            Event::CallStarted(e) => &e.call_id,
            Event::CallEnded(e) => &e.call_id,
            Event::CallAnalyzed(e) => &e.call_id,
            Event::CallFailed(e) => &e.call_id,
            Event::CallRecordingAvailable(e) => &e.call_id,
            Event::TranscriptPartial(e) => &e.call_id,
            Event::TranscriptFinal(e) => &e.call_id,
            Event::Unknown(e) => &e.call_id,
        }
    }

    /// Members the contract does not list, in their original order (for [`Event::Unknown`]
    /// this is the whole payload).
    pub fn extra(&self) -> &Map<String, Value> {
        match self {
            Event::CallStarted(e) => &e.extra,
            Event::CallEnded(e) => &e.extra,
            Event::CallAnalyzed(e) => &e.extra,
            Event::CallFailed(e) => &e.extra,
            Event::CallRecordingAvailable(e) => &e.extra,
            Event::TranscriptPartial(e) => &e.extra,
            Event::TranscriptFinal(e) => &e.extra,
            Event::Unknown(e) => &e.payload,
        }
    }

    /// The event's wire form as compact JSON bytes (unknown members included).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these types into a Vec cannot fail: every map key is a string and
        // serde_json numbers are always finite.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::CallStarted(e) => e.serialize(s),
            Event::CallEnded(e) => e.serialize(s),
            Event::CallAnalyzed(e) => e.serialize(s),
            Event::CallFailed(e) => e.serialize(s),
            Event::CallRecordingAvailable(e) => e.serialize(s),
            Event::TranscriptPartial(e) => e.serialize(s),
            Event::TranscriptFinal(e) => e.serialize(s),
            Event::Unknown(e) => e.serialize(s),
        }
    }
}

/// An event whose name this version does not know. Only produced in lenient mode, so that a
/// receiver keeps working when OneInbox adds events.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownEvent {
    /// The `event` member as sent.
    pub event: String,
    /// The `call_id` member (a non-empty string, as on every event).
    pub call_id: String,
    /// The whole payload, `event` and `call_id` included, in its original member order.
    pub payload: Map<String, Value>,
}

impl Serialize for UnknownEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.payload.serialize(s)
    }
}

/// Defines an event struct (`call_id`, optional typed fields, `extra`) and its `Serialize`
/// impl, which writes `event` first, then the present fields, then `extra`.
macro_rules! event_struct {
    (
        $(#[$meta:meta])*
        $name:ident = $wire:literal {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            /// The call this event belongs to (a non-empty string).
            pub call_id: String,
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Members the contract does not list (lenient mode), in their original order.
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $name {
            /// The wire name of this event.
            pub const EVENT: &'static str = $wire;
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("event", Self::EVENT)?;
                map.serialize_entry("call_id", &self.call_id)?;
                $( if let Some(v) = &self.$field { map.serialize_entry(stringify!($field), v)?; } )*
                for (k, v) in &self.extra {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    };
}

mod call;
mod transcript;
