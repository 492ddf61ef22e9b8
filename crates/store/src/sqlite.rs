//! The embedded default: one SQLite file in WAL mode.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so several processes may share the file. A
//! committed transaction survives the process being killed (WAL with `synchronous = NORMAL` loses
//! nothing on a process crash; only a power loss can lose the last commits).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use entitle_core::{ActionKind, Deadline, RequestId, Timestamp};
use entitle_graph::AssignmentRequest;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::codec::{self, deadline_column, to_i64, to_json, to_u64, type_name, type_text};
use crate::history::HistoryEntry;
use crate::store::{CallerFor, Query, Store, StoreError, Stored, TransitionError, Transitioned};

/// How often a transition is retried when the request changed between read and write.
const ATTEMPTS: usize = 3;

/// The schema, applied by [`SqliteStore::open`]; `PRAGMA user_version` records it.
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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version = 1;
";

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Database(error.to_string())
    }
}

impl From<rusqlite::Error> for TransitionError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A [`Store`] on one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
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
        .query_row(
            "SELECT seq, version, body FROM requests WHERE id = ?1",
            [id.to_string()],
            read_row,
        )
        .optional()?
        .map(stored)
        .transpose()
}

fn append(connection: &Connection, entry: &HistoryEntry) -> Result<HistoryEntry, StoreError> {
    connection.execute(
        "INSERT INTO history (request_id, body) VALUES (?1, ?2)",
        params![entry.request_id.to_string(), to_json(entry)?],
    )?;
    let mut written = entry.clone();
    written.seq = to_u64(connection.last_insert_rowid());
    Ok(written)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode, with the schema applied.
    ///
    /// # Errors
    /// When the file cannot be opened or is not an entitle database.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    /// The connection. A panic while it was held (in a transition's caller closure) unwound through
    /// the open transaction, whose drop rolled it back: the connection is sound, so the poison is
    /// cleared rather than refusing every later call.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|poisoned| {
            self.connection.clear_poison();
            let connection = PoisonError::into_inner(poisoned);
            if !connection.is_autocommit() {
                // The rollback on drop failed: end the transaction before anyone else uses it.
                let _rolled_back = connection.execute_batch("ROLLBACK");
            }
            connection
        })
    }

    /// The result of `PRAGMA integrity_check`: `ok` for a sound file.
    ///
    /// # Errors
    /// A storage failure.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let connection = self.lock();
        Ok(connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?)
    }
}

impl Store for SqliteStore {
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let connection = self.lock();
        Ok(connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let connection = self.lock();
        connection.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    fn advance_clock(&self, by_ms: u64, max_offset_ms: u64) -> Result<Option<u64>, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [codec::CLOCK_OFFSET],
                |row| row.get(0),
            )
            .optional()?;
        let Some(next) = codec::clock_offset(stored.as_deref())?
            .checked_add(by_ms)
            .filter(|next| *next <= max_offset_ms)
        else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [codec::CLOCK_OFFSET, &next.to_string()],
        )?;
        tx.commit()?;
        Ok(Some(next))
    }

    fn create(
        &self,
        record: &AssignmentRequest,
        history: &[HistoryEntry],
    ) -> Result<Stored, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = record.request.id;
        let inserted = tx.execute(
            "INSERT INTO requests (id, version, status, request_type, requestor, target, next_deadline, body)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
            params![
                id.to_string(),
                record.request.status.as_str(),
                type_text(record)?,
                record.request.requestor.to_string(),
                record.target_id.to_string(),
                deadline_column(record),
                to_json(record)?,
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Duplicate(id));
        }
        let seq = to_u64(tx.last_insert_rowid());
        for entry in history {
            append(&tx, entry)?;
        }
        tx.commit()?;
        Ok(Stored {
            record: record.clone(),
            version: 1,
            seq,
        })
    }

    fn get(&self, id: RequestId) -> Result<Option<Stored>, StoreError> {
        read(&self.lock(), id)
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
            values.push(type_name(request_type)?.into());
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
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(values), read_row)?;
        rows.map(|row| stored(row?)).collect()
    }

    fn transition(
        &self,
        id: RequestId,
        kind: ActionKind,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError> {
        for _ in 0..ATTEMPTS {
            let mut connection = self.lock();
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(current) = read(&tx, id)? else {
                return Err(TransitionError::NotFound(id));
            };
            let codec::Decision { record, entry } =
                codec::decide(&current, kind, caller, now, justification)?;
            let updated = tx.execute(
                "UPDATE requests SET version = version + 1, status = ?1, next_deadline = ?2, body = ?3
                 WHERE id = ?4 AND version = ?5",
                params![
                    record.request.status.as_str(),
                    deadline_column(&record),
                    to_json(&record)?,
                    id.to_string(),
                    to_i64(current.version),
                ],
            )?;
            if updated == 0 {
                continue;
            }
            let entry = append(&tx, &entry)?;
            tx.commit()?;
            return Ok(Transitioned {
                stored: Stored {
                    record,
                    version: current.version.saturating_add(1),
                    seq: current.seq,
                },
                entry,
            });
        }
        Err(StoreError::Contended(id).into())
    }

    fn delete(
        &self,
        id: RequestId,
        version: u64,
        entry: &HistoryEntry,
    ) -> Result<bool, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = tx.execute(
            "DELETE FROM requests WHERE id = ?1 AND version = ?2",
            params![id.to_string(), to_i64(version)],
        )?;
        if deleted == 0 {
            return Ok(false);
        }
        append(&tx, entry)?;
        tx.commit()?;
        Ok(true)
    }

    fn history(&self, id: RequestId) -> Result<Vec<HistoryEntry>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached("SELECT seq, body FROM history WHERE request_id = ?1 ORDER BY seq")?;
        let rows = statement.query_map([id.to_string()], |row| {
            Ok((row.get::<_, i64>(0)?, text(row, 1, "history entry")?))
        })?;
        rows.map(|row| {
            let (seq, body) = row?;
            codec::history_entry(seq, &body?)
        })
        .collect()
    }

    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<(RequestId, Deadline)>, StoreError> {
        let connection = self.lock();
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
    }
}
