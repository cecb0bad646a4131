//! The axum quickstart of docs/quickstart.md (the block named quickstart-axum), as build.rs
//! copied it: tools/snippets.py serves it and sends it a bad body, a bad token, a good delivery.
include!(concat!(env!("OUT_DIR"), "/quickstart-axum.rs"));
