//! The checks behind croupier's fuzz targets, one module per target, as plain functions.
//!
//! `fuzz_targets/*.rs` only hand libFuzzer's input to these functions. Keeping the checks
//! here lets `tests/regressions.rs` replay every seed and every saved crash input on the
//! stable toolchain with a plain `cargo test`, without libFuzzer. This crate only reads
//! croupier's public API: it must not need anything from croupier that is not `pub`.
//!
//! Every check panics (a crash for libFuzzer, a failure for the test) when croupier panics
//! or breaks a documented contract; a clean refusal of hostile input is the expected result.

pub mod cards_and_bets;
pub mod protocol;
pub mod signature;
pub mod table_side;
