//! `verify` on the built-in table and on broken tables loaded from `tests/fixtures/broken/`.
//!
//! Each fixture is the built-in table exported without a header and broken in one way. They were
//! written by [`generate_fixtures`] (`cargo test -p entitle-audit --test verify -- --ignored`) and are
//! committed as plain JSON: the tests read the files, never the generator's output, so a change to the
//! built-in table does not change them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a broken expectation is a test failure"
)]

use std::fs;
use std::path::PathBuf;

use entitle_audit::verify::{Check, PathStep, Report, Step, verify};
use entitle_audit::{Actor, Export, LifecycleTable};
use entitle_core::{
    ActionKind, AssignmentCondition, AssignmentEvent, AssignmentState, AssignmentTransition,
    Condition, Decision, Operation, Provenance, RequestStatus, RequestType, Source, Transition,
    VariantArray,
};
use proptest::prelude::*;

use ActionKind as A;
use Condition as C;
use RequestStatus as S;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken")
}

fn load(name: &str) -> LifecycleTable {
    let path = fixtures_dir().join(format!("{name}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Export::from_json(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .table
}

fn run(table: &LifecycleTable) -> Report {
    verify(table, &mut |_| {})
}

fn lines(steps: &[Step]) -> Vec<String> {
    steps.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// The fixtures: how each was made from the built-in table.
// ---------------------------------------------------------------------------------------------

fn position(table: &LifecycleTable, from: S, action: A, when: C) -> usize {
    table
        .transitions
        .iter()
        .position(|t| (t.from, t.action, t.when) == (from, action, when))
        .unwrap()
}

fn assignment_position(
    table: &LifecycleTable,
    from: Option<AssignmentState>,
    event: AssignmentEvent,
) -> usize {
    table
        .assignment
        .transitions
        .iter()
        .position(|row| (row.from, row.event) == (from, event))
        .unwrap()
}

fn assignment_row(
    from: Option<AssignmentState>,
    event: AssignmentEvent,
    when: AssignmentCondition,
    to: AssignmentState,
) -> AssignmentTransition {
    AssignmentTransition {
        from,
        event,
        when,
        to,
        provenance: Provenance::Modelled(Decision::AssignmentLifecycle),
    }
}

fn transition(from: S, action: A, when: C, to: S, provenance: Provenance) -> Transition {
    Transition {
        from,
        action,
        when,
        to,
        provenance,
    }
}

/// Every fixture by name, built from the built-in table.
fn broken_tables() -> Vec<(&'static str, LifecycleTable)> {
    let builtin = LifecycleTable::builtin();
    let mut fixtures = Vec::new();

    // A cancel row from `Delivered`, as a re-export would show it: `Delivered` no longer terminal.
    let mut table = builtin.clone();
    let at = position(&table, S::Delivering, A::FailDelivery, C::Always) + 1;
    let cancel = transition(
        S::Delivered,
        A::Cancel,
        C::Always,
        S::Canceled,
        Provenance::Documented(Source::CancelApi),
    );
    table.transitions.insert(at, cancel);
    for entry in &mut table.statuses {
        if entry.status == S::Delivered {
            entry.terminal = false;
        }
    }
    fixtures.push(("cancel-from-delivered", table));

    // No row leads into `WaitingForCallback`.
    let mut table = builtin.clone();
    table
        .transitions
        .retain(|t| t.to != S::WaitingForCallback || t.from == S::WaitingForCallback);
    fixtures.push(("unreachable-status", table));

    // A row out of `Delivered`, which the table still marks terminal.
    let mut table = builtin.clone();
    let at = position(&table, S::Delivering, A::FailDelivery, C::Always) + 1;
    let reprocess = transition(
        S::Delivered,
        A::Reprocess,
        C::Always,
        S::Delivering,
        Provenance::Modelled(Decision::DeliveryOutcomes),
    );
    table.transitions.insert(at, reprocess);
    fixtures.push(("terminal-with-exit", table));

    // `Delivering` has no outcome: non-terminal, with no way out.
    let mut table = builtin.clone();
    table.transitions.retain(|t| t.from != S::Delivering);
    fixtures.push(("dead-end", table));

    // `PendingNotBefore` lost its cancel row.
    let mut table = builtin.clone();
    table
        .transitions
        .retain(|t| (t.from, t.action) != (S::PendingNotBefore, A::Cancel));
    fixtures.push(("missing-cancel", table));

    // The requestor may cancel their own request only in the documented statuses: authorization now
    // depends on the status, and a denial would reveal it.
    let mut table = builtin.clone();
    for entry in &mut table.authority {
        if (entry.actor, entry.operation) == (Actor::RequestorOwn, Operation::Act(A::Cancel)) {
            entry
                .authorized_in
                .retain(|s| S::DOCUMENTED_CANCELABLE.contains(s));
        }
    }
    fixtures.push(("authority-depends-on-status", table));

    // A conditional row after the unconditional `approve` row of `PendingApproval`.
    let mut table = builtin.clone();
    let at = position(&table, S::PendingApproval, A::Approve, C::Always) + 1;
    let dead = transition(
        S::PendingApproval,
        A::Approve,
        C::EscalationDue,
        S::PendingApprovalEscalated,
        Provenance::Modelled(Decision::Escalation),
    );
    table.transitions.insert(at, dead);
    fixtures.push(("dead-row", table));

    // A second `expire` row of `PendingApproval` with the same condition and another target.
    let mut table = builtin.clone();
    let at = position(&table, S::PendingApproval, A::Expire, C::DecisionTimedOut) + 1;
    let repeated = transition(
        S::PendingApproval,
        A::Expire,
        C::DecisionTimedOut,
        S::Denied,
        Provenance::Modelled(Decision::ApprovalExpiry),
    );
    table.transitions.insert(at, repeated);
    fixtures.push(("repeated-row", table));

    fixtures.extend(broken_assignment_tables(&builtin));
    fixtures
}

/// The fixtures that break the assignment table, or the request types.
fn broken_assignment_tables(builtin: &LifecycleTable) -> Vec<(&'static str, LifecycleTable)> {
    use AssignmentCondition as AC;
    use AssignmentEvent as E;
    use AssignmentState as AS;
    let mut fixtures = Vec::new();

    // A second `scheduleEnded` row of `delivered` with the same condition and another target.
    let mut table = builtin.clone();
    let at = assignment_position(&table, Some(AS::Delivered), E::ScheduleEnded) + 1;
    let repeated = assignment_row(
        Some(AS::Delivered),
        E::ScheduleEnded,
        AC::EndReached,
        AS::Delivered,
    );
    table.assignment.transitions.insert(at, repeated);
    fixtures.push(("assignment-repeated-row", table));

    // A second way to create the assignment: delivered at once.
    let mut table = builtin.clone();
    let at = assignment_position(&table, None, E::DeliveryStarted) + 1;
    let second = assignment_row(None, E::Delivered, AC::Always, AS::Delivered);
    table.assignment.transitions.insert(at, second);
    fixtures.push(("assignment-two-creations", table));

    // Nothing leads into `partiallyDelivered`.
    let mut table = builtin.clone();
    let at = assignment_position(&table, Some(AS::Delivering), E::PartiallyDelivered);
    table.assignment.transitions.remove(at);
    fixtures.push(("assignment-unreachable-state", table));

    // A row out of `expired`, which the table still marks terminal.
    let mut table = builtin.clone();
    let restart = assignment_row(
        Some(AS::Expired),
        E::DeliveryStarted,
        AC::Always,
        AS::Delivering,
    );
    table.assignment.transitions.push(restart);
    fixtures.push(("assignment-terminal-with-exit", table));

    // An assignment never ends: `expired` is no longer terminal, and its schedule may end it again.
    let mut table = builtin.clone();
    for entry in &mut table.assignment.states {
        if entry.state == AS::Expired {
            entry.terminal = false;
        }
    }
    let again = assignment_row(
        Some(AS::Expired),
        E::ScheduleEnded,
        AC::EndReached,
        AS::Expired,
    );
    table.assignment.transitions.push(again);
    fixtures.push(("assignment-dead-end", table));

    // Reprocessing a failed delivery restarts it, but the assignment table no longer says so.
    let mut table = builtin.clone();
    let at = assignment_position(&table, Some(AS::DeliveryFailed), E::DeliveryStarted);
    table.assignment.transitions.remove(at);
    fixtures.push(("assignment-missing-row", table));

    // No assignment can be updated any more.
    let mut table = builtin.clone();
    table
        .assignment
        .transitions
        .retain(|row| row.event != E::Updated);
    fixtures.push(("assignment-no-update", table));

    // A delivered `userAdd` request may be deleted, though it created an assignment.
    let mut table = builtin.clone();
    for entry in &mut table.request_types {
        if entry.request_type == RequestType::UserAdd {
            entry.deletable_in.insert(0, S::Delivered);
        }
    }
    fixtures.push(("deletable-after-delivery", table));

    fixtures
}

#[test]
#[ignore = "writes tests/fixtures/broken/*.json from the built-in table; run once after changing it"]
fn generate_fixtures() {
    let dir = fixtures_dir();
    fs::create_dir_all(&dir).unwrap();
    for (name, table) in broken_tables() {
        let json = Export {
            entitle: None,
            table,
        }
        .to_json();
        fs::write(dir.join(format!("{name}.json")), json).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// What each fixture must fail.
// ---------------------------------------------------------------------------------------------

struct Expected {
    name: &'static str,
    failed: &'static [Check],
    /// The check whose outcome is pinned below.
    check: Check,
    message: &'static str,
    counterexample: &'static [&'static str],
}

const EXPECTED: &[Expected] = &[
    Expected {
        name: "cancel-from-delivered",
        // A request canceled once delivered holds an assignment, yet is deletable once `Canceled`.
        failed: &[Check::CancelSet, Check::RequestTypes],
        check: Check::CancelSet,
        message: "cancel is allowed from `Delivered`, which is not documented as cancelable",
        counterexample: &[
            "Accepted --process [always]--> Delivering",
            "Delivering --deliver [always]--> Delivered",
            "Delivered --cancel [always]--> Canceled",
        ],
    },
    Expected {
        name: "unreachable-status",
        failed: &[Check::Reachable],
        check: Check::Reachable,
        message: "`WaitingForCallback` is not reachable from `Accepted`",
        counterexample: &[],
    },
    Expected {
        name: "terminal-with-exit",
        // Reprocessing a delivered request would also restart the delivery of an assignment that
        // was delivered, or remove again one that was removed: the assignment table has no row.
        failed: &[Check::TerminalAbsorbs, Check::AssignmentFollowsRequests],
        check: Check::TerminalAbsorbs,
        message: "`Delivered` is marked terminal but a row leaves it (`reprocess`)",
        counterexample: &[
            "Accepted --process [always]--> Delivering",
            "Delivering --deliver [always]--> Delivered",
            "Delivered --reprocess [always]--> Delivering",
        ],
    },
    Expected {
        name: "dead-end",
        // Nothing leads past `Delivering` any more, so its outcomes are unreachable too.
        failed: &[Check::Reachable, Check::NoDeadEnds],
        check: Check::NoDeadEnds,
        message: "`Delivering` has no outgoing rows but is not marked terminal",
        counterexample: &["Accepted --process [always]--> Delivering"],
    },
    Expected {
        name: "missing-cancel",
        failed: &[Check::CancelSet],
        check: Check::CancelSet,
        message: "cancel is not allowed from `PendingNotBefore`, which is documented as cancelable",
        counterexample: &["Accepted --process [startsLater]--> PendingNotBefore"],
    },
    Expected {
        name: "authority-depends-on-status",
        failed: &[Check::AuthorityIgnoresStatus],
        check: Check::AuthorityIgnoresStatus,
        message: "`requestor-own` `cancel` depends on the status: authorized in `Accepted`, \
                  `PendingApproval`, `PendingApprovalEscalated`, `PendingNotBefore` but not in \
                  `WaitingForCallback`, `Delivering`, `Delivered`, `PartiallyDelivered`, \
                  `DeliveryFailed`, `Denied`, `Expired`, `Canceled`",
        counterexample: &[],
    },
    Expected {
        name: "dead-row",
        failed: &[Check::Totality],
        check: Check::Totality,
        message: "row 14 (`PendingApproval --approve [escalationDue]--> PendingApprovalEscalated`) \
                  follows row 13 (`PendingApproval --approve [always]--> Delivering`), which always \
                  applies, so it never applies",
        counterexample: &[
            "PendingApproval --approve [always]--> Delivering",
            "PendingApproval --approve [escalationDue]--> PendingApprovalEscalated",
        ],
    },
    Expected {
        name: "repeated-row",
        failed: &[Check::Totality],
        check: Check::Totality,
        message: "row 17 (`PendingApproval --expire [decisionTimedOut]--> Denied`) repeats the \
                  condition of row 16 (`PendingApproval --expire [decisionTimedOut]--> Expired`), \
                  so it never applies",
        counterexample: &[
            "PendingApproval --expire [decisionTimedOut]--> Expired",
            "PendingApproval --expire [decisionTimedOut]--> Denied",
        ],
    },
    Expected {
        name: "assignment-repeated-row",
        failed: &[Check::AssignmentRows],
        check: Check::AssignmentRows,
        message: "assignment row 12 (`delivered --scheduleEnded [endReached]--> delivered`) repeats \
                  the condition of assignment row 11 (`delivered --scheduleEnded [endReached]--> \
                  expired`), so it never applies",
        counterexample: &[
            "assignment delivered --scheduleEnded [endReached]--> expired",
            "assignment delivered --scheduleEnded [endReached]--> delivered",
        ],
    },
    Expected {
        name: "assignment-two-creations",
        failed: &[Check::AssignmentCreation],
        check: Check::AssignmentCreation,
        message: "2 rows create the assignment: assignment row 1 (`(none) --deliveryStarted \
                  [always]--> delivering`), assignment row 2 (`(none) --delivered [always]--> \
                  delivered`)",
        counterexample: &[
            "assignment (none) --deliveryStarted [always]--> delivering",
            "assignment (none) --delivered [always]--> delivered",
        ],
    },
    Expected {
        name: "assignment-unreachable-state",
        // A partial delivery now has nowhere to take its assignment.
        failed: &[Check::AssignmentReachable, Check::AssignmentFollowsRequests],
        check: Check::AssignmentReachable,
        message: "assignment state `partiallyDelivered` is not reachable from creation",
        counterexample: &[],
    },
    Expected {
        name: "assignment-terminal-with-exit",
        failed: &[Check::AssignmentTerminal],
        check: Check::AssignmentTerminal,
        message: "assignment state `expired` is marked terminal but a row leaves it \
                  (`deliveryStarted`)",
        counterexample: &[
            "assignment (none) --deliveryStarted [always]--> delivering",
            "assignment delivering --delivered [always]--> delivered",
            "assignment delivered --removed [always]--> expired",
            "assignment expired --deliveryStarted [always]--> delivering",
        ],
    },
    Expected {
        name: "assignment-dead-end",
        failed: &[Check::AssignmentNoDeadEnds],
        check: Check::AssignmentNoDeadEnds,
        message: "assignment state `delivering` is reachable but cannot reach a terminal state; \
                  assignment state `partiallyDelivered` is reachable but cannot reach a terminal \
                  state; assignment state `delivered` is reachable but cannot reach a terminal \
                  state; assignment state `expired` is reachable but cannot reach a terminal \
                  state; assignment state `deliveryFailed` is reachable but cannot reach a \
                  terminal state",
        counterexample: &["assignment (none) --deliveryStarted [always]--> delivering"],
    },
    Expected {
        name: "assignment-missing-row",
        failed: &[Check::AssignmentFollowsRequests],
        check: Check::AssignmentFollowsRequests,
        message: "row 30 (`DeliveryFailed --reprocess [withinReprocessWindow]--> Delivering`) \
                  causes `deliveryStarted` on the assignment of `userAdd`, `adminAdd`, \
                  `systemAdd`, `onBehalfAdd` requests, which no row allows from `deliveryFailed`",
        counterexample: &[
            "Accepted --process [always]--> Delivering",
            "assignment (none) --deliveryStarted [always]--> delivering",
            "Delivering --failDelivery [always]--> DeliveryFailed",
            "assignment delivering --deliveryFailed [always]--> deliveryFailed",
            "DeliveryFailed --reprocess [withinReprocessWindow]--> Delivering",
        ],
    },
    Expected {
        name: "assignment-no-update",
        failed: &[Check::AssignmentFollowsRequests],
        check: Check::AssignmentFollowsRequests,
        message: "no assignment state reachable from creation has a row for `updated`, so \
                  `userUpdate`, `adminUpdate`, `systemUpdate`, `userExtend` requests can never be \
                  submitted",
        counterexample: &[],
    },
    Expected {
        name: "deletable-after-delivery",
        failed: &[Check::RequestTypes],
        check: Check::RequestTypes,
        message: "`userAdd` requests may be deleted from `Delivered`, where they may have created \
                  an assignment",
        counterexample: &[
            "Accepted --process [always]--> Delivering",
            "assignment (none) --deliveryStarted [always]--> delivering",
            "Delivering --deliver [always]--> Delivered",
            "assignment delivering --delivered [always]--> delivered",
        ],
    },
];

#[test]
fn builtin_table_passes_every_check() {
    let report = run(&LifecycleTable::builtin());
    assert!(report.passed(), "{}", report.to_text());
    let checks: Vec<Check> = report.outcomes.iter().map(|o| o.check).collect();
    assert_eq!(checks, Check::VARIANTS);
    for outcome in &report.outcomes {
        assert!(outcome.counterexample.is_empty());
        assert!(!outcome.message.is_empty());
    }
}

#[test]
fn every_fixture_fails_exactly_its_checks_with_its_counterexample() {
    for expected in EXPECTED {
        let report = run(&load(expected.name));
        assert_eq!(report.failed(), expected.failed, "{}", expected.name);
        assert!(!report.passed(), "{}", expected.name);
        let outcome = report.outcome(expected.check).unwrap();
        assert!(!outcome.passed, "{}", expected.name);
        assert_eq!(outcome.message, expected.message, "{}", expected.name);
        assert_eq!(
            lines(&outcome.counterexample),
            expected.counterexample,
            "{}",
            expected.name
        );
    }
}

#[test]
fn every_check_fails_on_some_fixture() {
    for &check in Check::VARIANTS {
        assert!(
            EXPECTED.iter().any(|expected| expected.check == check),
            "no fixture shows `{check}` failing"
        );
    }
}

#[test]
fn every_fixture_file_has_expectations() {
    let mut files: Vec<String> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = EXPECTED
        .iter()
        .map(|e| format!("{}.json", e.name))
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    assert!(files.len() >= 6);
}

#[test]
fn cancel_from_delivered_path_is_the_shortest_one() {
    let report = run(&load("cancel-from-delivered"));
    let outcome = report.outcome(Check::CancelSet).unwrap();
    let steps: Vec<PathStep> = [
        (S::Accepted, A::Process, S::Delivering),
        (S::Delivering, A::Deliver, S::Delivered),
        (S::Delivered, A::Cancel, S::Canceled),
    ]
    .into_iter()
    .map(|(from, action, to)| PathStep {
        from,
        action,
        when: C::Always,
        to,
    })
    .collect();
    let expected: Vec<Step> = steps.into_iter().map(Step::from).collect();
    assert_eq!(outcome.counterexample, expected);
}

#[test]
fn dead_end_also_names_the_unreachable_outcomes() {
    let report = run(&load("dead-end"));
    assert_eq!(
        report.outcome(Check::Reachable).unwrap().message,
        "`Delivered`, `PartiallyDelivered`, `DeliveryFailed` are not reachable from `Accepted`"
    );
}

#[test]
fn builtin_text_report() {
    insta::assert_snapshot!(run(&LifecycleTable::builtin()).to_text(), @r"
    PASS totality: every pair of the 12 statuses and 14 actions resolves: 30 rows, none repeated or dead
    PASS reachable: all 12 statuses are reachable from `Accepted`
    PASS terminal-absorbs: no row leaves the 4 terminal statuses (`Delivered`, `Denied`, `Expired`, `Canceled`)
    PASS no-dead-ends: every non-terminal status reachable from `Accepted` can reach a terminal status, and every status without outgoing rows is terminal
    PASS cancel-set: cancel is allowed exactly from `Accepted`, `PendingApproval`, `PendingNotBefore`, `PendingApprovalEscalated`, unconditionally, and leads to `Canceled`
    PASS authority-ignores-status: each of the 374 actor and operation pairs is listed once and authorized in every status or in none
    PASS request-types: each of the 13 request types is listed once, and its requests may be deleted only once completed, and never after they created an assignment
    PASS assignment-rows: every row over the 5 assignment states and 7 events names listed states: 13 rows, none repeated or dead
    PASS assignment-creation: exactly one row creates the assignment: `(none) --deliveryStarted [always]--> delivering`
    PASS assignment-reachable: all 5 assignment states are reachable from creation
    PASS assignment-terminal: no row leaves the terminal assignment state `expired`, and every other state has outgoing rows
    PASS assignment-no-dead-ends: every assignment state reachable from creation can reach a terminal state
    PASS assignment-follows-requests: along the request table, every event the 13 request types cause on their assignment has a row from the state their path left it in, and every change or removal applies to some state reachable from creation
    ");
}

#[test]
fn failing_text_report() {
    insta::assert_snapshot!(run(&load("cancel-from-delivered")).to_text(), @r"
    PASS totality: every pair of the 12 statuses and 14 actions resolves: 31 rows, none repeated or dead
    PASS reachable: all 12 statuses are reachable from `Accepted`
    PASS terminal-absorbs: no row leaves the 3 terminal statuses (`Denied`, `Expired`, `Canceled`)
    PASS no-dead-ends: every non-terminal status reachable from `Accepted` can reach a terminal status, and every status without outgoing rows is terminal
    FAIL cancel-set: cancel is allowed from `Delivered`, which is not documented as cancelable
      Accepted --process [always]--> Delivering
      Delivering --deliver [always]--> Delivered
      Delivered --cancel [always]--> Canceled
    PASS authority-ignores-status: each of the 374 actor and operation pairs is listed once and authorized in every status or in none
    FAIL request-types: `userAdd`, `adminAdd`, `systemAdd`, `onBehalfAdd` requests may be deleted from `Canceled`, where they may have created an assignment
      Accepted --process [always]--> Delivering
      assignment (none) --deliveryStarted [always]--> delivering
      Delivering --deliver [always]--> Delivered
      assignment delivering --delivered [always]--> delivered
      Delivered --cancel [always]--> Canceled
    PASS assignment-rows: every row over the 5 assignment states and 7 events names listed states: 13 rows, none repeated or dead
    PASS assignment-creation: exactly one row creates the assignment: `(none) --deliveryStarted [always]--> delivering`
    PASS assignment-reachable: all 5 assignment states are reachable from creation
    PASS assignment-terminal: no row leaves the terminal assignment state `expired`, and every other state has outgoing rows
    PASS assignment-no-dead-ends: every assignment state reachable from creation can reach a terminal state
    PASS assignment-follows-requests: along the request table, every event the 13 request types cause on their assignment has a row from the state their path left it in, and every change or removal applies to some state reachable from creation
    ");
}

#[test]
fn json_reports_parse() {
    for table in [LifecycleTable::builtin(), load("cancel-from-delivered")] {
        let report = run(&table);
        let text = report.to_json();
        assert!(text.ends_with("}\n"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["passed"], report.passed());
        let outcomes = json["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), Check::VARIANTS.len());
        for (value, outcome) in outcomes.iter().zip(&report.outcomes) {
            assert_eq!(value["check"], outcome.check.as_str());
            assert_eq!(value["passed"], outcome.passed);
            assert_eq!(value["message"], outcome.message.as_str());
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&run(&load("cancel-from-delivered")).to_json()).unwrap();
    assert_eq!(
        json["outcomes"][4]["counterexample"][2],
        serde_json::json!({
            "from": "Delivered",
            "action": "cancel",
            "when": "always",
            "to": "Canceled",
        })
    );
}

#[test]
fn progress_counts_up_to_a_fixed_total() {
    let mut seen = Vec::new();
    verify(&load("dead-end"), &mut |p| seen.push((p.done, p.total)));
    let total = Check::VARIANTS.len();
    assert_eq!(seen.first(), Some(&(0, total)));
    assert_eq!(seen.last(), Some(&(total, total)));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 == w[1].1));
}

/// One way to break a table, with indices taken modulo the table's sizes.
#[derive(Clone, Debug)]
enum Edit {
    RemoveRow(usize),
    Retarget(usize, usize),
    Recondition(usize, usize),
    DuplicateRow(usize),
    FlipTerminal(usize),
    RemoveStatus(usize),
    NarrowAuthority(usize, usize),
    RemoveAuthority(usize),
    RemoveAssignmentRow(usize),
    RetargetAssignmentRow(usize, usize),
    ReeventAssignmentRow(usize, usize),
    FlipAssignmentTerminal(usize),
    ToggleDeletable(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::RemoveRow),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Retarget(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Recondition(a, b)),
        any::<usize>().prop_map(Edit::DuplicateRow),
        any::<usize>().prop_map(Edit::FlipTerminal),
        any::<usize>().prop_map(Edit::RemoveStatus),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::NarrowAuthority(a, b)),
        any::<usize>().prop_map(Edit::RemoveAuthority),
        any::<usize>().prop_map(Edit::RemoveAssignmentRow),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::RetargetAssignmentRow(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::ReeventAssignmentRow(a, b)),
        any::<usize>().prop_map(Edit::FlipAssignmentTerminal),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::ToggleDeletable(a, b)),
    ]
}

fn apply(table: &mut LifecycleTable, edit: &Edit) {
    let rows = table.transitions.len();
    let statuses = table.statuses.len();
    let authority = table.authority.len();
    let assignment_rows = table.assignment.transitions.len();
    let assignment_states = table.assignment.states.len();
    let types = table.request_types.len();
    match *edit {
        Edit::RemoveRow(i) if rows > 0 => {
            table.transitions.remove(i % rows);
        }
        Edit::Retarget(i, s) if rows > 0 => {
            table.transitions[i % rows].to = S::VARIANTS[s % S::VARIANTS.len()];
        }
        Edit::Recondition(i, c) if rows > 0 => {
            table.transitions[i % rows].when = C::VARIANTS[c % C::VARIANTS.len()];
        }
        Edit::DuplicateRow(i) if rows > 0 => {
            let row = table.transitions[i % rows];
            table.transitions.push(row);
        }
        Edit::FlipTerminal(i) if statuses > 0 => {
            let entry = &mut table.statuses[i % statuses];
            entry.terminal = !entry.terminal;
        }
        Edit::RemoveStatus(i) if statuses > 0 => {
            table.statuses.remove(i % statuses);
        }
        Edit::NarrowAuthority(i, k) if authority > 0 => {
            let entry = &mut table.authority[i % authority];
            let keep = k % (entry.authorized_in.len() + 1);
            entry.authorized_in.truncate(keep);
        }
        Edit::RemoveAuthority(i) if authority > 0 => {
            table.authority.remove(i % authority);
        }
        Edit::RemoveAssignmentRow(i) if assignment_rows > 0 => {
            table.assignment.transitions.remove(i % assignment_rows);
        }
        Edit::RetargetAssignmentRow(i, s) if assignment_rows > 0 => {
            table.assignment.transitions[i % assignment_rows].to =
                AssignmentState::VARIANTS[s % AssignmentState::VARIANTS.len()];
        }
        Edit::ReeventAssignmentRow(i, e) if assignment_rows > 0 => {
            table.assignment.transitions[i % assignment_rows].event =
                AssignmentEvent::VARIANTS[e % AssignmentEvent::VARIANTS.len()];
        }
        Edit::FlipAssignmentTerminal(i) if assignment_states > 0 => {
            let entry = &mut table.assignment.states[i % assignment_states];
            entry.terminal = !entry.terminal;
        }
        Edit::ToggleDeletable(i, s) if types > 0 => {
            let entry = &mut table.request_types[i % types];
            let status = S::VARIANTS[s % S::VARIANTS.len()];
            if entry.deletable_in.contains(&status) {
                entry.deletable_in.retain(|other| *other != status);
            } else {
                entry.deletable_in.push(status);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// However a table is broken, `verify` reports, deterministically, one outcome per check, and a
    /// failure always says something.
    #[test]
    fn broken_tables_never_panic(edits in prop::collection::vec(edit(), 0..12)) {
        let mut table = LifecycleTable::builtin();
        for edit in &edits {
            apply(&mut table, edit);
        }
        let report = run(&table);
        prop_assert_eq!(&report, &run(&table));
        prop_assert_eq!(report.outcomes.len(), Check::VARIANTS.len());
        for outcome in &report.outcomes {
            prop_assert!(!outcome.message.is_empty());
            prop_assert!(outcome.passed || !outcome.message.is_empty());
            if outcome.passed {
                prop_assert!(outcome.counterexample.is_empty());
            }
        }
        prop_assert!(serde_json::from_str::<serde_json::Value>(&report.to_json()).is_ok());
        prop_assert_eq!(
            report.to_text().lines().filter(|l| !l.starts_with("  ")).count(),
            Check::VARIANTS.len()
        );
        if edits.is_empty() {
            prop_assert!(report.passed());
        }
    }

    /// A counterexample's rows chain: each request row starts where the previous one ended, from
    /// `Accepted`, and so does each assignment row, from creation when the path starts there.
    #[test]
    fn counterexample_paths_chain(edits in prop::collection::vec(edit(), 1..8)) {
        let mut table = LifecycleTable::builtin();
        for edit in &edits {
            apply(&mut table, edit);
        }
        let report = run(&table);
        for outcome in &report.outcomes {
            if matches!(
                outcome.check,
                Check::Totality | Check::AssignmentRows | Check::AssignmentCreation
            ) {
                continue; // These show offending rows side by side, not a path.
            }
            let requests: Vec<&PathStep> =
                outcome.counterexample.iter().filter_map(Step::request).collect();
            for pair in requests.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from, "{}", report.to_text());
            }
            if let Some(first) = requests.first() {
                prop_assert!(
                    first.from == S::Accepted || requests.len() == 1,
                    "{}",
                    report.to_text()
                );
            }
            let moves: Vec<_> = outcome.counterexample.iter().filter_map(Step::assignment).collect();
            for pair in moves.windows(2) {
                prop_assert_eq!(Some(pair[0].to), pair[1].from, "{}", report.to_text());
            }
            if requests.is_empty()
                && let Some(first) = moves.first()
            {
                prop_assert!(
                    first.from.is_none() || moves.len() == 1,
                    "{}",
                    report.to_text()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Assignment checks on tables built here: edge cases the fixtures do not reach.
// ---------------------------------------------------------------------------------------------

/// The outcome of `check` on `table`.
fn outcome(table: &LifecycleTable, check: Check) -> entitle_audit::verify::CheckOutcome {
    run(table)
        .outcomes
        .into_iter()
        .find(|outcome| outcome.check == check)
        .unwrap()
}

#[test]
fn an_adding_type_deletable_after_delivery_lists_each_status_once() {
    let mut table = LifecycleTable::builtin();
    for entry in &mut table.request_types {
        if entry.request_type == RequestType::UserAdd {
            entry
                .deletable_in
                .splice(0..0, [S::Delivered, S::PartiallyDelivered]);
        }
    }
    let outcome = outcome(&table, Check::RequestTypes);
    assert!(!outcome.passed);
    assert_eq!(
        outcome.message.matches("`Delivered`").count(),
        1,
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.contains("`PartiallyDelivered`"),
        "{}",
        outcome.message
    );
}

#[test]
fn a_state_without_exits_is_left_to_the_terminal_check() {
    let mut table = LifecycleTable::builtin();
    table
        .assignment
        .transitions
        .retain(|row| row.from != Some(AssignmentState::PartiallyDelivered));
    assert!(!outcome(&table, Check::AssignmentTerminal).passed);
    let dead_ends = outcome(&table, Check::AssignmentNoDeadEnds);
    assert!(dead_ends.passed, "{}", dead_ends.message);
}

#[test]
fn two_missing_moves_are_two_problems_naming_each_type_once() {
    let mut table = LifecycleTable::builtin();
    table.assignment.transitions.retain(|row| {
        !(row.event == AssignmentEvent::DeliveryStarted
            && matches!(
                row.from,
                Some(AssignmentState::DeliveryFailed | AssignmentState::PartiallyDelivered)
            ))
    });
    let outcome = outcome(&table, Check::AssignmentFollowsRequests);
    assert!(!outcome.passed);
    let problems: Vec<&str> = outcome.message.split("; ").collect();
    assert_eq!(problems.len(), 2, "{}", outcome.message);
    for (problem, state) in problems
        .iter()
        .zip(["partiallyDelivered", "deliveryFailed"])
    {
        assert!(
            problem.ends_with(&format!("which no row allows from `{state}`")),
            "{problem}"
        );
        assert_eq!(problem.matches("`userAdd`").count(), 1, "{problem}");
    }
}
