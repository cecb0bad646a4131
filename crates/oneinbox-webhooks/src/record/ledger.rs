//! [`Ledger`]: the deliveries seen and the records they fold into, held in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use smallvec::SmallVec;

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
    /// Keyed by the call id the call's record keeps (one string).
    calls: HashMap<Arc<str>, Entry>,
}

/// What the ledger keeps of one call.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// The keys share their events' strings.
    keys: Keys,
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
            .entry(Arc::clone(event.shared_call_id()))
            .or_insert_with(|| Entry {
                keys: Keys::default(),
                record: Arc::new(CallRecord::with_id(Arc::clone(event.shared_call_id()))),
            });
        let new = entry.keys.insert(event.shared_key());
        // A real delivery of an event whose handlers ran through reconciliation is folded, and
        // reported as a repeat.
        let covered = new && entry.record.covers(event.name(), event.key());
        if new {
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
        let entry = self.calls.get_mut(call.id.as_str())?;
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

/// The dedupe keys of one call's deliveries. Most calls see a few, kept inline and compared
/// one by one (no allocation, no hashing of a 90-byte key); a long call's go into a set.
#[derive(Debug, Clone, Default)]
enum Keys {
    #[default]
    None,
    Few(SmallVec<[Arc<str>; FEW]>),
    Many(HashSet<Arc<str>>),
}

/// The most keys [`Keys::Few`] holds.
const FEW: usize = 4;

impl Keys {
    /// Adds `key`: whether it was not there yet.
    fn insert(&mut self, key: &Arc<str>) -> bool {
        match self {
            Keys::None => {
                *self = Keys::Few(SmallVec::from_elem(Arc::clone(key), 1));
                true
            }
            Keys::Few(few) if few.iter().any(|k| **k == **key) => false,
            Keys::Few(few) if few.len() < FEW => {
                few.push(Arc::clone(key));
                true
            }
            Keys::Few(few) => {
                let mut many: HashSet<Arc<str>> = few.drain(..).collect();
                many.insert(Arc::clone(key));
                *self = Keys::Many(many);
                true
            }
            Keys::Many(many) => !many.contains(key) && many.insert(Arc::clone(key)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Keys::None => 0,
            Keys::Few(few) => few.len(),
            Keys::Many(many) => many.len(),
        }
    }

    fn contains(&self, key: &str) -> bool {
        match self {
            Keys::None => false,
            Keys::Few(few) => few.iter().any(|k| &**k == key),
            Keys::Many(many) => many.contains(key),
        }
    }
}

/// The same set of keys, however held.
impl PartialEq for Keys {
    fn eq(&self, other: &Keys) -> bool {
        let keys = |k: &Keys| -> Vec<Arc<str>> {
            match k {
                Keys::None => Vec::new(),
                Keys::Few(few) => few.to_vec(),
                Keys::Many(many) => many.iter().cloned().collect(),
            }
        };
        self.len() == other.len() && keys(self).iter().all(|k| other.contains(k))
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

    /// A long call: its keys move from the inline list to a set, and a repeat is a repeat
    /// either way; ledgers holding the same keys in either form are equal.
    #[test]
    fn a_long_call_keeps_every_key() {
        let opts = ParseOptions::default();
        let ended = |i: usize| {
            let body = format!(r#"{{"event":"call.ended","call_id":"c","seq":{i}}}"#);
            KeyedEvent::parse(&opts, body.as_bytes()).unwrap()
        };
        let mut ledger = Ledger::new();
        for round in 0..2 {
            for i in 0..3 * FEW {
                assert_eq!(ledger.record(&ended(i)).0, round == 0, "{round} {i}");
            }
        }
        let mut few = Keys::default();
        let mut many = Keys::default();
        for i in 0..FEW {
            assert!(few.insert(ended(i).shared_key()));
        }
        for i in (0..FEW).rev() {
            assert!(many.insert(ended(i).shared_key()));
        }
        assert_eq!(few, many);
        let extra = ended(FEW);
        assert!(many.insert(extra.shared_key()) && matches!(many, Keys::Many(_)));
        assert_ne!(few, many);
        assert!(few.insert(extra.shared_key()));
        assert_eq!(few, many);
        assert!(!few.insert(extra.shared_key()));
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
