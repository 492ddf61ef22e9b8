//! SQLite's own limit for `just bench-http`: how many single-row update transactions per second a raw
//! rusqlite loop commits on this machine, with the settings `entitle serve` uses (WAL,
//! `synchronous = NORMAL`, `BEGIN IMMEDIATE`).
//!
//! Usage: `sqlite-update-loop FILE [TRANSACTIONS]`; prints one JSON line with the rate.

use std::process::ExitCode;
use std::time::Instant;

use rusqlite::{Connection, TransactionBehavior, params};

fn run(path: &str, transactions: u64) -> rusqlite::Result<f64> {
    let mut connection = Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL);",
    )?;
    let rows: i64 = 10_000;
    {
        let tx = connection.transaction()?;
        for id in 0..rows {
            tx.execute(
                "INSERT OR REPLACE INTO rows (id, version, body) VALUES (?1, 0, 'x')",
                params![id],
            )?;
        }
        tx.commit()?;
    }
    let started = Instant::now();
    for n in 0..transactions {
        let id = i64::try_from(n).unwrap_or_default() % rows;
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("SELECT version FROM rows WHERE id = ?1", [id], |row| {
            row.get(0)
        })?;
        tx.execute(
            "UPDATE rows SET version = version + 1, body = 'canceled' WHERE id = ?1 AND version = ?2",
            params![id, version],
        )?;
        tx.commit()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    Ok(transactions as f64 / seconds)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: sqlite-update-loop FILE [TRANSACTIONS]");
        return ExitCode::FAILURE;
    };
    let transactions = args.next().and_then(|n| n.parse().ok()).unwrap_or(50_000);
    match run(&path, transactions) {
        Ok(rate) => {
            println!("{{\"transactions\": {transactions}, \"perSecond\": {rate:.0}}}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sqlite-update-loop: {error}");
            ExitCode::FAILURE
        }
    }
}
