//! The signature and URL-token verifiers never panic, whatever the headers, body, clock,
//! tolerance or URL; a signature made by `sign` always verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oneinbox_webhooks::auth::{add_url_token, sign, verify_signature, verify_url_token};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(5, '\n');
    let (id, ts, sig, url, body) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let now = data.iter().fold(0i64, |n, b| n.wrapping_mul(31).wrapping_add(i64::from(*b)));
    let tolerance = now.unsigned_abs();
    let headers = [
        ("webhook-id", id),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
        ("Webhook-Signature", url),
    ];
    let _ = verify_signature(&headers, body.as_bytes(), &[SECRET], now, tolerance);
    let _ = verify_signature(&headers[..3], body.as_bytes(), &[SECRET, SECRET], now, 300);
    let _ = verify_url_token(url, &[id, "fallback"]);
    if let Ok(with_token) = add_url_token(url, id) {
        if !id.is_empty() {
            let v = verify_url_token(&with_token, &[id]);
            assert!(v.map(|v| v.ok).unwrap_or(false), "added token does not verify: {with_token}");
        }
    }
    if let Ok(header) = sign(SECRET, "msg_1", now, body.as_bytes()) {
        let ts = now.to_string();
        let signed = [
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", header.as_str()),
        ];
        let v = verify_signature(&signed, body.as_bytes(), &[SECRET], now, 0);
        if now >= 0 {
            assert!(v.map(|v| v.ok).unwrap_or(false), "sign/verify disagree");
        }
    }
});
