//! The server clock, read in one place: wall-clock unix microseconds, as every `ts`,
//! `closes_at` and `deadline` on the wire and in the journal is written.
//!
//! Rules (`domain/`) never read it: the actors pass the time in.

/// Now, in unix microseconds (0 if the system clock is before 1970).
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}
