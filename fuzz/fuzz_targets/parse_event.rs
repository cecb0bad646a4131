//! `parse_event` in both modes never panics, an accepted event re-serializes and re-parses
//! to itself, `ParseOptions::validate` (the verdict the Node binding uses) always agrees with
//! `parse`, and `ParseOptions::parse_with` (what the Python binding uses) gives the same
//! verdict and builds the same value as walking the parsed event. The crate's own JSON
//! reader is held to serde_json's: a body is `invalid_json` exactly when serde_json rejects
//! its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oneinbox_webhooks::build::{self, BuildError, ValueBuilder};
use oneinbox_webhooks::ParseOptions;

fuzz_target!(|data: &[u8]| {
    for strict in [false, true] {
        let opts = ParseOptions {
            strict,
            max_depth: 16,
            ..ParseOptions::default()
        };
        let parsed = opts.parse(data);
        let validated = opts.validate(data);
        assert_eq!(
            validated.as_ref().err(),
            parsed.as_ref().err(),
            "validate and parse disagree"
        );
        let built = opts.parse_with(data, &mut ValueBuilder);
        match (&parsed, built) {
            (Ok(event), Ok(value)) => {
                // Compared as text: member order counts too.
                let Ok(walked) = build::event(event, &mut ValueBuilder);
                assert_eq!(
                    value.to_string(),
                    walked.to_string(),
                    "parse_with built another value"
                );
                assert_eq!(
                    value.to_string().as_bytes(),
                    event.to_json(),
                    "built value != to_json"
                );
            }
            (Err(e), Err(BuildError::Invalid(got))) => assert_eq!(&got, e, "parse_with issues"),
            (_, built) => panic!("parse_with and parse disagree: {built:?}"),
        }
        // serde_json as the oracle of the reader. Its `IgnoredAny` checks the syntax at any
        // depth (but lets lone surrogates through); its `Value` checks everything (but stops
        // at 128 levels).
        let text = std::str::from_utf8(data)
            .ok()
            .filter(|t| !t.starts_with('\u{feff}'));
        let syntax_ok =
            text.is_some_and(|t| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok());
        let value_ok = text.is_some_and(|t| serde_json::from_str::<serde_json::Value>(t).is_ok());
        let invalid_json = parsed.as_ref().err().is_some_and(|e| {
            e.issues().first().map(|i| i.code) == Some(oneinbox_webhooks::IssueCode::InvalidJson)
        });
        if parsed.is_ok() {
            assert!(value_ok, "accepted a text serde_json rejects");
        }
        if invalid_json {
            assert!(
                !value_ok,
                "rejected as invalid JSON a text serde_json reads"
            );
        }
        if !syntax_ok && data.len() <= opts.max_body_bytes {
            assert!(
                invalid_json,
                "a text serde_json rejects was not invalid_json: {parsed:?}"
            );
        }
        if let Ok(event) = parsed {
            let again = opts.parse(&event.to_json());
            assert_eq!(again.as_ref(), Ok(&event), "round trip changed the event");
        }
    }
});
