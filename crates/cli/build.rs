//! Records the source commit entitle is built from, when git knows it, for export headers.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ENTITLE_SOURCE_COMMIT");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
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
        println!("cargo:rustc-env=ENTITLE_SOURCE_COMMIT={}", commit.trim());
    }
}
