//! The fixed ids of the demo tenant: its users, catalog, packages, policies and seeded requests.

use entitle_core::{Guid, RequestId, RequestStatus, SubjectId};

/// The GUID `00000000-0000-4000-8000-` followed by the 12 hex digits of `tail`.
const fn guid(tail: u64) -> Guid {
    Guid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | tail as u128)
}

const fn subject(tail: u64) -> SubjectId {
    SubjectId::new(guid(tail))
}

const fn request(tail: u64) -> RequestId {
    RequestId::new(guid(tail))
}

/// Adele Vance (`adele@contoso.test`): a requestor.
pub const ADELE: SubjectId = subject(0xa001);
/// Bianca Pisani (`bianca@contoso.test`): a second requestor.
pub const BIANCA: SubjectId = subject(0xa002);
/// Alex Wilber (`alex@contoso.test`): approver of the first stage of every approval policy.
pub const ALEX: SubjectId = subject(0xa003);
/// Diego Siciliani (`diego@contoso.test`): approver of the second stage of the two-stage policy.
pub const DIEGO: SubjectId = subject(0xa004);
/// Enrico Cattaneo (`enrico@contoso.test`): alternate approver once the one-stage policy escalates.
pub const ENRICO: SubjectId = subject(0xa005);
/// Megan Bowen (`megan@contoso.test`): access package assignment manager of the General catalog.
pub const MEGAN: SubjectId = subject(0xa006);
/// Nestor Wilke (`nestor@contoso.test`): catalog owner of the General catalog.
pub const NESTOR: SubjectId = subject(0xa007);
/// Isaiah Langer (`isaiah@contoso.test`): Identity Governance Administrator. The role comes from the
/// token's `wids` ([`IDENTITY_GOVERNANCE_ADMINISTRATOR`](entitle_auth::IDENTITY_GOVERNANCE_ADMINISTRATOR)),
/// not from the directory.
pub const ISAIAH: SubjectId = subject(0xa008);
/// Lee Gu (`lee.gu@fabrikam.test`): a guest from the connected organization Fabrikam.
pub const LEE: SubjectId = subject(0xa009);
/// The application of the custom extension that resumes requests paused at `assignmentRequestCreated`
/// (the control API's [`EXTENSION_APP_ID`](crate::control::EXTENSION_APP_ID)).
pub const EXTENSION_APP: SubjectId = crate::control::EXTENSION_APP_ID;

/// The security group "Lab approvers": Diego, the second stage of "Lab access".
pub const GROUP_LAB_APPROVERS: &str = "00000000-0000-4000-8000-0000000a9001";
/// The Microsoft 365 group "Sales team": Adele, Bianca and Isaiah.
pub const GROUP_SALES_TEAM: &str = "00000000-0000-4000-8000-0000000a9002";

/// The connected organization Fabrikam (`fabrikam.test`).
pub const ORGANIZATION_FABRIKAM: &str = "00000000-0000-4000-8000-0000000c0a01";

/// The catalog "General".
pub const CATALOG_GENERAL: &str = "00000000-0000-4000-8000-0000000ca001";
/// The empty catalog "Archive".
pub const CATALOG_ARCHIVE: &str = "00000000-0000-4000-8000-0000000ca002";
/// The access package "Sales tools".
pub const PACKAGE_SALES_TOOLS: &str = "00000000-0000-4000-8000-0000000ba001";
/// The access package "Finance reports".
pub const PACKAGE_FINANCE_REPORTS: &str = "00000000-0000-4000-8000-0000000ba002";
/// The access package "Lab access".
pub const PACKAGE_LAB_ACCESS: &str = "00000000-0000-4000-8000-0000000ba003";

/// "Sales tools" without approval: delivered directly.
pub const POLICY_DIRECT: &str = "00000000-0000-4000-8000-0000000d0001";
/// "Finance reports" with one approval stage (Alex), escalating to Enrico after 3 days, expiring
/// after 14.
pub const POLICY_ONE_STAGE: &str = "00000000-0000-4000-8000-0000000d0002";
/// "Lab access" with two approval stages: Alex, then Diego (14 days each, no escalation).
pub const POLICY_TWO_STAGE: &str = "00000000-0000-4000-8000-0000000d0003";
/// "Lab access" with a custom extension at `assignmentRequestCreated` (a safety-training check) and
/// no approval.
pub const POLICY_EXTENSION: &str = "00000000-0000-4000-8000-0000000d0004";

/// The custom extension of [`POLICY_EXTENSION`] (a safety-training check): its callouts'
/// `customExtensionId`.
pub const CUSTOM_EXTENSION_SAFETY_TRAINING: &str = "00000000-0000-4000-8000-0000000e0001";

/// Finance reports' multiple-choice question: the requestor's sales region.
pub const QUESTION_REGION: &str = "00000000-0000-4000-8000-00000000f001";
/// Finance reports' text question: why the requestor needs the reports.
pub const QUESTION_FINANCE_REASON: &str = "00000000-0000-4000-8000-00000000f002";
/// Sales tools' multiple-choice question: the key accounts the requestor covers.
pub const QUESTION_KEY_ACCOUNTS: &str = "00000000-0000-4000-8000-00000000f003";
/// Sales tools' single-line text question: the accounts the requestor takes over.
pub const QUESTION_ACCOUNTS_TAKEN_OVER: &str = "00000000-0000-4000-8000-00000000f004";

/// The seeded `Accepted` request (Bianca, not yet processed).
pub const REQUEST_ACCEPTED: RequestId = request(0xc_0001);
/// The seeded `WaitingForCallback` request (Adele, paused for the custom extension).
pub const REQUEST_WAITING_FOR_CALLBACK: RequestId = request(0xc_0002);
/// The seeded `PendingApproval` request (Adele, at its second stage: Diego).
pub const REQUEST_PENDING_APPROVAL: RequestId = request(0xc_0003);
/// The seeded `PendingApprovalEscalated` request (Bianca, waiting for Alex or Enrico).
pub const REQUEST_PENDING_APPROVAL_ESCALATED: RequestId = request(0xc_0004);
/// The seeded `PendingNotBefore` request (Adele, approved, starting 7 days after seeding).
pub const REQUEST_PENDING_NOT_BEFORE: RequestId = request(0xc_0005);
/// The seeded `Delivering` request (Megan assigning Bianca).
pub const REQUEST_DELIVERING: RequestId = request(0xc_0006);
/// The seeded `Delivered` request (Adele).
pub const REQUEST_DELIVERED: RequestId = request(0xc_0007);
/// The seeded `PartiallyDelivered` request (Bianca, after both approval stages).
pub const REQUEST_PARTIALLY_DELIVERED: RequestId = request(0xc_0008);
/// The seeded `DeliveryFailed` request (Nestor assigning Adele, resumed by the custom extension).
pub const REQUEST_DELIVERY_FAILED: RequestId = request(0xc_0009);
/// The seeded `Denied` request (Bianca, denied by Alex).
pub const REQUEST_DENIED: RequestId = request(0xc_000a);
/// The seeded `Expired` request (Adele, escalated, then timed out).
pub const REQUEST_EXPIRED: RequestId = request(0xc_000b);
/// The seeded `Canceled` request (Bianca, canceled by herself).
pub const REQUEST_CANCELED: RequestId = request(0xc_000c);

/// A second `Delivered` request: Megan assigned Diego directly, without a justification, for a
/// schedule that started at once; its assignment was later removed by [`REQUEST_REMOVAL`].
pub const REQUEST_ENDED: RequestId = request(0xc_000d);
/// A delivered `adminRemove` (Megan) of Diego's assignment from [`REQUEST_ENDED`]: that assignment
/// is `expired`.
pub const REQUEST_REMOVAL: RequestId = request(0xc_000e);

/// A `PendingApproval` request of Lee, a guest from Fabrikam, for Lab access (Alex, then Diego).
pub const REQUEST_GUEST: RequestId = request(0xc_000f);

/// The requests seeded besides [`seeded`]'s one per status: an assignment's whole life, from a
/// direct assignment to its removal, so an ended assignment can be read; and a guest's request.
pub const fn seeded_more() -> [(RequestStatus, RequestId); 3] {
    [
        (RequestStatus::Delivered, REQUEST_ENDED),
        (RequestStatus::Delivered, REQUEST_REMOVAL),
        (RequestStatus::PendingApproval, REQUEST_GUEST),
    ]
}

/// The seeded requests: one per status, in the order of `RequestStatus::VARIANTS`.
pub const fn seeded() -> [(RequestStatus, RequestId); 12] {
    use RequestStatus as S;
    [
        (S::Accepted, REQUEST_ACCEPTED),
        (S::WaitingForCallback, REQUEST_WAITING_FOR_CALLBACK),
        (S::PendingApproval, REQUEST_PENDING_APPROVAL),
        (
            S::PendingApprovalEscalated,
            REQUEST_PENDING_APPROVAL_ESCALATED,
        ),
        (S::PendingNotBefore, REQUEST_PENDING_NOT_BEFORE),
        (S::Delivering, REQUEST_DELIVERING),
        (S::Delivered, REQUEST_DELIVERED),
        (S::PartiallyDelivered, REQUEST_PARTIALLY_DELIVERED),
        (S::DeliveryFailed, REQUEST_DELIVERY_FAILED),
        (S::Denied, REQUEST_DENIED),
        (S::Expired, REQUEST_EXPIRED),
        (S::Canceled, REQUEST_CANCELED),
    ]
}

#[cfg(test)]
mod tests {
    /// Every public id and function of this module is named in `docs/demo.md`.
    #[test]
    fn docs_demo_names_every_id() {
        let docs = include_str!("../../../../docs/demo.md");
        let source = include_str!("ids.rs");
        let names: Vec<&str> = source
            .lines()
            .filter_map(|line| {
                let rest = line
                    .strip_prefix("pub const fn ")
                    .or_else(|| line.strip_prefix("pub const "))?;
                rest.split([':', '(']).next()
            })
            .collect();
        assert!(names.len() > 40, "{names:?}");
        for name in names {
            let mention = if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                format!("`{name}`")
            } else {
                format!("`{name}()`")
            };
            assert!(
                docs.contains(&mention),
                "docs/demo.md does not name {mention}"
            );
        }
    }
}
