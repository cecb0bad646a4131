//! `oneinbox_webhooks._native`: the Python binding of the `oneinbox-webhooks` core. This file
//! only registers the module; each area lives in its own file, one per core module (`events`,
//! `management`, `auth`, `record`, `testing`), over bottom modules that import nothing above
//! them: `errors` (the exception mapping, `Issue`, `Verification`, the panic guard), `secret`
//! and `args` (Python arguments as core values). `tests/test_layout.py` keeps the imports
//! acyclic.

use pyo3::prelude::*;

mod answer;
mod args;
mod auth;
mod doctor;
mod errors;
mod events;
mod fake;
mod inbox;
mod management;
mod reconcile;
mod record;
mod secret;
mod strings;
mod testing;

/// The native module behind the `oneinbox_webhooks` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    events::register(m)?;
    management::register(m)?;
    auth::register(m)?;
    testing::register(m)?;
    fake::register(m)?;
    record::register(m)?;
    answer::register(m)?;
    inbox::register(m)?;
    doctor::register(m)?;
    reconcile::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
