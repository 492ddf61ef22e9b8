//! Helpers shared by the integration tests: the clock, requests, and tokens signed by hand.

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::time::{SystemTime, UNIX_EPOCH};

use entitle_auth::{DEMO_AUDIENCE, DEMO_ISSUER, DEMO_KEY_ID, DEMO_TENANT, TokenRequest};
use entitle_core::SubjectId;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The demo private key (public and insecure, see the crate docs).
pub(crate) const DEMO_KEY: &str = include_str!("../../src/demo-key.pem");
/// Another RSA key, trusted by nobody but the Entra-style JWKS fixture (as `rotated-out-key`).
pub(crate) const OTHER_KEY: &str = include_str!("../fixtures/other-key.pem");
/// A caller's object id.
pub(crate) const OID: &str = "0d0e0f10-1112-4314-9516-171819202122";

/// The system clock in Unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A one-hour user token request issued now, with these scopes.
pub(crate) fn user(scopes: &[&str]) -> TokenRequest {
    TokenRequest {
        oid: SubjectId::parse(OID).unwrap(),
        scopes: scopes.iter().map(|&s| s.to_owned()).collect(),
        wids: vec![],
        app: false,
        tenant: None,
        issued_at: now(),
        lifetime_seconds: 3_600,
    }
}

/// The claims of a valid demo user token issued now.
pub(crate) fn demo_claims() -> Value {
    let now = now();
    json!({
        "aud": DEMO_AUDIENCE, "iss": DEMO_ISSUER, "iat": now, "nbf": now, "exp": now + 3_600,
        "oid": OID, "sub": OID, "tid": DEMO_TENANT, "idtyp": "user",
        "scp": "EntitlementManagement.Read.All",
    })
}

/// `claims` signed `RS256` with the RSA private key `pem`, `kid` in the header.
pub(crate) fn sign(pem: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// `claims` signed with the demo key, as a demo token would be.
pub(crate) fn sign_demo(claims: &Value) -> String {
    sign(DEMO_KEY, Some(DEMO_KEY_ID), claims)
}

/// The `Authorization` header value carrying `token`.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
