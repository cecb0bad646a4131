//! Typed, validated OneInbox webhook events and a sans-I/O management API.
#![warn(missing_docs)]

pub mod error;
mod text;

pub use error::{Issue, IssueCode, UsageError, ValidationError};
