//! Issue codes, [`Issue`], [`ValidationError`] (bad remote input) and [`UsageError`]
//! (a caller's bad argument).

use std::fmt;
use std::str::FromStr;

/// The stable, machine-readable kind of an [`Issue`].
///
/// The snake_case string returned by [`IssueCode::as_str`] is part of the public API and is
/// the same in Rust, Python and Node. New codes are added only with a reason, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum IssueCode {
    /// `invalid_json`: the body is not exactly one valid JSON text in UTF-8 (bad syntax, a byte
    /// order mark, UTF-16, invalid UTF-8, a lone surrogate escape, `NaN`/`Infinity`, a number
    /// outside the range of a 64-bit float, trailing data). The message says which.
    InvalidJson,
    /// `not_an_object`: the body is valid JSON but its top-level value is not an object.
    NotAnObject,
    /// `missing_field`: a required member is absent.
    MissingField,
    /// `wrong_type`: a member has the wrong JSON type (in strict mode `null` counts as wrong).
    WrongType,
    /// `invalid_value`: the type is right but the value is not allowed (an empty id, a phone
    /// number that is not E.164, a non-`https` URL, a negative duration, ...).
    InvalidValue,
    /// `unknown_event`: strict mode met an `event` name that is not one of the documented seven.
    UnknownEvent,
    /// `unknown_field`: strict mode met a member that the event's contract does not list.
    UnknownField,
    /// `duplicate_field`: an object repeats a key, at any depth. Duplicates are always rejected,
    /// never resolved as "last one wins".
    DuplicateField,
    /// `too_large`: the body is longer than `max_body_bytes`; checked before parsing.
    TooLarge,
    /// `too_deep`: arrays/objects are nested deeper than `max_depth`.
    TooDeep,
    /// `too_many_issues`: more issues were found than are reported (the first
    /// [`MAX_ISSUES`]); always the last issue of the list. Added so that
    /// a hostile body cannot make the report grow without bound.
    TooManyIssues,
}

/// The most issues one report lists; past that a final `too_many_issues` issue says so.
pub const MAX_ISSUES: usize = 100;

impl IssueCode {
    /// Every code, in declaration order.
    pub const ALL: [IssueCode; 11] = [
        IssueCode::InvalidJson,
        IssueCode::NotAnObject,
        IssueCode::MissingField,
        IssueCode::WrongType,
        IssueCode::InvalidValue,
        IssueCode::UnknownEvent,
        IssueCode::UnknownField,
        IssueCode::DuplicateField,
        IssueCode::TooLarge,
        IssueCode::TooDeep,
        IssueCode::TooManyIssues,
    ];

    /// The stable snake_case code, e.g. `"missing_field"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IssueCode::InvalidJson => "invalid_json",
            IssueCode::NotAnObject => "not_an_object",
            IssueCode::MissingField => "missing_field",
            IssueCode::WrongType => "wrong_type",
            IssueCode::InvalidValue => "invalid_value",
            IssueCode::UnknownEvent => "unknown_event",
            IssueCode::UnknownField => "unknown_field",
            IssueCode::DuplicateField => "duplicate_field",
            IssueCode::TooLarge => "too_large",
            IssueCode::TooDeep => "too_deep",
            IssueCode::TooManyIssues => "too_many_issues",
        }
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`IssueCode::from_str`]: the string is not a known code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown issue code {0:?}")]
pub struct UnknownIssueCode(pub String);

impl FromStr for IssueCode {
    type Err = UnknownIssueCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IssueCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownIssueCode(crate::text::preview(s)))
    }
}

impl serde::Serialize for IssueCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem found in a payload, a response or a caller's argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Issue {
    /// What kind of problem this is.
    pub code: IssueCode,
    /// Where: a JSON Pointer (RFC 6901) into the document, `""` for the whole document.
    pub path: String,
    /// A sentence for people: names the field, what was expected and what was found. It never
    /// echoes more than about 80 characters of input and never contains a secret.
    pub message: String,
}

impl Issue {
    /// Builds an issue.
    pub fn new(code: IssueCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Issue {
            code,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    /// `path: message [code]`. A path token longer than 80 characters (an unknown member with
    /// a huge name) is cut with `…`, so that the text never echoes more than that of any one
    /// input string; the `path` field itself stays exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str("(body)")?;
        } else {
            f.write_str(&crate::text::cut_tokens(&self.path))?;
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

fn write_issues(f: &mut fmt::Formatter<'_>, what: &str, issues: &[Issue]) -> fmt::Result {
    match issues {
        [one] => write!(f, "{what}: {one}"),
        _ => {
            write!(f, "{what} ({} issues):", issues.len())?;
            for issue in issues {
                write!(f, "\n  - {issue}")?;
            }
            Ok(())
        }
    }
}

/// A payload or response that does not match its contract. Holds every issue found, in
/// document order (never just the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    issues: Vec<Issue>,
}

impl ValidationError {
    /// Wraps a list of issues. An empty list is allowed but never produced by this crate.
    pub fn new(issues: Vec<Issue>) -> Self {
        ValidationError { issues }
    }

    /// The issues, in the order they were found.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Takes the issues out.
    pub fn into_issues(self) -> Vec<Issue> {
        self.issues
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_issues(f, "invalid payload", &self.issues)
    }
}

impl std::error::Error for ValidationError {}

/// A caller passed an argument that cannot make a valid request (an empty id, a `http` URL,
/// an unknown event name, ...). Same [`Issue`] list as [`ValidationError`]; paths point into
/// the arguments, e.g. `/name` or `/events/2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    issues: Vec<Issue>,
}

impl UsageError {
    /// Wraps a list of issues.
    pub fn new(issues: Vec<Issue>) -> Self {
        UsageError { issues }
    }

    /// The issues, in argument order.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Takes the issues out.
    pub fn into_issues(self) -> Vec<Issue> {
        self.issues
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_issues(f, "invalid argument", &self.issues)
    }
}

impl std::error::Error for UsageError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_strings() {
        for code in IssueCode::ALL {
            assert_eq!(code.as_str().parse::<IssueCode>(), Ok(code));
        }
        assert!("nope".parse::<IssueCode>().is_err());
    }

    #[test]
    fn display_cuts_a_huge_path() {
        let key = "k".repeat(1000);
        let issue = Issue::new(
            IssueCode::UnknownField,
            format!("/a/{key}/0"),
            "unknown member",
        );
        let text = issue.to_string();
        assert_eq!(
            text,
            format!("/a/{}…/0: unknown member [unknown_field]", "k".repeat(80))
        );
        assert_eq!(issue.path.len(), 1005);
    }

    #[test]
    fn display_lists_every_issue() {
        let err = ValidationError::new(vec![
            Issue::new(IssueCode::MissingField, "/call_id", "`call_id` is missing"),
            Issue::new(IssueCode::WrongType, "", "expected an object"),
        ]);
        assert_eq!(
            err.to_string(),
            "invalid payload (2 issues):\n  - /call_id: `call_id` is missing [missing_field]\n  - (body): expected an object [wrong_type]"
        );
    }
}
