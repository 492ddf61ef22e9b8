//! # entitle-store
//!
//! Where entitle's server keeps its state: assignment requests, the append-only history of every
//! transition, and the tenant directory (users, catalogs, access packages, policies, role
//! assignments). [`Store`] is the contract; [`SqliteStore`] is the embedded default and
//! [`PostgresStore`] serves several server processes sharing one PostgreSQL database, with the same
//! semantics (one conformance suite runs against both).
//!
//! Every method blocks: call a store from ordinary threads or `tokio::task::spawn_blocking`.
//!
//! A transition is one transaction: read the request, ask entitle-core, and write the new request
//! with its history entry only if the request's version is still the one read. A stale decision is
//! never applied.

mod codec;
pub mod directory;
pub mod history;
pub mod postgres;
pub mod sqlite;
mod store;

pub use directory::{
    AccessPackage, AssignmentPolicy, Catalog, Directory, DirectoryError, RoleAssignment,
    StageApprovers, User,
};
pub use history::{Event, HistoryEntry};
pub use postgres::{PoolStatus, PostgresStore};
pub use sqlite::SqliteStore;
pub use store::{CallerFor, Query, Store, StoreError, Stored, TransitionError, Transitioned};
