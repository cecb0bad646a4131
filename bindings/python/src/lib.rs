//! `oneinbox_webhooks._native`: the Python binding of the `oneinbox-webhooks` core. This file
//! only registers the module; each area lives in its own file (`errors`, `events`; the
//! management API will add `management`).

use pyo3::prelude::*;

mod errors;
mod events;

/// The native module behind the `oneinbox_webhooks` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    events::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
