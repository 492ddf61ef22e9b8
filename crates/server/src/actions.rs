//! Performing a command on a stored request: the store runs entitle-core's decision in one
//! transaction; this module resolves who acts, maps the outcome to the Graph answer and counts it.

use entitle_auth::Identity;
use entitle_core::{ActionKind, Caller, Operation, RequestId, Timestamp};
use entitle_store::{Command, Event, HistoryEntry, RequestRecord, Stored};

use crate::access::caller_for;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Performs `command` for the caller `caller` resolves (inside the store's transaction) and counts the
/// outcome.
pub async fn transition(
    state: &AppState,
    id: RequestId,
    command: Command,
    caller: impl Fn(&RequestRecord) -> Caller + Send + Sync + 'static,
    at: Timestamp,
    justification: Option<String>,
) -> Result<Stored, ApiError> {
    let result = {
        let store = std::sync::Arc::clone(&state.store);
        tokio::task::spawn_blocking(move || {
            store.transition(id, command, &caller, at, justification.as_deref())
        })
        .await
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!(%error, "transition task failed");
            return Err(ApiError::new(
                ErrorCode::GeneralException,
                "the operation failed unexpectedly",
            ));
        }
    };
    let action = command.action();
    match outcome {
        Ok(done) => {
            count_transition(state, &done.entry);
            Ok(done.stored)
        }
        Err(error) => {
            let error = ApiError::from_transition(Operation::Act(action), error);
            state
                .metrics
                .rejection(action.as_str(), error.code.as_str());
            Err(error)
        }
    }
}

/// Counts a history entry that moved a request (its submission, or a transition) in
/// `entitle_transitions_total`.
pub fn count_transition(state: &AppState, entry: &HistoryEntry) {
    let (action, from, to) = match &entry.event {
        Event::Submitted { status } => ("submit", "", status.as_str()),
        Event::Transition { rule, .. } => {
            (rule.action.as_str(), rule.from.as_str(), rule.to.as_str())
        }
        Event::Deleted { .. } | Event::AssignmentEnded { .. } => return,
    };
    state.metrics.transition(action, from, to);
}

/// An action the service performs itself.
pub async fn system_action(
    state: &AppState,
    id: RequestId,
    kind: ActionKind,
    at: Timestamp,
) -> Result<Stored, ApiError> {
    transition(
        state,
        id,
        Command::Act(kind),
        |_| Caller::system(),
        at,
        None,
    )
    .await
}

/// A command asked for by the caller of `identity`, with its justification.
pub async fn caller_command(
    state: &AppState,
    identity: Identity,
    id: RequestId,
    command: Command,
    justification: Option<String>,
) -> Result<Stored, ApiError> {
    let shared = state.clone();
    let now = state.clock.now();
    transition(
        state,
        id,
        command,
        move |record| caller_for(&identity, &shared.directory(), record),
        now,
        justification,
    )
    .await
}
