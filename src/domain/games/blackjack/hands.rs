//! Hands and decisions: a hand's total and softness ([`hand_total`]), the natural, the
//! dealer's standing rule, the player's [`Action`]s with their wire names, what a decision
//! costs ([`ActionEffect`]), and a hand as clients see it ([`HandView`], [`HandStatus`]).
//!
//! It owns what cards and decisions mean, not the order they come in (`dealing.rs`) nor
//! what a hand is paid (`settlement.rs`). No state: every function here is pure.

use std::fmt;
use std::str::FromStr;

use crate::domain::cards::{Card, Rank};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;

#[cfg(doc)]
use super::Round;

/// A player decision. Wire names: `hit`, `stand`, `double`, `split`, `insurance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Hit,
    Stand,
    Double,
    Split,
    Insurance,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Hit,
        Action::Stand,
        Action::Double,
        Action::Split,
        Action::Insurance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Hit => "hit",
            Action::Stand => "stand",
            Action::Double => "double",
            Action::Split => "split",
            Action::Insurance => "insurance",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = RuleError;

    /// Parses the wire name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        Action::ALL
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(text))
            // The text is untrusted: echo only a short prefix of it.
            .ok_or_else(|| {
                RuleError::IllegalAction(format!(
                    "unknown action {:?}",
                    text.chars().take(16).collect::<String>()
                ))
            })
    }
}

/// What a decision costs on top of what is already staked. The caller debits an
/// `ExtraStake` *before* calling [`Round::act`] (quote it with [`Round::extra_stake`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionEffect {
    None,
    ExtraStake(Amount),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandStatus {
    /// Still taking cards or waiting for a decision.
    Playing,
    /// Stood, by decision, by reaching 21, or as a split ace after its one card.
    Stood,
    Busted,
    /// A two-card 21 on an unsplit hand.
    Blackjack,
    /// Doubled and received its one card without busting.
    Doubled,
}

/// One player hand as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HandView {
    pub seat: u8,
    pub hand: u8,
    pub cards: Vec<Card>,
    pub total: u8,
    pub soft: bool,
    /// Everything staked on this hand, its double included.
    pub stake: Amount,
    pub status: HandStatus,
    pub doubled: bool,
    /// Made by a split (so a 21 is not a blackjack).
    pub split: bool,
}

/// Best total and whether it is soft (an ace counted as 11). Hard totals above 255 saturate.
pub fn hand_total(cards: &[Card]) -> (u8, bool) {
    let hard = cards
        .iter()
        .map(|card| u32::from(card.rank.blackjack_value()))
        .sum::<u32>();
    let has_ace = cards.iter().any(|card| card.rank == Rank::Ace);
    let (total, soft) = if has_ace && hard + 10 <= 21 {
        (hard + 10, true)
    } else {
        (hard, false)
    };
    (u8::try_from(total).unwrap_or(u8::MAX), soft)
}

pub(super) fn is_natural(cards: &[Card]) -> bool {
    cards.len() == 2 && hand_total(cards).0 == 21
}

pub(super) fn dealer_stands(total: u8, soft: bool, hits_soft_17: bool) -> bool {
    total > 17 || (total == 17 && !(soft && hits_soft_17))
}
