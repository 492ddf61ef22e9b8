//! The built-in demo tenant of `entitle serve --demo`: a directory of memorable users, one catalog with
//! three access packages under four policies, and one seeded request in every status.
//!
//! Every id is fixed ([`ids`]), so `docs/demo.md`, tests and scripts can name "the `PendingApproval`
//! request" or "Adele". The directory is [`directory`]; [`seed`] produces every seeded request through
//! the real path: the store's `create`, then its `transition`, with the caller the HTTP handlers would
//! resolve (directory roles, catalog roles and approvers included), so each history is a valid path
//! through entitle-core's tables.
//!
//! The Identity Governance Administrator (Isaiah) holds his role through the `wids` claim of his
//! token, never through the directory: Microsoft Entra directory roles are stated by the token.
//!
//! ⚠️ `--demo` also accepts tokens signed with the public, well-known demo key. Never use it with real
//! data.

pub mod ids;
mod seed;
mod tenant;

pub use ids::*;
pub use seed::seed;
pub use tenant::directory;
