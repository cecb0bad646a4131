//! `just demo`: parses every payload from the OneInbox guide, prints each typed event, then
//! prints the strict-mode issue report of a broken payload.
//!
//! The guide payloads are read from the shared fixtures (`tests/fixtures/events/guide-*.json`,
//! field `body_text`), so the demo shows exactly what the tests check.

use std::path::Path;

use oneinbox_webhooks::{parse_event, Event, ParseOptions};

const GUIDE: [&str; 7] = [
    "guide-call-started",
    "guide-call-ended",
    "guide-call-analyzed",
    "guide-call-failed",
    "guide-call-recording-available",
    "guide-transcript-partial",
    "guide-transcript-final",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/events");
    println!("== The seven events of the OneInbox guide, parsed (lenient mode)\n");
    for name in GUIDE {
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json")))?)?;
        let body = fixture["body_text"]
            .as_str()
            .ok_or("fixture has no body_text")?;
        let event = parse_event(body.as_bytes())?;
        println!("{:<26} call_id={}", event.name(), event.call_id());
        match &event {
            Event::CallEnded(e) => println!(
                "    outcome={:?} duration_seconds={:?}",
                e.outcome.as_deref().unwrap_or("-"),
                e.duration_seconds.as_ref().and_then(|d| d.as_f64())
            ),
            Event::TranscriptFinal(t) => {
                for m in &t.messages {
                    println!(
                        "    {:>5}: {}",
                        m.role.as_deref().unwrap_or("?"),
                        m.content.as_deref().unwrap_or("")
                    );
                }
            }
            _ => {}
        }
        println!("    {event:?}\n");
    }

    let broken = br#"{
  "event": "call.ended",
  "call_id": "",
  "agent_id": "agt_abc123",
  "status": "completed",
  "duration_seconds": "87",
  "to_number": "919876543210",
  "from_number": "+15739693824",
  "outcome": "Appointment Booked",
  "analysis": {"summary": null, "sentiment": "positive"},
  "sentiment": "positive"
}"#;
    println!("== A broken call.ended, strict mode: every issue in one report\n");
    let strict = ParseOptions {
        strict: true,
        ..ParseOptions::default()
    };
    match strict.parse(broken) {
        Ok(event) => println!("unexpectedly accepted: {event:?}"),
        Err(report) => println!("{report}"),
    }
    Ok(())
}
