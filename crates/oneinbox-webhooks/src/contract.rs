//! The event contract, written once: every documented event, its fields, and the rules of
//! each field.
//!
//! The description is the `contract!` macro in this module's source (hidden from these
//! docs). It hands the list to any macro, so each thing that needs the fields is made from
//! this one list:
//!
//! - the Rust types ([`crate::events`]: the structs, [`Event`](crate::Event), [`Kind`]);
//! - the table the parser runs on ([`Kind::shape`], [`ANALYSIS`], [`MESSAGE`]: one
//!   [`FieldSpec`] per field), so one generic pass checks every event;
//! - the Python binding's classes (the binding calls `contract!` with its own macro);
//! - through the table, `just generate`: the JSON Schemas, the Python stubs and the
//!   TypeScript types, which `just test` checks are fresh.
//!
//! Adding a documented field is one line here (and a fixture).

pub use serde_json::{Map, Number, Value};

/// A JSON object whose members the contract does not type.
pub type Object = Map<String, Value>;

/// When a field must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Required and non-null in both modes (`call_id`, `messages`); its format is checked in
    /// both modes too.
    Always,
    /// Required and non-null in strict mode; may be absent or `null` in lenient mode.
    Strict,
    /// May be absent or `null` in both modes.
    Optional,
}

/// What a string or number must look like (checked in strict mode, and in both modes for an
/// [`Presence::Always`] field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Anything of the field's type.
    Any,
    /// A non-empty string.
    NonEmpty,
    /// An E.164 phone number such as `+15551234567`.
    E164,
    /// An RFC 3339 date-time such as `2026-06-01T10:00:00Z`.
    Rfc3339,
    /// An absolute `https` URL with a host.
    HttpsUrl,
    /// `agent` or `user`.
    Role,
    /// A number ≥ 0.
    NonNegative,
}

impl Format {
    /// The values of [`Format::Role`].
    pub const ROLES: [&'static str; 2] = ["agent", "user"];

    /// Whether `s` has this format (for string formats; number formats accept any string).
    #[inline]
    pub fn accepts_str(self, s: &str) -> bool {
        match self {
            Format::Any | Format::NonNegative => true,
            Format::NonEmpty => !s.is_empty(),
            Format::E164 => crate::formats::is_e164(s),
            Format::Rfc3339 => crate::formats::is_rfc3339(s),
            Format::HttpsUrl => crate::formats::is_https_url(s),
            Format::Role => Format::ROLES.contains(&s),
        }
    }

    /// Whether the number `x` has this format.
    #[inline]
    pub fn accepts_number(self, x: f64) -> bool {
        // `-0.0` is not below zero.
        self != Format::NonNegative || x >= 0.0
    }

    /// How issues say what was expected, e.g. `an E.164 phone number such as "+15551234567"`.
    pub fn expected(self) -> &'static str {
        match self {
            Format::Any => "a value",
            Format::NonEmpty => "a non-empty string",
            Format::E164 => "an E.164 phone number such as \"+15551234567\"",
            Format::Rfc3339 => "an RFC 3339 date-time such as \"2026-06-01T10:00:00Z\"",
            Format::HttpsUrl => "an absolute https URL with a host",
            Format::Role => "\"agent\" or \"user\"",
            Format::NonNegative => "a number ≥ 0",
        }
    }
}

/// The JSON type of a field.
#[derive(Debug, Clone, Copy)]
pub enum Type {
    /// A string.
    String,
    /// A number (an integer or not).
    Number,
    /// A boolean.
    Bool,
    /// An object whose members the contract does not type (`extracted_data`).
    Object,
    /// An object of the contract (`analysis`).
    Record(&'static Shape),
    /// An array of objects of the contract (`messages`).
    List(&'static Shape),
}

/// One field of an event or of a nested object.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The wire name.
    pub name: &'static str,
    /// What it holds, for documentation (the Rust doc comment).
    pub doc: &'static str,
    /// The JSON type.
    pub ty: Type,
    /// When it must be there.
    pub presence: Presence,
    /// What its value must look like.
    pub format: Format,
    /// Whether its values tend to repeat from one event to the next (a builder may share
    /// equal strings: [`Builder::repeated_str`](crate::build::Builder::repeated_str)).
    pub repeats: bool,
}

/// The rules of a field, without its name and type (which the description adds).
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// When it must be there.
    pub presence: Presence,
    /// What its value must look like.
    pub format: Format,
    /// Whether its values repeat between events.
    pub repeats: bool,
}

/// The rule of `call_id`, the field every event has: a non-empty string, in both modes.
pub const CALL_ID: Spec = Spec::ALWAYS.format(Format::NonEmpty);

/// The rule of `agent_id`, on every call event: a non-empty string in strict mode, the same
/// in most events of an account.
pub const AGENT_ID: Spec = Spec::STRICT.format(Format::NonEmpty).repeats();

/// The rule of `to_number` and `from_number`: an E.164 number in strict mode, the same in
/// many events of an account.
pub const PHONE_NUMBER: Spec = Spec::STRICT.format(Format::E164).repeats();

impl Spec {
    /// Required in both modes.
    pub const ALWAYS: Spec = Spec::new(Presence::Always);
    /// Required in strict mode.
    pub const STRICT: Spec = Spec::new(Presence::Strict);
    /// Never required.
    pub const OPTIONAL: Spec = Spec::new(Presence::Optional);

    const fn new(presence: Presence) -> Spec {
        Spec {
            presence,
            format: Format::Any,
            repeats: false,
        }
    }

    /// With a format.
    pub const fn format(self, format: Format) -> Spec {
        Spec { format, ..self }
    }

    /// Marked as repeating.
    pub const fn repeats(self) -> Spec {
        Spec {
            repeats: true,
            ..self
        }
    }

    /// The field's full description.
    pub const fn field(self, name: &'static str, doc: &'static str, ty: Type) -> FieldSpec {
        FieldSpec {
            name,
            doc,
            ty,
            presence: self.presence,
            format: self.format,
            repeats: self.repeats,
        }
    }
}

impl FieldSpec {
    /// Whether the field must be present (and non-null) in this mode.
    #[inline]
    pub fn required(&self, strict: bool) -> bool {
        match self.presence {
            Presence::Always => true,
            Presence::Strict => strict,
            Presence::Optional => false,
        }
    }

    /// Whether its format is checked in this mode.
    #[inline]
    pub fn checks_format(&self, strict: bool) -> bool {
        strict || self.presence == Presence::Always
    }
}

/// An object of the contract: an event, `analysis`, or a transcript message.
#[derive(Debug)]
pub struct Shape {
    /// The event for an event's shape.
    pub kind: Option<Kind>,
    /// The nested object for an object's shape.
    pub object: Option<ObjectKind>,
    /// The event name (`call.ended`), or the object's Rust name (`Analysis`, `Message`).
    pub name: &'static str,
    /// How issues name the object's owner: the event name, `analysis`, `a message`.
    pub label: &'static str,
    /// How issues say this object was expected, e.g. `an object {role, content}`.
    pub expected: &'static str,
    /// How issues say an array of these was expected.
    pub list_expected: &'static str,
    /// What it is, for documentation.
    pub doc: &'static str,
    /// Its fields in the guide's order (for an event, `call_id` first).
    pub fields: &'static [FieldSpec],
    /// The fields required in lenient mode (bit `i` for `fields[i]`).
    pub required_lenient: u32,
    /// The fields required in strict mode.
    pub required_strict: u32,
    /// Its members in the order RFC 8785 writes them (see [`Shape::canonical`]).
    pub(crate) canonical: [u8; MAX_MEMBERS],
    /// How many entries of `canonical` count.
    pub(crate) canonical_len: u8,
}

/// The most members a shape's object has: every field and an event's `event`.
pub(crate) const MAX_MEMBERS: usize = 33;

impl Shape {
    /// The index in [`Shape::fields`] of the field named `key`.
    #[inline]
    pub fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| same(f.name, key))
    }

    /// Stands for an event's `event` member in [`Shape::canonical`].
    pub(crate) const EVENT_MEMBER: u8 = u8::MAX;

    /// Its members in the order RFC 8785 writes them, by their names' UTF-16 code units
    /// (the names are ASCII, so by bytes): indexes into [`Shape::fields`], and
    /// [`Shape::EVENT_MEMBER`] for an event's `event` member. Worked out once, at compile
    /// time, so the dedupe key sorts no documented member.
    #[inline]
    pub(crate) fn canonical(&self) -> &[u8] {
        self.canonical
            .get(..usize::from(self.canonical_len))
            .unwrap_or_default()
    }

    /// The set of the fields required in this mode (bit `i` for `fields[i]`).
    #[inline]
    pub fn required(&self, strict: bool) -> u32 {
        if strict {
            self.required_strict
        } else {
            self.required_lenient
        }
    }
}

impl Shape {
    /// The shape with its required sets worked out from its fields.
    const fn new(shape: Shape) -> Shape {
        let (canonical, canonical_len) = canonical_order(shape.fields, shape.kind.is_some());
        Shape {
            required_lenient: required_mask(shape.fields, false),
            required_strict: required_mask(shape.fields, true),
            canonical,
            canonical_len,
            ..shape
        }
    }
}

/// [`Shape::canonical`] of an object with these fields (and an `event` member first when
/// `event`): an insertion sort by name, at compile time. Two names whose first differing
/// byte is not ASCII (where byte order might not be UTF-16 order) fail the build.
// Evaluated at compile time only (`Shape::new` in const items): an index out of bounds fails
// the build, never a host.
#[allow(clippy::indexing_slicing)]
const fn canonical_order(fields: &[FieldSpec], event: bool) -> ([u8; MAX_MEMBERS], u8) {
    const fn name(fields: &[FieldSpec], member: u8) -> &'static [u8] {
        if member == Shape::EVENT_MEMBER {
            b"event"
        } else {
            fields[member as usize].name.as_bytes()
        }
    }
    const fn less(a: &[u8], b: &[u8]) -> bool {
        let mut i = 0;
        while i < a.len() && i < b.len() {
            assert!(a[i] < 0x80 && b[i] < 0x80, "a contract name is not ASCII");
            if a[i] != b[i] {
                return a[i] < b[i];
            }
            i += 1;
        }
        a.len() < b.len()
    }
    assert!(fields.len() < MAX_MEMBERS);
    let mut order = [0u8; MAX_MEMBERS];
    let mut n = 0;
    if event {
        order[0] = Shape::EVENT_MEMBER;
        n = 1;
    }
    let mut i = 0;
    while i < fields.len() {
        order[n] = i as u8;
        n += 1;
        i += 1;
    }
    let mut a = 1;
    while a < n {
        let mut b = a;
        while b > 0 && less(name(fields, order[b]), name(fields, order[b - 1])) {
            let t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
            b -= 1;
        }
        a += 1;
    }
    (order, n as u8)
}

/// `a == b` for short strings such as field names: two overlapping word loads instead of a
/// call to `memcmp` (a field name is compared for every member of every event).
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word8(s: &[u8], at: usize) -> Option<u64> {
        let w: [u8; 8] = s.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_ne_bytes(w))
    }
    fn word4(s: &[u8], at: usize) -> Option<u32> {
        let w: [u8; 4] = s.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_ne_bytes(w))
    }
    match n {
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        _ => a == b,
    }
}

/// The set of the fields of `fields` required in this mode.
const fn required_mask(fields: &[FieldSpec], strict: bool) -> u32 {
    let mut mask = 0;
    let mut rest = fields;
    let mut bit = 1;
    while let [first, tail @ ..] = rest {
        let required = match first.presence {
            Presence::Always => true,
            Presence::Strict => strict,
            Presence::Optional => false,
        };
        if required {
            mask |= bit;
        }
        bit <<= 1;
        rest = tail;
    }
    mask
}

/// A Rust type made from the contract, and its shape.
pub trait HasShape {
    /// Its fields and their rules.
    const SHAPE: &'static Shape;
}

/// The largest of `counts` (0 for none).
const fn max(counts: &[usize]) -> usize {
    match counts {
        [first, rest @ ..] => {
            let rest = max(rest);
            if *first > rest {
                *first
            } else {
                rest
            }
        }
        [] => 0,
    }
}

/// The type of a field's Rust type (what the description's types mean on the wire).
pub trait FieldType {
    /// The JSON type.
    const TYPE: Type;
}

impl FieldType for String {
    const TYPE: Type = Type::String;
}
impl FieldType for Option<String> {
    const TYPE: Type = Type::String;
}
impl FieldType for Option<Number> {
    const TYPE: Type = Type::Number;
}
impl FieldType for Option<Object> {
    const TYPE: Type = Type::Object;
}
impl FieldType for Option<bool> {
    const TYPE: Type = Type::Bool;
}
impl FieldType for Option<crate::events::Role> {
    const TYPE: Type = Type::String;
}

/// The contract. Calls `$callback!` with every event and nested object and their fields:
///
/// ```text
/// events { $( #[doc] Name = "wire.name" { $( #[doc] field: RustType = spec, )* } )* }
/// objects { $( #[doc] Name = "label", "expected", "list expected" { ...fields } )* }
/// ```
///
/// `RustType` is the field's type in the Rust struct (`Option<_>` unless the field is
/// [`Presence::Always`]); `spec` is a [`Spec`] expression.
#[doc(hidden)]
#[macro_export]
macro_rules! contract {
    ($callback:ident) => {
        $callback! {
            events {
                /// `call.started`: the call connected and the agent began the session.
                CallStarted = "call.started" {
                    /// The call this event belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The agent handling the call.
                    agent_id: Option<String> = $crate::contract::AGENT_ID,
                    /// The called number (E.164).
                    to_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// The calling number (E.164).
                    from_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// When the call started, an RFC 3339 date-time such as `2026-06-01T10:00:00Z`.
                    created_at: Option<String> = $crate::contract::Spec::STRICT
                        .format($crate::contract::Format::Rfc3339),
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `call.ended`: the call ended (agent or caller hung up). Carries the outcome and summary.
                CallEnded = "call.ended" {
                    /// The call this event belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The agent that handled the call.
                    agent_id: Option<String> = $crate::contract::AGENT_ID,
                    /// The call status, e.g. `completed`; unknown values are kept as sent.
                    status: Option<String> = $crate::contract::Spec::STRICT.repeats(),
                    /// How long the call lasted, in seconds (an integer or a number on the wire).
                    duration_seconds: Option<$crate::contract::Number> = $crate::contract::Spec::STRICT
                        .format($crate::contract::Format::NonNegative),
                    /// The called number (E.164).
                    to_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// The calling number (E.164).
                    from_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// The call outcome, e.g. `Appointment Booked`; unknown values are kept as sent.
                    outcome: Option<String> = $crate::contract::Spec::STRICT.repeats(),
                    /// The AI-written summary of the call.
                    ai_summary: Option<String> = $crate::contract::Spec::STRICT,
                    /// The call analysis.
                    analysis: Option<$crate::events::Analysis> = $crate::contract::Spec::STRICT,
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `call.analyzed`: the AI analysis (summary, outcome) is ready after the call.
                CallAnalyzed = "call.analyzed" {
                    /// The call this event belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The agent that handled the call.
                    agent_id: Option<String> = $crate::contract::AGENT_ID,
                    /// The call outcome; unknown values are kept as sent.
                    outcome: Option<String> = $crate::contract::Spec::STRICT.repeats(),
                    /// The AI-written summary of the call.
                    ai_summary: Option<String> = $crate::contract::Spec::STRICT,
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `call.failed`: the call failed to connect.
                CallFailed = "call.failed" {
                    /// The call this event belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The agent that placed the call.
                    agent_id: Option<String> = $crate::contract::AGENT_ID,
                    /// The called number (E.164).
                    to_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// The calling number (E.164).
                    from_number: Option<String> = $crate::contract::PHONE_NUMBER,
                    /// Why the call failed, e.g. `no-answer`; unknown values are kept as sent.
                    reason: Option<String> = $crate::contract::Spec::STRICT.repeats(),
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `call.recording.available`: the recording is processed and ready.
                CallRecordingAvailable = "call.recording.available" {
                    /// The call this event belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// Where to fetch the recording (an `https` URL; it may be a signed URL that expires).
                    recording_url: Option<String> = $crate::contract::Spec::STRICT
                        .format($crate::contract::Format::HttpsUrl),
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `transcript.partial`: a partial transcript during a live call; later updates may change it.
                TranscriptPartial = "transcript.partial" {
                    /// The call this transcript belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The conversation so far, in order.
                    messages: Vec<$crate::events::Message> = $crate::contract::Spec::ALWAYS,
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
                /// `transcript.final`: the full transcript, sent after `call.ended`.
                TranscriptFinal = "transcript.final" {
                    /// The call this transcript belongs to (a non-empty string).
                    call_id: String = $crate::contract::CALL_ID,
                    /// The whole conversation, in order.
                    messages: Vec<$crate::events::Message> = $crate::contract::Spec::ALWAYS,
                    /// Set by this SDK, never sent by OneInbox: `true` on an event that a reconciler synthesized from the call's `GET /v1/calls/{id}` snapshot because no delivery brought it (its dedupe key is `<event>:<call_id>:reconciled`).
                    reconciled: Option<bool> = $crate::contract::Spec::OPTIONAL,
                }
            }
            objects {
                /// The `analysis` object of `call.ended`.
                ///
                /// The guide shows `{ "summary": ... }`; the API's call record also documents
                /// `outcome` and `extracted_data`. Strict mode requires `summary` and allows those
                /// two; lenient mode keeps any other member in `extra`.
                Analysis = "analysis", "an object", "an array of objects" {
                    /// The summary of the call.
                    summary: Option<String> = $crate::contract::Spec::STRICT,
                    /// The outcome, when the analysis carries one.
                    outcome: Option<String> = $crate::contract::Spec::OPTIONAL.repeats(),
                    /// Data extracted by the agent's tools, keyed by tool name.
                    extracted_data: Option<$crate::contract::Object> = $crate::contract::Spec::OPTIONAL,
                }
                /// One turn of a conversation.
                Message = "a message", "an object {role, content}", "an array of {role, content} objects" {
                    /// Who spoke: `agent` or `user` (other values are kept as sent in lenient mode).
                    role: Option<$crate::events::Role> = $crate::contract::Spec::STRICT
                        .format($crate::contract::Format::Role).repeats(),
                    /// What was said.
                    content: Option<String> = $crate::contract::Spec::STRICT,
                }
            }
        }
    };
}

/// Makes the table from the description: [`Kind`], the shapes, and [`FieldType`] for the
/// nested objects.
macro_rules! table {
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
        /// One of the seven documented events.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum Kind {
            $( $(#[doc = $edoc])* $event, )*
        }

        impl Kind {
            /// Every event, in the guide's order.
            pub const ALL: &'static [Kind] = &[$(Kind::$event),*];

            /// The event of a wire name; `None` for a name this version does not know.
            pub fn from_name(name: &str) -> Option<Kind> {
                match name {
                    $( $wire => Some(Kind::$event), )*
                    _ => None,
                }
            }

            /// The wire name, e.g. `"call.ended"`.
            pub fn name(self) -> &'static str {
                match self {
                    $( Kind::$event => $wire, )*
                }
            }

            /// The event's fields and their rules.
            pub fn shape(self) -> &'static Shape {
                match self {
                    $( Kind::$event => &shapes::$event, )*
                }
            }
        }

        /// One of the nested objects of the contract.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum ObjectKind {
            $( $(#[doc = $odoc])* $object, )*
        }

        /// The shapes, one constant each.
        #[allow(non_upper_case_globals)]
        mod shapes {
            use super::*;
            $(
                pub(super) const $event: Shape = Shape::new(Shape {
                    kind: Some(Kind::$event),
                    object: None,
                    name: $wire,
                    label: $wire,
                    expected: "an object",
                    list_expected: "an array of objects",
                    doc: concat!($($edoc, "\n"),*),
                    required_lenient: 0,
                    required_strict: 0,
                    canonical: [0; MAX_MEMBERS],
                    canonical_len: 0,
                    fields: &[$(
                        $spec.field(
                            stringify!($field),
                            concat!($($fdoc, "\n"),*),
                            <$ty as FieldType>::TYPE,
                        ),
                    )*],
                });
            )*
            $(
                pub(super) const $object: Shape = Shape::new(Shape {
                    kind: None,
                    object: Some(ObjectKind::$object),
                    name: stringify!($object),
                    label: $label,
                    expected: $expected,
                    list_expected: $list_expected,
                    doc: concat!($($odoc, "\n"),*),
                    required_lenient: 0,
                    required_strict: 0,
                    canonical: [0; MAX_MEMBERS],
                    canonical_len: 0,
                    fields: &[$(
                        $ospec.field(
                            stringify!($ofield),
                            concat!($($ofdoc, "\n"),*),
                            <$oty as FieldType>::TYPE,
                        ),
                    )*],
                });
            )*
        }

        $(
            impl FieldType for Option<crate::events::$object> {
                const TYPE: Type = Type::Record(&shapes::$object);
            }
            impl FieldType for Vec<crate::events::$object> {
                const TYPE: Type = Type::List(&shapes::$object);
            }
        )*

        $(
            impl HasShape for crate::events::$event {
                const SHAPE: &'static Shape = &shapes::$event;
            }
        )*
        $(
            impl HasShape for crate::events::$object {
                const SHAPE: &'static Shape = &shapes::$object;
            }
        )*

        /// The nested objects' shapes, by Rust name.
        pub const OBJECTS: &[&Shape] = &[$(&shapes::$object),*];

        /// The most fields any shape has (the parser keeps one slot per field).
        pub const MAX_FIELDS: usize = max(&[
            $( [$(stringify!($field)),*].len(), )*
            $( [$(stringify!($ofield)),*].len(), )*
        ]);
        // Each shape's fields are marked in a 32-bit set.
        const _: () = assert!(MAX_FIELDS <= 32);
    };
}

crate::contract!(table);

/// The shape of `analysis`.
pub static ANALYSIS: &Shape = &shapes::Analysis;
/// The shape of one transcript message.
pub static MESSAGE: &Shape = &shapes::Message;
