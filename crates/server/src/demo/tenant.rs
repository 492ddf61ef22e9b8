//! The demo tenant's directory.

use entitle_core::{ApprovalRules, Duration, PolicyRules, Role, StageApprovers, SubjectId};
use entitle_graph::{Choice, LocalizedContent, LocalizedText, Question, QuestionKind};
use entitle_store::{
    AccessPackage, AssignmentPolicy, Catalog, ConnectedOrganization, Directory, ExternalTargets,
    OnBehalfRequestor, RoleAssignment, User,
};

use super::ids::{
    ADELE, ALEX, BIANCA, CATALOG_GENERAL, CUSTOM_EXTENSION_SAFETY_TRAINING, DIEGO, ENRICO, ISAIAH,
    LEE, MEGAN, NESTOR, ORGANIZATION_FABRIKAM, PACKAGE_FINANCE_REPORTS, PACKAGE_LAB_ACCESS,
    PACKAGE_SALES_TOOLS, POLICY_DIRECT, POLICY_EXTENSION, POLICY_ONE_STAGE, POLICY_TWO_STAGE,
    QUESTION_ACCOUNTS_TAKEN_OVER, QUESTION_FINANCE_REASON, QUESTION_KEY_ACCOUNTS, QUESTION_REGION,
};

fn user(id: SubjectId, display_name: &str, login: &str) -> User {
    User {
        id,
        display_name: display_name.to_owned(),
        user_principal_name: format!("{login}@contoso.test"),
        manager_id: None,
        connected_organization_id: None,
    }
}

fn package(id: &str, display_name: &str, description: &str) -> AccessPackage {
    AccessPackage {
        id: id.to_owned(),
        catalog_id: CATALOG_GENERAL.to_owned(),
        display_name: display_name.to_owned(),
        description: description.to_owned(),
    }
}

fn policy(
    id: &str,
    package_id: &str,
    display_name: &str,
    rules: PolicyRules,
    stages: Vec<StageApprovers>,
) -> AssignmentPolicy {
    AssignmentPolicy {
        id: id.to_owned(),
        access_package_id: package_id.to_owned(),
        display_name: display_name.to_owned(),
        rules,
        stages,
        custom_extension_id: None,
        questions: Vec::new(),
        on_behalf_requestors: Vec::new(),
        external_targets: None,
    }
}

fn text(default_text: &str, spanish: &str) -> LocalizedContent {
    LocalizedContent {
        default_text: Some(default_text.to_owned()),
        localized_texts: vec![LocalizedText {
            text: spanish.to_owned(),
            language_code: "es".to_owned(),
        }],
    }
}

fn choice(actual_value: &str, display: &str, spanish: &str) -> Choice {
    Choice {
        actual_value: actual_value.to_owned(),
        display_value: text(display, spanish),
    }
}

fn multiple_choice(id: &str, question: LocalizedContent, choices: Vec<Choice>) -> Question {
    Question {
        id: id.to_owned(),
        kind: QuestionKind::MultipleChoice,
        text: question,
        is_required: false,
        choices,
        allows_multiple_selection: false,
        is_single_line_question: false,
    }
}

fn text_input(id: &str, question: LocalizedContent, single_line: bool) -> Question {
    Question {
        id: id.to_owned(),
        kind: QuestionKind::TextInput,
        text: question,
        is_required: false,
        choices: Vec::new(),
        allows_multiple_selection: false,
        is_single_line_question: single_line,
    }
}

/// The questions of the Finance reports policy: the requestor's sales region and their reason.
fn finance_questions() -> Vec<Question> {
    vec![
        multiple_choice(
            QUESTION_REGION,
            text(
                "Which sales region do you work in?",
                "¿En qué región de ventas trabajas?",
            ),
            vec![
                choice(
                    "EMEA",
                    "Europe, Middle East and Africa",
                    "Europa, Oriente Medio y África",
                ),
                choice("AMER", "Americas", "América"),
                choice("APAC", "Asia-Pacific", "Asia-Pacífico"),
            ],
        ),
        text_input(
            QUESTION_FINANCE_REASON,
            text(
                "Why do you need the finance reports?",
                "¿Por qué necesitas los informes financieros?",
            ),
            false,
        ),
    ]
}

/// The questions of the Sales tools policy: the key accounts covered and the accounts taken over.
fn sales_questions() -> Vec<Question> {
    vec![
        multiple_choice(
            QUESTION_KEY_ACCOUNTS,
            text(
                "Which key accounts will you cover?",
                "¿Qué cuentas clave vas a atender?",
            ),
            vec![
                choice(
                    "RegionNordics",
                    "Nordic key accounts",
                    "Cuentas clave nórdicas",
                ),
                choice(
                    "RegionBaltics",
                    "Baltic key accounts",
                    "Cuentas clave bálticas",
                ),
            ],
        ),
        text_input(
            QUESTION_ACCOUNTS_TAKEN_OVER,
            text("Which accounts do you take over?", "¿Qué cuentas asumes?"),
            true,
        ),
    ]
}

fn stage(approvers: &[SubjectId], escalation_approvers: &[SubjectId]) -> StageApprovers {
    StageApprovers::users(approvers, escalation_approvers)
}

/// The four policies: direct, one stage, two stages, and the custom extension.
fn policies() -> Vec<AssignmentPolicy> {
    vec![
        AssignmentPolicy {
            questions: sales_questions(),
            external_targets: Some(ExternalTargets::AllConfiguredConnectedOrganizationUsers),
            ..policy(
                POLICY_DIRECT,
                PACKAGE_SALES_TOOLS,
                "Sales tools: direct assignment",
                PolicyRules::default(),
                vec![],
            )
        },
        AssignmentPolicy {
            questions: finance_questions(),
            on_behalf_requestors: vec![OnBehalfRequestor::RequestorManager],
            ..policy(
                POLICY_ONE_STAGE,
                PACKAGE_FINANCE_REPORTS,
                "Finance reports: approval by Alex, escalating to Enrico",
                PolicyRules {
                    approval: Some(ApprovalRules {
                        stages: 1,
                        decision_timeout: Duration::days(14),
                        escalate_after: Some(Duration::days(3)),
                    }),
                    callout_on_created: false,
                },
                vec![stage(&[ALEX], &[ENRICO])],
            )
        },
        AssignmentPolicy {
            on_behalf_requestors: vec![OnBehalfRequestor::RequestorManager],
            ..policy(
                POLICY_TWO_STAGE,
                PACKAGE_LAB_ACCESS,
                "Lab access: approval by Alex, then Diego",
                PolicyRules {
                    approval: Some(ApprovalRules {
                        stages: 2,
                        decision_timeout: Duration::days(14),
                        escalate_after: None,
                    }),
                    callout_on_created: false,
                },
                vec![stage(&[ALEX], &[]), stage(&[DIEGO], &[])],
            )
        },
        AssignmentPolicy {
            custom_extension_id: Some(CUSTOM_EXTENSION_SAFETY_TRAINING.to_owned()),
            ..policy(
                POLICY_EXTENSION,
                PACKAGE_LAB_ACCESS,
                "Lab access: safety-training check (custom extension)",
                PolicyRules {
                    approval: None,
                    callout_on_created: true,
                },
                vec![],
            )
        },
    ]
}

/// The demo directory: the users, the General catalog with its three access packages, their four
/// policies, and the catalog roles of Megan and Nestor.
pub fn directory() -> Directory {
    Directory {
        groups: Vec::new(),
        users: vec![
            user(ADELE, "Adele Vance", "adele"),
            User {
                manager_id: Some(ADELE),
                ..user(BIANCA, "Bianca Pisani", "bianca")
            },
            user(ALEX, "Alex Wilber", "alex"),
            user(DIEGO, "Diego Siciliani", "diego"),
            user(ENRICO, "Enrico Cattaneo", "enrico"),
            user(MEGAN, "Megan Bowen", "megan"),
            user(NESTOR, "Nestor Wilke", "nestor"),
            User {
                manager_id: Some(NESTOR),
                ..user(ISAIAH, "Isaiah Langer", "isaiah")
            },
            User {
                user_principal_name: "lee.gu@fabrikam.test".to_owned(),
                connected_organization_id: Some(ORGANIZATION_FABRIKAM.to_owned()),
                ..user(LEE, "Lee Gu", "lee.gu")
            },
        ],
        catalogs: vec![Catalog {
            id: CATALOG_GENERAL.to_owned(),
            display_name: "General".to_owned(),
        }],
        access_packages: vec![
            package(
                PACKAGE_SALES_TOOLS,
                "Sales tools",
                "The CRM and the sales team's shared mailbox.",
            ),
            package(
                PACKAGE_FINANCE_REPORTS,
                "Finance reports",
                "Read access to the monthly finance reports.",
            ),
            package(
                PACKAGE_LAB_ACCESS,
                "Lab access",
                "Badge access to the hardware lab and its booking system.",
            ),
        ],
        policies: policies(),
        role_assignments: vec![
            RoleAssignment {
                principal_id: MEGAN,
                role: Role::AccessPackageAssignmentManager,
                catalog_id: Some(CATALOG_GENERAL.to_owned()),
            },
            RoleAssignment {
                principal_id: NESTOR,
                role: Role::CatalogOwner,
                catalog_id: Some(CATALOG_GENERAL.to_owned()),
            },
        ],
        connected_organizations: vec![ConnectedOrganization {
            id: ORGANIZATION_FABRIKAM.to_owned(),
            display_name: "Fabrikam".to_owned(),
            description: "A supplier whose engineers use the hardware lab.".to_owned(),
            domains: vec!["fabrikam.test".to_owned()],
        }],
    }
}

#[cfg(test)]
mod tests {
    use entitle_core::{ApproverOf, Roles, StageSet, VariantArray};

    use super::*;
    use crate::demo::ids::{REQUEST_ACCEPTED, REQUEST_CANCELED, seeded};

    #[test]
    fn the_directory_is_consistent() {
        let directory = directory();
        assert_eq!(directory.check(), Ok(()));
        assert_eq!(directory.users.len(), 9);
        assert_eq!(
            directory.approver_of(POLICY_ONE_STAGE, ALEX, None).primary,
            StageSet::NONE.with(0)
        );
        assert_eq!(
            directory.approver_of(POLICY_ONE_STAGE, ENRICO, None),
            ApproverOf {
                primary: StageSet::NONE,
                escalation: StageSet::NONE.with(0),
            }
        );
        assert_eq!(
            directory.approver_of(POLICY_TWO_STAGE, DIEGO, None).primary,
            StageSet::NONE.with(1)
        );
        assert!(
            directory
                .catalog_roles(MEGAN, PACKAGE_LAB_ACCESS)
                .contains(Role::AccessPackageAssignmentManager)
        );
        assert!(
            directory
                .catalog_roles(NESTOR, PACKAGE_SALES_TOOLS)
                .contains(Role::CatalogOwner)
        );
        // Isaiah's role is in his token's `wids`, not in the directory.
        assert_eq!(
            directory.catalog_roles(ISAIAH, PACKAGE_SALES_TOOLS),
            Roles::NONE
        );
        assert!(
            directory
                .policy(POLICY_EXTENSION)
                .is_some_and(|policy| policy.rules.callout_on_created)
        );
    }

    #[test]
    fn ids_are_the_documented_ones() {
        assert_eq!(ADELE.to_string(), "00000000-0000-4000-8000-00000000a001");
        assert_eq!(ISAIAH.to_string(), "00000000-0000-4000-8000-00000000a008");
        assert_eq!(
            REQUEST_ACCEPTED.to_string(),
            "00000000-0000-4000-8000-0000000c0001"
        );
        assert_eq!(
            REQUEST_CANCELED.to_string(),
            "00000000-0000-4000-8000-0000000c000c"
        );
        let statuses: Vec<_> = seeded().iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, entitle_core::RequestStatus::VARIANTS);
    }
}
