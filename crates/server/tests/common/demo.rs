//! A demo server (`entitle serve --demo` on a frozen clock) and demo tokens, for the tests that
//! walk through `docs/demo.md`.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entitle_auth::{TokenRequest, mint_demo};
use entitle_core::{SubjectId, Timestamp};
use entitle_server::serve::prepare;
use entitle_server::{ServeOptions, serve};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// 2026-03-02T09:30:00Z.
pub(crate) const NOW: Timestamp = Timestamp(1_772_443_800_000);

/// The v1.0 requests collection.
pub(crate) const REQUESTS: &str =
    "/v1.0/identityGovernance/entitlementManagement/assignmentRequests";

/// A demo server on a free port, with its database in a temporary directory.
pub(crate) struct Demo {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _dir: TempDir,
}

impl Demo {
    /// A demo server with its own database.
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("entitle.db");
        Self::start_on(db, dir).await
    }

    /// A demo server on the database `db` (which `dir` keeps), shared with any other server on it.
    pub(crate) async fn start_on(db: std::path::PathBuf, dir: TempDir) -> Self {
        Self::serve(options(db), dir).await
    }

    /// A server with `options` (whose files `dir` keeps).
    pub(crate) async fn serve(options: ServeOptions, dir: TempDir) -> Self {
        let state = prepare(&options).unwrap();
        let listener = TcpListener::bind(options.listen).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, state, options.sweep_every, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            client: reqwest::Client::new(),
            stop: Some(stop),
            _dir: dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn cancel(
        &self,
        token: &str,
        id: impl std::fmt::Display,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("{REQUESTS}/{id}/cancel")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    pub(crate) async fn control(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A demo token for `oid` with `scopes` (space-separated) and directory roles `wids`.
pub(crate) fn token(oid: SubjectId, scopes: &str, wids: &[&str]) -> String {
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mint_demo(&TokenRequest {
        oid,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        wids: wids.iter().map(|w| (*w).to_owned()).collect(),
        app: false,
        tenant: None,
        issued_at,
        lifetime_seconds: 600,
    })
    .unwrap()
}

/// The options of `entitle serve --demo` on a frozen clock, on database `db` and a free port.
pub(crate) fn options(db: std::path::PathBuf) -> ServeOptions {
    ServeOptions {
        db,
        database_url: None,
        pool_size: 4,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tenant: None,
        demo: true,
        jwks: None,
        issuer: None,
        audience: None,
        tenant_id: None,
        frozen_clock: Some(NOW),
        control_api: false,
        sweep_every: Duration::from_secs(3600),
        rate_limit_per_second: None,
        rate_limit_burst: None,
        max_in_flight: None,
        request_timeout_seconds: None,
        max_connections: None,
        tls: None,
        public_url: None,
        trust_forwarded: false,
    }
}
