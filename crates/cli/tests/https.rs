//! `entitle serve` over HTTPS, as a real process and a real TLS client: the local certificate
//! authority `--tls` makes once and keeps, a client that trusts it paging with `https://` links on
//! `127.0.0.1` and on a name that is not localhost, a client that does not trust it refused, the
//! operator's own PEM files, and bad files refused at start with their names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::{Server, entitle, workspace};
use serde_json::Value;

/// A name that is not localhost, which the tests resolve to the loopback address themselves.
const REMOTE_NAME: &str = "graph.entitle.test";
const REQUESTS: &str = "v1.0/identityGovernance/entitlementManagement/assignmentRequests";

/// An application token that may read every request.
fn reader() -> String {
    let output = entitle()
        .args(["token", "--oid", "00000000-0000-4000-8000-0000000a0a0a"])
        .args(["--scp", "EntitlementManagement.Read.All", "--app"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A client that trusts only the certificate authority in `ca` and finds [`REMOTE_NAME`] at
/// `address`.
fn client(ca: &Path, address: SocketAddr) -> reqwest::blocking::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .resolve(REMOTE_NAME, address)
        .build()
        .unwrap()
}

fn address(server: &Server) -> SocketAddr {
    server
        .base
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not https: {}", server.base))
        .parse()
        .unwrap()
}

/// Follows every next link from `first`, checking each starts with `origin`; the items seen.
fn page_through(client: &reqwest::blocking::Client, origin: &str, first: String) -> usize {
    let token = reader();
    let mut url = first;
    let mut items = 0;
    loop {
        let body: Value = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap();
        assert!(body["@odata.context"].as_str().unwrap().starts_with(origin));
        items += body["value"].as_array().unwrap().len();
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(origin), "{next} is not under {origin}");
                next.clone_into(&mut url);
            }
            None => return items,
        }
    }
}

#[test]
fn the_demo_serves_https_with_a_local_authority_it_keeps() {
    let (dir, db, _) = workspace();
    let ca = dir.path().join("entitle-ca.pem");
    let server = Server::start_demo_with(&db, &["--tls", "--tls-name", REMOTE_NAME]);
    let address = address(&server);
    assert!(ca.exists(), "the authority is made next to the database");
    let trusting = client(&ca, address);

    let local = format!("https://{address}/");
    let seen = page_through(&trusting, &local, format!("{local}{REQUESTS}?$top=2"));
    assert!(seen >= 3, "the demo's requests fill more than one page");
    let remote = format!("https://{REMOTE_NAME}:{}/", address.port());
    assert_eq!(
        page_through(&trusting, &remote, format!("{remote}{REQUESTS}?$top=2")),
        seen
    );

    // A client that does not trust the authority gets no answer at all.
    let stranger = reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(stranger.get(format!("{local}healthz")).send().is_err());

    // The authority outlives the server: a restart issues a new certificate from the same one.
    let authority = std::fs::read_to_string(&ca).unwrap();
    server.kill();
    let server = Server::start_demo_with(&db, &["--tls"]);
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), authority);
    let address = self::address(&server);
    let answer = client(&ca, address)
        .get(format!("https://127.0.0.1:{}/healthz", address.port()))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[test]
fn the_operators_own_certificate_files_are_served() {
    let (dir, db, _) = workspace();
    // Files made by another authority, as an operator would bring them.
    let own = tempfile::tempdir().unwrap();
    let made = entitle_server::tls::local_certificate(own.path(), &[]).unwrap();
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server-key.pem");
    std::fs::copy(&made.cert, &cert).unwrap();
    std::fs::copy(&made.key, &key).unwrap();
    let server = Server::start_demo_with(
        &db,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        !dir.path().join("entitle-ca.pem").exists(),
        "no local authority is made for the operator's files"
    );
    let address = address(&server);
    let answer = client(&made.ca, address)
        .get(format!("https://localhost:{}/healthz", address.port()))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// Runs `entitle serve --demo` with `flags` and expects it to refuse to start; its standard error.
fn refused(db: &Path, flags: &[&str]) -> String {
    let output = entitle()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(flags)
        .output()
        .unwrap();
    assert!(!output.status.success(), "started with {flags:?}");
    assert!(output.stdout.is_empty(), "it never listened");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn bad_certificate_or_key_files_are_named() {
    let (dir, db, _) = workspace();
    let made = entitle_server::tls::local_certificate(dir.path(), &[]).unwrap();
    let missing = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let path = |path: &Path| path.to_str().unwrap().to_owned();

    let cases = [
        (path(&missing), path(&made.key), "missing.pem"),
        (path(&garbage), path(&made.key), "garbage.pem"),
        (path(&made.cert), path(&garbage), "garbage.pem"),
        (
            path(&made.cert),
            path(&dir.path().join("entitle-ca-key.pem")),
            "cannot be served with the key",
        ),
    ];
    for (cert, key, named) in cases {
        let stderr = refused(&db, &["--tls-cert", &cert, "--tls-key", &key]);
        assert!(stderr.contains(named), "{named} not in: {stderr}");
    }
    let stderr = refused(&db, &["--tls-cert", &path(&made.cert)]);
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let stderr = refused(&db, &["--public-url", "ftp://graph.contoso.test"]);
    assert!(stderr.contains("`ftp://graph.contoso.test`"), "{stderr}");
}
