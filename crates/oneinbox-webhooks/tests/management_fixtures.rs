//! Runs every shared management fixture (`tests/fixtures/management/*.json`) as its own named
//! test case, checks each fixture file against `fixture.schema.json`, and checks every expected
//! request body and every successfully parsed response body against `schemas/management/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use oneinbox_webhooks::management::{
    contract, Api, CreateCall, CreateWebhook, HttpRequest, ListCalls, ListDeliveries, Prepared,
    ResponseError, UpdateWebhook,
};
use oneinbox_webhooks::{Issue, UsageError};
use serde::Serialize;
use serde_json::{json, Map, Value};

const DEFAULT_KEY: &str = "oi_sk_test_abc123";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures/management")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json") && !name.ends_with(".schema.json")
        })
        .collect();
    files.sort();
    files
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let schema = read_json(&root().join(schema_file));
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_file}: {e}"))
}

fn check_schema(schema_file: &str, instance: &Value, what: &str) -> Result<(), Failed> {
    let v = validator(schema_file);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} does not validate against {schema_file}:\n{}",
            errors.join("\n")
        )
        .into())
    }
}

fn s(args: &Value, key: &str) -> String {
    args.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}
fn opt_s(args: &Value, key: &str) -> Option<String> {
    args.get(key).and_then(Value::as_str).map(str::to_owned)
}
fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .map(|x| x.as_str().expect("event names are strings").to_owned())
            .collect()
    })
}
fn obj(args: &Value, key: &str) -> Option<Map<String, Value>> {
    args.get(key).and_then(Value::as_object).cloned()
}

fn make_api(api: Option<&Value>) -> Result<Api, UsageError> {
    let key = api
        .and_then(|a| a.get("api_key"))
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_KEY);
    let api_value = Api::new(key)?;
    match api.and_then(|a| a.get("base_url")).and_then(Value::as_str) {
        Some(base) => api_value.with_base_url(base),
        None => Ok(api_value),
    }
}

/// Default arguments for response cases that give none.
fn default_args(call: &str) -> Value {
    match call {
        "create_webhook" => {
            json!({"name": "Call events", "url": "https://example.com/h", "events": ["call.ended"]})
        }
        "update_webhook" => json!({"webhook_id": "wh_abc123", "status": "inactive"}),
        "create_call" => {
            json!({"agent_id": "agt_abc123", "to_number": "+919876543210", "from_number": "+15739693824"})
        }
        "get_call" => json!({"call_id": "call_abc123"}),
        "list_calls" => json!({}),
        _ => json!({"webhook_id": "wh_abc123"}),
    }
}

/// A response parser with its result turned into JSON.
type ParseFn = Box<dyn Fn(u16, &[u8]) -> Result<Value, ResponseError>>;
/// Parses a deliveries response and builds the next page's request.
type NextFn = Box<dyn Fn(u16, &[u8]) -> Option<HttpRequest>>;

/// A prepared request of any endpoint, with its response parser turned into JSON.
struct AnyPrepared {
    request: HttpRequest,
    parse: ParseFn,
    next: Option<NextFn>,
}

fn erase<T: Serialize + 'static>(p: Prepared<T>) -> AnyPrepared {
    let request = p.request().clone();
    AnyPrepared {
        request,
        parse: Box::new(move |status, body| {
            p.parse_response(status, body)
                .map(|t| serde_json::to_value(&t).expect("serializable"))
        }),
        next: None,
    }
}

fn build(call: &str, api: &Api, args: &Value) -> Result<AnyPrepared, UsageError> {
    let id = s(args, "webhook_id");
    Ok(match call {
        "create_webhook" => erase(api.create_webhook(&CreateWebhook {
            name: s(args, "name"),
            url: s(args, "url"),
            events: strings(args.get("events")).unwrap_or_default(),
        })?),
        "list_webhooks" => erase(api.list_webhooks()?),
        "update_webhook" => erase(api.update_webhook(
            &id,
            &UpdateWebhook {
                name: opt_s(args, "name"),
                url: opt_s(args, "url"),
                events: strings(args.get("events")),
                status: opt_s(args, "status"),
            },
        )?),
        "delete_webhook" => erase(api.delete_webhook(&id)?),
        "test_webhook" => erase(api.test_webhook(&id)?),
        "list_deliveries" => {
            let p = api.list_deliveries(
                &id,
                &ListDeliveries {
                    limit: args.get("limit").and_then(Value::as_i64),
                    offset: args.get("offset").and_then(Value::as_i64),
                },
            )?;
            let p2 = p.clone();
            let mut any = erase(p);
            any.next = Some(Box::new(move |status, body| {
                let page = p2.parse_response(status, body).ok()?;
                p2.next_page(&page).map(Prepared::into_request)
            }));
            any
        }
        "create_call" => erase(api.create_call(&CreateCall {
            agent_id: s(args, "agent_id"),
            to_number: s(args, "to_number"),
            from_number: s(args, "from_number"),
            webhook_url: opt_s(args, "webhook_url"),
            variables: obj(args, "variables"),
            metadata: obj(args, "metadata"),
            scheduled_at: opt_s(args, "scheduled_at"),
            overrides: obj(args, "overrides"),
        })?),
        "get_call" => erase(api.get_call(&s(args, "call_id"))?),
        "list_calls" => {
            let p = api.list_calls(&ListCalls {
                agent_id: opt_s(args, "agent_id"),
                status: opt_s(args, "status"),
                limit: args.get("limit").and_then(Value::as_i64),
                offset: args.get("offset").and_then(Value::as_i64),
            })?;
            let p2 = p.clone();
            let mut any = erase(p);
            any.next = Some(Box::new(move |status, body| {
                let page = p2.parse_response(status, body).ok()?;
                p2.next_page(&page).map(Prepared::into_request)
            }));
            any
        }
        other => panic!("unknown call {other:?}"),
    })
}

fn request_json(req: &HttpRequest) -> Value {
    let body = match &req.body {
        None => Value::Null,
        Some(bytes) => serde_json::from_slice(bytes).expect("request body is JSON"),
    };
    json!({
        "method": req.method.as_str(),
        "url": req.url,
        "headers": req.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "json": body,
    })
}

fn issue_list(issues: &[Issue]) -> Value {
    Value::Array(
        issues
            .iter()
            .map(|i| json!({"code": i.code.as_str(), "path": i.path}))
            .collect(),
    )
}

fn compare(what: &str, got: &Value, want: &Value) -> Result<(), Failed> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what} differs\n  got:  {}\n  want: {}",
            serde_json::to_string(got).unwrap(),
            serde_json::to_string(want).unwrap()
        )
        .into())
    }
}

/// The request and response schemas of `call`, as the contract names them.
fn request_schema(call: &str) -> Option<String> {
    let (file, _) = contract::endpoint(call)?.request_schema?;
    Some(format!("schemas/management/{file}"))
}

fn response_schema(call: &str) -> Option<String> {
    let file = contract::endpoint(call)?.response.schema()?;
    Some(format!("schemas/management/{file}"))
}

/// The same case through the one generic entry, `Api::build`: the same request or issues.
fn check_generic(f: &Value, call: &str) -> Result<(), Failed> {
    let args = f["args"].as_object().cloned().unwrap_or_default();
    let typed = make_api(f.get("api")).and_then(|api| build(call, &api, &f["args"]));
    let generic = make_api(f.get("api")).and_then(|api| api.build(call, &args));
    let got = match generic {
        Ok(p) => request_json(p.request()),
        Err(e) => issue_list(e.issues()),
    };
    let want = match typed {
        Ok(p) => request_json(&p.request),
        Err(e) => issue_list(e.issues()),
    };
    compare("Api::build against the typed builder", &got, &want)
}

fn run_builder(f: &Value) -> Result<(), Failed> {
    let call = f["call"].as_str().expect("call");
    let expect = &f["expect"];
    let result = make_api(f.get("api")).and_then(|api| {
        if call == "api" {
            return Err(UsageError::new(Vec::new()));
        }
        build(call, &api, &f["args"])
    });
    match (result, expect.get("request"), expect.get("usage_issues")) {
        (Ok(p), Some(want), None) => {
            let got = request_json(&p.request);
            compare("request", &got, want)?;
            // Content-Type is present exactly when there is a body; no header value has CR/LF.
            let has_ct = p.request.header("content-type").is_some();
            if has_ct != p.request.body.is_some() {
                return Err("Content-Type must be sent exactly when there is a body".into());
            }
            if p.request
                .headers
                .iter()
                .any(|(n, v)| n.contains(['\r', '\n']) || v.contains(['\r', '\n']))
            {
                return Err("a header contains CR or LF".into());
            }
            if let (Some(schema), Some(body)) = (request_schema(call), want.get("json")) {
                check_schema(&schema, body, "the expected request body")?;
            }
            check_generic(f, call)
        }
        (Err(e), None, Some(want)) => {
            let got = issue_list(e.issues());
            compare("usage issues", &got, want)?;
            if call != "api" {
                check_generic(f, call)?;
            }
            let text = format!("{e} {e:?}");
            if let Some(key) = f["api"]["api_key"].as_str().filter(|k| k.len() > 3) {
                if text.contains(key) {
                    return Err("the error shows the API key".into());
                }
            }
            Ok(())
        }
        (Ok(p), None, Some(_)) => Err(format!(
            "expected usage issues, got a request: {}",
            request_json(&p.request)
        )
        .into()),
        (Err(e), Some(_), None) => Err(format!("expected a request, got: {e}").into()),
        _ => Err("`expect` must have exactly one of `request`, `usage_issues`".into()),
    }
}

fn run_response(f: &Value) -> Result<(), Failed> {
    let call = f["call"].as_str().expect("call");
    let status = u16::try_from(f["status"].as_u64().expect("status")).expect("u16 status");
    let body: Vec<u8> = match (f.get("body_text"), f.get("body")) {
        (Some(Value::String(t)), _) => t.as_bytes().to_vec(),
        (None, Some(v)) => serde_json::to_vec(v).unwrap(),
        _ => return Err("give exactly one of `body`, `body_text`".into()),
    };
    let args = f.get("args").cloned().unwrap_or_else(|| default_args(call));
    let api = make_api(f.get("api")).map_err(|e| e.to_string())?;
    let prepared = build(call, &api, &args).map_err(|e| e.to_string())?;
    let expect = &f["expect"];
    let got = (prepared.parse)(status, &body);
    if let Some(want) = expect.get("result") {
        let value = got.map_err(|e| format!("expected a result, got: {e}"))?;
        compare("result", &value, want)?;
        if let (Some(schema), Some(body)) = (response_schema(call), f.get("body")) {
            check_schema(&schema, body, "the response body")?;
        }
        if let Some(want_next) = expect.get("next_request") {
            let next = prepared
                .next
                .as_ref()
                .expect("next_request only for list_deliveries and list_calls");
            let got_next = next(status, &body).map_or(Value::Null, |r| request_json(&r));
            compare("next request", &got_next, want_next)?;
        }
        return Ok(());
    }
    if let Some(want) = expect.get("api_error") {
        return match got {
            Err(ResponseError::Api(e)) => {
                let value = json!({
                    "status": e.status,
                    "message": e.message,
                    "details": issue_list(&e.details),
                    "retryable": e.retryable,
                });
                compare("api error", &value, want)?;
                if status == 422 && f.get("body").is_some() {
                    check_schema(
                        "schemas/management/error.schema.json",
                        &f["body"],
                        "the error body",
                    )?;
                }
                Ok(())
            }
            other => Err(format!("expected an API error, got {other:?}").into()),
        };
    }
    if let Some(want) = expect.get("decode_issues") {
        return match got {
            Err(ResponseError::Decode(e)) => {
                compare("decode issues", &issue_list(e.issues()), want)
            }
            other => Err(format!("expected decode issues, got {other:?}").into()),
        };
    }
    Err("`expect` must have one of `result`, `api_error`, `decode_issues`".into())
}

fn run_fixture(path: &Path) -> Result<(), Failed> {
    let f = read_json(path);
    check_schema(
        "tests/fixtures/management/fixture.schema.json",
        &f,
        "the fixture file",
    )?;
    if f.get("status").is_some() {
        run_response(&f)
    } else {
        run_builder(&f)
    }
}

fn main() {
    let args = Arguments::from_args();
    let files = fixture_files();
    let mut trials: Vec<Trial> = files
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("?")
                .to_owned();
            let path = path.clone();
            Trial::test(format!("fixture::{name}"), move || run_fixture(&path))
        })
        .collect();
    let count = files.len();
    trials.push(Trial::test("fixtures::at_least_65", move || {
        if count >= 65 {
            Ok(())
        } else {
            Err(format!("only {count} management fixtures").into())
        }
    }));
    trials.push(Trial::test("schemas::all_compile", || {
        let dir = root().join("schemas/management");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("schemas dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(root()).expect("under root").to_owned();
            let schema = read_json(&path);
            if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
                return Err(format!("{} is not draft 2020-12", rel.display()).into());
            }
            let _ = validator(rel.to_str().expect("utf-8 path"));
            n += 1;
        }
        if n < 9 {
            return Err(format!("expected at least 9 schemas, found {n}").into());
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
