//! The plan of the `send` command (cargo feature `testing`): which deliveries
//! `python -m oneinbox_webhooks send` and `npx oneinbox-webhooks send` make, in which order,
//! with which call id and message ids. Both commands ask this module, so the same arguments give
//! the same plan in both, and `send --dry-run` prints the same lines.
//!
//! The plan is a pure function of its arguments and a 64-bit seed. The seed drives SplitMix64
//! (Vigna's generator, the seeding function of the xoshiro family), written out here so that
//! every language gets the same numbers from it. Without `--seed` the command draws a seed from
//! its operating system and passes it in: this module reads no randomness.
//!
//! How a plan is made, in this order of draws:
//!
//! 1. a call id `call_<16 hex digits>` (drawn even when `call_id` is given, so the rest of the
//!    plan does not depend on it);
//! 2. a message id `msg_<16 hex digits>` per event, in the order of the events (the given names,
//!    or a whole call: [`CALL_SEQUENCE`]);
//! 3. `min(duplicates, events)` distinct events sent twice, each repeat right after its original
//!    (a partial Fisher–Yates draw over the event positions), then, for more duplicates than
//!    events, one more repeat of a drawn event at the end for each of the rest;
//! 4. with `shuffle`, a Fisher–Yates shuffle of the whole list (from the last position down);
//! 5. the first delivery of each message id in the final order is the original, every later
//!    one a repeat (a redelivery: same message id, same body).
//!
//! A draw below `n` is `(next() × n) >> 64` (128-bit product).
//!
//! ```
//! use oneinbox_webhooks::send::{plan, SendArgs, SendOptions};
//!
//! let options = SendOptions {
//!     events: vec!["call.started".into(), "call.ended".into()],
//!     seed: 7,
//!     duplicates: 1,
//!     ..SendOptions::default()
//! };
//! let deliveries = plan(&options)?;
//! assert_eq!(deliveries.len(), 3);
//! assert_eq!(deliveries.iter().filter(|d| d.repeat).count(), 1);
//! // The command's arguments as typed give the same plan.
//! let args = SendArgs {
//!     events: options.events.clone(),
//!     seed: Some("7".into()),
//!     duplicates: Some("1".into()),
//!     ..SendArgs::default()
//! };
//! assert_eq!(args.plan(0)?, deliveries);
//! # Ok::<(), oneinbox_webhooks::UsageError>(())
//! ```

use crate::error::{Issue, IssueCode, UsageError};
use crate::events::EVENT_NAMES;
use crate::testing::CALL_SEQUENCE;
use crate::text::preview;

/// The most deliveries `duplicates` may ask to send a second time.
pub const MAX_DUPLICATES: u64 = 1000;

/// What a plan is made from, typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendOptions {
    /// The event names, one delivery each; empty for the events of one whole call.
    pub events: Vec<String>,
    /// The `call_id` of every event; `None` for the one drawn from the seed.
    pub call_id: Option<String>,
    /// The seed of every random choice: call id, message ids, duplicates, order.
    pub seed: u64,
    /// How many deliveries are sent a second time (at most [`MAX_DUPLICATES`]).
    pub duplicates: u64,
    /// Whether the deliveries go out in a random order.
    pub shuffle: bool,
}

/// The `send` command's arguments that decide its plan, as typed on its command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendArgs {
    /// The `EVENT...` names; empty for a whole call.
    pub events: Vec<String>,
    /// `--call-id ID`.
    pub call_id: Option<String>,
    /// `--seed N`: decimal digits, 0 to 2^64 − 1.
    pub seed: Option<String>,
    /// `--duplicates N`: decimal digits, 0 to [`MAX_DUPLICATES`].
    pub duplicates: Option<String>,
    /// `--shuffle`.
    pub shuffle: bool,
}

/// One delivery of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelivery {
    /// The event name: the body is `make_event(event)` with this `call_id`.
    pub event: String,
    /// The `call_id` of the body.
    pub call_id: String,
    /// The message id (`webhook-id`); a repeat has its original's.
    pub msg_id: String,
    /// Whether an earlier delivery of the plan had the same message id (a redelivery).
    pub repeat: bool,
}

impl PlannedDelivery {
    /// The line `send --dry-run` prints for this delivery: the event padded to 26 characters,
    /// the call id, the message id, and `  (again)` for a repeat.
    pub fn line(&self) -> String {
        let again = if self.repeat { "  (again)" } else { "" };
        format!("{:<26} {} {}{again}", self.event, self.call_id, self.msg_id)
    }
}

/// The line `send` prints for a delivery it sent: the event padded to 26 characters, the
/// status (or `error: …`) right-aligned in 5, the milliseconds it took (one decimal, in 8),
/// `ms`, then the reason the receiver gave ([`refusal_reason`](crate::answer::refusal_reason)
/// of its answer's body), if any, and `  (again)` for a repeat.
///
/// ```
/// use oneinbox_webhooks::send::sent_line;
///
/// assert_eq!(sent_line("call.started", "401", 3.25, Some("token_mismatch"), false),
///            "call.started                 401      3.2 ms  token_mismatch");
/// ```
pub fn sent_line(
    event: &str,
    status: &str,
    millis: f64,
    reason: Option<&str>,
    repeat: bool,
) -> String {
    let reason = reason.map(|r| format!("  {r}")).unwrap_or_default();
    let again = if repeat { "  (again)" } else { "" };
    format!("{event:<26} {status:>5} {millis:8.1} ms{reason}{again}")
}

/// The last line of `send` (on stderr): `N deliver{y,ies} to <url>: M answered 2xx`, the URL
/// with its token redacted.
///
/// ```
/// use oneinbox_webhooks::send::summary_line;
///
/// assert_eq!(summary_line(1, "http://localhost/hooks?token=s3cr3t", 0),
///            "1 delivery to http://localhost/hooks?token=[redacted]: 0 answered 2xx");
/// ```
pub fn summary_line(deliveries: usize, to: &str, answered: usize) -> String {
    format!(
        "{deliveries} deliver{} to {}: {answered} answered 2xx",
        if deliveries == 1 { "y" } else { "ies" },
        crate::text::redact_url_tokens(to)
    )
}

/// The deliveries of `options` in sending order. Unknown event names (path `/events/<i>`), an
/// empty call id (`/call_id`) and more than [`MAX_DUPLICATES`] duplicates (`/duplicates`) are
/// issues of one [`UsageError`].
pub fn plan(options: &SendOptions) -> Result<Vec<PlannedDelivery>, UsageError> {
    let mut issues = Vec::new();
    check_events(&options.events, &mut issues);
    check_call_id(options.call_id.as_deref(), &mut issues);
    if options.duplicates > MAX_DUPLICATES {
        issues.push(number_issue(
            "duplicates",
            MAX_DUPLICATES,
            &options.duplicates.to_string(),
        ));
    }
    if issues.is_empty() {
        Ok(make(options))
    } else {
        Err(UsageError::new(issues))
    }
}

impl SendArgs {
    /// The plan of these arguments; `random_seed` is the seed when `--seed` is absent (the
    /// command draws it from its operating system). Every bad argument is an issue of one
    /// [`UsageError`], in the order events, call id, seed, duplicates; a number that is not
    /// decimal digits or is out of range has code `invalid_value`.
    pub fn plan(&self, random_seed: u64) -> Result<Vec<PlannedDelivery>, UsageError> {
        let mut issues = Vec::new();
        check_events(&self.events, &mut issues);
        check_call_id(self.call_id.as_deref(), &mut issues);
        let seed = match &self.seed {
            None => Some(random_seed),
            Some(text) => number(text, "seed", u64::MAX, &mut issues),
        };
        let duplicates = match &self.duplicates {
            None => Some(0),
            Some(text) => number(text, "duplicates", MAX_DUPLICATES, &mut issues),
        };
        match (seed, duplicates) {
            (Some(seed), Some(duplicates)) if issues.is_empty() => Ok(make(&SendOptions {
                events: self.events.clone(),
                call_id: self.call_id.clone(),
                seed,
                duplicates,
                shuffle: self.shuffle,
            })),
            _ => Err(UsageError::new(issues)),
        }
    }
}

fn check_events(events: &[String], issues: &mut Vec<Issue>) {
    for (i, name) in events.iter().enumerate() {
        if !EVENT_NAMES.contains(&name.as_str()) {
            issues.push(Issue::new(
                IssueCode::InvalidValue,
                format!("/events/{i}"),
                format!(
                    "event {} is not one of {}",
                    preview(name),
                    EVENT_NAMES.join(", ")
                ),
            ));
        }
    }
}

fn check_call_id(call_id: Option<&str>, issues: &mut Vec<Issue>) {
    if call_id == Some("") {
        issues.push(Issue::new(
            IssueCode::InvalidValue,
            "/call_id",
            "`--call-id` must not be empty",
        ));
    }
}

fn number_issue(name: &str, max: u64, found: &str) -> Issue {
    Issue::new(
        IssueCode::InvalidValue,
        format!("/{name}"),
        format!(
            "`--{name}` must be a whole number from 0 to {max}, found {}",
            preview(found)
        ),
    )
}

/// Decimal digits only (no sign, no spaces), at most `max`.
fn number(text: &str, name: &str, max: u64, issues: &mut Vec<Issue>) -> Option<u64> {
    let value = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u64>().ok().filter(|&n| n <= max)
    } else {
        None
    };
    if value.is_none() {
        issues.push(number_issue(name, max, text));
    }
    value
}

/// SplitMix64 (Steele, Lea and Flood; Vigna's public-domain C version); the fake OneInbox
/// draws its ids from it too.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A draw in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let product = u128::from(self.next()) * n as u128;
        usize::try_from(product >> 64).unwrap_or(0)
    }
}

fn make(options: &SendOptions) -> Vec<PlannedDelivery> {
    let mut rng = SplitMix64(options.seed);
    let drawn_call_id = format!("call_{:016x}", rng.next());
    let call_id = options.call_id.clone().unwrap_or(drawn_call_id);
    let names: Vec<&str> = if options.events.is_empty() {
        CALL_SEQUENCE.to_vec()
    } else {
        options.events.iter().map(String::as_str).collect()
    };
    let n = names.len();
    let msg_ids: Vec<String> = names
        .iter()
        .map(|_| format!("msg_{:016x}", rng.next()))
        .collect();

    // Bounded by MAX_DUPLICATES (checked by the callers), so the cast cannot truncate.
    let duplicates = usize::try_from(options.duplicates).unwrap_or(usize::MAX);
    let twice_count = duplicates.min(n);
    let mut positions: Vec<usize> = (0..n).collect();
    for i in 0..twice_count {
        let j = i + rng.below(n - i);
        positions.swap(i, j);
    }
    let mut twice = vec![false; n];
    for &i in positions.iter().take(twice_count) {
        if let Some(flag) = twice.get_mut(i) {
            *flag = true;
        }
    }
    let mut order = Vec::with_capacity(n + duplicates);
    for (i, &again) in twice.iter().enumerate() {
        order.push(i);
        if again {
            order.push(i);
        }
    }
    for _ in twice_count..duplicates {
        order.push(rng.below(n));
    }
    if options.shuffle {
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
    }

    let mut seen = vec![false; n];
    order
        .into_iter()
        .filter_map(|i| {
            let (name, msg_id, seen) = (names.get(i)?, msg_ids.get(i)?, seen.get_mut(i)?);
            let repeat = std::mem::replace(seen, true);
            Some(PlannedDelivery {
                event: (*name).to_owned(),
                call_id: call_id.clone(),
                msg_id: msg_id.clone(),
                repeat,
            })
        })
        .collect()
}

/// A secret of a command-line tool (`url_token`, `signing_secret`, `api_key`) from the first of
/// its sources that is given, in this order of precedence: the option itself (`--url-token T`),
/// then the file option (`--url-token-file PATH`: `file` is its content, which the command
/// read), then the environment variable (`ONEINBOX_URL_TOKEN`). Both commands ask this function,
/// so the same sources give the same secret in Python and Node.
///
/// - An option given empty is misuse (`invalid_value` at `/<name>`).
/// - A file's content loses one line ending (`\n` or `\r\n`, as `echo` and editors write);
///   what is left must be one non-empty line (`invalid_value` at `/<name>_file`).
/// - An empty environment variable counts as unset.
///
/// `Ok(None)` when no source is given. No message holds the secret.
///
/// ```
/// use oneinbox_webhooks::send::choose_secret;
///
/// let from_file = choose_secret("url_token", None, Some("tok_1\n"), Some("tok_env"))?;
/// assert_eq!(from_file.as_deref(), Some("tok_1"));
/// assert_eq!(choose_secret("url_token", None, None, Some(""))?, None);
/// let err = choose_secret("url_token", Some(""), None, None).unwrap_err();
/// assert_eq!(err.issues()[0].path, "/url_token");
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub fn choose_secret(
    name: &str,
    option: Option<&str>,
    file: Option<&str>,
    env: Option<&str>,
) -> Result<Option<String>, UsageError> {
    let flag = name.replace('_', "-");
    let bad = |path: String, message: String| {
        UsageError::new(vec![Issue::new(IssueCode::InvalidValue, path, message)])
    };
    if let Some(value) = option {
        if value.is_empty() {
            return Err(bad(format!("/{name}"), format!("`--{flag}` is empty")));
        }
        return Ok(Some(value.to_owned()));
    }
    if let Some(content) = file {
        let line = content
            .strip_suffix("\r\n")
            .or_else(|| content.strip_suffix('\n'))
            .unwrap_or(content);
        if line.is_empty() {
            return Err(bad(
                format!("/{name}_file"),
                format!("the file of `--{flag}-file` is empty"),
            ));
        }
        if line.contains(['\n', '\r']) {
            return Err(bad(
                format!("/{name}_file"),
                format!("the file of `--{flag}-file` holds more than one line (expected the secret alone)"),
            ));
        }
        return Ok(Some(line.to_owned()));
    }
    Ok(env.filter(|v| !v.is_empty()).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // The first outputs for seed 1234567 of Vigna's splitmix64.c.
        let mut rng = SplitMix64(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| rng.next()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn draws_stay_below_their_bound() {
        let mut rng = SplitMix64(0);
        for n in 1..50 {
            assert!(rng.below(n) < n);
        }
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn every_event_is_sent_and_repeats_follow_their_original() {
        for seed in 0..200 {
            for duplicates in [0, 1, 3, 6, 9] {
                for shuffle in [false, true] {
                    let options = SendOptions {
                        seed,
                        duplicates,
                        shuffle,
                        ..SendOptions::default()
                    };
                    let got = plan(&options).unwrap();
                    assert_eq!(got.len(), 6 + duplicates as usize);
                    let mut firsts: Vec<&str> = got
                        .iter()
                        .filter(|d| !d.repeat)
                        .map(|d| d.event.as_str())
                        .collect();
                    if !shuffle {
                        assert_eq!(firsts, CALL_SEQUENCE);
                    }
                    firsts.sort_unstable();
                    let mut all = CALL_SEQUENCE.to_vec();
                    all.sort_unstable();
                    assert_eq!(firsts, all);
                    // Every delivery's first appearance precedes its repeats.
                    for (k, d) in got.iter().enumerate() {
                        let first = got.iter().position(|x| x.msg_id == d.msg_id).unwrap();
                        assert_eq!(d.repeat, first < k);
                    }
                }
            }
        }
    }

    #[test]
    fn the_call_id_does_not_change_the_other_draws() {
        let base = SendOptions {
            seed: 9,
            duplicates: 2,
            shuffle: true,
            ..SendOptions::default()
        };
        let drawn = plan(&base).unwrap();
        let given = plan(&SendOptions {
            call_id: Some("call_x".into()),
            ..base
        })
        .unwrap();
        for (a, b) in drawn.iter().zip(&given) {
            assert_eq!(
                (&a.event, &a.msg_id, a.repeat),
                (&b.event, &b.msg_id, b.repeat)
            );
            assert_eq!(b.call_id, "call_x");
        }
    }

    #[test]
    fn bad_arguments_are_one_usage_error() {
        let args = SendArgs {
            events: vec!["call.started".into(), "call.endd".into()],
            call_id: Some(String::new()),
            seed: Some("-1".into()),
            duplicates: Some("1001".into()),
            shuffle: false,
        };
        let e = args.plan(0).unwrap_err();
        let got: Vec<_> = e.issues().iter().map(|i| i.path.as_str()).collect();
        assert_eq!(got, ["/events/1", "/call_id", "/seed", "/duplicates"]);
        assert_eq!(
            e.issues()[3].message,
            "`--duplicates` must be a whole number from 0 to 1000, found \"1001\""
        );
        let e = plan(&SendOptions {
            duplicates: MAX_DUPLICATES + 1,
            ..SendOptions::default()
        })
        .unwrap_err();
        assert_eq!(e.issues()[0].path, "/duplicates");
    }

    #[test]
    fn the_dry_run_line() {
        let d = PlannedDelivery {
            event: "call.ended".into(),
            call_id: "call_1".into(),
            msg_id: "msg_2".into(),
            repeat: true,
        };
        assert_eq!(d.line(), "call.ended                 call_1 msg_2  (again)");
    }
}
