//! Counters for `GET /metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Label values of one counter series.
type Labels = Vec<(&'static str, String)>;

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, Labels), u64>>,
}

/// Each counter's help text.
const HELP: [(&str, &str); 3] = [
    (
        "entitle_http_responses_total",
        "HTTP responses by method and status code.",
    ),
    (
        "entitle_transitions_total",
        "Transitions applied, by action, from and to status.",
    ),
    (
        "entitle_rejections_total",
        "Actions refused by entitle-core, by action and error code.",
    ),
];

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Adds one to the counter `name` with `labels`.
    pub fn increment(&self, name: &'static str, labels: Labels) {
        if let Ok(mut counters) = self.counters.lock() {
            *counters.entry((name, labels)).or_default() += 1;
        }
    }

    /// All counters in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let Ok(counters) = self.counters.lock() else {
            return text;
        };
        for (name, help) in HELP {
            let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((series, labels), value) in counters.iter() {
                if *series != name {
                    continue;
                }
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
                    .collect();
                let _ = writeln!(text, "{name}{{{}}} {value}", labels.join(","));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_the_text_format() {
        let metrics = Metrics::default();
        let labels = vec![("method", "GET".to_owned()), ("code", "200".to_owned())];
        metrics.increment("entitle_http_responses_total", labels.clone());
        metrics.increment("entitle_http_responses_total", labels.clone());
        let text = metrics.render();
        assert!(text.contains("# TYPE entitle_http_responses_total counter"));
        assert!(text.contains("entitle_http_responses_total{method=\"GET\",code=\"200\"} 2"));
    }
}
