//! The `entitle` command line: renders entitle-core's lifecycle for policy auditors.
//!
//! The library holds the renderers so that tests and the docs generator use exactly what the binary
//! prints; `main.rs` only parses arguments and dispatches.

pub mod cli;
pub mod document;
pub mod render;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
