//! The `statig` peer: the lifecycle as a hierarchical state machine of the `statig` crate, written
//! with its `#[state_machine]` attribute macro.
//!
//! Events are the core's [`ActionKind`]; the states are statig's own (one handler per status), mapped
//! to and from [`RequestStatus`] when a machine is built from a stored status and read back. The
//! hierarchy shares what the core's table repeats:
//!
//! - superstate `cancelable` (parent of `Accepted`, `PendingNotBefore` and `awaiting_decision`)
//!   handles `Cancel` → `Canceled`;
//! - superstate `awaiting_decision` (parent of `PendingApproval` and `PendingApprovalEscalated`)
//!   handles `Approve` → `PendingApproval`, `Deny` → `Denied` and `Expire` → `Expired`;
//! - superstate `incomplete` (parent of `PartiallyDelivered` and `DeliveryFailed`) handles
//!   `Reprocess` → `Delivering`;
//! - the states handle the rest, and defer anything else to their superstate; an event that reaches
//!   the top is ignored, which is how the machine refuses an action.
//!
//! As for every peer, each (status, action) has one target: where the core's table has several rows
//! guarded by conditions, the first row's, i.e. the outcome when its condition holds. There are no
//! callers, no conditions and no time.
//!
//! statig's `handle` returns nothing, so an `after_transition` hook records that a transition
//! happened: a self-transition (`PendingApproval` --approve--> `PendingApproval`) is told apart from a
//! refused action that way.

use ::statig::blocking::IntoStateMachineExt;
use entitle_core::{ActionKind, RequestStatus};

/// The state machine, its generated `State` and `Superstate` enums kept crate-private.
mod machine {
    use ::statig::prelude::*;
    use entitle_core::{ActionKind, RequestStatus};

    /// The shared storage: whether the last event made a transition.
    #[derive(Debug, Default)]
    pub(super) struct Lifecycle {
        pub(super) moved: bool,
    }

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "statig hands the event to handlers by reference"
    )]
    #[state_machine(
        initial = "State::accepted()",
        visibility = "pub(super)",
        after_transition = "Self::after_transition",
        state(derive(Clone, Copy, Debug, PartialEq, Eq))
    )]
    impl Lifecycle {
        #[state(superstate = "cancelable")]
        fn accepted(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Process => Transition(State::waiting_for_callback()),
                _ => Super,
            }
        }

        #[state]
        fn waiting_for_callback(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::ResumeContinue => Transition(State::pending_approval()),
                ActionKind::ResumeDeny => Transition(State::denied()),
                ActionKind::ResumeCancel => Transition(State::canceled()),
                _ => Super,
            }
        }

        #[state(superstate = "awaiting_decision")]
        fn pending_approval(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Escalate => Transition(State::pending_approval_escalated()),
                _ => Super,
            }
        }

        #[state(superstate = "awaiting_decision")]
        fn pending_approval_escalated() -> Outcome<State> {
            Super
        }

        #[state(superstate = "cancelable")]
        fn pending_not_before(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::ReachStart => Transition(State::delivering()),
                _ => Super,
            }
        }

        #[state]
        fn delivering(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Deliver => Transition(State::delivered()),
                ActionKind::DeliverPartially => Transition(State::partially_delivered()),
                ActionKind::FailDelivery => Transition(State::delivery_failed()),
                _ => Super,
            }
        }

        #[state]
        fn delivered() -> Outcome<State> {
            Super
        }

        #[state(superstate = "incomplete")]
        fn partially_delivered() -> Outcome<State> {
            Super
        }

        #[state(superstate = "incomplete")]
        fn delivery_failed() -> Outcome<State> {
            Super
        }

        #[state]
        fn denied() -> Outcome<State> {
            Super
        }

        #[state]
        fn expired() -> Outcome<State> {
            Super
        }

        #[state]
        fn canceled() -> Outcome<State> {
            Super
        }

        #[superstate]
        fn cancelable(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Cancel => Transition(State::canceled()),
                _ => Super,
            }
        }

        #[superstate(superstate = "cancelable")]
        fn awaiting_decision(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Approve => Transition(State::pending_approval()),
                ActionKind::Deny => Transition(State::denied()),
                ActionKind::Expire => Transition(State::expired()),
                _ => Super,
            }
        }

        #[superstate]
        fn incomplete(event: &ActionKind) -> Outcome<State> {
            match event {
                ActionKind::Reprocess => Transition(State::delivering()),
                _ => Super,
            }
        }
    }

    impl Lifecycle {
        #[allow(
            clippy::trivially_copy_pass_by_ref,
            reason = "statig's transition hook takes the states by reference"
        )]
        fn after_transition(&mut self, _source: &State, _target: &State) {
            self.moved = true;
        }
    }

    impl State {
        /// The machine's state for a stored status.
        pub(super) fn of(status: RequestStatus) -> Self {
            match status {
                RequestStatus::Accepted => Self::accepted(),
                RequestStatus::WaitingForCallback => Self::waiting_for_callback(),
                RequestStatus::PendingApproval => Self::pending_approval(),
                RequestStatus::PendingApprovalEscalated => Self::pending_approval_escalated(),
                RequestStatus::PendingNotBefore => Self::pending_not_before(),
                RequestStatus::Delivering => Self::delivering(),
                RequestStatus::Delivered => Self::delivered(),
                RequestStatus::PartiallyDelivered => Self::partially_delivered(),
                RequestStatus::DeliveryFailed => Self::delivery_failed(),
                RequestStatus::Denied => Self::denied(),
                RequestStatus::Expired => Self::expired(),
                RequestStatus::Canceled => Self::canceled(),
            }
        }

        /// The status this state stands for.
        pub(super) fn status(self) -> RequestStatus {
            match self {
                Self::Accepted {} => RequestStatus::Accepted,
                Self::WaitingForCallback {} => RequestStatus::WaitingForCallback,
                Self::PendingApproval {} => RequestStatus::PendingApproval,
                Self::PendingApprovalEscalated {} => RequestStatus::PendingApprovalEscalated,
                Self::PendingNotBefore {} => RequestStatus::PendingNotBefore,
                Self::Delivering {} => RequestStatus::Delivering,
                Self::Delivered {} => RequestStatus::Delivered,
                Self::PartiallyDelivered {} => RequestStatus::PartiallyDelivered,
                Self::DeliveryFailed {} => RequestStatus::DeliveryFailed,
                Self::Denied {} => RequestStatus::Denied,
                Self::Expired {} => RequestStatus::Expired,
                Self::Canceled {} => RequestStatus::Canceled,
            }
        }
    }
}

use machine::{Lifecycle, State};

/// The machine refused the action: the event reached the top of the hierarchy unhandled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAllowed;

/// The status after `action` on a request in `status`: a statig machine is built in `status`, handles
/// `action`, and its state is read back.
///
/// # Errors
/// [`NotAllowed`] when no state or superstate handles the action.
pub fn apply(status: RequestStatus, action: ActionKind) -> Result<RequestStatus, NotAllowed> {
    let mut machine = Lifecycle::default().uninitialized_state_machine();
    *machine.state_mut() = State::of(status);
    let mut machine = machine.init();
    machine.handle(&action);
    if machine.moved {
        Ok(machine.state().status())
    } else {
        Err(NotAllowed)
    }
}

/// The status `action` moves a request in `status` to, if the machine allows it.
pub fn target(status: RequestStatus, action: ActionKind) -> Option<RequestStatus> {
    apply(status, action).ok()
}

/// Whether a request in `status` may be cancelled.
pub fn can_cancel(status: RequestStatus) -> bool {
    target(status, ActionKind::Cancel).is_some()
}
