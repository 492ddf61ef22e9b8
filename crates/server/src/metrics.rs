//! The server's metrics for `GET /metrics`, kept and rendered by `prometheus-client` in the
//! `OpenMetrics` text format, which Prometheus reads. Every label takes its values from a closed set
//! (methods, status codes, route templates, actions, statuses, error codes, limits, backends), so no
//! client can grow the series without bound. `docs/operations.md` lists each series.

use std::sync::Arc;
use std::time::Duration;

use entitle_store::{Backend, Observer, Store};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// `method` and `code` of a response.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    method: &'static str,
    code: u16,
}

/// The route template, method and status class (`2xx`…) of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
    class: &'static str,
}

/// A transition's action and statuses.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    action: &'static str,
    from: &'static str,
    to: &'static str,
}

/// A refused action and its error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    action: &'static str,
    code: &'static str,
}

/// The limit that refused a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

/// The store's backend.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BackendLabels {
    backend: &'static str,
}

/// A limit that refuses requests before they are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The client's rate (`429`).
    Rate,
    /// Requests in flight (`503`).
    InFlight,
}

fn writes_buckets() -> Histogram {
    // 1 to 64, the most writes one commit holds.
    Histogram::new(exponential_buckets(1.0, 2.0, 7))
}

fn seconds_buckets() -> Histogram {
    // 100 µs to about 13 s.
    Histogram::new(exponential_buckets(0.000_1, 2.0, 18))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    responses: Family<ResponseLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    refusals: Family<LimitLabels, Counter>,
    transitions: Family<TransitionLabels, Counter>,
    rejections: Family<RejectionLabels, Counter>,
    store_durations: Family<BackendLabels, Histogram, fn() -> Histogram>,
    store_retries: Family<BackendLabels, Counter>,
    pool_waits: Family<BackendLabels, Histogram, fn() -> Histogram>,
    commit_writes: Family<BackendLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Metrics {
    /// The metrics, with the connection pool of `store` read at every scrape when one is given.
    pub fn new(store: Option<Arc<dyn Store>>) -> Self {
        let mut metrics = Self {
            registry: Registry::default(),
            responses: Family::default(),
            durations: Family::new_with_constructor(seconds_buckets),
            in_flight: Gauge::default(),
            refusals: Family::default(),
            transitions: Family::default(),
            rejections: Family::default(),
            store_durations: Family::new_with_constructor(seconds_buckets),
            store_retries: Family::default(),
            pool_waits: Family::new_with_constructor(seconds_buckets),
            commit_writes: Family::new_with_constructor(writes_buckets),
        };
        let registry = &mut metrics.registry;
        registry.register(
            "entitle_http_responses",
            "HTTP responses by method and status code.",
            metrics.responses.clone(),
        );
        registry.register(
            "entitle_http_request_duration_seconds",
            "Time from a request's arrival to its response, by route template, method and status class.",
            metrics.durations.clone(),
        );
        registry.register(
            "entitle_http_requests_in_flight",
            "Requests being handled now.",
            metrics.in_flight.clone(),
        );
        registry.register(
            "entitle_limit_refusals",
            "Requests refused before handling, by limit: the client's rate (429) or requests in flight (503).",
            metrics.refusals.clone(),
        );
        registry.register(
            "entitle_transitions",
            "Transitions applied, by action, from and to status.",
            metrics.transitions.clone(),
        );
        registry.register(
            "entitle_rejections",
            "Actions refused by entitle-core, by action and error code.",
            metrics.rejections.clone(),
        );
        registry.register(
            "entitle_store_operation_duration_seconds",
            "Time of one store operation (one transaction, its connection wait and retries included), by backend.",
            metrics.store_durations.clone(),
        );
        registry.register(
            "entitle_store_retries",
            "Transactions tried again after a serialization failure, a deadlock or a lost race, by backend.",
            metrics.store_retries.clone(),
        );
        registry.register(
            "entitle_store_connection_wait_seconds",
            "Time a store operation waited for a connection, by backend.",
            metrics.pool_waits.clone(),
        );
        registry.register(
            "entitle_store_commit_writes",
            "Writes one commit settled together (group commit; a refused write counts), by backend.",
            metrics.commit_writes.clone(),
        );
        if let Some(store) = store {
            registry.register_collector(Box::new(Pool(store)));
        }
        metrics
    }

    /// Counts a response.
    pub fn response(&self, method: &str, code: u16) {
        self.responses
            .get_or_create(&ResponseLabels {
                method: method_label(method),
                code,
            })
            .inc();
    }

    /// Records how long a request to `route` took.
    pub fn request_duration(&self, route: &str, method: &str, code: u16, took: Duration) {
        let class = match code {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method_label(method),
                class,
            })
            .observe(took.as_secs_f64());
    }

    /// The in-flight gauge, raised until the returned guard drops.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts a request `limit` refused.
    pub fn refused(&self, limit: Limit) {
        let limit = match limit {
            Limit::Rate => "rate",
            Limit::InFlight => "in_flight",
        };
        self.refusals.get_or_create(&LimitLabels { limit }).inc();
    }

    /// Counts a transition (`from` is empty for a submission).
    pub fn transition(&self, action: &'static str, from: &'static str, to: &'static str) {
        self.transitions
            .get_or_create(&TransitionLabels { action, from, to })
            .inc();
    }

    /// Counts an action entitle-core refused.
    pub fn rejection(&self, action: &'static str, code: &'static str) {
        self.rejections
            .get_or_create(&RejectionLabels { action, code })
            .inc();
    }

    /// Records how long a store operation took.
    pub fn store_operation(&self, backend: Backend, took: Duration) {
        self.store_durations
            .get_or_create(&backend_labels(backend))
            .observe(took.as_secs_f64());
    }

    /// What the store reports its connection waits and retries to ([`Store::observe`]).
    pub fn store_observer(&self) -> Arc<dyn Observer> {
        Arc::new(StoreSeries {
            retries: self.store_retries.clone(),
            waits: self.pool_waits.clone(),
            commits: self.commit_writes.clone(),
        })
    }

    /// All series in the `OpenMetrics` text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// The store's own series, which the store reports to as it works.
#[derive(Clone, Debug)]
struct StoreSeries {
    retries: Family<BackendLabels, Counter>,
    waits: Family<BackendLabels, Histogram, fn() -> Histogram>,
    commits: Family<BackendLabels, Histogram, fn() -> Histogram>,
}

impl Observer for StoreSeries {
    fn waited_for_connection(&self, backend: Backend, wait: Duration) {
        self.waits
            .get_or_create(&backend_labels(backend))
            .observe(wait.as_secs_f64());
    }

    fn retried(&self, backend: Backend) {
        self.retries.get_or_create(&backend_labels(backend)).inc();
    }

    #[expect(
        clippy::cast_precision_loss,
        reason = "at most 64 writes a commit, exact in an f64"
    )]
    fn committed(&self, backend: Backend, writes: usize) {
        self.commits
            .get_or_create(&backend_labels(backend))
            .observe(writes as f64);
    }
}

/// Lowers the in-flight gauge when dropped, however the request ends.
#[derive(Debug)]
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn backend_labels(backend: Backend) -> BackendLabels {
    BackendLabels {
        backend: backend.as_str(),
    }
}

/// The `method` label: the methods the API serves, else `other`, so that invented methods cannot
/// grow the metrics without bound.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// The store's connections, read at each scrape.
struct Pool(Arc<dyn Store>);

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pool")
    }
}

impl Collector for Pool {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.0.pool_status();
        let backend = [("backend", self.0.backend().as_str())];
        for (name, help, value) in [
            (
                "entitle_store_connections",
                "Open store connections, idle or in use.",
                status.connections,
            ),
            (
                "entitle_store_connections_idle",
                "Open store connections waiting for an operation.",
                status.idle,
            ),
            (
                "entitle_store_connections_max",
                "The most store connections this process opens.",
                status.max,
            ),
        ] {
            let gauge = ConstGauge::new(i64::from(value));
            let mut metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric.encode_family(&backend)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_render_in_the_openmetrics_text_format() {
        let metrics = Metrics::default();
        metrics.response("GET", 200);
        metrics.response("GET", 200);
        metrics.request_duration("/v1.0/x/{id}", "GET", 200, Duration::from_millis(3));
        let text = metrics.render();
        assert!(
            text.contains("# TYPE entitle_http_responses counter"),
            "{text}"
        );
        assert!(
            text.contains("entitle_http_responses_total{method=\"GET\",code=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "entitle_http_request_duration_seconds_count{route=\"/v1.0/x/{id}\",method=\"GET\",class=\"2xx\"} 1"
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(method_label("get"), "other");
    }

    #[test]
    fn the_in_flight_gauge_falls_when_a_request_ends() {
        let metrics = Metrics::default();
        let first = metrics.in_flight();
        let second = metrics.in_flight();
        assert!(
            metrics
                .render()
                .contains("entitle_http_requests_in_flight 2")
        );
        drop(first);
        drop(second);
        assert!(
            metrics
                .render()
                .contains("entitle_http_requests_in_flight 0")
        );
    }
}
