//! A model-based property test of the stores, SQLite and PostgreSQL.
//!
//! Random sequences of (action, caller, wait) on a few requests with random policies are applied both
//! through the store and, on an in-memory copy, directly through entitle-core's `Request::apply`. After
//! every step the store must hold exactly what the model holds: the same records, versions and history
//! (entry by entry), the same list, and the same due deadlines.
//!
//! PostgreSQL runs on one database of the test binary's throwaway cluster ([`PgCluster::shared`]),
//! emptied before each case; without PostgreSQL those tests print `NOT RUN` and pass, unless
//! `ENTITLE_REQUIRE_POSTGRES=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

use entitle_core::{
    Action, ActionKind, ApprovalPolicy, Caller, Deadline, Duration, Guid, Permission, Policy,
    Principal, Rejection, Request, RequestId, RequestStatus, Role, Step, SubjectId, TRANSITIONS,
    Timestamp, VariantArray,
};
use entitle_graph::{AssignmentRequest, RequestType};
use entitle_store::{
    Event, HistoryEntry, PostgresStore, Query, SqliteStore, Store, Stored, TransitionError,
};
use entitle_testkit::PgCluster;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestRunner;

const T0: Timestamp = Timestamp(1_767_225_600_000);
const REQUESTS: usize = 3;
const REQUESTORS: [SubjectId; 2] = [subject(0x100), subject(0x101)];
const APPROVERS: [SubjectId; 3] = [subject(0x200), subject(0x201), subject(0x202)];
const ALTERNATE: SubjectId = subject(0x210);
const ADMINISTRATOR: SubjectId = subject(0x300);
const APPLICATION: SubjectId = subject(0x400);
const WAITS: &[Duration] = &[
    Duration(0),
    Duration::hours(1),
    Duration::days(1),
    Duration::days(3),
    Duration::days(7),
    Duration::days(15),
];

const fn subject(n: u128) -> SubjectId {
    SubjectId::new(Guid::from_u128(n))
}

const fn request_id(index: usize) -> RequestId {
    RequestId::new(Guid::from_u128(0xa000_0000 + index as u128))
}

/// Who asks, resolved against the request as the store read it.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// The service itself.
    System,
    /// The request's requestor with `SubjectAccess.ReadWrite`.
    Requestor,
    /// The request's requestor with no permission.
    RequestorWithoutPermission,
    /// The approver of stage `k`: holds the approver role only while the request is at that stage.
    Approver(u8),
    /// The alternate approver: holds the role only once the stage has escalated.
    Alternate,
    /// A catalog owner with `ReadWrite.All`.
    Administrator,
    /// An application with `ReadWrite.All` (a custom extension).
    Application,
    /// A caller whose expectation about the request no longer holds.
    Stale,
}

fn resolve(who: Who, record: &AssignmentRequest) -> Result<Caller, String> {
    let request = &record.request;
    let pending = matches!(
        request.status,
        RequestStatus::PendingApproval | RequestStatus::PendingApprovalEscalated
    );
    let user = |id| Caller::user(id).with_permission(Permission::ReadWriteAll);
    let approver_if = |caller: Caller, holds: bool| {
        if holds {
            caller.with_role(Role::Approver)
        } else {
            caller
        }
    };
    Ok(match who {
        Who::System => Caller::system(),
        Who::Requestor => {
            Caller::user(request.requestor).with_permission(Permission::SubjectAccessReadWrite)
        }
        Who::RequestorWithoutPermission => Caller::user(request.requestor),
        Who::Approver(stage) => approver_if(
            user(APPROVERS[usize::from(stage)]),
            pending && request.approval_stage == stage,
        ),
        Who::Alternate => approver_if(
            user(ALTERNATE),
            request.status == RequestStatus::PendingApprovalEscalated,
        ),
        Who::Administrator => user(ADMINISTRATOR).with_role(Role::CatalogOwner),
        Who::Application => {
            Caller::application(APPLICATION).with_permission(Permission::ReadWriteAll)
        }
        Who::Stale => {
            return Err(format!(
                "stage {} was already decided",
                request.approval_stage
            ));
        }
    })
}

/// The caller an action is usually asked for by, so that random sequences get past `Accepted`.
fn natural(kind: ActionKind, who: Who) -> Who {
    match kind {
        ActionKind::Approve | ActionKind::Deny => match who {
            Who::Approver(_) | Who::Alternate => who,
            _ => Who::Approver(0),
        },
        ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
            Who::Application
        }
        ActionKind::Reprocess => Who::Administrator,
        ActionKind::Cancel => Who::Requestor,
        ActionKind::Process
        | ActionKind::Escalate
        | ActionKind::Expire
        | ActionKind::ReachStart
        | ActionKind::Deliver
        | ActionKind::DeliverPartially
        | ActionKind::FailDelivery => Who::System,
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Wait, then ask for `kind` on request `request` as `who`.
    Act {
        request: usize,
        kind: ActionKind,
        who: Who,
        wait: Duration,
    },
    /// Wait, then ask for one of the actions the table has rows for from the request's current
    /// status (the `pick`th), by the caller who usually asks for it: drives requests deep into
    /// their lifecycle.
    Guided {
        request: usize,
        pick: Index,
        wait: Duration,
    },
    /// Delete request `request`, with its current version or a wrong one.
    Delete { request: usize, stale: bool },
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::System),
        Just(Who::Requestor),
        Just(Who::RequestorWithoutPermission),
        (0..3_u8).prop_map(Who::Approver),
        Just(Who::Alternate),
        Just(Who::Administrator),
        Just(Who::Application),
        Just(Who::Stale),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let act = (
        0..REQUESTS,
        select(ActionKind::VARIANTS),
        any::<bool>(),
        who(),
        select(WAITS),
    )
        .prop_map(|(request, kind, plausible, who, wait)| Op::Act {
            request,
            kind,
            who: if plausible { natural(kind, who) } else { who },
            wait,
        });
    let guided =
        (0..REQUESTS, any::<Index>(), select(WAITS)).prop_map(|(request, pick, wait)| Op::Guided {
            request,
            pick,
            wait,
        });
    let delete =
        (0..REQUESTS, any::<bool>()).prop_map(|(request, stale)| Op::Delete { request, stale });
    prop_oneof![6 => act, 10 => guided, 1 => delete]
}

/// A request's policy and scheduled start (in days after `T0`).
fn setup() -> impl Strategy<Value = (Policy, Option<u64>)> {
    let approval = proptest::option::of((1..=3_u8, 1..=20_u64, proptest::option::of(1..=10_u64)));
    (approval, any::<bool>(), proptest::option::of(0..=5_u64)).prop_map(
        |(approval, callout_on_created, start)| {
            let approval = approval.map(|(stages, timeout, escalate)| ApprovalPolicy {
                stages,
                decision_timeout: Duration::days(timeout),
                escalate_after: escalate.map(Duration::days),
            });
            (
                Policy {
                    approval,
                    callout_on_created,
                },
                start,
            )
        },
    )
}

/// For a guided step on a request with `status` at `stage`: the `pick`th action with a row from
/// that status, and who usually asks for it. Cancels are left to the random steps, or they would end
/// most requests early.
fn guided(status: Option<(RequestStatus, u8)>, pick: Index) -> (ActionKind, Who) {
    let Some((status, stage)) = status else {
        return (ActionKind::Cancel, Who::Requestor);
    };
    let mut kinds: Vec<ActionKind> = TRANSITIONS
        .iter()
        .filter(|row| row.from == status && row.action != ActionKind::Cancel)
        .map(|row| row.action)
        .collect();
    kinds.dedup();
    if kinds.is_empty() {
        return (ActionKind::Cancel, Who::Requestor);
    }
    let kind = *pick.get(&kinds);
    let who = match kind {
        ActionKind::Approve | ActionKind::Deny
            if status == RequestStatus::PendingApprovalEscalated && pick.index(2) == 0 =>
        {
            Who::Alternate
        }
        ActionKind::Approve | ActionKind::Deny => Who::Approver(stage),
        other => natural(other, Who::System),
    };
    (kind, who)
}

/// What the model holds about one request.
struct Model {
    id: RequestId,
    live: Option<Stored>,
    /// The history, with seqs zeroed.
    history: Vec<HistoryEntry>,
}

/// What the model expects of one transition.
#[derive(Debug)]
enum Expected {
    NotFound,
    Stale(String),
    Rejected(Rejection),
    Moved(Box<Step>, Caller),
}

fn without_seq(entry: &HistoryEntry) -> HistoryEntry {
    HistoryEntry {
        seq: 0,
        ..entry.clone()
    }
}

fn create(store: &dyn Store, index: usize, policy: Policy, start: Option<u64>) -> Model {
    let requestor = REQUESTORS[index % REQUESTORS.len()];
    let starts_at = start.map(|days| T0.after(Duration::days(days)));
    let record = AssignmentRequest {
        request: Request::submit(request_id(index), requestor, policy, starts_at, T0).unwrap(),
        request_type: RequestType::UserAdd,
        access_package_id: "package".into(),
        assignment_policy_id: "policy".into(),
        target_id: requestor,
        justification: None,
        expires_at: None,
    };
    let entry = HistoryEntry {
        seq: 0,
        request_id: record.request.id,
        at: T0,
        by: requestor,
        principal: Principal::WorkOrSchoolUser,
        stage: 0,
        event: Event::Submitted {
            status: record.request.status,
        },
        justification: None,
    };
    let stored = store.create(&record, std::slice::from_ref(&entry)).unwrap();
    Model {
        id: record.request.id,
        live: Some(stored),
        history: vec![entry],
    }
}

fn act(
    store: &dyn Store,
    model: &mut Model,
    kind: ActionKind,
    who: Who,
    now: Timestamp,
    justification: Option<&str>,
) {
    let expected = match &model.live {
        None => Expected::NotFound,
        Some(stored) => match resolve(who, &stored.record) {
            Err(reason) => Expected::Stale(reason),
            Ok(caller) => match stored.record.request.apply(&Action::new(kind, caller), now) {
                Ok(step) => Expected::Moved(Box::new(step), caller),
                Err(rejection) => Expected::Rejected(rejection),
            },
        },
    };
    let result = store.transition(
        model.id,
        kind,
        &move |record: &AssignmentRequest| resolve(who, record),
        now,
        justification,
    );
    match (expected, result) {
        (Expected::NotFound, Err(TransitionError::NotFound(id))) => assert_eq!(id, model.id),
        (Expected::Stale(expected), Err(TransitionError::Stale(reason))) => {
            assert_eq!(reason, expected);
        }
        (Expected::Rejected(expected), Err(TransitionError::Rejected(rejection))) => {
            assert_eq!(rejection, expected);
        }
        (Expected::Moved(step, caller), Ok(moved)) => {
            let before = model.live.take().unwrap();
            let mut record = before.record.clone();
            record.request = step.request;
            let after = Stored {
                record,
                version: before.version + 1,
                seq: before.seq,
            };
            assert_eq!(moved.stored, after);
            let entry = HistoryEntry::of_step(
                &step,
                caller.id,
                caller.principal,
                before.record.request.approval_stage,
                justification.map(str::to_owned),
            );
            assert_eq!(without_seq(&moved.entry), entry);
            model.live = Some(after);
            model.history.push(entry);
        }
        (expected, result) => panic!("the model expects {expected:?}, the store gave {result:?}"),
    }
}

fn delete(store: &dyn Store, model: &mut Model, wrong_version: bool, now: Timestamp) {
    let (version, status, stage) =
        model
            .live
            .as_ref()
            .map_or((1, RequestStatus::Accepted, 0), |stored| {
                let request = &stored.record.request;
                (stored.version, request.status, request.approval_stage)
            });
    let version = match (wrong_version, version) {
        (false, version) => version,
        (true, 1) => 2,
        (true, version) => version - 1,
    };
    let entry = HistoryEntry {
        seq: 0,
        request_id: model.id,
        at: now,
        by: ADMINISTRATOR,
        principal: Principal::WorkOrSchoolUser,
        stage,
        event: Event::Deleted { status },
        justification: None,
    };
    let deleted = store.delete(model.id, version, &entry).unwrap();
    let expected = model.live.is_some() && !wrong_version;
    assert_eq!(deleted, expected, "delete of version {version}");
    if deleted {
        model.live = None;
        model.history.push(entry);
    }
}

/// The store holds exactly what the models hold.
fn check(store: &dyn Store, models: &[Model], now: Timestamp) {
    for model in models {
        assert_eq!(
            store.get(model.id).unwrap(),
            model.live,
            "request {}",
            model.id
        );
        let history = store.history(model.id).unwrap();
        assert_eq!(history.len(), model.history.len());
        assert_eq!(
            history.iter().map(without_seq).collect::<Vec<_>>(),
            model.history
        );
        assert!(history.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    }
    let live: Vec<&Stored> = models.iter().filter_map(|m| m.live.as_ref()).collect();
    let listed = store
        .list(&Query {
            limit: u32::MAX,
            ..Query::default()
        })
        .unwrap();
    assert_eq!(listed.iter().collect::<Vec<_>>(), live);

    let due = store.due(now, 100).unwrap();
    assert!(due.windows(2).all(|pair| pair[0].1.at <= pair[1].1.at));
    let mut due_sorted = due.clone();
    due_sorted.sort_by_key(|(id, deadline)| (deadline.at, *id));
    let mut expected: Vec<(RequestId, Deadline)> = live
        .iter()
        .filter_map(|stored| {
            let deadline = stored.record.request.next_deadline()?;
            (deadline.at <= now).then_some((stored.record.request.id, deadline))
        })
        .collect();
    expected.sort_by_key(|(id, deadline)| (deadline.at, *id));
    assert_eq!(due_sorted, expected, "due at {now}");
}

/// Runs `ops` on an empty `store`, checking it against the model after every step, then runs the
/// backend's own consistency check (`"ok"` when sound).
fn run(
    store: &dyn Store,
    integrity_check: &dyn Fn() -> String,
    setups: &[(Policy, Option<u64>)],
    ops: &[Op],
) {
    let mut models: Vec<Model> = setups
        .iter()
        .enumerate()
        .map(|(index, (policy, start))| create(store, index, *policy, *start))
        .collect();
    let mut now = T0;
    check(store, &models, now);
    for (index, op) in ops.iter().enumerate() {
        match *op {
            Op::Act {
                request,
                kind,
                who,
                wait,
            } => {
                now = now.after(wait);
                let justification = format!("step {index}");
                let justification = (index % 2 == 0).then_some(justification.as_str());
                act(store, &mut models[request], kind, who, now, justification);
            }
            Op::Guided {
                request,
                pick,
                wait,
            } => {
                now = now.after(wait);
                let model = &mut models[request];
                let status = model.live.as_ref().map(|stored| {
                    let request = &stored.record.request;
                    (request.status, request.approval_stage)
                });
                let (kind, who) = guided(status, pick);
                act(store, model, kind, who, now, None);
            }
            Op::Delete { request, stale } => delete(store, &mut models[request], stale, now),
        }
        check(store, &models, now);
    }
    assert_eq!(integrity_check(), "ok");
}

/// [`run`] on a fresh SQLite file.
fn run_sqlite(setups: &[(Policy, Option<u64>)], ops: &[Op]) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("model.db")).unwrap();
    run(&store, &|| store.integrity_check().unwrap(), setups, ops);
}

/// A store on a fresh PostgreSQL database, and a way to empty it; `None` when PostgreSQL is not
/// available and not required.
fn postgres() -> Option<(PostgresStore, impl Fn())> {
    let Some(cluster) = PgCluster::shared() else {
        eprintln!("NOT RUN: no PostgreSQL");
        return None;
    };
    let url = cluster.fresh_database("model").unwrap();
    let store = PostgresStore::connect(&url, 2).unwrap();
    let raw = std::sync::Mutex::new(postgres::Client::connect(&url, postgres::NoTls).unwrap());
    let empty = move || {
        raw.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .batch_execute("DELETE FROM requests; DELETE FROM history; DELETE FROM meta;")
            .unwrap();
    };
    Some((store, empty))
}

fn ops() -> impl Strategy<Value = (Vec<(Policy, Option<u64>)>, Vec<Op>)> {
    (
        proptest::collection::vec(setup(), REQUESTS),
        proptest::collection::vec(op(), 0..=20),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_store_agrees_with_the_core_step_by_step((setups, ops) in ops()) {
        run_sqlite(&setups, &ops);
    }
}

/// The same on PostgreSQL: one database, emptied before each case (a database per case would cost
/// ~0.2 s each).
#[test]
fn the_postgres_store_agrees_with_the_core_step_by_step() {
    let Some((store, empty)) = postgres() else {
        return;
    };
    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let result = TestRunner::new(config).run(&ops(), |(setups, ops)| {
        empty();
        run(&store, &|| store.integrity_check().unwrap(), &setups, &ops);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// A fixed walk through a whole approval lifecycle, so the interesting paths are always covered
/// whatever the random cases hit.
#[test]
fn a_full_lifecycle_agrees_with_the_core() {
    let two_stages = Policy {
        approval: Some(ApprovalPolicy {
            stages: 2,
            decision_timeout: Duration::days(14),
            escalate_after: Some(Duration::days(3)),
        }),
        callout_on_created: true,
    };
    let act = |request, kind, who, wait| Op::Act {
        request,
        kind,
        who,
        wait,
    };
    let hour = Duration::hours(1);
    let ops = [
        act(0, ActionKind::Process, Who::System, hour),
        act(0, ActionKind::ResumeContinue, Who::Application, hour),
        act(0, ActionKind::Approve, Who::Approver(1), hour),
        act(0, ActionKind::Approve, Who::Approver(0), hour),
        act(0, ActionKind::Escalate, Who::System, Duration::days(3)),
        act(0, ActionKind::Approve, Who::Alternate, hour),
        act(0, ActionKind::Approve, Who::Approver(1), hour),
        act(0, ActionKind::Approve, Who::Stale, hour),
        act(0, ActionKind::ReachStart, Who::System, Duration::days(2)),
        act(0, ActionKind::FailDelivery, Who::System, hour),
        act(0, ActionKind::Reprocess, Who::Administrator, hour),
        act(0, ActionKind::DeliverPartially, Who::System, hour),
        act(
            0,
            ActionKind::Reprocess,
            Who::Administrator,
            Duration::days(15),
        ),
        act(1, ActionKind::Cancel, Who::RequestorWithoutPermission, hour),
        act(1, ActionKind::Cancel, Who::Requestor, hour),
        Op::Delete {
            request: 1,
            stale: true,
        },
        Op::Delete {
            request: 1,
            stale: false,
        },
        act(1, ActionKind::Cancel, Who::Requestor, hour),
    ];
    let setups = [
        (two_stages, Some(5)),
        (Policy::default(), None),
        (Policy::default(), Some(1)),
    ];
    run_sqlite(&setups, &ops);
    if let Some((store, _)) = postgres() {
        run(&store, &|| store.integrity_check().unwrap(), &setups, &ops);
    }
}
