//! # entitle-bench
//!
//! Benchmarks of entitle-core's decisions — above all [`Request::can_cancel`] — measured side by side
//! with three peer implementations of the same status × action relation:
//!
//! - [`naive`]: a `HashMap<(String, String), String>` keyed by status and action names, as a service
//!   that keeps statuses as strings would write it;
//! - [`rust_fsm`]: the lifecycle in the DSL of the `rust-fsm` crate;
//! - [`statig`]: the lifecycle as a hierarchical state machine of the `statig` crate.
//!
//! The peers model only which status an action leads to: the core also decides who may act and
//! whether a row's condition holds at the given time. Where the core's table has several rows for
//! one (status, action), each guarded by a condition, every peer models the *first* row's target,
//! i.e. the outcome when that row's condition holds. [`fixture`] builds, for each status, the request
//! and the time at which every such first condition holds, and an authorized caller for each action,
//! so that the core and the peers can be compared cell by cell (`tests/agree.rs`).
//!
//! The peers use the core's vocabulary — [`RequestStatus`] and [`ActionKind`] (the naive table uses
//! their wire names) — but never its decision logic: [`naive`] is built from [`TRANSITIONS`], the
//! others are written out by hand and checked against the core.
//!
//! `rust-fsm` and `statig` are dependencies of this crate only; entitle-core does not use them.
//!
//! [`Request::can_cancel`]: entitle_core::Request::can_cancel
//! [`RequestStatus`]: entitle_core::RequestStatus
//! [`ActionKind`]: entitle_core::ActionKind
//! [`TRANSITIONS`]: entitle_core::TRANSITIONS

pub mod fixture;
pub mod naive;
pub mod rust_fsm;
pub mod statig;
