//! Sends one prepared request of every endpoint over real HTTP/1.1 to a loopback server (both
//! written with `std::net` here), checks what arrives, and feeds the canned answer back through
//! `parse_response`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

use oneinbox_webhooks::management::{
    Api, CreateCall, CreateWebhook, HttpRequest, ListDeliveries, UpdateWebhook, WebhookStatus,
};

const KEY: &str = "oi_sk_test_loopback";

/// What the server saw.
#[derive(Debug)]
struct Arrived {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Arrived {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves `answers.len()` connections, one request each, answering them in order.
fn serve(answers: Vec<(u16, &'static str)>) -> (String, mpsc::Receiver<Arrived>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for (status, body) in answers {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.trim_end().splitn(3, ' ');
            let method = parts.next().unwrap().to_owned();
            let target = parts.next().unwrap().to_owned();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end_matches(['\r', '\n']);
                if h.is_empty() {
                    break;
                }
                let (n, v) = h.split_once(':').unwrap();
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body_in = vec![0; len];
            reader.read_exact(&mut body_in).unwrap();
            let mut stream = reader.into_inner();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            stream.flush().unwrap();
            tx.send(Arrived {
                method,
                target,
                headers,
                body: body_in,
            })
            .unwrap();
        }
    });
    (format!("http://{addr}"), rx)
}

/// A minimal HTTP/1.1 client: sends the request as it is and returns (status, body).
fn send(req: &HttpRequest) -> (u16, Vec<u8>) {
    let url = url::Url::parse(&req.url).unwrap();
    let host = url.host_str().unwrap();
    let port = url.port_or_known_default().unwrap();
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut stream = TcpStream::connect((host, port)).unwrap();
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n",
        req.method
    );
    for (name, value) in &req.headers {
        assert!(!value.contains(['\r', '\n']));
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = req.body.as_deref().unwrap_or_default();
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

fn check_common(arrived: &Arrived, method: &str, target: &str, has_body: bool) {
    assert_eq!(arrived.method, method);
    assert_eq!(arrived.target, target);
    assert_eq!(
        arrived.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(arrived.header("accept"), Some("application/json"));
    assert_eq!(
        arrived.header("content-type"),
        has_body.then_some("application/json")
    );
    assert_eq!(arrived.body.is_empty(), !has_body);
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn every_endpoint_over_real_http() {
    let hook = r#"{"id":"wh_1","name":"Call events","url":"https://example.com/h","events":["call.ended"],"secret":"whsec_x","status":"active","created_at":"2026-06-01T10:00:00Z","updated_at":"2026-06-01T10:00:00Z"}"#;
    let answers = vec![
        (201, hook),
        (
            200,
            r#"{"items":[{"id":"wh_1"}],"total":1,"limit":50,"offset":0}"#,
        ),
        (200, r#"{"id":"wh_1","status":"disabled"}"#),
        (200, r#"{"ok":true}"#),
        (
            200,
            r#"{"items":[{"id":"d1","event":"call.ended","attempt":1}],"total":2,"limit":1,"offset":0}"#,
        ),
        (
            201,
            r#"{"id":"call_1","status":"queued","direction":"outbound"}"#,
        ),
        (204, ""),
        (
            422,
            r#"{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#,
        ),
    ];
    let (base, rx) = serve(answers);
    let api = Api::new(KEY).unwrap().with_base_url(&base).unwrap();

    // create_webhook
    let p = api
        .create_webhook(&CreateWebhook {
            name: "Call events".into(),
            url: "https://example.com/h".into(),
            events: vec!["call.ended".into(), "call.analyzed".into()],
        })
        .unwrap();
    let (status, body) = send(p.request());
    let arrived = rx.recv().unwrap();
    check_common(&arrived, "POST", "/v1/webhooks", true);
    assert_eq!(
        json(&arrived.body),
        serde_json::json!({"name":"Call events","url":"https://example.com/h","events":["call.ended","call.analyzed"]})
    );
    let created = p.parse_response(status, &body).unwrap();
    assert_eq!(created.id, "wh_1");
    assert_eq!(created.secret.as_ref().map(|s| s.expose()), Some("whsec_x"));

    // list_webhooks
    let p = api.list_webhooks().unwrap();
    let (status, body) = send(p.request());
    check_common(&rx.recv().unwrap(), "GET", "/v1/webhooks", false);
    assert_eq!(p.parse_response(status, &body).unwrap().len(), 1);

    // update_webhook, with an id that must stay one path segment
    let p = api
        .update_webhook(
            "../wh 1",
            &UpdateWebhook {
                status: Some("inactive".into()),
                ..UpdateWebhook::default()
            },
        )
        .unwrap();
    let (status, body) = send(p.request());
    let arrived = rx.recv().unwrap();
    check_common(&arrived, "PATCH", "/v1/webhooks/..%2Fwh%201", true);
    assert_eq!(
        json(&arrived.body),
        serde_json::json!({"status":"inactive"})
    );
    assert_eq!(
        p.parse_response(status, &body).unwrap().status,
        Some(WebhookStatus::Inactive)
    );

    // test_webhook
    let p = api.test_webhook("wh_1").unwrap();
    let (status, body) = send(p.request());
    check_common(&rx.recv().unwrap(), "POST", "/v1/webhooks/wh_1/test", false);
    p.parse_response(status, &body).unwrap();

    // list_deliveries + next_page
    let p = api
        .list_deliveries(
            "wh_1",
            &ListDeliveries {
                limit: Some(1),
                offset: Some(0),
            },
        )
        .unwrap();
    let (status, body) = send(p.request());
    check_common(
        &rx.recv().unwrap(),
        "GET",
        "/v1/webhooks/wh_1/deliveries?limit=1&offset=0",
        false,
    );
    let page = p.parse_response(status, &body).unwrap();
    assert_eq!(page.items[0].attempt, Some(1));
    let next = p.next_page(&page).unwrap();
    assert_eq!(
        next.request().url,
        format!("{base}/v1/webhooks/wh_1/deliveries?limit=1&offset=1")
    );

    // create_call
    let p = api
        .create_call(&CreateCall {
            agent_id: "agt_1".into(),
            to_number: "+919876543210".into(),
            from_number: "+15739693824".into(),
            webhook_url: Some("https://example.com/this-campaign-only".into()),
            ..CreateCall::default()
        })
        .unwrap();
    let (status, body) = send(p.request());
    let arrived = rx.recv().unwrap();
    check_common(&arrived, "POST", "/v1/calls", true);
    assert_eq!(
        json(&arrived.body),
        serde_json::json!({"agent_id":"agt_1","to_number":"+919876543210","from_number":"+15739693824","webhook_url":"https://example.com/this-campaign-only"})
    );
    assert_eq!(
        p.parse_response(status, &body)
            .unwrap()
            .direction
            .as_deref(),
        Some("outbound")
    );

    // delete_webhook
    let p = api.delete_webhook("wh_1").unwrap();
    let (status, body) = send(p.request());
    check_common(&rx.recv().unwrap(), "DELETE", "/v1/webhooks/wh_1", false);
    assert_eq!(status, 204);
    p.parse_response(status, &body).unwrap();

    // an error answer over the wire
    let p = api
        .create_webhook(&CreateWebhook {
            name: "x".into(),
            url: "https://example.com/h".into(),
            events: vec!["call.ended".into()],
        })
        .unwrap();
    let (status, body) = send(p.request());
    rx.recv().unwrap();
    match p.parse_response(status, &body) {
        Err(oneinbox_webhooks::ResponseError::Api(e)) => {
            assert_eq!(e.status, 422);
            assert_eq!(e.details[0].path, "/name");
        }
        other => panic!("{other:?}"),
    }
}
