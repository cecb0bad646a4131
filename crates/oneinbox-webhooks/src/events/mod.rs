//! The seven OneInbox call events, [`Event`] and [`UnknownEvent`].
//!
//! Field names are the wire names. In lenient mode (the default) every documented field other
//! than `call_id` (and `messages` on transcript events) may be absent or `null`, which reads as
//! `None`; members the contract does not list are kept in `extra`, in their original order, and
//! written back by serialization.

use std::fmt;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Makes the types from the contract ([`crate::contract!`]): one struct per event and per
/// nested object, [`Event`], [`EVENT_NAMES`], and how each is written as JSON.
macro_rules! types {
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
            $(#[doc = $edoc])*
            #[derive(Debug, Clone, PartialEq, Default)]
            pub struct $event {
                $( $(#[doc = $fdoc])* pub $field: $ty, )*
                /// Members the contract does not list (lenient mode), in their original order.
                pub extra: Map<String, Value>,
            }

            impl $event {
                /// The wire name of this event.
                pub const EVENT: &'static str = $wire;
            }

            impl Serialize for $event {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut map = s.serialize_map(None)?;
                    map.serialize_entry("event", Self::EVENT)?;
                    $( WireField::write(&self.$field, stringify!($field), &mut map)?; )*
                    for (k, v) in &self.extra {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
        )*

        $(
            $(#[doc = $odoc])*
            #[derive(Debug, Clone, PartialEq, Default)]
            pub struct $object {
                $( $(#[doc = $ofdoc])* pub $ofield: $oty, )*
                /// Members the contract does not list, in their original order.
                pub extra: Map<String, Value>,
            }

            impl Serialize for $object {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut map = s.serialize_map(None)?;
                    $( WireField::write(&self.$ofield, stringify!($ofield), &mut map)?; )*
                    for (k, v) in &self.extra {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
        )*

        /// The names of the seven documented events, in the guide's order.
        pub const EVENT_NAMES: [&str; [$($wire),*].len()] = [$($wire),*];

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
        // One event is made per delivery and moved a few times at most; boxing the variants
        // would cost an allocation and make matching clumsier for no measurable gain.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $(
                #[doc = concat!("`", $wire, "`")]
                $event($event),
            )*
            /// An event name this version does not know (lenient mode only), kept whole.
            Unknown(UnknownEvent),
        }

        impl Event {
            /// The wire name of the event, e.g. `"call.ended"`.
            pub fn name(&self) -> &str {
                match self {
                    $( Event::$event(_) => $wire, )*
                    Event::Unknown(e) => &e.event,
                }
            }

            /// The call this event belongs to; every event has one.
            pub fn call_id(&self) -> &str {
                match self {
                    $( Event::$event(e) => &e.call_id, )*
                    Event::Unknown(e) => &e.call_id,
                }
            }

            /// Members the contract does not list, in their original order (for
            /// [`Event::Unknown`] this is the whole payload).
            pub fn extra(&self) -> &Map<String, Value> {
                match self {
                    $( Event::$event(e) => &e.extra, )*
                    Event::Unknown(e) => &e.payload,
                }
            }
        }

        impl Serialize for Event {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Event::$event(e) => e.serialize(s), )*
                    Event::Unknown(e) => e.serialize(s),
                }
            }
        }
    };
}

crate::contract!(types);

impl Event {
    /// The event's wire form as compact JSON bytes (unknown members included).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these types into a Vec cannot fail: every map key is a string and
        // serde_json numbers are always finite.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// How a field is written: an `Option` only when it is there.
trait WireField {
    fn write<M: SerializeMap>(&self, name: &str, map: &mut M) -> Result<(), M::Error>;
}

impl<T: Serialize> WireField for Option<T> {
    fn write<M: SerializeMap>(&self, name: &str, map: &mut M) -> Result<(), M::Error> {
        match self {
            Some(v) => map.serialize_entry(name, v),
            None => Ok(()),
        }
    }
}

impl WireField for String {
    fn write<M: SerializeMap>(&self, name: &str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(name, self)
    }
}

impl<T: Serialize> WireField for Vec<T> {
    fn write<M: SerializeMap>(&self, name: &str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(name, self)
    }
}

/// Who spoke in a transcript message: the contract's two values (`agent`, `user`), or any
/// other string kept as sent (lenient mode; strict mode refuses it with `invalid_format`).
///
/// It is written back as the same string, so an event's JSON form is unchanged.
///
/// ```
/// use oneinbox_webhooks::{parse_event, Event, Role};
///
/// let body = br#"{"event":"transcript.final","call_id":"c1","messages":[{"role":"agent","content":"Hi"},{"role":"system","content":"note"}]}"#;
/// let Event::TranscriptFinal(t) = parse_event(body)? else { unreachable!() };
/// assert_eq!(t.messages[0].role, Some(Role::Agent));
/// assert_eq!(t.messages[1].role, Some(Role::Other("system".into())));
/// assert_eq!(t.messages[1].role.as_ref().map(Role::as_str), Some("system"));
/// assert_eq!(serde_json::to_string(&Role::User)?, r#""user""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `agent`: the AI agent.
    Agent,
    /// `user`: the person on the call.
    User,
    /// Any other value, as sent (never `"agent"` or `"user"`: those are the variants above).
    Other(String),
}

impl Role {
    /// The role of a wire value: [`Role::Agent`], [`Role::User`], or [`Role::Other`] with a
    /// copy of `s`.
    #[inline]
    pub fn from_wire(s: &str) -> Role {
        Role::from_wire_known(s).unwrap_or_else(|| Role::Other(s.to_owned()))
    }

    /// [`Role::Agent`] or [`Role::User`] for their wire values, `None` for any other.
    #[inline]
    pub(crate) fn from_wire_known(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "user" => Some(Role::User),
            _ => None,
        }
    }

    /// The wire value: `"agent"`, `"user"`, or the other value as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Agent => "agent",
            Role::User => "user",
            Role::Other(s) => s,
        }
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Role {
        Role::from_wire(s)
    }
}

impl From<String> for Role {
    fn from(s: String) -> Role {
        Role::from_wire_known(&s).unwrap_or(Role::Other(s))
    }
}

impl PartialEq<str> for Role {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Role {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        String::deserialize(d).map(Role::from)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Format;

    #[test]
    fn each_contract_role_is_a_variant_and_round_trips() {
        for wire in Format::ROLES {
            let role = Role::from_wire(wire);
            assert!(!matches!(role, Role::Other(_)), "{wire}");
            assert_eq!(role.as_str(), wire);
            assert_eq!(Role::from(wire.to_owned()), role);
        }
        assert_eq!(Role::from_wire("Agent"), Role::Other("Agent".into()));
        assert_eq!(Role::from_wire(""), Role::Other(String::new()));
        let back: Role = serde_json::from_str(r#""user""#).unwrap_or(Role::Agent);
        assert_eq!(back, Role::User);
        assert_eq!(
            serde_json::to_string(&Role::Other("bot".into()))
                .ok()
                .as_deref(),
            Some(r#""bot""#)
        );
    }
}
