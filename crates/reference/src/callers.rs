//! A fixed pool of callers, authorized and unauthorized ones of every kind, named so that
//! counterexamples read well.

use entitle_core::{ActionKind, Caller, Permission, Principal, Role, SubjectId};

/// Who performs a step, with respect to a request submitted by [`Who::REQUESTOR`] for itself or for
/// [`Who::TARGET`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The service.
    System,
    /// The requestor with `EntitlementMgmt-SubjectAccess.ReadWrite`.
    RequestorSubjectAccess,
    /// The requestor with `Read.All` only.
    RequestorReadAll,
    /// The requestor with `ReadWrite.All`.
    RequestorReadWriteAll,
    /// The target of an administrator's request, with `SubjectAccess.ReadWrite`.
    Target,
    /// Access package assignment manager with `ReadWrite.All`.
    AssignmentManager,
    /// Access package manager with `ReadWrite.All`.
    PackageManager,
    /// Catalog owner with `ReadWrite.All`.
    CatalogOwner,
    /// Identity Governance Administrator with `ReadWrite.All`.
    GovernanceAdministrator,
    /// Catalog reader with `Read.All`.
    CatalogReader,
    /// Global Reader with `Read.All`.
    GlobalReader,
    /// Someone else with `ReadWrite.All` and no role.
    OtherWithoutRole,
    /// Every role and approver of every stage, but only `Read.All` and `SubjectAccess.ReadWrite`.
    OtherReadOnly,
    /// Primary approver of every stage, with `ReadWrite.All`.
    Approver,
    /// Primary approver of the second stage only, with `ReadWrite.All`.
    SecondStageApprover,
    /// Escalation approver of every stage, with `ReadWrite.All`.
    EscalationApprover,
    /// The requestor as primary approver of every stage.
    SelfApprover,
    /// The requestor holding the catalog owner role.
    RequestorCatalogOwner,
    /// The requestor with `SubjectAccess.ReadWrite`, whom the policy lets ask on the target's
    /// behalf (the target's manager).
    RequestorOnBehalf,
    /// An application with `ReadWrite.All`.
    Application,
    /// An application with `Read.All`.
    ApplicationReader,
    /// An application without permissions.
    ApplicationWithNothing,
    /// A personal account with the requestor's id, every permission, role and stage.
    PersonalEverything,
}

impl Who {
    /// The requestor of the requests the pool acts on.
    pub const REQUESTOR: SubjectId = subject(0xb);
    /// The target of the requests an administrator submits.
    pub const TARGET: SubjectId = subject(0xf);

    /// Every member.
    pub const ALL: [Self; 23] = [
        Self::System,
        Self::RequestorSubjectAccess,
        Self::RequestorReadAll,
        Self::RequestorReadWriteAll,
        Self::Target,
        Self::AssignmentManager,
        Self::PackageManager,
        Self::CatalogOwner,
        Self::GovernanceAdministrator,
        Self::CatalogReader,
        Self::GlobalReader,
        Self::OtherWithoutRole,
        Self::OtherReadOnly,
        Self::Approver,
        Self::SecondStageApprover,
        Self::EscalationApprover,
        Self::SelfApprover,
        Self::RequestorCatalogOwner,
        Self::RequestorOnBehalf,
        Self::Application,
        Self::ApplicationReader,
        Self::ApplicationWithNothing,
        Self::PersonalEverything,
    ];

    /// The caller.
    pub fn caller(self) -> Caller {
        let rwa = Permission::ReadWriteAll;
        let other = subject(0xc);
        let approver = subject(0xd);
        let app = subject(0xe);
        let every_stage = |caller: Caller| caller.approving(0).approving(1).approving(2);
        let every_role = |caller: Caller| {
            [
                Role::CatalogReader,
                Role::AccessPackageAssignmentManager,
                Role::AccessPackageManager,
                Role::CatalogOwner,
                Role::GlobalReader,
                Role::IdentityGovernanceAdministrator,
            ]
            .into_iter()
            .fold(caller, Caller::with_role)
        };
        match self {
            Self::System => Caller::system(),
            Self::RequestorSubjectAccess => {
                Caller::user(Self::REQUESTOR).with_permission(Permission::SubjectAccessReadWrite)
            }
            Self::RequestorReadAll => {
                Caller::user(Self::REQUESTOR).with_permission(Permission::ReadAll)
            }
            Self::RequestorReadWriteAll => Caller::user(Self::REQUESTOR).with_permission(rwa),
            Self::Target => {
                Caller::user(Self::TARGET).with_permission(Permission::SubjectAccessReadWrite)
            }
            Self::AssignmentManager => Caller::user(other)
                .with_permission(rwa)
                .with_role(Role::AccessPackageAssignmentManager),
            Self::PackageManager => Caller::user(other)
                .with_permission(rwa)
                .with_role(Role::AccessPackageManager),
            Self::CatalogOwner => Caller::user(other)
                .with_permission(rwa)
                .with_role(Role::CatalogOwner),
            Self::GovernanceAdministrator => Caller::user(other)
                .with_permission(rwa)
                .with_role(Role::IdentityGovernanceAdministrator),
            Self::CatalogReader => Caller::user(other)
                .with_permission(Permission::ReadAll)
                .with_role(Role::CatalogReader),
            Self::GlobalReader => Caller::user(other)
                .with_permission(Permission::ReadAll)
                .with_role(Role::GlobalReader),
            Self::OtherWithoutRole => Caller::user(other).with_permission(rwa),
            Self::OtherReadOnly => every_stage(every_role(
                Caller::user(other)
                    .with_permission(Permission::ReadAll)
                    .with_permission(Permission::SubjectAccessReadWrite),
            )),
            Self::Approver => every_stage(Caller::user(approver).with_permission(rwa)),
            Self::SecondStageApprover => Caller::user(approver).with_permission(rwa).approving(1),
            Self::EscalationApprover => Caller::user(approver)
                .with_permission(rwa)
                .approving_when_escalated(0)
                .approving_when_escalated(1)
                .approving_when_escalated(2),
            Self::SelfApprover => every_stage(Caller::user(Self::REQUESTOR).with_permission(rwa)),
            Self::RequestorCatalogOwner => Caller::user(Self::REQUESTOR)
                .with_permission(rwa)
                .with_role(Role::CatalogOwner),
            Self::RequestorOnBehalf => Caller::user(Self::REQUESTOR)
                .with_permission(Permission::SubjectAccessReadWrite)
                .on_behalf_of_target(),
            Self::Application => Caller::application(app).with_permission(rwa),
            Self::ApplicationReader => {
                Caller::application(app).with_permission(Permission::ReadAll)
            }
            Self::ApplicationWithNothing => Caller::application(app),
            Self::PersonalEverything => every_stage(every_role(
                Caller::new(Principal::PersonalAccount, Self::REQUESTOR)
                    .with_permission(Permission::SubjectAccessReadWrite)
                    .with_permission(Permission::ReadAll)
                    .with_permission(rwa),
            )),
        }
    }

    /// The caller who would usually perform `action`, so that runs get deep into the lifecycle.
    pub fn natural_for(action: ActionKind) -> Self {
        match action {
            ActionKind::ResumeContinue | ActionKind::ResumeDeny | ActionKind::ResumeCancel => {
                Self::Application
            }
            ActionKind::Approve | ActionKind::Deny => Self::Approver,
            ActionKind::Reprocess => Self::CatalogOwner,
            ActionKind::Cancel => Self::RequestorSubjectAccess,
            ActionKind::Process
            | ActionKind::Escalate
            | ActionKind::Expire
            | ActionKind::ReachStart
            | ActionKind::Deliver
            | ActionKind::DeliverPartially
            | ActionKind::FailDelivery => Self::System,
        }
    }
}

/// The subject with this small number as its GUID.
pub const fn subject(n: u128) -> SubjectId {
    SubjectId::new(entitle_core::Guid::from_u128(n))
}
