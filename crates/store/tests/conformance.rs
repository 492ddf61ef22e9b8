//! The storage contract, checked once for every backend.
//!
//! Each check is a plain function: most take a `&dyn Store`, the few that need several handles on one
//! database (reopening, racing processes) take a `&dyn Database`. The `conformance!` invocations at the
//! end of the file run every check against a fresh database of each backend, one `#[test]` per check
//! per backend, so another backend (PostgreSQL) runs the very same checks by adding one line there.
//! Checks that need to reach around the contract (writing garbage into the SQLite file) are in
//! `sqlite_only`, their PostgreSQL counterparts (and the pool, migrations and retries) in
//! `postgres_only`.
//!
//! PostgreSQL: one throwaway cluster per test binary ([`PgCluster::shared`]), started by the first
//! check that needs it, and a fresh database per check. The cluster lives in a `static` whose
//! destructor never runs; its watchdog stops it when this process exits, however it exits (so the
//! checks stay one `#[test]` each, run in parallel, and a killed run leaves no server behind). Without
//! PostgreSQL the checks print `NOT RUN` and pass, unless `ENTITLE_REQUIRE_POSTGRES=1` (CI).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use entitle_core::{
    Action, ActionKind, ApprovalPolicy, Caller, Deadline, Denial, Duration, Guid, Permission,
    Policy, Principal, Rejection, Request, RequestId, RequestStatus, Role, SubjectId, Timestamp,
};
use entitle_graph::{AssignmentRequest, RequestType};
use entitle_store::{
    AccessPackage, AssignmentPolicy, Catalog, Directory, DirectoryError, Event, HistoryEntry,
    PostgresStore, Query, SqliteStore, StageApprovers, Store, StoreError, Stored, TransitionError,
    Transitioned, User,
};
use entitle_testkit::PgCluster;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------------

/// One fresh, empty database of a backend, on which any number of handles can be opened.
trait Database {
    /// A new handle on this database: its own connection, as another process would open it.
    fn open(&self) -> Box<dyn Store>;

    /// The backend's own consistency check of what it stored (`"ok"` when sound), if it has one.
    fn integrity_check(&self) -> Option<String> {
        None
    }
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
}

impl Database for SqliteDatabase {
    fn open(&self) -> Box<dyn Store> {
        Box::new(self.open_sqlite())
    }

    fn integrity_check(&self) -> Option<String> {
        Some(
            self.open_sqlite()
                .integrity_check()
                .expect("integrity check runs"),
        )
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
    /// `None` (the check does not run) when PostgreSQL is not available and not required.
    fn fresh() -> Option<Self> {
        let Some(cluster) = PgCluster::shared() else {
            eprintln!("NOT RUN: no PostgreSQL");
            return None;
        };
        let url = cluster
            .fresh_database("conformance")
            .expect("a fresh database");
        Some(Self { url })
    }

    fn open_postgres(&self) -> PostgresStore {
        PostgresStore::connect(&self.url, POOL).expect("the database opens")
    }
}

impl Database for PostgresDatabase {
    fn open(&self) -> Box<dyn Store> {
        Box::new(self.open_postgres())
    }

    fn integrity_check(&self) -> Option<String> {
        Some(
            self.open_postgres()
                .integrity_check()
                .expect("integrity check runs"),
        )
    }
}

/// `conformance!(backend, || fresh database, if available)`: a module `backend` with one `#[test]`
/// per check.
macro_rules! conformance {
    ($backend:ident, $fresh:expr) => {
        mod $backend {
            #[allow(unused_imports, reason = "the backend expression may name anything at the top")]
            use super::*;

            conformance!(@store $fresh;
                create_then_get_returns_the_record_at_version_1,
                a_create_stores_the_steps_taken_before_it_in_order,
                a_duplicate_create_is_refused_and_changes_nothing,
                an_unknown_id_is_absent_everywhere,
                a_transition_applies_the_core_decision,
                a_rejected_transition_writes_nothing,
                the_caller_is_resolved_from_the_request_read_in_the_transaction,
                a_stale_caller_writes_nothing,
                a_panicking_caller_writes_nothing_and_the_store_stays_usable,
                list_filters_in_insertion_order,
                list_honours_the_limit_and_the_cursor,
                paging_walks_every_row_exactly_once,
                due_lists_requests_once_their_deadline_passes,
                delete_needs_the_current_version_and_keeps_the_history,
                the_directory_round_trips_and_refuses_inconsistency,
                the_clock_offset_defaults_to_zero_and_round_trips,
                the_clock_advances_atomically_up_to_a_bound,
                any_text_round_trips,
            );
            conformance!(@database $fresh;
                everything_survives_reopening,
                concurrent_cancels_on_one_shared_handle_have_one_winner,
                concurrent_cancels_on_two_handles_have_one_winner,
                concurrent_clock_advances_on_two_handles_add_up,
                concurrent_creates_of_one_id_have_one_winner,
                concurrent_writers_lose_nothing,
            );
        }
    };
    (@store $fresh:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let Some(database) = ($fresh)() else { return };
                let store = crate::Database::open(&database);
                crate::$check(&*store);
            }
        )*
    };
    (@database $fresh:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let Some(database) = ($fresh)() else { return };
                crate::$check(&database);
            }
        )*
    };
}

conformance!(sqlite, || Some(SqliteDatabase::fresh()));
conformance!(postgresql, PostgresDatabase::fresh);

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
const ADMINISTRATOR: SubjectId = subject(0x300);

const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(n))
}

const fn request_id(n: u128) -> RequestId {
    RequestId::new(Guid::from_u128(0xa000_0000 + n))
}

/// A policy with `stages` approval stages, a 14-day decision timeout and optional escalation.
fn approval(stages: u8, escalate_after: Option<Duration>) -> Policy {
    Policy {
        approval: Some(ApprovalPolicy {
            stages,
            decision_timeout: Duration::days(14),
            escalate_after,
        }),
        callout_on_created: false,
    }
}

/// Request `n`, submitted at `T0` by `requestor` for themselves.
fn draft_by(n: u128, requestor: SubjectId, policy: Policy) -> AssignmentRequest {
    AssignmentRequest {
        request: Request::submit(request_id(n), requestor, policy, None, T0).unwrap(),
        request_type: RequestType::UserAdd,
        access_package_id: "package".into(),
        assignment_policy_id: "policy".into(),
        target_id: requestor,
        justification: Some(format!("request {n}")),
        expires_at: None,
    }
}

fn draft(n: u128, policy: Policy) -> AssignmentRequest {
    draft_by(n, REQUESTOR, policy)
}

/// The `Submitted` entry written with `record`.
fn submitted(record: &AssignmentRequest) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        request_id: record.request.id,
        at: record.request.created_at,
        by: record.request.requestor,
        principal: Principal::WorkOrSchoolUser,
        stage: 0,
        event: Event::Submitted {
            status: record.request.status,
        },
        justification: record.justification.clone(),
    }
}

/// The `Deleted` entry for `stored`, deleted by an administrator at `at`.
fn deleted(stored: &Stored, at: Timestamp) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        request_id: stored.record.request.id,
        at,
        by: ADMINISTRATOR,
        principal: Principal::WorkOrSchoolUser,
        stage: stored.record.request.approval_stage,
        event: Event::Deleted {
            status: stored.record.request.status,
        },
        justification: None,
    }
}

fn create(store: &dyn Store, record: &AssignmentRequest) -> Stored {
    store.create(record, &[submitted(record)]).unwrap()
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
        kind,
        &move |_: &AssignmentRequest| Ok(caller),
        now,
        None,
    )
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

/// Everything the store says about one request, and the whole list.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    stored: Option<Stored>,
    history: Vec<HistoryEntry>,
    all: Vec<Stored>,
}

fn snapshot(store: &dyn Store, id: RequestId) -> Snapshot {
    Snapshot {
        stored: store.get(id).unwrap(),
        history: store.history(id).unwrap(),
        all: store.list(&everything()).unwrap(),
    }
}

/// Asserts that `result` is the core's rejection `expected` and that nothing changed.
fn assert_rejected(
    store: &dyn Store,
    id: RequestId,
    result: Result<Transitioned, TransitionError>,
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

/// A tenant whose policy `policy` has two stages: `FIRST_APPROVER` decides stage 0 (with
/// `ALTERNATE_APPROVER` once escalated), `SECOND_APPROVER` stage 1.
fn tenant() -> Directory {
    Directory {
        users: vec![User {
            id: REQUESTOR,
            display_name: "Adele Vance".into(),
            user_principal_name: "adele@contoso.test".into(),
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
                StageApprovers {
                    approvers: vec![FIRST_APPROVER],
                    escalation_approvers: vec![ALTERNATE_APPROVER],
                },
                StageApprovers {
                    approvers: vec![SECOND_APPROVER],
                    escalation_approvers: vec![],
                },
            ],
        }],
        role_assignments: vec![entitle_store::RoleAssignment {
            principal_id: ADMINISTRATOR,
            role: Role::CatalogOwner,
            catalog_id: Some("catalog".into()),
        }],
    }
}

/// Resolves `who` as the server does: the approver role only for the stage the request is at.
fn resolver<'a>(
    directory: &'a Directory,
    who: SubjectId,
    seen: &'a Mutex<Vec<AssignmentRequest>>,
) -> impl Fn(&AssignmentRequest) -> Result<Caller, String> + Sync + 'a {
    move |record| {
        seen.lock().unwrap().push(record.clone());
        let request = &record.request;
        let escalated = request.status == RequestStatus::PendingApprovalEscalated;
        let caller = Caller::user(who).with_permission(Permission::ReadWriteAll);
        if directory.is_approver(
            &record.assignment_policy_id,
            request.approval_stage,
            escalated,
            who,
        ) {
            Ok(caller.with_role(Role::Approver))
        } else {
            Ok(caller)
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Checks on one handle
// ---------------------------------------------------------------------------------------------------

fn create_then_get_returns_the_record_at_version_1(store: &dyn Store) {
    let record = draft(1, Policy::default());
    let id = record.request.id;
    let created = create(store, &record);
    assert_eq!(created.record, record);
    assert_eq!(created.version, 1);
    assert_eq!(store.get(id).unwrap(), Some(created.clone()));

    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 1);
    assert_ne!(history[0].seq, 0, "a written entry has its position");
    assert_eq!(
        history[0],
        HistoryEntry {
            seq: history[0].seq,
            ..submitted(&record)
        }
    );

    let second = create(store, &draft(2, approval(1, None)));
    assert!(
        second.seq > created.seq,
        "a later insertion has a later seq"
    );
    assert_eq!(store.get(id).unwrap(), Some(created));
    assert_eq!(store.history(id).unwrap(), history);
}

fn a_create_stores_the_steps_taken_before_it_in_order(store: &dyn Store) {
    let submitted_record = draft(1, approval(1, None));
    let step = submitted_record
        .request
        .apply(
            &entitle_core::Action::by_system(ActionKind::Process),
            submitted_record.request.created_at,
        )
        .unwrap();
    let mut processed = submitted_record.clone();
    processed.request = step.request;
    let process = HistoryEntry::of_step(
        &step,
        entitle_core::Caller::system().id,
        Principal::System,
        0,
        None,
    );
    let created = store
        .create(&processed, &[submitted(&submitted_record), process.clone()])
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(
        created.record.request.status,
        RequestStatus::PendingApproval
    );
    let history = store.history(processed.request.id).unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].seq < history[1].seq);
    assert_eq!(history[0].status_after(), Some(RequestStatus::Accepted));
    assert_eq!(
        HistoryEntry {
            seq: 0,
            ..history[1].clone()
        },
        process
    );
}

fn a_duplicate_create_is_refused_and_changes_nothing(store: &dyn Store) {
    let record = draft(1, Policy::default());
    let id = record.request.id;
    create(store, &record);
    let before = snapshot(store, id);

    let mut again = draft_by(1, OTHER_REQUESTOR, approval(1, None));
    again.justification = Some("the same id again".into());
    match store.create(&again, &[submitted(&again)]) {
        Err(StoreError::Duplicate(duplicate)) => assert_eq!(duplicate, id),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_eq!(snapshot(store, id), before);
}

fn an_unknown_id_is_absent_everywhere(store: &dyn Store) {
    let known = create(store, &draft(1, Policy::default()));
    let unknown = request_id(2);
    let before = snapshot(store, known.record.request.id);

    assert_eq!(store.get(unknown).unwrap(), None);
    assert!(store.history(unknown).unwrap().is_empty());

    let calls = AtomicUsize::new(0);
    let caller = |_: &AssignmentRequest| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(system())
    };
    match store.transition(unknown, ActionKind::Process, &caller, T0, None) {
        Err(TransitionError::NotFound(missing)) => assert_eq!(missing, unknown),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no request, no caller to resolve"
    );

    let ghost = Stored {
        record: draft(2, Policy::default()),
        version: 1,
        seq: 0,
    };
    assert!(!store.delete(unknown, 1, &deleted(&ghost, T0)).unwrap());
    assert!(
        store.history(unknown).unwrap().is_empty(),
        "no entry for a delete that did nothing"
    );
    assert_eq!(snapshot(store, known.record.request.id), before);
}

fn a_transition_applies_the_core_decision(store: &dyn Store) {
    let record = draft(1, approval(2, Some(Duration::days(3))));
    let id = record.request.id;
    let created = create(store, &record);

    let now = T0.after(Duration::hours(1));
    let step = record
        .request
        .apply(&Action::by_system(ActionKind::Process), now)
        .unwrap();
    let moved = store
        .transition(
            id,
            ActionKind::Process,
            &|_: &AssignmentRequest| Ok(system()),
            now,
            Some("routed"),
        )
        .unwrap();

    let mut expected = record.clone();
    expected.request = step.request;
    assert_eq!(expected.request.status, RequestStatus::PendingApproval);
    assert_eq!(
        moved.stored,
        Stored {
            record: expected,
            version: 2,
            seq: created.seq,
        }
    );
    assert_eq!(store.get(id).unwrap(), Some(moved.stored.clone()));

    let Event::Transition { rule, authority } = &moved.entry.event else {
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
    assert_eq!(
        moved.entry,
        HistoryEntry {
            seq: moved.entry.seq,
            ..HistoryEntry::of_step(
                &step,
                system().id,
                Principal::System,
                0,
                Some("routed".into())
            )
        }
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
    let first = Caller::user(FIRST_APPROVER)
        .with_permission(Permission::ReadWriteAll)
        .with_role(Role::Approver);
    let approved = act(store, id, ActionKind::Approve, first, later).unwrap();
    assert_eq!(approved.stored.version, 3);
    assert_eq!(approved.stored.record.request.approval_stage, 1);
    assert_eq!(approved.stored.record.request.stage_started_at, Some(later));
    assert_eq!(approved.entry.stage, 0);
    assert_eq!(approved.entry.by, FIRST_APPROVER);
    assert_eq!(approved.entry.principal, Principal::WorkOrSchoolUser);
    assert_eq!(approved.entry.at, later);
    assert_eq!(approved.entry.justification, None);
    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2], approved.entry);
    assert_increasing(&history);
    assert_eq!(
        history
            .iter()
            .filter_map(HistoryEntry::status_after)
            .collect::<Vec<_>>(),
        [
            RequestStatus::Accepted,
            RequestStatus::PendingApproval,
            RequestStatus::PendingApproval
        ]
    );
}

fn a_rejected_transition_writes_nothing(store: &dyn Store) {
    // From a status with no row for the action.
    let delivered = draft(1, Policy::default());
    let id = delivered.request.id;
    create(store, &delivered);
    act(store, id, ActionKind::Process, system(), T0).unwrap();
    act(store, id, ActionKind::Deliver, system(), T0).unwrap();
    let before = snapshot(store, id);
    assert_eq!(
        before
            .stored
            .as_ref()
            .map(|s| (s.version, s.record.request.status)),
        Some((3, RequestStatus::Delivered))
    );
    let result = act(store, id, ActionKind::Cancel, requestor(), T0);
    let expected = Rejection::NotAllowed {
        status: RequestStatus::Delivered,
        action: ActionKind::Cancel,
    };
    assert_rejected(store, id, result, expected, &before);

    // Callers without the authority, on a cancelable request.
    let pending = draft(2, approval(1, None));
    let id = pending.request.id;
    create(store, &pending);
    act(store, id, ActionKind::Process, system(), T0).unwrap();
    let before = snapshot(store, id);
    let denials = [
        (
            Caller::user(REQUESTOR),
            ActionKind::Cancel,
            Denial::MissingPermission {
                action: ActionKind::Cancel,
                permission: Permission::SubjectAccessReadWrite,
            },
        ),
        (
            Caller::user(OTHER_REQUESTOR).with_permission(Permission::ReadWriteAll),
            ActionKind::Cancel,
            Denial::MissingAdministratorRole {
                action: ActionKind::Cancel,
            },
        ),
        (
            administrator(),
            ActionKind::Expire,
            Denial::PrincipalNotSupported {
                action: ActionKind::Expire,
                principal: Principal::WorkOrSchoolUser,
            },
        ),
        (
            Caller::user(FIRST_APPROVER).with_permission(Permission::ReadWriteAll),
            ActionKind::Approve,
            Denial::NotAnApprover {
                action: ActionKind::Approve,
            },
        ),
    ];
    for (caller, kind, denial) in denials {
        let result = act(store, id, kind, caller, T0);
        assert_rejected(store, id, result, Rejection::Unauthorized(denial), &before);
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
        unmet: entitle_core::Condition::DecisionTimedOut,
    };
    assert_rejected(store, id, result, expected, &before);
}

fn the_caller_is_resolved_from_the_request_read_in_the_transaction(store: &dyn Store) {
    let directory = tenant();
    let seen = Mutex::new(Vec::new());
    let record = draft(1, approval(2, Some(Duration::days(3))));
    let id = record.request.id;
    let stale = create(store, &record);
    act(store, id, ActionKind::Process, system(), T0).unwrap();

    // Stage 0: its approver may approve.
    let current = store.get(id).unwrap().unwrap();
    let first = resolver(&directory, FIRST_APPROVER, &seen);
    let moved = store
        .transition(id, ActionKind::Approve, &first, T0, None)
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), std::slice::from_ref(&current.record));
    assert_eq!(moved.stored.record.request.approval_stage, 1);

    // Stage 1, as read in the transaction (not the caller's stale copy at stage 0): the first
    // approver no longer is one; the second is.
    assert_eq!(stale.record.request.approval_stage, 0);
    seen.lock().unwrap().clear();
    let before = snapshot(store, id);
    let result = store.transition(id, ActionKind::Approve, &first, T0, None);
    let expected = Rejection::Unauthorized(Denial::NotAnApprover {
        action: ActionKind::Approve,
    });
    assert_rejected(store, id, result, expected, &before);
    assert_eq!(
        *seen.lock().unwrap(),
        std::slice::from_ref(&moved.stored.record)
    );

    let second = resolver(&directory, SECOND_APPROVER, &seen);
    let done = store
        .transition(id, ActionKind::Approve, &second, T0, None)
        .unwrap();
    assert_eq!(done.stored.record.request.status, RequestStatus::Delivering);

    // Escalation: the alternate approver decides only once the stage has escalated.
    seen.lock().unwrap().clear();
    let escalating = draft(2, approval(2, Some(Duration::days(3))));
    let id = escalating.request.id;
    create(store, &escalating);
    act(store, id, ActionKind::Process, system(), T0).unwrap();
    let alternate = resolver(&directory, ALTERNATE_APPROVER, &seen);
    let before = snapshot(store, id);
    let result = store.transition(id, ActionKind::Approve, &alternate, T0, None);
    assert_rejected(store, id, result, expected, &before);
    let due = T0.after(Duration::days(3));
    act(store, id, ActionKind::Escalate, system(), due).unwrap();
    let escalated = store
        .transition(id, ActionKind::Approve, &alternate, due, None)
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
}

fn a_stale_caller_writes_nothing(store: &dyn Store) {
    let record = draft(1, approval(2, None));
    let id = record.request.id;
    create(store, &record);
    act(store, id, ActionKind::Process, system(), T0).unwrap();
    let reviewed_stage = 0;
    let approver = Caller::user(FIRST_APPROVER)
        .with_permission(Permission::ReadWriteAll)
        .with_role(Role::Approver);
    // An approver who reviewed stage 0: stale once the request has moved past it.
    let reviewer = move |record: &AssignmentRequest| {
        if record.request.approval_stage == reviewed_stage {
            Ok(approver)
        } else {
            Err(format!("stage {reviewed_stage} was already decided"))
        }
    };
    store
        .transition(id, ActionKind::Approve, &reviewer, T0, None)
        .unwrap();

    let before = snapshot(store, id);
    match store.transition(id, ActionKind::Approve, &reviewer, T0, Some("again")) {
        Err(TransitionError::Stale(reason)) => assert_eq!(reason, "stage 0 was already decided"),
        other => panic!("expected Stale, got {other:?}"),
    }
    assert_eq!(
        snapshot(store, id),
        before,
        "a stale caller wrote something"
    );
}

fn a_panicking_caller_writes_nothing_and_the_store_stays_usable(store: &dyn Store) {
    let record = draft(1, approval(1, None));
    let id = record.request.id;
    create(store, &record);
    let before = snapshot(store, id);

    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.transition(
            id,
            ActionKind::Process,
            &|_: &AssignmentRequest| -> Result<Caller, String> {
                panic!("the directory lookup failed")
            },
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
}

/// Six requests of two requestors, three targets and three types, in five statuses; their seqs.
fn seed_for_listing(store: &dyn Store) -> Vec<u64> {
    // (n, requestor, target, type, policy)
    let rows: [(u128, SubjectId, SubjectId, RequestType, Policy); 6] = [
        (
            1,
            REQUESTOR,
            REQUESTOR,
            RequestType::UserAdd,
            Policy::default(),
        ),
        (
            2,
            OTHER_REQUESTOR,
            TARGET,
            RequestType::AdminAdd,
            approval(1, None),
        ),
        (
            3,
            REQUESTOR,
            TARGET,
            RequestType::UserAdd,
            Policy::default(),
        ),
        (
            4,
            OTHER_REQUESTOR,
            OTHER_REQUESTOR,
            RequestType::UserAdd,
            approval(1, None),
        ),
        (
            5,
            REQUESTOR,
            REQUESTOR,
            RequestType::AdminAdd,
            approval(1, None),
        ),
        (
            6,
            REQUESTOR,
            TARGET,
            RequestType::UserRemove,
            Policy::default(),
        ),
    ];
    let mut seqs = Vec::new();
    for (n, by, target, request_type, policy) in rows {
        let mut record = draft_by(n, by, policy);
        record.target_id = target;
        record.request_type = request_type;
        seqs.push(create(store, &record).seq);
    }
    for n in [2, 3, 4, 5] {
        act(store, request_id(n), ActionKind::Process, system(), T0).unwrap();
    }
    let other = Caller::user(OTHER_REQUESTOR).with_permission(Permission::SubjectAccessReadWrite);
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

    let all = store.list(&everything()).unwrap();
    assert_eq!(all.iter().map(|s| s.seq).collect::<Vec<_>>(), seqs);
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
    expect(Query::default(), &[1, 2, 3, 4, 5, 6]);
    expect(statuses(&[S::PendingApproval]), &[2, 5]);
    expect(statuses(&[S::Canceled, S::Accepted]), &[1, 4, 6]);
    expect(statuses(&[S::Delivering]), &[3]);
    expect(statuses(&[S::Delivered]), &[]);
    expect(statuses(&[]), &[]);
    expect(
        Query {
            request_type: Some(RequestType::AdminAdd),
            ..Query::default()
        },
        &[2, 5],
    );
    expect(
        Query {
            request_type: Some(RequestType::ApproverRemove),
            ..Query::default()
        },
        &[],
    );
    expect(
        Query {
            requestor: Some(REQUESTOR),
            ..Query::default()
        },
        &[1, 3, 5, 6],
    );
    expect(
        Query {
            target: Some(TARGET),
            ..Query::default()
        },
        &[2, 3, 6],
    );
    expect(
        Query {
            requestor: Some(ADMINISTRATOR),
            ..Query::default()
        },
        &[],
    );
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
            target: Some(TARGET),
            requestor: Some(REQUESTOR),
            ..Query::default()
        },
        &[3, 6],
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
        requests(&[3, 5]),
        "filters, cursor and limit combine"
    );
}

fn paging_walks_every_row_exactly_once(store: &dyn Store) {
    let mut created = Vec::new();
    for n in 1..=23 {
        let record = draft(n, Policy::default());
        create(store, &record);
        if n % 3 == 0 {
            act(store, record.request.id, ActionKind::Process, system(), T0).unwrap();
        }
        created.push(record.request.id);
    }
    let delivering: Vec<_> = (1..=23).filter(|n| n % 3 == 0).map(request_id).collect();

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
    let gone = &first_page[1];
    assert!(
        store
            .delete(gone.record.request.id, gone.version, &deleted(gone, T0))
            .unwrap()
    );
    create(store, &draft(24, Policy::default()));
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
    let mut scheduled = draft(3, Policy::default());
    scheduled.request.starts_at = Some(T0.after(Duration::days(5)));
    create(store, &scheduled);
    // 4: delivered, 5: accepted and never processed, 6: canceled while pending approval.
    create(store, &draft(4, Policy::default()));
    create(store, &draft(5, Policy::default()));
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

fn delete_needs_the_current_version_and_keeps_the_history(store: &dyn Store) {
    let record = draft(1, approval(1, None));
    let id = record.request.id;
    create(store, &record);
    let bystander = create(store, &draft(2, Policy::default()));
    let moved = act(store, id, ActionKind::Process, system(), T0).unwrap();
    assert_eq!(store.due(FAR_FUTURE, 100).unwrap().len(), 1);

    let entry = deleted(&moved.stored, T0.after(Duration::hours(2)));
    let before = snapshot(store, id);
    for wrong in [0, 1, 3, u64::MAX] {
        assert!(!store.delete(id, wrong, &entry).unwrap(), "version {wrong}");
        assert_eq!(
            snapshot(store, id),
            before,
            "a stale delete changed something"
        );
    }

    assert!(store.delete(id, 2, &entry).unwrap());
    assert_eq!(store.get(id).unwrap(), None);
    assert_eq!(ids(store, &everything()), [bystander.record.request.id]);
    assert!(store.due(FAR_FUTURE, 100).unwrap().is_empty());
    let history = store.history(id).unwrap();
    assert_eq!(history.len(), 3, "the history outlives the request");
    assert_eq!(history[..2], before.history[..]);
    assert_eq!(
        history[2],
        HistoryEntry {
            seq: history[2].seq,
            ..entry.clone()
        }
    );
    assert_increasing(&history);

    // Deleted is gone for good.
    assert!(!store.delete(id, 2, &entry).unwrap());
    assert_eq!(store.history(id).unwrap(), history);
    assert!(matches!(
        act(store, id, ActionKind::Cancel, requestor(), T0),
        Err(TransitionError::NotFound(missing)) if missing == id
    ));
    assert_eq!(
        store.get(bystander.record.request.id).unwrap(),
        Some(bystander)
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
    let mut approver = directory.clone();
    approver.role_assignments[0].role = Role::Approver;
    assert!(matches!(
        store.set_directory(&approver),
        Err(StoreError::Directory(
            DirectoryError::ApproverAssigned { .. }
        ))
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
        let mut record = draft(n, approval(1, None));
        record.justification = Some(text.clone());
        let created = create(store, &record);
        assert_eq!(store.get(record.request.id).unwrap(), Some(created));
        let moved = store
            .transition(
                record.request.id,
                ActionKind::Process,
                &|_: &AssignmentRequest| Ok(system()),
                T0,
                Some(&text),
            )
            .unwrap();
        assert_eq!(moved.entry.justification.as_deref(), Some(text.as_str()));
        let history = store.history(record.request.id).unwrap();
        assert_eq!(history[0].justification.as_deref(), Some(text.as_str()));
        assert_eq!(history[1], moved.entry);
        assert_eq!(store.get(record.request.id).unwrap(), Some(moved.stored));
    }
    let mut directory = tenant();
    directory.users[0].display_name = "nul \u{0} and 🦀".into();
    store.set_directory(&directory).unwrap();
    assert_eq!(store.directory().unwrap(), directory);
}

// ---------------------------------------------------------------------------------------------------
// Checks on a database: reopening, several handles
// ---------------------------------------------------------------------------------------------------

/// Everything a store holds about requests `1..=n`.
#[derive(Debug, PartialEq, Eq)]
struct Contents {
    directory: Directory,
    clock_offset: u64,
    requests: Vec<Stored>,
    histories: Vec<Vec<HistoryEntry>>,
    due: Vec<(RequestId, Deadline)>,
}

fn contents(store: &dyn Store, n: u128) -> Contents {
    Contents {
        directory: store.directory().unwrap(),
        clock_offset: store.clock_offset().unwrap(),
        requests: store.list(&everything()).unwrap(),
        histories: (1..=n)
            .map(|n| store.history(request_id(n)).unwrap())
            .collect(),
        due: store.due(FAR_FUTURE, 100).unwrap(),
    }
}

fn everything_survives_reopening(database: &dyn Database) {
    let (before, last_seq) = {
        let store = database.open();
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(Duration::days(2).0).unwrap();
        for n in 1..=3 {
            create(&*store, &draft(n, approval(2, Some(Duration::days(3)))));
        }
        act(&*store, request_id(1), ActionKind::Process, system(), T0).unwrap();
        act(&*store, request_id(2), ActionKind::Process, system(), T0).unwrap();
        act(&*store, request_id(2), ActionKind::Cancel, requestor(), T0).unwrap();
        let last = store.get(request_id(3)).unwrap().unwrap();
        assert!(store.delete(request_id(3), 1, &deleted(&last, T0)).unwrap());
        (contents(&*store, 3), last.seq)
    };
    assert_eq!(before.requests.len(), 2);
    assert_eq!(
        before.histories.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 3, 2]
    );
    assert_eq!(before.due.len(), 1);

    let store = database.open();
    assert_eq!(contents(&*store, 3), before);
    if let Some(report) = database.integrity_check() {
        assert_eq!(report, "ok");
    }

    // The reopened store goes on: positions are never reused, even the deleted last one.
    let next = create(&*store, &draft(4, Policy::default()));
    assert!(
        next.seq > last_seq,
        "seq {} reused after {last_seq}",
        next.seq
    );
    let moved = act(
        &*store,
        request_id(1),
        ActionKind::Escalate,
        system(),
        T0.after(Duration::days(3)),
    )
    .unwrap();
    assert_eq!(moved.stored.version, 3);
    let entries: Vec<u64> = (1..=4)
        .flat_map(|n| store.history(request_id(n)).unwrap())
        .map(|entry| entry.seq)
        .collect();
    let mut unique = entries.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), entries.len(), "history seqs are unique");
}

/// 16 threads, spread over `handles`, all cancel the same pending request at once: one wins.
fn race_to_cancel(handles: &[Arc<dyn Store>], rounds: u128) {
    const THREADS: usize = 16;
    for round in 1..=rounds {
        let record = draft(round, approval(1, None));
        let id = record.request.id;
        create(&*handles[0], &record);
        act(&*handles[0], id, ActionKind::Process, system(), T0).unwrap();

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
            assert_eq!(stored.version, 3);
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
    race_to_cancel(&[store], 4);
}

fn concurrent_cancels_on_two_handles_have_one_winner(database: &dyn Database) {
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    race_to_cancel(&handles, 4);
    if let Some(report) = database.integrity_check() {
        assert_eq!(report, "ok");
    }
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

fn concurrent_creates_of_one_id_have_one_winner(database: &dyn Database) {
    const THREADS: usize = 8;
    let handles: [Arc<dyn Store>; 2] = [Arc::from(database.open()), Arc::from(database.open())];
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&handles[thread % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut record = draft(1, Policy::default());
                record.justification = Some(format!("thread {thread}"));
                barrier.wait();
                store
                    .create(&record, &[submitted(&record)])
                    .map(|stored| (thread, stored))
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
            .all(|error| matches!(error, StoreError::Duplicate(id) if *id == request_id(1))),
        "{results:?}"
    );
    let (_, stored) = winners[0];
    for store in &handles {
        assert_eq!(store.get(request_id(1)).unwrap().as_ref(), Some(stored));
        let history = store.history(request_id(1)).unwrap();
        assert_eq!(history.len(), 1, "one Submitted entry");
        assert_eq!(history[0].justification, stored.record.justification);
    }
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
                    create(&*store, &draft(n, Policy::default()));
                    act(&*store, request_id(n), ActionKind::Process, system(), T0).unwrap();
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
        assert_eq!(stored.version, 3);
        assert_eq!(stored.record.request.status, RequestStatus::Delivered);
        assert_eq!(
            handles[1].history(stored.record.request.id).unwrap().len(),
            3
        );
    }
    assert_eq!(handles[1].list(&everything()).unwrap(), all);
}

// ---------------------------------------------------------------------------------------------------
// SQLite only: what the file holds when someone else wrote it
// ---------------------------------------------------------------------------------------------------

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

/// Every read of request 1 (whose stored row `raw` reads) refuses it, a transition writes nothing,
/// and request 2 is unaffected. Returns the reason given.
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
    reason
}

mod sqlite_only {
    use rusqlite::{Connection, params};

    use super::*;

    /// A fresh SQLite store, its database, and request 1 pending approval (it has a deadline) and
    /// request 2 accepted.
    fn seeded() -> (SqliteDatabase, SqliteStore) {
        let database = SqliteDatabase::fresh();
        let store = database.open_sqlite();
        create(&store, &draft(1, approval(1, None)));
        act(&store, request_id(1), ActionKind::Process, system(), T0).unwrap();
        create(&store, &draft(2, Policy::default()));
        (database, store)
    }

    fn raw(database: &SqliteDatabase) -> Connection {
        Connection::open(&database.path).unwrap()
    }

    fn set_body(database: &SqliteDatabase, id: RequestId, body: &dyn rusqlite::ToSql) {
        let changed = raw(database)
            .execute(
                "UPDATE requests SET body = ?1 WHERE id = ?2",
                params![body, id.to_string()],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    /// The stored body's type and bytes, whatever they are.
    fn body(database: &SqliteDatabase, id: RequestId) -> (String, String) {
        raw(database)
            .query_row(
                "SELECT typeof(body), hex(body) FROM requests WHERE id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap()
    }

    fn body_text(database: &SqliteDatabase, id: RequestId) -> String {
        raw(database)
            .query_row(
                "SELECT body FROM requests WHERE id = ?1",
                [id.to_string()],
                |row| row.get(0),
            )
            .unwrap()
    }

    /// Every read of request 1 refuses it, a transition writes nothing, request 2 is unaffected.
    fn assert_refused(database: &SqliteDatabase, store: &SqliteStore) -> String {
        assert_refused_by(store, || body(database, request_id(1)))
    }

    #[test]
    fn a_garbage_body_is_corrupt_not_a_panic() {
        let (database, store) = seeded();
        set_body(&database, request_id(1), &"{\"request\": garbage");
        assert_refused(&database, &store);
    }

    #[test]
    fn a_body_that_is_not_text_is_corrupt() {
        let (database, store) = seeded();
        set_body(&database, request_id(1), &vec![0xff_u8, 0x00, 0x7b]);
        assert_refused(&database, &store);
        set_body(&database, request_id(1), &b"{\"request\": 1}".to_vec());
        assert_refused(&database, &store);
        set_body(&database, request_id(1), &42);
        assert_refused(&database, &store);
        // Text that is not UTF-8.
        raw(&database)
            .execute(
                "UPDATE requests SET body = CAST(x'7bff22' AS TEXT) WHERE id = ?1",
                [request_id(1).to_string()],
            )
            .unwrap();
        assert_refused(&database, &store);
    }

    /// Breaks a stored body.
    type Breaks = fn(&mut serde_json::Value);

    #[test]
    fn a_body_breaking_the_core_invariants_is_corrupt() {
        let cases: [(&str, Breaks); 4] = [
            (
                "a completion time is set exactly when the status is completed",
                |body| {
                    body["request"]["status"] = "Delivered".into();
                    body["request"]["completedAt"] = serde_json::Value::Null;
                },
            ),
            ("past the policy's last stage", |body| {
                body["request"]["approvalStage"] = 1.into();
            }),
            ("needs a start date", |body| {
                body["request"]["status"] = "PendingNotBefore".into();
            }),
            ("unknown request status", |body| {
                body["request"]["status"] = "Approved".into();
            }),
        ];
        for (expected, breaks) in cases {
            let (database, store) = seeded();
            let text = body_text(&database, request_id(1));
            let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
            breaks(&mut json);
            set_body(&database, request_id(1), &json.to_string());
            let reason = assert_refused(&database, &store);
            assert!(
                reason.contains(expected),
                "{reason:?} should say {expected:?}"
            );
        }
    }

    #[test]
    fn a_garbage_history_entry_is_corrupt() {
        let (database, store) = seeded();
        raw(&database)
            .execute(
                "UPDATE history SET body = 'nope' WHERE request_id = ?1",
                [request_id(1).to_string()],
            )
            .unwrap();
        assert_corrupt(store.history(request_id(1)), "history entry");
        assert_eq!(store.history(request_id(2)).unwrap().len(), 1);
    }

    #[test]
    fn a_history_entry_with_an_unknown_field_is_corrupt() {
        let (database, store) = seeded();
        let connection = raw(&database);
        let (seq, text): (i64, String) = connection
            .query_row(
                "SELECT seq, body FROM history WHERE request_id = ?1 ORDER BY seq DESC LIMIT 1",
                [request_id(1).to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["approvedBy"] = "someone".into();
        connection
            .execute(
                "UPDATE history SET body = ?1 WHERE seq = ?2",
                params![json.to_string(), seq],
            )
            .unwrap();
        let reason = assert_corrupt(store.history(request_id(1)), "history entry");
        assert!(reason.contains("approvedBy"), "{reason}");
        connection
            .execute("UPDATE history SET body = x'00' WHERE seq = ?1", [seq])
            .unwrap();
        assert_corrupt(store.history(request_id(1)), "history entry");
    }

    #[test]
    fn garbage_settings_are_corrupt() {
        let (database, store) = seeded();
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(5).unwrap();
        let connection = raw(&database);
        connection
            .execute(
                "UPDATE meta SET value = '{\"users\": 3}' WHERE key = 'directory'",
                [],
            )
            .unwrap();
        connection
            .execute(
                "UPDATE meta SET value = 'soon' WHERE key = 'clock_offset_ms'",
                [],
            )
            .unwrap();
        assert_corrupt(store.directory(), "directory");
        assert_corrupt(store.clock_offset(), "clock offset");
        // Setting them again repairs them.
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(6).unwrap();
        assert_eq!(store.directory().unwrap(), tenant());
        assert_eq!(store.clock_offset().unwrap(), 6);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused() {
        let database = SqliteDatabase::fresh();
        std::fs::write(&database.path, vec![0x5a_u8; 8192]).unwrap();
        assert!(matches!(
            SqliteStore::open(&database.path),
            Err(StoreError::Database(_))
        ));
    }

    #[test]
    fn a_fresh_file_is_sound_and_in_wal_mode() {
        let database = SqliteDatabase::fresh();
        let store = database.open_sqlite();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let mode: String = raw(&database)
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL only: what the database holds when someone else wrote it; the pool, migrations, retries
// ---------------------------------------------------------------------------------------------------

mod postgres_only {
    use std::time::{Duration as StdDuration, Instant};

    use postgres::{Client, NoTls};

    use super::*;

    fn raw(database: &PostgresDatabase) -> Client {
        Client::connect(&database.url, NoTls).unwrap()
    }

    /// A fresh PostgreSQL store, its database, and request 1 pending approval (it has a deadline) and
    /// request 2 accepted.
    fn seeded() -> Option<(PostgresDatabase, PostgresStore)> {
        let database = PostgresDatabase::fresh()?;
        let store = database.open_postgres();
        create(&store, &draft(1, approval(1, None)));
        act(&store, request_id(1), ActionKind::Process, system(), T0).unwrap();
        create(&store, &draft(2, Policy::default()));
        Some((database, store))
    }

    fn set_body(database: &PostgresDatabase, id: RequestId, body: &str) {
        let changed = raw(database)
            .execute(
                "UPDATE requests SET body = $1 WHERE id = $2",
                &[&body, &id.to_string()],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    /// The stored row, whatever it holds.
    fn row(database: &PostgresDatabase, id: RequestId) -> (i64, String, String) {
        let row = raw(database)
            .query_one(
                "SELECT version, status, body FROM requests WHERE id = $1",
                &[&id.to_string()],
            )
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    }

    /// Every read of request 1 refuses it, a transition writes nothing, request 2 is unaffected, and
    /// the integrity check reports it.
    fn assert_refused(database: &PostgresDatabase, store: &PostgresStore) -> String {
        let reason = assert_refused_by(store, || row(database, request_id(1)));
        assert_ne!(store.integrity_check().unwrap(), "ok");
        reason
    }

    #[test]
    fn a_garbage_body_is_corrupt_not_a_panic() {
        let Some((database, store)) = seeded() else {
            return;
        };
        set_body(&database, request_id(1), "{\"request\": garbage");
        assert_refused(&database, &store);
        set_body(&database, request_id(1), "");
        assert_refused(&database, &store);
        set_body(&database, request_id(1), "{\"request\": 1}");
        assert_refused(&database, &store);
    }

    /// Breaks a stored body.
    type Breaks = fn(&mut serde_json::Value);

    #[test]
    fn a_body_breaking_the_core_invariants_is_corrupt() {
        let cases: [(&str, Breaks); 4] = [
            (
                "a completion time is set exactly when the status is completed",
                |body| {
                    body["request"]["status"] = "Delivered".into();
                    body["request"]["completedAt"] = serde_json::Value::Null;
                },
            ),
            ("past the policy's last stage", |body| {
                body["request"]["approvalStage"] = 1.into();
            }),
            ("needs a start date", |body| {
                body["request"]["status"] = "PendingNotBefore".into();
            }),
            ("unknown request status", |body| {
                body["request"]["status"] = "Approved".into();
            }),
        ];
        for (expected, breaks) in cases {
            let Some((database, store)) = seeded() else {
                return;
            };
            let (_, _, text) = row(&database, request_id(1));
            let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
            breaks(&mut json);
            set_body(&database, request_id(1), &json.to_string());
            let reason = assert_refused(&database, &store);
            assert!(
                reason.contains(expected),
                "{reason:?} should say {expected:?}"
            );
        }
    }

    #[test]
    fn a_garbage_history_entry_is_corrupt() {
        let Some((database, store)) = seeded() else {
            return;
        };
        raw(&database)
            .execute(
                "UPDATE history SET body = 'nope' WHERE request_id = $1",
                &[&request_id(1).to_string()],
            )
            .unwrap();
        assert_corrupt(store.history(request_id(1)), "history entry");
        assert_eq!(store.history(request_id(2)).unwrap().len(), 1);
        assert!(store.integrity_check().unwrap().contains("history entry"));
    }

    #[test]
    fn a_history_entry_with_an_unknown_field_is_corrupt() {
        let Some((database, store)) = seeded() else {
            return;
        };
        let mut connection = raw(&database);
        let last = connection
            .query_one(
                "SELECT seq, body FROM history WHERE request_id = $1 ORDER BY seq DESC LIMIT 1",
                &[&request_id(1).to_string()],
            )
            .unwrap();
        let (seq, text): (i64, String) = (last.get(0), last.get(1));
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["approvedBy"] = "someone".into();
        connection
            .execute(
                "UPDATE history SET body = $1 WHERE seq = $2",
                &[&json.to_string(), &seq],
            )
            .unwrap();
        let reason = assert_corrupt(store.history(request_id(1)), "history entry");
        assert!(reason.contains("approvedBy"), "{reason}");
    }

    #[test]
    fn garbage_settings_are_corrupt() {
        let Some((database, store)) = seeded() else {
            return;
        };
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(5).unwrap();
        raw(&database)
            .batch_execute(
                "UPDATE meta SET value = '{\"users\": 3}' WHERE key = 'directory';
                 UPDATE meta SET value = 'soon' WHERE key = 'clock_offset_ms';",
            )
            .unwrap();
        assert_corrupt(store.directory(), "directory");
        assert_corrupt(store.clock_offset(), "clock offset");
        // Setting them again repairs them.
        store.set_directory(&tenant()).unwrap();
        store.set_clock_offset(6).unwrap();
        assert_eq!(store.directory().unwrap(), tenant());
        assert_eq!(store.clock_offset().unwrap(), 6);
    }

    #[test]
    fn the_integrity_check_finds_rows_that_disagree() {
        let Some((database, store)) = seeded() else {
            return;
        };
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let mut connection = raw(&database);
        let id = request_id(1).to_string();

        connection
            .execute(
                "UPDATE requests SET status = 'Delivered' WHERE id = $1",
                &[&id],
            )
            .unwrap();
        let report = store.integrity_check().unwrap();
        assert!(report.contains("status column differs"), "{report}");
        connection
            .execute(
                "UPDATE requests SET status = 'PendingApproval' WHERE id = $1",
                &[&id],
            )
            .unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");

        // Its transition's entry lost: the last entry says Accepted, the request is pending.
        connection
            .execute(
                "DELETE FROM history WHERE seq = (SELECT MAX(seq) FROM history WHERE request_id = $1)",
                &[&id],
            )
            .unwrap();
        let report = store.integrity_check().unwrap();
        assert!(report.contains("last history entry leads to"), "{report}");

        // Gone without a deletion entry; and a request without any history.
        connection
            .execute("DELETE FROM requests WHERE id = $1", &[&id])
            .unwrap();
        connection
            .execute(
                "DELETE FROM history WHERE request_id = $1",
                &[&request_id(2).to_string()],
            )
            .unwrap();
        let report = store.integrity_check().unwrap();
        assert!(
            report.contains("its last entry is not its deletion"),
            "{report}"
        );
        assert!(report.contains("it has no history"), "{report}");
        assert_eq!(report.lines().count(), 2, "{report}");
    }

    #[test]
    fn migrations_are_recorded_and_safe_when_processes_start_at_once() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
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
        create(&store, &draft(1, Policy::default()));
        drop(store);
        let _again = database.open_postgres();
        let versions: Vec<i32> = raw(&database)
            .query("SELECT version FROM entitle_schema ORDER BY version", &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(versions, [1]);
        assert!(
            database
                .open_postgres()
                .get(request_id(1))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        drop(database.open_postgres());
        raw(&database)
            .execute("INSERT INTO entitle_schema (version) VALUES (2)", &[])
            .unwrap();
        match PostgresStore::connect(&database.url, 2) {
            Err(StoreError::Database(reason)) => {
                assert!(reason.contains("schema version 2"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_settings_and_an_unreachable_server_are_database_errors() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        for (url, max) in [
            (format!("postgres://postgres@127.0.0.1:{free}/nothing"), 4),
            ("not a url at all".to_owned(), 4),
            ("postgres://postgres@127.0.0.1:1:2/x".to_owned(), 4),
            (database.url.clone(), 0),
        ] {
            assert!(
                matches!(
                    PostgresStore::connect(&url, max),
                    Err(StoreError::Database(_))
                ),
                "{url} with {max} connections"
            );
        }
        let missing = database.url.rsplit_once('/').unwrap().0.to_owned() + "/missing";
        match PostgresStore::connect(&missing, 2) {
            Err(StoreError::Database(reason)) => {
                assert!(reason.contains("does not exist"), "{reason}");
            }
            other => panic!("expected a missing database, got {other:?}"),
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(5),
            "refusals are prompt"
        );
    }

    #[test]
    fn a_small_pool_serves_many_threads() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let store = Arc::new(PostgresStore::connect(&database.url, 2).unwrap());
        let threads: Vec<_> = (0..12_u128)
            .map(|n| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    create(&*store, &draft(n + 1, Policy::default()));
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
    fn a_panicking_caller_leaves_its_connection_clean() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        // One connection: the one the panic unwound through is the one used next.
        let store = PostgresStore::connect(&database.url, 1).unwrap();
        a_panicking_caller_writes_nothing_and_the_store_stays_usable(&store);
        assert_eq!(store.pool_status().connections, 1);
    }

    /// As the server uses it: connected and called from `spawn_blocking`, dropped on an async task.
    #[test]
    fn the_store_serves_a_tokio_runtime_from_blocking_threads() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
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
                        create(&*store, &draft(n, Policy::default()));
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
    fn a_serializable_default_still_has_one_winner() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let name = database.url.rsplit_once('/').unwrap().1.to_owned();
        raw(&database)
            .batch_execute(&format!(
                "ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'"
            ))
            .unwrap();
        let isolation: String = raw(&database)
            .query_one("SHOW default_transaction_isolation", &[])
            .unwrap()
            .get(0);
        assert_eq!(isolation, "serializable", "the database default applies");
        concurrent_cancels_on_two_handles_have_one_winner(&database);
    }

    /// Makes updates of `requests` fail with SQLSTATE `code` for their first `failures` attempts
    /// (counted by a sequence, which a rollback does not undo).
    fn inject_failures(database: &PostgresDatabase, code: &str, failures: i64) {
        raw(database)
            .batch_execute(&format!(
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
            ))
            .unwrap();
    }

    fn attempts(database: &PostgresDatabase) -> i64 {
        raw(database)
            .query_one("SELECT last_value FROM attempts", &[])
            .unwrap()
            .get(0)
    }

    #[test]
    fn serialization_failures_and_deadlocks_are_retried() {
        for code in ["40001", "40P01"] {
            let Some(database) = PostgresDatabase::fresh() else {
                return;
            };
            let store = database.open_postgres();
            let record = draft(1, approval(1, None));
            create(&store, &record);
            inject_failures(&database, code, 4);
            let calls = AtomicUsize::new(0);
            let moved = store
                .transition(
                    record.request.id,
                    ActionKind::Process,
                    &|_: &AssignmentRequest| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok(system())
                    },
                    T0,
                    None,
                )
                .unwrap();
            assert_eq!(moved.stored.version, 2, "{code}");
            assert_eq!(calls.load(Ordering::SeqCst), 5, "each attempt decides anew");
            assert_eq!(attempts(&database), 5);
            assert_eq!(store.history(record.request.id).unwrap().len(), 2);
            assert_eq!(store.integrity_check().unwrap(), "ok");
        }
    }

    #[test]
    fn a_transition_failing_every_attempt_is_contended_and_writes_nothing() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let store = database.open_postgres();
        let record = draft(1, approval(1, None));
        let id = record.request.id;
        create(&store, &record);
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
    fn other_database_errors_are_not_retried() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let store = database.open_postgres();
        let record = draft(1, approval(1, None));
        let id = record.request.id;
        create(&store, &record);
        inject_failures(&database, "23514", 1000);
        let before = snapshot(&store, id);
        match act(&store, id, ActionKind::Process, system(), T0) {
            Err(TransitionError::Store(StoreError::Database(reason))) => {
                assert!(reason.contains("injected failure"), "{reason}");
            }
            other => panic!("expected a database error, got {other:?}"),
        }
        assert_eq!(attempts(&database), 1);
        assert_eq!(snapshot(&store, id), before);
    }

    #[test]
    fn a_cursor_never_skips_a_request_committed_after_its_page() {
        let Some(database) = PostgresDatabase::fresh() else {
            return;
        };
        let handles: [Arc<PostgresStore>; 2] = [
            Arc::new(database.open_postgres()),
            Arc::new(database.open_postgres()),
        ];
        let writers: Vec<_> = (0..4_u128)
            .map(|thread| {
                let store = Arc::clone(&handles[usize::from(thread % 2 == 1)]);
                std::thread::spawn(move || {
                    for k in 0..25 {
                        create(&*store, &draft(thread * 25 + k + 1, Policy::default()));
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
