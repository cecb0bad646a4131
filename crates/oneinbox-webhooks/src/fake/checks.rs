//! The fake's request checks: a request body or query turned into FastAPI-style 422 `detail`
//! items, with the values judged by the core's own builders ([`Api`]), so that what the fake
//! refuses the real client refuses too.
//!
//! Shapes (a missing field, an extra one, a JSON type) are checked here, in the model's field
//! order, as FastAPI does; the values then go to the builder, with valid stand-ins for the
//! fields that were missing or of the wrong type so that it still checks the others. Each
//! builder issue becomes an item whose `loc` is `[where, ...tokens]`: the issue's JSON Pointer
//! split into its tokens, unescaped (RFC 6901), so that the client's `loc` → pointer gives the
//! pointer back, and list indexes as numbers (the body's own indexes).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::error::{IssueCode, UsageError};
use crate::management::contract::{self, Arg, ArgType, Endpoint, Place, Rule};
use crate::management::{Api, ListCalls, ListDeliveries};

/// A valid stand-in for a required argument that is missing or of the wrong type, so that the
/// builder still checks the others: made from the argument's rule.
fn placeholder(arg: &Arg) -> Value {
    match arg.rule {
        Rule::HttpsUrl => json!("https://example.com/placeholder"),
        Rule::E164 => json!("+15550000000"),
        Rule::DateTime => json!("2025-01-01T00:00:00Z"),
        Rule::EventNames { .. } => json!(["call.ended"]),
        Rule::OneOf(words) => json!(words.first().copied().unwrap_or("placeholder")),
        Rule::Range { min, .. } => json!(min),
        _ => match arg.ty {
            ArgType::StringList => json!(["placeholder"]),
            ArgType::Object => json!({}),
            ArgType::Integer => json!(0),
            _ => json!("placeholder"),
        },
    }
}

/// A 422 `detail` item.
pub(super) fn item(loc: Vec<Value>, kind: &str, msg: &str, input: Option<&Value>) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), kind.into());
    out.insert("loc".into(), loc.into());
    out.insert("msg".into(), msg.into());
    if let Some(input) = input.filter(|v| !v.is_null()) {
        out.insert("input".into(), input.clone());
    }
    Value::Object(out)
}

fn kind_ok(ty: ArgType, value: &Value) -> bool {
    match ty {
        ArgType::String => value.is_string(),
        ArgType::StringList => value.is_array(),
        ArgType::Integer => value.is_i64(),
        _ => value.is_object(),
    }
}

/// The FastAPI `type` of a core issue code.
fn issue_type(code: IssueCode) -> &'static str {
    match code {
        IssueCode::MissingField => "missing",
        IssueCode::UnknownField => "extra_forbidden",
        IssueCode::WrongType => "string_type",
        _ => "value_error",
    }
}

/// The tokens of a JSON Pointer, unescaped (`~1` is `/`, `~0` is `~`).
fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// `[where, ...tokens]`: list indexes as numbers, mapped back through `kept` (the body's
/// indexes of the elements the builder saw) for the top field's list.
fn loc_of(place: &str, pointer: &str, data: &Value, kept: &Map<String, Value>) -> Vec<Value> {
    let mut loc = vec![Value::from(place)];
    let mut current = Some(data);
    for token in tokens(pointer) {
        let index = token
            .parse::<usize>()
            .ok()
            .filter(|_| token.bytes().all(|b| b.is_ascii_digit()));
        match (current, index) {
            (Some(Value::Array(list)), Some(mut i)) => {
                if loc.len() == 2 {
                    let top = loc.get(1).and_then(Value::as_str).unwrap_or("");
                    if let Some(m) = kept.get(top).and_then(|m| m.get(i)).and_then(Value::as_u64) {
                        i = usize::try_from(m).unwrap_or(i);
                    }
                }
                loc.push(i.into());
                current = list.get(i);
            }
            (c, _) => {
                current = c.and_then(|v| v.get(&token));
                loc.push(token.into());
            }
        }
    }
    loc
}

/// The arguments found in `data` (stand-ins left out) and the `detail` items for what is wrong,
/// for the body of `endpoint` (its body arguments, from the contract).
fn check(data: &Value, endpoint: &Endpoint) -> (Map<String, Value>, Vec<Value>) {
    let Value::Object(body) = data else {
        let msg = "Input should be a valid dictionary or object to extract fields from";
        let body = vec![Value::from("body")];
        return (
            Map::new(),
            vec![item(body, "model_attributes_type", msg, Some(data))],
        );
    };
    let mut shape: HashMap<&str, Vec<Value>> = HashMap::new();
    let mut args = Map::new();
    let mut stand_ins: Vec<&str> = Vec::new();
    let mut kept_indexes = Map::new();
    for arg in endpoint.args_in(Place::Body) {
        let (name, ty, required) = (arg.name, arg.ty, arg.required);
        let mut items = Vec::new();
        let loc = || vec![Value::from("body"), Value::from(name)];
        // A null optional field counts as absent; a null required one is of the wrong type.
        let value = body.get(name).filter(|v| required || !v.is_null());
        match value {
            None if required => {
                items.push(item(loc(), "missing", "Field required", Some(data)));
                stand_ins.push(name);
            }
            Some(v) if !kind_ok(ty, v) => {
                let (t, msg) = ty.fastapi_error();
                items.push(item(loc(), t, msg, Some(v)));
                if required {
                    stand_ins.push(name);
                }
            }
            Some(Value::Array(list)) => {
                let mut kept = Vec::new();
                for (i, v) in list.iter().enumerate() {
                    if v.is_string() {
                        kept.push(i);
                    } else {
                        let (t, msg) = ArgType::String.fastapi_error();
                        let at = vec![Value::from("body"), Value::from(name), Value::from(i)];
                        items.push(item(at, t, msg, Some(v)));
                    }
                }
                if kept.len() < list.len() {
                    kept_indexes.insert(name.into(), kept.clone().into());
                }
                if kept.is_empty() && !list.is_empty() {
                    if required {
                        stand_ins.push(name);
                    }
                } else {
                    let strings = kept.iter().filter_map(|&i| list.get(i).cloned());
                    args.insert(name.into(), Value::Array(strings.collect()));
                }
            }
            Some(v) => {
                args.insert(name.into(), v.clone());
            }
            None => {}
        }
        shape.insert(name, items);
    }
    for arg in endpoint.args_in(Place::Body) {
        if stand_ins.contains(&arg.name) {
            args.insert(arg.name.into(), placeholder(arg));
        }
    }
    let mut values: HashMap<String, Vec<Value>> = HashMap::new();
    let mut whole = Vec::new();
    if let Err(err) = build(endpoint, &args) {
        for issue in err.issues() {
            let top = tokens(&issue.path).into_iter().next().unwrap_or_default();
            if stand_ins.contains(&top.as_str()) {
                continue;
            }
            let kind = issue_type(issue.code);
            let msg = if kind == "value_error" {
                format!("Value error, {}", issue.message)
            } else {
                issue.message.clone()
            };
            let it = item(
                loc_of("body", &issue.path, data, &kept_indexes),
                kind,
                &msg,
                None,
            );
            if top.is_empty() {
                whole.push(it);
            } else {
                values.entry(top).or_default().push(it);
            }
        }
    }
    let mut details = whole;
    for name in endpoint.args_in(Place::Body).map(|a| a.name) {
        // By field, then by list index (the body's order); the sort is stable.
        let mut field = shape.remove(name).unwrap_or_default();
        field.extend(values.remove(name).unwrap_or_default());
        field.sort_by_key(|i| {
            i.get("loc")
                .and_then(|l| l.get(2))
                .and_then(Value::as_i64)
                .unwrap_or(-1)
        });
        details.extend(field);
    }
    for (name, value) in body {
        if !endpoint.args_in(Place::Body).any(|a| a.name == name) {
            let loc = vec![Value::from("body"), Value::from(name.as_str())];
            let msg = "Extra inputs are not permitted";
            details.push(item(loc, "extra_forbidden", msg, Some(value)));
        }
    }
    args.retain(|k, _| !stand_ins.contains(&k.as_str()));
    (args, details)
}

/// The fixed validator: its key is never sent anywhere.
fn validator() -> Result<Api, UsageError> {
    Api::new("oi_sk_fake_validator")
}

/// Runs the endpoint's builder over the body arguments (with a stand-in id in the path).
fn build(endpoint: &Endpoint, body: &Map<String, Value>) -> Result<(), UsageError> {
    let mut args = body.clone();
    for arg in endpoint.args_in(Place::Path) {
        args.insert(arg.name.into(), json!("wh_check"));
    }
    validator()?.build(endpoint.name, &args).map(drop)
}

/// The body of `POST /v1/webhooks`: its arguments, or the 422 items.
pub(super) fn create_webhook(data: &Value) -> (Map<String, Value>, Vec<Value>) {
    check(data, &contract::CREATE_WEBHOOK)
}

/// The body of `PATCH /v1/webhooks/{id}`.
pub(super) fn update_webhook(data: &Value) -> (Map<String, Value>, Vec<Value>) {
    check(data, &contract::UPDATE_WEBHOOK)
}

/// The body of `POST /v1/calls`.
pub(super) fn create_call(data: &Value) -> (Map<String, Value>, Vec<Value>) {
    check(data, &contract::CREATE_CALL)
}

/// One integer query parameter: optional spaces, an optional sign, ASCII digits (beyond `i64`
/// saturates, and the builder's range rule then refuses it).
fn integer(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let negative = t.starts_with('-');
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// The query arguments of `endpoint` (from the contract): integers parsed (`int_parsing`
/// otherwise), strings as given, then the values judged by the endpoint's builder (with a
/// stand-in path id); names the endpoint does not take are ignored, as FastAPI does. A repeated
/// name counts once, with its last value.
fn query_args(endpoint: &Endpoint, query: &str) -> Result<Map<String, Value>, Vec<Value>> {
    let mut raw: Map<String, Value> = Map::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if endpoint.args_in(Place::Query).any(|a| a.name == name) {
            raw.insert(name.into_owned(), value.into_owned().into());
        }
    }
    let mut details = Vec::new();
    let mut args = Map::new();
    for arg in endpoint.args_in(Place::Query) {
        let Some(text) = raw.get(arg.name).and_then(Value::as_str) else {
            continue;
        };
        if arg.ty != ArgType::Integer {
            args.insert(arg.name.into(), text.into());
        } else if let Some(n) = integer(text) {
            args.insert(arg.name.into(), n.into());
        } else {
            let msg = "Input should be a valid integer, unable to parse string as an integer";
            let loc = vec![Value::from("query"), Value::from(arg.name)];
            details.push(item(loc, "int_parsing", msg, Some(&Value::from(text))));
        }
    }
    if !details.is_empty() {
        return Err(details);
    }
    match build(endpoint, &args) {
        Ok(()) => Ok(args),
        Err(err) => Err(issue_items("query", &err)),
    }
}

/// Each builder issue as a `value_error` item at `[where, ...tokens]`.
fn issue_items(place: &str, err: &UsageError) -> Vec<Value> {
    err.issues()
        .iter()
        .map(|issue| {
            let mut loc = vec![Value::from(place)];
            loc.extend(tokens(&issue.path).into_iter().map(Value::from));
            let msg = format!("Value error, {}", issue.message);
            item(loc, "value_error", &msg, None)
        })
        .collect()
}

/// The query of `GET /v1/webhooks/{id}/deliveries`: `(limit, offset)` or the 422 items.
pub(super) fn list_deliveries(query: &str) -> Result<ListDeliveries, Vec<Value>> {
    let args = query_args(&contract::LIST_DELIVERIES, query)?;
    Ok(ListDeliveries {
        limit: args.get("limit").and_then(Value::as_i64),
        offset: args.get("offset").and_then(Value::as_i64),
    })
}

/// The query of `GET /v1/calls`: its arguments by wire name, or the 422 items.
pub(super) fn list_calls(query: &str) -> Result<ListCalls, Vec<Value>> {
    let args = query_args(&contract::LIST_CALLS, query)?;
    let text = |name: &str| args.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(ListCalls {
        agent_id: text("agent_id"),
        status: text("status"),
        limit: args.get("limit").and_then(Value::as_i64),
        offset: args.get("offset").and_then(Value::as_i64),
    })
}

/// The path id of `GET /v1/calls/{call_id}` judged by the builder: the 422 items (at
/// `["path", "call_id"]`) when it breaks the id rule (empty, `.` or `..`).
pub(super) fn call_id(id: &str) -> Result<(), Vec<Value>> {
    validator()
        .and_then(|api| api.get_call(id))
        .map(drop)
        .map_err(|err| issue_items("path", &err))
}
