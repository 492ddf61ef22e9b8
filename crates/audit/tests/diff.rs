//! `diff` over the committed fixture pairs in `tests/fixtures/diff/`: what widens grants new access,
//! with the expected reasons, and what narrows grants none until it is reversed.
//!
//! The fixtures are edits of the built-in table, written by [`write_fixtures`]; after a change to the
//! built-in table, regenerate them with `cargo test -p entitle-audit --test diff -- --ignored`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::path::PathBuf;

use entitle_audit::diff::{AuthorityChange, TableDiff, diff};
use entitle_audit::{Actor, Export, LifecycleTable};
use entitle_core::{
    ActionKind as A, AssignmentCondition, AssignmentEvent, AssignmentState, AssignmentTransition,
    Condition as C, Decision, Operation, Provenance, RequestStatus as S, RequestType, Transition,
    VariantArray,
};

/// An edit of the built-in table.
type Edit = fn(&mut LifecycleTable);

/// Every fixture but `base.json`, with the edit of the built-in table that makes it.
const EDITS: &[(&str, Edit)] = &[
    ("widen-cancel", widen_cancel),
    ("widen-authority", widen_authority),
    ("relax-guard", relax_guard),
    ("new-target", new_target),
    ("redirect", redirect),
    ("narrow-cancel", narrow_cancel),
    ("narrow-authority", narrow_authority),
    ("widen-create", widen_create),
    ("widen-delete", widen_delete),
    ("change-assignment", change_assignment),
];

fn position(table: &LifecycleTable, from: S, action: A, when: C) -> usize {
    table
        .transitions
        .iter()
        .position(|row| (row.from, row.action, row.when) == (from, action, when))
        .unwrap()
}

/// Adds `Delivering` --cancel--> `Canceled`, after the other rows from `Delivering`.
fn widen_cancel(table: &mut LifecycleTable) {
    let last = position(table, S::Delivering, A::FailDelivery, C::Always);
    table.transitions.insert(
        last + 1,
        Transition {
            from: S::Delivering,
            action: A::Cancel,
            when: C::Always,
            to: S::Canceled,
            provenance: Provenance::Modelled(Decision::CancelableStatuses),
        },
    );
}

/// Authorizes an application acting as itself to cancel, in every status.
fn widen_authority(table: &mut LifecycleTable) {
    for entry in &mut table.authority {
        if (entry.actor, entry.operation) == (Actor::Application, Operation::Act(A::Cancel)) {
            entry.authorized_in = S::VARIANTS.to_vec();
            "application".clone_into(&mut entry.rule);
        }
    }
}

/// Lets `expire` from `PendingApproval` apply before the approval timeout.
fn relax_guard(table: &mut LifecycleTable) {
    let index = position(table, S::PendingApproval, A::Expire, C::DecisionTimedOut);
    table.transitions[index].when = C::Always;
}

/// Makes the last approval from `PendingApproval` deliver at once, skipping `Delivering`.
fn new_target(table: &mut LifecycleTable) {
    let index = position(table, S::PendingApproval, A::Approve, C::Always);
    table.transitions[index].to = S::Delivered;
}

/// Removes `Accepted` --process--> `PendingNotBefore` if `startsLater`: requests deliver before
/// their start.
fn redirect(table: &mut LifecycleTable) {
    let index = position(table, S::Accepted, A::Process, C::StartsLater);
    table.transitions.remove(index);
}

/// Removes `PendingNotBefore` --cancel--> `Canceled`.
fn narrow_cancel(table: &mut LifecycleTable) {
    let index = position(table, S::PendingNotBefore, A::Cancel, C::Always);
    table.transitions.remove(index);
}

/// Stops requestors from cancelling their own requests.
fn narrow_authority(table: &mut LifecycleTable) {
    for entry in &mut table.authority {
        if (entry.actor, entry.operation) == (Actor::RequestorOwn, Operation::Act(A::Cancel)) {
            entry.authorized_in.clear();
            "`requestor-own` callers cannot `cancel`".clone_into(&mut entry.rule);
        }
    }
}

/// Lets a user assign access package assignments to others directly (`adminAdd`).
fn widen_create(table: &mut LifecycleTable) {
    for entry in &mut table.authority {
        if (entry.actor, entry.operation)
            == (
                Actor::RequestorOther,
                Operation::Create(RequestType::AdminAdd),
            )
        {
            entry.authorized_in = S::VARIANTS.to_vec();
            "requestor on own request (EntitlementMgmt-SubjectAccess.ReadWrite)"
                .clone_into(&mut entry.rule);
        }
    }
}

/// Lets a delivered `userAdd` request be deleted, though it created an assignment.
fn widen_delete(table: &mut LifecycleTable) {
    for entry in &mut table.request_types {
        if entry.request_type == RequestType::UserAdd {
            entry.deletable_in.insert(0, S::Delivered);
        }
    }
}

/// Moves an updated, partly delivered assignment to `delivered`, and lets a removal end an assignment
/// still being delivered.
fn change_assignment(table: &mut LifecycleTable) {
    let rows = &mut table.assignment.transitions;
    let updated = rows
        .iter()
        .position(|row| {
            (row.from, row.event)
                == (
                    Some(AssignmentState::PartiallyDelivered),
                    AssignmentEvent::Updated,
                )
        })
        .unwrap();
    rows[updated].to = AssignmentState::Delivered;
    let failed = rows
        .iter()
        .position(|row| {
            (row.from, row.event)
                == (
                    Some(AssignmentState::Delivering),
                    AssignmentEvent::DeliveryFailed,
                )
        })
        .unwrap();
    rows.insert(
        failed + 1,
        AssignmentTransition {
            from: Some(AssignmentState::Delivering),
            event: AssignmentEvent::Removed,
            when: AssignmentCondition::Always,
            to: AssignmentState::Expired,
            provenance: Provenance::Modelled(Decision::AssignmentLifecycle),
        },
    );
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(format!("{name}.json"))
}

/// The fixture `name` as its generator writes it.
fn generated(name: &str) -> String {
    let mut table = LifecycleTable::builtin();
    if name != "base" {
        let (_, edit) = EDITS.iter().find(|(fixture, _)| *fixture == name).unwrap();
        edit(&mut table);
    }
    Export {
        entitle: None,
        table,
    }
    .to_json()
}

/// The committed fixture `name`, loaded as the CLI loads a file.
fn load(name: &str) -> LifecycleTable {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    Export::from_json(&text).unwrap().table
}

fn diff_of(old: &str, new: &str) -> TableDiff {
    diff(&load(old), &load(new))
}

fn reasons(diff: &TableDiff) -> Vec<String> {
    diff.new_access.iter().map(ToString::to_string).collect()
}

const CANCELLERS: [&str; 5] = [
    "requestor-own",
    "assignment-manager",
    "package-manager",
    "catalog-owner",
    "identity-governance-administrator",
];

#[test]
#[ignore = "writes the fixtures: run once after the built-in table changes"]
fn write_fixtures() {
    for name in std::iter::once("base").chain(EDITS.iter().map(|(name, _)| *name)) {
        std::fs::write(fixture_path(name), generated(name)).unwrap();
    }
}

#[test]
fn fixtures_are_what_their_generators_write() {
    for name in std::iter::once("base").chain(EDITS.iter().map(|(name, _)| *name)) {
        let committed = std::fs::read_to_string(fixture_path(name)).unwrap();
        assert!(
            committed == generated(name),
            "`{name}.json` is stale: run `cargo test -p entitle-audit --test diff -- --ignored`"
        );
    }
    assert_eq!(load("base"), LifecycleTable::builtin());
}

#[test]
fn base_against_itself_is_empty() {
    let diff = diff_of("base", "base");
    assert!(diff.is_empty());
    assert!(!diff.grants_new_access());
    assert_eq!(diff.to_text(), "no differences\nnew access: PASS (none)\n");
}

#[test]
fn widen_cancel_lets_every_canceller_cancel_delivering_requests() {
    let diff = diff_of("base", "widen-cancel");
    assert_eq!(diff.added.len(), 1);
    assert_eq!(
        (diff.added[0].from, diff.added[0].action),
        (S::Delivering, A::Cancel)
    );
    assert!(diff.removed.is_empty() && diff.changed.is_empty());
    assert_eq!(diff.newly_cancelable, [S::Delivering]);
    assert!(diff.widened_authority.is_empty());
    let expected: Vec<String> = CANCELLERS
        .iter()
        .map(|actor| {
            format!(
                "`{actor}` may now `cancel` from `Delivering` \
                 (new row `Delivering` --cancel--> `Canceled`)"
            )
        })
        .collect();
    assert_eq!(reasons(&diff), expected);
    assert!(diff.grants_new_access());
}

#[test]
fn widen_authority_lets_applications_cancel_where_cancel_applies() {
    let diff = diff_of("base", "widen-authority");
    assert_eq!(
        diff.widened_authority,
        [AuthorityChange {
            actor: Actor::Application,
            operation: Operation::Act(A::Cancel),
            statuses: S::VARIANTS.to_vec(),
        }]
    );
    assert!(diff.narrowed_authority.is_empty());
    assert!(diff.added.is_empty() && diff.newly_cancelable.is_empty());
    assert_eq!(
        reasons(&diff),
        [
            "`application` may now `cancel` from `Accepted` (authority widened)",
            "`application` may now `cancel` from `PendingApproval` (authority widened)",
            "`application` may now `cancel` from `PendingApprovalEscalated` (authority widened)",
            "`application` may now `cancel` from `PendingNotBefore` (authority widened)",
        ]
    );
}

#[test]
fn relax_guard_lets_the_system_expire_before_the_timeout() {
    let diff = diff_of("base", "relax-guard");
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(diff.removed[0].when, C::DecisionTimedOut);
    assert_eq!(diff.added.len(), 1);
    assert_eq!(diff.added[0].when, C::Always);
    assert!(diff.changed.is_empty());
    assert_eq!(
        reasons(&diff),
        ["`system` may now `expire` from `PendingApproval` \
          (guard relaxed: now unconditional, was only if `decisionTimedOut`)"]
    );
}

#[test]
fn new_target_lets_approvers_deliver_directly() {
    let diff = diff_of("base", "new-target");
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].old.to, S::Delivering);
    assert_eq!(diff.changed[0].new.to, S::Delivered);
    assert!(diff.added.is_empty() && diff.removed.is_empty());
    assert_eq!(
        reasons(&diff),
        ["`approver` may now `approve` from `PendingApproval` \
          (new target `Delivered` via row `PendingApproval` --approve--> `Delivered`)"]
    );
}

#[test]
fn redirect_delivers_scheduled_requests_early() {
    let diff = diff_of("base", "redirect");
    assert_eq!(diff.removed.len(), 1);
    assert!(diff.added.is_empty());
    assert_eq!(
        reasons(&diff),
        ["`system` may now `process` from `Accepted` \
          (leads to `Delivering` instead of `PendingNotBefore` when only `startsLater` holds)"]
    );
}

#[test]
fn narrow_cancel_removes_a_row_and_grants_nothing() {
    let diff = diff_of("base", "narrow-cancel");
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(
        (diff.removed[0].from, diff.removed[0].action),
        (S::PendingNotBefore, A::Cancel)
    );
    assert!(diff.added.is_empty());
    assert_eq!(diff.no_longer_cancelable, [S::PendingNotBefore]);
    assert!(!diff.grants_new_access());
    assert!(diff.to_text().ends_with("new access: PASS (none)\n"));
}

#[test]
fn narrow_authority_takes_cancel_from_requestors_and_grants_nothing() {
    let diff = diff_of("base", "narrow-authority");
    assert_eq!(
        diff.narrowed_authority,
        [AuthorityChange {
            actor: Actor::RequestorOwn,
            operation: Operation::Act(A::Cancel),
            statuses: S::VARIANTS.to_vec(),
        }]
    );
    assert!(diff.widened_authority.is_empty());
    assert!(diff.added.is_empty() && diff.removed.is_empty());
    assert!(!diff.grants_new_access());
}

#[test]
fn reversing_a_narrowing_grants_access_again() {
    let diff = diff_of("narrow-cancel", "base");
    assert_eq!(diff.newly_cancelable, [S::PendingNotBefore]);
    let expected: Vec<String> = CANCELLERS
        .iter()
        .map(|actor| {
            format!(
                "`{actor}` may now `cancel` from `PendingNotBefore` \
                 (new row `PendingNotBefore` --cancel--> `Canceled`)"
            )
        })
        .collect();
    assert_eq!(reasons(&diff), expected);

    let diff = diff_of("narrow-authority", "base");
    assert_eq!(
        reasons(&diff),
        [
            "`requestor-own` may now `cancel` from `Accepted` (authority widened)",
            "`requestor-own` may now `cancel` from `PendingApproval` (authority widened)",
            "`requestor-own` may now `cancel` from `PendingApprovalEscalated` (authority widened)",
            "`requestor-own` may now `cancel` from `PendingNotBefore` (authority widened)",
        ]
    );
}

#[test]
fn widen_create_lets_another_user_assign_directly() {
    let diff = diff_of("base", "widen-create");
    assert_eq!(
        diff.widened_authority,
        [AuthorityChange {
            actor: Actor::RequestorOther,
            operation: Operation::Create(RequestType::AdminAdd),
            statuses: S::VARIANTS.to_vec(),
        }]
    );
    assert_eq!(
        reasons(&diff),
        ["`requestor-other` may now `create:adminAdd` (authority widened)"]
    );
    assert_eq!(diff.new_access[0].status, None);
    assert!(
        diff.to_text()
            .contains("widened authority:\n  `requestor-other` may `create:adminAdd`\n")
    );
}

#[test]
fn widen_delete_lets_every_deleter_delete_delivered_requests() {
    let diff = diff_of("base", "widen-delete");
    assert_eq!(diff.request_types_changed.len(), 1);
    assert_eq!(
        diff.request_types_changed[0].request_type,
        RequestType::UserAdd
    );
    let expected: Vec<String> = [
        "assignment-manager",
        "package-manager",
        "catalog-owner",
        "identity-governance-administrator",
        "application",
    ]
    .iter()
    .map(|actor| {
        format!("`{actor}` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)")
    })
    .collect();
    assert_eq!(reasons(&diff), expected);
    assert!(
        diff.new_access
            .iter()
            .all(|access| access.operation == Operation::Delete
                && access.status == Some(S::Delivered))
    );
    assert!(!diff_of("widen-delete", "base").grants_new_access());
}

#[test]
fn change_assignment_lists_rows_and_grants_nothing() {
    let diff = diff_of("base", "change-assignment");
    assert_eq!(diff.assignment_added.len(), 1);
    assert_eq!(diff.assignment_changed.len(), 1);
    assert!(diff.assignment_removed.is_empty());
    assert!(diff.added.is_empty() && diff.changed.is_empty());
    assert!(!diff.grants_new_access());
    let back = diff_of("change-assignment", "base");
    assert_eq!(back.assignment_removed, diff.assignment_added);
}

#[test]
fn reversing_a_widening_grants_nothing() {
    for (name, _) in EDITS.iter().filter(|(name, _)| name.starts_with("widen")) {
        let diff = diff_of(name, "base");
        assert!(!diff.is_empty(), "{name}");
        assert!(!diff.grants_new_access(), "{name}: {:?}", diff.new_access);
    }
}

#[test]
fn text_of_widen_cancel() {
    insta::assert_snapshot!(diff_of("base", "widen-cancel").to_text(), @r"
    added:
      `Delivering` --cancel--> `Canceled` (modelled: D4)
    newly cancelable:
      `Delivering`
    new access: FAIL
      `requestor-own` may now `cancel` from `Delivering` (new row `Delivering` --cancel--> `Canceled`)
      `assignment-manager` may now `cancel` from `Delivering` (new row `Delivering` --cancel--> `Canceled`)
      `package-manager` may now `cancel` from `Delivering` (new row `Delivering` --cancel--> `Canceled`)
      `catalog-owner` may now `cancel` from `Delivering` (new row `Delivering` --cancel--> `Canceled`)
      `identity-governance-administrator` may now `cancel` from `Delivering` (new row `Delivering` --cancel--> `Canceled`)
    ");
}

#[test]
fn text_of_narrow_authority() {
    insta::assert_snapshot!(diff_of("base", "narrow-authority").to_text(), @r"
    narrowed authority:
      `requestor-own` may no longer `cancel` in `Accepted`, `WaitingForCallback`, `PendingApproval`, `PendingApprovalEscalated`, `PendingNotBefore`, `Delivering`, `Delivered`, `PartiallyDelivered`, `DeliveryFailed`, `Denied`, `Expired`, `Canceled`
    new access: PASS (none)
    ");
}

#[test]
fn text_of_relax_guard() {
    insta::assert_snapshot!(diff_of("base", "relax-guard").to_text(), @r"
    added:
      `PendingApproval` --expire--> `Expired` (documented: Microsoft Entra: request process and email notifications)
    removed:
      `PendingApproval` --expire--> `Expired` if `decisionTimedOut` (documented: Microsoft Entra: request process and email notifications)
    new access: FAIL
      `system` may now `expire` from `PendingApproval` (guard relaxed: now unconditional, was only if `decisionTimedOut`)
    ");
}

#[test]
fn text_of_widen_delete() {
    insta::assert_snapshot!(diff_of("base", "widen-delete").to_text(), @r"
    request types changed:
      `userAdd`: deletable from `Denied`, `Expired`, `Canceled` became `Delivered`, `Denied`, `Expired`, `Canceled`
    new access: FAIL
      `assignment-manager` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)
      `package-manager` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)
      `catalog-owner` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)
      `identity-governance-administrator` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)
      `application` may now `delete` from `Delivered` (newly deletable: `userAdd` requests)
    ");
}

#[test]
fn text_of_change_assignment() {
    insta::assert_snapshot!(diff_of("base", "change-assignment").to_text(), @r"
    assignment added:
      `delivering` --removed--> `expired` (modelled: D21)
    assignment changed:
      `partiallyDelivered` --updated--> `partiallyDelivered` (modelled: D21) became `partiallyDelivered` --updated--> `delivered` (modelled: D21)
    new access: PASS (none)
    ");
}

#[test]
fn json_parses_with_camel_case_fields() {
    for (name, _) in EDITS {
        let diff = diff_of("base", name);
        let json = diff.to_json();
        assert!(json.ends_with('\n'), "{name}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for field in [
            "added",
            "removed",
            "changed",
            "reordered",
            "statusesChanged",
            "newlyCancelable",
            "noLongerCancelable",
            "widenedAuthority",
            "narrowedAuthority",
            "requestTypesChanged",
            "assignmentAdded",
            "assignmentRemoved",
            "assignmentChanged",
            "assignmentReordered",
            "assignmentStatesChanged",
            "newAccess",
        ] {
            assert!(
                value.get(field).is_some_and(serde_json::Value::is_array),
                "{name}: {field}"
            );
        }
        assert_eq!(
            value["newAccess"].as_array().unwrap().len(),
            diff.new_access.len()
        );
        assert_eq!(serde_json::from_str::<TableDiff>(&json).unwrap(), diff);
    }
    let json = diff_of("base", "widen-cancel").to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["newAccess"][0]["actor"], "requestor-own");
    assert_eq!(value["newAccess"][0]["status"], "Delivering");
    assert_eq!(value["newAccess"][0]["operation"], "cancel");
    assert_eq!(value["added"][0]["to"], "Canceled");
}
