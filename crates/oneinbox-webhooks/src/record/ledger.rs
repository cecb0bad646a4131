//! [`Ledger`]: the deliveries seen and the records they fold into, held in memory.

use std::collections::{HashMap, HashSet};

use super::{CallRecord, KeyedEvent};

/// What an in-memory store keeps: per call, the dedupe keys of the deliveries seen and the
/// record they fold into. [`record`](Ledger::record) claims one delivery; the bindings'
/// `MemoryStore` is this ledger behind a lock.
///
/// ```
/// use oneinbox_webhooks::{KeyedEvent, Ledger, ParseOptions};
///
/// let opts = ParseOptions::default();
/// let ended = KeyedEvent::parse(&opts, br#"{"event":"call.ended","call_id":"call_1"}"#)?;
/// let mut ledger = Ledger::new();
/// let (new, record) = ledger.record(&ended);
/// assert!(new);
/// assert_eq!(record.events_seen().len(), 1);
/// let (new, _) = ledger.record(&ended); // a retried delivery
/// assert!(!new);
/// assert!(ledger.get("call_1").is_some() && ledger.get("call_2").is_none());
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Boxed: a record is large, and the map moves its values when it grows.
    calls: HashMap<String, Box<(HashSet<String>, CallRecord)>>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Claims the delivery of `event`: whether its dedupe key is new for its call, and the
    /// call's record with the event applied (a repeat changes nothing).
    pub fn record(&mut self, event: &KeyedEvent) -> (bool, &CallRecord) {
        let (keys, record) = &mut **self
            .calls
            .entry(event.call_id().to_owned())
            .or_insert_with(|| Box::new((HashSet::new(), CallRecord::new(event.call_id()))));
        let new = !keys.contains(event.key());
        if new {
            keys.insert(event.key().to_owned());
            record.apply_keyed(event);
        }
        (new, record)
    }

    /// The record of the call `call_id`, if a delivery of it was recorded.
    pub fn get(&self, call_id: &str) -> Option<&CallRecord> {
        self.calls.get(call_id).map(|entry| &entry.1)
    }

    /// The number of calls seen.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no delivery was recorded.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;
    use serde_json::Value;

    fn body(delivery: &Value, root: &std::path::Path) -> Vec<u8> {
        let d = match delivery.get("fixture").and_then(Value::as_str) {
            Some(path) => serde_json::from_slice(&std::fs::read(root.join(path)).unwrap()).unwrap(),
            None => delivery.clone(),
        };
        match (d.get("body_text"), d.get("body")) {
            (Some(Value::String(text)), _) => text.clone().into_bytes(),
            (_, Some(body)) => serde_json::to_vec(body).unwrap(),
            _ => panic!("no body"),
        }
    }

    /// Every call fixture: a delivery is new exactly when its key was not seen before, and
    /// the ledger's record is the fold of the deliveries.
    #[test]
    fn every_call_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut checked = 0;
        for entry in std::fs::read_dir(root.join("calls")).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".schema.json") {
                continue;
            }
            let fixture: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut ledger = Ledger::new();
            let mut seen = HashSet::new();
            let mut folded: HashMap<String, CallRecord> = HashMap::new();
            for delivery in fixture["deliveries"].as_array().unwrap() {
                let bytes = body(delivery, &root);
                let opts = ParseOptions::default();
                let event = opts.parse(&bytes).unwrap();
                let keyed = KeyedEvent::parse(&opts, &bytes).unwrap();
                let (new, record) = ledger.record(&keyed);
                assert_eq!(new, seen.insert(keyed.key().to_owned()), "{path:?}");
                let fold = folded
                    .entry(event.call_id().to_owned())
                    .or_insert_with(|| CallRecord::new(event.call_id()));
                fold.apply(&event);
                assert_eq!(record, &*fold, "{path:?}");
            }
            for (call_id, fold) in &folded {
                assert_eq!(ledger.get(call_id), Some(fold), "{path:?}");
            }
            assert_eq!(ledger.len(), folded.len());
            checked += 1;
        }
        assert!(checked >= 16, "{checked}");
    }
}
