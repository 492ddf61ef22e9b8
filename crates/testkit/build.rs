//! Decides at build time whether the tests of entitle-testkit that start a PostgreSQL cluster run:
//! without the cfg `entitle_postgres` they are `#[ignore]`d, with the reason, so that `cargo test`
//! lists them as ignored instead of passing them unrun. The probe is `probe.rs`, shared with
//! entitle-store and entitle-cli.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=probe.rs");
    postgres();
}

include!("probe.rs");
