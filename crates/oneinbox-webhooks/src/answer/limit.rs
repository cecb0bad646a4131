//! [`RefusalLog`]: how many refused deliveries get a log line, so that a flood of forged or
//! misconfigured deliveries cannot fill the logs.

use super::{one_line, Log, LogLevel, PREFIX};

/// At most this many distinct reasons are tracked; refusals of further reasons share the
/// limit of the last slot's window under the reason `other` (the core's reasons are fewer).
const MAX_REASONS: usize = 32;

/// The reason a refusal is counted under when [`MAX_REASONS`] are tracked already.
const OTHER: &str = "other";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    reason: String,
    /// When the window began (the first refusal of this reason in it), Unix ms.
    started_ms: u64,
    /// Lines logged in this window.
    logged: u32,
    /// Refusals not logged in this window.
    suppressed: u64,
}

/// A per-reason limit on the log lines of refused deliveries (401, 415): in each window of
/// `window_ms` (starting at the first refusal of that reason), the first `burst` refusals are
/// logged and the rest only counted; the first refusal after the window logs one summary line
/// (`N more refused deliveries (reason) were not logged …`) before its own. Pure: the caller
/// passes `now` (Unix ms; a clock that goes back counts as the same window) and logs what
/// [`admit`](RefusalLog::admit) returns. Every framework adapter keeps one.
///
/// ```
/// use oneinbox_webhooks::answer::{Log, LogLevel, RefusalLog};
///
/// let mut limit = RefusalLog::new(2, 60_000);
/// let line = Log { level: LogLevel::Warn, line: "refused".into() };
/// assert_eq!(limit.admit("token_mismatch", &line, 0).len(), 1);
/// assert_eq!(limit.admit("token_mismatch", &line, 1).len(), 1);
/// assert!(limit.admit("token_mismatch", &line, 2).is_empty()); // suppressed
/// let later = limit.admit("token_mismatch", &line, 60_000);
/// assert_eq!(later[0].line, "oneinbox-webhooks: 1 more refused delivery (token_mismatch) was not logged in the 60 s before (at most 2 lines per 60 s)");
/// assert_eq!(later[1], line);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalLog {
    burst: u32,
    window_ms: u64,
    slots: Vec<Slot>,
}

impl Default for RefusalLog {
    /// [`RefusalLog::DEFAULT_BURST`] lines per [`RefusalLog::DEFAULT_WINDOW_MS`] per reason.
    fn default() -> Self {
        RefusalLog::new(Self::DEFAULT_BURST, Self::DEFAULT_WINDOW_MS)
    }
}

impl RefusalLog {
    /// The adapters' default: 10 lines per reason per window.
    pub const DEFAULT_BURST: u32 = 10;
    /// The adapters' default window: one minute.
    pub const DEFAULT_WINDOW_MS: u64 = 60_000;

    /// A limit of `burst` lines per reason per `window_ms` milliseconds (a window of 0 is
    /// taken as 1 ms; a burst of 0 logs only the summaries).
    pub const fn new(burst: u32, window_ms: u64) -> Self {
        RefusalLog {
            burst,
            window_ms: if window_ms == 0 { 1 } else { window_ms },
            slots: Vec::new(),
        }
    }

    /// A refusal for `reason` (its [`Answer::reason`](super::Answer::reason)) whose answer
    /// says to log `log`, at `now_ms`: the lines to log now, in order (none: suppressed; a
    /// summary of the window before, then `log`).
    pub fn admit(&mut self, reason: &str, log: &Log, now_ms: u64) -> Vec<Log> {
        let (burst, window_ms) = (self.burst, self.window_ms);
        let Some(slot) = self.slot(reason, now_ms) else {
            return vec![log.clone()];
        };
        let mut out = Vec::new();
        if now_ms < slot.started_ms {
            // A clock that went back (a wall clock stepped by NTP): the same window, now
            // started no later than `now_ms`, so it ends at most one window from now instead
            // of staying shut until the clock catches up.
            slot.started_ms = now_ms;
        }
        if now_ms.saturating_sub(slot.started_ms) >= window_ms {
            if slot.suppressed > 0 {
                out.push(summary(slot, now_ms, burst, window_ms));
            }
            slot.started_ms = now_ms;
            slot.logged = 0;
            slot.suppressed = 0;
        }
        if slot.logged < burst {
            slot.logged += 1;
            if log.level != LogLevel::None {
                out.push(log.clone());
            }
        } else {
            slot.suppressed = slot.suppressed.saturating_add(1);
        }
        out
    }

    fn slot(&mut self, reason: &str, now_ms: u64) -> Option<&mut Slot> {
        let reason = one_line(reason);
        let known = self.slots.iter().position(|s| s.reason == reason);
        let index = match known {
            Some(i) => i,
            None if self.slots.len() < MAX_REASONS - 1 => {
                self.slots.push(new_slot(reason, now_ms));
                self.slots.len() - 1
            }
            None => match self.slots.iter().position(|s| s.reason == OTHER) {
                Some(i) => i,
                None => {
                    self.slots.push(new_slot(OTHER.to_owned(), now_ms));
                    self.slots.len() - 1
                }
            },
        };
        self.slots.get_mut(index)
    }
}

fn new_slot(reason: String, now_ms: u64) -> Slot {
    Slot {
        reason,
        started_ms: now_ms,
        logged: 0,
        suppressed: 0,
    }
}

/// `N more refused deliver{y,ies} (reason) {was,were} not logged in the S s before (at most B
/// line{s} per W s)`; seconds rounded up.
fn summary(slot: &Slot, now_ms: u64, burst: u32, window_ms: u64) -> Log {
    let n = slot.suppressed;
    let (noun, verb) = if n == 1 {
        ("delivery", "was")
    } else {
        ("deliveries", "were")
    };
    let span = now_ms.saturating_sub(slot.started_ms).div_ceil(1000);
    let per = window_ms.div_ceil(1000);
    Log {
        level: LogLevel::Warn,
        line: format!(
            "{PREFIX}{n} more refused {noun} ({}) {verb} not logged in the {span} s before (at most {burst} line{} per {per} s)",
            slot.reason,
            if burst == 1 { "" } else { "s" }
        ),
    }
}
