//! # entitle-reference
//!
//! A deliberately naive reference model of entitle-core, written from the specification
//! (`docs/decisions.md`) as plain matches, for the model-based property test
//! (`crates/core/tests/model.rs`) and the `lifecycle` fuzz target to compare the core against.
//!
//! It uses only the core's data types (statuses, actions, callers, denials, the `Request` and
//! `Assignment` values it predicts) and the derivation of an adding request's assignment id; never its
//! decision logic (`TRANSITIONS`, `ASSIGNMENT_TRANSITIONS`, `Condition::holds`, `authorize`,
//! `RequestType::effect`, `is_completed` and the like). Where the two disagree, one of them is wrong.

#![allow(
    clippy::match_same_arms,
    reason = "the model states its rules case by case, as the specification does"
)]

pub mod callers;
pub mod model;
pub mod rules;

pub use callers::Who;
pub use model::{Ask, Model, ModelAssignment};
