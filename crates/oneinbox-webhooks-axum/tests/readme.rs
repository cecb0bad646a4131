//! The README's Rust examples of the axum route and a store cannot be doc tests of the core
//! (which does not depend on this crate), so they are marked `ignore` there: this test holds
//! each to an example that is a doc test here or in the stores crate, line for line (a doc
//! test's hidden `# ` lines aside).

fn readme_blocks() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("### Receiving with axum, stores and the worker (Rust)")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README's axum section");
    section
        .split("```rust,ignore\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .map(str::to_owned)
        .collect()
}

/// The visible lines of the first doc example in `source` that starts with `first_line`.
fn doc_example(source: &str, first_line: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .map(|l| l.trim_start())
        .filter_map(|l| l.strip_prefix("//!").or_else(|| l.strip_prefix("///")))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let start = lines
        .iter()
        .position(|l| *l == first_line)
        .unwrap_or_else(|| panic!("no doc example starts with {first_line:?}"));
    let mut out = String::new();
    for line in &lines[start..] {
        if line.starts_with("```") {
            break;
        }
        if *line == "#" || line.starts_with("# ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn the_readme_route_example_is_the_crate_doc_test() {
    let blocks = readme_blocks();
    assert_eq!(blocks.len(), 2, "the route and the Redis worker");
    let lib = include_str!("../src/lib.rs");
    assert_eq!(blocks[0], doc_example(lib, "use axum::Router;"));
}

#[test]
fn the_readme_redis_example_is_the_stores_doc_test() {
    let blocks = readme_blocks();
    let redis = include_str!("../../oneinbox-webhooks-stores/src/redis.rs");
    assert_eq!(
        blocks[1],
        doc_example(redis, "use oneinbox_webhooks_stores::redis::RedisStore;")
    );
}
