//! Database faults under load: while clients cancel requests, the database becomes unreachable
//! (PostgreSQL stopped for 10 s), full (SQLite on a tmpfs filled to its last byte) or read-only
//! (SQLite on an ext4 image whose database and WAL files are made immutable, which root respects).
//! Meanwhile `entitle serve` answers `503 serviceNotAvailable` with `Retry-After` in a Graph error
//! envelope (and, with PostgreSQL, `/readyz` fails); once the condition is gone it serves again
//! without a restart. Every acknowledged cancel is there, once, before and after a restart; every
//! other request is canceled once or still pending (nothing half-written); the store's integrity
//! check finds nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{
    ADELE, Backend, REQUESTOR_SCOPES, REQUESTS, Server, create_pending, inspect, token, workspace,
};
use entitle_store::{Integrity, PostgresStore, SqliteStore, Store as _};
use reqwest::blocking::{Client, Response};
use serde_json::Value;

/// Pending requests the load cancels.
const PENDING: usize = 600;
/// Concurrent clients.
const CLIENTS: usize = 4;
/// Cancels acknowledged before the fault, and again after it is repaired.
const ACKS: usize = 20;
/// `503`s seen during the fault.
const REFUSALS: usize = 20;
/// The bound on every wait for a condition.
const DEADLINE: Duration = Duration::from_secs(120);

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Requests whose cancel was answered `200`.
    acknowledged: Mutex<BTreeSet<String>>,
    /// Requests whose cancel was answered `503` at least once.
    refused: Mutex<BTreeSet<String>>,
    /// `503`s answered.
    unavailable: AtomicUsize,
    /// Anything else: a status, an envelope or a header that must not be.
    failures: Mutex<Vec<String>>,
}

impl Seen {
    fn acks(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    fn fail(&self, failure: String) {
        self.failures.lock().unwrap().push(failure);
    }
}

/// Why a `503` is not the answer D35 promises, if it is not.
fn unavailable_answer(response: Response) -> Option<String> {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let body: Value = response.json().unwrap_or(Value::Null);
    let error = &body["error"];
    let enveloped = error["code"] == "serviceNotAvailable"
        && error["message"].is_string()
        && error["innerError"]["request-id"].is_string();
    (retry_after.is_none_or(|seconds| seconds == 0) || !enveloped)
        .then(|| format!("a 503 without Retry-After or envelope ({retry_after:?}): {body}"))
}

/// Clients cancelling the queued requests until told to stop; a cancel refused with `503` (or `429`,
/// with `Retry-After`) goes back to the queue and is tried again.
struct Load {
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
    workers: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(base: &str, adele: &str, pending: &[String]) -> Self {
        let queue = Arc::new(Mutex::new(pending.to_vec()));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Seen::default());
        let workers = (0..CLIENTS)
            .map(|_| {
                let (queue, stop, seen) =
                    (Arc::clone(&queue), Arc::clone(&stop), Arc::clone(&seen));
                let url = format!("{base}/v1.0/{REQUESTS}");
                let adele = adele.to_owned();
                std::thread::spawn(move || {
                    let client = Client::new();
                    while !stop.load(Ordering::Relaxed) {
                        let Some(id) = queue.lock().unwrap().pop() else {
                            return;
                        };
                        let response = match client
                            .post(format!("{url}/{id}/cancel"))
                            .bearer_auth(&adele)
                            .send()
                        {
                            Ok(response) => response,
                            Err(error) => return seen.fail(format!("cancel of {id}: {error}")),
                        };
                        match response.status().as_u16() {
                            200 => {
                                seen.acknowledged.lock().unwrap().insert(id);
                            }
                            503 => {
                                seen.unavailable.fetch_add(1, Ordering::Relaxed);
                                if let Some(failure) = unavailable_answer(response) {
                                    seen.fail(failure);
                                }
                                seen.refused.lock().unwrap().insert(id.clone());
                                queue.lock().unwrap().insert(0, id);
                            }
                            // The server's rate limit: these clients retry at once, as fast as
                            // the fault's `503`s come back. Tried again later, as the header says.
                            429 if response.headers().contains_key("retry-after") => {
                                queue.lock().unwrap().insert(0, id);
                            }
                            // A commit whose answer was lost with the connection: the earlier `503`
                            // may have been applied. The final check counts its cancels.
                            409 if seen.refused.lock().unwrap().contains(&id) => {}
                            status => {
                                let body = response.text().unwrap_or_default();
                                seen.fail(format!("cancel of {id}: {status} {body}"));
                            }
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            seen,
            workers,
        }
    }

    /// Stops the clients and returns what they saw.
    fn finish(self) -> Arc<Seen> {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            worker.join().unwrap();
        }
        self.seen
    }
}

/// Polls `condition` until it holds, failing the test after [`DEADLINE`].
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "not within {DEADLINE:?}: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `GET /readyz`: its status, and whether a `503` is the envelope with `Retry-After` D35 promises.
fn readyz(client: &Client, server: &Server) -> u16 {
    let response = client
        .get(format!("{}/readyz", server.base))
        .send()
        .unwrap();
    let status = response.status().as_u16();
    if status == 503 {
        assert_eq!(unavailable_answer(response), None, "/readyz");
    }
    status
}

/// A database fault: how it is made and repaired, how long it lasts at least, and whether
/// `/readyz` fails during it.
struct Fault<'a> {
    make: &'a dyn Fn(),
    repair: &'a dyn Fn(),
    at_least: Duration,
    readyz_fails: bool,
}

/// Runs the cancel load on `backend` through `fault`; `integrity` runs the store's own check on a
/// handle of its own.
fn fault_proof(
    backend: &Backend,
    config: &Path,
    fault: &Fault<'_>,
    integrity: &dyn Fn() -> Integrity,
) {
    let adele = token(ADELE, REQUESTOR_SCOPES);
    let client = Client::new();
    let mut server = Server::start_on(backend, config);
    let pending: Vec<String> = (0..PENDING)
        .map(|_| create_pending(&client, &server.base, &adele))
        .collect();
    let load = Load::start(&server.base, &adele, &pending);
    let seen = Arc::clone(&load.seen);
    wait_until("cancels before the fault", || seen.acks() >= ACKS);

    (fault.make)();
    let since = Instant::now();
    wait_until("503s during the fault", || {
        seen.unavailable.load(Ordering::Relaxed) >= REFUSALS && since.elapsed() >= fault.at_least
    });
    if fault.readyz_fails {
        // By now the pool holds no connection: the answer comes at once, not after the pool's
        // usual wait for a connection.
        let asked = Instant::now();
        assert_eq!(readyz(&client, &server), 503, "/readyz during the fault");
        let took = asked.elapsed();
        assert!(took < Duration::from_secs(5), "/readyz took {took:?}");
    }
    let down = since.elapsed();

    (fault.repair)();
    let before = seen.acks();
    wait_until("cancels after the repair", || {
        seen.acks() >= before + ACKS && readyz(&client, &server) == 200
    });
    let seen = load.finish();
    let failures = seen.failures.lock().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    eprintln!(
        "fault lasted {down:?}: {} refusals (503), {} acknowledged cancels",
        seen.unavailable.load(Ordering::Relaxed),
        acknowledged.len()
    );

    for restarted in [false, true] {
        if restarted {
            server.kill();
            server = Server::start_on(backend, config);
        }
        for id in &pending {
            let (status, cancels) = inspect(&client, &server, &adele, id);
            if acknowledged.contains(id) {
                assert_eq!(
                    (status.as_str(), cancels),
                    ("Canceled", 1),
                    "acknowledged cancel of {id} (restarted: {restarted})"
                );
            }
            match status.as_str() {
                "Canceled" => assert_eq!(cancels, 1, "{id}"),
                "PendingApproval" => assert_eq!(cancels, 0, "{id}"),
                other => panic!("{id}: unexpected status {other}"),
            }
        }
        let report = integrity();
        assert!(report.is_ok(), "{}", report.summary(10));
        assert_eq!(report.requests, pending.len());
    }
}

/// Runs `program` with `args`, failing the test when it fails.
fn run(program: &str, args: &[&str], path: &Path) {
    let output = Command::new(program).args(args).arg(path).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A file system mounted by the test, unmounted when dropped (after the server, declared later, is
/// gone), even when the test fails.
struct Mount {
    dir: PathBuf,
}

impl Mount {
    /// A tmpfs of `size` (`mount -o size=`) at `dir`.
    fn tmpfs(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "entitle-faults",
            ],
            dir,
        );
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// A fresh ext4 image `image` of `size` (no blocks reserved for root) mounted on a loop device
    /// at `dir`.
    fn ext4(image: &Path, size: &str, dir: &Path) -> Self {
        run("truncate", &["-s", size], image);
        run("mkfs.ext4", &["-q", "-F", "-m", "0"], image);
        std::fs::create_dir_all(dir).unwrap();
        let output = Command::new("mount")
            .arg("-o")
            .arg("loop")
            .arg(image)
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "mount -o loop: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Nothing stays immutable (chattr), or the directory could not be removed afterwards.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let _ = Command::new("chattr").arg("-i").arg(entry.path()).output();
            }
        }
        let _ = Command::new("umount").arg(&self.dir).output();
    }
}

/// Fills the file system of `dir` to its last byte with the file `filler`.
fn fill(filler: &Path) {
    let mut file = std::fs::File::create(filler).unwrap();
    for chunk in [1 << 20, 4096, 512, 1] {
        let bytes = vec![0_u8; chunk];
        while file.write_all(&bytes).is_ok() {}
    }
    let _ = file.sync_all();
}

#[test]
#[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
fn postgresql_stopped_for_ten_seconds_answers_503_and_loses_nothing() {
    let cluster = entitle_testkit::PgCluster::for_tests();
    let url = cluster.create_database("faults").unwrap();
    let (_dir, _db, config) = workspace();
    let integrity = || {
        PostgresStore::connect(&url, 1)
            .unwrap()
            .integrity()
            .unwrap()
    };
    let fault = Fault {
        make: &|| cluster.stop().unwrap(),
        repair: &|| cluster.start_again().unwrap(),
        at_least: Duration::from_secs(10),
        readyz_fails: true,
    };
    fault_proof(&Backend::Postgres(url.clone()), &config, &fault, &integrity);
}

#[test]
#[cfg_attr(
    not(entitle_mounts),
    ignore = "needs root allowed to mount a tmpfs; ENTITLE_REQUIRE_MOUNTS=1 makes it required"
)]
fn sqlite_on_a_full_disk_answers_503_and_loses_nothing() {
    let (dir, _db, config) = workspace();
    let mount = Mount::tmpfs(&dir.path().join("disk"), "32m");
    let db = mount.dir.join("entitle.db");
    let filler = mount.dir.join("filler");
    let integrity = || SqliteStore::open(&db).unwrap().integrity().unwrap();
    let fault = Fault {
        make: &|| fill(&filler),
        repair: &|| std::fs::remove_file(&filler).unwrap(),
        at_least: Duration::ZERO,
        readyz_fails: false,
    };
    fault_proof(&Backend::Sqlite(db.clone()), &config, &fault, &integrity);
}

#[test]
#[cfg_attr(
    not(entitle_mounts),
    ignore = "needs root allowed to mount an ext4 image on a loop device (mkfs.ext4, chattr); ENTITLE_REQUIRE_MOUNTS=1 makes it required"
)]
fn sqlite_on_a_read_only_file_answers_503_and_loses_nothing() {
    let (dir, _db, config) = workspace();
    let mount = Mount::ext4(
        &dir.path().join("disk.img"),
        "32M",
        &dir.path().join("disk"),
    );
    let db = mount.dir.join("entitle.db");
    let files = [db.clone(), mount.dir.join("entitle.db-wal")];
    let integrity = || SqliteStore::open(&db).unwrap().integrity().unwrap();
    let fault = Fault {
        make: &|| files.iter().for_each(|file| run("chattr", &["+i"], file)),
        repair: &|| files.iter().for_each(|file| run("chattr", &["-i"], file)),
        at_least: Duration::ZERO,
        readyz_fails: false,
    };
    fault_proof(&Backend::Sqlite(db.clone()), &config, &fault, &integrity);
}
