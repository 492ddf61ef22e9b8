//! Graph's `subjectSet`s as a policy writes them (approvers, on-behalf requestors, allowed
//! targets), and the sets entitle-core resolves.

use entitle_core::SubjectSet;
use serde::{Deserialize, Serialize};

/// A `subjectSet`, told apart by its `@odata.type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@odata.type", deny_unknown_fields)]
pub enum SubjectSetObject {
    /// `singleUser`: one user.
    #[serde(rename = "#microsoft.graph.singleUser", rename_all = "camelCase")]
    SingleUser {
        /// `userId`.
        user_id: String,
        /// `description`.
        #[serde(default)]
        description: Option<String>,
    },
    /// `groupMembers`: a group's members.
    #[serde(rename = "#microsoft.graph.groupMembers", rename_all = "camelCase")]
    GroupMembers {
        /// `groupId`.
        group_id: String,
        /// `description`.
        #[serde(default)]
        description: Option<String>,
    },
    /// `requestorManager`: the requestor's manager, `managerLevel` steps up.
    #[serde(rename = "#microsoft.graph.requestorManager", rename_all = "camelCase")]
    RequestorManager {
        /// `managerLevel`: 1 is the direct manager.
        #[serde(default)]
        manager_level: Option<i32>,
    },
    /// `targetManager`: as an on-behalf requestor, the target's manager.
    #[serde(rename = "#microsoft.graph.targetManager", rename_all = "camelCase")]
    TargetManager {
        /// `managerLevel`: 1 is the direct manager.
        #[serde(default)]
        manager_level: Option<i32>,
    },
    /// `internalSponsors` of the requestor's connected organization.
    #[serde(rename = "#microsoft.graph.internalSponsors")]
    InternalSponsors {},
    /// `externalSponsors` of the requestor's connected organization.
    #[serde(rename = "#microsoft.graph.externalSponsors")]
    ExternalSponsors {},
    /// `targetUserSponsors`: the requesting user's sponsors.
    #[serde(rename = "#microsoft.graph.targetUserSponsors")]
    TargetUserSponsors {},
    /// `connectedOrganizationMembers`: users of one connected organization.
    #[serde(
        rename = "#microsoft.graph.connectedOrganizationMembers",
        rename_all = "camelCase"
    )]
    ConnectedOrganizationMembers {
        /// `connectedOrganizationId`.
        connected_organization_id: String,
        /// `description`.
        #[serde(default)]
        description: Option<String>,
    },
    /// `attributeRuleMembers`: users matching a membership rule.
    #[serde(
        rename = "#microsoft.graph.attributeRuleMembers",
        rename_all = "camelCase"
    )]
    AttributeRuleMembers {
        /// `description`.
        #[serde(default)]
        description: Option<String>,
        /// `membershipRule`.
        #[serde(default)]
        membership_rule: Option<String>,
    },
    /// `singleServicePrincipal`: one service principal.
    #[serde(
        rename = "#microsoft.graph.singleServicePrincipal",
        rename_all = "camelCase"
    )]
    SingleServicePrincipal {
        /// `servicePrincipalId`.
        service_principal_id: String,
        /// `description`.
        #[serde(default)]
        description: Option<String>,
    },
}

/// The `@odata.type` values that tell subject sets apart.
pub(crate) const SUBJECT_SET_TYPES: [&str; 10] = [
    "#microsoft.graph.singleUser",
    "#microsoft.graph.groupMembers",
    "#microsoft.graph.requestorManager",
    "#microsoft.graph.targetManager",
    "#microsoft.graph.internalSponsors",
    "#microsoft.graph.externalSponsors",
    "#microsoft.graph.targetUserSponsors",
    "#microsoft.graph.connectedOrganizationMembers",
    "#microsoft.graph.attributeRuleMembers",
    "#microsoft.graph.singleServicePrincipal",
];

/// Why a subject set cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubjectSetError {
    /// An id that is not a GUID.
    #[error("`{0}` is not a GUID")]
    Id(String),
    /// A manager level outside 1 to 255.
    #[error("`managerLevel` {0} is not a level from 1 up")]
    Level(i32),
}

impl SubjectSetObject {
    /// The set entitle-core resolves: users, group members and managers; the rest name no one
    /// (D26).
    ///
    /// # Errors
    /// [`SubjectSetError`] for an id that is not a GUID or a level below 1.
    pub fn to_core(&self) -> Result<SubjectSet, SubjectSetError> {
        let level = |level: Option<i32>| {
            let level = level.unwrap_or(1);
            u8::try_from(level)
                .ok()
                .filter(|level| *level >= 1)
                .ok_or(SubjectSetError::Level(level))
        };
        match self {
            Self::SingleUser { user_id, .. } => entitle_core::SubjectId::parse(user_id)
                .map(|user| SubjectSet::SingleUser { user })
                .map_err(|_| SubjectSetError::Id(user_id.clone())),
            Self::GroupMembers { group_id, .. } => entitle_core::GroupId::parse(group_id)
                .map(|group| SubjectSet::GroupMembers { group })
                .map_err(|_| SubjectSetError::Id(group_id.clone())),
            Self::RequestorManager { manager_level } | Self::TargetManager { manager_level } => {
                Ok(SubjectSet::RequestorManager {
                    level: level(*manager_level)?,
                })
            }
            Self::InternalSponsors {}
            | Self::ExternalSponsors {}
            | Self::TargetUserSponsors {}
            | Self::ConnectedOrganizationMembers { .. }
            | Self::AttributeRuleMembers { .. }
            | Self::SingleServicePrincipal { .. } => Ok(SubjectSet::Unresolved),
        }
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::{Guid, SubjectId};
    use serde_json::json;

    use super::*;

    #[test]
    fn sets_read_as_graph_writes_them() {
        let user: SubjectSetObject = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.singleUser",
            "userId": "00000000-0000-4000-8000-00000000a003",
            "description": "Alex"
        }))
        .unwrap();
        assert_eq!(
            user.to_core(),
            Ok(SubjectSet::SingleUser {
                user: SubjectId::new(Guid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_a003))
            })
        );
        let manager: SubjectSetObject = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.requestorManager",
            "managerLevel": 2
        }))
        .unwrap();
        assert_eq!(
            manager.to_core(),
            Ok(SubjectSet::RequestorManager { level: 2 })
        );
        let sponsors: SubjectSetObject = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.internalSponsors"
        }))
        .unwrap();
        assert_eq!(sponsors.to_core(), Ok(SubjectSet::Unresolved));
        for kind in SUBJECT_SET_TYPES {
            assert!(kind.starts_with("#microsoft.graph."));
        }
    }

    #[test]
    fn bad_sets_are_refused() {
        assert!(
            serde_json::from_value::<SubjectSetObject>(json!({
                "@odata.type": "#microsoft.graph.singleUser",
                "userId": "x",
                "nickname": "y"
            }))
            .is_err()
        );
        let bad: SubjectSetObject = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.groupMembers",
            "groupId": "not-a-guid"
        }))
        .unwrap();
        assert_eq!(bad.to_core(), Err(SubjectSetError::Id("not-a-guid".into())));
        let zero: SubjectSetObject = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.targetManager",
            "managerLevel": 0
        }))
        .unwrap();
        assert_eq!(zero.to_core(), Err(SubjectSetError::Level(0)));
    }
}
