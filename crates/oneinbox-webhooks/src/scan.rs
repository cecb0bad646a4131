//! The crate's JSON reader: a `serde::Deserializer` over a body already known to be UTF-8,
//! that reads every JSON text exactly as serde_json's reader does and rejects every other
//! text with serde_json's error (same message, same line and column).
//!
//! Why not serde_json itself: on a webhook-sized body most of the time went into serde_json's
//! general-purpose reader (its `Read` abstraction, a byte scratch buffer per string), not into
//! the checks. This reader works on a `&str` only: strings without escapes are borrowed from
//! the body, the end of a string is found sixteen bytes at a time, and nothing is tracked while
//! reading (line and column are computed from the byte offset only when an error is made).
//!
//! It serves what the crate asks of it, self-describing reads, and is a port of serde_json's
//! reader (with `float_roundtrip`, reading from a `&str`) for those:
//!
//! - `deserialize_any`: strings borrowed (`visit_borrowed_str`) when they have no escapes,
//!   otherwise decoded (`visit_str`); `u64` for non-negative integers that fit, `i64` for
//!   negative ones, `f64` for `-0`, for integers beyond 64 bits and for every number with a
//!   fraction or an exponent, correctly rounded; a number whose value overflows `f64` is an
//!   error (`number out of range`), one that underflows is `0.0`; `true`, `false`, `null`
//!   (`visit_unit`), arrays and objects through `SeqAccess` and `MapAccess`.
//! - Object keys are strings, whatever the key seed asks for (`deserialize_str`,
//!   `deserialize_any`, …): borrowed or decoded as above.
//! - `deserialize_ignored_any` (`IgnoredAny`, whole values, items or entries) and
//!   [`check_syntax`] skip a value iteratively, as serde_json does: any depth, no recursion.
//! - Every other `deserialize_*` method is answered as `deserialize_any` (serde's
//!   `forward_to_deserialize_any!`): typed targets (numbers of a given width, `Option`, enums,
//!   byte strings, serde_json's `RawValue`, numeric keys) are not served as serde_json serves
//!   them, and their type errors are serde's generic messages (`de::Error` here implements
//!   `custom` only).
//! - Nesting: visitor-driven reading stops at serde_json's recursion limit (128 open arrays or
//!   objects); skipping has no limit.
//! - Errors: serde_json's codes, messages and positions, including its quirks (the skipping
//!   path does not check surrogate pairs, and reports some errors at other positions or with
//!   other codes than the reading path: `[1,]` is `trailing comma` when read, `expected value`
//!   when skipped). Errors raised by visitors ([`de::Error::custom`]) get the position
//!   serde_json gives them.
//!
//! The unit tests below compare this reader with serde_json, reading into `serde_json::Value`,
//! skipping, [`check_syntax`], and a visitor that reads keys with `deserialize_str`, skips
//! values and stops with its own errors: on the JSONTestSuite corpus, on hand-written edge
//! cases, on every prefix and many mutations of a document, on random fragments, documents and
//! numbers, and on deep nesting; and they check which strings and keys are borrowed.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Visitor};

/// serde_json's nesting limit: the 128th array or object open at once is an error.
const RECURSION_LIMIT: u8 = 128;

/// The largest integer up to which every integer is exact in an `f64` (2^53).
const MAX_EXACT: u64 = 1 << 53;

/// The powers of ten exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The result of this module's functions.
pub(crate) type Result<T> = std::result::Result<T, Error>;

// ---------------------------------------------------------------------------------------------
// Errors

/// What went wrong: serde_json's error codes (those a reader can raise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    EofWhileParsingList,
    EofWhileParsingObject,
    EofWhileParsingString,
    EofWhileParsingValue,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedSomeIdent,
    ExpectedSomeValue,
    InvalidEscape,
    InvalidNumber,
    NumberOutOfRange,
    InvalidUnicodeCodePoint,
    ControlCharacterWhileParsingString,
    KeyMustBeAString,
    LoneLeadingSurrogateInHexEscape,
    TrailingComma,
    TrailingCharacters,
    UnexpectedEndOfHexEscape,
    RecursionLimitExceeded,
}

impl Code {
    fn is_eof(self) -> bool {
        matches!(
            self,
            Code::EofWhileParsingList
                | Code::EofWhileParsingObject
                | Code::EofWhileParsingString
                | Code::EofWhileParsingValue
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Code::EofWhileParsingList => "EOF while parsing a list",
            Code::EofWhileParsingObject => "EOF while parsing an object",
            Code::EofWhileParsingString => "EOF while parsing a string",
            Code::EofWhileParsingValue => "EOF while parsing a value",
            Code::ExpectedColon => "expected `:`",
            Code::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Code::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Code::ExpectedSomeIdent => "expected ident",
            Code::ExpectedSomeValue => "expected value",
            Code::InvalidEscape => "invalid escape",
            Code::InvalidNumber => "invalid number",
            Code::NumberOutOfRange => "number out of range",
            Code::InvalidUnicodeCodePoint => "invalid unicode code point",
            Code::ControlCharacterWhileParsingString => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            Code::KeyMustBeAString => "key must be a string",
            Code::LoneLeadingSurrogateInHexEscape => "lone leading surrogate in hex escape",
            Code::TrailingComma => "trailing comma",
            Code::TrailingCharacters => "trailing characters",
            Code::UnexpectedEndOfHexEscape => "unexpected end of hex escape",
            Code::RecursionLimitExceeded => "recursion limit exceeded",
        })
    }
}

/// The kind of an [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The text is not JSON.
    Syntax(Code),
    /// The text ends early (serde_json's `Category::Eof`).
    Eof(Code),
    /// A visitor stopped the read ([`de::Error::custom`] and the other `de::Error` makers).
    Custom(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax(code) | ErrorKind::Eof(code) => fmt::Display::fmt(code, f),
            ErrorKind::Custom(msg) => f.write_str(msg),
        }
    }
}

/// Why a text was not read, and where: serde_json's message, line and column. Boxed, as
/// serde_json's, so results stay one word wider than their value.
pub(crate) struct Error(Box<ErrorImpl>);

struct ErrorImpl {
    kind: ErrorKind,
    /// 1-based; 0 while a custom error has no position yet.
    line: usize,
    /// serde_json's column: bytes from the start of the line to the position.
    column: usize,
}

#[allow(dead_code)] // accessors for the callers' reports; not every caller uses each
impl Error {
    /// A syntax (or EOF) error at byte `at` of `text`, placed as serde_json places it.
    #[cold]
    fn syntax(code: Code, text: &str, at: usize) -> Self {
        let (line, column) = position(text.as_bytes(), at);
        let kind = if code.is_eof() {
            ErrorKind::Eof(code)
        } else {
            ErrorKind::Syntax(code)
        };
        Error(Box::new(ErrorImpl { kind, line, column }))
    }

    /// What went wrong.
    pub(crate) fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The text ends early.
    pub(crate) fn is_eof(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Eof(_))
    }

    /// A visitor stopped the read.
    pub(crate) fn is_custom(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Custom(_))
    }

    /// 1-based line (0: no position, for a custom error made outside a read).
    pub(crate) fn line(&self) -> usize {
        self.0.line
    }

    /// serde_json's column: the number of bytes between the start of the line and the
    /// position (so the 1-based column of the byte just before it).
    pub(crate) fn column(&self) -> usize {
        self.0.column
    }

    /// serde_json's `fix_position`: a custom error without a position gets `at`.
    #[cold]
    fn fix_position(mut self, text: &str, at: usize) -> Self {
        if self.0.line == 0 {
            let (line, column) = position(text.as_bytes(), at);
            self.0.line = line;
            self.0.column = column;
        }
        self
    }
}

/// serde_json's `position_of_index`: the line of byte `at` and the bytes before it on its
/// line.
fn position(bytes: &[u8], at: usize) -> (usize, usize) {
    let head = bytes.get(..at).unwrap_or(bytes);
    let start_of_line = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let newlines = head
        .get(..start_of_line)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    (1 + newlines, head.len() - start_of_line)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.line == 0 {
            fmt::Display::fmt(&self.0.kind, f)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.0.kind, self.0.line, self.0.column
            )
        }
    }
}

impl fmt::Debug for Error {
    /// serde_json's form: `Error("message", line: 1, column: 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error({:?}, line: {}, column: {})",
            self.0.kind.to_string(),
            self.0.line,
            self.0.column
        )
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // As serde_json: a message that ends with a position (an error of this reader that
        // went through a `custom` round trip) keeps that position.
        let mut msg = msg.to_string();
        let (line, column) = split_position(&mut msg).unwrap_or((0, 0));
        Error(Box::new(ErrorImpl {
            kind: ErrorKind::Custom(msg),
            line,
            column,
        }))
    }
}

/// serde_json's `parse_line_col`: takes a trailing ` at line L column C` off `msg`.
fn split_position(msg: &mut String) -> Option<(usize, usize)> {
    let suffix = msg.rfind(" at line ")?;
    let rest = msg.get(suffix + " at line ".len()..)?;
    let line_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after_line = rest.get(line_digits..)?.strip_prefix(" column ")?;
    if after_line.is_empty() || !after_line.bytes().all(|b| b.is_ascii_digit()) {
        // serde_json accepts an empty column only to fail parsing it: same verdict.
        return None;
    }
    let line = rest.get(..line_digits)?.parse().ok()?;
    let column = after_line.parse().ok()?;
    msg.truncate(suffix);
    Some((line, column))
}

/// Checks that `text` is one JSON value and nothing but whitespace after it, as
/// `serde_json::from_str::<IgnoredAny>` does (same verdict, same error): iteratively, so any
/// depth is fine; lone surrogate escapes are accepted there, as serde_json's skipping accepts
/// them.
pub(crate) fn check_syntax(text: &str) -> Result<()> {
    let mut scan = Scan::new(text);
    scan.ignore_value()?;
    scan.end()
}

// ---------------------------------------------------------------------------------------------
// The reader

/// A reader over one body, already known to be UTF-8.
pub(crate) struct Scan<'de> {
    text: &'de str,
    /// The next byte to read (serde_json's `index`).
    pos: usize,
    /// Decoded strings that had escapes (allocated on the first one).
    scratch: String,
    /// The open arrays (`[`) and objects (`{`) of a value being skipped.
    stack: Vec<u8>,
    /// How many more arrays or objects may open (serde_json's `remaining_depth`).
    remaining_depth: u8,
}

/// A number read, before it is given to a visitor.
enum ParserNumber {
    F64(f64),
    U64(u64),
    I64(i64),
}

impl ParserNumber {
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            ParserNumber::F64(x) => visitor.visit_f64(x),
            ParserNumber::U64(x) => visitor.visit_u64(x),
            ParserNumber::I64(x) => visitor.visit_i64(x),
        }
    }
}

impl<'de> Scan<'de> {
    pub(crate) fn new(text: &'de str) -> Self {
        Scan {
            text,
            pos: 0,
            scratch: String::new(),
            stack: Vec::new(),
            remaining_depth: RECURSION_LIMIT,
        }
    }

    /// Only whitespace may follow the value read (`trailing characters`).
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.parse_whitespace() {
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Ok(()),
        }
    }

    /// The body's bytes.
    #[inline(always)]
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// serde_json's `next_char_or_null`: the next byte, consumed, or 0 at the end.
    #[inline]
    fn next_or_null(&mut self) -> u8 {
        match self.peek() {
            Some(b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    /// The next byte that is not JSON whitespace, not consumed.
    #[inline(always)]
    fn parse_whitespace(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// An error about the byte just consumed (serde_json's `error`).
    #[cold]
    fn error(&self, code: Code) -> Error {
        Error::syntax(code, self.text, self.pos)
    }

    /// An error about the next byte, not consumed (serde_json's `peek_error`).
    #[cold]
    fn peek_error(&self, code: Code) -> Error {
        Error::syntax(code, self.text, (self.pos + 1).min(self.text.len()))
    }

    #[cold]
    fn fix_position(&self, err: Error) -> Error {
        err.fix_position(self.text, self.pos)
    }

    /// The text between two byte offsets, both at character boundaries.
    #[inline(always)]
    fn slice(&self, start: usize, end: usize) -> Result<&'de str> {
        match self.text.get(start..end) {
            Some(s) => Ok(s),
            None => Err(self.error(Code::InvalidUnicodeCodePoint)),
        }
    }

    /// Consumes `word` (after its first byte, already consumed).
    #[inline]
    fn parse_ident(&mut self, word: &[u8]) -> Result<()> {
        let end = self.pos + word.len();
        if self.bytes().get(self.pos..end) == Some(word) {
            self.pos = end;
            return Ok(());
        }
        for &expected in word {
            match self.peek() {
                None => return Err(self.error(Code::EofWhileParsingValue)),
                Some(b) => {
                    self.pos += 1;
                    if b != expected {
                        return Err(self.error(Code::ExpectedSomeIdent));
                    }
                }
            }
        }
        Ok(())
    }

    /// One more array or object open, within serde_json's limit (`pos` at its bracket).
    #[inline(always)]
    fn enter(&mut self) -> Result<()> {
        if self.remaining_depth <= 1 {
            return Err(self.peek_error(Code::RecursionLimitExceeded));
        }
        self.remaining_depth -= 1;
        Ok(())
    }

    #[inline(always)]
    fn leave(&mut self) {
        self.remaining_depth = self.remaining_depth.saturating_add(1);
    }

    // -----------------------------------------------------------------------------------------
    // Strings

    /// A string after its opening quote: borrowed from the body when it has no escapes,
    /// otherwise decoded into the scratch buffer (`None`).
    #[inline(always)]
    fn parse_str(&mut self) -> Result<Option<&'de str>> {
        let start = self.pos;
        let end = string_end(self.bytes(), start);
        if self.bytes().get(end) == Some(&b'"') {
            self.pos = end + 1;
            return self.slice(start, end).map(Some);
        }
        self.pos = end;
        self.unusual_string(start)
    }

    /// [`Scan::parse_str`] from the first `\` or control character (or the end of the body).
    #[cold]
    #[inline(never)]
    fn unusual_string(&mut self, start: usize) -> Result<Option<&'de str>> {
        self.scratch.clear();
        let mut start = start;
        loop {
            match self.peek() {
                Some(b'"') => {
                    let raw = self.slice(start, self.pos)?;
                    self.scratch.push_str(raw);
                    self.pos += 1;
                    return Ok(None);
                }
                Some(b'\\') => {
                    let raw = self.slice(start, self.pos)?;
                    self.scratch.push_str(raw);
                    self.pos += 1;
                    let c = self.parse_escape()?;
                    self.scratch.push(c);
                    start = self.pos;
                }
                Some(_) => {
                    self.pos += 1;
                    return Err(self.error(Code::ControlCharacterWhileParsingString));
                }
                None => return Err(self.error(Code::EofWhileParsingString)),
            }
            self.pos = string_end(self.bytes(), self.pos);
        }
    }

    /// An escape after its `\` (serde_json's `parse_escape`, validating).
    #[inline]
    fn parse_escape(&mut self) -> Result<char> {
        let Some(ch) = self.peek() else {
            return Err(self.error(Code::EofWhileParsingString));
        };
        self.pos += 1;
        Ok(match ch {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.parse_unicode_escape(),
            _ => return Err(self.error(Code::InvalidEscape)),
        })
    }

    /// A `\u` escape after its `u` (serde_json's `parse_unicode_escape`, validating): a
    /// surrogate pair is one character, a lone surrogate an error.
    fn parse_unicode_escape(&mut self) -> Result<char> {
        let n = self.decode_hex_escape()?;
        if (0xDC00..=0xDFFF).contains(&n) {
            return Err(self.error(Code::LoneLeadingSurrogateInHexEscape));
        }
        if !(0xD800..=0xDBFF).contains(&n) {
            return Ok(char::from_u32(u32::from(n)).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        // A leading surrogate: `\u` and a trailing one must follow.
        for expected in [b'\\', b'u'] {
            match self.peek() {
                None => return Err(self.error(Code::EofWhileParsingString)),
                Some(b) => {
                    self.pos += 1;
                    if b != expected {
                        return Err(self.error(Code::UnexpectedEndOfHexEscape));
                    }
                }
            }
        }
        let n2 = self.decode_hex_escape()?;
        if !(0xDC00..=0xDFFF).contains(&n2) {
            return Err(self.error(Code::LoneLeadingSurrogateInHexEscape));
        }
        let c = ((u32::from(n - 0xD800) << 10) | u32::from(n2 - 0xDC00)) + 0x1_0000;
        Ok(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// The four hex digits of a `\u` escape (serde_json's `decode_hex_escape`).
    fn decode_hex_escape(&mut self) -> Result<u16> {
        let Some(hex) = self.bytes().get(self.pos..self.pos + 4) else {
            self.pos = self.text.len();
            return Err(self.error(Code::EofWhileParsingString));
        };
        self.pos += 4;
        let mut n: u16 = 0;
        for &b in hex {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.error(Code::InvalidEscape)),
            };
            n = (n << 4) | u16::from(digit);
        }
        Ok(n)
    }

    /// Skips a string after its opening quote (serde_json's `ignore_str`: escapes are checked,
    /// surrogate pairs are not).
    fn ignore_str(&mut self) -> Result<()> {
        loop {
            self.pos = string_end(self.bytes(), self.pos);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.ignore_escape()?;
                }
                Some(_) => return Err(self.error(Code::ControlCharacterWhileParsingString)),
                None => return Err(self.error(Code::EofWhileParsingString)),
            }
        }
    }

    /// Skips an escape after its `\` (serde_json's `ignore_escape`).
    fn ignore_escape(&mut self) -> Result<()> {
        let Some(ch) = self.peek() else {
            return Err(self.error(Code::EofWhileParsingString));
        };
        self.pos += 1;
        match ch {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => self.decode_hex_escape().map(drop),
            _ => Err(self.error(Code::InvalidEscape)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Numbers

    /// serde_json's `parse_integer`, from the first digit (after the `-` of a negative
    /// number): `u64`, `i64`, or `f64` for `-0`, for integers beyond 64 bits and for numbers
    /// with a fraction or an exponent.
    #[inline(always)]
    fn parse_integer(&mut self, positive: bool) -> Result<ParserNumber> {
        let start = if positive { self.pos } else { self.pos - 1 };
        let bytes = self.bytes();
        let Some(&first) = bytes.get(self.pos) else {
            return Err(self.error(Code::EofWhileParsingValue));
        };
        self.pos += 1;
        let significand = match first {
            b'0' => {
                // Only one leading zero.
                if let Some(b'0'..=b'9') = bytes.get(self.pos) {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
                0
            }
            b'1'..=b'9' => {
                let mut significand = u64::from(first - b'0');
                while let Some(&c @ b'0'..=b'9') = bytes.get(self.pos) {
                    match significand
                        .checked_mul(10)
                        .and_then(|s| s.checked_add(u64::from(c - b'0')))
                    {
                        Some(s) => significand = s,
                        // Beyond 64 bits: a float.
                        None => {
                            return self
                                .parse_float(start, positive, None)
                                .map(ParserNumber::F64)
                        }
                    }
                    self.pos += 1;
                }
                significand
            }
            _ => return Err(self.error(Code::InvalidNumber)),
        };
        if let Some(b'.' | b'e' | b'E') = bytes.get(self.pos) {
            return self
                .parse_float(start, positive, Some(significand))
                .map(ParserNumber::F64);
        }
        Ok(if positive {
            ParserNumber::U64(significand)
        } else if significand == 0 {
            ParserNumber::F64(-0.0)
        } else {
            match 0i64.checked_sub_unsigned(significand) {
                Some(i) => ParserNumber::I64(i),
                None => ParserNumber::F64(-(significand as f64)),
            }
        })
    }

    /// The rest of a number read as a float (`start` at its first byte, `pos` at the first
    /// byte not yet read: a digit after 64 bits' worth, `.`, `e` or `E`; `significand`, the
    /// integer part's value when it fits), correctly rounded, with serde_json's errors and
    /// positions.
    fn parse_float(
        &mut self,
        start: usize,
        positive: bool,
        significand: Option<u64>,
    ) -> Result<f64> {
        let bytes = self.bytes();
        // The decimal significand and its exponent while both are exact in an `f64` (Clinger's
        // fast path: then one multiplication or division rounds correctly).
        let mut exact = significand.filter(|&s| s <= MAX_EXACT);
        let mut exp10: i32 = 0;
        while let Some(b'0'..=b'9') = bytes.get(self.pos) {
            self.pos += 1;
        }
        if bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            let first = self.pos;
            while let Some(&c @ b'0'..=b'9') = bytes.get(self.pos) {
                self.pos += 1;
                exact = exact
                    .map(|s| s * 10 + u64::from(c - b'0'))
                    .filter(|&s| s <= MAX_EXACT);
                exp10 -= 1;
            }
            if self.pos == first {
                return Err(self.peek_error(if self.pos < bytes.len() {
                    Code::InvalidNumber
                } else {
                    Code::EofWhileParsingValue
                }));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(self.pos) {
            let mantissa_end = self.pos;
            self.pos += 1;
            let positive_exp = match bytes.get(self.pos) {
                Some(b'+') => {
                    self.pos += 1;
                    true
                }
                Some(b'-') => {
                    self.pos += 1;
                    false
                }
                _ => true,
            };
            let Some(&c) = bytes.get(self.pos) else {
                return Err(self.error(Code::EofWhileParsingValue));
            };
            self.pos += 1;
            if !c.is_ascii_digit() {
                return Err(self.error(Code::InvalidNumber));
            }
            let mut exp = i32::from(c - b'0');
            while let Some(&c @ b'0'..=b'9') = bytes.get(self.pos) {
                self.pos += 1;
                match exp
                    .checked_mul(10)
                    .and_then(|e| e.checked_add(i32::from(c - b'0')))
                {
                    Some(e) => exp = e,
                    None => {
                        return self.exponent_overflow(start, mantissa_end, positive, positive_exp)
                    }
                }
            }
            exp10 = if positive_exp {
                exp10.saturating_add(exp)
            } else {
                exp10.saturating_sub(exp)
            };
        }
        if let Some(s) = exact {
            // `s` and the power of ten are exact: one correctly rounded operation.
            let pow = |e: i32| POW10.get(e.unsigned_abs() as usize).copied();
            let f = match exp10 {
                0.. => pow(exp10).map(|p| s as f64 * p),
                _ => pow(exp10).map(|p| s as f64 / p),
            };
            if let Some(f) = f {
                return Ok(if positive { f } else { -f });
            }
        }
        let text = self.slice(start, self.pos)?;
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(self.error(Code::NumberOutOfRange)),
        }
    }

    /// An exponent beyond `i32` (serde_json's `parse_exponent_overflow`, `pos` after the
    /// digit that overflowed): out of range unless the value is zero.
    #[cold]
    #[inline(never)]
    fn exponent_overflow(
        &mut self,
        start: usize,
        mantissa_end: usize,
        positive: bool,
        positive_exp: bool,
    ) -> Result<f64> {
        let mantissa = self.bytes().get(start..mantissa_end).unwrap_or_default();
        let zero_significand = !mantissa.iter().any(|b| matches!(b, b'1'..=b'9'));
        if !zero_significand && positive_exp {
            return Err(self.error(Code::NumberOutOfRange));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(if positive { 0.0 } else { -0.0 })
    }

    /// Skips a number from its first digit (serde_json's `ignore_integer`).
    fn ignore_integer(&mut self) -> Result<()> {
        match self.next_or_null() {
            b'0' => {
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
            }
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return Err(self.error(Code::InvalidNumber)),
        }
        match self.peek() {
            Some(b'.') => self.ignore_decimal(),
            Some(b'e' | b'E') => self.ignore_exponent(),
            _ => Ok(()),
        }
    }

    fn ignore_decimal(&mut self) -> Result<()> {
        self.pos += 1;
        let first = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == first {
            return Err(self.peek_error(Code::InvalidNumber));
        }
        match self.peek() {
            Some(b'e' | b'E') => self.ignore_exponent(),
            _ => Ok(()),
        }
    }

    fn ignore_exponent(&mut self) -> Result<()> {
        self.pos += 1;
        if let Some(b'+' | b'-') = self.peek() {
            self.pos += 1;
        }
        if !self.next_or_null().is_ascii_digit() {
            return Err(self.error(Code::InvalidNumber));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Values

    /// After the items of an array a visitor read (serde_json's `end_seq`).
    fn end_seq(&mut self) -> Result<()> {
        match self.parse_whitespace() {
            Some(b']') => {
                self.pos += 1;
                Ok(())
            }
            Some(b',') => {
                self.pos += 1;
                match self.parse_whitespace() {
                    Some(b']') => Err(self.peek_error(Code::TrailingComma)),
                    _ => Err(self.peek_error(Code::TrailingCharacters)),
                }
            }
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Err(self.peek_error(Code::EofWhileParsingList)),
        }
    }

    /// After the members of an object a visitor read (serde_json's `end_map`).
    #[inline(always)]
    fn end_map(&mut self) -> Result<()> {
        if self.bytes().get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        self.end_map_slow()
    }

    #[cold]
    #[inline(never)]
    fn end_map_slow(&mut self) -> Result<()> {
        match self.parse_whitespace() {
            Some(b'}') => {
                self.pos += 1;
                Ok(())
            }
            Some(b',') => Err(self.peek_error(Code::TrailingComma)),
            Some(_) => Err(self.peek_error(Code::TrailingCharacters)),
            None => Err(self.peek_error(Code::EofWhileParsingObject)),
        }
    }

    #[inline(always)]
    fn parse_object_colon(&mut self) -> Result<()> {
        // Nearly always the very next byte.
        if self.bytes().get(self.pos) == Some(&b':') {
            self.pos += 1;
            return Ok(());
        }
        self.parse_object_colon_slow()
    }

    #[cold]
    #[inline(never)]
    fn parse_object_colon_slow(&mut self) -> Result<()> {
        match self.parse_whitespace() {
            Some(b':') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.peek_error(Code::ExpectedColon)),
            None => Err(self.peek_error(Code::EofWhileParsingObject)),
        }
    }

    /// An array given to `visitor` (`pos` at its `[`), then its end.
    #[inline]
    fn visit_array<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.enter()?;
        self.pos += 1;
        let ret = visitor.visit_seq(Seq {
            de: &mut *self,
            first: true,
        });
        self.leave();
        // The end is read even after the visitor's error, as serde_json does (the error's
        // position depends on it).
        match (ret, self.end_seq()) {
            (Ok(ret), Ok(())) => Ok(ret),
            (Err(err), _) | (_, Err(err)) => Err(err),
        }
    }

    /// An object given to `visitor` (`pos` at its `{`), then its end.
    #[inline]
    fn visit_object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.enter()?;
        self.pos += 1;
        let ret = visitor.visit_map(Map {
            de: &mut *self,
            first: true,
        });
        self.leave();
        match (ret, self.end_map()) {
            (Ok(ret), Ok(())) => Ok(ret),
            (Err(err), _) | (_, Err(err)) => Err(err),
        }
    }

    /// Skips one value, iteratively (serde_json's `ignore_value`): any depth, no recursion.
    fn ignore_value(&mut self) -> Result<()> {
        self.stack.clear();
        let mut enclosing: Option<u8> = None;
        loop {
            let Some(peek) = self.parse_whitespace() else {
                return Err(self.peek_error(Code::EofWhileParsingValue));
            };
            let frame = match peek {
                b'n' => {
                    self.pos += 1;
                    self.parse_ident(b"ull")?;
                    None
                }
                b't' => {
                    self.pos += 1;
                    self.parse_ident(b"rue")?;
                    None
                }
                b'f' => {
                    self.pos += 1;
                    self.parse_ident(b"alse")?;
                    None
                }
                b'-' => {
                    self.pos += 1;
                    self.ignore_integer()?;
                    None
                }
                b'0'..=b'9' => {
                    self.ignore_integer()?;
                    None
                }
                b'"' => {
                    self.pos += 1;
                    self.ignore_str()?;
                    None
                }
                frame @ (b'[' | b'{') => {
                    self.stack.extend(enclosing.take());
                    self.pos += 1;
                    Some(frame)
                }
                _ => return Err(self.peek_error(Code::ExpectedSomeValue)),
            };
            let (mut accept_comma, mut frame) = match frame {
                Some(frame) => (false, frame),
                None => match enclosing.take() {
                    Some(frame) => (true, frame),
                    None => match self.stack.pop() {
                        Some(frame) => (true, frame),
                        None => return Ok(()),
                    },
                },
            };
            loop {
                match self.parse_whitespace() {
                    Some(b',') if accept_comma => {
                        self.pos += 1;
                        break;
                    }
                    Some(b']') if frame == b'[' => {}
                    Some(b'}') if frame == b'{' => {}
                    Some(_) => {
                        if accept_comma {
                            return Err(self.peek_error(if frame == b'[' {
                                Code::ExpectedListCommaOrEnd
                            } else {
                                Code::ExpectedObjectCommaOrEnd
                            }));
                        }
                        break;
                    }
                    None => {
                        return Err(self.peek_error(if frame == b'[' {
                            Code::EofWhileParsingList
                        } else {
                            Code::EofWhileParsingObject
                        }));
                    }
                }
                // A closing bracket.
                self.pos += 1;
                frame = match self.stack.pop() {
                    Some(frame) => frame,
                    None => return Ok(()),
                };
                accept_comma = true;
            }
            if frame == b'{' {
                match self.parse_whitespace() {
                    Some(b'"') => self.pos += 1,
                    Some(_) => return Err(self.peek_error(Code::KeyMustBeAString)),
                    None => return Err(self.peek_error(Code::EofWhileParsingObject)),
                }
                self.ignore_str()?;
                match self.parse_whitespace() {
                    Some(b':') => self.pos += 1,
                    Some(_) => return Err(self.peek_error(Code::ExpectedColon)),
                    None => return Err(self.peek_error(Code::EofWhileParsingObject)),
                }
            }
            enclosing = Some(frame);
        }
    }
}

/// The index of the first `"`, `\` or control character at or after `at` (the end of a
/// string's raw text), or `bytes.len()`. Sixteen bytes at a time, as two words: Mycroft's
/// zero-byte test for the three kinds at once on each.
#[inline(always)]
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(chunk) = bytes.get(at..at + 16) {
        let (a, b) = chunk.split_at(8);
        let (Ok(a), Ok(b)) = (<[u8; 8]>::try_from(a), <[u8; 8]>::try_from(b)) else {
            break;
        };
        let (a, b) = (stops(u64::from_le_bytes(a)), stops(u64::from_le_bytes(b)));
        if a | b != 0 {
            let first = if a != 0 {
                a.trailing_zeros()
            } else {
                64 + b.trailing_zeros()
            };
            return at + (first / 8) as usize;
        }
        at += 16;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// The high bit of each byte of `v` that is `"`, `\` or a control character (Mycroft's
/// zero-byte test for the three at once).
#[inline(always)]
fn stops(v: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    let ctrl = v.wrapping_sub(ONES * 0x20);
    let q = v ^ (ONES * u64::from(b'"'));
    let s = v ^ (ONES * u64::from(b'\\'));
    (ctrl | q.wrapping_sub(ONES) | s.wrapping_sub(ONES)) & !v & (ONES << 7)
}

impl<'de> de::Deserializer<'de> for &mut Scan<'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let Some(peek) = self.parse_whitespace() else {
            return Err(self.peek_error(Code::EofWhileParsingValue));
        };
        let value = match peek {
            b'"' => {
                self.pos += 1;
                match self.parse_str()? {
                    Some(s) => visitor.visit_borrowed_str(s),
                    None => visitor.visit_str(&self.scratch),
                }
            }
            b'{' => self.visit_object(visitor),
            b'[' => self.visit_array(visitor),
            b'-' => {
                self.pos += 1;
                self.parse_integer(false)?.visit(visitor)
            }
            b'0'..=b'9' => self.parse_integer(true)?.visit(visitor),
            b't' => {
                self.pos += 1;
                self.parse_ident(b"rue")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.pos += 1;
                self.parse_ident(b"alse")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.pos += 1;
                self.parse_ident(b"ull")?;
                visitor.visit_unit()
            }
            _ => Err(self.peek_error(Code::ExpectedSomeValue)),
        };
        // A visitor's error gets the position after the value (serde_json's choice).
        value.map_err(|e| self.fix_position(e))
    }

    // Every other request is answered as `deserialize_any` answers it: this reader serves
    // self-describing visitors (see the module docs).
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier
    }

    /// Skips the value iteratively: any depth, no recursion.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.ignore_value()?;
        visitor.visit_unit()
    }
}

/// The items of an array, after its `[`.
struct Seq<'a, 'de> {
    de: &'a mut Scan<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let de = &mut *self.de;
        let Some(peek) = de.parse_whitespace() else {
            return Err(de.peek_error(Code::EofWhileParsingList));
        };
        if peek == b']' {
            return Ok(None);
        }
        if self.first {
            self.first = false;
        } else if peek == b',' {
            de.pos += 1;
            match de.parse_whitespace() {
                Some(b']') => return Err(de.peek_error(Code::TrailingComma)),
                Some(_) => {}
                None => return Err(de.peek_error(Code::EofWhileParsingValue)),
            }
        } else {
            return Err(de.peek_error(Code::ExpectedListCommaOrEnd));
        }
        seed.deserialize(de).map(Some)
    }
}

/// The members of an object, after its `{`.
struct Map<'a, 'de> {
    de: &'a mut Scan<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Map<'_, 'de> {
    type Error = Error;

    #[inline(always)]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let de = &mut *self.de;
        let Some(peek) = de.parse_whitespace() else {
            return Err(de.peek_error(Code::EofWhileParsingObject));
        };
        if peek == b'}' {
            return Ok(None);
        }
        if self.first {
            self.first = false;
            if peek != b'"' {
                return Err(de.peek_error(Code::KeyMustBeAString));
            }
        } else if peek == b',' {
            de.pos += 1;
            match de.parse_whitespace() {
                Some(b'"') => {}
                Some(b'}') => return Err(de.peek_error(Code::TrailingComma)),
                Some(_) => return Err(de.peek_error(Code::KeyMustBeAString)),
                None => return Err(de.peek_error(Code::EofWhileParsingValue)),
            }
        } else {
            return Err(de.peek_error(Code::ExpectedObjectCommaOrEnd));
        }
        // The key, `pos` at its opening quote (serde_json's `MapKey`): always a string,
        // whatever the seed asks for.
        de.pos += 1;
        match de.parse_str()? {
            Some(s) => seed.deserialize(BorrowedStrDeserializer::new(s)),
            None => seed.deserialize(StrDeserializer::new(&de.scratch)),
        }
        .map(Some)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.parse_object_colon()?;
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;
    use serde::Deserialize;
    use serde_json::Value;

    /// What this reader makes of `text` as a serde_json value (or its error, displayed).
    fn ours(text: &str) -> std::result::Result<Value, String> {
        let mut scan = Scan::new(text);
        Value::deserialize(&mut scan)
            .and_then(|v| scan.end().map(|()| v))
            .map_err(|e| e.to_string())
    }

    fn theirs(text: &str) -> std::result::Result<Value, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Equal values of equal kinds: integers as integers of the same sign, floats by bits
    /// (-0.0 is not 0.0), members in the same order.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                x.as_u64() == y.as_u64()
                    && x.as_i64() == y.as_i64()
                    && x.is_f64() == y.is_f64()
                    && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((kx, x), (ky, y))| kx == ky && same(x, y))
            }
            _ => a == b,
        }
    }

    /// A visitor as the crate's are: it walks any value, asks for keys with `deserialize_str`,
    /// rejects some strings (keys or values) with a custom error, skips some values, every
    /// other array item and the rest of some objects with `IgnoredAny`.
    #[derive(Clone, Copy)]
    struct Picky {
        key: bool,
    }

    impl<'de> Visitor<'de> for Picky {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("anything")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
            match v {
                "text" | "x" | "z" | "é" => Err(E::custom(format_args!(
                    "rejected {} {v:?}",
                    if self.key { "key" } else { "value" }
                ))),
                _ => Ok(()),
            }
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
            loop {
                if a.next_element_seed(Picky { key: false })?.is_none()
                    || a.next_element::<IgnoredAny>()?.is_none()
                {
                    return Ok(());
                }
            }
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
            while let Some(key) = a.next_key_seed(KeyText)? {
                match key.as_str() {
                    "" => a.next_value::<IgnoredAny>().map(drop)?,
                    "bb" => {
                        a.next_value::<IgnoredAny>()?;
                        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        return Ok(());
                    }
                    _ => {
                        Picky { key: true }.visit_str::<A::Error>(&key)?;
                        a.next_value_seed(Picky { key: false })?;
                    }
                }
            }
            Ok(())
        }
    }

    impl<'de> DeserializeSeed<'de> for Picky {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    /// A key, through `deserialize_str` (as the crate's `KeySeed`).
    struct KeyText;

    impl<'de> Visitor<'de> for KeyText {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<String, E> {
            Ok(v.to_owned())
        }
    }

    impl<'de> DeserializeSeed<'de> for KeyText {
        type Value = String;
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<String, D::Error> {
            d.deserialize_str(self)
        }
    }

    /// The reader, its skipping and [`check_syntax`] agree with serde_json on `text`: the same
    /// value or the same error (message, line, column, EOF or not), also with a visitor that
    /// stops the read ([`Picky`]).
    fn agrees(text: &str) {
        match (ours(text), theirs(text)) {
            (Ok(a), Ok(b)) => assert!(same(&a, &b), "{text:?}: {a} vs {b}"),
            (a, b) => assert_eq!(a.map(|_| ()), b.map(|_| ()), "{text:?}"),
        }
        // The error's details, not only its text.
        let mut scan = Scan::new(text);
        let ours = Value::deserialize(&mut scan).and_then(|_| scan.end());
        let theirs = serde_json::from_str::<Value>(text);
        if let (Err(a), Err(b)) = (&ours, &theirs) {
            assert_eq!(a.is_eof(), b.is_eof(), "{text:?}");
            assert_eq!((a.line(), a.column()), (b.line(), b.column()), "{text:?}");
            assert_eq!(a.is_custom(), b.is_data(), "{text:?}");
        }
        // Skipping.
        let theirs = serde_json::from_str::<IgnoredAny>(text)
            .map(drop)
            .map_err(|e| e.to_string());
        let mut scan = Scan::new(text);
        let skipped = IgnoredAny::deserialize(&mut scan)
            .and_then(|_| scan.end())
            .map_err(|e| e.to_string());
        assert_eq!(skipped, theirs, "{text:?} (skipped)");
        let checked = check_syntax(text).map_err(|e| e.to_string());
        assert_eq!(checked, theirs, "{text:?} (check_syntax)");
        // A visitor's own errors, keys read with `deserialize_str`, values skipped.
        let mut scan = Scan::new(text);
        let ours = de::Deserializer::deserialize_any(&mut scan, Picky { key: false })
            .and_then(|()| scan.end());
        let mut json = serde_json::Deserializer::from_str(text);
        let theirs = de::Deserializer::deserialize_any(&mut json, Picky { key: false })
            .and_then(|()| json.end());
        match (&ours, &theirs) {
            (Ok(()), Ok(())) => {}
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{text:?} (picky)");
                assert_eq!(a.is_eof(), b.is_eof(), "{text:?} (picky)");
                assert_eq!(a.is_custom(), b.is_data(), "{text:?} (picky)");
            }
            _ => panic!("{text:?} (picky): {ours:?} vs {theirs:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":[1,-2,3.5,1e3,1E-2,-0.0,0,true,false,null,"x\"y\\z\/\b\f\n\r\t\u00e9\u0041"]}"#,
            " \t\r\n[ ] ",
            "{}",
            r#"{"a":{"b":{"c":[[],[{}]]}}}"#,
            "18446744073709551615",
            "-9223372036854775808",
            "123.456e-7",
            r#""é ü 日本 😀 \u20ac \ud83d\ude00 \uD834\uDD1E""#,
            r#""0123456789abcdef\n0123456789abcdef""#,
            r#"{"\u0061":1,"a\nb":[2]}"#,
        ] {
            agrees(text);
            assert!(ours(text).is_ok(), "{text}");
        }
    }

    /// Hand-written edge cases: each alone, as an array item, as an object member's value, and
    /// (strings) as an object key.
    #[test]
    fn edge_cases_agree_with_serde_json() {
        let numbers = [
            "0",
            "-0",
            "-0.0",
            "0.0",
            "-0e0",
            "0e99999",
            "-0e99999",
            "0e-99999",
            "1e400",
            "-1e400",
            "1e-400",
            "-1e-400",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "-1.7976931348623157e308",
            "2.2250738585072014e-308",
            "4.9e-324",
            "2.4e-324",
            "2.5e-324",
            "1e-324",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551615",
            "-18446744073709551616",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "-123456789012345678901234567890",
            "1.0",
            "1.5",
            "0.1",
            "1e5",
            "1E+5",
            "1e-5",
            "12345678901234567890.5",
            "0.12345678901234567890123",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "9007199254740993",
            "9007199254740993.0",
            "1e2147483647",
            "1e2147483648",
            "1e21474836470000",
            "0e21474836470000",
            "1e-2147483648",
            "1e-21474836470000",
            "0.0000000000000000000000000000001e2147483647",
            "1e+2147483648",
            "-1e2147483648",
            "123e-2147483647",
            "0.000e99999999999",
            "10000000000000000000000e-2147483647",
            "01",
            "-01",
            "00",
            "1.",
            "1.e5",
            ".1",
            "-.1",
            "+1",
            "1e",
            "1e+",
            "1e-",
            "1E",
            "-",
            "--1",
            "1.5e",
            "0x10",
            "1e5.5",
            "1.5.5",
            "Infinity",
            "-Infinity",
            "NaN",
            "-NaN",
            "1 2",
            "- 1",
            "1_000",
            "1e0001",
            "2.",
            "-2.",
            "1ee5",
            "1e+-5",
        ];
        let strings = [
            r#""""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u0000\u001f\u0020\u007f\u0080\u07ff\u0800\uffff\uFFFF\u00E9""#,
            r#""\ud83d\ude00""#,
            r#""\uD83D\uDE00x""#,
            r#""\udbff\udfff""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\udc00\ud800""#,
            r#""\ud800\ud800""#,
            r#""\ud800\ud800\udc00""#,
            r#""\ud800x""#,
            r#""\ud800\x""#,
            r#""\ud800\n""#,
            r#""\ud800\u0041""#,
            r#""\ud800\u12""#,
            r#""\ud800\uzzzz""#,
            r#""\ud800\"#,
            r#""\ud800"#,
            r#""\u""#,
            r#""\u12""#,
            r#""\u123""#,
            r#""\u12345""#,
            r#""\uGGGG""#,
            r#""\x""#,
            r#""\a""#,
            r#""\""#,
            r#""\"#,
            r#""abc"#,
            "\"a\u{0}b\"",
            "\"a\u{1f}b\"",
            "\"a\nb\"",
            "\"a\tb\"",
            "\"a\u{7f}b\"",
            "\"é\u{1}\"",
            "\"0123456789abcdef\u{1}\"",
            "\"0123456789abcdef\\u00e9 and a long tail of text\"",
            "\"日本語 😀\"",
        ];
        let others = [
            "",
            " ",
            "\n",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "fals",
            "True",
            "nulll",
            "[",
            "]",
            "{",
            "}",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,,2]",
            "{\"a\":1,}",
            "{,\"a\":1}",
            "{\"a\" 1}",
            "{\"a\":1 \"b\":2}",
            "{\"a\"}",
            "{\"a\":}",
            "{1:1}",
            "{null:1}",
            "{\"a\":1",
            "[1",
            "[1,",
            "{\"a\":1,",
            "{\"a\"",
            "[\n1\n,\n]",
            "\u{feff}[]",
            "[] x",
            "[]]",
            "{}}",
            "[1] [2]",
            "\"a\" \"b\"",
            "{\"a\":1}x",
            "[\"a\",\n\"b\"\n,x]",
            "\n\n  [1,\n  2,\n  x]",
            "{\"a\":[{\"b\":[1,{\"c\":x}]}]}",
            "[1]\n\n x",
            "{'a':1}",
            "[\u{a0}]",
            "[\u{c}]",
            "é",
            "[é]",
            "{\"$serde_json::private::RawValue\": \"[1]\"}",
            "{\"$serde_json::private::RawValue\": 1}",
        ];
        let mut count = 0;
        for value in numbers.iter().chain(&strings).chain(&others) {
            for text in [
                value.to_string(),
                format!("[{value}]"),
                format!("[1, {value} ]"),
                format!("{{\"k\": {value}}}"),
                format!("{{\"k\":{value},\"z\":1}}"),
                format!("\n [\n{value}\n]\n"),
            ] {
                agrees(&text);
                count += 1;
            }
        }
        for key in &strings {
            for text in [format!("{{{key}:1}}"), format!("{{\"a\":0, {key} : [1]}}")] {
                agrees(&text);
                count += 1;
            }
        }
        assert!(count > 1000, "{count}");
    }

    /// A document with every feature, cut at every character boundary and mutated at every
    /// character.
    #[test]
    fn truncated_and_mutated_documents_agree_with_serde_json() {
        let doc = "{\"event\": \"call.ended\", \"n\": [0, -1, 2.5e-3, -0, 18446744073709551616, \
                   true, false, null],\n \"s\": \"é\\n\\u00e9\\ud83d\\ude00\\\"\", \"o\": {\"\": \
                   {}, \"a\\tb\": [[], [{}]]}, \"f\": 1E+2}\n";
        assert!(ours(doc).is_ok());
        let cuts: Vec<usize> = (0..=doc.len())
            .filter(|&i| doc.is_char_boundary(i))
            .collect();
        for &i in &cuts {
            agrees(&doc[..i]);
        }
        let replacements = [
            "", " ", "\"", "\\", ",", ":", "[", "]", "{", "}", "0", "-", "e", ".", "x", "\n",
            "\u{1}", "é", "u", "d", "1e999", "\\u", "\\ud800",
        ];
        let mut count = 0;
        for pair in cuts.windows(2) {
            let (i, j) = (pair[0], pair[1]);
            for r in replacements {
                agrees(&format!("{}{}{}", &doc[..i], r, &doc[j..]));
                agrees(&format!("{}{}{}", &doc[..i], r, &doc[i..]));
                count += 2;
            }
        }
        assert!(count > 5000, "{count}");
    }

    /// Random texts made of JSON fragments, and random valid documents.
    #[test]
    fn random_texts_agree_with_serde_json() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let fragments = [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\n",
            "\"a\"",
            "\"",
            "\\",
            "\\u",
            "d800",
            "dc00",
            "0041",
            "\\n",
            "1",
            "0",
            "-",
            ".",
            "e",
            "E",
            "+",
            "9",
            "true",
            "null",
            "fals",
            "\"k\":",
            "1e400",
            "é",
            "\u{1}",
            "18446744073709551616",
            "x",
        ];
        for _ in 0..20_000 {
            let len = 1 + next(12);
            let text: String = (0..len).map(|_| fragments[next(fragments.len())]).collect();
            agrees(&text);
        }
        fn value(next: &mut impl FnMut(usize) -> usize, depth: u32, out: &mut String) {
            let scalars = [
                "0",
                "-0",
                "12",
                "-7",
                "3.25",
                "1e-7",
                "6.02e23",
                "18446744073709551615",
                "-9223372036854775808",
                "99999999999999999999",
                "true",
                "false",
                "null",
                "\"\"",
                "\"text\"",
                "\"\\u00e9\\n\"",
                "\"\\ud83d\\ude00\"",
                "\"日本\"",
            ];
            match next(if depth > 4 { 1 } else { 3 }) {
                0 => out.push_str(scalars[next(scalars.len())]),
                1 => {
                    out.push('[');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        value(next, depth + 1, out);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        let keys = ["\"a\"", "\"b\\u0062\"", "\"\"", "\"a\""];
                        out.push_str(keys[next(keys.len())]);
                        out.push_str(": ");
                        value(next, depth + 1, out);
                    }
                    out.push('}');
                }
            }
        }
        for _ in 0..5_000 {
            let mut text = String::new();
            value(&mut next, 0, &mut text);
            agrees(&text);
            assert!(ours(&text).is_ok(), "{text}");
        }
    }

    /// Random numbers of every shape (short and long significands, fractions, exponents):
    /// the same values, bit for bit, or the same errors.
    /// `string_end` finds the first stop byte wherever it is in its words, whatever is
    /// around it (bytes above 0x7F and 0x20 sit at the edges of the zero-byte tests).
    #[test]
    fn string_end_finds_the_first_stop_byte() {
        let naive = |b: &[u8], at: usize| {
            (at..b.len())
                .find(|&i| b[i] == b'"' || b[i] == b'\\' || b[i] < 0x20)
                .unwrap_or(b.len())
        };
        for fill in [b'a', b' ', 0x7F, 0x80, 0xFF, b'!', b'#', b'[', b']', 0x21] {
            for len in 0..48 {
                let plain = vec![fill; len];
                for at in 0..=len.min(3) {
                    assert_eq!(string_end(&plain, at), naive(&plain, at));
                }
                for stop in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    for pos in 0..len {
                        let mut text = plain.clone();
                        text[pos] = stop;
                        if pos + 1 < len {
                            // A later stop must not hide the first one.
                            text[len - 1] = b'"';
                        }
                        for at in 0..=pos.min(3) {
                            assert_eq!(string_end(&text, at), naive(&text, at), "{text:?} {at}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn random_numbers_agree_with_serde_json() {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let digits = |next: &mut dyn FnMut(usize) -> usize, n: usize| -> String {
            (0..n).map(|_| char::from(b'0' + next(10) as u8)).collect()
        };
        for _ in 0..NUMBERS {
            let mut text = String::new();
            if next(2) == 0 {
                text.push('-');
            }
            let int_len = [1, 1, 2, 5, 15, 16, 17, 19, 20, 25][next(10)];
            let int = digits(&mut next, int_len);
            text.push_str(int.trim_start_matches('0'));
            if text.is_empty() || text == "-" {
                text.push('0');
            }
            if next(3) > 0 {
                text.push('.');
                let frac_len = [1, 2, 3, 6, 15, 16, 17, 22, 23, 30][next(10)];
                text.push_str(&digits(&mut next, frac_len));
            }
            if next(3) == 0 {
                text.push(['e', 'E'][next(2)]);
                text.push_str(["", "+", "-"][next(3)]);
                let exp = [0, 1, 5, 15, 22, 23, 40, 300, 308, 309, 324, 400][next(12)];
                text.push_str(&(exp + next(3)).to_string());
            }
            agrees(&text);
        }
    }

    const NUMBERS: usize = 20_000;

    /// Every JSONTestSuite case that is UTF-8 is read exactly as serde_json reads it (the same
    /// value or the same error), and skipped and checked as serde_json skips it.
    #[test]
    fn json_test_suite_agrees_with_serde_json() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/corpora/JSONTestSuite/test_parsing");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("the JSONTestSuite corpus is in tests/corpora")
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        assert_eq!(paths.len(), 318);
        let (mut read, mut rejected, mut not_utf8) = (0, 0, 0);
        for path in &paths {
            let bytes = std::fs::read(path).unwrap();
            let Ok(text) = std::str::from_utf8(&bytes) else {
                not_utf8 += 1;
                continue;
            };
            agrees(text);
            if ours(text).is_ok() {
                read += 1;
            } else {
                rejected += 1;
            }
        }
        assert_eq!((read, rejected, not_utf8), (READ, REJECTED, NOT_UTF8));
    }

    /// The corpus's verdicts (serde_json's: the test above checks each).
    const READ: usize = 100;
    const REJECTED: usize = 193;
    const NOT_UTF8: usize = 25;

    #[test]
    fn nesting_limit_is_serde_jsons() {
        for depth in [127, 128, 129, 200] {
            for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
                let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
                agrees(&text);
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            ours(&deep).unwrap_err(),
            "recursion limit exceeded at line 1 column 128"
        );
        assert!(ours(&format!("{}{}", "[".repeat(127), "]".repeat(127))).is_ok());
    }

    /// Skipping is iterative: a million open arrays neither overflow the stack nor hit the
    /// limit, and errors deep inside are still found.
    #[test]
    fn skipping_has_no_depth_limit() {
        let n = 1_000_000;
        let ok = format!("{}{}", "[".repeat(n), "]".repeat(n));
        check_syntax(&ok).unwrap();
        let mut scan = Scan::new(&ok);
        IgnoredAny::deserialize(&mut scan).unwrap();
        scan.end().unwrap();
        let objects = format!("{}1{}", "{\"a\":[".repeat(n / 2), "]}".repeat(n / 2));
        check_syntax(&objects).unwrap();
        for text in [
            "[".repeat(n),
            format!("{}x{}", "[".repeat(n), "]".repeat(n)),
            format!("{}{}", "[".repeat(n), "]".repeat(n - 1)),
            format!("{}]", ok),
        ] {
            let want = serde_json::from_str::<IgnoredAny>(&text)
                .unwrap_err()
                .to_string();
            assert_eq!(check_syntax(&text).unwrap_err().to_string(), want);
            let mut scan = Scan::new(&text);
            let got = IgnoredAny::deserialize(&mut scan).and_then(|_| scan.end());
            assert_eq!(got.unwrap_err().to_string(), want);
        }
        // Read into a value: the limit, as serde_json.
        assert_eq!(ours(&ok).unwrap_err(), theirs(&ok).unwrap_err());
    }

    /// Strings and keys without escapes are borrowed from the body; with escapes, decoded.
    #[test]
    fn strings_are_borrowed_unless_escaped() {
        #[derive(Default)]
        struct Seen(Vec<(String, bool)>);
        impl<'de> Visitor<'de> for &mut Seen {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<(), E> {
                self.0.push((v.to_owned(), true));
                Ok(())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
                self.0.push((v.to_owned(), false));
                Ok(())
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<(), A::Error> {
                while a.next_key_seed(&mut *self)?.is_some() {
                    a.next_value_seed(&mut *self)?;
                }
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for &mut Seen {
            type Value = ();
            fn deserialize<D: de::Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<(), D::Error> {
                d.deserialize_str(self)
            }
        }
        let mut seen = Seen::default();
        let mut scan = Scan::new(r#"{"plain": "text", "esc\u0061ped": "a\nb", "é": "😀"}"#);
        de::Deserializer::deserialize_map(&mut scan, &mut seen).unwrap();
        scan.end().unwrap();
        let want = [
            ("plain", true),
            ("text", true),
            ("escaped", false),
            ("a\nb", false),
            ("é", true),
            ("😀", true),
        ];
        let got: Vec<_> = seen.0.iter().map(|(s, b)| (s.as_str(), *b)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn errors_have_serde_jsons_kinds_and_positions() {
        let err = |text: &str| {
            let mut scan = Scan::new(text);
            Value::deserialize(&mut scan)
                .and_then(|_| scan.end())
                .unwrap_err()
        };
        let e = err("{\"a\":1,}");
        assert_eq!(e.kind(), &ErrorKind::Syntax(Code::TrailingComma));
        assert_eq!((e.line(), e.column()), (1, 8));
        assert_eq!(e.to_string(), "trailing comma at line 1 column 8");
        let e = err("[1,\n2");
        assert_eq!(e.kind(), &ErrorKind::Eof(Code::EofWhileParsingList));
        assert!(e.is_eof());
        assert_eq!(e.to_string(), "EOF while parsing a list at line 2 column 1");
        let e = err("\"a\nb\"");
        assert_eq!(
            e.to_string(),
            "control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0"
        );
        assert_eq!(
            format!("{e:?}"),
            format!(
                "{:?}",
                serde_json::from_str::<Value>("\"a\nb\"").unwrap_err()
            )
        );
        // A visitor's error: custom, placed after the value it rejected, or (a key) after the
        // object.
        let mut scan = Scan::new("[\"x\", 2]");
        let e = de::Deserializer::deserialize_any(&mut scan, Picky { key: false }).unwrap_err();
        assert!(e.is_custom());
        assert_eq!(e.to_string(), "rejected value \"x\" at line 1 column 4");
        let mut scan = Scan::new("{\"z\": 1}");
        let e = de::Deserializer::deserialize_any(&mut scan, Picky { key: false }).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Custom("rejected key \"z\"".to_owned())
        );
        assert_eq!((e.line(), e.column()), (1, 4));
        let e = <Error as de::Error>::custom("mine");
        assert_eq!((e.to_string(), e.line()), ("mine".to_owned(), 0));
        let e = <Error as de::Error>::custom("mine at line 3 column 4");
        assert_eq!((e.line(), e.column()), (3, 4));
        assert_eq!(e.to_string(), "mine at line 3 column 4");
    }
}
