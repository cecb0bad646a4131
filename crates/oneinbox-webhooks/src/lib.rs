//! Typed, validated OneInbox webhook events and a sans-I/O management API.
#![warn(missing_docs)]

pub mod error;
pub mod management;
mod text;

pub use error::{Issue, IssueCode, UsageError, ValidationError};
pub use management::{
    Api, ApiError, HttpRequest, Method, Prepared, ResponseError, Webhook, WebhookStatus,
};
