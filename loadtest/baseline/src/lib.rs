//! What the baseline servers share: the load shape and the pushed text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Groups of clients, like tables; a client picks one with `?g=N`.
pub const GROUPS: usize = 100;
/// Every group pushes one text this often (about 10 a second, like `tables/stress`).
pub const PERIOD: Duration = Duration::from_millis(100);

/// The group a request path's query names.
pub fn group(query: &str) -> usize {
    query.trim_start_matches("g=").parse::<usize>().unwrap_or(0) % GROUPS
}

/// When group `g` first pushes: groups are spread over one period, as the engine's tables
/// spread over their bet window.
pub fn first_push_delay(g: usize) -> Duration {
    PERIOD * g as u32 / GROUPS as u32
}

/// A text the size and shape of a card push; it starts with the server time in unix
/// microseconds, which the client reads back to measure push latency.
pub fn push_text(group: usize, seq: u64) -> String {
    format!(
        r#"{{"ts":{},"type":"card","table":"stress-{group}","seq":{seq},"epoch":1,"round_id":12345,"to":"player","card":"QH","odds":{{"version":3,"player":0.4462,"banker":0.4586,"tie":0.0952}},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#,
        unix_micros()
    )
}

pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// The server time a pushed text carries.
pub fn pushed_at(text: &str) -> Option<u64> {
    text.strip_prefix(r#"{"ts":"#)?.split(',').next()?.parse().ok()
}
