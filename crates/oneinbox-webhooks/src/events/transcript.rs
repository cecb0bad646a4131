//! The transcript events and [`Message`].

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// Who spoke: `agent` or `user` (other values are kept as sent in lenient mode).
    pub role: Option<String>,
    /// What was said.
    pub content: Option<String>,
    /// Members the contract does not list, in their original order.
    pub extra: Map<String, Value>,
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = &self.role {
            map.serialize_entry("role", v)?;
        }
        if let Some(v) = &self.content {
            map.serialize_entry("content", v)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

macro_rules! transcript_struct {
    ($(#[$meta:meta])* $name:ident = $wire:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            /// The call this transcript belongs to (a non-empty string).
            pub call_id: String,
            /// The conversation so far, in order.
            pub messages: Vec<Message>,
            /// Members the contract does not list (lenient mode), in their original order.
            pub extra: Map<String, Value>,
        }

        impl $name {
            /// The wire name of this event.
            pub const EVENT: &'static str = $wire;
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("event", Self::EVENT)?;
                map.serialize_entry("call_id", &self.call_id)?;
                map.serialize_entry("messages", &self.messages)?;
                for (k, v) in &self.extra {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    };
}

transcript_struct! {
    /// `transcript.partial`: a partial transcript during a live call; later updates may change it.
    TranscriptPartial = "transcript.partial"
}

transcript_struct! {
    /// `transcript.final`: the full transcript, sent after `call.ended`.
    TranscriptFinal = "transcript.final"
}
