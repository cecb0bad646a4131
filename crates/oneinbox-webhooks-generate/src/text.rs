//! Wording helpers: the contract's doc comments as paragraphs, and their forms in Python
//! docstrings, JSDoc comments and JSON Schema descriptions.

use oneinbox_webhooks::contract::{FieldSpec, Presence};

/// The paragraphs of a doc comment as the contract's table holds it (each `///` line followed
/// by `\n`, with the space after `///`); the lines of a paragraph are joined with spaces.
pub fn paragraphs(doc: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in doc.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// The whole doc comment on one line.
pub fn one_line(doc: &str) -> String {
    paragraphs(doc).join(" ")
}

/// The doc comment of an event without its leading `` `name`: ``, capitalized: `The call
/// connected and ...`.
pub fn summary(doc: &str, name: &str) -> String {
    let text = one_line(doc);
    let prefix = format!("`{name}`: ");
    match text.strip_prefix(&prefix) {
        Some(rest) => capitalize(rest),
        None => text,
    }
}

/// A field's doc for the bindings' types, with a note when it may be missing in strict mode
/// too (their types are lenient, so a field that may be missing is one that strict mode requires
/// unless it says so).
pub fn field_doc(f: &FieldSpec) -> String {
    if f.presence == Presence::Optional {
        format!("{}May be absent or null in strict mode too.\n", f.doc)
    } else {
        f.doc.to_owned()
    }
}

/// `s` with its first letter in upper case.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `n` in words up to twelve (`seven`), in digits above.
pub fn number(n: usize) -> String {
    const WORDS: [&str; 13] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

/// `s` split into lines of at most `width` characters at spaces (a longer word keeps a line
/// of its own).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The longest line of the generated Python (ruff's `line-length`) and the width the generated
/// TypeScript comments wrap at (as the hand-written ones).
pub const WIDTH: usize = 100;

/// A Python docstring at `indent` spaces: the doc's paragraphs with Markdown code spans as
/// reStructuredText literals (`` `x` `` → ``` ``x`` ```), wrapped to [`WIDTH`]. The lines after
/// the first are indented; the result has no trailing newline.
pub fn docstring(doc: &str, indent: usize) -> String {
    let paragraphs: Vec<String> = paragraphs(doc)
        .iter()
        .map(|p| p.replace('\\', "\\\\").replace('`', "``"))
        .collect();
    let pad = " ".repeat(indent);
    // A closing quote right after a `"` would end the string early.
    let close = |text: &str| {
        if text.ends_with('"') {
            format!("{text} \"\"\"")
        } else {
            format!("{text}\"\"\"")
        }
    };
    if let [only] = paragraphs.as_slice() {
        if indent + only.chars().count() + 6 <= WIDTH {
            return format!("\"\"\"{}", close(only));
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        // Room for the opening and the closing quotes, on the same line when there is one.
        lines.extend(wrap(p, WIDTH - indent - 6));
    }
    let last = lines.pop().unwrap_or_default();
    lines.push(close(&last));
    let mut out = String::from("\"\"\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// A JSDoc comment at `indent` spaces, wrapped to [`WIDTH`], ending with a newline: on one line
/// when it fits.
pub fn jsdoc(doc: &str, indent: usize) -> String {
    let paragraphs: Vec<String> = paragraphs(doc)
        .iter()
        .map(|p| p.replace("*/", "*\\/"))
        .collect();
    let pad = " ".repeat(indent);
    if let [only] = paragraphs.as_slice() {
        if indent + only.chars().count() + 7 <= WIDTH {
            return format!("{pad}/** {only} */\n");
        }
    }
    let mut out = format!("{pad}/**\n");
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{pad} *\n"));
        }
        for line in wrap(p, WIDTH - indent - 3) {
            out.push_str(&format!("{pad} * {line}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_of_a_doc_comment() {
        let doc = " First line\n continued.\n\n Second.\n";
        assert_eq!(paragraphs(doc), ["First line continued.", "Second."]);
        assert_eq!(summary(" `a.b`: the thing.\n", "a.b"), "The thing.");
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }

    #[test]
    fn docstrings_fit_the_line_length() {
        let long = " word".repeat(60);
        for line in docstring(&long, 8).lines() {
            assert!(8 + line.trim_start().chars().count() <= WIDTH, "{line}");
        }
        assert_eq!(docstring(" The `x`.\n", 4), "\"\"\"The ``x``.\"\"\"");
        assert_eq!(jsdoc(" The `x`.\n", 2), "  /** The `x`. */\n");
    }
}
