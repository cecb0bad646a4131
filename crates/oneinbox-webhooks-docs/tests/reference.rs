//! The reference's tables of codes are the core's lists: every code, in the core's order, and
//! nothing else.

use oneinbox_webhooks::auth::VerificationCode;
use oneinbox_webhooks::IssueCode;

const REFERENCE: &str = include_str!("../../../docs/reference.md");

/// The codes in the first column of the table under `heading`.
fn table(heading: &str) -> Vec<String> {
    let section = REFERENCE
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_else(|| panic!("docs/reference.md has no section {heading:?}"));
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_issue_codes_are_the_cores() {
    let core: Vec<&str> = IssueCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(table("Issue codes"), core);
}

#[test]
fn the_verification_codes_are_the_cores() {
    let core: Vec<&str> = VerificationCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(table("Verification codes"), core);
}
