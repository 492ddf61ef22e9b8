//! Records the source commit entitle is built from, when git knows it, for export headers.
//!
//! Decides at build time whether the tests that need PostgreSQL (`tests/race.rs`, the PostgreSQL
//! half of `tests/crash.rs`) or the Graph SDK environment (`tests/sdk.rs`) run: without the cfg
//! `entitle_postgres`, or `entitle_sdk`, they are `#[ignore]`d, with the reason, so that
//! `cargo test` lists them as ignored instead of passing them unrun. The database fault tests
//! (`tests/faults.rs`) that mount file systems are ignored in the same way without the cfg
//! `entitle_mounts`. The PostgreSQL probe is
//! `crates/testkit/probe.rs`, shared with entitle-store and entitle-testkit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=../testkit/probe.rs");
    postgres();
    mounts();
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

/// Probes whether the tests that need file systems of their own (`tests/faults.rs`: a full tmpfs,
/// an ext4 image on a loop device with an immutable database file) can run: `mount -t tmpfs` works
/// (root with the right to mount), and `mkfs.ext4`, `chattr` and `/dev/loop-control` are there. Sets
/// `entitle_mounts` then, or when `ENTITLE_REQUIRE_MOUNTS=1`.
fn mounts() {
    println!("cargo::rustc-check-cfg=cfg(entitle_mounts)");
    if mountable() || required("ENTITLE_REQUIRE_MOUNTS") {
        println!("cargo::rustc-cfg=entitle_mounts");
    }
}

/// Whether a tmpfs mounts (and unmounts) under `OUT_DIR` and the loop and ext4 tools exist.
fn mountable() -> bool {
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return false;
    };
    let dir = Path::new(&out).join("mount-probe");
    if std::fs::create_dir_all(&dir).is_err() {
        return false;
    }
    let succeeds = |command: &mut Command| command.output().is_ok_and(|out| out.status.success());
    let mounted = succeeds(
        Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "entitle-probe"])
            .arg(&dir),
    );
    if mounted {
        let _unmounted = succeeds(Command::new("umount").arg(&dir));
    }
    mounted
        && Path::new("/dev/loop-control").exists()
        && succeeds(Command::new("sh").args([
            "-c",
            "command -v mkfs.ext4 && command -v chattr && command -v losetup",
        ]))
}

include!("../testkit/probe.rs");
