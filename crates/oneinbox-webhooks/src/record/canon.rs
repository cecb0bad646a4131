//! The dedupe key (and what a record reads) of a body, made during its one parse.
//!
//! A builder ([`Canon`]) receives the values the pass accepts and keeps them as a light tree
//! ([`Tree`]: no map, no hashing, no allocation per string: every string is a span of one
//! text the builder keeps), which is written as canonical text (RFC 8785) for the key. The
//! documented members of an object come already in canonical order (worked out at compile
//! time, [`Shape::canonical`]), so only unknown members are ever sorted. That text is the
//! one [`dedupe_key`](super::dedupe_key) hashes for the event the same parse makes: a
//! documented field that is `null` or absent is left out, as the event's wire form leaves it
//! out, and an unknown event is its payload. The tests hold the two to the same key for
//! every fixture.

use std::borrow::Cow;
use std::convert::Infallible;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use compact_str::CompactString;

use serde_json::{Number, Value};
use smallvec::SmallVec;

use super::key::{
    canonical_owned, make_key, member_cmp, write_number, write_str, KeyedEvent, RECONCILED,
};
use super::{analysis_member, Field, Val, Values};
use crate::build::{BuildError, Builder, Members, Shape, UnknownParts};
use crate::contract::{Kind, MAX_MEMBERS};
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
        let (tree, canon) = self.tree(body)?;
        Ok(tree_key(&tree, &canon, body.len(), |k| k.to_owned()))
    }

    /// The event's tree, and the builder (its text, the event's name and call id).
    fn tree(&self, body: &[u8]) -> Result<(Tree, Canon), ValidationError> {
        let mut canon = Canon {
            text: String::with_capacity(body.len()),
            ..Canon::default()
        };
        match self.parse_with(body, &mut canon) {
            Ok(tree) => Ok((tree, canon)),
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
        let (tree, canon) = opts.tree(body)?;
        let key = tree_key(&tree, &canon, body.len(), |k| Arc::from(k));
        let text = &canon.text;
        // Only the members a record reads are made into values: each documented member's
        // field is known by its index in the event's shape, no name is compared.
        let mut values = Values::default();
        if let Tree::Record(shape, members, _) = tree {
            if let Some(fields) = shape.kind.map(record_fields) {
                for (member, tree) in members {
                    if let Some(&Some((field, at))) = fields.get(usize::from(member)) {
                        if let Some(slot) = values.0.get_mut(at) {
                            *slot = tree.into_val(field, text);
                        }
                    }
                }
            }
        }
        Ok(KeyedEvent {
            name: canon.name,
            call_id: canon.call_id,
            values: Arc::new(values),
            key,
        })
    }
}

/// Per member of a shape (by its index in [`Shape::fields`]), the record field it supplies and
/// that field's place in [`Values`].
type FieldTable = [Option<(Field, usize)>; MAX_MEMBERS];

/// For each member of the event `kind`'s shape (by its index in [`Shape::fields`]), the
/// record field it supplies and that field's place in [`Values`] (see [`Field::sources`]).
fn record_fields(kind: Kind) -> &'static FieldTable {
    static TABLES: OnceLock<Vec<FieldTable>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|kind| {
                let mut table = [None; MAX_MEMBERS];
                for (slot, spec) in table.iter_mut().zip(kind.shape().fields) {
                    *slot = Field::ALL.iter().enumerate().find_map(|(at, field)| {
                        let (member, _) = field.source(kind.name())?;
                        (member == spec.name).then_some((*field, at))
                    });
                }
                table
            })
            .collect()
    });
    let at = Kind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default();
    tables.get(at).unwrap_or(&[None; MAX_MEMBERS])
}

/// The dedupe key of the event `tree` (see [`dedupe_key`](super::dedupe_key)), made into a
/// `String` or an `Arc<str>` by `make` (from a buffer on the stack: one allocation either way).
fn tree_key<K>(tree: &Tree, canon: &Canon, size_hint: usize, make: impl FnOnce(&str) -> K) -> K {
    let text = canon.text.as_str();
    let canonical = (!tree.has_true(RECONCILED, text)).then(|| {
        let mut out = Vec::with_capacity(size_hint);
        tree.write(text, &mut out);
        out
    });
    make_key(&canon.name, &canon.call_id, canonical.as_deref(), make)
}

/// Where a string is in the builder's text.
type Span = Range<usize>;

/// A JSON value as the builder keeps it.
#[derive(Debug)]
enum Tree {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// A string: a span of the builder's text.
    Str(Span),
    /// A string the contract names (an event's name).
    Static(&'static str),
    Array(Vec<Tree>),
    /// An object the contract does not describe: its members, named by spans, in document
    /// order (sorted when written).
    Object(Vec<(Span, Tree)>),
    /// An object of the contract: its documented members in canonical order, each named by
    /// its index in the shape's fields ([`Shape::EVENT_MEMBER`] for an event's `event`), and
    /// its other members in document order.
    Record(&'static Shape, Vec<(u8, Tree)>, Vec<(Span, Tree)>),
}

/// The name of the documented member `member` of `shape` (see [`Shape::canonical`]).
fn member_name(shape: &'static Shape, member: u8) -> &'static str {
    if member == Shape::EVENT_MEMBER {
        "event"
    } else {
        shape
            .fields
            .get(usize::from(member))
            .map_or("", |field| field.name)
    }
}

/// A member's name as written: a contract name (an identifier, nothing to escape) or a
/// string of the body.
#[derive(Clone, Copy)]
enum Written<'a> {
    Plain(&'static str),
    Text(&'a str),
}

impl<'a> Written<'a> {
    fn as_str(self) -> &'a str {
        match self {
            Written::Plain(s) => s,
            Written::Text(s) => s,
        }
    }
}

impl Tree {
    /// Whether this is an object whose member `name` is `true`.
    fn has_true(&self, name: &str, text: &str) -> bool {
        let is_true = |v: &Tree| matches!(v, Tree::Bool(true));
        let other = |members: &[(Span, Tree)]| {
            members
                .iter()
                .any(|(k, v)| text.get(k.clone()) == Some(name) && is_true(v))
        };
        match self {
            Tree::Object(members) => other(members),
            Tree::Record(shape, members, extra) => {
                members
                    .iter()
                    .any(|(k, v)| member_name(shape, *k) == name && is_true(v))
                    || other(extra)
            }
            _ => false,
        }
    }

    /// Appends the canonical text; `text` is the builder's.
    fn write(&self, text: &str, out: &mut Vec<u8>) {
        match self {
            Tree::Null => out.extend_from_slice(b"null"),
            Tree::Bool(true) => out.extend_from_slice(b"true"),
            Tree::Bool(false) => out.extend_from_slice(b"false"),
            // A JSON number is the double it denotes (RFC 8785).
            Tree::I64(v) => write_number(*v as f64, out),
            Tree::U64(v) => write_number(*v as f64, out),
            Tree::F64(v) => write_number(*v, out),
            Tree::Str(span) => write_str(text.get(span.clone()).unwrap_or_default(), out),
            Tree::Static(s) => write_str(s, out),
            Tree::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(text, out);
                }
                out.push(b']');
            }
            Tree::Record(shape, members, extra) if extra.is_empty() => write_members(
                members
                    .iter()
                    .map(|(k, v)| (Written::Plain(member_name(shape, *k)), v)),
                text,
                out,
            ),
            Tree::Record(shape, members, extra) => {
                let mut all: SmallVec<[(Written<'_>, &Tree); 16]> = members
                    .iter()
                    .map(|(k, v)| (Written::Plain(member_name(shape, *k)), v))
                    .chain(extra.iter().map(|(k, v)| (written(k, text), v)))
                    .collect();
                all.sort_unstable_by(|a, b| member_cmp(a.0.as_str(), b.0.as_str()));
                write_members(all.into_iter(), text, out);
            }
            Tree::Object(members) => {
                let mut sorted: SmallVec<[(Written<'_>, &Tree); 16]> =
                    members.iter().map(|(k, v)| (written(k, text), v)).collect();
                sorted.sort_unstable_by(|a, b| member_cmp(a.0.as_str(), b.0.as_str()));
                write_members(sorted.into_iter(), text, out);
            }
        }
    }

    /// The value `field` of a record takes from this member ([`Field::value_of`] of its
    /// JSON value); a string is taken as it is, and an analysis read straight from its
    /// members, with no map made first. `text` is the builder's.
    fn into_val(self, field: Field, text: &str) -> Option<Val> {
        match (field, self) {
            // Its documented members only: already in canonical order.
            (Field::Analysis, Tree::Record(shape, members, extra)) if extra.is_empty() => {
                let mut analysis = Analysis::default();
                for (k, v) in members {
                    let name = Cow::Borrowed(member_name(shape, k));
                    analysis_member(&mut analysis, name, canonical_owned(v.into_value(text)));
                }
                Some(Val::Analysis(Box::new(analysis)))
            }
            (Field::Analysis, tree @ (Tree::Record(..) | Tree::Object(_))) => {
                let mut analysis = Analysis::default();
                for (k, v) in tree.into_sorted_members(text) {
                    analysis_member(&mut analysis, k, canonical_owned(v.into_value(text)));
                }
                Some(Val::Analysis(Box::new(analysis)))
            }
            (Field::Analysis | Field::DurationSeconds | Field::Transcript, tree) => {
                field.value_of(tree.into_value(text))
            }
            (_, Tree::Str(span)) => Some(Val::Str(CompactString::new(
                text.get(span).unwrap_or_default(),
            ))),
            (_, Tree::Static(s)) => Some(Val::Str(CompactString::const_new(s))),
            (_, _) => None,
        }
    }

    /// The members of an object in canonical order (none for anything else).
    fn into_sorted_members(self, text: &str) -> Vec<(Cow<'_, str>, Tree)> {
        let (mut all, sorted): (Vec<(Cow<'_, str>, Tree)>, bool) = match self {
            Tree::Record(shape, members, extra) => (
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Borrowed(member_name(shape, k)), v))
                    .chain(extra.into_iter().map(|(k, v)| (span_name(k, text), v)))
                    .collect(),
                false,
            ),
            Tree::Object(members) => (
                members
                    .into_iter()
                    .map(|(k, v)| (span_name(k, text), v))
                    .collect(),
                false,
            ),
            _ => (Vec::new(), true),
        };
        if !sorted {
            all.sort_by(|a, b| member_cmp(&a.0, &b.0));
        }
        all
    }

    /// The `serde_json` value (what the event's wire form holds); `text` is the builder's.
    fn into_value(self, text: &str) -> Value {
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(b),
            Tree::I64(v) => Value::from(v),
            Tree::U64(v) => Value::from(v),
            Tree::F64(v) => Number::from_f64(v).map_or(Value::Null, Value::Number),
            Tree::Str(span) => Value::String(text.get(span).unwrap_or_default().to_owned()),
            Tree::Static(s) => Value::String(s.to_owned()),
            Tree::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| item.into_value(text))
                    .collect(),
            ),
            tree @ (Tree::Record(..) | Tree::Object(_)) => Value::Object(
                tree.into_sorted_members(text)
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_value(text)))
                    .collect(),
            ),
        }
    }

    /// The string a string value holds (keys and the name and call id of an event are
    /// strings).
    fn as_str<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Tree::Str(span) => text.get(span.clone()).unwrap_or_default(),
            Tree::Static(s) => s,
            _ => "",
        }
    }
}

/// A member name of the body, as written.
fn written<'a>(span: &Span, text: &'a str) -> Written<'a> {
    Written::Text(text.get(span.clone()).unwrap_or_default())
}

/// A member name of the body.
fn span_name(span: Span, text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text.get(span).unwrap_or_default())
}

/// Appends `{"name":value,...}` for members in canonical order.
fn write_members<'a>(
    members: impl Iterator<Item = (Written<'a>, &'a Tree)>,
    text: &str,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match k {
            Written::Plain(name) => {
                out.push(b'"');
                out.extend_from_slice(name.as_bytes());
                out.push(b'"');
            }
            Written::Text(name) => write_str(name, out),
        }
        out.push(b':');
        v.write(text, out);
    }
    out.push(b'}');
}

/// The builder: the text its strings are spans of; the event's name and call id once the
/// event is made.
#[derive(Default)]
struct Canon {
    text: String,
    name: Cow<'static, str>,
    call_id: Arc<str>,
}

impl Canon {
    /// Keeps `v` in the text.
    fn span(&mut self, v: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(v);
        start..self.text.len()
    }
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
        Ok(Tree::Str(self.span(v)))
    }
    fn array(&mut self, items: Vec<Tree>) -> Result<Tree, Infallible> {
        Ok(Tree::Array(items))
    }
    fn object(&mut self, members: Members<Tree>) -> Result<Tree, Infallible> {
        Ok(Tree::Object(
            members
                .into_iter()
                .map(|(k, v)| match k {
                    Tree::Str(span) => (span, v),
                    // Keys are strings.
                    _ => (0..0, v),
                })
                .collect(),
        ))
    }
    fn record(
        &mut self,
        shape: &'static Shape,
        values: &mut [Option<Tree>],
        extra: Option<Tree>,
    ) -> Result<Tree, Infallible> {
        if let Some(kind) = shape.kind {
            self.name = Cow::Borrowed(kind.name());
            // An event's `call_id` is its first field.
            if let Some(Some(Tree::Str(id))) = values.first() {
                self.call_id = Arc::from(self.text.get(id.clone()).unwrap_or_default());
            }
        }
        let mut members = Vec::with_capacity(values.len() + 1);
        for &member in shape.canonical() {
            if member == Shape::EVENT_MEMBER {
                if let Some(kind) = shape.kind {
                    members.push((member, Tree::Static(kind.name())));
                }
            } else if let Some(v) = values.get_mut(usize::from(member)).and_then(Option::take) {
                members.push((member, v));
            }
        }
        let extra = match extra {
            Some(Tree::Object(more)) => more,
            _ => Vec::new(),
        };
        Ok(Tree::Record(shape, members, extra))
    }
    fn unknown_event(&mut self, parts: UnknownParts<Tree>) -> Result<Tree, Infallible> {
        self.name = Cow::Owned(parts.event.as_str(&self.text).to_owned());
        self.call_id = Arc::from(parts.call_id.as_str(&self.text));
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

    /// The builder reads an event's call id as its first field, and every documented member
    /// a record reads has its field in the table.
    #[test]
    fn call_id_is_first_and_every_record_member_is_in_the_table() {
        use super::{record_fields, Kind};
        for kind in Kind::ALL {
            assert_eq!(kind.shape().fields[0].name, "call_id", "{kind:?}");
            let table = record_fields(*kind);
            let mut found = 0;
            for field in super::Field::ALL {
                if let Some((member, _)) = field.source(kind.name()) {
                    let at = kind.shape().index(member).expect("a documented member");
                    assert_eq!(table[at].map(|(f, _)| f), Some(field), "{kind:?} {member}");
                    found += 1;
                }
            }
            assert_eq!(table.iter().flatten().count(), found, "{kind:?}");
        }
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
