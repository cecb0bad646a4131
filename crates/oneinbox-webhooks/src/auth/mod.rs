//! Authenticating deliveries: secret URL tokens and Standard Webhooks signatures.
//!
//! OneInbox returns a `secret` for every webhook but does not document how (or whether) it
//! signs deliveries. Two mechanisms work regardless:
//!
//! * **A secret URL token** ([`add_url_token`], [`verify_url_token`]): put a high-entropy token
//!   in the webhook `url` (or a call's own webhook URL); only OneInbox and you know it. This works
//!   with OneInbox today.
//! * **[Standard Webhooks](https://www.standardwebhooks.com) signatures** ([`verify_signature`],
//!   [`sign`]): `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64>` headers,
//!   HMAC-SHA256 over `id.timestamp.body` with a `whsec_` secret.
//!
//! **Verify the raw body bytes exactly as received.** A body that was parsed and serialized
//! again (a framework's JSON middleware) no longer matches its signature.
//!
//! Outcomes are values ([`Verification`]), not errors: a forged request is an expected event.
//! Only misuse (no secrets, an undecodable secret) is a [`UsageError`](crate::UsageError).
//!
//! A [`Receiver`] fails closed: with neither URL tokens nor signing secrets it refuses every
//! delivery (`not_configured`), and [`Receiver::with_authentication`] (what the bindings call)
//! refuses to build it, unless it is made with [`Receiver::allow_unauthenticated`].
//! Secrets never appear in `Debug` output or in messages.

mod receiver;
mod signature;
pub(crate) mod token;

pub use receiver::{ReceiveError, Receiver, UNAUTHENTICATED_WARNING};
pub use signature::{
    sign, signing_secret_from_bytes, verify_signature, SigningSecret, DEFAULT_TOLERANCE_SECONDS,
    SIGNING_SECRET_BYTES,
};
pub use token::{add_url_token, redact_url_token, verify_url_token};

use std::fmt;

/// The stable outcome code of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationCode {
    /// `ok`: authenticated.
    Ok,
    /// `missing_token`: the URL has no `token` query parameter (or an empty one).
    MissingToken,
    /// `token_mismatch`: the token matches none of the secrets (or appears more than once).
    TokenMismatch,
    /// `missing_header`: a required signature header is absent or empty.
    MissingHeader,
    /// `invalid_header`: a signature header is repeated, too long, or has no `v1,` entry.
    InvalidHeader,
    /// `invalid_timestamp`: `webhook-timestamp` is not a plain decimal number of seconds.
    InvalidTimestamp,
    /// `timestamp_too_old`: the timestamp is older than `now - tolerance` (a replay?).
    TimestampTooOld,
    /// `timestamp_too_new`: the timestamp is later than `now + tolerance`.
    TimestampTooNew,
    /// `no_matching_signature`: no `v1` signature matches any secret.
    NoMatchingSignature,
    /// `not_configured`: the [`Receiver`] has neither URL tokens nor signing secrets and was not
    /// made with [`Receiver::allow_unauthenticated`], so it refuses every delivery (it fails
    /// closed instead of accepting deliveries from anyone).
    NotConfigured,
}

impl VerificationCode {
    /// Every code.
    pub const ALL: [VerificationCode; 10] = [
        VerificationCode::Ok,
        VerificationCode::MissingToken,
        VerificationCode::TokenMismatch,
        VerificationCode::MissingHeader,
        VerificationCode::InvalidHeader,
        VerificationCode::InvalidTimestamp,
        VerificationCode::TimestampTooOld,
        VerificationCode::TimestampTooNew,
        VerificationCode::NoMatchingSignature,
        VerificationCode::NotConfigured,
    ];

    /// The stable snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationCode::Ok => "ok",
            VerificationCode::MissingToken => "missing_token",
            VerificationCode::TokenMismatch => "token_mismatch",
            VerificationCode::MissingHeader => "missing_header",
            VerificationCode::InvalidHeader => "invalid_header",
            VerificationCode::InvalidTimestamp => "invalid_timestamp",
            VerificationCode::TimestampTooOld => "timestamp_too_old",
            VerificationCode::TimestampTooNew => "timestamp_too_new",
            VerificationCode::NoMatchingSignature => "no_matching_signature",
            VerificationCode::NotConfigured => "not_configured",
        }
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// `true` exactly when `code` is [`VerificationCode::Ok`].
    pub ok: bool,
    /// Why it failed, or `ok`.
    pub code: VerificationCode,
    /// Which secret matched (its index in the list given), for key rotation.
    pub matched_secret: Option<usize>,
}

impl Verification {
    pub(crate) fn ok(index: usize) -> Self {
        Verification {
            ok: true,
            code: VerificationCode::Ok,
            matched_secret: Some(index),
        }
    }

    pub(crate) fn fail(code: VerificationCode) -> Self {
        Verification {
            ok: false,
            code,
            matched_secret: None,
        }
    }
}

/// The index of the first secret equal to `given`, comparing every secret in constant time
/// (no early exit on a match or on the first differing byte).
pub(crate) fn find_constant_time<'a>(
    given: &[u8],
    secrets: impl Iterator<Item = &'a [u8]>,
) -> Option<usize> {
    use subtle::ConstantTimeEq;
    let mut found = None;
    for (i, secret) in secrets.enumerate() {
        let equal: bool = secret.ct_eq(given).into();
        if equal && found.is_none() {
            found = Some(i);
        }
    }
    found
}

pub(crate) fn usage(path: &str, message: impl Into<String>) -> crate::UsageError {
    crate::UsageError::new(vec![crate::Issue::new(
        crate::IssueCode::InvalidValue,
        path,
        message,
    )])
}

#[cfg(test)]
mod tests;
