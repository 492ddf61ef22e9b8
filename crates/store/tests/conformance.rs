//! The storage contract, checked once for every backend.
//!
//! Each check is a plain function: most take a `&dyn Store`, the ones that need several handles on one
//! database (reopening, racing processes) or that reach around the contract (writing rows the store
//! did not write) take a `&dyn Database`, and the ones that need a fresh database per case take a way
//! to make one. The `conformance!` invocations at the end of this section run every check against a
//! fresh database of each backend, one `#[test]` per check per backend, so another backend runs the
//! very same checks by adding one line there. Every check on one handle ends by asking the store's own
//! integrity check, which must find nothing. Checks that only one backend can express (bytes that are
//! not text in SQLite, its file header; PostgreSQL's pool, migrations and retries) are in
//! `sqlite_only` and `postgres_only`.
//!
//! PostgreSQL: one throwaway cluster per test binary ([`PgCluster::shared`]), started by the first
//! check that needs it, and a fresh database per check. The cluster lives in a `static` whose
//! destructor never runs; its watchdog stops it when this process exits, however it exits (so the
//! checks stay one `#[test]` each, run in parallel, and a killed run leaves no server behind). When
//! the tests are built where PostgreSQL's binaries are missing, the PostgreSQL checks are ignored, with
//! the reason, unless `ENTITLE_REQUIRE_POSTGRES=1` (CI) requires them (see `build.rs`); a check that
//! runs fails if its cluster does not start.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::too_many_lines,
    reason = "tests"
)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use entitle_core::{
    Action, ActionKind, ApprovalRules, Assignment, AssignmentCondition, AssignmentEvent,
    AssignmentId, AssignmentRejection, AssignmentState, Caller, Condition, CreateError, Deadline,
    Denial, Duration, Guid, Operation, Permission, PolicyRules, Principal, Rejection, Request,
    RequestId, RequestStatus, RequestType, ReviewDecision, Role, StageApprovers, StageRejection,
    SubjectId, Submission, Timestamp,
};
use entitle_store::{
    AccessPackage, AssignmentPolicy, AssignmentQuery, AssignmentRecord, Catalog, Command,
    CreateFailure, Created, Directory, DirectoryError, Event, ExternalSubject, HistoryEntry,
    Integrity, NewRequest, PostgresStore, Query, RequestRecord, ReviewNote, SqliteStore, Store,
    StoreError, Stored, TransitionError, Transitioned, User,
};
use entitle_testkit::PgCluster;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------------

/// One fresh, empty database of a backend, on which any number of handles can be opened, and which a
/// check can also reach directly, around the store.
trait Database {
    /// A new handle on this database: its own connection, as another process would open it.
    fn open(&self) -> Box<dyn Store>;

    /// Runs `sql`, statements both backends understand, on a connection of its own.
    fn execute(&self, sql: &str);

    /// The first column of every row `sql` returns, as text (`NULL` for a null).
    fn texts(&self, sql: &str) -> Vec<String>;

    /// Makes every later write of a row of `assignments` fail, as a database error.
    fn fail_assignment_writes(&self);
}

/// A fresh SQLite file in its own temporary directory (removed on drop).
struct SqliteDatabase {
    _dir: TempDir,
    path: PathBuf,
}

impl SqliteDatabase {
    fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("entitle.db");
        Self { _dir: dir, path }
    }

    fn open_sqlite(&self) -> SqliteStore {
        SqliteStore::open(&self.path).expect("the database opens")
    }

    fn raw(&self) -> rusqlite::Connection {
        let connection = rusqlite::Connection::open(&self.path).unwrap();
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        connection
    }
}

impl Database for SqliteDatabase {
    fn open(&self) -> Box<dyn Store> {
        Box::new(self.open_sqlite())
    }

    fn execute(&self, sql: &str) {
        self.raw().execute_batch(sql).unwrap();
    }

    fn texts(&self, sql: &str) -> Vec<String> {
        use rusqlite::types::ValueRef;
        let connection = self.raw();
        let mut statement = connection.prepare(sql).unwrap();
        statement
            .query_map([], |row| {
                Ok(match row.get_ref(0)? {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(value) => value.to_string(),
                    ValueRef::Real(value) => value.to_string(),
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                })
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn fail_assignment_writes(&self) {
        self.execute(
            "CREATE TRIGGER fail_assignment_insert BEFORE INSERT ON assignments
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
             CREATE TRIGGER fail_assignment_update BEFORE UPDATE ON assignments
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        );
    }
}

/// A fresh database on the shared PostgreSQL cluster; each handle is its own pool, as another
/// process would have.
struct PostgresDatabase {
    url: String,
}

/// The pool size of each handle: the racing checks run 16 threads over one or two handles.
const POOL: u32 = 8;

impl PostgresDatabase {
    fn fresh() -> Self {
        let url = PgCluster::shared()
            .fresh_database("conformance")
            .expect("a fresh database");
        Self { url }
    }

    fn open_postgres(&self) -> PostgresStore {
        PostgresStore::connect(&self.url, POOL).expect("the database opens")
    }

    fn raw(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Database for PostgresDatabase {
    fn open(&self) -> Box<dyn Store> {
        Box::new(self.open_postgres())
    }

    fn execute(&self, sql: &str) {
        self.raw().batch_execute(sql).unwrap();
    }

    fn texts(&self, sql: &str) -> Vec<String> {
        self.raw()
            .simple_query(sql)
            .unwrap()
            .into_iter()
            .filter_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => {
                    Some(row.get(0).unwrap_or("NULL").to_owned())
                }
                _ => None,
            })
            .collect()
    }

    fn fail_assignment_writes(&self) {
        self.execute(
            "CREATE FUNCTION fail_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 RAISE EXCEPTION 'injected failure';
             END $$;
             CREATE TRIGGER fail_assignment BEFORE INSERT OR UPDATE ON assignments
                 FOR EACH ROW EXECUTE FUNCTION fail_assignment();",
        );
    }
}

/// Makes a fresh database of one backend.
type Fresh<'a> = &'a dyn Fn() -> Box<dyn Database>;

/// `conformance!(backend, fresh database, #[attribute]…)`: a module `backend` with one `#[test]` per
/// check, each with the attributes given.
macro_rules! conformance {
    ($backend:ident, $fresh:expr $(, #[$attribute:meta])* $(,)?) => {
        mod $backend {
            #[allow(unused_imports, reason = "the backend expression may name anything at the top")]
            use super::*;

            conformance!(@store [$(#[$attribute])*] $fresh;
                create_then_get_returns_the_record_at_version_1,
                a_processed_create_stores_the_submission_then_the_first_step,
                a_duplicate_create_is_refused_and_changes_nothing,
                a_create_the_core_refuses_writes_nothing,
                an_unknown_id_is_absent_everywhere,
                a_transition_applies_the_core_decision,
                a_rejected_transition_writes_nothing,
                the_caller_is_resolved_from_the_request_read_in_the_transaction,
                a_second_review_of_a_stage_is_refused_and_writes_nothing,
                a_review_records_its_justification_in_the_review_notes,
                a_panicking_caller_writes_nothing_and_the_store_stays_usable,
                an_adding_request_creates_and_moves_its_assignment,
                an_external_target_is_kept_with_the_request_and_its_assignment,
                an_admin_remove_expires_the_assignment_it_names,
                a_removal_of_an_unknown_or_ended_assignment_is_refused_and_writes_nothing,
                a_removal_the_assignment_refuses_at_delivery_writes_nothing,
                list_filters_in_insertion_order,
                list_honours_the_limit_and_the_cursor,
                paging_walks_every_row_exactly_once,
                due_lists_requests_once_their_deadline_passes,
                due_assignments_lists_ended_schedules_and_end_assignment_ends_them,
                assignments_are_listed_in_id_order_by_holder_and_page,
                delete_asks_the_core_and_keeps_the_history,
                the_directory_round_trips_and_refuses_inconsistency,
                the_directory_is_replaced_only_at_the_version_read,
                active_assignments_count_what_has_not_ended,
                the_clock_offset_defaults_to_zero_and_round_trips,
                the_clock_advances_atomically_up_to_a_bound,
                an_observer_hears_every_wait_for_a_connection,
                any_text_round_trips,
            );
            conformance!(@database [$(#[$attribute])*] $fresh;
                everything_survives_reopening,
                integrity_counts_a_sound_store_and_finds_nothing,
                concurrent_cancels_on_one_shared_handle_have_one_winner,
                concurrent_cancels_on_two_handles_have_one_winner,
                two_approvers_reviewing_one_stage_at_once_have_one_winner,
                a_removal_and_the_schedule_end_racing_on_one_assignment_have_one_winner,
                concurrent_clock_advances_on_two_handles_add_up,
                concurrent_directory_replacements_on_two_handles_have_one_winner,
                concurrent_creates_of_one_id_have_one_winner,
                concurrent_writers_lose_nothing,
                a_failed_assignment_write_rolls_back_its_request,
                a_garbage_body_is_corrupt_not_a_panic,
                a_body_breaking_the_record_or_the_core_invariants_is_corrupt,
                a_garbage_history_entry_is_corrupt,
                a_history_entry_with_an_unknown_field_is_corrupt,
                a_garbage_assignment_is_corrupt,
                garbage_settings_are_corrupt,
            );
            conformance!(@fresh [$(#[$attribute])*] $fresh;
                integrity_finds_every_kind_of_broken_row,
            );
            conformance!(@store [$(#[$attribute])*] $fresh;
                the_id_of_a_deleted_request_is_not_reused,
            );
        }
    };
    (@store $attributes:tt $fresh:expr; $($check:ident),* $(,)?) => {
        $(
            conformance!(@test $attributes fn $check() {
                let database = ($fresh)();
                let store = crate::Database::open(&database);
                crate::$check(&*store);
                crate::assert_sound(&*store);
            });
        )*
    };
    (@database $attributes:tt $fresh:expr; $($check:ident),* $(,)?) => {
        $(
            conformance!(@test $attributes fn $check() {
                let database = ($fresh)();
                crate::$check(&database);
            });
        )*
    };
    (@fresh $attributes:tt $fresh:expr; $($check:ident),* $(,)?) => {
        $(
            conformance!(@test $attributes fn $check() {
                crate::$check(&|| Box::new(($fresh)()) as Box<dyn crate::Database>);
            });
        )*
    };
    (@test [$(#[$attribute:meta])*] $check:item) => {
        #[test]
        $(#[$attribute])*
        $check
    };
}

conformance!(sqlite, SqliteDatabase::fresh);
conformance!(
    postgresql,
    PostgresDatabase::fresh,
    #[cfg_attr(
    not(entitle_postgres),
    ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
)]
);

// ---------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------

const T0: Timestamp = Timestamp(1_767_225_600_000);
const FAR_FUTURE: Timestamp = Timestamp(u64::MAX);

const REQUESTOR: SubjectId = subject(0x100);
const OTHER_REQUESTOR: SubjectId = subject(0x101);
const TARGET: SubjectId = subject(0x102);
const FIRST_APPROVER: SubjectId = subject(0x200);
const SECOND_APPROVER: SubjectId = subject(0x201);
const ALTERNATE_APPROVER: SubjectId = subject(0x202);
const CO_APPROVER: SubjectId = subject(0x203);
const ADMINISTRATOR: SubjectId = subject(0x300);

const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(n))
}

const fn request_id(n: u128) -> RequestId {
    RequestId::new(Guid::from_u128(0xa000_0000 + n))
}

/// The assignment request `n` creates, if it is an adding request.
fn assignment_of(n: u128) -> AssignmentId {
    AssignmentId::for_request(request_id(n))
}

/// An assignment id no request creates.
const UNKNOWN_ASSIGNMENT: AssignmentId = AssignmentId::new(Guid::from_u128(0xdead_beef));

/// Rules with `stages` approval stages, a 14-day decision timeout and optional escalation.
fn approval(stages: u8, escalate_after: Option<Duration>) -> PolicyRules {
    PolicyRules {
        approval: Some(ApprovalRules {
            stages,
            decision_timeout: Duration::days(14),
            escalate_after,
        }),
        callout_on_created: false,
    }
}

/// Request `n` of `kind` for `target` (or the assignment `assignment`), under `rules`, in package
/// `package` and policy `policy`, kept as submitted.
fn submission(
    n: u128,
    kind: RequestType,
    target: Option<SubjectId>,
    assignment: Option<AssignmentId>,
    rules: PolicyRules,
) -> NewRequest {
    NewRequest {
        submission: Submission {
            id: request_id(n),
            kind,
            target,
            assignment,
            rules,
            starts_at: None,
            ends_at: None,
            lasts: None,
        },
        access_package_id: "package".into(),
        assignment_policy_id: "policy".into(),
        justification: Some(format!("request {n}")),
        answers: Vec::new(),
        schedule: None,
        external_target: None,
        process: false,
    }
}

/// Request `n`: `REQUESTOR` asks for themselves under `rules`, kept as submitted.
fn draft(n: u128, rules: PolicyRules) -> NewRequest {
    submission(n, RequestType::UserAdd, Some(REQUESTOR), None, rules)
}

/// `new`, processed by the service in the same transaction, as the server creates requests.
fn processed(new: NewRequest) -> NewRequest {
    NewRequest {
        process: true,
        ..new
    }
}

/// `ADMINISTRATOR` assigns `TARGET` directly (no approval), processed at once: `Delivering`.
fn admin_add(n: u128, ends_at: Option<Timestamp>) -> NewRequest {
    let mut new = processed(submission(
        n,
        RequestType::AdminAdd,
        Some(TARGET),
        None,
        PolicyRules::default(),
    ));
    new.submission.ends_at = ends_at;
    new
}

/// `ADMINISTRATOR` removes `assignment`, processed at once.
fn admin_remove(n: u128, assignment: AssignmentId) -> NewRequest {
    processed(submission(
        n,
        RequestType::AdminRemove,
        None,
        Some(assignment),
        PolicyRules::default(),
    ))
}

/// `new` created by `by` at `T0`.
fn create_by(store: &dyn Store, new: &NewRequest, by: &Caller) -> Created {
    store.create(new, by, T0).unwrap()
}

/// `new` created by `REQUESTOR` at `T0`.
fn create(store: &dyn Store, new: &NewRequest) -> Created {
    create_by(store, new, &requestor())
}

/// The `Submitted` entry written when `by` submits `new`, as entitle-core created it.
fn submitted_entry(request: &Request, new: &NewRequest, by: &Caller) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        request_id: request.id,
        at: request.created_at,
        by: by.id,
        principal: by.principal,
        stage: 0,
        event: Event::Submitted {
            status: request.status,
        },
        justification: new.justification.clone(),
    }
}

/// The `Deleted` entry for `stored`, deleted by `by` at `at`.
fn deleted(stored: &Stored, by: &Caller, at: Timestamp) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        request_id: stored.record.request.id,
        at,
        by: by.id,
        principal: by.principal,
        stage: stored.record.request.approval_stage,
        event: Event::Deleted {
            status: stored.record.request.status,
        },
        justification: None,
    }
}

/// `entry` as written, without its position.
fn without_seq(entry: &HistoryEntry) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        ..entry.clone()
    }
}

fn system() -> Caller {
    Caller::system()
}

/// The requestor of the fixtures, signed in with the least privileged write permission.
fn requestor() -> Caller {
    Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
}

fn administrator() -> Caller {
    Caller::user(ADMINISTRATOR)
        .with_permission(Permission::ReadWriteAll)
        .with_role(Role::CatalogOwner)
}

/// A primary approver of `stage` (as the directory states it).
fn approver(id: SubjectId, stage: u8) -> Caller {
    Caller::user(id)
        .with_permission(Permission::ReadWriteAll)
        .approving(stage)
}

/// `kind` by `caller`, whatever the request.
fn act(
    store: &dyn Store,
    id: RequestId,
    kind: ActionKind,
    caller: Caller,
    now: Timestamp,
) -> Result<Transitioned, TransitionError> {
    store.transition(
        id,
        Command::Act(kind),
        &move |_: &RequestRecord| caller,
        now,
        None,
    )
}

/// A review of `stage` by `caller`, whatever the request.
fn review(
    store: &dyn Store,
    id: RequestId,
    (stage, decision): (u8, ReviewDecision),
    caller: Caller,
    now: Timestamp,
    justification: Option<&str>,
) -> Result<Transitioned, TransitionError> {
    store.transition(
        id,
        Command::Review { stage, decision },
        &move |_: &RequestRecord| caller,
        now,
        justification,
    )
}

/// Deletes `id` as `caller`, whatever the request.
fn delete(
    store: &dyn Store,
    id: RequestId,
    caller: Caller,
    now: Timestamp,
) -> Result<HistoryEntry, TransitionError> {
    store.delete(id, &move |_: &RequestRecord| caller, now)
}

/// Every request, in insertion order.
fn everything() -> Query {
    Query {
        limit: u32::MAX,
        ..Query::default()
    }
}

fn ids(store: &dyn Store, query: &Query) -> Vec<RequestId> {
    store
        .list(query)
        .unwrap()
        .into_iter()
        .map(|stored| stored.record.request.id)
        .collect()
}

/// Everything the store says about one request and its assignment, and the whole list.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    stored: Option<Stored>,
    history: Vec<HistoryEntry>,
    assignment: Option<AssignmentRecord>,
    all: Vec<Stored>,
    due: Vec<(RequestId, Deadline)>,
    due_assignments: Vec<(AssignmentId, Timestamp)>,
}

/// The snapshot of request `id` and of `assignment` (its own when `None`).
fn snapshot_with(store: &dyn Store, id: RequestId, assignment: Option<AssignmentId>) -> Snapshot {
    let stored = store.get(id).unwrap();
    let assignment = assignment
        .or_else(|| stored.as_ref().map(|s| s.record.request.assignment))
        .unwrap_or_else(|| AssignmentId::for_request(id));
    Snapshot {
        history: store.history(id).unwrap(),
        assignment: store.assignment(assignment).unwrap(),
        all: store.list(&everything()).unwrap(),
        due: store.due(FAR_FUTURE, 100).unwrap(),
        due_assignments: store.due_assignments(FAR_FUTURE, 100).unwrap(),
        stored,
    }
}

fn snapshot(store: &dyn Store, id: RequestId) -> Snapshot {
    snapshot_with(store, id, None)
}

/// Asserts that `result` is the core's rejection `expected` and that nothing changed.
fn assert_rejected<T: std::fmt::Debug>(
    store: &dyn Store,
    id: RequestId,
    result: Result<T, TransitionError>,
    expected: Rejection,
    before: &Snapshot,
) {
    match result {
        Err(TransitionError::Rejected(rejection)) => assert_eq!(rejection, expected),
        other => panic!("expected the rejection {expected:?}, got {other:?}"),
    }
    assert_eq!(&snapshot(store, id), before, "a rejection wrote something");
}

fn assert_increasing(history: &[HistoryEntry]) {
    assert!(
        history.windows(2).all(|pair| pair[0].seq < pair[1].seq),
        "history seqs are not increasing: {history:?}"
    );
}

/// The store's own integrity check finds nothing.
fn assert_sound(store: &dyn Store) -> Integrity {
    let report = store.integrity().unwrap();
    assert!(report.is_ok(), "{}", report.summary(20));
    assert_eq!(report.summary(20), "ok");
    report
}

/// The assignment `history` entry moved, if any.
fn assignment_row(
    entry: &HistoryEntry,
) -> Option<(Option<AssignmentState>, AssignmentEvent, AssignmentState)> {
    match &entry.event {
        Event::Transition {
            assignment: Some(row),
            ..
        } => Some((row.from, row.event, row.to)),
        _ => None,
    }
}

/// A tenant whose policy `policy` has two stages: `FIRST_APPROVER` and `CO_APPROVER` decide stage 0
/// (with `ALTERNATE_APPROVER` once escalated), `SECOND_APPROVER` stage 1; `ADMINISTRATOR` owns the
/// catalog.
fn tenant() -> Directory {
    Directory {
        groups: Vec::new(),
        document: entitle_graph::tenant::TenantDocument::default(),
        users: vec![User {
            id: REQUESTOR,
            display_name: "Adele Vance".into(),
            user_principal_name: "adele@contoso.test".into(),
            manager_id: None,
            connected_organization_id: None,
            guest: false,
        }],
        catalogs: vec![Catalog {
            id: "catalog".into(),
            display_name: "General".into(),
        }],
        access_packages: vec![AccessPackage {
            id: "package".into(),
            catalog_id: "catalog".into(),
            display_name: "Sales".into(),
            description: String::new(),
        }],
        policies: vec![AssignmentPolicy {
            id: "policy".into(),
            access_package_id: "package".into(),
            display_name: "Two stages".into(),
            rules: approval(2, Some(Duration::days(3))),
            stages: vec![
                StageApprovers::users(&[FIRST_APPROVER, CO_APPROVER], &[ALTERNATE_APPROVER]),
                StageApprovers::users(&[SECOND_APPROVER], &[]),
            ],
            custom_extension_id: None,
            questions: Vec::new(),
            on_behalf_requestors: Vec::new(),
            requestors: entitle_core::RequestorRules::OPEN,
            allowed_targets: Vec::new(),
        }],
        role_assignments: vec![entitle_store::RoleAssignment {
            principal_id: ADMINISTRATOR,
            role: Role::CatalogOwner,
            catalog_id: Some("catalog".into()),
        }],
        connected_organizations: Vec::new(),
    }
}

/// Resolves `who` as the server does, from the record read in the transaction: their roles in the
/// request's catalog and the stages of its policy they approve. Records every record it is given.
fn resolver<'a>(
    directory: &'a Directory,
    who: SubjectId,
    seen: &'a Mutex<Vec<RequestRecord>>,
) -> impl Fn(&RequestRecord) -> Caller + Sync + 'a {
    move |record| {
        seen.lock().unwrap().push(record.clone());
        let mut caller = Caller::user(who).with_permission(Permission::ReadWriteAll);
        caller.roles = directory.catalog_roles(who, &record.access_package_id);
        caller.approver_of = directory.approver_of(
            &record.assignment_policy_id,
            who,
            Some(record.request.target),
        );
        caller
    }
}

// ---------------------------------------------------------------------------------------------------
// Checks on one handle
// ---------------------------------------------------------------------------------------------------

fn create_then_get_returns_the_record_at_version_1(store: &dyn Store) {
    let new = draft(1, PolicyRules::default());
    let id = request_id(1);
    let created = create(store, &new);

    let expected = Request::create(&new.submission, &requestor(), None, T0)
        .unwrap()
        .request;
    assert_eq!(expected.status, RequestStatus::Accepted);
    assert_eq!(created.submitted, expected);
    assert_eq!(
        created.stored.record,
        RequestRecord::new(expected, "package", "policy", Some("request 1".into()))
    );
    assert_eq!(created.stored.version, 1);
    assert_eq!(store.get(id).unwrap(), Some(created.stored.clone()));
    assert_eq!(store.assignment(assignment_of(1)).unwrap(), None);

    let history = store.history(id).unwrap();
    assert_eq!(history, created.history);
    assert_eq!(history.len(), 1);
    assert_ne!(history[0].seq, 0, "a written entry has its position");
    assert_eq!(
        without_seq(&history[0]),
        submitted_entry(&expected, &new, &requestor())
    );

    let second = create(store, &draft(2, approval(1, None)));
    assert!(
        second.stored.seq > created.stored.seq,
        "a later insertion has a later seq"
    );
    assert_eq!(store.get(id).unwrap(), Some(created.stored));
    assert_eq!(store.history(id).unwrap(), history);
}

fn a_processed_create_stores_the_submission_then_the_first_step(store: &dyn Store) {
    let new = processed(draft(1, approval(1, None)));
    let id = request_id(1);
    let created = create(store, &new);

    let submitted = Request::create(&new.submission, &requestor(), None, T0)
        .unwrap()
        .request;
    let decided = submitted
        .decide(&Action::by_system(ActionKind::Process), None, T0)
        .unwrap();
    assert_eq!(
        created.submitted, submitted,
        "the create answers the submission"
    );
    assert_eq!(created.submitted.status, RequestStatus::Accepted);
    assert_eq!(created.stored.version, 1);
    assert_eq!(created.stored.record.request, decided.step.request);
    assert_eq!(
        created.stored.record.request.status,
        RequestStatus::PendingApproval
    );
    assert_eq!(store.get(id).unwrap(), Some(created.stored.clone()));

    let history = store.history(id).unwrap();
    assert_eq!(history, created.history);
    assert_eq!(history.len(), 2);
    assert_increasing(&history);
    assert_eq!(
        without_seq(&history[0]),
        submitted_entry(&submitted, &new, &requestor())
    );
    assert_eq!(
        without_seq(&history[1]),
        HistoryEntry::of_step(&decided, system().id, Principal::System, 0, None)
    );
    assert_eq!(
        history
            .iter()
            .map(HistoryEntry::status_after)
            .collect::<Vec<_>>(),
        [
            Some(Some(RequestStatus::Accepted)),
            Some(Some(RequestStatus::PendingApproval))
        ]
    );
    // Pending approval: no assignment yet.
    assert_eq!(store.assignment(assignment_of(1)).unwrap(), None);
}

fn a_duplicate_create_is_refused_and_changes_nothing(store: &dyn Store) {
    let id = request_id(1);
    create(store, &processed(draft(1, PolicyRules::default())));
    let before = snapshot(store, id);
    assert!(before.assignment.is_some(), "delivery started");

    let other = Caller::user(OTHER_REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
    let mut again = processed(submission(
        1,
        RequestType::UserAdd,
        Some(OTHER_REQUESTOR),
        None,
        approval(1, None),
    ));
    again.justification = Some("the same id again".into());
    for process in [true, false] {
        again.process = process;
        match store.create(&again, &other, T0.after(Duration::hours(1))) {
            Err(CreateFailure::Store(StoreError::Duplicate(duplicate))) => {
                assert_eq!(duplicate, id);
            }
            other => panic!("expected Duplicate, got {other:?}"),
        }
        assert_eq!(snapshot(store, id), before);
    }
}

fn a_create_the_core_refuses_writes_nothing(store: &dyn Store) {
    let bystander = create(store, &draft(9, PolicyRules::default()));
    let before = snapshot(store, bystander.stored.record.request.id);
    let refusals: [(NewRequest, Caller, CreateError); 4] = [
        // For someone else, as an end user.
        (
            processed(submission(
                1,
                RequestType::UserAdd,
                Some(TARGET),
                None,
                PolicyRules::default(),
            )),
            requestor(),
            CreateError::Unauthorized(Denial::NotTheTarget {
                operation: Operation::Create(RequestType::UserAdd),
            }),
        ),
        // An administrator's request type without the role.
        (
            admin_add(1, None),
            Caller::user(OTHER_REQUESTOR).with_permission(Permission::ReadWriteAll),
            CreateError::Unauthorized(Denial::MissingAdministratorRole {
                operation: Operation::Create(RequestType::AdminAdd),
            }),
        ),
        // A policy Entra would not accept.
        (
            processed(draft(1, approval(0, None))),
            requestor(),
            CreateError::Invalid(entitle_core::InvalidInput::ApprovalStages { stages: 0 }),
        ),
        // A removal that names no assignment.
        (
            processed(submission(
                1,
                RequestType::AdminRemove,
                None,
                None,
                PolicyRules::default(),
            )),
            administrator(),
            CreateError::Invalid(entitle_core::InvalidInput::MissingAssignment {
                request_type: RequestType::AdminRemove,
            }),
        ),
    ];
    for (new, by, expected) in refusals {
        match store.create(&new, &by, T0) {
            Err(CreateFailure::Refused(refusal)) => assert_eq!(refusal, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
        assert_eq!(store.get(request_id(1)).unwrap(), None);
        assert!(store.history(request_id(1)).unwrap().is_empty());
        assert_eq!(store.assignment(assignment_of(1)).unwrap(), None);
        assert_eq!(snapshot(store, bystander.stored.record.request.id), before);
    }
}

fn an_unknown_id_is_absent_everywhere(store: &dyn Store) {
    let known = create(store, &draft(1, PolicyRules::default()));
    let unknown = request_id(2);
    let before = snapshot(store, known.stored.record.request.id);

    assert_eq!(store.get(unknown).unwrap(), None);
    assert!(store.history(unknown).unwrap().is_empty());
    assert_eq!(store.assignment(assignment_of(2)).unwrap(), None);
    assert_eq!(store.assignment(UNKNOWN_ASSIGNMENT).unwrap(), None);

    let calls = AtomicUsize::new(0);
    let caller = |_: &RequestRecord| {
        calls.fetch_add(1, Ordering::SeqCst);
        system()
    };
    for command in [
        Command::Act(ActionKind::Process),
        Command::Review {
            stage: 0,
            decision: ReviewDecision::Approve,
        },
    ] {
        match store.transition(unknown, command, &caller, T0, None) {
            Err(TransitionError::NotFound(missing)) => assert_eq!(missing, unknown),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
    match store.delete(unknown, &caller, T0) {
        Err(TransitionError::NotFound(missing)) => assert_eq!(missing, unknown),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no request, no caller to resolve"
    );
    assert!(
        store.history(unknown).unwrap().is_empty(),
        "no entry for what did nothing"
    );

    // An assignment the store does not hold is a corrupt reference when asked to end it.
    match store.end_assignment(UNKNOWN_ASSIGNMENT, FAR_FUTURE) {
        Err(TransitionError::Store(StoreError::Corrupt { what, .. })) => {
            assert_eq!(what, "assignment");
        }
        other => panic!("expected a corrupt reference, got {other:?}"),
    }
    assert_eq!(snapshot(store, known.stored.record.request.id), before);
}

fn a_transition_applies_the_core_decision(store: &dyn Store) {
    let new = draft(1, approval(2, Some(Duration::days(3))));
    let id = request_id(1);
    let created = create(store, &new);

    let now = T0.after(Duration::hours(1));
    let decided = created
        .stored
        .record
        .request
        .decide(&Action::by_system(ActionKind::Process), None, now)
        .unwrap();
    let step = decided.step;
    let moved = store
        .transition(
            id,
            Command::Act(ActionKind::Process),
            &|_: &RequestRecord| system(),
            now,
            Some("routed"),
        )
        .unwrap();

    let mut expected = created.stored.record.clone();
    expected.request = step.request;
    assert_eq!(expected.request.status, RequestStatus::PendingApproval);
    assert_eq!(
        moved.stored,
        Stored {
            record: expected,
            version: 2,
            seq: created.stored.seq,
        }
    );
    assert_eq!(store.get(id).unwrap(), Some(moved.stored.clone()));

    let Event::Transition {
        rule,
        authority,
        assignment,
    } = &moved.entry.event
    else {
        panic!("a transition records its rule: {:?}", moved.entry);
    };
    assert_eq!(
        (rule.from, rule.action, rule.to),
        (
            RequestStatus::Accepted,
            ActionKind::Process,
            RequestStatus::PendingApproval
        )
    );
    assert_eq!(rule, step.rule);
    assert_eq!(authority, &step.authority.to_string());
    assert_eq!(*assignment, None, "approval first: no assignment moves");
    assert_eq!(
        without_seq(&moved.entry),
        HistoryEntry::of_step(
            &decided,
            system().id,
            Principal::System,
            0,
            Some("routed".into())
        )
    );

    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[0].event,
        Event::Submitted {
            status: RequestStatus::Accepted
        }
    );
    assert_eq!(history[1], moved.entry);
    assert_increasing(&history);

    // Stage 0 approved by its approver: stage 1, version 3, the entry records the stage it left.
    let later = now.after(Duration::hours(1));
    let first = approver(FIRST_APPROVER, 0);
    let approved = act(store, id, ActionKind::Approve, first, later).unwrap();
    assert_eq!(approved.stored.version, 3);
    assert_eq!(approved.stored.record.request.approval_stage, 1);
    assert_eq!(
        approved.stored.record.request.stage_started_at(),
        Some(later)
    );
    assert_eq!(
        approved
            .stored
            .record
            .request
            .stage(0)
            .and_then(entitle_core::Stage::review)
            .map(|review| (review.decision, review.by, review.at)),
        Some((ReviewDecision::Approve, FIRST_APPROVER, later))
    );
    assert_eq!(approved.entry.stage, 0);
    assert_eq!(approved.entry.by, FIRST_APPROVER);
    assert_eq!(approved.entry.principal, Principal::WorkOrSchoolUser);
    assert_eq!(approved.entry.at, later);
    assert_eq!(approved.entry.justification, None);
    assert!(approved.stored.record.review_notes.is_empty());

    // Stage 1 reviewed through the stage itself: the last stage, delivery starts.
    let second = approver(SECOND_APPROVER, 1);
    let done = review(store, id, (1, ReviewDecision::Approve), second, later, None).unwrap();
    assert_eq!(done.stored.version, 4);
    assert_eq!(done.stored.record.request.status, RequestStatus::Delivering);
    assert_eq!(done.entry.stage, 1);
    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[2], approved.entry);
    assert_eq!(history[3], done.entry);
    assert_increasing(&history);
    assert_eq!(
        history
            .iter()
            .filter_map(HistoryEntry::status_after)
            .collect::<Vec<_>>(),
        [
            Some(RequestStatus::Accepted),
            Some(RequestStatus::PendingApproval),
            Some(RequestStatus::PendingApproval),
            Some(RequestStatus::Delivering),
        ]
    );
}

fn a_rejected_transition_writes_nothing(store: &dyn Store) {
    // From a status with no row for the action.
    let id = request_id(1);
    create(store, &processed(draft(1, PolicyRules::default())));
    act(store, id, ActionKind::Deliver, system(), T0).unwrap();
    let before = snapshot(store, id);
    assert_eq!(
        before
            .stored
            .as_ref()
            .map(|s| (s.version, s.record.request.status)),
        Some((2, RequestStatus::Delivered))
    );
    let result = act(store, id, ActionKind::Cancel, requestor(), T0);
    let expected = Rejection::NotAllowed {
        status: RequestStatus::Delivered,
        action: ActionKind::Cancel,
    };
    assert_rejected(store, id, result, expected, &before);
    let result = review(
        store,
        id,
        (0, ReviewDecision::Approve),
        approver(FIRST_APPROVER, 0),
        T0,
        Some("no"),
    );
    let expected = Rejection::Stage(StageRejection::NoSuchStage { stage: 0 });
    assert_rejected(store, id, result, expected, &before);

    // Callers without the authority, on a cancelable request.
    let id = request_id(2);
    create(store, &processed(draft(2, approval(1, None))));
    let before = snapshot(store, id);
    let act_on = |kind| Operation::Act(kind);
    let denials = [
        (
            Caller::user(REQUESTOR),
            ActionKind::Cancel,
            Denial::MissingPermission {
                operation: act_on(ActionKind::Cancel),
                permission: Permission::SubjectAccessReadWrite,
            },
        ),
        (
            Caller::user(OTHER_REQUESTOR).with_permission(Permission::ReadWriteAll),
            ActionKind::Cancel,
            Denial::MissingAdministratorRole {
                operation: act_on(ActionKind::Cancel),
            },
        ),
        (
            administrator(),
            ActionKind::Expire,
            Denial::PrincipalNotSupported {
                operation: act_on(ActionKind::Expire),
                principal: Principal::WorkOrSchoolUser,
            },
        ),
        (
            Caller::user(FIRST_APPROVER).with_permission(Permission::ReadWriteAll),
            ActionKind::Approve,
            Denial::NotAnApprover {
                operation: act_on(ActionKind::Approve),
            },
        ),
    ];
    for (caller, kind, denial) in denials {
        let result = act(store, id, kind, caller, T0);
        assert_rejected(store, id, result, Rejection::Unauthorized(denial), &before);
    }
    // Reviews the stage refuses: another stage's approver, a stage the policy lacks, the requestor.
    let stage_refusals = [
        (
            1,
            approver(SECOND_APPROVER, 0).approving(1),
            Rejection::Stage(StageRejection::NoSuchStage { stage: 1 }),
        ),
        (
            0,
            approver(SECOND_APPROVER, 1),
            Rejection::Unauthorized(Denial::NotAnApprover {
                operation: act_on(ActionKind::Approve),
            }),
        ),
        (
            0,
            Caller::user(REQUESTOR)
                .with_permission(Permission::ReadWriteAll)
                .approving(0),
            Rejection::Unauthorized(Denial::OwnRequest {
                operation: act_on(ActionKind::Approve),
            }),
        ),
    ];
    for (stage, caller, expected) in stage_refusals {
        let result = review(
            store,
            id,
            (stage, ReviewDecision::Approve),
            caller,
            T0,
            Some("refused"),
        );
        assert_rejected(store, id, result, expected, &before);
    }

    // A timed action before its time.
    let result = act(
        store,
        id,
        ActionKind::Expire,
        system(),
        T0.after(Duration::days(13)),
    );
    let expected = Rejection::ConditionNotMet {
        status: RequestStatus::PendingApproval,
        action: ActionKind::Expire,
        unmet: Condition::DecisionTimedOut,
    };
    assert_rejected(store, id, result, expected, &before);
}

fn the_caller_is_resolved_from_the_request_read_in_the_transaction(store: &dyn Store) {
    let directory = tenant();
    let seen = Mutex::new(Vec::new());
    let id = request_id(1);
    let stale = create(
        store,
        &processed(draft(1, approval(2, Some(Duration::days(3))))),
    );

    // Stage 0: its approver may approve.
    let current = store.get(id).unwrap().unwrap();
    let first = resolver(&directory, FIRST_APPROVER, &seen);
    let moved = store
        .transition(id, Command::Act(ActionKind::Approve), &first, T0, None)
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), std::slice::from_ref(&current.record));
    assert_eq!(moved.stored.record.request.approval_stage, 1);

    // Stage 1, as read in the transaction (not the caller's stale copy at stage 0): the first
    // approver does not approve it; the second does.
    assert_eq!(stale.stored.record.request.approval_stage, 0);
    seen.lock().unwrap().clear();
    let before = snapshot(store, id);
    let result = store.transition(id, Command::Act(ActionKind::Approve), &first, T0, None);
    let expected = Rejection::Stage(StageRejection::NotAssigned { stage: 1 });
    assert_rejected(store, id, result, expected, &before);
    assert_eq!(
        *seen.lock().unwrap(),
        std::slice::from_ref(&moved.stored.record)
    );

    let second = resolver(&directory, SECOND_APPROVER, &seen);
    let done = store
        .transition(id, Command::Act(ActionKind::Approve), &second, T0, None)
        .unwrap();
    assert_eq!(done.stored.record.request.status, RequestStatus::Delivering);

    // Escalation: the alternate approver decides only once the stage has escalated.
    seen.lock().unwrap().clear();
    let id = request_id(2);
    create(
        store,
        &processed(draft(2, approval(2, Some(Duration::days(3))))),
    );
    let alternate = resolver(&directory, ALTERNATE_APPROVER, &seen);
    let before = snapshot(store, id);
    let result = store.transition(id, Command::Act(ActionKind::Approve), &alternate, T0, None);
    let expected = Rejection::Stage(StageRejection::NotEscalated { stage: 0 });
    assert_rejected(store, id, result, expected, &before);
    let due = T0.after(Duration::days(3));
    act(store, id, ActionKind::Escalate, system(), due).unwrap();
    let escalated = store
        .transition(id, Command::Act(ActionKind::Approve), &alternate, due, None)
        .unwrap();
    assert_eq!(escalated.stored.record.request.approval_stage, 1);
    assert_eq!(escalated.entry.by, ALTERNATE_APPROVER);
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .map(|record| record.request.status)
            .collect::<Vec<_>>(),
        [
            RequestStatus::PendingApproval,
            RequestStatus::PendingApprovalEscalated
        ]
    );

    // Deletion resolves its caller the same way: the catalog owner of the record's package.
    seen.lock().unwrap().clear();
    let id = request_id(3);
    create(store, &processed(draft(3, approval(1, None))));
    let canceled = act(store, id, ActionKind::Cancel, requestor(), T0).unwrap();
    let owner = resolver(&directory, ADMINISTRATOR, &seen);
    let entry = store.delete(id, &owner, T0).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        std::slice::from_ref(&canceled.stored.record)
    );
    assert_eq!(entry.by, ADMINISTRATOR);
}

/// Two approvers of stage 0 review it one after the other: the second review is refused and writes
/// nothing, whatever the first decided.
fn a_second_review_of_a_stage_is_refused_and_writes_nothing(store: &dyn Store) {
    for (n, first_decision) in [(1, ReviewDecision::Approve), (2, ReviewDecision::Deny)] {
        let id = request_id(n);
        create(store, &processed(draft(n, approval(2, None))));
        let first = review(
            store,
            id,
            (0, first_decision),
            approver(FIRST_APPROVER, 0),
            T0,
            Some("first"),
        )
        .unwrap();
        let before = snapshot(store, id);
        for decision in [ReviewDecision::Approve, ReviewDecision::Deny] {
            let result = review(
                store,
                id,
                (0, decision),
                approver(CO_APPROVER, 0),
                T0,
                Some("second"),
            );
            let expected = Rejection::Stage(StageRejection::AlreadyReviewed { stage: 0 });
            assert_rejected(store, id, result, expected, &before);
        }
        assert_eq!(
            before.stored.unwrap().record.review_notes,
            first.stored.record.review_notes
        );
    }
}

fn a_review_records_its_justification_in_the_review_notes(store: &dyn Store) {
    let id = request_id(1);
    create(store, &processed(draft(1, approval(3, None))));
    let first = review(
        store,
        id,
        (0, ReviewDecision::Approve),
        approver(FIRST_APPROVER, 0),
        T0,
        Some("Knows the customer"),
    )
    .unwrap();
    assert_eq!(
        first.stored.record.review_notes,
        [ReviewNote {
            stage: 0,
            justification: "Knows the customer".into(),
        }]
    );
    assert_eq!(
        first.stored.record.review_note(0),
        Some("Knows the customer")
    );
    assert_eq!(
        first.entry.justification.as_deref(),
        Some("Knows the customer")
    );

    // A review without a justification leaves no note; an approval by action keeps one too.
    let second = review(
        store,
        id,
        (1, ReviewDecision::Approve),
        approver(SECOND_APPROVER, 1),
        T0,
        None,
    )
    .unwrap();
    assert_eq!(second.stored.record.review_note(1), None);
    assert_eq!(second.stored.record.review_notes.len(), 1);
    let third = store
        .transition(
            id,
            Command::Act(ActionKind::Deny),
            &|_: &RequestRecord| approver(FIRST_APPROVER, 2),
            T0,
            Some("Not this quarter"),
        )
        .unwrap();
    assert_eq!(third.stored.record.request.status, RequestStatus::Denied);
    assert_eq!(
        third.stored.record.review_notes,
        [
            ReviewNote {
                stage: 0,
                justification: "Knows the customer".into(),
            },
            ReviewNote {
                stage: 2,
                justification: "Not this quarter".into(),
            },
        ]
    );
    assert_eq!(store.get(id).unwrap(), Some(third.stored.clone()));

    // A justification on a step that reviews nothing is kept with its entry only.
    let id = request_id(2);
    create(store, &draft(2, approval(1, None)));
    let routed = store
        .transition(
            id,
            Command::Act(ActionKind::Process),
            &|_: &RequestRecord| system(),
            T0,
            Some("routed"),
        )
        .unwrap();
    assert!(routed.stored.record.review_notes.is_empty());
    assert_eq!(routed.entry.justification.as_deref(), Some("routed"));
}

fn a_panicking_caller_writes_nothing_and_the_store_stays_usable(store: &dyn Store) {
    let id = request_id(1);
    create(store, &draft(1, approval(1, None)));
    let before = snapshot(store, id);

    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.transition(
            id,
            Command::Act(ActionKind::Process),
            &|_: &RequestRecord| -> Caller { panic!("the directory lookup failed") },
            T0,
            None,
        )
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(
        snapshot(store, id),
        before,
        "a panicking caller wrote something"
    );

    let moved = act(store, id, ActionKind::Process, system(), T0).unwrap();
    assert_eq!(moved.stored.version, 2);
    assert_eq!(store.history(id).unwrap().len(), 2);

    // The same in a deletion.
    act(store, id, ActionKind::Cancel, requestor(), T0).unwrap();
    let before = snapshot(store, id);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.delete(
            id,
            &|_: &RequestRecord| -> Caller { panic!("the directory lookup failed") },
            T0,
        )
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(snapshot(store, id), before, "a panicking caller deleted");
    delete(store, id, administrator(), T0).unwrap();
    assert_eq!(store.get(id).unwrap(), None);
}

fn an_external_target_is_kept_with_the_request_and_its_assignment(store: &dyn Store) {
    let external = ExternalSubject {
        id: TARGET,
        email: "lee.gu@fabrikam.test".into(),
        display_name: Some("Lee Gu".into()),
        connected_organization_id: Some("fabrikam".into()),
    };
    let new = NewRequest {
        external_target: Some(external.clone()),
        ..admin_add(1, None)
    };
    let created = create_by(store, &new, &administrator());
    assert_eq!(
        created.stored.record.external_target,
        Some(external.clone())
    );
    let read = store.get(request_id(1)).unwrap().unwrap();
    assert_eq!(read.record.external_target, Some(external.clone()));
    let assignment = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(assignment.external_target, Some(external.clone()));
    // Delivery keeps it on the assignment.
    act(store, request_id(1), ActionKind::Deliver, system(), T0).unwrap();
    let assignment = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(assignment.external_target, Some(external));
}

fn an_adding_request_creates_and_moves_its_assignment(store: &dyn Store) {
    // Without approval, the creation starts delivery: the assignment is written with the request.
    let id = request_id(1);
    let ends = T0.after(Duration::days(30));
    let created = create_by(store, &admin_add(1, Some(ends)), &administrator());
    assert_eq!(
        created.stored.record.request.status,
        RequestStatus::Delivering
    );
    let assignment = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(
        assignment.assignment,
        Assignment {
            id: assignment_of(1),
            target: TARGET,
            state: AssignmentState::Delivering,
            starts_at: None,
            ends_at: Some(ends),
            created_by: id,
            expired_at: None,
        }
    );
    assert_eq!(
        (
            assignment.access_package_id.as_str(),
            assignment.assignment_policy_id.as_str()
        ),
        ("package", "policy")
    );
    assert_eq!(
        assignment_row(&created.history[1]),
        Some((
            None,
            AssignmentEvent::DeliveryStarted,
            AssignmentState::Delivering
        ))
    );
    assert_eq!(store.due_assignments(FAR_FUTURE, 10).unwrap(), []);

    // Delivery moves it with the request.
    let delivered = act(store, id, ActionKind::Deliver, system(), T0).unwrap();
    assert_eq!(
        assignment_row(&delivered.entry),
        Some((
            Some(AssignmentState::Delivering),
            AssignmentEvent::Delivered,
            AssignmentState::Delivered
        ))
    );
    let after = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(after.assignment.state, AssignmentState::Delivered);
    assert_eq!(
        AssignmentRecord {
            assignment: assignment.assignment,
            ..after.clone()
        },
        assignment,
        "only its state moved"
    );
    assert_eq!(
        store.due_assignments(FAR_FUTURE, 10).unwrap(),
        [(assignment_of(1), ends)]
    );

    // With approval, the approval of the last stage starts delivery; a failed delivery is retried.
    let id = request_id(2);
    let aid = assignment_of(2);
    create(store, &processed(draft(2, approval(1, None))));
    assert_eq!(store.assignment(aid).unwrap(), None);
    let approved = review(
        store,
        id,
        (0, ReviewDecision::Approve),
        approver(FIRST_APPROVER, 0),
        T0,
        None,
    )
    .unwrap();
    assert_eq!(
        approved.stored.record.request.status,
        RequestStatus::Delivering
    );
    assert_eq!(
        assignment_row(&approved.entry),
        Some((
            None,
            AssignmentEvent::DeliveryStarted,
            AssignmentState::Delivering
        ))
    );
    let state = || store.assignment(aid).unwrap().unwrap().assignment.state;
    assert_eq!(state(), AssignmentState::Delivering);
    let steps = [
        (
            ActionKind::FailDelivery,
            system(),
            AssignmentState::DeliveryFailed,
        ),
        (
            ActionKind::Reprocess,
            administrator(),
            AssignmentState::Delivering,
        ),
        (
            ActionKind::DeliverPartially,
            system(),
            AssignmentState::PartiallyDelivered,
        ),
        (
            ActionKind::Reprocess,
            administrator(),
            AssignmentState::Delivering,
        ),
        (ActionKind::Deliver, system(), AssignmentState::Delivered),
    ];
    for (version, (kind, by, expected)) in (3..).zip(steps) {
        let moved = act(store, id, kind, by, T0.after(Duration::days(1))).unwrap();
        assert_eq!(moved.stored.version, version);
        assert_eq!(
            assignment_row(&moved.entry).map(|row| row.2),
            Some(expected)
        );
        assert_eq!(state(), expected, "after {kind}");
    }
    let history = store.history(id).unwrap();
    assert_eq!(
        history.iter().filter_map(assignment_row).count(),
        6,
        "every move of the assignment is in the history"
    );

    // The request alone never moves its assignment: a cancel before delivery creates none.
    create(store, &processed(draft(3, approval(1, None))));
    act(store, request_id(3), ActionKind::Cancel, requestor(), T0).unwrap();
    assert_eq!(store.assignment(assignment_of(3)).unwrap(), None);
}

/// `ADMINISTRATOR` assigns `TARGET` with request 1 and delivers it; returns the assignment.
fn delivered_assignment(store: &dyn Store, ends_at: Option<Timestamp>) -> AssignmentRecord {
    create_by(store, &admin_add(1, ends_at), &administrator());
    act(store, request_id(1), ActionKind::Deliver, system(), T0).unwrap();
    let record = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(record.assignment.state, AssignmentState::Delivered);
    record
}

fn an_admin_remove_expires_the_assignment_it_names(store: &dyn Store) {
    let assignment = delivered_assignment(store, None);
    let adding = store.get(request_id(1)).unwrap().unwrap();

    let new = admin_remove(2, assignment_of(1));
    let created = create_by(store, &new, &administrator());
    let removal = created.stored.record.request;
    assert_eq!(removal.kind, RequestType::AdminRemove);
    assert_eq!(removal.assignment, assignment_of(1));
    assert_eq!(
        removal.target, TARGET,
        "the target is the assignment's holder"
    );
    assert_eq!(removal.requestor, ADMINISTRATOR);
    assert_eq!(removal.status, RequestStatus::Delivering);
    assert_eq!(
        store.assignment(assignment_of(1)).unwrap(),
        Some(assignment.clone()),
        "nothing happens to the assignment before the removal is delivered"
    );
    assert_eq!(
        store
            .assignment(AssignmentId::for_request(request_id(2)))
            .unwrap(),
        None,
        "a removal creates no assignment"
    );

    let later = T0.after(Duration::hours(2));
    let delivered = act(store, request_id(2), ActionKind::Deliver, system(), later).unwrap();
    assert_eq!(
        delivered.stored.record.request.status,
        RequestStatus::Delivered
    );
    assert_eq!(
        assignment_row(&delivered.entry),
        Some((
            Some(AssignmentState::Delivered),
            AssignmentEvent::Removed,
            AssignmentState::Expired
        ))
    );
    let expired = store.assignment(assignment_of(1)).unwrap().unwrap();
    assert_eq!(
        expired,
        AssignmentRecord {
            assignment: Assignment {
                state: AssignmentState::Expired,
                expired_at: Some(later),
                ..assignment.assignment
            },
            ..assignment
        }
    );
    // The adding request keeps its status and history; the removal's history records the move.
    assert_eq!(store.get(request_id(1)).unwrap(), Some(adding));
    assert_eq!(store.history(request_id(1)).unwrap().len(), 3);
    assert_eq!(store.history(request_id(2)).unwrap().len(), 3);

    // A delivered removal may be deleted; the assignment stays expired.
    delete(store, request_id(2), administrator(), later).unwrap();
    assert_eq!(store.assignment(assignment_of(1)).unwrap(), Some(expired));

    // The holder may remove their own assignment too.
    create_by(store, &admin_add(3, None), &administrator());
    act(store, request_id(3), ActionKind::Deliver, system(), T0).unwrap();
    let holder = Caller::user(TARGET).with_permission(Permission::SubjectAccessReadWrite);
    let own = processed(submission(
        4,
        RequestType::UserRemove,
        None,
        Some(assignment_of(3)),
        PolicyRules::default(),
    ));
    let created = create_by(store, &own, &holder);
    assert_eq!(created.stored.record.request.requestor, TARGET);
    act(store, request_id(4), ActionKind::Deliver, system(), later).unwrap();
    assert_eq!(
        store
            .assignment(assignment_of(3))
            .unwrap()
            .unwrap()
            .assignment
            .state,
        AssignmentState::Expired
    );
}

fn a_removal_of_an_unknown_or_ended_assignment_is_refused_and_writes_nothing(store: &dyn Store) {
    delivered_assignment(store, None);
    let expect_refused = |new: &NewRequest, by: &Caller, expected: CreateError| {
        let before = snapshot_with(store, request_id(1), None);
        match store.create(new, by, T0) {
            Err(CreateFailure::Refused(refusal)) => assert_eq!(refusal, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
        let id = new.submission.id;
        assert_eq!(store.get(id).unwrap(), None);
        assert!(store.history(id).unwrap().is_empty());
        assert_eq!(snapshot_with(store, request_id(1), None), before);
    };

    // Unknown.
    expect_refused(
        &admin_remove(2, UNKNOWN_ASSIGNMENT),
        &administrator(),
        CreateError::Assignment(AssignmentRejection::Missing {
            assignment: UNKNOWN_ASSIGNMENT,
        }),
    );
    // Still being delivered.
    create_by(store, &admin_add(5, None), &administrator());
    expect_refused(
        &admin_remove(2, assignment_of(5)),
        &administrator(),
        CreateError::Assignment(AssignmentRejection::NotAllowed {
            state: Some(AssignmentState::Delivering),
            event: AssignmentEvent::Removed,
        }),
    );
    // Someone else's, for an end user.
    expect_refused(
        &processed(submission(
            2,
            RequestType::UserRemove,
            None,
            Some(assignment_of(1)),
            PolicyRules::default(),
        )),
        &requestor(),
        CreateError::Unauthorized(Denial::NotTheTarget {
            operation: Operation::Create(RequestType::UserRemove),
        }),
    );

    // Already expired: removed by a first removal.
    create_by(store, &admin_remove(3, assignment_of(1)), &administrator());
    act(store, request_id(3), ActionKind::Deliver, system(), T0).unwrap();
    expect_refused(
        &admin_remove(2, assignment_of(1)),
        &administrator(),
        CreateError::Assignment(AssignmentRejection::NotAllowed {
            state: Some(AssignmentState::Expired),
            event: AssignmentEvent::Removed,
        }),
    );
}

fn a_removal_the_assignment_refuses_at_delivery_writes_nothing(store: &dyn Store) {
    delivered_assignment(store, None);
    // Two removals of one assignment, both accepted while it is delivered.
    create_by(store, &admin_remove(2, assignment_of(1)), &administrator());
    create_by(store, &admin_remove(3, assignment_of(1)), &administrator());
    act(store, request_id(2), ActionKind::Deliver, system(), T0).unwrap();

    let before = snapshot_with(store, request_id(3), Some(assignment_of(1)));
    let result = act(store, request_id(3), ActionKind::Deliver, system(), T0);
    match result {
        Err(TransitionError::Rejected(rejection)) => assert_eq!(
            rejection,
            Rejection::Assignment(AssignmentRejection::NotAllowed {
                state: Some(AssignmentState::Expired),
                event: AssignmentEvent::Removed,
            })
        ),
        other => panic!("expected the assignment's refusal, got {other:?}"),
    }
    assert_eq!(
        snapshot_with(store, request_id(3), Some(assignment_of(1))),
        before
    );
    // Other outcomes do not touch the assignment and are still possible.
    let failed = act(store, request_id(3), ActionKind::FailDelivery, system(), T0).unwrap();
    assert_eq!(assignment_row(&failed.entry), None);
}

/// Six requests of three requestors, three targets and three types, in five statuses; their seqs.
fn seed_for_listing(store: &dyn Store) -> Vec<u64> {
    let other = Caller::user(OTHER_REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
    let rows: [(NewRequest, Caller); 6] = [
        // 1: Accepted.
        (draft(1, PolicyRules::default()), requestor()),
        // 2: Delivering, for TARGET.
        (admin_add(2, None), administrator()),
        // 3: PendingApproval.
        (processed(draft(3, approval(1, None))), requestor()),
        // 4: Canceled below.
        (
            processed(submission(
                4,
                RequestType::UserAdd,
                Some(OTHER_REQUESTOR),
                None,
                approval(1, None),
            )),
            other,
        ),
        // 5: Delivered below, for REQUESTOR.
        (
            processed(submission(
                5,
                RequestType::AdminAdd,
                Some(REQUESTOR),
                None,
                PolicyRules::default(),
            )),
            administrator(),
        ),
        // 6: Accepted, REQUESTOR gives up the assignment request 5 created.
        (
            submission(
                6,
                RequestType::UserRemove,
                None,
                Some(assignment_of(5)),
                PolicyRules::default(),
            ),
            requestor(),
        ),
    ];
    let mut seqs = Vec::new();
    for (n, (new, by)) in (1..).zip(rows) {
        if n == 6 {
            act(store, request_id(5), ActionKind::Deliver, system(), T0).unwrap();
        }
        seqs.push(create_by(store, &new, &by).stored.seq);
    }
    act(store, request_id(4), ActionKind::Cancel, other, T0).unwrap();
    seqs
}

fn list_filters_in_insertion_order(store: &dyn Store) {
    use RequestStatus as S;
    let seqs = seed_for_listing(store);

    let expect = |query: Query, expected: &[u128]| {
        let query = Query {
            limit: if query.limit == 0 {
                u32::MAX
            } else {
                query.limit
            },
            ..query
        };
        let expected: Vec<_> = expected.iter().map(|n| request_id(*n)).collect();
        assert_eq!(ids(store, &query), expected, "{query:?}");
    };
    let statuses = |statuses: &[S]| Query {
        statuses: Some(statuses.to_vec()),
        ..Query::default()
    };
    let of_type = |kind| Query {
        request_type: Some(kind),
        ..Query::default()
    };
    let by = |subject| Query {
        requestor: Some(subject),
        ..Query::default()
    };
    let for_target = |subject| Query {
        target: Some(subject),
        ..Query::default()
    };

    let all = store.list(&everything()).unwrap();
    assert_eq!(all.iter().map(|s| s.seq).collect::<Vec<_>>(), seqs);
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
    expect(Query::default(), &[1, 2, 3, 4, 5, 6]);
    expect(statuses(&[S::PendingApproval]), &[3]);
    expect(statuses(&[S::Canceled, S::Accepted]), &[1, 4, 6]);
    expect(statuses(&[S::Delivering]), &[2]);
    expect(statuses(&[S::Delivered]), &[5]);
    expect(statuses(&[S::Expired]), &[]);
    expect(statuses(&[]), &[]);
    expect(of_type(RequestType::AdminAdd), &[2, 5]);
    expect(of_type(RequestType::UserAdd), &[1, 3, 4]);
    expect(of_type(RequestType::UserRemove), &[6]);
    expect(of_type(RequestType::ApproverRemove), &[]);
    expect(by(REQUESTOR), &[1, 3, 6]);
    expect(by(ADMINISTRATOR), &[2, 5]);
    expect(by(TARGET), &[]);
    expect(for_target(TARGET), &[2]);
    expect(for_target(REQUESTOR), &[1, 3, 5, 6]);
    expect(for_target(ADMINISTRATOR), &[]);
    expect(
        Query {
            statuses: Some(vec![S::Accepted, S::Delivering, S::PendingApproval]),
            request_type: Some(RequestType::UserAdd),
            requestor: Some(REQUESTOR),
            target: None,
            after_seq: None,
            limit: 0,
        },
        &[1, 3],
    );
    expect(
        Query {
            target: Some(REQUESTOR),
            requestor: Some(ADMINISTRATOR),
            ..Query::default()
        },
        &[5],
    );

    // What is listed is what get returns.
    for stored in all {
        assert_eq!(store.get(stored.record.request.id).unwrap(), Some(stored));
    }
}

fn list_honours_the_limit_and_the_cursor(store: &dyn Store) {
    let seqs = seed_for_listing(store);
    let listed = |query: Query| ids(store, &query);
    let requests = |ns: &[u128]| ns.iter().map(|n| request_id(*n)).collect::<Vec<_>>();
    let after = |seq| Query {
        after_seq: Some(seq),
        limit: u32::MAX,
        ..Query::default()
    };
    let limit = |limit| Query {
        limit,
        ..Query::default()
    };

    assert_eq!(listed(after(seqs[2])), requests(&[4, 5, 6]));
    assert_eq!(listed(after(0)), requests(&[1, 2, 3, 4, 5, 6]));
    assert_eq!(listed(after(seqs[5])), requests(&[]));
    assert_eq!(listed(after(u64::MAX)), requests(&[]));
    assert_eq!(listed(limit(2)), requests(&[1, 2]));
    assert_eq!(listed(limit(6)), requests(&[1, 2, 3, 4, 5, 6]));
    assert!(listed(limit(0)).is_empty(), "a limit of 0 lists nothing");
    assert_eq!(
        listed(Query {
            requestor: Some(REQUESTOR),
            after_seq: Some(seqs[1]),
            limit: 2,
            ..Query::default()
        }),
        requests(&[3, 6]),
        "filters, cursor and limit combine"
    );
}

fn paging_walks_every_row_exactly_once(store: &dyn Store) {
    let mut created = Vec::new();
    for n in 1..=23 {
        let new = draft(n, PolicyRules::default());
        create(
            store,
            &if n.is_multiple_of(3) {
                processed(new)
            } else {
                new
            },
        );
        created.push(request_id(n));
    }
    let delivering: Vec<_> = (1..=23)
        .filter(|n: &u128| n.is_multiple_of(3))
        .map(request_id)
        .collect();

    let walk = |store: &dyn Store, base: &Query, limit: u32| -> Vec<RequestId> {
        let mut seen = Vec::new();
        let mut after = base.after_seq;
        for _ in 0..100 {
            let page = store
                .list(&Query {
                    after_seq: after,
                    limit,
                    ..base.clone()
                })
                .unwrap();
            assert!(page.len() <= limit as usize, "a page longer than its limit");
            let Some(last) = page.last() else {
                return seen;
            };
            after = Some(last.seq);
            seen.extend(page.iter().map(|stored| stored.record.request.id));
        }
        panic!("paging did not end");
    };
    let delivering_only = Query {
        statuses: Some(vec![RequestStatus::Delivering]),
        ..Query::default()
    };
    for limit in [1, 2, 5, 22, 23, 24, 1000] {
        assert_eq!(
            walk(store, &Query::default(), limit),
            created,
            "limit {limit}"
        );
        assert_eq!(
            walk(store, &delivering_only, limit),
            delivering,
            "limit {limit}"
        );
    }

    // A cursor stays valid while rows before it are deleted and rows are added after it.
    let first_page = store
        .list(&Query {
            limit: 5,
            ..Query::default()
        })
        .unwrap();
    let cursor = first_page.last().unwrap().seq;
    let gone = first_page[1].record.request.id;
    act(store, gone, ActionKind::Cancel, requestor(), T0).unwrap();
    delete(store, gone, administrator(), T0).unwrap();
    create(store, &draft(24, PolicyRules::default()));
    let mut rest = walk(
        store,
        &Query {
            after_seq: Some(cursor),
            ..Query::default()
        },
        4,
    );
    let mut expected: Vec<_> = created[5..].to_vec();
    expected.push(request_id(24));
    assert_eq!(rest, expected);
    rest.splice(0..0, first_page.iter().map(|s| s.record.request.id));
    assert_eq!(rest.len(), 24, "every row exactly once");
}

/// Asserts that `due(now, limit)` lists exactly `expected`, earliest first, each with the core's
/// `next_deadline()` of the stored request.
fn assert_due(store: &dyn Store, now: Timestamp, limit: u32, expected: &[RequestId]) {
    let due = store.due(now, limit).unwrap();
    assert!(
        due.windows(2).all(|pair| pair[0].1.at <= pair[1].1.at),
        "not earliest first: {due:?}"
    );
    let mut listed: Vec<RequestId> = due.iter().map(|(id, _)| *id).collect();
    let mut wanted = expected.to_vec();
    listed.sort();
    wanted.sort();
    assert_eq!(listed, wanted, "due at {now}");
    for (id, deadline) in due {
        let stored = store.get(id).unwrap().unwrap();
        assert_eq!(Some(deadline), stored.record.request.next_deadline());
        assert!(deadline.at <= now);
    }
}

fn due_lists_requests_once_their_deadline_passes(store: &dyn Store) {
    // 1: one stage, decision timeout 14 days: expires at T0 + 14d.
    let expiring = request_id(1);
    create(store, &draft(1, approval(1, None)));
    // 2: escalation after 3 days: escalates at T0 + 3d.
    let escalating = request_id(2);
    create(store, &draft(2, approval(1, Some(Duration::days(3)))));
    // 3: a scheduled start at T0 + 5d.
    let starting = request_id(3);
    let mut scheduled = draft(3, PolicyRules::default());
    scheduled.submission.starts_at = Some(T0.after(Duration::days(5)));
    create(store, &scheduled);
    // 4: delivered, 5: accepted and never processed, 6: canceled while pending approval.
    create(store, &draft(4, PolicyRules::default()));
    create(store, &draft(5, PolicyRules::default()));
    create(store, &draft(6, approval(1, None)));

    assert_due(store, FAR_FUTURE, 100, &[]);
    for n in [1, 2, 3, 4, 6] {
        act(store, request_id(n), ActionKind::Process, system(), T0).unwrap();
    }
    act(store, request_id(4), ActionKind::Deliver, system(), T0).unwrap();
    act(store, request_id(6), ActionKind::Cancel, requestor(), T0).unwrap();

    let escalation = Deadline {
        at: T0.after(Duration::days(3)),
        action: ActionKind::Escalate,
    };
    let expiry = Deadline {
        at: T0.after(Duration::days(14)),
        action: ActionKind::Expire,
    };
    let start = Deadline {
        at: T0.after(Duration::days(5)),
        action: ActionKind::ReachStart,
    };
    let deadline_of = |id| {
        store
            .get(id)
            .unwrap()
            .unwrap()
            .record
            .request
            .next_deadline()
    };
    assert_eq!(deadline_of(escalating), Some(escalation));
    assert_eq!(deadline_of(expiring), Some(expiry));
    assert_eq!(deadline_of(starting), Some(start));

    let just_before = |deadline: Deadline| Timestamp(deadline.at.0 - 1);
    assert_due(store, T0, 100, &[]);
    assert_due(store, just_before(escalation), 100, &[]);
    assert_due(store, escalation.at, 100, &[escalating]);
    assert_due(store, just_before(start), 100, &[escalating]);
    assert_due(store, start.at, 100, &[escalating, starting]);
    assert_due(store, just_before(expiry), 100, &[escalating, starting]);
    assert_due(store, expiry.at, 100, &[escalating, starting, expiring]);
    assert_due(store, FAR_FUTURE, 100, &[escalating, starting, expiring]);
    assert_eq!(
        store.due(FAR_FUTURE, 1).unwrap(),
        [(escalating, escalation)],
        "the limit keeps the earliest"
    );
    assert_eq!(
        store.due(FAR_FUTURE, 2).unwrap(),
        [(escalating, escalation), (starting, start)]
    );
    assert!(store.due(FAR_FUTURE, 0).unwrap().is_empty());

    // Acting on a deadline schedules the next one; reaching a terminal status clears it.
    act(
        store,
        escalating,
        ActionKind::Escalate,
        system(),
        escalation.at,
    )
    .unwrap();
    let expiry_after_escalation = Deadline {
        at: T0.after(Duration::days(14)),
        action: ActionKind::Expire,
    };
    assert_eq!(deadline_of(escalating), Some(expiry_after_escalation));
    assert_due(store, escalation.at, 100, &[]);
    assert_due(store, expiry.at, 100, &[starting, expiring, escalating]);
    act(store, starting, ActionKind::ReachStart, system(), start.at).unwrap();
    act(store, expiring, ActionKind::Expire, system(), expiry.at).unwrap();
    act(store, escalating, ActionKind::Expire, system(), expiry.at).unwrap();
    assert_due(store, FAR_FUTURE, 100, &[]);
}

fn assignments_are_listed_in_id_order_by_holder_and_page(store: &dyn Store) {
    let all = |query: AssignmentQuery| -> Vec<AssignmentId> {
        store
            .assignments(&query)
            .unwrap()
            .into_iter()
            .map(|record| record.assignment.id)
            .collect()
    };
    let everything = AssignmentQuery {
        limit: 100,
        ..AssignmentQuery::default()
    };
    assert_eq!(all(everything), []);
    // 1 to 3 are delivered to `TARGET`; 4's delivery has started. A request kept as submitted has
    // no assignment yet.
    for n in 1..=4 {
        create_by(store, &admin_add(n, None), &administrator());
        if n != 4 {
            act(store, request_id(n), ActionKind::Deliver, system(), T0).unwrap();
        }
    }
    create_by(store, &draft(5, PolicyRules::default()), &requestor());
    let mut expected: Vec<AssignmentId> = (1..=4).map(assignment_of).collect();
    expected.sort_by_key(ToString::to_string);
    assert_eq!(
        all(everything),
        expected,
        "in id order, only those that exist"
    );
    assert_eq!(
        all(AssignmentQuery {
            target: Some(TARGET),
            ..everything
        }),
        expected
    );
    assert_eq!(
        all(AssignmentQuery {
            target: Some(REQUESTOR),
            ..everything
        }),
        []
    );
    let first = all(AssignmentQuery {
        limit: 1,
        ..everything
    });
    assert_eq!(first, expected[..1]);
    assert_eq!(
        all(AssignmentQuery {
            after: first.first().copied(),
            ..everything
        }),
        expected[1..]
    );
}

fn due_assignments_lists_ended_schedules_and_end_assignment_ends_them(store: &dyn Store) {
    let (soon, late) = (T0.after(Duration::days(10)), T0.after(Duration::days(20)));
    // 1 ends late, 2 soon, 3 has no end; 4 ends soon but is never delivered.
    for (n, ends) in [(1, Some(late)), (2, Some(soon)), (3, None), (4, Some(soon))] {
        create_by(store, &admin_add(n, ends), &administrator());
        if n != 4 {
            act(store, request_id(n), ActionKind::Deliver, system(), T0).unwrap();
        }
    }
    assert_eq!(
        store.due_assignments(FAR_FUTURE, 10).unwrap(),
        [(assignment_of(2), soon), (assignment_of(1), late)],
        "earliest first; only delivered assignments with an end"
    );
    assert_eq!(
        store.due_assignments(FAR_FUTURE, 1).unwrap(),
        [(assignment_of(2), soon)],
        "the limit keeps the earliest"
    );
    assert_eq!(store.due_assignments(FAR_FUTURE, 0).unwrap(), []);
    assert_eq!(
        store.due_assignments(Timestamp(soon.0 - 1), 10).unwrap(),
        []
    );
    assert_eq!(
        store.due_assignments(soon, 10).unwrap(),
        [(assignment_of(2), soon)]
    );

    // Too early: refused by the core, nothing written.
    let adding = request_id(2);
    let before = snapshot(store, adding);
    let result = store.end_assignment(assignment_of(2), Timestamp(soon.0 - 1));
    assert_rejected(
        store,
        adding,
        result,
        Rejection::Assignment(AssignmentRejection::ConditionNotMet {
            state: AssignmentState::Delivered,
            event: AssignmentEvent::ScheduleEnded,
            unmet: AssignmentCondition::EndReached,
        }),
        &before,
    );

    // At its end: expired, recorded in the history of the request that created it.
    let ended = store.end_assignment(assignment_of(2), soon).unwrap();
    assert_eq!(ended.assignment.state, AssignmentState::Expired);
    assert_eq!(ended.assignment.expired_at, Some(soon));
    assert_eq!(
        store.assignment(assignment_of(2)).unwrap(),
        Some(ended.clone())
    );
    let history = store.history(adding).unwrap();
    assert_eq!(history.len(), before.history.len() + 1);
    assert_increasing(&history);
    let last = history.last().unwrap();
    let Event::AssignmentEnded { assignment, rule } = &last.event else {
        panic!("expected the end of the assignment: {last:?}");
    };
    assert_eq!(*assignment, assignment_of(2));
    assert_eq!(
        (rule.from, rule.event, rule.to),
        (
            Some(AssignmentState::Delivered),
            AssignmentEvent::ScheduleEnded,
            AssignmentState::Expired
        )
    );
    assert_eq!(
        (
            last.at,
            last.by,
            last.principal,
            last.justification.as_deref()
        ),
        (soon, system().id, Principal::System, None)
    );
    assert_eq!(last.status_after(), None, "the request's status is its own");
    assert_eq!(
        store.get(adding).unwrap(),
        before.stored,
        "the request does not move"
    );
    assert_eq!(
        store.due_assignments(FAR_FUTURE, 10).unwrap(),
        [(assignment_of(1), late)]
    );

    // Ended already: refused, nothing written.
    let before = snapshot(store, adding);
    let result = store.end_assignment(assignment_of(2), late);
    assert_rejected(
        store,
        adding,
        result,
        Rejection::Assignment(AssignmentRejection::NotAllowed {
            state: Some(AssignmentState::Expired),
            event: AssignmentEvent::ScheduleEnded,
        }),
        &before,
    );
    // No end, or not delivered: refused.
    for n in [3, 4] {
        let before = snapshot(store, request_id(n));
        let result = store.end_assignment(assignment_of(n), FAR_FUTURE);
        assert!(
            matches!(
                result,
                Err(TransitionError::Rejected(Rejection::Assignment(_)))
            ),
            "{result:?}"
        );
        assert_eq!(snapshot(store, request_id(n)), before);
    }

    // An update moves the end: the assignment is due at its new end.
    let mut extend = processed(submission(
        5,
        RequestType::AdminUpdate,
        None,
        Some(assignment_of(1)),
        PolicyRules::default(),
    ));
    let later = T0.after(Duration::days(40));
    extend.submission.ends_at = Some(later);
    create_by(store, &extend, &administrator());
    act(store, request_id(5), ActionKind::Deliver, system(), T0).unwrap();
    assert_eq!(
        store.due_assignments(FAR_FUTURE, 10).unwrap(),
        [(assignment_of(1), later)]
    );
    assert_eq!(store.due_assignments(late, 10).unwrap(), []);
}

fn delete_asks_the_core_and_keeps_the_history(store: &dyn Store) {
    let id = request_id(1);
    create(store, &processed(draft(1, approval(1, None))));
    let bystander = create(store, &draft(2, PolicyRules::default())).stored;
    assert_eq!(store.due(FAR_FUTURE, 100).unwrap().len(), 1);
    let later = T0.after(Duration::hours(2));

    // Not deletable while pending, even for an administrator.
    let before = snapshot(store, id);
    let result = delete(store, id, administrator(), later);
    let expected = Rejection::NotDeletable {
        status: RequestStatus::PendingApproval,
    };
    assert_rejected(store, id, result, expected, &before);

    // Canceled: deletable, but not by its requestor (authorization comes first).
    let canceled = act(store, id, ActionKind::Cancel, requestor(), T0).unwrap();
    let before = snapshot(store, id);
    let result = delete(store, id, requestor(), later);
    let expected = Rejection::Unauthorized(Denial::MissingPermission {
        operation: Operation::Delete,
        permission: Permission::ReadWriteAll,
    });
    assert_rejected(store, id, result, expected, &before);

    let entry = delete(store, id, administrator(), later).unwrap();
    assert_eq!(
        without_seq(&entry),
        deleted(&canceled.stored, &administrator(), later)
    );
    assert_eq!(store.get(id).unwrap(), None);
    assert_eq!(ids(store, &everything()), [bystander.record.request.id]);
    assert!(store.due(FAR_FUTURE, 100).unwrap().is_empty());
    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 4, "the history outlives the request");
    assert_eq!(history[..3], before.history[..]);
    assert_eq!(history[3], entry);
    assert_eq!(history[3].status_after(), Some(None));
    assert_increasing(&history);

    // Deleted is gone for good.
    assert!(matches!(
        delete(store, id, administrator(), later),
        Err(TransitionError::NotFound(missing)) if missing == id
    ));
    assert_eq!(store.history(id).unwrap(), history);
    assert!(matches!(
        act(store, id, ActionKind::Cancel, requestor(), T0),
        Err(TransitionError::NotFound(missing)) if missing == id
    ));
    assert_eq!(
        store.get(bystander.record.request.id).unwrap(),
        Some(bystander)
    );

    // An application may delete; an adding request that created its assignment may never be deleted.
    let application = Caller::application(subject(0x400)).with_permission(Permission::ReadWriteAll);
    create_by(store, &admin_add(3, None), &administrator());
    let id = request_id(3);
    for (kind, status) in [
        (None, RequestStatus::Delivering),
        (
            Some(ActionKind::FailDelivery),
            RequestStatus::DeliveryFailed,
        ),
    ] {
        if let Some(kind) = kind {
            act(store, id, kind, system(), T0).unwrap();
        }
        let before = snapshot(store, id);
        let result = delete(store, id, application, later);
        assert_rejected(
            store,
            id,
            result,
            Rejection::NotDeletable { status },
            &before,
        );
    }
    create(store, &draft(4, PolicyRules::default()));
    act(store, request_id(4), ActionKind::Cancel, requestor(), T0).unwrap();
    let entry = delete(store, request_id(4), application, later).unwrap();
    assert_eq!(entry.principal, Principal::Application);
}

fn the_directory_is_replaced_only_at_the_version_read(store: &dyn Store) {
    assert_eq!(store.directory_version().unwrap(), 0);
    let directory = tenant();
    assert_eq!(store.replace_directory(0, &directory).unwrap(), 1);
    let smaller = Directory {
        users: directory.users.clone(),
        ..Directory::default()
    };
    assert!(matches!(
        store.replace_directory(0, &smaller),
        Err(StoreError::DirectoryChanged)
    ));
    assert_eq!(store.directory().unwrap(), directory, "nothing was written");
    assert_eq!(store.replace_directory(1, &smaller).unwrap(), 2);
    assert_eq!(store.directory().unwrap(), smaller);
    store.set_directory(&directory).unwrap();
    assert_eq!(
        store.directory_version().unwrap(),
        3,
        "every replacement counts"
    );
}

fn active_assignments_count_what_has_not_ended(store: &dyn Store) {
    let assignment = delivered_assignment(store, None);
    let package = assignment.access_package_id.clone();
    let policy = assignment.assignment_policy_id.clone();
    assert_eq!(store.active_assignments(&package, None).unwrap(), 1);
    assert_eq!(
        store.active_assignments(&package, Some(&policy)).unwrap(),
        1
    );
    assert_eq!(
        store.active_assignments(&package, Some("other")).unwrap(),
        0
    );
    assert_eq!(store.active_assignments("other", None).unwrap(), 0);

    create_by(store, &admin_remove(2, assignment_of(1)), &administrator());
    act(store, request_id(2), ActionKind::Deliver, system(), T0).unwrap();
    assert_eq!(
        store.active_assignments(&package, None).unwrap(),
        0,
        "a removed assignment has ended"
    );
}

fn the_directory_round_trips_and_refuses_inconsistency(store: &dyn Store) {
    assert_eq!(store.directory().unwrap(), Directory::default());

    let directory = tenant();
    store.set_directory(&directory).unwrap();
    assert_eq!(store.directory().unwrap(), directory);

    let mut dangling = directory.clone();
    dangling.access_packages[0].catalog_id = "nowhere".into();
    match store.set_directory(&dangling) {
        Err(StoreError::Directory(DirectoryError::Dangling { missing, .. })) => {
            assert_eq!(missing, "nowhere");
        }
        other => panic!("expected a dangling reference, got {other:?}"),
    }
    let mut directory_role = directory.clone();
    directory_role.role_assignments[0].role = Role::GlobalReader;
    assert!(matches!(
        store.set_directory(&directory_role),
        Err(StoreError::Directory(
            DirectoryError::DirectoryRoleAssigned { .. }
        ))
    ));
    let mut approvers = directory.clone();
    approvers.policies[0].stages.pop();
    assert!(matches!(
        store.set_directory(&approvers),
        Err(StoreError::Directory(DirectoryError::Approvers {
            listed: 1,
            ..
        }))
    ));
    assert_eq!(
        store.directory().unwrap(),
        directory,
        "the old directory is kept"
    );

    let smaller = Directory {
        users: directory.users.clone(),
        ..Directory::default()
    };
    store.set_directory(&smaller).unwrap();
    assert_eq!(
        store.directory().unwrap(),
        smaller,
        "a directory replaces the old one whole"
    );
}

fn the_clock_offset_defaults_to_zero_and_round_trips(store: &dyn Store) {
    assert_eq!(store.clock_offset().unwrap(), 0);
    for offset in [90_000, Duration::days(400).0, 1, 0] {
        store.set_clock_offset(offset).unwrap();
        assert_eq!(store.clock_offset().unwrap(), offset);
    }
}

/// Counts what a store reports.
#[derive(Default)]
struct Heard {
    waits: AtomicUsize,
    retries: AtomicUsize,
    backends: Mutex<Vec<entitle_store::Backend>>,
}

impl entitle_store::Observer for Heard {
    fn waited_for_connection(&self, backend: entitle_store::Backend, _: std::time::Duration) {
        self.waits.fetch_add(1, Ordering::SeqCst);
        self.backends.lock().unwrap().push(backend);
    }

    fn retried(&self, backend: entitle_store::Backend) {
        self.retries.fetch_add(1, Ordering::SeqCst);
        self.backends.lock().unwrap().push(backend);
    }
}

fn an_observer_hears_every_wait_for_a_connection(store: &dyn Store) {
    let heard = Arc::new(Heard::default());
    store.observe(Arc::clone(&heard) as Arc<dyn entitle_store::Observer>);
    create(store, &draft(1, PolicyRules::default()));
    store.get(request_id(1)).unwrap();
    store.clock_offset().unwrap();
    assert!(heard.waits.load(Ordering::SeqCst) >= 3);
    assert_eq!(heard.retries.load(Ordering::SeqCst), 0, "nothing contended");
    let backends = heard.backends.lock().unwrap();
    assert!(backends.iter().all(|backend| *backend == store.backend()));
    let pool = store.pool_status();
    assert!(pool.max >= 1 && pool.connections <= pool.max && pool.idle <= pool.connections);
}

fn the_clock_advances_atomically_up_to_a_bound(store: &dyn Store) {
    assert_eq!(store.advance_clock(1_000, 5_000).unwrap(), Some(1_000));
    assert_eq!(store.advance_clock(4_000, 5_000).unwrap(), Some(5_000));
    assert_eq!(
        store.advance_clock(1, 5_000).unwrap(),
        None,
        "past the bound"
    );
    assert_eq!(
        store.advance_clock(u64::MAX, u64::MAX).unwrap(),
        None,
        "overflow"
    );
    assert_eq!(
        store.clock_offset().unwrap(),
        5_000,
        "a refused advance changes nothing"
    );
}

fn any_text_round_trips(store: &dyn Store) {
    let texts = [
        "nul \u{0} inside".to_owned(),
        "quotes \" ' and \\ backslashes, $1 ? %s".to_owned(),
        "emoji 🦀, ünïcödé, 中文, \u{200b}zero width".to_owned(),
        "line\nbreaks\r\n\ttabs".to_owned(),
        "x".repeat(100_000),
    ];
    for (n, text) in (1..).zip(texts) {
        let mut new = draft(n, approval(1, None));
        new.justification = Some(text.clone());
        let created = create(store, &new);
        assert_eq!(store.get(request_id(n)).unwrap(), Some(created.stored));
        let moved = store
            .transition(
                request_id(n),
                Command::Act(ActionKind::Process),
                &|_: &RequestRecord| system(),
                T0,
                Some(&text),
            )
            .unwrap();
        assert_eq!(moved.entry.justification.as_deref(), Some(text.as_str()));
        let reviewed = review(
            store,
            request_id(n),
            (0, ReviewDecision::Deny),
            approver(FIRST_APPROVER, 0),
            T0,
            Some(&text),
        )
        .unwrap();
        assert_eq!(reviewed.stored.record.review_note(0), Some(text.as_str()));
        let history = store.history(request_id(n)).unwrap();
        assert_eq!(history[0].justification.as_deref(), Some(text.as_str()));
        assert_eq!(history[1], moved.entry);
        assert_eq!(history[2], reviewed.entry);
        assert_eq!(store.get(request_id(n)).unwrap(), Some(reviewed.stored));
    }
    let mut directory = tenant();
    directory.users[0].display_name = "nul \u{0} and 🦀".into();
    store.set_directory(&directory).unwrap();
    assert_eq!(store.directory().unwrap(), directory);
}

fn the_id_of_a_deleted_request_is_not_reused(store: &dyn Store) {
    let id = request_id(1);
    create(store, &draft(1, PolicyRules::default()));
    act(store, id, ActionKind::Cancel, requestor(), T0).unwrap();
    delete(store, id, administrator(), T0).unwrap();
    let history = store.history(id).unwrap();

    match store.create(&draft(1, PolicyRules::default()), &requestor(), T0) {
        Err(CreateFailure::Store(StoreError::Duplicate(duplicate))) => {
            assert_eq!(duplicate, id);
            assert_eq!(store.get(id).unwrap(), None);
            assert_eq!(store.history(id).unwrap(), history);
        }
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_sound(store);
}

// ---------------------------------------------------------------------------------------------------
// Checks on a database: reopening, several handles, rows written around the store
// ---------------------------------------------------------------------------------------------------

/// Everything a store holds about requests `1..=n` and the assignments they create.
#[derive(Debug, PartialEq, Eq)]
struct Contents {
    directory: Directory,
    clock_offset: u64,
    requests: Vec<Stored>,
    histories: Vec<Vec<HistoryEntry>>,
    assignments: Vec<Option<AssignmentRecord>>,
    due: Vec<(RequestId, Deadline)>,
    due_assignments: Vec<(AssignmentId, Timestamp)>,
}

fn contents(store: &dyn Store, n: u128) -> Contents {
    Contents {
        directory: store.directory().unwrap(),
        clock_offset: store.clock_offset().unwrap(),
        requests: store.list(&everything()).unwrap(),
        histories: (1..=n)
            .map(|n| store.history(request_id(n)).unwrap())
            .collect(),
        assignments: (1..=n)
            .map(|n| store.assignment(assignment_of(n)).unwrap())
            .collect(),
        due: store.due(FAR_FUTURE, 100).unwrap(),
        due_assignments: store.due_assignments(FAR_FUTURE, 100).unwrap(),
    }
}

fn everything_survives_reopening(database: &dyn Database) {
    let (before, last_seq) = {
        let store = database.open();
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(Duration::days(2).0).unwrap();
        let pending = processed(draft(1, approval(2, Some(Duration::days(3)))));
        create(&*store, &pending);
        create(&*store, &processed(draft(2, approval(1, None))));
        act(&*store, request_id(2), ActionKind::Cancel, requestor(), T0).unwrap();
        create_by(
            &*store,
            &admin_add(3, Some(T0.after(Duration::days(30)))),
            &administrator(),
        );
        act(&*store, request_id(3), ActionKind::Deliver, system(), T0).unwrap();
        let last = create(&*store, &draft(4, PolicyRules::default())).stored;
        act(&*store, request_id(4), ActionKind::Cancel, requestor(), T0).unwrap();
        delete(&*store, request_id(4), administrator(), T0).unwrap();
        (contents(&*store, 4), last.seq)
    };
    assert_eq!(before.requests.len(), 3);
    assert_eq!(
        before.histories.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 3, 3, 3]
    );
    assert_eq!(before.due.len(), 1);
    assert_eq!(before.due_assignments.len(), 1);
    assert_eq!(before.assignments.iter().flatten().count(), 1);

    let store = database.open();
    assert_eq!(contents(&*store, 4), before);
    assert_sound(&*store);

    // The reopened store goes on: positions are never reused, even the deleted last one.
    let next = create(&*store, &draft(5, PolicyRules::default()));
    assert!(
        next.stored.seq > last_seq,
        "seq {} reused after {last_seq}",
        next.stored.seq
    );
    let moved = act(
        &*store,
        request_id(1),
        ActionKind::Escalate,
        system(),
        T0.after(Duration::days(3)),
    )
    .unwrap();
    assert_eq!(moved.stored.version, 2);
    let ended = store
        .end_assignment(assignment_of(3), T0.after(Duration::days(30)))
        .unwrap();
    assert_eq!(ended.assignment.state, AssignmentState::Expired);
    let entries: Vec<u64> = (1..=5)
        .flat_map(|n| store.history(request_id(n)).unwrap())
        .map(|entry| entry.seq)
        .collect();
    let mut unique = entries.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), entries.len(), "history seqs are unique");
    assert_sound(&*store);
}

/// Requests 1 to 4 in every shape the integrity check knows: 1, an adding request delivered, with its
/// assignment; 2, pending approval; 3, canceled and deleted; 4, a removal of 1's assignment, being
/// delivered.
fn seed_for_integrity(store: &dyn Store) {
    create_by(store, &admin_add(1, None), &administrator());
    act(store, request_id(1), ActionKind::Deliver, system(), T0).unwrap();
    create(store, &processed(draft(2, approval(1, None))));
    create(store, &draft(3, PolicyRules::default()));
    act(store, request_id(3), ActionKind::Cancel, requestor(), T0).unwrap();
    delete(store, request_id(3), administrator(), T0).unwrap();
    create_by(store, &admin_remove(4, assignment_of(1)), &administrator());
}

fn integrity_counts_a_sound_store_and_finds_nothing(database: &dyn Database) {
    let store = database.open();
    let empty = assert_sound(&*store);
    assert_eq!(
        (empty.requests, empty.entries, empty.assignments),
        (0, 0, 0)
    );
    seed_for_integrity(&*store);
    let report = assert_sound(&*store);
    // 1: submitted, processed, delivered; 2: submitted, processed; 3: submitted, canceled, deleted;
    // 4: submitted, processed.
    assert_eq!(
        (report.requests, report.entries, report.assignments),
        (3, 10, 1)
    );
    // Ended by its removal, and by a schedule: still sound.
    act(&*store, request_id(4), ActionKind::Deliver, system(), T0).unwrap();
    let ends = T0.after(Duration::days(1));
    create_by(&*store, &admin_add(5, Some(ends)), &administrator());
    act(&*store, request_id(5), ActionKind::Deliver, system(), T0).unwrap();
    store.end_assignment(assignment_of(5), ends).unwrap();
    let report = assert_sound(&*store);
    assert_eq!(
        (report.requests, report.entries, report.assignments),
        (4, 15, 2)
    );
}

/// `text` as an SQL string literal.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The single value `sql` returns.
fn one(database: &dyn Database, sql: &str) -> String {
    let mut values = database.texts(sql);
    assert_eq!(values.len(), 1, "{sql}: {values:?}");
    values.remove(0)
}

/// The body of request `id` as JSON.
fn request_body(database: &dyn Database, id: RequestId) -> serde_json::Value {
    let sql = format!(
        "SELECT body FROM requests WHERE id = {}",
        quote(&id.to_string())
    );
    serde_json::from_str(&one(database, &sql)).unwrap()
}

/// The body of assignment `id` as JSON.
fn assignment_body(database: &dyn Database, id: AssignmentId) -> serde_json::Value {
    let sql = format!(
        "SELECT body FROM assignments WHERE id = {}",
        quote(&id.to_string())
    );
    serde_json::from_str(&one(database, &sql)).unwrap()
}

/// The seqs of `id`'s history entries, oldest first.
fn entry_seqs(database: &dyn Database, id: RequestId) -> Vec<String> {
    database.texts(&format!(
        "SELECT seq FROM history WHERE request_id = {} ORDER BY seq",
        quote(&id.to_string())
    ))
}

/// Rewrites history entry `seq`'s body with `edit`.
fn edit_entry(database: &dyn Database, seq: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut body: serde_json::Value = serde_json::from_str(&one(
        database,
        &format!("SELECT body FROM history WHERE seq = {seq}"),
    ))
    .unwrap();
    edit(&mut body);
    database.execute(&format!(
        "UPDATE history SET body = {} WHERE seq = {seq}",
        quote(&body.to_string())
    ));
}

/// Writes an assignment row for `body`, with columns that agree with it (no end, so no deadline).
fn put_assignment(database: &dyn Database, body: &serde_json::Value) {
    let assignment = &body["assignment"];
    let id = assignment["id"].as_str().unwrap();
    database.execute(&format!(
        "DELETE FROM assignments WHERE id = {id};
         INSERT INTO assignments (id, version, state, target, next_deadline, body)
         VALUES ({id}, 1, {state}, {target}, NULL, {body})",
        id = quote(id),
        state = quote(assignment["state"].as_str().unwrap()),
        target = quote(assignment["target"].as_str().unwrap()),
        body = quote(&body.to_string()),
    ));
}

/// One way to break what a store holds, and the problems the integrity check must report (one
/// substring per problem, and no other problem).
struct Breakage {
    name: &'static str,
    breaks: fn(&dyn Database),
    problems: &'static [&'static str],
}

fn breakages() -> Vec<Breakage> {
    vec![
        Breakage {
            name: "a request row whose status column disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET status = 'Delivered' WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["its status column differs from its body"],
        },
        Breakage {
            name: "a history that does not lead to the status",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(2));
                db.execute(&format!(
                    "DELETE FROM history WHERE seq = {}",
                    seqs.last().unwrap()
                ));
            },
            problems: &["its history leads to `Accepted`, it is `PendingApproval`"],
        },
        Breakage {
            name: "an adding request in Delivered whose assignment row was deleted",
            breaks: |db| {
                db.execute(&format!(
                    "DELETE FROM assignments WHERE id = {}",
                    quote(&assignment_of(1).to_string())
                ));
            },
            problems: &[
                "it started delivery but its assignment is missing",
                "the assignment it concerns is missing",
            ],
        },
        Breakage {
            name: "an assignment row nobody created",
            breaks: |db| {
                let mut body = assignment_body(db, assignment_of(1));
                body["assignment"]["id"] = UNKNOWN_ASSIGNMENT.to_string().into();
                body["assignment"]["createdBy"] = request_id(99).to_string().into();
                put_assignment(db, &body);
            },
            problems: &["was created by no stored adding request"],
        },
        Breakage {
            name: "a request gone without its deletion",
            breaks: |db| {
                db.execute(&format!(
                    "DELETE FROM requests WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["is gone but its last entry is not its deletion"],
        },
        Breakage {
            name: "a request without history",
            breaks: |db| {
                db.execute(&format!(
                    "DELETE FROM history WHERE request_id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["it has no history"],
        },
        Breakage {
            name: "a history entry filed under another request",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(2));
                db.execute(&format!(
                    "UPDATE history SET request_id = {} WHERE seq = {}",
                    quote(&request_id(3).to_string()),
                    seqs.last().unwrap()
                ));
            },
            problems: &[
                "its request_id column differs from its body",
                "its history leads to `Accepted`, it is `PendingApproval`",
            ],
        },
        Breakage {
            name: "an unreadable history entry",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(2));
                db.execute(&format!(
                    "UPDATE history SET body = 'nope' WHERE seq = {}",
                    seqs.last().unwrap()
                ));
            },
            problems: &[
                "corrupt stored history entry",
                "its history leads to `Accepted`, it is `PendingApproval`",
            ],
        },
        Breakage {
            name: "an unreadable request",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET body = 'nope' WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["unreadable"],
        },
        Breakage {
            name: "a request of an older record format",
            breaks: |db| {
                let mut body = request_body(db, request_id(2));
                body["format"] = 1.into();
                db.execute(&format!(
                    "UPDATE requests SET body = {} WHERE id = {}",
                    quote(&body.to_string()),
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["record format `1`"],
        },
        Breakage {
            name: "a request_type column that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET request_type = 'adminAdd' WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["its request_type column differs from its body"],
        },
        Breakage {
            name: "a requestor column that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET requestor = {} WHERE id = {}",
                    quote(&ADMINISTRATOR.to_string()),
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["its requestor or target column differs from its body"],
        },
        Breakage {
            name: "a target column that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET target = {} WHERE id = {}",
                    quote(&REQUESTOR.to_string()),
                    quote(&request_id(1).to_string())
                ));
            },
            // A request found unsound is no longer the creator of its assignment.
            problems: &[
                "its requestor or target column differs from its body",
                "was created by no stored adding request",
            ],
        },
        Breakage {
            name: "a lost deadline",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET next_deadline = NULL WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["its next_deadline column differs from its body"],
        },
        Breakage {
            name: "a request version that is not positive",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET version = 0 WHERE id = {}",
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &["its version is not positive"],
        },
        Breakage {
            name: "an id column that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE requests SET id = {} WHERE id = {}",
                    quote(&request_id(98).to_string()),
                    quote(&request_id(2).to_string())
                ));
            },
            problems: &[
                "its id column differs from its body",
                "is gone but its last entry is not its deletion",
            ],
        },
        Breakage {
            name: "an assignment state column that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE assignments SET state = 'expired' WHERE id = {}",
                    quote(&assignment_of(1).to_string())
                ));
            },
            problems: &[
                "its columns differ from its body",
                "it started delivery but its assignment is missing",
                "the assignment it concerns is missing",
            ],
        },
        Breakage {
            name: "an assignment deadline that disagrees",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE assignments SET next_deadline = 5 WHERE id = {}",
                    quote(&assignment_of(1).to_string())
                ));
            },
            problems: &[
                "its next_deadline column differs from its body",
                "it started delivery but its assignment is missing",
                "the assignment it concerns is missing",
            ],
        },
        Breakage {
            name: "an assignment version that is not positive",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE assignments SET version = -1 WHERE id = {}",
                    quote(&assignment_of(1).to_string())
                ));
            },
            problems: &[
                "its version is not positive",
                "it started delivery but its assignment is missing",
                "the assignment it concerns is missing",
            ],
        },
        Breakage {
            name: "an unreadable assignment",
            breaks: |db| {
                db.execute(&format!(
                    "UPDATE assignments SET body = '{{}}' WHERE id = {}",
                    quote(&assignment_of(1).to_string())
                ));
            },
            problems: &[
                "unreadable",
                "it started delivery but its assignment is missing",
                "the assignment it concerns is missing",
            ],
        },
        Breakage {
            name: "an assignment for a request that never started delivery",
            breaks: |db| {
                let mut body = assignment_body(db, assignment_of(1));
                body["assignment"]["id"] = assignment_of(2).to_string().into();
                body["assignment"]["createdBy"] = request_id(2).to_string().into();
                body["assignment"]["target"] = REQUESTOR.to_string().into();
                body["assignment"]["state"] = "delivering".into();
                put_assignment(db, &body);
            },
            problems: &[
                "it has an assignment although it never started delivery",
                "was created by no stored adding request",
            ],
        },
        Breakage {
            name: "an assignment in a state its request cannot leave it in",
            breaks: |db| {
                let mut body = assignment_body(db, assignment_of(1));
                body["assignment"]["state"] = "delivering".into();
                put_assignment(db, &body);
            },
            problems: &[
                "its assignment is `delivering` while it is `Delivered`",
                "was created by no stored adding request",
            ],
        },
        Breakage {
            name: "an assignment created by another request",
            breaks: |db| {
                let mut body = assignment_body(db, assignment_of(1));
                body["assignment"]["createdBy"] = request_id(2).to_string().into();
                put_assignment(db, &body);
            },
            problems: &[
                "its assignment was created by another request",
                "was created by no stored adding request",
            ],
        },
        Breakage {
            name: "a history entry that is no row of the table from where the request was",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(2));
                edit_entry(db, &seqs[1], |body| {
                    body["rule"]["from"] = "Delivered".into();
                });
            },
            problems: &["is not a row of the table from `Accepted`"],
        },
        Breakage {
            name: "a history entry moving the assignment by no row of its table",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(1));
                edit_entry(db, &seqs[2], |body| {
                    body["assignment"]["to"] = "expired".into();
                });
            },
            problems: &[
                "moved its assignment by no row of the table",
                "was created by no stored adding request",
            ],
        },
        Breakage {
            name: "a second submission in one history",
            breaks: |db| {
                let seqs = entry_seqs(db, request_id(2));
                let first = one(
                    db,
                    &format!("SELECT body FROM history WHERE seq = {}", seqs[0]),
                );
                db.execute(&format!(
                    "INSERT INTO history (request_id, body) VALUES ({}, {})",
                    quote(&request_id(2).to_string()),
                    quote(&first)
                ));
            },
            problems: &["does not follow its predecessors"],
        },
    ]
}

fn integrity_finds_every_kind_of_broken_row(fresh: Fresh<'_>) {
    for breakage in breakages() {
        let database = fresh();
        let store = database.open();
        seed_for_integrity(&*store);
        assert_sound(&*store);
        (breakage.breaks)(&*database);
        let report = store.integrity().unwrap();
        assert!(!report.is_ok(), "{}: nothing found", breakage.name);
        assert_eq!(
            report.problems.len(),
            breakage.problems.len(),
            "{}: {:#?}",
            breakage.name,
            report.problems
        );
        for expected in breakage.problems {
            assert!(
                report.problems.iter().any(|found| found.contains(expected)),
                "{}: no problem says {expected:?}: {:#?}",
                breakage.name,
                report.problems
            );
        }
        assert_eq!(report.summary(100), report.problems.join("\n"));
        if report.problems.len() > 1 {
            let summary = report.summary(1);
            assert_eq!(summary.lines().count(), 2, "{summary}");
            assert!(summary.ends_with(&format!("… and {} more", report.problems.len() - 1)));
        }
    }
}

/// 16 threads, spread over `handles`, all cancel the same pending request at once: one wins.
fn race_to_cancel(handles: &[Arc<dyn Store>], rounds: u128) {
    const THREADS: usize = 16;
    for round in 1..=rounds {
        let id = request_id(round);
        create(&*handles[0], &processed(draft(round, approval(1, None))));

        let barrier = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let store = Arc::clone(&handles[thread % handles.len()]);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    act(&*store, id, ActionKind::Cancel, requestor(), T0)
                })
            })
            .collect();
        let results: Vec<_> = threads
            .into_iter()
            .map(|thread| thread.join().expect("no thread panics"))
            .collect();

        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for result in &results {
            match result {
                Ok(_) => {}
                Err(TransitionError::Rejected(Rejection::NotAllowed { status, action })) => {
                    assert_eq!(
                        (*status, *action),
                        (RequestStatus::Canceled, ActionKind::Cancel)
                    );
                }
                Err(other) => panic!("round {round}: a loser got {other:?}"),
            }
        }
        for store in handles {
            let stored = store.get(id).unwrap().unwrap();
            assert_eq!(stored, winners[0].stored);
            assert_eq!(stored.version, 2);
            assert_eq!(stored.record.request.status, RequestStatus::Canceled);
            let history = store.history(id).unwrap();
            let cancels = history
                .iter()
                .filter(|entry| {
                    matches!(&entry.event, Event::Transition { rule, .. } if rule.action == ActionKind::Cancel)
                })
                .count();
            assert_eq!(cancels, 1, "round {round}: {history:?}");
            assert_eq!(history.len(), 3);
        }
    }
}

fn concurrent_cancels_on_one_shared_handle_have_one_winner(database: &dyn Database) {
    let store: Arc<dyn Store> = Arc::from(database.open());
    race_to_cancel(&[Arc::clone(&store)], 4);
    assert_sound(&*store);
}

fn concurrent_cancels_on_two_handles_have_one_winner(database: &dyn Database) {
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    race_to_cancel(&handles, 4);
    assert_sound(&*handles[1]);
}

/// Two approvers of stage 0, on two handles, review it at the same moment: exactly one review is
/// applied; the other is refused as already reviewed, and nothing of it is written.
fn two_approvers_reviewing_one_stage_at_once_have_one_winner(database: &dyn Database) {
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let reviewers = [
        (FIRST_APPROVER, ReviewDecision::Approve, "first"),
        (CO_APPROVER, ReviewDecision::Deny, "second"),
    ];
    for round in 1..=8 {
        // Past the ids of the other racing checks, which may run on the same database.
        let n = 100 + round;
        let id = request_id(n);
        let stages = if round.is_multiple_of(2) { 2 } else { 1 };
        create(&*handles[0], &processed(draft(n, approval(stages, None))));
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|thread| {
                let store = Arc::clone(&handles[thread]);
                let barrier = Arc::clone(&barrier);
                let (who, decision, note) = reviewers[thread];
                std::thread::spawn(move || {
                    barrier.wait();
                    review(&*store, id, (0, decision), approver(who, 0), T0, Some(note))
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let winner = winners[0];
        for result in &results {
            match result {
                Ok(_) => {}
                Err(TransitionError::Rejected(rejection)) => assert_eq!(
                    *rejection,
                    Rejection::Stage(StageRejection::AlreadyReviewed { stage: 0 }),
                    "round {round}"
                ),
                Err(other) => panic!("round {round}: the loser got {other:?}"),
            }
        }
        for store in &handles {
            assert_eq!(store.get(id).unwrap().as_ref(), Some(&winner.stored));
            let history = store.history(id).unwrap();
            assert_eq!(history.len(), 3, "round {round}: {history:?}");
            assert_eq!(history[2], winner.entry);
        }
        assert_eq!(winner.stored.version, 2);
        assert_eq!(winner.stored.record.review_notes.len(), 1);
        assert_eq!(
            Some(winner.entry.by),
            winner
                .stored
                .record
                .request
                .stage(0)
                .and_then(entitle_core::Stage::review)
                .map(|review| review.by)
        );
    }
    assert_sound(&*handles[0]);
}

/// The schedule ends an assignment while its removal is delivered, on two handles at once: exactly one
/// of them moves it, the other is refused by the assignment, and nothing of it is written.
fn a_removal_and_the_schedule_end_racing_on_one_assignment_have_one_winner(
    database: &dyn Database,
) {
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let ends = T0.after(Duration::days(1));
    let mut outcomes = [0_u32; 2];
    for round in 0..6 {
        let (adding, removing) = (10 * round + 1, 10 * round + 2);
        create_by(
            &*handles[0],
            &admin_add(adding, Some(ends)),
            &administrator(),
        );
        act(
            &*handles[0],
            request_id(adding),
            ActionKind::Deliver,
            system(),
            T0,
        )
        .unwrap();
        create_by(
            &*handles[0],
            &admin_remove(removing, assignment_of(adding)),
            &administrator(),
        );
        let barrier = Arc::new(Barrier::new(2));
        let end = {
            let store = Arc::clone(&handles[0]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                store.end_assignment(assignment_of(adding), ends)
            })
        };
        let remove = {
            let store = Arc::clone(&handles[1]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                act(
                    &*store,
                    request_id(removing),
                    ActionKind::Deliver,
                    system(),
                    ends,
                )
            })
        };
        let (ended, removed) = (end.join().unwrap(), remove.join().unwrap());
        let assignment = handles[1]
            .assignment(assignment_of(adding))
            .unwrap()
            .unwrap();
        assert_eq!(assignment.assignment.state, AssignmentState::Expired);
        let removal = handles[1].get(request_id(removing)).unwrap().unwrap();
        let endings = handles[1]
            .history(request_id(adding))
            .unwrap()
            .iter()
            .filter(|entry| matches!(entry.event, Event::AssignmentEnded { .. }))
            .count();
        match (ended, removed) {
            (Ok(record), Err(TransitionError::Rejected(rejection))) => {
                outcomes[0] += 1;
                assert_eq!(record, assignment);
                assert_eq!(
                    rejection,
                    Rejection::Assignment(AssignmentRejection::NotAllowed {
                        state: Some(AssignmentState::Expired),
                        event: AssignmentEvent::Removed,
                    })
                );
                assert_eq!(removal.record.request.status, RequestStatus::Delivering);
                assert_eq!(removal.version, 1);
                assert_eq!(endings, 1);
            }
            (Err(TransitionError::Rejected(rejection)), Ok(moved)) => {
                outcomes[1] += 1;
                assert_eq!(
                    rejection,
                    Rejection::Assignment(AssignmentRejection::NotAllowed {
                        state: Some(AssignmentState::Expired),
                        event: AssignmentEvent::ScheduleEnded,
                    })
                );
                assert_eq!(moved.stored, removal);
                assert_eq!(removal.record.request.status, RequestStatus::Delivered);
                assert_eq!(endings, 0);
            }
            other => panic!("round {round}: expected one winner, got {other:?}"),
        }
    }
    assert_eq!(outcomes.iter().sum::<u32>(), 6);
    assert_sound(&*handles[0]);
}

fn concurrent_clock_advances_on_two_handles_add_up(database: &dyn Database) {
    const THREADS: usize = 8;
    const STEPS: u64 = 25;
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&handles[thread % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..STEPS {
                    store.advance_clock(1, u64::MAX).unwrap().unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let expected = STEPS * THREADS as u64;
    for handle in &handles {
        assert_eq!(handle.clock_offset().unwrap(), expected);
    }
}

fn concurrent_directory_replacements_on_two_handles_have_one_winner(database: &dyn Database) {
    const THREADS: usize = 8;
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&handles[thread % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                store.replace_directory(0, &tenant()).is_ok()
            })
        })
        .collect();
    let winners = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .filter(|won| *won)
        .count();
    assert_eq!(winners, 1, "one replacement from version 0 wins");
    for handle in &handles {
        assert_eq!(handle.directory_version().unwrap(), 1);
        assert_eq!(handle.directory().unwrap(), tenant());
    }
}

fn concurrent_creates_of_one_id_have_one_winner(database: &dyn Database) {
    const THREADS: usize = 8;
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&handles[thread % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut new = processed(draft(1, PolicyRules::default()));
                new.justification = Some(format!("thread {thread}"));
                barrier.wait();
                store
                    .create(&new, &requestor(), T0)
                    .map(|created| (thread, created))
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|error| matches!(
                error,
                CreateFailure::Store(StoreError::Duplicate(id)) if *id == request_id(1)
            )),
        "{results:?}"
    );
    let (_, created) = winners[0];
    for store in &handles {
        assert_eq!(
            store.get(request_id(1)).unwrap().as_ref(),
            Some(&created.stored)
        );
        let history = store.history(request_id(1)).unwrap();
        assert_eq!(history, created.history, "one submission, one first step");
        assert_eq!(
            history[0].justification,
            created.stored.record.justification
        );
        let assignment = store.assignment(assignment_of(1)).unwrap().unwrap();
        assert_eq!(assignment.assignment.state, AssignmentState::Delivering);
    }
    assert_sound(&*handles[0]);
}

fn concurrent_writers_lose_nothing(database: &dyn Database) {
    const THREADS: u128 = 8;
    const EACH: u128 = 5;
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&handles[usize::from(thread % 2 == 1)]);
            std::thread::spawn(move || {
                for k in 0..EACH {
                    let n = thread * EACH + k + 1;
                    create(&*store, &processed(draft(n, PolicyRules::default())));
                    act(&*store, request_id(n), ActionKind::Deliver, system(), T0).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let all = handles[0].list(&everything()).unwrap();
    assert_eq!(all.len(), usize::try_from(THREADS * EACH).unwrap());
    assert!(all.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    for stored in &all {
        let id = stored.record.request.id;
        assert_eq!(stored.version, 2);
        assert_eq!(stored.record.request.status, RequestStatus::Delivered);
        assert_eq!(handles[1].history(id).unwrap().len(), 3);
        assert_eq!(
            handles[1]
                .assignment(AssignmentId::for_request(id))
                .unwrap()
                .map(|record| record.assignment.state),
            Some(AssignmentState::Delivered)
        );
    }
    assert_eq!(handles[1].list(&everything()).unwrap(), all);
    let report = assert_sound(&*handles[1]);
    assert_eq!(report.assignments, all.len());
}

/// The request and its assignment are written in one transaction: when writing the assignment fails,
/// neither the request nor its history is written.
fn a_failed_assignment_write_rolls_back_its_request(database: &dyn Database) {
    let store = database.open();
    create_by(&*store, &admin_add(1, None), &administrator());
    let before = snapshot(&*store, request_id(1));
    database.fail_assignment_writes();

    match store.create(&admin_add(2, None), &administrator(), T0) {
        Err(CreateFailure::Store(StoreError::Unavailable { message, source })) => {
            assert!(
                format!("{message}: {source}").contains("injected failure"),
                "{message}: {source}"
            );
        }
        other => panic!("expected the database's failure, got {other:?}"),
    }
    assert_eq!(store.get(request_id(2)).unwrap(), None);
    assert!(store.history(request_id(2)).unwrap().is_empty());
    assert_eq!(store.assignment(assignment_of(2)).unwrap(), None);

    match act(&*store, request_id(1), ActionKind::Deliver, system(), T0) {
        Err(TransitionError::Store(StoreError::Unavailable { .. })) => {}
        other => panic!("expected the database's failure, got {other:?}"),
    }
    assert_eq!(snapshot(&*store, request_id(1)), before);

    // What moves no assignment still works.
    create(&*store, &processed(draft(3, approval(1, None))));
    act(&*store, request_id(3), ActionKind::Cancel, requestor(), T0).unwrap();
    assert_sound(&*store);
}

/// Expects `result` to be the store's refusal of a corrupt `what`; returns the reason given.
fn assert_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> String {
    match result {
        Err(StoreError::Corrupt {
            what: found,
            reason,
        }) => {
            assert_eq!(found, what);
            reason
        }
        other => panic!("expected a corrupt {what}, got {other:?}"),
    }
}

/// A fresh store with request 1 pending approval (it has a deadline) and request 2 accepted.
fn seeded(database: &dyn Database) -> Box<dyn Store> {
    let store = database.open();
    create(&*store, &processed(draft(1, approval(1, None))));
    create(&*store, &draft(2, PolicyRules::default()));
    store
}

/// Every read of request 1 (whose stored row `raw` reads) refuses it, a transition or a deletion
/// writes nothing, request 2 is unaffected, and the integrity check reports it. Returns the reason
/// given.
fn assert_refused_by<R: PartialEq + std::fmt::Debug>(
    store: &dyn Store,
    raw: impl Fn() -> R,
) -> String {
    let id = request_id(1);
    let reason = assert_corrupt(store.get(id), "request");
    assert_corrupt(store.list(&everything()), "request");
    assert_corrupt(store.due(FAR_FUTURE, 10), "request");
    let written = raw();
    match act(store, id, ActionKind::Cancel, requestor(), T0) {
        Err(TransitionError::Store(StoreError::Corrupt { what, .. })) => {
            assert_eq!(what, "request");
        }
        other => panic!("expected a corrupt request, got {other:?}"),
    }
    match delete(store, id, administrator(), T0) {
        Err(TransitionError::Store(StoreError::Corrupt { what, .. })) => {
            assert_eq!(what, "request");
        }
        other => panic!("expected a corrupt request, got {other:?}"),
    }
    assert_eq!(raw(), written, "a transition wrote over a corrupt row");
    assert_eq!(store.history(id).unwrap().len(), 2);
    let second = store.get(request_id(2)).unwrap().unwrap();
    assert_eq!(
        ids(
            store,
            &Query {
                after_seq: Some(second.seq - 1),
                limit: 10,
                ..Query::default()
            }
        ),
        [request_id(2)]
    );
    let report = store.integrity().unwrap();
    assert!(!report.is_ok(), "the integrity check found nothing");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("request at seq")),
        "{}",
        report.summary(10)
    );
    reason
}

/// The stored row of request 1, whatever it holds.
fn request_row(database: &dyn Database) -> Vec<String> {
    let id = quote(&request_id(1).to_string());
    ["version", "status", "body"]
        .iter()
        .map(|column| {
            one(
                database,
                &format!("SELECT {column} FROM requests WHERE id = {id}"),
            )
        })
        .collect()
}

fn set_request_body(database: &dyn Database, body: &str) {
    database.execute(&format!(
        "UPDATE requests SET body = {} WHERE id = {}",
        quote(body),
        quote(&request_id(1).to_string())
    ));
}

fn a_garbage_body_is_corrupt_not_a_panic(database: &dyn Database) {
    let store = seeded(database);
    for body in ["{\"request\": garbage", "", "{\"request\": 1}", "null"] {
        set_request_body(database, body);
        assert_refused_by(&*store, || request_row(database));
    }
}

/// Breaks a stored body.
type Breaks = fn(&mut serde_json::Value);

fn a_body_breaking_the_record_or_the_core_invariants_is_corrupt(database: &dyn Database) {
    let cases: [(&str, Breaks); 8] = [
        (
            "a completion time is set exactly when the status is completed",
            |body| body["request"]["completedAt"] = T0.0.into(),
        ),
        ("past the policy's last stage", |body| {
            body["request"]["approvalStage"] = 1.into();
        }),
        (
            "exactly the current stage of a request pending approval",
            |body| {
                body["request"]["status"] = "Delivered".into();
            },
        ),
        ("needs a start date", |body| {
            body["request"]["status"] = "PendingNotBefore".into();
            body["request"]["stages"][0]["outcome"] = serde_json::json!({"canceled": {"at": T0.0}});
        }),
        ("unknown request status", |body| {
            body["request"]["status"] = "Approved".into();
        }),
        ("record format `1`", |body| body["format"] = 1.into()),
        ("record format `3`", |body| body["format"] = 3.into()),
        ("unknown field `approvedBy`", |body| {
            body["approvedBy"] = "someone".into();
        }),
    ];
    let store = seeded(database);
    let text = one(
        database,
        &format!(
            "SELECT body FROM requests WHERE id = {}",
            quote(&request_id(1).to_string())
        ),
    );
    for (expected, breaks) in cases {
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        breaks(&mut json);
        set_request_body(database, &json.to_string());
        let reason = assert_refused_by(&*store, || request_row(database));
        assert!(
            reason.contains(expected),
            "{reason:?} should say {expected:?}"
        );
    }
    // Written back as it was, it reads again.
    set_request_body(database, &text);
    assert_eq!(store.list(&everything()).unwrap().len(), 2);
    assert_sound(&*store);
}

fn a_garbage_history_entry_is_corrupt(database: &dyn Database) {
    let store = seeded(database);
    database.execute(&format!(
        "UPDATE history SET body = 'nope' WHERE request_id = {}",
        quote(&request_id(1).to_string())
    ));
    assert_corrupt(store.history(request_id(1)), "history entry");
    assert_eq!(store.history(request_id(2)).unwrap().len(), 1);
    let report = store.integrity().unwrap();
    assert!(report.summary(10).contains("history entry"), "{report:?}");
}

fn a_history_entry_with_an_unknown_field_is_corrupt(database: &dyn Database) {
    let store = seeded(database);
    let seqs = entry_seqs(database, request_id(1));
    edit_entry(database, seqs.last().unwrap(), |body| {
        body["approvedBy"] = "someone".into();
    });
    let reason = assert_corrupt(store.history(request_id(1)), "history entry");
    assert!(reason.contains("approvedBy"), "{reason}");
    assert!(!store.integrity().unwrap().is_ok());
}

fn a_garbage_assignment_is_corrupt(database: &dyn Database) {
    let store = database.open();
    create_by(&*store, &admin_add(1, Some(FAR_FUTURE)), &administrator());
    act(&*store, request_id(1), ActionKind::Deliver, system(), T0).unwrap();
    create_by(
        &*store,
        &admin_remove(2, assignment_of(1)),
        &administrator(),
    );
    let id = quote(&assignment_of(1).to_string());
    let mut body = assignment_body(database, assignment_of(1));
    body["format"] = 1.into();
    database.execute(&format!(
        "UPDATE assignments SET body = {} WHERE id = {id}",
        quote(&body.to_string())
    ));
    let reason = assert_corrupt(store.assignment(assignment_of(1)), "assignment");
    assert!(reason.contains("record format `1`"), "{reason}");
    assert_corrupt(store.due_assignments(FAR_FUTURE, 10), "assignment");
    let before = one(
        database,
        &format!("SELECT body FROM assignments WHERE id = {id}"),
    );
    for result in [
        store.end_assignment(assignment_of(1), FAR_FUTURE).map(drop),
        act(&*store, request_id(2), ActionKind::Deliver, system(), T0).map(drop),
    ] {
        match result {
            Err(TransitionError::Store(StoreError::Corrupt { what, .. })) => {
                assert_eq!(what, "assignment");
            }
            other => panic!("expected a corrupt assignment, got {other:?}"),
        }
    }
    match store.create(&admin_remove(3, assignment_of(1)), &administrator(), T0) {
        Err(CreateFailure::Store(StoreError::Corrupt { what, .. })) => {
            assert_eq!(what, "assignment");
        }
        other => panic!("expected a corrupt assignment, got {other:?}"),
    }
    assert_eq!(
        one(
            database,
            &format!("SELECT body FROM assignments WHERE id = {id}")
        ),
        before
    );
    assert_eq!(store.get(request_id(3)).unwrap(), None);
    assert_eq!(
        store.get(request_id(2)).unwrap().unwrap().version,
        1,
        "nothing decided on a corrupt assignment"
    );
    assert!(!store.integrity().unwrap().is_ok());
}

fn garbage_settings_are_corrupt(database: &dyn Database) {
    let store = seeded(database);
    store.set_directory(&tenant()).unwrap();
    store.set_clock_offset(5).unwrap();
    database.execute(
        "UPDATE meta SET value = '{\"users\": 3}' WHERE key = 'directory';
         UPDATE meta SET value = 'soon' WHERE key = 'clock_offset_ms';",
    );
    assert_corrupt(store.directory(), "directory");
    assert_corrupt(store.clock_offset(), "clock offset");
    // Setting them again repairs them.
    store.set_directory(&tenant()).unwrap();
    store.set_clock_offset(6).unwrap();
    assert_eq!(store.directory().unwrap(), tenant());
    assert_eq!(store.clock_offset().unwrap(), 6);
}

// ---------------------------------------------------------------------------------------------------
// SQLite only: what the file holds when someone else wrote it
// ---------------------------------------------------------------------------------------------------

mod sqlite_only {
    use rusqlite::params;

    use super::*;

    /// The stored body's type and bytes, whatever they are.
    fn body(database: &SqliteDatabase, id: RequestId) -> (String, String) {
        database
            .raw()
            .query_row(
                "SELECT typeof(body), hex(body) FROM requests WHERE id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap()
    }

    fn set_body(database: &SqliteDatabase, body: &dyn rusqlite::ToSql) {
        let changed = database
            .raw()
            .execute(
                "UPDATE requests SET body = ?1 WHERE id = ?2",
                params![body, request_id(1).to_string()],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    #[test]
    fn a_body_that_is_not_text_is_corrupt() {
        let database = SqliteDatabase::fresh();
        let store = seeded(&database);
        let refused = || assert_refused_by(&*store, || body(&database, request_id(1)));
        set_body(&database, &vec![0xff_u8, 0x00, 0x7b]);
        refused();
        set_body(&database, &b"{\"request\": 1}".to_vec());
        refused();
        set_body(&database, &42);
        refused();
        // Text that is not UTF-8.
        database.execute(&format!(
            "UPDATE requests SET body = CAST(x'7bff22' AS TEXT) WHERE id = {}",
            quote(&request_id(1).to_string())
        ));
        refused();
    }

    #[test]
    fn a_history_entry_that_is_not_text_is_corrupt() {
        let database = SqliteDatabase::fresh();
        let store = seeded(&database);
        let seqs = entry_seqs(&database, request_id(1));
        database.execute(&format!(
            "UPDATE history SET body = x'00' WHERE seq = {}",
            seqs[0]
        ));
        assert_corrupt(store.history(request_id(1)), "history entry");
        assert!(!store.integrity().unwrap().is_ok());
    }

    #[test]
    fn the_integrity_check_reports_what_sqlite_finds() {
        let database = SqliteDatabase::fresh();
        drop(seeded(&database));
        // An index whose definition no longer matches its entries: only the file's own check sees
        // it, every row still reads back.
        database.execute(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master
             SET sql = 'CREATE INDEX requests_due ON requests (seq) WHERE next_deadline IS NOT NULL'
             WHERE name = 'requests_due';",
        );
        let store = database.open_sqlite();
        assert_eq!(store.list(&everything()).unwrap().len(), 2);
        let report = store.integrity().unwrap();
        assert_eq!(report.problems.len(), 1, "{report:?}");
        let problem = &report.problems[0];
        assert!(problem.starts_with("SQLite: "), "{problem}");
        assert!(problem.contains("requests_due"), "{problem}");
        assert_eq!(report.summary(5), *problem);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused() {
        let database = SqliteDatabase::fresh();
        std::fs::write(&database.path, vec![0x5a_u8; 8192]).unwrap();
        match SqliteStore::open(&database.path) {
            Err(error @ StoreError::Unavailable { .. }) => {
                assert!(std::error::Error::source(&error).is_some());
            }
            other => panic!("expected the database's refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_fresh_file_is_sound_and_in_wal_mode() {
        let database = SqliteDatabase::fresh();
        let store = database.open_sqlite();
        assert_sound(&store);
        assert_eq!(one(&database, "PRAGMA journal_mode"), "wal");
        assert_eq!(one(&database, "PRAGMA user_version"), "2");
    }

    /// The schema of the previous record format, which `PRAGMA user_version = 1` recorded.
    const SCHEMA_1: &str = "
        CREATE TABLE requests (
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
        CREATE TABLE history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        PRAGMA user_version = 1;
    ";

    #[test]
    fn a_database_of_the_previous_record_format_is_refused_while_it_holds_requests() {
        let database = SqliteDatabase::fresh();
        database.execute(SCHEMA_1);
        database.execute(&format!(
            "INSERT INTO requests (id, version, status, request_type, requestor, target, body)
             VALUES ({id}, 1, 'Accepted', 'userAdd', {who}, {who},
                     '{{\"requestType\":\"userAdd\",\"accessPackageId\":\"package\"}}')",
            id = quote(&request_id(1).to_string()),
            who = quote(&REQUESTOR.to_string()),
        ));
        match SqliteStore::open(&database.path) {
            Err(StoreError::Config(reason)) => {
                assert!(reason.contains("older entitle"), "{reason}");
                assert!(reason.contains("1 request"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(one(&database, "PRAGMA user_version"), "1", "left as it was");
        assert_eq!(one(&database, "SELECT count(*) FROM requests"), "1");
        assert!(
            database
                .texts("SELECT name FROM sqlite_master WHERE name = 'assignments'")
                .is_empty()
        );

        // Without requests, it is taken over and brought to the current schema.
        database.execute("DELETE FROM requests");
        let store = database.open_sqlite();
        assert_eq!(one(&database, "PRAGMA user_version"), "2");
        create_by(&store, &admin_add(1, None), &administrator());
        assert!(store.assignment(assignment_of(1)).unwrap().is_some());
        assert_sound(&store);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let database = SqliteDatabase::fresh();
        drop(database.open_sqlite());
        database.execute("PRAGMA user_version = 3");
        match SqliteStore::open(&database.path) {
            Err(StoreError::Config(reason)) => {
                assert!(reason.contains("schema version 3"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL only: the pool, migrations, retries, connecting
// ---------------------------------------------------------------------------------------------------

mod postgres_only {
    use std::time::{Duration as StdDuration, Instant};

    use super::*;

    /// A stopped server is `Unavailable` at once, never a panic; the pool reconnects by itself once
    /// it is started again. On a cluster of its own: the shared one serves the other checks.
    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_stopped_server_is_unavailable_and_the_pool_reconnects() {
        let cluster = PgCluster::for_tests();
        let url = cluster.create_database("restart").unwrap();
        let store = PostgresStore::connect(&url, 2).unwrap();
        create(&store, &draft(1, PolicyRules::default()));
        cluster.stop().unwrap();
        // The first call finds the pooled connections broken and drops them; with none left, every
        // call fails within `UNREACHABLE_TIMEOUT`.
        for _ in 0..3 {
            let asked = Instant::now();
            let failed = store.get(request_id(1));
            assert!(
                matches!(failed, Err(StoreError::Unavailable { .. })),
                "{failed:?}"
            );
            let took = asked.elapsed();
            assert!(
                took < entitle_store::postgres::UNREACHABLE_TIMEOUT + StdDuration::from_secs(2),
                "{took:?}"
            );
        }
        cluster.start_again().unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(60);
        let stored = loop {
            match store.get(request_id(1)) {
                Ok(stored) => break stored,
                Err(error) => assert!(Instant::now() < deadline, "no reconnect: {error}"),
            }
        };
        assert!(stored.is_some());
        create(&store, &draft(2, PolicyRules::default()));
        assert_sound(&store);
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn migrations_are_recorded_and_safe_when_processes_start_at_once() {
        let database = PostgresDatabase::fresh();
        let barrier = Arc::new(Barrier::new(8));
        let starts: Vec<_> = (0..8)
            .map(|_| {
                let url = database.url.clone();
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    PostgresStore::connect(&url, 2).map(drop)
                })
            })
            .collect();
        for start in starts {
            start.join().unwrap().unwrap();
        }
        let store = database.open_postgres();
        create(&store, &draft(1, PolicyRules::default()));
        drop(store);
        let _again = database.open_postgres();
        assert_eq!(
            database.texts("SELECT version FROM entitle_schema ORDER BY version"),
            ["1", "2"]
        );
        assert!(
            database
                .open_postgres()
                .get(request_id(1))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_newer_schema_is_refused() {
        let database = PostgresDatabase::fresh();
        drop(database.open_postgres());
        database.execute("INSERT INTO entitle_schema (version) VALUES (3)");
        match PostgresStore::connect(&database.url, 2) {
            Err(StoreError::Config(reason)) => {
                assert!(reason.contains("schema version 3"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// The schema of the previous record format: migration 1 as it was, recorded as applied.
    const SCHEMA_1: &str = "
        CREATE TABLE entitle_schema (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE requests (
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
        CREATE TABLE history (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            request_id TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO entitle_schema (version) VALUES (1);
    ";

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_database_of_the_previous_record_format_is_refused_while_it_holds_requests() {
        let database = PostgresDatabase::fresh();
        database.execute(SCHEMA_1);
        database.execute(&format!(
            "INSERT INTO requests (id, version, status, request_type, requestor, target, body)
             VALUES ({id}, 1, 'Accepted', 'userAdd', {who}, {who},
                     '{{\"requestType\":\"userAdd\",\"accessPackageId\":\"package\"}}')",
            id = quote(&request_id(1).to_string()),
            who = quote(&REQUESTOR.to_string()),
        ));
        match PostgresStore::connect(&database.url, 2) {
            Err(StoreError::Config(reason)) => {
                assert!(reason.contains("older entitle"), "{reason}");
                assert!(reason.contains("1 request"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            database.texts("SELECT version FROM entitle_schema"),
            ["1"],
            "left as it was"
        );
        assert!(
            database
                .texts("SELECT tablename FROM pg_tables WHERE tablename = 'assignments'")
                .is_empty()
        );

        // Without requests, it is migrated to the current schema.
        database.execute("DELETE FROM requests");
        let store = database.open_postgres();
        assert_eq!(
            database.texts("SELECT version FROM entitle_schema ORDER BY version"),
            ["1", "2"]
        );
        assert_eq!(store.assignment(assignment_of(1)).unwrap(), None);
        assert_eq!(store.due_assignments(FAR_FUTURE, 10).unwrap(), []);
        assert_sound(&store);
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn an_unreachable_server_is_unavailable_and_bad_settings_are_misconfiguration() {
        let database = PostgresDatabase::fresh();
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        match PostgresStore::connect(&format!("postgres://postgres@127.0.0.1:{free}/nothing"), 4) {
            Err(error @ StoreError::Unavailable { .. }) => {
                let source = std::error::Error::source(&error).expect("the driver's error");
                assert!(source.is::<postgres::Error>(), "{source:?}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
        let missing = database.url.rsplit_once('/').unwrap().0.to_owned() + "/missing";
        match PostgresStore::connect(&missing, 2) {
            Err(error @ StoreError::Unavailable { .. }) => {
                assert!(error.to_string().contains("does not exist"), "{error}");
                assert!(std::error::Error::source(&error).is_some());
            }
            other => panic!("expected a missing database, got {other:?}"),
        }
        for (url, max) in [
            ("not a url at all".to_owned(), 4),
            ("postgres://postgres@127.0.0.1:1:2/x".to_owned(), 4),
            (database.url.clone(), 0),
        ] {
            assert!(
                matches!(
                    PostgresStore::connect(&url, max),
                    Err(StoreError::Config(_))
                ),
                "{url} with {max} connections"
            );
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(5),
            "refusals are prompt"
        );
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_small_pool_serves_many_threads() {
        let database = PostgresDatabase::fresh();
        let store = Arc::new(PostgresStore::connect(&database.url, 2).unwrap());
        let threads: Vec<_> = (0..12_u128)
            .map(|n| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    create(&*store, &draft(n + 1, PolicyRules::default()));
                    act(
                        &*store,
                        request_id(n + 1),
                        ActionKind::Process,
                        system(),
                        T0,
                    )
                    .unwrap();
                    store.pool_status()
                })
            })
            .collect();
        for thread in threads {
            let status = thread.join().unwrap();
            assert!(status.connections <= 2, "{status:?}");
            assert_eq!(status.max, 2);
        }
        assert_eq!(store.list(&everything()).unwrap().len(), 12);
        assert!(format!("{store:?}").contains("PostgresStore"));
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_panicking_caller_leaves_its_connection_clean() {
        let database = PostgresDatabase::fresh();
        // One connection: the one the panic unwound through is the one used next.
        let store = PostgresStore::connect(&database.url, 1).unwrap();
        a_panicking_caller_writes_nothing_and_the_store_stays_usable(&store);
        assert_eq!(store.pool_status().connections, 1);
        assert_sound(&store);
    }

    /// As the server uses it: connected and called from `spawn_blocking`, dropped on an async task.
    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn the_store_serves_a_tokio_runtime_from_blocking_threads() {
        let database = PostgresDatabase::fresh();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let url = database.url.clone();
            let store: Arc<dyn Store> = Arc::new(
                tokio::task::spawn_blocking(move || PostgresStore::connect(&url, 4))
                    .await
                    .unwrap()
                    .unwrap(),
            );
            let tasks: Vec<_> = (1..=16_u128)
                .map(|n| {
                    let store = Arc::clone(&store);
                    tokio::task::spawn_blocking(move || {
                        create(&*store, &draft(n, PolicyRules::default()));
                        act(&*store, request_id(n), ActionKind::Process, system(), T0)
                    })
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap().unwrap().stored.version, 2);
            }
            let listing = Arc::clone(&store);
            let listed = tokio::task::spawn_blocking(move || listing.list(&everything()))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(listed.len(), 16);
            // The last handle dropped on an async task: the connections close elsewhere.
            drop(store);
            drop(database);
        });
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_serializable_default_still_has_one_winner() {
        let database = PostgresDatabase::fresh();
        let name = database.url.rsplit_once('/').unwrap().1.to_owned();
        database.execute(&format!(
            "ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'"
        ));
        assert_eq!(
            one(&database, "SHOW default_transaction_isolation"),
            "serializable",
            "the database default applies"
        );
        concurrent_cancels_on_two_handles_have_one_winner(&database);
        two_approvers_reviewing_one_stage_at_once_have_one_winner(&database);
    }

    /// Makes updates of `requests` fail with SQLSTATE `code` for their first `failures` attempts
    /// (counted by a sequence, which a rollback does not undo).
    fn inject_failures(database: &PostgresDatabase, code: &str, failures: i64) {
        database.execute(&format!(
            "CREATE SEQUENCE attempts;
             CREATE FUNCTION fail_update() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF nextval('attempts') <= {failures} THEN
                     RAISE EXCEPTION 'injected failure' USING ERRCODE = '{code}';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER fail_update BEFORE UPDATE ON requests
                 FOR EACH ROW EXECUTE FUNCTION fail_update();"
        ));
    }

    fn attempts(database: &PostgresDatabase) -> i64 {
        one(database, "SELECT last_value FROM attempts")
            .parse()
            .unwrap()
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn serialization_failures_and_deadlocks_are_retried() {
        for code in ["40001", "40P01"] {
            let database = PostgresDatabase::fresh();
            let store = database.open_postgres();
            let id = request_id(1);
            create(&store, &draft(1, approval(1, None)));
            inject_failures(&database, code, 4);
            let calls = AtomicUsize::new(0);
            let moved = store
                .transition(
                    id,
                    Command::Act(ActionKind::Process),
                    &|_: &RequestRecord| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        system()
                    },
                    T0,
                    None,
                )
                .unwrap();
            assert_eq!(moved.stored.version, 2, "{code}");
            assert_eq!(calls.load(Ordering::SeqCst), 5, "each attempt decides anew");
            assert_eq!(attempts(&database), 5);
            assert_eq!(store.history(id).unwrap().len(), 2);
            assert_sound(&store);
        }
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_transition_failing_every_attempt_is_contended_and_writes_nothing() {
        let database = PostgresDatabase::fresh();
        let store = database.open_postgres();
        let id = request_id(1);
        create(&store, &draft(1, approval(1, None)));
        inject_failures(&database, "40001", 1000);
        let before = snapshot(&store, id);
        match act(&store, id, ActionKind::Process, system(), T0) {
            Err(TransitionError::Store(StoreError::Contended(contended))) => {
                assert_eq!(contended, id);
            }
            other => panic!("expected Contended, got {other:?}"),
        }
        assert_eq!(
            attempts(&database),
            i64::from(entitle_store::postgres::ATTEMPTS)
        );
        assert_eq!(snapshot(&store, id), before);
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn other_database_errors_are_not_retried() {
        let database = PostgresDatabase::fresh();
        let store = database.open_postgres();
        let id = request_id(1);
        create(&store, &draft(1, approval(1, None)));
        inject_failures(&database, "23514", 1000);
        let before = snapshot(&store, id);
        match act(&store, id, ActionKind::Process, system(), T0) {
            Err(TransitionError::Store(error @ StoreError::Unavailable { .. })) => {
                assert!(error.to_string().contains("injected failure"), "{error}");
                assert!(std::error::Error::source(&error).is_some());
            }
            other => panic!("expected a database error, got {other:?}"),
        }
        assert_eq!(attempts(&database), 1);
        assert_eq!(snapshot(&store, id), before);
    }

    #[test]
    #[cfg_attr(
        not(entitle_postgres),
        ignore = "needs PostgreSQL (apt-get install postgresql); ENTITLE_REQUIRE_POSTGRES=1 makes it required"
    )]
    fn a_cursor_never_skips_a_request_committed_after_its_page() {
        let database = PostgresDatabase::fresh();
        let handles: [Arc<PostgresStore>; 2] = [
            Arc::new(database.open_postgres()),
            Arc::new(database.open_postgres()),
        ];
        let writers: Vec<_> = (0..4_u128)
            .map(|thread| {
                let store = Arc::clone(&handles[usize::from(thread % 2 == 1)]);
                std::thread::spawn(move || {
                    for k in 0..25 {
                        create(&*store, &draft(thread * 25 + k + 1, PolicyRules::default()));
                    }
                })
            })
            .collect();
        // Page while they write, then to the end: every request is seen exactly once.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let writing = writers.iter().any(|writer| !writer.is_finished());
            let page = handles[0]
                .list(&Query {
                    after_seq: after,
                    limit: 3,
                    ..Query::default()
                })
                .unwrap();
            if let Some(last) = page.last() {
                after = Some(last.seq);
            } else if !writing {
                break;
            }
            seen.extend(page.into_iter().map(|stored| stored.record.request.id));
        }
        for writer in writers {
            writer.join().unwrap();
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "a request listed twice");
        assert_eq!(seen.len(), 100, "a request skipped");
    }
}
