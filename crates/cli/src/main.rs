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
        Err(error) => {
            // One clear line: clap's first line, without its usage block.
            let text = error.to_string();
            let line = text.lines().next().unwrap_or_default();
            eprintln!("entitle: {}", line.trim_start_matches("error: "));
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

/// Prints `text` to `--output` or standard output.
fn emit(cli: &Cli, text: &str) -> Result<(), CliError> {
    match &cli.output {
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
