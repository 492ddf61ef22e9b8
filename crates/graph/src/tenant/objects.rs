//! The Graph objects of a tenant document, as Graph's list calls return them (v1.0): every
//! documented property typed, optional where Graph may leave it out.

use std::collections::BTreeMap;

use entitle_core::{GroupId, SubjectId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::subject_set::SubjectSetObject;

/// A reference to another object by id, as `$expand` or a create body writes it: `{"id": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The object's id.
    pub id: String,
    /// Any other property of the expanded object, kept as exported.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Reference {
    /// A reference to `id`.
    pub fn to(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            other: BTreeMap::new(),
        }
    }
}

/// A `user`. Directory objects carry many properties entitle does not read; they are kept as
/// exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserObject {
    /// `id`.
    pub id: SubjectId,
    /// `displayName`.
    pub display_name: String,
    /// `userPrincipalName`.
    pub user_principal_name: String,
    /// `mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// `userType`: `Member` or `Guest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// `manager`, as `$expand=manager` returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Reference>,
    /// The other properties, kept as exported.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A `group`, with its direct `members` as `$expand=members` returns them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupObject {
    /// `id`.
    pub id: GroupId,
    /// `displayName`.
    pub display_name: String,
    /// `members`.
    #[serde(default)]
    pub members: Vec<Reference>,
    /// The other properties, kept as exported.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// An `accessPackageCatalog`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogObject {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `catalogType`: `userManaged`, `serviceDefault`, `serviceManaged`.
    #[serde(default)]
    pub catalog_type: Option<String>,
    /// `state`: `unpublished` or `published`.
    #[serde(default)]
    pub state: Option<String>,
    /// `isExternallyVisible`.
    #[serde(default)]
    pub is_externally_visible: Option<bool>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `modifiedDateTime`.
    #[serde(default)]
    pub modified_date_time: Option<String>,
    /// `createdBy` (beta only), who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `modifiedBy` (beta only), who changed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
}

/// An `accessPackage`, with its `catalog` (`$expand=catalog`) and, when exported with
/// `$expand=assignmentPolicies`, its policies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessPackageObject {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `isHidden`.
    #[serde(default)]
    pub is_hidden: Option<bool>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `modifiedDateTime`.
    #[serde(default)]
    pub modified_date_time: Option<String>,
    /// `createdBy` (beta only), who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `modifiedBy` (beta only), who changed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    /// `catalog`: the catalog it belongs to.
    #[serde(default)]
    pub catalog: Option<Reference>,
    /// `assignmentPolicies`, when the export expanded them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignment_policies: Vec<PolicyObject>,
}

/// `expirationPattern`: when assignments under a policy end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpirationObject {
    /// `endDateTime`.
    #[serde(default)]
    pub end_date_time: Option<String>,
    /// `duration`, an ISO 8601 duration.
    #[serde(default)]
    pub duration: Option<String>,
    /// `type`: `notSpecified`, `noExpiration`, `afterDateTime`, `afterDuration`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `accessPackageAssignmentRequestorSettings`: who may ask, and for what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestorSettingsObject {
    /// `enableTargetsToSelfAddAccess`.
    #[serde(default)]
    pub enable_targets_to_self_add_access: Option<bool>,
    /// `enableTargetsToSelfUpdateAccess`.
    #[serde(default)]
    pub enable_targets_to_self_update_access: Option<bool>,
    /// `enableTargetsToSelfRemoveAccess`.
    #[serde(default)]
    pub enable_targets_to_self_remove_access: Option<bool>,
    /// `allowCustomAssignmentSchedule`.
    #[serde(default)]
    pub allow_custom_assignment_schedule: Option<bool>,
    /// `enableOnBehalfRequestorsToAddAccess`.
    #[serde(default)]
    pub enable_on_behalf_requestors_to_add_access: Option<bool>,
    /// `enableOnBehalfRequestorsToUpdateAccess`.
    #[serde(default)]
    pub enable_on_behalf_requestors_to_update_access: Option<bool>,
    /// `enableOnBehalfRequestorsToRemoveAccess`.
    #[serde(default)]
    pub enable_on_behalf_requestors_to_remove_access: Option<bool>,
    /// `onBehalfRequestors`.
    #[serde(default)]
    pub on_behalf_requestors: Vec<SubjectSetObject>,
}

/// `accessPackageAssignmentApprovalSettings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalSettingsObject {
    /// `isApprovalRequiredForAdd`.
    #[serde(default)]
    pub is_approval_required_for_add: Option<bool>,
    /// `isApprovalRequiredForUpdate`.
    #[serde(default)]
    pub is_approval_required_for_update: Option<bool>,
    /// `isRequestorJustificationRequired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_requestor_justification_required: Option<bool>,
    /// `stages`: one to three.
    #[serde(default)]
    pub stages: Vec<StageObject>,
}

/// `accessPackageApprovalStage`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageObject {
    /// `durationBeforeAutomaticDenial`, an ISO 8601 duration.
    #[serde(default)]
    pub duration_before_automatic_denial: Option<String>,
    /// `isApproverJustificationRequired`.
    #[serde(default)]
    pub is_approver_justification_required: Option<bool>,
    /// `isEscalationEnabled`.
    #[serde(default)]
    pub is_escalation_enabled: Option<bool>,
    /// `durationBeforeEscalation`, an ISO 8601 duration.
    #[serde(default)]
    pub duration_before_escalation: Option<String>,
    /// `primaryApprovers`.
    #[serde(default)]
    pub primary_approvers: Vec<SubjectSetObject>,
    /// `fallbackPrimaryApprovers`.
    #[serde(default)]
    pub fallback_primary_approvers: Vec<SubjectSetObject>,
    /// `escalationApprovers`.
    #[serde(default)]
    pub escalation_approvers: Vec<SubjectSetObject>,
    /// `fallbackEscalationApprovers`.
    #[serde(default)]
    pub fallback_escalation_approvers: Vec<SubjectSetObject>,
}

/// `customExtensionStageSetting`: a custom extension a policy calls at one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomExtensionStageObject {
    /// `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `stage`, such as `assignmentRequestCreated`.
    pub stage: String,
    /// `customExtension`.
    pub custom_extension: Reference,
}

/// An `accessPackageAssignmentPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyObject {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `allowedTargetScope`.
    #[serde(default)]
    pub allowed_target_scope: Option<String>,
    /// `specificAllowedTargets`.
    #[serde(default)]
    pub specific_allowed_targets: Vec<SubjectSetObject>,
    /// `expiration`.
    #[serde(default)]
    pub expiration: Option<ExpirationObject>,
    /// `requestorSettings`.
    #[serde(default)]
    pub requestor_settings: Option<RequestorSettingsObject>,
    /// `requestApprovalSettings`.
    #[serde(default)]
    pub request_approval_settings: Option<ApprovalSettingsObject>,
    /// `automaticRequestSettings`, kept as given.
    #[serde(default)]
    pub automatic_request_settings: Option<Value>,
    /// `reviewSettings`, kept as given.
    #[serde(default)]
    pub review_settings: Option<Value>,
    /// `questions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<QuestionObject>,
    /// `customExtensionStageSettings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_extension_stage_settings: Vec<CustomExtensionStageObject>,
    /// `accessPackage`: the package it belongs to (unless nested in one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_package: Option<Reference>,
    /// `catalog`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Reference>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `modifiedDateTime`.
    #[serde(default)]
    pub modified_date_time: Option<String>,
    /// `createdBy` (beta only), who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `modifiedBy` (beta only), who changed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
}

/// A catalog's custom extension (`accessPackageAssignmentRequestWorkflowExtension` and its kin),
/// kept as exported: entitle calls none, it shows them where a policy's stage settings name them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomExtensionObject {
    /// `id`.
    pub id: String,
    /// The other properties, kept as exported.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `accessPackageLocalizedText`: a text in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalizedTextObject {
    /// `text`.
    pub text: String,
    /// `languageCode`.
    pub language_code: String,
}

/// `accessPackageAnswerChoice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChoiceObject {
    /// `actualValue`.
    pub actual_value: String,
    /// `text`: what the requestor sees.
    #[serde(default)]
    pub text: Option<String>,
    /// `localizations`: the text in other languages.
    #[serde(default)]
    pub localizations: Vec<LocalizedTextObject>,
}

/// An `accessPackageQuestion`, as v1.0 writes it: a text input or a multiple-choice question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@odata.type", deny_unknown_fields)]
pub enum QuestionObject {
    /// `accessPackageTextInputQuestion`.
    #[serde(
        rename = "#microsoft.graph.accessPackageTextInputQuestion",
        rename_all = "camelCase"
    )]
    TextInput {
        /// `id`.
        id: String,
        /// `sequence`.
        #[serde(default)]
        sequence: Option<i32>,
        /// `isRequired`.
        #[serde(default)]
        is_required: Option<bool>,
        /// `isAnswerEditable`.
        #[serde(default)]
        is_answer_editable: Option<bool>,
        /// `text`.
        #[serde(default)]
        text: Option<String>,
        /// `localizations`.
        #[serde(default)]
        localizations: Vec<LocalizedTextObject>,
        /// `isSingleLineQuestion`.
        #[serde(default)]
        is_single_line_question: Option<bool>,
        /// `regexPattern`.
        #[serde(default)]
        regex_pattern: Option<String>,
    },
    /// `accessPackageMultipleChoiceQuestion`.
    #[serde(
        rename = "#microsoft.graph.accessPackageMultipleChoiceQuestion",
        rename_all = "camelCase"
    )]
    MultipleChoice {
        /// `id`.
        id: String,
        /// `sequence`.
        #[serde(default)]
        sequence: Option<i32>,
        /// `isRequired`.
        #[serde(default)]
        is_required: Option<bool>,
        /// `isAnswerEditable`.
        #[serde(default)]
        is_answer_editable: Option<bool>,
        /// `text`.
        #[serde(default)]
        text: Option<String>,
        /// `localizations`.
        #[serde(default)]
        localizations: Vec<LocalizedTextObject>,
        /// `choices`.
        #[serde(default)]
        choices: Vec<ChoiceObject>,
        /// `isMultipleSelectionAllowed`.
        #[serde(default)]
        is_multiple_selection_allowed: Option<bool>,
    },
}

/// A `unifiedRoleAssignment` of the entitlement-management provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignmentObject {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `principalId`.
    pub principal_id: String,
    /// `roleDefinitionId`: one of the entitlement-management role template ids.
    pub role_definition_id: String,
    /// `appScopeId`: `/AccessPackageCatalog/{id}` for one catalog, `/` for all.
    #[serde(default)]
    pub app_scope_id: Option<String>,
    /// `directoryScopeId`.
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    /// `principal`, when exported with `$expand=principal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Reference>,
}

/// An `identitySource` of a connected organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@odata.type", deny_unknown_fields)]
pub enum IdentitySourceObject {
    /// `domainIdentitySource`: users signing in with an email of this domain.
    #[serde(
        rename = "#microsoft.graph.domainIdentitySource",
        rename_all = "camelCase"
    )]
    Domain {
        /// `domainName`.
        domain_name: String,
        /// `displayName`.
        #[serde(default)]
        display_name: Option<String>,
    },
    /// `azureActiveDirectoryTenant`: a Microsoft Entra tenant.
    #[serde(
        rename = "#microsoft.graph.azureActiveDirectoryTenant",
        rename_all = "camelCase"
    )]
    EntraTenant {
        /// `tenantId`.
        tenant_id: String,
        /// `displayName`.
        #[serde(default)]
        display_name: Option<String>,
    },
    /// `externalDomainFederation`.
    #[serde(
        rename = "#microsoft.graph.externalDomainFederation",
        rename_all = "camelCase"
    )]
    ExternalDomainFederation {
        /// `domainName`.
        domain_name: String,
        /// `displayName`.
        #[serde(default)]
        display_name: Option<String>,
        /// `issuerUri`.
        #[serde(default)]
        issuer_uri: Option<String>,
    },
}

/// A `connectedOrganization`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectedOrganizationObject {
    /// `id`.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `identitySources`.
    #[serde(default)]
    pub identity_sources: Vec<IdentitySourceObject>,
    /// `state`: `configured` or `proposed`.
    #[serde(default)]
    pub state: Option<String>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `modifiedDateTime`.
    #[serde(default)]
    pub modified_date_time: Option<String>,
}

impl ConnectedOrganizationObject {
    /// The email domains its users sign in with.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.identity_sources
            .iter()
            .filter_map(|source| match source {
                IdentitySourceObject::Domain { domain_name, .. }
                | IdentitySourceObject::ExternalDomainFederation { domain_name, .. } => {
                    Some(domain_name.as_str())
                }
                IdentitySourceObject::EntraTenant { .. } => None,
            })
    }
}
