//! Verifying a bearer token: its signature, issuer, audience and lifetime, then its claims.

use jsonwebtoken::{Algorithm, Validation};

use crate::bearer;
use crate::cache::VerifiedTokens;
use crate::claims::TokenClaims;
use crate::demo::{DEMO_AUDIENCE, DEMO_ISSUER, DEMO_JWKS};
use crate::error::{AuthError, quoted};
use crate::identity::Identity;
use crate::keys::KeySet;
use crate::provider;

/// The application id of Microsoft Graph, the `aud` of Graph tokens issued by the v1 endpoint.
pub const GRAPH_APPLICATION_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 60;

/// The only signature algorithm accepted, as Entra signs access tokens.
const ALGORITHM: Algorithm = Algorithm::RS256;

/// Checks bearer tokens against trusted keys, one issuer and its accepted audiences.
///
/// Build it once and share it: clones share one cache of tokens already verified (see `cache.rs`).
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: KeySet,
    validation: Validation,
    verified: VerifiedTokens,
    /// The only tenant (`tid`) accepted, when one is set.
    tenant: Option<String>,
}

impl Verifier {
    /// Accepts only tokens signed with the well-known, INSECURE demo key, issuer [`DEMO_ISSUER`],
    /// audience [`DEMO_AUDIENCE`] or [`GRAPH_APPLICATION_ID`].
    ///
    /// Anyone can mint such tokens (see the crate docs): for local runs and tests only.
    ///
    /// # Errors
    /// None in practice: the demo key set is built in.
    pub fn demo() -> Result<Self, AuthError> {
        Self::new(
            DEMO_JWKS,
            DEMO_ISSUER,
            &[DEMO_AUDIENCE, GRAPH_APPLICATION_ID],
        )
    }

    /// Production: RS256 signatures checked against the keys of a JWKS document (JSON text), with
    /// this issuer and audience. Key chosen by the token's `kid`.
    ///
    /// Only RSA keys with a `kid` that may sign `RS256` are used; others are skipped.
    ///
    /// # Errors
    /// [`AuthError::MalformedJwks`], [`AuthError::InvalidKey`] or [`AuthError::NoSigningKeys`] when
    /// the document yields no trusted key.
    pub fn from_jwks(jwks_json: &str, issuer: &str, audience: &str) -> Result<Self, AuthError> {
        Self::new(jwks_json, issuer, &[audience])
    }

    /// A verifier trusting the keys of `jwks_json` for tokens from `issuer` to any of `audiences`.
    fn new(jwks_json: &str, issuer: &str, audiences: &[&str]) -> Result<Self, AuthError> {
        let keys = KeySet::from_jwks(jwks_json)?;
        let mut validation = Validation::new(ALGORITHM);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(audiences);
        Ok(Self {
            keys,
            validation,
            verified: VerifiedTokens::default(),
            tenant: None,
        })
    }

    /// The same verifier, accepting only tokens whose `tid` is `tenant` (compared ignoring case).
    #[must_use]
    pub fn for_tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant.to_owned());
        self
    }

    /// `identity`, if its tenant is the one accepted.
    fn in_tenant(&self, identity: Identity) -> Result<Identity, AuthError> {
        match &self.tenant {
            Some(tenant) if !identity.tenant.eq_ignore_ascii_case(tenant) => {
                Err(AuthError::WrongTenant)
            }
            _ => Ok(identity),
        }
    }

    /// Verifies the value of an Authorization header (`Bearer <jwt>`, scheme case-insensitive).
    ///
    /// The token must be signed `RS256` by the trusted key its `kid` names, come from the issuer, be
    /// meant for an accepted audience, be within its `nbf`..`exp` lifetime (60 seconds of leeway, by
    /// the system clock) and carry a GUID `oid` and a `tid` (the verifier's tenant, when it has one).
    ///
    /// # Errors
    /// An [`AuthError`] saying why the header or token was refused; all are
    /// [rejections](AuthError::is_rejection).
    pub fn verify(&self, authorization: Option<&str>) -> Result<Identity, AuthError> {
        let token = bearer::token(authorization)?;
        if let Some(identity) = self.verified.get(token) {
            return self.in_tenant(identity);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::MalformedToken)?;
        if header.alg != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm {
                algorithm: format!("{:?}", header.alg),
            });
        }
        let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| AuthError::UnknownKey { kid: quoted(&kid) })?;
        provider::ensure();
        let data = jsonwebtoken::decode::<TokenClaims>(token, key, &self.validation)
            .map_err(|error| AuthError::from_validation(&error))?;
        let valid_until = data.claims.exp.saturating_add(LEEWAY_SECONDS);
        let identity = data.claims.identity()?;
        self.verified.insert(token, &identity, valid_until);
        self.in_tenant(identity)
    }
}
