//! Starting the server: open the store, load the directory (or the demo tenant), choose the token
//! verifier, listen, fire timed actions in the background, and shut down gracefully on SIGTERM/SIGINT.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use entitle_auth::Verifier;
use entitle_core::Timestamp;
use entitle_store::{Directory, SqliteStore, Store, StoreError};
use tokio::net::TcpListener;

use crate::clock::{Clock, ClockBase};
use crate::control::fire_due;
use crate::metrics::Metrics;
use crate::routes::router;
use crate::state::{AppState, Shared};

/// How `entitle serve` was asked to run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The SQLite file.
    pub db: PathBuf,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// A directory (tenant configuration) JSON file to load.
    pub config: Option<PathBuf>,
    /// Load the built-in demo tenant and accept demo tokens.
    pub demo: bool,
    /// A JWKS file whose keys sign accepted tokens (production mode).
    pub jwks: Option<PathBuf>,
    /// The accepted token issuer (with `jwks`).
    pub issuer: Option<String>,
    /// The accepted token audience (with `jwks`).
    pub audience: Option<String>,
    /// Start the clock at this instant and move it only through the control API.
    pub frozen_clock: Option<Timestamp>,
    /// Serve the control API under `/_entitle/` (always on with `demo`).
    pub control_api: bool,
    /// How often timed actions are fired in the background.
    pub sweep_every: Duration,
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
    /// The directory file is not valid JSON of the expected shape.
    #[error("invalid directory file `{path}`: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Token verification is not configured.
    #[error(
        "choose how tokens are checked: `--demo` (insecure, well-known key) or `--jwks FILE --issuer ISS --audience AUD`"
    )]
    NoVerifier,
    /// The token verifier could not be built.
    #[error("token verification: {0}")]
    Auth(#[from] entitle_auth::AuthError),
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
    match (&options.jwks, &options.issuer, &options.audience) {
        (Some(jwks), Some(issuer), Some(audience)) => {
            Ok(Verifier::from_jwks(&read(jwks)?, issuer, audience)?)
        }
        _ if options.demo => Ok(Verifier::demo()?),
        _ => Err(ServeError::NoVerifier),
    }
}

/// Builds the shared state: opens the store, loads the directory (and seeds the demo tenant once).
///
/// # Errors
/// A store, file or verifier failure.
pub fn prepare(options: &ServeOptions) -> Result<AppState, ServeError> {
    let verifier = verifier(options)?;
    let store = SqliteStore::open(&options.db)?;
    if let Some(path) = &options.config {
        let directory: Directory =
            serde_json::from_str(&read(path)?).map_err(|error| ServeError::Config {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        store.set_directory(&directory)?;
    } else if options.demo && store.directory()? == Directory::default() {
        store.set_directory(&crate::demo::directory())?;
    }
    let base = options
        .frozen_clock
        .map_or(ClockBase::System, ClockBase::Frozen);
    let clock = Clock::new(base, store.clock_offset()?);
    if options.demo && options.config.is_none() {
        crate::demo::seed(&store, clock.now())?;
    }
    Ok(AppState::new(Shared {
        directory: store.directory()?,
        store: Arc::new(store),
        verifier,
        clock,
        metrics: Metrics::default(),
        control_api: options.control_api || options.demo,
    }))
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests.
///
/// # Errors
/// A network failure.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    sweep_every: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let sweeper = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(sweep_every);
            loop {
                ticks.tick().await;
                if let Err(error) = fire_due(&state, state.clock.now()).await {
                    tracing::warn!(code = error.code.as_str(), "firing due actions failed");
                }
            }
        })
    };
    let app = router(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served.map_err(ServeError::from)
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

/// Runs `entitle serve`: prints `listening on http://ADDR` once ready, serves until SIGTERM/SIGINT.
///
/// # Errors
/// A start-up or network failure.
pub fn run(options: &ServeOptions) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let state = prepare(options)?;
        let listener = TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        if options.demo {
            tracing::warn!(
                "demo mode: tokens signed with the public, well-known demo key are accepted; never use it with real data"
            );
        }
        println!("listening on http://{address}");
        serve(listener, state, options.sweep_every, shutdown_signal()).await
    })
}
