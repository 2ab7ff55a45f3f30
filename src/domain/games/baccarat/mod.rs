//! Baccarat (punto banco): the deal order with the full third-card tableau, outcomes,
//! payouts and the exact odds of a round from any point of its deal.
//!
//! Pure rules: no I/O, no clock, no RNG, never a float for money. This module does not
//! decide when betting opens or closes, nor which card comes next out of the shoe: the
//! round state machine and the shoe own that and hand cards in here.
//!
//! One file per concern: `coup.rs` holds the card [`Position`]s, the third-card tableau and
//! the [`Coup`] it deals, with its [`Outcome`]; `settlement.rs` the bet [`Spot`]s and what
//! each returns ([`payout`], [`max_return`]); `odds.rs` the exact [`Odds`] of a coup from
//! any point of its deal. `tests.rs` holds the unit and property tests.

mod coup;
mod odds;
mod settlement;
#[cfg(test)]
mod tests;

pub use coup::{Coup, Outcome, Position, Winner};
pub use odds::{odds, Odds};
pub use settlement::{max_return, payout, Spot};

/// Longest spot or position text echoed back in an error, so a hostile client cannot make
/// us copy a megabyte into an error frame.
const ECHO_CHARS_MAX: usize = 64;

fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}
