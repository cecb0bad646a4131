//! The hostile-input table (Rust side): each row gets a clear, typed error and no crash.
//! Python (`bindings/python/tests`) and Node (`bindings/node/__test__`) run the same rows; the
//! memory row lives in `tests/memory.rs` (its own binary, so no other test disturbs the
//! allocation count). Non-finite numbers in `variables`/`metadata` have no Rust row: a
//! `serde_json::Value` cannot hold them, so the bindings check them when they convert floats.

use oneinbox_webhooks::management::Api;
use oneinbox_webhooks::{parse_event, Event, IssueCode, ParseOptions};

fn only(body: &[u8], opts: ParseOptions) -> (IssueCode, String) {
    let err = opts.parse(body).expect_err("must be refused");
    assert_eq!(err.issues().len(), 1, "{err}");
    let i = &err.issues()[0];
    (i.code, i.path.clone())
}

fn lenient() -> ParseOptions {
    ParseOptions::default()
}

const STARTED: &str = r#"{"event":"call.started","call_id":"c""#;

fn started_with(member: &str) -> Vec<u8> {
    format!("{STARTED},{member}}}").into_bytes()
}

#[test]
fn row_nesting_beyond_max_depth() {
    let body = started_with(r#""x":[[[[[[[[]]]]]]]]"#);
    let opts = ParseOptions {
        max_depth: 4,
        ..lenient()
    };
    assert_eq!(only(&body, opts), (IssueCode::TooDeep, "/x/0/0/0".into()));
}

#[test]
fn row_hundred_thousand_brackets_parse_drop_and_convert() {
    let body = started_with(&format!(
        "\"x\":{}{}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    let opts = ParseOptions {
        max_body_bytes: usize::MAX,
        ..lenient()
    };
    assert_eq!(only(&body, opts).0, IssueCode::TooDeep);
    let open_only = "[".repeat(100_000);
    assert_eq!(only(open_only.as_bytes(), opts).0, IssueCode::InvalidJson);
}

#[test]
fn row_body_just_over_max_body_bytes() {
    let body = started_with(r#""pad":"xx""#);
    let opts = ParseOptions {
        max_body_bytes: body.len() - 1,
        ..lenient()
    };
    assert_eq!(only(&body, opts), (IssueCode::TooLarge, String::new()));
    let exact = ParseOptions {
        max_body_bytes: body.len(),
        ..lenient()
    };
    assert!(exact.parse(&body).is_ok());
}

#[test]
fn row_duplicate_keys_everywhere() {
    for (body, path) in [
        (format!(r#"{STARTED},"call_id":"c"}}"#), "/call_id"),
        (
            r#"{"event":"call.ended","call_id":"c","analysis":{"summary":"a","summary":"a"}}"#
                .to_owned(),
            "/analysis/summary",
        ),
        (
            format!(r#"{STARTED},"meta":{{"a":{{"k":1,"k":1}}}}}}"#),
            "/meta/a/k",
        ),
        (
            r#"{"event":"transcript.final","call_id":"c","messages":[{"role":"user","role":"user","content":""}]}"#
                .to_owned(),
            "/messages/0/role",
        ),
        (
            r#"{"event":"call.started","event":"call.started","call_id":"c"}"#.to_owned(),
            "/event",
        ),
    ] {
        assert_eq!(
            only(body.as_bytes(), lenient()),
            (IssueCode::DuplicateField, path.to_owned()),
            "{body}"
        );
    }
}

#[test]
fn row_lone_surrogates() {
    for s in [
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800\u0041""#,
        r#""a\ud83d""#,
    ] {
        let body = started_with(&format!(r#""agent_id":{s}"#));
        assert_eq!(only(&body, lenient()).0, IssueCode::InvalidJson, "{s}");
        let key = started_with(&format!(r#"{s}:1"#));
        assert_eq!(only(&key, lenient()).0, IssueCode::InvalidJson, "key {s}");
    }
}

#[test]
fn row_bom_utf16_invalid_and_overlong_utf8() {
    let good = started_with(r#""agent_id":"é""#);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&good);
    let utf16: Vec<u8> = String::from_utf8(good.clone())
        .expect("utf-8")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let invalid = started_with("\"agent_id\":\"\u{0}\"")
        .into_iter()
        .map(|b| if b == 0 { 0xFF } else { b })
        .collect::<Vec<_>>();
    let overlong = started_with("\"agent_id\":\"\u{1}\"")
        .iter()
        .flat_map(|&b| if b == 1 { vec![0xC0, 0xAF] } else { vec![b] })
        .collect::<Vec<_>>();
    for (name, body) in [
        ("bom", bom),
        ("utf16", utf16),
        ("invalid", invalid),
        ("overlong", overlong),
    ] {
        let (code, path) = only(&body, lenient());
        assert_eq!(
            (code, path.as_str()),
            (IssueCode::InvalidJson, ""),
            "{name}"
        );
    }
}

#[test]
fn row_special_numbers_in_duration_seconds() {
    let ended =
        |n: &str| format!(r#"{{"event":"call.ended","call_id":"c","duration_seconds":{n}}}"#);
    for bad in ["NaN", "Infinity", "-Infinity", "1e400"] {
        assert_eq!(
            only(ended(bad).as_bytes(), lenient()).0,
            IssueCode::InvalidJson,
            "{bad}"
        );
    }
    for ok in ["-0", "12345678901234567890", "87.5", "0"] {
        let event = parse_event(ended(ok).as_bytes()).expect(ok);
        assert_eq!(parse_event(&event.to_json()), Ok(event), "{ok}");
    }
    let strict = ParseOptions {
        strict: true,
        ..lenient()
    };
    let err = strict.parse(ended("-1").as_bytes()).expect_err("negative");
    assert!(err
        .issues()
        .iter()
        .any(|i| i.code == IssueCode::InvalidValue && i.path == "/duration_seconds"));
}

#[test]
fn row_nul_inside_strings_is_text() {
    let body = started_with(r#""agent_id":"a\u0000b""#);
    match parse_event(&body).expect("valid") {
        Event::CallStarted(e) => assert_eq!(e.agent_id.as_deref(), Some("a\0b")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn row_trailing_data() {
    for tail in [" {}", "x", "]", "\n\n,"] {
        let mut body = started_with(r#""agent_id":"a""#);
        body.extend_from_slice(tail.as_bytes());
        assert_eq!(only(&body, lenient()).0, IssueCode::InvalidJson, "{tail:?}");
    }
    let mut ws = started_with(r#""agent_id":"a""#);
    ws.extend_from_slice(b" \n\t\r ");
    assert!(parse_event(&ws).is_ok());
}

#[test]
fn row_management_ids_that_would_change_the_path() {
    let api = Api::new("oi_sk_test").expect("key");
    for id in ["a/b", "?x=1", "#frag", "..", ".", "../x", ""] {
        match api.delete_webhook(id) {
            Ok(p) => {
                let url = &p.request().url;
                let tail = url
                    .strip_prefix("https://api.oneinbox.ai/v1/webhooks/")
                    .expect(url);
                assert!(!tail.contains(['/', '?', '#']), "{id:?} -> {url}");
            }
            Err(e) => assert_eq!(e.issues()[0].path, "/webhook_id", "{id:?}"),
        }
    }
    assert!(api.delete_webhook("..").is_err() && api.delete_webhook("").is_err());
}

#[test]
fn row_crlf_in_api_keys() {
    for key in ["oi_sk_a\r\nX-Evil: 1", "oi_sk_a\n", "\roi_sk_a", "oi_sk a"] {
        let err = Api::new(key).expect_err("refused");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("oi_sk_a"), "the key leaked: {text}");
    }
}

#[test]
fn row_report_stays_bounded_for_many_issues_under_a_long_key() {
    // A long key above thousands of duplicate keys: every issue's path repeats the key, so an
    // unbounded report would grow with the square of the body.
    let key = "k".repeat(100_000);
    let dups = vec![r#""a":0"#; 20_000].join(",");
    let body = format!(r#"{{"event":"call.started","call_id":"c","{key}":{{{dups}}}}}"#);
    let opts = ParseOptions {
        max_body_bytes: 2 * 1024 * 1024,
        ..lenient()
    };
    let err = opts.parse(body.as_bytes()).expect_err("duplicates");
    let issues = err.issues();
    assert_eq!(issues.len(), oneinbox_webhooks::MAX_ISSUES + 1);
    assert_eq!(
        issues.last().map(|i| i.code),
        Some(IssueCode::TooManyIssues)
    );
    let total: usize = issues.iter().map(|i| i.path.len() + i.message.len()).sum();
    assert!(total < 120 * (key.len() + 1_000), "report of {total} bytes");
}
