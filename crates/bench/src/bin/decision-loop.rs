//! Runs one decision of the `decision` benchmark in a tight loop and nothing else, so that a profiler
//! sees only that decision: `just profile-decision apply approve` records it with `perf` and prints
//! the hottest instructions.
//!
//! Usage: `decision-loop can_cancel STATUS [CALLS]` or `decision-loop apply ACTION [STATUS] [CALLS]`,
//! with the wire names of statuses and actions (`pendingApproval`, `approve`). `apply` takes the
//! fixture's caller for the action, from `pendingApproval` unless a status is given.

use std::hint::black_box;
use std::process::ExitCode;
use std::str::FromStr;

use entitle_bench::fixture;
use entitle_core::{ActionKind, RequestStatus};

/// Calls made when the command line does not say.
const DEFAULT_CALLS: u64 = 500_000_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("decision-loop: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["can_cancel", status, rest @ ..] => {
            let request = fixture::request_in(parse(status)?);
            let caller = fixture::requestor();
            let calls = calls(rest)?;
            let mut yes = 0_u64;
            for _ in 0..calls {
                yes += u64::from(
                    black_box(&request).can_cancel(black_box(&caller), black_box(fixture::NOW)),
                );
            }
            println!("can_cancel: {yes} of {calls} calls true");
            Ok(())
        }
        ["apply", action, rest @ ..] => {
            let action: ActionKind = parse(action)?;
            let (status, rest) = match rest {
                [status, rest @ ..] if status.parse::<u64>().is_err() => (parse(status)?, rest),
                _ => (RequestStatus::PendingApproval, rest),
            };
            let request = fixture::request_in(status);
            let asked = fixture::action(action);
            let calls = calls(rest)?;
            let mut moved = 0_u64;
            for _ in 0..calls {
                let step = black_box(&request).apply(black_box(&asked), black_box(fixture::NOW));
                moved += u64::from(black_box(step).is_ok());
            }
            println!("apply: {moved} of {calls} calls moved the request");
            Ok(())
        }
        _ => Err(
            "usage: decision-loop can_cancel STATUS [CALLS] | apply ACTION [STATUS] [CALLS]"
                .to_owned(),
        ),
    }
}

fn parse<T: FromStr>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("`{word}` is not a status or an action"))
}

fn calls(rest: &[&str]) -> Result<u64, String> {
    match rest {
        [] => Ok(DEFAULT_CALLS),
        [count] => count
            .parse()
            .map_err(|_| format!("`{count}` is not a number of calls")),
        _ => Err("too many arguments".to_owned()),
    }
}
