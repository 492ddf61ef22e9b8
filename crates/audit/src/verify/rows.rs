//! Rows of either table, and how to tell the ones that can apply from repeated and dead ones.

use std::collections::BTreeMap;

use entitle_core::{AssignmentCondition, AssignmentTransition, Condition, Transition};

use super::{AssignmentPathStep, PathStep, Problem, Step};

/// A row of a first-matching-row table: the request's transition table or the assignment's.
pub(super) trait Row: Copy {
    /// The rows tried together: (status, action) or (state, event).
    type Group: Ord + Copy;
    /// The row's condition.
    type When: Ord + Copy;
    /// The row's group.
    fn group(&self) -> Self::Group;
    /// The row's condition.
    fn when(&self) -> Self::When;
    /// Whether the row's condition always holds.
    fn always(&self) -> bool;
    /// The row as a counterexample step.
    fn step(&self) -> Step;
    /// What rows of this table are called in messages: `row` or `assignment row`.
    fn noun() -> &'static str;
    /// The row as its path step shows it.
    fn shown(&self) -> String;
}

impl Row for Transition {
    type Group = (entitle_core::RequestStatus, entitle_core::ActionKind);
    type When = Condition;
    fn group(&self) -> Self::Group {
        (self.from, self.action)
    }
    fn when(&self) -> Condition {
        self.when
    }
    fn always(&self) -> bool {
        self.when == Condition::Always
    }
    fn step(&self) -> Step {
        Step::Request(PathStep::from(self))
    }
    fn noun() -> &'static str {
        "row"
    }
    fn shown(&self) -> String {
        PathStep::from(self).to_string()
    }
}

impl Row for AssignmentTransition {
    type Group = (
        Option<entitle_core::AssignmentState>,
        entitle_core::AssignmentEvent,
    );
    type When = AssignmentCondition;
    fn group(&self) -> Self::Group {
        (self.from, self.event)
    }
    fn when(&self) -> AssignmentCondition {
        self.when
    }
    fn always(&self) -> bool {
        self.when == AssignmentCondition::Always
    }
    fn step(&self) -> Step {
        Step::Assignment(AssignmentPathStep::from(self))
    }
    fn noun() -> &'static str {
        "assignment row"
    }
    fn shown(&self) -> String {
        AssignmentPathStep::from(self).to_string()
    }
}

/// A row as a message fragment, with its 0-based index shown 1-based: ``row 3 (`A --x [c]--> B`)``.
pub(super) fn describe_row<R: Row>(index: usize, row: &R) -> String {
    format!(
        "{} {} (`{}`)",
        R::noun(),
        index.saturating_add(1),
        row.shown()
    )
}

/// The rows split by whether they can ever apply under first-matching-row semantics.
pub(super) struct RowScan<'a, R> {
    /// Rows that can apply under some condition, in table order.
    pub(super) live: Vec<&'a R>,
    /// Repeated and dead rows.
    pub(super) problems: Vec<Problem>,
}

/// For one group, what the rows seen so far establish.
struct Group<W> {
    /// The index of its first unconditional row.
    always: Option<usize>,
    /// The index of the first row with each condition.
    conditions: BTreeMap<W, usize>,
}

/// Splits the rows into live ones and repeated or dead ones, under first-matching-row semantics.
pub(super) fn scan_rows<R: Row>(rows: &[R]) -> RowScan<'_, R> {
    let mut groups: BTreeMap<R::Group, Group<R::When>> = BTreeMap::new();
    let mut live = Vec::new();
    let mut problems = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let group = groups.entry(row.group()).or_insert_with(|| Group {
            always: None,
            conditions: BTreeMap::new(),
        });
        let earlier = group
            .always
            .or_else(|| group.conditions.get(&row.when()).copied());
        match earlier.and_then(|earlier| Some((earlier, rows.get(earlier)?))) {
            Some((earlier, first)) if first.always() => {
                problems.push(Problem::new(
                    format!(
                        "{} follows {}, which always applies, so it never applies",
                        describe_row(index, row),
                        describe_row(earlier, first)
                    ),
                    vec![first.step(), row.step()],
                ));
            }
            Some((earlier, first)) => {
                problems.push(Problem::new(
                    format!(
                        "{} repeats the condition of {}, so it never applies",
                        describe_row(index, row),
                        describe_row(earlier, first)
                    ),
                    vec![first.step(), row.step()],
                ));
            }
            None => {
                live.push(row);
                group.conditions.insert(row.when(), index);
                if row.always() {
                    group.always = Some(index);
                }
            }
        }
    }
    RowScan { live, problems }
}
