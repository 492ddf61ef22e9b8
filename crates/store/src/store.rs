//! The storage contract every backend fulfils.

use entitle_core::{
    ActionKind, AssignmentId, Caller, CreateError, Deadline, Rejection, Request, RequestId,
    RequestStatus, RequestType, ReviewDecision, SubjectId, Submission, Timestamp,
};

use entitle_graph::{Answer, RequestedSchedule};

use crate::codec;
use crate::directory::ExternalSubject;
use crate::directory::{Directory, DirectoryError};
use crate::history::HistoryEntry;
use crate::integrity::Integrity;
use crate::record::{AssignmentRecord, RequestRecord};
use crate::telemetry::{Backend, Observer, PoolStatus};

/// A request as stored, with the version every write increments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The request's record.
    pub record: RequestRecord,
    /// Incremented by every transition; a write expecting another version is refused.
    pub version: u64,
    /// The insertion position, used for stable paging.
    pub seq: u64,
}

/// A request just created: as it was submitted (what a create answers) and as stored, after the
/// service's first step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    /// The request as submitted (`Accepted`).
    pub submitted: Request,
    /// The request as stored.
    pub stored: Stored,
    /// What was recorded: the submission, and the first step when there was one.
    pub history: Vec<HistoryEntry>,
}

/// The result of a transition that was applied and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transitioned {
    /// The request after the transition.
    pub stored: Stored,
    /// The history entry written with it.
    pub entry: HistoryEntry,
}

/// What a client submits: the core's submission, and the facts around it the store keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    /// What entitle-core decides on.
    pub submission: Submission,
    /// The access package asked for.
    pub access_package_id: String,
    /// The assignment policy asked under.
    pub assignment_policy_id: String,
    /// The requestor's justification.
    pub justification: Option<String>,
    /// The requestor's answers to the policy's questions.
    pub answers: Vec<Answer>,
    /// The schedule as asked (`None` when the adapter does not keep it).
    pub schedule: Option<RequestedSchedule>,
    /// The target, when it is a user not yet in the directory.
    pub external_target: Option<ExternalSubject>,
    /// Whether the service processes the request at once, in the same transaction (a server always
    /// does; a demo or a test may keep a request as submitted).
    pub process: bool,
}

/// What a transition asks of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// An action on the request, on its current approval stage for a review.
    Act(ActionKind),
    /// A review of one approval stage (`PATCH …/stages/{id}`).
    Review {
        /// The stage, from 0.
        stage: u8,
        /// The approver's decision.
        decision: ReviewDecision,
    },
}

impl Command {
    /// The action the command performs.
    pub const fn action(self) -> ActionKind {
        match self {
            Self::Act(action) => action,
            Self::Review { decision, .. } => decision.action(),
        }
    }
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

/// Which assignments to list, in id order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssignmentQuery {
    /// Only the assignments of this holder.
    pub target: Option<SubjectId>,
    /// Only assignments whose id sorts after this one (paging).
    pub after: Option<AssignmentId>,
    /// At most this many.
    pub limit: u32,
}

/// A failure of the store itself. Never a decision: refusals come from entitle-core.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or failed an operation; retrying later may succeed.
    #[error("database unavailable: {message}")]
    Unavailable {
        /// What failed.
        message: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store is configured wrongly, or the database belongs to another entitle: retrying does not
    /// help.
    #[error("store misconfigured: {0}")]
    Config(String),
    /// A stored value could not be read back; the store refuses to decide on it.
    #[error("corrupt stored {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A request with this id exists, or existed: a deleted request keeps its history, so its id
    /// is not given out again.
    #[error("request `{0}` already exists")]
    Duplicate(RequestId),
    /// The directory given is inconsistent.
    #[error("invalid directory: {0}")]
    Directory(#[from] DirectoryError),
    /// Another writer replaced the directory since it was read; nothing was written.
    #[error("the directory was changed by another writer; nothing was written")]
    DirectoryChanged,
    /// Concurrent writers kept changing the request; the transition was not applied.
    #[error("request `{0}` kept changing under concurrent writers; nothing was applied")]
    Contended(RequestId),
}

impl StoreError {
    /// An unavailable database, with the driver's error as the source.
    pub fn unavailable(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: source.into(),
        }
    }
}

/// Why a transition or a deletion was not applied. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// No request has this id.
    #[error("request `{0}` not found")]
    NotFound(RequestId),
    /// entitle-core refused.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request was not created. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CreateFailure {
    /// entitle-core refused the submission.
    #[error(transparent)]
    Refused(#[from] CreateError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves the caller for a request as read inside the transaction: its roles in the request's
/// catalog and the stages of its policy it approves. Never a decision.
pub type CallerFor<'a> = &'a (dyn Fn(&RequestRecord) -> Caller + Sync);

/// Where entitle's server keeps its state. Implementations are safe to share between threads; every
/// method is one atomic operation.
pub trait Store: Send + Sync {
    /// The database behind this store.
    fn backend(&self) -> Backend;

    /// Whether reads are local: they finish in microseconds without waiting on a network or on a
    /// writer, so a caller may run them on an async worker instead of a blocking thread. Writes always
    /// block.
    fn reads_are_local(&self) -> bool {
        false
    }

    /// How busy the store's connections are.
    fn pool_status(&self) -> PoolStatus;

    /// Tells `observer` of each wait for a connection and each retried transaction from now on (the
    /// first observer set stays).
    fn observe(&self, observer: std::sync::Arc<dyn Observer>);

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

    /// Writes `writes` in one transaction if setting `guard` still has the value `expected`
    /// (`None`: unset); whether it did.
    ///
    /// # Errors
    /// A storage failure.
    fn write_settings_if(
        &self,
        guard: &str,
        expected: Option<&str>,
        writes: &[(&str, &str)],
    ) -> Result<bool, StoreError>;

    /// The tenant directory (empty until one is set).
    ///
    /// # Errors
    /// A storage failure, or a stored directory that cannot be read.
    fn directory(&self) -> Result<Directory, StoreError> {
        codec::directory(self.setting(codec::DIRECTORY)?.as_deref())
    }

    /// The version of the stored directory: 0 until one is set, then incremented by every
    /// replacement, so a process can tell that another one changed it.
    ///
    /// # Errors
    /// A storage failure, or a stored version that is not a number.
    fn directory_version(&self) -> Result<u64, StoreError> {
        codec::directory_version(self.setting(codec::DIRECTORY_VERSION)?.as_deref())
    }

    /// Replaces the tenant directory after checking it, if its version is still `expected`; the new
    /// version.
    ///
    /// # Errors
    /// [`StoreError::DirectoryChanged`] when another writer replaced it since `expected`; an
    /// inconsistent directory; a storage failure.
    fn replace_directory(&self, expected: u64, directory: &Directory) -> Result<u64, StoreError> {
        directory.check()?;
        let next = expected.checked_add(1).ok_or_else(|| StoreError::Corrupt {
            what: "directory version",
            reason: format!("`{expected}` cannot be incremented"),
        })?;
        let guard = (expected > 0).then(|| expected.to_string());
        let written = self.write_settings_if(
            codec::DIRECTORY_VERSION,
            guard.as_deref(),
            &[
                (codec::DIRECTORY, &codec::to_json(directory)?),
                (codec::DIRECTORY_VERSION, &next.to_string()),
            ],
        )?;
        if written {
            Ok(next)
        } else {
            Err(StoreError::DirectoryChanged)
        }
    }

    /// Replaces the tenant directory after checking it, whatever its version.
    ///
    /// # Errors
    /// An inconsistent directory, or a storage failure.
    fn set_directory(&self, directory: &Directory) -> Result<(), StoreError> {
        loop {
            match self.replace_directory(self.directory_version()?, directory) {
                Err(StoreError::DirectoryChanged) => {}
                other => return other.map(drop),
            }
        }
    }

    /// How many assignments of `access_package_id` (made under `policy_id`, when given) have not
    /// ended.
    ///
    /// # Errors
    /// A storage failure.
    fn active_assignments(
        &self,
        access_package_id: &str,
        policy_id: Option<&str>,
    ) -> Result<usize, StoreError> {
        const PAGE: u32 = 500;
        let mut query = AssignmentQuery {
            limit: PAGE,
            ..AssignmentQuery::default()
        };
        let mut count = 0;
        loop {
            let page = self.assignments(&query)?;
            count += page
                .iter()
                .filter(|record| {
                    record.access_package_id == access_package_id
                        && policy_id.is_none_or(|policy| record.assignment_policy_id == policy)
                        && !record.assignment.state.is_terminal()
                })
                .count();
            match page.last() {
                Some(last) if page.len() == PAGE as usize => query.after = Some(last.assignment.id),
                _ => return Ok(count),
            }
        }
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

    /// In one transaction: reads the assignment a change or a removal names, asks entitle-core to
    /// create the request for `caller` at `now`, applies the service's first `process` step, and writes
    /// the request (with the assignment that step creates, if it does) and its history.
    ///
    /// # Errors
    /// The core's refusal, [`StoreError::Duplicate`] when the id exists or existed, or a storage failure.
    fn create(
        &self,
        new: &NewRequest,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Created, CreateFailure>;

    /// What [`create`](Self::create) would decide for `new`, writing nothing (Graph's
    /// `isValidationOnly`): the request as submitted, or the core's refusal.
    ///
    /// # Errors
    /// The core's refusal, or a storage failure reading the assignment `new` names.
    fn validate(
        &self,
        new: &NewRequest,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Request, CreateFailure> {
        let existing = match new.submission.assignment {
            Some(id) => self.assignment(id)?,
            None => None,
        };
        Ok(codec::create(new, caller, existing.as_ref(), now)?.submitted)
    }

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

    /// In one transaction: reads the request and its assignment, asks entitle-core to perform
    /// `command` for the caller that `caller` resolves at `now`, and writes the moved request (and
    /// assignment) with its history entry if the request's version is unchanged. A refusal writes
    /// nothing. The justification is kept with the entry, and with the stage a review reviewed.
    ///
    /// # Errors
    /// Not found, the core's refusal, or a storage failure.
    fn transition(
        &self,
        id: RequestId,
        command: Command,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError>;

    /// In one transaction: reads the request, asks entitle-core whether the caller `caller` resolves
    /// may delete it, and deletes it, appending a `Deleted` history entry (which is returned).
    ///
    /// # Errors
    /// Not found, the core's refusal, or a storage failure.
    fn delete(
        &self,
        id: RequestId,
        caller: CallerFor<'_>,
        now: Timestamp,
    ) -> Result<HistoryEntry, TransitionError>;

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

    /// The assignment with this id.
    ///
    /// # Errors
    /// A storage failure or a corrupt row.
    fn assignment(&self, id: AssignmentId) -> Result<Option<AssignmentRecord>, StoreError>;

    /// The assignments `query` asks for, in id order.
    ///
    /// # Errors
    /// A storage failure or a corrupt row.
    fn assignments(&self, query: &AssignmentQuery) -> Result<Vec<AssignmentRecord>, StoreError>;

    /// Up to `limit` assignments whose schedule ends at or before `now`, earliest first.
    ///
    /// # Errors
    /// A storage failure.
    fn due_assignments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(AssignmentId, Timestamp)>, StoreError>;

    /// In one transaction: reads the assignment, asks entitle-core to end it by its schedule at `now`,
    /// and writes it with an entry in the history of the request that created it.
    ///
    /// # Errors
    /// [`TransitionError::Rejected`] when the core refuses (not due, already ended), or a storage
    /// failure. An unknown id is a corrupt reference: [`StoreError::Corrupt`].
    fn end_assignment(
        &self,
        id: AssignmentId,
        now: Timestamp,
    ) -> Result<AssignmentRecord, TransitionError>;

    /// Checks what is stored against itself: every row reads back, each request's columns agree with
    /// its record, its history leads to its status, and its assignment exists exactly when it should
    /// and agrees with its history ([`Integrity`]).
    ///
    /// # Errors
    /// A storage failure.
    fn integrity(&self) -> Result<Integrity, StoreError>;
}
