//! `entitle serve` as a process: acknowledged cancels survive SIGKILL, and a restart sees them all.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{
    ADELE, Backend, REQUESTOR_SCOPES, REQUESTS, Server, create_pending, token, workspace,
};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn status(client: &Client, server: &Server, token: &str, id: &str) -> String {
    let body: Value = client
        .get(format!("{}/{REQUESTS}/{id}", server.graph("v1.0")))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["status"].as_str().unwrap().to_owned()
}

#[test]
fn acknowledged_cancels_survive_sigkill() {
    let (_dir, db, config) = workspace();
    let adele = token(ADELE, REQUESTOR_SCOPES);
    let client = Client::new();
    let server = Server::start(&db, &config);
    let ids: Vec<String> = (0..40)
        .map(|_| create_pending(&client, &server.base, &adele))
        .collect();
    let mut acknowledged = Vec::new();
    for id in &ids {
        let response = client
            .post(format!("{}/{REQUESTS}/{id}/cancel", server.graph("v1.0")))
            .bearer_auth(&adele)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        acknowledged.push(id.clone());
        if acknowledged.len() == 25 {
            break;
        }
    }
    // Killed right after the last acknowledgement: no graceful shutdown, no flush.
    server.kill();

    let server = Server::start(&db, &config);
    for id in &ids {
        let expected = if acknowledged.contains(id) {
            "Canceled"
        } else {
            "PendingApproval"
        };
        assert_eq!(status(&client, &server, &adele, id), expected, "{id}");
    }
    for id in &acknowledged {
        let history: Value = client
            .get(format!("{}/_entitle/requests/{id}/history", server.base))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let cancels = history["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["rule"]["action"] == "cancel")
            .count();
        assert_eq!(cancels, 1, "{id}: {history}");
    }
}

#[test]
fn a_restart_keeps_the_virtual_clock() {
    let (_dir, db, config) = workspace();
    let client = Client::new();
    let server = Server::start(&db, &config);
    let advanced: Value = client
        .post(format!("{}/_entitle/clock", server.base))
        .json(&json!({"days": 3}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(advanced["now"], "2026-01-04T00:00:00.000Z");
    server.kill();
    let server = Server::start(&db, &config);
    let clock: Value = client
        .get(format!("{}/_entitle/clock", server.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(clock["now"], "2026-01-04T00:00:00.000Z");
}

#[test]
fn production_mode_checks_tokens_against_a_jwks_file_with_issuer_and_audience() {
    let (dir, db, config) = workspace();
    let jwks = dir.path().join("keys.json");
    std::fs::write(&jwks, entitle_auth::DEMO_JWKS).unwrap();
    let jwks = jwks.to_str().unwrap().to_owned();
    let strict = |issuer: &str| {
        Server::start_with(
            &Backend::Sqlite(db.clone()),
            &config,
            &[
                "--jwks",
                &jwks,
                "--issuer",
                issuer,
                "--audience",
                entitle_auth::DEMO_AUDIENCE,
            ],
        )
    };
    let client = Client::new();
    let adele = token(ADELE, REQUESTOR_SCOPES);
    let server = strict(entitle_auth::DEMO_ISSUER);
    let id = create_pending(&client, &server.base, &adele);
    assert_eq!(status(&client, &server, &adele, &id), "PendingApproval");
    // No control API without `--demo` or `--control-api`.
    let control = client
        .get(format!("{}/_entitle/clock", server.base))
        .send()
        .unwrap();
    assert_eq!(control.status(), 404);
    server.kill();
    // The same key, but another issuer: every token is refused.
    let server = strict("https://login.microsoftonline.com/contoso/v2.0");
    let refused = client
        .get(format!("{}/{REQUESTS}/{id}", server.graph("v1.0")))
        .bearer_auth(&adele)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
}

#[test]
fn without_demo_or_jwks_the_server_refuses_to_start() {
    let (_dir, db, _config) = workspace();
    let output = common::entitle()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--demo"), "{stderr}");
}

#[test]
fn sigterm_finishes_in_flight_work_and_exits_cleanly() {
    let (_dir, db, config) = workspace();
    let adele = token(ADELE, REQUESTOR_SCOPES);
    let client = Client::new();
    let server = Server::start(&db, &config);
    let ids: Vec<String> = (0..60)
        .map(|_| create_pending(&client, &server.base, &adele))
        .collect();
    let base = server.base.clone();
    let (acks, acked) = std::sync::mpsc::channel::<String>();
    let worker = {
        let ids = ids.clone();
        let adele = adele.clone();
        std::thread::spawn(move || {
            let client = Client::new();
            for id in ids {
                let Ok(response) = client
                    .post(format!("{base}/v1.0/{REQUESTS}/{id}/cancel"))
                    .bearer_auth(&adele)
                    .send()
                else {
                    return;
                };
                if response.status() == 200 && acks.send(id).is_err() {
                    return;
                }
            }
        })
    };
    // Terminate while the client is still cancelling.
    let first = acked.recv().unwrap();
    assert!(
        server.terminate(),
        "the server did not exit cleanly on SIGTERM"
    );
    worker.join().unwrap();
    let acknowledged: Vec<String> = std::iter::once(first).chain(acked.try_iter()).collect();
    let server = Server::start(&db, &config);
    for id in &acknowledged {
        assert_eq!(status(&client, &server, &adele, id), "Canceled", "{id}");
    }
}

#[test]
fn processes_sharing_a_store_share_the_virtual_clock() {
    let (_dir, db, config) = workspace();
    let client = Client::new();
    let first = Server::start(&db, &config);
    let second = Server::start(&db, &config);
    let advanced: Value = client
        .post(format!("{}/_entitle/clock", first.base))
        .json(&json!({"days": 2}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(advanced["now"], "2026-01-03T00:00:00.000Z");
    let seen: Value = client
        .get(format!("{}/_entitle/clock", second.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(seen["now"], "2026-01-03T00:00:00.000Z");
    // Advances from both processes add up.
    client
        .post(format!("{}/_entitle/clock", second.base))
        .json(&json!({"days": 1}))
        .send()
        .unwrap();
    let seen: Value = client
        .get(format!("{}/_entitle/clock", first.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(seen["now"], "2026-01-04T00:00:00.000Z");
}
