//! `Verifier::from_jwks` with an Entra-style JWKS document: the token's `kid` picks the key, and the
//! issuer and audience are the ones given.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{OTHER_KEY, bearer, demo_claims, sign, sign_demo};
use entitle_auth::{AuthError, DEMO_AUDIENCE, DEMO_ISSUER, Verifier};
use entitle_core::Principal;

/// The demo key as `entitle-demo`, the other test key as `rotated-out-key`, and an EC key.
const JWKS: &str = include_str!("fixtures/entra-style-jwks.json");

#[test]
fn accepts_tokens_signed_by_a_key_of_the_set() {
    let verifier = Verifier::from_jwks(JWKS, DEMO_ISSUER, DEMO_AUDIENCE).unwrap();
    let identity = verifier
        .verify(Some(&bearer(&sign_demo(&demo_claims()))))
        .unwrap();
    assert_eq!(identity.principal, Principal::WorkOrSchoolUser);
    let rotated = sign(OTHER_KEY, Some("rotated-out-key"), &demo_claims());
    assert!(verifier.verify(Some(&bearer(&rotated))).is_ok());
    let swapped = sign(OTHER_KEY, Some("entitle-demo"), &demo_claims());
    assert_eq!(
        verifier.verify(Some(&bearer(&swapped))),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn refuses_another_issuer_or_audience() {
    let token = bearer(&sign_demo(&demo_claims()));
    let issuer = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    let verifier = Verifier::from_jwks(JWKS, issuer, DEMO_AUDIENCE).unwrap();
    assert_eq!(verifier.verify(Some(&token)), Err(AuthError::WrongIssuer));
    let verifier = Verifier::from_jwks(JWKS, DEMO_ISSUER, "api://entitle").unwrap();
    assert_eq!(verifier.verify(Some(&token)), Err(AuthError::WrongAudience));
}

#[test]
fn refuses_a_kid_not_in_the_set() {
    let verifier = Verifier::from_jwks(JWKS, DEMO_ISSUER, DEMO_AUDIENCE).unwrap();
    for kid in ["some-ec-key", "nQJ8XR5kFJ7sDmzQyy0ClG2xe_4"] {
        let token = sign(OTHER_KEY, Some(kid), &demo_claims());
        assert_eq!(
            verifier.verify(Some(&bearer(&token))),
            Err(AuthError::UnknownKey { kid: kid.into() })
        );
    }
}

#[test]
fn a_malformed_jwks_document_is_an_error() {
    for json in [
        "",
        "not json",
        "{}",
        r#"{"keys": "none"}"#,
        r#"{"keys": [{"kty": "RSA", "kid": "k"}]}"#,
    ] {
        let error = Verifier::from_jwks(json, DEMO_ISSUER, DEMO_AUDIENCE).unwrap_err();
        assert!(
            matches!(error, AuthError::MalformedJwks { .. }),
            "{json}: {error}"
        );
        assert!(!error.is_rejection());
    }
    assert_eq!(
        Verifier::from_jwks(r#"{"keys": []}"#, DEMO_ISSUER, DEMO_AUDIENCE).unwrap_err(),
        AuthError::NoSigningKeys
    );
}
