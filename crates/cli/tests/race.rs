//! Race proof: two `entitle serve` processes on one PostgreSQL database; many clients fire cancel,
//! approve, deny and delivery events at the same 1,000 requests through both. Every request ends in a
//! status the core allows along a valid path through the transition table, every success matches
//! exactly one history entry, every loser gets a documented `409`, nothing answers `5xx`, and the
//! store's own integrity check (`Store::integrity`) finds nothing afterwards.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{
    ADELE, ALEX, Backend, REQUESTOR_SCOPES, REQUESTS, Server, create_pending, token, workspace,
};
use entitle_core::{RequestStatus, TRANSITIONS, Transition};
use entitle_store::{PostgresStore, Store as _};
use entitle_testkit::PgCluster;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const APPROVALS: &str = "identityGovernance/entitlementManagement/accessPackageAssignmentApprovals";
const REQUEST_COUNT: usize = 1_000;
const CLIENTS: usize = 16;
const OPERATIONS: usize = 6_000;
/// How many neighbouring requests the clients work on at any moment.
const WINDOW: usize = 8;

/// What a client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    Cancel,
    Approve,
    Deny,
    Deliver,
    FailDelivery,
}

impl Operation {
    const ALL: [Self; 5] = [
        Self::Cancel,
        Self::Approve,
        Self::Deny,
        Self::Deliver,
        Self::FailDelivery,
    ];

    /// The core action a success records.
    fn action(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Deliver => "deliver",
            Self::FailDelivery => "failDelivery",
        }
    }

    /// The `409` codes a loser may get.
    fn losing_codes(self) -> &'static [&'static str] {
        match self {
            Self::Cancel => &["requestNotCancelable"],
            Self::Approve | Self::Deny => &["stageAlreadyReviewed", "actionNotAllowed"],
            Self::Deliver | Self::FailDelivery => &["actionNotAllowed"],
        }
    }
}

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33;
        usize::try_from(value).unwrap() % bound
    }
}

struct Target {
    id: String,
    stage: String,
}

struct Tokens {
    adele: String,
    alex: String,
}

/// Sends `operation` on `target` to `base`; returns the status code and the error code, if any.
fn send(
    client: &Client,
    base: &str,
    tokens: &Tokens,
    target: &Target,
    operation: Operation,
) -> (u16, Option<String>) {
    let id = &target.id;
    let request = match operation {
        Operation::Cancel => client
            .post(format!("{base}/v1.0/{REQUESTS}/{id}/cancel"))
            .bearer_auth(&tokens.adele),
        Operation::Approve | Operation::Deny => client
            .patch(format!(
                "{base}/v1.0/{APPROVALS}/{id}/stages/{}",
                target.stage
            ))
            .bearer_auth(&tokens.alex)
            .json(&json!({
                "reviewResult": if operation == Operation::Approve { "Approve" } else { "Deny" },
                "justification": "race"
            })),
        Operation::Deliver | Operation::FailDelivery => client
            .post(format!("{base}/_entitle/requests/{id}/events"))
            .json(&json!({ "action": operation.action() })),
    };
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let code = if status >= 400 {
        let body: Value = response.json().unwrap();
        body["error"]["code"].as_str().map(str::to_owned)
    } else {
        None
    };
    (status, code)
}

/// One answered operation.
struct Outcome {
    index: usize,
    operation: Operation,
    status: u16,
    code: Option<String>,
}

/// Creates the requests (alternating servers) and reads each one's approval stage id.
fn create_targets(client: &Client, bases: &[String], tokens: &Tokens) -> Vec<Target> {
    (0..REQUEST_COUNT)
        .map(|n| {
            let base = &bases[n % bases.len()];
            let id = create_pending(client, base, &tokens.adele);
            let stages: Value = client
                .get(format!("{base}/v1.0/{APPROVALS}/{id}/stages"))
                .bearer_auth(&tokens.alex)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let stage = stages["value"][0]["id"].as_str().unwrap().to_owned();
            Target { id, stage }
        })
        .collect()
}

/// Runs CLIENTS threads of random operations against both servers; returns every answer.
fn fire(
    targets: &Arc<Vec<Target>>,
    bases: &Arc<Vec<String>>,
    tokens: &Arc<Tokens>,
) -> Vec<Outcome> {
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client_number| {
            let (targets, bases, tokens) =
                (Arc::clone(targets), Arc::clone(bases), Arc::clone(tokens));
            std::thread::spawn(move || {
                let client = Client::new();
                let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ (client_number as u64 + 1));
                let steps = OPERATIONS / CLIENTS;
                let mut outcomes = Vec::with_capacity(steps);
                for step in 0..steps {
                    // All clients sweep the requests together, WINDOW at a time, so that their
                    // operations on one request really collide.
                    let window = step * (targets.len() - WINDOW) / steps;
                    let index = window + random.below(WINDOW);
                    let operation = Operation::ALL[random.below(Operation::ALL.len())];
                    let base = &bases[random.below(bases.len())];
                    let (status, code) = send(&client, base, &tokens, &targets[index], operation);
                    outcomes.push(Outcome {
                        index,
                        operation,
                        status,
                        code,
                    });
                }
                outcomes
            })
        })
        .collect();
    clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect()
}

/// Checks that `target`'s history is a path through the table ending in its stored status, and
/// returns the actions it records (other than the service's `process`), sorted.
fn recorded_actions(
    client: &Client,
    base: &str,
    tokens: &Tokens,
    target: &Target,
) -> Vec<&'static str> {
    let history: Value = client
        .get(format!("{base}/_entitle/requests/{}/history", target.id))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let entries = history["value"].as_array().unwrap();
    assert_eq!(entries[0]["event"], "submitted");
    let mut status = RequestStatus::Accepted;
    let mut recorded = Vec::new();
    for entry in &entries[1..] {
        let rule: Transition = serde_json::from_value(entry["rule"].clone()).unwrap();
        assert!(
            TRANSITIONS.contains(&rule),
            "{}: not a table row: {rule:?}",
            target.id
        );
        assert_eq!(
            rule.from, status,
            "{}: the path breaks at {rule:?}",
            target.id
        );
        status = rule.to;
        if rule.action.as_str() != "process" {
            recorded.push(rule.action.as_str());
        }
    }
    let stored: Value = client
        .get(format!("{base}/v1.0/{REQUESTS}/{}", target.id))
        .bearer_auth(&tokens.adele)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stored["status"], status.as_str(), "{}", target.id);
    recorded.sort_unstable();
    recorded
}

#[test]
#[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
fn two_processes_on_one_postgresql_keep_every_rule() {
    let cluster = PgCluster::for_tests();
    let url = cluster.create_database("race").unwrap();
    let (_dir, _db, config) = workspace();
    let backend = Backend::Postgres(url.clone());
    let servers = [
        Server::start_on(&backend, &config),
        Server::start_on(&backend, &config),
    ];
    let tokens = Arc::new(Tokens {
        adele: token(ADELE, REQUESTOR_SCOPES),
        alex: token(ALEX, "EntitlementManagement.ReadWrite.All"),
    });
    let client = Client::new();
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.base.clone()).collect());
    let targets = Arc::new(create_targets(&client, &bases, &tokens));
    let mut successes: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
    for outcome in fire(&targets, &bases, &tokens) {
        let Outcome {
            index,
            operation,
            status,
            code,
        } = outcome;
        assert!(status < 500, "a 5xx for {operation:?}: {status} {code:?}");
        match status {
            200 | 204 => successes.entry(index).or_default().push(operation.action()),
            409 => assert!(
                operation
                    .losing_codes()
                    .contains(&code.as_deref().unwrap_or("")),
                "{operation:?} lost with {code:?}"
            ),
            other => panic!("{operation:?}: unexpected {other} {code:?}"),
        }
    }
    let wins: usize = successes.values().map(Vec::len).sum();
    assert!(
        wins > REQUEST_COUNT / 2,
        "too few successes to prove anything: {wins}"
    );
    for (index, target) in targets.iter().enumerate() {
        let recorded = recorded_actions(&client, &bases[index % 2], &tokens, target);
        let mut won = successes.remove(&index).unwrap_or_default();
        won.sort_unstable();
        assert_eq!(won, recorded, "{}: successes and history differ", target.id);
    }
    let report = PostgresStore::connect(&url, 1)
        .unwrap()
        .integrity()
        .unwrap();
    assert!(report.is_ok(), "{}", report.summary(10));
    assert_eq!(report.requests, REQUEST_COUNT);
}
