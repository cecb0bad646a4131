//! The one pass over a body: every rule of the contract ([`crate::contract`]) checked, every
//! issue collected, and the caller's values made by a [`Builder`] on the way.
//!
//! `parse` is this pass with the builder that makes [`Event`](crate::Event)s, `validate` the
//! pass with a builder that makes nothing, and each binding passes its own builder. The JSON
//! reader is [`crate::scan`]; nothing here knows JSON syntax, and nothing here names a field:
//! the pass walks the shapes of the contract.
//!
//! Issues come in document pre-order: what is wrong with a member (duplicate, unknown, wrong
//! type, bad format) comes before what is wrong inside its value; missing fields come at the
//! end of their object. Once an issue is recorded (or the builder failed) nothing more is
//! built; the pass goes on to find every other issue.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::build::{BuildError, Builder, Items, Members, UnknownParts};
use crate::contract::{FieldSpec, Format, Kind, Shape, Type, MAX_FIELDS};
use crate::error::{Issue, IssueCode, ValidationError, MAX_ISSUES};
use crate::events::EVENT_NAMES;
use crate::scan::{self, Scan};
use crate::text::preview;

// ---------------------------------------------------------------------------------------------
// Entry points

/// Runs the pass over `text` (valid UTF-8, within the size limit) with `builder`.
pub(crate) fn run<B: Builder + ?Sized>(
    text: &str,
    strict: bool,
    max_depth: usize,
    builder: &mut B,
) -> Result<B::Value, BuildError<B::Error>> {
    let mut pass = Pass::new(strict, max_depth, builder);
    let mut reader = Scan::new(text);
    let result = Top { p: &mut pass, text }
        .deserialize(&mut reader)
        .and_then(|v| reader.end().map(|()| v));
    pass.conclude(text, result)
}

/// Reads any JSON value with the rules of an event body's values (duplicate keys rejected at
/// any depth, nesting limited to `max_depth`), for management responses and stored records.
pub(crate) fn run_value<B: Builder + ?Sized>(
    text: &str,
    max_depth: usize,
    builder: &mut B,
) -> Result<B::Value, BuildError<B::Error>> {
    let mut pass = Pass::new(false, max_depth, builder);
    let mut reader = Scan::new(text);
    let result = AnyV {
        p: &mut pass,
        path: &Path::Root,
        depth: 1,
    }
    .deserialize(&mut reader)
    .and_then(|v| reader.end().map(|()| v));
    pass.conclude(text, result)
}

/// The builder of `validate`: makes nothing, so the pass only checks. It notes whether some
/// object of the event has members the contract does not list, or the event is unknown
/// (`validate_unlisted`).
#[derive(Default)]
pub(crate) struct Nothing {
    /// Some record had `extra`, or the event is unknown.
    pub(crate) unlisted: bool,
}

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
    fn record(
        &mut self,
        _: &'static Shape,
        _: &mut [Option<()>],
        extra: Option<()>,
    ) -> Result<(), Self::Error> {
        self.unlisted |= extra.is_some();
        Ok(())
    }
    fn unknown_event(&mut self, _: UnknownParts<()>) -> Result<(), Self::Error> {
        self.unlisted = true;
        Ok(())
    }
}

/// The `DeserializeSeed` of a visitor of this module: its value is read with
/// `deserialize_any` (every value of a body is self-describing JSON).
macro_rules! seed {
    ($name:ident, $value:ty) => {
        impl<'de, B: Builder + ?Sized> DeserializeSeed<'de> for $name<'_, '_, '_, B> {
            type Value = $value;

            #[inline]
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

/// Visits of scalars that are all of the wrong type for the visitor: each is reported with
/// the visitor's own `wrong` (which knows what was expected).
macro_rules! wrong_scalars {
    ($($visit:ident),*) => {
        $( wrong_scalars!(@ $visit); )*
    };
    (@ visit_bool) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Bool(v)))
        }
    };
    (@ visit_i64) => {
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Number(v.to_string())))
        }
    };
    (@ visit_u64) => {
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Number(v.to_string())))
        }
    };
    (@ visit_f64) => {
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Number(f64_text(v))))
        }
    };
    (@ visit_str) => {
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Str(v)))
        }
    };
    (@ visit_unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.wrong(&Found::Null))
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Issues

/// A JSON Pointer built lazily: a linked list on the stack, turned into a string only when an
/// issue needs it.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.write(out);
                crate::text::push_token(out, key);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push('/');
                out.push_str(&i.to_string());
            }
        }
    }

    /// How messages name the field: the pointer without its leading slash.
    fn label(&self) -> String {
        let p = crate::text::cut_tokens(&self.pointer());
        match p.strip_prefix('/') {
            Some(rest) => format!("`{rest}`"),
            None => "the body".into(),
        }
    }
}

/// What was found where something else was expected, for messages.
enum Found<'a> {
    Null,
    Bool(bool),
    Number(String),
    Str(&'a str),
    Array(usize),
    Object,
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Null => f.write_str("null"),
            Found::Bool(b) => write!(f, "a boolean ({b})"),
            Found::Number(n) => write!(f, "a number ({})", preview(n)),
            Found::Str(s) => write!(f, "a string ({})", preview(s)),
            Found::Array(n) => write!(f, "an array of {n} items"),
            Found::Object => f.write_str("an object"),
        }
    }
}

/// The text of a finite number, as serde_json writes it.
fn f64_text(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
}

/// The issues of one pass.
struct Ctx {
    strict: bool,
    max_depth: usize,
    issues: Vec<Issue>,
    /// How many issues were recorded (the list itself may be shorter for a moment while
    /// nested issues are set aside); capped at [`MAX_ISSUES`].
    recorded: usize,
    /// More issues were found than are kept.
    truncated: bool,
    /// A fault that stops the read (nesting too deep).
    fatal: Option<Issue>,
}

impl Ctx {
    /// `true` once [`MAX_ISSUES`] are kept: later issues are only counted, and their paths and
    /// messages are never built, so a hostile body cannot make the report (or the time spent
    /// on it) grow with the square of its size.
    fn full(&mut self) -> bool {
        if self.recorded >= MAX_ISSUES {
            self.truncated = true;
            return true;
        }
        false
    }

    #[cold]
    #[inline(never)]
    fn push(&mut self, code: IssueCode, path: &Path<'_>, message: impl FnOnce() -> String) {
        if self.full() {
            return;
        }
        self.recorded += 1;
        self.issues
            .push(Issue::new(code, path.pointer(), message()));
    }

    /// Forgets every issue (a non-object body gets exactly one).
    fn clear(&mut self) {
        self.issues.clear();
        self.recorded = 0;
        self.truncated = false;
    }

    #[cold]
    #[inline(never)]
    fn wrong_type(&mut self, path: &Path<'_>, expected: &str, found: &Found<'_>) {
        self.push(IssueCode::WrongType, path, || {
            format!("{} must be {expected}, found {found}", path.label())
        });
    }

    /// A wrong type reported before the issues recorded since `mark` (those found inside the
    /// value), so that issues stay in document pre-order.
    #[cold]
    #[inline(never)]
    fn wrong_type_at(&mut self, mark: usize, path: &Path<'_>, expected: &str, found: &Found<'_>) {
        let nested = if self.issues.len() > mark {
            let nested = self.issues.split_off(mark);
            self.recorded -= nested.len();
            nested
        } else {
            Vec::new()
        };
        self.wrong_type(path, expected, found);
        if !nested.is_empty() {
            self.issues.extend(nested);
            if self.issues.len() > MAX_ISSUES {
                self.issues.truncate(MAX_ISSUES);
                self.truncated = true;
            }
            self.recorded = self.issues.len();
        }
    }

    #[cold]
    #[inline(never)]
    fn invalid_value(&mut self, path: &Path<'_>, expected: &str, found: &str) {
        self.push(IssueCode::InvalidValue, path, || {
            format!(
                "{} must be {expected}, found {}",
                path.label(),
                preview(found)
            )
        });
    }

    #[cold]
    #[inline(never)]
    fn missing(&mut self, path: &Path<'_>) {
        self.push(IssueCode::MissingField, path, || {
            format!("{} is required but missing", path.label())
        });
    }

    #[cold]
    #[inline(never)]
    fn duplicate(&mut self, path: &Path<'_>) {
        self.push(IssueCode::DuplicateField, path, || {
            format!(
                "{} appears more than once in the same object; duplicate keys are rejected",
                path.label()
            )
        });
    }

    #[cold]
    #[inline(never)]
    fn unknown_field(&mut self, path: &Path<'_>, owner: &str) {
        self.push(IssueCode::UnknownField, path, || {
            format!(
                "{} is not a field of {owner} (strict mode rejects unknown members)",
                path.label()
            )
        });
    }

    /// Checks the nesting depth of a container; too deep stops the read.
    #[inline]
    fn enter<E: de::Error>(&mut self, depth: usize, path: &Path<'_>) -> Result<(), E> {
        if depth > self.max_depth {
            return Err(self.too_deep(path));
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep<E: de::Error>(&mut self, path: &Path<'_>) -> E {
        {
            self.fatal = Some(Issue::new(
                IssueCode::TooDeep,
                path.pointer(),
                format!(
                    "arrays and objects are nested deeper than max_depth ({}) at {}",
                    self.max_depth,
                    path.label()
                ),
            ));
            E::custom("nesting too deep")
        }
    }
}

/// The state of one pass: the issues, the builder and its error once it failed.
struct Pass<'b, B: Builder + ?Sized> {
    ctx: Ctx,
    b: &'b mut B,
    failed: Option<B::Error>,
}

impl<'b, B: Builder + ?Sized> Pass<'b, B> {
    fn new(strict: bool, max_depth: usize, b: &'b mut B) -> Self {
        Pass {
            ctx: Ctx {
                strict,
                max_depth: max_depth.min(crate::parse::MAX_DEPTH_CEILING),
                issues: Vec::new(),
                recorded: 0,
                truncated: false,
                fatal: None,
            },
            b,
            failed: None,
        }
    }

    /// Makes a value, unless an issue was recorded or the builder failed (then nothing more
    /// is built: the result is an error either way).
    #[inline(always)]
    fn make(&mut self, f: impl FnOnce(&mut B) -> Result<B::Value, B::Error>) -> Option<B::Value> {
        if self.failed.is_some() || self.ctx.recorded != 0 {
            return None;
        }
        match f(self.b) {
            Ok(v) => Some(v),
            Err(e) => {
                self.failed = Some(e);
                None
            }
        }
    }

    /// A string field's value.
    #[inline]
    fn string(&mut self, spec: &FieldSpec, v: &str) -> Option<B::Value> {
        if spec.format == Format::Role {
            self.make(|b| b.role(v))
        } else if spec.repeats {
            self.make(|b| b.repeated_str(v))
        } else {
            self.make(|b| b.str(v))
        }
    }

    /// A non-negative integer (the reader hands them all over as `u64`): `i64` when it fits.
    #[inline]
    fn uint(&mut self, v: u64) -> Option<B::Value> {
        match i64::try_from(v) {
            Ok(i) => self.make(|b| b.i64(i)),
            Err(_) => self.make(|b| b.u64(v)),
        }
    }

    /// The verdict: a fatal issue (unless a syntax error anywhere takes precedence), a syntax
    /// error, every issue collected, the builder's error; otherwise the value made.
    #[inline(always)]
    fn conclude(
        self,
        text: &str,
        result: Result<Option<B::Value>, scan::Error>,
    ) -> Result<B::Value, BuildError<B::Error>> {
        // Taken apart, so that what is left to drop on the way out is known to be empty.
        let Pass {
            ctx:
                Ctx {
                    mut issues,
                    truncated,
                    fatal,
                    ..
                },
            failed,
            ..
        } = self;
        if let Some(fatal) = fatal {
            if let Err(e) = scan::check_syntax(text) {
                return Err(BuildError::Invalid(crate::parse::invalid_json(
                    crate::parse::describe_json_error(text.as_bytes(), &e),
                )));
            }
            return Err(BuildError::Invalid(ValidationError::new(vec![fatal])));
        }
        let value = result.map_err(|e| {
            BuildError::Invalid(crate::parse::invalid_json(
                crate::parse::describe_json_error(text.as_bytes(), &e),
            ))
        })?;
        if !issues.is_empty() {
            if truncated {
                issues.push(Issue::new(
                    IssueCode::TooManyIssues,
                    "",
                    format!(
                        "more than {MAX_ISSUES} issues; only the first {MAX_ISSUES} are listed"
                    ),
                ));
            }
            return Err(BuildError::Invalid(ValidationError::new(issues)));
        }
        if let Some(e) = failed {
            return Err(BuildError::Host(e));
        }
        value.ok_or_else(|| {
            BuildError::Invalid(ValidationError::new(vec![Issue::new(
                IssueCode::InvalidJson,
                "",
                "the body could not be read as an event",
            )]))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// An object key, borrowed from the body when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// The keys of one object seen so far, for duplicates (fields of the contract use flags).
/// Nothing is allocated until the first key; a large object switches to a hash set.
struct Keys<'de> {
    few: Vec<Cow<'de, str>>,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> Keys<'de> {
    fn new() -> Self {
        Keys {
            few: Vec::new(),
            many: None,
        }
    }

    /// Adds a key; `false` if it was already there.
    #[allow(clippy::ptr_arg)] // the key is kept, borrowed or owned as it came
    fn insert(&mut self, key: &Cow<'de, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key.clone());
        }
        if self.few.iter().any(|k| k == key) {
            return false;
        }
        if self.few.len() >= 16 {
            let mut many: HashSet<Cow<'de, str>> = self.few.drain(..).collect();
            many.insert(key.clone());
            self.many = Some(many);
        } else {
            self.few.push(key.clone());
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Any value: depth, duplicate keys; made with the builder's plain methods.

struct AnyV<'a, 'p, 'b, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    path: &'p Path<'p>,
    /// The depth of this value if it is a container (the top-level value is 1).
    depth: usize,
}

seed!(AnyV, Option<B::Value>);

impl<'de, B: Builder + ?Sized> AnyV<'_, '_, '_, B> {
    /// The members of an object, checked for duplicates.
    fn members<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Members<B::Value>>, A::Error> {
        let AnyV { p, path, depth } = self;
        p.ctx.enter(depth, path)?;
        let mut keys = Keys::new();
        let mut members = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let here = Path::Key(path, &key);
            if !keys.insert(&key) {
                p.ctx.duplicate(&here);
            }
            let k = p.make(|b| b.key(&key));
            let v = map.next_value_seed(AnyV {
                p: &mut *p,
                path: &here,
                depth: depth + 1,
            })?;
            if let (Some(k), Some(v)) = (k, v) {
                members.push((k, v));
            }
        }
        Ok(Some(members))
    }

    /// The items of an array; also returns how many there were.
    fn items<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(Vec<B::Value>, usize), A::Error> {
        let AnyV { p, path, depth } = self;
        p.ctx.enter(depth, path)?;
        let mut items = Vec::new();
        let mut count = 0;
        loop {
            let here = Path::Index(path, count);
            let seed = AnyV {
                p: &mut *p,
                path: &here,
                depth: depth + 1,
            };
            match seq.next_element_seed(seed)? {
                Some(Some(v)) => items.push(v),
                Some(None) => {}
                None => break,
            }
            count += 1;
        }
        Ok((items, count))
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for AnyV<'_, '_, '_, B> {
    type Value = Option<B::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.p.make(|b| b.bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.p.make(|b| b.i64(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.p.uint(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.p.make(|b| b.f64(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.p.make(|b| b.str(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.p.make(|b| b.null()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let AnyV { p, path, depth } = self;
        let (items, _) = AnyV {
            p: &mut *p,
            path,
            depth,
        }
        .items(seq)?;
        Ok(p.make(|b| b.array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let AnyV { p, path, depth } = self;
        let members = AnyV {
            p: &mut *p,
            path,
            depth,
        }
        .members(map)?;
        Ok(members.and_then(|m| p.make(|b| b.object(m))))
    }
}

/// An array where something else was expected: read in full (depth, duplicate keys), then
/// reported before the issues found inside it (document pre-order).
fn wrong_seq<'de, A: SeqAccess<'de>, B: Builder + ?Sized>(
    p: &mut Pass<'_, B>,
    seq: A,
    path: &Path<'_>,
    depth: usize,
    expected: &str,
) -> Result<(), A::Error> {
    let mark = p.ctx.issues.len();
    let (_, count) = AnyV {
        p: &mut *p,
        path,
        depth,
    }
    .items(seq)?;
    p.ctx
        .wrong_type_at(mark, path, expected, &Found::Array(count));
    Ok(())
}

/// An object where something else was expected, as [`wrong_seq`].
fn wrong_map<'de, A: MapAccess<'de>, B: Builder + ?Sized>(
    p: &mut Pass<'_, B>,
    map: A,
    path: &Path<'_>,
    depth: usize,
    expected: &str,
) -> Result<(), A::Error> {
    let mark = p.ctx.issues.len();
    AnyV {
        p: &mut *p,
        path,
        depth,
    }
    .members(map)?;
    p.ctx.wrong_type_at(mark, path, expected, &Found::Object);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A field of the contract

struct FieldV<'a, 'p, 'b, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    path: &'p Path<'p>,
    spec: &'static FieldSpec,
    depth: usize,
}

seed!(FieldV, Option<B::Value>);

/// How issues say what a field's type is.
fn expected(ty: Type) -> &'static str {
    match ty {
        Type::String => "a string",
        Type::Number => "a number",
        Type::Bool => "a boolean",
        Type::Object => "an object",
        Type::Record(shape) => shape.expected,
        Type::List(shape) => shape.list_expected,
    }
}

impl<B: Builder + ?Sized> FieldV<'_, '_, '_, B> {
    fn wrong(self, found: &Found<'_>) -> Option<B::Value> {
        self.p
            .ctx
            .wrong_type(self.path, expected(self.spec.ty), found);
        None
    }
}

/// Checks a number against its field: `false` (and an issue) when the field is not a number.
fn number_ok<B: Builder + ?Sized>(
    p: &mut Pass<'_, B>,
    path: &Path<'_>,
    spec: &FieldSpec,
    v: f64,
    text: impl FnOnce() -> String,
) -> bool {
    if !matches!(spec.ty, Type::Number) {
        p.ctx
            .wrong_type(path, expected(spec.ty), &Found::Number(text()));
        return false;
    }
    if spec.checks_format(p.ctx.strict) && !spec.format.accepts_number(v) {
        p.ctx.invalid_value(path, spec.format.expected(), &text());
    }
    true
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for FieldV<'_, '_, '_, B> {
    type Value = Option<B::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(expected(self.spec.ty))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        if !matches!(self.spec.ty, Type::Bool) {
            return Ok(self.wrong(&Found::Bool(v)));
        }
        Ok(self.p.make(|b| b.bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let FieldV { p, path, spec, .. } = self;
        if !number_ok(p, path, spec, v as f64, || v.to_string()) {
            return Ok(None);
        }
        Ok(p.make(|b| b.i64(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let FieldV { p, path, spec, .. } = self;
        if !number_ok(p, path, spec, v as f64, || v.to_string()) {
            return Ok(None);
        }
        Ok(p.uint(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let FieldV { p, path, spec, .. } = self;
        if !number_ok(p, path, spec, v, || f64_text(v)) {
            return Ok(None);
        }
        Ok(p.make(|b| b.f64(v)))
    }

    #[inline(always)]
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.visit_str(v)
    }

    #[inline(always)]
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let FieldV { p, path, spec, .. } = self;
        if !matches!(spec.ty, Type::String) {
            p.ctx.wrong_type(path, expected(spec.ty), &Found::Str(v));
            return Ok(None);
        }
        if spec.checks_format(p.ctx.strict) && !spec.format.accepts_str(v) {
            p.ctx.invalid_value(path, spec.format.expected(), v);
        }
        Ok(p.string(spec, v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.spec.required(self.p.ctx.strict) {
            return Ok(self.wrong(&Found::Null));
        }
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let FieldV {
            p,
            path,
            spec,
            depth,
        } = self;
        if let Type::List(shape) = spec.ty {
            return list(p, seq, shape, path, depth);
        }
        wrong_seq(p, seq, path, depth, expected(spec.ty))?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let FieldV {
            p,
            path,
            spec,
            depth,
        } = self;
        match spec.ty {
            Type::Record(shape) => record::<_, _, false, false>(p, map, shape, path, depth, None),
            Type::Object => {
                let members = AnyV {
                    p: &mut *p,
                    path,
                    depth,
                }
                .members(map)?;
                Ok(members.and_then(|m| p.make(|b| b.object(m))))
            }
            _ => {
                wrong_map(p, map, path, depth, expected(spec.ty))?;
                Ok(None)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records of the contract: events, `analysis`, messages

/// An array of records (`messages`).
fn list<'de, A: SeqAccess<'de>, B: Builder + ?Sized>(
    p: &mut Pass<'_, B>,
    mut seq: A,
    shape: &'static Shape,
    path: &Path<'_>,
    depth: usize,
) -> Result<Option<B::Value>, A::Error> {
    p.ctx.enter(depth, path)?;
    let mut items = Items::new();
    let mut index = 0;
    loop {
        let here = Path::Index(path, index);
        let seed = ItemV {
            p: &mut *p,
            path: &here,
            shape,
            depth: depth + 1,
        };
        match seq.next_element_seed(seed)? {
            Some(Some(v)) => items.push(v),
            Some(None) => {}
            None => break,
        }
        index += 1;
    }
    Ok(p.make(|b| b.list(shape, &mut items)))
}

/// One item of a list of records: never `null`.
struct ItemV<'a, 'p, 'b, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    path: &'p Path<'p>,
    shape: &'static Shape,
    depth: usize,
}

seed!(ItemV, Option<B::Value>);

impl<B: Builder + ?Sized> ItemV<'_, '_, '_, B> {
    fn wrong(self, found: &Found<'_>) -> Option<B::Value> {
        self.p.ctx.wrong_type(self.path, self.shape.expected, found);
        None
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for ItemV<'_, '_, '_, B> {
    type Value = Option<B::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shape.expected)
    }
    wrong_scalars!(visit_bool, visit_i64, visit_u64, visit_f64, visit_str, visit_unit);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let ItemV {
            p,
            path,
            shape,
            depth,
        } = self;
        wrong_seq(p, seq, path, depth, shape.expected)?;
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        record::<_, _, false, true>(self.p, map, self.shape, self.path, self.depth, None)
    }
}

/// What the top-level object's reading knows besides its shape: the first key, already read,
/// and whether `event` was already read.
struct TopKeys<'de> {
    first: Option<Cow<'de, str>>,
    event_seen: bool,
}

/// A record of `shape`: each field read with its rules, the other members into `extra`
/// (rejected in strict mode), missing fields reported at the end.
/// `TOP`: the top-level object of an event, which also holds `event` (`top` says what was
/// read of it already); nested records are compiled without that. `ITEM`: an item of a list
/// of records, made with [`Builder::item`]; a constant rather than an argument, because the
/// copy compiled for items alone measured faster where lists are long (transcripts).
fn record<'de, A: MapAccess<'de>, B: Builder + ?Sized, const TOP: bool, const ITEM: bool>(
    p: &mut Pass<'_, B>,
    mut map: A,
    shape: &'static Shape,
    path: &Path<'_>,
    depth: usize,
    top: Option<TopKeys<'de>>,
) -> Result<Option<B::Value>, A::Error> {
    p.ctx.enter(depth, path)?;
    let strict = p.ctx.strict;
    let (mut first, mut event_seen) = match top {
        Some(t) if TOP => (t.first, t.event_seen),
        _ => (None, false),
    };
    let mut slots: [Option<B::Value>; MAX_FIELDS] = std::array::from_fn(|_| None);
    let mut seen = 0u32;
    // Members the contract does not list, and their keys (for duplicates): rare, so made
    // on the first one.
    let mut others: Option<Box<(Keys<'de>, Members<B::Value>)>> = None;
    // OneInbox sends the fields in the contract's order: try the next one first.
    let mut next = 0;
    loop {
        let key = match if TOP { first.take() } else { None } {
            Some(k) => k,
            None => match map.next_key_seed(KeySeed)? {
                Some(k) => k,
                None => break,
            },
        };
        let here = Path::Key(path, &key);
        let index = match shape.fields.get(next) {
            Some(f) if crate::contract::same(f.name, &key) => Some(next),
            _ => shape.index(&key),
        };
        if let (Some(i), Some(spec)) = (index, index.and_then(|i| shape.fields.get(i))) {
            next = i + 1;
            let bit = 1u32 << i;
            if seen & bit != 0 {
                p.ctx.duplicate(&here);
                map.next_value_seed(AnyV {
                    p: &mut *p,
                    path: &here,
                    depth: depth + 1,
                })?;
                continue;
            }
            seen |= bit;
            let v = map.next_value_seed(FieldV {
                p: &mut *p,
                path: &here,
                spec,
                depth: depth + 1,
            })?;
            if let Some(slot) = slots.get_mut(i) {
                *slot = v;
            }
            continue;
        }
        if TOP && key == "event" {
            if event_seen {
                p.ctx.duplicate(&here);
                map.next_value_seed(AnyV {
                    p: &mut *p,
                    path: &here,
                    depth: depth + 1,
                })?;
            } else {
                // The event's name, already known (it chose `shape`).
                event_seen = true;
                map.next_value::<IgnoredAny>()?;
            }
            continue;
        }
        let (keys, extra) =
            &mut **others.get_or_insert_with(|| Box::new((Keys::new(), Vec::new())));
        if !keys.insert(&key) {
            p.ctx.duplicate(&here);
            map.next_value_seed(AnyV {
                p: &mut *p,
                path: &here,
                depth: depth + 1,
            })?;
            continue;
        }
        if strict {
            p.ctx.unknown_field(&here, shape.label);
        }
        let k = p.make(|b| b.key(&key));
        let v = map.next_value_seed(AnyV {
            p: &mut *p,
            path: &here,
            depth: depth + 1,
        })?;
        if let (Some(k), Some(v)) = (k, v) {
            extra.push((k, v));
        }
    }
    let required = shape.required(strict);
    if seen & required != required {
        for (i, field) in shape.fields.iter().enumerate() {
            if seen & (1 << i) == 0 && field.required(strict) {
                p.ctx.missing(&Path::Key(path, field.name));
            }
        }
    }
    let extra = match others.map(|o| o.1) {
        Some(extra) if !extra.is_empty() => match p.make(|b| b.object(extra)) {
            Some(v) => Some(v),
            None => return Ok(None),
        },
        _ => None,
    };
    let values = slots.get_mut(..shape.fields.len()).unwrap_or_default();
    if ITEM {
        Ok(p.make(|b| b.item(shape, values, extra)))
    } else {
        Ok(p.make(|b| b.record(shape, values, extra)))
    }
}

// ---------------------------------------------------------------------------------------------
// The top-level object

/// The spec of `call_id`: the first field of every event.
fn call_id_spec() -> &'static FieldSpec {
    static CALL_ID: FieldSpec = crate::contract::CALL_ID.field("call_id", "", Type::String);
    &CALL_ID
}

/// What the `event` member says.
enum Name<V> {
    /// A documented event.
    Known(Kind),
    /// A name this version does not know, made twice (the attribute and the payload member).
    Unknown(Option<V>, Option<V>),
    /// Not a string (reported).
    Invalid,
}

/// The value of `event`.
struct EventSeed<'a, 'p, 'b, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    path: &'p Path<'p>,
}

seed!(EventSeed, Name<B::Value>);

const EVENT_EXPECTED: &str = "a string (the event name)";

impl<B: Builder + ?Sized> EventSeed<'_, '_, '_, B> {
    fn wrong(self, found: &Found<'_>) -> Name<B::Value> {
        self.p.ctx.wrong_type(self.path, EVENT_EXPECTED, found);
        Name::Invalid
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for EventSeed<'_, '_, '_, B> {
    type Value = Name<B::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EVENT_EXPECTED)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Some(kind) = Kind::from_name(v) {
            return Ok(Name::Known(kind));
        }
        let p = self.p;
        if p.ctx.strict {
            p.ctx.push(IssueCode::UnknownEvent, self.path, || {
                format!(
                    "{} is not a known event (strict mode); known events: {}",
                    preview(v),
                    EVENT_NAMES.join(", ")
                )
            });
        }
        let name = p.make(|b| b.str(v));
        let again = p.make(|b| b.str(v));
        Ok(Name::Unknown(name, again))
    }
    wrong_scalars!(visit_bool, visit_i64, visit_u64, visit_f64, visit_unit);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let EventSeed { p, path } = self;
        wrong_seq(p, seq, path, 2, EVENT_EXPECTED)?;
        Ok(Name::Invalid)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let EventSeed { p, path } = self;
        wrong_map(p, map, path, 2, EVENT_EXPECTED)?;
        Ok(Name::Invalid)
    }
}

/// The `event` member of a body whose first member is another one, found by reading ahead
/// (a rare order: OneInbox sends `event` first). `None` when there is none or the text
/// breaks off first (the pass then reports that).
fn find_event(text: &str) -> Option<Option<Kind>> {
    struct Look<'a>(&'a mut Option<Option<Kind>>);

    impl<'de> Visitor<'de> for Look<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key_seed(KeySeed)? {
                if key == "event" {
                    *self.0 = Some(map.next_value_seed(Classify)?);
                    // Stop reading: the rest is the pass's.
                    return Err(de::Error::custom("found"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }

    /// `Some(kind)` for a documented event, `None` for anything else.
    struct Classify;

    impl<'de> DeserializeSeed<'de> for Classify {
        type Value = Option<Kind>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Classify {
        type Value = Option<Kind>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an event name")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Kind::from_name(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    let mut found = None;
    let _ = Scan::new(text).deserialize_any(Look(&mut found));
    found
}

struct Top<'a, 'b, 't, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    text: &'t str,
}

seed!(Top, Option<B::Value>);

impl<B: Builder + ?Sized> Top<'_, '_, '_, B> {
    fn not_an_object(self, found: &str) -> Option<B::Value> {
        self.p.ctx.push(IssueCode::NotAnObject, &Path::Root, || {
            format!("the body must be a JSON object, found {found}")
        });
        None
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for Top<'_, '_, '_, B> {
    type Value = Option<B::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.not_an_object("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.not_an_object("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.not_an_object("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.not_an_object("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.not_an_object("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.not_an_object("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Read it in full (depth limit, valid strings), but a non-object body gets exactly one
        // issue: what is inside an array does not matter.
        AnyV {
            p: &mut *self.p,
            path: &Path::Root,
            depth: 1,
        }
        .items(seq)?;
        self.p.ctx.clear();
        Ok(self.not_an_object("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Top { p, text } = self;
        p.ctx.enter(1, &Path::Root)?;
        let event_path = Path::Key(&Path::Root, "event");
        let first = map.next_key_seed(KeySeed)?;
        let (name, top) = match first {
            Some(key) if key == "event" => {
                let name = map.next_value_seed(EventSeed {
                    p: &mut *p,
                    path: &event_path,
                })?;
                (
                    Some(name),
                    TopKeys {
                        first: None,
                        event_seen: true,
                    },
                )
            }
            first => {
                let name = match first {
                    Some(_) => find_event(text).map(|kind| match kind {
                        Some(kind) => Name::Known(kind),
                        // Read again, and reported, when the pass gets there.
                        None => Name::Invalid,
                    }),
                    None => None,
                };
                (
                    name,
                    TopKeys {
                        first,
                        event_seen: false,
                    },
                )
            }
        };
        match name {
            Some(Name::Known(kind)) => {
                record::<_, _, true, false>(p, map, kind.shape(), &Path::Root, 1, Some(top))
            }
            Some(Name::Unknown(name, in_payload)) => payload(p, map, top, Some((name, in_payload))),
            Some(Name::Invalid) | None => payload(p, map, top, None),
        }
    }
}

/// The top-level object of an unknown event (the whole payload, with a non-empty `call_id`)
/// or of a body whose `event` is missing or not a string (only `call_id` is checked; the
/// event is reported).
fn payload<'de, A: MapAccess<'de>, B: Builder + ?Sized>(
    p: &mut Pass<'_, B>,
    mut map: A,
    top: TopKeys<'de>,
    name: Option<Twice<B::Value>>,
) -> Result<Option<B::Value>, A::Error> {
    let TopKeys {
        mut first,
        mut event_seen,
    } = top;
    let mut event = None;
    let mut members = Vec::new();
    if let Some((name, in_payload)) = name {
        event = Some(name);
        let k = p.make(|b| b.key("event"));
        if let (Some(k), Some(v)) = (k, in_payload) {
            members.push((k, v));
        }
    }
    let mut call_id: Option<Option<B::Value>> = None;
    let mut keys = Keys::new();
    if event_seen {
        // A second `event` is a duplicate of the first.
        keys.insert(&Cow::Borrowed("event"));
    }
    loop {
        let key = match first.take() {
            Some(k) => k,
            None => match map.next_key_seed(KeySeed)? {
                Some(k) => k,
                None => break,
            },
        };
        let here = Path::Key(&Path::Root, &key);
        if key == "event" && !event_seen {
            event_seen = true;
            keys.insert(&key);
            match map.next_value_seed(EventSeed {
                p: &mut *p,
                path: &here,
            })? {
                Name::Unknown(name, in_payload) => {
                    event = Some(name);
                    let k = p.make(|b| b.key("event"));
                    if let (Some(k), Some(v)) = (k, in_payload) {
                        members.push((k, v));
                    }
                }
                // Not a string (reported); a documented name cannot be here (it would have
                // chosen the record's shape).
                Name::Invalid | Name::Known(_) => {}
            }
            continue;
        }
        if !keys.insert(&key) {
            p.ctx.duplicate(&here);
            map.next_value_seed(AnyV {
                p: &mut *p,
                path: &here,
                depth: 2,
            })?;
            continue;
        }
        let k = p.make(|b| b.key(&key));
        if key == "call_id" {
            let (id, in_payload) = map.next_value_seed(CallIdTwice {
                p: &mut *p,
                path: &here,
            })?;
            call_id = Some(id);
            if let (Some(k), Some(v)) = (k, in_payload) {
                members.push((k, v));
            }
            continue;
        }
        let v = map.next_value_seed(AnyV {
            p: &mut *p,
            path: &here,
            depth: 2,
        })?;
        if let (Some(k), Some(v)) = (k, v) {
            members.push((k, v));
        }
    }
    if !event_seen {
        p.ctx.missing(&Path::Key(&Path::Root, "event"));
    }
    if call_id.is_none() {
        p.ctx.missing(&Path::Key(&Path::Root, "call_id"));
    }
    let (Some(Some(event)), Some(Some(call_id))) = (event, call_id) else {
        return Ok(None);
    };
    let Some(payload) = p.make(|b| b.object(members)) else {
        return Ok(None);
    };
    Ok(p.make(|b| {
        b.unknown_event(UnknownParts {
            event,
            call_id,
            payload,
        })
    }))
}

/// A value made twice (an attribute and a payload member); `None` where nothing was made.
type Twice<V> = (Option<V>, Option<V>);

/// The `call_id` of an unknown event: checked as every event's, made twice (the attribute
/// and the payload member).
struct CallIdTwice<'a, 'p, 'b, B: Builder + ?Sized> {
    p: &'a mut Pass<'b, B>,
    path: &'p Path<'p>,
}

seed!(CallIdTwice, (Option<B::Value>, Option<B::Value>));

impl<'b, B: Builder + ?Sized> CallIdTwice<'_, '_, 'b, B> {
    /// The checks of every event's `call_id`.
    fn field(&mut self) -> FieldV<'_, '_, 'b, B> {
        FieldV {
            p: &mut *self.p,
            path: self.path,
            spec: call_id_spec(),
            depth: 2,
        }
    }
}

impl<'de, B: Builder + ?Sized> Visitor<'de> for CallIdTwice<'_, '_, '_, B> {
    type Value = (Option<B::Value>, Option<B::Value>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a call id")
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<Self::Value, E> {
        let id = self.field().visit_str::<E>(v)?;
        let again = match id {
            Some(_) => self.p.make(|b| b.str(v)),
            None => None,
        };
        Ok((id, again))
    }
    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<Self::Value, E> {
        Ok((self.field().visit_bool::<E>(v)?, None))
    }
    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<Self::Value, E> {
        Ok((self.field().visit_i64::<E>(v)?, None))
    }
    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<Self::Value, E> {
        Ok((self.field().visit_u64::<E>(v)?, None))
    }
    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<Self::Value, E> {
        Ok((self.field().visit_f64::<E>(v)?, None))
    }
    fn visit_unit<E: de::Error>(mut self) -> Result<Self::Value, E> {
        Ok((self.field().visit_unit::<E>()?, None))
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((self.field().visit_seq(seq)?, None))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<Self::Value, A::Error> {
        Ok((self.field().visit_map(map)?, None))
    }
}
