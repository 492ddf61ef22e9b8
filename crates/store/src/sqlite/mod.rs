//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through one writer connection in groups (group commit, D36): every write waiting for the
//! writer joins the open transaction in a savepoint of its own, and one commit makes the whole group
//! durable before any of its writes is acknowledged. Reads run on connections of their own, which see
//! every commit and never wait for the writer. Several processes may share the file: each group's
//! transaction is `BEGIN IMMEDIATE`, so processes take turns on SQLite's write lock. A committed
//! transaction survives the process being killed (WAL with `synchronous = NORMAL` loses nothing on a
//! process crash; only a power loss can lose the last commits).

mod connections;

use std::path::Path;
use std::sync::Arc;

use entitle_core::{AssignmentId, Caller, Deadline, RequestId, Timestamp};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{self, assignment_deadline, deadline_column, to_i64, to_json, to_u64};
use crate::group::GroupCommit;
use crate::history::HistoryEntry;
use crate::integrity::{self, AssignmentRow, HistoryRow, Integrity, RequestRow, Snapshot};
use crate::record::{AssignmentRecord, RequestRecord};
use crate::store::{
    AssignmentQuery, CallerFor, Command, CreateFailure, Created, NewRequest, Query, Store,
    StoreError, Stored, TransitionError, Transitioned,
};
use crate::telemetry::{Backend, Observer, PoolStatus};
use connections::{READERS, Readers};

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

/// The schema, applied by [`SqliteStore::open`] to a new database.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    request_type TEXT NOT NULL,
    requestor TEXT NOT NULL,
    target TEXT NOT NULL,
    next_deadline INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_due ON requests (next_deadline) WHERE next_deadline IS NOT NULL;
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_request ON history (request_id, seq);
CREATE TABLE IF NOT EXISTS assignments (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    target TEXT NOT NULL,
    next_deadline INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS assignments_due ON assignments (next_deadline)
    WHERE next_deadline IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version = 2;
";

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::unavailable("SQLite", error)
    }
}

impl From<rusqlite::Error> for TransitionError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<rusqlite::Error> for CreateFailure {
    fn from(error: rusqlite::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A [`Store`] on one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    writer: GroupCommit<Connection>,
    readers: Readers,
}

/// Column `index` of `row` as text; anything else (a blob, a number, invalid UTF-8) is a corrupt
/// `what`, not a database failure.
fn text(
    row: &rusqlite::Row<'_>,
    index: usize,
    what: &'static str,
) -> rusqlite::Result<Result<String, StoreError>> {
    let corrupt = |reason: String| StoreError::Corrupt { what, reason };
    Ok(match row.get_ref(index)? {
        ValueRef::Text(bytes) => {
            String::from_utf8(bytes.to_vec()).map_err(|error| corrupt(error.to_string()))
        }
        other => Err(corrupt(format!(
            "stored as {}, not text",
            other.data_type()
        ))),
    })
}

type Row = (i64, i64, Result<String, StoreError>);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((row.get(0)?, row.get(1)?, text(row, 2, "request")?))
}

fn stored((seq, version, body): Row) -> Result<Stored, StoreError> {
    codec::stored(seq, version, &body?)
}

fn read(connection: &Connection, id: RequestId) -> Result<Option<Stored>, StoreError> {
    connection
        .prepare_cached("SELECT seq, version, body FROM requests WHERE id = ?1")?
        .query_row([id.to_string()], read_row)
        .optional()?
        .map(stored)
        .transpose()
}

fn read_assignment(
    connection: &Connection,
    id: AssignmentId,
) -> Result<Option<AssignmentRecord>, StoreError> {
    connection
        .prepare_cached("SELECT body FROM assignments WHERE id = ?1")?
        .query_row([id.to_string()], |row| text(row, 0, "assignment"))
        .optional()?
        .map(|body| codec::assignment(&body?))
        .transpose()
}

/// Inserts or replaces `record`, bumping its version.
fn write_assignment(connection: &Connection, record: &AssignmentRecord) -> Result<(), StoreError> {
    let assignment = &record.assignment;
    connection.prepare_cached(
        "INSERT INTO assignments (id, version, state, target, next_deadline, body)
         VALUES (?1, 1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET version = version + 1, state = excluded.state,
             target = excluded.target, next_deadline = excluded.next_deadline, body = excluded.body",
    )?.execute(params![
            assignment.id.to_string(),
            assignment.state.as_str(),
            assignment.target.to_string(),
            assignment_deadline(record),
            to_json(record)?,
        ],
    )?;
    Ok(())
}

fn append(connection: &Connection, entry: &HistoryEntry) -> Result<HistoryEntry, StoreError> {
    connection
        .prepare_cached("INSERT INTO history (request_id, body) VALUES (?1, ?2)")?
        .execute(params![entry.request_id.to_string(), to_json(entry)?])?;
    let mut written = entry.clone();
    written.seq = to_u64(connection.last_insert_rowid());
    Ok(written)
}

fn insert_request(
    connection: &Connection,
    record: &RequestRecord,
) -> Result<Option<u64>, StoreError> {
    let request = &record.request;
    let inserted = connection.prepare_cached(
        "INSERT INTO requests (id, version, status, request_type, requestor, target, next_deadline, body)
         SELECT ?1, 1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE NOT EXISTS (SELECT 1 FROM history WHERE request_id = ?1)
         ON CONFLICT (id) DO NOTHING",
    )?.execute(params![
            request.id.to_string(),
            request.status.as_str(),
            request.kind.as_str(),
            request.requestor.to_string(),
            request.target.to_string(),
            deadline_column(record),
            to_json(record)?,
        ],
    )?;
    Ok((inserted > 0).then(|| to_u64(connection.last_insert_rowid())))
}

/// Column `index` as text for the integrity check: anything else reads as a marker that no check
/// accepts, so it is reported, not a failure of the check.
fn loose_text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    Ok(match row.get_ref(index)? {
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => format!("<stored as {}>", other.data_type()),
    })
}

/// Column `index` as an integer for the integrity check: anything else reads as `i64::MIN`, which no
/// check accepts.
fn loose_int(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<i64>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => None,
        ValueRef::Integer(value) => Some(value),
        _ => Some(i64::MIN),
    })
}

/// Every row, for the integrity check.
fn snapshot(connection: &Connection) -> Result<Snapshot, StoreError> {
    let mut requests = connection.prepare(
        "SELECT seq, version, id, status, request_type, requestor, target, next_deadline, body
         FROM requests ORDER BY seq",
    )?;
    let requests = requests
        .query_map([], |row| {
            Ok(RequestRow {
                seq: row.get(0)?,
                version: loose_int(row, 1)?.unwrap_or(i64::MIN),
                id: loose_text(row, 2)?,
                status: loose_text(row, 3)?,
                request_type: loose_text(row, 4)?,
                requestor: loose_text(row, 5)?,
                target: loose_text(row, 6)?,
                next_deadline: loose_int(row, 7)?,
                body: loose_text(row, 8)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut history =
        connection.prepare("SELECT seq, request_id, body FROM history ORDER BY seq")?;
    let history = history
        .query_map([], |row| {
            Ok(HistoryRow {
                seq: row.get(0)?,
                request_id: loose_text(row, 1)?,
                body: loose_text(row, 2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut assignments = connection.prepare(
        "SELECT id, version, state, target, next_deadline, body FROM assignments ORDER BY id",
    )?;
    let assignments = assignments
        .query_map([], |row| {
            Ok(AssignmentRow {
                id: loose_text(row, 0)?,
                version: loose_int(row, 1)?.unwrap_or(i64::MIN),
                state: loose_text(row, 2)?,
                target: loose_text(row, 3)?,
                next_deadline: loose_int(row, 4)?,
                body: loose_text(row, 5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Snapshot {
        requests,
        history,
        assignments,
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode, with the schema applied.
    ///
    /// # Errors
    /// When the file cannot be opened, or holds requests of an older entitle
    /// ([`StoreError::Config`]: start from a new file, or keep using that entitle), or of a newer one.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = connections::open_writer(path)?;
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Config(format!(
                "`{}` has schema version {version}; this entitle knows versions up to {SCHEMA_VERSION}",
                path.display()
            )));
        }
        if version != 0 && version < SCHEMA_VERSION {
            let requests: i64 =
                connection.query_row("SELECT count(*) FROM requests", [], |row| row.get(0))?;
            if requests > 0 {
                return Err(StoreError::Config(format!(
                    "`{}` holds {requests} request(s) in the record format of an older entitle; \
                     start from a new database file",
                    path.display()
                )));
            }
        }
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            writer: GroupCommit::new(connection, Backend::Sqlite),
            readers: Readers::new(path),
        })
    }
}

/// Inserts or replaces the setting `key`.
fn write_setting(connection: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([key, value])?;
    Ok(())
}

/// The setting `key`, if set.
fn read_setting(connection: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(connection
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    /// Readers of a local file, in WAL mode: they never wait for the writer.
    fn reads_are_local(&self) -> bool {
        true
    }

    /// The writer, and the readers open.
    fn pool_status(&self) -> PoolStatus {
        let (open, idle) = self.readers.status();
        let count = |readers: usize| u32::try_from(readers).unwrap_or(u32::MAX);
        PoolStatus {
            connections: count(open).saturating_add(1),
            idle: count(idle).saturating_add(u32::from(self.writer.is_idle())),
            max: count(READERS).saturating_add(1),
        }
    }

    fn observe(&self, observer: Arc<dyn Observer>) {
        self.writer.observed().set(Arc::clone(&observer));
        self.readers.observed().set(observer);
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.readers
            .read(|connection| read_setting(connection, key))
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.writer
            .write(|connection| write_setting(connection, key, value))
    }

    fn write_settings_if(
        &self,
        guard: &str,
        expected: Option<&str>,
        writes: &[(&str, &str)],
    ) -> Result<bool, StoreError> {
        self.writer.write(|connection| {
            if read_setting(connection, guard)?.as_deref() != expected {
                return Ok(false);
            }
            for (key, value) in writes {
                write_setting(connection, key, value)?;
            }
            Ok(true)
        })
    }

    fn advance_clock(&self, by_ms: u64, max_offset_ms: u64) -> Result<Option<u64>, StoreError> {
        self.writer.write(|connection| {
            let stored = read_setting(connection, codec::CLOCK_OFFSET)?;
            let Some(next) = codec::clock_offset(stored.as_deref())?
                .checked_add(by_ms)
                .filter(|next| *next <= max_offset_ms)
            else {
                return Ok(None);
            };
            write_setting(connection, codec::CLOCK_OFFSET, &next.to_string())?;
            Ok(Some(next))
        })
    }

    fn create(
        &self,
        new: &NewRequest,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Created, CreateFailure> {
        self.writer.write(|connection| {
            let existing = match new.submission.assignment {
                Some(id) => read_assignment(connection, id)?,
                None => None,
            };
            let creation = codec::create(new, caller, existing.as_ref(), now)?;
            let id = creation.submitted.id;
            let seq =
                insert_request(connection, &creation.record)?.ok_or(StoreError::Duplicate(id))?;
            if let Some(assignment) = &creation.assignment {
                write_assignment(connection, assignment)?;
            }
            let mut history = Vec::with_capacity(creation.history.len());
            for entry in &creation.history {
                history.push(append(connection, entry)?);
            }
            Ok(Created {
                submitted: creation.submitted,
                stored: Stored {
                    record: creation.record,
                    version: 1,
                    seq,
                },
                history,
            })
        })
    }

    fn get(&self, id: RequestId) -> Result<Option<Stored>, StoreError> {
        self.readers.read(|connection| read(connection, id))
    }

    fn list(&self, query: &Query) -> Result<Vec<Stored>, StoreError> {
        let mut sql = String::from("SELECT seq, version, body FROM requests WHERE seq > ?");
        let mut values: Vec<rusqlite::types::Value> =
            vec![to_i64(query.after_seq.unwrap_or(0)).into()];
        if let Some(statuses) = &query.statuses {
            sql.push_str(" AND status IN (");
            sql.push_str(&vec!["?"; statuses.len()].join(", "));
            sql.push(')');
            values.extend(statuses.iter().map(|s| s.as_str().to_owned().into()));
        }
        if let Some(request_type) = query.request_type {
            sql.push_str(" AND request_type = ?");
            values.push(request_type.as_str().to_owned().into());
        }
        if let Some(requestor) = query.requestor {
            sql.push_str(" AND requestor = ?");
            values.push(requestor.to_string().into());
        }
        if let Some(target) = query.target {
            sql.push_str(" AND target = ?");
            values.push(target.to_string().into());
        }
        sql.push_str(" ORDER BY seq LIMIT ?");
        values.push(i64::from(query.limit).into());
        self.readers.read(|connection| {
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(values), read_row)?;
            rows.map(|row| stored(row?)).collect()
        })
    }

    fn transition(
        &self,
        id: RequestId,
        command: Command,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError> {
        self.writer.write(|connection| {
            let Some(current) = read(connection, id)? else {
                return Err(TransitionError::NotFound(id));
            };
            let assignment = read_assignment(connection, current.record.request.assignment)?;
            let codec::Written {
                record,
                assignment,
                entry,
            } = codec::decide(
                &current,
                assignment.as_ref(),
                command,
                caller,
                now,
                justification,
            )?;
            // The writer holds SQLite's write lock since it read the request: the version read is
            // the one stored, unless the file was changed around the store.
            let updated = connection
                .prepare_cached(
                    "UPDATE requests SET version = version + 1, status = ?1, next_deadline = ?2,
                         body = ?3
                     WHERE id = ?4 AND version = ?5",
                )?
                .execute(params![
                    record.request.status.as_str(),
                    deadline_column(&record),
                    to_json(&record)?,
                    id.to_string(),
                    to_i64(current.version),
                ])?;
            if updated == 0 {
                return Err(StoreError::Contended(id).into());
            }
            if let Some(assignment) = &assignment {
                write_assignment(connection, assignment)?;
            }
            let entry = append(connection, &entry)?;
            Ok(Transitioned {
                stored: Stored {
                    record,
                    version: current.version.saturating_add(1),
                    seq: current.seq,
                },
                entry,
            })
        })
    }

    fn delete(
        &self,
        id: RequestId,
        caller: CallerFor<'_>,
        now: Timestamp,
    ) -> Result<HistoryEntry, TransitionError> {
        self.writer.write(|connection| {
            let Some(current) = read(connection, id)? else {
                return Err(TransitionError::NotFound(id));
            };
            let by = caller(&current.record);
            let request = &current.record.request;
            request.delete(&by)?;
            connection
                .prepare_cached("DELETE FROM requests WHERE id = ?1")?
                .execute([id.to_string()])?;
            Ok(append(connection, &codec::deleted(request, &by, now))?)
        })
    }

    fn history(&self, id: RequestId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.readers.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, body FROM history WHERE request_id = ?1 ORDER BY seq",
            )?;
            let rows = statement.query_map([id.to_string()], |row| {
                Ok((row.get::<_, i64>(0)?, text(row, 1, "history entry")?))
            })?;
            rows.map(|row| {
                let (seq, body) = row?;
                codec::history_entry(seq, &body?)
            })
            .collect()
        })
    }

    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<(RequestId, Deadline)>, StoreError> {
        self.readers.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, version, body FROM requests
                 WHERE next_deadline IS NOT NULL AND next_deadline <= ?1
                 ORDER BY next_deadline, seq LIMIT ?2",
            )?;
            let rows = statement.query_map(params![to_i64(now.0), i64::from(limit)], read_row)?;
            let mut due = Vec::new();
            for row in rows {
                due.extend(codec::due(&stored(row?)?));
            }
            Ok(due)
        })
    }

    fn assignment(&self, id: AssignmentId) -> Result<Option<AssignmentRecord>, StoreError> {
        self.readers
            .read(|connection| read_assignment(connection, id))
    }

    fn assignments(&self, query: &AssignmentQuery) -> Result<Vec<AssignmentRecord>, StoreError> {
        let after = query.after.map(|id| id.to_string()).unwrap_or_default();
        let target = query.target.map(|id| id.to_string());
        self.readers.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT body FROM assignments
                 WHERE id > ?1 AND (?2 IS NULL OR target = ?2)
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = statement.query_map(params![after, target, query.limit], |row| {
                text(row, 0, "assignment")
            })?;
            let mut found = Vec::new();
            for body in rows {
                found.push(codec::assignment(&body??)?);
            }
            Ok(found)
        })
    }

    fn due_assignments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(AssignmentId, Timestamp)>, StoreError> {
        self.readers.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT body FROM assignments
                 WHERE next_deadline IS NOT NULL AND next_deadline <= ?1
                 ORDER BY next_deadline, id LIMIT ?2",
            )?;
            let rows = statement.query_map(params![to_i64(now.0), i64::from(limit)], |row| {
                text(row, 0, "assignment")
            })?;
            let mut due = Vec::new();
            for row in rows {
                let record = codec::assignment(&row??)?;
                due.extend(
                    record
                        .assignment
                        .next_deadline()
                        .map(|at| (record.assignment.id, at)),
                );
            }
            Ok(due)
        })
    }

    fn end_assignment(
        &self,
        id: AssignmentId,
        now: Timestamp,
    ) -> Result<AssignmentRecord, TransitionError> {
        self.writer.write(|connection| {
            let current =
                read_assignment(connection, id)?.ok_or_else(|| codec::missing_assignment(id))?;
            let (moved, entry) = codec::ended(&current, now)?;
            write_assignment(connection, &moved)?;
            append(connection, &entry)?;
            Ok(moved)
        })
    }

    /// Read in one transaction of a reader: every commit made before it, and none after.
    fn integrity(&self) -> Result<Integrity, StoreError> {
        self.readers.read(|connection| {
            let tx = connection.unchecked_transaction()?;
            let physical: String = tx.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
            let mut report = integrity::check(&snapshot(&tx)?);
            if physical != "ok" {
                report.problems.insert(0, format!("SQLite: {physical}"));
            }
            tx.commit()?;
            Ok(report)
        })
    }
}

#[cfg(test)]
mod tests;
