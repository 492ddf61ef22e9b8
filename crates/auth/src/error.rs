//! Why a token was refused, or a key or token could not be made.

use jsonwebtoken::errors::ErrorKind;

/// An authentication failure.
///
/// [`AuthError::is_rejection`] tells the caller's fault (answer `401 Unauthorized`) from a
/// configuration or signing failure of the service itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header, or no token after the scheme.
    #[error("missing bearer token")]
    MissingToken,
    /// More than one `Authorization` header, or one holding a list of credentials (RFC 6750 §3.1:
    /// `invalid_request`).
    #[error("a request carries one `Authorization` credential, not several")]
    RepeatedCredential,
    /// The `Authorization` header uses another scheme than `Bearer`.
    #[error("authorization scheme `{scheme}` is not `Bearer`")]
    UnsupportedScheme {
        /// The scheme the header used.
        scheme: String,
    },
    /// The `Authorization` header is not `<scheme> <token>`.
    #[error("authorization header is not `Bearer <token>`")]
    MalformedAuthorization,
    /// The token is not a well-formed JWT (its parts, base64 or JSON).
    #[error("token is not a well-formed jwt")]
    MalformedToken,
    /// The token is signed with an algorithm entitle does not accept (only `RS256`).
    #[error("token algorithm `{algorithm}` is not accepted, only `RS256`")]
    UnsupportedAlgorithm {
        /// The algorithm in the token's header.
        algorithm: String,
    },
    /// The token's header names no signing key (`kid`).
    #[error("token header has no key id (`kid`)")]
    MissingKeyId,
    /// The token's signing key is not among the verifier's keys.
    #[error("token signing key `{kid}` is unknown")]
    UnknownKey {
        /// The key id in the token's header, as [`quoted`] shows a client's value.
        kid: String,
    },
    /// The signature does not match the token.
    #[error("token signature is invalid")]
    InvalidSignature,
    /// The token's `exp` has passed.
    #[error("token expired")]
    Expired,
    /// The token's `nbf` has not come yet.
    #[error("token is not valid yet")]
    NotYetValid,
    /// The token's `iss` is not the verifier's issuer.
    #[error("token issuer is not accepted")]
    WrongIssuer,
    /// The token's `aud` is not one of the verifier's audiences.
    #[error("token audience is not accepted")]
    WrongAudience,
    /// The token's `tid` is not the verifier's tenant.
    #[error("token tenant is not accepted")]
    WrongTenant,
    /// A claim the verifier needs is absent.
    #[error("token has no `{claim}` claim")]
    MissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// A claim has the wrong shape.
    #[error("token claim `{claim}` is malformed")]
    MalformedClaim {
        /// The claim's name.
        claim: String,
    },
    /// The `oid` claim is not a GUID.
    #[error("token claim `oid` is not a guid: `{value}`")]
    MalformedObjectId {
        /// The claim's value.
        value: String,
    },
    /// The token was refused for another reason.
    #[error("token is invalid: {reason}")]
    InvalidToken {
        /// What `jsonwebtoken` reported.
        reason: String,
    },
    /// A JWKS document could not be read.
    #[error("jwks document is malformed: {reason}")]
    MalformedJwks {
        /// What was wrong with it.
        reason: String,
    },
    /// A JWKS document holds no RSA signing key with a key id.
    #[error("jwks document has no rsa signing key with a `kid`")]
    NoSigningKeys,
    /// A key could not be loaded.
    #[error("key `{kid}` is invalid: {reason}")]
    InvalidKey {
        /// The key's id.
        kid: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A token could not be signed.
    #[error("could not sign the token: {reason}")]
    Signing {
        /// What `jsonwebtoken` reported.
        reason: String,
    },
}

/// The longest prefix of a client-supplied identifier quoted in an error.
const QUOTED_LEN: usize = 32;

/// A client-supplied identifier (a `kid`, a scheme) as errors quote it: at most its first 32
/// characters, followed by `…` when it is longer, and only when every character is a letter, a digit,
/// `-`, `_` or `.`; otherwise `…` alone.
pub fn quoted(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return "…".to_owned();
    }
    let mut shown: String = value.chars().take(QUOTED_LEN).collect();
    if value.chars().count() > QUOTED_LEN {
        shown.push('…');
    }
    shown
}

impl AuthError {
    /// Whether the request itself is malformed (`400 invalidRequest`) rather than its credential
    /// refused (`401`).
    pub const fn is_invalid_request(&self) -> bool {
        matches!(self, Self::RepeatedCredential)
    }

    /// Whether the caller's credentials were refused (`401 Unauthorized`), rather than the service
    /// failing to load its keys or to sign.
    pub const fn is_rejection(&self) -> bool {
        !matches!(
            self,
            Self::MalformedJwks { .. }
                | Self::NoSigningKeys
                | Self::InvalidKey { .. }
                | Self::Signing { .. }
        )
    }

    /// The refusal for an error `jsonwebtoken` reported while decoding and validating a token.
    pub(crate) fn from_validation(error: &jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => Self::MalformedToken,
            ErrorKind::InvalidSignature => Self::InvalidSignature,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidIssuer => Self::WrongIssuer,
            ErrorKind::InvalidAudience => Self::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => Self::MissingClaim {
                claim: claim.clone(),
            },
            ErrorKind::InvalidClaimFormat(claim) => Self::MalformedClaim {
                claim: claim.clone(),
            },
            _ => Self::InvalidToken {
                reason: error.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_service_failures_are_not_rejections() {
        assert!(AuthError::MissingToken.is_rejection());
        assert!(AuthError::Expired.is_rejection());
        assert!(!AuthError::NoSigningKeys.is_rejection());
        assert!(
            !AuthError::Signing {
                reason: String::new()
            }
            .is_rejection()
        );
    }

    #[test]
    fn client_values_are_quoted_short_and_plain() {
        assert_eq!(quoted("k1"), "k1");
        assert_eq!(quoted(&"a".repeat(20_000)), format!("{}…", "a".repeat(32)));
        assert_eq!(quoted("kid with spaces"), "…");
        assert_eq!(quoted("eyJ0eXAi/+=="), "…");
        assert!(AuthError::RepeatedCredential.is_invalid_request());
        assert!(!AuthError::WrongTenant.is_invalid_request());
    }

    #[test]
    fn messages_are_lowercase_with_values_in_backticks() {
        assert_eq!(AuthError::MissingToken.to_string(), "missing bearer token");
        assert_eq!(
            AuthError::UnknownKey { kid: "k1".into() }.to_string(),
            "token signing key `k1` is unknown"
        );
    }
}
