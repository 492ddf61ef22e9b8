//! The `entitle` binary: parses arguments, runs the command, prints its output, maps errors to exit
//! codes (0 success, 1 rejected or failed, 2 bad input).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use clap::error::ErrorKind;
use entitle_cli::args::Cli;
use entitle_cli::run::{CliError, run};

/// Exit code for bad input.
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::from(BAD_INPUT);
        }
        Err(error) => {
            eprintln!("entitle: {}", one_line(&error.to_string()));
            return ExitCode::from(BAD_INPUT);
        }
    };
    match run(&cli).and_then(|outcome| emit(&cli, &outcome.text).map(|()| outcome.code)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("entitle: {error}");
            ExitCode::from(BAD_INPUT)
        }
    }
}

/// Clap's error as one line: its message and details, without the usage block and the help hint.
fn one_line(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    kept.join(" ").trim_start_matches("error: ").to_owned()
}

/// Prints `text` to `--output` or standard output.
fn emit(cli: &Cli, text: &str) -> Result<(), CliError> {
    match cli.command.output_file() {
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        }),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|source| CliError::Write {
                path: "standard output".into(),
                source,
            }),
    }
}
