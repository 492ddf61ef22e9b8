//! Sends one `POST` to every URL of a file, exactly once each, over a fixed number of concurrent
//! connections, and prints oha-style JSON figures (`summary.requestsPerSec`,
//! `latencyPercentiles.p50`/`p99` in seconds, `statusCodeDistribution`).
//!
//! `just bench-http` uses it where oha cannot help: oha's `--urls-from-file` picks URLs at random,
//! so a cancel benchmark through it would cancel some requests twice.
//!
//! Usage: `http-once URLS_FILE CONNECTIONS BEARER_TOKEN [METHOD [JSON_BODY]]`: `POST` without a body
//! unless a method (and a JSON body, sent as `application/json`) is given, as for json-server's
//! `PATCH`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    codes: BTreeMap<u16, u64>,
    failures: u64,
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a sorted sample"
    )]
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted.get(index).map_or(0.0, Duration::as_secs_f64)
}

/// What every request sends besides its URL.
#[derive(Clone)]
struct Request {
    method: reqwest::Method,
    token: String,
    body: Option<String>,
}

async fn run(urls: Vec<String>, connections: usize, request: Request) -> Result<String, String> {
    let queue = Arc::new(Mutex::new(urls.into_iter()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let queue = Arc::clone(&queue);
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .map_err(|error| error.to_string())?;
            let mut tally = Tally::default();
            loop {
                let Some(url) = queue.lock().await.next() else {
                    return Ok::<Tally, String>(tally);
                };
                let sent = Instant::now();
                let mut builder = client
                    .request(request.method.clone(), &url)
                    .bearer_auth(&request.token);
                if let Some(body) = &request.body {
                    builder = builder
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                match builder.send().await {
                    Ok(response) => {
                        let code = response.status().as_u16();
                        let _ = response.bytes().await;
                        tally.latencies.push(sent.elapsed());
                        *tally.codes.entry(code).or_default() += 1;
                    }
                    Err(_) => tally.failures += 1,
                }
            }
        }));
    }
    let mut all = Tally::default();
    for worker in workers {
        let tally = worker.await.map_err(|error| error.to_string())??;
        all.latencies.extend(tally.latencies);
        for (code, count) in tally.codes {
            *all.codes.entry(code).or_default() += count;
        }
        all.failures += tally.failures;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies.sort_unstable();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let rate = all.latencies.len() as f64 / elapsed;
    let codes: Vec<String> = all
        .codes
        .iter()
        .map(|(code, count)| format!("\"{code}\": {count}"))
        .collect();
    Ok(format!(
        "{{\"summary\": {{\"requestsPerSec\": {rate}, \"failures\": {}}}, \"latencyPercentiles\": {{\"p50\": {}, \"p99\": {}}}, \"statusCodeDistribution\": {{{}}}}}",
        all.failures,
        percentile(&all.latencies, 0.50),
        percentile(&all.latencies, 0.99),
        codes.join(", ")
    ))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, connections, token, rest) = match args.as_slice() {
        [file, connections, token, rest @ ..] if rest.len() <= 2 => {
            (file, connections, token, rest)
        }
        _ => {
            eprintln!("usage: http-once URLS_FILE CONNECTIONS BEARER_TOKEN [METHOD [JSON_BODY]]");
            return ExitCode::FAILURE;
        }
    };
    let name = rest.first().map_or("POST", String::as_str);
    let Ok(method) = reqwest::Method::from_bytes(name.as_bytes()) else {
        eprintln!("http-once: `{name}` is not a method");
        return ExitCode::FAILURE;
    };
    let request = Request {
        method,
        token: token.clone(),
        body: rest.get(1).cloned(),
    };
    let urls = match std::fs::read_to_string(file) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(error) => {
            eprintln!("http-once: cannot read `{file}`: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(connections) = connections.parse() else {
        eprintln!("http-once: `{connections}` is not a number of connections");
        return ExitCode::FAILURE;
    };
    match run(urls, connections, request).await {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("http-once: {error}");
            ExitCode::FAILURE
        }
    }
}
