//! # entitle-graph
//!
//! The Microsoft Graph wire format of access package assignment requests: the v1.0 and beta JSON
//! shapes, `requestType` and Graph's evolvable-enum rule, the cancel body, the error envelope and
//! `DateTimeOffset` text. Pure translation: every decision stays in entitle-core.

pub mod cancel;
pub mod datetime;
pub mod error;
pub mod request;
pub mod request_type;

pub use cancel::{CancelBodyError, check_cancel_body};
pub use error::{Exchange, envelope};
pub use request::AssignmentRequest;
pub use request_type::{EnumPolicy, INCLUDE_UNKNOWN_ENUM_MEMBERS, RequestType, UnknownRequestType};
