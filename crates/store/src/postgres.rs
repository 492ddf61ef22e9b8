//! PostgreSQL: the same contract as [`crate::SqliteStore`], for several server processes sharing one
//! database.
//!
//! Connections come from a bounded pool ([`PostgresStore::connect`]); every session is pinned to
//! `READ COMMITTED` whatever the database's default, and correctness rests on row locks:
//!
//! - a transition is one transaction: `SELECT … FOR UPDATE` the request, then its assignment, ask
//!   entitle-core, then update the request only if its version is still the one read, write the
//!   assignment if it moved, and append the history entry. A serialization failure or deadlock
//!   (SQLSTATE 40001, 40P01) or a lost version race retries the whole transaction, at most
//!   [`ATTEMPTS`] times, then gives [`StoreError::Contended`];
//! - creations are serialized by a transaction-scoped advisory lock, so requests commit in the
//!   order of their `seq`: a reader paging by `seq` never skips a request committed after its page
//!   (as with SQLite's single writer);
//! - a deletion locks the request, asks entitle-core, and deletes it with its history entry.
//!
//! A database that stops answering is a [`StoreError::Unavailable`] for every call until it answers
//! again: a connection is not tested when it is checked out (that would cost every call a round
//! trip); the call that finds it broken fails, and the pool drops it when it is returned, opens new
//! ones by itself, and a caller waits at most [`UNREACHABLE_TIMEOUT`] while the pool holds none.
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
use std::sync::Arc;
use std::time::{Duration, Instant};

use entitle_core::{AssignmentId, Caller, Deadline, RequestId, Timestamp};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, ToSql, Type};
use postgres::{Client, Config, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;

use crate::codec::{self, assignment_deadline, deadline_column, to_i64, to_json, to_u64};
use crate::history::HistoryEntry;
use crate::integrity::{self, AssignmentRow, HistoryRow, Integrity, RequestRow, Snapshot};
use crate::record::AssignmentRecord;
use crate::store::{
    AssignmentQuery, CallerFor, Command, CreateFailure, Created, NewRequest, Query, Store,
    StoreError, Stored, TransitionError, Transitioned,
};
use crate::telemetry::{Backend, Observed, Observer, PoolStatus};

/// How often a transition is tried before it gives [`StoreError::Contended`].
pub const ATTEMPTS: u32 = 5;

/// How long a caller waits for a free pooled connection (and for a new connection to open).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a caller waits for a connection while the pool holds none: every connection was found
/// broken (when it was checked out) and none could be opened since, so the database is unreachable,
/// and the caller hears so at once instead of after [`CONNECTION_TIMEOUT`] (D35). The pool keeps
/// reconnecting meanwhile.
pub const UNREACHABLE_TIMEOUT: Duration = Duration::from_secs(1);

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
const MIGRATIONS: &[&str] = &[
    "
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
",
    "
CREATE TABLE IF NOT EXISTS assignments (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    target TEXT NOT NULL,
    next_deadline BIGINT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS assignments_due ON assignments (next_deadline, id)
    WHERE next_deadline IS NOT NULL;
",
];

/// The first migration whose schema holds records of the current format: a database migrated from an
/// earlier one with requests in it holds records this build cannot read.
const CURRENT_FORMAT_SINCE: usize = 2;

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
        Self::unavailable(describe(&error), error)
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        Self::unavailable("no database connection", error)
    }
}

impl From<postgres::Error> for TransitionError {
    fn from(error: postgres::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<postgres::Error> for CreateFailure {
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
    /// Told of connection waits and retries.
    observed: Observed,
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

/// Why one attempt at a transaction did not finish.
enum Fault<E> {
    /// The database asked for the transaction to be tried again.
    Retry,
    /// Nothing more to try.
    Fail(E),
}

impl<E: From<postgres::Error>> From<postgres::Error> for Fault<E> {
    fn from(error: postgres::Error) -> Self {
        if retryable(&error) {
            Self::Retry
        } else {
            Self::Fail(error.into())
        }
    }
}

impl From<StoreError> for Fault<TransitionError> {
    fn from(error: StoreError) -> Self {
        Self::Fail(error.into())
    }
}

impl From<TransitionError> for Fault<TransitionError> {
    fn from(error: TransitionError) -> Self {
        Self::Fail(error)
    }
}

impl From<entitle_core::Rejection> for Fault<TransitionError> {
    fn from(error: entitle_core::Rejection) -> Self {
        Self::Fail(error.into())
    }
}

impl From<StoreError> for Fault<CreateFailure> {
    fn from(error: StoreError) -> Self {
        Self::Fail(error.into())
    }
}

impl From<entitle_core::CreateError> for Fault<CreateFailure> {
    fn from(error: entitle_core::CreateError) -> Self {
        Self::Fail(error.into())
    }
}

/// Runs `attempt` until it finishes, at most [`ATTEMPTS`] times while the database asks for retries
/// (or the attempt reports a lost race with `Ok(None)`), then gives `contended`.
fn retrying<T, E: From<StoreError>>(
    client: &mut Client,
    observed: &Observed,
    contended: impl Fn() -> StoreError,
    mut attempt: impl FnMut(&mut Client) -> Result<Option<T>, Fault<E>>,
) -> Result<T, E> {
    for round in 1..=ATTEMPTS {
        match attempt(client) {
            Ok(Some(done)) => return Ok(done),
            Ok(None) => {}
            Err(Fault::Retry) => std::thread::sleep(Duration::from_millis(u64::from(round))),
            Err(Fault::Fail(error)) => return Err(error),
        }
        if round < ATTEMPTS {
            observed.retried(Backend::Postgres);
        }
    }
    Err(contended().into())
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
        return Err(StoreError::Config(format!(
            "the database has schema version {applied}; this entitle knows versions up to {}",
            MIGRATIONS.len()
        )));
    }
    if (1..CURRENT_FORMAT_SINCE).contains(&applied) {
        let requests: i64 = column(
            &tx.query_one("SELECT count(*) FROM requests", &[])?,
            0,
            "request count",
        )?;
        if requests > 0 {
            return Err(StoreError::Config(format!(
                "the database holds {requests} request(s) in the record format of an older entitle; \
                 start from a new database"
            )));
        }
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
            return Err(StoreError::Config(
                "a pool needs at least one connection".into(),
            ));
        }
        let mut config: Config = url
            .parse()
            .map_err(|error| StoreError::Config(format!("invalid database URL: {error}")))?;
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
            .test_on_check_out(false)
            .connection_timeout(CONNECTION_TIMEOUT)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .build(PostgresConnectionManager::new(config, NoTls))?;
        Ok(Self {
            pool: Some(pool),
            observed: Observed::default(),
        })
    }

    fn client(&self) -> Result<Pooled, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Config("the store was closed".into()))?;
        let since = Instant::now();
        // An idle connection first. The pool keeps at least one connection while the database
        // answers (`min_idle`): with none left, it does not.
        let client = match pool.try_get() {
            Some(client) => Ok(client),
            None if pool.state().connections == 0 => pool.get_timeout(UNREACHABLE_TIMEOUT),
            None => pool.get(),
        };
        self.observed.waited(Backend::Postgres, since);
        Ok(client?)
    }

    /// One attempt at a transition: `Ok(None)` when the version changed between read and write.
    fn try_transition(
        client: &mut Client,
        id: RequestId,
        command: Command,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Option<Transitioned>, Fault<TransitionError>> {
        let id_text = id.to_string();
        let mut tx = client.transaction()?;
        let Some(row) = tx.query_typed_opt(
            "SELECT seq, version, body FROM requests WHERE id = $1 FOR UPDATE",
            &[(&id_text, Type::TEXT)],
        )?
        else {
            return Err(Fault::Fail(TransitionError::NotFound(id)));
        };
        let current = stored(&row)?;
        let assignment = lock_assignment(&mut tx, current.record.request.assignment)?;
        let codec::Written {
            record,
            assignment,
            mut entry,
        } = codec::decide(
            &current,
            assignment.as_ref(),
            command,
            caller,
            now,
            justification,
        )?;
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
        if let Some(assignment) = &assignment {
            write_assignment(&mut tx, assignment)?;
        }
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

    /// One attempt at a creation.
    fn try_create(
        client: &mut Client,
        new: &NewRequest,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Option<Created>, Fault<CreateFailure>> {
        let mut tx = client.transaction()?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({CREATE_LOCK})"))?;
        let existing = match new.submission.assignment {
            Some(id) => lock_assignment(&mut tx, id)?,
            None => None,
        };
        let creation = codec::create(new, caller, existing.as_ref(), now)?;
        let record = &creation.record;
        let request = &record.request;
        let entries = creation
            .history
            .iter()
            .map(to_json)
            .collect::<Result<Vec<String>, StoreError>>()?;
        let inserted = tx.query_typed(
            "WITH inserted AS (
                 INSERT INTO requests
                     (id, version, status, request_type, requestor, target, next_deadline, body)
                 SELECT $1, 1, $2, $3, $4, $5, $6, $7
                 WHERE NOT EXISTS (SELECT 1 FROM history WHERE request_id = $1)
                 ON CONFLICT (id) DO NOTHING
                 RETURNING seq, id
             ), logged AS (
                 INSERT INTO history (request_id, body)
                 SELECT inserted.id, entry.body
                 FROM inserted, unnest($8::text[]) WITH ORDINALITY AS entry(body, position)
                 ORDER BY entry.position
                 RETURNING seq
             )
             SELECT (SELECT seq FROM inserted) AS request_seq, logged.seq FROM logged ORDER BY logged.seq",
            &[
                (&request.id.to_string(), Type::TEXT),
                (&request.status.as_str(), Type::TEXT),
                (&request.kind.as_str(), Type::TEXT),
                (&request.requestor.to_string(), Type::TEXT),
                (&request.target.to_string(), Type::TEXT),
                (&deadline_column(record), Type::INT8),
                (&to_json(record)?, Type::TEXT),
                (&entries, Type::TEXT_ARRAY),
            ],
        )?;
        let Some(first) = inserted.first() else {
            return Err(Fault::Fail(StoreError::Duplicate(request.id).into()));
        };
        let seq: i64 = column(first, 0, "request")?;
        let mut history = creation.history.clone();
        for (entry, row) in history.iter_mut().zip(&inserted) {
            entry.seq = to_u64(column(row, 1, "history entry")?);
        }
        if let Some(assignment) = &creation.assignment {
            write_assignment(&mut tx, assignment)?;
        }
        tx.commit()?;
        Ok(Some(Created {
            submitted: creation.submitted,
            stored: Stored {
                record: creation.record,
                version: 1,
                seq: to_u64(seq),
            },
            history,
        }))
    }

    /// One attempt at a deletion.
    fn try_delete(
        client: &mut Client,
        id: RequestId,
        caller: CallerFor<'_>,
        now: Timestamp,
    ) -> Result<Option<HistoryEntry>, Fault<TransitionError>> {
        let id_text = id.to_string();
        let mut tx = client.transaction()?;
        let Some(row) = tx.query_typed_opt(
            "SELECT seq, version, body FROM requests WHERE id = $1 FOR UPDATE",
            &[(&id_text, Type::TEXT)],
        )?
        else {
            return Err(Fault::Fail(TransitionError::NotFound(id)));
        };
        let current = stored(&row)?;
        let by = caller(&current.record);
        let request = &current.record.request;
        request.delete(&by)?;
        let mut entry = codec::deleted(request, &by, now);
        let written = tx.query_typed_one(
            "WITH gone AS (DELETE FROM requests WHERE id = $1 RETURNING id)
             INSERT INTO history (request_id, body) SELECT id, $2 FROM gone RETURNING seq",
            &[(&id_text, Type::TEXT), (&to_json(&entry)?, Type::TEXT)],
        )?;
        entry.seq = to_u64(column(&written, 0, "history entry")?);
        tx.commit()?;
        Ok(Some(entry))
    }

    /// One attempt at ending an assignment by its schedule.
    fn try_end_assignment(
        client: &mut Client,
        id: AssignmentId,
        now: Timestamp,
    ) -> Result<Option<AssignmentRecord>, Fault<TransitionError>> {
        let mut tx = client.transaction()?;
        let current = lock_assignment(&mut tx, id)?.ok_or_else(|| codec::missing_assignment(id))?;
        let (moved, entry) = codec::ended(&current, now)?;
        write_assignment(&mut tx, &moved)?;
        tx.execute_typed(
            "INSERT INTO history (request_id, body) VALUES ($1, $2)",
            &[
                (&entry.request_id.to_string(), Type::TEXT),
                (&to_json(&entry)?, Type::TEXT),
            ],
        )?;
        tx.commit()?;
        Ok(Some(moved))
    }
}

/// The assignment with this id, locked for the rest of the transaction.
fn lock_assignment(
    tx: &mut postgres::Transaction<'_>,
    id: AssignmentId,
) -> Result<Option<AssignmentRecord>, StoreError> {
    tx.query_typed_opt(
        "SELECT body FROM assignments WHERE id = $1 FOR UPDATE",
        &[(&id.to_string(), Type::TEXT)],
    )?
    .map(|row| codec::assignment(&column::<String>(&row, 0, "assignment")?))
    .transpose()
}

/// Inserts or replaces `record`, bumping its version.
fn write_assignment(
    tx: &mut postgres::Transaction<'_>,
    record: &AssignmentRecord,
) -> Result<(), StoreError> {
    let assignment = &record.assignment;
    tx.execute_typed(
        "INSERT INTO assignments (id, version, state, target, next_deadline, body)
         VALUES ($1, 1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET version = assignments.version + 1, state = excluded.state,
             target = excluded.target, next_deadline = excluded.next_deadline, body = excluded.body",
        &[
            (&assignment.id.to_string(), Type::TEXT),
            (&assignment.state.as_str(), Type::TEXT),
            (&assignment.target.to_string(), Type::TEXT),
            (&assignment_deadline(record), Type::INT8),
            (&to_json(record)?, Type::TEXT),
        ],
    )?;
    Ok(())
}

/// Column `index` of a snapshot row as text: anything else reads as a marker no check accepts.
fn loose_text(row: &Row, index: usize) -> String {
    row.try_get::<_, Option<String>>(index)
        .ok()
        .flatten()
        .unwrap_or_else(|| "<not text>".to_owned())
}

/// Every row, for the integrity check.
fn snapshot(tx: &mut postgres::Transaction<'_>) -> Result<Snapshot, StoreError> {
    let requests = tx
        .query(
            "SELECT seq, version, id, status, request_type, requestor, target, next_deadline, body
             FROM requests ORDER BY seq",
            &[],
        )?
        .iter()
        .map(|row| {
            Ok(RequestRow {
                seq: column(row, 0, "request")?,
                version: column(row, 1, "request")?,
                id: loose_text(row, 2),
                status: loose_text(row, 3),
                request_type: loose_text(row, 4),
                requestor: loose_text(row, 5),
                target: loose_text(row, 6),
                next_deadline: column(row, 7, "request")?,
                body: loose_text(row, 8),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let mut history = Vec::new();
    let mut rows = tx.query_raw(
        "SELECT seq, request_id, body FROM history ORDER BY seq",
        std::iter::empty::<i64>(),
    )?;
    while let Some(row) = rows.next()? {
        history.push(HistoryRow {
            seq: column(&row, 0, "history entry")?,
            request_id: loose_text(&row, 1),
            body: loose_text(&row, 2),
        });
    }
    drop(rows);
    let assignments = tx
        .query(
            "SELECT id, version, state, target, next_deadline, body FROM assignments ORDER BY id",
            &[],
        )?
        .iter()
        .map(|row| {
            Ok(AssignmentRow {
                id: loose_text(row, 0),
                version: column(row, 1, "assignment")?,
                state: loose_text(row, 2),
                target: loose_text(row, 3),
                next_deadline: column(row, 4, "assignment")?,
                body: loose_text(row, 5),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Snapshot {
        requests,
        history,
        assignments,
    })
}

impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn pool_status(&self) -> PoolStatus {
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

    fn observe(&self, observer: Arc<dyn Observer>) {
        self.observed.set(observer);
    }

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

    fn write_settings_if(
        &self,
        guard: &str,
        expected: Option<&str>,
        writes: &[(&str, &str)],
    ) -> Result<bool, StoreError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // Serialises the writers of this guard until commit; the row itself may not exist yet.
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[(&guard, Type::TEXT)],
        )?;
        let stored = tx
            .query_typed_opt(
                "SELECT value FROM meta WHERE key = $1",
                &[(&guard, Type::TEXT)],
            )?
            .map(|row| column::<String>(&row, 0, "setting"))
            .transpose()?;
        if stored.as_deref() != expected {
            return Ok(false);
        }
        for (key, value) in writes {
            tx.execute_typed(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[(key, Type::TEXT), (value, Type::TEXT)],
            )?;
        }
        tx.commit()?;
        Ok(true)
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
        new: &NewRequest,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Created, CreateFailure> {
        let id = new.submission.id;
        let mut client = self.client()?;
        retrying(
            &mut client,
            &self.observed,
            || StoreError::Contended(id),
            |client| Self::try_create(client, new, caller, now),
        )
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
        let request_type = query.request_type.map(|kind| kind.as_str().to_owned());
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
        command: Command,
        caller: CallerFor<'_>,
        now: Timestamp,
        justification: Option<&str>,
    ) -> Result<Transitioned, TransitionError> {
        let mut client = self.client()?;
        retrying(
            &mut client,
            &self.observed,
            || StoreError::Contended(id),
            |client| Self::try_transition(client, id, command, caller, now, justification),
        )
    }

    fn delete(
        &self,
        id: RequestId,
        caller: CallerFor<'_>,
        now: Timestamp,
    ) -> Result<HistoryEntry, TransitionError> {
        let mut client = self.client()?;
        retrying(
            &mut client,
            &self.observed,
            || StoreError::Contended(id),
            |client| Self::try_delete(client, id, caller, now),
        )
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

    fn assignment(&self, id: AssignmentId) -> Result<Option<AssignmentRecord>, StoreError> {
        let mut client = self.client()?;
        client
            .query_typed_opt(
                "SELECT body FROM assignments WHERE id = $1",
                &[(&id.to_string(), Type::TEXT)],
            )?
            .map(|row| codec::assignment(&column::<String>(&row, 0, "assignment")?))
            .transpose()
    }

    fn assignments(&self, query: &AssignmentQuery) -> Result<Vec<AssignmentRecord>, StoreError> {
        let mut client = self.client()?;
        let after = query.after.map(|id| id.to_string()).unwrap_or_default();
        let target = query.target.map(|id| id.to_string());
        let rows = client.query_typed(
            "SELECT body FROM assignments
             WHERE id > $1 AND ($2::text IS NULL OR target = $2)
             ORDER BY id LIMIT $3",
            &[
                (&after, Type::TEXT),
                (&target, Type::TEXT),
                (&i64::from(query.limit), Type::INT8),
            ],
        )?;
        rows.iter()
            .map(|row| codec::assignment(&column::<String>(row, 0, "assignment")?))
            .collect()
    }

    fn due_assignments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(AssignmentId, Timestamp)>, StoreError> {
        let mut client = self.client()?;
        let rows = client.query_typed(
            "SELECT body FROM assignments
             WHERE next_deadline IS NOT NULL AND next_deadline <= $1
             ORDER BY next_deadline, id LIMIT $2",
            &[
                (&to_i64(now.0), Type::INT8),
                (&i64::from(limit), Type::INT8),
            ],
        )?;
        let mut due = Vec::new();
        for row in &rows {
            let record = codec::assignment(&column::<String>(row, 0, "assignment")?)?;
            due.extend(
                record
                    .assignment
                    .next_deadline()
                    .map(|at| (record.assignment.id, at)),
            );
        }
        Ok(due)
    }

    fn end_assignment(
        &self,
        id: AssignmentId,
        now: Timestamp,
    ) -> Result<AssignmentRecord, TransitionError> {
        let mut client = self.client()?;
        retrying(
            &mut client,
            &self.observed,
            || StoreError::Contended(entitle_core::RequestId::new(id.guid())),
            |client| Self::try_end_assignment(client, id, now),
        )
    }

    fn integrity(&self) -> Result<Integrity, StoreError> {
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let snapshot = snapshot(&mut tx)?;
        tx.commit()?;
        Ok(integrity::check(&snapshot))
    }
}
