//! The hostile-input table (Rust side): each row gets a clear, typed error and no crash.
//! Python (`bindings/python/tests`) and Node (`bindings/node/__test__`) run the same rows.
//! A counting allocator checks that memory stays within a small multiple of the body.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use oneinbox_webhooks::management::{Api, CreateCall};
use oneinbox_webhooks::{parse_event, Event, IssueCode, ParseOptions};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

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
fn row_ten_megabyte_string_within_the_limit_stays_within_a_small_multiple() {
    let content = "a".repeat(10 * 1024 * 1024);
    let body = format!(
        r#"{{"event":"transcript.final","call_id":"c","messages":[{{"role":"user","content":"{content}"}}]}}"#
    );
    let opts = ParseOptions {
        max_body_bytes: 11 * 1024 * 1024,
        ..lenient()
    };
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let event = opts.parse(body.as_bytes()).expect("valid");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(
        matches!(&event, Event::TranscriptFinal(t) if t.messages[0].content.as_ref().map(String::len) == Some(content.len()))
    );
    assert!(
        peak <= 3 * body.len(),
        "peak {peak} bytes for a {} byte body",
        body.len()
    );
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
fn row_non_finite_numbers_cannot_reach_a_request_body() {
    // serde_json's Value cannot hold NaN or infinities, so a body can never carry them; the
    // bindings refuse them when converting from Python floats or JS numbers.
    assert!(serde_json::Number::from_f64(f64::NAN).is_none());
    assert!(serde_json::Number::from_f64(f64::INFINITY).is_none());
    let api = Api::new("oi_sk_test").expect("key");
    let mut variables = serde_json::Map::new();
    variables.insert("x".into(), serde_json::json!(1e308));
    let req = api
        .create_call(&CreateCall {
            agent_id: "agt".into(),
            to_number: "+15550000000".into(),
            from_number: "+15550000001".into(),
            variables: Some(variables),
            ..CreateCall::default()
        })
        .expect("valid");
    let body = String::from_utf8(req.request().body.clone().unwrap_or_default()).expect("utf-8");
    assert!(!body.contains("NaN") && !body.contains("inf"), "{body}");
}
