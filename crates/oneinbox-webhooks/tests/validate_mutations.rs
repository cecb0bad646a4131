//! `ParseOptions::validate` must give exactly `parse`'s verdict. Its fast pass answers "valid"
//! without the full parser, so it is checked beyond the fixtures too: every body that strict
//! mode accepts is mutated (each byte deleted, and replaced by a few characters that change
//! JSON structure, types or values), and every mutant must get the same verdict from both, in
//! both modes.

mod common;

use oneinbox_webhooks::ParseOptions;
use serde_json::Value;

const REPLACEMENTS: &[u8] = b"\"}]:0\\n";

#[test]
fn validate_agrees_with_parse_on_mutated_bodies() {
    let dir = common::repo_root().join("tests/fixtures/events");
    let mut checked = 0usize;
    for file in common::json_files(&dir) {
        let fixture: Value = common::read_json(&file);
        let accepted = fixture["strict"].get("variant").is_some();
        if !accepted || fixture.get("options").is_some() {
            continue;
        }
        let body = common::fixture_body(&fixture);
        let mut mutants = Vec::new();
        for i in 0..body.len() {
            let mut deleted = body.clone();
            deleted.remove(i);
            mutants.push(deleted);
            for &r in REPLACEMENTS {
                if body[i] != r {
                    let mut replaced = body.clone();
                    replaced[i] = r;
                    mutants.push(replaced);
                }
            }
        }
        for mutant in &mutants {
            for strict in [false, true] {
                let opts = ParseOptions {
                    strict,
                    ..ParseOptions::default()
                };
                let full = opts.parse(mutant).map(|_| ());
                assert_eq!(
                    opts.validate(mutant),
                    full,
                    "{}: strict={strict}, body {:?}",
                    file.display(),
                    String::from_utf8_lossy(mutant)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} mutants checked");
}
