//! The JSON table export loads back to the same table and header, for the built-in table and for
//! random tables; and every other format renders random tables without losing a row.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use entitle_audit::render::{self, Format};
use entitle_audit::{
    Actor, AssignmentStateEntry, AssignmentTable, AuthorityEntry, Export, Header, LifecycleTable,
    RequestTypeEntry, StatusEntry,
};
use entitle_core::{
    ActionKind, ApiVersion, AssignmentCondition, AssignmentEvent, AssignmentState,
    AssignmentTransition, Condition, Decision, Effect, Operation, Provenance, RequestState,
    RequestStatus, RequestType, Source, Submitter, Transition, VariantArray,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

fn provenance() -> impl Strategy<Value = Provenance> {
    prop_oneof![
        select(Source::VARIANTS).prop_map(Provenance::Documented),
        select(Decision::VARIANTS).prop_map(Provenance::Modelled),
    ]
}

/// Text with the characters exports must survive: quotes, backslashes, separators, line breaks,
/// unicode, and anything else.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z \"'\\\\,;|<>#%{}\\[\\]\n\r\té€😀\u{0}\u{7f}-]{0,24}",
        any::<String>(),
    ]
}

fn status_entry(status: RequestStatus) -> impl Strategy<Value = StatusEntry> {
    (
        select(RequestState::VARIANTS),
        any::<bool>(),
        any::<bool>(),
        provenance(),
        provenance(),
    )
        .prop_map(
            move |(state, completed, terminal, provenance, state_provenance)| StatusEntry {
                status,
                state,
                completed,
                terminal,
                provenance,
                state_provenance,
            },
        )
}

fn authority_entry() -> impl Strategy<Value = AuthorityEntry> {
    (
        select(Actor::VARIANTS),
        select(Operation::all()),
        subsequence(RequestStatus::VARIANTS, 0..=RequestStatus::VARIANTS.len()),
        text(),
        provenance(),
    )
        .prop_map(
            |(actor, operation, authorized_in, rule, provenance)| AuthorityEntry {
                actor,
                operation,
                authorized_in,
                rule,
                provenance,
            },
        )
}

fn request_type_entry() -> impl Strategy<Value = RequestTypeEntry> {
    (
        select(RequestType::VARIANTS),
        select(Effect::VARIANTS),
        select(Submitter::VARIANTS),
        any::<[bool; 3]>(),
        subsequence(RequestStatus::VARIANTS, 0..=RequestStatus::VARIANTS.len()),
        provenance(),
    )
        .prop_map(
            |(
                request_type,
                effect,
                submitter,
                [needs_assignment, grants, needs_approval],
                deletable_in,
                provenance,
            )| {
                RequestTypeEntry {
                    request_type,
                    effect,
                    submitter,
                    needs_assignment,
                    grants,
                    needs_approval,
                    deletable_in,
                    provenance,
                }
            },
        )
}

/// A random assignment table: a subset of the states in random order, and rows between them.
fn assignment_table() -> impl Strategy<Value = AssignmentTable> {
    subsequence(
        AssignmentState::VARIANTS,
        0..=AssignmentState::VARIANTS.len(),
    )
    .prop_shuffle()
    .prop_flat_map(|listed| {
        let states: Vec<_> = listed
            .iter()
            .map(|&state| {
                any::<bool>().prop_map(move |terminal| AssignmentStateEntry { state, terminal })
            })
            .collect();
        let rows = if listed.is_empty() {
            Just(Vec::new()).boxed()
        } else {
            let row = (
                proptest::option::of(select(listed.clone())),
                select(AssignmentEvent::VARIANTS),
                select(AssignmentCondition::VARIANTS),
                select(listed),
                provenance(),
            )
                .prop_map(|(from, event, when, to, provenance)| AssignmentTransition {
                    from,
                    event,
                    when,
                    to,
                    provenance,
                });
            prop::collection::vec(row, 0..16).boxed()
        };
        (states, rows)
    })
    .prop_map(|(states, transitions)| AssignmentTable {
        states,
        transitions,
    })
}

/// A random table: a non-empty subset of the statuses in random order with random facts,
/// transitions between listed statuses only, and random authority entries.
fn lifecycle_table() -> impl Strategy<Value = LifecycleTable> {
    subsequence(RequestStatus::VARIANTS, 1..=RequestStatus::VARIANTS.len())
        .prop_shuffle()
        .prop_flat_map(|listed| {
            let statuses: Vec<_> = listed.iter().map(|&status| status_entry(status)).collect();
            let transition = (
                select(listed.clone()),
                select(ActionKind::VARIANTS),
                select(Condition::VARIANTS),
                select(listed),
                provenance(),
            )
                .prop_map(|(from, action, when, to, provenance)| Transition {
                    from,
                    action,
                    when,
                    to,
                    provenance,
                });
            (
                statuses,
                prop::collection::vec(transition, 0..40),
                prop::collection::vec(authority_entry(), 0..30),
                prop::collection::vec(request_type_entry(), 0..16),
                assignment_table(),
                any::<u64>(),
            )
        })
        .prop_map(
            |(
                statuses,
                transitions,
                authority,
                request_types,
                assignment,
                reprocess_window_days,
            )| {
                LifecycleTable {
                    statuses,
                    transitions,
                    authority,
                    request_types,
                    assignment,
                    reprocess_window_days,
                }
            },
        )
}

/// A table and a header built for it, with a version and commit drawn from `text`.
fn table_and_header<S>(text: fn() -> S) -> impl Strategy<Value = (LifecycleTable, Header)>
where
    S: Strategy<Value = String>,
{
    lifecycle_table().prop_flat_map(move |table| {
        let header = (text(), proptest::option::of(text())).prop_map({
            let table = table.clone();
            move |(version, commit)| Header::new(&table, &version, commit.as_deref())
        });
        (Just(table), header)
    })
}

/// A version or commit on one line, as the CLI writes them, so comment lines stay comments.
fn one_line() -> impl Strategy<Value = String> {
    "[a-z0-9.+ _-]{0,16}"
}

#[test]
fn the_builtin_table_round_trips() {
    let table = LifecycleTable::builtin();
    let header = Header::new(&table, "0.1.0", Some("0123456789ab"));
    for &api in ApiVersion::VARIANTS {
        let json = render::table(&table, Format::Json, api, &header);
        let export = Export::from_json(&json).unwrap();
        assert_eq!(export.table, table);
        assert_eq!(export.entitle, Some(header.clone()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_round_trips(
        (table, header) in table_and_header(text),
        api in select(ApiVersion::VARIANTS),
    ) {
        let json = render::table(&table, Format::Json, api, &header);
        let export = Export::from_json(&json).unwrap();
        prop_assert_eq!(&export.table, &table);
        prop_assert_eq!(export.entitle.as_ref(), Some(&header));
    }

    #[test]
    fn every_format_renders_every_row(
        (table, header) in table_and_header(one_line),
        api in select(ApiVersion::VARIANTS),
    ) {
        for &format in Format::VARIANTS {
            let text = render::table(&table, format, api, &header);
            prop_assert!(text.ends_with('\n'), "{format}");
            let matrix = render::matrix(&table, format, api, &header);
            prop_assert!(matrix.ends_with('\n'), "{format}");
        }
        let dot = render::table(&table, Format::Dot, api, &header);
        prop_assert_eq!(
            dot.lines().filter(|line| line.contains(" -> ")).count(),
            table.transitions.len() + table.assignment.transitions.len()
        );

        let csv = render::table(&table, Format::Csv, api, &header);
        let data_lines = csv.lines().filter(|line| !line.starts_with('#')).count();
        prop_assert_eq!(data_lines, table.transitions.len() + 1);
        let md = render::table(&table, Format::Md, api, &header);
        prop_assert_eq!(md.matches("<!--").count(), 1);
        prop_assert_eq!(md.matches("-->").count(), 1);
    }
}
