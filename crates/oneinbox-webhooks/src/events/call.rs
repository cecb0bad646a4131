//! The `call.*` events and the `analysis` object.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};

event_struct! {
    /// `call.started`: the call connected and the agent began the session.
    CallStarted = "call.started" {
        /// The agent handling the call.
        agent_id: String,
        /// The called number (E.164).
        to_number: String,
        /// The calling number (E.164).
        from_number: String,
        /// When the call started, an RFC 3339 date-time such as `2026-06-01T10:00:00Z`.
        created_at: String,
    }
}

event_struct! {
    /// `call.ended`: the call ended (agent or caller hung up). Carries the outcome and summary.
    CallEnded = "call.ended" {
        /// The agent that handled the call.
        agent_id: String,
        /// The call status, e.g. `completed`; unknown values are kept as sent.
        status: String,
        /// How long the call lasted, in seconds (an integer or a number on the wire).
        duration_seconds: Number,
        /// The called number (E.164).
        to_number: String,
        /// The calling number (E.164).
        from_number: String,
        /// The call outcome, e.g. `Appointment Booked`; unknown values are kept as sent.
        outcome: String,
        /// The AI-written summary of the call.
        ai_summary: String,
        /// The call analysis.
        analysis: Analysis,
    }
}

event_struct! {
    /// `call.analyzed`: the AI analysis (summary, outcome) is ready after the call.
    CallAnalyzed = "call.analyzed" {
        /// The agent that handled the call.
        agent_id: String,
        /// The call outcome; unknown values are kept as sent.
        outcome: String,
        /// The AI-written summary of the call.
        ai_summary: String,
    }
}

event_struct! {
    /// `call.failed`: the call failed to connect.
    CallFailed = "call.failed" {
        /// The agent that placed the call.
        agent_id: String,
        /// The called number (E.164).
        to_number: String,
        /// The calling number (E.164).
        from_number: String,
        /// Why the call failed, e.g. `no-answer`; unknown values are kept as sent.
        reason: String,
    }
}

event_struct! {
    /// `call.recording.available`: the recording is processed and ready.
    CallRecordingAvailable = "call.recording.available" {
        /// Where to fetch the recording (an `https` URL; it may be a signed URL that expires).
        recording_url: String,
    }
}

/// The `analysis` object of `call.ended`.
///
/// The guide shows `{ "summary": ... }`; the API's call record also documents `outcome` and
/// `extracted_data`. Strict mode requires `summary` and allows those two; lenient mode keeps
/// any other member in `extra`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// The summary of the call.
    pub summary: Option<String>,
    /// The outcome, when the analysis carries one.
    pub outcome: Option<String>,
    /// Data extracted by the agent's tools, keyed by tool name.
    pub extracted_data: Option<Map<String, Value>>,
    /// Members the contract does not list, in their original order.
    pub extra: Map<String, Value>,
}

impl Serialize for Analysis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = &self.summary {
            map.serialize_entry("summary", v)?;
        }
        if let Some(v) = &self.outcome {
            map.serialize_entry("outcome", v)?;
        }
        if let Some(v) = &self.extracted_data {
            map.serialize_entry("extracted_data", v)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
