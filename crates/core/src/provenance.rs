//! Where each fact of the model comes from: a Microsoft document, or a recorded decision of entitle's.

use core::fmt;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// A Microsoft document that states a fact the model relies on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// The Graph `cancel` action page (v1.0 and beta), including its permissions and role include.
    CancelApi,
    /// The Graph page for creating an assignment request, whose examples answer `Submitted`/`Accepted`.
    CreateApi,
    /// The Graph v1.0 page for getting an assignment request, whose example shows `Delivered`.
    GetApi,
    /// The Graph beta examples of a delivered request: the newest show `requestStatus` `Delivered`,
    /// older ones `Fulfilled`.
    BetaExamples,
    /// The Graph `resume` action page: `WaitingForCallback`, and a callback that denies or cancels.
    ResumeApi,
    /// The Graph `reprocess` action page: from `DeliveryFailed` or `PartiallyDelivered`, within 14 days.
    ReprocessApi,
    /// The Graph resource page listing the `accessPackageRequestState` members.
    RequestStateEnum,
    /// The Microsoft Entra page on the request process: approval, denial, expiry, delivery.
    RequestProcess,
    /// The PowerShell example pairing `RequestState` `Scheduled` with `RequestStatus` `PendingNotBefore`.
    PowerShellExample,
    /// The Graph page for updating an approval stage: who may approve or deny.
    ApprovalStageApi,
    /// The Graph pages for listing and getting approval stages: who may read them.
    ApprovalStagesApi,
    /// The Graph page for listing assignment requests.
    ListApi,
    /// The Graph `filterByCurrentUser` function of assignment requests.
    FilterByCurrentUserApi,
    /// The Graph page for deleting an assignment request: only denied or completed requests without an
    /// assignment.
    DeleteApi,
    /// The Graph resource page of `accessPackageAssignment`: its states.
    AssignmentResource,
    /// The Graph pages for listing and getting access package assignments: who may read them.
    AssignmentsApi,
    /// The Graph `filterByCurrentUser` function of access package assignments.
    AssignmentFilterApi,
    /// The Graph resource `accessPackageAssignmentRequestCallbackData`: a callback's `state` denies or
    /// cancels the request.
    CallbackData,
}

impl Source {
    /// A short human title of the document.
    pub const fn title(self) -> &'static str {
        match self {
            Self::CancelApi => "Graph: accessPackageAssignmentRequest: cancel",
            Self::CreateApi => "Graph: create accessPackageAssignmentRequest",
            Self::GetApi => "Graph v1.0: get accessPackageAssignmentRequest",
            Self::BetaExamples => "Graph beta: get/list accessPackageAssignmentRequest examples",
            Self::ResumeApi => "Graph: accessPackageAssignmentRequest: resume",
            Self::ReprocessApi => "Graph: accessPackageAssignmentRequest: reprocess",
            Self::RequestStateEnum => "Graph: accessPackageAssignmentRequest resource (state enum)",
            Self::RequestProcess => "Microsoft Entra: request process and email notifications",
            Self::PowerShellExample => {
                "PowerShell: Get-MgEntitlementManagementAccessPackageAssignmentRequest"
            }
            Self::ApprovalStageApi => "Graph: update approvalStage",
            Self::ApprovalStagesApi => "Graph: list approval stages",
            Self::ListApi => "Graph: list assignmentRequests",
            Self::FilterByCurrentUserApi => {
                "Graph: accessPackageAssignmentRequest: filterByCurrentUser"
            }
            Self::DeleteApi => "Graph: delete accessPackageAssignmentRequest",
            Self::AssignmentResource => "Graph: accessPackageAssignment resource",
            Self::AssignmentsApi => "Graph: list and get accessPackageAssignments",
            Self::AssignmentFilterApi => "Graph: accessPackageAssignment: filterByCurrentUser",
            Self::CallbackData => "Graph: accessPackageAssignmentRequestCallbackData resource",
        }
    }

    /// Where the document is published.
    pub const fn url(self) -> &'static str {
        match self {
            Self::CancelApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-cancel"
            }
            Self::CreateApi => {
                "https://learn.microsoft.com/graph/api/entitlementmanagement-post-assignmentrequests"
            }
            Self::GetApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-get?view=graph-rest-1.0"
            }
            Self::BetaExamples => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-get?view=graph-rest-beta"
            }
            Self::ResumeApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-resume"
            }
            Self::ReprocessApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-reprocess"
            }
            Self::RequestStateEnum => {
                "https://learn.microsoft.com/graph/api/resources/accesspackageassignmentrequest"
            }
            Self::RequestProcess => {
                "https://learn.microsoft.com/entra/id-governance/entitlement-management-process"
            }
            Self::PowerShellExample => {
                "https://learn.microsoft.com/powershell/module/microsoft.graph.identity.governance/get-mgentitlementmanagementaccesspackageassignmentrequest"
            }
            Self::ApprovalStageApi => "https://learn.microsoft.com/graph/api/approvalstage-update",
            Self::ApprovalStagesApi => "https://learn.microsoft.com/graph/api/approval-list-stages",
            Self::ListApi => {
                "https://learn.microsoft.com/graph/api/entitlementmanagement-list-assignmentrequests"
            }
            Self::FilterByCurrentUserApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-filterbycurrentuser"
            }
            Self::DeleteApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignmentrequest-delete"
            }
            Self::AssignmentResource => {
                "https://learn.microsoft.com/graph/api/resources/accesspackageassignment"
            }
            Self::AssignmentsApi => {
                "https://learn.microsoft.com/graph/api/entitlementmanagement-list-assignments"
            }
            Self::AssignmentFilterApi => {
                "https://learn.microsoft.com/graph/api/accesspackageassignment-filterbycurrentuser"
            }
            Self::CallbackData => {
                "https://learn.microsoft.com/graph/api/resources/accesspackageassignmentrequestcallbackdata"
            }
        }
    }
}

/// A decision entitle made where Microsoft's documents are silent or disagree.
///
/// Each is recorded, with its sources, under its [`Decision::id`] in `docs/decisions.md`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray,
)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// Status values are PascalCase on the wire; parsing ignores case and knows the documented aliases.
    StatusSpelling,
    /// Which coarse state a status pairs with where no example shows the pair.
    StatusStatePairing,
    /// Every submission starts `Accepted`; the service's `process` step routes it by policy facts.
    SubmissionRouting,
    /// `cancel` is allowed exactly from the four statuses the API page lists.
    CancelableStatuses,
    /// A successful cancel ends in `Canceled` with its completion time; a second cancel is rejected.
    CancelOutcome,
    /// Escalation is a timed step to `PendingApprovalEscalated`, which otherwise behaves as pending.
    Escalation,
    /// An approval timeout ends the request as `Expired`, whose coarse state is `denied`.
    ApprovalExpiry,
    /// Delivery ends in one of three outcomes; only full delivery is final.
    DeliveryOutcomes,
    /// Reprocessing is allowed for 14 days after the first completion, inclusive.
    ReprocessWindow,
    /// Only the `assignmentRequestCreated` custom-extension stage pauses a request.
    CalloutStage,
    /// After the last approval stage, a future start date waits; otherwise delivery begins.
    ApprovalCompletion,
    /// Who may cancel, as documented, with application-only and personal accounts refused.
    CancelAuthority,
    /// Who may perform the actions whose permissions Microsoft documents only in part.
    ActionAuthority,
    /// A status string entitle does not know is never cancelable.
    FailClosed,
    /// Who may read, list, create and delete requests, and which requests may be deleted.
    OperationAccess,
    /// How a request's approval stages progress, who may review each one and when, and what Graph shows
    /// of them.
    ApprovalStages,
    /// Which request types exist, who may submit each, and which go through approval and the custom
    /// extension.
    RequestTypes,
    /// The states of an access package assignment and how requests move it.
    AssignmentLifecycle,
}

impl Decision {
    /// The decision's identifier in `docs/decisions.md`, such as `D4`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::StatusSpelling => "D1",
            Self::StatusStatePairing => "D2",
            Self::SubmissionRouting => "D3",
            Self::CancelableStatuses => "D4",
            Self::CancelOutcome => "D5",
            Self::Escalation => "D6",
            Self::ApprovalExpiry => "D7",
            Self::DeliveryOutcomes => "D8",
            Self::ReprocessWindow => "D9",
            Self::CalloutStage => "D10",
            Self::ApprovalCompletion => "D11",
            Self::CancelAuthority => "D12",
            Self::ActionAuthority => "D13",
            Self::FailClosed => "D14",
            Self::OperationAccess => "D15",
            Self::ApprovalStages => "D18",
            Self::RequestTypes => "D20",
            Self::AssignmentLifecycle => "D21",
        }
    }
}

/// Whether a fact is stated by Microsoft or decided by entitle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Provenance {
    /// Stated in the given Microsoft document.
    Documented(Source),
    /// Decided by entitle where the documents are silent or disagree.
    Modelled(Decision),
}

impl Provenance {
    /// Whether Microsoft documents this fact.
    pub const fn is_documented(self) -> bool {
        matches!(self, Self::Documented(_))
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Documented(source) => write!(f, "documented: {}", source.title()),
            Self::Modelled(decision) => write!(f, "modelled: {}", decision.id()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::string::ToString;

    #[test]
    fn decision_ids_are_unique_and_increasing() {
        let numbers: alloc::vec::Vec<u32> = Decision::VARIANTS
            .iter()
            .map(|decision| {
                let id = decision.id();
                assert!(id.starts_with('D'), "{id}");
                id.trim_start_matches('D').parse().unwrap()
            })
            .collect();
        assert!(
            numbers.windows(2).all(|pair| pair[0] < pair[1]),
            "{numbers:?}"
        );
        // The first fourteen are the lifecycle's, numbered from D1 without gaps.
        assert_eq!(
            numbers.get(..14),
            Some(&(1..=14).collect::<alloc::vec::Vec<_>>()[..])
        );
    }

    #[test]
    fn sources_have_distinct_titles_and_https_urls() {
        let titles: BTreeSet<_> = Source::VARIANTS.iter().map(|s| s.title()).collect();
        assert_eq!(titles.len(), Source::VARIANTS.len());
        for source in Source::VARIANTS {
            assert!(source.url().starts_with("https://learn.microsoft.com/"));
        }
    }

    #[test]
    fn display_names_the_kind() {
        assert_eq!(
            Provenance::Modelled(Decision::CancelOutcome).to_string(),
            "modelled: D5"
        );
        assert!(Provenance::Documented(Source::CancelApi).is_documented());
        assert!(!Provenance::Modelled(Decision::FailClosed).is_documented());
    }
}
