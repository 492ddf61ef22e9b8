//! Bounded resources: a per-client rate limit (`429 activityLimitReached` with `Retry-After`), a global
//! limit on requests in flight (`503 serviceNotAvailable` with `Retry-After`), the request timeout
//! (`408`), and the connection limits and header-read timeout [`serve`](crate::serve()) applies.
//!
//! The rate limit is a token bucket per client, kept as its theoretical arrival time (GCRA): a client
//! may send [`Limits::burst`] requests at once and [`Limits::rate_per_second`] a second after that. The
//! client is the `oid` of the bearer token in the `Authorization` header when the server's verifier
//! accepts that token (signature, issuer, audience and lifetime checked, as for the request itself),
//! else the peer's IP address. The buckets run on a monotonic [`TimeSource`], never on the virtual
//! clock. A bucket that has refilled is forgotten, and at most [`Limits::max_clients`] are kept.
//!
//! `GET /healthz` is exempt from both the rate limit and the in-flight limit: a liveness probe must
//! keep answering while the server sheds load.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entitle_auth::Verifier;
use entitle_core::SubjectId;
use tokio::sync::Semaphore;

use crate::error::{ApiError, ErrorCode};
use crate::metrics::Limit;

/// The path exempt from the rate and in-flight limits.
const LIVENESS: &str = "/healthz";
/// `Retry-After` of a `503` answered because too many requests are in flight, in seconds.
const BUSY_RETRY_AFTER: u64 = 1;

/// The server's resource limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests a second each client may sustain; `0` turns the rate limit off.
    pub rate_per_second: u32,
    /// Requests a client may send at once before the rate applies (the bucket's size; at least 1).
    pub burst: u32,
    /// The most clients whose buckets are kept; past it, the buckets nearest to full are forgotten.
    pub max_clients: usize,
    /// Requests handled at once; past it, `503 serviceNotAvailable` with `Retry-After`.
    pub max_in_flight: usize,
    /// How long one request may take, reading its body included, before it is answered `408`.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (and how long an idle keep-alive
    /// connection stays open) before its connection is closed.
    pub header_read_timeout: Duration,
    /// Connections open at once; past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// Connections open at once from one IP address; past it, its new connections are closed.
    pub max_connections_per_ip: usize,
    /// The time the rate limiter runs on.
    pub time: TimeSource,
}

impl Default for Limits {
    /// Limits for a server on a developer's machine: generous enough that the demo, the Graph SDKs
    /// and test suites never meet them, tight enough that a runaway client or a flood does not take
    /// the server down.
    fn default() -> Self {
        Self {
            rate_per_second: 500,
            burst: 1_000,
            max_clients: 10_000,
            max_in_flight: 256,
            request_timeout: crate::routes::REQUEST_TIMEOUT,
            header_read_timeout: Duration::from_secs(20),
            max_connections: 512,
            max_connections_per_ip: 128,
            time: TimeSource::System,
        }
    }
}

impl Limits {
    /// These limits without the per-client rate limit (load benchmarks).
    #[must_use]
    pub fn without_rate_limit(self) -> Self {
        Self {
            rate_per_second: 0,
            ..self
        }
    }

    /// Whether the per-client rate limit is on.
    pub const fn rate_limited(&self) -> bool {
        self.rate_per_second > 0
    }
}

// ---------------------------------------------------------------------------------------------
// Time

/// A monotonic time source for the rate limiter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TimeSource {
    /// [`Instant::now`].
    #[default]
    System,
    /// Time that moves only when a test advances it.
    Manual(ManualTime),
}

impl TimeSource {
    /// Now.
    pub fn now(&self) -> Instant {
        match self {
            Self::System => Instant::now(),
            Self::Manual(manual) => manual.now(),
        }
    }
}

/// A clock for tests: an instant taken at creation plus however far it has been advanced. Clones
/// share the offset.
#[derive(Clone, Debug)]
pub struct ManualTime {
    start: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl Default for ManualTime {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for ManualTime {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start && Arc::ptr_eq(&self.offset_nanos, &other.offset_nanos)
    }
}

impl Eq for ManualTime {}

impl ManualTime {
    /// A clock standing at the current instant.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(nanos))
            });
    }

    /// Now.
    pub fn now(&self) -> Instant {
        let offset = Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst));
        self.start.checked_add(offset).unwrap_or(self.start)
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and their buckets

/// Whose bucket a request draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// The `oid` of the request's bearer token, once the verifier has accepted the token.
    Subject(SubjectId),
    /// The peer's IP address.
    Peer(IpAddr),
    /// Neither is known (the app served without connection information).
    Unknown,
}

/// The bucket `request` draws from: the `oid` of its one token when `verifier` accepts it, else its
/// peer's address (so a forged or repeated credential can neither drain another client's bucket nor
/// escape its own).
pub fn client_key(request: &Request, verifier: &Verifier) -> ClientKey {
    // Several credentials, or none the verifier accepts: the peer's bucket.
    if let Ok(Some(authorization)) = crate::access::authorization(request.headers())
        && let Ok(identity) = verifier.verify(Some(authorization))
    {
        return ClientKey::Subject(identity.id);
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(ClientKey::Unknown, |ConnectInfo(peer)| {
            ClientKey::Peer(peer.ip())
        })
}

/// Per-client token buckets (GCRA: each bucket is the instant it will be full again).
#[derive(Debug)]
pub struct RateLimiter {
    /// The time one request's token takes to come back.
    interval: Duration,
    /// How far ahead of now a bucket may run: `burst` intervals.
    tolerance: Duration,
    max_clients: usize,
    time: TimeSource,
    buckets: Mutex<HashMap<ClientKey, Instant>>,
}

impl RateLimiter {
    /// A limiter for `limits`; `None` when the rate limit is off.
    pub fn new(limits: &Limits) -> Option<Self> {
        if !limits.rate_limited() {
            return None;
        }
        let interval = Duration::from_secs(1) / limits.rate_per_second;
        Some(Self {
            interval,
            tolerance: interval.saturating_mul(limits.burst.max(1)),
            max_clients: limits.max_clients.max(1),
            time: limits.time.clone(),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one token from `key`'s bucket, or says how long until one is there.
    ///
    /// # Errors
    /// The wait before the client may try again.
    pub fn check(&self, key: ClientKey) -> Result<(), Duration> {
        let now = self.time.now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let full_at = buckets.get(&key).copied().unwrap_or(now).max(now);
        let next = full_at.checked_add(self.interval).unwrap_or(full_at);
        let ahead = next.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead.saturating_sub(self.tolerance));
        }
        if buckets.len() >= self.max_clients && !buckets.contains_key(&key) {
            Self::evict(&mut buckets, now, self.max_clients);
        }
        buckets.insert(key, next);
        Ok(())
    }

    /// Forgets every full bucket; if that is not enough, the half nearest to full.
    fn evict(buckets: &mut HashMap<ClientKey, Instant>, now: Instant, max_clients: usize) {
        buckets.retain(|_, full_at| *full_at > now);
        if buckets.len() >= max_clients {
            let mut times: Vec<Instant> = buckets.values().copied().collect();
            let middle = times.len() / 2;
            let (_, cutoff, _) = times.select_nth_unstable(middle);
            let cutoff = *cutoff;
            buckets.retain(|_, full_at| *full_at > cutoff);
        }
    }

    /// How many buckets are kept.
    pub fn clients(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// Whole seconds to wait, rounded up, at least 1.
fn retry_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

fn with_retry_after(error: ApiError, seconds: u64) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// What the limit middleware shares: the rate limiter and the in-flight permits.
#[derive(Debug)]
pub struct Guards {
    limiter: Option<RateLimiter>,
    verifier: Verifier,
    in_flight: Arc<Semaphore>,
}

impl Guards {
    /// The guards for `limits`; `verifier` tells which tokens name their client.
    pub fn new(limits: &Limits, verifier: Verifier) -> Self {
        Self {
            limiter: RateLimiter::new(limits),
            verifier,
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
        }
    }
}

/// Answers `429 activityLimitReached` with `Retry-After` to a client past its rate.
pub async fn rate_limit(
    State(guards): State<Arc<Guards>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &guards.limiter
        && request.uri().path() != LIVENESS
        && let Err(wait) = limiter.check(client_key(&request, &guards.verifier))
    {
        let seconds = retry_seconds(wait);
        let mut refused = with_retry_after(
            ApiError::new(
                ErrorCode::ActivityLimitReached,
                format!("too many requests from this client; retry after {seconds} s"),
            ),
            seconds,
        );
        refused.extensions_mut().insert(Limit::Rate);
        return refused;
    }
    next.run(request).await
}

/// Answers `503 serviceNotAvailable` with `Retry-After` when [`Limits::max_in_flight`] requests are
/// already being handled.
pub async fn shed_load(
    State(guards): State<Arc<Guards>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == LIVENESS {
        return next.run(request).await;
    }
    let Ok(_permit) = Arc::clone(&guards.in_flight).try_acquire_owned() else {
        let mut refused = with_retry_after(
            ApiError::new(
                ErrorCode::ServiceNotAvailable,
                "the server is handling too many requests; retry later",
            ),
            BUSY_RETRY_AFTER,
        );
        refused.extensions_mut().insert(Limit::InFlight);
        return refused;
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn limiter(rate: u32, burst: u32, max_clients: usize, time: &ManualTime) -> RateLimiter {
        RateLimiter::new(&Limits {
            rate_per_second: rate,
            burst,
            max_clients,
            time: TimeSource::Manual(time.clone()),
            ..Limits::default()
        })
        .unwrap()
    }

    fn peer(n: u8) -> ClientKey {
        ClientKey::Peer(IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let time = ManualTime::new();
        let limiter = limiter(2, 3, 100, &time);
        for _ in 0..3 {
            assert_eq!(limiter.check(peer(1)), Ok(()));
        }
        assert_eq!(limiter.check(peer(1)), Err(Duration::from_millis(500)));
        // Another client has its own bucket.
        assert_eq!(limiter.check(peer(2)), Ok(()));
        time.advance(Duration::from_millis(499));
        assert!(limiter.check(peer(1)).is_err());
        time.advance(Duration::from_millis(1));
        assert_eq!(limiter.check(peer(1)), Ok(()));
        assert!(limiter.check(peer(1)).is_err());
        // A full second later two more (the rate), not three.
        time.advance(Duration::from_secs(1));
        assert_eq!(limiter.check(peer(1)), Ok(()));
        assert_eq!(limiter.check(peer(1)), Ok(()));
        assert!(limiter.check(peer(1)).is_err());
    }

    #[test]
    fn buckets_are_bounded_and_full_ones_forgotten() {
        let time = ManualTime::new();
        let limiter = limiter(1, 2, 8, &time);
        for n in 0..200 {
            assert_eq!(limiter.check(peer(n)), Ok(()));
            assert!(limiter.clients() <= 8, "{}", limiter.clients());
        }
        let limiter = self::limiter(1, 2, 8, &time);
        for n in 0..8 {
            assert_eq!(limiter.check(peer(n)), Ok(()));
        }
        assert_eq!(limiter.clients(), 8);
        // Every bucket has refilled: a new client finds them all forgotten.
        time.advance(Duration::from_secs(5));
        assert_eq!(limiter.check(peer(100)), Ok(()));
        assert_eq!(limiter.clients(), 1);
    }

    #[test]
    fn the_rate_limit_can_be_off() {
        assert!(RateLimiter::new(&Limits::default().without_rate_limit()).is_none());
        assert!(Limits::default().rate_limited());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_seconds(Duration::ZERO), 1);
        assert_eq!(retry_seconds(Duration::from_millis(2_001)), 3);
        assert_eq!(retry_seconds(Duration::from_secs(2)), 2);
    }

    #[test]
    fn the_bucket_is_a_verified_tokens_oid_else_the_peer() {
        let verifier = Verifier::demo().unwrap();
        let adele = SubjectId::parse("00000000-0000-4000-8000-00000000a001").unwrap();
        let token = entitle_auth::mint_demo(&entitle_auth::TokenRequest {
            oid: adele,
            scopes: vec![],
            wids: vec![],
            app: false,
            tenant: None,
            issued_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            lifetime_seconds: 3600,
        })
        .unwrap();
        let mut request = Request::new(axum::body::Body::empty());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 9], 4000))));
        let peer = ClientKey::Peer(IpAddr::from([127, 0, 0, 9]));
        assert_eq!(client_key(&request, &verifier), peer);
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        assert_eq!(client_key(&request, &verifier), ClientKey::Subject(adele));
        // A token whose signature does not verify names no one: its claims are not trusted.
        let (head, _) = token.rsplit_once('.').unwrap();
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {head}.forged")).unwrap(),
        );
        assert_eq!(client_key(&request, &verifier), peer);
        // Several credentials, even with a valid one among them, name no one either.
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        request.headers_mut().append(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {head}.forged")).unwrap(),
        );
        assert_eq!(client_key(&request, &verifier), peer);
        assert_eq!(
            client_key(&Request::new(axum::body::Body::empty()), &verifier),
            ClientKey::Unknown
        );
    }
}
