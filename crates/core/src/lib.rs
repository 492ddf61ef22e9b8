//! # entitle-core
//!
//! The verified lifecycle model of a Microsoft Entra entitlement-management *access package assignment
//! request*: its statuses, the actions that move it, who may perform them, and above all the rule of
//! `POST …/assignmentRequests/{id}/cancel`, which applies only while the status is `accepted`,
//! `pendingApproval`, `pendingNotBefore` or `pendingApprovalEscalated`.
//!
//! The crate does no I/O: it is `#![no_std]`, never reads a clock, a file or the network, and decides
//! from its inputs alone. Time, ids and callers are plain values you pass in.
//!
//! One table, [`TRANSITIONS`], drives [`Request::apply`], the tests, the `entitle` CLI and the
//! generated documentation. Every (status, action) pair has an outcome: a target status or a typed
//! [`Rejection`], and a rejection changes nothing.
//!
//! ## Deciding whether to show a Cancel button
//!
//! ```
//! use entitle_core::{
//!     Action, ActionKind, Caller, Permission, PolicyRules, Request, RequestId, RequestStatus,
//!     SubjectId, Timestamp,
//! };
//!
//! let requestor = SubjectId::parse("2f3c7a1e-8a4b-4d53-9f0e-7f5c2b9d1a01")?;
//! let id = RequestId::parse("6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c")?;
//! let now = Timestamp(1_767_225_600_000);
//! let mut request = Request::submit(id, requestor, PolicyRules::default(), None, now)?;
//!
//! // The signed-in requestor, with the least privileged delegated permission.
//! let me = Caller::user(requestor).with_permission(Permission::SubjectAccessReadWrite);
//! assert!(request.can_cancel(&me, now));
//!
//! // Once delivery starts, the button goes away.
//! request.apply_in_place(&Action::by_system(ActionKind::Process), now)?;
//! assert_eq!(request.status, RequestStatus::Delivering);
//! assert!(!request.can_cancel(&me, now));
//!
//! // A status string from Graph: unknown values are never cancelable.
//! assert!(RequestStatus::is_cancelable_str("pendingApprovalEscalated"));
//! assert!(!RequestStatus::is_cancelable_str("SomethingNew"));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! ## Driving a request
//!
//! An adapter loads a request, calls [`Request::apply`] with the caller and the current time, and
//! persists [`Step::request`] only if the stored request has not changed meanwhile. It schedules the
//! service's timed actions ([`ActionKind::Escalate`], [`ActionKind::Expire`],
//! [`ActionKind::ReachStart`]) from [`Request::next_deadline`].

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

#[macro_use]
mod names;

mod action;
mod actor;
mod admission;
mod approval;
mod assignment;
mod authz;
mod callout;
mod catalog_access;
mod directory_access;
mod error;
mod id;
mod operation;
mod people;
mod policy;
mod provenance;
mod request;
mod request_type;
mod status;
mod submission;
mod table;
mod tenant_change;
mod time;

pub use action::ActionKind;
pub use actor::{ApproverOf, Caller, Permission, Permissions, Principal, Role, Roles, StageSet};
pub use admission::{NotAdmitted, RequestorRules, TargetFacts, TargetKind, TargetScope, admit};
pub use approval::{
    Review, ReviewDecision, ReviewResult, Stage, StageOutcome, StageRejection, StageStatus,
    StageView,
};
pub use assignment::{
    ASSIGNMENT_TRANSITIONS, Assignment, AssignmentCondition, AssignmentEvent, AssignmentRejection,
    AssignmentState, AssignmentStep, AssignmentTransition, assignment_rows,
};
pub use authz::{Authority, Denial, authorize, authorize_review};
pub use callout::{Callout, CalloutStatus};
pub use catalog_access::{CatalogDenial, CatalogOperation, authorize_catalog, authorize_listing};
pub use directory_access::{
    DirectoryDenial, DirectoryOperation, MemberKind, MemberView, authorize_directory, member_view,
};
pub use error::{InvalidInput, Rejection};
pub use id::{AssignmentId, GroupId, Guid, RequestId, StageId, SubjectId};
pub use operation::{Operation, Parties};
pub use people::{People, StageApprovers, SubjectSet, approver_of};
pub use policy::{ApprovalRules, MAX_APPROVAL_STAGES, PolicyRules};
pub use provenance::{Decision, Provenance, Source};
pub use request::{Action, Deadline, Decided, Request, Stages, Step};
pub use request_type::{Effect, RequestType, Submitter};
pub use status::{ApiVersion, RequestState, RequestStatus};
pub use strum::{EnumCount, VariantArray};
pub use submission::{CreateError, Created, Submission};
pub use table::{
    Condition, REPROCESS_WINDOW, REPROCESS_WINDOW_DAYS, TRANSITIONS, Transition, rows,
};
pub use tenant_change::{Change, DeleteRefusal, Dependents, TenantObject, may_delete};
pub use time::{Duration, Timestamp};

/// The version of entitle-core, as in its manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
