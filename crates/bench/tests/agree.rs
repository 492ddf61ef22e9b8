//! Every peer agrees with the core on every cell of `RequestStatus::VARIANTS × ActionKind::VARIANTS`.
//!
//! The core decides each cell for the fixture's request in that status, by a caller authorized for
//! the action, at `fixture::NOW`, when the first row's condition of every (status, action) group
//! holds (see `entitle_bench::fixture`). The test first checks that those premises hold, then that
//! each peer accepts exactly the cells the core accepts, with the same target, and refuses the rest.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use entitle_bench::{fixture, naive, rust_fsm, statig};
use entitle_core::{
    ActionKind, Operation, Parties, Rejection, RequestStatus, TRANSITIONS, VariantArray, authorize,
    rows,
};

/// The core's verdict on a cell: the target, or `None` when the table has no row for it.
fn core(status: RequestStatus, action: ActionKind) -> Option<RequestStatus> {
    match fixture::core_outcome(status, action) {
        Ok(target) => Some(target),
        Err(Rejection::NotAllowed { .. }) => None,
        Err(other) => panic!("the fixture should only meet NotAllowed, not {other:?}"),
    }
}

fn cells() -> impl Iterator<Item = (RequestStatus, ActionKind)> {
    RequestStatus::VARIANTS.iter().flat_map(|&status| {
        ActionKind::VARIANTS
            .iter()
            .map(move |&action| (status, action))
    })
}

#[test]
fn the_fixture_authorizes_every_action_and_meets_every_first_condition() {
    for &action in ActionKind::VARIANTS {
        let caller = fixture::caller_for(action);
        assert!(
            authorize(
                Operation::Act(action),
                &caller,
                Parties::own(fixture::REQUESTOR)
            )
            .is_ok(),
            "{action} by {caller:?}"
        );
    }
    for (status, action) in cells() {
        let request = fixture::request_in(status);
        if let Some(first) = rows(status, action).first() {
            assert!(
                first.when.holds(&request, fixture::NOW),
                "{status} {action}: {:?} does not hold",
                first.when
            );
        }
    }
}

#[test]
fn the_core_accepts_exactly_the_table_cells_and_moves_to_their_first_target() {
    let mut accepted = 0;
    for (status, action) in cells() {
        let expected = rows(status, action).first().map(|row| row.to);
        assert_eq!(core(status, action), expected, "{status} {action}");
        accepted += usize::from(expected.is_some());
    }
    // 21 of the 168 cells have rows; the peers must agree on all 168.
    assert_eq!(accepted, 21);
    assert_eq!(cells().count(), 168);
}

#[test]
fn the_naive_table_agrees_with_the_core_on_every_cell() {
    let table = naive::Table::new();
    let mut pairs: Vec<_> = TRANSITIONS.iter().map(|r| (r.from, r.action)).collect();
    pairs.dedup();
    assert_eq!(table.len(), pairs.len());
    for (status, action) in cells() {
        let core = core(status, action);
        assert_eq!(
            table.target(status.as_str(), action.as_str()),
            core.map(RequestStatus::as_str),
            "{status} {action}"
        );
        assert_eq!(
            table
                .apply(status.as_str(), action.as_str())
                .ok()
                .as_deref(),
            core.map(RequestStatus::as_str),
            "{status} {action}"
        );
    }
}

#[test]
fn the_rust_fsm_machine_agrees_with_the_core_on_every_cell() {
    for (status, action) in cells() {
        let core = core(status, action);
        assert_eq!(rust_fsm::target(status, action), core, "{status} {action}");
        assert_eq!(
            rust_fsm::apply(status, action).ok(),
            core,
            "{status} {action}"
        );
    }
}

#[test]
fn the_statig_machine_agrees_with_the_core_on_every_cell() {
    for (status, action) in cells() {
        let core = core(status, action);
        assert_eq!(statig::target(status, action), core, "{status} {action}");
        assert_eq!(
            statig::apply(status, action).ok(),
            core,
            "{status} {action}"
        );
    }
}

#[test]
fn every_cancel_decision_agrees_with_the_documented_cancelable_statuses() {
    let table = naive::Table::new();
    let requestor = fixture::requestor();
    for &status in RequestStatus::VARIANTS {
        let documented = RequestStatus::DOCUMENTED_CANCELABLE.contains(&status);
        let request = fixture::request_in(status);
        assert_eq!(
            request.can_cancel(&requestor, fixture::NOW),
            documented,
            "{status}"
        );
        assert_eq!(status.is_cancelable(), documented, "{status}");
        assert_eq!(table.can_cancel(status.as_str()), documented, "{status}");
        assert_eq!(rust_fsm::can_cancel(status), documented, "{status}");
        assert_eq!(statig::can_cancel(status), documented, "{status}");
    }
}

#[test]
fn the_peers_refuse_what_they_do_not_know() {
    let table = naive::Table::new();
    // Strings that are not wire names are not in the table: the naive peer is case-sensitive.
    assert_eq!(table.target("pendingApproval", "cancel"), None);
    assert_eq!(table.target("PendingApproval", "Cancel"), None);
    assert!(!table.can_cancel("SomethingNew"));
    assert_eq!(table.apply("Delivered", "cancel"), Err(naive::NotAllowed));
    assert_eq!(
        statig::apply(RequestStatus::Delivered, ActionKind::Cancel),
        Err(statig::NotAllowed)
    );
    assert!(rust_fsm::apply(RequestStatus::Delivered, ActionKind::Cancel).is_err());
}
