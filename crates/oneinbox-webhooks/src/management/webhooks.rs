//! Webhook and delivery types: builder arguments and decoded responses.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::decode::{expect_object, parse_json, type_name, Reader};
use crate::error::{Issue, IssueCode, ValidationError};
use crate::text::{child_index, RedactedStr};

/// Arguments of [`Api::create_webhook`](super::Api::create_webhook).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateWebhook {
    /// A name for people, 1–255 characters.
    pub name: String,
    /// The delivery endpoint: an absolute `https` URL with a host and no user-info.
    pub url: String,
    /// 1–20 distinct event names out of [`EVENT_NAMES`](super::EVENT_NAMES).
    pub events: Vec<String>,
}

/// Arguments of [`Api::update_webhook`](super::Api::update_webhook). Only the fields that are
/// `Some` are sent; at least one must be.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateWebhook {
    /// A new name, 1–255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new delivery endpoint, validated like [`CreateWebhook::url`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The new full list of events (it replaces the old one), validated like
    /// [`CreateWebhook::events`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// `"active"` or `"inactive"` (the guide's words). `"disabled"`, the API reference's word
    /// for `inactive`, is accepted too. The value is sent exactly as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// Arguments of [`Api::list_deliveries`](super::Api::list_deliveries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListDeliveries {
    /// Page size, 1–200 (the server's default is 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// How many deliveries to skip, 0 or more (the server's default is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// A webhook signing secret. `Debug` never shows it; call [`Secret::expose`] to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself. Avoid logging it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"[redacted]\")")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A webhook's delivery status as the server reports it.
///
/// The guide says `active`/`inactive`, the API reference says `active`/`disabled`: both
/// `inactive` and `disabled` read as [`WebhookStatus::Inactive`]. Any other value is kept as
/// [`WebhookStatus::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookStatus {
    /// `active`: events are delivered.
    Active,
    /// `inactive` or `disabled`: delivery is paused.
    Inactive,
    /// A value this version does not know, kept as sent.
    Other(String),
}

impl WebhookStatus {
    /// Reads a status word (`disabled` reads as `Inactive`).
    pub fn from_wire(s: &str) -> Self {
        match s {
            "active" => WebhookStatus::Active,
            "inactive" | "disabled" => WebhookStatus::Inactive,
            other => WebhookStatus::Other(other.to_owned()),
        }
    }

    /// `"active"`, `"inactive"` or the unknown value as sent. This is also the JSON form.
    pub fn as_str(&self) -> &str {
        match self {
            WebhookStatus::Active => "active",
            WebhookStatus::Inactive => "inactive",
            WebhookStatus::Other(s) => s,
        }
    }
}

impl Serialize for WebhookStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A webhook as the API returns it.
///
/// Only `id` is required; the other documented members are optional because the docs'
/// examples leave some out. Unknown members are kept in `extra`. Serializing (the JSON form
/// used by the shared fixtures) writes the members that have a value, the secret included,
/// the status normalized as in [`WebhookStatus::as_str`], then `extra`.
#[derive(Clone, PartialEq, Serialize)]
pub struct Webhook {
    /// The webhook id, used by update, delete, test and list-deliveries.
    pub id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The delivery endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The subscribed event names, unknown names kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// The signing secret (redacted in `Debug`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// Active or paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookStatus>,
    /// Creation time, as sent (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update time, as sent (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn read_webhook(value: Value, path: &str, issues: &mut Vec<Issue>) -> Option<Webhook> {
    let obj = expect_object(value, path, issues)?;
    let mut r = Reader::new(obj, path, issues);
    let id = r.req_str("id");
    let name = r.opt_str("name");
    let url = r.opt_str("url");
    let events = r.opt_str_list("events");
    let secret = r.opt_str("secret").map(Secret);
    let status = r.opt_str("status").map(|s| WebhookStatus::from_wire(&s));
    let created_at = r.opt_str("created_at");
    let updated_at = r.opt_str("updated_at");
    Some(Webhook {
        id,
        name,
        url,
        events,
        secret,
        status,
        created_at,
        updated_at,
        extra: r.rest(),
    })
}

fn finish<T>(value: Option<T>, issues: Vec<Issue>) -> Result<T, ValidationError> {
    match value {
        Some(v) if issues.is_empty() => Ok(v),
        _ => Err(ValidationError::new(issues)),
    }
}

pub(crate) fn decode_webhook(body: &[u8]) -> Result<Webhook, ValidationError> {
    let value = parse_json(body)?;
    let mut issues = Vec::new();
    let hook = read_webhook(value, "", &mut issues);
    finish(hook, issues)
}

fn read_webhook_list(items: Vec<Value>, path: &str, issues: &mut Vec<Issue>) -> Vec<Webhook> {
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| read_webhook(item, &child_index(path, i), issues))
        .collect()
}

/// A bare array or an `{items, total, limit, offset}` envelope (only `items` is read).
pub(crate) fn decode_webhook_list(body: &[u8]) -> Result<Vec<Webhook>, ValidationError> {
    let value = parse_json(body)?;
    let mut issues = Vec::new();
    let list = match value {
        Value::Array(items) => Some(read_webhook_list(items, "", &mut issues)),
        Value::Object(mut obj) => match obj.shift_remove("items") {
            Some(Value::Array(items)) => Some(read_webhook_list(items, "/items", &mut issues)),
            Some(other) => {
                issues.push(Issue::new(
                    IssueCode::WrongType,
                    "/items",
                    format!("`items` must be an array, found {}", type_name(&other)),
                ));
                None
            }
            None => {
                issues.push(Issue::new(
                    IssueCode::MissingField,
                    "/items",
                    "expected a JSON array of webhooks or an object with an `items` array",
                ));
                None
            }
        },
        other => {
            issues.push(Issue::new(
                IssueCode::WrongType,
                "",
                format!(
                    "expected an array of webhooks or an object with `items`, found {}",
                    type_name(&other)
                ),
            ));
            None
        }
    };
    finish(list, issues)
}

/// One delivery attempt from a webhook's delivery history. Every member but `id` may be
/// absent or null; unknown members are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The delivery id.
    pub id: String,
    /// The webhook it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// The event name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The delivery status (no enum is documented; kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The attempt counter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i64>,
    /// The receiver's HTTP status, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_status: Option<i64>,
    /// The receiver's response body, as stored by the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// A transport or other error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next retry is due (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<String>,
    /// When the delivery finished (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// When the row was created (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn read_delivery(value: Value, path: &str, issues: &mut Vec<Issue>) -> Option<Delivery> {
    let obj = expect_object(value, path, issues)?;
    let mut r = Reader::new(obj, path, issues);
    Some(Delivery {
        id: r.req_str("id"),
        webhook_id: r.opt_str("webhook_id"),
        event: r.opt_str("event"),
        status: r.opt_str("status"),
        attempt: r.opt_int("attempt"),
        response_status: r.opt_int("response_status"),
        response_body: r.opt_str("response_body"),
        error: r.opt_str("error"),
        next_retry_at: r.opt_str("next_retry_at"),
        completed_at: r.opt_str("completed_at"),
        created_at: r.opt_str("created_at"),
        extra: r.rest(),
    })
}

/// One page of a webhook's delivery history, most recent attempt first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryPage {
    /// The deliveries on this page.
    pub items: Vec<Delivery>,
    /// How many deliveries there are in all.
    pub total: u64,
    /// The page size the server used.
    pub limit: u64,
    /// How many deliveries were skipped before this page.
    pub offset: u64,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn decode_delivery_page(body: &[u8]) -> Result<DeliveryPage, ValidationError> {
    let page = super::decode::decode_page(body, read_delivery)?;
    Ok(DeliveryPage {
        items: page.items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
        extra: page.extra,
    })
}

/// Accepts any JSON body or an empty one (delete and test answer with either).
pub(crate) fn decode_nothing(body: &[u8]) -> Result<(), ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    parse_json(body).map(|_| ())
}

// Debug output redacts secret URL tokens (`?token=...`) in URLs; the webhook secret is a
// [`Secret`], redacted on its own.
impl fmt::Debug for CreateWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateWebhook")
            .field("name", &self.name)
            .field("url", &RedactedStr(&self.url))
            .field("events", &self.events)
            .finish()
    }
}

impl fmt::Debug for UpdateWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateWebhook")
            .field("name", &self.name)
            .field("url", &self.url.as_deref().map(RedactedStr))
            .field("events", &self.events)
            .field("status", &self.status)
            .finish()
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url.as_deref().map(RedactedStr))
            .field("events", &self.events)
            .field("secret", &self.secret)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("extra", &self.extra)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_in_debug() {
        let hook = decode_webhook(br#"{"id":"wh_1","secret":"whsec_topsecret"}"#).ok();
        let text = format!("{hook:?}");
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("Secret(\"[redacted]\")"), "{text}");
        let json = hook.map(|h| serde_json::to_string(&h).unwrap_or_default());
        assert_eq!(
            json.as_deref(),
            Some(r#"{"id":"wh_1","secret":"whsec_topsecret"}"#)
        );
    }

    #[test]
    fn disabled_reads_as_inactive() {
        assert_eq!(
            WebhookStatus::from_wire("disabled"),
            WebhookStatus::Inactive
        );
        assert_eq!(
            WebhookStatus::from_wire("inactive"),
            WebhookStatus::Inactive
        );
        assert_eq!(
            WebhookStatus::from_wire("paused"),
            WebhookStatus::Other("paused".into())
        );
    }

    #[test]
    fn empty_or_any_json_is_nothing() {
        assert!(decode_nothing(b"").is_ok());
        assert!(decode_nothing(b" \n").is_ok());
        assert!(decode_nothing(b"{\"ok\":true}").is_ok());
        assert!(decode_nothing(b"<html>").is_err());
    }

    #[test]
    fn no_input_panics() {
        let samples: [&[u8]; 6] = [
            br#"{"items":[{"id":"d","attempt":1,"response_status":500,"x":{"y":[1,2.5,null]}}],"total":1,"limit":50,"offset":0}"#,
            br#"[{"id":"wh_1","events":["call.ended",1],"status":"disabled","secret":"s"}]"#,
            br#"{"id":"call_1","duration_seconds":1e308,"transcript":[{"role":"agent"}],"variables":{}}"#,
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
            br#"{"detail":[{"loc":[null,{},[]],"msg":5,"type":null},"x"]}"#,
        ];
        for sample in samples {
            for end in 0..=sample.len() {
                let body = sample.get(..end).unwrap_or_default();
                let _ = decode_webhook(body);
                let _ = decode_webhook_list(body);
                let _ = decode_delivery_page(body);
                let _ = decode_nothing(body);
                let _ = super::super::calls::decode_call(body);
                let _ = super::super::calls::decode_call_page(body);
                for status in [0, 99, 200, 302, 422, 500, 999] {
                    let _ = super::super::response::parse_error_response(
                        status,
                        body,
                        Some("k"),
                        super::super::response::Retry::Idempotent,
                    );
                }
            }
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode_webhook(deep.as_bytes()).is_err());
        let _ = super::super::response::parse_error_response(
            500,
            deep.as_bytes(),
            None,
            super::super::response::Retry::Idempotent,
        );
    }
}
