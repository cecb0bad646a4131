//! The rules for the numeric arguments a host language passes in, written once for both
//! bindings (not part of the Rust API: Rust callers pass typed values).
//!
//! A binding converts its value into a [`HostNumber`] (JavaScript numbers are `f64`; Python
//! `int`s are exact integers) and calls one of the checks below with the argument's name in
//! that language (`max_depth` in Python, `maxDepth` in Node). A value of the wrong type (a
//! string, a Python `float`) stays the host's `TypeError`; a number that breaks the rule is a
//! [`UsageError`](crate::UsageError) issue with code `invalid_value`, a JSON Pointer to the
//! argument and a message naming it. So the same bad argument gives the same class and code in
//! Python and Node.

use crate::error::{Issue, IssueCode};
use crate::text::push_token;

/// How deeply the JSON values a host passes as arguments (`variables`, `metadata`) may nest
/// before they are refused as `too_deep`.
pub const MAX_ARGUMENT_DEPTH: usize = 64;

/// A number as the host gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HostNumber {
    /// An exact integer (a Python `int`; one beyond `i128` saturates).
    Int(i128),
    /// A floating-point number (a JavaScript `number`).
    Float(f64),
}

impl HostNumber {
    /// The value as an exact integer: `None` for NaN or a fraction; `±∞` saturates.
    fn whole(self) -> Option<i128> {
        match self {
            HostNumber::Int(n) => Some(n),
            HostNumber::Float(f) if f.is_nan() || f.fract() != 0.0 && f.is_finite() => None,
            // `as` saturates (and maps ±∞ to the bounds), which is what a limit wants.
            HostNumber::Float(f) => Some(f as i128),
        }
    }
}

impl std::fmt::Display for HostNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostNumber::Int(n) => write!(f, "{n}"),
            HostNumber::Float(x) if x.is_nan() => f.write_str("NaN"),
            HostNumber::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "Infinity" } else { "-Infinity" })
            }
            HostNumber::Float(x) => write!(f, "{x}"),
        }
    }
}

/// Appends `token` to the JSON Pointer `pointer`, escaping `~` and `/` (RFC 6901): the one
/// implementation, for the paths a binding builds into its own arguments.
pub fn push_pointer_token(pointer: &mut String, token: &str) {
    push_token(pointer, token);
}

/// The `invalid_value` issue of argument `name`, which must be `rule` and is `value`: at the
/// argument's JSON Pointer, with a message naming it.
pub(crate) fn issue(name: &str, rule: &str, value: impl std::fmt::Display) -> Issue {
    let mut path = String::new();
    push_token(&mut path, name);
    Issue::new(
        IssueCode::InvalidValue,
        path,
        format!("`{name}` must be {rule}, found {value}"),
    )
}

/// A size or depth limit (`max_body_bytes`, `max_depth`): a whole number, 0 or more. A value
/// above what the platform counts (or `Infinity`) means no limit.
pub fn limit(value: HostNumber, name: &str) -> Result<usize, Issue> {
    match value.whole() {
        Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(issue(name, "a whole number of 0 or more", value)),
    }
}

/// A clock tolerance in seconds (`tolerance`): a whole number, 0 or more; larger than `u64`
/// saturates.
pub fn seconds(value: HostNumber, name: &str) -> Result<u64, Issue> {
    match value.whole() {
        Some(n) if n >= 0 => Ok(u64::try_from(n).unwrap_or(u64::MAX)),
        _ => Err(issue(name, "a whole number of seconds, 0 or more", value)),
    }
}

/// A point in time in Unix seconds (`now`): a whole number of any sign; beyond `i64`
/// saturates.
pub fn unix_seconds(value: HostNumber, name: &str) -> Result<i64, Issue> {
    match value.whole() {
        Some(n) => Ok(i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })),
        None => Err(issue(name, "whole Unix seconds", value)),
    }
}

/// An HTTP status code handed to `parse_response`: a whole number from 100 to 999 (the
/// status line's three digits).
pub fn http_status(value: HostNumber, name: &str) -> Result<u16, Issue> {
    match value.whole() {
        Some(n) if (100..=999).contains(&n) => Ok(u16::try_from(n).unwrap_or(u16::MAX)),
        _ => Err(issue(name, "an HTTP status code (100 to 999)", value)),
    }
}

#[cfg(test)]
mod tests {
    use super::HostNumber::{Float, Int};
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(limit(Int(0), "max_depth"), Ok(0));
        assert_eq!(limit(Float(64.0), "maxDepth"), Ok(64));
        assert_eq!(limit(Int(i128::MAX), "max_depth"), Ok(usize::MAX));
        assert_eq!(limit(Float(f64::INFINITY), "maxDepth"), Ok(usize::MAX));
        for bad in [
            Int(-1),
            Float(-1.0),
            Float(1.5),
            Float(f64::NAN),
            Float(-f64::INFINITY),
        ] {
            let e = limit(bad, "maxBodyBytes").unwrap_err();
            assert_eq!(
                (e.code, e.path.as_str()),
                (IssueCode::InvalidValue, "/maxBodyBytes")
            );
            assert!(
                e.message
                    .starts_with("`maxBodyBytes` must be a whole number"),
                "{e}"
            );
        }
        assert_eq!(
            limit(Int(-3), "max_depth").unwrap_err().message,
            "`max_depth` must be a whole number of 0 or more, found -3"
        );
    }

    #[test]
    fn statuses_seconds_and_times() {
        assert_eq!(http_status(Int(200), "status"), Ok(200));
        assert_eq!(http_status(Float(999.0), "status"), Ok(999));
        for bad in [Int(99), Int(1000), Int(-1), Float(200.5), Float(f64::NAN)] {
            assert_eq!(http_status(bad, "status").unwrap_err().path, "/status");
        }
        assert_eq!(seconds(Int(300), "tolerance"), Ok(300));
        assert!(seconds(Int(-1), "tolerance").is_err());
        assert_eq!(unix_seconds(Float(-5.0), "now"), Ok(-5));
        assert_eq!(unix_seconds(Int(i128::MAX), "now"), Ok(i64::MAX));
        assert_eq!(
            unix_seconds(Float(1.5), "now").unwrap_err().message,
            "`now` must be whole Unix seconds, found 1.5"
        );
        assert_eq!(http_status(Int(5), "a/b").unwrap_err().path, "/a~1b");
    }
}
