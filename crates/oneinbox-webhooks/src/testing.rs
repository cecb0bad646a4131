//! Realistic deliveries for your own tests (cargo feature `testing`): event bodies built from
//! the OneInbox guide's example payloads, whole calls, and deliveries signed and tokenized as
//! OneInbox sends them, so that a [`Receiver`](crate::auth::Receiver) configured with the same
//! secrets accepts them.
//!
//! Like the rest of the crate this module does no I/O: the message id and the timestamp of a
//! delivery come in as arguments (the Python and Node helpers default them to a random id and
//! the current time).
//!
//! ```
//! use oneinbox_webhooks::auth::Receiver;
//! use oneinbox_webhooks::testing::{make_call, make_delivery, make_event, DeliveryOptions};
//! use oneinbox_webhooks::{parse_event, Event, ParseOptions};
//! use serde_json::json;
//!
//! // One event, with wire-name overrides; strict mode accepts the guide's payloads.
//! let body = make_event("call.ended", &json!({"call_id": "call_42", "duration_seconds": 12}))?;
//! let strict = ParseOptions { strict: true, ..ParseOptions::default() };
//! assert!(matches!(strict.parse(&body)?, Event::CallEnded(e) if e.call_id == "call_42"));
//!
//! // A whole connected call, in the order OneInbox sends it.
//! let call = make_call("call_42");
//! assert_eq!(parse_event(&call[0])?.name(), "call.started");
//!
//! // A delivery that a receiver with the same secrets accepts.
//! let delivery = make_delivery(
//!     &body,
//!     &DeliveryOptions {
//!         url: "https://example.com/webhooks/oneinbox".into(),
//!         url_token: Some("tok_123".into()),
//!         signing_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
//!         msg_id: "msg_1".into(),
//!         timestamp: 1_700_000_000,
//!     },
//! )?;
//! let receiver = Receiver::new()
//!     .with_url_tokens(&["tok_123"])?
//!     .with_signing_secrets(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])?;
//! let event = receiver.receive(&delivery.body, &delivery.headers, Some(&delivery.url), 1_700_000_000)?;
//! assert_eq!(event.call_id(), "call_42");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::{json, Map, Value};

use crate::auth::token::check_url;
use crate::auth::{add_url_token, sign};
use crate::error::{Issue, IssueCode, UsageError};
use crate::events::EVENT_NAMES;
use crate::text::preview;

/// The call id of the guide's example payloads.
pub const GUIDE_CALL_ID: &str = "call_abc123";

/// The events of one connected call, in the order OneInbox sends them: what [`make_call`]
/// returns. `call.failed` is not among them: it fires when a call never connects, so it never
/// comes with `call.started` or `call.ended` (make it with [`make_event`]).
pub const CALL_SEQUENCE: [&str; 6] = [
    "call.started",
    "transcript.partial",
    "transcript.final",
    "call.ended",
    "call.analyzed",
    "call.recording.available",
];

/// The guide's example payload of `event` (strict-mode valid), or `None` for a name that is not
/// one of the seven documented events.
pub fn guide_payload(event: &str) -> Option<Map<String, Value>> {
    let summary = "Caller agreed to a product demo on Thursday at 3pm.";
    let greeting = json!({"role": "agent", "content": "Hi! How can I help you today?"});
    let ask = json!({"role": "user", "content": "I'd like to book a demo."});
    let value = match event {
        "call.started" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "agent_id": "agt_abc123",
            "to_number": "+919876543210", "from_number": "+15739693824",
            "created_at": "2026-06-01T10:00:00Z",
        }),
        "call.ended" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "agent_id": "agt_abc123",
            "status": "completed", "duration_seconds": 87,
            "to_number": "+919876543210", "from_number": "+15739693824",
            "outcome": "Appointment Booked", "ai_summary": summary,
            "analysis": {"summary": summary},
        }),
        "call.analyzed" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "agent_id": "agt_abc123",
            "outcome": "Appointment Booked", "ai_summary": summary,
        }),
        "call.failed" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "agent_id": "agt_abc123",
            "to_number": "+919876543210", "from_number": "+15739693824", "reason": "no-answer",
        }),
        "call.recording.available" => json!({
            "event": event, "call_id": GUIDE_CALL_ID,
            "recording_url": "https://storage.oneinbox.ai/recordings/call_abc123.mp3",
        }),
        "transcript.partial" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "messages": [greeting, ask],
        }),
        "transcript.final" => json!({
            "event": event, "call_id": GUIDE_CALL_ID, "messages": [
                greeting, ask,
                {"role": "agent", "content": "Of course! Let me get that booked for you."},
            ],
        }),
        _ => return None,
    };
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The body of one `event` delivery: the guide's payload with each member of `overrides` (an
/// object, wire names) set as given, serialized compactly in the guide's member order (new
/// members last). Overrides are not checked: a test may make an invalid body on purpose.
///
/// A name that is not one of the seven documented events, or `overrides` that is not an object
/// (or `null`), is a [`UsageError`].
pub fn make_event(event: &str, overrides: &Value) -> Result<Vec<u8>, UsageError> {
    let mut issues = Vec::new();
    let payload = guide_payload(event);
    if payload.is_none() {
        issues.push(Issue::new(
            IssueCode::InvalidValue,
            "/event",
            format!(
                "`event` must be one of {}, found {}",
                EVENT_NAMES.join(", "),
                preview(event)
            ),
        ));
    }
    let overrides = match overrides {
        Value::Object(map) => Some(map),
        Value::Null => None,
        _ => {
            issues.push(Issue::new(
                IssueCode::WrongType,
                "/overrides",
                "`overrides` must be an object of wire-name members",
            ));
            None
        }
    };
    match payload {
        Some(mut payload) if issues.is_empty() => {
            for (name, value) in overrides.into_iter().flatten() {
                payload.insert(name.clone(), value.clone());
            }
            Ok(encode(&Value::Object(payload)))
        }
        _ => Err(UsageError::new(issues)),
    }
}

/// The deliveries of one connected call with id `call_id`, in the order OneInbox sends them
/// ([`CALL_SEQUENCE`]).
pub fn make_call(call_id: &str) -> Vec<Vec<u8>> {
    CALL_SEQUENCE
        .iter()
        .filter_map(|event| guide_payload(event))
        .map(|mut payload| {
            payload.insert("call_id".into(), Value::String(call_id.to_owned()));
            encode(&Value::Object(payload))
        })
        .collect()
}

fn encode(value: &Value) -> Vec<u8> {
    // A `Value` with string keys always serializes.
    serde_json::to_vec(value).unwrap_or_default()
}

/// How [`make_delivery`] sends a body.
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// The receiver's URL, as registered with OneInbox.
    pub url: String,
    /// The secret URL token, added to the URL's query as `token=` (see
    /// [`add_url_token`]).
    pub url_token: Option<String>,
    /// The `whsec_` signing secret: the delivery then carries Standard Webhooks headers.
    pub signing_secret: Option<String>,
    /// The `webhook-id` header (used only with a signing secret).
    pub msg_id: String,
    /// The `webhook-timestamp` header, Unix seconds (used only with a signing secret).
    pub timestamp: i64,
}

impl std::fmt::Debug for DeliveryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("url", &crate::text::RedactedStr(&self.url))
            .field("url_token", &self.url_token.as_ref().map(|_| "[redacted]"))
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("msg_id", &self.msg_id)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// One delivery as OneInbox makes it: POST `body` to `url` with `headers`.
#[derive(Clone, PartialEq, Eq)]
pub struct SimulatedDelivery {
    /// The request body, unchanged.
    pub body: Vec<u8>,
    /// `content-type: application/json`, then, with a signing secret, `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature`.
    pub headers: Vec<(String, String)>,
    /// The URL to POST to, with the URL token when one was given.
    pub url: String,
}

impl std::fmt::Debug for SimulatedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedDelivery")
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("headers", &self.headers)
            .field("url", &crate::text::RedactedStr(&self.url))
            .finish()
    }
}

/// Makes the delivery of `body` that OneInbox would send with `options`. Every bad option (a
/// URL that is not absolute http(s), an empty token, a signing secret that is not `whsec_`
/// base64, an empty message id) is an issue of one [`UsageError`].
pub fn make_delivery(
    body: &[u8],
    options: &DeliveryOptions,
) -> Result<SimulatedDelivery, UsageError> {
    let mut issues = Vec::new();
    let url = match &options.url_token {
        Some(token) => add_url_token(&options.url, token),
        None => check_url(&options.url).map(|()| options.url.clone()),
    }
    .map_err(|e| issues.extend(e.into_issues()));
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(secret) = &options.signing_secret {
        match sign(secret, &options.msg_id, options.timestamp, body) {
            Ok(signature) => {
                headers.push(("webhook-id".into(), options.msg_id.clone()));
                headers.push(("webhook-timestamp".into(), options.timestamp.to_string()));
                headers.push(("webhook-signature".into(), signature));
            }
            Err(e) => issues.extend(e.into_issues().into_iter().map(|mut i| {
                if i.path == "/secret" {
                    i.path = "/signing_secret".into();
                }
                i
            })),
        }
    }
    match url {
        Ok(url) if issues.is_empty() => Ok(SimulatedDelivery {
            body: body.to_vec(),
            headers,
            url,
        }),
        _ => Err(UsageError::new(issues)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Receiver;
    use crate::{parse_event, Event, ParseOptions};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn options() -> DeliveryOptions {
        DeliveryOptions {
            url: "https://example.com/hooks?team=a".into(),
            url_token: Some("tok_TOPSECRET".into()),
            signing_secret: Some(SECRET.into()),
            msg_id: "msg_1".into(),
            timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn every_guide_payload_is_strict_valid_and_named() {
        let strict = ParseOptions {
            strict: true,
            ..ParseOptions::default()
        };
        for name in EVENT_NAMES {
            let body = make_event(name, &Value::Null).unwrap();
            let event = strict.parse(&body).unwrap();
            assert_eq!((event.name(), event.call_id()), (name, GUIDE_CALL_ID));
        }
    }

    #[test]
    fn the_payloads_are_the_guides_byte_for_byte_fixtures() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/events");
        for name in EVENT_NAMES {
            let file = dir.join(format!("guide-{}.json", name.replace('.', "-")));
            let fixture: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            let guide: Value =
                serde_json::from_str(fixture["body_text"].as_str().unwrap()).unwrap();
            let ours: Value =
                serde_json::from_slice(&make_event(name, &Value::Null).unwrap()).unwrap();
            assert_eq!(ours, guide, "{name}");
        }
    }

    #[test]
    fn overrides_set_wire_members_in_place() {
        let body = make_event(
            "call.ended",
            &json!({"duration_seconds": 3, "call_id": "call_9", "new": true}),
        )
        .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with(r#"{"event":"call.ended","call_id":"call_9","#),
            "{text}"
        );
        assert!(text.ends_with(r#","new":true}"#), "{text}");
        assert!(text.contains(r#""duration_seconds":3,"#), "{text}");
    }

    #[test]
    fn bad_names_and_overrides_are_usage_errors() {
        let e = make_event("call.exploded", &json!([1])).unwrap_err();
        let got: Vec<_> = e.issues().iter().map(|i| i.path.as_str()).collect();
        assert_eq!(got, ["/event", "/overrides"]);
        assert!(e.issues()[0].message.contains("call.started"));
    }

    #[test]
    fn a_call_shares_its_id_and_follows_the_sequence() {
        let call = make_call("call_7");
        let names: Vec<String> = call
            .iter()
            .map(|b| {
                let e = parse_event(b).unwrap();
                assert_eq!(e.call_id(), "call_7");
                e.name().to_owned()
            })
            .collect();
        assert_eq!(names, CALL_SEQUENCE);
    }

    #[test]
    fn a_delivery_is_accepted_by_a_receiver_with_the_same_secrets() {
        let body = make_event("call.failed", &Value::Null).unwrap();
        let d = make_delivery(&body, &options()).unwrap();
        assert_eq!(
            d.url,
            "https://example.com/hooks?team=a&token=tok_TOPSECRET"
        );
        let names: Vec<&str> = d.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature"
            ]
        );
        let receiver = Receiver::new()
            .with_url_tokens(&["tok_TOPSECRET"])
            .unwrap()
            .with_signing_secrets(&[SECRET])
            .unwrap();
        let event = receiver
            .receive(&d.body, &d.headers, Some(&d.url), 1_700_000_000)
            .unwrap();
        assert!(matches!(event, Event::CallFailed(_)));
        // A receiver with another token refuses it.
        let other = Receiver::new().with_url_tokens(&["tok_other"]).unwrap();
        assert!(other
            .receive(&d.body, &d.headers, Some(&d.url), 1_700_000_000)
            .is_err());
        // Secrets never show in Debug.
        let shown = format!("{d:?} {:?}", options());
        assert!(
            !shown.contains("TOPSECRET") && !shown.contains("MfKQ9"),
            "{shown}"
        );
    }

    #[test]
    fn unsigned_and_bad_deliveries() {
        let d = make_delivery(
            b"{}",
            &DeliveryOptions {
                url_token: None,
                signing_secret: None,
                ..options()
            },
        )
        .unwrap();
        assert_eq!(d.url, "https://example.com/hooks?team=a");
        assert_eq!(d.headers.len(), 1);
        let e = make_delivery(
            b"{}",
            &DeliveryOptions {
                url: "/relative".into(),
                signing_secret: Some("not-a-secret".into()),
                ..options()
            },
        )
        .unwrap_err();
        let got: Vec<_> = e.issues().iter().map(|i| i.path.as_str()).collect();
        assert_eq!(got, ["/url", "/signing_secret"]);
        let e = make_delivery(
            b"{}",
            &DeliveryOptions {
                url: "ftp://x".into(),
                url_token: None,
                ..options()
            },
        )
        .unwrap_err();
        assert_eq!(e.issues()[0].path, "/url");
    }
}
