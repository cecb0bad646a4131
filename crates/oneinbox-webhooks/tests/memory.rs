//! Memory stays within a small multiple of the body: a counting allocator measures the peak
//! while a 10 MB string within the limit is parsed. Its own test binary (one test), so no other
//! test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use oneinbox_webhooks::{Event, ParseOptions};

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

#[test]
fn row_ten_megabyte_string_within_the_limit_stays_within_a_small_multiple() {
    let content = "a".repeat(10 * 1024 * 1024);
    let body = format!(
        r#"{{"event":"transcript.final","call_id":"c","messages":[{{"role":"user","content":"{content}"}}]}}"#
    );
    let opts = ParseOptions {
        max_body_bytes: 11 * 1024 * 1024,
        ..ParseOptions::default()
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
