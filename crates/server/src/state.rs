//! What every handler shares: the store, the directory, the token verifier, the clock, the metrics,
//! the resource limits and how links are based.

use std::sync::Arc;
use std::time::Instant;

use entitle_auth::Verifier;
use entitle_store::Store;

use crate::clock::Clock;
use crate::directory_cache::{DirectoryCache, Snapshot};
use crate::error::{ApiError, ErrorCode};
use crate::limits::Limits;
use crate::links::Links;
use crate::metrics::Metrics;

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

/// The parts of [`AppState`].
pub struct Shared {
    /// Where requests and their history live.
    pub store: Arc<dyn Store>,
    /// The tenant directory, as last read or written.
    pub directories: DirectoryCache,
    /// Checks bearer tokens.
    pub verifier: Verifier,
    /// The (possibly virtual) time.
    pub clock: Clock,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Whether `/_entitle/` answers.
    pub control_api: bool,
    /// The rate, in-flight, timeout and connection limits.
    pub limits: Limits,
    /// How the base of links is found.
    pub links: Links,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    /// Shares `shared` between handlers.
    pub fn new(shared: Shared) -> Self {
        Self {
            inner: Arc::new(shared),
        }
    }

    /// The tenant directory as last read or written.
    pub fn directory(&self) -> Arc<Snapshot> {
        self.directories.current()
    }

    /// The stored tenant directory, read anew if another process changed it.
    ///
    /// # Errors
    /// A storage failure.
    pub async fn fresh_directory(&self) -> Result<Arc<Snapshot>, ApiError> {
        let state = self.clone();
        self.blocking(move |store| state.directories.refresh(store))
            .await
    }

    /// Runs a store read: on this async worker where the store's reads are local (SQLite), which
    /// spares two thread hand-offs a read; otherwise as [`AppState::blocking`] does.
    ///
    /// # Errors
    /// The read's error, or a general exception if it panicked off the async workers.
    pub async fn read<T, E>(
        &self,
        read: impl FnOnce(&dyn Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        if !self.store.reads_are_local() {
            return self.blocking(read).await;
        }
        let backend = self.store.backend();
        let _entered = tracing::debug_span!("store", backend = backend.as_str()).entered();
        let started = Instant::now();
        let result = read(self.store.as_ref());
        self.metrics.store_operation(backend, started.elapsed());
        result.map_err(Into::into)
    }

    /// Runs a blocking store operation off the async workers.
    ///
    /// # Errors
    /// The operation's error, or a general exception if it panicked.
    pub async fn blocking<T, E>(
        &self,
        operation: impl FnOnce(&dyn Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let backend = store.backend();
        let span = tracing::debug_span!("store", backend = backend.as_str());
        let started = Instant::now();
        let done = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            operation(store.as_ref())
        })
        .await;
        self.metrics.store_operation(backend, started.elapsed());
        match done {
            Ok(result) => result.map_err(Into::into),
            Err(error) => {
                tracing::error!(%error, "store operation failed");
                Err(ApiError::new(
                    ErrorCode::GeneralException,
                    "the operation failed unexpectedly",
                ))
            }
        }
    }
}
