//! The people a policy names (Graph's `subjectSet`s) and who approves which stage of a request.
//!
//! A policy names approvers as sets: one user, a group's members, the requestor's manager. Which
//! people those are is a fact of the directory, which the adapter answers through [`People`]; which
//! stages a caller therefore approves is decided here, fallbacks included.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::actor::ApproverOf;
use crate::id::{GroupId, SubjectId};

/// What the directory knows about people, as an adapter looks it up.
pub trait People {
    /// Whether `subject` is a member of `group`.
    fn is_member(&self, subject: SubjectId, group: GroupId) -> bool;
    /// Whether `group` has any member.
    fn has_members(&self, group: GroupId) -> bool;
    /// The manager of `user`, when the directory names one.
    fn manager(&self, user: SubjectId) -> Option<SubjectId>;
}

/// A set of people a policy names (a Graph `subjectSet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SubjectSet {
    /// One user (`singleUser`).
    SingleUser {
        /// The user's object id.
        user: SubjectId,
    },
    /// The members of a group (`groupMembers`).
    GroupMembers {
        /// The group.
        group: GroupId,
    },
    /// The manager of the user the request is for, `level` steps up the chain: 1 is the direct
    /// manager (`requestorManager`).
    RequestorManager {
        /// The number of steps up the management chain.
        level: u8,
    },
    /// A set entitle does not resolve (sponsors, attribute rules, connected organizations'
    /// members): it names no one (D26).
    Unresolved,
}

impl SubjectSet {
    /// The manager `level` steps above `user`, if the chain is that long.
    fn manager_of(level: u8, user: SubjectId, people: &impl People) -> Option<SubjectId> {
        if level == 0 {
            return None;
        }
        (0..level).try_fold(user, |current, _| people.manager(current))
    }

    /// Whether `subject` is in the set, for a request whose target is `target`.
    pub fn includes(
        self,
        subject: SubjectId,
        target: Option<SubjectId>,
        people: &impl People,
    ) -> bool {
        match self {
            Self::SingleUser { user } => user == subject,
            Self::GroupMembers { group } => people.is_member(subject, group),
            Self::RequestorManager { level } => target
                .and_then(|target| Self::manager_of(level, target, people))
                .is_some_and(|manager| manager == subject),
            Self::Unresolved => false,
        }
    }

    /// Whether the set names anyone, for a request whose target is `target`.
    pub fn names_anyone(self, target: Option<SubjectId>, people: &impl People) -> bool {
        match self {
            Self::SingleUser { .. } => true,
            Self::GroupMembers { group } => people.has_members(group),
            Self::RequestorManager { level } => {
                target.is_some_and(|target| Self::manager_of(level, target, people).is_some())
            }
            Self::Unresolved => false,
        }
    }
}

/// Who decides one approval stage: primary approvers, and the alternates asked once it escalates,
/// each with fallbacks used when the sets name no one for the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageApprovers {
    /// `primaryApprovers`.
    pub primary: Vec<SubjectSet>,
    /// `fallbackPrimaryApprovers`: asked when the primary sets name no one.
    #[serde(default)]
    pub fallback_primary: Vec<SubjectSet>,
    /// `escalationApprovers`.
    #[serde(default)]
    pub escalation: Vec<SubjectSet>,
    /// `fallbackEscalationApprovers`: asked when the escalation sets name no one.
    #[serde(default)]
    pub fallback_escalation: Vec<SubjectSet>,
}

impl StageApprovers {
    /// A stage decided by named users: `primary`, and `escalation` once it escalates.
    pub fn users(primary: &[SubjectId], escalation: &[SubjectId]) -> Self {
        let singles = |users: &[SubjectId]| {
            users
                .iter()
                .map(|&user| SubjectSet::SingleUser { user })
                .collect()
        };
        Self {
            primary: singles(primary),
            escalation: singles(escalation),
            ..Self::default()
        }
    }
}

/// Whether `subject` is among `sets`, or, when `sets` name no one for the request, among `fallback`.
fn among(
    sets: &[SubjectSet],
    fallback: &[SubjectSet],
    subject: SubjectId,
    target: Option<SubjectId>,
    people: &impl People,
) -> bool {
    let effective = if sets.iter().any(|set| set.names_anyone(target, people)) {
        sets
    } else {
        fallback
    };
    effective
        .iter()
        .any(|set| set.includes(subject, target, people))
}

/// The stages of a policy (`stages`, in order) that `subject` approves for a request whose target
/// is `target`, as a primary or an escalation approver.
pub fn approver_of(
    stages: &[StageApprovers],
    subject: SubjectId,
    target: Option<SubjectId>,
    people: &impl People,
) -> ApproverOf {
    let mut facts = ApproverOf::NONE;
    for (index, stage) in (0..).zip(stages) {
        if among(
            &stage.primary,
            &stage.fallback_primary,
            subject,
            target,
            people,
        ) {
            facts.primary = facts.primary.with(index);
        }
        if among(
            &stage.escalation,
            &stage.fallback_escalation,
            subject,
            target,
            people,
        ) {
            facts.escalation = facts.escalation.with(index);
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::actor::StageSet;
    use crate::id::Guid;

    fn user(n: u128) -> SubjectId {
        SubjectId::new(Guid::from_u128(n))
    }

    fn group(n: u128) -> GroupId {
        GroupId::new(Guid::from_u128(n))
    }

    #[test]
    fn a_stage_of_named_users_names_them_and_no_fallbacks() {
        let stage = StageApprovers::users(&[user(1), user(2)], &[user(3)]);
        let single = |n| SubjectSet::SingleUser { user: user(n) };
        assert_eq!(
            stage,
            StageApprovers {
                primary: vec![single(1), single(2)],
                fallback_primary: vec![],
                escalation: vec![single(3)],
                fallback_escalation: vec![],
            }
        );
    }

    /// Users 1..=9; 2 manages 1, 3 manages 2; group 100 has 4 and 5; group 200 is empty.
    struct Tenant;

    impl People for Tenant {
        fn is_member(&self, subject: SubjectId, g: GroupId) -> bool {
            g == group(100) && (subject == user(4) || subject == user(5))
        }
        fn has_members(&self, g: GroupId) -> bool {
            g == group(100)
        }
        fn manager(&self, u: SubjectId) -> Option<SubjectId> {
            match u.guid().as_u128() {
                1 => Some(user(2)),
                2 => Some(user(3)),
                _ => None,
            }
        }
    }

    #[test]
    fn sets_resolve_against_the_directory() {
        let target = Some(user(1));
        let direct = SubjectSet::RequestorManager { level: 1 };
        let second = SubjectSet::RequestorManager { level: 2 };
        assert!(direct.includes(user(2), target, &Tenant));
        assert!(!direct.includes(user(3), target, &Tenant));
        assert!(second.includes(user(3), target, &Tenant));
        assert!(!SubjectSet::RequestorManager { level: 3 }.names_anyone(target, &Tenant));
        assert!(!SubjectSet::RequestorManager { level: 0 }.names_anyone(target, &Tenant));
        assert!(!direct.names_anyone(None, &Tenant));
        let members = SubjectSet::GroupMembers { group: group(100) };
        assert!(members.includes(user(4), None, &Tenant));
        assert!(!members.includes(user(6), None, &Tenant));
        assert!(!SubjectSet::GroupMembers { group: group(200) }.names_anyone(None, &Tenant));
        assert!(SubjectSet::SingleUser { user: user(7) }.includes(user(7), None, &Tenant));
        assert!(!SubjectSet::Unresolved.includes(user(7), None, &Tenant));
        assert!(!SubjectSet::Unresolved.names_anyone(None, &Tenant));
    }

    #[test]
    fn fallbacks_answer_only_when_the_sets_name_no_one() {
        let stage = StageApprovers {
            primary: vec![SubjectSet::RequestorManager { level: 1 }],
            fallback_primary: vec![SubjectSet::SingleUser { user: user(9) }],
            escalation: vec![SubjectSet::GroupMembers { group: group(200) }],
            fallback_escalation: vec![SubjectSet::GroupMembers { group: group(100) }],
        };
        let stages = [stage];
        // User 1 has a manager: the fallback is not asked.
        let manager = approver_of(&stages, user(2), Some(user(1)), &Tenant);
        assert!(manager.primary.contains(0));
        assert!(
            !approver_of(&stages, user(9), Some(user(1)), &Tenant)
                .primary
                .contains(0)
        );
        // User 3 has none: the fallback is.
        assert!(
            approver_of(&stages, user(9), Some(user(3)), &Tenant)
                .primary
                .contains(0)
        );
        // The escalation group is empty: its fallback group's members escalate.
        let member = approver_of(&stages, user(5), Some(user(1)), &Tenant);
        assert!(member.escalation.contains(0));
        assert!(!member.primary.contains(0));
        assert_eq!(
            approver_of(&stages, user(8), Some(user(1)), &Tenant),
            ApproverOf::NONE
        );
    }

    #[test]
    fn stages_are_counted_in_order() {
        let one = |n| StageApprovers {
            primary: vec![SubjectSet::SingleUser { user: user(n) }],
            ..StageApprovers::default()
        };
        let stages = [one(4), one(5), one(4)];
        let facts = approver_of(&stages, user(4), None, &Tenant);
        assert_eq!(facts.primary, StageSet::NONE.with(0).with(2));
        assert_eq!(facts.escalation, StageSet::NONE);
    }
}
