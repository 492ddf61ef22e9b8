//! Links as the client addressed the server, over real HTTP: `@odata.nextLink` and `@odata.context`
//! under `--public-url`, under a front's forwarded headers with `--trust-forwarded`, and unchanged by
//! those headers without it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::demo::{Demo, REQUESTS, options, token};
use entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR;
use entitle_server::PublicUrl;
use entitle_server::demo::ids::ISAIAH;
use serde_json::Value;

/// The paths of the lists whose pages carry next links: requests, catalogs and users, in both
/// versions.
const LISTS: [&str; 4] = [
    REQUESTS,
    "/beta/identityGovernance/entitlementManagement/accessPackageAssignmentRequests",
    "/v1.0/identityGovernance/entitlementManagement/catalogs",
    "/beta/users",
];

/// An Identity Governance Administrator who may read every list.
fn reader() -> String {
    token(
        ISAIAH,
        "EntitlementManagement.Read.All User.Read.All",
        &[IDENTITY_GOVERNANCE_ADMINISTRATOR],
    )
}

async fn demo(public_url: Option<&str>, trust_forwarded: bool) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path().join("entitle.db"));
    options.public_url = public_url.map(|url| PublicUrl::parse(url).unwrap());
    options.trust_forwarded = trust_forwarded;
    Demo::serve(options, dir).await
}

/// The first page of `path` (one item a page) with `headers`, and its links.
async fn links(demo: &Demo, path: &str, headers: &[(&str, &str)]) -> (String, String) {
    let mut request = demo
        .client
        .get(demo.url(&format!("{path}?$top=1")))
        .bearer_auth(reader());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let body: Value = response.json().await.unwrap();
    let link = |name: &str| {
        body[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} on {path}: {body}"))
            .to_owned()
    };
    (link("@odata.context"), link("@odata.nextLink"))
}

const FRONT: [(&str, &str); 2] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "graph.contoso.test"),
];

#[tokio::test]
async fn without_the_flag_forwarded_headers_change_nothing() {
    let demo = demo(None, false).await;
    let plain = demo.base.clone();
    for path in LISTS {
        for headers in [
            &FRONT[..],
            &[("forwarded", "proto=https;host=graph.contoso.test")],
        ] {
            let (context, next) = links(&demo, path, headers).await;
            assert!(context.starts_with(&format!("{plain}/")), "{context}");
            assert!(next.starts_with(&format!("{plain}{path}?")), "{next}");
        }
    }
}

#[tokio::test]
async fn with_the_flag_a_front_decides_scheme_and_host() {
    let demo = demo(None, true).await;
    for path in LISTS {
        let (context, next) = links(&demo, path, &FRONT).await;
        assert!(
            context.starts_with("https://graph.contoso.test/"),
            "{context}"
        );
        assert!(
            next.starts_with(&format!("https://graph.contoso.test{path}?")),
            "{next}"
        );
        let rfc_7239 = [(
            "forwarded",
            "for=192.0.2.1;proto=https;host=front.test:8443",
        )];
        let (_, next) = links(&demo, path, &rfc_7239).await;
        assert!(
            next.starts_with(&format!("https://front.test:8443{path}?")),
            "{next}"
        );
        let (_, next) = links(&demo, path, &[("x-forwarded-proto", "https")]).await;
        let host = demo.base.trim_start_matches("http://");
        assert!(
            next.starts_with(&format!("https://{host}{path}?")),
            "{next}"
        );
    }
}

#[tokio::test]
async fn a_public_url_is_the_base_of_every_link() {
    let demo = demo(Some("https://gateway.contoso.test/entitle/"), true).await;
    for path in LISTS {
        let (context, next) = links(&demo, path, &FRONT).await;
        assert!(
            context.starts_with("https://gateway.contoso.test/entitle/"),
            "{context}"
        );
        assert!(
            next.starts_with(&format!("https://gateway.contoso.test/entitle{path}?")),
            "{next}"
        );
    }
}

#[tokio::test]
async fn every_next_link_pages_to_the_end_behind_a_front() {
    let demo = demo(None, true).await;
    let plain = demo.base.clone();
    let mut url = demo.url(&format!("{REQUESTS}?$top=2"));
    let mut pages = 0;
    loop {
        let body: Value = demo
            .client
            .get(&url)
            .bearer_auth(reader())
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "graph.contoso.test")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        let Some(next) = body["@odata.nextLink"].as_str() else {
            break;
        };
        let rest = next
            .strip_prefix("https://graph.contoso.test")
            .unwrap_or_else(|| panic!("not https on the front's host: {next}"));
        // The front would forward this to the server; the test plays the front.
        url = format!("{plain}{rest}");
    }
    assert!(pages >= 3, "the demo's requests fill at least three pages");
}
