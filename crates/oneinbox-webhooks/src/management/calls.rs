//! Calls: the arguments of [`Api::create_call`](super::Api::create_call) and
//! [`Api::list_calls`](super::Api::list_calls), the decoded [`Call`] and [`CallPage`].

use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::decode::{expect_object, parse_json, Reader};
use crate::error::{Issue, ValidationError};

/// Arguments of [`Api::create_call`](super::Api::create_call): the fields of the contract's
/// [`CREATE_CALL`](super::contract::CREATE_CALL), which holds their rules. `None` fields are
/// not sent.
#[derive(Clone, Default, PartialEq, Serialize)]
pub struct CreateCall {
    /// The agent that places the call (non-empty).
    pub agent_id: String,
    /// The number to call, E.164 (`^\+[1-9]\d{1,14}$`).
    pub to_number: String,
    /// Your OneInbox number to call from, E.164.
    pub from_number: String,
    /// A per-call webhook URL (the guide's "per-call override"), validated like
    /// [`CreateWebhook::url`](super::CreateWebhook::url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Variables for the agent's prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Map<String, Value>>,
    /// Your own metadata, stored with the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// When to place the call, RFC 3339 (now when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    /// Per-call agent overrides (`llm`, `transcriber`, `tts`, `first_message`), sent as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Map<String, Value>>,
}

/// A call as the API returns it (the `CallResponse` of the API reference).
///
/// Only `id` is required; every other documented member may be absent or null. Values are
/// kept as sent (`duration_seconds` keeps its integer or float form, `transcript` may be a
/// string or an array). Unknown members are kept in `extra`. The JSON form writes the members
/// that have a value, then `extra`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    /// The call id.
    pub id: String,
    /// The agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// `web`, `outbound` or `inbound` (kept as sent).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub call_type: Option<String>,
    /// `queued`, `initiated`, `in_progress`, `completed`, `failed`, ... (kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `inbound` or `outbound` (kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// The caller's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_number: Option<String>,
    /// The callee's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_number: Option<String>,
    /// The LiveKit room (web calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_name: Option<String>,
    /// When the call is scheduled (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    /// The variables given at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Map<String, Value>>,
    /// When the call started (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the call ended (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// The duration in seconds (integer or float, as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<Number>,
    /// Why the call ended (`api_stop`, `silence_timeout`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// Deprecated transcript: a string in the reference, an array in older pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Value>,
    /// The conversation messages, filled after the call ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Value>>,
    /// A signed recording URL (valid for a few hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
    /// `{outcome, summary, extracted_data?}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Map<String, Value>>,
    /// Latency statistics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Map<String, Value>>,
    /// Carrier cost in cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_cents: Option<Number>,
    /// Your metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Creation time (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update time (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The carrier's call id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twilio_call_sid: Option<String>,
    /// The outcome (`Appointment Booked`, `Interested`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The AI summary, after the call ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    /// Credits used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_used: Option<Number>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn read_call(value: Value, path: &str, issues: &mut Vec<Issue>) -> Option<Call> {
    let obj = expect_object(value, path, issues)?;
    let mut r = Reader::new(obj, path, issues);
    Some(Call {
        id: r.req_str("id"),
        agent_id: r.opt_str("agent_id"),
        call_type: r.opt_str("type"),
        status: r.opt_str("status"),
        direction: r.opt_str("direction"),
        from_number: r.opt_str("from_number"),
        to_number: r.opt_str("to_number"),
        room_name: r.opt_str("room_name"),
        scheduled_at: r.opt_str("scheduled_at"),
        variables: r.opt_object("variables"),
        started_at: r.opt_str("started_at"),
        ended_at: r.opt_str("ended_at"),
        duration_seconds: r.opt_number("duration_seconds"),
        end_reason: r.opt_str("end_reason"),
        transcript: r.opt_any("transcript"),
        messages: r.opt_array("messages"),
        recording_url: r.opt_str("recording_url"),
        analysis: r.opt_object("analysis"),
        latency: r.opt_object("latency"),
        cost_cents: r.opt_number("cost_cents"),
        metadata: r.opt_object("metadata"),
        created_at: r.opt_str("created_at"),
        updated_at: r.opt_str("updated_at"),
        twilio_call_sid: r.opt_str("twilio_call_sid"),
        outcome: r.opt_str("outcome"),
        ai_summary: r.opt_str("ai_summary"),
        credits_used: r.opt_number("credits_used"),
        extra: r.rest(),
    })
}

impl Call {
    /// Reads a call from its JSON (the body of `GET /v1/calls/{id}`, or a call kept as JSON),
    /// leniently: only `id` is required, unknown members are kept in `extra`.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every issue (not JSON, not an object, `id` missing, a
    /// documented member of the wrong type).
    pub fn from_json(body: &[u8]) -> Result<Call, ValidationError> {
        decode_call(body)
    }

    /// The JSON form: the members that have a value, then `extra`.
    pub fn to_json(&self) -> String {
        // A call's members are strings, numbers and JSON values: it always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

pub(crate) fn decode_call(body: &[u8]) -> Result<Call, ValidationError> {
    let value = parse_json(body)?;
    let mut issues = Vec::new();
    let call = read_call(value, "", &mut issues);
    match call {
        Some(c) if issues.is_empty() => Ok(c),
        _ => Err(ValidationError::new(issues)),
    }
}

/// Arguments of [`Api::list_calls`](super::Api::list_calls): the query of the contract's
/// [`LIST_CALLS`](super::contract::LIST_CALLS), which holds their rules. `None` fields are not
/// sent (the server's defaults: every agent and status, `limit` 20, `offset` 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListCalls {
    /// Only the calls of this agent (non-empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Only the calls with this status (non-empty; `queued`, `in_progress`, `completed`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Page size, 1–100 (the server's default is 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// How many calls to skip, 0 or more (the server's default is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// One page of the account's calls, most recent first (`GET /v1/calls`).
///
/// Decoded leniently: unknown members are kept in `extra` (and in each call's `extra`); an item
/// that is not a valid [`Call`] is an issue at its JSON Pointer (`/items/3/id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallPage {
    /// The calls on this page.
    pub items: Vec<Call>,
    /// How many calls match in all.
    pub total: u64,
    /// The page size the server used.
    pub limit: u64,
    /// How many calls were skipped before this page.
    pub offset: u64,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn decode_call_page(body: &[u8]) -> Result<CallPage, ValidationError> {
    let page = super::decode::decode_page(body, read_call)?;
    Ok(CallPage {
        items: page.items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
        extra: page.extra,
    })
}

// Debug output redacts a secret URL token in the per-call `webhook_url`.
impl std::fmt::Debug for CreateCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateCall")
            .field("agent_id", &self.agent_id)
            .field("to_number", &self.to_number)
            .field("from_number", &self.from_number)
            .field(
                "webhook_url",
                &self.webhook_url.as_deref().map(crate::text::RedactedStr),
            )
            .field("variables", &self.variables)
            .field("metadata", &self.metadata)
            .field("scheduled_at", &self.scheduled_at)
            .field("overrides", &self.overrides)
            .finish()
    }
}
