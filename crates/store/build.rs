//! Decides at build time whether the tests of entitle-store that need PostgreSQL (its conformance
//! checks and model test on PostgreSQL) run: without the cfg `entitle_postgres` they are
//! `#[ignore]`d, with the reason, so that `cargo test` lists them as ignored instead of passing
//! them unrun. The probe is `crates/testkit/probe.rs`, shared with entitle-testkit and entitle-cli.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../testkit/probe.rs");
    postgres();
}

include!("../testkit/probe.rs");
