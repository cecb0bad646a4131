//! Copies the block named `quickstart-axum` out of docs/quickstart.md for the binary of that
//! name (the fence and its marker: see tools/snippets.py).
use std::{env, fs, path::Path};

fn main() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/quickstart.md");
    println!("cargo:rerun-if-changed={}", page.display());
    let text = fs::read_to_string(&page).unwrap_or_default();
    let mut lines = text.lines();
    let mut code = String::from("fn main() { panic!(\"docs/quickstart.md has no block named quickstart-axum\") }\n");
    while let Some(line) = lines.next() {
        if !line.contains("<!-- snippet: name=quickstart-axum;") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let _fence = lines.next();
        code = lines
            .by_ref()
            .take_while(|l| l.trim() != "```")
            .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
            .collect();
        break;
    }
    let out = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("quickstart-axum.rs");
    if let Err(err) = fs::write(&out, code) {
        panic!("cannot write {}: {err}", out.display());
    }
}
