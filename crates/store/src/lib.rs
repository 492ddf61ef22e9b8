//! # entitle-store
//!
//! Where entitle's server keeps its state: assignment requests, the assignments they create, the
//! append-only history of every transition, and the tenant directory (users, catalogs, access
//! packages, policies, role assignments). [`Store`] is the contract; [`SqliteStore`] is the embedded
//! default and [`PostgresStore`] serves several server processes sharing one PostgreSQL database, with
//! the same semantics (one conformance suite runs against both).
//!
//! Every method blocks: call a store from ordinary threads or `tokio::task::spawn_blocking`.
//!
//! A transition is atomic: read the request and its assignment, ask entitle-core, and write what it
//! decided only if the request's version is still the one read. A stale decision is never applied,
//! and a refusal writes nothing. A write is acknowledged only once it is committed (on SQLite, several
//! writes waiting together share one commit). The store decides nothing itself.

mod codec;
pub mod directory;
mod group;
pub mod history;
mod integrity;
pub mod postgres;
pub mod record;
pub mod sqlite;
mod store;
mod telemetry;
mod tenant;

pub use directory::{
    AccessPackage, AssignmentPolicy, Catalog, ConnectedOrganization, Directory, DirectoryError,
    ExternalSubject, ExternalTargetError, Group, OnBehalfRequestor, Placement, RoleAssignment,
    User,
};
pub use history::{Event, HistoryEntry};
pub use integrity::Integrity;
pub use postgres::PostgresStore;
pub use record::{AssignmentRecord, RECORD_FORMAT, RequestRecord, ReviewNote};
pub use sqlite::SqliteStore;
pub use store::{
    AssignmentQuery, CallerFor, Command, CreateFailure, Created, NewRequest, Query, Store,
    StoreError, Stored, TransitionError, Transitioned,
};
pub use telemetry::{Backend, Observer, PoolStatus};
pub use tenant::TenantLoadError;
