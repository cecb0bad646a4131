//! The Node package's side of the contract: `events.generated.d.ts` (the event interfaces,
//! `KnownEventName` and `Event`, re-exported by the hand-written `oneinbox.d.ts`) and
//! `events.generated.js` (`KNOWN_EVENTS`, for `router.js`; `MEMBERS` and `NESTED`, for
//! `extra.js`, which gives each parsed object its `extra`).
//!
//! The interfaces are closed: a member the contract does not list is not a property of the type
//! (a misspelt field is a compile error) but of `extra`, as in the Python binding.
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
    out += &format!("export interface {name} {{\n");
    if shape.kind.is_some() {
        out += &format!("  event: '{}'\n", shape.name);
    }
    for f in shape.fields {
        out += &text::jsdoc(&text::field_doc(f), 2);
        out += &format!("  {}\n", member(f));
    }
    out += "  /** Members the contract does not list, as sent: only on an object that has some (lenient mode; never in strict mode). */\n";
    out += "  readonly extra?: ExtraMembers\n";
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
    let mut out = format!("{first_line}\n");
    out += "// The event types of `oneinbox-webhooks`, re-exported by oneinbox.d.ts. Payload fields keep their\n";
    out += "// wire names. A field without `?` is always there; in lenient mode (the default) the others may\n";
    out += "// be absent or `null`, and strict mode requires them unless their comment says otherwise.\n\n";
    out += "import type { JsonValue, UnknownEvent } from './oneinbox'\n\n";
    out += "/**\n";
    out += " * The members of a payload object that the contract does not list, as sent: lenient mode keeps\n";
    out += " * them, strict mode rejects them. `extra` is not enumerable, so `JSON.stringify(event)` still\n";
    out += " * writes every member where it was sent, and `event.extra` reads the unlisted ones by name. An\n";
    out += " * object without unlisted members has no `extra` (`event.extra?.region`).\n";
    out += " */\n";
    out += "export type ExtraMembers = { readonly [member: string]: JsonValue }\n";
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
    out += "// The names and members of the contract's events, for router.js and extra.js (their types:\n";
    out += "// events.generated.d.ts).\n";
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
    out += "\n/** The members the contract lists, per event name and nested object (`extra.js` keeps the others). */\n";
    out += "const MEMBERS = Object.freeze({\n";
    for &shape in contract::OBJECTS {
        out += &members_line(shape.name, &[], shape);
    }
    for &kind in Kind::ALL {
        out += &members_line(&format!("'{}'", kind.name()), &["event"], kind.shape());
    }
    out += "})\n";
    out += "\n/** The members holding nested objects the contract describes: [member, object name, a list of them]. */\n";
    out += "const NESTED = Object.freeze({\n";
    for (name, shape) in contract::OBJECTS
        .iter()
        .map(|s| (s.name.to_owned(), *s))
        .chain(
            Kind::ALL
                .iter()
                .map(|k| (format!("'{}'", k.name()), k.shape())),
        )
    {
        let nested: Vec<String> = shape
            .fields
            .iter()
            .filter_map(|f| match f.ty {
                Type::Record(inner) => Some(format!("['{}', '{}', false]", f.name, inner.name)),
                Type::List(inner) => Some(format!("['{}', '{}', true]", f.name, inner.name)),
                _ => None,
            })
            .collect();
        if !nested.is_empty() {
            out += &format!("  {name}: [{}],\n", nested.join(", "));
        }
    }
    out += "})\n";
    out += "\nmodule.exports = { KNOWN_EVENTS, MEMBERS, NESTED }\n";
    out
}

/// `  name: new Set([...]),` for [`names_module`]'s `MEMBERS`, wrapped as biome wraps it.
fn members_line(name: &str, first: &[&str], shape: &Shape) -> String {
    let names: Vec<String> = first
        .iter()
        .copied()
        .chain(shape.fields.iter().map(|f| f.name))
        .map(|n| format!("'{n}'"))
        .collect();
    let one = format!("  {name}: new Set([{}]),", names.join(", "));
    if one.chars().count() <= LINE_WIDTH {
        return format!("{one}\n");
    }
    let mut out = format!("  {name}: new Set([\n");
    for n in &names {
        out += &format!("    {n},\n");
    }
    out += "  ]),\n";
    out
}
