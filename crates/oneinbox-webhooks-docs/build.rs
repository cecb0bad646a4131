//! Writes, for README.md and every page under docs/, the page's Rust blocks alone into OUT_DIR
//! (same path), every other line left blank so that a doc test's line is its line in the page:
//! rustdoc would otherwise take the 4-space-indented content of a content tab (Python, Node)
//! for Rust. Also copies the block named `quickstart-axum` for the binary of that name.
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    let mut pages = vec![PathBuf::from("README.md")];
    collect(&root, Path::new("docs"), &mut pages);
    println!(
        "cargo:rerun-if-changed={}",
        root.join("README.md").display()
    );
    println!("cargo:rerun-if-changed={}", root.join("docs").display());
    let mut axum = String::from(
        "fn main() { panic!(\"docs/quickstart.md has no block named quickstart-axum\") }\n",
    );
    for page in pages {
        println!("cargo:rerun-if-changed={}", root.join(&page).display());
        let text = fs::read_to_string(root.join(&page)).unwrap_or_default();
        let (rust, served) = rust_only(&text);
        if page == Path::new("docs/quickstart.md") {
            if let Some(code) = served {
                axum = code;
            }
        }
        let target = out.join(&page);
        if let Some(dir) = target.parent() {
            let _ = fs::create_dir_all(dir);
        }
        write(&target, &rust);
    }
    write(&out.join("quickstart-axum.rs"), &axum);
}

fn write(path: &Path, text: &str) {
    if let Err(err) = fs::write(path, text) {
        panic!("cannot write {}: {err}", path.display());
    }
}

/// Every `.md` file under `dir` (relative to `root`).
fn collect(root: &Path, dir: &Path, pages: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let rel = dir.join(entry.file_name());
        if entry.path().is_dir() {
            collect(root, &rel, pages);
        } else if rel.extension().is_some_and(|e| e == "md") {
            pages.push(rel);
        }
    }
}

/// The page with only its Rust fences and their lines (dedented), and the code of the block
/// marked `name=quickstart-axum`.
fn rust_only(text: &str) -> (String, Option<String>) {
    let mut out = String::new();
    let mut served = None;
    let mut current: Option<(usize, bool, String)> = None; // indent, named quickstart-axum, code
    let mut previous = "";
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut current {
            None if trimmed.starts_with("```rust") => {
                let named = previous.contains("<!-- snippet: name=quickstart-axum;");
                current = Some((indent, named, String::new()));
                out.push_str(trimmed);
            }
            Some((_, named, code)) if trimmed.starts_with("```") => {
                if *named {
                    served = Some(std::mem::take(code));
                }
                current = None;
                out.push_str(trimmed);
            }
            Some((at, _, code)) => {
                let body = line.get(*at..).unwrap_or(trimmed);
                code.push_str(body);
                code.push('\n');
                out.push_str(body);
            }
            None => {}
        }
        out.push('\n');
        previous = line;
    }
    (out, served)
}
