//! The demo issuer end to end: tokens `mint_demo` signs verify to the identity they state, and
//! everything else is refused with the reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{DEMO_KEY, OID, OTHER_KEY, bearer, demo_claims, now, sign, sign_demo, user};
use entitle_auth::{
    AuthError, DEMO_KEY_ID, DEMO_TENANT, GRAPH_APPLICATION_ID, IDENTITY_GOVERNANCE_ADMINISTRATOR,
    PERSONAL_ACCOUNT_TENANT, TokenRequest, Verifier, mint_demo,
};
use entitle_core::{Permission, Permissions, Principal, Role, Roles};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

fn verify(token: &str) -> Result<entitle_auth::Identity, AuthError> {
    Verifier::demo().unwrap().verify(Some(&bearer(token)))
}

fn verify_claims(edit: impl FnOnce(&mut Value)) -> Result<entitle_auth::Identity, AuthError> {
    let mut claims = demo_claims();
    edit(&mut claims);
    verify(&sign_demo(&claims))
}

#[test]
fn a_user_token_round_trips_with_permissions_and_directory_roles() {
    let mut request = user(&[
        "Mail.Read",
        "User.Read",
        "EntitlementMgmt-SubjectAccess.ReadWrite",
        "EntitlementManagement.Read.All",
    ]);
    request.wids = vec![
        "62e90394-69f5-4237-9190-012177145e10".into(),
        IDENTITY_GOVERNANCE_ADMINISTRATOR.into(),
    ];
    let identity = verify(&mint_demo(&request).unwrap()).unwrap();
    assert_eq!(identity.principal, Principal::WorkOrSchoolUser);
    assert_eq!(identity.id.to_string(), OID);
    assert_eq!(identity.tenant, DEMO_TENANT);
    assert_eq!(
        identity.permissions,
        Permissions::NONE
            .with(Permission::SubjectAccessReadWrite)
            .with(Permission::ReadAll)
            .with(Permission::UserRead)
    );
    assert_eq!(
        identity.directory_roles,
        Roles::NONE.with(Role::IdentityGovernanceAdministrator)
    );
    let caller = identity.caller(Roles::NONE.with(Role::CatalogReader));
    assert_eq!(caller.id, identity.id);
    assert!(caller.roles.contains(Role::CatalogReader));
    assert!(caller.roles.contains(Role::IdentityGovernanceAdministrator));
}

#[test]
fn an_app_token_round_trips_with_application_permissions() {
    let mut request = user(&[
        "EntitlementManagement.ReadWrite.All",
        "User.Read.All",
        "Mail.Read.All",
    ]);
    request.app = true;
    request.tenant = Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into());
    let identity = verify(&mint_demo(&request).unwrap()).unwrap();
    assert_eq!(identity.principal, Principal::Application);
    assert_eq!(identity.tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    assert_eq!(
        identity.permissions,
        Permissions::NONE
            .with(Permission::ReadWriteAll)
            .with(Permission::UserReadAll)
    );
    assert_eq!(identity.directory_roles, Roles::NONE);
}

#[test]
fn the_consumer_tenant_makes_a_personal_account() {
    let mut request = user(&["EntitlementMgmt-SubjectAccess.ReadWrite"]);
    request.tenant = Some(PERSONAL_ACCOUNT_TENANT.into());
    let identity = verify(&mint_demo(&request).unwrap()).unwrap();
    assert_eq!(identity.principal, Principal::PersonalAccount);
    assert_eq!(
        identity.permissions,
        Permissions::NONE.with(Permission::SubjectAccessReadWrite)
    );
}

#[test]
fn a_token_without_scopes_grants_nothing() {
    let identity = verify(&mint_demo(&user(&[])).unwrap()).unwrap();
    assert_eq!(identity.principal, Principal::WorkOrSchoolUser);
    assert_eq!(identity.permissions, Permissions::NONE);
}

#[test]
fn the_graph_application_id_is_an_accepted_audience() {
    let identity = verify_claims(|c| c["aud"] = GRAPH_APPLICATION_ID.into()).unwrap();
    assert_eq!(identity.principal, Principal::WorkOrSchoolUser);
}

#[test]
fn headers_without_a_bearer_token_are_refused() {
    let verifier = Verifier::demo().unwrap();
    assert_eq!(verifier.verify(None), Err(AuthError::MissingToken));
    assert_eq!(verifier.verify(Some("")), Err(AuthError::MissingToken));
    assert_eq!(
        verifier.verify(Some("Bearer ")),
        Err(AuthError::MissingToken)
    );
    assert_eq!(
        verifier.verify(Some("Basic dXNlcjpwYXNzd29yZA==")),
        Err(AuthError::UnsupportedScheme {
            scheme: "Basic".into()
        })
    );
    let token = mint_demo(&user(&[])).unwrap();
    assert_eq!(
        verifier.verify(Some(&token)),
        Err(AuthError::MalformedAuthorization)
    );
    assert!(verifier.verify(Some(&format!("bEaReR {token}"))).is_ok());
}

#[test]
fn garbage_is_refused() {
    for garbage in ["garbage", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9"] {
        assert_eq!(verify(garbage), Err(AuthError::MalformedToken), "{garbage}");
    }
    let token = mint_demo(&user(&[])).unwrap();
    let (signed, _) = token.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&format!("{signed}.AAAA")),
        Err(AuthError::InvalidSignature)
    );
    let (header, _) = token.split_once('.').unwrap();
    assert_eq!(
        verify(&format!("{header}.bm90IGpzb24.AAAA")),
        Err(AuthError::InvalidSignature),
        "the signature is checked before the claims are read"
    );
}

#[test]
fn a_token_signed_by_another_key_is_refused() {
    let token = sign(OTHER_KEY, Some(DEMO_KEY_ID), &demo_claims());
    assert_eq!(verify(&token), Err(AuthError::InvalidSignature));
}

#[test]
fn the_key_is_chosen_by_kid() {
    assert_eq!(
        verify(&sign(DEMO_KEY, None, &demo_claims())),
        Err(AuthError::MissingKeyId)
    );
    assert_eq!(
        verify(&sign(DEMO_KEY, Some("other"), &demo_claims())),
        Err(AuthError::UnknownKey {
            kid: "other".into()
        })
    );
}

#[test]
fn the_issuer_and_audience_must_match() {
    let issuer = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    assert_eq!(
        verify_claims(|c| c["iss"] = issuer.into()),
        Err(AuthError::WrongIssuer)
    );
    assert_eq!(
        verify_claims(|c| c["aud"] = "api://someone-else".into()),
        Err(AuthError::WrongAudience)
    );
    for claim in ["iss", "aud", "exp"] {
        assert_eq!(
            verify_claims(|c| {
                c.as_object_mut().unwrap().remove(claim);
            }),
            Err(AuthError::MissingClaim {
                claim: claim.into()
            })
        );
    }
}

#[test]
fn tokens_outside_their_lifetime_are_refused() {
    let request = TokenRequest {
        issued_at: now() - 7_200,
        ..user(&[])
    };
    assert_eq!(
        verify(&mint_demo(&request).unwrap()),
        Err(AuthError::Expired)
    );
    let just_expired = TokenRequest {
        issued_at: now() - 3_630,
        ..user(&[])
    };
    assert!(
        verify(&mint_demo(&just_expired).unwrap()).is_ok(),
        "60 seconds of leeway"
    );
    assert_eq!(
        verify_claims(|c| c["nbf"] = (now() + 600).into()),
        Err(AuthError::NotYetValid)
    );
}

#[test]
fn oid_must_be_a_guid_and_tid_present() {
    assert_eq!(
        verify_claims(|c| c["oid"] = "user@contoso.com".into()),
        Err(AuthError::MalformedObjectId {
            value: "user@contoso.com".into()
        })
    );
    assert_eq!(
        verify_claims(|c| {
            c.as_object_mut().unwrap().remove("tid");
        }),
        Err(AuthError::MissingClaim {
            claim: "tid".into()
        })
    );
    assert_eq!(
        verify_claims(|c| c["wids"] = "not a list".into()),
        Err(AuthError::MalformedToken)
    );
}

#[test]
fn unsigned_and_hmac_tokens_are_refused() {
    let token = mint_demo(&user(&["EntitlementManagement.ReadWrite.All"])).unwrap();
    let mut parts = token.split('.');
    let (_, payload, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    // {"alg":"none","typ":"JWT","kid":"entitle-demo"}
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiZW50aXRsZS1kZW1vIn0";
    for forged in [
        format!("{none}.{payload}."),
        format!("{none}.{payload}.{signature}"),
    ] {
        assert_eq!(verify(&forged), Err(AuthError::MalformedToken));
    }

    // HS256 keyed with the public JWKS text: the classic key-confusion forgery.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(DEMO_KEY_ID.into());
    let key = EncodingKey::from_secret(entitle_auth::DEMO_JWKS.as_bytes());
    let forged = jsonwebtoken::encode(&header, &demo_claims(), &key).unwrap();
    assert_eq!(
        verify(&forged),
        Err(AuthError::UnsupportedAlgorithm {
            algorithm: "HS256".into()
        })
    );
}

#[test]
fn refusals_are_rejections() {
    let error = verify("garbage").unwrap_err();
    assert!(error.is_rejection());
    assert_eq!(error.to_string(), "token is not a well-formed jwt");
    assert_eq!(AuthError::Expired.to_string(), "token expired");
    assert_eq!(
        AuthError::InvalidSignature.to_string(),
        "token signature is invalid"
    );
}
