//! `accessPackageSubject`: who a request is from or for, as `$expand=requestor` shows it.

use entitle_core::{ApiVersion, SubjectId};
use serde_json::{Value, json};

/// A subject: its object id and, when known as a user, its names and connected organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectView<'a> {
    /// The object id (`objectId`; entitle also uses it as the subject's `id`).
    pub id: SubjectId,
    /// `displayName`.
    pub display_name: Option<&'a str>,
    /// The sign-in name (`principalName`), for a directory user.
    pub principal_name: Option<&'a str>,
    /// `email`: a directory user's sign-in name, or the email a request named a new user by.
    pub email: Option<&'a str>,
    /// The connected organization a guest or a new external user comes from.
    pub connected_organization_id: Option<&'a str>,
}

impl SubjectView<'_> {
    /// The subject's JSON in `api`: v1.0's `subjectType`, beta's `type` and `connectedOrganizationId`.
    pub fn to_wire(&self, api: ApiVersion) -> Value {
        let user = self.principal_name.is_some() || self.email.is_some();
        let mut value = json!({
            "id": self.id.to_string(),
            "objectId": self.id.to_string(),
            "displayName": self.display_name,
            "principalName": self.principal_name,
            "email": self.email,
            "onPremisesSecurityIdentifier": null,
        });
        if let Value::Object(map) = &mut value {
            match api {
                ApiVersion::V1 => {
                    map.insert(
                        "subjectType".into(),
                        json!(if user { "user" } else { "notSpecified" }),
                    );
                }
                ApiVersion::Beta => {
                    map.insert("type".into(), json!(user.then_some("User")));
                    map.insert(
                        "connectedOrganizationId".into(),
                        json!(self.connected_organization_id),
                    );
                }
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use entitle_core::Guid;

    use super::*;

    #[test]
    fn a_user_is_a_subject_in_each_version() {
        let id = SubjectId::new(Guid::from_u128(7));
        let view = SubjectView {
            id,
            display_name: Some("Adele"),
            principal_name: Some("adele@contoso.test"),
            email: Some("adele@contoso.test"),
            connected_organization_id: None,
        };
        let v1 = view.to_wire(ApiVersion::V1);
        assert_eq!(v1["objectId"], id.to_string());
        assert_eq!(v1["principalName"], "adele@contoso.test");
        assert_eq!(v1["subjectType"], "user");
        assert!(v1.get("type").is_none());
        let beta = view.to_wire(ApiVersion::Beta);
        assert_eq!(beta["type"], "User");
        assert!(beta["connectedOrganizationId"].is_null());
        assert!(beta.get("subjectType").is_none());
        let unknown = SubjectView {
            id,
            display_name: None,
            principal_name: None,
            email: None,
            connected_organization_id: None,
        };
        assert_eq!(
            unknown.to_wire(ApiVersion::V1)["subjectType"],
            "notSpecified"
        );
        assert!(unknown.to_wire(ApiVersion::Beta)["type"].is_null());
        let guest = SubjectView {
            id,
            display_name: None,
            principal_name: None,
            email: Some("lee@fabrikam.test"),
            connected_organization_id: Some("org"),
        };
        assert_eq!(guest.to_wire(ApiVersion::V1)["subjectType"], "user");
        assert_eq!(
            guest.to_wire(ApiVersion::Beta)["connectedOrganizationId"],
            "org"
        );
        assert!(guest.to_wire(ApiVersion::V1)["principalName"].is_null());
    }
}
