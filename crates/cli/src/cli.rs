//! Command-line arguments and their dispatch to the renderers.

use std::fmt;

use clap::{Parser, Subcommand, ValueEnum};
use entitle_core::ApiVersion;

use crate::{document, render};

/// entitle: the verified lifecycle of a Microsoft Entra access package assignment request.
#[derive(Debug, Parser)]
#[command(name = "entitle", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 success, 2 bad arguments or output error.")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the transition table.
    Table {
        /// The output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// The Graph version whose spellings to use.
        #[arg(long, value_enum, default_value_t = Api::V1)]
        api: Api,
    },
    /// Print the status table: wire names, states, terminal, cancelable and provenance.
    Statuses {
        /// The Graph version whose spellings to use.
        #[arg(long, value_enum, default_value_t = Api::V1)]
        api: Api,
    },
    /// Print the full status × action grid.
    Grid {
        /// The Graph version whose spellings to use.
        #[arg(long, value_enum, default_value_t = Api::V1)]
        api: Api,
    },
    /// Print the generated `docs/transitions.md`.
    Doc,
}

/// Output formats of `table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Markdown table.
    Md,
    /// A Mermaid state diagram.
    Mermaid,
}

/// Graph versions, as spelled on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Api {
    /// Microsoft Graph v1.0.
    #[value(name = "v1.0")]
    V1,
    /// Microsoft Graph beta.
    Beta,
}

impl From<Api> for ApiVersion {
    fn from(api: Api) -> Self {
        match api {
            Api::V1 => Self::V1,
            Api::Beta => Self::Beta,
        }
    }
}

/// Renders what `command` asks for.
///
/// # Errors
/// Only if formatting into the string fails.
pub fn run(command: &Command) -> Result<String, fmt::Error> {
    let mut out = String::new();
    match *command {
        Command::Table {
            format: Format::Md,
            api,
        } => render::transitions(&mut out, api.into())?,
        Command::Table {
            format: Format::Mermaid,
            api,
        } => render::mermaid(&mut out, api.into())?,
        Command::Statuses { api } => render::statuses(&mut out, api.into())?,
        Command::Grid { api } => render::grid(&mut out, api.into())?,
        Command::Doc => out = document::transitions_document()?,
    }
    Ok(out)
}
