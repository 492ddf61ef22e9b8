//! The checks of the assignment table, and of the request types, which walk both tables together.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use entitle_core::{
    AssignmentEvent, AssignmentState, AssignmentTransition, Effect, RequestStatus, RequestType,
    Transition, VariantArray,
};

use super::rows::{RowScan, describe_row, scan_rows};
use super::{AssignmentPathStep, Check, CheckOutcome, Problem, Step, outcome};
use crate::table::LifecycleTable;

/// Where a request and its assignment stand together: the request's status, and the assignment's
/// state (`None` before it exists).
type Node = (RequestStatus, Option<AssignmentState>);

/// How a node was first reached: from which node, by which request row, and by which assignment row
/// when the request row moved the assignment.
#[derive(Clone, Copy)]
struct Via<'a> {
    from: Node,
    row: &'a Transition,
    moved: Option<&'a AssignmentTransition>,
}

/// A request row that causes an event the assignment table has no row for, from where it happens.
#[derive(Clone, Copy)]
struct Missing<'a> {
    at: Node,
    row: &'a Transition,
    event: AssignmentEvent,
}

impl Missing<'_> {
    /// What a problem is reported for: the request row (by identity), the assignment's state and the
    /// event. Types whose walks miss the same move are reported together.
    fn key(&self) -> (*const Transition, Option<AssignmentState>, AssignmentEvent) {
        (core::ptr::from_ref(self.row), self.at.1, self.event)
    }
}

/// Every node a request of one type reaches with its assignment, from its start nodes.
struct Exploration<'a> {
    /// Every node reached, with how it was first reached (`None` for a start node): a breadth-first
    /// tree, so following it back gives a shortest path.
    reached: BTreeMap<Node, Option<Via<'a>>>,
    /// The moves the assignment table does not allow, in the order found.
    missing: Vec<Missing<'a>>,
}

impl<'a> Exploration<'a> {
    /// Walks `live` request rows and `moves` assignment rows together from `starts`, for `kind`.
    fn new(
        kind: RequestType,
        starts: &[Node],
        live: &[&'a Transition],
        moves: &[&'a AssignmentTransition],
    ) -> Self {
        let mut reached: BTreeMap<Node, Option<Via<'a>>> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for &start in starts {
            if let Entry::Vacant(slot) = reached.entry(start) {
                slot.insert(None);
                queue.push_back(start);
            }
        }
        let mut missing = Vec::new();
        while let Some(at) = queue.pop_front() {
            let (status, state) = at;
            for &row in live.iter().filter(|row| row.from == status) {
                let mut next: Vec<(Node, Option<&'a AssignmentTransition>)> = Vec::new();
                match AssignmentEvent::caused_by(kind, row) {
                    None => next.push(((row.to, state), None)),
                    Some(event) => {
                        let allowed: Vec<&'a AssignmentTransition> = moves
                            .iter()
                            .copied()
                            .filter(|moved| moved.from == state && moved.event == event)
                            .collect();
                        if allowed.is_empty() {
                            missing.push(Missing { at, row, event });
                        }
                        next.extend(
                            allowed
                                .into_iter()
                                .map(|moved| ((row.to, Some(moved.to)), Some(moved))),
                        );
                    }
                }
                for (node, moved) in next {
                    if let Entry::Vacant(slot) = reached.entry(node) {
                        slot.insert(Some(Via {
                            from: at,
                            row,
                            moved,
                        }));
                        queue.push_back(node);
                    }
                }
            }
        }
        Self { reached, missing }
    }

    /// A shortest path from a start node to `node`, request and assignment rows interleaved.
    fn path_to(&self, node: Node) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut current = node;
        while let Some(Some(via)) = self.reached.get(&current) {
            if let Some(moved) = via.moved {
                steps.push(Step::from(moved));
            }
            steps.push(Step::from(via.row));
            current = via.from;
            // The tree has no cycles; this only bounds the walk should that ever change.
            if steps.len() > self.reached.len().saturating_mul(2) {
                break;
            }
        }
        steps.reverse();
        steps
    }
}

/// What the assignment checks need to know about a table, computed once.
pub(super) struct AssignmentAnalysis<'a> {
    table: &'a LifecycleTable,
    /// The listed states, each once, in table order.
    listed: Vec<AssignmentState>,
    /// Assignment rows that can apply under some condition, in table order.
    live: Vec<&'a AssignmentTransition>,
    /// Repeated and dead assignment rows.
    row_problems: Vec<Problem>,
    /// Every state reachable from creation, with the live row it was first reached by.
    reached: BTreeMap<AssignmentState, &'a AssignmentTransition>,
    /// For each request type, in member order, its walk through both tables.
    explorations: Vec<(RequestType, Exploration<'a>)>,
    /// Events of changes and removals that no state reachable from creation has a row for, with the
    /// types that cause them.
    unaccepted: Vec<(AssignmentEvent, Vec<RequestType>)>,
}

/// Names as a message fragment: `` `a`, `b` ``.
fn quoted<T: core::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let names: Vec<String> = items.into_iter().map(|item| format!("`{item}`")).collect();
    names.join(", ")
}

impl<'a> AssignmentAnalysis<'a> {
    pub(super) fn new(table: &'a LifecycleTable, requests: &[&'a Transition]) -> Self {
        let mut listed = Vec::new();
        for entry in &table.assignment.states {
            if !listed.contains(&entry.state) {
                listed.push(entry.state);
            }
        }
        let RowScan { live, problems } = scan_rows(table.assignment.transitions.as_slice());
        let mut reached: BTreeMap<AssignmentState, &'a AssignmentTransition> = BTreeMap::new();
        let mut queue = VecDeque::new();
        let mut visit = |row: &'a AssignmentTransition, queue: &mut VecDeque<AssignmentState>| {
            if let Entry::Vacant(slot) = reached.entry(row.to) {
                slot.insert(row);
                queue.push_back(row.to);
            }
        };
        for &row in live.iter().filter(|row| row.from.is_none()) {
            visit(row, &mut queue);
        }
        while let Some(state) = queue.pop_front() {
            for &row in live.iter().filter(|row| row.from == Some(state)) {
                visit(row, &mut queue);
            }
        }
        let mut explorations = Vec::new();
        let mut unaccepted: Vec<(AssignmentEvent, Vec<RequestType>)> = Vec::new();
        for &kind in RequestType::VARIANTS {
            let starts: Vec<Node> = if kind.needs_assignment() {
                // A change or a removal names an existing assignment that has a row for what it does.
                let mut events: Vec<AssignmentEvent> = Vec::new();
                for row in requests {
                    if let Some(event) = AssignmentEvent::caused_by(kind, row)
                        && !events.contains(&event)
                    {
                        events.push(event);
                    }
                }
                let starts: Vec<Node> = reached
                    .keys()
                    .filter(|&&state| {
                        live.iter()
                            .any(|row| row.from == Some(state) && events.contains(&row.event))
                    })
                    .map(|&state| (RequestStatus::Accepted, Some(state)))
                    .collect();
                if let (Some(&event), true) = (events.first(), starts.is_empty()) {
                    match unaccepted.iter_mut().find(|(other, _)| *other == event) {
                        Some((_, kinds)) => kinds.push(kind),
                        None => unaccepted.push((event, vec![kind])),
                    }
                }
                starts
            } else {
                vec![(RequestStatus::Accepted, None)]
            };
            explorations.push((kind, Exploration::new(kind, &starts, requests, &live)));
        }
        Self {
            table,
            listed,
            live,
            row_problems: problems,
            reached,
            explorations,
            unaccepted,
        }
    }

    fn is_listed(&self, state: AssignmentState) -> bool {
        self.listed.contains(&state)
    }

    /// Whether the (first) entry of `state` marks it terminal.
    fn is_terminal(&self, state: AssignmentState) -> bool {
        self.table
            .assignment_state(state)
            .is_some_and(|entry| entry.terminal)
    }

    /// Every row from `state`, live or not, in table order.
    fn exits(&self, state: AssignmentState) -> Vec<&'a AssignmentTransition> {
        self.table
            .assignment
            .transitions
            .iter()
            .filter(|row| row.from == Some(state))
            .collect()
    }

    /// A shortest path from creation to `state`, or `None` when `state` is unreachable.
    fn path_to(&self, state: AssignmentState) -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        let mut current = state;
        loop {
            let row = self.reached.get(&current)?;
            steps.push(Step::from(*row));
            match row.from {
                Some(from) => current = from,
                None => break,
            }
            // The tree has no cycles; this only bounds the walk should that ever change.
            if steps.len() > self.reached.len() {
                return None;
            }
        }
        steps.reverse();
        Some(steps)
    }

    pub(super) fn request_types(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        for &kind in RequestType::VARIANTS {
            let count = self
                .table
                .request_types
                .iter()
                .filter(|entry| entry.request_type == kind)
                .count();
            match count {
                0 => problems.push(Problem::new(
                    format!("no entry says what a `{kind}` request is"),
                    Vec::new(),
                )),
                1 => {}
                _ => problems.push(Problem::new(
                    format!("`{kind}` has {count} entries"),
                    Vec::new(),
                )),
            }
        }
        // Adding types deletable where they may have created an assignment, grouped by statuses.
        let mut created: Vec<(Vec<RequestStatus>, Vec<RequestType>, Vec<Step>)> = Vec::new();
        for entry in &self.table.request_types {
            let kind = entry.request_type;
            let unlisted: Vec<RequestStatus> = entry
                .deletable_in
                .iter()
                .copied()
                .filter(|&status| self.table.status(status).is_none())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !unlisted.is_empty() {
                problems.push(Problem::new(
                    format!(
                        "`{kind}` requests may be deleted from {}, which the table does not list",
                        quoted(&unlisted)
                    ),
                    Vec::new(),
                ));
            }
            let running: Vec<RequestStatus> = self
                .table
                .statuses
                .iter()
                .filter(|status| !status.completed && entry.deletable_in.contains(&status.status))
                .map(|status| status.status)
                .collect();
            if !running.is_empty() {
                problems.push(Problem::new(
                    format!(
                        "`{kind}` requests may be deleted from {}, which {} not completed",
                        quoted(&running),
                        if running.len() == 1 { "is" } else { "are" }
                    ),
                    Vec::new(),
                ));
            }
            if kind.effect() != Effect::Add {
                continue;
            }
            let Some((_, walk)) = self.explorations.iter().find(|(other, _)| *other == kind) else {
                continue;
            };
            let mut nodes: Vec<Node> = Vec::new();
            for &node in walk.reached.keys() {
                if node.1.is_some()
                    && entry.deletable_in.contains(&node.0)
                    && nodes.iter().all(|other| other.0 != node.0)
                {
                    nodes.push(node);
                }
            }
            let Some(&first) = nodes.first() else {
                continue;
            };
            let statuses: Vec<RequestStatus> = nodes.iter().map(|node| node.0).collect();
            match created.iter_mut().find(|(other, _, _)| *other == statuses) {
                Some((_, kinds, _)) => kinds.push(kind),
                None => created.push((statuses, vec![kind], walk.path_to(first))),
            }
        }
        for (statuses, kinds, path) in created {
            problems.push(Problem::new(
                format!(
                    "{} requests may be deleted from {}, where they may have created an assignment",
                    quoted(&kinds),
                    quoted(&statuses)
                ),
                path,
            ));
        }
        let summary = format!(
            "each of the {} request types is listed once, and its requests may be deleted only once \
             completed, and never after they created an assignment",
            RequestType::VARIANTS.len()
        );
        outcome(Check::RequestTypes, summary, problems)
    }

    pub(super) fn rows(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        let states = &self.table.assignment.states;
        for (index, entry) in states.iter().enumerate() {
            if states
                .iter()
                .take(index)
                .any(|other| other.state == entry.state)
            {
                problems.push(Problem::new(
                    format!(
                        "assignment state `{}` is listed more than once",
                        entry.state
                    ),
                    Vec::new(),
                ));
            }
        }
        for (index, row) in self.table.assignment.transitions.iter().enumerate() {
            let mut named: Vec<AssignmentState> = row.from.into_iter().collect();
            if !named.contains(&row.to) {
                named.push(row.to);
            }
            for state in named.into_iter().filter(|&state| !self.is_listed(state)) {
                problems.push(Problem::new(
                    format!(
                        "{} names `{state}`, which the table does not list",
                        describe_row(index, row)
                    ),
                    vec![Step::from(row)],
                ));
            }
        }
        problems.extend(self.row_problems.iter().cloned());
        let summary = format!(
            "every row over the {} assignment states and {} events names listed states: {} rows, \
             none repeated or dead",
            self.listed.len(),
            AssignmentEvent::VARIANTS.len(),
            self.table.assignment.transitions.len()
        );
        outcome(Check::AssignmentRows, summary, problems)
    }

    pub(super) fn creation(&self) -> CheckOutcome {
        let creating: Vec<(usize, &AssignmentTransition)> = self
            .table
            .assignment
            .transitions
            .iter()
            .enumerate()
            .filter(|(_, row)| row.from.is_none())
            .collect();
        let mut problems = Vec::new();
        match creating.as_slice() {
            [] => problems.push(Problem::new(
                "no row creates the assignment".to_owned(),
                Vec::new(),
            )),
            [_] => {}
            rows => {
                let described: Vec<String> = rows
                    .iter()
                    .map(|(index, row)| describe_row(*index, *row))
                    .collect();
                problems.push(Problem::new(
                    format!(
                        "{} rows create the assignment: {}",
                        rows.len(),
                        described.join(", ")
                    ),
                    rows.iter().map(|(_, row)| Step::from(*row)).collect(),
                ));
            }
        }
        let summary = match creating.first() {
            Some((_, row)) => format!(
                "exactly one row creates the assignment: `{}`",
                AssignmentPathStep::from(*row)
            ),
            None => "no row creates the assignment".to_owned(),
        };
        outcome(Check::AssignmentCreation, summary, problems)
    }

    pub(super) fn reachable(&self) -> CheckOutcome {
        let unreachable: Vec<AssignmentState> = self
            .listed
            .iter()
            .copied()
            .filter(|state| !self.reached.contains_key(state))
            .collect();
        let mut problems = Vec::new();
        match unreachable.len() {
            0 => {}
            1 => problems.push(Problem::new(
                format!(
                    "assignment state {} is not reachable from creation",
                    quoted(&unreachable)
                ),
                Vec::new(),
            )),
            _ => problems.push(Problem::new(
                format!(
                    "assignment states {} are not reachable from creation",
                    quoted(&unreachable)
                ),
                Vec::new(),
            )),
        }
        let summary = format!(
            "all {} assignment states are reachable from creation",
            self.listed.len()
        );
        outcome(Check::AssignmentReachable, summary, problems)
    }

    pub(super) fn terminal(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        let mut terminal = Vec::new();
        for &state in &self.listed {
            let exits = self.exits(state);
            if self.is_terminal(state) {
                terminal.push(state);
                let Some(first) = exits.first() else {
                    continue;
                };
                let events: BTreeSet<String> =
                    exits.iter().map(|row| format!("`{}`", row.event)).collect();
                let leave = match exits.len() {
                    1 => "a row leaves it".to_owned(),
                    count => format!("{count} rows leave it"),
                };
                let mut path = self.path_to(state).unwrap_or_default();
                path.push(Step::from(*first));
                problems.push(Problem::new(
                    format!(
                        "assignment state `{state}` is marked terminal but {leave} ({})",
                        events.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    path,
                ));
            } else if exits.is_empty() {
                problems.push(Problem::new(
                    format!(
                        "assignment state `{state}` has no outgoing rows but is not marked terminal"
                    ),
                    self.path_to(state).unwrap_or_default(),
                ));
            }
        }
        let summary = match terminal.len() {
            0 => "no assignment state is marked terminal, and every state has outgoing rows"
                .to_owned(),
            1 => format!(
                "no row leaves the terminal assignment state {}, and every other state has outgoing \
                 rows",
                quoted(&terminal)
            ),
            count => format!(
                "no row leaves the {count} terminal assignment states ({}), and every other state \
                 has outgoing rows",
                quoted(&terminal)
            ),
        };
        outcome(Check::AssignmentTerminal, summary, problems)
    }

    pub(super) fn no_dead_ends(&self) -> CheckOutcome {
        // States from which a terminal state can be reached: a backward fixpoint over live rows.
        let mut can_finish: BTreeSet<AssignmentState> = self
            .listed
            .iter()
            .copied()
            .filter(|&state| self.is_terminal(state))
            .collect();
        // Every round that changes anything adds a state, so `listed.len()` rounds reach the fixpoint.
        for _ in 0..=self.listed.len() {
            let before = can_finish.len();
            for row in &self.live {
                if let Some(from) = row.from
                    && can_finish.contains(&row.to)
                {
                    can_finish.insert(from);
                }
            }
            if can_finish.len() == before {
                break;
            }
        }
        let mut problems = Vec::new();
        for &state in &self.listed {
            // States without exits are `assignment-terminal`'s; unreachable ones
            // `assignment-reachable`'s.
            if self.is_terminal(state)
                || self.exits(state).is_empty()
                || can_finish.contains(&state)
            {
                continue;
            }
            if let Some(path) = self.path_to(state) {
                problems.push(Problem::new(
                    format!(
                        "assignment state `{state}` is reachable but cannot reach a terminal state"
                    ),
                    path,
                ));
            }
        }
        let summary =
            "every assignment state reachable from creation can reach a terminal state".to_owned();
        outcome(Check::AssignmentNoDeadEnds, summary, problems)
    }

    pub(super) fn follows_requests(&self) -> CheckOutcome {
        // Grouped by what is missing: the request row, the state it leaves the assignment in, and
        // the event, with the types whose paths get there, in the order found.
        let mut missing: Vec<(Missing<'a>, Vec<RequestType>, Vec<Step>)> = Vec::new();
        for (kind, walk) in &self.explorations {
            for found in &walk.missing {
                // A walk pops each node once and finds at most one missing move per row there, so a
                // type joins a group at most once.
                let same = missing
                    .iter_mut()
                    .find(|(other, _, _)| other.key() == found.key());
                if let Some((_, kinds, _)) = same {
                    kinds.push(*kind);
                } else {
                    let mut path = walk.path_to(found.at);
                    path.push(Step::from(found.row));
                    missing.push((*found, vec![*kind], path));
                }
            }
        }
        let mut problems = Vec::new();
        for (found, kinds, path) in missing {
            let index = self
                .table
                .transitions
                .iter()
                .position(|row| core::ptr::eq(row, found.row))
                .unwrap_or_default();
            let state = found
                .at
                .1
                .map_or_else(|| "(none)".to_owned(), |state| state.to_string());
            problems.push(Problem::new(
                format!(
                    "{} causes `{}` on the assignment of {} requests, which no row allows from \
                     `{state}`",
                    describe_row(index, found.row),
                    found.event,
                    quoted(&kinds)
                ),
                path,
            ));
        }
        for (event, kinds) in &self.unaccepted {
            problems.push(Problem::new(
                format!(
                    "no assignment state reachable from creation has a row for `{event}`, so {} \
                     requests can never be submitted",
                    quoted(kinds)
                ),
                Vec::new(),
            ));
        }
        let summary = format!(
            "along the request table, every event the {} request types cause on their assignment \
             has a row from the state their path left it in, and every change or removal applies \
             to some state reachable from creation",
            RequestType::VARIANTS.len()
        );
        outcome(Check::AssignmentFollowsRequests, summary, problems)
    }
}
