//! Group commit: many writers share one connection and one commit.
//!
//! A writer takes the connection, opens the group's transaction if none is open, and does its work
//! inside a savepoint of its own: kept when the work succeeds, rolled back when it fails (a refusal,
//! a store error, a panic), so one writer's failure never touches another's writes. Then, if another
//! writer is already waiting for the connection, it leaves the transaction open for that one and
//! waits; the last writer of the group (nobody waiting, or [`MAX_GROUP`] writers in it) commits. Each
//! writer hears its own result only once the commit that holds it is done: a write is acknowledged
//! after it is durable, and a failed commit fails every writer of the group, including those whose
//! work was refused (they decided on writes that were never kept).
//!
//! Nothing sleeps: a writer waits only for the connection or for its group's commit.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::store::StoreError;
use crate::telemetry::{Backend, Observed};

/// The most writers one commit holds, so that the first one's wait stays short under a steady load.
pub(crate) const MAX_GROUP: usize = 64;

/// A connection on which a group's transaction and its writers' savepoints are run.
pub(crate) trait Transactional {
    /// Opens the group's transaction, taking the database's write lock.
    fn begin(&mut self) -> Result<(), StoreError>;
    /// Opens one writer's savepoint.
    fn savepoint(&mut self) -> Result<(), StoreError>;
    /// Keeps the savepoint's writes in the transaction.
    fn release(&mut self) -> Result<(), StoreError>;
    /// Undoes the savepoint's writes, and ends it.
    fn undo(&mut self) -> Result<(), StoreError>;
    /// Commits the group's transaction.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Rolls the group's transaction back, if one is still open.
    fn rollback(&mut self);
    /// Whether a transaction is open (the database may have rolled one back by itself after an
    /// error, such as a full disk).
    fn in_transaction(&self) -> bool;
}

/// How a group's commit ended (`Err` holds the failure's message), where its writers wait for it
/// without holding the connection's lock.
#[derive(Debug, Default)]
struct Outcome {
    ended: Mutex<Option<Result<(), String>>>,
    settled: Condvar,
}

impl Outcome {
    fn settle(&self, outcome: Result<(), String>) {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.settled.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = ended.as_ref() {
                return outcome.clone();
            }
            ended = self
                .settled
                .wait(ended)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The connection, and the group whose transaction is open on it.
#[derive(Debug)]
pub(crate) struct Writer<C> {
    connection: C,
    group: Option<Group>,
}

/// The open group: how many writers it holds, and where they hear how its commit ended.
#[derive(Debug, Default)]
struct Group {
    writers: usize,
    outcome: Arc<Outcome>,
}

/// Writers taking turns on one connection, committing together.
#[derive(Debug)]
pub(crate) struct GroupCommit<C> {
    writer: Mutex<Writer<C>>,
    /// Writers waiting for the connection.
    queued: AtomicUsize,
    /// Told of waits for the connection.
    observed: Observed,
    backend: Backend,
}

impl<C: Transactional> GroupCommit<C> {
    /// Writers on `connection`, which has no transaction open.
    pub(crate) fn new(connection: C, backend: Backend) -> Self {
        Self {
            writer: Mutex::new(Writer {
                connection,
                group: None,
            }),
            queued: AtomicUsize::new(0),
            observed: Observed::default(),
            backend,
        }
    }

    /// Where waits for the connection are reported.
    pub(crate) const fn observed(&self) -> &Observed {
        &self.observed
    }

    /// Whether nobody holds the connection.
    pub(crate) fn is_idle(&self) -> bool {
        self.writer.try_lock().is_ok()
    }

    /// Runs `work` in the group's transaction and answers its result once the commit that holds it
    /// is done. A failed `work` writes nothing; a failed commit answers the commit's failure. A panic
    /// in `work` writes nothing and reaches the caller after the group is settled.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&mut C) -> Result<T, E>,
    ) -> Result<T, E> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let since = Instant::now();
        let mut writer = self.lock();
        self.observed.waited(self.backend, since);
        self.queued.fetch_sub(1, Ordering::SeqCst);

        let outcome = writer.join()?;
        let result = panic::catch_unwind(AssertUnwindSafe(|| work(&mut writer.connection)));
        let kept = if matches!(result, Ok(Ok(_))) {
            writer.connection.release()
        } else {
            writer.connection.undo()
        };
        match kept {
            Err(error) => writer.fail(&error.to_string()),
            Ok(()) if !writer.connection.in_transaction() => {
                writer.fail("the database rolled the transaction back");
            }
            Ok(()) => {
                let full = writer
                    .group
                    .as_ref()
                    .is_some_and(|group| group.writers >= MAX_GROUP);
                if (full || self.queued.load(Ordering::SeqCst) == 0)
                    && let Some(group_size) = writer.commit()
                {
                    self.observed.committed(self.backend, group_size);
                }
            }
        }
        drop(writer);
        let committed = outcome.wait();
        let result = match result {
            Ok(result) => result,
            Err(payload) => panic::resume_unwind(payload),
        };
        match committed {
            Ok(()) => result,
            Err(message) => Err(StoreError::unavailable("the commit failed", message).into()),
        }
    }

    /// The connection. Writers never panic while they hold it (a panic in their work is caught), so
    /// a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, Writer<C>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection, for a test that holds it while writers queue up.
    #[cfg(test)]
    pub(crate) fn hold(&self) -> MutexGuard<'_, Writer<C>> {
        self.lock()
    }

    /// Writers waiting for the connection.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

impl<C: Transactional> Writer<C> {
    /// Joins the open group, opening one if none is, and opens this writer's savepoint; where the
    /// writer hears how the group's commit ended.
    fn join(&mut self) -> Result<Arc<Outcome>, StoreError> {
        if self.group.is_none() {
            self.connection.begin()?;
            self.group = Some(Group::default());
        }
        if let Err(error) = self.connection.savepoint() {
            self.fail(&error.to_string());
            return Err(error);
        }
        let group = self.group.get_or_insert_with(Group::default);
        group.writers += 1;
        Ok(Arc::clone(&group.outcome))
    }

    /// Commits the open group and tells its writers how that ended; how many writers it held, if
    /// the commit succeeded.
    fn commit(&mut self) -> Option<usize> {
        let writers = self.group.as_ref().map_or(0, |group| group.writers);
        let committed = self.connection.commit();
        if committed.is_err() {
            self.connection.rollback();
        }
        let done = committed.is_ok().then_some(writers);
        self.end(committed.map_err(|error| error.to_string()));
        done
    }

    /// Rolls the open group back and fails its writers with `message`.
    fn fail(&mut self, message: &str) {
        self.connection.rollback();
        self.end(Err(message.to_owned()));
    }

    fn end(&mut self, outcome: Result<(), String>) {
        if let Some(group) = self.group.take() {
            group.outcome.settle(outcome);
        }
    }
}
