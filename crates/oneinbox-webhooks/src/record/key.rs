//! [`dedupe_key`]: a stable name for the content of one delivery, and the canonical values the
//! record keeps.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::{Field, Values};
use crate::events::Event;

/// The length of the hex SHA-256 at the end of every dedupe key.
pub(crate) const HASH_HEX_LEN: usize = 64;

/// The key under which to remember that a delivery was seen: the same string for the same
/// event content, whatever its key order, whitespace or number spelling, and a different one
/// for any change of content.
///
/// The format is `<event name>:<call_id>:<sha256>`, where `<sha256>` is 64 lowercase hex
/// digits of the SHA-256 of the event's wire JSON (what [`Event::to_json`] writes, unknown
/// members included) in the RFC 8785 JSON Canonicalization Scheme (JCS): members sorted by
/// their UTF-16 code units, no whitespace, strings with the minimal escapes, and every
/// number written as ECMAScript writes the IEEE 754 double it denotes (so `87`, `87.0` and
/// `8.7e1` are all `87`; integers beyond 2^53 are rounded to a double first, as JavaScript
/// reads them). The name and call id are the ones [`Event::name`] and [`Event::call_id`]
/// return, written as they are (they may contain `:`, so read the hash as the last 64
/// characters). A documented field that is `null` on the wire is absent from the event and
/// so from its wire JSON: `null` and absent give the same key.
///
/// An event synthesized by reconciliation (its wire JSON has `"reconciled": true`, which
/// OneInbox never sends) has the key `<event name>:<call_id>:reconciled` instead: one key per
/// call and event, whatever the snapshot it was made from.
///
/// OneInbox sends no delivery id, and retries a delivery that was not answered 2xx, so
/// equal content is the only sign of a repeat. Two deliveries that differ only in
/// formatting are the same event; two that differ in any value are different events.
///
/// ```
/// use oneinbox_webhooks::{dedupe_key, parse_event};
///
/// let a = parse_event(br#"{"event":"call.ended","call_id":"call_1","duration_seconds":87}"#)?;
/// let b = parse_event(b"{ \"duration_seconds\": 87.0,\n  \"call_id\": \"call_1\", \"event\": \"call.ended\" }")?;
/// assert_eq!(dedupe_key(&a), dedupe_key(&b));
/// assert!(dedupe_key(&a).starts_with("call.ended:call_1:"));
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
pub fn dedupe_key(event: &Event) -> String {
    let wire = wire(event);
    key_of(event.name(), event.call_id(), &wire)
}

/// An event's [`dedupe_key`] and the values a [`CallRecord`](super::CallRecord) takes from it,
/// computed once: a store that asks for the key and then applies the event does the work
/// once with [`CallRecord::apply_keyed`](super::CallRecord::apply_keyed). The bindings keep
/// one beside each event they parse, made on first use.
///
/// ```
/// use oneinbox_webhooks::{dedupe_key, parse_event, CallRecord, KeyedEvent};
///
/// let event = parse_event(br#"{"event":"call.ended","call_id":"call_1","outcome":"Voicemail"}"#)?;
/// let keyed = KeyedEvent::new(&event);
/// assert_eq!(keyed.key(), dedupe_key(&event));
/// let (mut a, mut b) = (CallRecord::new("call_1"), CallRecord::new("call_1"));
/// assert_eq!(a.apply_keyed(&keyed), b.apply(&event));
/// assert_eq!(a, b);
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeyedEvent {
    /// Borrowed for the documented events.
    pub(crate) name: Cow<'static, str>,
    /// Shared with the ledger and the records that keep it.
    pub(crate) call_id: Arc<str>,
    /// The value each field of a record takes from the event (see `Field`), made once:
    /// the records that keep them share them.
    pub(crate) values: Arc<Values>,
    /// Shared with the records and ledgers that keep it.
    pub(crate) key: Arc<str>,
}

impl KeyedEvent {
    /// The key of `event` and the values a record takes from it.
    pub fn new(event: &Event) -> Self {
        let mut wire = wire(event);
        let key = key_of(event.name(), event.call_id(), &wire);
        let values = Field::values_of(event.name(), |field, member| {
            wire.remove(member).and_then(|v| field.value_of(v))
        });
        KeyedEvent {
            name: Cow::Owned(event.name().to_owned()),
            call_id: Arc::from(event.call_id()),
            values: Arc::new(values),
            key: Arc::from(key),
        }
    }

    /// The event's [`dedupe_key`].
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key, shared.
    pub(crate) fn shared_key(&self) -> &Arc<str> {
        &self.key
    }

    /// The call id, shared (a ledger keys its calls with it and its records keep it).
    pub(crate) fn shared_call_id(&self) -> &Arc<str> {
        &self.call_id
    }

    /// The event's name ([`Event::name`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event's call id ([`Event::call_id`]).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }
}

impl From<&Event> for KeyedEvent {
    fn from(event: &Event) -> Self {
        KeyedEvent::new(event)
    }
}

/// The wire JSON of an event as a map. Serializing an event into a `Value` cannot fail:
/// every map key is a string and every number is finite. A member that the event would write
/// twice (an `extra` member named like a typed field, possible only for an event built by
/// hand) keeps its last value, as `JSON.parse` and Python's `json` read such text.
pub(crate) fn wire(event: &Event) -> Map<String, Value> {
    match serde_json::to_value(event) {
        Ok(Value::Object(map)) => map,
        // cannot happen: every event serializes to an object
        _ => Map::new(),
    }
}

/// The dedupe key of the event `name` of call `call_id` whose wire JSON is `wire`.
pub(crate) fn key_of(name: &str, call_id: &str, wire: &Map<String, Value>) -> String {
    let canonical = (wire.get(RECONCILED) != Some(&Value::Bool(true))).then(|| {
        let mut canonical = Vec::with_capacity(256);
        write_canonical_map(wire, &mut canonical);
        canonical
    });
    make_key(name, call_id, canonical.as_deref(), str::to_owned)
}

/// The member that marks an event synthesized by reconciliation (`"reconciled": true`).
pub(crate) const RECONCILED: &str = "reconciled";

/// The last part of the key of an event synthesized by reconciliation.
pub(crate) const RECONCILED_SUFFIX: &str = ":reconciled";

/// Whether `key` is the key of an event synthesized by reconciliation.
pub(crate) fn is_reconciled_key(key: &str) -> bool {
    key.ends_with(RECONCILED_SUFFIX)
}

/// The dedupe key of the event `name` of call `call_id`, the one place its format is written:
/// `<name>:<call_id>:<64 lowercase hex digits of the SHA-256 of canonical>`, or, for an event
/// synthesized by reconciliation (`canonical` is `None`), `<name>:<call_id>:reconciled`, the
/// one key of that call and event whatever its content. Made into a `String` or an `Arc<str>`
/// by `make`, from a buffer on the stack (one allocation either way).
pub(crate) fn make_key<K>(
    name: &str,
    call_id: &str,
    canonical: Option<&[u8]>,
    make: impl FnOnce(&str) -> K,
) -> K {
    let mut key: SmallVec<[u8; 160]> = SmallVec::new();
    key.extend_from_slice(name.as_bytes());
    key.push(b':');
    key.extend_from_slice(call_id.as_bytes());
    match canonical {
        Some(canonical) => {
            key.push(b':');
            key.extend_from_slice(&hex_of(&Sha256::digest(canonical)));
        }
        None => key.extend_from_slice(RECONCILED_SUFFIX.as_bytes()),
    }
    // Made of two strings and ASCII.
    make(std::str::from_utf8(&key).unwrap_or_default())
}

/// The 64 lowercase hex digits of a SHA-256 digest.
fn hex_of(digest: &[u8]) -> [u8; HASH_HEX_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [b'0'; HASH_HEX_LEN];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
        let digits = (
            HEX.get(usize::from(byte >> 4)),
            HEX.get(usize::from(byte & 0xf)),
        );
        if let ([hi, lo], (Some(h), Some(l))) = (pair, digits) {
            (*hi, *lo) = (*h, *l);
        }
    }
    hex
}

/// Appends the RFC 8785 (JCS) text of `v` to `out`: members sorted by their UTF-16 code
/// units, no whitespace, strings with the minimal escapes (serde_json's: `\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, other controls as lowercase `\u00xx`), every number as
/// ECMAScript writes the double it denotes. Numbers are finite and keys unique in a `Value`,
/// so this cannot fail.
pub(crate) fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Without serde_json's arbitrary_precision every number has an f64 value.
        Value::Number(n) => write_number(n.as_f64().unwrap_or_default(), out),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_canonical_map(map, out),
    }
}

/// [`write_canonical`] of an object.
fn write_canonical_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut members: SmallVec<[(&String, &Value); 16]> = map.iter().collect();
    members.sort_unstable_by(|a, b| member_cmp(a.0, b.0));
    out.push(b'{');
    for (i, (k, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        write_canonical(v, out);
    }
    out.push(b'}');
}

/// A finite number as ECMAScript writes it (RFC 8785). A whole number below 2^53 (every
/// duration, count and timestamp an event carries) is its digits, which `itoa` writes
/// without the shortest-double search (`-0` is `0`, as ECMAScript writes it).
pub(crate) fn write_number(f: f64, out: &mut Vec<u8>) {
    if f.trunc() == f && f.abs() < EXACT {
        out.extend_from_slice(itoa::Buffer::new().format(f as i64).as_bytes());
    } else {
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(f).as_bytes());
    }
}

/// 2^53: every whole number below it is a double exactly.
pub(crate) const EXACT: f64 = 9_007_199_254_740_992.0;

/// A JSON string with serde_json's escapes, which are RFC 8785's.
pub(crate) fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether `bytes` hold one that a JSON string escapes: a control character, `"` or `\\`.
/// Eight bytes at a time (the key writes every string of an event through here): a word has
/// a byte below `n` when `(w - n·0x01…01) & !w & 0x80…80` is not zero (exact as a yes or no
/// for `n` up to 0x80), and a byte equal to `c` when `w ^ c·0x01…01` has a byte below 1.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return true;
        };
        let w = u64::from_le_bytes(word);
        if below(w, 0x20)
            || below(w ^ (ONES * u64::from(b'"')), 1)
            || below(w ^ (ONES * u64::from(b'\\')), 1)
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// [`utf16_cmp`], by bytes where the orders agree. UTF-8 bytes sort as code points, and code
/// points sort as UTF-16 code units except a character from U+E000 against one above U+FFFF
/// (a surrogate pair): so where the first differing bytes are both below 0xEE (no such
/// character starts there), the byte order is the answer.
pub(crate) fn member_cmp(a: &str, b: &str) -> Ordering {
    let first_difference = a.bytes().zip(b.bytes()).find(|(x, y)| x != y);
    match first_difference {
        None => a.len().cmp(&b.len()),
        Some((x, y)) if x < 0xEE && y < 0xEE => x.cmp(&y),
        Some(_) => utf16_cmp(a, b),
    }
}

/// Whether `key` is a well-formed dedupe key of an event named `name` of call `call_id`.
pub(crate) fn is_key_of(key: &str, name: &str, call_id: &str) -> bool {
    let Some(rest) = key
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|r| r.strip_prefix(call_id))
        .and_then(|r| r.strip_prefix(':'))
    else {
        return false;
    };
    rest == &RECONCILED_SUFFIX[1..]
        || rest.len() == HASH_HEX_LEN
            && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares two strings by their UTF-16 code units, the member order of RFC 8785.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A number as the record keeps it: the IEEE 754 double it denotes (as JCS and JavaScript
/// read it), written as an integer when it is whole and fits 64 bits (`87.0` becomes `87`,
/// `-0.0` becomes `0`), as a float otherwise.
pub(crate) fn canonical_number(n: &Number) -> Number {
    /// 2^63 and 2^64 as doubles (exact).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    let Some(f) = n.as_f64() else {
        // cannot happen without serde_json's arbitrary_precision
        return n.clone();
    };
    if f.fract() == 0.0 {
        if (-TWO_63..TWO_63).contains(&f) {
            // In range and whole: the conversion is exact.
            return Number::from(f as i64);
        }
        if (0.0..TWO_64).contains(&f) {
            return Number::from(f as u64);
        }
    }
    Number::from_f64(f).unwrap_or_else(|| n.clone())
}

/// A JSON value as the record keeps it: numbers made canonical ([`canonical_number`]) and
/// object members sorted by UTF-16 code units, at every depth. Two values with the same JCS
/// text give equal canonical values with the same serialization.
pub(crate) fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(canonical_number(n)),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(map) => Value::Object(canonical_map(map)),
        other => other.clone(),
    }
}

/// [`canonical`], moving the value's strings instead of copying them.
pub(crate) fn canonical_owned(v: Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(canonical_number(&n)),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical_owned).collect()),
        Value::Object(map) => {
            let mut members: Vec<(String, Value)> = map.into_iter().collect();
            members.sort_unstable_by(|a, b| member_cmp(&a.0, &b.0));
            Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, canonical_owned(v)))
                    .collect(),
            )
        }
        other => other,
    }
}

/// [`canonical`] of an object.
pub(crate) fn canonical_map(map: &Map<String, Value>) -> Map<String, Value> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| utf16_cmp(a.0, b.0));
    members
        .into_iter()
        .map(|(k, v)| (k.clone(), canonical(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-number shortcut writes what the shortest-double search writes.
    #[test]
    fn whole_numbers_are_written_as_ecmascript_writes_them() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            87.0,
            1e15,
            EXACT - 1.0,
            -(EXACT - 1.0),
        ];
        values.extend(
            (0..64).map(|i| f64::from(1u32 << (i % 31)) * if i % 2 == 0 { 3.0 } else { -7.0 }),
        );
        values.extend([EXACT, EXACT + 2.0, 1e21, 1e300, 0.5, -2.5, 1e-7, f64::MAX]);
        for f in values {
            let mut out = Vec::new();
            write_number(f, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                ryu_js::Buffer::new().format_finite(f),
                "{f}"
            );
        }
    }
    use crate::parse_event;

    /// The word-at-a-time check answers as the byte-at-a-time one, for every byte at every
    /// position of a word and of the tail, among bytes just below and above each limit.
    #[test]
    fn needs_escape_is_the_bytewise_check() {
        let plain = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        let fill = [b'a', 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xc3, 0xff];
        for len in 0..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    for f in fill {
                        let mut bytes = vec![f; len];
                        bytes[at] = b;
                        assert_eq!(needs_escape(&bytes), plain(b), "{bytes:?}");
                    }
                }
            }
        }
    }

    /// The canonical text of `v` (the bytes dedupe_key hashes), checked against the
    /// serde_json_canonicalizer crate's.
    fn jcs(v: &Value) -> String {
        let mut out = Vec::new();
        write_canonical(v, &mut out);
        assert_eq!(out, serde_json_canonicalizer::to_vec(v).unwrap(), "{v}");
        String::from_utf8(out).unwrap()
    }

    /// RFC 8785 appendix B: IEEE 754 bit patterns and their canonical text. The expected
    /// strings were checked against `Number.prototype.toString` in Node.
    #[test]
    fn numbers_follow_rfc_8785_appendix_b() {
        let cases: [(u64, &str); 24] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, text) in cases {
            let n = Number::from_f64(f64::from_bits(bits)).unwrap();
            assert_eq!(jcs(&Value::Number(n)), text, "{bits:016x}");
        }
        // Integers are numbers like any other: 87 and 87.0 are one value; a u64 beyond 2^53
        // is rounded to the nearest double, as JavaScript reads it.
        assert_eq!(jcs(&serde_json::json!(87)), "87");
        assert_eq!(jcs(&serde_json::json!(87.0)), "87");
        assert_eq!(
            jcs(&serde_json::json!(9007199254740993u64)),
            "9007199254740992"
        );
        assert_eq!(jcs(&serde_json::json!(u64::MAX)), "18446744073709552000");
        assert_eq!(jcs(&serde_json::json!(i64::MIN)), "-9223372036854776000");
    }

    /// RFC 8785 section 3.2.3: members sorted by UTF-16 code units (so U+1F600, a surrogate
    /// pair, sorts before U+FB33), at every depth.
    #[test]
    fn members_sort_by_utf16_code_units() {
        let input: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let text = jcs(&input);
        assert!(
            text.starts_with(r#"{"\r":"Carriage Return","1":"One","#),
            "{text}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
        // The record's own canonical form sorts the same way.
        let canon = canonical(&input);
        let keys: Vec<&String> = canon.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
    }

    /// RFC 8785 section 3.2.4: the example's input and its exact canonical text (strings with
    /// the minimal escapes: `\u000f` lowercase, `\n` short, `/` and `€` unescaped).
    #[test]
    fn rfc_8785_example() {
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        assert_eq!(
            jcs(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn member_order_is_the_utf16_order() {
        let names = [
            "",
            "a",
            "ab",
            "b",
            "\r",
            "1",
            "\u{7f}",
            "\u{80}",
            "\u{f6}",
            "\u{7ff}",
            "\u{800}",
            "\u{20ac}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{fb33}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "\u{10ffff}",
            "a\u{fb33}",
            "a\u{1f600}",
            "\u{fb33}a",
            "\u{1f600}a",
        ];
        for a in names {
            for b in names {
                assert_eq!(member_cmp(a, b), utf16_cmp(a, b), "{a:?} {b:?}");
            }
        }
    }

    /// The writer gives the canonicalizer crate's text for the wire form of every event the
    /// shared fixtures hold (lenient parse), unknown members and odd numbers included.
    #[test]
    fn canonical_text_of_every_fixture_event() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/events");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let fixture: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let body = match (fixture.get("body_text"), fixture.get("body")) {
                (Some(Value::String(text)), _) => text.clone().into_bytes(),
                (_, Some(body)) => serde_json::to_vec(body).unwrap(),
                _ => continue,
            };
            if let Ok(event) = crate::ParseOptions::default().parse(&body) {
                jcs(&Value::Object(wire(&event)));
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn control_characters_use_the_short_escapes() {
        let s: String = (0u8..0x20)
            .map(char::from)
            .chain(['\u{7f}', '"', '\\'])
            .collect();
        assert_eq!(
            jcs(&Value::String(s)),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\u{7f}\\\"\\\\\""
        );
    }

    #[test]
    fn the_key_names_event_and_call_and_ends_in_64_hex_digits() {
        let e = parse_event(br#"{"event":"call.failed","call_id":"a:b","reason":"busy"}"#).unwrap();
        let key = dedupe_key(&e);
        assert!(key.starts_with("call.failed:a:b:"));
        assert!(is_key_of(&key, "call.failed", "a:b"));
        assert!(!is_key_of(&key, "call.failed", "a"));
        assert!(!is_key_of(&key, "call.ended", "a:b"));
        assert!(!is_key_of(&key.to_uppercase(), "call.failed", "a:b"));
        // The hash is the SHA-256 of the canonical text.
        let canonical = r#"{"call_id":"a:b","event":"call.failed","reason":"busy"}"#;
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(key, format!("call.failed:a:b:{hex}"));
    }

    #[test]
    fn spelling_does_not_change_the_key_and_content_does() {
        let base = dedupe_key(
            &parse_event(
                br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"x":{"b":1,"a":[1.0,"\u00e9"]}}"#,
            )
            .unwrap(),
        );
        let same = [
            &br#"{"x":{"a":[1,"\u00E9"],"b":1.0},"duration_seconds":8.7e1,"call_id":"c","event":"call.ended"}"#[..],
            b"{ \"event\" : \"call.ended\" ,\r\n\t\"call_id\":\"c\", \"duration_seconds\": 870e-1, \"x\": {\"b\": 1, \"a\": [10E-1, \"\xc3\xa9\"]} }",
            // A documented field that is null is absent.
            br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"outcome":null,"x":{"b":1,"a":[1,"\u00e9"]}}"#,
        ];
        for body in same {
            assert_eq!(dedupe_key(&parse_event(body).unwrap()), base);
        }
        let different = [
            &br#"{"event":"call.ended","call_id":"c","duration_seconds":88,"x":{"b":1,"a":[1,"\u00e9"]}}"#[..],
            br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"x":{"b":1,"a":["\u00e9",1]}}"#,
            br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"x":{"b":1,"a":[1,"e"]}}"#,
            br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"x":{"b":1,"a":[1,"\u00e9"],"c":null}}"#,
            br#"{"event":"call.ended","call_id":"C","duration_seconds":87,"x":{"b":1,"a":[1,"\u00e9"]}}"#,
            br#"{"event":"call.ended","call_id":"c","duration_seconds":87,"outcome":"","x":{"b":1,"a":[1,"\u00e9"]}}"#,
        ];
        for body in different {
            assert_ne!(dedupe_key(&parse_event(body).unwrap()), base);
        }
    }

    #[test]
    fn canonical_numbers() {
        let n = |v: Value| canonical(&v).to_string();
        assert_eq!(n(serde_json::json!(87.0)), "87");
        assert_eq!(n(serde_json::json!(-0.0)), "0");
        assert_eq!(n(serde_json::json!(87.5)), "87.5");
        assert_eq!(
            n(serde_json::json!(9007199254740993u64)),
            "9007199254740992"
        );
        assert_eq!(n(serde_json::json!(i64::MAX)), "9223372036854775808");
        assert_eq!(n(serde_json::json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(n(serde_json::json!(u64::MAX)), "1.8446744073709552e+19");
        assert_eq!(n(serde_json::json!(1e21)), "1e+21");
        assert_eq!(
            n(serde_json::json!({"b": 1.0, "a": [2.0]})),
            r#"{"a":[2],"b":1}"#
        );
    }
}
