//! `entitle serve --otlp-endpoint` (the `otlp` feature) against a local stand-in for an OpenTelemetry
//! collector: the request's span reaches `POST /v1/traces` as OTLP protobuf, named `request`, carrying
//! the `request-id` its response gave and the service name `entitle`, sent when the server stops.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;

use common::{ADELE, REQUESTOR_SCOPES, serve_logging, token, workspace};

/// One request the stand-in received: its request line and body.
struct Received {
    line: String,
    body: Vec<u8>,
}

/// A collector stand-in on a free loopback port that answers every request `200` and hands each
/// one to the returned channel.
fn collector() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            // Handed over before the answer, so it is there once the exporter has its answer.
            let _ = sender.send(Received { line, body });
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .unwrap();
        }
    });
    (format!("http://{address}"), received)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
#[cfg_attr(
    not(feature = "otlp"),
    ignore = "needs the otlp feature: cargo test -p entitle-cli --features otlp --test otlp"
)]
fn a_requests_span_reaches_the_collector() {
    let (endpoint, received) = collector();
    let (_dir, db, _) = workspace();
    let (mut server, base) = serve_logging(&db, &["--otlp-endpoint", &endpoint]);
    let response = reqwest::blocking::Client::new()
        .get(format!(
            "{base}/v1.0/identityGovernance/entitlementManagement/assignmentRequests"
        ))
        .bearer_auth(token(ADELE, REQUESTOR_SCOPES))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    // Stopping the server sends the spans still batched.
    let pid = server.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    assert!(server.wait().unwrap().success());

    let exports: Vec<Received> = received.try_iter().collect();
    assert!(!exports.is_empty(), "nothing reached the collector");
    for export in &exports {
        assert!(
            export.line.starts_with("POST /v1/traces "),
            "{}",
            export.line
        );
    }
    let carried = exports
        .iter()
        .find(|export| contains(&export.body, request_id.as_bytes()))
        .unwrap_or_else(|| panic!("no export carries {request_id}"));
    for text in ["request", "request_id", "route", "caller", "entitle", ADELE] {
        assert!(
            contains(&carried.body, text.as_bytes()),
            "{text} not exported"
        );
    }
}
