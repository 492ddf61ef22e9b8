//! `POST …/assignmentRequests`: a new request, submitted and processed in one store transaction
//! (or, with `isValidationOnly`, checked and not created).

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entitle_auth::Identity;
use entitle_core::{Caller, RequestId, SubjectId, Submission};
use entitle_graph::{CreateBody, CreateBodyError, Moment, TargetRef, parse_create};
use entitle_store::{Created, Directory, ExternalSubject, NewRequest, RequestRecord};

use super::{entity, render_at};
use crate::access::{admission, caller_in, identify};
use crate::actions::count_transition;
use crate::error::{ApiError, ErrorCode};
use crate::odata::Options;
use crate::state::AppState;
use crate::wire::{self, Api, RequestTypeCase};

impl From<CreateBodyError> for ApiError {
    fn from(error: CreateBodyError) -> Self {
        let code = match error {
            CreateBodyError::UnknownProperty { .. } => ErrorCode::RequestBodyRead,
            CreateBodyError::Invalid { .. }
            | CreateBodyError::RequestType(_)
            | CreateBodyError::Missing(_) => ErrorCode::InvalidRequest,
        };
        Self::new(code, error.to_string())
    }
}

/// Who the body names as the target: a directory subject, or a user not yet in the directory whom
/// policy `policy_id` admits (D23).
fn target(
    directory: &Directory,
    policy_id: &str,
    target: Option<TargetRef>,
) -> Result<(Option<SubjectId>, Option<ExternalSubject>), ApiError> {
    match target {
        None => Ok((None, None)),
        Some(TargetRef::Object(id)) => Ok((Some(id), None)),
        Some(TargetRef::Email {
            email,
            display_name,
        }) => {
            if let Some(user) = directory.user_by_email(&email) {
                return Ok((Some(user.id), None));
            }
            let external = directory
                .external_subject(policy_id, &email, display_name.as_deref())
                .map_err(|error| ApiError::invalid(error.to_string()))?;
            Ok((Some(external.id), Some(external)))
        }
    }
}

/// The store's input for `body`, placed in the directory, and `identity`'s caller for it.
async fn submission(
    state: &AppState,
    identity: &Identity,
    body: CreateBody,
) -> Result<(NewRequest, Caller), ApiError> {
    let kind = body.kind;
    let directory = state.fresh_directory().await?;
    // A change or a removal concerns an assignment, whose package and policy it is placed in.
    let existing = match body.assignment.filter(|_| kind.needs_assignment()) {
        Some(id) => state.read(move |store| store.assignment(id)).await?,
        None => None,
    };
    let (policy_id, package_id) = match &existing {
        Some(stored) => (
            Some(stored.assignment_policy_id.as_str()),
            Some(stored.access_package_id.as_str()),
        ),
        None => (body.policy_id.as_deref(), body.package_id.as_deref()),
    };
    let policy = if kind.needs_assignment() && existing.is_none() {
        // The core refuses it for its missing assignment; the policy is unknown then.
        None
    } else {
        Some(
            directory
                .placement(policy_id, package_id)
                .map_err(|error| ApiError::invalid(error.to_string()))?,
        )
    };
    let (package_id, policy_id, rules) = policy.map_or_else(Default::default, |policy| {
        (
            policy.access_package_id.clone(),
            policy.id.clone(),
            policy.rules,
        )
    });
    let (target, external_target) = target(&directory, &policy_id, body.target)?;
    let target = target.or_else(|| kind.targets_submitter_by_default().then_some(identity.id));
    let id = RequestId::parse(&uuid::Uuid::new_v4().to_string())
        .map_err(|error| ApiError::invalid(error.to_string()))?;
    if let (Some(policy), Some(target)) = (policy, target) {
        admission(
            &directory,
            policy,
            kind,
            target,
            external_target.as_ref(),
            identity.id,
        )
        .map_err(|reason| {
            ApiError::new(
                ErrorCode::AccessDenied,
                format!("assignment policy `{policy_id}` does not admit the request: {reason}"),
            )
        })?;
    }
    let mut caller = caller_in(identity, &directory, &package_id, &policy_id, target);
    caller.on_behalf_of_target =
        target.is_some_and(|target| directory.on_behalf_of(&policy_id, identity.id, target));
    let new = NewRequest {
        submission: Submission {
            id,
            kind,
            target,
            assignment: body.assignment,
            rules,
            starts_at: body.starts_at,
            ends_at: body.ends_at,
            lasts: body.lasts,
        },
        access_package_id: package_id,
        assignment_policy_id: policy_id,
        justification: body.justification,
        answers: body.answers,
        schedule: Some(body.schedule),
        external_target,
        process: true,
    };
    Ok((new, caller))
}

/// `POST …/assignmentRequests`: `201 Created` with the request as submitted (`Accepted`); the
/// service has processed it already, in the same store transaction, as the policy decides. With
/// `isValidationOnly`, the same decisions and answer, and nothing is stored.
pub async fn create(
    State(state): State<AppState>,
    Extension(Api(api)): Extension<Api>,
    Extension(case): Extension<RequestTypeCase>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let identity = identify(&state, &headers)?;
    let preference = wire::request_enums(&headers, case);
    let input = wire::json_body(&headers, &body)?;
    let input = parse_create(&input, api, preference)?;
    let validation_only = input.validation_only;
    let (new, caller) = submission(&state, &identity, input).await?;
    let now = state.clock.now();
    let submitted = if validation_only {
        let new = new.clone();
        state
            .blocking(move |store| store.validate(&new, &caller, now).map_err(ApiError::from))
            .await?
    } else {
        let new = new.clone();
        let created: Created = state
            .blocking(move |store| store.create(&new, &caller, now).map_err(ApiError::from))
            .await?;
        for entry in &created.history {
            count_transition(&state, entry);
        }
        created.submitted
    };
    let record = RequestRecord {
        answers: new.answers,
        schedule: new.schedule,
        ..RequestRecord::new(
            submitted,
            &new.access_package_id,
            &new.assignment_policy_id,
            new.justification,
        )
    };
    let body = render_at(
        &state,
        api,
        preference,
        (&record, Moment::Created { validation_only }),
        None,
        &Options::default(),
    );
    let body = wire::with_context(body, wire::context(&headers, api, &entity(api, case)));
    Ok(wire::json(StatusCode::CREATED, preference, &body))
}
