//! Renderers: each writes a table or matrix in one format into a string, deterministically.

pub mod csv;
pub mod dot;
pub mod markdown;
pub mod matrix;
pub mod mermaid;

use entitle_core::{Condition, RequestStatus, Transition};

/// Whether a value is shown as `yes` or `no`.
pub(crate) fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A transition's target, with its condition when it has one: `Delivering if startReached`.
pub(crate) fn conditional_target(
    row: &Transition,
    name: impl Fn(RequestStatus) -> &'static str,
) -> String {
    match row.when {
        Condition::Always => name(row.to).to_owned(),
        when => format!("{} if {}", name(row.to), when.as_str()),
    }
}
