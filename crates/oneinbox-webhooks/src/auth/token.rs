//! Secret URL tokens.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{find_constant_time, usage, Verification, VerificationCode};
use crate::UsageError;

/// The query parameter that carries the token.
const PARAM: &str = "token";

/// Characters left as they are in a query value: RFC 3986 unreserved.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A URL a delivery can be sent to: absolute `http(s)` with a host, and no whitespace or
/// control characters (the URL standard silently drops tabs and newlines, so they are refused
/// instead of being handed back: a CR/LF in a URL that ends up in a header is an injection).
pub(crate) fn check_url(url: &str) -> Result<(), UsageError> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(usage(
            "/url",
            "`url` must not contain whitespace or control characters",
        ));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(usage(
            "/url",
            "`url` must be an absolute http(s) URL with a host",
        )),
    }
}

/// Sets (or replaces) the `token` query parameter of `url`, percent-encoded, keeping the rest of
/// the URL (other parameters, their order and encoding, the fragment) as written.
///
/// ```
/// use oneinbox_webhooks::auth::add_url_token;
///
/// let url = add_url_token("https://example.com/hooks?team=a#x", "s3cr3t/+")?;
/// assert_eq!(url, "https://example.com/hooks?team=a&token=s3cr3t%2F%2B#x");
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub fn add_url_token(url: &str, token: &str) -> Result<String, UsageError> {
    if token.is_empty() {
        return Err(usage("/token", "`token` is empty"));
    }
    check_url(url)?;
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(url.len() + token.len() * 3 + 8);
    out.push_str(base);
    out.push('?');
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() || param_name(pair) == PARAM {
            continue;
        }
        out.push_str(pair);
        out.push('&');
    }
    out.push_str(PARAM);
    out.push('=');
    out.extend(utf8_percent_encode(token, VALUE));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Ok(out)
}

/// The decoded name of one `name=value` query pair.
fn param_name(pair: &str) -> String {
    let name = pair.split('=').next().unwrap_or_default();
    url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// Checks the `token` query parameter of a request against one or more secrets (several during
/// a rotation), in constant time.
///
/// `request_url_or_query` may be a full URL, a path with a query (`/hooks?token=...`, what most
/// frameworks give as the request URL) or a bare query string (`token=...`).
///
/// ```
/// use oneinbox_webhooks::auth::{verify_url_token, VerificationCode};
///
/// let v = verify_url_token("/hooks/oneinbox?token=new-secret", &["old-secret", "new-secret"])?;
/// assert!(v.ok);
/// assert_eq!(v.matched_secret, Some(1));
///
/// let v = verify_url_token("/hooks/oneinbox", &["new-secret"])?;
/// assert_eq!(v.code, VerificationCode::MissingToken);
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub fn verify_url_token<S: AsRef<str>>(
    request_url_or_query: &str,
    secrets: &[S],
) -> Result<Verification, UsageError> {
    check_secrets(secrets)?;
    let without_fragment = request_url_or_query
        .split_once('#')
        .map_or(request_url_or_query, |(a, _)| a);
    let query = match without_fragment.split_once('?') {
        Some((_, q)) => q,
        None if without_fragment.starts_with('/') || has_scheme(without_fragment) => "",
        None => without_fragment,
    };
    let mut tokens = url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == PARAM);
    let Some((_, token)) = tokens.next() else {
        return Ok(Verification::fail(VerificationCode::MissingToken));
    };
    if tokens.next().is_some() {
        // Two tokens: never guess which one counts.
        return Ok(Verification::fail(VerificationCode::TokenMismatch));
    }
    if token.is_empty() {
        return Ok(Verification::fail(VerificationCode::MissingToken));
    }
    Ok(
        match find_constant_time(
            token.as_bytes(),
            secrets.iter().map(|s| s.as_ref().as_bytes()),
        ) {
            Some(i) => Verification::ok(i),
            None => Verification::fail(VerificationCode::TokenMismatch),
        },
    )
}

/// `scheme://…` at the start (RFC 3986 scheme characters), as opposed to a bare query string
/// that merely contains a URL in a value.
fn has_scheme(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `text` with the value of every `token=` query parameter replaced by `[redacted]`: for logs,
/// reprs and error messages that may hold a URL made by [`add_url_token`]. The SDK's own
/// `Debug` output and error messages already do this.
///
/// ```
/// use oneinbox_webhooks::auth::redact_url_token;
///
/// assert_eq!(
///     redact_url_token("https://example.com/hooks?team=a&token=s3cr3t"),
///     "https://example.com/hooks?team=a&token=[redacted]"
/// );
/// ```
pub fn redact_url_token(text: &str) -> String {
    crate::text::redact_url_tokens(text).into_owned()
}

pub(crate) fn check_secrets<S: AsRef<str>>(secrets: &[S]) -> Result<(), UsageError> {
    if secrets.is_empty() {
        return Err(usage("/secrets", "at least one secret is required"));
    }
    if let Some(i) = secrets.iter().position(|s| s.as_ref().is_empty()) {
        return Err(usage(&format!("/secrets/{i}"), "a secret is empty"));
    }
    Ok(())
}
