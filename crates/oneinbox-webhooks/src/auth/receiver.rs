//! [`Receiver`]: authenticate, then parse — the one call a webhook handler makes.

use std::fmt;

use super::signature::{parse_secrets, verify_with, SigningSecret, DEFAULT_TOLERANCE_SECONDS};
use super::token::{check_secrets, verify_url_token};
use super::{Verification, VerificationCode};
use crate::{Event, ParseOptions, UsageError, ValidationError};

/// Why [`Receiver::receive`] refused a delivery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReceiveError {
    /// The delivery did not authenticate (answer 401 and do not process it).
    #[error("delivery not authenticated: {}", .0.code)]
    Unauthenticated(Verification),
    /// It authenticated but the body is not a valid event (answer 400).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Authenticates deliveries (URL token and/or Standard Webhooks signature, when configured)
/// and parses them.
///
/// ```
/// use oneinbox_webhooks::auth::{ReceiveError, Receiver};
/// use oneinbox_webhooks::Event;
///
/// let receiver = Receiver::new().with_url_tokens(&["tok_9f8e7d"])?;
/// let body = br#"{"event":"call.started","call_id":"call_1"}"#;
/// let headers: [(&str, &str); 0] = [];
/// let event = receiver.receive(body, &headers, Some("/hooks?token=tok_9f8e7d"), 1_700_000_000);
/// assert!(matches!(event, Ok(Event::CallStarted(_))));
///
/// let forged = receiver.receive(body, &headers, Some("/hooks?token=guess"), 1_700_000_000);
/// assert!(matches!(forged, Err(ReceiveError::Unauthenticated(_))));
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
#[derive(Clone)]
pub struct Receiver {
    url_tokens: Vec<String>,
    signing_secrets: Vec<SigningSecret>,
    tolerance: u64,
    options: ParseOptions,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver::new()
    }
}

impl Receiver {
    /// A receiver that authenticates nothing (configure it with the `with_` methods) and parses
    /// with the default [`ParseOptions`].
    pub fn new() -> Self {
        Receiver {
            url_tokens: Vec::new(),
            signing_secrets: Vec::new(),
            tolerance: DEFAULT_TOLERANCE_SECONDS,
            options: ParseOptions::default(),
        }
    }

    /// Requires a `token` query parameter equal to one of these secrets.
    pub fn with_url_tokens<S: AsRef<str>>(mut self, tokens: &[S]) -> Result<Self, UsageError> {
        check_secrets(tokens)?;
        self.url_tokens = tokens.iter().map(|t| t.as_ref().to_owned()).collect();
        Ok(self)
    }

    /// Requires a Standard Webhooks signature by one of these `whsec_` secrets.
    pub fn with_signing_secrets<S: AsRef<str>>(
        mut self,
        secrets: &[S],
    ) -> Result<Self, UsageError> {
        self.signing_secrets = parse_secrets(secrets)?;
        Ok(self)
    }

    /// The allowed distance between `webhook-timestamp` and `now`, in seconds (default 300).
    pub fn with_tolerance(mut self, seconds: u64) -> Self {
        self.tolerance = seconds;
        self
    }

    /// How bodies are parsed.
    pub fn with_parse_options(mut self, options: ParseOptions) -> Self {
        self.options = options;
        self
    }

    /// Authenticates the delivery (URL token first, then signature, as configured), then
    /// parses the **raw** body. `url` is the request URL as the framework gives it (a path
    /// with its query is enough); `now` is the current Unix time in seconds.
    pub fn receive<K: AsRef<str>, V: AsRef<str>>(
        &self,
        body: &[u8],
        headers: &[(K, V)],
        url: Option<&str>,
        now: i64,
    ) -> Result<Event, ReceiveError> {
        self.authenticate(body, headers, url, now)
            .map_err(ReceiveError::Unauthenticated)?;
        Ok(self.options.parse(body)?)
    }

    /// The authentication half of [`Receiver::receive`]: the failed check, if any. For
    /// callers that then parse the body themselves, e.g. with
    /// [`ParseOptions::parse_with`] and the options of [`Receiver::parse_options`].
    pub fn authenticate<K: AsRef<str>, V: AsRef<str>>(
        &self,
        body: &[u8],
        headers: &[(K, V)],
        url: Option<&str>,
        now: i64,
    ) -> Result<(), Verification> {
        if !self.url_tokens.is_empty() {
            let v = match url {
                Some(url) => verify_url_token(url, &self.url_tokens)
                    .unwrap_or(Verification::fail(VerificationCode::MissingToken)),
                None => Verification::fail(VerificationCode::MissingToken),
            };
            if !v.ok {
                return Err(v);
            }
        }
        if !self.signing_secrets.is_empty() {
            let v = verify_with(headers, body, &self.signing_secrets, now, self.tolerance);
            if !v.ok {
                return Err(v);
            }
        }
        Ok(())
    }

    /// How bodies are parsed (see [`Receiver::with_parse_options`]).
    pub fn parse_options(&self) -> &ParseOptions {
        &self.options
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field(
                "url_tokens",
                &format_args!("[{} redacted]", self.url_tokens.len()),
            )
            .field(
                "signing_secrets",
                &format_args!("[{} redacted]", self.signing_secrets.len()),
            )
            .field("tolerance", &self.tolerance)
            .field("options", &self.options)
            .finish()
    }
}
