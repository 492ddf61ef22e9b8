//! Starting the server: open the store, load the directory (or the demo tenant), choose the token
//! verifier, listen, fire timed actions in the background, and shut down gracefully on SIGTERM/SIGINT.
//!
//! Connections are accepted by hyper directly rather than through `axum::serve`, which cannot bound
//! how long a client takes to send its headers: here each connection gets
//! [`Limits::header_read_timeout`] for every request's headers (and for idling between requests), at
//! most [`Limits::max_connections`] are open at once (the rest wait in the listen backlog) and at most
//! [`Limits::max_connections_per_ip`] from one address (its others are closed at once). Slow bodies
//! are bounded by the request timeout (`408`). Handlers see the peer address as
//! `ConnectInfo<SocketAddr>`, as with axum's `into_make_service_with_connect_info`.

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use entitle_auth::Verifier;
use entitle_core::Timestamp;
use entitle_graph::tenant::parse_tenant;
use entitle_store::{Directory, PostgresStore, SqliteStore, Store, StoreError};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::clock::{Clock, ClockBase};
use crate::connections::{Connections, is_connection_error};
use crate::control::fire_due;
use crate::directory_cache::DirectoryCache;
use crate::limits::Limits;
use crate::links::{Links, PublicUrl};
use crate::metrics::Metrics;
use crate::routes::router;
use crate::state::{AppState, Shared};
use crate::tls::{TlsError, TlsSource, configure, trust_hint};

/// How `entitle serve` was asked to run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The SQLite file (the default store).
    pub db: PathBuf,
    /// A PostgreSQL URL; when given, requests are kept there instead of in `db`.
    pub database_url: Option<String>,
    /// The most PostgreSQL connections this process opens.
    pub pool_size: u32,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// A Graph-shaped tenant document to load (`docs/tenant.md`).
    pub tenant: Option<PathBuf>,
    /// Load the built-in demo tenant and accept demo tokens.
    pub demo: bool,
    /// A JWKS file whose keys sign accepted tokens (production mode).
    pub jwks: Option<PathBuf>,
    /// The accepted token issuer (with `jwks`).
    pub issuer: Option<String>,
    /// The accepted token audience (with `jwks`).
    pub audience: Option<String>,
    /// The only tenant (`tid`) whose tokens are accepted (any, when `None`).
    pub tenant_id: Option<String>,
    /// Start the clock at this instant and move it only through the control API.
    pub frozen_clock: Option<Timestamp>,
    /// Serve the control API under `/_entitle/` (always on with `demo`).
    pub control_api: bool,
    /// How often timed actions are fired in the background.
    pub sweep_every: Duration,
    /// Requests a second each client may sustain (`0` turns the rate limit off); `None`: the default
    /// of [`Limits`].
    pub rate_limit_per_second: Option<u32>,
    /// Requests a client may send at once before the rate applies; `None`: the default.
    pub rate_limit_burst: Option<u32>,
    /// Requests handled at once before `503`; `None`: the default.
    pub max_in_flight: Option<usize>,
    /// Seconds one request may take before `408`; `None`: the default.
    pub request_timeout_seconds: Option<u64>,
    /// Connections open at once; `None`: the default.
    pub max_connections: Option<usize>,
    /// Serve HTTPS with this certificate; plain HTTP when `None`.
    pub tls: Option<TlsSource>,
    /// The base of every link in answers (`--public-url`).
    pub public_url: Option<PublicUrl>,
    /// Whether a front's forwarded headers decide the base of links (`--trust-forwarded`).
    pub trust_forwarded: bool,
}

impl ServeOptions {
    /// The limits these options ask for: [`Limits::default`] with each option given replacing its
    /// field.
    pub fn limits(&self) -> Limits {
        let defaults = Limits::default();
        Limits {
            rate_per_second: self
                .rate_limit_per_second
                .unwrap_or(defaults.rate_per_second),
            burst: self.rate_limit_burst.unwrap_or(defaults.burst),
            max_in_flight: self.max_in_flight.unwrap_or(defaults.max_in_flight),
            request_timeout: self
                .request_timeout_seconds
                .map_or(defaults.request_timeout, Duration::from_secs),
            max_connections: self.max_connections.unwrap_or(defaults.max_connections),
            ..defaults
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file could not be read.
    #[error("cannot read `{path}`: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The tenant file is not a tenant document entitle can serve.
    #[error("invalid tenant file `{path}`: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A tenant document cannot be served.
    #[error("tenant: {0}")]
    Tenant(entitle_store::TenantLoadError),
    /// Token verification is not configured.
    #[error(
        "choose how tokens are checked: `--demo` (insecure, well-known key) or `--jwks FILE --issuer ISS --audience AUD`"
    )]
    NoVerifier,
    /// The token verifier could not be built.
    #[error("token verification: {0}")]
    Auth(#[from] entitle_auth::AuthError),
    /// HTTPS could not be set up.
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    /// Listening or serving failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

fn read(path: &PathBuf) -> Result<String, ServeError> {
    std::fs::read_to_string(path).map_err(|error| ServeError::Read {
        path: path.clone(),
        reason: error.to_string(),
    })
}

fn verifier(options: &ServeOptions) -> Result<Verifier, ServeError> {
    let verifier = match (&options.jwks, &options.issuer, &options.audience) {
        (Some(jwks), Some(issuer), Some(audience)) => {
            Verifier::from_jwks(&read(jwks)?, issuer, audience)?
        }
        _ if options.demo => Verifier::demo()?,
        _ => return Err(ServeError::NoVerifier),
    };
    Ok(match &options.tenant_id {
        Some(tenant) => verifier.for_tenant(tenant),
        None => verifier,
    })
}

/// Builds the shared state: opens the store, loads the directory (and seeds the demo tenant once).
/// Blocking: call it outside the async runtime.
///
/// # Errors
/// A store, file or verifier failure.
pub fn prepare(options: &ServeOptions) -> Result<AppState, ServeError> {
    let verifier = verifier(options)?;
    let store: Arc<dyn Store> = match &options.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url, options.pool_size)?),
        None => Arc::new(SqliteStore::open(&options.db)?),
    };
    let base = options
        .frozen_clock
        .map_or(ClockBase::System, ClockBase::Frozen);
    let clock = Clock::new(base, store.clock_offset()?);
    if let Some(path) = &options.tenant {
        let invalid = |reason: String| ServeError::Config {
            path: path.clone(),
            reason,
        };
        let document = parse_tenant(&read(path)?).map_err(|error| invalid(error.to_string()))?;
        let directory = Directory::from_document(document, clock.now())
            .map_err(|error| invalid(error.to_string()))?;
        store.set_directory(&directory)?;
    } else if options.demo && store.directory()? == Directory::default() {
        store.set_directory(&crate::demo::directory().map_err(ServeError::Tenant)?)?;
    }
    if options.demo && options.tenant.is_none() {
        crate::demo::seed(store.as_ref(), clock.now())?;
    }
    let metrics = observed_metrics(&store);
    Ok(AppState::new(Shared {
        directories: DirectoryCache::new(store.directory_version()?, store.directory()?),
        store,
        verifier,
        clock,
        metrics,
        control_api: options.control_api || options.demo,
        limits: options.limits(),
        links: Links {
            tls: options.tls.is_some(),
            public_url: options.public_url.clone(),
            trust_forwarded: options.trust_forwarded,
        },
    }))
}

/// Metrics that read `store`'s connections at each scrape and hear of its waits and retries.
pub fn observed_metrics(store: &Arc<dyn Store>) -> Metrics {
    let metrics = Metrics::new(Some(Arc::clone(store)));
    store.observe(metrics.store_observer());
    metrics
}

/// Serves `state` over plain HTTP on `listener` until `shutdown` completes, then finishes in-flight
/// requests.
///
/// # Errors
/// A network failure.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    sweep_every: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with(listener, state, sweep_every, None, shutdown).await
}

/// Serves `state` on `listener`, over TLS when `tls` is given, until `shutdown` completes, then
/// finishes in-flight requests. A TLS handshake gets the headers' time limit.
///
/// # Errors
/// A network failure.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    sweep_every: Duration,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let sweeper = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(sweep_every);
            loop {
                ticks.tick().await;
                // Another process sharing the store may have advanced the virtual clock.
                if let Ok(offset) = state.blocking(|store| store.clock_offset()).await {
                    state.clock.catch_up(offset);
                }
                // … or changed the tenant.
                if let Err(error) = state.fresh_directory().await {
                    tracing::warn!(code = error.code.as_str(), "reading the directory failed");
                }
                if let Err(error) = fire_due(&state, state.clock.now()).await {
                    tracing::warn!(code = error.code.as_str(), "firing due actions failed");
                }
            }
        })
    };
    let limits = state.limits.clone();
    let app = router(state);
    let connections = Connections::new(&limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&connections.total).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::error!(%error, "accepting a connection failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        let Some(slot) = connections.admit(peer.ip(), permit) else {
            tracing::debug!(%peer, "too many connections from one address; closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            peer,
            header_read_timeout: limits.header_read_timeout,
            watcher: graceful.watcher(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection.serve(stream).await,
                Some(acceptor) => {
                    let handshake = acceptor.accept(stream);
                    match tokio::time::timeout(connection.header_read_timeout, handshake).await {
                        Ok(Ok(stream)) => connection.serve(stream).await,
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "tls handshake failed"),
                        Err(_) => tracing::debug!(%peer, "tls handshake timed out"),
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    sweeper.abort();
    Ok(())
}

/// One accepted connection, served over whatever stream it arrived on.
struct Connection {
    app: axum::Router,
    peer: SocketAddr,
    header_read_timeout: Duration,
    watcher: Watcher,
}

impl Connection {
    /// Serves HTTP/1.1 on `stream` until the client closes it or the server shuts down.
    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let service = self
            .app
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        if let Err(error) = self.watcher.watch(connection).await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Runs `entitle serve`: prints `listening on http://ADDR` (or `https://`) once ready, then, for a
/// local certificate authority, where it is and how clients trust it; serves until SIGTERM/SIGINT.
///
/// # Errors
/// A start-up or network failure.
pub fn run(options: &ServeOptions) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let tls = options.tls.as_ref().map(configure).transpose()?;
    // The stores block: open them before the runtime runs.
    let state = prepare(options)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        if options.demo {
            tracing::warn!(
                "demo mode: tokens signed with the public, well-known demo key are accepted; never use it with real data"
            );
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (acceptor, local) = match tls {
            Some((config, local)) => (Some(TlsAcceptor::from(config)), local),
            None => (None, None),
        };
        let mut announcement = format!("listening on {scheme}://{address}\n");
        if let Some(local) = local {
            announcement.push_str(&trust_hint(&local.ca));
            announcement.push('\n');
        }
        // A reader that stops after the first line must not stop the server.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(announcement.as_bytes())
            .and_then(|()| stdout.flush());
        drop(stdout);
        serve_with(listener, state, options.sweep_every, acceptor, shutdown_signal()).await
    })
}
