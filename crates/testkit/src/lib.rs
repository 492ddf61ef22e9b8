//! # entitle-testkit
//!
//! Test support for entitle. [`PgCluster`] starts a throwaway PostgreSQL server from the installed
//! binaries: its own temporary directory, `initdb` with trust authentication, a free port on
//! 127.0.0.1 and a Unix socket in that directory. Dropping it stops the server and removes the
//! directory.
//!
//! A cluster never outlives the process that started it, even one that is killed or that keeps the
//! cluster in a `static` (whose destructor never runs): [`PgCluster::start`] first spawns a watchdog
//! shell, in its own session, that reads a pipe whose only writer is this process. When the pipe
//! closes (the cluster is dropped, or the process exits in any way) the watchdog stops the server
//! (`pg_ctl stop -m immediate`) and removes the directory. `Drop` closes the pipe and waits for it.
//!
//! `initdb` and `postgres` refuse to run as root: when the effective user is root, every server
//! binary runs through `runuser -u postgres --` and the directory is handed to `postgres`.
//!
//! Whether a test that needs PostgreSQL runs is decided when it is built: the build script of its
//! crate sets the cfg `entitle_postgres` when the server binaries are installed (where
//! [`PgCluster::start`] looks for them) or when `ENTITLE_REQUIRE_POSTGRES=1`, and the test carries
//! `#[cfg_attr(not(entitle_postgres), ignore = "…")]`, so `cargo test` lists it as ignored, with the
//! reason, instead of passing it unrun. A test that runs needs its cluster: [`PgCluster::for_tests`]
//! and [`PgCluster::shared`] fail it when the cluster does not start.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The environment variable naming the directory of the PostgreSQL binaries (`initdb`, `pg_ctl`).
pub const BIN_ENV: &str = "ENTITLE_PG_BIN";

/// The environment variable that, set to `1` when the tests are built, makes the tests that need
/// PostgreSQL run even where its binaries are not found, so that a missing PostgreSQL fails them (CI
/// sets it). The build scripts of the crates with such tests read it.
pub const REQUIRE_ENV: &str = "ENTITLE_REQUIRE_POSTGRES";

/// How long the server may take to accept connections once `pg_ctl start` returned.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often `pg_ctl start` is tried (a free port may be taken between its discovery and its use).
const START_ATTEMPTS: usize = 3;

/// Stops the server and removes the directory once the pipe on its standard input closes; ignores the
/// signals that end a test run from the terminal, so that it outlives the process it watches.
/// Arguments: the directory, then the stop command.
const WATCHDOG: &str = r#"trap '' HUP INT QUIT TERM
dir=$1
shift
cat >/dev/null
if [ -e "$dir/data/postmaster.pid" ]; then "$@" >/dev/null 2>&1; fi
rm -rf "$dir""#;

/// A throwaway PostgreSQL server for tests. See the [crate documentation](crate).
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    /// How many databases [`PgCluster::fresh_database`] created.
    databases: AtomicUsize,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    watchdog: Child,
    /// The write end of the watchdog's pipe: closing it stops the cluster.
    lifeline: Option<ChildStdin>,
}

impl PgCluster {
    /// Starts a fresh cluster.
    ///
    /// # Errors
    /// When no PostgreSQL binaries are installed, or the cluster cannot be created or started; the
    /// message says why (with the server log when it failed to start).
    pub fn start() -> Result<Self, String> {
        let bin = bin_dir()?;
        let as_postgres = effective_uid()? == 0;
        let dir = tempfile::Builder::new()
            .prefix("entitle-pg-")
            .tempdir()
            .map_err(|error| format!("cannot create a temporary directory: {error}"))?
            .keep();
        // From here on the watchdog owns the directory: any early return drops the cluster, which
        // removes it.
        let mut stop = Vec::new();
        if as_postgres {
            stop.extend(["runuser", "-u", "postgres", "--"].map(PathBuf::from));
        }
        stop.push(bin.join("pg_ctl"));
        stop.extend(
            ["stop", "-D"]
                .map(PathBuf::from)
                .into_iter()
                .chain([dir.join("data")])
                .chain(["-m", "immediate", "-w", "-t", "30"].map(PathBuf::from)),
        );
        let mut watchdog = Command::new("setsid")
            .arg("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("entitle-pg-watchdog")
            .arg(&dir)
            .args(&stop)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                let _removed = std::fs::remove_dir_all(&dir);
                format!("cannot spawn the cluster's watchdog (setsid sh): {error}")
            })?;
        let lifeline = watchdog.stdin.take();
        let mut cluster = Self {
            dir,
            databases: AtomicUsize::new(0),
            bin,
            port: 0,
            as_postgres,
            watchdog,
            lifeline,
        };
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&cluster.dir))?;
        }
        cluster.init()?;
        cluster.launch()?;
        cluster.wait_until_ready()?;
        Ok(cluster)
    }

    /// A started cluster for a test that needs PostgreSQL (see the [crate documentation](crate) for
    /// when such a test runs).
    ///
    /// # Panics
    /// When the cluster cannot start: a test that runs needs it, and never passes without it.
    pub fn for_tests() -> Self {
        Self::start().unwrap_or_else(|error| unavailable(&error))
    }

    /// The cluster shared by every test of this process, started by the first caller. It lives as
    /// long as the process: the watchdog stops it once the process exits, however it exits.
    ///
    /// # Panics
    /// When the cluster cannot start (in every test that asks for it), as [`PgCluster::for_tests`].
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();
        match SHARED.get_or_init(Self::start) {
            Ok(cluster) => cluster,
            Err(error) => unavailable(error),
        }
    }

    /// Creates an empty database with a name of its own (`prefix_N`), returning its URL.
    ///
    /// # Errors
    /// An invalid prefix or a server failure.
    pub fn fresh_database(&self, prefix: &str) -> Result<String, String> {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("{prefix}_{n}"))
    }

    /// The URL of `database` on this cluster, as the superuser `postgres` (trusted, no password).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database named `name` (letters, digits and `_`), returning its URL.
    ///
    /// # Errors
    /// An invalid name, an existing database, or a server failure.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let valid = !name.is_empty()
            && name.len() < 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("invalid database name `{name}`"));
        }
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|error| format!("cannot connect to the cluster: {error}"))?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|error| format!("cannot create database `{name}`: {error}"))?;
        Ok(self.url(name))
    }

    /// The path of the PostgreSQL program `name` (e.g. `pgbench`, `psql`) of this cluster's version.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// The TCP port the server listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the data directory (`data`), the server log (`postgres.log`) and the
    /// Unix socket.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (`pg_ctl stop -m fast`: open sessions are ended, their transactions rolled
    /// back), keeping the data directory; [`PgCluster::start_again`] starts it on the same port.
    ///
    /// # Errors
    /// When `pg_ctl stop` fails; the message has its output.
    pub fn stop(&self) -> Result<(), String> {
        run(self
            .server_command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "-t", "60"]))
        .map(drop)
    }

    /// Starts a server [`PgCluster::stop`] stopped, on the same port, and waits until it accepts
    /// connections.
    ///
    /// # Errors
    /// When the server does not start or accept connections; the message has the server log's end.
    pub fn start_again(&self) -> Result<(), String> {
        self.pg_ctl_start()?;
        self.wait_until_ready()
    }

    /// `pg_ctl start` on this cluster's port; a failure carries the server log's end.
    fn pg_ctl_start(&self) -> Result<(), String> {
        let log = self.dir.join("postgres.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.display()
        );
        run(self
            .server_command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o"])
            .arg(&options))
        .map(drop)
        .map_err(|error| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{error}\nserver log:\n{}", tail.join("\n"))
        })
    }

    /// A command running the server program `name`, as `postgres` when this process is root.
    fn server_command(&self, name: &str) -> Command {
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(self.bin(name));
            command
        } else {
            Command::new(self.bin(name))
        };
        // The user `postgres` may not be allowed into the test's working directory.
        command.current_dir(&self.dir).stdin(Stdio::null());
        command
    }

    fn init(&self) -> Result<(), String> {
        run(self
            .server_command("initdb")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]))
        .map(drop)
    }

    fn launch(&mut self) -> Result<(), String> {
        let mut failure = String::new();
        for _ in 0..START_ATTEMPTS {
            self.port = free_port()?;
            match self.pg_ctl_start() {
                Ok(()) => return Ok(()),
                Err(error) => {
                    let taken = error.contains("could not bind")
                        || error.contains("Address already in use");
                    failure = error;
                    if !taken {
                        break;
                    }
                }
            }
        }
        Err(failure)
    }

    fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match postgres::Client::connect(&self.url("postgres"), postgres::NoTls) {
                Ok(_) => return Ok(()),
                Err(error) if Instant::now() >= deadline => {
                    return Err(format!(
                        "the server did not accept connections within {READY_TIMEOUT:?}: {error}"
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Closing the pipe lets the watchdog stop the server and remove the directory.
        if let Some(mut lifeline) = self.lifeline.take() {
            let _flushed = lifeline.flush();
        }
        let _waited = self.watchdog.wait();
    }
}

/// Fails the test that needed a cluster that did not start.
#[expect(
    clippy::panic,
    reason = "test support: a test that needs PostgreSQL fails when it cannot start"
)]
fn unavailable(error: &str) -> ! {
    panic!("this test needs PostgreSQL, which did not start: {error}")
}

/// Runs `command`, returning its output, or its failure with what it printed.
fn run(command: &mut Command) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The directory of the PostgreSQL binaries: `$ENTITLE_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` that has `initdb`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(BIN_ENV) {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "{BIN_ENV}={} has no initdb and pg_ctl",
                dir.display()
            ))
        };
    }
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max();
    newest.map(|(_, bin)| bin).ok_or_else(|| {
        format!(
            "no PostgreSQL binaries under {}/*/bin (install them with `apt-get install -y postgresql`, \
             or point {BIN_ENV} at a directory with initdb and pg_ctl)",
            root.display()
        )
    })
}

/// The effective user id of this process, from `/proc/self/status` (else `id -u`).
fn effective_uid() -> Result<u32, String> {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            line.split_whitespace().nth(2)?.parse().ok()
        });
    if let Some(uid) = from_proc {
        return Ok(uid);
    }
    let output = run(Command::new("id").arg("-u"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|error| format!("cannot read the effective user id: {error}"))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("cannot find a free port: {error}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use super::*;

    fn postgres_processes_in(dir: &Path) -> bool {
        let output = Command::new("pgrep")
            .args(["-f", &format!("postgres -D {}/data", dir.display())])
            .output()
            .unwrap();
        !output.stdout.is_empty()
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_cluster_serves_databases_and_leaves_nothing_behind() {
        let cluster = PgCluster::for_tests();
        let dir = cluster.dir().to_owned();
        assert!(dir.join("data").join("PG_VERSION").is_file());
        assert!(cluster.bin("pgbench").is_file());
        let url = cluster.create_database("kit_check").unwrap();
        assert_eq!(url, cluster.url("kit_check"));
        assert!(url.starts_with("postgres://postgres@127.0.0.1:"));
        assert!(url.ends_with(&format!(":{}/kit_check", cluster.port())));
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let row = client
            .query_one("SELECT current_database(), current_setting('fsync'), current_setting('server_encoding')", &[])
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "kit_check");
        assert_eq!(row.get::<_, String>(1), "on");
        assert_eq!(row.get::<_, String>(2), "UTF8");
        assert!(cluster.create_database("kit_check").is_err(), "it exists");
        assert!(cluster.create_database("no such; name").is_err());
        drop(client);

        drop(cluster);
        assert!(!dir.exists(), "the directory is removed");
        assert!(!postgres_processes_in(&dir), "the server is stopped");
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn two_clusters_run_side_by_side() {
        let (one, two) = (PgCluster::for_tests(), PgCluster::for_tests());
        assert_ne!(one.port(), two.port());
        assert_ne!(one.dir(), two.dir());
        one.create_database("same_name").unwrap();
        two.create_database("same_name").unwrap();
        let first = one.fresh_database("fresh").unwrap();
        let second = one.fresh_database("fresh").unwrap();
        assert_ne!(first, second);
        assert!(two.fresh_database("bad prefix").is_err());
    }

    /// Run as a child process by the test below: starts a cluster, says where, and waits to be killed.
    #[test]
    #[ignore = "run by a_killed_process_leaves_no_cluster_behind"]
    fn child_holding_a_cluster() {
        if std::env::var_os("ENTITLE_TESTKIT_CHILD").is_none() {
            return;
        }
        let cluster = PgCluster::start().unwrap();
        println!("DIR {}", cluster.dir().display());
        std::io::stdout().flush().unwrap();
        std::thread::sleep(Duration::from_secs(60));
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_killed_process_leaves_no_cluster_behind() {
        use std::io::BufRead as _;
        // A cluster that cannot start at all fails here, with the reason, rather than in the child.
        drop(PgCluster::for_tests());
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::child_holding_a_cluster",
                "--ignored",
                "--nocapture",
            ])
            .env("ENTITLE_TESTKIT_CHILD", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let dir = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("DIR ").map(PathBuf::from))
            .expect("the child started a cluster");
        assert!(postgres_processes_in(&dir), "the child's server runs");
        child.kill().unwrap(); // SIGKILL: no destructor runs
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while (dir.exists() || postgres_processes_in(&dir)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !postgres_processes_in(&dir),
            "the server outlived its process"
        );
        assert!(!dir.exists(), "the directory outlived its process");
    }

    #[test]
    fn the_binaries_are_found_or_explained() {
        match bin_dir() {
            Ok(dir) => assert!(dir.join("initdb").is_file()),
            Err(error) => assert!(error.contains("PostgreSQL") || error.contains(BIN_ENV)),
        }
    }
}
