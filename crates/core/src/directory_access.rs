//! Who may read the directory objects the tenant's objects name: users (`GET /users`,
//! `GET /users/{id}`, `GET /me`), groups (`GET /groups`, `GET /groups/{id}`) and a group's members
//! (`GET /groups/{id}/members`).
//!
//! Sources: the permission tables of Graph's `user-get`, `user-list`, `group-get`, `group-list` and
//! `group-list-members` pages, and the note of `user-get` that `/me` needs a signed-in user (D31).

use core::fmt;

use serde::Serialize;

use crate::actor::{Caller, Permission, Principal};
use crate::authz::Authority;
use crate::id::SubjectId;

/// A read of directory objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DirectoryOperation {
    /// `GET /me`: the signed-in user.
    ReadMe,
    /// `GET /users/{id}`: this user, who may be the caller.
    ReadUser(SubjectId),
    /// `GET /users`, or a user the directory does not know.
    ListUsers,
    /// `GET /groups` and `GET /groups/{id}`.
    ReadGroups,
    /// `GET /groups/{id}/members`.
    ListGroupMembers,
}

use Permission as P;

/// What a user reads about themselves with a delegated permission, least privileged first.
const OWN_USER: [Permission; 7] = [
    P::UserRead,
    P::UserReadWrite,
    P::UserReadBasicAll,
    P::UserReadAll,
    P::UserReadWriteAll,
    P::DirectoryReadAll,
    P::DirectoryReadWriteAll,
];
/// What a personal account reads about itself.
const OWN_USER_PERSONAL: [Permission; 2] = [P::UserRead, P::UserReadWrite];
/// What a user reads about other users.
const USERS_DELEGATED: [Permission; 5] = [
    P::UserReadBasicAll,
    P::UserReadAll,
    P::UserReadWriteAll,
    P::DirectoryReadAll,
    P::DirectoryReadWriteAll,
];
/// What an application reads about users.
const USERS_APPLICATION: [Permission; 4] = [
    P::UserReadAll,
    P::UserReadWriteAll,
    P::DirectoryReadAll,
    P::DirectoryReadWriteAll,
];
/// What reads groups, for users and applications alike.
const GROUPS: [Permission; 5] = [
    P::GroupMemberReadAll,
    P::GroupReadAll,
    P::DirectoryReadAll,
    P::GroupReadWriteAll,
    P::DirectoryReadWriteAll,
];
/// What lists a group's members, for users and applications alike.
const MEMBERS: [Permission; 6] = [
    P::GroupMemberReadAll,
    P::DirectoryReadAll,
    P::GroupReadAll,
    P::GroupReadWriteAll,
    P::GroupMemberReadWriteAll,
    P::DirectoryReadWriteAll,
];

impl DirectoryOperation {
    /// The operation's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadMe => "readMe",
            Self::ReadUser(_) => "readUser",
            Self::ListUsers => "listUsers",
            Self::ReadGroups => "readGroups",
            Self::ListGroupMembers => "listGroupMembers",
        }
    }

    /// The permissions that allow `caller` this operation, least privileged first; empty when its
    /// kind of principal never does it.
    pub fn permissions(self, caller: &Caller) -> &'static [Permission] {
        let own = match self {
            Self::ReadMe => true,
            Self::ReadUser(user) => user == caller.id,
            Self::ListUsers | Self::ReadGroups | Self::ListGroupMembers => false,
        };
        match (caller.principal, self) {
            (Principal::System, _)
            | (Principal::Application, Self::ReadMe)
            | (Principal::PersonalAccount, Self::ReadGroups | Self::ListGroupMembers) => &[],
            (Principal::PersonalAccount, _) if own => &OWN_USER_PERSONAL,
            (Principal::PersonalAccount, _) => &[],
            (Principal::WorkOrSchoolUser, Self::ReadMe | Self::ReadUser(_)) if own => &OWN_USER,
            (Principal::WorkOrSchoolUser, Self::ReadMe | Self::ReadUser(_) | Self::ListUsers) => {
                &USERS_DELEGATED
            }
            (Principal::Application, Self::ReadUser(_) | Self::ListUsers) => &USERS_APPLICATION,
            (_, Self::ReadGroups) => &GROUPS,
            (_, Self::ListGroupMembers) => &MEMBERS,
        }
    }
}

impl fmt::Display for DirectoryOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a caller may not read directory objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum DirectoryDenial {
    /// `/me` names the signed-in user: an application has none.
    #[error("`{operation}` needs a signed-in user; an application token has none")]
    NoSignedInUser {
        /// The operation.
        operation: DirectoryOperation,
    },
    /// This kind of caller never does it.
    #[error("`{principal}` callers cannot `{operation}`")]
    PrincipalNotSupported {
        /// The operation.
        operation: DirectoryOperation,
        /// The caller's kind.
        principal: Principal,
    },
    /// The call lacks every permission that would do.
    #[error("`{operation}` needs the `{permission}` permission")]
    MissingPermission {
        /// The operation.
        operation: DirectoryOperation,
        /// The least privileged permission that would do.
        permission: Permission,
    },
}

/// Decides whether `caller` may perform the directory read `operation`: with one of the permissions
/// Graph's table lists for its kind of principal. `User.Read` reads only the caller's own user.
///
/// # Errors
/// The [`DirectoryDenial`] naming why not.
pub fn authorize_directory(
    operation: DirectoryOperation,
    caller: &Caller,
) -> Result<Authority, DirectoryDenial> {
    if caller.principal == Principal::Application && operation == DirectoryOperation::ReadMe {
        return Err(DirectoryDenial::NoSignedInUser { operation });
    }
    let permissions = operation.permissions(caller);
    let Some(&least) = permissions.first() else {
        return Err(DirectoryDenial::PrincipalNotSupported {
            operation,
            principal: caller.principal,
        });
    };
    let permission = permissions
        .iter()
        .copied()
        .find(|permission| caller.has(*permission))
        .ok_or(DirectoryDenial::MissingPermission {
            operation,
            permission: least,
        })?;
    Ok(match caller.principal {
        Principal::Application => Authority::Application(permission),
        _ => Authority::SignedInUser(permission),
    })
}

/// The kind of a group member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MemberKind {
    /// A `user`.
    User,
    /// A `group`.
    Group,
    /// Another directory object (a device, a service principal, a contact).
    Other,
}

/// How much of a group member a caller listing the members sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MemberView {
    /// The member's properties.
    Full,
    /// Only its `@odata.type` and `id`: the caller may not read objects of its kind.
    Limited,
}

/// What `caller`, listing a group's members, sees of a member of `kind`: all of it when the caller
/// may read objects of that kind (users: [`DirectoryOperation::ListUsers`]; groups:
/// [`DirectoryOperation::ReadGroups`]), otherwise its type and id only, as Graph answers for
/// "inaccessible member objects".
pub fn member_view(kind: MemberKind, caller: &Caller) -> MemberView {
    let operation = match kind {
        MemberKind::User => DirectoryOperation::ListUsers,
        MemberKind::Group => DirectoryOperation::ReadGroups,
        MemberKind::Other => return MemberView::Limited,
    };
    if authorize_directory(operation, caller).is_ok() {
        MemberView::Full
    } else {
        MemberView::Limited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Guid;
    use alloc::string::ToString;
    use strum::VariantArray;

    const ME: SubjectId = SubjectId::new(Guid::from_u128(1));
    const OTHER: SubjectId = SubjectId::new(Guid::from_u128(2));

    #[test]
    fn operations_are_named_as_denials_print_them() {
        use DirectoryOperation as O;
        let operations = [
            O::ReadMe,
            O::ReadUser(OTHER),
            O::ListUsers,
            O::ReadGroups,
            O::ListGroupMembers,
        ];
        let names = operations.map(|operation| operation.to_string());
        assert_eq!(
            names,
            [
                "readMe",
                "readUser",
                "listUsers",
                "readGroups",
                "listGroupMembers"
            ]
        );
        for operation in operations {
            assert_eq!(operation.to_string(), operation.as_str());
        }
    }

    fn user(permission: Permission) -> Caller {
        Caller::user(ME).with_permission(permission)
    }

    fn app(permission: Permission) -> Caller {
        Caller::application(OTHER).with_permission(permission)
    }

    #[test]
    fn user_read_reads_only_the_signed_in_user() {
        let me = user(P::UserRead);
        assert_eq!(
            authorize_directory(DirectoryOperation::ReadMe, &me),
            Ok(Authority::SignedInUser(P::UserRead))
        );
        assert!(authorize_directory(DirectoryOperation::ReadUser(ME), &me).is_ok());
        assert_eq!(
            authorize_directory(DirectoryOperation::ReadUser(OTHER), &me),
            Err(DirectoryDenial::MissingPermission {
                operation: DirectoryOperation::ReadUser(OTHER),
                permission: P::UserReadBasicAll
            })
        );
        assert!(authorize_directory(DirectoryOperation::ListUsers, &me).is_err());
        let basic = user(P::UserReadBasicAll);
        for operation in [
            DirectoryOperation::ReadMe,
            DirectoryOperation::ReadUser(OTHER),
            DirectoryOperation::ListUsers,
        ] {
            assert_eq!(
                authorize_directory(operation, &basic),
                Ok(Authority::SignedInUser(P::UserReadBasicAll)),
                "{operation}"
            );
        }
        assert!(authorize_directory(DirectoryOperation::ReadGroups, &basic).is_err());
    }

    #[test]
    fn applications_have_no_me_and_need_the_all_permissions() {
        let reader = app(P::UserReadAll);
        assert_eq!(
            authorize_directory(DirectoryOperation::ReadMe, &reader),
            Err(DirectoryDenial::NoSignedInUser {
                operation: DirectoryOperation::ReadMe
            })
        );
        assert_eq!(
            authorize_directory(DirectoryOperation::ListUsers, &reader),
            Ok(Authority::Application(P::UserReadAll))
        );
        // `User.ReadBasic.All` is a delegated permission: the table lists it for users only.
        assert_eq!(
            authorize_directory(DirectoryOperation::ListUsers, &app(P::UserReadBasicAll)),
            Err(DirectoryDenial::MissingPermission {
                operation: DirectoryOperation::ListUsers,
                permission: P::UserReadAll
            })
        );
        // The application's own id is no user's.
        assert!(
            authorize_directory(DirectoryOperation::ReadUser(OTHER), &app(P::UserRead)).is_err()
        );
        assert!(
            authorize_directory(DirectoryOperation::ReadGroups, &app(P::GroupMemberReadAll))
                .is_ok()
        );
    }

    #[test]
    fn groups_and_members_follow_their_tables() {
        for permission in GROUPS {
            assert!(authorize_directory(DirectoryOperation::ReadGroups, &user(permission)).is_ok());
        }
        for permission in MEMBERS {
            assert!(
                authorize_directory(DirectoryOperation::ListGroupMembers, &app(permission)).is_ok()
            );
        }
        assert_eq!(
            authorize_directory(DirectoryOperation::ListGroupMembers, &user(P::UserReadAll)),
            Err(DirectoryDenial::MissingPermission {
                operation: DirectoryOperation::ListGroupMembers,
                permission: P::GroupMemberReadAll
            })
        );
        // The entitlement-management permissions read no directory object.
        for permission in [P::SubjectAccessReadWrite, P::ReadAll, P::ReadWriteAll] {
            for operation in [
                DirectoryOperation::ReadMe,
                DirectoryOperation::ListUsers,
                DirectoryOperation::ReadGroups,
                DirectoryOperation::ListGroupMembers,
            ] {
                assert!(authorize_directory(operation, &user(permission)).is_err());
            }
        }
    }

    #[test]
    fn personal_accounts_read_themselves_and_the_engine_nothing() {
        let mut personal = user(P::UserRead);
        personal.principal = Principal::PersonalAccount;
        assert!(authorize_directory(DirectoryOperation::ReadMe, &personal).is_ok());
        personal = personal.with_permission(P::DirectoryReadAll);
        assert_eq!(
            authorize_directory(DirectoryOperation::ListUsers, &personal),
            Err(DirectoryDenial::PrincipalNotSupported {
                operation: DirectoryOperation::ListUsers,
                principal: Principal::PersonalAccount
            })
        );
        assert!(authorize_directory(DirectoryOperation::ReadGroups, &personal).is_err());
        let mut system = Caller::system();
        system.permissions = Permission::VARIANTS.iter().copied().collect();
        assert!(authorize_directory(DirectoryOperation::ReadMe, &system).is_err());
        assert!(authorize_directory(DirectoryOperation::ReadGroups, &system).is_err());
    }

    #[test]
    fn members_show_what_the_caller_may_read() {
        let members_only = user(P::GroupMemberReadAll);
        assert_eq!(
            member_view(MemberKind::User, &members_only),
            MemberView::Limited
        );
        assert_eq!(
            member_view(MemberKind::Group, &members_only),
            MemberView::Full
        );
        assert_eq!(
            member_view(MemberKind::Other, &members_only),
            MemberView::Limited
        );
        let directory = app(P::DirectoryReadAll);
        assert_eq!(member_view(MemberKind::User, &directory), MemberView::Full);
        let both = members_only.with_permission(P::UserReadBasicAll);
        assert_eq!(member_view(MemberKind::User, &both), MemberView::Full);
        for operation in [
            DirectoryOperation::ReadMe,
            DirectoryOperation::ReadUser(ME),
            DirectoryOperation::ListUsers,
            DirectoryOperation::ReadGroups,
            DirectoryOperation::ListGroupMembers,
        ] {
            assert!(!operation.as_str().is_empty());
        }
    }
}
