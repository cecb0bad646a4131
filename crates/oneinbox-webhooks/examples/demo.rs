//! `just demo`: parses every payload from the OneInbox guide, prints each typed event, prints
//! the strict-mode issue report of a broken payload, then shows the sans-I/O management API
//! (a prepared request with a secret URL token) and an authenticated receiver refusing a forged
//! delivery.
//!
//! The guide payloads are read from the shared fixtures (`tests/fixtures/events/guide-*.json`,
//! field `body_text`), so the demo shows exactly what the tests check.

use std::path::Path;

use oneinbox_webhooks::auth::{add_url_token, ReceiveError, Receiver};
use oneinbox_webhooks::management::{Api, CreateWebhook};
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
                        m.role.as_ref().map_or("?", |r| r.as_str()),
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

    println!("\n== Registering a webhook: a request value to send with any HTTP client\n");
    // A fixed token for a reproducible demo; real code draws 32 random bytes (the Python and
    // Node packages have new_url_token() / newUrlToken()).
    let token = "tok_demo_5f1c0e9a7b3d4e2f";
    let url = add_url_token("https://your-server.com/webhooks/oneinbox", token)?;
    let api = Api::new("oi_sk_demo_key_not_real")?;
    let prepared = api.create_webhook(&CreateWebhook {
        name: "Call events".into(),
        url,
        events: vec!["call.ended".into(), "transcript.final".into()],
    })?;
    println!("{:#?}", prepared.request());
    let response = br#"{"id":"wh_abc123","name":"Call events","url":"https://your-server.com/webhooks/oneinbox?token=tok_demo_5f1c0e9a7b3d4e2f","events":["call.ended","transcript.final"],"secret":"whsec_not_shown","status":"active","created_at":"2026-06-01T10:00:00Z","updated_at":"2026-06-01T10:00:00Z"}"#;
    let webhook = prepared.parse_response(201, response)?;
    println!("\nparsed response: {webhook:?}");

    println!("\n== Receiving: the token authenticates each delivery\n");
    let receiver = Receiver::new().with_url_tokens(&[token])?;
    let body = br#"{"event":"call.started","call_id":"call_abc123"}"#;
    let headers: [(&str, &str); 0] = [];
    let now = 1_780_000_000; // the caller's clock; the core reads none
    for url in [
        "/webhooks/oneinbox?token=tok_demo_5f1c0e9a7b3d4e2f",
        "/webhooks/oneinbox?token=guessed",
    ] {
        match receiver.receive(body, &headers, Some(url), now) {
            Ok(event) => println!("{url:<52} -> accepted {} {}", event.name(), event.call_id()),
            Err(ReceiveError::Unauthenticated(v)) => {
                println!("{url:<52} -> refused: {}", v.code)
            }
            Err(ReceiveError::Invalid(report)) => println!("{url:<52} -> invalid: {report}"),
        }
    }
    Ok(())
}
