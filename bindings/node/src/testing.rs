//! `makeEvent`, `makeCall` and `makeDelivery`: the core's `testing` module for the JavaScript
//! `oneinbox-webhooks/testing` helpers (which add a random message id and the current time);
//! `planSend`: its `send` module, for the `send` command (`bin/oneinbox-webhooks.js`).

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use oneinbox_webhooks::send::SendArgs;
use oneinbox_webhooks::testing::{self as t, DeliveryOptions};
use oneinbox_webhooks::{Issue, IssueCode};
use serde_json::Value;

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The events of one connected call, in the order OneInbox sends them.
#[napi(js_name = "callSequence")]
pub fn call_sequence() -> Vec<String> {
    t::CALL_SEQUENCE.iter().map(|s| (*s).to_owned()).collect()
}

/// The guide's payload of `event` with `overrides_json` (a JSON object text, wire names) set.
#[napi(js_name = "makeEvent")]
pub fn make_event(
    event: String,
    overrides_json: Option<String>,
) -> napi::Result<Either<Buffer, Vec<NativeIssue>>> {
    guard(|| {
        let overrides = match overrides_json.as_deref().map(serde_json::from_str::<Value>) {
            None => Value::Null,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Ok(Either::B(issues_to_js(vec![Issue::new(
                    IssueCode::InvalidJson,
                    "/overrides",
                    format!("`overrides` is not JSON: {e}"),
                )])))
            }
        };
        Ok(match t::make_event(&event, &overrides) {
            Ok(body) => Either::A(body.into()),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

/// The deliveries of one connected call, all with `call_id`.
#[napi(js_name = "makeCall")]
pub fn make_call(call_id: String) -> napi::Result<Vec<Buffer>> {
    guard(|| {
        Ok(t::make_call(&call_id)
            .into_iter()
            .map(Buffer::from)
            .collect())
    })
}

/// A delivery as OneInbox makes it.
#[napi(object, js_name = "NativeSimulatedDelivery")]
pub struct NativeSimulatedDelivery {
    /// The body, unchanged.
    pub body: Buffer,
    /// `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
    /// The URL, with the token.
    pub url: String,
}

/// The delivery of `body` OneInbox would make (`timestamp` in Unix seconds, saturated).
#[napi(js_name = "makeDelivery")]
pub fn make_delivery(
    body: &[u8],
    url: String,
    url_token: Option<String>,
    signing_secret: Option<String>,
    msg_id: String,
    timestamp: f64,
) -> napi::Result<Either<NativeSimulatedDelivery, Vec<NativeIssue>>> {
    guard(|| {
        let options = DeliveryOptions {
            url,
            url_token,
            signing_secret,
            msg_id,
            timestamp: timestamp as i64,
        };
        Ok(match t::make_delivery(body, &options) {
            Ok(d) => Either::A(NativeSimulatedDelivery {
                body: d.body.into(),
                headers: d.headers.into_iter().map(|(n, v)| vec![n, v]).collect(),
                url: d.url,
            }),
            Err(e) => Either::B(issues_to_js(e.into_issues())),
        })
    })
}

/// One delivery of the `send` command's plan.
#[napi(object, js_name = "NativePlannedDelivery")]
pub struct NativePlannedDelivery {
    /// The event name of the body.
    pub event: String,
    /// The `call_id` of the body.
    pub call_id: String,
    /// The message id (`webhook-id`); a repeat has its original's.
    pub msg_id: String,
    /// Whether an earlier delivery of the plan had the same message id.
    pub repeat: bool,
    /// The line `send --dry-run` prints for it.
    pub line: String,
}

/// The plan of the `send` command, or the issues of its `UsageError` (exactly one of the two
/// is set).
#[napi(object, js_name = "NativeSendPlan")]
pub struct NativeSendPlan {
    /// The deliveries in sending order.
    pub deliveries: Option<Vec<NativePlannedDelivery>>,
    /// The issues when an argument is bad.
    pub issues: Option<Vec<NativeIssue>>,
}

/// The line `send` prints for a delivery it sent (the core's `send::sent_line`).
#[napi(js_name = "sendSentLine")]
pub fn send_sent_line(
    event: String,
    status: String,
    millis: f64,
    reason: Option<String>,
    repeat: bool,
) -> String {
    oneinbox_webhooks::send::sent_line(&event, &status, millis, reason.as_deref(), repeat)
}

/// The last line of `send` (the core's `send::summary_line`; the URL's token redacted).
#[napi(js_name = "sendSummaryLine")]
pub fn send_summary_line(deliveries: u32, to: String, answered: u32) -> String {
    oneinbox_webhooks::send::summary_line(deliveries as usize, &to, answered as usize)
}

/// The plan of the `send` command's arguments as typed (`seed` and `duplicates` as their
/// text); `random_seed` (8 bytes, big-endian) is the seed when `seed` is `null`.
#[napi(js_name = "planSend")]
pub fn plan_send(
    events: Vec<String>,
    call_id: Option<String>,
    seed: Option<String>,
    duplicates: Option<String>,
    shuffle: bool,
    random_seed: &[u8],
) -> napi::Result<NativeSendPlan> {
    guard(|| {
        let args = SendArgs {
            events,
            call_id,
            seed,
            duplicates,
            shuffle,
        };
        let random_seed = random_seed
            .iter()
            .take(8)
            .fold(0u64, |seed, &b| seed << 8 | u64::from(b));
        Ok(match args.plan(random_seed) {
            Ok(plan) => NativeSendPlan {
                deliveries: Some(
                    plan.into_iter()
                        .map(|d| NativePlannedDelivery {
                            line: d.line(),
                            event: d.event,
                            call_id: d.call_id,
                            msg_id: d.msg_id,
                            repeat: d.repeat,
                        })
                        .collect(),
                ),
                issues: None,
            },
            Err(e) => NativeSendPlan {
                deliveries: None,
                issues: Some(issues_to_js(e.into_issues())),
            },
        })
    })
}

/// A command-line secret, or the issues of its `UsageError` (at most one of the two is set).
#[napi(object, js_name = "NativeChosenSecret")]
pub struct NativeChosenSecret {
    /// The secret, or `null` when no source is given.
    pub secret: Option<String>,
    /// The issues when a source given is bad.
    pub issues: Option<Vec<NativeIssue>>,
}

/// A command-line secret from the first source given: the option, the content of its file
/// option, the environment variable (`send::choose_secret`).
#[napi(js_name = "chooseSecret")]
pub fn choose_secret(
    name: String,
    option: Option<String>,
    file: Option<String>,
    env: Option<String>,
) -> napi::Result<NativeChosenSecret> {
    guard(|| {
        Ok(
            match oneinbox_webhooks::send::choose_secret(
                &name,
                option.as_deref(),
                file.as_deref(),
                env.as_deref(),
            ) {
                Ok(secret) => NativeChosenSecret {
                    secret,
                    issues: None,
                },
                Err(e) => NativeChosenSecret {
                    secret: None,
                    issues: Some(issues_to_js(e.into_issues())),
                },
            },
        )
    })
}
