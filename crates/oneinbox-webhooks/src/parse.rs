//! Parsing and validating webhook bodies: [`ParseOptions`], [`parse_event`].
//!
//! One pass over the bytes with `serde_json`, no intermediate document: the `event` member is
//! read first (OneInbox sends it first) and the rest decodes straight into that event's
//! struct. When `event` comes later, the members before it are held as raw JSON slices and
//! decoded once the event is known. Every non-fatal issue is collected on the way.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use crate::error::{Issue, IssueCode, ValidationError, MAX_ISSUES};
use crate::events::{
    Analysis, CallAnalyzed, CallEnded, CallFailed, CallRecordingAvailable, CallStarted, Event,
    Message, TranscriptFinal, TranscriptPartial, UnknownEvent, EVENT_NAMES,
};
use crate::formats;
use crate::text::preview;

/// How to parse a webhook body.
///
/// ```
/// use oneinbox_webhooks::{IssueCode, ParseOptions};
///
/// let strict = ParseOptions { strict: true, ..ParseOptions::default() };
/// let err = strict
///     .parse(br#"{"event":"call.analyzed","call_id":"call_1","agent_id":"agt_1"}"#)
///     .unwrap_err();
/// let codes: Vec<_> = err.issues().iter().map(|i| (i.code, i.path.as_str())).collect();
/// assert_eq!(
///     codes,
///     [(IssueCode::MissingField, "/outcome"), (IssueCode::MissingField, "/ai_summary")]
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Strict mode (for contract tests and CI): every field of the guide's payload is required
    /// and non-null, unknown members and unknown events are rejected, and formats are checked
    /// (E.164 numbers, RFC 3339 `created_at`, `https` `recording_url`, `role` ∈ {agent, user},
    /// `duration_seconds` ≥ 0, non-empty ids). Off by default: production receivers should stay
    /// lenient so that OneInbox can add fields, events and enum values without breaking them.
    pub strict: bool,
    /// Bodies longer than this many bytes are rejected with `too_large` before parsing.
    /// Default 1 MiB.
    pub max_body_bytes: usize,
    /// Arrays and objects nested deeper than this are rejected with `too_deep` (the top-level
    /// object is depth 1). Default 64. Values above [`MAX_DEPTH_CEILING`] act as the ceiling,
    /// so that the verdict never depends on the underlying parser's own limit.
    pub max_depth: usize,
}

/// The deepest nesting any [`ParseOptions::max_depth`] allows: 126 (the underlying parser
/// refuses a 128th level, and members read before `event` are replayed one level down).
pub const MAX_DEPTH_CEILING: usize = 126;

/// The default [`ParseOptions::max_body_bytes`]: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default [`ParseOptions::max_depth`]: 64.
pub const DEFAULT_MAX_DEPTH: usize = 64;

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            strict: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// Parses a webhook body in lenient mode with the default limits.
///
/// Pass the raw request body, exactly as received: not a re-serialized object.
///
/// ```
/// use oneinbox_webhooks::{parse_event, Event};
///
/// let body = br#"{"event":"call.ended","call_id":"call_abc123","duration_seconds":87}"#;
/// let event = parse_event(body)?;
/// assert_eq!(event.name(), "call.ended");
/// if let Event::CallEnded(ended) = &event {
///     assert_eq!(ended.duration_seconds.as_ref().and_then(|d| d.as_u64()), Some(87));
/// }
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
pub fn parse_event(body: &[u8]) -> Result<Event, ValidationError> {
    ParseOptions::default().parse(body)
}

impl ParseOptions {
    /// Parses and validates one webhook body. Every issue found is reported at once.
    pub fn parse(&self, body: &[u8]) -> Result<Event, ValidationError> {
        if body.len() > self.max_body_bytes {
            return Err(ValidationError::new(vec![Issue::new(
                IssueCode::TooLarge,
                "",
                format!(
                    "the body is {} bytes, more than max_body_bytes ({})",
                    body.len(),
                    self.max_body_bytes
                ),
            )]));
        }
        if let Some(why) = encoding_fault(body) {
            return Err(invalid_json(why));
        }
        let mut ctx = Ctx::new(self.strict, self.max_depth);
        let mut de = serde_json::Deserializer::from_slice(body);
        let result = TopSeed { ctx: &mut ctx }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        ctx.conclude(body, result)?;
        ctx.event.take().ok_or_else(|| {
            ValidationError::new(vec![Issue::new(
                IssueCode::InvalidJson,
                "",
                "the body could not be read as an event",
            )])
        })
    }
}

/// Reads any JSON document with the same rules as an event body: valid UTF-8 JSON only,
/// duplicate keys rejected at any depth, nesting limited to `max_depth` (capped at
/// [`MAX_DEPTH_CEILING`]). For management responses.
pub(crate) fn parse_value(body: &[u8], max_depth: usize) -> Result<Value, ValidationError> {
    if let Some(why) = encoding_fault(body) {
        return Err(invalid_json(why));
    }
    let mut ctx = Ctx::new(false, max_depth);
    let mut de = serde_json::Deserializer::from_slice(body);
    let result = ValueSeed {
        ctx: &mut ctx,
        path: Path::Root,
        depth: 1,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    ctx.conclude(body, result)
}

fn too_many_issues() -> Issue {
    Issue::new(
        IssueCode::TooManyIssues,
        "",
        format!("more than {MAX_ISSUES} issues; only the first {MAX_ISSUES} are listed"),
    )
}

fn invalid_json(why: String) -> ValidationError {
    ValidationError::new(vec![Issue::new(
        IssueCode::InvalidJson,
        "",
        format!("invalid JSON: {why}"),
    )])
}

/// Faults in the encoding that `serde_json` would report only as "expected value".
fn encoding_fault(body: &[u8]) -> Option<String> {
    match body {
        [] => Some("the body is empty".into()),
        [0xEF, 0xBB, 0xBF, ..] => Some("the body starts with a UTF-8 byte order mark".into()),
        [0xFE, 0xFF, ..] | [0xFF, 0xFE, ..] => {
            Some("the body is UTF-16 (it starts with a UTF-16 byte order mark); send UTF-8".into())
        }
        [0, _, ..] | [_, 0, ..] => Some("the body looks like UTF-16 or UTF-32; send UTF-8".into()),
        _ => None,
    }
}

/// A message for a `serde_json` error that says what is wrong.
fn describe_json_error(body: &[u8], e: &serde_json::Error) -> String {
    let base = e.to_string();
    if let Err(utf8) = std::str::from_utf8(body) {
        return format!(
            "the body is not valid UTF-8 (bad byte at offset {})",
            utf8.valid_up_to()
        );
    }
    if e.classify() == serde_json::error::Category::Eof {
        return format!("the body ends early ({base})");
    }
    if base.contains("surrogate") || base.contains("end of hex escape") {
        return format!(
            "a string holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which is not text ({base})"
        );
    }
    if base.starts_with("trailing characters") {
        return format!("trailing data after the JSON value ({base})");
    }
    // Point at the offending bytes to name NaN / Infinity, which JSON does not have.
    let offset = byte_offset(body, e.line(), e.column());
    let at = body.get(offset.saturating_sub(1)..).unwrap_or_default();
    let at = at.strip_prefix(b"-").unwrap_or(at);
    for word in [&b"NaN"[..], b"Infinity"] {
        if at.starts_with(word) || at.strip_prefix(b"-").is_some_and(|a| a.starts_with(word)) {
            return format!("NaN and Infinity are not JSON numbers ({base})");
        }
    }
    base
}

/// The byte offset of a 1-based line and column as `serde_json` reports them.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match body
            .get(start..)
            .and_then(|b| b.iter().position(|&c| c == b'\n'))
        {
            Some(p) => start += p + 1,
            None => break,
        }
    }
    start + column
}

// ---------------------------------------------------------------------------------------------
// Context, paths and issues

struct Ctx {
    strict: bool,
    max_depth: usize,
    issues: Vec<Issue>,
    /// How many issues were recorded (the list itself may be shorter for a moment while
    /// nested issues are set aside); capped at [`MAX_ISSUES`].
    recorded: usize,
    /// More issues were found than are kept.
    truncated: bool,
    fatal: Option<Issue>,
    /// The result, stored here rather than returned through serde's layers: an event is a
    /// few hundred bytes, and every layer would copy it.
    event: Option<Event>,
}

/// A JSON Pointer built lazily: a linked list on the stack, turned into a string only when an
/// issue needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
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

impl Ctx {
    fn new(strict: bool, max_depth: usize) -> Self {
        Ctx {
            strict,
            max_depth: max_depth.min(MAX_DEPTH_CEILING),
            issues: Vec::new(),
            recorded: 0,
            truncated: false,
            fatal: None,
            event: None,
        }
    }

    /// The verdict of one read: a fatal issue (unless a syntax error further on takes
    /// precedence), a syntax error, or every issue collected; otherwise the value read.
    fn conclude<T>(
        &mut self,
        body: &[u8],
        result: Result<T, serde_json::Error>,
    ) -> Result<T, ValidationError> {
        if let Some(fatal) = self.fatal.take() {
            // Reading stopped at the fault; a syntax error further on still takes precedence
            // (the check skips values without recursion, so any depth is safe).
            let mut rest = serde_json::Deserializer::from_slice(body);
            if let Err(e) = de::IgnoredAny::deserialize(&mut rest).and_then(|_| rest.end()) {
                return Err(invalid_json(describe_json_error(body, &e)));
            }
            return Err(ValidationError::new(vec![fatal]));
        }
        let value = result.map_err(|e| invalid_json(describe_json_error(body, &e)))?;
        if !self.issues.is_empty() {
            let mut issues = std::mem::take(&mut self.issues);
            if self.truncated {
                issues.push(too_many_issues());
            }
            return Err(ValidationError::new(issues));
        }
        Ok(value)
    }

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

    fn push(&mut self, code: IssueCode, path: &Path<'_>, message: String) {
        if self.full() {
            return;
        }
        self.recorded += 1;
        self.issues.push(Issue::new(code, path.pointer(), message));
    }

    /// Forgets every issue (a non-object body gets exactly one).
    fn clear(&mut self) {
        self.issues.clear();
        self.recorded = 0;
        self.truncated = false;
    }

    fn wrong_type(&mut self, path: &Path<'_>, expected: &str, found: &Value) {
        if self.full() {
            return;
        }
        let message = format!(
            "{} must be {expected}, found {}",
            path.label(),
            describe(found)
        );
        self.push(IssueCode::WrongType, path, message);
    }

    /// A wrong type reported before the `mark`-th issue onwards (the issues found inside the
    /// value), so that issues stay in document pre-order.
    fn wrong_type_at(&mut self, mark: usize, path: &Path<'_>, expected: &str, found: &Value) {
        let nested = self.take_nested(mark);
        self.wrong_type(path, expected, found);
        self.restore(nested);
    }

    /// The issues pushed since `mark` (those found inside a member's value), taken out so
    /// that issues about the member itself can go first. Free when there are none.
    fn take_nested(&mut self, mark: usize) -> Vec<Issue> {
        if self.issues.len() > mark {
            let nested = self.issues.split_off(mark);
            self.recorded -= nested.len();
            nested
        } else {
            Vec::new()
        }
    }

    /// Puts back what [`Ctx::take_nested`] took, after the member's own issues; what no longer
    /// fits under [`MAX_ISSUES`] is dropped from the end.
    fn restore(&mut self, nested: Vec<Issue>) {
        if !nested.is_empty() {
            self.issues.extend(nested);
            if self.issues.len() > MAX_ISSUES {
                self.issues.truncate(MAX_ISSUES);
                self.truncated = true;
            }
            self.recorded = self.issues.len();
        }
    }

    fn missing(&mut self, path: &Path<'_>) {
        if self.full() {
            return;
        }
        let message = format!("{} is required but missing", path.label());
        self.push(IssueCode::MissingField, path, message);
    }

    fn duplicate(&mut self, path: &Path<'_>) {
        if self.full() {
            return;
        }
        let message = format!(
            "{} appears more than once in the same object; duplicate keys are rejected",
            path.label()
        );
        self.push(IssueCode::DuplicateField, path, message);
    }

    fn unknown_field(&mut self, path: &Path<'_>, owner: &str) {
        if self.full() {
            return;
        }
        let message = format!(
            "{} is not a field of {owner} (strict mode rejects unknown members)",
            path.label()
        );
        self.push(IssueCode::UnknownField, path, message);
    }

    /// Checks the nesting depth of a container; too deep is fatal.
    fn enter<E: de::Error>(&mut self, depth: usize, path: &Path<'_>) -> Result<(), E> {
        if depth > self.max_depth {
            self.fatal = Some(Issue::new(
                IssueCode::TooDeep,
                path.pointer(),
                format!(
                    "arrays and objects are nested deeper than max_depth ({}) at {}",
                    self.max_depth,
                    path.label()
                ),
            ));
            return Err(E::custom("nesting too deep"));
        }
        Ok(())
    }
}

/// "a string \"abc\"", "a number 12", "null", ... for messages (bounded).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({})", preview(&n.to_string())),
        Value::String(s) => format!("a string ({})", preview(s)),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".into(),
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

// ---------------------------------------------------------------------------------------------
// Any value: checks depth and duplicate keys, validates every string.

struct ValueSeed<'c, 'p> {
    ctx: &'c mut Ctx,
    path: Path<'p>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let ValueSeed { ctx, path, depth } = self;
        ctx.enter(depth, &path)?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            let seed = ValueSeed {
                ctx: &mut *ctx,
                path: Path::Index(&path, items.len()),
                depth: depth + 1,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let ValueSeed { ctx, path, depth } = self;
        ctx.enter(depth, &path)?;
        let mut obj = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let here = Path::Key(&path, &key);
            let duplicate = obj.contains_key(key.as_ref());
            if duplicate {
                ctx.duplicate(&here);
            }
            let v = map.next_value_seed(ValueSeed {
                ctx: &mut *ctx,
                path: here,
                depth: depth + 1,
            })?;
            if !duplicate {
                obj.insert(key.into_owned(), v);
            }
        }
        Ok(Value::Object(obj))
    }
}

// ---------------------------------------------------------------------------------------------
// Field checks

/// Reads a string field. `None` for null (lenient), or when an issue was recorded.
fn take_string(ctx: &mut Ctx, path: &Path<'_>, v: Value, nullable: bool) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Null if nullable => None,
        other => {
            ctx.wrong_type(path, "a string", &other);
            None
        }
    }
}

fn invalid_value(ctx: &mut Ctx, path: &Path<'_>, expected: &str, found: &str) {
    if ctx.full() {
        return;
    }
    let message = format!(
        "{} must be {expected}, found {}",
        path.label(),
        preview(found)
    );
    ctx.push(IssueCode::InvalidValue, path, message);
}

// ---------------------------------------------------------------------------------------------
// Event kinds and their fields

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Field {
    CallId,
    AgentId,
    ToNumber,
    FromNumber,
    CreatedAt,
    Status,
    DurationSeconds,
    Outcome,
    AiSummary,
    Analysis,
    Reason,
    RecordingUrl,
    Messages,
}

impl Field {
    pub(crate) fn from_key(key: &str) -> Option<Field> {
        Some(match key {
            "call_id" => Field::CallId,
            "agent_id" => Field::AgentId,
            "to_number" => Field::ToNumber,
            "from_number" => Field::FromNumber,
            "created_at" => Field::CreatedAt,
            "status" => Field::Status,
            "duration_seconds" => Field::DurationSeconds,
            "outcome" => Field::Outcome,
            "ai_summary" => Field::AiSummary,
            "analysis" => Field::Analysis,
            "reason" => Field::Reason,
            "recording_url" => Field::RecordingUrl,
            "messages" => Field::Messages,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::CallId => "call_id",
            Field::AgentId => "agent_id",
            Field::ToNumber => "to_number",
            Field::FromNumber => "from_number",
            Field::CreatedAt => "created_at",
            Field::Status => "status",
            Field::DurationSeconds => "duration_seconds",
            Field::Outcome => "outcome",
            Field::AiSummary => "ai_summary",
            Field::Analysis => "analysis",
            Field::Reason => "reason",
            Field::RecordingUrl => "recording_url",
            Field::Messages => "messages",
        }
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The bits of the fields required (and non-null) even in lenient mode.
    pub(crate) const ALWAYS_REQUIRED: u16 = Field::CallId.bit() | Field::Messages.bit();

    /// Required (and non-null) even in lenient mode.
    pub(crate) fn always_required(self) -> bool {
        Field::ALWAYS_REQUIRED & self.bit() != 0
    }
}

/// One of the seven documented events.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    /// `call.started`
    CallStarted,
    /// `call.ended`
    CallEnded,
    /// `call.analyzed`
    CallAnalyzed,
    /// `call.failed`
    CallFailed,
    /// `call.recording.available`
    CallRecordingAvailable,
    /// `transcript.partial`
    TranscriptPartial,
    /// `transcript.final`
    TranscriptFinal,
}

impl Kind {
    /// The event of a wire name; `None` for a name this version does not know.
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "call.started" => Kind::CallStarted,
            "call.ended" => Kind::CallEnded,
            "call.analyzed" => Kind::CallAnalyzed,
            "call.failed" => Kind::CallFailed,
            "call.recording.available" => Kind::CallRecordingAvailable,
            "transcript.partial" => Kind::TranscriptPartial,
            "transcript.final" => Kind::TranscriptFinal,
            _ => return None,
        })
    }

    /// The wire name, e.g. `"call.ended"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CallStarted => CallStarted::EVENT,
            Kind::CallEnded => CallEnded::EVENT,
            Kind::CallAnalyzed => CallAnalyzed::EVENT,
            Kind::CallFailed => CallFailed::EVENT,
            Kind::CallRecordingAvailable => CallRecordingAvailable::EVENT,
            Kind::TranscriptPartial => TranscriptPartial::EVENT,
            Kind::TranscriptFinal => TranscriptFinal::EVENT,
        }
    }

    /// The bits ([`Field::bit`]) of [`Kind::fields`].
    pub(crate) fn mask(self) -> u16 {
        const fn bits(fields: &[Field]) -> u16 {
            match fields {
                [first, rest @ ..] => first.bit() | bits(rest),
                [] => 0,
            }
        }
        const STARTED: u16 = bits(Kind::CallStarted.fields());
        const ENDED: u16 = bits(Kind::CallEnded.fields());
        const ANALYZED: u16 = bits(Kind::CallAnalyzed.fields());
        const FAILED: u16 = bits(Kind::CallFailed.fields());
        const RECORDING: u16 = bits(Kind::CallRecordingAvailable.fields());
        const TRANSCRIPT: u16 = bits(Kind::TranscriptFinal.fields());
        match self {
            Kind::CallStarted => STARTED,
            Kind::CallEnded => ENDED,
            Kind::CallAnalyzed => ANALYZED,
            Kind::CallFailed => FAILED,
            Kind::CallRecordingAvailable => RECORDING,
            Kind::TranscriptPartial | Kind::TranscriptFinal => TRANSCRIPT,
        }
    }

    /// The bits of the fields that must be present: all of them in strict mode, those that
    /// are [`Field::always_required`] in lenient mode.
    pub(crate) fn required_mask(self, strict: bool) -> u16 {
        if strict {
            self.mask()
        } else {
            self.mask() & Field::ALWAYS_REQUIRED
        }
    }

    /// The guide's fields for this event, in the guide's order.
    pub(crate) const fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Kind::CallStarted => &[CallId, AgentId, ToNumber, FromNumber, CreatedAt],
            Kind::CallEnded => &[
                CallId,
                AgentId,
                Status,
                DurationSeconds,
                ToNumber,
                FromNumber,
                Outcome,
                AiSummary,
                Analysis,
            ],
            Kind::CallAnalyzed => &[CallId, AgentId, Outcome, AiSummary],
            Kind::CallFailed => &[CallId, AgentId, ToNumber, FromNumber, Reason],
            Kind::CallRecordingAvailable => &[CallId, RecordingUrl],
            Kind::TranscriptPartial | Kind::TranscriptFinal => &[CallId, Messages],
        }
    }
}

/// What the top-level object turned out to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `event` not seen yet: members are held as raw slices.
    Pending,
    Known(Kind),
    /// A name this version does not know: the whole payload is kept.
    Unknown,
    /// `event` missing or not a string: only `call_id` is checked.
    Invalid,
}

/// Everything decoded from the top-level object.
#[derive(Default)]
struct Fields {
    seen: u16,
    call_id: Option<String>,
    agent_id: Option<String>,
    to_number: Option<String>,
    from_number: Option<String>,
    created_at: Option<String>,
    status: Option<String>,
    duration_seconds: Option<Number>,
    outcome: Option<String>,
    ai_summary: Option<String>,
    analysis: Option<Analysis>,
    reason: Option<String>,
    recording_url: Option<String>,
    messages: Option<Vec<Message>>,
    extra: Map<String, Value>,
}

/// Where a member's value comes from: the live map, or a raw slice held while `event` was
/// not yet known.
trait Source<'de> {
    type Error: de::Error;
    fn value<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Self::Error>;
}

struct Live<'a, A>(&'a mut A);

impl<'de, A: MapAccess<'de>> Source<'de> for Live<'_, A> {
    type Error = A::Error;

    fn value<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}

struct Raw<'de>(&'de RawValue);

impl<'de> Source<'de> for Raw<'de> {
    type Error = serde_json::Error;

    fn value<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.0.get());
        seed.deserialize(&mut de)
    }
}

struct TopSeed<'c> {
    ctx: &'c mut Ctx,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl TopSeed<'_> {
    fn not_an_object(self, found: &str) {
        self.ctx.push(
            IssueCode::NotAnObject,
            &Path::Root,
            format!("the body must be a JSON object, found {found}"),
        );
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.not_an_object("a boolean");
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.not_an_object("a number");
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.not_an_object("a number");
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.not_an_object("a number");
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.not_an_object("a string");
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.not_an_object("null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Read it in full (depth limit, valid strings), but a non-object body gets exactly one
        // issue: what is inside an array does not matter.
        ValueSeed {
            ctx: &mut *self.ctx,
            path: Path::Root,
            depth: 1,
        }
        .visit_seq(seq)?;
        self.ctx.clear();
        self.not_an_object("an array");
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        ctx.enter(1, &Path::Root)?;
        let mut top = Top {
            ctx,
            shape: Shape::Pending,
            fields: Fields::default(),
            event: None,
        };
        let mut pending: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key == "event" {
                if top.shape == Shape::Pending {
                    let path = Path::Key(&Path::Root, "event");
                    let v = map.next_value_seed(ValueSeed {
                        ctx: &mut *top.ctx,
                        path,
                        depth: 2,
                    })?;
                    top.resolve(v, &mut pending)?;
                } else {
                    let path = Path::Key(&Path::Root, "event");
                    map.next_value_seed(ValueSeed {
                        ctx: &mut *top.ctx,
                        path,
                        depth: 2,
                    })?;
                    top.ctx.duplicate(&path);
                }
            } else if top.shape == Shape::Pending {
                pending.push((key, map.next_value::<&'de RawValue>()?));
            } else {
                top.member(key, Live(&mut map))?;
            }
        }
        if top.shape == Shape::Pending {
            top.shape = Shape::Invalid;
            top.replay(&mut pending)?;
            top.ctx.missing(&Path::Key(&Path::Root, "event"));
        }
        top.finish();
        Ok(())
    }
}

/// The state of the top-level object while it is read.
struct Top<'c> {
    ctx: &'c mut Ctx,
    shape: Shape,
    fields: Fields,
    /// The event name, once known (a string).
    event: Option<String>,
}

impl Top<'_> {
    /// The `event` member arrived: fix the shape, decode the held members, then report on
    /// `event` itself (document order).
    fn resolve<'de, E: de::Error>(
        &mut self,
        v: Value,
        pending: &mut Vec<(Cow<'de, str>, &'de RawValue)>,
    ) -> Result<(), E> {
        let path = Path::Key(&Path::Root, "event");
        match v {
            Value::String(name) => {
                self.shape = match Kind::from_name(&name) {
                    Some(kind) => Shape::Known(kind),
                    None => Shape::Unknown,
                };
                self.replay(pending)?;
                if self.shape == Shape::Unknown {
                    if self.ctx.strict {
                        let message = format!(
                            "{} is not a known event (strict mode); known events: {}",
                            preview(&name),
                            EVENT_NAMES.join(", ")
                        );
                        self.ctx.push(IssueCode::UnknownEvent, &path, message);
                    }
                    self.fields
                        .extra
                        .insert("event".into(), Value::String(name.clone()));
                }
                self.event = Some(name);
            }
            other => {
                self.shape = Shape::Invalid;
                self.replay(pending)?;
                self.ctx
                    .wrong_type(&path, "a string (the event name)", &other);
            }
        }
        Ok(())
    }

    fn replay<'de, E: de::Error>(
        &mut self,
        pending: &mut Vec<(Cow<'de, str>, &'de RawValue)>,
    ) -> Result<(), E> {
        for (key, raw) in pending.drain(..) {
            self.member(key, Raw(raw)).map_err(E::custom)?;
        }
        Ok(())
    }

    /// One top-level member other than `event`.
    fn member<'de, S: Source<'de>>(
        &mut self,
        key: Cow<'de, str>,
        mut src: S,
    ) -> Result<(), S::Error> {
        let here = Path::Key(&Path::Root, &key);
        let field = match self.shape {
            Shape::Known(kind) => Field::from_key(&key).filter(|f| kind.fields().contains(f)),
            Shape::Invalid => Field::from_key(&key).filter(|f| *f == Field::CallId),
            Shape::Unknown | Shape::Pending => None,
        };
        // Issues about a member come before the issues found inside its value.
        let mark = self.ctx.issues.len();
        let Some(field) = field else {
            let v = src.value(ValueSeed {
                ctx: &mut *self.ctx,
                path: here,
                depth: 2,
            })?;
            let nested = self.ctx.take_nested(mark);
            let duplicate = self.fields.extra.contains_key(key.as_ref());
            match self.shape {
                _ if duplicate => self.ctx.duplicate(&here),
                Shape::Known(kind) if self.ctx.strict => {
                    self.ctx.unknown_field(&here, kind.name());
                }
                Shape::Unknown if key == "call_id" => {
                    check_call_id(self.ctx, &here, v.clone());
                }
                _ => {}
            }
            self.ctx.restore(nested);
            if !duplicate {
                self.fields.extra.insert(key.into_owned(), v);
            }
            return Ok(());
        };
        if self.fields.seen & field.bit() != 0 {
            self.ctx.duplicate(&here);
            src.value(ValueSeed {
                ctx: &mut *self.ctx,
                path: here,
                depth: 2,
            })?;
            return Ok(());
        }
        self.fields.seen |= field.bit();
        if field == Field::Messages {
            self.fields.messages = src.value(MessagesSeed {
                ctx: &mut *self.ctx,
                path: here,
            })?;
            return Ok(());
        }
        if field == Field::Analysis {
            self.fields.analysis = src.value(AnalysisSeed {
                ctx: &mut *self.ctx,
                path: here,
            })?;
            return Ok(());
        }
        let v = src.value(ValueSeed {
            ctx: &mut *self.ctx,
            path: here,
            depth: 2,
        })?;
        let nested = self.ctx.take_nested(mark);
        self.scalar(field, &here, v);
        self.ctx.restore(nested);
        Ok(())
    }

    /// Checks and stores a string or number field.
    fn scalar(&mut self, field: Field, path: &Path<'_>, v: Value) {
        let ctx = &mut *self.ctx;
        let strict = ctx.strict;
        let f = &mut self.fields;
        match field {
            Field::CallId => f.call_id = check_call_id(ctx, path, v),
            Field::DurationSeconds => {
                f.duration_seconds = match v {
                    Value::Number(n) => {
                        if strict && n.as_f64().is_some_and(|x| x < 0.0) {
                            invalid_value(ctx, path, "a number ≥ 0", &n.to_string());
                        }
                        Some(n)
                    }
                    Value::Null if !strict => None,
                    other => {
                        ctx.wrong_type(path, "a number", &other);
                        None
                    }
                }
            }
            _ => {
                let s = take_string(ctx, path, v, !strict);
                if let (true, Some(s)) = (strict, &s) {
                    check_format(ctx, field, path, s);
                }
                let slot = match field {
                    Field::AgentId => &mut f.agent_id,
                    Field::ToNumber => &mut f.to_number,
                    Field::FromNumber => &mut f.from_number,
                    Field::CreatedAt => &mut f.created_at,
                    Field::Status => &mut f.status,
                    Field::Outcome => &mut f.outcome,
                    Field::AiSummary => &mut f.ai_summary,
                    Field::Reason => &mut f.reason,
                    Field::RecordingUrl => &mut f.recording_url,
                    // Handled above or by their own seeds.
                    Field::CallId | Field::DurationSeconds | Field::Analysis | Field::Messages => {
                        return
                    }
                };
                *slot = s;
            }
        }
    }

    /// Missing-field checks, then the typed event, left in the context.
    fn finish(&mut self) {
        let ctx = &mut *self.ctx;
        let shape = self.shape;
        let fields = &mut self.fields;
        let event = self.event.take();
        match shape {
            Shape::Known(kind) => {
                for &field in kind.fields() {
                    if fields.seen & field.bit() == 0 && (ctx.strict || field.always_required()) {
                        ctx.missing(&Path::Key(&Path::Root, field.name()));
                    }
                }
            }
            Shape::Unknown => {
                if !fields.extra.contains_key("call_id") {
                    ctx.missing(&Path::Key(&Path::Root, "call_id"));
                }
            }
            Shape::Invalid | Shape::Pending => {
                if fields.seen & Field::CallId.bit() == 0 {
                    ctx.missing(&Path::Key(&Path::Root, "call_id"));
                }
            }
        }
        if !ctx.issues.is_empty() {
            return;
        }
        let f = fields;
        let call_id = f.call_id.take().unwrap_or_default();
        let extra = std::mem::take(&mut f.extra);
        let built = match shape {
            Shape::Known(Kind::CallStarted) => Event::CallStarted(CallStarted {
                call_id,
                agent_id: f.agent_id.take(),
                to_number: f.to_number.take(),
                from_number: f.from_number.take(),
                created_at: f.created_at.take(),
                extra,
            }),
            Shape::Known(Kind::CallEnded) => Event::CallEnded(CallEnded {
                call_id,
                agent_id: f.agent_id.take(),
                status: f.status.take(),
                duration_seconds: f.duration_seconds.take(),
                to_number: f.to_number.take(),
                from_number: f.from_number.take(),
                outcome: f.outcome.take(),
                ai_summary: f.ai_summary.take(),
                analysis: f.analysis.take(),
                extra,
            }),
            Shape::Known(Kind::CallAnalyzed) => Event::CallAnalyzed(CallAnalyzed {
                call_id,
                agent_id: f.agent_id.take(),
                outcome: f.outcome.take(),
                ai_summary: f.ai_summary.take(),
                extra,
            }),
            Shape::Known(Kind::CallFailed) => Event::CallFailed(CallFailed {
                call_id,
                agent_id: f.agent_id.take(),
                to_number: f.to_number.take(),
                from_number: f.from_number.take(),
                reason: f.reason.take(),
                extra,
            }),
            Shape::Known(Kind::CallRecordingAvailable) => {
                Event::CallRecordingAvailable(CallRecordingAvailable {
                    call_id,
                    recording_url: f.recording_url.take(),
                    extra,
                })
            }
            Shape::Known(Kind::TranscriptPartial) => Event::TranscriptPartial(TranscriptPartial {
                call_id,
                messages: f.messages.take().unwrap_or_default(),
                extra,
            }),
            Shape::Known(Kind::TranscriptFinal) => Event::TranscriptFinal(TranscriptFinal {
                call_id,
                messages: f.messages.take().unwrap_or_default(),
                extra,
            }),
            Shape::Unknown => {
                let call_id = match extra.get("call_id") {
                    Some(Value::String(s)) => s.clone(),
                    _ => call_id,
                };
                Event::Unknown(UnknownEvent {
                    event: event.unwrap_or_default(),
                    call_id,
                    payload: extra,
                })
            }
            // Both always carry an issue, so they never get here.
            Shape::Invalid | Shape::Pending => return,
        };
        ctx.event = Some(built);
    }
}

/// `call_id`: a non-empty string, in both modes.
fn check_call_id(ctx: &mut Ctx, path: &Path<'_>, v: Value) -> Option<String> {
    let s = take_string(ctx, path, v, false)?;
    if s.is_empty() {
        invalid_value(ctx, path, "a non-empty string", &s);
        return None;
    }
    Some(s)
}

/// Strict-mode formats of string fields.
fn check_format(ctx: &mut Ctx, field: Field, path: &Path<'_>, s: &str) {
    let (ok, expected) = match field {
        Field::AgentId => (!s.is_empty(), "a non-empty string"),
        Field::ToNumber | Field::FromNumber => (
            formats::is_e164(s),
            "an E.164 phone number such as \"+15551234567\"",
        ),
        Field::CreatedAt => (
            formats::is_rfc3339(s),
            "an RFC 3339 date-time such as \"2026-06-01T10:00:00Z\"",
        ),
        Field::RecordingUrl => (
            formats::is_https_url(s),
            "an absolute https URL with a host",
        ),
        _ => (true, ""),
    };
    if !ok {
        invalid_value(ctx, path, expected, s);
    }
}

// ---------------------------------------------------------------------------------------------
// messages

/// A seed for a typed member (`messages`, one message, `analysis`): its struct, its
/// `DeserializeSeed` impl, and how it reports a value of the wrong type — before the issues
/// found inside that value, to keep document pre-order.
macro_rules! typed_seed {
    ($name:ident, $out:ty, $expected:literal) => {
        struct $name<'c, 'p> {
            ctx: &'c mut Ctx,
            path: Path<'p>,
        }

        impl<'de> DeserializeSeed<'de> for $name<'_, '_> {
            type Value = $out;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }

        impl $name<'_, '_> {
            fn wrong(self, found: Value) -> $out {
                let mark = self.ctx.issues.len();
                self.wrong_at(mark, found)
            }

            fn wrong_at(self, mark: usize, found: Value) -> $out {
                self.ctx.wrong_type_at(mark, &self.path, $expected, &found);
                None
            }
        }
    };
}

typed_seed!(
    MessagesSeed,
    Option<Vec<Message>>,
    "an array of {role, content} objects"
);

/// For typed visitors: a value of the wrong type is still read in full (depth, duplicates,
/// strings checked), then reported.
macro_rules! wrong_type_fallbacks {
    ($expected:literal, $visit:ident, $access:ident, $depth:literal) => {
        /// A container of the other kind: read in full, then reported.
        fn $visit<A: $access<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
            let mark = self.ctx.issues.len();
            let v = ValueSeed {
                ctx: &mut *self.ctx,
                path: self.path,
                depth: $depth,
            }
            .$visit(access)?;
            Ok(self.wrong_at(mark, v))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(self.wrong(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(self.wrong(Value::Number(v.into())))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(self.wrong(Value::Number(v.into())))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(self.wrong(Number::from_f64(v).map_or(Value::Null, Value::Number)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(self.wrong(Value::String(v.to_owned())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.null())
        }
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str($expected)
        }
    };
}

impl MessagesSeed<'_, '_> {
    fn null(self) -> Option<Vec<Message>> {
        self.wrong(Value::Null)
    }
}

impl<'de> Visitor<'de> for MessagesSeed<'_, '_> {
    type Value = Option<Vec<Message>>;

    wrong_type_fallbacks!("an array of messages", visit_map, MapAccess, 2);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let MessagesSeed { ctx, path } = self;
        ctx.enter(2, &path)?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        let mut index = 0;
        loop {
            let seed = MessageSeed {
                ctx: &mut *ctx,
                path: Path::Index(&path, index),
            };
            match seq.next_element_seed(seed)? {
                Some(Some(m)) => out.push(m),
                Some(None) => {}
                None => break,
            }
            index += 1;
        }
        Ok(Some(out))
    }
}

typed_seed!(MessageSeed, Option<Message>, "an object {role, content}");

impl MessageSeed<'_, '_> {
    fn null(self) -> Option<Message> {
        self.wrong(Value::Null)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_, '_> {
    type Value = Option<Message>;

    wrong_type_fallbacks!("a message object", visit_seq, SeqAccess, 3);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let MessageSeed { ctx, path } = self;
        ctx.enter(3, &path)?;
        let strict = ctx.strict;
        let mut m = Message::default();
        let (mut has_role, mut has_content) = (false, false);
        let before = ctx.issues.len();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let here = Path::Key(&path, &key);
            let mark = ctx.issues.len();
            let v = map.next_value_seed(ValueSeed {
                ctx: &mut *ctx,
                path: here,
                depth: 4,
            })?;
            let nested = ctx.take_nested(mark);
            let seen = match key.as_ref() {
                "role" => std::mem::replace(&mut has_role, true),
                "content" => std::mem::replace(&mut has_content, true),
                other => m.extra.contains_key(other),
            };
            if seen {
                ctx.duplicate(&here);
                ctx.restore(nested);
                continue;
            }
            match key.as_ref() {
                "role" => {
                    m.role = take_string(ctx, &here, v, !strict);
                    if let (true, Some(role)) = (strict, &m.role) {
                        if role != "agent" && role != "user" {
                            invalid_value(ctx, &here, "\"agent\" or \"user\"", role);
                        }
                    }
                }
                "content" => m.content = take_string(ctx, &here, v, !strict),
                _ => {
                    if strict {
                        ctx.unknown_field(&here, "a message");
                    }
                    m.extra.insert(key.into_owned(), v);
                }
            }
            ctx.restore(nested);
        }
        if strict {
            if !has_role {
                ctx.missing(&Path::Key(&path, "role"));
            }
            if !has_content {
                ctx.missing(&Path::Key(&path, "content"));
            }
        }
        Ok((ctx.issues.len() == before).then_some(m))
    }
}

// ---------------------------------------------------------------------------------------------
// analysis

typed_seed!(AnalysisSeed, Option<Analysis>, "an object");

impl AnalysisSeed<'_, '_> {
    fn null(self) -> Option<Analysis> {
        if self.ctx.strict {
            self.wrong(Value::Null)
        } else {
            None
        }
    }
}

impl<'de> Visitor<'de> for AnalysisSeed<'_, '_> {
    type Value = Option<Analysis>;

    wrong_type_fallbacks!("an analysis object", visit_seq, SeqAccess, 2);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let AnalysisSeed { ctx, path } = self;
        ctx.enter(2, &path)?;
        let strict = ctx.strict;
        let mut a = Analysis::default();
        let mut seen = [false; 3];
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let here = Path::Key(&path, &key);
            let mark = ctx.issues.len();
            let v = map.next_value_seed(ValueSeed {
                ctx: &mut *ctx,
                path: here,
                depth: 3,
            })?;
            let nested = ctx.take_nested(mark);
            let slot = match key.as_ref() {
                "summary" => Some(0),
                "outcome" => Some(1),
                "extracted_data" => Some(2),
                _ => None,
            };
            let dup = match slot.and_then(|i| seen.get_mut(i)) {
                Some(flag) => std::mem::replace(flag, true),
                None => a.extra.contains_key(key.as_ref()),
            };
            if dup {
                ctx.duplicate(&here);
                ctx.restore(nested);
                continue;
            }
            match slot {
                Some(0) => a.summary = take_string(ctx, &here, v, !strict),
                Some(1) => a.outcome = take_string(ctx, &here, v, true),
                Some(_) => {
                    a.extracted_data = match v {
                        Value::Object(o) => Some(o),
                        Value::Null => None,
                        other => {
                            ctx.wrong_type(&here, "an object", &other);
                            None
                        }
                    }
                }
                None => {
                    if strict {
                        ctx.unknown_field(&here, "analysis");
                    }
                    a.extra.insert(key.into_owned(), v);
                }
            }
            ctx.restore(nested);
        }
        if strict && !seen[0] {
            ctx.missing(&Path::Key(&path, "summary"));
        }
        Ok(Some(a))
    }
}
