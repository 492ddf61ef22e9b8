//! # entitle-auth
//!
//! Bearer-token authentication for entitle's Graph-compatible HTTP server, as a pure library: a
//! [`Verifier`] turns the value of an `Authorization: Bearer <JWT>` header into an [`Identity`], the
//! facts about the caller that a Microsoft identity platform access token states (`oid`, `tid`, `scp`,
//! `roles`, `wids`, `idtyp`), and [`Identity::caller`] makes it the [`entitle_core::Caller`] the core
//! decides with, once the adapter adds the roles that tokens do not carry (catalog roles, approver).
//!
//! - Production: [`Verifier::from_jwks`] checks RS256 signatures against the keys of the issuer's JWKS
//!   document, chosen by the token's `kid`, and checks the issuer, the audience, `exp` and `nbf`
//!   (with 60 seconds of leeway, against the system clock).
//! - Local testing: [`Verifier::demo`] accepts tokens that [`mint_demo`] signs with the demo key.
//!
//! # ⚠️ The demo key is PUBLIC and INSECURE ⚠️
//!
//! The demo key pair is committed to this repository (`src/demo-key.pem`), like Azurite's well-known
//! account key: **anyone can mint a token that [`Verifier::demo`] accepts, for any user, tenant,
//! permission or directory role.** It exists only so that local runs and tests need no identity
//! provider. Never accept demo tokens in a deployment that holds real data: production must use
//! [`Verifier::from_jwks`] with the real issuer's keys.
//!
//! # Crypto backend
//!
//! Signatures use `jsonwebtoken` with its pure-Rust backend (the `RustCrypto` crates), so the crate
//! builds from crates.io alone, with no C toolchain. Before signing or verifying, this crate installs
//! that backend as `jsonwebtoken`'s process-wide default provider, unless another one was installed
//! first.

mod bearer;
mod cache;
mod claims;
mod demo;
mod error;
mod identity;
mod keys;
mod provider;
mod verifier;

pub use bearer::single_credential;
pub use claims::{
    COMPLIANCE_ADMINISTRATOR, DIRECTORY_ROLES, GLOBAL_READER, IDENTITY_GOVERNANCE_ADMINISTRATOR,
    PERSONAL_ACCOUNT_TENANT, SECURITY_ADMINISTRATOR, SECURITY_READER,
};
pub use demo::{
    DEMO_AUDIENCE, DEMO_ISSUER, DEMO_JWKS, DEMO_KEY_ID, DEMO_TENANT, TokenRequest, mint_demo,
};
pub use error::{AuthError, quoted};
pub use identity::Identity;
pub use verifier::{GRAPH_APPLICATION_ID, Verifier};
