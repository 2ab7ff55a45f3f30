//! The deal of one coup: the card [`Position`]s in deal order, the player's and the
//! banker's third-card tableau (written down once, in `banker_draws`), the [`Coup`] that
//! holds a prefix of that order, and its [`Outcome`] once complete.
//!
//! It owns the order of cards and what they make, not what bets return (`settlement.rs`)
//! nor how likely each end is (`odds.rs`). It must not pick cards: the caller hands them in.

use std::fmt;
use std::str::FromStr;

use crate::domain::cards::Card;
use crate::domain::error::RuleError;

use super::echo;

/// Where a card goes. The declaration order is the deal order, which `Coup` relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Position {
    Player1,
    Banker1,
    Player2,
    Banker2,
    Player3,
    Banker3,
}

impl Position {
    /// Every position in deal order (the third cards only when the tableau calls for them).
    pub const ALL: [Position; 6] = [
        Position::Player1,
        Position::Banker1,
        Position::Player2,
        Position::Banker2,
        Position::Player3,
        Position::Banker3,
    ];

    /// The wire name (`player1` … `banker3`).
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Player1 => "player1",
            Position::Banker1 => "banker1",
            Position::Player2 => "player2",
            Position::Banker2 => "banker2",
            Position::Player3 => "player3",
            Position::Banker3 => "banker3",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// True for the player's three positions.
    pub fn is_player(self) -> bool {
        matches!(self, Position::Player1 | Position::Player2 | Position::Player3)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Position {
    type Err = RuleError;

    /// # Errors
    /// [`RuleError::IllegalAction`] naming the text: `RuleError` has no variant of its own
    /// for an unknown position.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Position::ALL
            .into_iter()
            .find(|position| position.as_str() == s)
            .ok_or_else(|| RuleError::IllegalAction(format!("unknown position {:?}", echo(s))))
    }
}

impl serde::Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "BaccaratWinner")]
pub enum Winner {
    Player,
    Banker,
    Tie,
}

/// Whether the banker takes a third card, from the banker's two-card total and the value
/// of the player's third card (`None` when the player stood). The full tableau: this is
/// the only place it is written down.
pub(super) const fn banker_draws(banker_total: u8, player_third: Option<u8>) -> bool {
    match player_third {
        None => banker_total <= 5,
        Some(third) => match banker_total {
            0..=2 => true,
            3 => third != 8,
            4 => matches!(third, 2..=7),
            5 => matches!(third, 4..=7),
            6 => matches!(third, 6..=7),
            _ => false,
        },
    }
}

/// `banker_draws` as bit masks for the odds engine's inner loop: bit `t` of entry `b` is
/// set when a banker on `b` draws against a player's third card of value `t`.
pub(super) const BANKER_DRAWS_MASK: [u16; 10] = {
    let mut table = [0u16; 10];
    let mut banker = 0;
    while banker < 10 {
        let mut third = 0;
        while third < 10 {
            if banker_draws(banker as u8, Some(third as u8)) {
                table[banker] |= 1 << third;
            }
            third += 1;
        }
        banker += 1;
    }
    table
};

pub(super) fn player_draws(player_total: u8) -> bool {
    player_total <= 5
}

pub(super) fn is_natural(player_total: u8, banker_total: u8) -> bool {
    player_total >= 8 || banker_total >= 8
}

pub(super) fn winner(player_total: u8, banker_total: u8) -> Winner {
    match player_total.cmp(&banker_total) {
        std::cmp::Ordering::Greater => Winner::Player,
        std::cmp::Ordering::Less => Winner::Banker,
        std::cmp::Ordering::Equal => Winner::Tie,
    }
}

/// One round's cards, by position. Only `deal`/`deal_to`/`undo` change it, so it always
/// holds a prefix of the deal order the tableau dictates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coup {
    /// Indexed by `Position as usize`; a third-card slot stays empty when that hand stood.
    slots: [Option<Card>; 6],
}

impl Coup {
    pub fn new() -> Coup {
        Coup::default()
    }

    /// The card at `position`, if dealt.
    pub fn card(&self, position: Position) -> Option<Card> {
        self.slots[position.slot()]
    }

    pub(super) fn value(&self, position: Position) -> Option<u8> {
        self.card(position).map(|card| card.rank.baccarat_value())
    }

    fn two_card_total(&self, first: Position, second: Position) -> u8 {
        (self.value(first).unwrap_or(0) + self.value(second).unwrap_or(0)) % 10
    }

    /// Where the next card goes: P1, B1, P2, B2, then whatever the third-card tableau
    /// calls for. `None` once the coup is complete.
    pub fn next_position(&self) -> Option<Position> {
        for position in [
            Position::Player1,
            Position::Banker1,
            Position::Player2,
            Position::Banker2,
        ] {
            if self.card(position).is_none() {
                return Some(position);
            }
        }
        let player = self.two_card_total(Position::Player1, Position::Player2);
        let banker = self.two_card_total(Position::Banker1, Position::Banker2);
        if is_natural(player, banker) {
            return None;
        }
        let player_third = if player_draws(player) {
            match self.value(Position::Player3) {
                Some(value) => Some(value),
                None => return Some(Position::Player3),
            }
        } else {
            None
        };
        if banker_draws(banker, player_third) && self.card(Position::Banker3).is_none() {
            return Some(Position::Banker3);
        }
        None
    }

    /// Deals `card` to the next position and says which one that was.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] when the coup is complete.
    pub fn deal(&mut self, card: Card) -> Result<Position, RuleError> {
        let position = self.next_position().ok_or(RuleError::NoCardExpected)?;
        self.slots[position.slot()] = Some(card);
        Ok(position)
    }

    /// Deals `card` to `position`, which the dealer console names; it must be the next one.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] when the coup is complete,
    /// [`RuleError::WrongPosition`] when `position` is not the next position.
    pub fn deal_to(&mut self, position: Position, card: Card) -> Result<(), RuleError> {
        let expected = self.next_position().ok_or(RuleError::NoCardExpected)?;
        if expected != position {
            return Err(RuleError::WrongPosition {
                expected: expected.to_string(),
                got: position.to_string(),
            });
        }
        self.slots[position.slot()] = Some(card);
        Ok(())
    }

    /// Takes back the last card dealt.
    ///
    /// # Errors
    /// [`RuleError::NothingToUndo`] when no card has been dealt.
    pub fn undo(&mut self) -> Result<(Position, Card), RuleError> {
        // Slots fill in deal order, so the last dealt card is the highest filled slot.
        for position in Position::ALL.into_iter().rev() {
            if let Some(card) = self.slots[position.slot()].take() {
                return Ok((position, card));
            }
        }
        Err(RuleError::NothingToUndo)
    }

    /// The cards dealt so far, in deal order.
    pub fn cards(&self) -> Vec<(Position, Card)> {
        Position::ALL
            .into_iter()
            .filter_map(|position| self.card(position).map(|card| (position, card)))
            .collect()
    }

    /// How many cards have been dealt.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// The player's total (mod 10) of the cards dealt so far.
    pub fn player_total(&self) -> u8 {
        [Position::Player1, Position::Player2, Position::Player3]
            .iter()
            .filter_map(|&p| self.value(p))
            .sum::<u8>()
            % 10
    }

    /// The banker's total (mod 10) of the cards dealt so far.
    pub fn banker_total(&self) -> u8 {
        [Position::Banker1, Position::Banker2, Position::Banker3]
            .iter()
            .filter_map(|&p| self.value(p))
            .sum::<u8>()
            % 10
    }

    pub fn is_complete(&self) -> bool {
        self.next_position().is_none()
    }

    /// The result, once the coup is complete.
    pub fn outcome(&self) -> Option<Outcome> {
        if !self.is_complete() {
            return None;
        }
        let pair = |first: Position, second: Position| match (self.card(first), self.card(second)) {
            (Some(a), Some(b)) => a.rank == b.rank,
            _ => false,
        };
        let player_total = self.player_total();
        let banker_total = self.banker_total();
        Some(Outcome {
            winner: winner(player_total, banker_total),
            player_total,
            banker_total,
            player_pair: pair(Position::Player1, Position::Player2),
            banker_pair: pair(Position::Banker1, Position::Banker2),
            natural: is_natural(
                self.two_card_total(Position::Player1, Position::Player2),
                self.two_card_total(Position::Banker1, Position::Banker2),
            ),
        })
    }
}

/// The result of a complete coup: everything settlement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BaccaratOutcome")]
pub struct Outcome {
    pub winner: Winner,
    pub player_total: u8,
    pub banker_total: u8,
    /// The player's first two cards share a rank (a Queen and a King are not a pair).
    pub player_pair: bool,
    pub banker_pair: bool,
    /// Either hand's first two cards made 8 or 9, which ended the coup.
    pub natural: bool,
}
