//! Live blackjack, European no-hole-card (ENHC), as live-dealer studios run it: the round as
//! a pure state machine (dealing order, decisions, the dealer's drawing rule), settlement,
//! and the exact distribution of the dealer's final result for live odds.
//!
//! It owns the rules only. It must not know tables, timers, wallets or the journal: the
//! caller feeds it cards (from the RNG shoe or the dealer console) and decisions (from
//! players, or the decision timer's auto-stand), debits the extra stake that
//! [`Round::extra_stake`] quotes *before* calling [`Round::act`], and credits what
//! [`Round::settle`] returns. No I/O, clocks or RNGs.
//!
//! House rules, and the choices made where tables differ:
//! - **No hole card.** Each seat gets a card, the dealer one up card, each seat a second card.
//!   The dealer's second card comes only after every hand has acted, so nobody peeks.
//! - **Original bets only (OBO).** When the dealer turns a blackjack, a player blackjack
//!   pushes, and every other seat loses only its original main stake: the extra stake of
//!   doubles and splits comes back, *even on hands that busted* (we do not collect busted
//!   hands early; the loss is settled once, at the end). The lost stake is booked on hand 0.
//! - **Blackjack pays 3:2**, rounded down in minor units: stake + floor(stake × 3 / 2), so a
//!   stake of 5 returns 12.
//! - **Splits.** Any two cards of equal blackjack value split (K+Q too), up to
//!   [`Rules::max_hands`] hands per seat. A new hand is *appended* after the seat's existing
//!   hands, so hand indices never change once given out (they are on the wire and in the
//!   journal); hands are played in index order. Split aces take one card each and stop.
//!   21 after a split is not a blackjack.
//! - **Doubles** on any first two cards, after a split only with [`Rules::double_after_split`];
//!   exactly one card follows.
//! - **21 auto-stands**; a player blackjack does not act.
//! - **Dealer** draws to 17, stands on soft 17 unless [`Rules::dealer_hits_soft_17`]. When
//!   every hand is busted or a blackjack, the dealer still takes the second card (it decides
//!   blackjack pushes and insurance) and draws no more.
//! - **Insurance** (only with [`Rules::insurance`]): with an ace up, a seat may insure at its
//!   turn while its unsplit first hand holds two cards; it costs floor(stake / 2) and returns
//!   3 × cost (2:1) when the dealer makes blackjack. A player blackjack does not act, so it
//!   is never offered insurance ("even money"); it pushes against a dealer blackjack anyway.
//!
//! One file per concern: `rules.rs` holds a table's [`Rules`] and the exposure bound
//! [`max_return`]; `hands.rs` hand totals, the dealer's standing rule and the player's
//! [`Action`]s; `dealing.rs` the [`Round`] from its first card to its last decision;
//! `settlement.rs` what each hand and each insurance returns; `odds.rs` the exact
//! distribution of the dealer's final result ([`DealerOdds`]). This file holds the round's
//! state (its seats, hands and log), which `dealing.rs` changes and the others only read;
//! `tests.rs` and `properties.rs` hold the unit and property tests.

mod dealing;
mod hands;
mod odds;
#[cfg(test)]
mod properties;
mod rules;
mod settlement;
#[cfg(test)]
mod tests;

use crate::domain::cards::{Card, Rank};
use crate::domain::money::Amount;

pub use dealing::Target;
pub use hands::{hand_total, Action, ActionEffect, HandStatus, HandView};
pub use odds::{dealer_odds, dealer_odds_for_round, DealerOdds, Deck};
pub use rules::{max_return, Rules, HANDS_PER_SEAT_LIMIT};
pub use settlement::{BetKind, HandResult, Outcome};

/// Seats are numbered 1..=7, the table's physical layout.
pub const SEAT_MIN: u8 = 1;
pub const SEAT_MAX: u8 = 7;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Hand {
    cards: Vec<Card>,
    stake: Amount,
    status: HandStatus,
    from_split: bool,
    doubled: bool,
    /// A hit or a double was decided and its card is not dealt yet.
    card_owed: bool,
}

impl Hand {
    fn new(cards: Vec<Card>, stake: Amount, from_split: bool) -> Hand {
        Hand {
            cards,
            stake,
            status: HandStatus::Playing,
            from_split,
            doubled: false,
            card_owed: false,
        }
    }

    fn is_split_aces(&self) -> bool {
        self.from_split && self.cards.first().is_some_and(|card| card.rank == Rank::Ace)
    }

    fn needs_card(&self) -> bool {
        self.cards.len() < 2 || self.card_owed
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Seat {
    number: u8,
    /// The original main stake; splits stake it again, doubles stake the hand's stake again.
    stake: Amount,
    /// Never empty; index = hand number.
    hands: Vec<Hand>,
    /// Zero when not insured.
    insurance: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The two-pass deal: seats, dealer up card, seats.
    Opening,
    Players,
    Dealer,
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Card { target: Target, card: Card },
    Decision { seat: u8, hand: u8, action: Action },
}

/// One blackjack round from the first card to settlement.
///
/// The state is a pure function of the seats and the event log (cards and decisions), which
/// is how [`Round::undo`] works: it replays the log without its last card. Two rounds with the
/// same seats and log compare equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    rules: Rules,
    /// In seat order.
    seats: Vec<Seat>,
    dealer: Vec<Card>,
    phase: Phase,
    /// Every card and decision, in order. Bounded by the rules: each hand stops by 21 and a
    /// seat holds at most `max_hands` hands.
    events: Vec<Event>,
}
