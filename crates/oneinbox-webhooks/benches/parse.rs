//! `just bench`: `parse_event` against `serde_json` decoding the same bytes into a
//! `serde_json::Value` and into plain `#[derive(Deserialize)]` structs of the same shape
//! (no validation, no duplicate-key check: the floor a typed decode can reach); and
//! `ParseOptions::validate` (the verdict alone, what the Node binding calls) against
//! serde_json reading the same bytes into `IgnoredAny` (reading the JSON and nothing else).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use oneinbox_webhooks::{parse_event, ParseOptions};
use serde::Deserialize;

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainMessage {
    role: Option<String>,
    content: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainTranscript {
    event: String,
    call_id: String,
    messages: Vec<PlainMessage>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainAnalysis {
    summary: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainCallEnded {
    event: String,
    call_id: String,
    agent_id: Option<String>,
    status: Option<String>,
    duration_seconds: Option<serde_json::Number>,
    to_number: Option<String>,
    from_number: Option<String>,
    outcome: Option<String>,
    ai_summary: Option<String>,
    analysis: Option<PlainAnalysis>,
}

fn guide(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/events")
        .join(format!("guide-{name}.json"));
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    fixture["body_text"]
        .as_str()
        .expect("body_text")
        .as_bytes()
        .to_vec()
}

/// A `transcript.final` of about 40 KB: 200 messages of realistic length.
pub fn large_transcript() -> Vec<u8> {
    let mut messages = Vec::new();
    for i in 0..200 {
        let role = if i % 2 == 0 { "agent" } else { "user" };
        let content = format!(
            "Turn {i}: thanks for calling, I can help you book a product demo; which day suits you best this week? {}",
            "ok ".repeat(30 + i % 7)
        );
        messages.push(serde_json::json!({ "role": role, "content": content }));
    }
    serde_json::to_vec(&serde_json::json!({
        "event": "transcript.final",
        "call_id": "call_abc123",
        "messages": messages,
    }))
    .expect("serializes")
}

fn bench(c: &mut Criterion) {
    let cases: Vec<(String, Vec<u8>)> = [
        "call-started",
        "call-ended",
        "call-analyzed",
        "call-failed",
        "call-recording-available",
        "transcript-partial",
        "transcript-final",
    ]
    .iter()
    .map(|n| (n.to_string(), guide(n)))
    .chain(std::iter::once((
        "transcript-final-40k".to_string(),
        large_transcript(),
    )))
    .collect();
    let strict = ParseOptions {
        strict: true,
        ..ParseOptions::default()
    };
    let lenient = ParseOptions::default();
    for (name, body) in &cases {
        let mut g = c.benchmark_group(name.as_str());
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function("parse_event", |b| b.iter(|| parse_event(body)));
        g.bench_function("parse_event_strict", |b| b.iter(|| strict.parse(body)));
        g.bench_function("validate", |b| b.iter(|| lenient.validate(body)));
        g.bench_function("serde_json_ignored_any", |b| {
            b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(body))
        });
        g.bench_function("serde_json_value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(body))
        });
        if name.starts_with("transcript") {
            g.bench_function("serde_known_struct", |b| {
                b.iter(|| serde_json::from_slice::<PlainTranscript>(body))
            });
        }
        if name == "call-ended" {
            g.bench_function("serde_known_struct", |b| {
                b.iter(|| serde_json::from_slice::<PlainCallEnded>(body))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
