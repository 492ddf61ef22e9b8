//! The query options of the catalog collections: which `$filter`, `$expand`, `$select`, `$top`
//! and `$skiptoken` each collection takes, in each API version, parsed once.

use std::collections::BTreeMap;

use entitle_core::ApiVersion;
use entitle_graph::tenant::PropertyFilter;

use crate::error::ApiError;
use crate::odata;

/// The query options these collections take: `$filter`, `$expand`, `$select`, `$top`, `$skiptoken`.
#[derive(Default)]
pub(super) struct Options {
    pub(super) filter: Option<PropertyFilter>,
    pub(super) expand: Vec<String>,
    pub(super) select: Option<Vec<String>>,
    pub(super) top: Option<u32>,
    pub(super) skip: usize,
}

/// What one collection allows.
pub(super) struct Shape {
    /// The entity set under `entitlementManagement/`.
    set: &'static str,
    /// The properties `$filter` may use.
    filterable: &'static [&'static str],
    /// The navigation properties `$expand` may name.
    expandable: &'static [&'static str],
}

/// The kinds of object served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Catalogs.
    Catalogs,
    /// Access packages.
    Packages,
    /// Assignment policies.
    Policies,
    /// Role assignments of the entitlement-management provider.
    RoleAssignments,
}

const CATALOGS: Shape = Shape {
    set: "catalogs",
    filterable: &["displayName", "description", "id", "state", "catalogType"],
    expandable: &["accessPackages"],
};
const PACKAGES: Shape = Shape {
    set: "accessPackages",
    filterable: &["displayName", "description", "id"],
    expandable: &["assignmentPolicies", "catalog"],
};
const POLICIES: Shape = Shape {
    set: "assignmentPolicies",
    filterable: &["displayName", "description", "id", "allowedTargetScope"],
    expandable: &[
        "accessPackage",
        "catalog",
        "questions",
        "customExtensionStageSettings",
    ],
};
const BETA_CATALOGS: Shape = Shape {
    set: "accessPackageCatalogs",
    filterable: &[
        "displayName",
        "description",
        "id",
        "catalogStatus",
        "catalogType",
    ],
    expandable: &["accessPackages"],
};
const BETA_PACKAGES: Shape = Shape {
    set: "accessPackages",
    filterable: &["displayName", "description", "id", "catalogId"],
    expandable: &["accessPackageAssignmentPolicies", "accessPackageCatalog"],
};
const BETA_POLICIES: Shape = Shape {
    set: "accessPackageAssignmentPolicies",
    filterable: &["displayName", "description", "id", "accessPackageId"],
    expandable: &[
        "accessPackage",
        "accessPackageCatalog",
        "customExtensionStageSettings",
        "customExtensionHandlers",
    ],
};

const ROLE_ASSIGNMENTS: Shape = Shape {
    set: "roleAssignments",
    filterable: &[
        "principalId",
        "roleDefinitionId",
        "appScopeId",
        "directoryScopeId",
        "id",
    ],
    expandable: &["principal"],
};

impl Kind {
    /// The collection's shape in `api`.
    pub(super) const fn shape(self, api: ApiVersion) -> &'static Shape {
        match (self, api) {
            (Self::RoleAssignments, _) => &ROLE_ASSIGNMENTS,
            (Self::Catalogs, ApiVersion::V1) => &CATALOGS,
            (Self::Packages, ApiVersion::V1) => &PACKAGES,
            (Self::Policies, ApiVersion::V1) => &POLICIES,
            (Self::Catalogs, ApiVersion::Beta) => &BETA_CATALOGS,
            (Self::Packages, ApiVersion::Beta) => &BETA_PACKAGES,
            (Self::Policies, ApiVersion::Beta) => &BETA_POLICIES,
        }
    }

    /// The collection's name in `api`, under `entitlementManagement/`.
    pub const fn set(self, api: ApiVersion) -> &'static str {
        self.shape(api).set
    }

    /// The collection's path in `api`, after the version.
    pub fn path(self, api: ApiVersion) -> String {
        let provider = match self {
            Self::RoleAssignments => "roleManagement",
            Self::Catalogs | Self::Packages | Self::Policies => "identityGovernance",
        };
        format!("{provider}/entitlementManagement/{}", self.set(api))
    }
}

/// The names of a comma-separated option, each trimmed; `$expand`'s nested options are dropped
/// (`customExtensionStageSettings($expand=customExtension)`).
fn names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0_usize;
    let mut current = String::new();
    for character in text.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => names.push(std::mem::take(&mut current)),
            _ if depth == 0 => current.push(character),
            _ => {}
        }
    }
    names.push(current);
    names
        .into_iter()
        .map(|name| name.trim().to_owned())
        .collect()
}

pub(super) fn parse(query: &BTreeMap<String, String>, shape: &Shape) -> Result<Options, ApiError> {
    let mut options = Options {
        filter: None,
        expand: Vec::new(),
        select: None,
        top: None,
        skip: 0,
    };
    for (key, value) in query {
        match key.as_str() {
            "$filter" => {
                options.filter = Some(
                    PropertyFilter::parse(value, shape.filterable)
                        .map_err(|error| ApiError::invalid(error.to_string()))?,
                );
            }
            "$expand" => {
                options.expand = names(value);
                if let Some(unknown) = options
                    .expand
                    .iter()
                    .find(|name| !shape.expandable.contains(&name.as_str()))
                {
                    let allowed: Vec<String> = shape
                        .expandable
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect();
                    return Err(ApiError::invalid(format!(
                        "`$expand` cannot name `{unknown}` on `{}`; it can name {}",
                        shape.set,
                        allowed.join(", ")
                    )));
                }
            }
            "$select" => {
                let mut selected = names(value);
                if selected.iter().any(String::is_empty) {
                    return Err(ApiError::invalid(format!(
                        "`$select` `{value}` has an empty item"
                    )));
                }
                // An object is always shown with its id.
                if !selected.iter().any(|name| name == "id") {
                    selected.push("id".to_owned());
                }
                options.select = Some(selected);
            }
            "$top" => options.top = Some(odata::parse_top(value)?),
            "$skiptoken" => {
                options.skip = value.parse().map_err(|_| {
                    ApiError::invalid(format!("`$skiptoken` `{value}` is not ours"))
                })?;
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "the query option `{other}` is not supported on `{}`",
                    shape.set
                )));
            }
        }
    }
    Ok(options)
}

impl Options {
    pub(super) fn expands(&self, name: &str) -> bool {
        self.expand.iter().any(|expanded| expanded == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_names_drop_their_nested_options() {
        assert_eq!(
            names("customExtensionStageSettings($expand=customExtension), questions"),
            ["customExtensionStageSettings", "questions"]
        );
        assert_eq!(names("catalog"), ["catalog"]);
    }

    #[test]
    fn unknown_options_and_expansions_are_refused() {
        let query = |key: &str, value: &str| BTreeMap::from([(key.to_owned(), value.to_owned())]);
        assert!(parse(&query("$expand", "assignmentPolicies,catalog"), &PACKAGES).is_ok());
        assert!(parse(&query("$expand", "resources"), &PACKAGES).is_err());
        assert!(parse(&query("$search", "x"), &PACKAGES).is_err());
        assert!(parse(&query("$skiptoken", "x"), &PACKAGES).is_err());
        assert!(parse(&query("$filter", "isHidden eq 'x'"), &PACKAGES).is_err());
        assert!(parse(&query("$select", ""), &PACKAGES).is_err());
        assert!(parse(&query("$select", "displayName,"), &PACKAGES).is_err());
        let selected = parse(&query("$select", "displayName"), &PACKAGES).unwrap();
        assert_eq!(selected.select.unwrap(), ["displayName", "id"]);
    }
}
