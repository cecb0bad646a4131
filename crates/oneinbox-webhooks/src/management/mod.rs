//! The sans-I/O management API: build requests, send them with any HTTP client, read the
//! responses.
//!
//! Nothing here touches the network, a file or the clock. [`Api`] validates the API key and
//! base URL; each builder validates its arguments (collecting every problem into one
//! [`UsageError`](crate::UsageError) with JSON Pointer paths into the arguments) and returns a
//! [`Prepared`] request. Send [`Prepared::request`] yourself, then hand the status and body to
//! [`Prepared::parse_response`]:
//!
//! ```
//! use oneinbox_webhooks::management::{Api, CreateWebhook, ResponseError};
//!
//! let api = Api::new("oi_sk_live_abc123")?;
//! let prepared = api.create_webhook(&CreateWebhook {
//!     name: "Call events".into(),
//!     url: "https://example.com/hooks/oneinbox".into(),
//!     events: vec!["call.started".into(), "call.ended".into()],
//! })?;
//!
//! let req = prepared.request();
//! assert_eq!(req.method.as_str(), "POST");
//! assert_eq!(req.url, "https://api.oneinbox.ai/v1/webhooks");
//! assert_eq!(req.header("content-type"), Some("application/json"));
//!
//! // Your HTTP client sends `req` and gives back (status, body):
//! match prepared.parse_response(422, br#"{"detail":[{"loc":["body","events",1],"msg":"bad","type":"enum"}]}"#) {
//!     Err(ResponseError::Api(e)) => {
//!         assert_eq!(e.status, 422);
//!         assert_eq!(e.details[0].path, "/events/1");
//!         assert!(!e.retryable);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where the OneInbox docs conflict, both readings are accepted: `call.analyzed` is a valid
//! event name (the guide lists it, the API enum does not), and a webhook's status may be set to
//! `inactive` (the guide) or `disabled` (the API enum); responses with either read as
//! [`WebhookStatus::Inactive`].

mod api;
mod calls;
pub mod contract;
mod decode;
mod request;
mod response;
mod retry;
mod webhooks;

pub use api::{Api, ClientEnv, API_KEY_VAR, BASE_URL_VAR, DEFAULT_BASE_URL, EVENT_NAMES};
pub use calls::{Call, CallPage, CreateCall, ListCalls};
pub use contract::WEBHOOK_STATUSES;
pub use request::{AnyPrepared, AnyResponse, HttpRequest, Method, Prepared};
#[cfg(feature = "testing")]
pub(crate) use response::reason_phrase;
pub use response::{is_retryable_status, retry_after, ApiError, ResponseError, Retry};
pub use retry::{
    GiveUp, Outcome, Step, BACKOFF_BASE, BACKOFF_CAP, DEFAULT_MAX_RETRIES, RETRY_AFTER_CAP,
};
pub use webhooks::{
    CreateWebhook, Delivery, DeliveryPage, ListDeliveries, Secret, UpdateWebhook, Webhook,
    WebhookStatus,
};
// The delivery doctor reads its JSON input with the response readers.
pub(crate) use calls::decode_call;
pub(crate) use decode::type_name as json_type_name;
pub(crate) use webhooks::{read_delivery, read_webhook};
