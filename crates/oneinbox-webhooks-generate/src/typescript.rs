//! The Node package's side of the contract: `events.generated.d.ts` (the event interfaces,
//! `KnownEventName` and `Event`, re-exported by the hand-written `oneinbox.d.ts`) and
//! `events.generated.js` (`KNOWN_EVENTS`, for `router.js`).
//!
//! Written as biome formats them (`bindings/node/biome.json`: single quotes, no semicolons,
//! two spaces, 140 columns), so `just lint-js` passes over them.

use oneinbox_webhooks::contract::{self, FieldSpec, Format, Kind, Presence, Shape, Type};

use crate::{python, schema, text};

/// The package's folder, from the workspace root.
pub const DIR: &str = "bindings/node";

/// biome's `lineWidth`.
const LINE_WIDTH: usize = 140;

/// The type of a field's value (lenient mode: any string where strict mode wants a role).
fn value_type(f: &FieldSpec) -> String {
    match f.ty {
        Type::String if f.format == Format::Role => {
            let mut members: Vec<String> = schema::ROLES.iter().map(|r| format!("'{r}'")).collect();
            // Checked in both modes only for a field that is always there.
            if f.presence != Presence::Always {
                members.push("(string & {})".to_owned());
            }
            members.join(" | ")
        }
        Type::String => "string".to_owned(),
        Type::Number => "number".to_owned(),
        Type::Bool => "boolean".to_owned(),
        Type::Object => "{ [key: string]: JsonValue }".to_owned(),
        Type::Record(shape) => shape.name.to_owned(),
        Type::List(shape) => format!("{}[]", shape.name),
    }
}

/// `name: T` for a field that is always there, `name?: T | null` for the others.
fn member(f: &FieldSpec) -> String {
    if f.presence == Presence::Always {
        format!("{}: {}", f.name, value_type(f))
    } else {
        format!("{}?: {} | null", f.name, value_type(f))
    }
}

/// The interface of an event or nested object.
fn interface(name: &str, shape: &Shape) -> String {
    let mut out = text::jsdoc(shape.doc, 0);
    out += &format!("export interface {name} extends Extra {{\n");
    if shape.kind.is_some() {
        out += &format!("  event: '{}'\n", shape.name);
    }
    for f in shape.fields {
        out += &text::jsdoc(&text::field_doc(f), 2);
        out += &format!("  {}\n", member(f));
    }
    out += "}\n";
    out
}

/// `export type Name = A | B` on one line when it fits, else one member a line.
fn union(name: &str, members: &[String]) -> String {
    let one = format!("export type {name} = {}", members.join(" | "));
    if one.chars().count() <= LINE_WIDTH {
        return format!("{one}\n");
    }
    let mut out = format!("export type {name} =\n");
    for m in members {
        out += &format!("  | {m}\n");
    }
    out
}

/// `events.generated.d.ts`, whole.
pub fn declarations(first_line: &str) -> String {
    let uses_json = contract::OBJECTS
        .iter()
        .copied()
        .chain(Kind::ALL.iter().map(|k| k.shape()))
        .any(|s| s.fields.iter().any(|f| matches!(f.ty, Type::Object)));
    let imports = if uses_json {
        "JsonValue, UnknownEvent"
    } else {
        "UnknownEvent"
    };
    let mut out = format!("{first_line}\n");
    out += "// The event types of `oneinbox-webhooks`, re-exported by oneinbox.d.ts. Payload fields keep their\n";
    out += "// wire names. A field without `?` is always there; in lenient mode (the default) the others may\n";
    out += "// be absent or `null`, and strict mode requires them unless their comment says otherwise.\n\n";
    out += &format!("import type {{ {imports} }} from './oneinbox'\n\n");
    // Without an export statement, a declaration file exports every declaration (`Extra` too).
    out += "// Only what is marked `export` is exported (a .d.ts without an export statement exports all).\n";
    out +=
        "// biome-ignore lint/complexity/noUselessEmptyExport: not useless in a declaration file\n";
    out += "export {}\n\n";
    out += "/** Members the contract does not list (kept in lenient mode). */\n";
    out += "interface Extra {\n  readonly [member: string]: unknown\n}\n";
    for &shape in contract::OBJECTS {
        out += "\n";
        out += &interface(shape.name, shape);
    }
    for &kind in Kind::ALL {
        out += "\n";
        out += &interface(&python::event_class(kind), kind.shape());
    }
    let names: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("'{}'", k.name()))
        .collect();
    out += &format!(
        "\n/** The names of the {} documented events. */\n",
        text::number(names.len())
    );
    out += &union("KnownEventName", &names);
    out += "\n/** The names of the documented events, in the guide's order (`events.generated.js`). */\n";
    out += "export const KNOWN_EVENTS: readonly KnownEventName[]\n";
    let mut members: Vec<String> = Kind::ALL.iter().map(|&k| python::event_class(k)).collect();
    members.push("UnknownEvent".to_owned());
    out += "\n/** One OneInbox webhook delivery: a discriminated union on `event`. */\n";
    out += &union("Event", &members);
    out
}

/// `events.generated.js`, whole.
pub fn names_module(first_line: &str) -> String {
    let names: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("'{}'", k.name()))
        .collect();
    let mut out = format!("{first_line}\n");
    out += "// The names of the contract's events, for router.js (their types: events.generated.d.ts).\n";
    out += "'use strict'\n\n";
    out += &format!(
        "/** The names of the {} documented events, in the guide's order. */\n",
        text::number(names.len())
    );
    let one = format!("const KNOWN_EVENTS = Object.freeze([{}])", names.join(", "));
    if one.chars().count() <= LINE_WIDTH {
        out += &format!("{one}\n");
    } else {
        out += "const KNOWN_EVENTS = Object.freeze([\n";
        for n in &names {
            out += &format!("  {n},\n");
        }
        out += "])\n";
    }
    out += "\nmodule.exports = { KNOWN_EVENTS }\n";
    out
}
