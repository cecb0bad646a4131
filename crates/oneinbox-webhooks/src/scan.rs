//! The JSON reader of the fast pass ([`crate::validate`]): a `serde::Deserializer` over the
//! body that reads the plain JSON webhooks are made of and gives up on anything else.
//!
//! Why not serde_json here: on a webhook-sized body most of the fast pass's time went into
//! serde_json's general-purpose reader (position tracking, error values, a scratch buffer
//! per string), not into the checks. This reader does less, and only has to be *sound*:
//!
//! - It accepts only text that is valid JSON (RFC 8259) and hands the visitor exactly the
//!   values serde_json would: the same strings, `u64` for non-negative integers, `i64` for
//!   negative ones, `f64` (correctly rounded, as serde_json's `float_roundtrip`) for the rest.
//! - Where it is unsure it gives up ([`GiveUp`]), and the full parser, serde_json, takes over
//!   and has the last word: a lone surrogate (`\ud800` without its pair), an escaped object
//!   key, an integer that does not fit 64 bits, `-0`, a number out of range, nesting deeper
//!   than serde_json's own limit.
//!
//! Both claims are tested: every JSONTestSuite case is read by this reader and by serde_json
//! (the unit tests below) and, inside an event, by the fast pass and the full parser
//! (`tests/json_test_suite.rs`); the shared fixtures and mutations of them compare the two
//! (`tests/event_fixtures.rs`, `tests/validate_mutations.rs`); and the `parse_event` fuzz
//! target compares verdicts and built values on arbitrary bytes.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// The only error: the reader (or a visitor) gave up; the full parser decides.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not surely valid")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

/// serde_json's nesting limit: deeper text is left to it (the visitors stop far earlier).
const MAX_NESTING: u32 = 128;

/// A reader over one body, already known to be UTF-8.
pub(crate) struct Scan<'de> {
    text: &'de str,
    pos: usize,
    /// Decoded strings that had escapes (allocated on the first one).
    scratch: String,
    nesting: u32,
    /// Set when a map or sequence consumed its closing bracket (see `deserialize_any`).
    closed: bool,
}

impl<'de> Scan<'de> {
    pub(crate) fn new(text: &'de str) -> Self {
        Scan {
            text,
            pos: 0,
            scratch: String::new(),
            nesting: 0,
            closed: false,
        }
    }

    /// The body's bytes.
    #[inline(always)]
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// Only whitespace may follow the top-level value.
    pub(crate) fn end(&mut self) -> Result<(), GiveUp> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(GiveUp),
        }
    }

    /// The next byte that is not JSON whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    #[inline]
    fn eat(&mut self, b: u8) -> Result<(), GiveUp> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// Consumes `word` (after its first byte, already seen).
    fn literal(&mut self, word: &[u8]) -> Result<(), GiveUp> {
        let end = self.pos + word.len();
        if self.bytes().get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// A string after its opening quote: borrowed from the body when it has no escapes,
    /// otherwise decoded into the scratch buffer (`None`).
    #[inline(always)]
    fn string(&mut self) -> Result<Option<&'de str>, GiveUp> {
        let start = self.pos;
        let end = string_end(self.bytes(), start);
        if self.bytes().get(end) == Some(&b'"') {
            self.pos = end + 1;
            return self.text.get(start..end).map(Some).ok_or(GiveUp);
        }
        self.pos = end;
        self.unusual_string(start)
    }

    /// [`Scan::string`] from the first `\\` or control character (or the end of the body).
    #[cold]
    #[inline(never)]
    fn unusual_string(&mut self, start: usize) -> Result<Option<&'de str>, GiveUp> {
        if self.bytes().get(self.pos) != Some(&b'\\') {
            return Err(GiveUp);
        }
        self.scratch.clear();
        self.scratch
            .push_str(self.text.get(start..self.pos).ok_or(GiveUp)?);
        self.escaped()?;
        Ok(None)
    }

    /// The rest of a string with escapes, from the first `\`, decoded into `scratch`.
    fn escaped(&mut self) -> Result<(), GiveUp> {
        loop {
            match self.bytes().get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let c = match self.bytes().get(self.pos + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let code = self.hex4(self.pos + 2)?;
                            self.pos += 4;
                            if (0xD800..0xDC00).contains(&code)
                                && self.bytes().get(self.pos + 2..self.pos + 4) == Some(b"\\u")
                            {
                                // A surrogate pair: one character.
                                let low = self.hex4(self.pos + 4)?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(GiveUp);
                                }
                                self.pos += 6;
                                let code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                char::from_u32(code).ok_or(GiveUp)?
                            } else {
                                // A lone surrogate is left to serde_json.
                                char::from_u32(code).ok_or(GiveUp)?
                            }
                        }
                        _ => return Err(GiveUp),
                    };
                    self.scratch.push(c);
                    self.pos += 2;
                }
                Some(_) => {
                    let start = self.pos;
                    self.pos = string_end(self.bytes(), start);
                    if self.pos == start {
                        // A control character, or the end of the body.
                        return Err(GiveUp);
                    }
                    self.scratch
                        .push_str(self.text.get(start..self.pos).ok_or(GiveUp)?);
                }
                None => return Err(GiveUp),
            }
        }
    }

    /// The four hex digits of a `\\u` escape at `at`.
    fn hex4(&self, at: usize) -> Result<u32, GiveUp> {
        let hex = self.text.get(at..at + 4).ok_or(GiveUp)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GiveUp);
        }
        u32::from_str_radix(hex, 16).map_err(|_| GiveUp)
    }

    /// A number, starting at its first byte (`-` or a digit), given to `v` as serde_json
    /// would: `u64`, `i64` or `f64`.
    fn number<V: Visitor<'de>>(&mut self, v: V) -> Result<V::Value, GiveUp> {
        let start = self.pos;
        let negative = self.bytes().get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let mut n: u64 = 0;
        match self.bytes().get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = self.bytes().get(self.pos) {
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d - b'0')))
                        .ok_or(GiveUp)?;
                    self.pos += 1;
                }
            }
            _ => return Err(GiveUp),
        }
        let mut float = false;
        if self.bytes().get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.digits()?;
            float = true;
        }
        if matches!(self.bytes().get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes().get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
            float = true;
        }
        if float {
            let text = self.text.get(start..self.pos).ok_or(GiveUp)?;
            let f: f64 = text.parse().map_err(|_| GiveUp)?;
            if !f.is_finite() {
                return Err(GiveUp);
            }
            return v.visit_f64(f);
        }
        if !negative {
            return v.visit_u64(n);
        }
        // serde_json reads `-0` as the float -0.0; not worth the special case.
        if n == 0 {
            return Err(GiveUp);
        }
        v.visit_i64(0i64.checked_sub_unsigned(n).ok_or(GiveUp)?)
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<(), GiveUp> {
        let start = self.pos;
        while matches!(self.bytes().get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(GiveUp)
        } else {
            Ok(())
        }
    }

    /// Before the next member or item of an object or array: `None` at its closing bracket
    /// (consumed), else the first byte of the member or item, after the comma due before it.
    #[inline(always)]
    fn next_item(&mut self, first: &mut bool, close: u8) -> Result<Option<u8>, GiveUp> {
        let mut b = self.peek().ok_or(GiveUp)?;
        if b == close {
            self.pos += 1;
            self.closed = true;
            return Ok(None);
        }
        if !std::mem::replace(first, false) {
            if b != b',' {
                return Err(GiveUp);
            }
            self.pos += 1;
            b = self.peek().ok_or(GiveUp)?;
        }
        Ok(Some(b))
    }

    /// One level deeper, within serde_json's limit.
    fn nest(&mut self) -> Result<(), GiveUp> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            Err(GiveUp)
        } else {
            Ok(())
        }
    }

    /// After a map or sequence visitor returned: it must have read up to the closing bracket.
    fn closed(&mut self) -> Result<(), GiveUp> {
        self.nesting -= 1;
        if std::mem::replace(&mut self.closed, false) {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }
}

/// The index of the first `"`, `\\` or control character at or after `at` (the end of a
/// string's raw text), or `bytes.len()`. Eight bytes at a time: Mycroft's zero-byte test for
/// the three kinds at once.
#[inline(always)]
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    while let Some(word) = bytes.get(at..at + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let v = u64::from_le_bytes(word);
        let ctrl = v.wrapping_sub(ONES * 0x20);
        let q = v ^ (ONES * u64::from(b'"'));
        let s = v ^ (ONES * u64::from(b'\\'));
        let hit = (ctrl | q.wrapping_sub(ONES) | s.wrapping_sub(ONES)) & !v & (ONES << 7);
        if hit != 0 {
            return at + (hit.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

impl<'de> de::Deserializer<'de> for &mut Scan<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, GiveUp> {
        let b = self.peek().ok_or(GiveUp)?;
        self.pos += 1;
        match b {
            b'"' => match self.string()? {
                Some(s) => v.visit_borrowed_str(s),
                None => v.visit_str(&self.scratch),
            },
            b'{' => {
                self.nest()?;
                let value = v.visit_map(Map {
                    scan: &mut *self,
                    first: true,
                })?;
                self.closed()?;
                Ok(value)
            }
            b'[' => {
                self.nest()?;
                let value = v.visit_seq(Seq {
                    scan: &mut *self,
                    first: true,
                })?;
                self.closed()?;
                Ok(value)
            }
            b't' => {
                self.literal(b"rue")?;
                v.visit_bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                v.visit_bool(false)
            }
            b'n' => {
                self.literal(b"ull")?;
                v.visit_unit()
            }
            b'-' | b'0'..=b'9' => {
                self.pos -= 1;
                self.number(v)
            }
            _ => Err(GiveUp),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The members of an object, after its `{`.
struct Map<'a, 'de> {
    scan: &'a mut Scan<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GiveUp> {
        let scan = &mut *self.scan;
        match scan.next_item(&mut self.first, b'}')? {
            None => return Ok(None),
            Some(b'"') => scan.pos += 1,
            Some(_) => return Err(GiveUp),
        }
        // An escaped key is left to serde_json (the fast pass compares keys as written).
        let key = scan.string()?.ok_or(GiveUp)?;
        scan.eat(b':')?;
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, GiveUp> {
        seed.deserialize(&mut *self.scan)
    }
}

/// The items of an array, after its `[`.
struct Seq<'a, 'de> {
    scan: &'a mut Scan<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, GiveUp> {
        let scan = &mut *self.scan;
        if scan.next_item(&mut self.first, b']')?.is_none() {
            return Ok(None);
        }
        seed.deserialize(&mut *scan).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::Value;

    /// What the reader makes of `text`, as a serde_json value (`None`: it gave up).
    fn read(text: &str) -> Option<Value> {
        let mut scan = Scan::new(text);
        let v = Value::deserialize(&mut scan).ok()?;
        scan.end().ok()?;
        Some(v)
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
        ] {
            let want: Value = serde_json::from_str(text).unwrap();
            let got = read(text).unwrap_or_else(|| panic!("gave up on {text}"));
            assert_eq!(got, want, "{text}");
            // Same number types, not only equal values.
            assert_eq!(got.to_string(), want.to_string(), "{text}");
        }
    }

    #[test]
    fn gives_up_on_invalid_and_unsure_text() {
        for text in [
            "",
            " ",
            "[1,]",
            "[,1]",
            r#"{"a":1,}"#,
            r#"{,"a":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            "[1 2]",
            "[01]",
            "[1.]",
            "[.1]",
            "[1e]",
            "[+1]",
            "[-]",
            "[-0]",
            "[1e400]",
            "[18446744073709551616]",
            "[-9223372036854775809]",
            "[tru]",
            "[nul]",
            "[True]",
            "\"a\u{1}b\"",
            "\"abc",
            r#""\x""#,
            r#""\u12""#,
            r#""\udc00""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ud83d\ud83d""#,
            r#"{"\u0061":1}"#,
            "[1] [2]",
            "\u{feff}[]",
            "[NaN]",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(read(&deep), None);
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(read(&ok).is_some());
    }

    /// Every JSONTestSuite case the reader accepts is valid JSON that it reads exactly as
    /// serde_json does; of the valid cases it gives up only on the ones listed (surrogate
    /// escapes, `-0`, numbers beyond 64 bits or `f64`, escaped keys, top-level scalars are
    /// fine).
    #[test]
    fn json_test_suite_cases_read_as_serde_json_reads_them() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/corpora/JSONTestSuite/test_parsing");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("the JSONTestSuite corpus is in tests/corpora")
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        assert_eq!(paths.len(), 318);
        let mut gave_up = Vec::new();
        let mut read_count = 0;
        for path in &paths {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let bytes = std::fs::read(path).unwrap();
            let want = serde_json::from_slice::<Value>(&bytes).ok();
            // The fast pass only runs on UTF-8 bodies.
            let got = std::str::from_utf8(&bytes).ok().and_then(read);
            match (&got, &want) {
                (Some(g), Some(w)) => {
                    assert_eq!(g.to_string(), w.to_string(), "{name}");
                    read_count += 1;
                }
                (Some(g), None) => panic!("{name}: read {g} from invalid JSON"),
                (None, Some(_)) => gave_up.push(name),
                (None, None) => {}
            }
        }
        assert_eq!(
            gave_up,
            [
                "i_number_too_big_neg_int.json",
                "i_number_too_big_pos_int.json",
                "i_number_very_big_negative_int.json",
                "y_number_minus_zero.json",
                "y_number_negative_zero.json",
                "y_object_escaped_null_in_key.json",
            ],
            "valid JSON the reader gave up on"
        );
        assert!(read_count > 90, "{read_count}");
    }
}
