//! Crash proof: `entitle serve` is killed with SIGKILL twenty times while clients cancel requests;
//! after every restart each acknowledged cancel is there exactly once, every history is consistent,
//! and the store passes its own integrity check (`Store::integrity`: records against their columns,
//! histories against the transition table, assignments against their requests; SQLite's
//! `PRAGMA integrity_check` too). Runs on SQLite and on a throwaway PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use common::{
    ADELE, Backend, REQUESTOR_SCOPES, REQUESTS, Server, create_pending, inspect, token, workspace,
};
use entitle_store::{Integrity, PostgresStore, SqliteStore, Store as _};
use reqwest::blocking::Client;

/// How often the server is killed.
const KILLS: usize = 20;
/// Cancels acknowledged in a round before the kill.
const ACKS_PER_ROUND: usize = 8;
/// Concurrent clients.
const CLIENTS: usize = 4;

/// Runs the kill-and-restart rounds on `backend`; `integrity` runs the store's own check on a handle
/// of its own, after every restart, and it must find nothing.
pub(crate) fn crash_proof(backend: &Backend, config: &Path, integrity: &dyn Fn() -> Integrity) {
    let adele = token(ADELE, REQUESTOR_SCOPES);
    let client = Client::new();
    let mut server = Server::start_on(backend, config);
    let pending: Vec<String> = (0..KILLS * ACKS_PER_ROUND * 3)
        .map(|_| create_pending(&client, &server.base, &adele))
        .collect();
    let queue = Arc::new(Mutex::new(pending.clone()));
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    for round in 0..KILLS {
        let (acks, acked) = mpsc::channel::<String>();
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let acks = acks.clone();
                let url = format!("{}/v1.0/{REQUESTS}", server.base);
                let adele = adele.clone();
                std::thread::spawn(move || {
                    let client = Client::new();
                    loop {
                        let Some(id) = queue.lock().unwrap().pop() else {
                            return;
                        };
                        match client
                            .post(format!("{url}/{id}/cancel"))
                            .bearer_auth(&adele)
                            .send()
                        {
                            Ok(response) if response.status() == 200 => {
                                if acks.send(id).is_err() {
                                    return;
                                }
                            }
                            Ok(response) => panic!("cancel of {id}: {}", response.status()),
                            // The server was killed mid-request: the outcome is unknown.
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        drop(acks);
        for _ in 0..ACKS_PER_ROUND {
            acknowledged.insert(acked.recv().unwrap());
        }
        server.kill();
        for worker in workers {
            worker.join().unwrap();
        }
        acknowledged.extend(acked.try_iter());
        server = Server::start_on(backend, config);
        let report = integrity();
        assert!(report.is_ok(), "round {round}: {}", report.summary(10));
        assert_eq!(report.requests, pending.len(), "round {round}");
        for id in &acknowledged {
            assert_eq!(
                inspect(&client, &server, &adele, id),
                ("Canceled".to_owned(), 1),
                "round {round}: acknowledged cancel of {id}"
            );
        }
    }
    // Requests whose cancel was in flight at a kill are either canceled once or still pending.
    for id in &pending {
        let (status, cancels) = inspect(&client, &server, &adele, id);
        match status.as_str() {
            "Canceled" => assert_eq!(cancels, 1, "{id}"),
            "PendingApproval" => assert_eq!(cancels, 0, "{id}"),
            other => panic!("{id}: unexpected status {other}"),
        }
    }
    server.kill();
    assert!(acknowledged.len() >= KILLS * ACKS_PER_ROUND);
    let report = integrity();
    assert!(report.is_ok(), "{}", report.summary(10));
}

#[test]
fn sqlite_keeps_every_acknowledged_cancel_across_twenty_kills() {
    let (_dir, db, config) = workspace();
    let integrity = || SqliteStore::open(&db).unwrap().integrity().unwrap();
    crash_proof(&Backend::Sqlite(db.clone()), &config, &integrity);
}

#[test]
#[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
fn postgresql_keeps_every_acknowledged_cancel_across_twenty_kills() {
    let cluster = entitle_testkit::PgCluster::for_tests();
    let url = cluster.create_database("crash").unwrap();
    let (_dir, _db, config) = workspace();
    let integrity = || {
        PostgresStore::connect(&url, 1)
            .unwrap()
            .integrity()
            .unwrap()
    };
    crash_proof(&Backend::Postgres(url.clone()), &config, &integrity);
}
