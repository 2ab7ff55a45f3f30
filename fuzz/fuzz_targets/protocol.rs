//! cargo fuzz target `protocol`: the checks are `croupier_fuzz::protocol::check` (fuzz/src/protocol.rs), so
//! that `tests/regressions.rs` can replay saved inputs without libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| croupier_fuzz::protocol::check(data));
