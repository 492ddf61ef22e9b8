//! The storage contract every backend fulfils.

use entitle_core::{
    ActionKind, Caller, Deadline, Rejection, RequestId, RequestStatus, SubjectId, Timestamp,
};
use entitle_graph::{AssignmentRequest, RequestType};

use crate::codec;
use crate::directory::{Directory, DirectoryError};
use crate::history::HistoryEntry;

/// A request as stored, with the version every write increments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The request.
    pub record: AssignmentRequest,
    /// Incremented by every transition; a write expecting another version is refused.
    pub version: u64,
    /// The insertion position, used for stable paging.
    pub seq: u64,
}

/// The result of a transition that was applied and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transitioned {
    /// The request after the transition.
    pub stored: Stored,
    /// The history entry written with it.
    pub entry: HistoryEntry,
}

/// Which requests to list, in insertion order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Only requests whose status is one of these (`None`: any).
    pub statuses: Option<Vec<RequestStatus>>,
    /// Only requests of this type.
    pub request_type: Option<RequestType>,
    /// Only requests submitted by this subject.
    pub requestor: Option<SubjectId>,
    /// Only requests for this target.
    pub target: Option<SubjectId>,
    /// Only requests inserted after this position (paging).
    pub after_seq: Option<u64>,
    /// At most this many.
    pub limit: u32,
}

/// A storage failure. Never a decision: rejections come from entitle-core.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// A stored value could not be read back; the store refuses to decide on it.
    #[error("corrupt stored {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A request with this id already exists.
    #[error("request `{0}` already exists")]
    Duplicate(RequestId),
    /// The directory given is inconsistent.
    #[error("invalid directory: {0}")]
    Directory(#[from] DirectoryError),
    /// Concurrent writers kept changing the request; the transition was not applied.
    #[error("request `{0}` kept changing under concurrent writers; nothing was applied")]
    Contended(RequestId),
}

/// Why a transition was not applied. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// No request has this id.
    #[error("request `{0}` not found")]
    NotFound(RequestId),
    /// entitle-core refused the action.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The caller's expectation about the request no longer holds (e.g. the approval stage it
    /// reviews has already been decided).
    #[error("{0}")]
    Stale(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves the caller for the request as read inside the transaction (roles such as approver depend on
/// the request's current stage), or says why the caller's expectation about it no longer holds.
pub type CallerFor<'a> = &'a (dyn Fn(&AssignmentRequest) -> Result<Caller, String> + Sync);

/// Where entitle's server keeps its state. Implementations are safe to share between threads; every
/// method is one atomic operation.
pub trait Store: Send + Sync {
    /// A stored setting (the directory, the clock offset), if set.
    ///
    /// # Errors
    /// A storage failure.
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Writes a stored setting.
    ///
    /// # Errors
    /// A storage failure.
    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// The tenant directory (empty until one is set).
    ///
    /// # Errors
    /// A storage failure, or a stored directory that cannot be read.
    fn directory(&self) -> Result<Directory, StoreError> {
        codec::directory(self.setting(codec::DIRECTORY)?.as_deref())
    }

    /// Replaces the tenant directory after checking it.
    ///
    /// # Errors
    /// An inconsistent directory, or a storage failure.
    fn set_directory(&self, directory: &Directory) -> Result<(), StoreError> {
        directory.check()?;
        self.set_setting(codec::DIRECTORY, &codec::to_json(directory)?)
    }

    /// How far the virtual clock has been advanced, in milliseconds.
    ///
    /// # Errors
    /// A storage failure, or a stored offset that is not a number.
    fn clock_offset(&self) -> Result<u64, StoreError> {
        codec::clock_offset(self.setting(codec::CLOCK_OFFSET)?.as_deref())
    }

    /// Advances the virtual clock by `by_ms` in one atomic step, unless the offset would pass
    /// `max_offset_ms`; returns the new offset (`None`, and nothing changed, when it would). Several
    /// processes sharing the store therefore share one virtual time.
    ///
    /// # Errors
    /// A storage failure, or a stored offset that is not a number.
    fn advance_clock(&self, by_ms: u64, max_offset_ms: u64) -> Result<Option<u64>, StoreError>;

    /// Sets how far the virtual clock has been advanced.
    ///
    /// # Errors
    /// A storage failure.
    fn set_clock_offset(&self, offset_ms: u64) -> Result<(), StoreError> {
        self.set_setting(codec::CLOCK_OFFSET, &offset_ms.to_string())
    }

    /// Inserts a new request, as `record` says it is now, with its history so far (its `Submitted`
    /// entry, then the entries of any step the core took on it before it was stored, such as the
    /// service's `process`), in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the id exists, or a storage failure.
    fn create(
        &self,
        record: &AssignmentRequest,
        history: &[HistoryEntry],
    ) -> Result<Stored, StoreError>;

    /// The request with this id.
    ///
    /// # Errors
    /// A storage failure or a corrupt row.
    fn get(&self, id: RequestId) -> Result<Option<Stored>, StoreError>;

    /// The requests matching `query`, in insertion order.
    ///
    /// # Errors
    /// A storage failure or a corrupt row.
    fn list(&self, query: &Query) -> Result<Vec<Stored>, StoreError>;

    /// In one transaction: reads the request, asks entitle-core to apply `kind` for the caller that
    /// `caller` resolves at `now`, and writes the moved request with its history entry if its
    /// version is unchanged. A rejection writes nothing.
    ///
    /// # Errors
    /// Not found, the core's rejection, or a storage failure.
    fn transition(
        &self,
        id: RequestId,
        kind: ActionKind,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError>;

    /// Deletes the request if its version is still `version`, appending a `Deleted` history entry.
    /// Returns whether it was deleted.
    ///
    /// # Errors
    /// A storage failure.
    fn delete(&self, id: RequestId, version: u64, entry: &HistoryEntry)
    -> Result<bool, StoreError>;

    /// The history of a request, oldest first (kept after deletion).
    ///
    /// # Errors
    /// A storage failure or a corrupt row.
    fn history(&self, id: RequestId) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Up to `limit` requests whose next timed action is due at or before `now`, earliest first.
    ///
    /// # Errors
    /// A storage failure.
    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<(RequestId, Deadline)>, StoreError>;
}
