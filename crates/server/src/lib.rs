//! # entitle-server
//!
//! A Microsoft Graph-compatible server for entitlement-management access package assignment requests:
//! create, list, get, `filterByCurrentUser`, `cancel`, `reprocess`, delete and the approval stages,
//! under `/v1.0` and `/beta`, with Graph's JSON shapes and error envelopes. Real Graph SDKs work
//! against it with only the base URL changed.
//!
//! Every lifecycle decision is entitle-core's; this crate only translates HTTP to core actions and
//! back, and keeps state in an [`entitle_store::Store`]. What Graph does on its own (delivery,
//! escalation, timeouts, callouts) is driven through the control API under `/_entitle/` and a virtual
//! clock.

#![allow(
    clippy::missing_errors_doc,
    reason = "handlers answer every error as a Graph envelope; the codes are listed in docs/errors.md"
)]

pub mod access;
pub mod actions;
pub mod approvals;
pub mod assignments;
pub mod catalogs;
pub mod clock;
mod connections;
pub mod control;
pub mod demo;
pub mod directory;
pub mod directory_cache;
pub mod envelope;
pub mod error;
pub mod error_docs;
pub mod limits;
pub mod links;
pub mod metrics;
pub mod odata;
pub mod requests;
pub mod routes;
pub mod serve;
pub mod state;
pub mod tls;
pub mod wire;

pub use clock::{Clock, ClockBase};
pub use error::{ApiError, ErrorCode};
pub use limits::{Limits, ManualTime, TimeSource};
pub use links::{Links, PublicUrl, PublicUrlError};
pub use routes::router;
pub use serve::{ServeError, ServeOptions, run, serve};
pub use state::{AppState, Shared};
