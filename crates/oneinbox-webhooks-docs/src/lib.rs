//! The Rust code blocks of README.md and of every page under docs/, compiled and run as doc
//! tests by `tools/snippets.py` (`just test-snippets`), with the feature `snippets`. Each page
//! is one item below (its Rust blocks alone, at their lines, as build.rs writes them); a page
//! that is not listed here fails the runner.
//!
//! The binary `quickstart-axum` is the quickstart's axum block (written out by build.rs), which
//! the runner serves and sends a bad body, a bad token and a good delivery.

/// README.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/README.md"))]
pub struct Readme;

/// docs/index.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/index.md"))]
pub struct Index;

/// docs/quickstart.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/quickstart.md"))]
pub struct Quickstart;

/// docs/guides/receiving.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/receiving.md"))]
pub struct Receiving;

/// docs/guides/stores.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/stores.md"))]
pub struct Stores;

/// docs/guides/missing-deliveries.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/missing-deliveries.md"))]
pub struct MissingDeliveries;

/// docs/guides/clients.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/clients.md"))]
pub struct Clients;

/// docs/guides/testing.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/testing.md"))]
pub struct Testing;

/// docs/guides/rust.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/guides/rust.md"))]
pub struct Rust;

/// docs/reference.md
#[cfg(all(doctest, feature = "snippets"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/docs/reference.md"))]
pub struct Reference;
