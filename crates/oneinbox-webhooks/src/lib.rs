//! Typed, validated OneInbox webhook events and a sans-I/O management API.
//!
//! ```
//! use oneinbox_webhooks::{parse_event, Event};
//!
//! let body = br#"{"event":"transcript.final","call_id":"call_abc123",
//!   "messages":[{"role":"agent","content":"Hi! How can I help you today?"}]}"#;
//! match parse_event(body)? {
//!     Event::TranscriptFinal(t) => assert_eq!(t.messages.len(), 1),
//!     other => assert!(!other.name().is_empty()), // other events: ignore or log
//! }
//! # Ok::<(), oneinbox_webhooks::ValidationError>(())
//! ```
//!
//! `match` is the router. Deliveries are retried and arrive in any order, so a receiver
//! remembers each delivery's [`dedupe_key`] (in a unique index of its database) and folds the
//! call's events into a [`CallRecord`], whose value does not depend on their order, on
//! repeats, or on which worker saw which (records [`merge`](CallRecord::merge)):
//!
//! ```
//! use std::collections::{HashMap, HashSet};
//! use oneinbox_webhooks::{dedupe_key, parse_event, CallRecord, CallStatus, Event};
//!
//! let mut seen = HashSet::new(); // stands for a unique index in your database
//! let mut calls: HashMap<String, CallRecord> = HashMap::new();
//! let deliveries: [&[u8]; 4] = [
//!     br#"{"event":"transcript.final","call_id":"call_1","messages":[]}"#,
//!     br#"{"event":"call.ended","call_id":"call_1","outcome":"Appointment Booked"}"#,
//!     br#"{"event":"call.ended","call_id":"call_1","outcome":"Appointment Booked"}"#, // a retry
//!     br#"{"event":"call.transferred","call_id":"call_1"}"#, // an event this version does not know
//! ];
//! let mut handled = 0;
//! for body in deliveries {
//!     let event = parse_event(body)?;
//!     if !seen.insert(dedupe_key(&event)) {
//!         continue; // seen before: answer 2xx and do nothing
//!     }
//!     let record = calls
//!         .entry(event.call_id().to_owned())
//!         .or_insert_with(|| CallRecord::new(event.call_id()));
//!     record.apply(&event);
//!     match &event {
//!         Event::CallEnded(e) => handled += usize::from(e.outcome.is_some()),
//!         Event::TranscriptFinal(t) => handled += 1 + t.messages.len(),
//!         Event::Unknown(u) => assert_eq!(u.event, "call.transferred"),
//!         _ => {}
//!     }
//! }
//! assert_eq!(handled, 2);
//! assert_eq!(calls["call_1"].status(), CallStatus::Completed);
//! # Ok::<(), oneinbox_webhooks::ValidationError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod answer;
pub mod auth;
// The protocol the bindings build their own values with: workspace-internal, not part of the
// semver-bound API (its shape follows the parser's needs).
#[doc(hidden)]
pub mod build;
// The contract the parser, the types and the generated files come from.
#[doc(hidden)]
pub mod contract;
pub mod doctor;
pub mod error;
pub mod events;
#[cfg(feature = "testing")]
pub mod fake;
mod formats;
#[doc(hidden)]
pub mod host;
pub mod inbox;
pub mod management;
mod parse;
mod pass;
pub mod reconcile;
pub mod record;
mod scan;
#[cfg(feature = "testing")]
pub mod send;
#[cfg(feature = "testing")]
pub mod testing;
mod text;

pub use error::{Issue, IssueCode, UsageError, ValidationError, MAX_ISSUES};
pub use events::{
    Analysis, CallAnalyzed, CallEnded, CallFailed, CallRecordingAvailable, CallStarted, Event,
    Message, Role, TranscriptFinal, TranscriptPartial, UnknownEvent, EVENT_NAMES,
};
pub use management::{
    Api, ApiError, HttpRequest, Method, Prepared, ResponseError, Webhook, WebhookStatus,
};
pub use parse::{
    parse_event, ParseOptions, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, MAX_DEPTH_CEILING,
};
pub use record::{dedupe_key, Applied, CallRecord, CallStatus, EventsSeen, KeyedEvent, Ledger};
