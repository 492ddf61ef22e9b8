//! Submitting a request of any type, as a given caller: [`Request::create`].

use serde::{Deserialize, Serialize};

use crate::actor::Caller;
use crate::assignment::{Assignment, AssignmentEvent, AssignmentRejection};
use crate::authz::{Authority, Denial, authorize};
use crate::error::InvalidInput;
use crate::id::{AssignmentId, RequestId, SubjectId};
use crate::operation::{Operation, Parties};
use crate::policy::PolicyRules;
use crate::request::Request;
use crate::request_type::{Effect, RequestType};
use crate::time::{Duration, Timestamp};

/// What a client asks for when it creates a request, as the adapter parsed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// The new request's id, chosen by the adapter.
    pub id: RequestId,
    /// `requestType`.
    pub kind: RequestType,
    /// `assignment.targetId`: for an adding request, who it is for; for a change or a removal, taken
    /// from the assignment (and, if given, it must be the assignment's holder).
    pub target: Option<SubjectId>,
    /// `assignment.id`: the assignment a change or a removal concerns.
    pub assignment: Option<AssignmentId>,
    /// The rules of the policy the request is submitted under (for a change or a removal, the
    /// assignment's policy).
    pub rules: PolicyRules,
    /// `schedule.startDateTime`.
    pub starts_at: Option<Timestamp>,
    /// `schedule.expiration.endDateTime`.
    pub ends_at: Option<Timestamp>,
    /// `schedule.expiration.duration`: the assignment ends this long after its start (the requested
    /// start, or the submission), when no end instant is given.
    #[serde(default)]
    pub lasts: Option<Duration>,
}

impl Submission {
    /// When the requested assignment ends: at `ends_at`, or `lasts` after its start.
    fn ends_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.ends_at.or_else(|| {
            self.lasts
                .map(|lasts| self.starts_at.unwrap_or(now).after(lasts))
        })
    }
}

/// Why a request could not be created. Nothing is created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// The caller may not submit a request of this type for this target.
    #[error("not authorized: {0}")]
    Unauthorized(#[from] Denial),
    /// The submission is malformed: a policy Entra would refuse, a missing target or assignment id.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The assignment named cannot take the change: not found, someone else's, or in a state the
    /// change does not apply to.
    #[error(transparent)]
    Assignment(#[from] AssignmentRejection),
}

/// A request just created, and the rule that let its submitter create it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The request, `Accepted`.
    pub request: Request,
    /// Why the caller could submit it.
    pub authority: Authority,
}

impl Request {
    /// Creates the request `submission` describes, submitted by `caller` at `now`.
    ///
    /// `existing` is the assignment a change or a removal names, as stored (`None` when no assignment
    /// has that id). In order: the policy's rules; the assignment id a change or a removal needs, and
    /// that assignment; who the request is for; authorization (which never looks at the assignment's
    /// state); then whether the assignment's state allows the change.
    ///
    /// # Errors
    /// A [`CreateError`].
    pub fn create(
        submission: &Submission,
        caller: &Caller,
        existing: Option<&Assignment>,
        now: Timestamp,
    ) -> Result<Created, CreateError> {
        let kind = submission.kind;
        submission.rules.validate()?;
        let (assignment, target) = if kind.needs_assignment() {
            let id = submission
                .assignment
                .ok_or(InvalidInput::MissingAssignment { request_type: kind })?;
            let found = existing
                .filter(|assignment| assignment.id == id)
                .ok_or(AssignmentRejection::Missing { assignment: id })?;
            if submission
                .target
                .is_some_and(|target| target != found.target)
            {
                return Err(AssignmentRejection::NotTheTarget { assignment: id }.into());
            }
            (id, found.target)
        } else {
            let target = submission
                .target
                .ok_or(InvalidInput::MissingTarget { request_type: kind })?;
            (AssignmentId::for_request(submission.id), target)
        };
        let parties = Parties {
            requestor: caller.id,
            target,
        };
        let authority = authorize(Operation::Create(kind), caller, parties)?;
        if let (Some(found), Some(event)) = (existing, change(kind.effect())) {
            found.accepts(event, target)?;
        }
        let request = Self::submitted(
            submission.id,
            kind,
            parties,
            assignment,
            submission.rules,
            (submission.starts_at, submission.ends_at(now)),
            now,
        )?;
        Ok(Created { request, authority })
    }
}

/// The event a delivered change or removal causes, which its assignment must accept.
const fn change(effect: Effect) -> Option<AssignmentEvent> {
    match effect {
        Effect::Update => Some(AssignmentEvent::Updated),
        Effect::Remove => Some(AssignmentEvent::Removed),
        Effect::Add | Effect::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Permission, Role};
    use crate::assignment::AssignmentState;
    use crate::id::Guid;
    use crate::status::RequestStatus;

    const ME: SubjectId = SubjectId::new(Guid::from_u128(1));
    const OTHER: SubjectId = SubjectId::new(Guid::from_u128(2));
    const T0: Timestamp = Timestamp(1_000);

    fn submission(kind: RequestType) -> Submission {
        Submission {
            id: RequestId::new(Guid::from_u128(0x10)),
            kind,
            target: Some(ME),
            assignment: None,
            rules: PolicyRules::default(),
            starts_at: None,
            ends_at: None,
            lasts: None,
        }
    }

    fn me() -> Caller {
        Caller::user(ME).with_permission(Permission::SubjectAccessReadWrite)
    }

    fn delivered(target: SubjectId) -> Assignment {
        Assignment {
            id: AssignmentId::new(Guid::from_u128(0x20)),
            target,
            state: AssignmentState::Delivered,
            starts_at: None,
            ends_at: None,
            created_by: RequestId::new(Guid::from_u128(0x30)),
            expired_at: None,
        }
    }

    #[test]
    fn a_user_adds_for_themselves_and_the_assignment_id_is_derived() {
        let created = Request::create(&submission(RequestType::UserAdd), &me(), None, T0).unwrap();
        let request = created.request;
        assert_eq!(request.status, RequestStatus::Accepted);
        assert_eq!(request.kind, RequestType::UserAdd);
        assert_eq!((request.requestor, request.target), (ME, ME));
        assert_eq!(request.assignment, AssignmentId::for_request(request.id));
        assert_eq!(
            created.authority,
            Authority::OwnRequest(Permission::SubjectAccessReadWrite)
        );
        assert_eq!(request.check(), Ok(()));
    }

    #[test]
    fn a_duration_ends_the_assignment_that_long_after_its_start() {
        let mut lasting = submission(RequestType::UserAdd);
        lasting.lasts = Some(Duration::days(30));
        let ends = |submission: &Submission| {
            Request::create(submission, &me(), None, T0)
                .unwrap()
                .request
                .ends_at
        };
        assert_eq!(ends(&lasting), Some(T0.after(Duration::days(30))));
        let start = T0.after(Duration::days(2));
        lasting.starts_at = Some(start);
        assert_eq!(ends(&lasting), Some(start.after(Duration::days(30))));
        let end = T0.after(Duration::days(5));
        lasting.ends_at = Some(end);
        assert_eq!(ends(&lasting), Some(end));
    }

    #[test]
    fn an_adding_request_needs_its_target() {
        let mut no_target = submission(RequestType::AdminAdd);
        no_target.target = None;
        assert_eq!(
            Request::create(&no_target, &me(), None, T0),
            Err(CreateError::Invalid(InvalidInput::MissingTarget {
                request_type: RequestType::AdminAdd
            }))
        );
    }

    #[test]
    fn a_removal_names_an_existing_assignment_of_its_target() {
        let assignment = delivered(ME);
        let mut remove = submission(RequestType::UserRemove);
        assert_eq!(
            Request::create(&remove, &me(), Some(&assignment), T0),
            Err(CreateError::Invalid(InvalidInput::MissingAssignment {
                request_type: RequestType::UserRemove
            }))
        );
        remove.assignment = Some(assignment.id);
        assert_eq!(
            Request::create(&remove, &me(), None, T0),
            Err(CreateError::Assignment(AssignmentRejection::Missing {
                assignment: assignment.id
            }))
        );
        remove.target = None;
        let created = Request::create(&remove, &me(), Some(&assignment), T0).unwrap();
        assert_eq!(created.request.assignment, assignment.id);
        assert_eq!(created.request.target, ME);
        // Someone else's assignment is not theirs to remove.
        let theirs = delivered(OTHER);
        assert!(matches!(
            Request::create(&remove, &me(), Some(&theirs), T0),
            Err(CreateError::Unauthorized(Denial::NotTheTarget { .. }))
        ));
        remove.target = Some(ME);
        assert!(matches!(
            Request::create(&remove, &me(), Some(&theirs), T0),
            Err(CreateError::Assignment(
                AssignmentRejection::NotTheTarget { .. }
            ))
        ));
    }

    #[test]
    fn an_ended_assignment_cannot_be_changed_or_removed() {
        let mut ended = delivered(OTHER);
        ended.state = AssignmentState::Expired;
        let manager = Caller::user(ME)
            .with_permission(Permission::ReadWriteAll)
            .with_role(Role::AccessPackageAssignmentManager);
        for kind in [RequestType::AdminRemove, RequestType::AdminUpdate] {
            let mut change = submission(kind);
            change.target = None;
            change.assignment = Some(ended.id);
            assert!(matches!(
                Request::create(&change, &manager, Some(&ended), T0),
                Err(CreateError::Assignment(
                    AssignmentRejection::NotAllowed { .. }
                ))
            ));
        }
        // Authorization comes before the assignment's state.
        let mut stranger_remove = submission(RequestType::AdminRemove);
        stranger_remove.assignment = Some(ended.id);
        stranger_remove.target = None;
        assert!(matches!(
            Request::create(&stranger_remove, &me(), Some(&ended), T0),
            Err(CreateError::Unauthorized(_))
        ));
    }

    #[test]
    fn invalid_policies_are_refused() {
        let mut bad = submission(RequestType::UserAdd);
        bad.rules.approval = Some(crate::ApprovalRules {
            stages: 0,
            decision_timeout: crate::Duration::days(1),
            escalate_after: None,
        });
        assert_eq!(
            Request::create(&bad, &me(), None, T0),
            Err(CreateError::Invalid(InvalidInput::ApprovalStages {
                stages: 0
            }))
        );
    }
}
