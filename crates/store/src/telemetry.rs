//! What a store tells about its own work, for an operator's metrics: which backend it is, how busy
//! its connections are, and, through an [`Observer`], each wait for a connection and each
//! transaction tried again.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The database behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// One SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// How busy the store's connections are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections, idle or in use.
    pub connections: u32,
    /// Open connections waiting for a caller.
    pub idle: u32,
    /// The most connections the store opens.
    pub max: u32,
}

/// Told of the store's work as it happens.
pub trait Observer: Send + Sync {
    /// A caller waited `wait` for a connection: a pool's, a reader, or the writer.
    fn waited_for_connection(&self, backend: Backend, wait: Duration);
    /// A transaction is tried again after a serialization failure, a deadlock or a lost race.
    fn retried(&self, backend: Backend);
    /// A commit settled `writes` writes together (group commit), refused ones included.
    fn committed(&self, backend: Backend, writes: usize) {
        let _ = (backend, writes);
    }
}

/// The observer a store reports to, once one is set.
#[derive(Default)]
pub(crate) struct Observed(OnceLock<Arc<dyn Observer>>);

impl fmt::Debug for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Observed")
            .field(&self.0.get().is_some())
            .finish()
    }
}

impl Observed {
    /// Reports to `observer` from now on; a second observer is ignored.
    pub(crate) fn set(&self, observer: Arc<dyn Observer>) {
        let _ = self.0.set(observer);
    }

    /// Reports a wait for a connection that began at `since`.
    pub(crate) fn waited(&self, backend: Backend, since: Instant) {
        if let Some(observer) = self.0.get() {
            observer.waited_for_connection(backend, since.elapsed());
        }
    }

    /// Reports a commit of `writes` writes.
    pub(crate) fn committed(&self, backend: Backend, writes: usize) {
        if let Some(observer) = self.0.get() {
            observer.committed(backend, writes);
        }
    }

    /// Reports a retry.
    pub(crate) fn retried(&self, backend: Backend) {
        if let Some(observer) = self.0.get() {
            observer.retried(backend);
        }
    }
}
