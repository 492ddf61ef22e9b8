//! A bare axum server that answers `GET /` and `POST /` with `200 OK`: the baseline `just bench-http` measures
//! `entitle serve` against, in the same run, on the same machine.

use std::process::ExitCode;

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> ExitCode {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let app = Router::new().route("/", get(|| async { "OK" }).post(|| async { "OK" }));
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("bare-axum: cannot listen on `{address}`: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!("listening on http://{bound}"),
        Err(error) => {
            eprintln!("bare-axum: {error}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("bare-axum: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
