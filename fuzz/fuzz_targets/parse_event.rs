//! `parse_event` in both modes never panics, an accepted event re-serializes and re-parses
//! to itself, `ParseOptions::validate` (the fast verdict the Node binding uses) always
//! agrees with `parse`, and `ParseOptions::parse_with` (what the Python binding uses) gives
//! the same verdict and builds the same value as walking the parsed event.
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
                assert_eq!(value.to_string(), walked.to_string(), "parse_with built another value");
                assert_eq!(value.to_string().as_bytes(), event.to_json(), "built value != to_json");
            }
            (Err(e), Err(BuildError::Invalid(got))) => assert_eq!(&got, e, "parse_with issues"),
            (_, built) => panic!("parse_with and parse disagree: {built:?}"),
        }
        if let Ok(event) = parsed {
            let again = opts.parse(&event.to_json());
            assert_eq!(again.as_ref(), Ok(&event), "round trip changed the event");
        }
    }
});
