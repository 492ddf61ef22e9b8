//! The claims of a Microsoft identity platform access token that entitle reads, and what they mean.
//!
//! `iss`, `aud`, `exp` and `nbf` are checked by the verifier before these are read.

use entitle_core::{Permission, Permissions, Principal, Role, SubjectId};
use serde::Deserialize;

use crate::error::AuthError;
use crate::identity::Identity;

/// The tenant id of personal Microsoft accounts (`tid` of consumer tokens).
pub const PERSONAL_ACCOUNT_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The role template id of the Identity Governance Administrator directory role (in `wids`).
pub const IDENTITY_GOVERNANCE_ADMINISTRATOR: &str = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e";

/// The `idtyp` of app-only tokens.
const APP_TOKEN_TYPE: &str = "app";

/// The entitle-relevant claims of an access token.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenClaims {
    /// When the token expires, in Unix seconds (required and validated by jsonwebtoken first).
    #[serde(default)]
    pub(crate) exp: u64,
    /// The caller's object id.
    oid: Option<String>,
    /// The caller's tenant.
    tid: Option<String>,
    /// Delegated permissions, space-separated (user tokens).
    scp: Option<String>,
    /// Application permissions (app-only tokens).
    roles: Option<Vec<String>>,
    /// Directory role template ids.
    wids: Option<Vec<String>>,
    /// `app` or `user`, when the token states it.
    idtyp: Option<String>,
}

impl TokenClaims {
    /// The identity these claims state.
    ///
    /// # Errors
    /// [`AuthError::MissingClaim`] without `oid` or `tid`, [`AuthError::MalformedObjectId`] when `oid`
    /// is not a GUID.
    pub(crate) fn identity(self) -> Result<Identity, AuthError> {
        let oid = self.oid.ok_or_else(|| missing("oid"))?;
        let id = SubjectId::parse(&oid).map_err(|_| AuthError::MalformedObjectId { value: oid })?;
        let tenant = self.tid.ok_or_else(|| missing("tid"))?;
        let app = self.idtyp.as_deref() == Some(APP_TOKEN_TYPE)
            || (self.scp.is_none() && self.roles.is_some());
        let principal = if app {
            Principal::Application
        } else if tenant.eq_ignore_ascii_case(PERSONAL_ACCOUNT_TENANT) {
            Principal::PersonalAccount
        } else {
            Principal::WorkOrSchoolUser
        };
        let permissions = if app {
            permissions(self.roles.iter().flatten().map(String::as_str))
        } else {
            permissions(self.scp.iter().flat_map(|scp| scp.split_whitespace()))
        };
        let directory_roles = self
            .wids
            .iter()
            .flatten()
            .filter_map(|wid| directory_role(wid))
            .collect();
        Ok(Identity {
            principal,
            id,
            tenant,
            permissions,
            directory_roles,
        })
    }
}

/// The permissions entitle knows among `names`; the others are ignored.
fn permissions<'a>(names: impl Iterator<Item = &'a str>) -> Permissions {
    names.filter_map(Permission::from_name).collect()
}

/// The Microsoft Entra directory roles entitle-core knows, by the role template id a token's `wids`
/// claim states (the Microsoft Entra built-in roles reference).
pub const DIRECTORY_ROLES: [(&str, Role); 5] = [
    (SECURITY_READER, Role::SecurityReader),
    (GLOBAL_READER, Role::GlobalReader),
    (COMPLIANCE_ADMINISTRATOR, Role::ComplianceAdministrator),
    (SECURITY_ADMINISTRATOR, Role::SecurityAdministrator),
    (
        IDENTITY_GOVERNANCE_ADMINISTRATOR,
        Role::IdentityGovernanceAdministrator,
    ),
];

/// The role template id of Security Reader.
pub const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
/// The role template id of Global Reader.
pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
/// The role template id of Compliance Administrator.
pub const COMPLIANCE_ADMINISTRATOR: &str = "17315797-102d-40b4-93e0-432062caca18";
/// The role template id of Security Administrator.
pub const SECURITY_ADMINISTRATOR: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";

/// The role of a directory role template id, if entitle knows it.
fn directory_role(template_id: &str) -> Option<Role> {
    DIRECTORY_ROLES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
        .map(|(_, role)| *role)
}

/// The refusal of a token without `claim`.
fn missing(claim: &str) -> AuthError {
    AuthError::MissingClaim {
        claim: claim.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_core::Roles;

    use super::*;

    const OID: &str = "0d0e0f10-1112-4314-9516-171819202122";

    fn claims(json: &serde_json::Value) -> Result<Identity, AuthError> {
        serde_json::from_value::<TokenClaims>(json.clone())
            .unwrap()
            .identity()
    }

    #[test]
    fn users_get_delegated_permissions_and_known_directory_roles() {
        let identity = claims(&serde_json::json!({
            "oid": OID, "tid": "00000000-0000-0000-0000-000000000001", "idtyp": "user",
            "scp": "Mail.Read User.Read EntitlementManagement.Read.All  EntitlementMgmt-SubjectAccess.ReadWrite",
            "roles": ["EntitlementManagement.ReadWrite.All"],
            "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509", IDENTITY_GOVERNANCE_ADMINISTRATOR],
        }))
        .unwrap();
        assert_eq!(identity.principal, Principal::WorkOrSchoolUser);
        assert_eq!(identity.id.to_string(), OID);
        assert_eq!(
            identity.permissions,
            Permissions::NONE
                .with(Permission::ReadAll)
                .with(Permission::SubjectAccessReadWrite)
                .with(Permission::UserRead)
        );
        assert_eq!(
            identity.directory_roles,
            Roles::NONE.with(Role::IdentityGovernanceAdministrator)
        );
    }

    #[test]
    fn roles_without_scp_make_an_application() {
        let identity = claims(&serde_json::json!({
            "oid": OID, "tid": "t",
            "roles": ["EntitlementManagement.ReadWrite.All", "Unknown.Permission"],
        }))
        .unwrap();
        assert_eq!(identity.principal, Principal::Application);
        assert_eq!(
            identity.permissions,
            Permissions::NONE.with(Permission::ReadWriteAll)
        );
        let bare_app = claims(&serde_json::json!({"oid": OID, "tid": "t", "idtyp": "app"}));
        assert_eq!(bare_app.unwrap().principal, Principal::Application);
    }

    #[test]
    fn the_consumer_tenant_makes_a_personal_account() {
        let identity = claims(&serde_json::json!({
            "oid": OID, "tid": PERSONAL_ACCOUNT_TENANT.to_uppercase(), "scp": "",
        }))
        .unwrap();
        assert_eq!(identity.principal, Principal::PersonalAccount);
        assert_eq!(identity.permissions, Permissions::NONE);
        assert_eq!(identity.directory_roles, Roles::NONE);
    }

    #[test]
    fn oid_and_tid_are_required_and_oid_is_a_guid() {
        assert_eq!(
            claims(&serde_json::json!({"tid": "t"})),
            Err(missing("oid"))
        );
        assert_eq!(
            claims(&serde_json::json!({"oid": OID})),
            Err(missing("tid"))
        );
        assert_eq!(
            claims(&serde_json::json!({"oid": "not-a-guid", "tid": "t"})),
            Err(AuthError::MalformedObjectId {
                value: "not-a-guid".into()
            })
        );
    }
}
