//! The demo issuer: a built-in key pair and a minter, so local runs and tests need no identity
//! provider.
//!
//! ⚠️ WARNING: `demo-key.pem` beside this module is a PUBLIC, WELL-KNOWN, INSECURE private key,
//! committed on purpose like Azurite's well-known account key. Anyone can sign tokens with it that
//! [`Verifier::demo`](crate::Verifier::demo) accepts, for any user, tenant, permission or role. Use it
//! for local testing only; production verifies with [`Verifier::from_jwks`](crate::Verifier::from_jwks)
//! and the real issuer's keys.

use entitle_core::SubjectId;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::error::AuthError;
use crate::provider;

/// The issuer (`iss`) of demo tokens; `.invalid` keeps it from ever naming a real issuer.
pub const DEMO_ISSUER: &str = "https://login.entitle.invalid/demo/v2.0";

/// The audience (`aud`) of demo tokens: Microsoft Graph.
pub const DEMO_AUDIENCE: &str = "https://graph.microsoft.com";

/// The tenant (`tid`) of demo tokens that name no other.
pub const DEMO_TENANT: &str = "e4717e00-de70-4000-8000-000000000001";

/// The key id (`kid`) of the demo key, in the header of every demo token.
pub const DEMO_KEY_ID: &str = "entitle-demo";

/// The JWKS document of the demo key's public half: what a demo issuer would publish.
pub const DEMO_JWKS: &str = include_str!("demo-jwks.json");

/// ⚠️ PUBLIC, WELL-KNOWN, INSECURE private key (PKCS #8 PEM). For local testing only: never trust
/// tokens it signs with real data.
const DEMO_KEY_PEM: &str = include_str!("demo-key.pem");

/// The `ver` of demo tokens: the v2.0 endpoint's format.
const TOKEN_VERSION: &str = "2.0";

/// What a minted demo token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The caller's object id (`oid`, also `sub`).
    pub oid: SubjectId,
    /// Permission names: `roles` of an app token, `scp` of a user token.
    pub scopes: Vec<String>,
    /// Directory role template ids (`wids`).
    pub wids: Vec<String>,
    /// An app-only token (`idtyp` `app`) rather than a user's (`idtyp` `user`).
    pub app: bool,
    /// The tenant (`tid`); [`DEMO_TENANT`] when `None`.
    pub tenant: Option<String>,
    /// When the token was issued (`iat`, also `nbf`), in Unix seconds.
    pub issued_at: u64,
    /// How long the token lasts from `issued_at` (`exp`), in seconds.
    pub lifetime_seconds: u64,
}

/// The claims of a demo token, shaped like an Entra v2.0 access token's.
#[derive(Serialize)]
struct DemoClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    ver: &'a str,
    oid: String,
    sub: String,
    tid: &'a str,
    idtyp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<&'a [String]>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    wids: &'a [String],
}

impl<'a> DemoClaims<'a> {
    /// The claims `request` asks for.
    fn new(request: &'a TokenRequest) -> Self {
        let scopes = (!request.scopes.is_empty()).then_some(request.scopes.as_slice());
        let oid = request.oid.to_string();
        Self {
            aud: DEMO_AUDIENCE,
            iss: DEMO_ISSUER,
            iat: request.issued_at,
            nbf: request.issued_at,
            exp: request.issued_at.saturating_add(request.lifetime_seconds),
            ver: TOKEN_VERSION,
            sub: oid.clone(),
            oid,
            tid: request.tenant.as_deref().unwrap_or(DEMO_TENANT),
            idtyp: if request.app { "app" } else { "user" },
            scp: scopes.filter(|_| !request.app).map(|s| s.join(" ")),
            roles: scopes.filter(|_| request.app),
            wids: &request.wids,
        }
    }
}

/// Signs a token with the demo key (for `entitle token` and tests). App tokens put the scopes in
/// `roles` and set `idtyp` `app`; user tokens put them in `scp` (space-separated).
///
/// The header is `RS256` with `kid` [`DEMO_KEY_ID`]; the claims also hold `iss` [`DEMO_ISSUER`], `aud`
/// [`DEMO_AUDIENCE`], `iat` and `nbf` `issued_at`, and `exp` `issued_at + lifetime_seconds`.
///
/// # Errors
/// [`AuthError::Signing`] if signing fails, which the built-in key should never cause.
pub fn mint_demo(request: &TokenRequest) -> Result<String, AuthError> {
    provider::ensure();
    let key = demo_key()?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(DEMO_KEY_ID.to_owned());
    jsonwebtoken::encode(&header, &DemoClaims::new(request), &key).map_err(|error| {
        AuthError::Signing {
            reason: error.to_string(),
        }
    })
}

/// The demo private key.
fn demo_key() -> Result<EncodingKey, AuthError> {
    EncodingKey::from_rsa_pem(DEMO_KEY_PEM.as_bytes()).map_err(|error| AuthError::InvalidKey {
        kid: DEMO_KEY_ID.to_owned(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};

    use super::*;

    #[test]
    fn the_published_jwks_is_the_demo_keys_public_half() {
        let jwks: JwkSet = serde_json::from_str(DEMO_JWKS).unwrap();
        let published = jwks.find(DEMO_KEY_ID).unwrap();
        provider::ensure();
        let derived = Jwk::from_encoding_key(&demo_key().unwrap(), Algorithm::RS256).unwrap();
        let (AlgorithmParameters::RSA(published), AlgorithmParameters::RSA(derived)) =
            (&published.algorithm, &derived.algorithm)
        else {
            panic!("not RSA keys");
        };
        assert_eq!(published.n, derived.n);
        assert_eq!(published.e, derived.e);
    }

    #[test]
    fn user_and_app_tokens_place_scopes_differently() {
        let mut request = TokenRequest {
            oid: SubjectId::parse("0d0e0f10-1112-4314-9516-171819202122").unwrap(),
            scopes: vec!["A.B".into(), "C.D".into()],
            wids: vec![],
            app: false,
            tenant: None,
            issued_at: 1_000,
            lifetime_seconds: 3_600,
        };
        let user = serde_json::to_value(DemoClaims::new(&request)).unwrap();
        assert_eq!(user["scp"], "A.B C.D");
        assert_eq!(user["idtyp"], "user");
        assert_eq!(user["tid"], DEMO_TENANT);
        assert_eq!(user["exp"], 4_600);
        assert!(user.get("roles").is_none());
        assert!(user.get("wids").is_none());
        request.app = true;
        request.wids = vec!["w".into()];
        let app = serde_json::to_value(DemoClaims::new(&request)).unwrap();
        assert_eq!(app["roles"], serde_json::json!(["A.B", "C.D"]));
        assert_eq!(app["idtyp"], "app");
        assert_eq!(app["wids"], serde_json::json!(["w"]));
        assert!(app.get("scp").is_none());
    }
}
