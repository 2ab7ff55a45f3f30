//! The rules of each game: dealing order, outcomes, payouts and exact odds. Pure.

pub mod baccarat;
pub mod blackjack;
pub mod dragon_tiger;
pub mod roulette;
