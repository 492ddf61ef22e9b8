//! What every backend shares: how records, history entries and settings are written as text and read
//! back, the derived columns, and the decision a transition writes.

use entitle_core::{Action, ActionKind, Deadline, RequestId, Timestamp};
use entitle_graph::{AssignmentRequest, RequestType};

use crate::directory::Directory;
use crate::history::HistoryEntry;
use crate::store::{CallerFor, StoreError, Stored, TransitionError};

/// The setting holding the tenant directory.
pub(crate) const DIRECTORY: &str = "directory";
/// The setting holding the virtual clock's offset, in milliseconds.
pub(crate) const CLOCK_OFFSET: &str = "clock_offset_ms";

/// A `serde_json` error reading `what` back, as [`StoreError::Corrupt`].
pub(crate) fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |error| StoreError::Corrupt {
        what,
        reason: error.to_string(),
    }
}

/// `value` as the JSON text it is stored as.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Database(error.to_string()))
}

/// A `u64` as a signed 64-bit column (saturating).
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A signed 64-bit column as a `u64` (negative reads as 0).
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// The text a request type is stored and filtered as.
pub(crate) fn type_name(request_type: RequestType) -> Result<String, StoreError> {
    Ok(to_json(&request_type)?.trim_matches('"').to_owned())
}

/// The text the type of `record` is stored as.
pub(crate) fn type_text(record: &AssignmentRequest) -> Result<String, StoreError> {
    type_name(record.request_type)
}

/// The `next_deadline` column of `record`: when its next timed action is due.
pub(crate) fn deadline_column(record: &AssignmentRequest) -> Option<i64> {
    record
        .request
        .next_deadline()
        .map(|deadline| to_i64(deadline.at.0))
}

/// A request row read back from its columns.
pub(crate) fn stored(seq: i64, version: i64, body: &str) -> Result<Stored, StoreError> {
    Ok(Stored {
        record: serde_json::from_str(body).map_err(corrupt("request"))?,
        version: to_u64(version),
        seq: to_u64(seq),
    })
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
    text.map_or(Ok(0), |text| {
        text.parse().map_err(|_| StoreError::Corrupt {
            what: "clock offset",
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

/// What a transition writes: the moved record and its history entry (seq 0 until written).
pub(crate) struct Decision {
    /// The record after the step.
    pub(crate) record: AssignmentRequest,
    /// The entry recording the step.
    pub(crate) entry: HistoryEntry,
}

/// Resolves the caller for `current` (as read inside the transaction) and asks entitle-core to apply
/// `kind` at `now`. Nothing is written here.
pub(crate) fn decide(
    current: &Stored,
    kind: ActionKind,
    caller: CallerFor<'_>,
    now: Timestamp,
    justification: Option<&str>,
) -> Result<Decision, TransitionError> {
    let by = caller(&current.record).map_err(TransitionError::Stale)?;
    let step = current.record.request.apply(&Action::new(kind, by), now)?;
    let mut record = current.record.clone();
    record.request = step.request;
    let entry = HistoryEntry::of_step(
        &step,
        by.id,
        by.principal,
        current.record.request.approval_stage,
        justification.map(str::to_owned),
    );
    Ok(Decision { record, entry })
}
