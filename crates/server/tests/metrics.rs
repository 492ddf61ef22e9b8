//! `GET /metrics` after a known load, over real HTTP on a demo server with its SQLite store: each
//! series moves as the load says (responses, request durations by route template and status
//! class, the in-flight gauge, limit refusals, transitions, rejections, store operations, connection
//! waits and the pool).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::float_cmp,
    reason = "tests; the samples compared are whole counts"
)]

mod common;

use common::demo::{Demo, REQUESTS, options, token};
use entitle_server::demo::ids::{ADELE, REQUEST_PENDING_APPROVAL};

const REQUESTOR_SCOPES: &str =
    "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All";

/// The value of the sample `series` (its name and labels exactly as rendered), `0` when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().unwrap())
}

async fn scrape(demo: &Demo) -> String {
    let response = demo.client.get(demo.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_series_moves_with_a_known_load() {
    let demo = Demo::start().await;
    let adele = token(ADELE, REQUESTOR_SCOPES, &[]);
    for _ in 0..3 {
        let list = demo.client.get(demo.url(REQUESTS)).bearer_auth(&adele);
        assert_eq!(list.send().await.unwrap().status(), 200);
    }
    assert_eq!(
        demo.cancel(&adele, REQUEST_PENDING_APPROVAL).await.status(),
        200
    );
    assert_eq!(
        demo.cancel(&adele, REQUEST_PENDING_APPROVAL).await.status(),
        409
    );
    let nowhere = demo
        .client
        .get(demo.url("/v1.0/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);

    let text = scrape(&demo).await;
    let duration = |route: &str, method: &str, class: &str| {
        sample(
            &text,
            &format!(
                "entitle_http_request_duration_seconds_count{{route=\"{route}\",method=\"{method}\",class=\"{class}\"}}"
            ),
        )
    };
    let cancel_route = format!("{REQUESTS}/{{id}}/cancel");
    assert_eq!(duration(REQUESTS, "GET", "2xx"), 3.0, "{text}");
    assert_eq!(duration(&cancel_route, "POST", "2xx"), 1.0, "{text}");
    assert_eq!(duration(&cancel_route, "POST", "4xx"), 1.0, "{text}");
    assert_eq!(duration("unmatched", "GET", "4xx"), 1.0, "{text}");
    let slowest_bucket = format!(
        "entitle_http_request_duration_seconds_bucket{{le=\"+Inf\",route=\"{REQUESTS}\",method=\"GET\",class=\"2xx\"}}"
    );
    assert_eq!(sample(&text, &slowest_bucket), 3.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "entitle_http_responses_total{method=\"POST\",code=\"409\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "entitle_transitions_total{action=\"cancel\",from=\"PendingApproval\",to=\"Canceled\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "entitle_rejections_total{action=\"cancel\",code=\"requestNotCancelable\"}"
        ),
        1.0
    );
    // The scrape itself is in flight.
    assert_eq!(sample(&text, "entitle_http_requests_in_flight"), 1.0);
    let operations = sample(
        &text,
        "entitle_store_operation_duration_seconds_count{backend=\"sqlite\"}",
    );
    assert!(operations >= 5.0, "{text}");
    let waits = sample(
        &text,
        "entitle_store_connection_wait_seconds_count{backend=\"sqlite\"}",
    );
    assert!(
        waits >= operations,
        "every operation waits for the connection once or more"
    );
    // Every write so far committed, alone or in a group: at least one commit, none without a write.
    let commits = sample(
        &text,
        "entitle_store_commit_writes_count{backend=\"sqlite\"}",
    );
    let committed = sample(&text, "entitle_store_commit_writes_sum{backend=\"sqlite\"}");
    assert!(commits >= 1.0 && committed >= commits, "{text}");
    // SQLite: the writer, and the readers opened so far (at most 16).
    let connections = sample(&text, "entitle_store_connections{backend=\"sqlite\"}");
    assert!((2.0..=17.0).contains(&connections), "{connections}");
    assert_eq!(
        sample(&text, "entitle_store_connections_max{backend=\"sqlite\"}"),
        17.0
    );
    assert_eq!(
        sample(&text, "entitle_limit_refusals_total{limit=\"rate\"}"),
        0.0
    );
    assert!(text.ends_with("# EOF\n"));

    // A second scrape sees the first one answered.
    let again = scrape(&demo).await;
    assert_eq!(
        sample(
            &again,
            "entitle_http_request_duration_seconds_count{route=\"/metrics\",method=\"GET\",class=\"2xx\"}"
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_refusals_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path().join("entitle.db"));
    options.rate_limit_per_second = Some(1);
    options.rate_limit_burst = Some(1);
    let demo = Demo::serve(options, dir).await;
    let adele = token(ADELE, REQUESTOR_SCOPES, &[]);
    let mut refused = 0.0;
    for _ in 0..4 {
        let response = demo
            .client
            .get(demo.url(REQUESTS))
            .bearer_auth(&adele)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            refused += 1.0;
        }
    }
    assert!(refused >= 1.0, "a burst of one refuses at once");
    let text = scrape(&demo).await;
    assert_eq!(
        sample(&text, "entitle_limit_refusals_total{limit=\"rate\"}"),
        refused,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "entitle_http_responses_total{method=\"GET\",code=\"429\"}"
        ),
        refused
    );
}
