//! What every backend shares: how records, history entries and settings are written as text and read
//! back, the derived columns, and what a creation or a transition writes once entitle-core decided.

use entitle_core::{
    Action, ActionKind, Caller, CreateError, Deadline, Decided, RequestId, Step, Timestamp,
};

use crate::directory::Directory;
use crate::history::{Event, HistoryEntry};
use crate::record::{AssignmentRecord, Format, RequestRecord, ReviewNote};
use crate::store::{CallerFor, Command, NewRequest, StoreError, Stored, TransitionError};

/// The setting holding the tenant directory.
pub(crate) const DIRECTORY: &str = "directory";
/// The setting holding the virtual clock's offset, in milliseconds.
pub(crate) const CLOCK_OFFSET: &str = "clock_offset_ms";
/// The setting holding the directory's version, incremented by every replacement.
pub(crate) const DIRECTORY_VERSION: &str = "directory_version";

/// A `serde_json` error reading `what` back, as [`StoreError::Corrupt`].
pub(crate) fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |error| StoreError::Corrupt {
        what,
        reason: error.to_string(),
    }
}

/// `value` as the JSON text it is stored as. Serializing plain data cannot fail; if it did, nothing
/// would be written and the caller would see a configuration error.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Config(error.to_string()))
}

/// A `u64` as a signed 64-bit column (saturating).
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A signed 64-bit column as a `u64` (negative reads as 0).
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// The `next_deadline` column of `record`: when its next timed action is due.
pub(crate) fn deadline_column(record: &RequestRecord) -> Option<i64> {
    record
        .request
        .next_deadline()
        .map(|deadline| to_i64(deadline.at.0))
}

/// The `next_deadline` column of an assignment: when its schedule ends it.
pub(crate) fn assignment_deadline(record: &AssignmentRecord) -> Option<i64> {
    record.assignment.next_deadline().map(|at| to_i64(at.0))
}

/// A request row read back from its columns.
pub(crate) fn stored(seq: i64, version: i64, body: &str) -> Result<Stored, StoreError> {
    Ok(Stored {
        record: serde_json::from_str(body).map_err(corrupt("request"))?,
        version: to_u64(version),
        seq: to_u64(seq),
    })
}

/// An assignment row read back.
pub(crate) fn assignment(body: &str) -> Result<AssignmentRecord, StoreError> {
    serde_json::from_str(body).map_err(corrupt("assignment"))
}

/// A history row read back from its columns.
pub(crate) fn history_entry(seq: i64, body: &str) -> Result<HistoryEntry, StoreError> {
    let mut entry: HistoryEntry = serde_json::from_str(body).map_err(corrupt("history entry"))?;
    entry.seq = to_u64(seq);
    Ok(entry)
}

/// The stored directory setting (the empty directory when none was set).
pub(crate) fn directory(text: Option<&str>) -> Result<Directory, StoreError> {
    text.map_or_else(
        || Ok(Directory::default()),
        |text| serde_json::from_str(text).map_err(corrupt("directory")),
    )
}

/// The stored clock offset setting (0 when none was set).
pub(crate) fn clock_offset(text: Option<&str>) -> Result<u64, StoreError> {
    counter("clock offset", text)
}

/// The stored directory version setting (0 when none was set).
pub(crate) fn directory_version(text: Option<&str>) -> Result<u64, StoreError> {
    counter("directory version", text)
}

/// A stored non-negative number (0 when none was set).
fn counter(what: &'static str, text: Option<&str>) -> Result<u64, StoreError> {
    text.map_or(Ok(0), |text| {
        text.parse().map_err(|_| StoreError::Corrupt {
            what,
            reason: format!("`{text}` is not a number"),
        })
    })
}

/// The deadline `stored` is listed under by `due`.
pub(crate) fn due(stored: &Stored) -> Option<(RequestId, Deadline)> {
    let request = &stored.record.request;
    request
        .next_deadline()
        .map(|deadline| (request.id, deadline))
}

/// What a transition writes: the moved record, the moved assignment (if the step moved it) and the
/// history entry (seq 0 until written).
pub(crate) struct Written {
    /// The record after the step.
    pub(crate) record: RequestRecord,
    /// The assignment after the step, when it moved.
    pub(crate) assignment: Option<AssignmentRecord>,
    /// The entry recording the step.
    pub(crate) entry: HistoryEntry,
}

/// The assignment record `step` leaves, if it moved the request's assignment: a new one takes the
/// request's package and policy.
fn moved_assignment(
    decided: &Decided,
    record: &RequestRecord,
    before: Option<&AssignmentRecord>,
) -> Option<AssignmentRecord> {
    let moved = decided.assignment?;
    Some(match before {
        Some(before) => AssignmentRecord {
            assignment: moved.assignment,
            ..before.clone()
        },
        None => AssignmentRecord {
            format: Format,
            assignment: moved.assignment,
            access_package_id: record.access_package_id.clone(),
            assignment_policy_id: record.assignment_policy_id.clone(),
            external_target: record.external_target.clone(),
        },
    })
}

/// `record` after `step`, keeping `justification` with the stage it reviewed.
fn after_step(record: &RequestRecord, step: &Step, justification: Option<&str>) -> RequestRecord {
    let mut next = record.clone();
    next.request = step.request;
    if let (Some(stage), Some(text)) = (step.reviewed(), justification) {
        next.review_notes.retain(|note| note.stage != stage);
        next.review_notes.push(ReviewNote {
            stage,
            justification: text.to_owned(),
        });
    }
    next
}

/// Resolves the caller for `current` (as read inside the transaction) and asks entitle-core to perform
/// `command` at `now`, with the request's assignment as read in the same transaction. Nothing is
/// written here.
pub(crate) fn decide(
    current: &Stored,
    assignment: Option<&AssignmentRecord>,
    command: Command,
    caller: CallerFor<'_>,
    now: Timestamp,
    justification: Option<&str>,
) -> Result<Written, TransitionError> {
    let by = caller(&current.record);
    let request = &current.record.request;
    let existing = assignment.map(|record| &record.assignment);
    let decided = match command {
        Command::Act(kind) => request.decide(&Action::new(kind, by), existing, now),
        Command::Review { stage, decision } => request.review(stage, decision, &by, existing, now),
    }?;
    let record = after_step(&current.record, &decided.step, justification);
    let entry = HistoryEntry::of_step(
        &decided,
        by.id,
        by.principal,
        request.approval_stage,
        justification.map(str::to_owned),
    );
    Ok(Written {
        assignment: moved_assignment(&decided, &record, assignment),
        record,
        entry,
    })
}

/// What a creation writes: the request as submitted, as stored after the service's first step, the
/// assignment that step created (if it did), and the history.
pub(crate) struct Creation {
    /// The request as submitted.
    pub(crate) submitted: entitle_core::Request,
    /// The record as stored.
    pub(crate) record: RequestRecord,
    /// The assignment the first step created or moved.
    pub(crate) assignment: Option<AssignmentRecord>,
    /// The submission's entry, then the first step's.
    pub(crate) history: Vec<HistoryEntry>,
}

/// Asks entitle-core to create `new` for `caller` at `now` (with the assignment it names, as read in
/// the transaction), then, if `new.process`, to apply the service's `process` step. A request the
/// service cannot process stays as submitted.
pub(crate) fn create(
    new: &NewRequest,
    caller: &Caller,
    existing: Option<&AssignmentRecord>,
    now: Timestamp,
) -> Result<Creation, CreateError> {
    let created = entitle_core::Request::create(
        &new.submission,
        caller,
        existing.map(|record| &record.assignment),
        now,
    )?;
    let submitted = created.request;
    let mut record = RequestRecord::new(
        submitted,
        &new.access_package_id,
        &new.assignment_policy_id,
        new.justification.clone(),
    );
    record.answers.clone_from(&new.answers);
    record.schedule.clone_from(&new.schedule);
    record.external_target.clone_from(&new.external_target);
    let mut history = vec![HistoryEntry {
        seq: 0,
        request_id: submitted.id,
        at: now,
        by: caller.id,
        principal: caller.principal,
        stage: 0,
        event: Event::Submitted {
            status: submitted.status,
        },
        justification: new.justification.clone(),
    }];
    let mut assignment = None;
    let system = Caller::system();
    let mine = existing.filter(|record| record.assignment.id == submitted.assignment);
    let processed = new.process.then(|| {
        submitted.decide(
            &Action::new(ActionKind::Process, system),
            mine.map(|record| &record.assignment),
            now,
        )
    });
    if let Some(Ok(decided)) = processed {
        record.request = decided.step.request;
        assignment = moved_assignment(&decided, &record, mine);
        history.push(HistoryEntry::of_step(
            &decided,
            system.id,
            system.principal,
            0,
            None,
        ));
    }
    Ok(Creation {
        submitted,
        record,
        assignment,
        history,
    })
}

/// The entry recording that an assignment's schedule ended it, in the history of the request that
/// created it.
pub(crate) fn ended(
    record: &AssignmentRecord,
    now: Timestamp,
) -> Result<(AssignmentRecord, HistoryEntry), TransitionError> {
    let step = record
        .assignment
        .end(now)
        .map_err(|rejection| TransitionError::Rejected(rejection.into()))?;
    let system = Caller::system();
    let entry = HistoryEntry {
        seq: 0,
        request_id: record.assignment.created_by,
        at: now,
        by: system.id,
        principal: system.principal,
        stage: 0,
        event: Event::AssignmentEnded {
            assignment: record.assignment.id,
            rule: *step.rule,
        },
        justification: None,
    };
    let moved = AssignmentRecord {
        assignment: step.assignment,
        ..record.clone()
    };
    Ok((moved, entry))
}

/// The entry recording that `by` deleted `request` at `now`.
pub(crate) fn deleted(
    request: &entitle_core::Request,
    by: &Caller,
    now: Timestamp,
) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        request_id: request.id,
        at: now,
        by: by.id,
        principal: by.principal,
        stage: request.approval_stage,
        event: Event::Deleted {
            status: request.status,
        },
        justification: None,
    }
}

/// The assignment the store refers to but does not hold: a corrupt reference.
pub(crate) fn missing_assignment(id: entitle_core::AssignmentId) -> StoreError {
    StoreError::Corrupt {
        what: "assignment",
        reason: format!("`{id}` is referred to but not stored"),
    }
}
