//! Lenient response decoding: read documented members with type checks, collect every issue,
//! keep unknown members.

use serde_json::{Map, Number, Value};

use crate::error::{Issue, IssueCode, ValidationError};
use crate::text::child;

/// Parses a response body as one JSON text. Nesting past serde_json's recursion limit gives
/// `too_deep`; anything else that is not JSON gives `invalid_json`.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ValidationError::new(vec![Issue::new(
            IssueCode::InvalidJson,
            "",
            "expected a JSON response body, found an empty body",
        )]));
    }
    // The event parser's reader: duplicate keys are rejected (never last-wins), nesting is
    // bounded, strings are checked.
    crate::parse::parse_value(body, RESPONSE_MAX_DEPTH)
}

/// How deeply a management response may nest (the documented ones need 4 levels).
const RESPONSE_MAX_DEPTH: usize = 64;

/// A short name of a JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads members out of one object; what is not taken stays in [`Reader::rest`].
pub(crate) struct Reader<'a> {
    path: &'a str,
    rest: Map<String, Value>,
    pub(crate) issues: &'a mut Vec<Issue>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(obj: Map<String, Value>, path: &'a str, issues: &'a mut Vec<Issue>) -> Self {
        Reader {
            path,
            rest: obj,
            issues,
        }
    }

    pub(crate) fn path_of(&self, key: &str) -> String {
        child(self.path, key)
    }

    fn wrong(&mut self, key: &str, expected: &str, found: &Value) {
        let path = self.path_of(key);
        self.issues.push(Issue::new(
            IssueCode::WrongType,
            path,
            format!("`{key}` must be {expected}, found {}", type_name(found)),
        ));
    }

    /// Takes a member; `null` counts as absent.
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        match self.rest.shift_remove(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A required string; records `missing_field` or `wrong_type`.
    pub(crate) fn req_str(&mut self, key: &str) -> String {
        match self.take(key) {
            Some(Value::String(s)) => s,
            Some(other) => {
                self.wrong(key, "a string", &other);
                String::new()
            }
            None => {
                let path = self.path_of(key);
                self.issues.push(Issue::new(
                    IssueCode::MissingField,
                    path,
                    format!("`{key}` is missing (or null)"),
                ));
                String::new()
            }
        }
    }

    pub(crate) fn opt_str(&mut self, key: &str) -> Option<String> {
        match self.take(key)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong(key, "a string", &other);
                None
            }
        }
    }

    pub(crate) fn opt_int(&mut self, key: &str) -> Option<i64> {
        match self.take(key)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            other => {
                self.wrong(key, "an integer", &other);
                None
            }
        }
    }

    /// A required non-negative integer.
    pub(crate) fn req_count(&mut self, key: &str) -> u64 {
        match self.take(key) {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or_default(),
            Some(Value::Number(n)) if n.as_i64().is_some() => {
                let path = self.path_of(key);
                self.issues.push(Issue::new(
                    IssueCode::InvalidValue,
                    path,
                    format!("`{key}` must not be negative, found {n}"),
                ));
                0
            }
            Some(other) => {
                self.wrong(key, "a non-negative integer", &other);
                0
            }
            None => {
                let path = self.path_of(key);
                self.issues.push(Issue::new(
                    IssueCode::MissingField,
                    path,
                    format!("`{key}` is missing (or null)"),
                ));
                0
            }
        }
    }

    pub(crate) fn opt_number(&mut self, key: &str) -> Option<Number> {
        match self.take(key)? {
            Value::Number(n) => Some(n),
            other => {
                self.wrong(key, "a number", &other);
                None
            }
        }
    }

    pub(crate) fn opt_object(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.take(key)? {
            Value::Object(m) => Some(m),
            other => {
                self.wrong(key, "an object", &other);
                None
            }
        }
    }

    pub(crate) fn opt_array(&mut self, key: &str) -> Option<Vec<Value>> {
        match self.take(key)? {
            Value::Array(a) => Some(a),
            other => {
                self.wrong(key, "an array", &other);
                None
            }
        }
    }

    /// An optional array of strings; every non-string item is reported at its index.
    pub(crate) fn opt_str_list(&mut self, key: &str) -> Option<Vec<String>> {
        let items = self.opt_array(key)?;
        let path = self.path_of(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(s),
                other => self.issues.push(Issue::new(
                    IssueCode::WrongType,
                    crate::text::child_index(&path, i),
                    format!("`{key}` items must be strings, found {}", type_name(&other)),
                )),
            }
        }
        Some(out)
    }

    /// Any JSON value but `null`.
    pub(crate) fn opt_any(&mut self, key: &str) -> Option<Value> {
        self.take(key)
    }

    /// The members nobody took.
    pub(crate) fn rest(self) -> Map<String, Value> {
        self.rest
    }
}

/// The top-level value as an object, or a `not_an_object` issue.
pub(crate) fn expect_object(
    value: Value,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Option<Map<String, Value>> {
    match value {
        Value::Object(m) => Some(m),
        other => {
            let code = if path.is_empty() {
                IssueCode::NotAnObject
            } else {
                IssueCode::WrongType
            };
            issues.push(Issue::new(
                code,
                path,
                format!("expected an object, found {}", type_name(&other)),
            ));
            None
        }
    }
}

/// A page of a list endpoint (`{items, total, limit, offset}`, unknown members kept): each
/// item read by `read_item` at `/items/<i>`. Issues in member order: `items` first, then
/// `total`, `limit`, `offset`.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: u64,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
    pub(crate) extra: Map<String, Value>,
}

pub(crate) fn decode_page<T>(
    body: &[u8],
    read_item: fn(Value, &str, &mut Vec<Issue>) -> Option<T>,
) -> Result<Page<T>, ValidationError> {
    let value = parse_json(body)?;
    let mut issues = Vec::new();
    let mut item_issues = Vec::new();
    let page = expect_object(value, "", &mut issues).map(|obj| {
        let mut r = Reader::new(obj, "", &mut issues);
        let raw_items = r.take("items");
        let total = r.req_count("total");
        let limit = r.req_count("limit");
        let offset = r.req_count("offset");
        let extra = r.rest();
        let items = match raw_items {
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    read_item(
                        item,
                        &crate::text::child_index("/items", i),
                        &mut item_issues,
                    )
                })
                .collect(),
            Some(other) => {
                item_issues.push(Issue::new(
                    IssueCode::WrongType,
                    "/items",
                    format!("`items` must be an array, found {}", type_name(&other)),
                ));
                Vec::new()
            }
            None => {
                item_issues.push(Issue::new(
                    IssueCode::MissingField,
                    "/items",
                    "`items` is missing (or null)",
                ));
                Vec::new()
            }
        };
        Page {
            items,
            total,
            limit,
            offset,
            extra,
        }
    });
    item_issues.append(&mut issues);
    match page {
        Some(p) if item_issues.is_empty() => Ok(p),
        _ => Err(ValidationError::new(item_issues)),
    }
}
