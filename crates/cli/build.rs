//! Records the source commit entitle is built from, when git knows it, for export headers.
//!
//! Decides at build time whether the tests that need PostgreSQL (`tests/race.rs`, the PostgreSQL
//! half of `tests/crash.rs`) or the Graph SDK environment (`tests/sdk.rs`) run: without the cfg
//! `entitle_postgres`, or `entitle_sdk`, they are `#[ignore]`d, with the reason, so that
//! `cargo test` lists them as ignored instead of passing them unrun. The build scripts of
//! entitle-store and entitle-testkit probe for PostgreSQL the same way.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    postgres();
    sdk();
    println!("cargo::rerun-if-env-changed=ENTITLE_SOURCE_COMMIT");
    println!("cargo::rerun-if-changed=../../.git/HEAD");
    println!("cargo::rerun-if-changed=../../.git/refs/heads");
    if std::env::var_os("ENTITLE_SOURCE_COMMIT").is_some() {
        return;
    }
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok());
    if let Some(commit) = commit {
        println!("cargo::rustc-env=ENTITLE_SOURCE_COMMIT={}", commit.trim());
    }
}

/// Probes for the Graph SDK environment `just sdk-env` builds (`.venv-sdk/bin/python` at the root
/// of the workspace), as `tests/sdk.rs` runs it. Sets `entitle_sdk` when it is there, or when
/// `ENTITLE_REQUIRE_SDK=1`.
///
/// Only existing paths are watched (see [`postgres`]): the environment's `python` when it is there,
/// else the environment's directory if a part of it is. Nothing cheaper tells cargo that the
/// directory appeared, so `just sdk-env` touches this build script when it creates the environment.
/// `ENTITLE_REQUIRE_SDK` is watched only while it decides, that is while the environment is
/// missing.
fn sdk() {
    println!("cargo::rustc-check-cfg=cfg(entitle_sdk)");
    let environment = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-sdk");
    let python = environment.join("bin").join("python");
    if python.exists() {
        watch(&[python]);
        println!("cargo::rustc-cfg=entitle_sdk");
    } else {
        watch(&[environment]);
        if required("ENTITLE_REQUIRE_SDK") {
            println!("cargo::rustc-cfg=entitle_sdk");
        }
    }
}

/// Probes for PostgreSQL's server binaries where entitle-testkit looks for them:
/// `$ENTITLE_PG_BIN` (with `initdb` and `pg_ctl`), else any
/// `/usr/lib/postgresql/*/bin/initdb`. Sets `entitle_postgres` when they are there, or when
/// `ENTITLE_REQUIRE_POSTGRES=1`.
///
/// Only existing paths are watched (while a watched path is missing, cargo reruns the build script,
/// and so rebuilds the crate, on every build): the binaries found; without them,
/// `/usr/lib/postgresql` and the Debian package database, which installing `postgresql` rewrites.
/// `ENTITLE_REQUIRE_POSTGRES` is watched only while it decides, that is while the binaries are
/// missing.
fn postgres() {
    println!("cargo::rustc-check-cfg=cfg(entitle_postgres)");
    println!("cargo::rerun-if-env-changed=ENTITLE_PG_BIN");
    let (installed, found) = if let Some(dir) = std::env::var_os("ENTITLE_PG_BIN") {
        let programs = ["initdb", "pg_ctl"].map(|name| Path::new(&dir).join(name));
        let found: Vec<PathBuf> = programs
            .into_iter()
            .filter(|program| program.is_file())
            .collect();
        (found.len() == 2, found)
    } else {
        let found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|version| version.path().join("bin").join("initdb"))
            .filter(|initdb| initdb.is_file())
            .collect();
        (!found.is_empty(), found)
    };
    watch(&found);
    if installed {
        println!("cargo::rustc-cfg=entitle_postgres");
    } else {
        watch(&["/usr/lib/postgresql", "/var/lib/dpkg/status"].map(PathBuf::from));
        if required("ENTITLE_REQUIRE_POSTGRES") {
            println!("cargo::rustc-cfg=entitle_postgres");
        }
    }
}

/// Reruns the build script when one of `paths` that exists changes.
fn watch(paths: &[PathBuf]) {
    for path in paths.iter().filter(|path| path.exists()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

/// Whether `variable` is `1`, making the tests that need something run (and fail without it); the
/// build script reruns when it changes.
fn required(variable: &str) -> bool {
    println!("cargo::rerun-if-env-changed={variable}");
    std::env::var(variable).is_ok_and(|value| value == "1")
}
