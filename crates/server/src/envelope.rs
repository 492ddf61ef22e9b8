//! The outermost middleware: every response gets a `request-id` (and the client's
//! `client-request-id`), every error, whoever produced it, becomes a Graph error envelope, and every
//! request is counted, timed and logged in a span of its own.

use axum::body::{Body, to_bytes};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entitle_graph::{Exchange, envelope};
use tracing::Instrument as _;

use crate::error::{ApiError, ErrorCode};
use crate::metrics::Limit;
use crate::state::AppState;

/// `request-id`.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// `client-request-id`.
pub const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
/// The longest `client-request-id` echoed.
const MAX_CLIENT_REQUEST_ID: usize = 128;
/// The most of a framework error body read into the message.
const MAX_FALLBACK_MESSAGE: usize = 4096;

/// The code for an error the framework produced (unknown route, wrong method, body too large, ...).
fn fallback_code(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::AccessDenied,
        StatusCode::NOT_FOUND => ErrorCode::ItemNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::NotSupported,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::ActivityLimitReached,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServiceNotAvailable,
        status if status.is_client_error() => ErrorCode::InvalidRequest,
        _ => ErrorCode::GeneralException,
    }
}

/// A lowercase first letter, as the house style for messages.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

fn client_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&CLIENT_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() <= MAX_CLIENT_REQUEST_ID)
        .map(str::to_owned)
}

/// Headers of the original error response worth keeping.
const KEPT: [HeaderName; 3] = [header::WWW_AUTHENTICATE, header::RETRY_AFTER, header::ALLOW];

/// The middleware. Each request runs in a `request` span that carries its `request_id`,
/// `client_request_id`, route template and method, then the caller's object id (recorded by
/// [`crate::access`]), the status and the duration; one `answered` event per request closes it.
pub async fn graph_envelope(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.in_flight();
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = client_request_id(request.headers());
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |route| route.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        client_request_id = tracing::field::Empty,
        route = %route,
        method = %method,
        caller = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    if let Some(id) = &client_request_id {
        span.record("client_request_id", id.as_str());
    }
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Some(limit) = response.extensions().get::<Limit>() {
        state.metrics.refused(*limit);
    }
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    if failed && response.extensions().get::<ApiError>().is_none() {
        let code = fallback_code(status);
        let (parts, body) = response.into_parts();
        let text = to_bytes(body, MAX_FALLBACK_MESSAGE)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let message = match code {
            ErrorCode::ItemNotFound => format!("no resource at `{method} {path}`"),
            ErrorCode::NotSupported => format!("`{method}` is not supported on `{path}`"),
            _ if text.trim().is_empty() => {
                status.canonical_reason().unwrap_or("error").to_lowercase()
            }
            _ => lowercase_first(text.trim()),
        };
        response = Response::from_parts(parts, Body::empty());
        response
            .extensions_mut()
            .insert(ApiError::new(code, message));
    }
    let response = finish(&state, response, &request_id, client_request_id);
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.response(&method, status);
    state
        .metrics
        .request_duration(&route, &method, status, took);
    span.record("status", status);
    span.record("duration_ms", took.as_secs_f64() * 1000.0);
    tracing::info!(parent: &span, "answered");
    response
}

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Writes the envelope for error responses and the id headers for all.
fn finish(
    state: &AppState,
    response: Response,
    request_id: &str,
    client_request_id: Option<String>,
) -> Response {
    let status = response.status();
    let mut response = match response.extensions().get::<ApiError>().cloned() {
        Some(error) => {
            let body = envelope(
                error.code.as_str(),
                &error.message,
                Exchange {
                    request_id,
                    client_request_id: client_request_id.as_deref(),
                    date: state.clock.now(),
                },
            );
            let mut rebuilt =
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            for name in KEPT {
                if let Some(value) = response.headers().get(&name) {
                    rebuilt.headers_mut().insert(name, value.clone());
                }
            }
            if error.code == ErrorCode::Unauthenticated
                && !rebuilt.headers().contains_key(header::WWW_AUTHENTICATE)
            {
                rebuilt
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            rebuilt
        }
        None => response,
    };
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(value) = client_request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(CLIENT_REQUEST_ID, value);
    }
    response
}
