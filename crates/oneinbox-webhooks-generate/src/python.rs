//! The Python package's typing of the contract: the stub classes in `_native.pyi` (one marked
//! block of the hand-written stub), `_events.py` (the `Event` union and the event classes in
//! the guide's order) and the re-exports in `__init__.py` (two marked blocks).
//!
//! Written as `ruff format` writes them (magic trailing commas keep every list expanded, so the
//! layout does not depend on the number of names).

use oneinbox_webhooks::contract::{self, FieldSpec, Kind, Presence, Shape, Type};

use crate::text;

/// The package's folder, from the workspace root.
pub const DIR: &str = "bindings/python/python/oneinbox_webhooks";

/// The Python class of an event: the name of its [`Kind`] (`CallStarted`), which the binding
/// gives its class too (`bindings/python/src/events.rs`).
pub fn event_class(kind: Kind) -> String {
    format!("{kind:?}")
}

/// The class of the events this version does not know (hand-written in the stub and in the
/// binding; it ends the `Event` union).
const UNKNOWN_EVENT: &str = "UnknownEvent";

/// The annotation of a field: `str`, `str | None`, `list[Message]`, ...
fn annotation(f: &FieldSpec) -> String {
    let ty = match f.ty {
        Type::String => "str".to_owned(),
        Type::Number => "int | float".to_owned(),
        Type::Bool => "bool".to_owned(),
        Type::Object => "dict[str, Any]".to_owned(),
        Type::Record(shape) => shape.name.to_owned(),
        Type::List(shape) => format!("list[{}]", shape.name),
    };
    if f.presence == Presence::Always {
        ty
    } else {
        format!("{ty} | None")
    }
}

/// The stub class of an event or nested object.
fn stub_class(class: &str, shape: &Shape) -> String {
    let mut out = format!("@final\nclass {class}:\n");
    out += &format!("    {}\n\n", text::docstring(shape.doc, 4));
    if shape.kind.is_some() {
        out += &format!("    event: ClassVar[Literal[\"{}\"]]\n", shape.name);
    }
    out += "    __match_args__: ClassVar[tuple[str, ...]]\n";
    for f in shape.fields {
        out += "    @property\n";
        out += &format!("    def {}(self) -> {}:\n", f.name, annotation(f));
        out += &format!("        {}\n", text::docstring(&text::field_doc(f), 8));
    }
    out += "    @property\n";
    out += "    def extra(self) -> dict[str, Any]: ...\n";
    out += "    def to_dict(self) -> dict[str, Any]: ...\n";
    out += "    def __eq__(self, other: object, /) -> bool: ...\n";
    out
}

/// The names the contract adds to the package: its classes and `Event`, sorted as ruff sorts
/// them.
fn exported_names() -> Vec<String> {
    let mut names: Vec<String> = Kind::ALL.iter().map(|&k| event_class(k)).collect();
    names.extend(contract::OBJECTS.iter().map(|s| s.name.to_owned()));
    names.push("Event".to_owned());
    names.sort();
    names
}

/// `[\n    "A",\n    "B",\n]` (or with bare names), each line indented by `indent` more.
fn expanded(items: &[String], quoted: bool) -> String {
    let mut out = String::new();
    for item in items {
        if quoted {
            out += &format!("    \"{item}\",\n");
        } else {
            out += &format!("    {item},\n");
        }
    }
    out
}

/// The classes of the events in the guide's order, and [`UNKNOWN_EVENT`] last.
fn event_union_members() -> Vec<String> {
    let mut members: Vec<String> = Kind::ALL.iter().map(|&k| event_class(k)).collect();
    members.push(UNKNOWN_EVENT.to_owned());
    members
}

/// The block of `_native.pyi`: the nested objects' and events' stub classes, `_Event` and the
/// names they add to `__all__`.
pub fn native_stub_block() -> String {
    let mut out = String::new();
    for &shape in contract::OBJECTS {
        out += &stub_class(shape.name, shape);
        out += "\n";
    }
    for &kind in Kind::ALL {
        out += &stub_class(&event_class(kind), kind.shape());
        out += "\n";
    }
    out += "# Every class parse_event can return (the package exports it as ``Event``).\n";
    out += "_Event: TypeAlias = Union[\n";
    out += &expanded(&event_union_members(), false);
    out += "]\n\n";
    let mut names: Vec<String> = Kind::ALL.iter().map(|&k| event_class(k)).collect();
    names.extend(contract::OBJECTS.iter().map(|s| s.name.to_owned()));
    names.sort();
    out += "__all__ += [\n";
    out += &expanded(&names, true);
    out += "]\n";
    out
}

/// `_events.py`, whole.
pub fn events_module(first_line: &str) -> String {
    let mut imports: Vec<String> = Kind::ALL.iter().map(|&k| event_class(k)).collect();
    imports.extend(contract::OBJECTS.iter().map(|s| s.name.to_owned()));
    imports.push(UNKNOWN_EVENT.to_owned());
    imports.sort();
    let events: Vec<String> = Kind::ALL.iter().map(|&k| event_class(k)).collect();
    let mut out = format!("{first_line}\n");
    out += "\"\"\"The contract's classes and ``Event`` (every class ``parse_event`` can return).\"\"\"\n\n";
    out += "from __future__ import annotations\n\n";
    out += "from typing import Any, Union\n\n";
    out += "from ._native import (\n";
    out += &expanded(&imports, false);
    out += ")\n\n";
    out += "__all__ = [\n";
    out += &expanded(&exported_names(), true);
    out += "]\n\n";
    out += "EVENT_CLASSES: tuple[type[Any], ...] = (\n";
    out += &expanded(&events, false);
    out += ")\n";
    out += &format!(
        "\"\"\"The classes of the {} documented events, in the guide's order.\"\"\"\n\n",
        text::number(events.len())
    );
    out += "Event = Union[\n";
    out += &expanded(&event_union_members(), false);
    out += "]\n";
    out += "\"\"\"Every class ``parse_event`` can return, for annotations.\"\"\"\n";
    out
}

/// The import block of `__init__.py` (ruff's import sorting wants a blank line before the
/// comment that ends it).
pub fn init_imports_block() -> String {
    format!(
        "from ._events import (\n{})\n\n",
        expanded(&exported_names(), false)
    )
}

/// The `__all__` block of `__init__.py`.
pub fn init_exports_block() -> String {
    format!("__all__ += [\n{}]\n", expanded(&exported_names(), true))
}
