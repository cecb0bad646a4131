//! [`ParseOptions::validate`]: the verdict of [`ParseOptions::parse`] without building the
//! event, for callers that build the value themselves (the Node binding hands the validated
//! bytes to `JSON.parse`).
//!
//! A fast, allocation-free pass over the body (strings and keys are borrowed) answers "valid
//! for sure" for the common case. Anything else (a problem, or a rare shape it does not
//! handle: `event` not first, an escaped key, a huge object) falls back to the full parser,
//! which reports the issues. So the issues are always the full parser's, and the fast pass
//! only has to be sound: it never says "valid" for a body that `parse` rejects (checked over
//! every shared fixture by `tests/event_fixtures.rs`).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::ValidationError;
use crate::formats;
use crate::parse::{Field, Kind, ParseOptions};

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
        if self.surely_valid(body) {
            Ok(())
        } else {
            self.parse(body).map(|_| ())
        }
    }

    /// `true` only if `parse` accepts the body; `false` when it does not or when unsure.
    fn surely_valid(&self, body: &[u8]) -> bool {
        if body.len() > self.max_body_bytes {
            return false;
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return false;
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let top = Top {
            strict: self.strict,
            max_depth: self.max_depth.min(crate::parse::MAX_DEPTH_CEILING),
        };
        top.deserialize(&mut de).is_ok() && de.end().is_ok()
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

/// The keys of one object: on the stack for small objects.
struct Keys<'de> {
    small: [&'de str; 16],
    len: usize,
    spill: Vec<&'de str>,
}

impl<'de> Keys<'de> {
    fn new() -> Self {
        Keys {
            small: [""; 16],
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Adds a key; `false` if it was already there.
    fn insert(&mut self, key: &'de str) -> bool {
        let seen = self.small.iter().take(self.len).any(|k| *k == key) || self.spill.contains(&key);
        if seen || self.spill.len() > 512 {
            return false;
        }
        match self.small.get_mut(self.len) {
            Some(slot) => {
                *slot = key;
                self.len += 1;
            }
            None => self.spill.push(key),
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Any value: depth, duplicate keys, valid strings

#[derive(Clone, Copy)]
struct Any {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for Any {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Any {
    type Value = ();
    expecting!("any JSON value");

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            no()
        }
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth > self.max_depth {
            return no();
        }
        let inner = Any {
            depth: self.depth + 1,
            ..self
        };
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth > self.max_depth {
            return no();
        }
        let inner = Any {
            depth: self.depth + 1,
            ..self
        };
        let mut keys = Keys::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if !keys.insert(key) {
                return no();
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Typed fields

/// A string field: `null` allowed when `nullable`, the string checked by `ok`.
struct Str {
    nullable: bool,
    ok: fn(&str) -> bool,
}

fn any_str(_: &str) -> bool {
    true
}

fn non_empty(s: &str) -> bool {
    !s.is_empty()
}

impl<'de> DeserializeSeed<'de> for Str {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = ();
    expecting!("a string");

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if (self.ok)(v) {
            Ok(())
        } else {
            no()
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.nullable {
            Ok(())
        } else {
            no()
        }
    }
}

/// `duration_seconds`: a number (≥ 0 in strict mode), `null` in lenient mode.
struct Duration {
    strict: bool,
}

impl<'de> DeserializeSeed<'de> for Duration {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Duration {
    type Value = ();
    expecting!("a number");

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        if self.strict && v < 0 {
            no()
        } else {
            Ok(())
        }
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // `-0.0` is not below zero, as in `parse`.
        if !v.is_finite() || (self.strict && v < 0.0) {
            no()
        } else {
            Ok(())
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.strict {
            no()
        } else {
            Ok(())
        }
    }
}

/// `messages`: an array of message objects (never `null`).
struct Messages {
    strict: bool,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for Messages {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Messages {
    type Value = ();
    expecting!("an array of messages");

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if 2 > self.max_depth {
            return no();
        }
        while seq
            .next_element_seed(Message {
                strict: self.strict,
                max_depth: self.max_depth,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct Message {
    strict: bool,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for Message {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn is_role(s: &str) -> bool {
    s == "agent" || s == "user"
}

impl<'de> Visitor<'de> for Message {
    type Value = ();
    expecting!("a message object");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if 3 > self.max_depth {
            return no();
        }
        let strict = self.strict;
        let value = Any {
            depth: 4,
            max_depth: self.max_depth,
        };
        let (mut role, mut content) = (false, false);
        let mut keys = Keys::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let (flag, ok): (&mut bool, fn(&str) -> bool) = match key {
                "role" => (&mut role, if strict { is_role } else { any_str }),
                "content" => (&mut content, any_str),
                _ => {
                    if strict || !keys.insert(key) {
                        return no();
                    }
                    map.next_value_seed(value)?;
                    continue;
                }
            };
            if std::mem::replace(flag, true) {
                return no();
            }
            map.next_value_seed(Str {
                nullable: !strict,
                ok,
            })?;
        }
        if strict && !(role && content) {
            return no();
        }
        Ok(())
    }
}

/// `analysis`: an object (`null` in lenient mode).
struct AnalysisV {
    strict: bool,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for AnalysisV {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnalysisV {
    type Value = ();
    expecting!("an analysis object");

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.strict {
            no()
        } else {
            Ok(())
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if 2 > self.max_depth {
            return no();
        }
        let strict = self.strict;
        let value = Any {
            depth: 3,
            max_depth: self.max_depth,
        };
        let mut seen = [false; 3];
        let mut keys = Keys::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let slot = match key {
                "summary" => 0,
                "outcome" => 1,
                "extracted_data" => 2,
                _ => {
                    if strict || !keys.insert(key) {
                        return no();
                    }
                    map.next_value_seed(value)?;
                    continue;
                }
            };
            match seen.get_mut(slot) {
                Some(flag) if !*flag => *flag = true,
                _ => return no(),
            }
            match slot {
                0 => map.next_value_seed(Str {
                    nullable: !strict,
                    ok: any_str,
                })?,
                1 => map.next_value_seed(Str {
                    nullable: true,
                    ok: any_str,
                })?,
                _ => map.next_value_seed(ObjectOrNull(value))?,
            }
        }
        if strict && !seen[0] {
            return no();
        }
        Ok(())
    }
}

/// `analysis.extracted_data`: an object or `null`, in both modes.
struct ObjectOrNull(Any);

impl<'de> DeserializeSeed<'de> for ObjectOrNull {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectOrNull {
    type Value = ();
    expecting!("an object or null");

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.visit_map(map)
    }
}

// ---------------------------------------------------------------------------------------------
// The top-level object

/// The value of `event`: a known kind, or `None` for an unknown name.
struct EventName;

impl<'de> DeserializeSeed<'de> for EventName {
    type Value = Option<Kind>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Kind>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventName {
    type Value = Option<Kind>;
    expecting!("an event name");

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Kind>, E> {
        Ok(Kind::from_name(v))
    }
}

struct Top {
    strict: bool,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for Top {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = ();
    expecting!("a JSON object");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Top { strict, max_depth } = self;
        if max_depth < 1 {
            return no();
        }
        // OneInbox sends `event` first; any other order is left to the full parser.
        if map.next_key_seed(Key)? != Some("event") {
            return no();
        }
        let kind = map.next_value_seed(EventName)?;
        let value = Any {
            depth: 2,
            max_depth,
        };
        let mut keys = Keys::new();
        keys.insert("event");
        let Some(kind) = kind else {
            // An unknown event: lenient mode keeps it whole; it needs a non-empty `call_id`.
            if strict {
                return no();
            }
            let mut call_id = false;
            while let Some(key) = map.next_key_seed(Key)? {
                if !keys.insert(key) {
                    return no();
                }
                if key == "call_id" {
                    call_id = true;
                    map.next_value_seed(Str {
                        nullable: false,
                        ok: non_empty,
                    })?;
                } else {
                    map.next_value_seed(value)?;
                }
            }
            return if call_id { Ok(()) } else { no() };
        };
        let mut seen = 0u16;
        while let Some(key) = map.next_key_seed(Key)? {
            let field = Field::from_key(key).filter(|f| kind.fields().contains(f));
            let Some(field) = field else {
                if strict || !keys.insert(key) {
                    return no();
                }
                map.next_value_seed(value)?;
                continue;
            };
            if seen & field.bit() != 0 {
                return no();
            }
            seen |= field.bit();
            match field {
                Field::Messages => map.next_value_seed(Messages { strict, max_depth })?,
                Field::Analysis => map.next_value_seed(AnalysisV { strict, max_depth })?,
                Field::DurationSeconds => map.next_value_seed(Duration { strict })?,
                Field::CallId => map.next_value_seed(Str {
                    nullable: false,
                    ok: non_empty,
                })?,
                _ => map.next_value_seed(Str {
                    nullable: !strict,
                    ok: if strict { format_of(field) } else { any_str },
                })?,
            }
        }
        let all_there = kind
            .fields()
            .iter()
            .all(|f| seen & f.bit() != 0 || !(strict || f.always_required()));
        if all_there {
            Ok(())
        } else {
            no()
        }
    }
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
            .surely_valid(body.as_bytes())
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
        assert!(!deep.surely_valid(br#"{"event":"x","call_id":"c","a":{"b":{}}}"#));
        assert!(deep.surely_valid(br#"{"event":"x","call_id":"c","a":{"b":1}}"#));
    }
}
