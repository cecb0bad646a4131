//! The client reads `ONEINBOX_API_KEY` and `ONEINBOX_BASE_URL` when not given them: an argument
//! wins, an empty variable is unset, and a missing key or a bad value is an `Error::Usage`
//! naming the argument and the variable (the core's rule, `Api::configure`). Its own test
//! binary: one test changes the process environment, so nothing runs beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use oneinbox_webhooks::fake::FakeOneInbox;
use oneinbox_webhooks_client::testing::FakeServer;
use oneinbox_webhooks_client::{Client, ClientEnv, Error};

const KEY: &str = "oi_sk_test_ENVsecretKEY";

fn env(key: Option<&str>, base: Option<&str>) -> ClientEnv {
    ClientEnv {
        api_key: key.map(str::to_owned),
        base_url: base.map(str::to_owned),
    }
}

/// `(code, path, message)` of each issue of a usage error.
fn issues(r: Result<Client, Error>) -> Vec<(String, String, String)> {
    match r {
        Err(Error::Usage(e)) => e
            .issues()
            .iter()
            .map(|i| {
                (
                    i.code.as_str().to_owned(),
                    i.path.clone(),
                    i.message.clone(),
                )
            })
            .collect(),
        other => panic!("expected a usage error, got {other:?}"),
    }
}

fn set(name: &str, value: Option<&str>) {
    match value {
        Some(v) => std::env::set_var(name, v),
        None => std::env::remove_var(name),
    }
}

#[tokio::test]
async fn the_process_environment_is_read_when_nothing_is_given() {
    let server = FakeServer::start(FakeOneInbox::new(KEY, 7)).await.unwrap();
    set("ONEINBOX_API_KEY", Some(KEY));
    let base = server.base_url();
    set("ONEINBOX_BASE_URL", Some(&base));
    let client = Client::from_env().unwrap();
    assert_eq!(client.api().base_url(), base.trim_end_matches('/'));
    assert!(client.list_webhooks().await.unwrap().is_empty());
    assert!(!format!("{client:?}").contains(KEY));
    let builder = Client::builder_from_env().max_retries(0);
    assert!(!format!("{builder:?}").contains(KEY));
    assert!(builder.build().is_ok());

    // An argument wins; an empty variable is unset.
    set("ONEINBOX_API_KEY", Some("oi_pk_not_used"));
    let given = Client::builder("oi_sk_given")
        .base_url("https://x.example/")
        .build()
        .unwrap();
    assert_eq!(given.api().base_url(), "https://x.example");
    set("ONEINBOX_BASE_URL", Some(""));
    assert_eq!(
        Client::new(KEY).unwrap().api().base_url(),
        "https://api.oneinbox.ai"
    );

    set("ONEINBOX_API_KEY", None);
    set("ONEINBOX_BASE_URL", None);
    let found = issues(Client::from_env());
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("missing_field", "/api_key")
    );
    assert!(found[0].2.contains("`api_key`") && found[0].2.contains("ONEINBOX_API_KEY"));
}

#[test]
fn bad_values_from_the_environment_name_the_variable() {
    let built = Client::builder_from_env().build_with_env(env(
        Some("oi_pk_live_PUBLISHABLE"),
        Some("ftp://files.example"),
    ));
    let found = issues(built);
    let where_: Vec<_> = found.iter().map(|i| (i.0.as_str(), i.1.as_str())).collect();
    assert_eq!(
        where_,
        [
            ("invalid_value", "/api_key"),
            ("invalid_value", "/base_url")
        ]
    );
    assert!(found[0].2.contains("ONEINBOX_API_KEY"));
    assert!(found[1].2.contains("ONEINBOX_BASE_URL"));
    assert!(found.iter().all(|i| !i.2.contains("PUBLISHABLE")));
}

#[test]
fn arguments_win_over_given_environment_values() {
    let client = Client::builder("oi_sk_given")
        .build_with_env(env(Some("oi_pk_bad"), Some("http://127.0.0.1:9")))
        .unwrap();
    assert_eq!(client.api().base_url(), "http://127.0.0.1:9");
    let err = Client::builder("")
        .build_with_env(env(Some(KEY), None))
        .unwrap_err();
    assert!(!err.to_string().contains("ONEINBOX_API_KEY"), "{err}");
}
