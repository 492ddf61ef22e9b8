//! # entitle-graph
//!
//! The Microsoft Graph wire format of access package assignment requests: the v1.0 and beta JSON
//! shapes of a request, its approval stages and its assignment, the create body, `requestType` and Graph's
//! evolvable-enum rule, the cancel body, the error envelope and `DateTimeOffset` text. Pure
//! translation of entitle-core's values: every decision stays in entitle-core.

pub mod answer;
pub mod assignment;
pub mod cancel;
pub mod create;
pub mod datetime;
pub mod error;
pub mod filter;
pub mod question;
pub mod request;
pub mod request_type;
pub mod resume;
pub mod schedule;
pub mod stage;
pub mod subject;
pub mod tenant;

pub use answer::{Answer, QuestionKind};
pub use assignment::AssignmentView;
pub use cancel::{CancelBodyError, check_cancel_body};
pub use create::{CreateBody, CreateBodyError, TargetRef, parse_create};
pub use error::{Exchange, envelope};
pub use filter::{AssignmentFacts, Filter, FilterError, FilterFacts, Resource};
pub use question::{Choice, LocalizedContent, LocalizedText, Question};
pub use request::{Moment, RequestView};
pub use request_type::{
    EnumPreference, INCLUDE_UNKNOWN_ENUM_MEMBERS, UNKNOWN_FUTURE_VALUE, UnknownRequestType,
};
pub use resume::{CalloutStage, ResumeBody, ResumeBodyError, parse_resume};
pub use schedule::{ExpirationType, RequestedSchedule};
pub use stage::StageWire;
pub use subject::SubjectView;
