//! cargo fuzz target `cards_and_bets`: the checks are `croupier_fuzz::cards_and_bets::check` (fuzz/src/cards_and_bets.rs), so
//! that `tests/regressions.rs` can replay saved inputs without libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| croupier_fuzz::cards_and_bets::check(data));
