//! The `Authorization` header: `Bearer <token>`, the scheme matched case-insensitively (RFC 9110).

use crate::error::{AuthError, quoted};

/// The authentication scheme entitle accepts.
const SCHEME: &str = "Bearer";

/// The one `Authorization` value of a request, given all of its `Authorization` headers' values.
///
/// # Errors
/// [`AuthError::RepeatedCredential`] for more than one header, or one holding a comma-separated
/// list: which of them would be the caller is ambiguous.
pub fn single_credential<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<&'a str>, AuthError> {
    let mut values = values.into_iter();
    let first = values.next();
    if values.next().is_some() || first.is_some_and(|value| value.contains(',')) {
        return Err(AuthError::RepeatedCredential);
    }
    Ok(first)
}

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
    let Some((scheme, token)) = value.split_once([' ', '\t']) else {
        // One word: `Bearer` alone, or a bare credential, which is never echoed.
        return Err(if value.eq_ignore_ascii_case(SCHEME) {
            AuthError::MissingToken
        } else {
            AuthError::MalformedAuthorization
        });
    };
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(if looks_like_scheme(scheme) {
            AuthError::UnsupportedScheme {
                scheme: quoted(scheme),
            }
        } else {
            // Likely a credential: never echo it into errors and logs.
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

    #[test]
    fn a_bare_credential_is_never_echoed() {
        for bare in ["sk-live-1234567890", "apikey", "x"] {
            assert_eq!(token(Some(bare)), Err(AuthError::MalformedAuthorization));
        }
        assert_eq!(
            token(Some("AVeryLongSchemeName12 credential")),
            Err(AuthError::MalformedAuthorization)
        );
        assert_eq!(
            token(Some("Digest credential")),
            Err(AuthError::UnsupportedScheme {
                scheme: "Digest".into()
            })
        );
    }

    #[test]
    fn one_credential_per_request() {
        assert_eq!(single_credential([]), Ok(None));
        assert_eq!(single_credential(["Bearer a"]), Ok(Some("Bearer a")));
        assert_eq!(
            single_credential(["Bearer a", "Bearer b"]),
            Err(AuthError::RepeatedCredential)
        );
        assert_eq!(
            single_credential(["Bearer a, Bearer b"]),
            Err(AuthError::RepeatedCredential)
        );
    }
}
