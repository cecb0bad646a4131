//! [`Receiver`]: authenticate, then parse — the one call a webhook handler makes.

use std::fmt;

use super::signature::{parse_secrets, verify_with, SigningSecret, DEFAULT_TOLERANCE_SECONDS};
use super::token::{check_secrets, verify_url_token};
use super::{Verification, VerificationCode};
use crate::{Event, Issue, IssueCode, ParseOptions, UsageError, ValidationError};

/// The line a binding logs once, at WARNING, when it builds a receiver that authenticates
/// nothing because it was told to ([`Receiver::unauthenticated_warning`]).
pub const UNAUTHENTICATED_WARNING: &str = "oneinbox_webhooks: this Receiver has neither URL \
tokens nor signing secrets and accepts every delivery, from anyone (allow_unauthenticated)";

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
/// It fails closed: a receiver with neither URL tokens nor signing secrets refuses every
/// delivery ([`VerificationCode::NotConfigured`]) unless it was made with
/// [`Receiver::allow_unauthenticated`].
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
    allow_unauthenticated: bool,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver::new()
    }
}

impl Receiver {
    /// A receiver with no secrets yet, parsing with the default [`ParseOptions`]. Until it is
    /// given URL tokens or signing secrets (the `with_` methods) it refuses every delivery
    /// (`not_configured`), unless [`Receiver::allow_unauthenticated`] says otherwise.
    pub fn new() -> Self {
        Receiver {
            url_tokens: Vec::new(),
            signing_secrets: Vec::new(),
            tolerance: DEFAULT_TOLERANCE_SECONDS,
            options: ParseOptions::default(),
            allow_unauthenticated: false,
        }
    }

    /// Lets a receiver with neither URL tokens nor signing secrets accept every delivery, from
    /// anyone (for a test, or behind a proxy that authenticates). Without it such a receiver
    /// refuses every delivery. It changes nothing once a secret is configured.
    pub fn allow_unauthenticated(mut self) -> Self {
        self.allow_unauthenticated = true;
        self
    }

    /// Configures authentication from what a binding's caller passed, collecting every issue:
    /// `url_tokens` and `signing_secrets` (`None`: the option was not given; a `None` item: a
    /// null/undefined secret, e.g. an unset environment variable), and `allow_unauthenticated`.
    ///
    /// A [`UsageError`] when a list given is empty, holds a null or empty item or an
    /// undecodable signing secret (paths `/url_tokens/<i>`, `/signing_secrets/<i>`), or when
    /// neither list is given and `allow_unauthenticated` is false (code `missing_field`, path
    /// `/url_tokens`, the message naming both options): a receiver fails closed.
    ///
    /// ```
    /// use oneinbox_webhooks::auth::Receiver;
    ///
    /// let unset: Option<&str> = None; // e.g. std::env::var("ONEINBOX_URL_TOKEN").ok()
    /// let err = Receiver::new().with_authentication(Some(&[unset]), None, false).unwrap_err();
    /// assert_eq!(err.issues()[0].path, "/url_tokens/0");
    /// let err = Receiver::new().with_authentication::<&str>(None, None, false).unwrap_err();
    /// assert_eq!(err.issues()[0].code.as_str(), "missing_field");
    /// let open = Receiver::new().with_authentication::<&str>(None, None, true)?;
    /// assert!(open.unauthenticated_warning().is_some());
    /// # Ok::<(), oneinbox_webhooks::UsageError>(())
    /// ```
    pub fn with_authentication<S: AsRef<str>>(
        mut self,
        url_tokens: Option<&[Option<S>]>,
        signing_secrets: Option<&[Option<S>]>,
        allow_unauthenticated: bool,
    ) -> Result<Self, UsageError> {
        let mut issues = Vec::new();
        if let Some(tokens) = present(url_tokens, "url_tokens", &mut issues) {
            self.url_tokens = tokens.iter().map(|t| (*t).to_owned()).collect();
        }
        if let Some(secrets) = present(signing_secrets, "signing_secrets", &mut issues) {
            match parse_secrets(&secrets) {
                Ok(parsed) => self.signing_secrets = parsed,
                Err(e) => issues.extend(e.into_issues().into_iter().map(|mut i| {
                    if let Some(rest) = i.path.strip_prefix("/secrets") {
                        i.path = format!("/signing_secrets{rest}");
                    }
                    i
                })),
            }
        }
        self.allow_unauthenticated = allow_unauthenticated;
        if issues.is_empty() {
            self.check_configured()?;
            Ok(self)
        } else {
            Err(UsageError::new(issues))
        }
    }

    /// The fail-closed rule: a [`UsageError`] (code `missing_field`, path `/url_tokens`) when this
    /// receiver has neither URL tokens nor signing secrets and was not made with
    /// [`Receiver::allow_unauthenticated`]. Bindings call it at construction, so such a
    /// receiver is refused before it ever sees a delivery.
    pub fn check_configured(&self) -> Result<(), UsageError> {
        if self.is_open() && !self.allow_unauthenticated {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::MissingField,
                "/url_tokens",
                "a Receiver needs `url_tokens` or `signing_secrets` (both absent); to accept \
                 every delivery from anyone, make it with `allow_unauthenticated`",
            )]));
        }
        Ok(())
    }

    /// [`UNAUTHENTICATED_WARNING`] when this receiver accepts every delivery because it was
    /// made with [`Receiver::allow_unauthenticated`] and has no secrets: the line a binding
    /// logs once at construction. `None` otherwise.
    pub fn unauthenticated_warning(&self) -> Option<&'static str> {
        (self.is_open() && self.allow_unauthenticated).then_some(UNAUTHENTICATED_WARNING)
    }

    fn is_open(&self) -> bool {
        self.url_tokens.is_empty() && self.signing_secrets.is_empty()
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
        if self.is_open() && !self.allow_unauthenticated {
            return Err(Verification::fail(VerificationCode::NotConfigured));
        }
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
            .field("allow_unauthenticated", &self.allow_unauthenticated)
            .finish()
    }
}

/// The secrets of one receiver option, when it was given and holds no null or empty item and
/// at least one secret; otherwise its issues (every item checked) are added to `issues`.
fn present<'a, S: AsRef<str>>(
    list: Option<&'a [Option<S>]>,
    name: &str,
    issues: &mut Vec<Issue>,
) -> Option<Vec<&'a str>> {
    let list = list?;
    let before = issues.len();
    if list.is_empty() {
        issues.push(Issue::new(
            IssueCode::InvalidValue,
            format!("/{name}"),
            format!("`{name}` is an empty list: at least one secret is required"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        match item.as_ref().map(AsRef::as_ref) {
            None => issues.push(Issue::new(
                IssueCode::WrongType,
                format!("/{name}/{i}"),
                format!(
                    "`{name}` item {i} is null/undefined, expected a secret string \
                     (an unset environment variable?)"
                ),
            )),
            Some("") => issues.push(Issue::new(
                IssueCode::InvalidValue,
                format!("/{name}/{i}"),
                format!("`{name}` item {i} is an empty string, expected a secret"),
            )),
            Some(s) => out.push(s),
        }
    }
    (issues.len() == before).then_some(out)
}
