//! The server over TLS keeps the limits it keeps over plain HTTP: a client that never starts its
//! handshake, or stalls its headers after it, is disconnected at the header timeout while others are
//! served; answers and their links are `https`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{APPROVAL, TestServer, alice, bob, create_body, reader, requests};
use entitle_core::ApiVersion;
use entitle_server::Limits;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

const HEADER_TIMEOUT: Duration = Duration::from_millis(200);

async fn server() -> TestServer {
    TestServer::start_tls(Limits {
        header_read_timeout: HEADER_TIMEOUT,
        ..Limits::default()
    })
    .await
}

fn address(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("https://").parse().unwrap()
}

/// A TLS connection to `server` that trusts only its local authority.
async fn connect(server: &TestServer) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(server.authority()).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    #[allow(deprecated, reason = "the server's provider (D33)")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(address(server)).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// Everything `stream` says until it closes, within five seconds.
async fn read_to_close(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes in time");
    // A TLS peer may close without `close_notify`; what was read still counts.
    let _ = read;
    String::from_utf8_lossy(&answer).into_owned()
}

/// One whole request over a fresh connection: the status line, headers and body.
async fn send(server: &TestServer, method: &str, path: &str, token: &str, body: &str) -> String {
    let mut stream = connect(server).await;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    read_to_close(&mut stream).await
}

async fn get(server: &TestServer, path: &str, token: &str) -> String {
    send(server, "GET", path, token, "").await
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_and_links_are_https() {
    let server = server().await;
    let path = format!("{}?$top=1", requests(ApiVersion::V1));
    // Two requests, so that a page of one has a next link.
    let body = create_body(ApiVersion::V1, APPROVAL).to_string();
    for token in [alice(), bob()] {
        let created = send(&server, "POST", &requests(ApiVersion::V1), &token, &body).await;
        assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    }
    let answer = get(&server, &path, &reader()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"@odata.nextLink\":\"https://localhost/"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_starts_its_handshake_is_disconnected() {
    let server = server().await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(address(&server)).await.unwrap();
    let answer = get(&server, "/readyz", "").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(read_to_close(&mut silent).await, "");
    assert!(
        started.elapsed() >= HEADER_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_stalling_its_headers_after_the_handshake_is_disconnected() {
    let server = server().await;
    let started = Instant::now();
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    slow.flush().await.unwrap();
    let answer = get(&server, "/readyz", "").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = read_to_close(&mut slow).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(
        started.elapsed() >= HEADER_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}
