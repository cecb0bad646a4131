//! Runs every shared fixture in `tests/fixtures/secrets` as its own named case: where a
//! command-line tool takes a secret from (`send::choose_secret`: option > file > environment).

mod common;

use libtest_mimic::Failed;
use oneinbox_webhooks::send::choose_secret;
use serde_json::{json, Value};

fn run(fixture: &Value) -> Result<(), Failed> {
    let name = fixture["name"].as_str().ok_or("name")?;
    let got = match choose_secret(
        name,
        fixture["option"].as_str(),
        fixture["file"].as_str(),
        fixture["env"].as_str(),
    ) {
        Ok(secret) => json!({ "secret": secret }),
        Err(e) => {
            for s in ["option", "file", "env"].map(|k| fixture[k].as_str().unwrap_or("")) {
                if !s.trim().is_empty() && e.to_string().contains(s.trim()) {
                    return Err("a usage error shows the secret".into());
                }
            }
            let issues: Vec<Value> = e
                .issues()
                .iter()
                .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
                .collect();
            json!({ "issues": issues })
        }
    };
    if got != fixture["expect"] {
        return Err(format!("expected {}, got {got}", fixture["expect"]).into());
    }
    Ok(())
}

fn main() {
    common::run_fixture_folder("secrets", 20, run)
}
