//! The native half of the npm package `oneinbox-webhooks`.
//!
//! Registration only: each area of the core has its own module (`events` now, `management`
//! later), and `errors` holds the one conversion from core errors plus the panic guard that
//! every export goes through. The public JavaScript API (`parseEvent`, the `Error` classes and
//! the `Event` union type) is the hand-written layer in `oneinbox.js` / `oneinbox.d.ts`, which
//! calls the functions generated into `index.js` / `index.d.ts` and, on the hot path,
//! `validateEventFast` (`fast.rs`, registered by hand to skip napi-rs's per-call overhead).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod errors;
mod events;
mod fast;
// mod management;  // added with the management API

pub use errors::NativeIssue;
pub use events::{trigger_panic_for_tests, validate_event};
pub use fast::register_fast_path;
