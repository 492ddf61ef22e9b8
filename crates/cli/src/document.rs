//! The generated `docs/transitions.md`: everything an auditor reads, from the core's data alone.

use core::fmt::{self, Write};

use entitle_core::{ApiVersion, RequestStatus, TRANSITIONS, VariantArray};

use crate::render;

/// The repository path of the generated document, relative to the workspace root.
pub const TRANSITIONS_PATH: &str = "docs/transitions.md";

/// Renders the whole `docs/transitions.md`.
///
/// # Errors
/// Only if writing to the string fails.
pub fn transitions_document() -> Result<String, fmt::Error> {
    let api = ApiVersion::V1;
    let mut out = String::new();
    let documented = TRANSITIONS
        .iter()
        .filter(|row| row.provenance.is_documented())
        .count();
    let cancelable: Vec<String> = RequestStatus::VARIANTS
        .iter()
        .filter(|status| status.is_cancelable())
        .map(|status| format!("`{status}`"))
        .collect();
    let terminal: Vec<String> = RequestStatus::VARIANTS
        .iter()
        .filter(|status| status.is_terminal())
        .map(|status| format!("`{status}`"))
        .collect();

    writeln!(
        out,
        "<!-- Generated from entitle-core's transition table by `entitle doc`. Do not edit: run `just docs`. -->"
    )?;
    writeln!(
        out,
        "# The lifecycle of an access package assignment request\n"
    )?;
    writeln!(
        out,
        "Generated from entitle-core {version}. Spellings are Microsoft Graph v1.0's; beta writes \
         states in PascalCase and shows `Delivered` as `Fulfilled` (`entitle table --api beta`).\n",
        version = entitle_core::VERSION
    )?;
    writeln!(
        out,
        "- {} statuses; terminal: {}.",
        RequestStatus::VARIANTS.len(),
        terminal.join(", ")
    )?;
    writeln!(
        out,
        "- {} transitions: {} documented by Microsoft, {} modelled by entitle (see [decisions](decisions.md)).",
        TRANSITIONS.len(),
        documented,
        TRANSITIONS.len() - documented
    )?;
    writeln!(
        out,
        "- `cancel` is allowed from {} only.\n",
        cancelable.join(", ")
    )?;
    writeln!(
        out,
        "**How to read the table.** Every request is submitted as `Accepted`. For a status and an action, \
         the rows are tried in order and the first whose condition holds moves the request. A pair with \
         no row is rejected as not allowed from that status; a pair whose rows' conditions all fail is \
         rejected as not possible yet (or any more). Authorization is decided before the status is \
         read, and a rejected action changes nothing.\n"
    )?;
    writeln!(out, "## Statuses\n")?;
    render::statuses(&mut out, api)?;
    writeln!(out, "\n## Conditions\n")?;
    render::conditions(&mut out)?;
    writeln!(out, "\n## Transitions\n")?;
    render::transitions(&mut out, api)?;
    writeln!(out, "\n## Every status and action\n")?;
    writeln!(
        out,
        "`—` means the action is rejected as not allowed from that status.\n"
    )?;
    render::grid(&mut out, api)?;
    writeln!(out, "\n## Diagram\n")?;
    writeln!(out, "```mermaid")?;
    render::mermaid(&mut out, api)?;
    writeln!(out, "```")?;
    Ok(out)
}
