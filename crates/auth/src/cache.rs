//! Tokens already verified, so that a client sending the same token again is not charged a second
//! RSA signature check: each is kept until its expiry (plus the verifier's leeway) or for
//! [`CACHE_TTL`], whichever comes first, and the cache holds at most [`CACHE_SIZE`] tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::identity::Identity;

/// The longest a verified token is trusted without checking its signature again.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(30);
/// The most tokens kept.
pub(crate) const CACHE_SIZE: usize = 4096;

/// Verified tokens and until when they may be trusted.
#[derive(Clone, Debug, Default)]
pub(crate) struct VerifiedTokens {
    entries: Arc<Mutex<HashMap<String, (Identity, Instant)>>>,
}

impl VerifiedTokens {
    /// The identity of `token`, if it was verified and may still be trusted.
    pub(crate) fn get(&self, token: &str) -> Option<Identity> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (identity, until) = entries.get(token)?;
        (Instant::now() < *until).then(|| identity.clone())
    }

    /// Remembers `token`, valid by its claims until `valid_until_unix` (Unix seconds).
    pub(crate) fn insert(&self, token: &str, identity: &Identity, valid_until_unix: u64) {
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let remaining = Duration::from_secs(valid_until_unix.saturating_sub(now_unix));
        let until = Instant::now() + remaining.min(CACHE_TTL);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_SIZE {
            let now = Instant::now();
            entries.retain(|_, (_, until)| now < *until);
            if entries.len() >= CACHE_SIZE {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), (identity.clone(), until));
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::{Permissions, Principal, Roles, SubjectId};

    use super::*;

    fn identity() -> Identity {
        Identity {
            principal: Principal::WorkOrSchoolUser,
            id: SubjectId::parse("11111111-2222-3333-4444-555555555555")
                .unwrap_or_else(|_| unreachable!("a valid GUID")),
            tenant: "t".into(),
            permissions: Permissions::NONE,
            directory_roles: Roles::NONE,
        }
    }

    #[test]
    fn a_token_is_trusted_until_its_expiry_only() {
        let cache = VerifiedTokens::default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        cache.insert("live", &identity(), now + 3600);
        cache.insert("expired", &identity(), now.saturating_sub(1));
        assert_eq!(cache.get("live"), Some(identity()));
        assert_eq!(cache.get("expired"), None);
        assert_eq!(cache.get("unknown"), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedTokens::default();
        let far = u64::MAX;
        for n in 0..=CACHE_SIZE {
            cache.insert(&n.to_string(), &identity(), far);
        }
        let size = cache
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(size <= CACHE_SIZE);
    }
}
