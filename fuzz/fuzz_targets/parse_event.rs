//! `parse_event` in both modes never panics, an accepted event re-serializes and re-parses
//! to itself, and `ParseOptions::validate` (the fast verdict the Node binding uses) always
//! agrees with `parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
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
        if let Ok(event) = parsed {
            let again = opts.parse(&event.to_json());
            assert_eq!(again.as_ref(), Ok(&event), "round trip changed the event");
        }
    }
});
