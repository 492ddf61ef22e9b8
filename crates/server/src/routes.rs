//! The router: the Graph paths under `/v1.0` and `/beta`, the control API, health and metrics, and the
//! layers every request passes (envelope, body limit, timeout, panic guard, tracing).

use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};
use entitle_core::ApiVersion;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire::Api;
use crate::{approvals, control, envelope, requests};

/// The largest request body accepted (`413 payloadTooLarge` above it).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Bodies declared over the limit but no larger than this are read and discarded before the `413`, so
/// the client reads the answer instead of a connection reset.
const DRAIN_LIMIT: usize = 1024 * 1024;
/// How long one request may take before it is answered `408`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const MANAGEMENT: &str = "/identityGovernance/entitlementManagement";

/// The request routes under one collection name.
fn request_routes(collection: &str) -> Router<AppState> {
    let base = format!("{MANAGEMENT}/{collection}");
    Router::new()
        .route(&base, get(requests::list).post(requests::create))
        .route(
            &format!("{base}/{{id}}"),
            get(requests::get).delete(requests::delete),
        )
        .route(&format!("{base}/{{id}}/cancel"), post(requests::cancel))
        .route(
            &format!("{base}/{{id}}/reprocess"),
            post(requests::reprocess),
        )
}

/// The approval routes under one name for stages (`stages`, beta also `steps`).
fn approval_routes(stages: &str) -> Router<AppState> {
    let base = format!("{MANAGEMENT}/accessPackageAssignmentApprovals/{{id}}/{stages}");
    Router::new()
        .route(&base, get(approvals::list_stages))
        .route(
            &format!("{base}/{{stage}}"),
            get(approvals::get_stage).patch(approvals::review_stage),
        )
}

/// Everything one API version serves.
fn graph_routes(api: ApiVersion) -> Router<AppState> {
    let routes = request_routes("assignmentRequests").merge(approval_routes("stages"));
    let routes = match api {
        ApiVersion::V1 => routes,
        ApiVersion::Beta => routes
            .merge(request_routes("accessPackageAssignmentRequests"))
            .merge(approval_routes("steps")),
    };
    routes.layer(Extension(Api(api)))
}

fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/_entitle/requests/{id}/events", post(control::post_event))
        .route("/_entitle/requests/{id}/history", get(control::history))
        .route(
            "/_entitle/clock",
            get(control::get_clock).post(control::advance_clock),
        )
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

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest("/v1.0", graph_routes(ApiVersion::V1))
        .nest("/beta", graph_routes(ApiVersion::Beta))
        .route("/healthz", get(control::healthz))
        .route("/readyz", get(control::readyz))
        .route("/metrics", get(control::metrics));
    if state.control_api {
        app = app.merge(control_routes());
    }
    app.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn(refuse_oversized))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            envelope::graph_envelope,
        ))
        .with_state(state)
}
