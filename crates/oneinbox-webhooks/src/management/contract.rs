//! The management API's contract: every endpoint, its arguments (wire name, JSON type,
//! presence, rule, where it goes: path, query or body) and the shape of its response, in one
//! table ([`ENDPOINTS`]).
//!
//! [`Api`](super::Api) builds every request from it ([`Api::build`](super::Api::build) and the
//! typed builders), [`check_arguments`] holds a set of arguments to it, [`check_body`] holds a
//! request body to it (for contract tests of your own), the fake OneInbox takes its 422 checks
//! from it (the body arguments, their JSON types and FastAPI's error types, the values judged by
//! `Api::build`), and `just generate` writes from it the
//! request JSON Schemas (`schemas/management/*-request.schema.json`), the Python signatures of
//! `Api` and `Client` (`_native.pyi`, `client.py`) and the TypeScript ones
//! (`management.generated.d.ts`).
//!
//! ```
//! use oneinbox_webhooks::management::contract::{endpoint, check_body};
//! use serde_json::json;
//!
//! let create_call = endpoint("create_call").expect("known");
//! assert_eq!(create_call.path, "/v1/calls");
//! let issues = check_body(create_call, &json!({"agent_id": "agt_1", "to_number": "12"}));
//! let paths: Vec<_> = issues.iter().map(|i| (i.code.as_str(), i.path.as_str())).collect();
//! assert_eq!(paths, [("invalid_value", "/to_number"), ("missing_field", "/from_number")]);
//! ```

use serde_json::{Map, Value};

use super::request::Method;
use super::response::Retry;
use crate::error::{Issue, IssueCode};
use crate::events::EVENT_NAMES;
use crate::host::MAX_ARGUMENT_DEPTH;
use crate::text::{child, child_index, preview};

/// The JSON type of an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgType {
    /// A string.
    String,
    /// An array of strings.
    StringList,
    /// An integer (64-bit).
    Integer,
    /// A JSON object (any members; nested at most [`MAX_ARGUMENT_DEPTH`] levels).
    Object,
}

impl ArgType {
    /// How the API (FastAPI) reports a value of another type: its error `type` and `msg`, e.g.
    /// `("string_type", "Input should be a valid string")`. A fake OneInbox answers with them.
    pub const fn fastapi_error(self) -> (&'static str, &'static str) {
        match self {
            ArgType::String => ("string_type", "Input should be a valid string"),
            ArgType::StringList => ("list_type", "Input should be a valid list"),
            ArgType::Integer => ("int_type", "Input should be a valid integer"),
            ArgType::Object => ("dict_type", "Input should be a valid dictionary"),
        }
    }

    /// The JSON Schema / message word: `string`, `array`, `integer`, `object`.
    pub const fn json_name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::StringList => "array",
            ArgType::Integer => "integer",
            ArgType::Object => "object",
        }
    }
}

/// Where an argument goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// A segment of the path (`{name}` in [`Endpoint::path`]), percent-encoded.
    Path,
    /// A query parameter (`?name=value`), when given.
    Query,
    /// A member of the JSON body, when given.
    Body,
}

/// The rule an argument's value must follow (besides its type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Any value of the type.
    Any,
    /// A non-empty string.
    NonEmpty,
    /// 1 to `max` characters.
    Chars {
        /// The most characters.
        max: usize,
    },
    /// An absolute `https` URL with a host and no user-info.
    HttpsUrl,
    /// An E.164 phone number (`^\+[1-9]\d{1,14}$`).
    E164,
    /// An RFC 3339 date-time.
    DateTime,
    /// 1 to `max` distinct names out of [`EVENT_NAMES`].
    EventNames {
        /// The most names.
        max: usize,
    },
    /// One of the words (the first two are named in messages as the main ones).
    OneOf(&'static [&'static str]),
    /// An integer from `min` to `max` (no upper bound when `None`).
    Range {
        /// The smallest value.
        min: i64,
        /// The largest value, if any.
        max: Option<i64>,
    },
    /// An id used as one path segment: non-empty and not `.` or `..`.
    Id,
}

/// One argument of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    /// The wire name (also the Python keyword and the Node option name).
    pub name: &'static str,
    /// Its JSON type.
    pub ty: ArgType,
    /// Whether it must be given.
    pub required: bool,
    /// Where it goes.
    pub place: Place,
    /// The rule its value follows.
    pub rule: Rule,
    /// Whether the API's schema also allows `null` for it (the SDK never sends one).
    pub nullable: bool,
    /// One sentence for people (schemas, stubs, types).
    pub doc: &'static str,
}

/// What a successful response holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// A webhook (`webhook.schema.json`).
    Webhook,
    /// A list of webhooks (`webhook-list.schema.json`).
    WebhookList,
    /// Nothing (an empty or JSON body).
    Nothing,
    /// A page of deliveries (`delivery-page.schema.json`).
    DeliveryPage,
    /// A call (`call.schema.json`).
    Call,
    /// A page of calls (`call-page.schema.json`).
    CallPage,
}

impl Response {
    /// The response's schema file in `schemas/management/`, if it has a body.
    pub const fn schema(self) -> Option<&'static str> {
        match self {
            Response::Webhook => Some("webhook.schema.json"),
            Response::WebhookList => Some("webhook-list.schema.json"),
            Response::Nothing => None,
            Response::DeliveryPage => Some("delivery-page.schema.json"),
            Response::Call => Some("call.schema.json"),
            Response::CallPage => Some("call-page.schema.json"),
        }
    }
}

/// One endpoint of the management API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The builder's name (`create_call`; `createCall` in Node).
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{name}` for each [`Place::Path`] argument.
    pub path: &'static str,
    /// The retry policy of its requests.
    pub retry: Retry,
    /// Its arguments: path ones first, then query and body ones in the order they are sent.
    pub args: &'static [Arg],
    /// Whether at least one body argument must be given (an update).
    pub at_least_one: bool,
    /// What a 2xx response holds.
    pub response: Response,
    /// The request schema's file in `schemas/management/` and its title, when it has a body.
    pub request_schema: Option<(&'static str, &'static str)>,
    /// One paragraph for people.
    pub doc: &'static str,
}

impl Endpoint {
    /// The argument named `name` (wire name).
    pub fn arg(&self, name: &str) -> Option<&'static Arg> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The arguments that go to `place`.
    pub fn args_in(&self, place: Place) -> impl Iterator<Item = &'static Arg> {
        self.args.iter().filter(move |a| a.place == place)
    }
}

/// The most items an `events` list may have.
pub const MAX_EVENTS: usize = 20;
/// The longest a webhook name may be, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// The largest page size of list-deliveries.
pub const MAX_DELIVERY_LIMIT: i64 = 200;
/// The largest page size of list-calls.
pub const MAX_CALL_LIMIT: i64 = 100;

/// The status words `update_webhook` accepts: the guide's `active`/`inactive` and the
/// API reference's `disabled`.
pub const WEBHOOK_STATUSES: [&str; 3] = ["active", "inactive", "disabled"];

const fn arg(name: &'static str, ty: ArgType, place: Place, rule: Rule, doc: &'static str) -> Arg {
    Arg {
        name,
        ty,
        required: true,
        place,
        rule,
        nullable: false,
        doc,
    }
}

const fn optional(a: Arg) -> Arg {
    Arg {
        required: false,
        ..a
    }
}

const fn nullable(a: Arg) -> Arg {
    Arg {
        nullable: true,
        ..a
    }
}

const WEBHOOK_ID: Arg = arg(
    "webhook_id",
    ArgType::String,
    Place::Path,
    Rule::Id,
    "The webhook's id (one path segment: non-empty, not `.` or `..`).",
);
const NAME: Arg = arg(
    "name",
    ArgType::String,
    Place::Body,
    Rule::Chars {
        max: MAX_NAME_CHARS,
    },
    "A name for people, 1-255 characters.",
);
const URL: Arg = arg(
    "url",
    ArgType::String,
    Place::Body,
    Rule::HttpsUrl,
    "The delivery endpoint: an absolute https URL with a host and no user-info.",
);
const EVENTS: Arg = arg(
    "events",
    ArgType::StringList,
    Place::Body,
    Rule::EventNames { max: MAX_EVENTS },
    "1-20 distinct event names. `call.analyzed` is accepted although the API reference's enum \
     leaves it out.",
);
const STATUS: Arg = arg(
    "status",
    ArgType::String,
    Place::Body,
    Rule::OneOf(&WEBHOOK_STATUSES),
    "`inactive` (the guide) and `disabled` (the API enum) both pause delivery; sent as given.",
);
const PHONE: Rule = Rule::E164;

/// `create_webhook`.
pub const CREATE_WEBHOOK: Endpoint = Endpoint {
    name: "create_webhook",
    method: Method::Post,
    path: "/v1/webhooks",
    retry: Retry::CreatesWebhook,
    args: &[NAME, URL, EVENTS],
    at_least_one: false,
    response: Response::Webhook,
    request_schema: Some((
        "create-webhook-request.schema.json",
        "Create webhook request",
    )),
    doc: "Creates a webhook; the response is the new webhook, with its secret.",
};

/// `list_webhooks`.
pub const LIST_WEBHOOKS: Endpoint = Endpoint {
    name: "list_webhooks",
    method: Method::Get,
    path: "/v1/webhooks",
    retry: Retry::Idempotent,
    args: &[],
    at_least_one: false,
    response: Response::WebhookList,
    request_schema: None,
    doc: "Lists the account's webhooks.",
};

/// `update_webhook`.
pub const UPDATE_WEBHOOK: Endpoint = Endpoint {
    name: "update_webhook",
    method: Method::Patch,
    path: "/v1/webhooks/{webhook_id}",
    retry: Retry::Idempotent,
    args: &[
        WEBHOOK_ID,
        optional(NAME),
        optional(URL),
        optional(EVENTS),
        optional(STATUS),
    ],
    at_least_one: true,
    response: Response::Webhook,
    request_schema: Some((
        "update-webhook-request.schema.json",
        "Update webhook request",
    )),
    doc: "Changes the fields given (at least one); the response is the webhook.",
};

/// `delete_webhook`.
pub const DELETE_WEBHOOK: Endpoint = Endpoint {
    name: "delete_webhook",
    method: Method::Delete,
    path: "/v1/webhooks/{webhook_id}",
    retry: Retry::Idempotent,
    args: &[WEBHOOK_ID],
    at_least_one: false,
    response: Response::Nothing,
    request_schema: None,
    doc: "Deletes a webhook for good.",
};

/// `test_webhook`.
pub const TEST_WEBHOOK: Endpoint = Endpoint {
    name: "test_webhook",
    method: Method::Post,
    path: "/v1/webhooks/{webhook_id}/test",
    retry: Retry::SendsTestDelivery,
    args: &[WEBHOOK_ID],
    at_least_one: false,
    response: Response::Nothing,
    request_schema: None,
    doc: "Asks OneInbox to send a sample delivery to the webhook's URL.",
};

/// `list_deliveries`.
pub const LIST_DELIVERIES: Endpoint = Endpoint {
    name: "list_deliveries",
    method: Method::Get,
    path: "/v1/webhooks/{webhook_id}/deliveries",
    retry: Retry::Idempotent,
    args: &[
        WEBHOOK_ID,
        optional(arg(
            "limit",
            ArgType::Integer,
            Place::Query,
            Rule::Range {
                min: 1,
                max: Some(MAX_DELIVERY_LIMIT),
            },
            "Page size, 1-200 (the server's default is 50).",
        )),
        optional(arg(
            "offset",
            ArgType::Integer,
            Place::Query,
            Rule::Range { min: 0, max: None },
            "How many deliveries to skip, 0 or more (the server's default is 0).",
        )),
    ],
    at_least_one: false,
    response: Response::DeliveryPage,
    request_schema: None,
    doc: "One page of the webhook's delivery history, most recent first.",
};

/// `create_call`.
pub const CREATE_CALL: Endpoint = Endpoint {
    name: "create_call",
    method: Method::Post,
    path: "/v1/calls",
    retry: Retry::CreatesCall,
    args: &[
        arg(
            "agent_id",
            ArgType::String,
            Place::Body,
            Rule::NonEmpty,
            "The agent that places the call.",
        ),
        arg(
            "to_number",
            ArgType::String,
            Place::Body,
            PHONE,
            "The number to call, E.164.",
        ),
        arg(
            "from_number",
            ArgType::String,
            Place::Body,
            PHONE,
            "Your OneInbox number to call from, E.164.",
        ),
        nullable(optional(arg(
            "scheduled_at",
            ArgType::String,
            Place::Body,
            Rule::DateTime,
            "When to place the call (RFC 3339); now when absent.",
        ))),
        optional(arg(
            "variables",
            ArgType::Object,
            Place::Body,
            Rule::Any,
            "Variables for the agent's prompt.",
        )),
        optional(arg(
            "webhook_url",
            ArgType::String,
            Place::Body,
            Rule::HttpsUrl,
            "The per-call webhook override: this call's events go there.",
        )),
        optional(arg(
            "overrides",
            ArgType::Object,
            Place::Body,
            Rule::Any,
            "Per-call agent overrides: `llm`, `transcriber`, `tts`, `first_message`.",
        )),
        optional(arg(
            "metadata",
            ArgType::Object,
            Place::Body,
            Rule::Any,
            "Your own metadata, stored with the call.",
        )),
    ],
    at_least_one: false,
    response: Response::Call,
    request_schema: Some(("create-call-request.schema.json", "Create call request")),
    doc: "Places an outbound call; the response is the new call.",
};

/// `list_calls`.
pub const LIST_CALLS: Endpoint = Endpoint {
    name: "list_calls",
    method: Method::Get,
    path: "/v1/calls",
    retry: Retry::Idempotent,
    args: &[
        optional(arg(
            "agent_id",
            ArgType::String,
            Place::Query,
            Rule::NonEmpty,
            "Only the calls of this agent.",
        )),
        optional(arg(
            "status",
            ArgType::String,
            Place::Query,
            Rule::NonEmpty,
            "Only the calls with this status (`queued`, `in_progress`, `completed`, ...).",
        )),
        optional(arg(
            "limit",
            ArgType::Integer,
            Place::Query,
            Rule::Range {
                min: 1,
                max: Some(MAX_CALL_LIMIT),
            },
            "Page size, 1-100 (the server's default is 20).",
        )),
        optional(arg(
            "offset",
            ArgType::Integer,
            Place::Query,
            Rule::Range { min: 0, max: None },
            "How many calls to skip, 0 or more (the server's default is 0).",
        )),
    ],
    at_least_one: false,
    response: Response::CallPage,
    request_schema: None,
    doc: "One page of the account's calls, most recent first.",
};

/// `get_call`.
pub const GET_CALL: Endpoint = Endpoint {
    name: "get_call",
    method: Method::Get,
    path: "/v1/calls/{call_id}",
    retry: Retry::Idempotent,
    args: &[arg(
        "call_id",
        ArgType::String,
        Place::Path,
        Rule::Id,
        "The call's id (one path segment: non-empty, not `.` or `..`).",
    )],
    at_least_one: false,
    response: Response::Call,
    request_schema: None,
    doc: "The call as OneInbox has it now: status, times, transcript, analysis.",
};

/// Every endpoint, in the order of the API reference.
pub const ENDPOINTS: [Endpoint; 9] = [
    CREATE_WEBHOOK,
    LIST_WEBHOOKS,
    UPDATE_WEBHOOK,
    DELETE_WEBHOOK,
    TEST_WEBHOOK,
    LIST_DELIVERIES,
    CREATE_CALL,
    LIST_CALLS,
    GET_CALL,
];

/// The endpoint named `name` (`create_call`, ...).
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

/// Checks a set of builder arguments (wire names; `null` is the same as absent) against the
/// endpoint's contract: unknown members (`unknown_field`), missing required ones
/// (`missing_field`), wrong JSON types (`wrong_type`) and every rule (`invalid_value`,
/// `too_deep`). Issues come in the order of the table (path arguments, the "at least one"
/// rule, then the others), unknown members last; paths are `/<name>`.
pub fn check_arguments(endpoint: &Endpoint, args: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = Vec::new();
    for a in endpoint.args_in(Place::Path) {
        check_arg(a, args.get(a.name), &mut issues);
    }
    check_rest(endpoint, args, false, &mut issues);
    issues
}

/// Checks a request body as the API would receive it (what a fake OneInbox checks): it must be
/// an object with the endpoint's body members only, each following its rule. Paths are into
/// the body.
pub fn check_body(endpoint: &Endpoint, body: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    match body {
        Value::Object(map) => check_rest(endpoint, map, true, &mut issues),
        other => issues.push(Issue::new(
            IssueCode::NotAnObject,
            "",
            format!(
                "the body must be a JSON object, found {}",
                super::decode::type_name(other)
            ),
        )),
    }
    issues
}

/// Checks the query and body arguments (`body_only`: the body members only, no query).
fn check_rest(
    endpoint: &Endpoint,
    args: &Map<String, Value>,
    body_only: bool,
    issues: &mut Vec<Issue>,
) {
    let given = |a: &Arg| args.get(a.name).is_some_and(|v| !v.is_null());
    if endpoint.at_least_one && !endpoint.args_in(Place::Body).any(given) {
        let names: Vec<String> = endpoint
            .args_in(Place::Body)
            .map(|a| format!("`{}`", a.name))
            .collect();
        issues.push(Issue::new(
            IssueCode::MissingField,
            "",
            format!("give at least one of {} to update", names.join(", ")),
        ));
    }
    for a in endpoint.args {
        let checked = match a.place {
            Place::Path => false,
            Place::Query => !body_only,
            Place::Body => true,
        };
        if checked {
            check_arg(a, args.get(a.name), issues);
        }
    }
    let known: Vec<&str> = endpoint
        .args
        .iter()
        .filter(|a| !body_only || a.place == Place::Body)
        .map(|a| a.name)
        .collect();
    for key in args.keys().filter(|k| !known.contains(&k.as_str())) {
        issues.push(Issue::new(
            IssueCode::UnknownField,
            child("", key),
            format!(
                "{} takes no member {}; expected one of {}",
                endpoint.name,
                preview(key),
                known.join(", ")
            ),
        ));
    }
}

/// Checks one argument's presence, type and rule.
pub(crate) fn check_arg(a: &Arg, value: Option<&Value>, issues: &mut Vec<Issue>) {
    let path = child("", a.name);
    let wrong = |issues: &mut Vec<Issue>, found: &Value| {
        issues.push(Issue::new(
            IssueCode::WrongType,
            path.clone(),
            format!(
                "`{}` must be {}, found {}",
                a.name,
                match a.ty {
                    ArgType::String => "a string",
                    ArgType::StringList => "an array of strings",
                    ArgType::Integer => "an integer",
                    ArgType::Object => "an object",
                },
                super::decode::type_name(found)
            ),
        ));
    };
    let value = match value {
        None | Some(Value::Null) => {
            if a.required {
                issues.push(Issue::new(
                    IssueCode::MissingField,
                    path,
                    format!("`{}` is required", a.name),
                ));
            }
            return;
        }
        Some(v) => v,
    };
    match (a.ty, value) {
        (ArgType::String, Value::String(s)) => check_string(a, s, &path, issues),
        (ArgType::StringList, Value::Array(items)) => {
            let mut strings = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => strings.push(s.as_str()),
                    other => issues.push(Issue::new(
                        IssueCode::WrongType,
                        child_index(&path, i),
                        format!(
                            "`{}` items must be strings, found {}",
                            a.name,
                            super::decode::type_name(other)
                        ),
                    )),
                }
            }
            if strings.len() == items.len() {
                check_list(a, &strings, &path, issues);
            }
        }
        (ArgType::Integer, Value::Number(n)) => match n.as_i64() {
            Some(n) => check_integer(a, n, &path, issues),
            None => match n.as_u64() {
                Some(_) => check_integer(a, i64::MAX, &path, issues),
                None => issues.push(Issue::new(
                    IssueCode::InvalidValue,
                    path,
                    format!("`{}` must be an integer, found {n}", a.name),
                )),
            },
        },
        (ArgType::Object, Value::Object(_)) => {
            if depth(value) > MAX_ARGUMENT_DEPTH {
                issues.push(Issue::new(
                    IssueCode::TooDeep,
                    path,
                    format!(
                        "`{}` is nested deeper than {MAX_ARGUMENT_DEPTH} levels",
                        a.name
                    ),
                ));
            }
        }
        (_, other) => wrong(issues, other),
    }
}

/// How deeply a value nests (a scalar is 0, `{}` is 1), without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(d + 1);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
        if deepest > MAX_ARGUMENT_DEPTH {
            break;
        }
    }
    deepest
}

fn check_string(a: &Arg, s: &str, path: &str, issues: &mut Vec<Issue>) {
    let name = a.name;
    let invalid = |msg: String| Issue::new(IssueCode::InvalidValue, path, msg);
    match a.rule {
        Rule::Any | Rule::EventNames { .. } | Rule::Range { .. } => {}
        Rule::NonEmpty => {
            if s.is_empty() {
                issues.push(invalid(format!("`{name}` is empty")));
            }
        }
        Rule::Chars { max } => {
            let n = s.chars().count();
            if n == 0 || n > max {
                issues.push(invalid(format!(
                    "`{name}` must be 1–{max} characters, found {n}"
                )));
            }
        }
        Rule::HttpsUrl => {
            if let Err(issue) = super::api::check_url(s, name, path, true, false) {
                issues.push(issue);
            }
        }
        Rule::E164 => {
            if !crate::formats::is_e164(s) {
                issues.push(invalid(format!(
                    "`{name}` must be an E.164 number (`+` then 2–15 digits, not starting with \
                     0), found {}",
                    preview(s)
                )));
            }
        }
        Rule::DateTime => {
            if !crate::formats::is_rfc3339(s) {
                issues.push(invalid(format!(
                    "`{name}` must be an RFC 3339 date-time (`2026-01-31T09:30:00Z`), found {}",
                    preview(s)
                )));
            }
        }
        Rule::OneOf(words) => {
            if !words.contains(&s) {
                let main = words
                    .iter()
                    .take(2)
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let more = words
                    .iter()
                    .skip(2)
                    .map(|w| format!(" (or the API's `{w}`)"))
                    .collect::<String>();
                issues.push(invalid(format!(
                    "`{name}` must be {main}{more}, found {}",
                    preview(s)
                )));
            }
        }
        Rule::Id => {
            if s.is_empty() {
                issues.push(invalid(format!("`{name}` is empty")));
            } else if s == "." || s == ".." {
                issues.push(invalid(format!(
                    "`{name}` must not be `.` or `..` (it would change the request path)"
                )));
            }
        }
    }
}

fn check_list(a: &Arg, items: &[&str], path: &str, issues: &mut Vec<Issue>) {
    let Rule::EventNames { max } = a.rule else {
        return;
    };
    let name = a.name;
    if items.is_empty() || items.len() > max {
        issues.push(Issue::new(
            IssueCode::InvalidValue,
            path,
            format!(
                "`{name}` must list 1–{max} event names, found {}",
                items.len()
            ),
        ));
    }
    for (i, event) in items.iter().enumerate() {
        let item = child_index(path, i);
        if !EVENT_NAMES.contains(event) {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                item,
                format!(
                    "`{name}` item {} is not a known event name; expected one of {}",
                    preview(event),
                    EVENT_NAMES.join(", ")
                ),
            ));
        } else if let Some(first) = items.iter().take(i).position(|e| e == event) {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                item,
                format!(
                    "`{name}` item {} repeats {}",
                    preview(event),
                    child_index(path, first)
                ),
            ));
        }
    }
}

fn check_integer(a: &Arg, n: i64, path: &str, issues: &mut Vec<Issue>) {
    if let Rule::Range { min, max } = a.rule {
        let name = a.name;
        let (ok, want) = match max {
            Some(max) => ((min..=max).contains(&n), format!("{min}–{max}")),
            None => (n >= min, format!("{min} or more")),
        };
        if !ok {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                path,
                format!("`{name}` must be {want}, found {n}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(issues: &[Issue]) -> Vec<(&str, &str)> {
        issues
            .iter()
            .map(|i| (i.code.as_str(), i.path.as_str()))
            .collect()
    }

    #[test]
    fn the_table_is_consistent() {
        for e in &ENDPOINTS {
            for a in e.args_in(Place::Path) {
                assert!(e.path.contains(&format!("{{{}}}", a.name)), "{}", e.name);
                assert!(a.required);
            }
            assert_eq!(
                e.request_schema.is_some(),
                e.args_in(Place::Body).next().is_some(),
                "{}",
                e.name
            );
            assert_eq!(endpoint(e.name), Some(e));
            for a in e.args {
                assert_eq!(e.arg(a.name), Some(a));
            }
        }
    }

    #[test]
    fn arguments_are_checked_by_type_presence_and_rule() {
        let Value::Object(args) = json!({
            "webhook_id": "..",
            "limit": 0,
            "offset": 1.5,
            "colour": "red",
        }) else {
            unreachable!()
        };
        let issues = check_arguments(&LIST_DELIVERIES, &args);
        assert_eq!(
            codes(&issues),
            [
                ("invalid_value", "/webhook_id"),
                ("invalid_value", "/limit"),
                ("invalid_value", "/offset"),
                ("unknown_field", "/colour"),
            ]
        );
        let Value::Object(args) = json!({"events": ["call.ended", 3], "name": null}) else {
            unreachable!()
        };
        let issues = check_arguments(&CREATE_WEBHOOK, &args);
        assert_eq!(
            codes(&issues),
            [
                ("missing_field", "/name"),
                ("missing_field", "/url"),
                ("wrong_type", "/events/1"),
            ]
        );
    }

    #[test]
    fn bodies_are_checked_as_the_api_reads_them() {
        let body = json!({
            "agent_id": "agt_1",
            "to_number": "+919876543210",
            "from_number": "+15739693824",
            "scheduled_at": "tomorrow",
            "overrides": {"first_message": "Hi"},
            "webhook_id": "wh_1",
        });
        assert_eq!(
            codes(&check_body(&CREATE_CALL, &body)),
            [
                ("invalid_value", "/scheduled_at"),
                ("unknown_field", "/webhook_id")
            ]
        );
        assert_eq!(
            codes(&check_body(&UPDATE_WEBHOOK, &json!({}))),
            [("missing_field", "")]
        );
        assert_eq!(
            codes(&check_body(&CREATE_CALL, &json!([]))),
            [("not_an_object", "")]
        );
        let mut deep = json!(1);
        for _ in 0..MAX_ARGUMENT_DEPTH {
            deep = json!([deep]);
        }
        let body = json!({"agent_id": "a", "to_number": "+15739693824",
            "from_number": "+15739693824", "metadata": {"x": deep}});
        assert_eq!(
            codes(&check_body(&CREATE_CALL, &body)),
            [("too_deep", "/metadata")]
        );
    }
}
