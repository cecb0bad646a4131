//! The dedupe key (and what a record reads) of a body, made during its one parse.
//!
//! A builder ([`Canon`]) receives the values the pass accepts and keeps them as a light tree
//! ([`Tree`]: static member names, no map, no hashing), which is written as canonical text
//! (RFC 8785) for the key. That text is the one [`dedupe_key`](super::dedupe_key) hashes for
//! the event the same parse makes: a documented field that is `null` or absent is left out,
//! as the event's wire form leaves it out, and an unknown event is its payload. The tests
//! hold the two to the same key for every fixture.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;

use serde_json::{Number, Value};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::key::{
    canonical_owned, key_text, member_cmp, reconciled_key, write_number, write_str, KeyedEvent,
    RECONCILED,
};
use super::{analysis_member, Field, Val};
use crate::build::{BuildError, Builder, Members, Shape, UnknownParts};
use crate::events::Analysis;
use crate::{ParseOptions, ValidationError};

impl ParseOptions {
    /// The [`dedupe_key`](crate::dedupe_key) of the event [`parse`](ParseOptions::parse)
    /// makes of `body` (the same string), or the same [`ValidationError`], without making
    /// the event: for a host that holds an event's body or JSON text and needs its key (the
    /// Node binding does).
    ///
    /// ```
    /// use oneinbox_webhooks::{dedupe_key, ParseOptions};
    ///
    /// let body = br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87,"x":[1.0]}"#;
    /// let opts = ParseOptions::default();
    /// assert_eq!(opts.dedupe_key(body)?, dedupe_key(&opts.parse(body)?));
    /// # Ok::<(), oneinbox_webhooks::ValidationError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The [`ValidationError`] `parse` returns for `body`.
    pub fn dedupe_key(&self, body: &[u8]) -> Result<String, ValidationError> {
        let (tree, name, call_id) = self.tree(body)?;
        Ok(tree_key(&tree, &name, &call_id, body.len()))
    }

    /// The event's tree, name and call id.
    fn tree(&self, body: &[u8]) -> Result<(Tree, Cow<'static, str>, Arc<str>), ValidationError> {
        let mut canon = Canon::default();
        match self.parse_with(body, &mut canon) {
            Ok(tree) => Ok((tree, canon.name, canon.call_id)),
            Err(BuildError::Invalid(e)) => Err(e),
            Err(BuildError::Host(never)) => match never {},
        }
    }
}

impl KeyedEvent {
    /// The key of the event [`ParseOptions::parse`] makes of `body`, and what a
    /// [`CallRecord`](super::CallRecord) reads of it, made in the same one pass without
    /// making the event; or the same [`ValidationError`]. For a host that keeps the validated
    /// body of an event it has handed out (the Python binding does) or holds its JSON text
    /// (the Node binding).
    ///
    /// ```
    /// use oneinbox_webhooks::{CallRecord, KeyedEvent, ParseOptions};
    ///
    /// let body = br#"{"event":"call.ended","call_id":"call_1","outcome":"Voicemail","x":[1.0]}"#;
    /// let opts = ParseOptions::default();
    /// let event = opts.parse(body)?;
    /// let keyed = KeyedEvent::parse(&opts, body)?;
    /// assert_eq!(keyed.key(), KeyedEvent::new(&event).key());
    /// let (mut a, mut b) = (CallRecord::new("call_1"), CallRecord::new("call_1"));
    /// assert_eq!(a.apply_keyed(&keyed), b.apply(&event));
    /// assert_eq!(a, b);
    /// # Ok::<(), oneinbox_webhooks::ValidationError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The [`ValidationError`] `parse` returns for `body`.
    pub fn parse(opts: &ParseOptions, body: &[u8]) -> Result<KeyedEvent, ValidationError> {
        let (tree, name, call_id) = opts.tree(body)?;
        let key = tree_key(&tree, &name, &call_id, body.len());
        let mut members = match tree {
            Tree::Object(members) => members,
            _ => Vec::new(),
        };
        // Only the members a record reads are made into values.
        let values = Field::values_of(&name, |field, member| {
            let at = members.iter().position(|(m, _)| m == member)?;
            members.swap_remove(at).1.into_val(field)
        });
        Ok(KeyedEvent {
            name,
            call_id,
            values: Arc::new(values),
            key: Arc::from(key),
        })
    }
}

/// The dedupe key of the event `tree` (see [`dedupe_key`](super::dedupe_key)).
fn tree_key(tree: &Tree, name: &str, call_id: &str, size_hint: usize) -> String {
    let reconciled = matches!(tree, Tree::Object(members)
        if members.iter().any(|(k, v)| k == RECONCILED && matches!(v, Tree::Bool(true))));
    if reconciled {
        reconciled_key(name, call_id)
    } else {
        key_text(name, call_id, digest(tree, size_hint).as_ref())
    }
}

/// The SHA-256 of the canonical text of `tree`.
fn digest(tree: &Tree, size_hint: usize) -> impl AsRef<[u8]> {
    let mut text = Vec::with_capacity(size_hint);
    tree.write(&mut text);
    Sha256::digest(&text)
}

/// A JSON value as the builder keeps it.
#[derive(Debug)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    /// A string the contract names (an event's name).
    Static(&'static str),
    Array(Vec<Tree>),
    /// Members in document order (sorted when written).
    Object(Vec<(Cow<'static, str>, Tree)>),
}

impl Tree {
    /// Appends the canonical text.
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Tree::Null => out.extend_from_slice(b"null"),
            Tree::Bool(true) => out.extend_from_slice(b"true"),
            Tree::Bool(false) => out.extend_from_slice(b"false"),
            // A JSON number is the double it denotes (RFC 8785).
            Tree::I64(v) => write_number(*v as f64, out),
            Tree::U64(v) => write_number(*v as f64, out),
            Tree::F64(v) => write_number(*v, out),
            Tree::Str(s) => write_str(s, out),
            Tree::Static(s) => write_str(s, out),
            Tree::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Tree::Object(members) => {
                let mut sorted: SmallVec<[&(Cow<'static, str>, Tree); 16]> =
                    members.iter().collect();
                sorted.sort_unstable_by(|a, b| member_cmp(&a.0, &b.0));
                out.push(b'{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(k, out);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }

    /// The value `field` of a record takes from this member ([`Field::value_of`] of its
    /// JSON value); an analysis is read straight from its members, with no map made first.
    fn into_val(self, field: Field) -> Option<Val> {
        match (field, self) {
            (Field::Analysis, Tree::Object(mut members)) => {
                members.sort_unstable_by(|a, b| member_cmp(&a.0, &b.0));
                let mut analysis = Analysis::default();
                for (k, v) in members {
                    analysis_member(&mut analysis, k, canonical_owned(v.into_value()));
                }
                Some(Val::Analysis(Box::new(analysis)))
            }
            (field, tree) => field.value_of(tree.into_value()),
        }
    }

    /// The `serde_json` value (what the event's wire form holds).
    fn into_value(self) -> Value {
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(b),
            Tree::I64(v) => Value::from(v),
            Tree::U64(v) => Value::from(v),
            Tree::F64(v) => Number::from_f64(v).map_or(Value::Null, Value::Number),
            Tree::Str(s) => Value::String(s),
            Tree::Static(s) => Value::String(s.to_owned()),
            Tree::Array(items) => Value::Array(items.into_iter().map(Tree::into_value).collect()),
            Tree::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_value()))
                    .collect(),
            ),
        }
    }

    fn into_string(self) -> String {
        match self {
            Tree::Str(s) => s,
            Tree::Static(s) => s.to_owned(),
            // Keys and the name and call id of an event are strings.
            _ => String::new(),
        }
    }
}

/// The builder; the event's name and call id once the event is made.
#[derive(Default)]
struct Canon {
    name: Cow<'static, str>,
    call_id: Arc<str>,
}

impl Builder for Canon {
    type Value = Tree;
    type Error = Infallible;

    fn null(&mut self) -> Result<Tree, Infallible> {
        Ok(Tree::Null)
    }
    fn bool(&mut self, v: bool) -> Result<Tree, Infallible> {
        Ok(Tree::Bool(v))
    }
    fn i64(&mut self, v: i64) -> Result<Tree, Infallible> {
        Ok(Tree::I64(v))
    }
    fn u64(&mut self, v: u64) -> Result<Tree, Infallible> {
        Ok(Tree::U64(v))
    }
    fn f64(&mut self, v: f64) -> Result<Tree, Infallible> {
        Ok(Tree::F64(v))
    }
    fn str(&mut self, v: &str) -> Result<Tree, Infallible> {
        Ok(Tree::Str(v.to_owned()))
    }
    fn array(&mut self, items: Vec<Tree>) -> Result<Tree, Infallible> {
        Ok(Tree::Array(items))
    }
    fn object(&mut self, members: Members<Tree>) -> Result<Tree, Infallible> {
        Ok(Tree::Object(
            members
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_string()), v))
                .collect(),
        ))
    }
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Tree>],
        extra: Option<Tree>,
    ) -> Result<Tree, Infallible> {
        let mut members = Vec::with_capacity(values.len() + 1);
        if let Some(kind) = shape.kind {
            self.name = Cow::Borrowed(kind.name());
            members.push((Cow::Borrowed("event"), Tree::Static(kind.name())));
        }
        for (field, slot) in shape.fields.iter().zip(values.iter_mut()) {
            if let Some(v) = slot.take() {
                if shape.kind.is_some() && field.name == "call_id" {
                    if let Tree::Str(id) = &v {
                        self.call_id = Arc::from(id.as_str());
                    }
                }
                members.push((Cow::Borrowed(field.name), v));
            }
        }
        if let Some(Tree::Object(more)) = extra {
            members.extend(more);
        }
        Ok(Tree::Object(members))
    }
    fn unknown_event(&mut self, parts: UnknownParts<Tree>) -> Result<Tree, Infallible> {
        self.name = Cow::Owned(parts.event.into_string());
        self.call_id = Arc::from(parts.call_id.into_string());
        Ok(parts.payload)
    }
}

#[cfg(test)]
mod tests {
    use crate::{dedupe_key, CallRecord, KeyedEvent, ParseOptions};

    /// For `body`: the key from the body is the key of the event `parse` makes, and the
    /// record applying the body's `KeyedEvent` is the record applying the event.
    fn check(opts: &ParseOptions, body: &[u8], what: &str) -> bool {
        match opts.parse(body) {
            Ok(event) => {
                let key = dedupe_key(&event);
                assert_eq!(opts.dedupe_key(body).unwrap(), key, "{what}");
                let keyed = KeyedEvent::parse(opts, body).unwrap();
                assert_eq!(keyed.key(), key, "{what}");
                assert_eq!(keyed.name(), event.name(), "{what}");
                assert_eq!(keyed.call_id(), event.call_id(), "{what}");
                let mut a = CallRecord::new(event.call_id());
                let mut b = a.clone();
                assert_eq!(a.apply_keyed(&keyed), b.apply(&event), "{what}");
                assert_eq!(a, b, "{what}");
                assert_eq!(a.to_json(), b.to_json(), "{what}");
                true
            }
            Err(e) => {
                assert_eq!(opts.dedupe_key(body).unwrap_err(), e, "{what}");
                assert_eq!(KeyedEvent::parse(opts, body).unwrap_err(), e, "{what}");
                false
            }
        }
    }

    /// Every fixture body, in each mode.
    #[test]
    fn every_fixture_body_gives_the_key_and_record_of_its_event() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/events");
        let mut keyed = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let fixture: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let body = match (fixture.get("body_text"), fixture.get("body")) {
                (Some(serde_json::Value::String(text)), _) => text.clone().into_bytes(),
                (_, Some(body)) => serde_json::to_vec(body).unwrap(),
                _ => continue,
            };
            for strict in [false, true] {
                let opts = ParseOptions {
                    strict,
                    ..ParseOptions::default()
                };
                keyed += usize::from(check(&opts, &body, &format!("{path:?} strict={strict}")));
            }
        }
        assert!(keyed > 200, "{keyed}");
    }

    #[test]
    fn nested_unknown_members_nulls_and_numbers() {
        let bodies: [&[u8]; 7] = [
            br#"{"event":"call.ended","call_id":"c","outcome":null,"duration_seconds":87.0,"x":{"b":[1.0,null,{"z":1e2,"a":"\u00e9"}],"a":-0.0}}"#,
            br#"{"event":"call.analyzed","call_id":"c","analysis":{"summary":"s","extracted_data":{"k":[true,false]},"more":1}}"#,
            br#"{"event":"call.ended","call_id":"c","analysis":{"summary":"s","outcome":null,"extracted_data":{"b":1,"a":2.50}}}"#,
            br#"{"event":"transcript.final","call_id":"c","messages":[{"role":"user","content":"hi","t":1.5},{"content":"\n","role":"agent"}]}"#,
            br#"{"call_id":"a:b","event":"call.transferred","to":{"\ud83d\ude00":1,"\ufb33":2},"n":18446744073709551615}"#,
            br#"{"event":"call.failed","call_id":"c","reason":"busy","agent_id":null,"x":9007199254740993}"#,
            br#"{"event":"call.started","call_id":"c\"\\\u0001","created_at":"2026-06-01T10:00:00Z","x":-12345678901234567890}"#,
        ];
        for body in bodies {
            let what = String::from_utf8_lossy(body);
            assert!(check(&ParseOptions::default(), body, &what), "{what}");
        }
    }
}
