//! The router: the Graph paths under `/v1.0` and `/beta`, the control API, health, metrics and the
//! `OpenAPI` description, and the layers every request passes, outermost first: the base of links,
//! the Graph envelope (with the request's span, metrics and log line), the panic guard, the rate
//! limit, the request timeout, the body limit (the whole body is read here), the in-flight limit.
//!
//! Every route is one row of a single table: the router is built from it and [`routes`] lists it,
//! so the list of served paths and methods (which `tests/openapi.rs` checks against
//! `docs/openapi.yaml`) cannot drift from what is served.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Extension, Router, middleware};
use entitle_core::ApiVersion;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::catalogs::Kind;
use crate::error::{ApiError, ErrorCode};
use crate::limits::{self, Guards};
use crate::state::AppState;
use crate::wire::{self, Api, RequestTypeCase};
use crate::{approvals, assignments, catalogs, control, directory, envelope, links, requests};

/// The largest request body accepted (`413 payloadTooLarge` above it).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Bodies declared over the limit but no larger than this are read and discarded before the `413`, so
/// the client reads the answer instead of a connection reset.
const DRAIN_LIMIT: usize = 1024 * 1024;
/// How long one request may take before it is answered `408` (the default of
/// [`Limits::request_timeout`](crate::limits::Limits::request_timeout)).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const MANAGEMENT: &str = "/identityGovernance/entitlementManagement";

/// The `OpenAPI` description of everything served, at `GET /openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../../docs/openapi.yaml");

/// A method a route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `GET` (axum also answers `HEAD` with it).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The HTTP method.
    pub const fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Post => Method::POST,
            Self::Put => Method::PUT,
            Self::Patch => Method::PATCH,
            Self::Delete => Method::DELETE,
        }
    }

    const fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// A served route: its path (axum syntax, parameters as `{name}`) and the methods it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The path.
    pub path: String,
    /// The methods, in the order the table gives them.
    pub methods: Vec<Verb>,
}

/// One row of the table: a path, the API version its handlers serve (Graph paths only), and a
/// handler per method.
struct Row {
    path: String,
    api: Option<ApiVersion>,
    handlers: Vec<(Verb, MethodRouter<AppState>)>,
    /// What answers the other methods (the router's `405` when `None`).
    not_allowed: Option<fn(MethodRouter<AppState>) -> MethodRouter<AppState>>,
    /// How a request collection spells beta's `requestType` (request rows only).
    case: Option<RequestTypeCase>,
    /// The kind of catalog object served (catalog rows only).
    kind: Option<Kind>,
}

impl Row {
    fn new(path: impl Into<String>, api: Option<ApiVersion>) -> Self {
        Self {
            path: path.into(),
            api,
            handlers: Vec::new(),
            not_allowed: None,
            case: None,
            kind: None,
        }
    }

    const fn case(mut self, case: RequestTypeCase) -> Self {
        self.case = Some(case);
        self
    }

    fn on<H, T>(mut self, verb: Verb, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.handlers.push((verb, on(verb.filter(), handler)));
        self
    }
}

/// The request rows under one collection name.
fn request_rows(rows: &mut Vec<Row>, api: ApiVersion, collection: &str) {
    let base = format!("{}{MANAGEMENT}/{collection}", wire::prefix(api));
    let case = RequestTypeCase {
        lower_camel: api == ApiVersion::Beta && collection == "assignmentRequests",
    };
    let api = Some(api);
    rows.push(
        Row::new(&base, api)
            .on(Verb::Get, requests::list)
            .on(Verb::Post, requests::create)
            .case(case),
    );
    let mut item = Row::new(format!("{base}/{{id}}"), api)
        .on(Verb::Get, requests::get)
        .on(Verb::Delete, requests::delete)
        .case(case);
    item.not_allowed = Some(|methods| methods.fallback(requests::item_not_allowed));
    rows.push(item);
    rows.push(Row::new(format!("{base}/{{id}}/cancel"), api).on(Verb::Post, requests::cancel));
    rows.push(
        Row::new(format!("{base}/{{id}}/reprocess"), api).on(Verb::Post, requests::reprocess),
    );
    rows.push(Row::new(format!("{base}/{{id}}/resume"), api).on(Verb::Post, requests::resume));
}

/// The assignments collection of `api` (`assignments`, beta `accessPackageAssignments`).
fn assignment_rows(rows: &mut Vec<Row>, api: ApiVersion) {
    let name = match api {
        ApiVersion::V1 => "assignments",
        ApiVersion::Beta => "accessPackageAssignments",
    };
    let base = format!("{}{MANAGEMENT}/{name}", wire::prefix(api));
    rows.push(Row::new(&base, Some(api)).on(Verb::Get, assignments::list));
    rows.push(Row::new(format!("{base}/{{id}}"), Some(api)).on(Verb::Get, assignments::get));
}

/// The approval rows under one name for stages (`stages`, beta also `steps`).
fn approval_rows(rows: &mut Vec<Row>, api: ApiVersion, stages: &str) {
    let base = format!(
        "{}{MANAGEMENT}/accessPackageAssignmentApprovals/{{id}}/{stages}",
        wire::prefix(api)
    );
    let api = Some(api);
    rows.push(Row::new(&base, api).on(Verb::Get, approvals::list_stages));
    rows.push(
        Row::new(format!("{base}/{{stage}}"), api)
            .on(Verb::Get, approvals::get_stage)
            .on(Verb::Patch, approvals::review_stage),
    );
}

/// The catalog objects of `api`: catalogs, access packages, assignment policies and role
/// assignments, and one of each.
fn catalog_rows(rows: &mut Vec<Row>, api: ApiVersion) {
    for kind in [
        Kind::Catalogs,
        Kind::Packages,
        Kind::Policies,
        Kind::RoleAssignments,
    ] {
        let base = format!("{}/{}", wire::prefix(api), kind.path(api));
        let mut list = Row::new(&base, Some(api))
            .on(Verb::Get, catalogs::list)
            .on(Verb::Post, catalogs::create);
        list.kind = Some(kind);
        rows.push(list);
        let mut item = Row::new(format!("{base}/{{id}}"), Some(api)).on(Verb::Get, catalogs::get);
        item = match kind {
            Kind::Catalogs | Kind::Packages => item.on(Verb::Patch, catalogs::update),
            Kind::Policies => item.on(Verb::Put, catalogs::update),
            Kind::RoleAssignments => item,
        };
        item = item.on(Verb::Delete, catalogs::delete);
        item.kind = Some(kind);
        rows.push(item);
    }
}

/// The directory objects of `api`: users, the signed-in user, groups and a group's members.
fn directory_rows(rows: &mut Vec<Row>, api: ApiVersion) {
    let prefix = wire::prefix(api);
    let api = Some(api);
    rows.push(Row::new(format!("{prefix}/users"), api).on(Verb::Get, directory::list_users));
    rows.push(Row::new(format!("{prefix}/users/{{id}}"), api).on(Verb::Get, directory::get_user));
    rows.push(Row::new(format!("{prefix}/me"), api).on(Verb::Get, directory::me));
    rows.push(Row::new(format!("{prefix}/groups"), api).on(Verb::Get, directory::list_groups));
    rows.push(Row::new(format!("{prefix}/groups/{{id}}"), api).on(Verb::Get, directory::get_group));
    rows.push(
        Row::new(format!("{prefix}/groups/{{id}}/members"), api)
            .on(Verb::Get, directory::list_members),
    );
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML).into_response()
}

/// Every route, with its handlers; the control API's only when it is on.
fn table(control_api: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for api in [ApiVersion::V1, ApiVersion::Beta] {
        request_rows(&mut rows, api, "assignmentRequests");
        approval_rows(&mut rows, api, "stages");
        rows.push(
            Row::new(
                format!(
                    "{}{MANAGEMENT}/accessPackageAssignmentApprovals/{{id}}",
                    wire::prefix(api)
                ),
                Some(api),
            )
            .on(Verb::Get, approvals::get_approval),
        );
        assignment_rows(&mut rows, api);
        catalog_rows(&mut rows, api);
        directory_rows(&mut rows, api);
        if api == ApiVersion::Beta {
            request_rows(&mut rows, api, "accessPackageAssignmentRequests");
            approval_rows(&mut rows, api, "steps");
        }
    }
    if control_api {
        rows.push(
            Row::new("/_entitle/requests/{id}/events", None).on(Verb::Post, control::post_event),
        );
        rows.push(
            Row::new("/_entitle/requests/{id}/history", None).on(Verb::Get, control::history),
        );
        rows.push(
            Row::new("/_entitle/clock", None)
                .on(Verb::Get, control::get_clock)
                .on(Verb::Post, control::advance_clock),
        );
    }
    rows.push(Row::new("/healthz", None).on(Verb::Get, control::healthz));
    rows.push(Row::new("/readyz", None).on(Verb::Get, control::readyz));
    rows.push(Row::new("/metrics", None).on(Verb::Get, control::metrics));
    rows.push(Row::new("/openapi.yaml", None).on(Verb::Get, openapi));
    rows
}

/// Every path the router serves and its methods (with the control API when `control_api`).
pub fn routes(control_api: bool) -> Vec<Route> {
    table(control_api)
        .into_iter()
        .map(|row| Route {
            path: row.path,
            methods: row.handlers.iter().map(|(verb, _)| *verb).collect(),
        })
        .collect()
}

/// Answers `413 payloadTooLarge` to a body whose `Content-Length` is over [`BODY_LIMIT`], after
/// reading and discarding it when it is at most [`DRAIN_LIMIT`].
async fn refuse_oversized(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT => {
            if length <= DRAIN_LIMIT {
                let _ = to_bytes(request.into_body(), DRAIN_LIMIT).await;
            }
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is {length} bytes; the limit is {BODY_LIMIT}"),
            )
            .into_response()
        }
        _ => next.run(request).await,
    }
}

/// Reads the whole body (at most [`BODY_LIMIT`], else `413 payloadTooLarge`) before the request
/// takes one of the slots in flight, so a client sending its body slowly holds only its connection,
/// and only until the request timeout answers `408`.
async fn read_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => {
            let request = Request::from_parts(parts, Body::from(collected.to_bytes()));
            next.run(request).await
        }
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is over the limit of {BODY_LIMIT} bytes"),
        )
        .into_response(),
        Err(error) => ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the body could not be read: {error}"),
        )
        .into_response(),
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    for row in table(state.control_api) {
        let mut methods = MethodRouter::new();
        for (_, handler) in row.handlers {
            methods = methods.merge(handler);
        }
        if let Some(not_allowed) = row.not_allowed {
            methods = not_allowed(methods);
        }
        if let Some(api) = row.api {
            methods = methods.layer(Extension(Api(api)));
        }
        if let Some(case) = row.case {
            methods = methods.layer(Extension(case));
        }
        if let Some(kind) = row.kind {
            methods = methods.layer(Extension(kind));
        }
        app = app.route(&row.path, methods);
    }
    let guards = Arc::new(Guards::new(&state.limits, state.verifier.clone()));
    app.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&guards),
            limits::shed_load,
        ))
        .layer(middleware::from_fn(read_body))
        .layer(middleware::from_fn(refuse_oversized))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.limits.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(guards, limits::rate_limit))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            envelope::graph_envelope,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), links::scoped))
        .with_state(state)
}
