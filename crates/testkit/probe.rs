// The probe shared by the build scripts of entitle-testkit, entitle-store and entitle-cli, each of
// which `include!`s this file: whether the tests that need PostgreSQL can run.

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
