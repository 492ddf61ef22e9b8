//! The tenant directory a server process holds: the stored one at the version it last read,
//! replaced by this process's own changes and refreshed when another process changed it.

use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use entitle_store::{Directory, Store, StoreError};

/// A directory as stored at one version.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The store's directory version it was read at.
    pub version: u64,
    /// The directory.
    pub directory: Directory,
}

impl Deref for Snapshot {
    type Target = Directory;

    fn deref(&self) -> &Directory {
        &self.directory
    }
}

/// The current [`Snapshot`], shared by every handler.
#[derive(Debug, Default)]
pub struct DirectoryCache {
    current: RwLock<Arc<Snapshot>>,
}

impl DirectoryCache {
    /// A cache holding `directory`, read at `version`.
    pub fn new(version: u64, directory: Directory) -> Self {
        Self {
            current: RwLock::new(Arc::new(Snapshot { version, directory })),
        }
    }

    /// The directory as last read or written.
    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Holds `snapshot` unless a newer one is held already; the one held.
    pub fn install(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if snapshot.version >= current.version {
            *current = Arc::new(snapshot);
        }
        Arc::clone(&current)
    }

    /// The stored directory: the one held when the store's version is unchanged, or read anew.
    ///
    /// # Errors
    /// A storage failure, or a stored directory that cannot be read.
    pub fn refresh(&self, store: &dyn Store) -> Result<Arc<Snapshot>, StoreError> {
        let version = store.directory_version()?;
        let current = self.current();
        if version == current.version {
            return Ok(current);
        }
        // Read after the version: at worst a newer directory under an older version, which the
        // next refresh reads again.
        let directory = store.directory()?;
        Ok(self.install(Snapshot { version, directory }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_store::SqliteStore;

    use super::*;

    #[test]
    fn a_change_by_another_handle_is_read_on_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entitle.db");
        let mine = SqliteStore::open(&path).unwrap();
        let theirs = SqliteStore::open(&path).unwrap();
        let cache = DirectoryCache::new(0, Directory::default());
        assert_eq!(cache.refresh(&mine).unwrap().version, 0);

        let changed = Directory {
            catalogs: vec![entitle_store::Catalog {
                id: "c1".into(),
                display_name: "General".into(),
            }],
            ..Directory::default()
        };
        theirs.set_directory(&changed).unwrap();
        let refreshed = cache.refresh(&mine).unwrap();
        assert_eq!(refreshed.version, 1);
        assert_eq!(refreshed.directory, changed);

        let stale = cache.install(Snapshot::default());
        assert_eq!(
            stale.version, 1,
            "an older snapshot never replaces a newer one"
        );
    }
}
