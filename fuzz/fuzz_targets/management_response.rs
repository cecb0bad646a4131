//! Every endpoint's `parse_response` never panics on any status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oneinbox_webhooks::management::{Api, CreateCall, CreateWebhook, ListDeliveries, UpdateWebhook};

fuzz_target!(|data: &[u8]| {
    let Some((&[hi, lo], body)) = data.split_first_chunk::<2>().map(|(a, b)| (a, b)) else {
        return;
    };
    let status = u16::from_be_bytes([hi, lo]) % 600;
    let Ok(api) = Api::new("oi_sk_fuzz") else { return };
    if let Ok(p) = api.create_webhook(&CreateWebhook {
        name: "n".into(),
        url: "https://example.com/h".into(),
        events: vec!["call.ended".into()],
    }) {
        let _ = p.parse_response(status, body);
    }
    if let Ok(p) = api.list_webhooks() {
        let _ = p.parse_response(status, body);
    }
    if let Ok(p) = api.update_webhook(
        "wh_1",
        &UpdateWebhook {
            name: Some("n".into()),
            ..UpdateWebhook::default()
        },
    ) {
        let _ = p.parse_response(status, body);
    }
    if let Ok(p) = api.delete_webhook("wh_1") {
        let _ = p.parse_response(status, body);
    }
    if let Ok(p) = api.test_webhook("wh_1") {
        let _ = p.parse_response(status, body);
    }
    if let Ok(p) = api.list_deliveries("wh_1", &ListDeliveries::default()) {
        if let Ok(page) = p.parse_response(status, body) {
            let _ = p.next_page(&page);
        }
    }
    if let Ok(p) = api.create_call(&CreateCall {
        agent_id: "agt_1".into(),
        to_number: "+15550000000".into(),
        from_number: "+15550000001".into(),
        ..CreateCall::default()
    }) {
        let _ = p.parse_response(status, body);
    }
});
