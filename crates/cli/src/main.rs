//! The `entitle` binary: parses arguments, prints what the library renders, maps errors to exit codes.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use entitle_cli::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let printed = run(&cli.command)
        .map_err(|error| error.to_string())
        .and_then(|text| {
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|error| error.to_string())
        });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("entitle: {message}");
            ExitCode::from(2)
        }
    }
}
