//! Unit tests of the authentication module.
use super::*;

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let token = "tok_super_secret_value";
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let r = Receiver::new()
        .with_url_tokens(&[token])
        .and_then(|r| r.with_signing_secrets(&[whsec]))
        .expect("valid");
    let dbg = format!("{r:?}");
    assert!(!dbg.contains(token) && !dbg.contains("MfKQ9r8"), "{dbg}");
    let key = SigningSecret::parse(whsec).expect("valid");
    assert_eq!(format!("{key:?}"), "SigningSecret([redacted])");
    let bad = "whsec_!!!secret-but-not-base64!!!";
    let err = SigningSecret::parse(bad).expect_err("undecodable");
    assert!(!err.to_string().contains("secret-but") && !format!("{err:?}").contains("secret-but"));
}

#[test]
fn receiver_checks_token_then_signature_then_body() {
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = br#"{"event":"call.started","call_id":"c"}"#;
    let sig = sign(whsec, "msg_1", 100, body).expect("signs");
    let headers = [
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", "100"),
        ("webhook-signature", sig.as_str()),
    ];
    let r = Receiver::new()
        .with_url_tokens(&["t"])
        .and_then(|r| r.with_signing_secrets(&[whsec]))
        .expect("valid");
    assert!(r.receive(body, &headers, Some("/h?token=t"), 100).is_ok());
    let no_token = r.receive(body, &headers, Some("/h"), 100);
    assert!(matches!(
        no_token,
        Err(ReceiveError::Unauthenticated(v)) if v.code == VerificationCode::MissingToken
    ));
    let late = r.receive(body, &headers, Some("/h?token=t"), 1_000);
    assert!(matches!(
        late,
        Err(ReceiveError::Unauthenticated(v)) if v.code == VerificationCode::TimestampTooOld
    ));
    let bad_body = br#"{"event":"call.started"}"#;
    let sig2 = sign(whsec, "msg_1", 100, bad_body).expect("signs");
    let headers2 = [
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", "100"),
        ("webhook-signature", sig2.as_str()),
    ];
    assert!(matches!(
        r.receive(bad_body, &headers2, Some("/h?token=t"), 100),
        Err(ReceiveError::Invalid(_))
    ));
}

#[test]
fn url_tokens_never_show_in_debug_output() {
    use crate::management::{Api, CreateCall, CreateWebhook};
    let token = "tok_do_not_log_me";
    let url = add_url_token("https://example.com/hooks", token).expect("valid");
    let args = CreateWebhook {
        name: "n".into(),
        url: url.clone(),
        events: vec!["call.ended".into()],
    };
    let api = Api::new("oi_sk_test").expect("key");
    let prepared = api.create_webhook(&args).expect("valid");
    let call = CreateCall {
        agent_id: "agt".into(),
        to_number: "+15550000000".into(),
        from_number: "+15550000001".into(),
        webhook_url: Some(url.clone()),
        ..CreateCall::default()
    };
    let body = format!(r#"{{"id":"wh_1","url":"{url}","secret":"whsec_x"}}"#);
    let webhook = prepared
        .parse_response(200, body.as_bytes())
        .expect("a webhook");
    let echoed = format!(r#"{{"detail":"bad url {url}"}}"#);
    let api_error = prepared
        .parse_response(400, echoed.as_bytes())
        .expect_err("400");
    for text in [
        format!("{args:?}"),
        format!("{prepared:?}"),
        format!("{:?}", prepared.request()),
        format!("{call:?}"),
        format!("{webhook:?}"),
        format!("{api_error:?} {api_error}"),
    ] {
        assert!(!text.contains(token), "{text}");
        assert!(text.contains("token=[redacted]"), "{text}");
    }
    // The request itself still carries the token: it is what OneInbox must store.
    let sent = String::from_utf8(prepared.request().body.clone().unwrap_or_default());
    assert!(sent.map(|b| b.contains(token)).unwrap_or(false));
}

#[test]
fn codes_are_stable_strings() {
    let all: Vec<&str> = VerificationCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        all,
        [
            "ok",
            "missing_token",
            "token_mismatch",
            "missing_header",
            "invalid_header",
            "invalid_timestamp",
            "timestamp_too_old",
            "timestamp_too_new",
            "no_matching_signature",
            "not_configured"
        ]
    );
}

#[test]
fn an_open_receiver_fails_closed() {
    let body = br#"{"event":"call.started","call_id":"c"}"#;
    let none: [(&str, &str); 0] = [];
    let open = Receiver::new();
    let refused = open.receive(body, &none, Some("/h"), 100);
    assert!(matches!(
        refused,
        Err(ReceiveError::Unauthenticated(v)) if v.code == VerificationCode::NotConfigured && !v.ok
    ));
    assert!(open.check_configured().is_err());
    assert_eq!(open.unauthenticated_warning(), None);
    let allowed = Receiver::new().allow_unauthenticated();
    assert!(allowed.check_configured().is_ok());
    assert!(allowed.receive(body, &none, None, 100).is_ok());
    assert_eq!(
        allowed.unauthenticated_warning(),
        Some(UNAUTHENTICATED_WARNING)
    );
    // a secret makes the permission moot: no warning, and the token is required
    let tokened = Receiver::new()
        .allow_unauthenticated()
        .with_url_tokens(&["t"])
        .expect("valid");
    assert_eq!(tokened.unauthenticated_warning(), None);
    assert!(tokened.receive(body, &none, Some("/h"), 100).is_err());
}

#[test]
fn with_authentication_collects_every_issue() {
    let err = Receiver::new()
        .with_authentication(Some(&[None, Some("ok"), Some("")]), Some(&[None]), true)
        .expect_err("misuse");
    let got: Vec<(&str, &str)> = err
        .issues()
        .iter()
        .map(|i| (i.code.as_str(), i.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("wrong_type", "/url_tokens/0"),
            ("invalid_value", "/url_tokens/2"),
            ("wrong_type", "/signing_secrets/0"),
        ]
    );
    let bad = "whsec_!!!secret-but-not-base64!!!";
    let err = Receiver::new()
        .with_authentication(None, Some(&[Some(bad)]), false)
        .expect_err("undecodable");
    assert_eq!(err.issues()[0].path, "/signing_secrets/0");
    assert!(!format!("{err} {err:?}").contains("secret-but"));
}
