//! `parse_event` in both modes never panics, and an accepted event re-serializes and
//! re-parses to itself.
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
        if let Ok(event) = opts.parse(data) {
            let again = opts.parse(&event.to_json());
            assert_eq!(again.as_ref(), Ok(&event), "round trip changed the event");
        }
    }
});
