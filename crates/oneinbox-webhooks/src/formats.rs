//! Value formats checked in strict mode and by the request builders.

/// `^\+[1-9]\d{1,14}$`: an E.164 phone number.
pub(crate) fn is_e164(s: &str) -> bool {
    let b = s.as_bytes();
    match b {
        [b'+', b'1'..=b'9', rest @ ..] => {
            (1..=14).contains(&rest.len()) && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// An absolute URL whose scheme is exactly `https` (written as `https://`), with a host, no
/// user-info, and no whitespace or control characters anywhere.
pub(crate) fn is_https_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://") else {
        return false;
    };
    // The authority must be there as written: the URL standard would read `https:///x` as
    // host `x`, which is not what the sender meant.
    if rest.starts_with(['/', '?', '#']) || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match url::Url::parse(s) {
        Ok(u) => {
            u.scheme() == "https"
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
        }
        Err(_) => false,
    }
}

/// An RFC 3339 `date-time` (section 5.6), e.g. `2026-06-01T10:00:00Z` or
/// `2026-06-01T10:00:00.5+05:30`. Leap seconds (`:60`) are allowed as the grammar allows.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    fn num(b: &[u8]) -> Option<u32> {
        if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    }
    let b = s.as_bytes();
    // full-date "T" partial-time: at least 19 bytes before the offset
    let (Some(date), Some(sep), Some(time)) = (b.get(..10), b.get(10), b.get(11..19)) else {
        return false;
    };
    if !matches!(sep, b'T' | b't') {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (
        date.get(..4).and_then(num),
        date.get(5..7).and_then(num),
        date.get(8..10).and_then(num),
    ) else {
        return false;
    };
    if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > days {
        return false;
    }
    let (Some(hh), Some(mm), Some(ss)) = (
        time.get(..2).and_then(num),
        time.get(3..5).and_then(num),
        time.get(6..8).and_then(num),
    ) else {
        return false;
    };
    if time.get(2) != Some(&b':') || time.get(5) != Some(&b':') || hh > 23 || mm > 59 || ss > 60 {
        return false;
    }
    let mut rest = b.get(19..).unwrap_or_default();
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = tail.get(digits..).unwrap_or_default();
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((num(&[*h1, *h2]), num(&[*m1, *m2])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        for ok in ["+919876543210", "+15739693824", "+12", "+123456789012345"] {
            assert!(is_e164(ok), "{ok}");
        }
        for bad in [
            "",
            "+",
            "+1",
            "+0123",
            "919876543210",
            "+1234567890123456",
            "+1 555",
            "+١٢٣",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn https_urls() {
        assert!(is_https_url(
            "https://storage.oneinbox.ai/recordings/call_abc123.mp3"
        ));
        assert!(is_https_url("https://example.com:8443/x?y=1#z"));
        for bad in [
            "http://example.com/",
            "HTTPS://example.com/",
            "https:example.com",
            "https:///path",
            "/relative.mp3",
            "https://user:pw@example.com/",
            "https://exa mple.com/",
            "",
        ] {
            assert!(!is_https_url(bad), "{bad}");
        }
    }

    #[test]
    fn rfc3339() {
        for ok in [
            "2026-06-01T10:00:00Z",
            "2026-06-01t10:00:00z",
            "2026-06-01T10:00:00.123+05:30",
            "2024-02-29T23:59:59-08:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2026-06-01",
            "2026-06-01 10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-06-01T10:00:00",
            "2025-02-29T10:00:00Z",
            "2026-06-31T10:00:00Z",
            "2026-06-01T24:00:00Z",
            "2026-06-01T10:00:00.Z",
            "2026-06-01T10:00:00+0530",
            "２026-06-01T10:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
