//! Parsing and validating webhook bodies: [`ParseOptions`], [`parse_event`].
//!
//! The options and the checks before the JSON (size, encoding); the one pass over the JSON
//! is [`crate::pass`], run with the builder of each entry point.

use serde_json::Value;

use crate::build::{BuildError, Builder, Built, EventBuilder, ValueBuilder};
use crate::error::{Issue, IssueCode, ValidationError};
use crate::events::Event;
use crate::pass::Nothing;

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

/// The deepest nesting any [`ParseOptions::max_depth`] allows: 126, so that the verdict never
/// depends on the reader's own nesting limit (128).
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
        match self.run(body, &mut EventBuilder::default()) {
            Ok(Built::Event(event)) => Ok(*event),
            Ok(_) => Err(ValidationError::new(vec![Issue::new(
                IssueCode::InvalidJson,
                "",
                "the body could not be read as an event",
            )])),
            Err(BuildError::Invalid(e)) => Err(e),
            Err(BuildError::Host(never)) => match never {},
        }
    }

    /// Validates one webhook body exactly as [`ParseOptions::parse`] does (same verdict, same
    /// issues) without building the event: the same pass, with a builder that makes nothing.
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
        self.validate_unlisted(body).map(|_| ())
    }

    /// Validates one webhook body exactly as [`ParseOptions::validate`] does (same verdict,
    /// same issues) and says whether the event has unlisted members: `true` when some object
    /// of the event (the event, its `analysis`, a message) has members the contract does not
    /// list, or the event is unknown. Only lenient mode can answer `true`: strict mode rejects
    /// both. A binding that adds `extra` on its own uses it to skip that work when there is
    /// nothing to add.
    ///
    /// ```
    /// use oneinbox_webhooks::ParseOptions;
    ///
    /// let opts = ParseOptions::default();
    /// let listed = br#"{"event":"call.failed","call_id":"call_1"}"#;
    /// assert_eq!(opts.validate_unlisted(listed).unwrap(), false);
    /// let unlisted = br#"{"event":"call.failed","call_id":"call_1","region":"eu"}"#;
    /// assert_eq!(opts.validate_unlisted(unlisted).unwrap(), true);
    /// let unknown = br#"{"event":"call.paused","call_id":"call_1"}"#;
    /// assert_eq!(opts.validate_unlisted(unknown).unwrap(), true);
    /// ```
    pub fn validate_unlisted(&self, body: &[u8]) -> Result<bool, ValidationError> {
        let mut nothing = Nothing::default();
        match self.run(body, &mut nothing) {
            Ok(()) => Ok(nothing.unlisted),
            Err(BuildError::Invalid(e)) => Err(e),
            Err(BuildError::Host(never)) => match never {},
        }
    }

    /// Validates one webhook body exactly as [`ParseOptions::parse`] does and makes the
    /// builder's value of the event, calling `builder` for every value (see [`crate::build`]).
    ///
    /// ```
    /// use oneinbox_webhooks::build::{BuildError, ValueBuilder};
    /// use oneinbox_webhooks::ParseOptions;
    ///
    /// let opts = ParseOptions::default();
    /// let body = br#"{"event":"call.analyzed","call_id":"call_1","outcome":"Booked"}"#;
    /// let value = opts.parse_with(body, &mut ValueBuilder).unwrap();
    /// assert_eq!(value["outcome"], "Booked");
    /// match opts.parse_with(br#"{"event":"call.analyzed"}"#, &mut ValueBuilder) {
    ///     Err(BuildError::Invalid(e)) => assert_eq!(e.issues()[0].path, "/call_id"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    #[doc(hidden)]
    pub fn parse_with<B: Builder + ?Sized>(
        &self,
        body: &[u8],
        builder: &mut B,
    ) -> Result<B::Value, BuildError<B::Error>> {
        self.run(body, builder)
    }

    /// The size limit, the encoding, then the one pass.
    fn run<B: Builder + ?Sized>(
        &self,
        body: &[u8],
        builder: &mut B,
    ) -> Result<B::Value, BuildError<B::Error>> {
        if body.len() > self.max_body_bytes {
            return Err(BuildError::Invalid(ValidationError::new(vec![Issue::new(
                IssueCode::TooLarge,
                "",
                format!(
                    "the body is {} bytes, more than max_body_bytes ({})",
                    body.len(),
                    self.max_body_bytes
                ),
            )])));
        }
        let text = utf8(body).map_err(BuildError::Invalid)?;
        crate::pass::run(text, self.strict, self.max_depth, builder)
    }
}

/// The body as text: UTF-8 without a byte order mark, or the issue saying what it is.
#[inline(always)]
fn utf8(body: &[u8]) -> Result<&str, ValidationError> {
    // std's check, done with SIMD: a few percent of a webhook's parse time saved. Only a body
    // whose first two bytes rule out every fault of `encoding_fault` takes it alone; any
    // other body, and any body that fails it, gets the full rule.
    match body {
        [first, second, ..] if *first != 0 && *first != 0xEF && *second != 0 => {
            match simdutf8::basic::from_utf8(body) {
                Ok(text) => Ok(text),
                Err(_) => checked(body),
            }
        }
        _ => checked(body),
    }
}

/// The full rule of [`utf8`]: the encoding faults first, then UTF-8 (with the offset of the
/// first bad byte).
#[cold]
#[inline(never)]
fn checked(body: &[u8]) -> Result<&str, ValidationError> {
    if let Some(why) = encoding_fault(body) {
        return Err(invalid_json(why));
    }
    std::str::from_utf8(body).map_err(|e| {
        invalid_json(format!(
            "the body is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Reads any JSON document with the same rules as an event body: valid UTF-8 JSON only,
/// duplicate keys rejected at any depth, nesting limited to `max_depth` (capped at
/// [`MAX_DEPTH_CEILING`]). For management responses.
pub(crate) fn parse_value(body: &[u8], max_depth: usize) -> Result<Value, ValidationError> {
    let text = utf8(body)?;
    match crate::pass::run_value(text, max_depth, &mut ValueBuilder) {
        Ok(v) => Ok(v),
        Err(BuildError::Invalid(e)) => Err(e),
        Err(BuildError::Host(never)) => match never {},
    }
}

pub(crate) fn invalid_json(why: String) -> ValidationError {
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
pub(crate) fn describe_json_error(body: &[u8], e: &crate::scan::Error) -> String {
    let base = e.to_string();
    if e.is_eof() {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule `utf8` short-cuts: the encoding faults first, then UTF-8.
    fn reference(body: &[u8]) -> Result<&str, String> {
        if let Some(why) = encoding_fault(body) {
            return Err(invalid_json(why).to_string());
        }
        match std::str::from_utf8(body) {
            Ok(text) => Ok(text),
            Err(e) => Err(invalid_json(format!(
                "the body is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ))
            .to_string()),
        }
    }

    #[test]
    fn utf8_gives_the_verdict_of_the_encoding_faults_then_utf8() {
        // Every body of up to three bytes made of the bytes the faults look at, and of bytes
        // around them, each alone and followed by a JSON object.
        let bytes = [
            0x00, 0x01, b' ', b'{', b'}', b'"', 0x7F, 0x80, 0xBB, 0xBF, 0xC3, 0xEF, 0xFE, 0xFF,
        ];
        let mut bodies: Vec<Vec<u8>> = vec![Vec::new()];
        for &a in &bytes {
            bodies.push(vec![a]);
            for &b in &bytes {
                bodies.push(vec![a, b]);
                for &c in &bytes {
                    bodies.push(vec![a, b, c]);
                }
            }
        }
        let with_object: Vec<Vec<u8>> = bodies
            .iter()
            .map(|b| [b.as_slice(), br#"{"event":"call.started"}"#].concat())
            .collect();
        let mut faults = 0;
        for body in bodies.iter().chain(&with_object) {
            let ours = utf8(body).map_err(|e| e.to_string());
            assert_eq!(ours, reference(body), "body {body:?}");
            faults += usize::from(encoding_fault(body).is_some());
        }
        // The faults were all met (empty, both BOMs, NUL first or second).
        assert!(faults > 100, "{faults}");
    }

    /// `validate_unlisted` of `body` in lenient mode, with `validate`'s verdict checked equal.
    fn unlisted(body: &str) -> Result<bool, ValidationError> {
        let opts = ParseOptions::default();
        let flag = opts.validate_unlisted(body.as_bytes());
        assert_eq!(
            flag.as_ref().err(),
            opts.validate(body.as_bytes()).err().as_ref(),
            "{body}"
        );
        flag
    }

    #[test]
    fn validate_unlisted_is_false_when_the_contract_lists_every_member() {
        for body in [
            r#"{"event":"call.failed","call_id":"call_1","reason":"busy"}"#,
            r#"{"event":"call.ended","call_id":"c","analysis":{"summary":"s","extracted_data":{"any":{"thing":1}}}}"#,
            r#"{"event":"transcript.final","call_id":"c","messages":[{"role":"agent","content":"hi"}]}"#,
            r#"{"event":"call.ended","call_id":"c","analysis":null,"duration_seconds":null}"#,
        ] {
            assert_eq!(unlisted(body), Ok(false), "{body}");
        }
    }

    #[test]
    fn validate_unlisted_is_true_for_an_unlisted_member_of_any_object_or_an_unknown_event() {
        for body in [
            r#"{"event":"call.failed","call_id":"call_1","region":"eu"}"#,
            r#"{"event":"call.failed","call_id":"call_1","region":null}"#,
            r#"{"event":"call.ended","call_id":"c","analysis":{"summary":"s","score":3}}"#,
            r#"{"event":"transcript.partial","call_id":"c","messages":[{"role":"user","content":"a"},{"role":"agent","content":"b","ts":1}]}"#,
            r#"{"event":"call.paused","call_id":"c"}"#,
        ] {
            assert_eq!(unlisted(body), Ok(true), "{body}");
        }
    }

    #[test]
    fn validate_unlisted_reports_the_issues_of_validate() {
        // An unlisted member beside an issue: the issue, not the flag.
        let err = unlisted(r#"{"event":"call.failed","region":"eu"}"#).unwrap_err();
        assert_eq!(err.issues()[0].path, "/call_id");
        // Strict mode rejects what lenient mode flags.
        let strict = ParseOptions {
            strict: true,
            ..ParseOptions::default()
        };
        for body in [
            &br#"{"event":"call.failed","call_id":"call_1","region":"eu"}"#[..],
            br#"{"event":"call.paused","call_id":"c"}"#,
        ] {
            let flag = strict.validate_unlisted(body);
            assert!(flag.is_err(), "{flag:?}");
            assert_eq!(flag.err(), strict.validate(body).err());
        }
    }
}
