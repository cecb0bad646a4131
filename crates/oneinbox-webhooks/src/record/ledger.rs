//! [`Ledger`]: the deliveries seen and the records they fold into, held in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
    calls: HashMap<String, Entry>,
}

/// What the ledger keeps of one call.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// The keys share their events' strings.
    keys: HashSet<Arc<str>>,
    /// Shared with the copies handed out ([`Ledger::record_shared`]): a change copies it
    /// only while a copy is held.
    record: Arc<CallRecord>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Claims the delivery of `event`: whether its dedupe key is new for its call (and its
    /// handlers did not already run through reconciliation: see [`CallRecord::covers`]), and
    /// the call's record with the event applied (a repeat changes nothing).
    pub fn record(&mut self, event: &KeyedEvent) -> (bool, &CallRecord) {
        let (new, record) = self.claim(event);
        (new, record)
    }

    /// [`record`](Ledger::record), handing out the record as a shared copy: it costs no copy
    /// now, and the ledger copies it when the call changes while the copy is still held. For
    /// a binding that gives the caller a record of its own per delivery.
    pub fn record_shared(&mut self, event: &KeyedEvent) -> (bool, Arc<CallRecord>) {
        let (new, record) = self.claim(event);
        (new, Arc::clone(record))
    }

    fn claim(&mut self, event: &KeyedEvent) -> (bool, &Arc<CallRecord>) {
        let entry = self
            .calls
            .entry(event.call_id().to_owned())
            .or_insert_with(|| Entry {
                keys: HashSet::new(),
                record: Arc::new(CallRecord::new(event.call_id())),
            });
        let new = !entry.keys.contains(event.key());
        // A real delivery of an event whose handlers ran through reconciliation is folded, and
        // reported as a repeat.
        let covered = new && entry.record.covers(event.name(), event.key());
        if new {
            entry.keys.insert(Arc::clone(event.shared_key()));
            Arc::make_mut(&mut entry.record).apply_keyed(event);
        }
        (new && !covered, &entry.record)
    }

    /// Folds a snapshot of a call (see [`CallRecord::apply_call`]) into the record of its call:
    /// whether the record changed, and the record; `None` when no delivery of the call was
    /// recorded (the ledger keeps no record for it).
    pub fn apply_call(
        &mut self,
        call: &crate::management::Call,
    ) -> Option<(bool, Arc<CallRecord>)> {
        let entry = self.calls.get_mut(&call.id)?;
        let changed = Arc::make_mut(&mut entry.record).apply_call(call).changed;
        Some((changed, Arc::clone(&entry.record)))
    }

    /// The record of the call `call_id`, if a delivery of it was recorded.
    pub fn get(&self, call_id: &str) -> Option<&CallRecord> {
        self.calls.get(call_id).map(|entry| &*entry.record)
    }

    /// [`get`](Ledger::get), as a shared copy (see [`record_shared`](Ledger::record_shared)).
    pub fn get_shared(&self, call_id: &str) -> Option<Arc<CallRecord>> {
        self.calls
            .get(call_id)
            .map(|entry| Arc::clone(&entry.record))
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

    /// A record handed out shared stays as it was when the ledger's changes, and the ledger's
    /// stays as it is when the copy changes.
    #[test]
    fn a_shared_record_is_copied_on_write() {
        let opts = ParseOptions::default();
        let keyed = |body: &[u8]| KeyedEvent::parse(&opts, body).unwrap();
        let started = keyed(br#"{"event":"call.started","call_id":"c","agent_id":"a"}"#);
        let ended = keyed(br#"{"event":"call.ended","call_id":"c","outcome":"Voicemail"}"#);
        let mut ledger = Ledger::new();
        let (new, first) = ledger.record_shared(&started);
        assert!(new && Arc::ptr_eq(&first, &ledger.get_shared("c").unwrap()));
        let (new, second) = ledger.record_shared(&ended);
        assert!(new && !Arc::ptr_eq(&first, &second));
        assert_eq!(first.status(), crate::CallStatus::InProgress);
        assert_eq!(first.outcome(), None);
        assert_eq!(second.status(), crate::CallStatus::Completed);
        assert_eq!(ledger.get("c"), Some(&*second));
        let (new, again) = ledger.record_shared(&ended);
        assert!(!new && Arc::ptr_eq(&again, &second));
        let mut mine = second;
        Arc::make_mut(&mut mine).apply_keyed(&keyed(br#"{"event":"call.failed","call_id":"c"}"#));
        assert_eq!(
            ledger.get("c").unwrap().status(),
            crate::CallStatus::Completed
        );
        assert_eq!(mine.status(), crate::CallStatus::Failed);
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
