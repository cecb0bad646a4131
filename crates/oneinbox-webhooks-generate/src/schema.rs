//! The strict-mode JSON Schemas of `schemas/events`: one per event, `common.schema.json` (the
//! formats and nested objects, as `$defs`) and `event.schema.json` (any event, chosen by
//! `event`).
//!
//! Strict mode is what a schema can say: every field that is not [`Presence::Optional`] is
//! required and non-null, optional fields may be absent or `null`, formats are checked and
//! unknown members are rejected. The mapping from each [`Format`] to its JSON Schema keywords
//! is here, and only here.

use oneinbox_webhooks::contract::{self, FieldSpec, Format, Kind, Presence, Shape, Type};
use serde_json::{json, Map, Value};

use crate::text;

/// Where the schemas are published; each `$id` is this followed by the file name.
const BASE: &str = "https://schemas.oneinbox-webhooks.dev/events/";
/// The draft the schemas are written in.
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
/// The file of the shared definitions.
const COMMON: &str = "common.schema.json";
/// The folder of the schemas, from the workspace root.
pub const DIR: &str = "schemas/events";

/// The JSON Schema of a format: the name of its `$defs` entry, its description and its
/// keywords. `users` names the fields that have the format. `None` for [`Format::Any`].
fn format_def(format: Format, users: &str) -> Option<(&'static str, String, Value)> {
    Some(match format {
        Format::Any => return None,
        Format::NonEmpty => (
            "id",
            format!(
                "An identifier ({users}): a non-empty string. The empty string is rejected with \
                 invalid_value."
            ),
            json!({"type": "string", "minLength": 1}),
        ),
        Format::E164 => (
            "e164",
            format!(
                "A phone number in E.164 form ({users}): '+', a non-zero ASCII digit, then 1 to \
                 14 more ASCII digits (for example \"+15739693824\")."
            ),
            json!({"type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$"}),
        ),
        Format::Rfc3339 => (
            "date_time",
            format!(
                "An RFC 3339 date-time with an explicit offset ({users}; for example \
                 \"2026-06-01T10:00:00Z\")."
            ),
            json!({"type": "string", "format": "date-time"}),
        ),
        Format::HttpsUrl => (
            "https_url",
            format!(
                "An absolute URL whose scheme is exactly https and whose host is non-empty \
                 ({users})."
            ),
            json!({"type": "string", "format": "uri", "pattern": "^https://[^/?#]+"}),
        ),
        // Named after its first field when the schemas were hand-written; the name stays so
        // that `$ref`s to it keep working.
        Format::NonNegative => (
            "duration_seconds",
            format!("A number >= 0 ({users}): any JSON number, an integer or not."),
            json!({"type": "number", "minimum": 0}),
        ),
        Format::Role => (
            "role",
            format!(
                "Who spoke a transcript message ({users}). Strict mode only knows {}; any other \
                 string is invalid_value.",
                ROLES.map(|r| format!("\"{r}\"")).join(" and ")
            ),
            json!({"type": "string", "enum": ROLES}),
        ),
    })
}

/// The values of [`Format::Role`] (also the TypeScript literal types), from the contract.
pub const ROLES: [&str; 2] = Format::ROLES;

/// The JSON type a format applies to, to check the contract pairs them sensibly.
fn format_type(format: Format) -> Option<&'static str> {
    match format {
        Format::Any => None,
        Format::NonEmpty | Format::E164 | Format::Rfc3339 | Format::HttpsUrl | Format::Role => {
            Some("string")
        }
        Format::NonNegative => Some("number"),
    }
}

/// The `$defs` name of a nested object (`analysis`) and of an array of them (`messages`).
fn object_def(shape: &Shape) -> String {
    shape.name.to_lowercase()
}
fn list_def(shape: &Shape) -> String {
    format!("{}s", object_def(shape))
}

/// Every shape: the events in the guide's order, then the nested objects.
fn all_shapes() -> impl Iterator<Item = &'static Shape> {
    Kind::ALL
        .iter()
        .map(|k| k.shape())
        .chain(contract::OBJECTS.iter().copied())
}

/// The schemas, as (file name, document), in a fixed order: each event, `event.schema.json`,
/// `common.schema.json`.
pub fn schemas() -> Result<Vec<(String, Value)>, String> {
    check_formats()?;
    let mut out = Vec::new();
    for &kind in Kind::ALL {
        let shape = kind.shape();
        out.push((file_name(shape.name), event_schema(shape)));
    }
    out.push(("event.schema.json".to_owned(), union_schema()));
    out.push((COMMON.to_owned(), common_schema()));
    Ok(out)
}

/// `call.ended.schema.json`.
fn file_name(event: &str) -> String {
    format!("{event}.schema.json")
}

/// Fails for a field whose format does not fit its type (a number format on a string, or a
/// format on an object), which no schema could express.
fn check_formats() -> Result<(), String> {
    for shape in all_shapes() {
        for f in shape.fields {
            let ty = match f.ty {
                Type::String => Some("string"),
                Type::Number => Some("number"),
                Type::Bool => Some("boolean"),
                Type::Object | Type::Record(_) | Type::List(_) => None,
            };
            if let Some(wanted) = format_type(f.format) {
                if ty != Some(wanted) {
                    return Err(format!(
                        "{}.{}: the format {:?} applies to a {wanted}, the field is not one",
                        shape.name, f.name, f.format
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The formats in use, in the order of their first field, each with the names of its fields.
fn formats_in_use() -> Vec<(Format, Vec<&'static str>)> {
    let mut used: Vec<(Format, Vec<&'static str>)> = Vec::new();
    for shape in all_shapes() {
        for f in shape.fields {
            if f.format == Format::Any {
                continue;
            }
            match used.iter_mut().find(|(format, _)| *format == f.format) {
                Some((_, names)) => {
                    if !names.contains(&f.name) {
                        names.push(f.name);
                    }
                }
                None => used.push((f.format, vec![f.name])),
            }
        }
    }
    used
}

/// The `$ref` of a definition of the common schema, from an event schema (`common`) or from
/// the common schema itself.
fn reference(def: &str, common: bool) -> Value {
    let file = if common { "" } else { COMMON };
    json!({ "$ref": format!("{file}#/$defs/{def}") })
}

/// The schema of one field's value (strict mode), with its doc as `description`.
fn field_schema(f: &FieldSpec, in_common: bool) -> Value {
    let nullable = f.presence == Presence::Optional;
    let plain = |ty: &str| {
        if nullable {
            json!({ "type": [ty, "null"] })
        } else {
            json!({ "type": ty })
        }
    };
    let referenced = |def: &str| {
        let r = reference(def, in_common);
        if nullable {
            json!({ "anyOf": [r, {"type": "null"}] })
        } else {
            r
        }
    };
    let value = match (f.ty, format_def(f.format, "")) {
        (_, Some((def, _, _))) => referenced(def),
        (Type::String, None) => plain("string"),
        (Type::Number, None) => plain("number"),
        (Type::Bool, None) => plain("boolean"),
        (Type::Object, None) => plain("object"),
        (Type::Record(shape), None) => referenced(&object_def(shape)),
        (Type::List(shape), None) => referenced(&list_def(shape)),
    };
    let mut schema = Map::new();
    schema.insert("description".into(), text::one_line(f.doc).into());
    if let Value::Object(keywords) = value {
        schema.extend(keywords);
    }
    Value::Object(schema)
}

/// `"type": "object"`, `required`, `properties` and `additionalProperties: false` of a shape,
/// with `event` first for an event.
fn object_keywords(shape: &Shape, in_common: bool) -> Map<String, Value> {
    let mut required: Vec<Value> = Vec::new();
    let mut properties = Map::new();
    if shape.kind.is_some() {
        required.push("event".into());
        properties.insert("event".into(), json!({ "const": shape.name }));
    }
    for f in shape.fields {
        if f.presence != Presence::Optional {
            required.push(f.name.into());
        }
        properties.insert(f.name.into(), field_schema(f, in_common));
    }
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    out.insert("required".into(), required.into());
    out.insert("properties".into(), properties.into());
    out.insert("additionalProperties".into(), false.into());
    out
}

/// The first paragraph of a doc comment (the rest explains the choices the rule sentence
/// after it states).
fn first_paragraph(doc: &str) -> String {
    text::paragraphs(doc).into_iter().next().unwrap_or_default()
}

/// The names of a shape's optional fields, in backticks.
fn optional_fields(shape: &Shape) -> Vec<String> {
    shape
        .fields
        .iter()
        .filter(|f| f.presence == Presence::Optional)
        .map(|f| format!("`{}`", f.name))
        .collect()
}

/// The schema of one event.
fn event_schema(shape: &Shape) -> Value {
    let optional = optional_fields(shape);
    let rule = if optional.is_empty() {
        "Strict mode: every listed field is required and non-null, formats are checked, and \
         unknown members are rejected."
            .to_owned()
    } else {
        format!(
            "Strict mode: every listed field but {} (which may be absent or null) is required \
             and non-null, formats are checked, and unknown members are rejected.",
            text::and_list(&optional)
        )
    };
    let mut schema = header(
        &file_name(shape.name),
        &format!("{} webhook event (strict mode)", shape.name),
        &format!("{} {rule}", text::summary(shape.doc, shape.name)),
    );
    schema.extend(object_keywords(shape, false));
    Value::Object(schema)
}

/// `$schema`, `$id`, `title`, `description`.
fn header(file: &str, title: &str, description: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("$schema".into(), DRAFT.into());
    m.insert("$id".into(), format!("{BASE}{file}").into());
    m.insert("title".into(), title.into());
    m.insert("description".into(), description.into());
    m
}

/// `event.schema.json`: any known event, validated by the schema its `event` names.
fn union_schema() -> Value {
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let mut schema = header(
        "event.schema.json",
        "OneInbox webhook event (strict mode)",
        &format!(
            "Any of the {} OneInbox webhook events, selected by the `event` member. Unknown \
             event names are rejected, as in strict mode (unknown_event).",
            text::number(names.len())
        ),
    );
    schema.insert("type".into(), "object".into());
    schema.insert("required".into(), json!(["event"]));
    schema.insert(
        "properties".into(),
        json!({ "event": { "type": "string", "enum": names } }),
    );
    let branches: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "if": { "properties": { "event": { "const": name } }, "required": ["event"] },
                "then": { "$ref": file_name(name) },
            })
        })
        .collect();
    schema.insert("allOf".into(), branches.into());
    Value::Object(schema)
}

/// `common.schema.json`: the formats in use, then each nested object (and an array of them
/// where a field is one).
fn common_schema() -> Value {
    let mut defs = Map::new();
    let mut keywords: Vec<String> = Vec::new();
    for (format, users) in formats_in_use() {
        let users = users.join(", ");
        let Some((name, description, schema)) = format_def(format, &users) else {
            continue;
        };
        if let Some(Value::String(k)) = schema.get("format") {
            if !keywords.contains(k) {
                keywords.push(k.clone());
            }
        }
        let mut def = Map::new();
        def.insert("description".into(), description.into());
        if let Value::Object(k) = schema {
            def.extend(k);
        }
        defs.insert(name.into(), def.into());
    }
    for &shape in contract::OBJECTS {
        let required: Vec<String> = shape
            .fields
            .iter()
            .filter(|f| f.presence != Presence::Optional)
            .map(|f| format!("`{}`", f.name))
            .collect();
        let optional = optional_fields(shape);
        let mut rule = String::from("Strict mode: ");
        if !required.is_empty() {
            let verb = if required.len() == 1 { "is" } else { "are" };
            rule += &format!(
                "{} {verb} required and non-null; ",
                text::and_list(&required)
            );
        }
        if !optional.is_empty() {
            rule += &format!("{} may be absent or null; ", text::and_list(&optional));
        }
        rule += "any other member is rejected (unknown_field).";
        let mut def = Map::new();
        def.insert(
            "description".into(),
            format!("{} {rule}", first_paragraph(shape.doc)).into(),
        );
        def.extend(object_keywords(shape, true));
        defs.insert(object_def(shape), def.into());

        let listed = all_shapes().any(|s| {
            s.fields
                .iter()
                // By name: the table's shapes are constants, so their addresses differ.
                .any(|f| matches!(f.ty, Type::List(l) if l.name == shape.name))
        });
        if listed {
            let mut list = Map::new();
            list.insert(
                "description".into(),
                format!(
                    "An array (possibly empty) of `{}` objects, in order.",
                    object_def(shape)
                )
                .into(),
            );
            list.insert("type".into(), "array".into());
            list.insert("items".into(), reference(&object_def(shape), true));
            defs.insert(list_def(shape), list.into());
        }
    }
    let formats = if keywords.is_empty() {
        String::new()
    } else {
        format!(
            " Formats ({}) are assertions in strict mode: validate with format assertion enabled.",
            keywords.join(", ")
        )
    };
    let mut schema = header(
        COMMON,
        "OneInbox webhook events: shared definitions",
        &format!(
            "Building blocks shared by the strict-mode event schemas in this folder.{formats}"
        ),
    );
    schema.insert("$defs".into(), defs.into());
    Value::Object(schema)
}

/// The text of a generated schema: the `$comment` saying so on the first line, then the
/// document pretty-printed (two spaces), ending with a newline.
pub fn render(schema: &Value, comment: &str) -> String {
    let pretty = serde_json::to_string_pretty(schema).expect("a JSON value serializes");
    // `pretty` starts with "{\n"; the comment takes the first line.
    let rest = pretty.strip_prefix('{').unwrap_or(&pretty);
    let comment = serde_json::to_string(comment).expect("a string serializes");
    format!("{{\"$comment\": {comment},{rest}\n")
}
