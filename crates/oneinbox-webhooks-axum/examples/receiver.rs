//! A OneInbox webhook receiver with axum: typed events, a URL token, and a store that keeps
//! one record per call across retries and reordering (`MemoryStore` here; `SqliteStore`,
//! `RedisStore` or `PostgresStore` from `oneinbox-webhooks-stores` share it between workers).
//!
//! Run it (`just demo` does):
//!     PORT=8002 ONEINBOX_URL_TOKEN=... cargo run -p oneinbox-webhooks-axum --example receiver
//!
//! Register `https://your-host/webhooks/oneinbox?token=...` with OneInbox. `GET /calls/{id}`
//! answers the call's record as JSON.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use oneinbox_webhooks::auth::Receiver;
use oneinbox_webhooks::Event;
use oneinbox_webhooks_axum::Webhook;
use oneinbox_webhooks_stores::{Handlers, MemoryStore, Store};

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("None")
}

/// One line per handler run, as the Python and Node receivers of the demo print theirs.
fn say(event: &Event) {
    let what = match event {
        Event::CallStarted(e) => format!(
            "agent {} dialled {} from {}",
            or_none(&e.agent_id),
            or_none(&e.to_number),
            or_none(&e.from_number)
        ),
        Event::TranscriptPartial(e) => format!("{} messages so far", e.messages.len()),
        Event::TranscriptFinal(e) => format!(
            "{} messages, last: '{}'",
            e.messages.len(),
            e.messages
                .last()
                .and_then(|m| m.content.as_deref())
                .unwrap_or("")
        ),
        Event::CallEnded(e) => format!(
            "{} after {} s: {}",
            or_none(&e.status),
            e.duration_seconds
                .as_ref()
                .map_or("None".to_owned(), |n| n.to_string()),
            or_none(&e.outcome)
        ),
        Event::CallAnalyzed(e) => format!("summary: {}", or_none(&e.ai_summary)),
        Event::CallRecordingAvailable(e) => format!("recording at {}", or_none(&e.recording_url)),
        Event::CallFailed(e) => format!(
            "could not reach {}: {}",
            or_none(&e.to_number),
            or_none(&e.reason)
        ),
        other => format!("(an event this receiver does not know: {})", other.name()),
    };
    println!(
        "  [rust]   {:<25} {}  {what}",
        event.name(),
        event.call_id()
    );
}

async fn call_record(State(store): State<Arc<MemoryStore>>, Path(id): Path<String>) -> Response {
    match store.get(&id).await {
        Ok(Some(record)) => (
            [(header::CONTENT_TYPE, "application/json")],
            record.to_json(),
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("ONEINBOX_URL_TOKEN").map_err(|_| "set ONEINBOX_URL_TOKEN")?;
    let port: u16 = std::env::var("PORT").map_or(Ok(8002), |p| p.parse())?;

    let receiver = Receiver::new().with_url_tokens(&[token.as_str()])?;
    let handlers = Handlers::new().on_any(|event| async move {
        say(&event);
        Ok(())
    });
    let store = Arc::new(MemoryStore::default());
    let webhook = Webhook::with_shared_store(receiver, handlers, store.clone());
    let app = Router::new()
        .route("/webhooks/oneinbox", webhook.route())
        .route("/calls/{id}", get(call_record))
        .with_state(store);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
