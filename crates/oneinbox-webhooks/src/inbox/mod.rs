//! The inbox: where each delivery stands between its arrival and the end of its handlers, so
//! that every authenticated delivery's handlers complete at least once, across handler errors,
//! store errors, crashes and early answers.
//!
//! A store keeps one [`Row`] per delivery (next to the delivery's dedupe key, call id, event name
//! and raw body). Each change of a row is one [`Policy::step`]: the row as read, what happened
//! ([`Input`]) and the time. The step says what to write (if anything) and what it means
//! ([`Verdict`]). A store reads the row, asks the step and writes its answer in one atomic unit
//! (an SQLite transaction, a Redis script, a Postgres row lock); it decides nothing itself.
//!
//! ```text
//!             arrive / claim (due)                 finish(done)
//!   (none) ───────────────────────▶ claimed ─────────────────────────▶ done
//!                                   │   ▲  │ finish(error), attempts < max
//!                                   │   │  ▼
//!                 lease ran out ──▶ │   └─ failed (due again after a backoff)
//!                                   │ finish(error) or lease out, attempts = max
//!                                   ▼
//!                                  dead ── replay ──▶ failed (due now, attempts from 0)
//! ```
//!
//! Every time is Unix milliseconds, passed in. A row is *due* when its [`Row::due_at`] has come:
//! a failed delivery's next try, or a claim's lease end (a worker that died mid-run). Done and
//! dead rows are never due. So a store's worker asks for `due_at <= now` and nothing else.
//!
//! ```
//! use oneinbox_webhooks::inbox::{Input, Policy, State, Verdict};
//!
//! let policy = Policy::default(); // a 60 s lease, 10 attempts
//! // The delivery arrives: claim it and run the handlers.
//! let step = policy.step(None, &Input::Arrive, 1_000);
//! assert_eq!(step.verdict, Verdict::Run { attempt: 1 });
//! let claimed = step.row.expect("a first arrival writes its claim");
//! assert_eq!((claimed.state, claimed.due_at), (State::Claimed, Some(61_000)));
//!
//! // The handler raised: the delivery is due again after a backoff (answer 500).
//! let failed = policy.step(Some(&claimed), &Input::Finish { attempt: 1, error: Some("db down") }, 2_000);
//! assert_eq!(failed.verdict, Verdict::Failed { due_at: 12_000 });
//! let failed = failed.row.expect("a failure is written");
//!
//! // OneInbox retries: run the handlers again, then mark the delivery done.
//! let again = policy.step(Some(&failed), &Input::Arrive, 5_000);
//! assert_eq!(again.verdict, Verdict::Run { attempt: 2 });
//! let done = policy.step(again.row.as_ref(), &Input::Finish { attempt: 2, error: None }, 5_100);
//! assert_eq!(done.verdict, Verdict::Done);
//!
//! // A third copy: nothing to run (answer 204).
//! assert_eq!(policy.step(done.row.as_ref(), &Input::Arrive, 9_000).verdict, Verdict::Repeat);
//! ```

use std::fmt;
use std::str::FromStr;

mod memory;
pub mod redis;

pub use memory::{Kept, MemoryInbox};

use crate::error::UsageError;
use crate::host::{self, HostNumber};

/// How long a claim lasts unless told otherwise: a claim whose handlers have not finished by
/// then is due again.
pub const DEFAULT_LEASE_MS: u64 = 60_000;
/// How many times a delivery's handlers are started before it is dead, unless told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;
/// The wait before the second attempt after a failure; it doubles with each failed attempt.
pub const BACKOFF_BASE_MS: u64 = 10_000;
/// The longest wait between two attempts.
pub const BACKOFF_CAP_MS: u64 = 3_600_000;
/// The longest lease a store takes (one day).
pub const MAX_LEASE_MS: u64 = 86_400_000;
/// The most attempts a policy allows.
pub const MAX_MAX_ATTEMPTS: u32 = 1_000;

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// One worker runs its handlers now, until its lease ends ([`Row::due_at`]).
    Claimed,
    /// Its handlers completed. Never run again unless replayed.
    Done,
    /// Its handlers failed (or a claim was given back); due again at [`Row::due_at`].
    Failed,
    /// Its handlers failed `max_attempts` times; kept, with the last error, until replayed.
    Dead,
}

impl State {
    /// Every state.
    pub const ALL: [State; 4] = [State::Claimed, State::Done, State::Failed, State::Dead];

    /// The stable name a store writes: `claimed`, `done`, `failed` or `dead`.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Claimed => "claimed",
            State::Done => "done",
            State::Failed => "failed",
            State::Dead => "dead",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`State::as_str`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown inbox state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for State {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// What a store keeps about one delivery's progress (besides its key, call id, event name and
/// raw body, which never change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where it stands.
    pub state: State,
    /// How many times its handlers were started (the attempt number of the last claim).
    pub attempts: u32,
    /// When it is due: a claim's lease end, a failure's next try; `None` when done or dead.
    pub due_at: Option<i64>,
    /// The last failure's text, kept through later states until a success.
    pub last_error: Option<String>,
    /// When the row last changed.
    pub updated_at: i64,
}

impl Row {
    /// Whether a worker should take it now: its `due_at` has come.
    pub fn is_due(&self, now: i64) -> bool {
        self.due_at.is_some_and(|due| due <= now)
    }
}

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A copy of it arrived at a receiver (the first delivery or one of OneInbox's retries).
    Arrive,
    /// A copy of it arrived, and its call's record says that the event's handlers already ran
    /// through reconciliation ([`CallRecord::covers`](crate::CallRecord::covers)): a new
    /// delivery is written done without running its handlers ([`Verdict::Repeat`]); one
    /// already kept steps as [`Input::Arrive`].
    Covered,
    /// A worker found it due and wants to run it.
    Claim,
    /// The handlers of claim `attempt` ended: `error` is `None` when they completed, else the
    /// failure's text.
    Finish {
        /// The attempt number its claim got ([`Verdict::Run`]).
        attempt: u32,
        /// The failure, if the handlers failed.
        error: Option<&'a str>,
    },
    /// Claim `attempt` is given back without running its handlers (a store step after the
    /// claim failed): due now, the attempt not counted. `reason` is kept as the last error.
    Release {
        /// The attempt number its claim got.
        attempt: u32,
        /// Why it was given back.
        reason: &'a str,
    },
    /// Run it again on purpose: a dead letter, a failed or a done delivery is due now, with
    /// its attempts counted from 0.
    Replay,
}

impl Input<'_> {
    /// The input of a copy of a delivery that arrived, from its call's record as it was before
    /// the copy is folded in (`None`: no record yet): [`Input::Covered`] when the record says
    /// the event's handlers already ran ([`CallRecord::covers`](crate::CallRecord::covers)),
    /// else [`Input::Arrive`]. Every store asks this one question.
    pub fn arrival(record: Option<&crate::CallRecord>, name: &str, key: &str) -> Input<'static> {
        if record.is_some_and(|r| r.covers(name, key)) {
            Input::Covered
        } else {
            Input::Arrive
        }
    }
}

/// What a step means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Run the handlers now, as attempt `attempt`; then send [`Input::Finish`] with it.
    Run {
        /// The claim's attempt number (1 for the first run).
        attempt: u32,
    },
    /// Its handlers already completed: run nothing (a receiver answers 2xx).
    Repeat,
    /// Another worker's live claim runs it now: run nothing, and let OneInbox try again after
    /// `retry_after_ms` (a receiver answers 409 with `Retry-After`), so the handlers never run
    /// twice at the same time.
    Busy {
        /// The time left on the live claim.
        retry_after_ms: u64,
    },
    /// It is dead (now or before): run nothing; it waits for a replay.
    Dead,
    /// Not due (a worker lost the race for it, or it is done or dead): run nothing.
    NotDue,
    /// The handlers' completion is recorded.
    Done,
    /// The failure is recorded; a worker (or OneInbox's retry) runs it again from `due_at`.
    Failed {
        /// When it is due again.
        due_at: i64,
    },
    /// The claim was given back; it is due now.
    Released,
    /// It is due now, its attempts counted from 0.
    Replayed,
    /// The finish or release names a claim that is no longer the row's (its lease ran out and
    /// another worker took it): nothing is written.
    Stale,
}

impl Verdict {
    /// The stable name: `run`, `repeat`, `busy`, `dead`, `not_due`, `done`, `failed`,
    /// `released`, `replayed` or `stale`.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Run { .. } => "run",
            Verdict::Repeat => "repeat",
            Verdict::Busy { .. } => "busy",
            Verdict::Dead => "dead",
            Verdict::NotDue => "not_due",
            Verdict::Done => "done",
            Verdict::Failed { .. } => "failed",
            Verdict::Released => "released",
            Verdict::Replayed => "replayed",
            Verdict::Stale => "stale",
        }
    }
}

impl Verdict {
    /// The verdict named `name` (see [`Verdict::name`]) with its number: the attempt for
    /// `run`, the milliseconds for `busy`, the due time for `failed` (ignored otherwise; out of
    /// range saturates). `None` for an unknown name.
    pub fn from_name(name: &str, number: i64) -> Option<Verdict> {
        let unsigned = u64::try_from(number.max(0)).unwrap_or(0);
        Some(match name {
            "run" => Verdict::Run {
                attempt: u32::try_from(unsigned).unwrap_or(u32::MAX),
            },
            "repeat" => Verdict::Repeat,
            "busy" => Verdict::Busy {
                retry_after_ms: unsigned,
            },
            "dead" => Verdict::Dead,
            "not_due" => Verdict::NotDue,
            "done" => Verdict::Done,
            "failed" => Verdict::Failed { due_at: number },
            "released" => Verdict::Released,
            "replayed" => Verdict::Replayed,
            "stale" => Verdict::Stale,
            _ => return None,
        })
    }
}

/// One step's result: the row to write (`None`: write nothing) and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The new row, to write in the same atomic unit as the read; `None` when nothing changes.
    pub row: Option<Row>,
    /// What the caller does next.
    pub verdict: Verdict,
}

/// How long a claim lasts and how many attempts a delivery gets: the inbox's only settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    lease_ms: u64,
    max_attempts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            lease_ms: DEFAULT_LEASE_MS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl Policy {
    /// A policy with a lease of `lease_ms` (1 ms to [`MAX_LEASE_MS`]) and `max_attempts`
    /// (1 to [`MAX_MAX_ATTEMPTS`]).
    pub fn new(lease_ms: u64, max_attempts: u32) -> Result<Self, UsageError> {
        let mut issues = Vec::new();
        if !(1..=MAX_LEASE_MS).contains(&lease_ms) {
            issues.push(host::issue(
                "lease_ms",
                "from 1 to 86400000 milliseconds",
                lease_ms,
            ));
        }
        if !(1..=MAX_MAX_ATTEMPTS).contains(&max_attempts) {
            issues.push(host::issue("max_attempts", "from 1 to 1000", max_attempts));
        }
        if issues.is_empty() {
            Ok(Policy {
                lease_ms,
                max_attempts,
            })
        } else {
            Err(UsageError::new(issues))
        }
    }

    /// The policy from a host language's arguments, named as that language names them
    /// (`lease`/`max_attempts` in Python, `lease`/`maxAttempts` in Node): `lease` in seconds,
    /// more than 0 and at most a day (a fraction is rounded up to whole milliseconds);
    /// `max_attempts` a whole number from 1 to 1000.
    pub fn from_host(
        lease: HostNumber,
        max_attempts: HostNumber,
        names: (&str, &str),
    ) -> Result<Self, UsageError> {
        let mut issues = Vec::new();
        let seconds = match lease {
            HostNumber::Int(n) => n as f64,
            HostNumber::Float(f) => f,
        };
        let lease_ms = if seconds > 0.0 && seconds <= (MAX_LEASE_MS / 1000) as f64 {
            // In range, so the product fits a u64 exactly enough; `as` cannot wrap here.
            (seconds * 1000.0).ceil() as u64
        } else {
            issues.push(host::issue(
                names.0,
                "a number of seconds more than 0 and at most 86400",
                lease,
            ));
            0
        };
        let attempts = match max_attempts {
            HostNumber::Int(n) => Some(n),
            HostNumber::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(f as i128),
            HostNumber::Float(_) => None,
        }
        .filter(|n| (1..=i128::from(MAX_MAX_ATTEMPTS)).contains(n))
        .and_then(|n| u32::try_from(n).ok());
        if attempts.is_none() {
            issues.push(host::issue(
                names.1,
                "a whole number from 1 to 1000",
                max_attempts,
            ));
        }
        match (issues.is_empty(), attempts) {
            (true, Some(max_attempts)) => Ok(Policy {
                lease_ms,
                max_attempts,
            }),
            _ => Err(UsageError::new(issues)),
        }
    }

    /// How long a claim lasts, in milliseconds.
    pub fn lease_ms(&self) -> u64 {
        self.lease_ms
    }

    /// How many times a delivery's handlers are started before it is dead.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after failed attempt number `attempt` (1 for the first):
    /// [`BACKOFF_BASE_MS`] doubled for each earlier failure, at most [`BACKOFF_CAP_MS`].
    pub fn backoff_ms(attempt: u32) -> u64 {
        let doublings = attempt.saturating_sub(1).min(32);
        BACKOFF_BASE_MS
            .saturating_mul(1u64 << doublings)
            .min(BACKOFF_CAP_MS)
    }

    /// The next step of a delivery whose row is `row` (`None`: the store has none) when
    /// `input` happens at `now`.
    pub fn step(&self, row: Option<&Row>, input: &Input<'_>, now: i64) -> Step {
        match (*input, row) {
            (Input::Arrive, None) => self.claim(1, None, now),
            (Input::Covered, None) => write(
                Row {
                    state: State::Done,
                    attempts: 0,
                    due_at: None,
                    last_error: None,
                    updated_at: now,
                },
                Verdict::Repeat,
            ),
            (Input::Arrive | Input::Covered, Some(row)) => match row.state {
                State::Done => keep(Verdict::Repeat),
                State::Dead => keep(Verdict::Dead),
                State::Claimed if !row.is_due(now) => keep(Verdict::Busy {
                    retry_after_ms: lease_left(row, now),
                }),
                // A retry from OneInbox runs a failed delivery at once, before its due time:
                // it is the sender's own schedule; and it takes over a claim whose lease ran out.
                State::Claimed | State::Failed => self.take(row, now),
            },
            (Input::Claim, Some(row)) if row.is_due(now) => self.take(row, now),
            (Input::Claim, _) => keep(Verdict::NotDue),
            (Input::Finish { attempt, error }, Some(row)) => self.finish(row, attempt, error, now),
            (Input::Release { attempt, reason }, Some(row))
                if row.state == State::Claimed && row.attempts == attempt =>
            {
                write(
                    Row {
                        state: State::Failed,
                        attempts: attempt.saturating_sub(1),
                        due_at: Some(now),
                        last_error: Some(reason.to_owned()),
                        updated_at: now,
                    },
                    Verdict::Released,
                )
            }
            (Input::Finish { .. } | Input::Release { .. }, _) => keep(Verdict::Stale),
            (Input::Replay, Some(row)) => match row.state {
                State::Claimed if !row.is_due(now) => keep(Verdict::Busy {
                    retry_after_ms: lease_left(row, now),
                }),
                _ => write(
                    Row {
                        state: State::Failed,
                        attempts: 0,
                        due_at: Some(now),
                        last_error: row.last_error.clone(),
                        updated_at: now,
                    },
                    Verdict::Replayed,
                ),
            },
            (Input::Replay, None) => keep(Verdict::NotDue),
        }
    }

    /// A new claim for attempt `attempt`.
    fn claim(&self, attempt: u32, last_error: Option<String>, now: i64) -> Step {
        write(
            Row {
                state: State::Claimed,
                attempts: attempt,
                due_at: Some(after(now, self.lease_ms)),
                last_error,
                updated_at: now,
            },
            Verdict::Run { attempt },
        )
    }

    /// Takes a failed row or an expired claim: the next attempt, or dead when none is left.
    fn take(&self, row: &Row, now: i64) -> Step {
        if row.attempts >= self.max_attempts {
            let error = match (&row.last_error, row.state) {
                // The last claim never finished: its worker died (or hung) with it.
                (_, State::Claimed) => Some(format!(
                    "attempt {} did not finish within its lease",
                    row.attempts
                )),
                (error, _) => error.clone(),
            };
            return write(
                Row {
                    state: State::Dead,
                    attempts: row.attempts,
                    due_at: None,
                    last_error: error,
                    updated_at: now,
                },
                Verdict::Dead,
            );
        }
        self.claim(row.attempts.saturating_add(1), row.last_error.clone(), now)
    }

    fn finish(&self, row: &Row, attempt: u32, error: Option<&str>, now: i64) -> Step {
        let current = row.state == State::Claimed && row.attempts == attempt;
        match error {
            // A completion is recorded even from a claim that lost its lease: the work was
            // done, so nothing should run it again.
            None if row.state == State::Done => keep(Verdict::Stale),
            None => write(
                Row {
                    state: State::Done,
                    attempts: row.attempts,
                    due_at: None,
                    last_error: None,
                    updated_at: now,
                },
                Verdict::Done,
            ),
            Some(_) if !current => keep(Verdict::Stale),
            Some(error) if attempt >= self.max_attempts => write(
                Row {
                    state: State::Dead,
                    attempts: attempt,
                    due_at: None,
                    last_error: Some(error.to_owned()),
                    updated_at: now,
                },
                Verdict::Dead,
            ),
            Some(error) => {
                let due_at = after(now, Policy::backoff_ms(attempt));
                write(
                    Row {
                        state: State::Failed,
                        attempts: attempt,
                        due_at: Some(due_at),
                        last_error: Some(error.to_owned()),
                        updated_at: now,
                    },
                    Verdict::Failed { due_at },
                )
            }
        }
    }
}

fn after(now: i64, ms: u64) -> i64 {
    now.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn lease_left(row: &Row, now: i64) -> u64 {
    row.due_at
        .map_or(0, |due| u64::try_from(due.saturating_sub(now)).unwrap_or(0))
}

fn keep(verdict: Verdict) -> Step {
    Step { row: None, verdict }
}

fn write(row: Row, verdict: Verdict) -> Step {
    Step {
        row: Some(row),
        verdict,
    }
}

/// The cut-off for pruning: rows of done deliveries last changed at or before it may be
/// dropped (dead letters only when asked), `older_than_ms` before `now`.
pub fn prune_before(now: i64, older_than_ms: u64) -> i64 {
    now.saturating_sub(i64::try_from(older_than_ms).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Arrive,
        Claim,
        Finish(bool),
        FinishOld(bool),
        Release,
        Replay,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Arrive),
            Just(Op::Claim),
            any::<bool>().prop_map(Op::Finish),
            any::<bool>().prop_map(Op::FinishOld),
            Just(Op::Release),
            Just(Op::Replay),
        ]
    }

    proptest! {
        /// Over any sequence of arrivals, claims, finishes (current or stale), releases and
        /// replays at increasing times: a run is never granted while another claim is live;
        /// attempts never pass `max_attempts`; a delivery is dead only after its last allowed
        /// attempt; done stays done unless replayed; only due rows are claimed by workers.
        #[test]
        fn the_inbox_laws(
            ops in proptest::collection::vec((op(), 0i64..40_000), 1..60),
            max_attempts in 1u32..5,
        ) {
            let policy = Policy::new(30_000, max_attempts).unwrap();
            let mut row: Option<Row> = None;
            let mut now = 0i64;
            for (op, dt) in ops {
                now += dt;
                let current = row.as_ref().map_or(0, |r| r.attempts);
                let input = match op {
                    Op::Arrive => Input::Arrive,
                    Op::Claim => Input::Claim,
                    Op::Finish(ok) => Input::Finish { attempt: current, error: (!ok).then_some("e") },
                    Op::FinishOld(ok) => Input::Finish {
                        attempt: current.saturating_sub(1),
                        error: (!ok).then_some("e"),
                    },
                    Op::Release => Input::Release { attempt: current, reason: "r" },
                    Op::Replay => Input::Replay,
                };
                let before = row.clone();
                let step = policy.step(before.as_ref(), &input, now);
                if let Verdict::Run { attempt } = step.verdict {
                    // Never two live claims: the row before was not a live claim.
                    prop_assert!(!matches!(&before, Some(r) if r.state == State::Claimed && !r.is_due(now)));
                    let next = step.row.clone().unwrap();
                    prop_assert_eq!(next.state, State::Claimed);
                    prop_assert_eq!(next.attempts, attempt);
                    prop_assert_eq!(next.due_at, Some(now + 30_000));
                    prop_assert!((1..=max_attempts).contains(&attempt));
                }
                if matches!(input, Input::Claim) && step.row.is_some() {
                    prop_assert!(before.as_ref().unwrap().is_due(now));
                }
                if let Some(next) = &step.row {
                    prop_assert!(next.attempts <= max_attempts);
                    prop_assert_eq!(next.updated_at, now);
                    if next.state == State::Dead {
                        prop_assert_eq!(next.attempts, max_attempts);
                        prop_assert_eq!(next.due_at, None);
                    }
                    if matches!(&before, Some(r) if r.state == State::Done) {
                        prop_assert!(matches!(input, Input::Replay));
                    }
                    if next.state == State::Failed || next.state == State::Claimed {
                        prop_assert!(next.due_at.is_some());
                    }
                    row = Some(next.clone());
                }
            }
        }
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let waits: Vec<u64> = (1..=11).map(Policy::backoff_ms).collect();
        assert_eq!(
            waits,
            [
                10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000,
                3_600_000, 3_600_000
            ]
        );
        assert_eq!(Policy::backoff_ms(0), 10_000);
        assert_eq!(Policy::backoff_ms(u32::MAX), BACKOFF_CAP_MS);
    }

    #[test]
    fn verdict_names_round_trip() {
        for v in [
            Verdict::Run { attempt: 3 },
            Verdict::Repeat,
            Verdict::Busy { retry_after_ms: 5 },
            Verdict::Dead,
            Verdict::NotDue,
            Verdict::Done,
            Verdict::Failed { due_at: -7 },
            Verdict::Released,
            Verdict::Replayed,
            Verdict::Stale,
        ] {
            let number = match v {
                Verdict::Run { attempt } => i64::from(attempt),
                Verdict::Busy { retry_after_ms } => retry_after_ms as i64,
                Verdict::Failed { due_at } => due_at,
                _ => 0,
            };
            assert_eq!(Verdict::from_name(v.name(), number), Some(v));
        }
        assert_eq!(Verdict::from_name("Run", 1), None);
    }

    #[test]
    fn state_names_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
        }
        assert_eq!(
            "Done".parse::<State>(),
            Err(UnknownState("Done".to_owned()))
        );
    }
}
