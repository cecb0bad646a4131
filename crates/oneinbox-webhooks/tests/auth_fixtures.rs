//! Runs every fixture in `tests/fixtures/auth` and every Standard Webhooks vector of the copied
//! corpus (`tests/corpora/standard-webhooks/vectors.json`, read in place) as named cases.

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::auth::{
    add_url_token, verify_signature, verify_url_token, Receiver, SigningSecret, Verification,
    DEFAULT_TOLERANCE_SECONDS,
};
use oneinbox_webhooks::UsageError;
use serde_json::{json, Value};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn outcome(result: Result<Verification, UsageError>) -> Value {
    match result {
        Ok(v) => json!({ "ok": v.ok, "code": v.code.as_str(), "matched_secret": v.matched_secret }),
        Err(e) => json!({ "usage_error": e.issues().first().map(|i| i.path.clone()) }),
    }
}

/// A receiver option as given: absent (`None`), or a list whose `null` items stay `None`.
fn optional_strings(v: &Value) -> Option<Vec<Option<String>>> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
}

fn header_pairs(f: &Value) -> Vec<(String, String)> {
    f["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h[0].as_str().unwrap_or("").into(),
                h[1].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

/// `check: "receiver"`: builds the receiver the way the bindings do, then authenticates.
fn receiver(f: &Value) -> Result<Value, Failed> {
    let tokens = optional_strings(&f["url_tokens"]);
    let secrets = optional_strings(&f["signing_secrets"]);
    let allow = f["allow_unauthenticated"].as_bool().unwrap_or(false);
    let built = Receiver::new().with_authentication(tokens.as_deref(), secrets.as_deref(), allow);
    let r = match built {
        Ok(r) => r,
        Err(e) => {
            let issues: Vec<Value> = e
                .issues()
                .iter()
                .map(|i| json!([i.code.as_str(), i.path]))
                .collect();
            return Ok(json!({
                "usage_error": e.issues().first().map(|i| i.path.clone()),
                "issues": issues,
            }));
        }
    };
    let now = f["now"].as_i64().ok_or("now must be an integer")?;
    let body = f["body_text"].as_str().unwrap_or("").as_bytes();
    let v = r.authenticate(body, &header_pairs(f), f["url"].as_str(), now);
    let code = v.err().map_or("ok", |v| v.code.as_str());
    Ok(json!({ "ok": code == "ok", "code": code, "warning": r.unauthenticated_warning() }))
}

fn run(f: &Value) -> Result<(), Failed> {
    let secrets = strings(&f["secrets"]);
    let got = match f["check"].as_str() {
        Some("receiver") => receiver(f)?,
        Some("signature") => {
            let headers = header_pairs(f);
            let body = f["body_text"].as_str().unwrap_or("").as_bytes();
            let now = f["now"].as_i64().ok_or("now must be an integer")?;
            let tol = f["tolerance"].as_u64().unwrap_or(DEFAULT_TOLERANCE_SECONDS);
            let result = verify_signature(&headers, body, &secrets, now, tol);
            if let Err(e) = &result {
                for s in &secrets {
                    if !s.is_empty()
                        && (e.to_string().contains(s.as_str())
                            || format!("{e:?}").contains(s.as_str()))
                    {
                        return Err("a usage error shows the secret".into());
                    }
                }
            }
            outcome(result)
        }
        Some("url_token") => outcome(verify_url_token(f["url"].as_str().unwrap_or(""), &secrets)),
        Some("add_url_token") => {
            match add_url_token(
                f["url"].as_str().unwrap_or(""),
                f["token"].as_str().unwrap_or(""),
            ) {
                Ok(url) => json!({ "url": url }),
                Err(e) => json!({ "usage_error": e.issues().first().map(|i| i.path.clone()) }),
            }
        }
        other => return Err(format!("unknown check {other:?}").into()),
    };
    if got != f["expect"] {
        return Err(format!("expected {}, got {got}", f["expect"]).into());
    }
    Ok(())
}

fn vector(v: &Value) -> Result<(), Failed> {
    let ts = v["timestamp"].as_i64().ok_or("timestamp")?;
    let headers = [
        ("webhook-id", v["msg_id"].as_str().unwrap_or("")),
        ("webhook-timestamp", &ts.to_string()),
        (
            "webhook-signature",
            v["signature_header"].as_str().unwrap_or(""),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let secret = v["secret"].as_str().unwrap_or("");
    let now = v["now"].as_i64().unwrap_or(ts);
    let got = verify_signature(
        &headers,
        v["payload"].as_str().unwrap_or("").as_bytes(),
        &[secret],
        now,
        DEFAULT_TOLERANCE_SECONDS,
    )
    .map_err(|e| format!("usage error: {e}"))?;
    let want = v["expect"].as_str() == Some("valid");
    if got.ok != want {
        return Err(format!("expected valid={want}, got {got:?}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = common::repo_root();
    let mut trials = Vec::new();
    let files = common::json_files(&root.join("tests/fixtures/auth"));
    let count = files.len();
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let fixture = common::read_json(&file);
        trials.push(Trial::test(format!("auth::{stem}"), move || run(&fixture)));
    }
    trials.push(Trial::test("auth::coverage", move || {
        if count < 30 {
            return Err(format!("only {count} auth fixtures").into());
        }
        Ok(())
    }));
    let corpus = root.join("tests/corpora/standard-webhooks/vectors.json");
    let vectors = common::read_json(&corpus);
    for v in vectors["standard_webhooks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = v["name"].as_str().unwrap_or("?").to_owned();
        let v = v.clone();
        trials.push(Trial::test(
            format!("standard_webhooks::{name}"),
            move || vector(&v),
        ));
    }
    for (i, case) in vectors["secret_parsing"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let case = case.clone();
        trials.push(Trial::test(format!("secret_parsing::{i}"), move || {
            let secret = case["secret"].as_str().unwrap_or("");
            let parsed = SigningSecret::parse(secret);
            match (case["expect"].as_str(), parsed) {
                (Some("construction_error"), Err(_)) => Ok(()),
                (Some("construction_error"), Ok(_)) => Err("accepted a bad secret".into()),
                (_, Ok(_)) => Ok(()),
                (_, Err(e)) => Err(format!("refused a good secret: {e}").into()),
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
