//! The retry driver: after an attempt that failed, whether to send the request again and how
//! long to wait first, or why to give up.
//!
//! Every client (Python's `Client` and `AsyncClient`, Node's `Client`, a Rust loop of your own)
//! keeps one small loop that sends a [`Prepared`] request and, when the attempt fails, asks
//! [`Prepared::next_step`] what to do. The decision is the request's [`Retry`] policy, the
//! attempt count, what happened ([`Outcome`]) and a random draw the caller makes; nothing else.
//!
//! ```
//! use std::time::Duration;
//! use oneinbox_webhooks::management::{Api, Outcome, Step};
//!
//! let api = Api::new("oi_sk_live_abc123")?;
//! let prepared = api.list_webhooks()?;
//! // The first attempt (number 0) got a 503 without Retry-After; the draw was 0.5:
//! let step = prepared.next_step(0, 2, Outcome::Status { status: 503, retry_after: None }, 0.5);
//! assert_eq!(step, Step::Retry { wait: Duration::from_millis(250) });
//! // A 404 is never retried: raise the ApiError that parse_response gave.
//! let step = prepared.next_step(0, 2, Outcome::Status { status: 404, retry_after: None }, 0.5);
//! assert!(matches!(step, Step::GiveUp(g) if !g.retryable && g.message.is_none()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use super::request::Prepared;
use super::response::clean;

/// The window of the first retry's backoff: it waits a random time up to this long.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// The longest backoff window: the window doubles with each retry up to this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// The longest `Retry-After` honoured: a longer one is cut to this.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// How many times a client sends a failed request again unless told otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// What happened to one attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The server answered with a status outside 2xx. `retry_after` is what the answer's
    /// `Retry-After` header asks for ([`retry_after`](super::retry_after)), if it has one.
    Status {
        /// The HTTP status.
        status: u16,
        /// How long the server asked to wait.
        retry_after: Option<Duration>,
    },
    /// The connection could not be opened (refused, no route, a DNS failure, a connect
    /// timeout): nothing was sent, so sending again is safe for every request. `cause` is the
    /// client's description of the failure, for the message.
    NotConnected {
        /// The client's description of the failure.
        cause: &'a str,
    },
    /// No answer after the request may have reached the server (the connection was lost, the
    /// answer timed out). `cause` is the client's description of the failure.
    Lost {
        /// The client's description of the failure.
        cause: &'a str,
    },
}

/// What to do after a failed attempt. A wait is always whole milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send the same request again after waiting this long.
    Retry {
        /// How long to wait first.
        wait: Duration,
    },
    /// Stop and report the failure.
    GiveUp(GiveUp),
}

/// Why a client stops retrying, and what it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiveUp {
    /// Whether sending the same request again later is safe and may succeed. `false` when a
    /// request that creates something may have been processed, or the status says the
    /// request is wrong.
    pub retryable: bool,
    /// For a failure without an answer: the message of the error to raise (method and URL,
    /// URL tokens redacted; the cause, API key scrubbed; the attempts made; for a request that
    /// creates something, whether it may exist and how to check). `None` for a status: raise
    /// the `ApiError` that [`Prepared::parse_response`] gave.
    pub message: Option<String>,
}

impl<T> Prepared<T> {
    /// After attempt number `attempt` (0 for the first send) failed with `outcome`: send again
    /// after a wait, or give up. At most `max_retries` retries are made.
    ///
    /// - A status is retried when the request's policy allows it ([`Retry::allows`](super::Retry::allows)): 408, 429
    ///   and 5xx for a request that can be sent twice, only 429 and 503 for one that creates
    ///   something or sends a test delivery (`test_webhook`: each send may deliver another).
    ///   A 2xx status is never retried.
    /// - [`Outcome::NotConnected`] is retried for every request (nothing was sent);
    ///   [`Outcome::Lost`] only for a request that can be sent twice. Any other request gives
    ///   up at once, with `retryable: false` and a message saying what may exist (or have
    ///   been sent) and how to check.
    /// - The wait is the status's `Retry-After` when it has one (at most [`RETRY_AFTER_CAP`]),
    ///   otherwise full jitter: `draw × min(BACKOFF_CAP, BACKOFF_BASE × 2^attempt)`. `draw` is
    ///   the caller's random number in `[0, 1]`; one outside it is clamped, NaN counts as 0.
    ///   Waits are whole milliseconds (the fraction cut), so a wait is the same number in every
    ///   language.
    pub fn next_step(
        &self,
        attempt: u32,
        max_retries: u32,
        outcome: Outcome<'_>,
        draw: f64,
    ) -> Step {
        let (policy, request) = (self.retry(), self.request());
        let exhausted = attempt >= max_retries;
        match outcome {
            Outcome::Status {
                status,
                retry_after,
            } => {
                let retryable = !(200..300).contains(&status) && policy.allows(status);
                if !retryable || exhausted {
                    return Step::GiveUp(GiveUp {
                        retryable,
                        message: None,
                    });
                }
                let wait = match retry_after {
                    Some(asked) => whole_millis(asked.min(RETRY_AFTER_CAP)),
                    None => backoff(attempt, draw),
                };
                Step::Retry { wait }
            }
            Outcome::NotConnected { cause } | Outcome::Lost { cause } => {
                let sent = matches!(outcome, Outcome::Lost { .. });
                let what = transport_what(request, cause);
                if sent && !policy.after_lost_connection() {
                    let note = policy
                        .ambiguity_note()
                        .unwrap_or("the request may have been processed");
                    return Step::GiveUp(GiveUp {
                        retryable: false,
                        message: Some(format!(
                            "{what}: no response after the request was sent; {note}"
                        )),
                    });
                }
                if exhausted {
                    let tries = attempt.saturating_add(1);
                    let plural = if tries == 1 { "" } else { "s" };
                    return Step::GiveUp(GiveUp {
                        retryable: true,
                        message: Some(format!("{what}: no response after {tries} attempt{plural}")),
                    });
                }
                Step::Retry {
                    wait: backoff(attempt, draw),
                }
            }
        }
    }
}

/// `"GET https://… (cause)"`: the request and the client's cause, made safe to show.
fn transport_what(request: &super::HttpRequest, cause: &str) -> String {
    let url = clean(&request.url, request.bearer_token());
    let cause = clean(cause.trim(), request.bearer_token());
    let cause = if cause.is_empty() {
        "no answer"
    } else {
        cause.as_str()
    };
    format!("{} {url} ({cause})", request.method.as_str())
}

/// Full jitter: `draw × min(BACKOFF_CAP, BACKOFF_BASE × 2^attempt)`, in whole milliseconds
/// (the fraction cut), so that every language computes the same wait.
fn backoff(attempt: u32, draw: f64) -> Duration {
    let draw = if draw.is_nan() {
        0.0
    } else {
        draw.clamp(0.0, 1.0)
    };
    // 2^5 × 0.5 s is past the cap already; a larger exponent only risks overflow.
    let window = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_CAP);
    // At most 8,000 ms: exact as an f64, and the product cut to an integer fits a u64.
    let window_ms = window.as_millis() as f64;
    Duration::from_millis((draw * window_ms).floor() as u64)
}

/// `wait` cut to whole milliseconds.
fn whole_millis(wait: Duration) -> Duration {
    Duration::from_millis(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::management::{Api, CreateCall};

    fn status(status: u16) -> Outcome<'static> {
        Outcome::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn the_backoff_window_doubles_up_to_the_cap() {
        let windows: Vec<Duration> = (0..8).map(|n| backoff(n, 1.0)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            windows,
            [
                ms(500),
                ms(1000),
                ms(2000),
                ms(4000),
                ms(8000),
                ms(8000),
                ms(8000),
                ms(8000)
            ]
        );
        assert_eq!(backoff(u32::MAX, 1.0), BACKOFF_CAP);
        assert_eq!(backoff(0, f64::NAN), Duration::ZERO);
        assert_eq!(backoff(0, -3.0), Duration::ZERO);
        assert_eq!(backoff(0, 7.0), BACKOFF_BASE);
    }

    #[test]
    fn a_create_call_is_never_sent_again_after_it_may_have_been_placed() {
        let api = Api::new("oi_sk_live_key123").unwrap();
        let prepared = api
            .create_call(&CreateCall {
                agent_id: "agent_1".into(),
                to_number: "+14155550100".into(),
                from_number: "+14155550199".into(),
                ..CreateCall::default()
            })
            .unwrap();
        for s in [500, 502, 504, 408] {
            assert!(matches!(
                prepared.next_step(0, 5, status(s), 0.5),
                Step::GiveUp(GiveUp {
                    retryable: false,
                    message: None
                })
            ));
        }
        assert!(matches!(
            prepared.next_step(0, 5, status(503), 0.5),
            Step::Retry { .. }
        ));
        let Step::GiveUp(g) = prepared.next_step(
            0,
            5,
            Outcome::Lost {
                cause: "reset by oi_sk_live_key123",
            },
            0.5,
        ) else {
            panic!("a lost create_call must not be retried");
        };
        assert!(!g.retryable);
        let message = g.message.unwrap();
        assert!(message.contains("may have been placed"), "{message}");
        assert!(!message.contains("oi_sk_live_key123"), "{message}");
        assert!(matches!(
            prepared.next_step(0, 5, Outcome::NotConnected { cause: "refused" }, 0.5),
            Step::Retry { .. }
        ));
    }

    #[test]
    fn a_2xx_status_is_never_retried() {
        let api = Api::new("oi_sk_live_key123").unwrap();
        let prepared = api.list_webhooks().unwrap();
        assert_eq!(
            prepared.next_step(0, 2, status(200), 0.5),
            Step::GiveUp(GiveUp {
                retryable: false,
                message: None
            })
        );
    }
}
