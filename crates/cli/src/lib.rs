//! The `entitle` command line: the auditor's view of entitle-core's lifecycle.
//!
//! The library parses arguments and runs commands into an [`Outcome`](run::Outcome) (text and exit
//! code); `main.rs` only prints it. Every decision comes from entitle-core through entitle-audit.

pub mod args;
pub mod check;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod run;
pub mod who;

/// The entitle version, as in the manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The source commit entitle was built from, when git knew it at build time.
pub const SOURCE_COMMIT: Option<&str> = option_env!("ENTITLE_SOURCE_COMMIT");

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
