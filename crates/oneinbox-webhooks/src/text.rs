//! Small text helpers shared by the parsers and builders: JSON Pointer building and
//! bounded previews of input for messages.

use std::fmt::Write as _;

/// The most characters of caller or remote input a message ever quotes.
pub(crate) const PREVIEW_CHARS: usize = 80;

/// `s` quoted as a JSON string, cut to [`PREVIEW_CHARS`] characters (with `…` when cut).
pub(crate) fn preview(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(PREVIEW_CHARS * 4) + 2);
    out.push('"');
    let mut cut = false;
    for (i, c) in s.chars().enumerate() {
        if i == PREVIEW_CHARS {
            cut = true;
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    if cut {
        out.push('…');
    }
    out
}

/// A JSON Pointer for messages: each reference token longer than [`PREVIEW_CHARS`] characters
/// (a member with a huge name) is cut with `…`, so that a message never echoes more than that
/// of any one input string.
pub(crate) fn cut_tokens(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len().min(PREVIEW_CHARS * 8));
    for (i, token) in pointer.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match token.char_indices().nth(PREVIEW_CHARS) {
            Some((end, _)) => {
                out.push_str(token.get(..end).unwrap_or_default());
                out.push('…');
            }
            None => out.push_str(token),
        }
    }
    out
}

/// Appends one reference token to a JSON Pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// `parent` with one more token.
pub(crate) fn child(parent: &str, token: &str) -> String {
    let mut p = String::with_capacity(parent.len() + token.len() + 1);
    p.push_str(parent);
    push_token(&mut p, token);
    p
}

/// `parent` with one more array index.
pub(crate) fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}/{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(child("", "a/b~c"), "/a~1b~0c");
        assert_eq!(child_index("/messages", 3), "/messages/3");
    }

    #[test]
    fn long_tokens_are_cut() {
        let key = "k".repeat(200);
        assert_eq!(
            cut_tokens(&format!("/a/{key}/0")),
            format!("/a/{}…/0", "k".repeat(80))
        );
        assert_eq!(cut_tokens("/a/b"), "/a/b");
        assert_eq!(cut_tokens(""), "");
    }

    #[test]
    fn previews_are_bounded_and_escaped() {
        assert_eq!(preview("a\"b\n"), "\"a\\\"b\\u000a\"");
        let long = "x".repeat(500);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS + 3);
        assert!(p.ends_with('…'));
    }
}

/// `s` with the value of every `token=` query parameter replaced by `[redacted]` (a parameter
/// starts the string or follows `?`, `&` or `;`; its value ends at `&`, `#`, `"`, `'`, `;`,
/// whitespace or the end). For Debug output, reprs and echoed error text: secret URL tokens
/// must not reach logs.
pub(crate) fn redact_url_tokens(s: &str) -> std::borrow::Cow<'_, str> {
    const KEY: &str = "token=";
    if !s.contains(KEY) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut at_param_start = true;
    while !rest.is_empty() {
        if at_param_start && rest.starts_with(KEY) {
            out.push_str(KEY);
            let end = rest
                .get(KEY.len()..)
                .and_then(|v| v.find(['&', '#', '"', '\'', ';', ' ', '\n', '\r', '\t']))
                .map_or(rest.len(), |i| i + KEY.len());
            if end > KEY.len() {
                out.push_str("[redacted]");
            }
            rest = rest.get(end..).unwrap_or_default();
            at_param_start = false;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        at_param_start = matches!(c, '?' | '&' | ';');
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    std::borrow::Cow::Owned(out)
}

/// Debug-prints a string with its URL tokens redacted.
pub(crate) struct RedactedStr<'a>(pub &'a str);

impl std::fmt::Debug for RedactedStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(redact_url_tokens(self.0).as_ref(), f)
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redact_url_tokens;

    #[test]
    fn url_tokens_are_redacted_wherever_they_appear() {
        assert_eq!(
            redact_url_tokens("https://x.com/h?a=1&token=s3cr3t#f"),
            "https://x.com/h?a=1&token=[redacted]#f"
        );
        assert_eq!(redact_url_tokens("token=abc"), "token=[redacted]");
        assert_eq!(
            redact_url_tokens(r#"{"url":"https://x/h?token=abc"}"#),
            r#"{"url":"https://x/h?token=[redacted]"}"#
        );
        assert_eq!(redact_url_tokens("mytoken=abc"), "mytoken=abc");
        assert_eq!(redact_url_tokens("no secrets here"), "no secrets here");
        assert_eq!(redact_url_tokens("é?token=ü&b"), "é?token=[redacted]&b");
    }
}
