//! Snapshots of every rendered table: any change to the lifecycle shows up as a reviewed diff.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use entitle_cli::render;
use entitle_core::ApiVersion;

fn rendered(write: impl Fn(&mut String) -> std::fmt::Result) -> String {
    let mut out = String::new();
    write(&mut out).unwrap();
    out
}

#[test]
fn transitions_v1() {
    insta::assert_snapshot!(rendered(|out| render::transitions(out, ApiVersion::V1)));
}

#[test]
fn transitions_beta() {
    insta::assert_snapshot!(rendered(|out| render::transitions(out, ApiVersion::Beta)));
}

#[test]
fn statuses_v1() {
    insta::assert_snapshot!(rendered(|out| render::statuses(out, ApiVersion::V1)));
}

#[test]
fn statuses_beta() {
    insta::assert_snapshot!(rendered(|out| render::statuses(out, ApiVersion::Beta)));
}

#[test]
fn conditions() {
    insta::assert_snapshot!(rendered(render::conditions));
}

#[test]
fn grid_v1() {
    insta::assert_snapshot!(rendered(|out| render::grid(out, ApiVersion::V1)));
}

#[test]
fn mermaid_v1() {
    insta::assert_snapshot!(rendered(|out| render::mermaid(out, ApiVersion::V1)));
}

#[test]
fn beta_spells_delivered_as_fulfilled() {
    let beta = rendered(|out| render::statuses(out, ApiVersion::Beta));
    assert!(beta.contains("| `Fulfilled` | `Delivered` |"), "{beta}");
    let v1 = rendered(|out| render::statuses(out, ApiVersion::V1));
    assert!(v1.contains("| `Delivered` | `delivered` |"), "{v1}");
}
