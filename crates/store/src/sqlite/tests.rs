//! Group commit on a real SQLite file: writers queued behind one another share one commit, and one
//! writer's refusal or panic leaves the others' writes in it.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration as Wait;

use entitle_core::{
    ActionKind, ApprovalRules, Caller, Duration, Guid, Permission, PolicyRules, RequestId,
    RequestStatus, RequestType, SubjectId, Submission, Timestamp,
};

use super::SqliteStore;
use crate::record::RequestRecord;
use crate::store::{Command, NewRequest, Store, TransitionError, Transitioned};
use crate::telemetry::{Backend, Observer};

const T0: Timestamp = Timestamp(1_767_225_600_000);
const REQUESTOR: SubjectId = SubjectId::new(Guid::from_u128(0x100));

const fn request_id(n: u128) -> RequestId {
    RequestId::new(Guid::from_u128(0xa000_0000 + n))
}

fn requestor() -> Caller {
    Caller::user(REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
}

/// A store on a fresh file holding requests 1 to `count`, each pending approval.
fn pending(dir: &tempfile::TempDir, count: u128) -> Arc<SqliteStore> {
    let store = SqliteStore::open(&dir.path().join("entitle.sqlite")).unwrap();
    for n in 1..=count {
        let new = NewRequest {
            submission: Submission {
                id: request_id(n),
                kind: RequestType::UserAdd,
                target: Some(REQUESTOR),
                assignment: None,
                rules: PolicyRules {
                    approval: Some(ApprovalRules {
                        stages: 1,
                        decision_timeout: Duration::days(14),
                        escalate_after: None,
                    }),
                    callout_on_created: false,
                },
                starts_at: None,
                ends_at: None,
                lasts: None,
            },
            access_package_id: "package".into(),
            assignment_policy_id: "policy".into(),
            justification: None,
            answers: Vec::new(),
            schedule: None,
            external_target: None,
            process: true,
        };
        let created = store.create(&new, &requestor(), T0).unwrap();
        assert_eq!(
            created.stored.record.request.status,
            RequestStatus::PendingApproval
        );
    }
    Arc::new(store)
}

fn cancel(store: &SqliteStore, n: u128) -> Result<Transitioned, TransitionError> {
    store.transition(
        request_id(n),
        Command::Act(ActionKind::Cancel),
        &|_: &RequestRecord| requestor(),
        T0,
        None,
    )
}

/// The size of every commit the store reports from the moment it is observed.
#[derive(Default)]
struct Commits(Mutex<Vec<usize>>);

impl Commits {
    fn of(store: &SqliteStore) -> Arc<Self> {
        let commits = Arc::new(Self::default());
        store.observe(Arc::clone(&commits) as Arc<dyn Observer>);
        commits
    }

    fn sizes(&self) -> Vec<usize> {
        self.0.lock().unwrap().clone()
    }
}

impl Observer for Commits {
    fn waited_for_connection(&self, _: Backend, _: Wait) {}
    fn retried(&self, _: Backend) {}
    fn committed(&self, _: Backend, writes: usize) {
        self.0.lock().unwrap().push(writes);
    }
}

/// One writer's work.
type Write = Box<dyn FnOnce(&SqliteStore) -> Result<Transitioned, TransitionError> + Send>;

/// Runs `writes` on threads that all queue for the writer while it is held, so that they form one
/// group; their results, in the order given.
fn grouped(
    store: &Arc<SqliteStore>,
    writes: Vec<Write>,
) -> Vec<thread::Result<Result<Transitioned, TransitionError>>> {
    let held = store.writer.hold();
    let count = writes.len();
    let threads: Vec<_> = writes
        .into_iter()
        .map(|write| {
            let store = Arc::clone(store);
            thread::spawn(move || write(&store))
        })
        .collect();
    while store.writer.queued() < count {
        thread::yield_now();
    }
    drop(held);
    threads.into_iter().map(thread::JoinHandle::join).collect()
}

fn status(store: &SqliteStore, n: u128) -> RequestStatus {
    store
        .get(request_id(n))
        .unwrap()
        .unwrap()
        .record
        .request
        .status
}

#[test]
fn a_refused_transition_in_a_group_refuses_only_itself_and_the_group_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = pending(&dir, 3);
    cancel(&store, 2).unwrap();
    let history_of_2 = store.history(request_id(2)).unwrap();
    let commits = Commits::of(&store);

    let results = grouped(
        &store,
        [1, 2, 3]
            .map(|n| Box::new(move |store: &SqliteStore| cancel(store, n)) as Write)
            .into(),
    );
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();

    assert_eq!(commits.sizes(), [3], "one commit for the group");
    assert!(matches!(&results[0], Ok(moved) if moved.stored.version == 2));
    assert!(
        matches!(&results[1], Err(TransitionError::Rejected(_))),
        "a second cancel is refused: {:?}",
        results[1]
    );
    assert!(matches!(&results[2], Ok(moved) if moved.stored.version == 2));
    for n in 1..=3 {
        assert_eq!(status(&store, n), RequestStatus::Canceled, "request {n}");
    }
    assert_eq!(store.history(request_id(2)).unwrap(), history_of_2);
    assert_eq!(store.history(request_id(1)).unwrap().len(), 3);
    assert!(store.integrity().unwrap().is_ok());
}

#[test]
fn a_panicking_writer_in_a_group_writes_nothing_and_the_others_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = pending(&dir, 3);
    let commits = Commits::of(&store);

    let results = grouped(
        &store,
        vec![
            Box::new(|store: &SqliteStore| cancel(store, 1)),
            Box::new(|store: &SqliteStore| {
                store.transition(
                    request_id(2),
                    Command::Act(ActionKind::Cancel),
                    &|_: &RequestRecord| -> Caller { panic!("the directory lookup failed") },
                    T0,
                    None,
                )
            }),
            Box::new(|store: &SqliteStore| cancel(store, 3)),
        ],
    );

    assert_eq!(commits.sizes(), [3], "one commit for the group");
    assert!(results[1].is_err(), "the panic reaches its caller");
    for (n, result) in [(1, &results[0]), (3, &results[2])] {
        assert!(matches!(result, Ok(Ok(_))), "request {n}: {result:?}");
        assert_eq!(status(&store, n), RequestStatus::Canceled, "request {n}");
    }
    assert_eq!(status(&store, 2), RequestStatus::PendingApproval);
    assert_eq!(store.history(request_id(2)).unwrap().len(), 2);
    assert!(store.integrity().unwrap().is_ok());
}

#[test]
fn a_lone_writer_commits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = pending(&dir, 2);
    let commits = Commits::of(&store);
    cancel(&store, 1).unwrap();
    cancel(&store, 2).unwrap();
    assert_eq!(commits.sizes(), [1, 1]);
}
