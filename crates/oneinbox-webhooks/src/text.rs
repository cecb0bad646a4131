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
