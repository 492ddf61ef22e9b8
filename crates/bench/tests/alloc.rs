//! The core decides without touching the heap; the naive string table does not.
//!
//! A counting global allocator (`stats_alloc`'s instrumented `System` allocator, so this crate needs
//! no `unsafe` of its own) counts every allocation while a decision runs. The whole check is one test,
//! so no other test of this binary runs meanwhile.
//!
//! The counter is global, and the test harness's own thread may still allocate while a region is
//! counted (libtest's main thread does, just after it starts the test). An operation that allocates
//! does so on every call, in every attempt; so each operation is counted in several attempts of
//! [`ROUNDS`] calls, and the least count is the operation's own.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::alloc::System;
use std::hint::black_box;

use entitle_bench::{fixture, naive, rust_fsm, statig};
use entitle_core::{
    ActionKind, Caller, Operation, Parties, Request, RequestStatus, VariantArray, authorize,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// How many times each operation runs inside its counted region.
const ROUNDS: usize = 64;
/// How many counted regions each operation gets; the least count is kept.
const ATTEMPTS: usize = 5;

/// The heap allocations (including reallocations) made while `run` runs [`ROUNDS`] times: the least
/// count of [`ATTEMPTS`] attempts, so that another thread's allocation cannot be blamed on `run`.
fn allocations(mut run: impl FnMut()) -> usize {
    (0..ATTEMPTS)
        .map(|_| {
            let region = Region::new(GLOBAL);
            for _ in 0..ROUNDS {
                run();
            }
            let change = region.change();
            change.allocations + change.reallocations
        })
        .min()
        .unwrap()
}

#[test]
fn deciding_allocates_nothing_in_the_core_and_something_in_the_naive_table() {
    let requestor = fixture::requestor();
    let requests: Vec<Request> = RequestStatus::VARIANTS
        .iter()
        .map(|&status| fixture::request_in(status))
        .collect();
    let approver: Caller = fixture::caller_for(ActionKind::Approve);
    let table = naive::Table::new();

    let mut failures = Vec::new();
    let mut check = |what: &str, count: usize| {
        if count != 0 {
            failures.push(format!("{what}: {count} allocations in {ROUNDS} rounds"));
        }
    };

    for request in &requests {
        let status = request.status;
        check(
            &format!("can_cancel from {status}"),
            allocations(|| {
                black_box(black_box(request).can_cancel(black_box(&requestor), fixture::NOW));
            }),
        );
        check(
            &format!("is_cancelable of {status}"),
            allocations(|| {
                black_box(black_box(status).is_cancelable());
            }),
        );
        for &action in ActionKind::VARIANTS {
            let asked = fixture::action(action);
            // Accepted or rejected (NotAllowed), every cell.
            check(
                &format!("apply {action} from {status}"),
                allocations(|| {
                    black_box(black_box(request).apply(black_box(&asked), fixture::NOW)).ok();
                }),
            );
            // Rejected as unauthorized: the approver asks for everything.
            let denied = entitle_core::Action::new(action, approver);
            check(
                &format!("apply {action} by an approver from {status}"),
                allocations(|| {
                    black_box(black_box(request).apply(black_box(&denied), fixture::NOW)).ok();
                }),
            );
            check(
                &format!("authorize {action}"),
                allocations(|| {
                    black_box(authorize(
                        black_box(Operation::Act(action)),
                        black_box(&asked.by),
                        Parties::own(fixture::REQUESTOR),
                    ))
                    .ok();
                }),
            );
            // The typed peers do not allocate either.
            check(
                &format!("rust-fsm apply {action} from {status}"),
                allocations(|| {
                    black_box(rust_fsm::apply(black_box(status), black_box(action))).ok();
                }),
            );
            check(
                &format!("statig apply {action} from {status}"),
                allocations(|| {
                    black_box(statig::apply(black_box(status), black_box(action))).ok();
                }),
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // The naive table allocates its two key strings on every lookup, found or not, so this count
    // proves the allocator is counting.
    let lookups = allocations(|| {
        black_box(table.can_cancel(black_box("PendingApproval")));
    });
    assert!(
        lookups >= 2 * ROUNDS,
        "naive can_cancel: {lookups} allocations"
    );
    let refused = allocations(|| {
        black_box(table.can_cancel(black_box("Delivered")));
    });
    assert!(
        refused >= 2 * ROUNDS,
        "naive refused can_cancel: {refused} allocations"
    );
    // Applying also allocates the owned new status.
    let applied = allocations(|| {
        black_box(table.apply(black_box("PendingApproval"), black_box("cancel"))).ok();
    });
    assert!(applied >= 3 * ROUNDS, "naive apply: {applied} allocations");
}
