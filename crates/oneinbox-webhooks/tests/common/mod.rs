//! Helpers shared by the fixture runners: locating the shared fixtures and schemas, and
//! building JSON Schema validators over `schemas/`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.json` file in a folder, sorted by name.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A draft 2020-12 validator (formats checked) for `entry`, with every schema in `dir`
/// registered under its `$id` so relative `$ref`s resolve offline.
pub fn schema_validator(dir: &Path, entry: &str) -> jsonschema::Validator {
    let mut registry = jsonschema::Registry::new();
    for file in json_files(dir) {
        let schema = read_json(&file);
        let id = schema["$id"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no $id", file.display()))
            .to_owned();
        registry = registry
            .add(id, jsonschema::Resource::from_contents(schema))
            .expect("schema registers");
    }
    let registry = registry.prepare().expect("registry prepares");
    let root = read_json(&dir.join(entry));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(&root)
        .unwrap_or_else(|e| panic!("{entry} does not compile: {e}"))
}

/// The body bytes of a fixture: `body` (serialized), `body_text` or `body_base64`.
pub fn fixture_body(fixture: &Value) -> Vec<u8> {
    use base64::Engine as _;
    if let Some(body) = fixture.get("body") {
        serde_json::to_vec(body).expect("body serializes")
    } else if let Some(text) = fixture.get("body_text").and_then(Value::as_str) {
        text.as_bytes().to_vec()
    } else if let Some(b64) = fixture.get("body_base64").and_then(Value::as_str) {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("body_base64 is base64")
    } else {
        panic!("fixture has no body, body_text or body_base64")
    }
}

/// A builder that records which method made each value: scalars become strings such as
/// `"i64:87"`, `"u64:18446744073709551615"`, `"str:abc"`, `"repeated:agt_1"`; keys keep their text and containers
/// are built as by `ValueBuilder`, and a record made with `item` has a member `"(made by)": "item"`. Two ways of building that call different methods give
/// different text.
pub struct TagBuilder;

impl oneinbox_webhooks::build::Builder for TagBuilder {
    type Value = Value;
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<Value, Self::Error> {
        Ok(Value::from("null"))
    }
    fn bool(&mut self, v: bool) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("bool:{v}")))
    }
    fn i64(&mut self, v: i64) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("i64:{v}")))
    }
    fn u64(&mut self, v: u64) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("u64:{v}")))
    }
    fn f64(&mut self, v: f64) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("f64:{v:?}")))
    }
    fn str(&mut self, v: &str) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("str:{v}")))
    }
    fn repeated_str(&mut self, v: &str) -> Result<Value, Self::Error> {
        Ok(Value::from(format!("repeated:{v}")))
    }
    fn key(&mut self, v: &str) -> Result<Value, Self::Error> {
        Ok(Value::from(v))
    }
    fn array(&mut self, items: Vec<Value>) -> Result<Value, Self::Error> {
        oneinbox_webhooks::build::ValueBuilder.array(items)
    }
    fn object(
        &mut self,
        members: oneinbox_webhooks::build::Members<Value>,
    ) -> Result<Value, Self::Error> {
        oneinbox_webhooks::build::ValueBuilder.object(members)
    }
    fn record(
        &mut self,
        shape: &'static oneinbox_webhooks::build::Shape,
        values: &mut [Option<Value>],
        extra: Option<Value>,
    ) -> Result<Value, Self::Error> {
        oneinbox_webhooks::build::ValueBuilder.record(shape, values, extra)
    }
    /// A record made as an item of a list says so in a member of its own.
    fn item(
        &mut self,
        shape: &'static oneinbox_webhooks::build::Shape,
        values: &mut [Option<Value>],
        extra: Option<Value>,
    ) -> Result<Value, Self::Error> {
        let mut v = oneinbox_webhooks::build::ValueBuilder.record(shape, values, extra)?;
        if let Some(object) = v.as_object_mut() {
            object.insert("(made by)".into(), Value::from("item"));
        }
        Ok(v)
    }
    fn unknown_event(
        &mut self,
        p: oneinbox_webhooks::build::UnknownParts<Value>,
    ) -> Result<Value, Self::Error> {
        oneinbox_webhooks::build::ValueBuilder.unknown_event(p)
    }
}

/// Runs every fixture of `tests/fixtures/<folder>` (its `*.json` but `fixture.schema.json`) as
/// a named test `<folder>::<file stem>`: the fixture is checked against the folder's
/// `fixture.schema.json`, then handed to `run`. One more test fails when the folder holds fewer
/// than `at_least` fixtures, so an emptied or renamed folder cannot pass unnoticed.
pub fn run_fixture_folder(
    folder: &'static str,
    at_least: usize,
    run: fn(&Value) -> Result<(), libtest_mimic::Failed>,
) -> ! {
    use libtest_mimic::{Arguments, Trial};
    use std::sync::Arc;

    let args = Arguments::from_args();
    let dir = repo_root().join("tests/fixtures").join(folder);
    let format = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&read_json(&dir.join("fixture.schema.json")))
            .unwrap_or_else(|e| panic!("{folder}/fixture.schema.json does not compile: {e}")),
    );
    let files: Vec<PathBuf> = json_files(&dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".schema.json"))
        .collect();
    let count = files.len();
    let mut trials = vec![Trial::test(
        format!("{folder}::every_fixture_is_collected"),
        move || {
            if count >= at_least {
                Ok(())
            } else {
                Err(format!("only {count} {folder} fixtures, expected {at_least} or more").into())
            }
        },
    )];
    for path in files {
        let stem = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let format = Arc::clone(&format);
        trials.push(Trial::test(format!("{folder}::{stem}"), move || {
            let fixture = read_json(&path);
            if let Err(e) = format.validate(&fixture) {
                return Err(format!("the fixture breaks {folder}/fixture.schema.json: {e}").into());
            }
            run(&fixture)
        }));
    }
    libtest_mimic::run(&args, trials).exit()
}
