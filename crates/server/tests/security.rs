//! Production mode probed as an attacker would (D32): `entitle serve --jwks … --issuer …
//! --audience … --tenant-id …` over the demo tenant, with tokens signed by hand. Every forged,
//! stale, misdirected, tampered, oversized or repeated credential is refused with Graph's envelope
//! (`401 unauthenticated`, `400 invalidRequest` for several credentials), the token is never echoed,
//! and nothing changes: the request a refused cancel aimed at is still pending.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use std::time::{SystemTime, UNIX_EPOCH};

use entitle_server::demo::{ADELE, REQUEST_PENDING_APPROVAL};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

mod common;

use common::demo::{Demo, REQUESTS, options};

/// The demo key as `entitle-demo`, another key as `rotated-out-key` (the auth crate's fixture).
const JWKS: &str = include_str!("../../auth/tests/fixtures/entra-style-jwks.json");
/// The private key of `entitle-demo`.
const KEY: &str = include_str!("../../auth/src/demo-key.pem");
/// A key nobody trusts under `entitle-demo`.
const FOREIGN_KEY: &str = include_str!("../../auth/tests/fixtures/other-key.pem");
const KID: &str = "entitle-demo";
const TENANT: &str = "5f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const ISSUER: &str = "https://login.microsoftonline.com/5f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b/v2.0";
const AUDIENCE: &str = "api://entitle-production";

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Adele's claims, valid now, for this server.
fn claims() -> Value {
    let now = now();
    json!({
        "aud": AUDIENCE, "iss": ISSUER, "tid": TENANT, "oid": ADELE.to_string(),
        "iat": now, "nbf": now, "exp": now + 3_600, "idtyp": "user",
        "scp": "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All",
    })
}

fn sign_with(pem: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(KEY, Some(KID), claims)
}

/// `claims` changed by `change`, signed.
fn signed_with(change: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims();
    change(&mut claims);
    sign(&claims)
}

/// Base64url without padding, for tokens built by hand.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |bits, (i, byte)| {
            bits | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
        }
    }
    text
}

async fn production() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("keys.json");
    std::fs::write(&jwks, JWKS).unwrap();
    let mut options = options(dir.path().join("entitle.db"));
    options.jwks = Some(jwks);
    options.issuer = Some(ISSUER.to_owned());
    options.audience = Some(AUDIENCE.to_owned());
    options.tenant_id = Some(TENANT.to_owned());
    Demo::serve(options, dir).await
}

/// Cancels Adele's pending request with these `Authorization` headers; the status and the body.
async fn cancel_with(demo: &Demo, authorization: &[&str]) -> (u16, Value) {
    let mut request = demo
        .client
        .post(demo.url(&format!("{REQUESTS}/{REQUEST_PENDING_APPROVAL}/cancel")));
    for value in authorization {
        request = request.header("Authorization", *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The request's status, read with a valid token.
async fn status(demo: &Demo) -> String {
    let response = demo
        .client
        .get(demo.url(&format!("{REQUESTS}/{REQUEST_PENDING_APPROVAL}")))
        .bearer_auth(sign(&claims()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["status"].as_str().unwrap().to_owned()
}

/// `authorization` is refused with `status` and `code` in Graph's envelope, without echoing
/// `secret`, and changes nothing.
async fn refused(demo: &Demo, case: &str, authorization: &[&str], expected: (u16, &str)) {
    let (status_code, body) = cancel_with(demo, authorization).await;
    assert_eq!(
        (
            status_code,
            body["error"]["code"].as_str().unwrap_or_default()
        ),
        expected,
        "{case}: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.len() < 200, "{case}: a bounded message: {message}");
    let shown = body.to_string();
    for value in authorization {
        let credential = value.rsplit(' ').next().unwrap_or(value).as_bytes();
        // No 12 characters of a credential in a row, whole or in part.
        assert!(
            credential
                .windows(12)
                .all(|part| !shown.as_bytes().windows(12).any(|seen| seen == part)),
            "{case}: the credential is echoed: {body}"
        );
    }
    assert_eq!(
        status(demo).await,
        "PendingApproval",
        "{case}: nothing changed"
    );
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_stale_and_misdirected_tokens_are_refused_and_change_nothing() {
    let demo = production().await;
    let unauthenticated = (401, "unauthenticated");
    let header = |json: &Value| base64url(json.to_string().as_bytes());
    let unsigned = format!(
        "{}.{}.",
        header(&json!({"alg": "none", "typ": "JWT", "kid": KID})),
        header(&claims())
    );
    let public_key_as_secret = jsonwebtoken::encode(
        &{
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(KID.to_owned());
            header
        },
        &claims(),
        &EncodingKey::from_secret(JWKS.as_bytes()),
    )
    .unwrap();
    let valid = sign(&claims());
    let mut parts: Vec<&str> = valid.split('.').collect();
    let mut tampered_claims = claims();
    tampered_claims["scp"] = json!("EntitlementManagement.ReadWrite.All");
    let tampered_payload = header(&tampered_claims);
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let long_kid = "k".repeat(20_000);
    let now = now();
    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        ("HS256 keyed with the public key", public_key_as_secret),
        (
            "a foreign key under a known kid",
            sign_with(FOREIGN_KEY, Some(KID), &claims()),
        ),
        (
            "an unknown kid",
            sign_with(KEY, Some("not-a-key"), &claims()),
        ),
        (
            "a 20,000-character kid",
            sign_with(KEY, Some(&long_kid), &claims()),
        ),
        ("no kid", sign_with(KEY, None, &claims())),
        (
            "expired beyond the leeway",
            signed_with(|c| c["exp"] = json!(now - 120)),
        ),
        (
            "not valid before, beyond the leeway",
            signed_with(|c| c["nbf"] = json!(now + 120)),
        ),
        (
            "another audience",
            signed_with(|c| c["aud"] = json!("api://elsewhere")),
        ),
        (
            "another issuer",
            signed_with(|c| c["iss"] = json!("https://login.elsewhere/v2.0")),
        ),
        (
            "another tenant",
            signed_with(|c| c["tid"] = json!("0a1b2c3d-0000-4000-8000-000000000000")),
        ),
        ("a tampered payload", tampered),
        (
            "an oversized token",
            format!("{valid}{}", "A".repeat(12_000)),
        ),
    ];
    for (case, token) in &cases {
        refused(&demo, case, &[&bearer(token)], unauthenticated).await;
    }
    let (status_code, body) = cancel_with(&demo, &[&bearer(&cases[4].1)]).await;
    assert_eq!(status_code, 401);
    assert!(
        !body.to_string().contains(&long_kid[..64]),
        "the kid is quoted short: {body}"
    );
    refused(
        &demo,
        "a bare api key",
        &["sk-live-4f9a8b7c6d"],
        unauthenticated,
    )
    .await;
    refused(&demo, "no credential", &[], unauthenticated).await;
}

/// Clock skew within the 60 seconds of leeway is accepted.
#[tokio::test(flavor = "multi_thread")]
async fn clock_skew_within_the_leeway_is_accepted() {
    let demo = production().await;
    let now = now();
    for (case, token) in [
        (
            "expired within the leeway",
            signed_with(|c| c["exp"] = json!(now - 30)),
        ),
        (
            "not valid before, within the leeway",
            signed_with(|c| c["nbf"] = json!(now + 30)),
        ),
    ] {
        let response = demo
            .client
            .get(demo.url(&format!("{REQUESTS}/{REQUEST_PENDING_APPROVAL}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_carries_one_credential() {
    let demo = production().await;
    let valid = bearer(&sign(&claims()));
    let forged = bearer(&sign_with(FOREIGN_KEY, Some(KID), &claims()));
    let invalid_request = (400, "invalidRequest");
    refused(
        &demo,
        "valid, then forged",
        &[&valid, &forged],
        invalid_request,
    )
    .await;
    refused(
        &demo,
        "forged, then valid",
        &[&forged, &valid],
        invalid_request,
    )
    .await;
    refused(&demo, "valid twice", &[&valid, &valid], invalid_request).await;
    let joined = format!("{valid}, {forged}");
    refused(&demo, "comma-joined", &[&joined], invalid_request).await;

    let (status_code, _) = cancel_with(&demo, &[&valid]).await;
    assert_eq!(status_code, 200, "one valid credential cancels");
}
