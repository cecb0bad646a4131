//! [`MemoryInbox`]: the inbox of one process, held in memory beside its [`Ledger`] of call
//! records; the bindings' `MemoryStore` keeps the two behind a lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{Input, Policy, Row, State, Verdict};
use crate::record::{CallRecord, KeyedEvent, Ledger};

/// One delivery the inbox keeps: who it is, its raw body and its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The dedupe key.
    pub key: String,
    /// The call.
    pub call_id: String,
    /// The event name.
    pub event: String,
    /// The body as received, for a worker or a replay to run.
    pub body: Arc<[u8]>,
    /// Its progress.
    pub row: Row,
}

/// The deliveries of one process: every change of a delivery is one [`Policy::step`]; a
/// delivery is folded into its call's record in a [`Ledger`] as it arrives. At most
/// `max_deliveries` are kept: past that, the oldest done deliveries are dropped (their calls'
/// records stay in the ledger).
///
/// ```
/// use oneinbox_webhooks::inbox::{MemoryInbox, Policy, Verdict};
/// use oneinbox_webhooks::{KeyedEvent, Ledger, ParseOptions};
///
/// let body = br#"{"event":"call.ended","call_id":"call_1"}"#;
/// let event = KeyedEvent::parse(&ParseOptions::default(), body)?;
/// let (mut inbox, mut ledger) = (MemoryInbox::new(Policy::default(), 1000), Ledger::new());
/// let (verdict, _record) = inbox.arrive(&mut ledger, &event, body, 1_000);
/// assert_eq!(verdict, Verdict::Run { attempt: 1 });
/// assert_eq!(inbox.finish(event.key(), 1, Some("db down"), 2_000), Verdict::Failed { due_at: 12_000 });
/// assert_eq!(inbox.due(12_000, 10), vec![event.key().to_owned()]);
/// let (verdict, kept) = inbox.claim(event.key(), 12_000);
/// assert_eq!((verdict, &kept.unwrap().body[..]), (Verdict::Run { attempt: 2 }, &body[..]));
/// assert_eq!(inbox.finish(event.key(), 2, None, 12_100), Verdict::Done);
/// assert_eq!(inbox.arrive(&mut ledger, &event, body, 13_000).0, Verdict::Repeat);
/// # Ok::<(), oneinbox_webhooks::ValidationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MemoryInbox {
    policy: Policy,
    kept: HashMap<String, Kept>,
    /// Done deliveries by (when they were done, key): the first is dropped first.
    done: BTreeMap<(i64, String), ()>,
    max_deliveries: usize,
    /// The open calls ([`crate::reconcile::is_open`]) and when their record last changed.
    open: HashMap<String, i64>,
}

impl MemoryInbox {
    /// An empty inbox with `policy`, keeping at most `max_deliveries` deliveries (at least 1).
    pub fn new(policy: Policy, max_deliveries: usize) -> Self {
        MemoryInbox {
            policy,
            kept: HashMap::new(),
            done: BTreeMap::new(),
            max_deliveries: max_deliveries.max(1),
            open: HashMap::new(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Applies a step's row to the kept delivery `key`, keeping the done index in step.
    fn write(&mut self, key: &str, row: Row) {
        if let Some(kept) = self.kept.get_mut(key) {
            if kept.row.state == State::Done {
                self.done.remove(&(kept.row.updated_at, key.to_owned()));
            }
            if row.state == State::Done {
                self.done.insert((row.updated_at, key.to_owned()), ());
            }
            kept.row = row;
        }
    }

    fn step(&mut self, key: &str, input: &Input<'_>, now: i64) -> Verdict {
        let row = self.kept.get(key).map(|k| &k.row);
        let step = self.policy.step(row, input, now);
        if let Some(row) = step.row {
            self.write(key, row);
        }
        step.verdict
    }

    /// A copy of `event` (with its raw `body`) arrived: the verdict, and its call's record in
    /// `ledger` with the event folded in (a repeat changes nothing), shared with the ledger
    /// (copy on write).
    pub fn arrive(
        &mut self,
        ledger: &mut Ledger,
        event: &KeyedEvent,
        body: &[u8],
        now: i64,
    ) -> (Verdict, Arc<CallRecord>) {
        let key = event.key();
        let input = Input::arrival(ledger.get(event.call_id()), event.name(), key);
        let covered = input == Input::Covered;
        let step = self
            .policy
            .step(self.kept.get(key).map(|k| &k.row), &input, now);
        if let Some(row) = step.row {
            if self.kept.contains_key(key) {
                self.write(key, row);
            } else {
                self.kept.insert(
                    key.to_owned(),
                    Kept {
                        key: key.to_owned(),
                        call_id: event.call_id().to_owned(),
                        event: event.name().to_owned(),
                        body: Arc::from(body),
                        row,
                    },
                );
                self.bound();
            }
        }
        let (new, record) = ledger.record_shared(event);
        if new || covered {
            // A new delivery of the call: its record's last change.
            self.touch(&record, now);
        }
        (step.verdict, record)
    }

    /// Notes that `record` changed at `now`: keeps it among the open calls while it is open.
    fn touch(&mut self, record: &CallRecord, now: i64) {
        if crate::reconcile::is_open(record) {
            self.open.insert(record.call_id().to_owned(), now);
        } else {
            self.open.remove(record.call_id());
        }
    }

    /// The open calls (see [`crate::reconcile::is_open`]) whose record last changed at or
    /// before `changed_before`, oldest first, at most `limit`: `(call_id, changed_at)`. Costs
    /// a pass over the open calls only.
    pub fn open_calls(&self, changed_before: i64, limit: usize) -> Vec<(String, i64)> {
        let mut open: Vec<(i64, &str)> = self
            .open
            .iter()
            .filter(|(_, at)| **at <= changed_before)
            .map(|(id, at)| (*at, id.as_str()))
            .collect();
        open.sort_unstable();
        open.into_iter()
            .take(limit)
            .map(|(at, id)| (id.to_owned(), at))
            .collect()
    }

    /// Folds a snapshot into its call's record (see [`Ledger::apply_call`]); a change counts
    /// as the record's last change. `None` when the ledger has no record of the call.
    pub fn apply_call(
        &mut self,
        ledger: &mut Ledger,
        call: &crate::management::Call,
        now: i64,
    ) -> Option<(bool, Arc<CallRecord>)> {
        let (changed, record) = ledger.apply_call(call)?;
        if changed {
            self.touch(&record, now);
        }
        Some((changed, record))
    }

    /// Drops `call_id` from the open calls (a reconciler found nothing its policy expects
    /// missing); a later change of its record lists it again if it is still open.
    pub fn settle(&mut self, call_id: &str) {
        self.open.remove(call_id);
    }

    /// Drops the oldest done deliveries while more than `max_deliveries` are kept.
    fn bound(&mut self) {
        while self.kept.len() > self.max_deliveries {
            let Some(((_, key), ())) = self.done.pop_first() else {
                break;
            };
            self.kept.remove(&key);
        }
    }

    /// The handlers of claim `attempt` of `key` ended (`error`: `None` when they completed).
    pub fn finish(&mut self, key: &str, attempt: u32, error: Option<&str>, now: i64) -> Verdict {
        self.step(key, &Input::Finish { attempt, error }, now)
    }

    /// Claim `attempt` of `key` is given back without running its handlers.
    pub fn release(&mut self, key: &str, attempt: u32, reason: &str, now: i64) -> Verdict {
        self.step(key, &Input::Release { attempt, reason }, now)
    }

    /// The keys of up to `limit` deliveries due at `now`, the longest due first.
    pub fn due(&self, now: i64, limit: usize) -> Vec<String> {
        let mut due: Vec<(i64, &str)> = self
            .kept
            .values()
            .filter(|k| k.row.is_due(now))
            .map(|k| (k.row.due_at.unwrap_or(now), k.key.as_str()))
            .collect();
        due.sort_unstable();
        due.into_iter()
            .take(limit)
            .map(|(_, key)| key.to_owned())
            .collect()
    }

    /// A worker's claim of `key`: the verdict (`run` with the attempt, else what it found) and,
    /// for `run`, the delivery to run.
    pub fn claim(&mut self, key: &str, now: i64) -> (Verdict, Option<&Kept>) {
        let verdict = self.step(key, &Input::Claim, now);
        let kept = matches!(verdict, Verdict::Run { .. })
            .then(|| self.kept.get(key))
            .flatten();
        (verdict, kept)
    }

    /// Makes `key` due now with its attempts counted from 0 (a dead letter, a failed or a
    /// done delivery); `busy` while it runs, `not_due` for an unknown key.
    pub fn replay(&mut self, key: &str, now: i64) -> Verdict {
        self.step(key, &Input::Replay, now)
    }

    /// The dead letters, oldest first.
    pub fn dead(&self) -> Vec<&Kept> {
        let mut dead: Vec<&Kept> = self
            .kept
            .values()
            .filter(|k| k.row.state == State::Dead)
            .collect();
        dead.sort_unstable_by(|a, b| (a.row.updated_at, &a.key).cmp(&(b.row.updated_at, &b.key)));
        dead
    }

    /// Drops the done deliveries last changed at or before `before` (and the dead letters too
    /// with `include_dead`); the calls' records stay. The number dropped.
    pub fn prune(&mut self, before: i64, include_dead: bool) -> usize {
        let old: Vec<String> = self
            .kept
            .values()
            .filter(|k| {
                k.row.updated_at <= before
                    && (k.row.state == State::Done || include_dead && k.row.state == State::Dead)
            })
            .map(|k| k.key.clone())
            .collect();
        for key in &old {
            if let Some(kept) = self.kept.remove(key) {
                self.done.remove(&(kept.row.updated_at, kept.key));
            }
        }
        old.len()
    }

    /// The delivery `key`, if kept.
    pub fn get(&self, key: &str) -> Option<&Kept> {
        self.kept.get(key)
    }

    /// The number of deliveries kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether no delivery is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;

    fn event(call: &str, n: u32) -> (KeyedEvent, Vec<u8>) {
        let body = format!(r#"{{"event":"call.ended","call_id":"{call}","duration_seconds":{n}}}"#)
            .into_bytes();
        (
            KeyedEvent::parse(&ParseOptions::default(), &body).unwrap(),
            body,
        )
    }

    #[test]
    fn bound_drops_the_oldest_done_first() {
        let mut inbox = MemoryInbox::new(Policy::default(), 2);
        let ledger = &mut Ledger::new();
        let (a, ab) = event("c", 1);
        let (b, bb) = event("c", 2);
        let (c, cb) = event("c", 3);
        inbox.arrive(ledger, &a, &ab, 1);
        inbox.finish(a.key(), 1, None, 2);
        inbox.arrive(ledger, &b, &bb, 3);
        inbox.finish(b.key(), 1, None, 4);
        inbox.arrive(ledger, &c, &cb, 5); // three kept: a (done first) goes
        assert!(inbox.get(a.key()).is_none());
        assert!(inbox.get(b.key()).is_some() && inbox.get(c.key()).is_some());
        // The call's record stays.
        assert!(ledger.get("c").is_some());
        // Pending deliveries are never dropped: past the bound, they stay.
        let (d, db) = event("c", 4);
        inbox.arrive(ledger, &d, &db, 6);
        assert_eq!(inbox.len(), 2, "b (done) dropped, c and d pending");
        let (e, eb) = event("c", 5);
        inbox.arrive(ledger, &e, &eb, 7);
        assert_eq!(inbox.len(), 3, "nothing done left to drop");
    }

    #[test]
    fn due_prune_dead_and_replay() {
        let mut inbox = MemoryInbox::new(Policy::new(1_000, 1).unwrap(), 100);
        let ledger = &mut Ledger::new();
        let (a, ab) = event("c", 1);
        let (b, bb) = event("c", 2);
        inbox.arrive(ledger, &a, &ab, 0);
        inbox.arrive(ledger, &b, &bb, 10);
        assert_eq!(inbox.due(999, 10), Vec::<String>::new());
        assert_eq!(inbox.due(1_010, 10).len(), 2);
        assert_eq!(inbox.due(1_010, 1), vec![a.key().to_owned()]);
        assert_eq!(inbox.finish(a.key(), 1, Some("x"), 20), Verdict::Dead);
        assert_eq!(inbox.finish(b.key(), 1, None, 30), Verdict::Done);
        assert_eq!(inbox.dead().len(), 1);
        assert_eq!(inbox.prune(30, false), 1);
        assert!(inbox.get(b.key()).is_none() && inbox.get(a.key()).is_some());
        assert_eq!(inbox.replay(a.key(), 40), Verdict::Replayed);
        let (v, kept) = inbox.claim(a.key(), 40);
        assert_eq!(v, Verdict::Run { attempt: 1 });
        assert_eq!(&kept.unwrap().body[..], &ab[..]);
        assert_eq!(inbox.replay("nope", 40), Verdict::NotDue);
        assert_eq!(inbox.prune(i64::MAX, true), 0, "a runs: not pruned");
    }
}
