//! Seeding the demo store: one request in every status, each brought there through the store's
//! `create` and `transition`, as the HTTP handlers would.

use entitle_auth::{DEMO_TENANT, Identity};
use entitle_core::{
    ActionKind, AssignmentId, Caller, Duration, Permission, Permissions, Principal, RequestId,
    RequestType, Roles, SubjectId, Submission, Timestamp,
};
use entitle_store::{
    Command, CreateFailure, Directory, NewRequest, Query, RequestRecord, Store, StoreError,
    TransitionError,
};

use super::ids::{
    ADELE, ALEX, BIANCA, DIEGO, EXTENSION_APP, LEE, MEGAN, NESTOR, POLICY_DIRECT, POLICY_EXTENSION,
    POLICY_ONE_STAGE, POLICY_TWO_STAGE, REQUEST_ACCEPTED, REQUEST_CANCELED, REQUEST_DELIVERED,
    REQUEST_DELIVERING, REQUEST_DELIVERY_FAILED, REQUEST_DENIED, REQUEST_ENDED, REQUEST_EXPIRED,
    REQUEST_GUEST, REQUEST_PARTIALLY_DELIVERED, REQUEST_PENDING_APPROVAL,
    REQUEST_PENDING_APPROVAL_ESCALATED, REQUEST_PENDING_NOT_BEFORE, REQUEST_REMOVAL,
    REQUEST_WAITING_FOR_CALLBACK,
};
use super::tenant::directory;
use crate::access::{admission, caller_for, caller_in};

/// A span of whole minutes.
const fn minutes(minutes: u64) -> Duration {
    Duration(minutes.saturating_mul(60_000))
}

/// An instant relative to `now`.
#[derive(Clone, Copy)]
enum Offset {
    /// That long before `now`.
    Before(Duration),
    /// That long after `now`.
    After(Duration),
}

impl Offset {
    const fn at(self, now: Timestamp) -> Timestamp {
        match self {
            Self::Before(span) => before(now, span),
            Self::After(span) => now.after(span),
        }
    }
}

/// Who performs one step of a seeded request, as the server would resolve them.
#[derive(Clone, Copy)]
enum Actor {
    /// The service itself.
    System,
    /// A signed-in user whose token grants one permission.
    User(SubjectId, Permission),
    /// An application with `EntitlementManagement.ReadWrite.All`.
    App(SubjectId),
}

/// One seeded request: how it was submitted, and the actions that brought it to its status.
struct Seed {
    id: RequestId,
    requestor: SubjectId,
    target: SubjectId,
    request_type: RequestType,
    policy: &'static str,
    justification: Option<&'static str>,
    /// The request whose assignment it changes or removes (`None` for an adding request).
    changes: Option<RequestId>,
    /// How long before `now` it was submitted.
    submitted: Duration,
    /// When its schedule starts, if it has a start.
    starts: Option<Offset>,
    /// How long after `now` the assignment would end, if it ends.
    expires_in: Option<Duration>,
    /// Whether the service processed it at once (every request but the `Accepted` one).
    processed: bool,
    /// The actions after the service's first step, each with its actor and how long before `now`
    /// it happened.
    steps: &'static [(ActionKind, Actor, Duration)],
}

impl Seed {
    /// The permission its submitter's token grants: an administrator's for a direct assignment.
    const fn permission(&self) -> Permission {
        match self.request_type {
            RequestType::AdminAdd | RequestType::AdminRemove => Permission::ReadWriteAll,
            _ => Permission::SubjectAccessReadWrite,
        }
    }
}

/// A requestor acting on their own request.
const fn own(id: SubjectId) -> Actor {
    Actor::User(id, Permission::SubjectAccessReadWrite)
}

/// An approver or administrator acting with `EntitlementManagement.ReadWrite.All`.
const fn admin(id: SubjectId) -> Actor {
    Actor::User(id, Permission::ReadWriteAll)
}

/// Every seeded request: [`seeded`]'s, in its order, then [`seeded_more`]'s.
const SEEDS: [Seed; 15] = {
    use ActionKind as A;
    const SYSTEM: Actor = Actor::System;
    [
        Seed {
            id: REQUEST_ACCEPTED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_DIRECT,
            justification: Some("Joining the sales team next week."),
            changes: None,
            submitted: minutes(10),
            starts: None,
            expires_in: None,
            processed: false,
            steps: &[],
        },
        Seed {
            id: REQUEST_WAITING_FOR_CALLBACK,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_EXTENSION,
            justification: Some("Prototype testing on the bench rigs."),
            changes: None,
            submitted: Duration::hours(2),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[],
        },
        Seed {
            id: REQUEST_PENDING_APPROVAL,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: Some("Running the thermal tests for the new enclosure."),
            changes: None,
            submitted: Duration::days(2),
            starts: None,
            expires_in: Some(Duration::days(90)),
            processed: true,
            steps: &[(A::Approve, admin(ALEX), Duration::days(1))],
        },
        Seed {
            id: REQUEST_PENDING_APPROVAL_ESCALATED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: Some("Preparing the quarterly forecast."),
            changes: None,
            submitted: Duration::days(4),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[(A::Escalate, SYSTEM, Duration::days(1))],
        },
        Seed {
            id: REQUEST_PENDING_NOT_BEFORE,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: Some("Covering the finance review while Bianca is on leave."),
            changes: None,
            submitted: Duration::days(2),
            starts: Some(Offset::After(Duration::days(7))),
            expires_in: Some(Duration::days(37)),
            processed: true,
            steps: &[(A::Approve, admin(ALEX), Duration::days(1))],
        },
        Seed {
            id: REQUEST_DELIVERING,
            requestor: MEGAN,
            target: BIANCA,
            request_type: RequestType::AdminAdd,
            policy: POLICY_DIRECT,
            justification: Some("Onboarding to the sales team."),
            changes: None,
            submitted: minutes(5),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[],
        },
        Seed {
            id: REQUEST_DELIVERED,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_DIRECT,
            justification: Some("Customer visits this quarter."),
            changes: None,
            submitted: Duration::days(7),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[(
                A::Deliver,
                SYSTEM,
                Duration(Duration::days(7).0 - minutes(2).0),
            )],
        },
        Seed {
            id: REQUEST_PARTIALLY_DELIVERED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: Some("Calibrating the new sensors."),
            changes: None,
            submitted: Duration::days(6),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[
                (A::Approve, admin(ALEX), Duration::days(5)),
                (A::Approve, admin(DIEGO), Duration::days(4)),
                (
                    A::DeliverPartially,
                    SYSTEM,
                    Duration(Duration::days(4).0 - minutes(5).0),
                ),
            ],
        },
        Seed {
            id: REQUEST_DELIVERY_FAILED,
            requestor: NESTOR,
            target: ADELE,
            request_type: RequestType::AdminAdd,
            policy: POLICY_EXTENSION,
            justification: Some("Adele completed the safety training."),
            changes: None,
            submitted: Duration::days(2),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[
                (
                    A::ResumeContinue,
                    Actor::App(EXTENSION_APP),
                    Duration(Duration::days(2).0 - minutes(10).0),
                ),
                (
                    A::FailDelivery,
                    SYSTEM,
                    Duration(Duration::days(2).0 - minutes(15).0),
                ),
            ],
        },
        Seed {
            id: REQUEST_DENIED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: Some("Curious about the numbers."),
            changes: None,
            submitted: Duration::days(9),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[(A::Deny, admin(ALEX), Duration::days(8))],
        },
        Seed {
            id: REQUEST_EXPIRED,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: Some("Budget planning."),
            changes: None,
            submitted: Duration::days(20),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[
                (A::Escalate, SYSTEM, Duration::days(17)),
                (A::Expire, SYSTEM, Duration::days(6)),
            ],
        },
        Seed {
            id: REQUEST_CANCELED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: Some("Hardware demo for a customer."),
            changes: None,
            submitted: Duration::days(3),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[(A::Cancel, own(BIANCA), Duration::days(2))],
        },
        Seed {
            id: REQUEST_ENDED,
            requestor: MEGAN,
            target: DIEGO,
            request_type: RequestType::AdminAdd,
            policy: POLICY_DIRECT,
            justification: None,
            changes: None,
            submitted: Duration::days(30),
            starts: Some(Offset::Before(Duration::days(30))),
            expires_in: None,
            processed: true,
            steps: &[(
                A::Deliver,
                SYSTEM,
                Duration(Duration::days(30).0 - minutes(2).0),
            )],
        },
        Seed {
            id: REQUEST_REMOVAL,
            requestor: MEGAN,
            target: DIEGO,
            request_type: RequestType::AdminRemove,
            policy: POLICY_DIRECT,
            justification: Some("Diego moved to the lab team."),
            changes: Some(REQUEST_ENDED),
            submitted: Duration::days(1),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[(
                A::Deliver,
                SYSTEM,
                Duration(Duration::days(1).0 - minutes(1).0),
            )],
        },
        Seed {
            id: REQUEST_GUEST,
            requestor: LEE,
            target: LEE,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: Some("Fabrikam's sensor team tests its prototypes in the lab."),
            changes: None,
            submitted: Duration::hours(3),
            starts: None,
            expires_in: None,
            processed: true,
            steps: &[],
        },
    ]
};

/// The instant `span` before `now`.
const fn before(now: Timestamp, span: Duration) -> Timestamp {
    Timestamp(now.0.saturating_sub(span.0))
}

/// The identity a token of `principal` `id` granting `permission` would give.
fn token(principal: Principal, id: SubjectId, permission: Permission) -> Identity {
    Identity {
        principal,
        id,
        tenant: DEMO_TENANT.to_owned(),
        permissions: Permissions::NONE.with(permission),
        directory_roles: Roles::NONE,
    }
}

/// The identity of a signed-in user whose token grants `permission`.
fn user(id: SubjectId, permission: Permission) -> Identity {
    token(Principal::WorkOrSchoolUser, id, permission)
}

/// The identity a token for `actor` would give (`None` for the service itself).
fn identity(actor: Actor) -> Option<Identity> {
    match actor {
        Actor::System => None,
        Actor::User(id, permission) => Some(user(id, permission)),
        Actor::App(id) => Some(token(Principal::Application, id, Permission::ReadWriteAll)),
    }
}

/// A failure of the store, or a refusal the demo data never causes for a `now` later than its oldest
/// request (20 days after the epoch): then the demo tenant and entitle-core disagree, a bug.
fn seeding_failed(id: RequestId, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("seeding demo request `{id}`: {reason}"))
}

fn plant(
    store: &dyn Store,
    directory: &Directory,
    seed: &Seed,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some(policy) = directory.policy(seed.policy) else {
        return Err(seeding_failed(
            seed.id,
            format!("unknown policy `{}`", seed.policy),
        ));
    };
    let new = NewRequest {
        submission: Submission {
            id: seed.id,
            kind: seed.request_type,
            target: Some(seed.target),
            assignment: seed.changes.map(AssignmentId::for_request),
            rules: policy.rules,
            starts_at: seed.starts.map(|offset| offset.at(now)),
            ends_at: seed.expires_in.map(|span| now.after(span)),
            lasts: None,
        },
        access_package_id: policy.access_package_id.clone(),
        assignment_policy_id: seed.policy.to_owned(),
        justification: seed.justification.map(str::to_owned),
        answers: Vec::new(),
        schedule: None,
        external_target: None,
        process: seed.processed,
    };
    // The policy admits the seed as it would the same request over HTTP.
    admission(
        directory,
        policy,
        seed.request_type,
        seed.target,
        None,
        seed.requestor,
    )
    .map_err(|reason| seeding_failed(seed.id, reason.to_string()))?;
    let submitter = caller_in(
        &user(seed.requestor, seed.permission()),
        directory,
        &new.access_package_id,
        seed.policy,
        new.submission.target,
    );
    match store.create(&new, &submitter, before(now, seed.submitted)) {
        Ok(_) => {}
        Err(CreateFailure::Store(error)) => return Err(error),
        Err(CreateFailure::Refused(refusal)) => return Err(seeding_failed(seed.id, refusal)),
    }
    for &(kind, actor, ago) in seed.steps {
        let identity = identity(actor);
        let caller = |record: &RequestRecord| {
            identity.as_ref().map_or_else(Caller::system, |identity| {
                caller_for(identity, directory, record)
            })
        };
        match store.transition(seed.id, Command::Act(kind), &caller, before(now, ago), None) {
            Ok(_) => {}
            Err(TransitionError::Store(error)) => return Err(error),
            Err(refused) => return Err(seeding_failed(seed.id, refused)),
        }
    }
    Ok(())
}

/// Seeds one request in every status (see [`seeded`](super::seeded)) and an assignment's whole life
/// ([`seeded_more`](super::seeded_more)), with times relative to `now`: all in the past,
/// except the start of the `PendingNotBefore` request and the deadlines of the pending ones, so the
/// background sweeper moves none of them at once.
///
/// Does nothing if the store already holds a request, or if its directory is not the demo directory
/// (`serve --demo --tenant FILE` serves another tenant, whose policies the demo requests would not
/// match).
///
/// # Errors
/// A storage failure.
pub fn seed(store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
    let directory =
        directory().map_err(|error| StoreError::Config(format!("the demo tenant: {error}")))?;
    if store.directory()? != directory {
        return Ok(());
    }
    let any = Query {
        limit: 1,
        ..Query::default()
    };
    if !store.list(&any)?.is_empty() {
        return Ok(());
    }
    for seed in &SEEDS {
        match plant(store, &directory, seed, now) {
            // Another process sharing the store is seeding it at the same moment.
            Err(StoreError::Duplicate(_)) => return Ok(()),
            planted => planted?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use entitle_core::{Action, Assignment, Deadline, Request, RequestStatus, VariantArray};
    use entitle_store::{Event, SqliteStore, Stored};
    use tempfile::TempDir;

    use super::*;
    use crate::demo::ids::{seeded, seeded_more};

    /// 2026-03-02T09:30:00Z.
    const NOW: Timestamp = Timestamp(1_772_443_800_000);

    fn seeded_store() -> (TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("demo.db")).unwrap();
        store.set_directory(&directory().unwrap()).unwrap();
        seed(&store, NOW).unwrap();
        (dir, store)
    }

    fn all(store: &SqliteStore) -> Vec<Stored> {
        store
            .list(&Query {
                limit: 100,
                ..Query::default()
            })
            .unwrap()
    }

    #[test]
    fn two_processes_seeding_one_store_at_once_both_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        SqliteStore::open(&path)
            .unwrap()
            .set_directory(&directory().unwrap())
            .unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let seeders: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), std::sync::Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let store = SqliteStore::open(&path).unwrap();
                    barrier.wait();
                    seed(&store, NOW)
                })
            })
            .collect();
        for seeder in seeders {
            assert!(seeder.join().unwrap().is_ok());
        }
        assert_eq!(all(&SqliteStore::open(&path).unwrap()).len(), SEEDS.len());
    }

    #[test]
    fn the_seeds_are_in_status_order() {
        let seeds: Vec<_> = SEEDS.iter().map(|seed| seed.id).collect();
        let ids: Vec<_> = seeded()
            .iter()
            .chain(&seeded_more())
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(seeds, ids);
    }

    #[test]
    fn seeding_creates_one_request_per_status_with_the_fixed_ids() {
        let (_dir, store) = seeded_store();
        let stored = all(&store);
        assert_eq!(
            stored.len(),
            RequestStatus::VARIANTS.len() + seeded_more().len()
        );
        for ((status, id), stored) in seeded().iter().chain(&seeded_more()).zip(&stored) {
            assert_eq!(stored.record.request.id, *id);
            assert_eq!(stored.record.request.status, *status, "{id}");
            assert!(stored.record.request.created_at < NOW, "{id}");
        }
        // The removal ended the direct assignment a day ago.
        let ended = store
            .assignment(AssignmentId::for_request(REQUEST_ENDED))
            .unwrap()
            .unwrap()
            .assignment;
        assert_eq!(ended.state, entitle_core::AssignmentState::Expired);
        assert_eq!(
            ended.expired_at,
            Some(before(NOW, Duration(Duration::days(1).0 - minutes(1).0)))
        );
        let types: Vec<_> = stored.iter().map(|s| s.record.request.kind).collect();
        assert!(types.contains(&RequestType::UserAdd));
        assert!(types.contains(&RequestType::AdminAdd));
    }

    #[test]
    fn another_tenant_is_not_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("other.db")).unwrap();
        seed(&store, NOW).unwrap();
        assert_eq!(all(&store), vec![]);
        let mut other = directory().unwrap();
        other.policies.pop();
        store.set_directory(&other).unwrap();
        seed(&store, NOW).unwrap();
        assert_eq!(all(&store), vec![]);
    }

    #[test]
    fn seeding_twice_changes_nothing() {
        let (_dir, store) = seeded_store();
        let before = all(&store);
        let histories: Vec<_> = SEEDS
            .iter()
            .map(|seed| store.history(seed.id).unwrap())
            .collect();
        seed(&store, NOW.after(Duration::days(1))).unwrap();
        assert_eq!(all(&store), before);
        let again: Vec<_> = SEEDS
            .iter()
            .map(|seed| store.history(seed.id).unwrap())
            .collect();
        assert_eq!(again, histories);
    }

    /// The caller an entry records, with every permission, its catalog roles and the stages it
    /// approves, as the directory gives them for `record`.
    fn replay_caller(
        directory: &Directory,
        record: &RequestRecord,
        by: SubjectId,
        principal: Principal,
    ) -> Caller {
        if principal == Principal::System {
            return Caller::system();
        }
        let mut caller = Caller::new(principal, by);
        caller.permissions = Permission::VARIANTS.iter().copied().collect();
        caller.roles = directory.catalog_roles(by, &record.access_package_id);
        caller.approver_of = directory.approver_of(
            &record.assignment_policy_id,
            by,
            Some(record.request.target),
        );
        caller
    }

    #[test]
    fn every_history_replays_through_the_core_to_the_stored_request_and_assignment() {
        let (_dir, store) = seeded_store();
        let directory = directory().unwrap();
        // Each assignment as the histories so far leave it: a removal replays after the request
        // whose assignment it ends.
        let mut replayed: BTreeMap<AssignmentId, Assignment> = BTreeMap::new();
        for stored in all(&store) {
            let record = &stored.record;
            let id = record.request.id;
            let history = store.history(id).unwrap();
            let (first, rest) = history.split_first().unwrap();
            assert_eq!(
                first.event,
                Event::Submitted {
                    status: RequestStatus::Accepted
                }
            );
            let submission = Submission {
                id,
                kind: record.request.kind,
                target: Some(record.request.target),
                assignment: record
                    .request
                    .kind
                    .needs_assignment()
                    .then_some(record.request.assignment),
                rules: record.request.rules,
                starts_at: record.request.starts_at,
                ends_at: record.request.ends_at,
                lasts: None,
            };
            let submitter = replay_caller(&directory, record, first.by, first.principal);
            let mut assignment = replayed.get(&record.request.assignment).copied();
            let mut request =
                Request::create(&submission, &submitter, assignment.as_ref(), first.at)
                    .unwrap()
                    .request;
            for entry in rest {
                let Event::Transition {
                    rule, authority, ..
                } = &entry.event
                else {
                    panic!("{id}: unexpected {entry:?}");
                };
                assert_eq!(entry.stage, request.approval_stage, "{id}");
                let caller = replay_caller(&directory, record, entry.by, entry.principal);
                let decided = request
                    .decide(
                        &Action::new(rule.action, caller),
                        assignment.as_ref(),
                        entry.at,
                    )
                    .unwrap_or_else(|error| panic!("{id}: {error}"));
                assert_eq!(decided.step.rule, rule, "{id}");
                assert_eq!(&decided.step.authority.to_string(), authority, "{id}");
                request = decided.step.request;
                if let Some(moved) = decided.assignment {
                    assignment = Some(moved.assignment);
                }
            }
            assert_eq!(request, record.request, "{id}");
            if let Some(assignment) = assignment {
                replayed.insert(assignment.id, assignment);
            }
            assert!(
                history.windows(2).all(|pair| pair[0].at <= pair[1].at),
                "{id}"
            );
        }
        for (id, assignment) in replayed {
            assert_eq!(
                store
                    .assignment(id)
                    .unwrap()
                    .map(|stored| stored.assignment),
                Some(assignment),
                "{id}"
            );
        }
        assert!(store.integrity().unwrap().is_ok());
    }

    #[test]
    fn exactly_the_documented_cancelable_requests_can_be_canceled_by_their_requestor() {
        let (_dir, store) = seeded_store();
        let mut cancelable = Vec::new();
        for stored in all(&store) {
            let request = stored.record.request;
            let me =
                Caller::user(request.requestor).with_permission(Permission::SubjectAccessReadWrite);
            if request.can_cancel(&me, NOW) {
                assert!([ADELE, BIANCA, LEE].contains(&request.requestor));
                cancelable.push(request.status);
            }
        }
        cancelable.sort();
        cancelable.dedup();
        let mut documented = RequestStatus::DOCUMENTED_CANCELABLE.to_vec();
        documented.sort();
        assert_eq!(cancelable, documented);
    }

    #[test]
    fn no_deadline_is_due_at_seeding() {
        let (_dir, store) = seeded_store();
        assert_eq!(store.due(NOW, 100).unwrap(), vec![]);
        let deadline = |id| {
            store
                .get(id)
                .unwrap()
                .unwrap()
                .record
                .request
                .next_deadline()
        };
        let expected = [
            (
                REQUEST_PENDING_APPROVAL,
                NOW.after(Duration::days(13)),
                ActionKind::Expire,
            ),
            (
                REQUEST_PENDING_APPROVAL_ESCALATED,
                NOW.after(Duration::days(10)),
                ActionKind::Expire,
            ),
            (
                REQUEST_PENDING_NOT_BEFORE,
                NOW.after(Duration::days(7)),
                ActionKind::ReachStart,
            ),
            (
                REQUEST_GUEST,
                before(NOW, Duration::hours(3)).after(Duration::days(14)),
                ActionKind::Expire,
            ),
        ];
        for (id, at, action) in expected {
            assert_eq!(deadline(id), Some(Deadline { at, action }), "{id}");
        }
        // Advancing the clock 15 days makes all four due, as `docs/demo.md` shows.
        assert_eq!(
            store.due(NOW.after(Duration::days(15)), 100).unwrap().len(),
            4
        );
    }

    #[test]
    fn every_seeded_request_is_in_the_demo_page() {
        let page = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/demo.md"),
        )
        .unwrap();
        for (status, id) in seeded().into_iter().chain(seeded_more()) {
            let row = format!("| `{}` | `{id}` |", status.as_str());
            assert!(page.contains(&row), "docs/demo.md lacks the row {row}");
        }
        let directory = directory().unwrap();
        for user in &directory.users {
            assert!(page.contains(&user.id.to_string()), "{}", user.display_name);
        }
    }
}
