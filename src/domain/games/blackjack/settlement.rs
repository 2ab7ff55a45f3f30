//! Settlement of a finished round: one [`HandResult`] per hand and per insurance, with its
//! [`Outcome`]. Blackjack pays 3:2 rounded down, a dealer blackjack takes original bets
//! only, insurance pays 2:1.
//!
//! It owns the arithmetic of payouts only; it must not move money: the caller credits
//! what [`Round::settle`] returns.

use crate::domain::money::Amount;

use super::hands::is_natural;
use super::{hand_total, HandStatus, Round};

#[cfg(doc)]
use super::Rules;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BetKind {
    Main,
    Insurance,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Player blackjack against no dealer blackjack: 3:2.
    Blackjack,
    Win,
    Push,
    /// Lost. Under a dealer blackjack a losing hand still gets its double/split extras back
    /// (original bets only), so `payout` may be positive.
    Lose,
}

/// The settlement of one hand, or of a seat's insurance (`bet = insurance`, `hand = 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HandResult {
    pub seat: u8,
    pub hand: u8,
    pub bet: BetKind,
    /// Everything staked on it, doubles included.
    pub stake: Amount,
    /// Everything returned, stake included (0 for a loss).
    pub payout: Amount,
    pub outcome: Outcome,
}

impl Round {
    /// Settles a finished round: one result per hand, in seat then hand order, each seat's
    /// insurance after its hands. `None` until [`Round::is_finished`]. (The arithmetic cannot
    /// overflow: [`Round::new`] refused stakes whose [`Rules::max_return`] would.)
    pub fn settle(&self) -> Option<Vec<HandResult>> {
        if !self.is_finished() {
            return None;
        }
        let dealer_natural = is_natural(&self.dealer);
        let (dealer_total, _) = hand_total(&self.dealer);
        let mut results = Vec::new();
        for seat in &self.seats {
            for (index, hand) in seat.hands.iter().enumerate() {
                let (total, _) = hand_total(&hand.cards);
                let (outcome, payout) = if hand.status == HandStatus::Blackjack {
                    if dealer_natural {
                        (Outcome::Push, hand.stake)
                    } else {
                        (
                            Outcome::Blackjack,
                            hand.stake.checked_add(hand.stake.mul_ratio_floor(3, 2)?)?,
                        )
                    }
                } else if dealer_natural {
                    // Original bets only: the seat loses its original stake, booked on hand 0;
                    // every extra (the doubles, the split hands) comes back.
                    let lost = if index == 0 { seat.stake } else { Amount::ZERO };
                    (Outcome::Lose, hand.stake.checked_sub(lost)?)
                } else if hand.status == HandStatus::Busted {
                    (Outcome::Lose, Amount::ZERO)
                } else if dealer_total > 21 || total > dealer_total {
                    (Outcome::Win, hand.stake.checked_mul(2)?)
                } else if total == dealer_total {
                    (Outcome::Push, hand.stake)
                } else {
                    (Outcome::Lose, Amount::ZERO)
                };
                results.push(HandResult {
                    seat: seat.number,
                    hand: index as u8,
                    bet: BetKind::Main,
                    stake: hand.stake,
                    payout,
                    outcome,
                });
            }
            if seat.insurance.is_positive() {
                let (outcome, payout) = if dealer_natural {
                    (Outcome::Win, seat.insurance.checked_mul(3)?)
                } else {
                    (Outcome::Lose, Amount::ZERO)
                };
                results.push(HandResult {
                    seat: seat.number,
                    hand: 0,
                    bet: BetKind::Insurance,
                    stake: seat.insurance,
                    payout,
                    outcome,
                });
            }
        }
        Some(results)
    }
}
