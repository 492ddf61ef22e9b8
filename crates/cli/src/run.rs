//! Runs a parsed command into its output and exit code. File reading happens here, nowhere else.

use std::fs;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use entitle_audit::docs::generated_docs;
use entitle_audit::verify::{Progress, verify};
use entitle_audit::{Actor, Export, Header, LifecycleTable, LoadError, diff::diff, render};
use entitle_core::{ActionKind, InvalidInput, RequestStatus, VariantArray};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::{Cli, Command, FailOn, ReportFormat, TableSource};
use crate::check::check;
use crate::{SOURCE_COMMIT, VERSION};

/// What a command produced: text for standard output (or `--output`) and its exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The text to print.
    pub text: String,
    /// 0 for success or allowed; 1 for rejected, failed or new access.
    pub code: u8,
}

impl Outcome {
    fn success(text: String) -> Self {
        Self { text, code: 0 }
    }

    fn judged(text: String, good: bool) -> Self {
        Self {
            text,
            code: u8::from(!good),
        }
    }
}

/// Why a command could not run: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A table file is not a valid export.
    #[error("`{path}`: {source}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: LoadError,
    },
    /// A value on the command line is not one entitle knows.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// An actor name entitle does not know.
    #[error("unknown actor `{0}`: expected one of {actors}", actors = actor_names())]
    UnknownActor(String),
    /// Rendering into a string failed.
    #[error("cannot render: {0}")]
    Render(#[from] std::fmt::Error),
}

fn actor_names() -> String {
    let names: Vec<&str> = Actor::VARIANTS.iter().map(|actor| actor.as_str()).collect();
    names.join(", ")
}

fn read(path: &Path) -> Result<String, CliError> {
    fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Loads a JSON export from `path`.
///
/// # Errors
/// When the file cannot be read or is not a valid export.
pub fn load(path: &Path) -> Result<LifecycleTable, CliError> {
    Export::from_json(&read(path)?)
        .map(|export| export.table)
        .map_err(|source| CliError::Load {
            path: path.to_owned(),
            source,
        })
}

fn table_from(source: &TableSource) -> Result<LifecycleTable, CliError> {
    source
        .file
        .as_deref()
        .map_or_else(|| Ok(LifecycleTable::builtin()), load)
}

fn header(table: &LifecycleTable) -> Header {
    Header::new(table, VERSION, SOURCE_COMMIT)
}

/// Runs `cli`'s command.
///
/// # Errors
/// A [`CliError`] for bad input; every decision is in the [`Outcome`].
pub fn run(cli: &Cli) -> Result<Outcome, CliError> {
    match &cli.command {
        Command::Table {
            format,
            api,
            source,
            ..
        } => {
            let table = table_from(source)?;
            Ok(Outcome::success(render::table(
                &table,
                (*format).into(),
                (*api).into(),
                &header(&table),
            )))
        }
        Command::Matrix {
            format,
            api,
            source,
            ..
        } => {
            let table = table_from(source)?;
            Ok(Outcome::success(render::matrix(
                &table,
                (*format).into(),
                (*api).into(),
                &header(&table),
            )))
        }
        Command::Check {
            action,
            status,
            actor,
            format,
            source,
            ..
        } => {
            let action = ActionKind::parse(action)?;
            let status = RequestStatus::parse(status)?;
            let actor = actor
                .as_deref()
                .map(|name| {
                    Actor::parse(name).ok_or_else(|| CliError::UnknownActor(name.to_owned()))
                })
                .transpose()?;
            let verdict = check(&table_from(source)?, action, status, actor);
            let text = match format {
                ReportFormat::Text => verdict.to_text(),
                ReportFormat::Json => verdict.to_json(),
            };
            Ok(Outcome::judged(text, verdict.allowed))
        }
        Command::Verify { format, source, .. } => {
            let table = table_from(source)?;
            let report = with_progress(|progress| verify(&table, progress));
            let text = match format {
                ReportFormat::Text => report.to_text(),
                ReportFormat::Json => report.to_json(),
            };
            Ok(Outcome::judged(text, report.passed()))
        }
        Command::Diff {
            old,
            new,
            fail_on,
            format,
            ..
        } => {
            let difference = diff(&load(old)?, &load(new)?);
            let text = match format {
                ReportFormat::Text => difference.to_text(),
                ReportFormat::Json => difference.to_json(),
            };
            let fails = *fail_on == Some(FailOn::NewAccess) && difference.grants_new_access();
            Ok(Outcome::judged(text, !fails))
        }
        Command::Docs { dir, check } => docs(dir, *check),
        Command::Completions { shell, .. } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "entitle", &mut script);
            Ok(Outcome::success(
                String::from_utf8_lossy(&script).into_owned(),
            ))
        }
    }
}

/// Writes (or with `check`, compares) the generated documents in `dir`.
fn docs(dir: &Path, check: bool) -> Result<Outcome, CliError> {
    let mut stale = Vec::new();
    for doc in generated_docs(&LifecycleTable::builtin(), VERSION)? {
        let path = dir.join(doc.name);
        if check {
            if fs::read_to_string(&path).ok().as_deref() != Some(doc.text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            fs::write(&path, &doc.text).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    if stale.is_empty() {
        Ok(Outcome::success(String::new()))
    } else {
        Ok(Outcome::judged(
            format!("stale: {} (run `just docs`)\n", stale.join(", ")),
            false,
        ))
    }
}

/// Runs `work` with a progress bar on standard error when it is a terminal.
fn with_progress<T>(work: impl FnOnce(&mut dyn FnMut(Progress)) -> T) -> T {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("verifying {bar:30} {pos}/{len}") {
        bar.set_style(style);
    }
    let result = work(&mut |progress: Progress| {
        bar.set_length(u64::try_from(progress.total).unwrap_or(u64::MAX));
        bar.set_position(u64::try_from(progress.done).unwrap_or(u64::MAX));
    });
    bar.finish_and_clear();
    result
}
