//! The parse API beyond the shared fixtures: defaults, limits at scale, order and round trips.

use oneinbox_webhooks::build::{
    BuildError, Builder, Items, Members, Shape, UnknownParts, ValueBuilder,
};
use oneinbox_webhooks::{parse_event, Event, IssueCode, ParseOptions};

mod common;

fn codes(body: &[u8], opts: ParseOptions) -> Vec<(IssueCode, String)> {
    match opts.parse(body) {
        Ok(e) => panic!("accepted: {e:?}"),
        Err(err) => err
            .issues()
            .iter()
            .map(|i| (i.code, i.path.clone()))
            .collect(),
    }
}

#[test]
fn defaults_are_lenient_one_mebibyte_depth_64() {
    let d = ParseOptions::default();
    assert!(!d.strict);
    assert_eq!(d.max_body_bytes, 1_048_576);
    assert_eq!(d.max_depth, 64);
}

#[test]
fn a_hundred_thousand_nested_arrays_in_a_member_are_too_deep_without_overflow() {
    for event_first in [true, false] {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let body = if event_first {
            format!(r#"{{"event":"call.started","call_id":"c","x":{deep}}}"#)
        } else {
            format!(r#"{{"x":{deep},"event":"call.started","call_id":"c"}}"#)
        };
        let opts = ParseOptions {
            max_body_bytes: usize::MAX,
            ..ParseOptions::default()
        };
        let got = codes(body.as_bytes(), opts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, IssueCode::TooDeep);
        assert!(got[0].1.starts_with("/x/0/0/"), "{}", got[0].1);
    }
}

#[test]
fn unclosed_brackets_are_invalid_json_even_past_the_depth_limit() {
    let body = "[".repeat(100_000);
    let opts = ParseOptions {
        max_body_bytes: usize::MAX,
        ..ParseOptions::default()
    };
    assert_eq!(
        codes(body.as_bytes(), opts),
        [(IssueCode::InvalidJson, String::new())]
    );
}

#[test]
fn depth_limit_above_the_parser_ceiling_still_reports_too_deep() {
    let body = format!(
        r#"{{"event":"call.started","call_id":"c","x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let opts = ParseOptions {
        max_depth: 10_000,
        ..ParseOptions::default()
    };
    let got = codes(body.as_bytes(), opts);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(got[0].0, IssueCode::TooDeep | IssueCode::InvalidJson),
        "{got:?}"
    );
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let body = b"not json at all";
    let opts = ParseOptions {
        max_body_bytes: 4,
        ..ParseOptions::default()
    };
    assert_eq!(codes(body, opts), [(IssueCode::TooLarge, String::new())]);
}

#[test]
fn unknown_members_survive_the_round_trip_in_order() {
    let body = br#"{"zeta":1,"event":"call.analyzed","call_id":"c","alpha":{"b":[1,2.5,"x"],"a":null},"outcome":"Interested"}"#;
    let event = parse_event(body).expect("valid");
    let Event::CallAnalyzed(e) = &event else {
        panic!("{event:?}")
    };
    let keys: Vec<&str> = e.extra.keys().map(String::as_str).collect();
    assert_eq!(keys, ["zeta", "alpha"]);
    let json = String::from_utf8(event.to_json()).expect("utf-8");
    assert_eq!(
        json,
        r#"{"event":"call.analyzed","call_id":"c","outcome":"Interested","zeta":1,"alpha":{"b":[1,2.5,"x"],"a":null}}"#
    );
    assert_eq!(parse_event(json.as_bytes()), Ok(event));
}

#[test]
fn unknown_events_keep_the_whole_payload() {
    let body = br#"{"call_id":"c1","event":"call.transferred","to":"+15550000000"}"#;
    let event = parse_event(body).expect("lenient accepts unknown events");
    assert_eq!(event.name(), "call.transferred");
    assert_eq!(event.call_id(), "c1");
    let Event::Unknown(u) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(u.payload.len(), 3);
    assert_eq!(parse_event(&event.to_json()), Ok(event.clone()));
    let strict = ParseOptions {
        strict: true,
        ..ParseOptions::default()
    };
    assert_eq!(
        codes(body, strict),
        [(IssueCode::UnknownEvent, "/event".to_owned())]
    );
}

#[test]
fn name_and_call_id_work_on_every_variant() {
    for (name, extra) in [
        ("call.started", ""),
        ("call.ended", ""),
        ("call.analyzed", ""),
        ("call.failed", ""),
        ("call.recording.available", ""),
        ("transcript.partial", r#","messages":[]"#),
        ("transcript.final", r#","messages":[]"#),
        ("something.new", ""),
    ] {
        let body = format!(r#"{{"event":"{name}","call_id":"id-{name}"{extra}}}"#);
        let event = parse_event(body.as_bytes()).expect("valid");
        assert_eq!(event.name(), name);
        assert_eq!(event.call_id(), format!("id-{name}"));
    }
}

#[test]
fn messages_never_echo_much_input() {
    let huge = "x".repeat(100_000);
    let body = format!(
        r#"{{"event":"call.started","call_id":"c","agent_id":{huge:?},"to_number":"{huge}"}}"#
    );
    let strict = ParseOptions {
        strict: true,
        ..ParseOptions::default()
    };
    let err = strict.parse(body.as_bytes()).expect_err("bad numbers");
    for issue in err.issues() {
        assert!(issue.message.len() < 400, "{}", issue.message);
    }
    assert!(err.to_string().len() < 2_000);
}

#[test]
fn ten_megabyte_strings_within_the_limit_parse() {
    let content = "é".repeat(5 * 1024 * 1024);
    let body = format!(
        r#"{{"event":"transcript.final","call_id":"c","messages":[{{"role":"user","content":"{content}"}}]}}"#
    );
    let opts = ParseOptions {
        max_body_bytes: 16 * 1024 * 1024,
        ..ParseOptions::default()
    };
    match opts.parse(body.as_bytes()).expect("valid") {
        Event::TranscriptFinal(t) => {
            assert_eq!(
                t.messages[0].content.as_deref().map(str::len),
                Some(content.len())
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_numbers_round_trip_exactly() {
    // Found by the parse_event fuzz target: a 300-digit integer must parse to the same f64
    // as its shortest printed form, or the round trip changes the event.
    let body = format!(
        r#"{{"event":"call.started","call_id":"c","big":1{}}}"#,
        "0".repeat(159)
    );
    let event = parse_event(body.as_bytes()).expect("valid");
    assert_eq!(parse_event(&event.to_json()), Ok(event));
}

/// A builder that makes `ValueBuilder`'s values but fails on its `fail_at`-th call.
struct FailingBuilder {
    calls: usize,
    fail_at: usize,
}

impl FailingBuilder {
    fn step<T>(&mut self, v: T) -> Result<T, String> {
        self.calls += 1;
        if self.calls == self.fail_at {
            Err(format!("host failure at call {}", self.calls))
        } else {
            Ok(v)
        }
    }
}

macro_rules! through {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(fn $name(&mut self, $($arg: $ty),*) -> Result<serde_json::Value, String> {
            let Ok(v) = ValueBuilder.$name($($arg),*);
            self.step(v)
        })*
    };
}

impl Builder for FailingBuilder {
    type Value = serde_json::Value;
    type Error = String;

    through! {
        null(),
        bool(v: bool),
        i64(v: i64),
        u64(v: u64),
        f64(v: f64),
        str(v: &str),
        array(items: Vec<serde_json::Value>),
        object(members: Members<serde_json::Value>),
        record(shape: &'static Shape, values: &mut [Option<serde_json::Value>], extra: Option<serde_json::Value>),
        item(shape: &'static Shape, values: &mut [Option<serde_json::Value>], extra: Option<serde_json::Value>),
        list(shape: &'static Shape, items: &mut Items<serde_json::Value>),
        unknown_event(p: UnknownParts<serde_json::Value>),
    }
}

#[test]
fn a_failing_builder_stops_the_parse_with_its_own_error_on_both_paths() {
    // `event` first takes the fast pass; `event` last the full parse and then the walk.
    let members = r#""call_id":"c","analysis":{"summary":"s","extracted_data":{"k":[1,2.5,null,true]}},"x":{"y":"z"}"#;
    for body in [
        format!(r#"{{"event":"call.ended",{members}}}"#),
        format!(r#"{{{members},"event":"call.ended"}}"#),
        r#"{"event":"call.new","call_id":"c","x":[1,{"y":null}]}"#.to_owned(),
        r#"{"event":"transcript.final","call_id":"c","messages":[{"role":"agent","content":"a"},{"content":"b","x":1}]}"#.to_owned(),
    ] {
        let opts = ParseOptions::default();
        let mut counting = FailingBuilder {
            calls: 0,
            fail_at: 0,
        };
        let expected = opts.parse_with(body.as_bytes(), &mut ValueBuilder).unwrap();
        assert_eq!(
            opts.parse_with(body.as_bytes(), &mut counting).unwrap(),
            expected
        );
        assert!(counting.calls > 5, "{body}: {} calls", counting.calls);
        for fail_at in 1..=counting.calls {
            let mut b = FailingBuilder { calls: 0, fail_at };
            match opts.parse_with(body.as_bytes(), &mut b) {
                Err(BuildError::Host(e)) => {
                    assert_eq!(e, format!("host failure at call {fail_at}"))
                }
                other => panic!("{body}: failing at call {fail_at} gave {other:?}"),
            }
            assert_eq!(
                b.calls, fail_at,
                "{body}: the parse went on after the failure"
            );
        }
    }
    // An invalid body is reported as such even when the builder fails before the fast pass
    // reaches the problem.
    for fail_at in 1..=3 {
        let mut b = FailingBuilder { calls: 0, fail_at };
        let body = br#"{"event":"call.failed","call_id":"c","x":1,"x":2}"#;
        match ParseOptions::default().parse_with(body, &mut b) {
            Err(BuildError::Invalid(e)) => {
                assert_eq!(e.issues()[0].code, IssueCode::DuplicateField)
            }
            other => panic!("failing at call {fail_at}: {other:?}"),
        }
    }
    // An invalid body is reported as such, whatever the builder.
    let mut b = FailingBuilder {
        calls: 0,
        fail_at: usize::MAX,
    };
    match ParseOptions::default().parse_with(br#"{"event":"call.ended"}"#, &mut b) {
        Err(BuildError::Invalid(e)) => assert_eq!(e.issues()[0].code, IssueCode::MissingField),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fields_that_repeat_between_events_are_made_with_repeated_str_on_both_paths() {
    let members = r#""call_id":"call_1","agent_id":"agt_1","status":"completed","to_number":"+15550100","from_number":"+15550101","outcome":"Booked","ai_summary":"Agreed.","created_at":"2026-06-01T10:00:00Z","analysis":{"summary":"S","outcome":"Booked","extracted_data":{"k":"v"}},"x":"y""#;
    let failed = r#""call_id":"call_2","reason":"no-answer""#;
    let transcript = r#""call_id":"call_3","messages":[{"role":"agent","content":"Hi"}]"#;
    let mut checked = 0;
    for (name, members) in [
        ("call.ended", members),
        ("call.failed", failed),
        ("transcript.final", transcript),
    ] {
        // `event` first takes the fast pass; `event` last the full parse and then the walk.
        for body in [
            format!(r#"{{"event":"{name}",{members}}}"#),
            format!(r#"{{{members},"event":"{name}"}}"#),
        ] {
            let value = ParseOptions::default()
                .parse_with(body.as_bytes(), &mut common::TagBuilder)
                .unwrap();
            let repeated = |v: &serde_json::Value| v.as_str().unwrap().starts_with("repeated:");
            let object = value.as_object().unwrap();
            for (key, v) in object {
                let expected = matches!(
                    key.as_str(),
                    "agent_id" | "status" | "to_number" | "from_number" | "outcome" | "reason"
                );
                if v.is_string() {
                    assert_eq!(repeated(v), expected, "{body}: {key} = {v}");
                    checked += 1;
                }
            }
            if let Some(a) = object.get("analysis") {
                assert!(repeated(&a["outcome"]), "{body}");
                assert!(!repeated(&a["summary"]), "{body}");
                assert!(!repeated(&a["extracted_data"]["k"]), "{body}");
            }
            if let Some(m) = object.get("messages") {
                assert!(repeated(&m[0]["role"]), "{body}");
                assert!(!repeated(&m[0]["content"]), "{body}");
            }
        }
    }
    // Every string member, `event` and the unknown `x` included.
    assert_eq!(checked, 2 * (10 + 3 + 2));
}

#[test]
fn messages_of_any_count_keep_their_order_and_their_members() {
    // Short lists, lists around the inline room of the items (eight), and a long one; some
    // messages with members of their own or without a role.
    for n in [0, 1, 7, 8, 9, 17, 300] {
        let messages: Vec<String> = (0..n)
            .map(|i| match i % 3 {
                0 => format!(r#"{{"role":"agent","content":"turn {i}"}}"#),
                1 => format!(r#"{{"role":"user","content":"turn {i}","lang":"en-{i}"}}"#),
                _ => format!(r#"{{"content":"turn {i}","role":null}}"#),
            })
            .collect();
        let body = format!(
            r#"{{"event":"transcript.final","call_id":"c","messages":[{}],"x":{n}}}"#,
            messages.join(",")
        );
        let event = parse_event(body.as_bytes()).unwrap();
        let Event::TranscriptFinal(t) = &event else {
            panic!("{event:?}")
        };
        assert_eq!(t.messages.len(), n);
        for (i, m) in t.messages.iter().enumerate() {
            assert_eq!(m.content.as_deref(), Some(format!("turn {i}").as_str()));
            assert_eq!(m.extra.len(), usize::from(i % 3 == 1), "message {i} of {n}");
        }
        // The same as the builder of plain JSON values, which makes every record alike.
        let value = ParseOptions::default()
            .parse_with(body.as_bytes(), &mut ValueBuilder)
            .unwrap();
        let written: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(written, value, "{n} messages");
    }
}

#[test]
fn a_bad_message_anywhere_in_a_long_list_is_reported_at_its_index() {
    for bad in [0, 7, 8, 9, 199] {
        let messages: Vec<String> = (0..200)
            .map(|i| {
                if i == bad {
                    r#"{"role":"user","content":7}"#.to_owned()
                } else {
                    format!(r#"{{"role":"agent","content":"turn {i}"}}"#)
                }
            })
            .collect();
        let body = format!(
            r#"{{"event":"transcript.partial","call_id":"c","messages":[{}]}}"#,
            messages.join(",")
        );
        assert_eq!(
            codes(body.as_bytes(), ParseOptions::default()),
            vec![(IssueCode::WrongType, format!("/messages/{bad}/content"))]
        );
    }
}
