//! OpenTelemetry export of the server's spans over OTLP/HTTP (the `otlp` cargo feature and
//! `serve --otlp-endpoint URL`): every `request` span, with its `request_id`, route, caller, status and
//! duration, and the `store` spans inside it, go to a collector as well as to the log.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// Why spans cannot be exported.
#[derive(Debug, thiserror::Error)]
#[error("cannot export spans to `{endpoint}`: {reason}")]
pub struct OtlpError {
    /// The endpoint given.
    pub endpoint: String,
    /// Why.
    pub reason: String,
}

/// Exports spans to the collector at `endpoint` (`http://host:4318`; `/v1/traces` is added), in
/// batches from a thread of its own. Shut the provider down before exiting: that sends what is left.
///
/// # Errors
/// An endpoint the exporter cannot use.
pub fn layer<S>(
    endpoint: &str,
) -> Result<
    (
        OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
        SdkTracerProvider,
    ),
    OtlpError,
>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .build()
        .map_err(|error| OtlpError {
            endpoint: endpoint.to_owned(),
            reason: error.to_string(),
        })?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("entitle").build())
        .build();
    let tracer = provider.tracer("entitle");
    Ok((tracing_opentelemetry::layer().with_tracer(tracer), provider))
}
