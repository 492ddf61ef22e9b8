//! The core's decisions against the naive string table, `rust-fsm` and `statig`, in one run.
//!
//! - `cancel_decision`: whether the Cancel button shows, for a request in each of the 12 statuses:
//!   the core's `Request::can_cancel` (authorization, then the table's rows and their conditions) and
//!   its status-only rule `RequestStatus::is_cancelable`, against each peer's cancel lookup.
//! - `apply`: a whole action for representative cells — cancel, approve, process, expire, and a
//!   cancel the lifecycle refuses (`Delivered`) — through `Request::apply` and each peer's own way
//!   of moving a machine.
//!
//! Requests, callers and time come from `entitle_bench::fixture`; every input goes through
//! `black_box`. Run with `just bench` (`cargo bench -p entitle-bench --bench decision`);
//! `docs/performance.md` reports the figures.
//!
//! No figure depends on which case runs first: every case is sampled [`SAMPLE_COUNT`] times with
//! [`SAMPLE_SIZE`] iterations a sample (10 µs or more a sample, far above the timer's precision, where
//! divan's own tuning once sampled a cold first case one iteration at a time), after a warm-up that
//! runs every case in one fixed order. `scripts/bench-ratios.py` refuses a run in which any case had
//! fewer than 100 iterations a sample.

use std::fmt;

use divan::{Bencher, black_box};
use entitle_bench::{fixture, naive, rust_fsm, statig};
use entitle_core::{
    ActionKind, Operation, Parties, PolicyRules, Request, RequestStatus, VariantArray, authorize,
};

/// Iterations in one sample of every case.
const SAMPLE_SIZE: u32 = 10_000;
/// Samples of every case.
const SAMPLE_COUNT: u32 = 100;
/// Calls of every case during the warm-up.
const WARM_UP_CALLS: u32 = 200_000;

fn main() {
    println!(
        "sizes: Request {} bytes, Step {} bytes, Result<Step, Rejection> {} bytes",
        size_of::<Request>(),
        size_of::<entitle_core::Step>(),
        size_of::<Result<entitle_core::Step, entitle_core::Rejection>>(),
    );
    warm_up();
    divan::Divan::default()
        .sample_size(SAMPLE_SIZE)
        .sample_count(SAMPLE_COUNT)
        .config_with_args()
        .main();
}

/// Runs every case [`WARM_UP_CALLS`] times, in the order the cases are declared, before anything
/// is measured: the first case measured finds the processor, its caches and its branch predictors as
/// the last one does.
fn warm_up() {
    let caller = fixture::requestor();
    let table = naive::Table::new();
    for _ in 0..WARM_UP_CALLS {
        for &status in STATUSES {
            black_box(fixture::request_in(status).can_cancel(&caller, fixture::NOW));
            black_box(status.is_cancelable());
            black_box(table.can_cancel(status.as_str()));
            black_box(rust_fsm::can_cancel(status));
            black_box(statig::can_cancel(status));
        }
    }
    for _ in 0..WARM_UP_CALLS {
        for case in Case::ALL {
            let (status, action) = case.cell();
            let asked = fixture::action(action);
            let _ = black_box(fixture::request_in(status).apply(&asked, fixture::NOW));
            black_box(fixture::request_in(status));
            let _ = black_box(table.apply(status.as_str(), action.as_str()));
            let _ = black_box(rust_fsm::apply(status, action));
            let _ = black_box(statig::apply(status, action));
        }
    }
}

/// The twelve statuses, in lifecycle order.
const STATUSES: &[RequestStatus] = RequestStatus::VARIANTS;

mod cancel_decision {
    use super::{
        ActionKind, Bencher, Operation, Parties, RequestStatus, STATUSES, authorize, black_box,
        fixture, naive, rust_fsm, statig,
    };

    /// `Request::can_cancel` for the requestor, at `fixture::NOW`: the baseline of every ratio.
    #[divan::bench(args = STATUSES)]
    fn core_can_cancel(bencher: Bencher, status: RequestStatus) {
        let request = fixture::request_in(status);
        let caller = fixture::requestor();
        bencher
            .bench(|| black_box(&request).can_cancel(black_box(&caller), black_box(fixture::NOW)));
    }

    /// `authorize(cancel, requestor, own request)` alone: the first step of `can_cancel`.
    #[divan::bench]
    fn core_authorize(bencher: Bencher) {
        let caller = fixture::requestor();
        bencher.bench(|| {
            authorize(
                black_box(Operation::Act(ActionKind::Cancel)),
                black_box(&caller),
                black_box(Parties::own(fixture::REQUESTOR)),
            )
        });
    }

    /// `RequestStatus::is_cancelable`: the status-only rule, a scan of the table.
    #[divan::bench(args = STATUSES)]
    fn core_is_cancelable(bencher: Bencher, status: RequestStatus) {
        bencher.bench(|| black_box(status).is_cancelable());
    }

    /// The naive table's lookup of `(status wire name, "cancel")`, allocating its key.
    #[divan::bench(args = STATUSES)]
    fn naive_string_table(bencher: Bencher, status: RequestStatus) {
        let table = naive::Table::new();
        let name = status.as_str();
        bencher.bench(|| table.can_cancel(black_box(name)));
    }

    /// The `rust-fsm` DSL's transition function for `Cancel`.
    #[divan::bench(args = STATUSES)]
    fn rust_fsm(bencher: Bencher, status: RequestStatus) {
        bencher.bench(|| rust_fsm::can_cancel(black_box(status)));
    }

    /// A `statig` machine built in the status, handling `Cancel`.
    #[divan::bench(args = STATUSES)]
    fn statig(bencher: Bencher, status: RequestStatus) {
        bencher.bench(|| statig::can_cancel(black_box(status)));
    }
}

/// A representative action on a request in a given status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    /// The requestor cancels a pending approval.
    Cancel,
    /// An approver approves stage 1 of 2.
    Approve,
    /// The service routes an accepted request (custom extension configured: the first row).
    Process,
    /// The approval of a pending request times out.
    Expire,
    /// The requestor tries to cancel a delivered request: refused.
    RejectedCancel,
}

impl Case {
    const ALL: &[Self] = &[
        Self::Cancel,
        Self::Approve,
        Self::Process,
        Self::Expire,
        Self::RejectedCancel,
    ];

    const fn cell(self) -> (RequestStatus, ActionKind) {
        match self {
            Self::Cancel => (RequestStatus::PendingApproval, ActionKind::Cancel),
            Self::Approve => (RequestStatus::PendingApproval, ActionKind::Approve),
            Self::Process => (RequestStatus::Accepted, ActionKind::Process),
            Self::Expire => (RequestStatus::PendingApproval, ActionKind::Expire),
            Self::RejectedCancel => (RequestStatus::Delivered, ActionKind::Cancel),
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (status, action) = self.cell();
        write!(f, "{action} from {status}")
    }
}

mod apply {
    use super::{
        ActionKind, Bencher, Case, PolicyRules, Request, RequestStatus, black_box, fixture, naive,
        rust_fsm, statig,
    };

    /// `Request::apply` by the fixture's caller for the action, at `fixture::NOW`.
    #[divan::bench(args = Case::ALL)]
    fn core(bencher: Bencher, case: Case) {
        let (status, action) = case.cell();
        let request = fixture::request_in(status);
        let asked = fixture::action(action);
        bencher.bench(|| black_box(&request).apply(black_box(&asked), black_box(fixture::NOW)));
    }

    /// `Request::apply` of `process` under a policy with no callout, no approval and no start date:
    /// the core tries all four rows of the group, the last one matches. No peer models this case.
    #[divan::bench]
    fn core_process_by_last_row(bencher: Bencher) {
        let request = Request {
            rules: PolicyRules::default(),
            starts_at: None,
            ..fixture::request_in(RequestStatus::Accepted)
        };
        let asked = fixture::action(ActionKind::Process);
        bencher.bench(|| black_box(&request).apply(black_box(&asked), black_box(fixture::NOW)));
    }

    /// A copy of the request returned by value, deciding nothing: the floor of any `apply` that hands
    /// back the moved request (400 bytes), which a peer returning a status never pays.
    #[divan::bench(args = Case::ALL)]
    fn request_copy(bencher: Bencher, case: Case) {
        let request = fixture::request_in(case.cell().0);
        bencher.bench(|| *black_box(&request));
    }

    /// The naive table: key strings allocated, the new status returned as an owned `String`.
    #[divan::bench(args = Case::ALL)]
    fn naive_string_table(bencher: Bencher, case: Case) {
        let (status, action) = case.cell();
        let table = naive::Table::new();
        let (status, action) = (status.as_str(), action.as_str());
        bencher.bench(|| table.apply(black_box(status), black_box(action)));
    }

    /// A `rust_fsm::StateMachine` built in the status, consuming the action.
    #[divan::bench(args = Case::ALL)]
    fn rust_fsm(bencher: Bencher, case: Case) {
        let (status, action) = case.cell();
        bencher.bench(|| rust_fsm::apply(black_box(status), black_box(action)));
    }

    /// A `statig` machine built in the status, handling the action.
    #[divan::bench(args = Case::ALL)]
    fn statig(bencher: Bencher, case: Case) {
        let (status, action) = case.cell();
        bencher.bench(|| statig::apply(black_box(status), black_box(action)));
    }
}
