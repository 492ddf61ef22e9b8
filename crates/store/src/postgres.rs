//! PostgreSQL: the same contract as [`crate::SqliteStore`], for several server processes sharing one
//! database.
//!
//! Connections come from a bounded pool ([`PostgresStore::connect`]); every session is pinned to
//! `READ COMMITTED` whatever the database's default, and correctness rests on row locks:
//!
//! - a transition is one transaction: `SELECT … FOR UPDATE` the request, ask entitle-core, then update
//!   it only if its version is still the one read and append the history entry, in one statement. A
//!   serialization failure or deadlock (SQLSTATE 40001, 40P01) or a lost version race retries the
//!   whole transaction, at most [`ATTEMPTS`] times, then gives [`StoreError::Contended`];
//! - creations are serialized by a transaction-scoped advisory lock, so requests commit in the
//!   order of their `seq`: a reader paging by `seq` never skips a request committed after its page
//!   (as with SQLite's single writer);
//! - a deletion and its history entry are one statement.
//!
//! Bodies are stored as the JSON text SQLite stores (`TEXT`, not `JSONB`, which would refuse a
//! `\u0000` escape in a justification and rewrite what was written).
//!
//! The client is synchronous (each connection runs its own small tokio runtime): call
//! [`PostgresStore::connect`] and every [`Store`] method from ordinary threads or
//! `tokio::task::spawn_blocking`, never directly on a thread driving async tasks, where the client
//! panics ("Cannot start a runtime from within a runtime"). Dropping the store is safe anywhere: from
//! within a tokio runtime, its connections are closed on a thread of their own.

use std::fmt::{self, Write as _};
use std::time::Duration;

use entitle_core::{ActionKind, Deadline, RequestId, Timestamp};
use entitle_graph::AssignmentRequest;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, ToSql, Type};
use postgres::{Client, Config, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;

use crate::codec::{self, deadline_column, to_i64, to_json, to_u64, type_name, type_text};
use crate::history::HistoryEntry;
use crate::store::{CallerFor, Query, Store, StoreError, Stored, TransitionError, Transitioned};

/// How often a transition is tried before it gives [`StoreError::Contended`].
pub const ATTEMPTS: u32 = 5;

/// How long a caller waits for a free pooled connection (and for a new connection to open).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a pooled connection may stay idle before it is closed (one is always kept).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The advisory lock taken while the schema is migrated (two processes may start at once).
const MIGRATION_LOCK: i64 = 0x656e_7469_746c_6501;

/// The advisory lock that serializes creations, so that `seq` order is commit order.
const CREATE_LOCK: i64 = 0x656e_7469_746c_6502;

/// Added to every session's startup options: transitions rely on `READ COMMITTED` row locking (under
/// `REPEATABLE READ` or `SERIALIZABLE`, racing writers would fail with serialization errors instead of
/// waiting their turn).
const SESSION_OPTIONS: &str = r"-c default_transaction_isolation=read\ committed";

/// The schema migrations, in order; `entitle_schema` records which were applied. Each is idempotent.
const MIGRATIONS: &[&str] = &["
CREATE TABLE IF NOT EXISTS requests (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    request_type TEXT NOT NULL,
    requestor TEXT NOT NULL,
    target TEXT NOT NULL,
    next_deadline BIGINT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_due ON requests (next_deadline, seq)
    WHERE next_deadline IS NOT NULL;
CREATE INDEX IF NOT EXISTS requests_by_requestor ON requests (requestor, seq);
CREATE INDEX IF NOT EXISTS requests_by_target ON requests (target, seq);
CREATE TABLE IF NOT EXISTS history (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_request ON history (request_id, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"];

/// The whole of a client error: its kind, then the server's error with its SQLSTATE, or the cause.
fn describe(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    if let Some(db) = error.as_db_error() {
        let _ = write!(text, ": {} ({})", db, db.code().code());
    } else if let Some(cause) = std::error::Error::source(error) {
        let _ = write!(text, ": {cause}");
    }
    text
}

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> Self {
        Self::Database(describe(&error))
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        Self::Database(format!("no database connection: {error}"))
    }
}

impl From<postgres::Error> for TransitionError {
    fn from(error: postgres::Error) -> Self {
        Self::Store(error.into())
    }
}

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Pooled = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// A [`Store`] on a PostgreSQL database, through a bounded pool of connections.
pub struct PostgresStore {
    /// Always `Some` until dropped (taken by `Drop`, to close the connections where that is safe).
    pool: Option<Pool>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a connection blocks on its own runtime, which panics on a thread that drives async
        // tasks: from within a tokio runtime, close them on a thread of their own.
        if let Some(pool) = self.pool.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _closing = std::thread::Builder::new()
                .name("entitle-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

/// How busy the connection pool is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections, idle or in use.
    pub connections: u32,
    /// Open connections waiting for a caller.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool_status())
            .finish_non_exhaustive()
    }
}

/// Column `index` of a row read as `what`; a NULL or a value of another type is a corrupt `what`.
fn column<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    what: &'static str,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|error| StoreError::Corrupt {
        what,
        reason: describe(&error),
    })
}

/// A `seq, version, body` request row.
fn stored(row: &Row) -> Result<Stored, StoreError> {
    codec::stored(
        column(row, 0, "request")?,
        column(row, 1, "request")?,
        column(row, 2, "request")?,
    )
}

/// A `seq, body` history row.
fn entry(row: &Row) -> Result<HistoryEntry, StoreError> {
    codec::history_entry(
        column(row, 0, "history entry")?,
        column(row, 1, "history entry")?,
    )
}

fn retryable(error: &postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// Why one attempt at a transition did not finish.
enum Fault {
    /// The database asked for the transaction to be tried again.
    Retry,
    /// Nothing more to try.
    Fail(TransitionError),
}

impl From<postgres::Error> for Fault {
    fn from(error: postgres::Error) -> Self {
        if retryable(&error) {
            Self::Retry
        } else {
            Self::Fail(error.into())
        }
    }
}

impl From<StoreError> for Fault {
    fn from(error: StoreError) -> Self {
        Self::Fail(error.into())
    }
}

impl From<TransitionError> for Fault {
    fn from(error: TransitionError) -> Self {
        Self::Fail(error)
    }
}

/// Applies the migrations `client`'s database lacks, under an advisory lock.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
         CREATE TABLE IF NOT EXISTS entitle_schema (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         );"
    ))?;
    let applied: i32 = column(
        &tx.query_one("SELECT COALESCE(MAX(version), 0) FROM entitle_schema", &[])?,
        0,
        "schema version",
    )?;
    let applied = usize::try_from(applied).unwrap_or_default();
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Database(format!(
            "the database has schema version {applied}; this entitle knows versions up to {}",
            MIGRATIONS.len()
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(migration)?;
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO entitle_schema (version) VALUES ($1)",
            &[&version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`, no TLS) with a pool of
    /// at most `max_connections` connections, applying the schema migrations it lacks.
    ///
    /// Blocks (connecting, migrating): call it outside async code, e.g. before the runtime starts or
    /// in `spawn_blocking`.
    ///
    /// # Errors
    /// A malformed URL, `max_connections` of 0, an unreachable server, or a database whose schema is
    /// newer than this build's.
    pub fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        if max_connections == 0 {
            return Err(StoreError::Database(
                "a pool needs at least one connection".into(),
            ));
        }
        let mut config: Config = url
            .parse()
            .map_err(|error| StoreError::Database(format!("invalid database URL: {error}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECTION_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("entitle");
        }
        let options = match config.get_options() {
            Some(options) if !options.trim().is_empty() => format!("{options} {SESSION_OPTIONS}"),
            _ => SESSION_OPTIONS.to_owned(),
        };
        config.options(&options);

        // A direct connection first: an unreachable server is reported at once, with its reason.
        let mut client = config.connect(NoTls)?;
        migrate(&mut client)?;
        drop(client);

        let pool = r2d2::Pool::builder()
            .max_size(max_connections)
            .min_idle(Some(1))
            .connection_timeout(CONNECTION_TIMEOUT)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .build(PostgresConnectionManager::new(config, NoTls))?;
        Ok(Self { pool: Some(pool) })
    }

    /// How busy the connection pool is.
    pub fn pool_status(&self) -> PoolStatus {
        self.pool.as_ref().map_or(
            PoolStatus {
                connections: 0,
                idle: 0,
                max: 0,
            },
            |pool| {
                let state = pool.state();
                PoolStatus {
                    connections: state.connections,
                    idle: state.idle_connections,
                    max: pool.max_size(),
                }
            },
        )
    }

    fn client(&self) -> Result<Pooled, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Database("the store was closed".into()))?;
        Ok(pool.get()?)
    }

    /// Checks what is stored against itself, on one snapshot: every row reads back, each request's
    /// columns agree with its body, and each request's last history entry leads to its status (or,
    /// for a request no longer stored, is its deletion). `ok` when sound, else one line per problem
    /// (at most 20, then a count).
    ///
    /// # Errors
    /// A storage failure.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        const SHOWN: usize = 20;
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let mut problems = Vec::new();

        let requests = tx.query(
            "SELECT r.seq, r.version, r.body, r.id, r.status, r.request_type, r.requestor, r.target,
                    r.next_deadline, h.seq, h.body
             FROM requests r
             LEFT JOIN LATERAL (
                 SELECT seq, body FROM history WHERE request_id = r.id ORDER BY seq DESC LIMIT 1
             ) h ON true
             ORDER BY r.seq",
            &[],
        )?;
        for row in &requests {
            let seq: i64 = column(row, 0, "request")?;
            if let Err(problem) = check_request(row) {
                problems.push(format!("request at seq {seq}: {problem}"));
            }
        }

        let mut rows = tx.query_raw(
            "SELECT h.seq, h.body, h.request_id, r.id IS NOT NULL,
                    h.seq = MAX(h.seq) OVER (PARTITION BY h.request_id)
             FROM history h LEFT JOIN requests r ON r.id = h.request_id
             ORDER BY h.seq",
            std::iter::empty::<i64>(),
        )?;
        while let Some(row) = rows.next()? {
            let seq: i64 = column(&row, 0, "history entry")?;
            if let Err(problem) = check_entry(&row) {
                problems.push(format!("history entry {seq}: {problem}"));
            }
        }
        drop(rows);
        tx.commit()?;

        if problems.is_empty() {
            return Ok("ok".into());
        }
        let more = problems.len().saturating_sub(SHOWN);
        problems.truncate(SHOWN);
        if more > 0 {
            problems.push(format!("… and {more} more"));
        }
        Ok(problems.join("\n"))
    }

    /// One attempt at a transition: `Ok(None)` when the version changed between read and write.
    fn try_transition(
        client: &mut Client,
        id: RequestId,
        kind: ActionKind,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Option<Transitioned>, Fault> {
        let id_text = id.to_string();
        let mut tx = client.transaction()?;
        let Some(row) = tx.query_typed_opt(
            "SELECT seq, version, body FROM requests WHERE id = $1 FOR UPDATE",
            &[(&id_text, Type::TEXT)],
        )?
        else {
            return Err(TransitionError::NotFound(id).into());
        };
        let current = stored(&row)?;
        let codec::Decision { record, mut entry } =
            codec::decide(&current, kind, caller, now, justification)?;
        let written = tx.query_typed_opt(
            "WITH moved AS (
                 UPDATE requests SET version = version + 1, status = $1, next_deadline = $2, body = $3
                 WHERE id = $4 AND version = $5
                 RETURNING id
             )
             INSERT INTO history (request_id, body) SELECT id, $6 FROM moved RETURNING seq",
            &[
                (&record.request.status.as_str(), Type::TEXT),
                (&deadline_column(&record), Type::INT8),
                (&to_json(&record)?, Type::TEXT),
                (&id_text, Type::TEXT),
                (&to_i64(current.version), Type::INT8),
                (&to_json(&entry)?, Type::TEXT),
            ],
        )?;
        let Some(written) = written else {
            return Ok(None);
        };
        entry.seq = to_u64(column(&written, 0, "history entry")?);
        tx.commit()?;
        Ok(Some(Transitioned {
            stored: Stored {
                record,
                version: current.version.saturating_add(1),
                seq: current.seq,
            },
            entry,
        }))
    }
}

/// The problem with a request row of [`PostgresStore::integrity_check`], if any.
fn check_request(row: &Row) -> Result<(), String> {
    let stored = stored(row).map_err(|error| error.to_string())?;
    let record = &stored.record;
    let text = |index: usize| column::<String>(row, index, "request").map_err(|e| e.to_string());
    if text(3)? != record.request.id.to_string() {
        return Err("its id column differs from its body".into());
    }
    if text(4)? != record.request.status.as_str() {
        return Err("its status column differs from its body".into());
    }
    if text(5)? != type_text(record).map_err(|error| error.to_string())? {
        return Err("its request_type column differs from its body".into());
    }
    if text(6)? != record.request.requestor.to_string() || text(7)? != record.target_id.to_string()
    {
        return Err("its requestor or target column differs from its body".into());
    }
    let deadline: Option<i64> = column(row, 8, "request").map_err(|e| e.to_string())?;
    if deadline != deadline_column(record) {
        return Err("its next_deadline column differs from its body".into());
    }
    if stored.version == 0 {
        return Err("its version is not positive".into());
    }
    let last: Option<i64> = column(row, 9, "history entry").map_err(|e| e.to_string())?;
    let Some(last) = last else {
        return Err("it has no history".into());
    };
    let body: String = column(row, 10, "history entry").map_err(|e| e.to_string())?;
    let entry = codec::history_entry(last, &body).map_err(|error| error.to_string())?;
    if entry.status_after() != Some(record.request.status) {
        return Err(format!(
            "its last history entry leads to {:?}, it is {}",
            entry.status_after(),
            record.request.status.as_str()
        ));
    }
    Ok(())
}

/// The problem with a history row of [`PostgresStore::integrity_check`], if any.
fn check_entry(row: &Row) -> Result<(), String> {
    let entry = entry(row).map_err(|error| error.to_string())?;
    let request_id: String = column(row, 2, "history entry").map_err(|e| e.to_string())?;
    if request_id != entry.request_id.to_string() {
        return Err("its request_id column differs from its body".into());
    }
    let live: bool = column(row, 3, "history entry").map_err(|e| e.to_string())?;
    let last: bool = column(row, 4, "history entry").map_err(|e| e.to_string())?;
    if last && !live && entry.status_after().is_some() {
        return Err("the request is gone but its last entry is not its deletion".into());
    }
    Ok(())
}

impl Store for PostgresStore {
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut client = self.client()?;
        let row = client.query_typed_opt(
            "SELECT value FROM meta WHERE key = $1",
            &[(&key, Type::TEXT)],
        )?;
        row.map(|row| column(&row, 0, "setting")).transpose()
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut client = self.client()?;
        client.execute_typed(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[(&key, Type::TEXT), (&value, Type::TEXT)],
        )?;
        Ok(())
    }

    fn advance_clock(&self, by_ms: u64, max_offset_ms: u64) -> Result<Option<u64>, StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        tx.execute_typed(
            "INSERT INTO meta (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING",
            &[(&codec::CLOCK_OFFSET, Type::TEXT)],
        )?;
        let row = tx.query_typed_one(
            "SELECT value FROM meta WHERE key = $1 FOR UPDATE",
            &[(&codec::CLOCK_OFFSET, Type::TEXT)],
        )?;
        let stored: String = column(&row, 0, "setting")?;
        let Some(next) = codec::clock_offset(Some(&stored))?
            .checked_add(by_ms)
            .filter(|next| *next <= max_offset_ms)
        else {
            return Ok(None);
        };
        tx.execute_typed(
            "UPDATE meta SET value = $2 WHERE key = $1",
            &[
                (&codec::CLOCK_OFFSET, Type::TEXT),
                (&next.to_string(), Type::TEXT),
            ],
        )?;
        tx.commit()?;
        Ok(Some(next))
    }

    fn create(
        &self,
        record: &AssignmentRequest,
        history: &[HistoryEntry],
    ) -> Result<Stored, StoreError> {
        let entries = history
            .iter()
            .map(to_json)
            .collect::<Result<Vec<String>, StoreError>>()?;
        let id = record.request.id;
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({CREATE_LOCK})"))?;
        let inserted = tx.query_typed_opt(
            "WITH inserted AS (
                 INSERT INTO requests
                     (id, version, status, request_type, requestor, target, next_deadline, body)
                 VALUES ($1, 1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO NOTHING
                 RETURNING seq, id
             ), logged AS (
                 INSERT INTO history (request_id, body)
                 SELECT inserted.id, entry.body
                 FROM inserted, unnest($8::text[]) WITH ORDINALITY AS entry(body, position)
                 ORDER BY entry.position
             )
             SELECT seq FROM inserted",
            &[
                (&id.to_string(), Type::TEXT),
                (&record.request.status.as_str(), Type::TEXT),
                (&type_text(record)?, Type::TEXT),
                (&record.request.requestor.to_string(), Type::TEXT),
                (&record.target_id.to_string(), Type::TEXT),
                (&deadline_column(record), Type::INT8),
                (&to_json(record)?, Type::TEXT),
                (&entries, Type::TEXT_ARRAY),
            ],
        )?;
        let Some(inserted) = inserted else {
            return Err(StoreError::Duplicate(id));
        };
        let seq: i64 = column(&inserted, 0, "request")?;
        tx.commit()?;
        Ok(Stored {
            record: record.clone(),
            version: 1,
            seq: to_u64(seq),
        })
    }

    fn get(&self, id: RequestId) -> Result<Option<Stored>, StoreError> {
        let mut client = self.client()?;
        client
            .query_typed_opt(
                "SELECT seq, version, body FROM requests WHERE id = $1",
                &[(&id.to_string(), Type::TEXT)],
            )?
            .as_ref()
            .map(stored)
            .transpose()
    }

    fn list(&self, query: &Query) -> Result<Vec<Stored>, StoreError> {
        let after = to_i64(query.after_seq.unwrap_or(0));
        let statuses: Option<Vec<&str>> = query
            .statuses
            .as_ref()
            .map(|statuses| statuses.iter().map(|status| status.as_str()).collect());
        let request_type = query.request_type.map(type_name).transpose()?;
        let requestor = query.requestor.map(|subject| subject.to_string());
        let target = query.target.map(|subject| subject.to_string());
        let limit = i64::from(query.limit);

        let mut sql = String::from("SELECT seq, version, body FROM requests WHERE seq > $1");
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&after, Type::INT8)];
        if let Some(statuses) = &statuses {
            params.push((statuses, Type::TEXT_ARRAY));
            let _ = write!(sql, " AND status = ANY(${})", params.len());
        }
        for (column, value) in [
            ("request_type", &request_type),
            ("requestor", &requestor),
            ("target", &target),
        ] {
            if let Some(value) = value {
                params.push((value, Type::TEXT));
                let _ = write!(sql, " AND {column} = ${}", params.len());
            }
        }
        params.push((&limit, Type::INT8));
        let _ = write!(sql, " ORDER BY seq LIMIT ${}", params.len());

        let mut client = self.client()?;
        client
            .query_typed(&sql, &params)?
            .iter()
            .map(stored)
            .collect()
    }

    fn transition(
        &self,
        id: RequestId,
        kind: ActionKind,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError> {
        let mut client = self.client()?;
        for attempt in 1..=ATTEMPTS {
            match Self::try_transition(&mut client, id, kind, caller, now, justification) {
                Ok(Some(transitioned)) => return Ok(transitioned),
                Ok(None) => {}
                Err(Fault::Retry) => {
                    std::thread::sleep(Duration::from_millis(u64::from(attempt)));
                }
                Err(Fault::Fail(error)) => return Err(error),
            }
        }
        Err(StoreError::Contended(id).into())
    }

    fn delete(
        &self,
        id: RequestId,
        version: u64,
        entry: &HistoryEntry,
    ) -> Result<bool, StoreError> {
        let mut client = self.client()?;
        let deleted = client.query_typed_opt(
            "WITH gone AS (
                 DELETE FROM requests WHERE id = $1 AND version = $2 RETURNING id
             )
             INSERT INTO history (request_id, body) SELECT id, $3 FROM gone RETURNING seq",
            &[
                (&id.to_string(), Type::TEXT),
                (&to_i64(version), Type::INT8),
                (&to_json(entry)?, Type::TEXT),
            ],
        )?;
        Ok(deleted.is_some())
    }

    fn history(&self, id: RequestId) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut client = self.client()?;
        client
            .query_typed(
                "SELECT seq, body FROM history WHERE request_id = $1 ORDER BY seq",
                &[(&id.to_string(), Type::TEXT)],
            )?
            .iter()
            .map(entry)
            .collect()
    }

    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<(RequestId, Deadline)>, StoreError> {
        let mut client = self.client()?;
        let rows = client.query_typed(
            "SELECT seq, version, body FROM requests
             WHERE next_deadline IS NOT NULL AND next_deadline <= $1
             ORDER BY next_deadline, seq LIMIT $2",
            &[
                (&to_i64(now.0), Type::INT8),
                (&i64::from(limit), Type::INT8),
            ],
        )?;
        let mut due = Vec::new();
        for row in &rows {
            due.extend(codec::due(&stored(row)?));
        }
        Ok(due)
    }
}
