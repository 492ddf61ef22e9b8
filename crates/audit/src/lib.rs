//! # entitle-audit
//!
//! Auditor views of entitle-core's lifecycle, as a pure library: the table as an owned document
//! ([`LifecycleTable`]: statuses, transitions, authority per operation, request types and the
//! assignment table) that exports write and `verify`/`diff` load back, renderers for every format,
//! the authority matrix over every operation, structural checks with counterexamples, and a diff
//! between two versions.
//!
//! Nothing here does I/O: renderers return strings, loaders take text. Output is deterministic, so
//! diffs of it stay small.

pub mod actor;
pub mod diff;
pub mod docs;
pub mod export;
pub mod matrix;
pub mod render;
pub mod table;
pub mod vectors;
pub mod verify;

pub use actor::Actor;
pub use export::{Export, Header, LoadError, canonical_json, table_hash};
pub use matrix::{Cell, MatrixEntry, cell, matrix};
pub use table::{
    AssignmentStateEntry, AssignmentTable, AuthorityEntry, LifecycleTable, RequestTypeEntry,
    StatusEntry,
};
