//! Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{find_constant_time, usage, Verification, VerificationCode};
use crate::UsageError;

/// The default tolerance between `webhook-timestamp` and `now`, in both directions: 5 minutes.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;

/// Longest header value read; longer ones are `invalid_header` (bounded work on hostile input).
/// Room for well over a thousand signatures.
const MAX_HEADER_BYTES: usize = 256 * 1024;

/// Secrets decode with or without `=` padding and with non-zero trailing bits, as the
/// reference libraries accept both.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A decoded `whsec_` signing secret. Its bytes never appear in `Debug`.
#[derive(Clone)]
pub struct SigningSecret {
    key: Vec<u8>,
}

impl SigningSecret {
    /// Decodes `whsec_<base64>` (the prefix is optional; padding is optional).
    pub fn parse(secret: &str) -> Result<Self, UsageError> {
        let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
        if b64.is_empty() {
            return Err(usage("/secret", "the signing secret is empty"));
        }
        match SECRET_BASE64.decode(b64) {
            Ok(key) if !key.is_empty() => Ok(SigningSecret { key }),
            _ => Err(usage(
                "/secret",
                "the signing secret is not `whsec_` followed by base64",
            )),
        }
    }

    fn mac(&self, msg_id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail; an empty key is refused above.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return [0; 32],
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// The length in bytes of a signing secret made by [`signing_secret_from_bytes`].
pub const SIGNING_SECRET_BYTES: usize = 32;

/// A `whsec_` signing secret from 32 random bytes: `whsec_` and the bytes in standard, padded
/// base64 (50 characters in all), the form Standard Webhooks verifiers decode (this crate's,
/// and the reference libraries', which require the padding). The randomness comes from the
/// caller (the core draws none): Python's `new_signing_secret()` and Node's
/// `newSigningSecret()` pass 32 bytes from the operating system's CSPRNG.
///
/// ```
/// use oneinbox_webhooks::auth::{sign, signing_secret_from_bytes, verify_signature};
///
/// let secret = signing_secret_from_bytes(&[7; 32]);
/// assert!(secret.starts_with("whsec_") && secret.len() == 50);
/// let signature = sign(&secret, "msg_1", 1_780_000_000, b"{}")?;
/// let headers = [
///     ("webhook-id", "msg_1"),
///     ("webhook-timestamp", "1780000000"),
///     ("webhook-signature", signature.as_str()),
/// ];
/// assert!(verify_signature(&headers, b"{}", &[secret.as_str()], 1_780_000_000, 300)?.ok);
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub fn signing_secret_from_bytes(bytes: &[u8; SIGNING_SECRET_BYTES]) -> String {
    format!("whsec_{}", STANDARD.encode(bytes))
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

/// Signs a message the Standard Webhooks way; returns the `webhook-signature` header value
/// (`v1,<base64>`). For your own tests and for forwarding.
///
/// ```
/// use oneinbox_webhooks::auth::{sign, verify_signature};
///
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let body = br#"{"test": 2432232314}"#;
/// let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)?;
/// assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
///
/// let headers = [
///     ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
///     ("webhook-timestamp", "1614265330"),
///     ("webhook-signature", sig.as_str()),
/// ];
/// let v = verify_signature(&headers, body, &[secret], 1614265330, 300)?;
/// assert!(v.ok);
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, UsageError> {
    let key = SigningSecret::parse(secret)?;
    if msg_id.is_empty() || msg_id.contains(['\r', '\n']) {
        return Err(usage(
            "/msg_id",
            "`msg_id` must be non-empty and on one line",
        ));
    }
    let mac = key.mac(msg_id, &timestamp.to_string(), body);
    Ok(format!("v1,{}", STANDARD.encode(mac)))
}

/// Verifies a Standard Webhooks signature over the **raw** body.
///
/// `headers` are name/value pairs (names compared case-insensitively); `secrets` are
/// `whsec_` secrets (several during a rotation); `now` is the current Unix time in seconds
/// (passed in: this crate reads no clock); `tolerance` is in seconds, both directions
/// ([`DEFAULT_TOLERANCE_SECONDS`] is the usual value). Checks run in this order: headers
/// present and single, timestamp well-formed, timestamp within tolerance, signature.
pub fn verify_signature<K: AsRef<str>, V: AsRef<str>, S: AsRef<str>>(
    headers: &[(K, V)],
    body: &[u8],
    secrets: &[S],
    now: i64,
    tolerance: u64,
) -> Result<Verification, UsageError> {
    let keys = parse_secrets(secrets)?;
    Ok(verify_with(headers, body, &keys, now, tolerance))
}

pub(crate) fn parse_secrets<S: AsRef<str>>(
    secrets: &[S],
) -> Result<Vec<SigningSecret>, UsageError> {
    if secrets.is_empty() {
        return Err(usage("/secrets", "at least one signing secret is required"));
    }
    secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            SigningSecret::parse(s.as_ref()).map_err(|e| {
                let issues = e
                    .into_issues()
                    .into_iter()
                    .map(|mut issue| {
                        issue.path = format!("/secrets/{i}");
                        issue
                    })
                    .collect();
                UsageError::new(issues)
            })
        })
        .collect()
}

/// The one value of a header, `Err` when it is absent/empty or repeated or too long.
fn single<'h, K: AsRef<str>, V: AsRef<str>>(
    headers: &'h [(K, V)],
    name: &str,
) -> Result<&'h str, VerificationCode> {
    let mut found = None;
    for (k, v) in headers {
        if k.as_ref().trim().eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(VerificationCode::InvalidHeader);
            }
            found = Some(v.as_ref());
        }
    }
    match found.map(str::trim) {
        None | Some("") => Err(VerificationCode::MissingHeader),
        Some(v) if v.len() > MAX_HEADER_BYTES => Err(VerificationCode::InvalidHeader),
        Some(v) => Ok(v),
    }
}

pub(crate) fn verify_with<K: AsRef<str>, V: AsRef<str>>(
    headers: &[(K, V)],
    body: &[u8],
    keys: &[SigningSecret],
    now: i64,
    tolerance: u64,
) -> Verification {
    let fields = (
        single(headers, "webhook-id"),
        single(headers, "webhook-timestamp"),
        single(headers, "webhook-signature"),
    );
    let (msg_id, timestamp, signatures) = match fields {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (a, b, c) => {
            // Report a repeated header before a missing one: it is the stronger signal.
            let codes = [a.err(), b.err(), c.err()];
            let code = if codes.contains(&Some(VerificationCode::InvalidHeader)) {
                VerificationCode::InvalidHeader
            } else {
                VerificationCode::MissingHeader
            };
            return Verification::fail(code);
        }
    };
    // Plain decimal seconds: no sign, no spaces, no fraction; at most 19 digits so the value
    // fits an i64, and the arithmetic below is in i128 so nothing can overflow.
    if timestamp.is_empty()
        || timestamp.len() > 19
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Verification::fail(VerificationCode::InvalidTimestamp);
    }
    let Ok(ts) = timestamp.parse::<i64>() else {
        return Verification::fail(VerificationCode::InvalidTimestamp);
    };
    let (ts, now, tol) = (i128::from(ts), i128::from(now), i128::from(tolerance));
    if ts < now - tol {
        return Verification::fail(VerificationCode::TimestampTooOld);
    }
    if ts > now + tol {
        return Verification::fail(VerificationCode::TimestampTooNew);
    }
    let macs: Vec<[u8; 32]> = keys
        .iter()
        .map(|k| k.mac(msg_id, timestamp, body))
        .collect();
    let mut any_v1 = false;
    let mut matched = None;
    for entry in signatures.split(' ').filter(|e| !e.is_empty()) {
        let Some((version, sig)) = entry.split_once(',') else {
            continue;
        };
        if version != "v1" {
            continue;
        }
        any_v1 = true;
        let Ok(decoded) = STANDARD.decode(sig) else {
            continue;
        };
        if let Some(i) = find_constant_time(&decoded, macs.iter().map(|m| &m[..])) {
            matched = matched.or(Some(i));
        }
    }
    match matched {
        Some(i) => Verification::ok(i),
        None if !any_v1 => Verification::fail(VerificationCode::InvalidHeader),
        None => Verification::fail(VerificationCode::NoMatchingSignature),
    }
}
