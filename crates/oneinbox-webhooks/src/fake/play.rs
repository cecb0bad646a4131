//! The fake plays calls: each created call's lifecycle on the fake's clock, delivered as
//! OneInbox delivers webhooks (an outbox the host sends out), with seeded faults, retries and a
//! delivery history.
//!
//! A call created through [`handle`](FakeOneInbox::handle) (`POST /v1/calls`) or
//! [`play_call`](FakeOneInbox::play_call) at time `t` (ms) schedules its events ([`LIFECYCLE`]):
//! `call.started` at `t + 2 s`; `transcript.partial` halfway through; `call.ended` after a
//! duration drawn from the seed (20 to 180 s); `call.analyzed` 10 s, `call.recording.available`
//! 20 s and `transcript.final` 30 s after the end. A failed call has only `call.failed`, 30 s
//! after `t`. The bodies are those of [`make_call`](crate::testing::make_call) (the guide's
//! payloads) with the call's id, agent and numbers.
//!
//! When an event's time comes (any call with a later `now`: [`handle`](FakeOneInbox::handle),
//! [`take_due`](FakeOneInbox::take_due), [`next_due`](FakeOneInbox::next_due)) it **fires**:
//! the stored call value changes as the event says (status, `started_at`, `ended_at`,
//! `duration_seconds`, `end_reason`, `messages`, `transcript`, `outcome`, `ai_summary`,
//! `analysis`, `recording_url`), whether its deliveries succeed or not; and one delivery is
//! queued per target: the call's `webhook_url`, and every `active` webhook subscribed to the
//! event, each at its URL as registered (a token included). With a signing secret
//! ([`set_signing_secret`](FakeOneInbox::set_signing_secret)) each attempt carries Standard
//! Webhooks headers (`webhook-id` the event's message id, shared by retries and duplicates;
//! `webhook-timestamp` the host's wall clock, passed to `take_due`, so that a receiver's
//! tolerance holds although the fake's clock jumps).
//!
//! The host loop: [`next_due`](FakeOneInbox::next_due) gives the next time something happens;
//! [`take_due`](FakeOneInbox::take_due) returns the attempts due, to POST; each outcome goes
//! back through [`report`](FakeOneInbox::report). A 2xx succeeds; anything else is retried
//! after [`RETRY_DELAYS_MS`] (10 s, 1 min, 5 min, 30 min, 2 h): at most [`MAX_ATTEMPTS`]
//! attempts, then it gives up. Every attempt is one row of the history (newest first): the
//! webhook's ([`deliveries`](FakeOneInbox::deliveries), `GET /v1/webhooks/{id}/deliveries`), or
//! for a call's own URL [`deliveries_for_call`](FakeOneInbox::deliveries_for_call).
//!
//! Faults ([`Faults`]), drawn from the fake's seed apart from the calls' own draws (so a seed
//! plays the same calls, durations included, with faults or without), in a fixed order per delivery (drop,
//! duplicate, delay and its amount) and per call (shuffle): a dropped delivery never reaches
//! the receiver (each attempt is a failed row with error `dropped`, until it gives up); a
//! duplicate is a second delivery of the same message 1 s after the first; a delay adds up to
//! `max_delay_ms`; a shuffled call's deliveries all leave when its last event fires, in an
//! order drawn by Fisher–Yates. An outage ([`add_outage`](FakeOneInbox::add_outage)) refuses
//! the attempts due within its window to URLs with its prefix (rows with error
//! `connection refused`), as a receiver that is down would.

use serde_json::{json, Map, Value};

use super::{rfc3339, FakeOneInbox};
use crate::auth::{redact_url_token, sign};
use crate::error::{Issue, IssueCode, UsageError};
use crate::host::HostNumber;
use crate::send::SplitMix64;
use crate::testing::guide_payload;

/// The events of a connected call, in the order they fire (see the
/// [module documentation](self) for their times).
pub const LIFECYCLE: [&str; 6] = [
    "call.started",
    "transcript.partial",
    "call.ended",
    "call.analyzed",
    "call.recording.available",
    "transcript.final",
];

/// The wait before each retry, in ms: after attempt 1, 2, ... (10 s, 1 min, 5 min, 30 min, 2 h).
pub const RETRY_DELAYS_MS: [i64; 5] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];

/// The attempts of one delivery before the fake gives up.
pub const MAX_ATTEMPTS: u32 = 6;

/// The longest `max_delay_ms` [`Faults`] takes: one day.
pub const MAX_DELAY_MS: u64 = 86_400_000;

/// How much of a receiver's answer a history row keeps (`response_body`), in characters.
pub const RESPONSE_BODY_CHARS: usize = 1000;

/// Seeded faults of the fake's deliveries; probabilities from 0 to 1. See the
/// [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// The chance that a delivery is lost for good.
    pub drop: f64,
    /// The chance that a delivery is sent twice.
    pub duplicate: f64,
    /// The chance that a call's deliveries leave out of order.
    pub shuffle: f64,
    /// The chance that a delivery waits an extra time, up to `max_delay_ms`.
    pub delay: f64,
    /// The longest extra wait, ms (0 to [`MAX_DELAY_MS`]).
    pub max_delay_ms: u64,
}

impl Faults {
    /// The faults as a host passes them (`max_delay_ms` a host number), checked with the same
    /// rules as [`FakeOneInbox::set_faults`]: every issue of one [`UsageError`].
    pub fn from_host(
        drop: f64,
        duplicate: f64,
        shuffle: f64,
        delay: f64,
        max_delay_ms: HostNumber,
    ) -> Result<Faults, UsageError> {
        let mut issues = Vec::new();
        let max_delay_ms = match crate::host::limit(max_delay_ms, "max_delay_ms") {
            Ok(n) => u64::try_from(n).unwrap_or(u64::MAX),
            Err(_) => {
                issues.push(max_delay_issue(max_delay_ms));
                0
            }
        };
        let faults = Faults {
            drop,
            duplicate,
            shuffle,
            delay,
            max_delay_ms,
        };
        faults.check(&mut issues);
        usage(issues)?;
        Ok(faults)
    }

    fn check(&self, issues: &mut Vec<Issue>) {
        probability(self.drop, "drop", issues);
        probability(self.duplicate, "duplicate", issues);
        probability(self.shuffle, "shuffle", issues);
        probability(self.delay, "delay", issues);
        if self.max_delay_ms > MAX_DELAY_MS {
            issues.push(max_delay_issue(self.max_delay_ms));
        }
    }
}

fn max_delay_issue(found: impl std::fmt::Display) -> Issue {
    Issue::new(
        IssueCode::InvalidValue,
        "/faults/max_delay_ms",
        format!("`max_delay_ms` must be a whole number from 0 to {MAX_DELAY_MS}, found {found}"),
    )
}

/// A call for [`FakeOneInbox::play_call`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayCall {
    /// The agent (default `agt_abc123`).
    pub agent_id: Option<String>,
    /// The number called (default `+919876543210`).
    pub to_number: Option<String>,
    /// The caller id (default `+15739693824`).
    pub from_number: Option<String>,
    /// A per-call URL that gets every event.
    pub webhook_url: Option<String>,
    /// Fail the call with this reason (`call.failed` only), e.g. `no-answer`.
    pub failure: Option<String>,
}

/// One attempt to POST, from [`FakeOneInbox::take_due`].
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The id to [`report`](FakeOneInbox::report) its outcome with (the history row's id).
    pub attempt_id: String,
    /// The URL as registered (a token included).
    pub url: String,
    /// `content-type`, then with a signing secret `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`.
    pub headers: Vec<(String, String)>,
    /// The event's JSON body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("attempt_id", &self.attempt_id)
            .field("url", &redact_url_token(&self.url))
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with this status (and body).
    Status(u16, Option<String>),
    /// No answer in time.
    Timeout,
    /// The connection was refused.
    Refused,
    /// Another failure, described.
    Error(String),
}

impl Outcome {
    /// The outcome a host reports as parts: a `status` (with its `body`), or else an `error`
    /// (`"timeout"`, `"connection refused"` or any text). A status outside 100 to 999, or
    /// neither a status nor an error, is a [`UsageError`] (`/status`, `/error`).
    pub fn from_parts(
        status: Option<HostNumber>,
        body: Option<String>,
        error: Option<String>,
    ) -> Result<Outcome, UsageError> {
        match (status, error) {
            (Some(status), _) => crate::host::http_status(status, "status")
                .map(|code| Outcome::Status(code, body))
                .map_err(|issue| UsageError::new(vec![issue])),
            (None, Some(e)) if e == "timeout" => Ok(Outcome::Timeout),
            (None, Some(e)) if e == "connection refused" => Ok(Outcome::Refused),
            (None, Some(e)) if !e.is_empty() => Ok(Outcome::Error(e)),
            _ => Err(UsageError::new(vec![Issue::new(
                IssueCode::InvalidValue,
                "/error",
                "an outcome needs a `status` or a non-empty `error`",
            )])),
        }
    }
}

/// An event waiting for its time.
#[derive(Debug, Clone)]
struct Scheduled {
    at: i64,
    seq: u64,
    call_id: String,
    event: &'static str,
    body: Vec<u8>,
    msg_id: String,
    /// When its deliveries leave (a shuffled call's: later than `at`).
    send_at: i64,
}

/// One delivery to one target, and where its attempts stand.
#[derive(Debug, Clone)]
struct Chain {
    webhook_id: Option<String>,
    call_id: String,
    event: &'static str,
    url: String,
    body: Vec<u8>,
    msg_id: String,
    attempt: u32,
    dropped: bool,
}

#[derive(Debug, Clone)]
struct Pending {
    due: i64,
    seq: u64,
    chain: Chain,
}

/// The outbox and what else playing needs (a field of [`FakeOneInbox`]).
#[derive(Clone)]
pub(super) struct Player {
    /// The calls' own draws (durations, message ids): the same whatever the faults.
    rng: SplitMix64,
    /// The faults' draws, apart: a seed plays the same calls with faults or without.
    fault_rng: SplitMix64,
    seq: u64,
    faults: Faults,
    signing_secret: Option<String>,
    outages: Vec<(String, i64, i64)>,
    events: Vec<Scheduled>,
    pending: Vec<Pending>,
    in_flight: Vec<(String, i64, Chain)>,
    call_rows: Vec<Value>,
}

impl Player {
    /// A player whose draws come from `seed` (apart from the fake's ids).
    pub(super) fn new(seed: u64) -> Self {
        Player {
            rng: SplitMix64(seed ^ 0x706c_6179_5f66_616b),
            fault_rng: SplitMix64(seed ^ 0x6661_756c_745f_7267),
            seq: 0,
            faults: Faults::default(),
            signing_secret: None,
            outages: Vec::new(),
            events: Vec::new(),
            pending: Vec::new(),
            in_flight: Vec::new(),
            call_rows: Vec::new(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fault's draw in `[0, 1)` (53 bits).
    fn unit(&mut self) -> f64 {
        (self.fault_rng.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A draw in `0..n` (0 when `n` is 0): from the calls' draws, or the faults'.
    fn below(&mut self, n: u64, fault: bool) -> u64 {
        let draw = if fault {
            self.fault_rng.next()
        } else {
            self.rng.next()
        };
        let product = u128::from(draw) * u128::from(n);
        u64::try_from(product >> 64).unwrap_or(0)
    }
}

fn usage(issues: Vec<Issue>) -> Result<(), UsageError> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(UsageError::new(issues))
    }
}

fn probability(value: f64, name: &str, issues: &mut Vec<Issue>) {
    if !(0.0..=1.0).contains(&value) {
        issues.push(Issue::new(
            IssueCode::InvalidValue,
            format!("/faults/{name}"),
            format!("`{name}` must be a probability from 0 to 1, found {value}"),
        ));
    }
}

fn is_http_url(url: &str) -> bool {
    crate::auth::token::check_url(url).is_ok()
}

impl FakeOneInbox {
    /// Sets the faults of the deliveries to come. Each probability outside 0 to 1 (or NaN) and
    /// a `max_delay_ms` above [`MAX_DELAY_MS`] is an issue of one [`UsageError`] (paths
    /// `/faults/drop`, ..., `/faults/max_delay_ms`); nothing changes then.
    pub fn set_faults(&mut self, faults: Faults) -> Result<(), UsageError> {
        let mut issues = Vec::new();
        faults.check(&mut issues);
        usage(issues)?;
        self.player.faults = faults;
        Ok(())
    }

    /// The faults in force.
    pub fn faults(&self) -> &Faults {
        &self.player.faults
    }

    /// Signs every attempt from now on with this `whsec_` secret (`None`: unsigned). A secret
    /// that is not `whsec_` base64 is a [`UsageError`] (`/signing_secret`).
    pub fn set_signing_secret(&mut self, secret: Option<String>) -> Result<(), UsageError> {
        if let Some(s) = &secret {
            crate::auth::SigningSecret::parse(s).map_err(|_| {
                UsageError::new(vec![Issue::new(
                    IssueCode::InvalidValue,
                    "/signing_secret",
                    "`signing_secret` must be `whsec_` and base64",
                )])
            })?;
        }
        self.player.signing_secret = secret;
        Ok(())
    }

    /// A receiver outage: attempts due from `from_ms` until before `until_ms` to a URL that
    /// starts with `url_prefix` (`""`: every URL) are refused without reaching it. `until_ms`
    /// not after `from_ms` is a [`UsageError`] (`/until`).
    pub fn add_outage(
        &mut self,
        url_prefix: &str,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<(), UsageError> {
        if until_ms <= from_ms {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::InvalidValue,
                "/until",
                format!("`until` must be after `from` ({from_ms}), found {until_ms}"),
            )]));
        }
        self.player
            .outages
            .push((url_prefix.to_owned(), from_ms, until_ms));
        Ok(())
    }

    /// Registers an active webhook as `POST /v1/webhooks` does, but without the API's rules
    /// on its URL (which must be `https`), so that a test can point it at a receiver on a
    /// loopback `http` port; `now` in Unix seconds. Returns the webhook. A URL that is not an
    /// absolute http(s) URL is a [`UsageError`] (`/url`).
    pub fn add_webhook(
        &mut self,
        name: &str,
        url: &str,
        events: &[String],
        now: i64,
    ) -> Result<Value, UsageError> {
        if !is_http_url(url) {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::InvalidValue,
                "/url",
                "`url` must be an absolute http(s) URL",
            )]));
        }
        let mut args = Map::new();
        args.insert("name".into(), name.into());
        args.insert("url".into(), url.into());
        args.insert("events".into(), events.to_vec().into());
        Ok(self.new_hook(&args, now))
    }

    /// Creates a call (as `POST /v1/calls` does) at `now_ms` and plays it: its events are
    /// scheduled (see the [module documentation](self)). Returns the call as created. A
    /// `webhook_url` that is not an absolute http(s) URL or an empty `failure` is a
    /// [`UsageError`] (`/webhook_url`, `/failure`).
    pub fn play_call(&mut self, spec: &PlayCall, now_ms: i64) -> Result<Value, UsageError> {
        let mut issues = Vec::new();
        if spec.webhook_url.as_deref().is_some_and(|u| !is_http_url(u)) {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                "/webhook_url",
                "`webhook_url` must be an absolute http(s) URL",
            ));
        }
        if spec.failure.as_deref() == Some("") {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                "/failure",
                "`failure` must be a non-empty reason",
            ));
        }
        usage(issues)?;
        let mut args = Map::new();
        let guide = [
            ("agent_id", &spec.agent_id, "agt_abc123"),
            ("to_number", &spec.to_number, "+919876543210"),
            ("from_number", &spec.from_number, "+15739693824"),
        ];
        for (name, given, default) in guide {
            let value = given.clone().unwrap_or_else(|| default.to_owned());
            args.insert(name.into(), value.into());
        }
        if let Some(url) = &spec.webhook_url {
            args.insert("webhook_url".into(), url.clone().into());
        }
        let call = self.new_call(&args, now_ms.div_euclid(1000));
        self.schedule_call(&call, now_ms, spec.failure.as_deref());
        Ok(call)
    }

    /// Schedules the events of `call` (just created at `now_ms`).
    pub(super) fn schedule_call(&mut self, call: &Value, now_ms: i64, failure: Option<&str>) {
        let text = |name: &str| call.get(name).and_then(Value::as_str).unwrap_or("");
        let call_id = text("id").to_owned();
        let mut common = Map::new();
        for name in ["call_id", "agent_id", "to_number", "from_number"] {
            let value = text(if name == "call_id" { "id" } else { name });
            common.insert(name.into(), value.into());
        }
        let mut plan: Vec<(&'static str, i64, Map<String, Value>)> = Vec::new();
        if let Some(reason) = failure {
            let mut extra = Map::new();
            extra.insert("reason".into(), reason.into());
            plan.push(("call.failed", now_ms.saturating_add(30_000), extra));
        } else {
            let duration = 20 + self.player.below(161, false) as i64;
            let start = now_ms.saturating_add(2_000);
            let end = start.saturating_add(duration * 1000);
            let mut started = Map::new();
            started.insert("created_at".into(), rfc3339(start.div_euclid(1000)).into());
            let mut ended = Map::new();
            ended.insert("duration_seconds".into(), duration.into());
            let url = format!("https://storage.oneinbox.ai/recordings/{call_id}.mp3");
            let mut recording = Map::new();
            recording.insert("recording_url".into(), url.into());
            plan.push(("call.started", start, started));
            plan.push((
                "transcript.partial",
                start.saturating_add(duration * 500),
                Map::new(),
            ));
            plan.push(("call.ended", end, ended));
            plan.push(("call.analyzed", end.saturating_add(10_000), Map::new()));
            plan.push((
                "call.recording.available",
                end.saturating_add(20_000),
                recording,
            ));
            plan.push(("transcript.final", end.saturating_add(30_000), Map::new()));
        }
        let last = plan.iter().map(|(_, at, _)| *at).max().unwrap_or(now_ms);
        let shuffled = self.player.unit() < self.player.faults.shuffle;
        let mut order: Vec<usize> = (0..plan.len()).collect();
        if shuffled {
            for i in (1..order.len()).rev() {
                let j = self.player.below(i as u64 + 1, true) as usize;
                order.swap(i, j);
            }
        }
        for (index, (event, at, extra)) in plan.into_iter().enumerate() {
            let mut payload = guide_payload(event).unwrap_or_default();
            for (name, value) in common.iter().chain(extra.iter()) {
                if payload.contains_key(name) || extra.contains_key(name) {
                    payload.insert(name.clone(), value.clone());
                }
            }
            let position = order.iter().position(|&o| o == index).unwrap_or(index) as i64;
            let msg_id = format!("msg_{:016x}", self.player.rng.next());
            let seq = self.player.next_seq();
            self.player.events.push(Scheduled {
                at,
                seq,
                call_id: call_id.clone(),
                event,
                body: serde_json::to_vec(&Value::Object(payload)).unwrap_or_default(),
                msg_id,
                send_at: if shuffled {
                    last.saturating_add(position)
                } else {
                    at
                },
            });
        }
    }

    /// Fires every event due by `now_ms`, in time order: updates its call and queues its
    /// deliveries.
    pub(super) fn fire_due(&mut self, now_ms: i64) {
        loop {
            let next = self
                .player
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.at <= now_ms)
                .min_by_key(|(_, e)| (e.at, e.seq))
                .map(|(i, _)| i);
            let Some(index) = next else { break };
            let event = self.player.events.remove(index);
            self.fire(event);
        }
    }

    fn fire(&mut self, event: Scheduled) {
        let payload: Value = serde_json::from_slice(&event.body).unwrap_or(Value::Null);
        let mut targets: Vec<(Option<String>, String)> = Vec::new();
        if let Some(call) = self
            .calls
            .iter_mut()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(event.call_id.as_str()))
        {
            apply(call, event.event, &payload, event.at);
            if let Some(url) = call.get("webhook_url").and_then(Value::as_str) {
                targets.push((None, url.to_owned()));
            }
        }
        for hook in &self.hooks {
            let get = |name: &str| hook.object.get(name);
            let active = get("status").and_then(Value::as_str) == Some("active");
            let subscribed = get("events")
                .and_then(Value::as_array)
                .is_some_and(|e| e.iter().any(|n| n.as_str() == Some(event.event)));
            if let (true, true, Some(url)) =
                (active, subscribed, get("url").and_then(Value::as_str))
            {
                targets.push((Some(hook.id().to_owned()), url.to_owned()));
            }
        }
        for (webhook_id, url) in targets {
            let player = &mut self.player;
            let (drop, duplicate, delay, amount) =
                (player.unit(), player.unit(), player.unit(), player.unit());
            let faults = &player.faults;
            let mut due = event.send_at;
            if delay < faults.delay {
                due = due.saturating_add((amount * faults.max_delay_ms as f64) as i64);
            }
            let chain = Chain {
                webhook_id,
                call_id: event.call_id.clone(),
                event: event.event,
                url,
                body: event.body.clone(),
                msg_id: event.msg_id.clone(),
                attempt: 1,
                dropped: drop < faults.drop,
            };
            let twice = !chain.dropped && duplicate < faults.duplicate;
            if twice {
                self.queue_attempt(chain.clone(), due.saturating_add(1_000));
            }
            self.queue_attempt(chain, due);
        }
    }

    fn queue_attempt(&mut self, chain: Chain, due: i64) {
        let seq = self.player.next_seq();
        self.player.pending.push(Pending { due, seq, chain });
    }

    /// When something happens next (an event fires or an attempt is due), ms; `None` when
    /// nothing is scheduled (attempts taken and not yet reported do not count).
    pub fn next_due(&self) -> Option<i64> {
        let events = self.player.events.iter().map(|e| e.at);
        events
            .chain(self.player.pending.iter().map(|p| p.due))
            .min()
    }

    /// Whether attempts taken by [`take_due`](Self::take_due) still wait for their
    /// [`report`](Self::report).
    pub fn in_flight(&self) -> usize {
        self.player.in_flight.len()
    }

    /// Fires the events due by `now_ms` and returns the attempts due, oldest first, to POST.
    /// `timestamp` (Unix seconds, the host's wall clock) goes into `webhook-timestamp`.
    /// Attempts that are dropped or meet an outage are recorded as failed at once (and retried
    /// or given up) without being returned.
    pub fn take_due(&mut self, now_ms: i64, timestamp: i64) -> Vec<Outgoing> {
        self.fire_due(now_ms);
        let mut due: Vec<Pending> = Vec::new();
        let mut kept = Vec::new();
        for p in std::mem::take(&mut self.player.pending) {
            if p.due <= now_ms {
                due.push(p);
            } else {
                kept.push(p);
            }
        }
        self.player.pending = kept;
        due.sort_by_key(|p| (p.due, p.seq));
        let mut out = Vec::new();
        for Pending { chain, .. } in due {
            let refused = self.player.outages.iter().any(|(prefix, from, until)| {
                (*from..*until).contains(&now_ms) && chain.url.starts_with(prefix.as_str())
            });
            let attempt_id = self.new_id("dlv");
            if chain.dropped || refused {
                let error = if chain.dropped {
                    "dropped"
                } else {
                    "connection refused"
                };
                self.record(&attempt_id, chain, now_ms, now_ms, Err(error.to_owned()));
                continue;
            }
            let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
            let secret = self.player.signing_secret.as_deref();
            if let Some(Ok(signature)) =
                secret.map(|s| sign(s, &chain.msg_id, timestamp, &chain.body))
            {
                headers.push(("webhook-id".into(), chain.msg_id.clone()));
                headers.push(("webhook-timestamp".into(), timestamp.to_string()));
                headers.push(("webhook-signature".into(), signature));
            }
            out.push(Outgoing {
                attempt_id: attempt_id.clone(),
                url: chain.url.clone(),
                headers,
                body: chain.body.clone(),
            });
            self.player.in_flight.push((attempt_id, now_ms, chain));
        }
        out
    }

    /// Records the outcome of an attempt from [`take_due`](Self::take_due) at `now_ms`: a row
    /// of the history, and a retry when it failed and attempts remain. An unknown (or already
    /// reported) `attempt_id` is a [`UsageError`] (`/attempt_id`).
    pub fn report(
        &mut self,
        attempt_id: &str,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<(), UsageError> {
        let flight = &mut self.player.in_flight;
        let Some(index) = flight.iter().position(|(id, _, _)| id == attempt_id) else {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::InvalidValue,
                "/attempt_id",
                format!(
                    "`attempt_id` must be an attempt waiting for its outcome, found {}",
                    crate::text::preview(attempt_id)
                ),
            )]));
        };
        let (_, sent, chain) = flight.remove(index);
        let result = match outcome {
            Outcome::Status(code, body) => Ok((code, body)),
            Outcome::Timeout => Err("timeout".to_owned()),
            Outcome::Refused => Err("connection refused".to_owned()),
            Outcome::Error(text) => Err(redact_url_token(&text)),
        };
        self.record(attempt_id, chain, sent, now_ms, result);
        Ok(())
    }

    /// Writes the row of an attempt and queues the retry of a failed one.
    fn record(
        &mut self,
        id: &str,
        chain: Chain,
        sent: i64,
        now_ms: i64,
        result: Result<(u16, Option<String>), String>,
    ) {
        let (code, body, error) = match result {
            Ok((code, body)) => (Some(code), body, None),
            Err(e) => (None, None, Some(e)),
        };
        let ok = code.is_some_and(|c| (200..300).contains(&c));
        let delay = usize::try_from(chain.attempt.saturating_sub(1))
            .ok()
            .and_then(|i| RETRY_DELAYS_MS.get(i));
        let retry_at = match delay {
            Some(d) if !ok && chain.attempt < MAX_ATTEMPTS => Some(now_ms.saturating_add(*d)),
            _ => None,
        };
        let body: Option<String> = body.map(|b| b.chars().take(RESPONSE_BODY_CHARS).collect());
        let at = |ms: i64| rfc3339(ms.div_euclid(1000));
        let row = json!({
            "id": id, "webhook_id": chain.webhook_id, "event": chain.event,
            "call_id": chain.call_id, "status": if ok { "succeeded" } else { "failed" },
            "attempt": chain.attempt, "response_status": code, "response_body": body,
            "error": error, "next_retry_at": retry_at.map(at),
            "completed_at": at(now_ms), "created_at": at(sent),
        });
        let history = match &chain.webhook_id {
            Some(wh) => self
                .hooks
                .iter_mut()
                .find(|h| h.id() == wh)
                .map(|h| &mut h.deliveries),
            None => Some(&mut self.player.call_rows),
        };
        if let Some(history) = history {
            history.insert(0, row);
        }
        if let Some(due) = retry_at {
            let next = Chain {
                attempt: chain.attempt + 1,
                ..chain
            };
            self.queue_attempt(next, due);
        }
    }

    /// The history rows of the deliveries to `call_id`'s own `webhook_url` (those that belong
    /// to no webhook), newest first.
    pub fn deliveries_for_call(&self, call_id: &str) -> Vec<Value> {
        let of_call = |row: &&Value| row.get("call_id").and_then(Value::as_str) == Some(call_id);
        self.player
            .call_rows
            .iter()
            .filter(of_call)
            .cloned()
            .collect()
    }
}

/// What `event` does to the stored call value, at `at_ms`.
fn apply(call: &mut Value, event: &str, payload: &Value, at_ms: i64) {
    let Value::Object(call) = call else { return };
    let at = Value::from(rfc3339(at_ms.div_euclid(1000)));
    let from = |name: &str| payload.get(name).cloned().unwrap_or(Value::Null);
    let mut set = |name: &str, value: Value| {
        call.insert(name.into(), value);
    };
    match event {
        "call.started" => {
            set("status", "in_progress".into());
            set("started_at", at.clone());
        }
        "transcript.partial" => set("messages", from("messages")),
        "call.ended" => {
            set("status", "completed".into());
            set("ended_at", at.clone());
            set("duration_seconds", from("duration_seconds"));
            set("end_reason", "hangup".into());
        }
        "call.analyzed" => {
            set("outcome", from("outcome"));
            set("ai_summary", from("ai_summary"));
            set("analysis", json!({ "summary": from("ai_summary") }));
        }
        "call.recording.available" => set("recording_url", from("recording_url")),
        "transcript.final" => {
            let messages = from("messages");
            let lines: Vec<String> = messages
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    let field = |n: &str| m.get(n).and_then(Value::as_str).unwrap_or("");
                    format!("{}: {}", field("role"), field("content"))
                })
                .collect();
            set("transcript", lines.join("\n").into());
            set("messages", messages);
        }
        "call.failed" => {
            set("status", "failed".into());
            set("ended_at", at.clone());
            set("end_reason", from("reason"));
        }
        _ => {}
    }
    set("updated_at", at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_plays_the_same_calls_with_faults_or_without() {
        let played = |faults: Faults| {
            let mut fake = FakeOneInbox::new("k", 7);
            fake.set_faults(faults).expect("valid faults");
            for _ in 0..5 {
                fake.play_call(&PlayCall::default(), 0)
                    .expect("a valid call");
            }
            while let Some(due) = fake.next_due() {
                for out in fake.take_due(due, 0) {
                    fake.report(&out.attempt_id, Outcome::Status(200, None), due)
                        .expect("in flight");
                }
            }
            fake.calls().to_vec()
        };
        let noisy = Faults {
            drop: 0.5,
            duplicate: 0.5,
            shuffle: 0.5,
            delay: 0.5,
            max_delay_ms: 10_000,
        };
        assert_eq!(played(Faults::default()), played(noisy));
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let mut fake = FakeOneInbox::new("k", 1);
        let spec = PlayCall {
            webhook_url: Some("https://e.com/h".into()),
            ..PlayCall::default()
        };
        for now in [i64::MAX, i64::MIN, 0] {
            fake.play_call(&spec, now).expect("a valid call");
            for out in fake.take_due(i64::MAX, now) {
                fake.report(&out.attempt_id, Outcome::Timeout, i64::MAX)
                    .expect("in flight");
            }
        }
        fake.handle("GET", "/v1/webhooks", &[], None, i64::MAX);
    }

    #[test]
    fn a_signed_attempt_verifies_and_its_debug_hides_the_token() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let mut fake = FakeOneInbox::new("k", 2);
        fake.set_signing_secret(Some(secret.into()))
            .expect("a secret");
        let spec = PlayCall {
            webhook_url: Some("https://e.com/h?token=tok_secret".into()),
            ..PlayCall::default()
        };
        fake.play_call(&spec, 0).expect("a valid call");
        let out = fake.take_due(2_000, 1_700_000_000);
        let out = out.first().expect("call.started is due");
        let checked =
            crate::auth::verify_signature(&out.headers, &out.body, &[secret], 1_700_000_000, 300);
        assert!(checked.expect("well-formed").ok);
        assert!(!format!("{out:?}").contains("tok_secret"));
    }
}
