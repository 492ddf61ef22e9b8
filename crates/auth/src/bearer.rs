//! The `Authorization` header: `Bearer <token>`, the scheme matched case-insensitively (RFC 9110).

use crate::error::AuthError;

/// The authentication scheme entitle accepts.
const SCHEME: &str = "Bearer";

/// The token in the value of an `Authorization` header.
///
/// # Errors
/// [`AuthError::MissingToken`] when there is no header or no token after the scheme,
/// [`AuthError::UnsupportedScheme`] when the scheme is not `Bearer`, [`AuthError::MalformedAuthorization`]
/// when the header does not start with a scheme.
pub(crate) fn token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(AuthError::MissingToken);
    }
    let (scheme, token) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(if looks_like_scheme(scheme) {
            AuthError::UnsupportedScheme {
                scheme: scheme.to_owned(),
            }
        } else {
            // Likely a bare credential: never echo it into errors and logs.
            AuthError::MalformedAuthorization
        });
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token)
}

/// Whether `word` can be an authentication scheme name worth quoting in an error.
fn looks_like_scheme(word: &str) -> bool {
    (1..=MAX_SCHEME_LEN).contains(&word.len())
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The longest scheme name quoted back; longer first words are likely credentials.
const MAX_SCHEME_LEN: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_token_after_a_case_insensitive_scheme() {
        assert_eq!(token(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(token(Some("bearer   a.b.c ")), Ok("a.b.c"));
        assert_eq!(token(Some("BEARER\ta.b.c")), Ok("a.b.c"));
    }

    #[test]
    fn refuses_missing_tokens_and_other_schemes() {
        assert_eq!(token(None), Err(AuthError::MissingToken));
        assert_eq!(token(Some("  ")), Err(AuthError::MissingToken));
        assert_eq!(token(Some("Bearer")), Err(AuthError::MissingToken));
        assert_eq!(token(Some("Bearer   ")), Err(AuthError::MissingToken));
        assert_eq!(
            token(Some("Basic dXNlcjpwYXNz")),
            Err(AuthError::UnsupportedScheme {
                scheme: "Basic".into()
            })
        );
        assert_eq!(
            token(Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")),
            Err(AuthError::MalformedAuthorization)
        );
    }
}
