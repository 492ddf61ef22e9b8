//! The `rust-fsm` peer: the lifecycle written in the `state_machine!` DSL of the `rust-fsm` crate.
//!
//! The DSL's states and inputs are the core's own [`RequestStatus`] and [`ActionKind`] (its
//! `state(…)` and `input(…)` options), so a decision needs no conversion; the transitions are
//! written out below by hand. Each (status, action) names one target: where the core's table has
//! several rows guarded by conditions, the target of the first, i.e. the outcome when its condition
//! holds (`Accepted(Process) => WaitingForCallback`, `PendingApproval(Approve) => PendingApproval`,
//! …). There are no callers, no conditions and no time; `rust-fsm` has no notion of them.
//!
//! The DSL generates a `transition(&state, &input) -> Option<state>` function (a `match`) and the
//! `rust_fsm::StateMachine` wrapper, whose `consume` moves the machine. [`target`] calls the first,
//! [`apply`] the second.

use ::rust_fsm::{StateMachineImpl, TransitionImpossibleError};
use entitle_core::{ActionKind, RequestStatus};

/// The generated module: its items are `pub` inside a private module.
#[allow(
    unreachable_pub,
    reason = "rust-fsm's DSL declares its generated items `pub`"
)]
mod generated {
    ::rust_fsm::state_machine! {
        #[state_machine(input(::entitle_core::ActionKind), state(::entitle_core::RequestStatus))]
        pub(super) lifecycle(Accepted)

        Accepted => {
            Process => WaitingForCallback,
            Cancel => Canceled,
        },
        WaitingForCallback => {
            ResumeContinue => PendingApproval,
            ResumeDeny => Denied,
            ResumeCancel => Canceled,
        },
        PendingApproval => {
            Approve => PendingApproval,
            Deny => Denied,
            Escalate => PendingApprovalEscalated,
            Expire => Expired,
            Cancel => Canceled,
        },
        PendingApprovalEscalated => {
            Approve => PendingApproval,
            Deny => Denied,
            Expire => Expired,
            Cancel => Canceled,
        },
        PendingNotBefore => {
            ReachStart => Delivering,
            Cancel => Canceled,
        },
        Delivering => {
            Deliver => Delivered,
            DeliverPartially => PartiallyDelivered,
            FailDelivery => DeliveryFailed,
        },
        PartiallyDelivered(Reprocess) => Delivering,
        DeliveryFailed(Reprocess) => Delivering,
    }
}

use generated::lifecycle::{Impl, StateMachine};

/// The status `action` moves a request in `status` to, if the machine allows it: the DSL's
/// transition function.
pub fn target(status: RequestStatus, action: ActionKind) -> Option<RequestStatus> {
    Impl::transition(&status, &action)
}

/// Whether a request in `status` may be cancelled.
pub fn can_cancel(status: RequestStatus) -> bool {
    target(status, ActionKind::Cancel).is_some()
}

/// The status after `action`, through the crate's `StateMachine`: built in `status`, fed `action`.
///
/// # Errors
/// `rust-fsm`'s [`TransitionImpossibleError`] when the machine has no transition for the pair.
pub fn apply(
    status: RequestStatus,
    action: ActionKind,
) -> Result<RequestStatus, TransitionImpossibleError> {
    let mut machine = StateMachine::from_state(status);
    machine.consume(&action)?;
    Ok(*machine.state())
}
