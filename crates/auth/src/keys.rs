//! The signing keys a verifier trusts, by key id, read from a JWKS document (RFC 7517).

use std::collections::BTreeMap;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::Value;

use crate::error::AuthError;

/// RSA public keys for `RS256` signatures, by `kid`.
#[derive(Clone, Debug)]
pub(crate) struct KeySet {
    keys: BTreeMap<String, DecodingKey>,
}

/// A JWKS document: its keys, read one by one so that keys entitle does not use cannot break it.
#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

impl KeySet {
    /// The RSA signing keys with a `kid` in the JWKS document `json`.
    ///
    /// Keys of other types, for other uses or algorithms, or without a `kid` are skipped, as a token
    /// could not select them; the first of two keys with one `kid` wins.
    ///
    /// # Errors
    /// [`AuthError::MalformedJwks`] when `json` is not a JWKS document or a usable key is malformed,
    /// [`AuthError::InvalidKey`] when a key cannot be loaded, [`AuthError::NoSigningKeys`] when no key
    /// is usable.
    pub(crate) fn from_jwks(json: &str) -> Result<Self, AuthError> {
        let document: Document = serde_json::from_str(json).map_err(|error| malformed(&error))?;
        let mut keys = BTreeMap::new();
        for entry in document.keys {
            let Some(kid) = usable_kid(&entry) else {
                continue;
            };
            let jwk: Jwk = serde_json::from_value(entry).map_err(|error| malformed(&error))?;
            let key = DecodingKey::from_jwk(&jwk).map_err(|error| AuthError::InvalidKey {
                kid: kid.clone(),
                reason: error.to_string(),
            })?;
            keys.entry(kid).or_insert(key);
        }
        if keys.is_empty() {
            return Err(AuthError::NoSigningKeys);
        }
        Ok(Self { keys })
    }

    /// The key with id `kid`, if trusted.
    pub(crate) fn get(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.get(kid)
    }
}

/// The `kid` of a JWKS entry that can check `RS256` signatures, or `None` for any other entry.
fn usable_kid(entry: &Value) -> Option<String> {
    let field = |name: &str| entry.get(name).and_then(Value::as_str);
    let rsa = field("kty") == Some("RSA");
    let signing = field("use").is_none_or(|usage| usage == "sig");
    let rs256 = field("alg").is_none_or(|alg| alg == "RS256");
    (rsa && signing && rs256)
        .then(|| field("kid").map(str::to_owned))
        .flatten()
}

/// The error for a document that is not a JWKS document.
fn malformed(error: &serde_json::Error) -> AuthError {
    AuthError::MalformedJwks {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn reads_rsa_signing_keys_and_skips_the_rest() {
        let json = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "future", "kid": "x", "alg": "something-new"},
        ]});
        let keys = KeySet::from_jwks(&json.to_string()).unwrap();
        assert_eq!(keys.keys.keys().collect::<Vec<_>>(), ["a"]);
        assert!(keys.get("a").is_some());
        assert!(keys.get("hmac").is_none());
    }

    #[test]
    fn refuses_documents_without_usable_keys() {
        assert_eq!(
            KeySet::from_jwks(r#"{"keys": []}"#).unwrap_err(),
            AuthError::NoSigningKeys
        );
        for json in [
            "",
            "[]",
            "{}",
            r#"{"keys": {}}"#,
            r#"{"keys": [{"kty": "RSA", "kid": "a"}]}"#,
        ] {
            assert!(
                matches!(
                    KeySet::from_jwks(json),
                    Err(AuthError::MalformedJwks { .. })
                ),
                "{json}"
            );
        }
        assert!(matches!(
            KeySet::from_jwks(r#"{"keys": [{"kty": "RSA", "kid": "a", "n": "!!", "e": "AQAB"}]}"#),
            Err(AuthError::InvalidKey { .. })
        ));
    }
}
