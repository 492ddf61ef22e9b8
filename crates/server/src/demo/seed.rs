//! The built-in demo tenant of `entitle serve --demo`: a directory of memorable users, one catalog with
//! three access packages under four policies, and one seeded request in every status.
//!
//! Every id is fixed, so `docs/demo.md`, tests and scripts can name "the `PendingApproval` request"
//! or "Adele". Every seeded request is produced through the real path: [`Request::submit`], the
//! store's `create`, then the store's `transition` with the caller the HTTP handlers would resolve
//! (directory roles, catalog roles and approvers included). Its history is therefore a valid path
//! through entitle-core's transition table.
//!
//! The Identity Governance Administrator (Isaiah) holds his role through the `wids` claim of his
//! token, never through the directory: Microsoft Entra directory roles are stated by the token.
//!
//! ⚠️ `--demo` also accepts tokens signed with the public, well-known demo key. Never use it with real
//! data.

use entitle_auth::{DEMO_TENANT, Identity};
use entitle_core::{
    ActionKind, ApprovalPolicy, Caller, Duration, Guid, Permission, Permissions, Policy, Principal,
    Request, RequestId, RequestStatus, Role, Roles, SubjectId, Timestamp,
};
use entitle_graph::{AssignmentRequest, RequestType};
use entitle_store::{
    AccessPackage, AssignmentPolicy, Catalog, Directory, Event, HistoryEntry, Query,
    RoleAssignment, StageApprovers, Store, StoreError, TransitionError, User,
};

use crate::access::caller_for;

// ---------------------------------------------------------------------------------------------
// Ids

/// The GUID `00000000-0000-4000-8000-` followed by the 12 hex digits of `tail`.
const fn guid(tail: u64) -> Guid {
    Guid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | tail as u128)
}

const fn subject(tail: u64) -> SubjectId {
    SubjectId::new(guid(tail))
}

const fn request(tail: u64) -> RequestId {
    RequestId::new(guid(tail))
}

/// Adele Vance (`adele@contoso.test`): a requestor.
pub const ADELE: SubjectId = subject(0xa001);
/// Bianca Pisani (`bianca@contoso.test`): a second requestor.
pub const BIANCA: SubjectId = subject(0xa002);
/// Alex Wilber (`alex@contoso.test`): approver of the first stage of every approval policy.
pub const ALEX: SubjectId = subject(0xa003);
/// Diego Siciliani (`diego@contoso.test`): approver of the second stage of the two-stage policy.
pub const DIEGO: SubjectId = subject(0xa004);
/// Enrico Cattaneo (`enrico@contoso.test`): alternate approver once the one-stage policy escalates.
pub const ENRICO: SubjectId = subject(0xa005);
/// Megan Bowen (`megan@contoso.test`): access package assignment manager of the General catalog.
pub const MEGAN: SubjectId = subject(0xa006);
/// Nestor Wilke (`nestor@contoso.test`): catalog owner of the General catalog.
pub const NESTOR: SubjectId = subject(0xa007);
/// Isaiah Langer (`isaiah@contoso.test`): Identity Governance Administrator. The role comes from the
/// token's `wids` ([`IDENTITY_GOVERNANCE_ADMINISTRATOR`](entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR)),
/// not from the directory.
pub const ISAIAH: SubjectId = subject(0xa008);
/// The application of the custom extension that resumes requests paused at `assignmentRequestCreated`
/// (the control API's [`EXTENSION_APP_ID`](crate::control::EXTENSION_APP_ID)).
pub const EXTENSION_APP: SubjectId = crate::control::EXTENSION_APP_ID;

/// The catalog "General".
pub const CATALOG_GENERAL: &str = "00000000-0000-4000-8000-0000000ca001";
/// The access package "Sales tools".
pub const PACKAGE_SALES_TOOLS: &str = "00000000-0000-4000-8000-0000000ba001";
/// The access package "Finance reports".
pub const PACKAGE_FINANCE_REPORTS: &str = "00000000-0000-4000-8000-0000000ba002";
/// The access package "Lab access".
pub const PACKAGE_LAB_ACCESS: &str = "00000000-0000-4000-8000-0000000ba003";

/// "Sales tools" without approval: delivered directly.
pub const POLICY_DIRECT: &str = "00000000-0000-4000-8000-0000000d0001";
/// "Finance reports" with one approval stage (Alex), escalating to Enrico after 3 days, expiring
/// after 14.
pub const POLICY_ONE_STAGE: &str = "00000000-0000-4000-8000-0000000d0002";
/// "Lab access" with two approval stages: Alex, then Diego (14 days each, no escalation).
pub const POLICY_TWO_STAGE: &str = "00000000-0000-4000-8000-0000000d0003";
/// "Lab access" with a custom extension at `assignmentRequestCreated` (a safety-training check) and
/// no approval.
pub const POLICY_EXTENSION: &str = "00000000-0000-4000-8000-0000000d0004";

/// The seeded `Accepted` request (Bianca, not yet processed).
pub const REQUEST_ACCEPTED: RequestId = request(0xc_0001);
/// The seeded `WaitingForCallback` request (Adele, paused for the custom extension).
pub const REQUEST_WAITING_FOR_CALLBACK: RequestId = request(0xc_0002);
/// The seeded `PendingApproval` request (Adele, at its second stage: Diego).
pub const REQUEST_PENDING_APPROVAL: RequestId = request(0xc_0003);
/// The seeded `PendingApprovalEscalated` request (Bianca, waiting for Alex or Enrico).
pub const REQUEST_PENDING_APPROVAL_ESCALATED: RequestId = request(0xc_0004);
/// The seeded `PendingNotBefore` request (Adele, approved, starting 7 days after seeding).
pub const REQUEST_PENDING_NOT_BEFORE: RequestId = request(0xc_0005);
/// The seeded `Delivering` request (Megan assigning Bianca).
pub const REQUEST_DELIVERING: RequestId = request(0xc_0006);
/// The seeded `Delivered` request (Adele).
pub const REQUEST_DELIVERED: RequestId = request(0xc_0007);
/// The seeded `PartiallyDelivered` request (Bianca, after both approval stages).
pub const REQUEST_PARTIALLY_DELIVERED: RequestId = request(0xc_0008);
/// The seeded `DeliveryFailed` request (Nestor assigning Adele, resumed by the custom extension).
pub const REQUEST_DELIVERY_FAILED: RequestId = request(0xc_0009);
/// The seeded `Denied` request (Bianca, denied by Alex).
pub const REQUEST_DENIED: RequestId = request(0xc_000a);
/// The seeded `Expired` request (Adele, escalated, then timed out).
pub const REQUEST_EXPIRED: RequestId = request(0xc_000b);
/// The seeded `Canceled` request (Bianca, canceled by herself).
pub const REQUEST_CANCELED: RequestId = request(0xc_000c);

/// The seeded requests: one per status, in the order of `RequestStatus::VARIANTS`.
pub const fn seeded() -> [(RequestStatus, RequestId); 12] {
    use RequestStatus as S;
    [
        (S::Accepted, REQUEST_ACCEPTED),
        (S::WaitingForCallback, REQUEST_WAITING_FOR_CALLBACK),
        (S::PendingApproval, REQUEST_PENDING_APPROVAL),
        (
            S::PendingApprovalEscalated,
            REQUEST_PENDING_APPROVAL_ESCALATED,
        ),
        (S::PendingNotBefore, REQUEST_PENDING_NOT_BEFORE),
        (S::Delivering, REQUEST_DELIVERING),
        (S::Delivered, REQUEST_DELIVERED),
        (S::PartiallyDelivered, REQUEST_PARTIALLY_DELIVERED),
        (S::DeliveryFailed, REQUEST_DELIVERY_FAILED),
        (S::Denied, REQUEST_DENIED),
        (S::Expired, REQUEST_EXPIRED),
        (S::Canceled, REQUEST_CANCELED),
    ]
}

// ---------------------------------------------------------------------------------------------
// The directory

fn user(id: SubjectId, display_name: &str, login: &str) -> User {
    User {
        id,
        display_name: display_name.to_owned(),
        user_principal_name: format!("{login}@contoso.test"),
    }
}

fn package(id: &str, display_name: &str, description: &str) -> AccessPackage {
    AccessPackage {
        id: id.to_owned(),
        catalog_id: CATALOG_GENERAL.to_owned(),
        display_name: display_name.to_owned(),
        description: description.to_owned(),
    }
}

fn policy(
    id: &str,
    package_id: &str,
    display_name: &str,
    rules: Policy,
    stages: Vec<StageApprovers>,
) -> AssignmentPolicy {
    AssignmentPolicy {
        id: id.to_owned(),
        access_package_id: package_id.to_owned(),
        display_name: display_name.to_owned(),
        rules,
        stages,
    }
}

fn stage(approvers: &[SubjectId], escalation_approvers: &[SubjectId]) -> StageApprovers {
    StageApprovers {
        approvers: approvers.to_vec(),
        escalation_approvers: escalation_approvers.to_vec(),
    }
}

/// The demo directory: the users, the General catalog with its three access packages, their four
/// policies, and the catalog roles of Megan and Nestor.
pub fn directory() -> Directory {
    Directory {
        users: vec![
            user(ADELE, "Adele Vance", "adele"),
            user(BIANCA, "Bianca Pisani", "bianca"),
            user(ALEX, "Alex Wilber", "alex"),
            user(DIEGO, "Diego Siciliani", "diego"),
            user(ENRICO, "Enrico Cattaneo", "enrico"),
            user(MEGAN, "Megan Bowen", "megan"),
            user(NESTOR, "Nestor Wilke", "nestor"),
            user(ISAIAH, "Isaiah Langer", "isaiah"),
        ],
        catalogs: vec![Catalog {
            id: CATALOG_GENERAL.to_owned(),
            display_name: "General".to_owned(),
        }],
        access_packages: vec![
            package(
                PACKAGE_SALES_TOOLS,
                "Sales tools",
                "The CRM and the sales team's shared mailbox.",
            ),
            package(
                PACKAGE_FINANCE_REPORTS,
                "Finance reports",
                "Read access to the monthly finance reports.",
            ),
            package(
                PACKAGE_LAB_ACCESS,
                "Lab access",
                "Badge access to the hardware lab and its booking system.",
            ),
        ],
        policies: vec![
            policy(
                POLICY_DIRECT,
                PACKAGE_SALES_TOOLS,
                "Sales tools: direct assignment",
                Policy::default(),
                vec![],
            ),
            policy(
                POLICY_ONE_STAGE,
                PACKAGE_FINANCE_REPORTS,
                "Finance reports: approval by Alex, escalating to Enrico",
                Policy {
                    approval: Some(ApprovalPolicy {
                        stages: 1,
                        decision_timeout: Duration::days(14),
                        escalate_after: Some(Duration::days(3)),
                    }),
                    callout_on_created: false,
                },
                vec![stage(&[ALEX], &[ENRICO])],
            ),
            policy(
                POLICY_TWO_STAGE,
                PACKAGE_LAB_ACCESS,
                "Lab access: approval by Alex, then Diego",
                Policy {
                    approval: Some(ApprovalPolicy {
                        stages: 2,
                        decision_timeout: Duration::days(14),
                        escalate_after: None,
                    }),
                    callout_on_created: false,
                },
                vec![stage(&[ALEX], &[]), stage(&[DIEGO], &[])],
            ),
            policy(
                POLICY_EXTENSION,
                PACKAGE_LAB_ACCESS,
                "Lab access: safety-training check (custom extension)",
                Policy {
                    approval: None,
                    callout_on_created: true,
                },
                vec![],
            ),
        ],
        role_assignments: vec![
            RoleAssignment {
                principal_id: MEGAN,
                role: Role::AccessPackageAssignmentManager,
                catalog_id: Some(CATALOG_GENERAL.to_owned()),
            },
            RoleAssignment {
                principal_id: NESTOR,
                role: Role::CatalogOwner,
                catalog_id: Some(CATALOG_GENERAL.to_owned()),
            },
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Seeding

/// A span of whole minutes.
const fn minutes(minutes: u64) -> Duration {
    Duration(minutes.saturating_mul(60_000))
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
    justification: &'static str,
    /// How long before `now` it was submitted.
    submitted: Duration,
    /// How long after `now` its schedule starts, if it has a start.
    starts_in: Option<Duration>,
    /// How long after `now` the assignment would end, if it ends.
    expires_in: Option<Duration>,
    /// The actions, each with its actor and how long before `now` it happened.
    steps: &'static [(ActionKind, Actor, Duration)],
}

/// A requestor acting on their own request.
const fn own(id: SubjectId) -> Actor {
    Actor::User(id, Permission::SubjectAccessReadWrite)
}

/// An approver or administrator acting with `EntitlementManagement.ReadWrite.All`.
const fn admin(id: SubjectId) -> Actor {
    Actor::User(id, Permission::ReadWriteAll)
}

/// Every seeded request, in [`seeded`] order.
const SEEDS: [Seed; 12] = {
    use ActionKind as A;
    const SYSTEM: Actor = Actor::System;
    [
        Seed {
            id: REQUEST_ACCEPTED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_DIRECT,
            justification: "Joining the sales team next week.",
            submitted: minutes(10),
            starts_in: None,
            expires_in: None,
            steps: &[],
        },
        Seed {
            id: REQUEST_WAITING_FOR_CALLBACK,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_EXTENSION,
            justification: "Prototype testing on the bench rigs.",
            submitted: Duration::hours(2),
            starts_in: None,
            expires_in: None,
            steps: &[(A::Process, SYSTEM, Duration::hours(2))],
        },
        Seed {
            id: REQUEST_PENDING_APPROVAL,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: "Running the thermal tests for the new enclosure.",
            submitted: Duration::days(2),
            starts_in: None,
            expires_in: Some(Duration::days(90)),
            steps: &[
                (A::Process, SYSTEM, Duration::days(2)),
                (A::Approve, admin(ALEX), Duration::days(1)),
            ],
        },
        Seed {
            id: REQUEST_PENDING_APPROVAL_ESCALATED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: "Preparing the quarterly forecast.",
            submitted: Duration::days(4),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(4)),
                (A::Escalate, SYSTEM, Duration::days(1)),
            ],
        },
        Seed {
            id: REQUEST_PENDING_NOT_BEFORE,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: "Covering the finance review while Bianca is on leave.",
            submitted: Duration::days(2),
            starts_in: Some(Duration::days(7)),
            expires_in: Some(Duration::days(37)),
            steps: &[
                (A::Process, SYSTEM, Duration::days(2)),
                (A::Approve, admin(ALEX), Duration::days(1)),
            ],
        },
        Seed {
            id: REQUEST_DELIVERING,
            requestor: MEGAN,
            target: BIANCA,
            request_type: RequestType::AdminAdd,
            policy: POLICY_DIRECT,
            justification: "Onboarding to the sales team.",
            submitted: minutes(5),
            starts_in: None,
            expires_in: None,
            steps: &[(A::Process, SYSTEM, minutes(5))],
        },
        Seed {
            id: REQUEST_DELIVERED,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_DIRECT,
            justification: "Customer visits this quarter.",
            submitted: Duration::days(7),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(7)),
                (
                    A::Deliver,
                    SYSTEM,
                    Duration(Duration::days(7).0 - minutes(2).0),
                ),
            ],
        },
        Seed {
            id: REQUEST_PARTIALLY_DELIVERED,
            requestor: BIANCA,
            target: BIANCA,
            request_type: RequestType::UserAdd,
            policy: POLICY_TWO_STAGE,
            justification: "Calibrating the new sensors.",
            submitted: Duration::days(6),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(6)),
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
            justification: "Adele completed the safety training.",
            submitted: Duration::days(2),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(2)),
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
            justification: "Curious about the numbers.",
            submitted: Duration::days(9),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(9)),
                (A::Deny, admin(ALEX), Duration::days(8)),
            ],
        },
        Seed {
            id: REQUEST_EXPIRED,
            requestor: ADELE,
            target: ADELE,
            request_type: RequestType::UserAdd,
            policy: POLICY_ONE_STAGE,
            justification: "Budget planning.",
            submitted: Duration::days(20),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(20)),
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
            justification: "Hardware demo for a customer.",
            submitted: Duration::days(3),
            starts_in: None,
            expires_in: None,
            steps: &[
                (A::Process, SYSTEM, Duration::days(3)),
                (A::Cancel, own(BIANCA), Duration::days(2)),
            ],
        },
    ]
};

/// The instant `span` before `now`.
const fn before(now: Timestamp, span: Duration) -> Timestamp {
    Timestamp(now.0.saturating_sub(span.0))
}

/// The identity a token for `actor` would give (`None` for the service itself).
fn identity(actor: Actor) -> Option<Identity> {
    let (principal, id, permission) = match actor {
        Actor::System => return None,
        Actor::User(id, permission) => (Principal::WorkOrSchoolUser, id, permission),
        Actor::App(id) => (Principal::Application, id, Permission::ReadWriteAll),
    };
    Some(Identity {
        principal,
        id,
        tenant: DEMO_TENANT.to_owned(),
        permissions: Permissions::NONE.with(permission),
        directory_roles: Roles::NONE,
    })
}

/// A storage failure for a seeded request the store or the core refused, which the demo data never
/// causes for a `now` later than its oldest request (20 days after the epoch).
fn refused(id: RequestId, error: TransitionError) -> StoreError {
    match error {
        TransitionError::Store(error) => error,
        other => StoreError::Database(format!("seeding demo request `{id}`: {other}")),
    }
}

fn plant(
    store: &dyn Store,
    directory: &Directory,
    seed: &Seed,
    now: Timestamp,
) -> Result<(), StoreError> {
    let rules = directory
        .policy(seed.policy)
        .map(|policy| (policy.rules, policy.access_package_id.clone()));
    let Some((rules, package)) = rules else {
        return Err(StoreError::Database(format!(
            "seeding demo request `{}`: unknown policy `{}`",
            seed.id, seed.policy
        )));
    };
    let created_at = before(now, seed.submitted);
    let core = Request::submit(
        seed.id,
        seed.requestor,
        rules,
        seed.starts_in.map(|span| now.after(span)),
        created_at,
    )
    .map_err(|error| {
        StoreError::Database(format!("seeding demo request `{}`: {error}", seed.id))
    })?;
    let record = AssignmentRequest {
        request: core,
        request_type: seed.request_type,
        access_package_id: package,
        assignment_policy_id: seed.policy.to_owned(),
        target_id: seed.target,
        justification: Some(seed.justification.to_owned()),
        expires_at: seed.expires_in.map(|span| now.after(span)),
    };
    let entry = HistoryEntry {
        seq: 0,
        request_id: seed.id,
        at: created_at,
        by: seed.requestor,
        principal: Principal::WorkOrSchoolUser,
        stage: 0,
        event: Event::Submitted {
            status: core.status,
        },
        justification: record.justification.clone(),
    };
    store.create(&record, &[entry])?;
    for &(kind, actor, ago) in seed.steps {
        let identity = identity(actor);
        let caller = |record: &AssignmentRequest| -> Result<Caller, String> {
            Ok(identity.as_ref().map_or_else(Caller::system, |identity| {
                caller_for(identity, directory, record)
            }))
        };
        store
            .transition(seed.id, kind, &caller, before(now, ago), None)
            .map_err(|error| refused(seed.id, error))?;
    }
    Ok(())
}

/// Seeds one request in every status (see [`seeded`]), with times relative to `now`: all in the past,
/// except the start of the `PendingNotBefore` request and the deadlines of the pending ones, so the
/// background sweeper moves none of them at once.
///
/// Does nothing if the store already holds a request, or if its directory is not the demo directory
/// (`serve --demo --config FILE` serves another tenant, whose policies the demo requests would not
/// match).
///
/// # Errors
/// A storage failure.
pub fn seed(store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
    let directory = directory();
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
    use entitle_core::{Action, Deadline, VariantArray};
    use entitle_store::{SqliteStore, Stored};
    use tempfile::TempDir;

    use super::*;

    /// 2026-03-02T09:30:00Z.
    const NOW: Timestamp = Timestamp(1_772_443_800_000);

    fn seeded_store() -> (TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("demo.db")).unwrap();
        store.set_directory(&directory()).unwrap();
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
            .set_directory(&directory())
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
        assert_eq!(
            all(&SqliteStore::open(&path).unwrap()).len(),
            seeded().len()
        );
    }

    #[test]
    fn the_directory_is_consistent() {
        let directory = directory();
        assert_eq!(directory.check(), Ok(()));
        assert_eq!(directory.users.len(), 8);
        assert!(directory.is_approver(POLICY_ONE_STAGE, 0, false, ALEX));
        assert!(!directory.is_approver(POLICY_ONE_STAGE, 0, false, ENRICO));
        assert!(directory.is_approver(POLICY_ONE_STAGE, 0, true, ENRICO));
        assert!(directory.is_approver(POLICY_TWO_STAGE, 1, false, DIEGO));
        assert!(
            directory
                .catalog_roles(MEGAN, PACKAGE_LAB_ACCESS)
                .contains(Role::AccessPackageAssignmentManager)
        );
        assert!(
            directory
                .catalog_roles(NESTOR, PACKAGE_SALES_TOOLS)
                .contains(Role::CatalogOwner)
        );
        // Isaiah's role is in his token's `wids`, not in the directory.
        assert_eq!(
            directory.catalog_roles(ISAIAH, PACKAGE_SALES_TOOLS),
            Roles::NONE
        );
        assert!(
            directory
                .policy(POLICY_EXTENSION)
                .unwrap()
                .rules
                .callout_on_created
        );
    }

    #[test]
    fn ids_are_the_documented_ones() {
        assert_eq!(ADELE.to_string(), "00000000-0000-4000-8000-00000000a001");
        assert_eq!(ISAIAH.to_string(), "00000000-0000-4000-8000-00000000a008");
        assert_eq!(
            REQUEST_ACCEPTED.to_string(),
            "00000000-0000-4000-8000-0000000c0001"
        );
        assert_eq!(
            REQUEST_CANCELED.to_string(),
            "00000000-0000-4000-8000-0000000c000c"
        );
        let statuses: Vec<_> = seeded().iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, RequestStatus::VARIANTS);
        let seeds: Vec<_> = SEEDS.iter().map(|seed| seed.id).collect();
        let ids: Vec<_> = seeded().iter().map(|(_, id)| *id).collect();
        assert_eq!(seeds, ids);
    }

    #[test]
    fn seeding_creates_one_request_per_status_with_the_fixed_ids() {
        let (_dir, store) = seeded_store();
        let stored = all(&store);
        assert_eq!(stored.len(), RequestStatus::VARIANTS.len());
        for ((status, id), stored) in seeded().iter().zip(&stored) {
            assert_eq!(stored.record.request.id, *id);
            assert_eq!(stored.record.request.status, *status, "{id}");
            assert!(stored.record.request.created_at < NOW, "{id}");
        }
        let types: Vec<_> = stored.iter().map(|s| s.record.request_type).collect();
        assert!(types.contains(&RequestType::UserAdd));
        assert!(types.contains(&RequestType::AdminAdd));
    }

    #[test]
    fn another_tenant_is_not_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("other.db")).unwrap();
        seed(&store, NOW).unwrap();
        assert_eq!(all(&store), vec![]);
        let mut other = directory();
        other.policies.pop();
        store.set_directory(&other).unwrap();
        seed(&store, NOW).unwrap();
        assert_eq!(all(&store), vec![]);
    }

    #[test]
    fn seeding_twice_changes_nothing() {
        let (_dir, store) = seeded_store();
        let before = all(&store);
        let histories: Vec<_> = seeded()
            .iter()
            .map(|(_, id)| store.history(*id).unwrap())
            .collect();
        seed(&store, NOW.after(Duration::days(1))).unwrap();
        assert_eq!(all(&store), before);
        let again: Vec<_> = seeded()
            .iter()
            .map(|(_, id)| store.history(*id).unwrap())
            .collect();
        assert_eq!(again, histories);
    }

    /// The caller an entry records, with every permission and the roles the directory gives it on
    /// `request` (approver of the stage it is at, catalog roles).
    fn replay_caller(
        directory: &Directory,
        record: &AssignmentRequest,
        request: &Request,
        entry: &HistoryEntry,
    ) -> Caller {
        if entry.principal == Principal::System {
            return Caller::system();
        }
        let mut current = record.clone();
        current.request = *request;
        let roles = directory.current_roles(entry.by, &current);
        Caller {
            principal: entry.principal,
            id: entry.by,
            permissions: Permission::VARIANTS.iter().copied().collect(),
            roles,
        }
    }

    #[test]
    fn every_history_replays_through_the_core_to_the_stored_request() {
        let (_dir, store) = seeded_store();
        let directory = directory();
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
            let rules = directory
                .policy(&record.assignment_policy_id)
                .unwrap()
                .rules;
            let mut request =
                Request::submit(id, first.by, rules, record.request.starts_at, first.at).unwrap();
            for entry in rest {
                let Event::Transition { rule, authority } = &entry.event else {
                    panic!("{id}: unexpected {entry:?}");
                };
                assert_eq!(entry.stage, request.approval_stage, "{id}");
                let caller = replay_caller(&directory, record, &request, entry);
                let step = request
                    .apply_in_place(&Action::new(rule.action, caller), entry.at)
                    .unwrap_or_else(|error| panic!("{id}: {error}"));
                assert_eq!(step.rule, rule, "{id}");
                assert_eq!(&step.authority.to_string(), authority, "{id}");
            }
            assert_eq!(request, record.request, "{id}");
            assert!(
                history.windows(2).all(|pair| pair[0].at <= pair[1].at),
                "{id}"
            );
        }
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
                assert!([ADELE, BIANCA].contains(&request.requestor));
                cancelable.push(request.status);
            }
        }
        cancelable.sort();
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
        ];
        for (id, at, action) in expected {
            assert_eq!(deadline(id), Some(Deadline { at, action }), "{id}");
        }
        // Advancing the clock 15 days makes all three due, as `docs/demo.md` shows.
        assert_eq!(
            store.due(NOW.after(Duration::days(15)), 100).unwrap().len(),
            3
        );
    }

    #[test]
    fn every_seeded_request_is_in_the_demo_page() {
        let page = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/demo.md"),
        )
        .unwrap();
        for (status, id) in seeded() {
            let row = format!("| `{}` | `{id}` |", status.as_str());
            assert!(page.contains(&row), "docs/demo.md lacks the row {row}");
        }
        let directory = directory();
        for user in &directory.users {
            assert!(page.contains(&user.id.to_string()), "{}", user.display_name);
        }
    }
}
