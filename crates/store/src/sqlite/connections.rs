//! SQLite's connections: the one writer, on which groups of writes commit together, and readers
//! kept open for reuse, which see every commit and never wait for the writer (WAL).

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::group::Transactional;
use crate::store::StoreError;
use crate::telemetry::{Backend, Observed};

/// How long a connection waits for another process's lock on the file (the only waits left on the
/// write path: within a process, writers queue for the one writer and never reach SQLite's lock).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most readers open at once; they stay open for reuse.
pub(crate) const READERS: usize = 16;

/// Statements each connection keeps prepared.
const STATEMENTS_KEPT: usize = 32;

/// Opens the writer's connection to `path`, switching the file to WAL (which the file keeps) with
/// `synchronous = NORMAL`: a commit survives the process being killed; only a power loss can lose
/// the last commits.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

/// Opens a connection to `path` that keeps its prepared statements.
fn open(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    Ok(connection)
}

impl Transactional for Connection {
    fn begin(&mut self) -> Result<(), StoreError> {
        Ok(self.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        Ok(self.execute_batch("SAVEPOINT writer")?)
    }

    fn release(&mut self) -> Result<(), StoreError> {
        Ok(self.execute_batch("RELEASE writer")?)
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        Ok(self.execute_batch("ROLLBACK TO writer; RELEASE writer")?)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(self.execute_batch("COMMIT")?)
    }

    fn rollback(&mut self) {
        if !self.is_autocommit() {
            // A rollback that fails leaves nothing more to undo: SQLite ended the transaction.
            let _ = self.execute_batch("ROLLBACK");
        }
    }

    fn in_transaction(&self) -> bool {
        !self.is_autocommit()
    }
}

/// Read connections, opened on demand up to [`READERS`] and kept for reuse.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    pool: Mutex<Pool>,
    /// Signalled when a reader is returned or closed.
    returned: Condvar,
    /// Told of waits for a reader.
    observed: Observed,
}

/// The readers open, and those idle among them.
#[derive(Debug, Default)]
struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl Readers {
    /// Readers of the database at `path`.
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            observed: Observed::default(),
        }
    }

    /// Where waits for a reader are reported.
    pub(crate) const fn observed(&self) -> &Observed {
        &self.observed
    }

    /// Readers open, and idle.
    pub(crate) fn status(&self) -> (usize, usize) {
        let pool = self.lock();
        (pool.open, pool.idle.len())
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `read` on an idle reader, or on a new one while fewer than [`READERS`] are open, or
    /// else on the first one returned; a read sees every commit made before it began.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let since = Instant::now();
        let connection = self.take();
        self.observed.waited(Backend::Sqlite, since);
        let connection = connection?;
        let result = read(&connection);
        let mut pool = self.lock();
        if connection.is_autocommit() {
            pool.idle.push(connection);
        } else {
            pool.open = pool.open.saturating_sub(1);
        }
        drop(pool);
        self.returned.notify_one();
        result
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let mut pool = self.lock();
        loop {
            if let Some(connection) = pool.idle.pop() {
                return Ok(connection);
            }
            if pool.open < READERS {
                pool.open += 1;
                drop(pool);
                return open(&self.path).map_err(|error| {
                    self.lock().open -= 1;
                    self.returned.notify_one();
                    error.into()
                });
            }
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}
