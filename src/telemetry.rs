//! Logging and metrics in one place: the tracing subscriber and every metric name.
//!
//! Labels are bounded (`game`, `code`), never a player id. Logs never carry tokens,
//! secrets or unrevealed seeds.

use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const CONNECTIONS: &str = "croupier_connections";
pub const BETS_ACCEPTED: &str = "croupier_bets_accepted_total";
pub const BETS_REJECTED: &str = "croupier_bets_rejected_total";
pub const ROUND_SECONDS: &str = "croupier_round_duration_seconds";
pub const SETTLEMENT_SECONDS: &str = "croupier_settlement_duration_seconds";
pub const JOURNAL_FLUSH_SECONDS: &str = "croupier_journal_flush_seconds";
pub const JOURNAL_GROUP_BATCHES: &str = "croupier_journal_group_batches";
pub const EVENTS_PUSHED: &str = "croupier_events_pushed_total";
pub const SOCKETS_TOO_SLOW: &str = "croupier_sockets_too_slow_total";
pub const AUTH_FAILURES: &str = "croupier_auth_failures_total";

/// Authentication failures logged per second at most: a flood of forged requests must not
/// flood the log. Every failure is counted in `AUTH_FAILURES`; the next line logged says
/// how many were left out.
const AUTH_FAILURE_LINES_PER_S: u64 = 5;

/// Starts the tracing subscriber (`RUST_LOG` filters, default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr; stdout carries only the "listening on" line that scripts read.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colour codes only for a terminal, not in files and log collectors.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Installs the Prometheus recorder; the handle renders `/metrics`.
pub fn init_metrics() -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets(&[
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
        ])
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    Some(handle)
}

pub fn journal_flushed(elapsed: Duration, batches: usize) {
    metrics::histogram!(JOURNAL_FLUSH_SECONDS).record(elapsed.as_secs_f64());
    metrics::histogram!(JOURNAL_GROUP_BATCHES).record(batches as f64);
}

pub fn bet_accepted(game: &'static str) {
    metrics::counter!(BETS_ACCEPTED, "game" => game).increment(1);
}

pub fn bet_rejected(code: &'static str) {
    metrics::counter!(BETS_REJECTED, "code" => code).increment(1);
}

pub fn connection_opened(kind: &'static str) {
    metrics::gauge!(CONNECTIONS, "kind" => kind).increment(1.0);
}

pub fn connection_closed(kind: &'static str) {
    metrics::gauge!(CONNECTIONS, "kind" => kind).decrement(1.0);
}

pub fn round_finished(game: &'static str, round: Duration, settlement: Duration) {
    metrics::histogram!(ROUND_SECONDS, "game" => game).record(round.as_secs_f64());
    metrics::histogram!(SETTLEMENT_SECONDS, "game" => game).record(settlement.as_secs_f64());
}

pub fn events_pushed(count: usize) {
    metrics::counter!(EVENTS_PUSHED).increment(count as u64);
}

/// Counts a failed authentication (`kind`: `operator` or `dealer`). Returns whether to log
/// it, with how many failures went unlogged before it.
pub fn auth_failed(kind: &'static str) -> Option<u64> {
    /// (unix second, lines logged in it, failures left out since the last line)
    static LINES: std::sync::Mutex<(u64, u64, u64)> = std::sync::Mutex::new((0, 0, 0));
    metrics::counter!(AUTH_FAILURES, "kind" => kind).increment(1);
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut lines = LINES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if lines.0 != second {
        *lines = (second, 0, lines.2);
    }
    if lines.1 >= AUTH_FAILURE_LINES_PER_S {
        lines.2 += 1;
        return None;
    }
    lines.1 += 1;
    Some(std::mem::take(&mut lines.2))
}

pub fn socket_too_slow() {
    metrics::counter!(SOCKETS_TOO_SLOW).increment(1);
}
