//! cargo fuzz target `signature`: the checks are `croupier_fuzz::signature::check` (fuzz/src/signature.rs), so
//! that `tests/regressions.rs` can replay saved inputs without libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| croupier_fuzz::signature::check(data));
