//! Renderers: each writes a table or matrix in one format into a string, deterministically.
//!
//! [`table()`] and [`matrix()`] dispatch on a [`Format`] and start every export with its provenance
//! [`Header`]: an HTML comment in Markdown, `#` lines in CSV, `//` lines in DOT and `%%` lines in
//! Mermaid, and an `entitle` member in JSON. The modules hold the pieces, for callers that compose
//! their own documents.

pub mod csv;
pub mod dot;
pub mod markdown;
pub mod matrix;
pub mod mermaid;

use core::fmt;

use entitle_core::{
    ApiVersion, AssignmentCondition, AssignmentState, AssignmentTransition, Condition,
    RequestStatus, Transition,
};

use crate::export::{Export, Header};
use crate::table::LifecycleTable;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum Format {
    /// Markdown tables, for review.
    Md,
    /// Comma-separated values (RFC 4180), for spreadsheets.
    Csv,
    /// JSON, for tools: the table export loads back with [`Export::from_json`].
    Json,
    /// A Graphviz DOT graph.
    Dot,
    /// A Mermaid diagram.
    Mermaid,
}

impl Format {
    /// The format's name on the command line: `md`, `csv`, `json`, `dot` or `mermaid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Dot => "dot",
            Self::Mermaid => "mermaid",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transition table in `format`, starting with the provenance header.
///
/// - `Md`: the statuses, the condition legend, the transitions, the request types and the
///   assignment's states and transitions, under `##` headings.
/// - `Csv`: `row,from,action,when,to,provenance_kind,provenance`, one line per request transition
///   (the request transitions only, as a comment line after the header says).
/// - `Json`: exactly [`Export::to_json`] of the table with `header`, so it loads back with
///   [`Export::from_json`].
/// - `Dot`: a `digraph lifecycle` with a node per status and an edge per transition, and the
///   assignment's states and moves as a separate cluster.
/// - `Mermaid`: the [`mermaid::diagram`] `stateDiagram-v2`, the assignment as a composite state.
///
/// `api` chooses the spelling of statuses and states in every format but JSON, which always uses the
/// canonical (serde, v1.0) names so that its hash and loading do not depend on it.
pub fn table(table: &LifecycleTable, format: Format, api: ApiVersion, header: &Header) -> String {
    match format {
        Format::Json => Export {
            entitle: Some(header.clone()),
            table: table.clone(),
        }
        .to_json(),
        Format::Md => written(|out| {
            markdown::comment_header(out, header, api)?;
            markdown::lifecycle(out, table, api)
        }),
        Format::Csv => written(|out| {
            comment_header(out, header, "#", api);
            out.push_str(csv::TABLE_SCOPE);
            csv::table(out, table, api)
        }),
        Format::Dot => written(|out| {
            comment_header(out, header, "//", api);
            dot::table(out, table, api)
        }),
        Format::Mermaid => written(|out| {
            comment_header(out, header, "%%", api);
            mermaid::diagram(out, table, api)
        }),
    }
}

/// The authority matrix in `format`, starting with the provenance header.
///
/// - `Md`: who may act at all (actor × operation, with the rule), the operations that do not depend
///   on the status (actor × operation), then one table per status for `delete` and the actions.
/// - `Csv`: `status,actor,permission,role,operation,decision,when`, one line per cell; `status` is
///   empty for an operation that does not depend on it.
/// - `Json`: `{"entitle": header, "matrix": [MatrixEntry…]}`, pretty, ending with a newline.
/// - `Dot` and `Mermaid`: a graph from actors to the operations they may perform.
///
/// Cells follow [`matrix`](crate::matrix()): statuses in the table's order, actors in
/// [`Actor::VARIANTS`](crate::Actor) order, operations in `Operation::all()` order. As for
/// [`table`], `api` spells statuses in every format but JSON.
pub fn matrix(table: &LifecycleTable, format: Format, api: ApiVersion, header: &Header) -> String {
    match format {
        Format::Json => matrix::json(table, header),
        Format::Md => written(|out| {
            markdown::comment_header(out, header, api)?;
            matrix::markdown(out, table, api)
        }),
        Format::Csv => written(|out| {
            comment_header(out, header, "#", api);
            matrix::csv(out, table, api)
        }),
        Format::Dot => written(|out| {
            comment_header(out, header, "//", api);
            matrix::dot(out, table, api)
        }),
        Format::Mermaid => written(|out| {
            comment_header(out, header, "%%", api);
            matrix::mermaid(out, table, api)
        }),
    }
}

/// Runs a renderer into a new string.
fn written(render: impl FnOnce(&mut String) -> fmt::Result) -> String {
    let mut out = String::new();
    // Writing into a `String` cannot fail.
    let _ = render(&mut out);
    out
}

/// The header as comment lines started by `prefix`, and the API version names are spelled in.
fn comment_header(out: &mut String, header: &Header, prefix: &str, api: ApiVersion) {
    out.push_str(&header.comment_lines(prefix));
    out.push_str(prefix);
    out.push_str(" names as spelled by Graph ");
    out.push_str(api.as_str());
    out.push('\n');
}

/// Whether a value is shown as `yes` or `no`.
pub(crate) fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A transition's target, with its condition when it has one: `Delivering if startReached`.
pub(crate) fn conditional_target(
    row: Transition,
    name: impl Fn(RequestStatus) -> &'static str,
) -> String {
    match row.when {
        Condition::Always => name(row.to).to_owned(),
        when => format!("{} if {}", name(row.to), when.as_str()),
    }
}

/// A transition's edge label in diagrams: `approve [moreStagesRemain]`, or the bare action.
pub(crate) fn edge_label(row: Transition) -> String {
    match row.when {
        Condition::Always => row.action.to_string(),
        when => format!("{} [{}]", row.action, when.as_str()),
    }
}

/// An assignment row's edge label in diagrams: `scheduleEnded [endReached]`, or the bare event.
pub(crate) fn assignment_edge_label(row: AssignmentTransition) -> String {
    match row.when {
        AssignmentCondition::Always => row.event.to_string(),
        when @ AssignmentCondition::EndReached => format!("{} [{}]", row.event, when.as_str()),
    }
}

/// An assignment state as spelled by `api`: lowerCamel in v1.0, PascalCase in beta.
pub(crate) const fn assignment_state_name(state: AssignmentState, api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => state.as_str(),
        ApiVersion::Beta => state.beta_str(),
    }
}
