//! Baccarat (punto banco): the deal order with the full third-card tableau, outcomes,
//! payouts and the exact odds of a round from any point of its deal.
//!
//! Pure rules: no I/O, no clock, no RNG, never a float for money. This module does not
//! decide when betting opens or closes, nor which card comes next out of the shoe: the
//! round state machine and the shoe own that and hand cards in here.

use std::fmt;
use std::str::FromStr;

use crate::domain::cards::{Card, Composition, Rank, Suit};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;

/// Longest spot or position text echoed back in an error, so a hostile client cannot make
/// us copy a megabyte into an error frame.
const ECHO_CHARS_MAX: usize = 64;

fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}

/// The bets a baccarat table takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spot {
    Player,
    Banker,
    Tie,
    PlayerPair,
    BankerPair,
}

impl Spot {
    pub const ALL: [Spot; 5] = [
        Spot::Player,
        Spot::Banker,
        Spot::Tie,
        Spot::PlayerPair,
        Spot::BankerPair,
    ];

    /// The wire name (`player`, `banker`, `tie`, `player_pair`, `banker_pair`).
    pub fn as_str(self) -> &'static str {
        match self {
            Spot::Player => "player",
            Spot::Banker => "banker",
            Spot::Tie => "tie",
            Spot::PlayerPair => "player_pair",
            Spot::BankerPair => "banker_pair",
        }
    }
}

impl fmt::Display for Spot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Spot {
    type Err = RuleError;

    /// Exact, case-sensitive wire names only: a spot is a contract, not free text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Spot::ALL
            .into_iter()
            .find(|spot| spot.as_str() == s)
            .ok_or_else(|| RuleError::UnknownSpot(echo(s)))
    }
}

impl serde::Serialize for Spot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Spot {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

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
const fn banker_draws(banker_total: u8, player_third: Option<u8>) -> bool {
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
const BANKER_DRAWS_MASK: [u16; 10] = {
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

fn player_draws(player_total: u8) -> bool {
    player_total <= 5
}

fn is_natural(player_total: u8, banker_total: u8) -> bool {
    player_total >= 8 || banker_total >= 8
}

fn winner(player_total: u8, banker_total: u8) -> Winner {
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

    fn value(&self, position: Position) -> Option<u8> {
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

/// What a bet of `stake` on `spot` returns after `outcome`, stake included (0 on a loss).
///
/// Player pays 1:1, banker 0.95:1, tie 8:1, each pair 11:1; player and banker bets push
/// (the stake comes back) on a tie. The banker's 5 % commission is taken on the win and the
/// win is rounded DOWN to a whole minor unit, so any fraction goes to the house: a
/// banker win on a stake of 15 returns 15 + floor(14.25) = 29.
///
/// Returns `None` when the amount would overflow, and for a negative stake (bet
/// validation rejects those long before settlement; settling one is a bug, not a loss).
pub fn payout(spot: Spot, stake: Amount, outcome: &Outcome) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    let won = match spot {
        Spot::Player => match outcome.winner {
            Winner::Player => return stake.checked_mul(2),
            Winner::Tie => return Some(stake),
            Winner::Banker => false,
        },
        Spot::Banker => match outcome.winner {
            Winner::Banker => return banker_win(stake),
            Winner::Tie => return Some(stake),
            Winner::Player => false,
        },
        Spot::Tie => outcome.winner == Winner::Tie,
        Spot::PlayerPair => outcome.player_pair,
        Spot::BankerPair => outcome.banker_pair,
    };
    if won {
        max_return(spot, stake)
    } else {
        Some(Amount::ZERO)
    }
}

fn banker_win(stake: Amount) -> Option<Amount> {
    stake.checked_add(stake.mul_ratio_floor(95, 100)?)
}

/// The most a bet of `stake` on `spot` can return, stake included: what exposure and
/// table-limit checks reserve. `None` on overflow or a negative stake.
pub fn max_return(spot: Spot, stake: Amount) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    match spot {
        Spot::Player => stake.checked_mul(2),
        Spot::Banker => banker_win(stake),
        Spot::Tie => stake.checked_mul(9),
        Spot::PlayerPair | Spot::BankerPair => stake.checked_mul(12),
    }
}

/// Probabilities of the final outcome. `banker + player + tie` is 1 (or all are 0 when no
/// completion of the coup exists); the pair bets are independent events of their own.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BaccaratOdds")]
pub struct Odds {
    pub banker: f64,
    pub player: f64,
    pub tie: f64,
    pub player_pair: f64,
    pub banker_pair: f64,
}

impl Odds {
    const ZERO: Odds = Odds {
        banker: 0.0,
        player: 0.0,
        tie: 0.0,
        player_pair: 0.0,
        banker_pair: 0.0,
    };
}

/// The exact probabilities of how `coup` ends when the rest of its cards come from `shoe`.
///
/// `shoe` holds the cards still undealt (the coup's own cards already removed) and every
/// order of them is equally likely. Exact enumeration, not simulation: a full 8-deck shoe
/// from an empty coup takes well under a millisecond, because cards are grouped into the
/// ten baccarat values with card-removal weights, each hand's first two cards are taken as
/// an unordered pair with its multiplicity, and the two third cards are summed in closed
/// form (exact integer counts of ordered card pairs) instead of being branched on.
///
/// When the shoe is too short to finish the coup on some paths (a pathological shoe), the
/// result is conditioned on the completions that exist; when none exists, every
/// probability is 0. Never panics.
pub fn odds(shoe: &Composition, coup: &Coup) -> Odds {
    let cards_needed_max = Position::ALL.len() - coup.len();
    if usize::from(shoe.total()) < cards_needed_max {
        // Few enough cards left (at most five) for a walk over every rank sequence to be
        // instant, and that walk weighs paths that run dry correctly.
        return odds_by_rank(shoe, coup);
    }
    let mut shoe_values = ValueShoe::from_composition(shoe);
    let mut tally = Tally::default();
    let known = |position| coup.value(position);
    let banker_third = known(Position::Banker3);
    let player_third = known(Position::Player3);
    shoe_values.for_each_two_card_hand(
        known(Position::Player1),
        known(Position::Player2),
        1.0,
        &mut |shoe, player, weight| {
            shoe.for_each_two_card_hand(
                known(Position::Banker1),
                known(Position::Banker2),
                weight,
                &mut |shoe, banker, weight| {
                    finish_coup(shoe, &mut tally, player, banker, player_third, banker_third, weight);
                },
            );
        },
    );
    let Some((banker, player, tie)) = tally.normalised() else {
        return Odds::ZERO;
    };
    Odds {
        banker,
        player,
        tie,
        player_pair: pair_probability(shoe, coup.card(Position::Player1), coup.card(Position::Player2)),
        banker_pair: pair_probability(shoe, coup.card(Position::Banker1), coup.card(Position::Banker2)),
    }
}

/// Probability that a hand's first two cards share a rank. Only valid when the shoe can
/// finish the coup on every path: then any undealt card is, by symmetry, a uniform draw
/// from `shoe`, whatever lies between it and the last dealt card.
fn pair_probability(shoe: &Composition, first: Option<Card>, second: Option<Card>) -> f64 {
    let total = f64::from(shoe.total());
    match (first, second) {
        (Some(a), Some(b)) => f64::from(u8::from(a.rank == b.rank)),
        (Some(card), None) | (None, Some(card)) => ratio(f64::from(shoe.count(card.rank)), total),
        (None, None) => {
            let same: f64 = shoe
                .counts()
                .iter()
                .map(|&n| f64::from(n) * (f64::from(n) - 1.0).max(0.0))
                .sum();
            ratio(same, total * (total - 1.0))
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

/// The undealt cards grouped by baccarat value (tens and pictures are 0).
struct ValueShoe {
    counts: [u32; 10],
    total: u32,
}

impl ValueShoe {
    fn from_composition(shoe: &Composition) -> ValueShoe {
        let mut counts = [0u32; 10];
        for rank in Rank::ALL {
            counts[usize::from(rank.baccarat_value())] += u32::from(shoe.count(rank));
        }
        ValueShoe {
            counts,
            total: counts.iter().sum(),
        }
    }

    fn take(&mut self, value: usize) {
        self.counts[value] -= 1;
        self.total -= 1;
    }

    fn put(&mut self, value: usize) {
        self.counts[value] += 1;
        self.total += 1;
    }

    /// Calls `visit(shoe, two_card_total, weight * probability)` for every way the unknown
    /// cards of a two-card hand can fall, with those cards out of the shoe during the call.
    /// Two unknown cards are drawn as an unordered pair: {a, b} with a ≠ b happens in two
    /// orders of equal probability, so it is visited once with twice the weight.
    fn for_each_two_card_hand(
        &mut self,
        first: Option<u8>,
        second: Option<u8>,
        weight: f64,
        visit: &mut impl FnMut(&mut ValueShoe, u8, f64),
    ) {
        match (first, second) {
            (Some(a), Some(b)) => visit(self, (a + b) % 10, weight),
            (Some(known), None) | (None, Some(known)) => {
                let scale = weight / f64::from(self.total);
                for value in 0..10 {
                    let count = self.counts[value];
                    if count == 0 {
                        continue;
                    }
                    self.take(value);
                    visit(self, (known + value as u8) % 10, scale * f64::from(count));
                    self.put(value);
                }
            }
            (None, None) => {
                // A pair count is non-zero only when the shoe holds two cards, so the
                // denominator below is never zero when it is used.
                let scale = weight / (f64::from(self.total) * f64::from(self.total.saturating_sub(1)));
                for a in 0..10 {
                    let count_a = u64::from(self.counts[a]);
                    if count_a == 0 {
                        continue;
                    }
                    for b in a..10 {
                        let orders = if a == b {
                            count_a * (count_a - 1)
                        } else {
                            2 * count_a * u64::from(self.counts[b])
                        };
                        if orders == 0 {
                            continue;
                        }
                        self.take(a);
                        self.take(b);
                        visit(self, (a + b) as u8 % 10, scale * orders as f64);
                        self.put(b);
                        self.put(a);
                    }
                }
            }
        }
    }
}

/// Probability mass of each result, summed over the paths enumerated.
#[derive(Default)]
struct Tally {
    banker: f64,
    player: f64,
    tie: f64,
}

impl Tally {
    fn settle(&mut self, player: u8, banker: u8, weight: f64) {
        match winner(player, banker) {
            Winner::Player => self.player += weight,
            Winner::Banker => self.banker += weight,
            Winner::Tie => self.tie += weight,
        }
    }

    /// Conditioned on the paths that exist; `None` when none does.
    fn normalised(&self) -> Option<(f64, f64, f64)> {
        let total = self.banker + self.player + self.tie;
        (total > 0.0).then(|| (self.banker / total, self.player / total, self.tie / total))
    }
}

/// Plays out a coup whose first four cards are fixed (totals `player`, `banker`) and
/// whose third cards, if already dealt, are `player_third` / `banker_third`.
fn finish_coup(
    shoe: &mut ValueShoe,
    tally: &mut Tally,
    player: u8,
    banker: u8,
    player_third: Option<u8>,
    banker_third: Option<u8>,
    weight: f64,
) {
    if is_natural(player, banker) {
        tally.settle(player, banker, weight);
        return;
    }
    if !player_draws(player) {
        finish_banker(shoe, tally, player, banker, None, banker_third, weight);
        return;
    }
    if let Some(third) = player_third {
        finish_banker(
            shoe,
            tally,
            (player + third) % 10,
            banker,
            Some(third),
            banker_third,
            weight,
        );
        return;
    }
    if banker_third.is_none() && shoe.total >= 2 {
        sum_both_third_cards(shoe, tally, player, banker, weight);
        return;
    }
    let scale = weight / f64::from(shoe.total);
    for third in 0..10 {
        let count = shoe.counts[third];
        if count == 0 {
            continue;
        }
        shoe.take(third);
        let third = third as u8;
        finish_banker(
            shoe,
            tally,
            (player + third) % 10,
            banker,
            Some(third),
            banker_third,
            scale * f64::from(count),
        );
        shoe.put(usize::from(third));
    }
}

/// The player draws and neither third card is dealt: the commonest path of a full
/// computation, so both third cards are summed in closed form instead of branched on.
/// Every path is counted as an ordered pair (player's third card, next card), the next card
/// being the banker's third or, when the banker stands, any card: all paths then share the
/// denominator `total * (total - 1)` and the sums stay in exact integers.
fn sum_both_third_cards(shoe: &ValueShoe, tally: &mut Tally, player: u8, banker: u8, weight: f64) {
    let total = u64::from(shoe.total);
    let banker = usize::from(banker);
    let player = usize::from(player);
    // at_final[f]: cards that would put the banker on f; above[f]: on f + 1 ..= 9.
    let mut at_final = [0u64; 10];
    for (value, &count) in shoe.counts.iter().enumerate() {
        at_final[(banker + value) % 10] = u64::from(count);
    }
    let mut above = [0u64; 10];
    let mut running = 0;
    for f in (0..10).rev() {
        above[f] = running;
        running += at_final[f];
    }
    let draws = BANKER_DRAWS_MASK[banker];
    let (mut banker_wins, mut player_wins, mut ties) = (0u64, 0u64, 0u64);
    for third in 0..10 {
        let count = u64::from(shoe.counts[third]);
        if count == 0 {
            continue; // Also keeps the subtractions below from going negative.
        }
        let player_final = (player + third) % 10;
        if draws & (1 << third) != 0 {
            // The player's third card is gone, so it cannot also be the banker's.
            let taken = (banker + third) % 10;
            let banker_above = above[player_final] - u64::from(taken > player_final);
            let tie = at_final[player_final] - u64::from(taken == player_final);
            banker_wins += count * banker_above;
            ties += count * tie;
            player_wins += count * (total - 1 - banker_above - tie);
        } else {
            let paths = count * (total - 1);
            match player_final.cmp(&banker) {
                std::cmp::Ordering::Greater => player_wins += paths,
                std::cmp::Ordering::Less => banker_wins += paths,
                std::cmp::Ordering::Equal => ties += paths,
            }
        }
    }
    let scale = weight / (total * (total - 1)) as f64;
    tally.banker += scale * banker_wins as f64;
    tally.player += scale * player_wins as f64;
    tally.tie += scale * ties as f64;
}

/// The banker's turn, the player's hand being final at `player`.
fn finish_banker(
    shoe: &ValueShoe,
    tally: &mut Tally,
    player: u8,
    banker: u8,
    player_third: Option<u8>,
    banker_third: Option<u8>,
    weight: f64,
) {
    if !banker_draws(banker, player_third) {
        tally.settle(player, banker, weight);
        return;
    }
    if let Some(third) = banker_third {
        tally.settle(player, (banker + third) % 10, weight);
        return;
    }
    if shoe.total == 0 {
        return; // This path needs a card the shoe does not have: it does not exist.
    }
    // The last card decides nothing else, so sum it instead of branching on it: the banker
    // ends on f = (banker + v) mod 10 for a third card of value v.
    let at_final = |f: u8| shoe.counts[usize::from((f + 10 - banker) % 10)];
    let tie = at_final(player);
    let banker_wins: u32 = (player + 1..10).map(at_final).sum();
    let player_wins = shoe.total - tie - banker_wins;
    let scale = weight / f64::from(shoe.total);
    tally.banker += scale * f64::from(banker_wins);
    tally.tie += scale * f64::from(tie);
    tally.player += scale * f64::from(player_wins);
}

/// Exact odds by walking every sequence of ranks that can finish the coup. Slow in
/// general (13 ways per card), so used only for shoes of at most five cards, where it
/// also gets pair odds right on paths that run out of cards. Tests use it as an oracle.
fn odds_by_rank(shoe: &Composition, coup: &Coup) -> Odds {
    let mut counts = *shoe.counts();
    let mut walk = RankWalk {
        coup: coup.clone(),
        mass: [0.0; 5],
    };
    walk.visit(&mut counts, 1.0);
    let [banker, player, tie, player_pair, banker_pair] = walk.mass;
    let total = banker + player + tie;
    if total <= 0.0 {
        return Odds::ZERO;
    }
    Odds {
        banker: banker / total,
        player: player / total,
        tie: tie / total,
        player_pair: player_pair / total,
        banker_pair: banker_pair / total,
    }
}

struct RankWalk {
    coup: Coup,
    /// Probability mass of banker, player, tie, player pair, banker pair.
    mass: [f64; 5],
}

impl RankWalk {
    fn visit(&mut self, counts: &mut [u16; 13], weight: f64) {
        if self.coup.is_complete() {
            if let Some(outcome) = self.coup.outcome() {
                let slot = match outcome.winner {
                    Winner::Banker => 0,
                    Winner::Player => 1,
                    Winner::Tie => 2,
                };
                self.mass[slot] += weight;
                if outcome.player_pair {
                    self.mass[3] += weight;
                }
                if outcome.banker_pair {
                    self.mass[4] += weight;
                }
            }
            return;
        }
        let total: u32 = counts.iter().map(|&n| u32::from(n)).sum();
        if total == 0 {
            return;
        }
        for (index, rank) in Rank::ALL.into_iter().enumerate() {
            let count = counts[index];
            if count == 0 {
                continue;
            }
            counts[index] -= 1;
            // The suit is irrelevant to every baccarat rule.
            if self.coup.deal(Card::new(rank, Suit::Spades)).is_ok() {
                self.visit(counts, weight * f64::from(count) / f64::from(total));
                // Undoing what was just dealt cannot fail.
                let _ = self.coup.undo();
            }
            counts[index] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cards::parse_cards;
    use proptest::prelude::*;

    fn card(text: &str) -> Card {
        text.parse().unwrap()
    }

    /// A card of baccarat value `value` (0 is a King).
    fn card_of_value(value: u8) -> Card {
        let rank = if value == 0 {
            Rank::King
        } else {
            Rank::ALL[usize::from(value) - 1]
        };
        Card::new(rank, Suit::Hearts)
    }

    fn coup_of(text: &str) -> Coup {
        let mut coup = Coup::new();
        for c in parse_cards(text).unwrap() {
            coup.deal(c).unwrap();
        }
        coup
    }

    fn composition_of(cards: &[Card]) -> Composition {
        let mut counts = [0u16; 13];
        for c in cards {
            counts[c.rank.index()] += 1;
        }
        Composition::from_counts(counts)
    }

    fn outcome(winner: Winner, player_pair: bool, banker_pair: bool) -> Outcome {
        Outcome {
            winner,
            player_total: 0,
            banker_total: 0,
            player_pair,
            banker_pair,
            natural: false,
        }
    }

    fn assert_close(got: f64, want: f64, tolerance: f64, what: &str) {
        assert!((got - want).abs() <= tolerance, "{what}: got {got}, want {want}");
    }

    fn assert_odds_close(got: &Odds, want: &Odds, tolerance: f64) {
        assert_close(got.banker, want.banker, tolerance, "banker");
        assert_close(got.player, want.player, tolerance, "player");
        assert_close(got.tie, want.tie, tolerance, "tie");
        assert_close(got.player_pair, want.player_pair, tolerance, "player_pair");
        assert_close(got.banker_pair, want.banker_pair, tolerance, "banker_pair");
    }

    #[test]
    fn spots_and_positions_round_trip_their_names() {
        for spot in Spot::ALL {
            assert_eq!(spot.to_string().parse::<Spot>().unwrap(), spot);
        }
        for position in Position::ALL {
            assert_eq!(position.to_string().parse::<Position>().unwrap(), position);
        }
        assert_eq!("player_pair".parse::<Spot>().unwrap(), Spot::PlayerPair);
        assert_eq!("banker3".parse::<Position>().unwrap(), Position::Banker3);
        assert_eq!("Player".parse::<Spot>(), Err(RuleError::UnknownSpot("Player".into())));
        assert_eq!("".parse::<Spot>(), Err(RuleError::UnknownSpot(String::new())));
        let long = "x".repeat(10_000);
        assert!(matches!(long.parse::<Spot>(), Err(RuleError::UnknownSpot(t)) if t.len() == ECHO_CHARS_MAX));
        assert!("player4".parse::<Position>().is_err());
    }

    /// The banker's third-card tableau as printed on the layout, written out independently
    /// of `banker_draws`. Rows: banker total 0..=7; columns: player's third card 0..=9,
    /// then "player stood". D draws, S stands.
    const TABLEAU: [&str; 8] = [
        "DDDDDDDDDD D", // 0
        "DDDDDDDDDD D", // 1
        "DDDDDDDDDD D", // 2
        "DDDDDDDDSD D", // 3: stands only on a player's 8
        "SSDDDDDDSS D", // 4: draws on 2-7
        "SSSSDDDDSS D", // 5: draws on 4-7
        "SSSSSSDDSS S", // 6: draws on 6-7
        "SSSSSSSSSS S", // 7
    ];

    #[test]
    fn every_cell_of_the_banker_tableau() {
        for (banker_total, row) in TABLEAU.iter().enumerate() {
            let cells: Vec<char> = row.chars().filter(|c| *c != ' ').collect();
            let banker_total = banker_total as u8;
            // Banker's first two cards: a King and the total (two Kings for 0).
            let banker = [card_of_value(0), card_of_value(banker_total)];
            for (column, &cell) in cells.iter().enumerate() {
                let mut coup = Coup::new();
                let player = if column < 10 {
                    [card_of_value(2), card_of_value(3)]
                } else {
                    [card_of_value(6), card_of_value(0)]
                };
                coup.deal(player[0]).unwrap();
                coup.deal(banker[0]).unwrap();
                coup.deal(player[1]).unwrap();
                coup.deal(banker[1]).unwrap();
                if column < 10 {
                    assert_eq!(coup.next_position(), Some(Position::Player3));
                    assert_eq!(coup.deal(card_of_value(column as u8)).unwrap(), Position::Player3);
                }
                let expected = if cell == 'D' { Some(Position::Banker3) } else { None };
                assert_eq!(coup.next_position(), expected, "banker {banker_total}, column {column}");
                if expected.is_some() {
                    coup.deal(card_of_value(1)).unwrap();
                    assert!(coup.is_complete());
                }
                assert!(coup.outcome().is_some());
            }
        }
    }

    #[test]
    fn naturals_stop_the_coup() {
        for text in ["9h 2c Kd 3s", "2c 8h 3s Kd", "4h 5h 4c 4d", "8c 8d Kd Ks"] {
            let coup = coup_of(text);
            assert!(coup.is_complete(), "{text}");
            assert_eq!(coup.next_position(), None);
            assert!(coup.outcome().unwrap().natural);
        }
        let outcome = coup_of("4h 5h 4c 4d").outcome().unwrap();
        assert_eq!(
            (outcome.winner, outcome.player_total, outcome.banker_total),
            (Winner::Banker, 8, 9)
        );
        let tie = coup_of("8c 8d Kd Ks").outcome().unwrap();
        assert_eq!(tie.winner, Winner::Tie);
        assert!(!tie.player_pair && !tie.banker_pair);
    }

    #[test]
    fn player_draws_on_0_to_5_and_stands_on_6_and_7() {
        for player_total in 0..=7u8 {
            let mut coup = Coup::new();
            coup.deal(card_of_value(player_total)).unwrap();
            coup.deal(card_of_value(7)).unwrap();
            coup.deal(card_of_value(0)).unwrap();
            coup.deal(card_of_value(0)).unwrap();
            let expected = if player_total <= 5 {
                Some(Position::Player3)
            } else {
                None
            };
            // Banker holds 7 and stands whenever the player stood.
            assert_eq!(coup.next_position(), expected, "player {player_total}");
        }
        // Player stands on 6 and the banker on 3 draws.
        let mut coup = coup_of("6h 3c Kd Ks");
        assert_eq!(coup.deal(card("2d")).unwrap(), Position::Banker3);
        assert!(coup.is_complete());
        assert_eq!(
            coup.cards().iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            vec![
                Position::Player1,
                Position::Banker1,
                Position::Player2,
                Position::Banker2,
                Position::Banker3
            ]
        );
        assert_eq!((coup.player_total(), coup.banker_total()), (6, 5));
        assert_eq!(coup.outcome().unwrap().winner, Winner::Player);
    }

    #[test]
    fn deal_to_checks_the_position_and_complete_coups_take_no_card() {
        let mut coup = Coup::new();
        assert_eq!(
            coup.deal_to(Position::Banker1, card("As")),
            Err(RuleError::WrongPosition {
                expected: "player1".into(),
                got: "banker1".into()
            })
        );
        assert!(coup.is_empty());
        coup.deal_to(Position::Player1, card("As")).unwrap();
        coup.deal_to(Position::Banker1, card("9s")).unwrap();
        coup.deal_to(Position::Player2, card("Ks")).unwrap();
        coup.deal_to(Position::Banker2, card("Ts")).unwrap();
        assert!(coup.is_complete());
        assert_eq!(
            coup.deal_to(Position::Player3, card("2s")),
            Err(RuleError::NoCardExpected)
        );
        assert_eq!(coup.deal(card("2s")), Err(RuleError::NoCardExpected));
        assert_eq!(coup.len(), 4);
    }

    #[test]
    fn undo_takes_back_cards_in_reverse_order() {
        let mut coup = coup_of("2h 3c 3s Kd 4h 5d");
        assert_eq!(coup.len(), 6);
        assert_eq!(coup.undo().unwrap(), (Position::Banker3, card("5d")));
        assert_eq!(coup.undo().unwrap(), (Position::Player3, card("4h")));
        assert_eq!(coup.next_position(), Some(Position::Player3));
        for _ in 0..4 {
            coup.undo().unwrap();
        }
        assert_eq!(coup.undo(), Err(RuleError::NothingToUndo));
        assert_eq!(coup, Coup::new());
    }

    #[test]
    fn payouts() {
        let stake = Amount(100);
        let player_wins = outcome(Winner::Player, false, false);
        let banker_wins = outcome(Winner::Banker, false, false);
        let tie = outcome(Winner::Tie, false, false);
        assert_eq!(payout(Spot::Player, stake, &player_wins), Some(Amount(200)));
        assert_eq!(payout(Spot::Player, stake, &banker_wins), Some(Amount(0)));
        assert_eq!(payout(Spot::Player, stake, &tie), Some(Amount(100)));
        assert_eq!(payout(Spot::Banker, stake, &banker_wins), Some(Amount(195)));
        assert_eq!(payout(Spot::Banker, stake, &player_wins), Some(Amount(0)));
        assert_eq!(payout(Spot::Banker, stake, &tie), Some(Amount(100)));
        assert_eq!(payout(Spot::Tie, stake, &tie), Some(Amount(900)));
        assert_eq!(payout(Spot::Tie, stake, &player_wins), Some(Amount(0)));
        assert_eq!(payout(Spot::Tie, stake, &banker_wins), Some(Amount(0)));
        let pairs = outcome(Winner::Player, true, false);
        assert_eq!(payout(Spot::PlayerPair, stake, &pairs), Some(Amount(1200)));
        assert_eq!(payout(Spot::BankerPair, stake, &pairs), Some(Amount(0)));
        let banker_pair = outcome(Winner::Tie, false, true);
        assert_eq!(payout(Spot::BankerPair, stake, &banker_pair), Some(Amount(1200)));
        assert_eq!(payout(Spot::PlayerPair, stake, &banker_pair), Some(Amount(0)));
    }

    #[test]
    fn banker_commission_rounds_down_in_the_house_favour() {
        let banker_wins = outcome(Winner::Banker, false, false);
        for (stake, returned) in [(15, 29), (1, 1), (19, 37), (20, 39), (21, 40), (0, 0), (99, 193)] {
            assert_eq!(
                payout(Spot::Banker, Amount(stake), &banker_wins),
                Some(Amount(returned)),
                "stake {stake}"
            );
        }
        assert_eq!(max_return(Spot::Banker, Amount(15)), Some(Amount(29)));
    }

    #[test]
    fn overflow_and_negative_stakes_are_refused_not_paid() {
        let tie = outcome(Winner::Tie, true, true);
        assert_eq!(payout(Spot::Tie, Amount(i64::MAX / 2), &tie), None);
        assert_eq!(max_return(Spot::PlayerPair, Amount(i64::MAX / 11)), None);
        assert_eq!(payout(Spot::Player, Amount(i64::MAX), &tie), Some(Amount(i64::MAX)));
        assert_eq!(payout(Spot::Banker, Amount(-5), &tie), None);
        assert_eq!(max_return(Spot::Tie, Amount(-5)), None);
    }

    #[test]
    fn pairs_are_same_rank_not_same_value() {
        assert!(coup_of("Kh 2c Kd 3s 4h 4d").outcome().unwrap().player_pair);
        assert!(!coup_of("Kh 2c Qd 3s 4h 4d").outcome().unwrap().player_pair);
        let both = coup_of("4h 4c 4d 4s").outcome().unwrap();
        assert!(both.player_pair && both.banker_pair && both.winner == Winner::Tie);
    }

    #[test]
    fn eight_deck_odds_match_the_published_values() {
        let shoe = Composition::decks(8).unwrap();
        let odds = odds(&shoe, &Coup::new());
        assert_close(odds.banker, 0.458597, 5e-7, "banker");
        assert_close(odds.player, 0.446247, 5e-7, "player");
        assert_close(odds.tie, 0.095156, 5e-7, "tie");
        // 13 ranks of 32 cards: sum n(n-1) / (N(N-1)).
        let pair = 13.0 * 32.0 * 31.0 / (416.0 * 415.0);
        assert_close(odds.player_pair, pair, 1e-12, "player_pair");
        assert_close(odds.banker_pair, pair, 1e-12, "banker_pair");
        assert_close(odds.banker + odds.player + odds.tie, 1.0, 1e-12, "sum");
    }

    #[test]
    fn odds_of_a_complete_coup_are_certain() {
        let coup = coup_of("Kh 2c Kd 3s 9h");
        let mut shoe = Composition::decks(8).unwrap();
        shoe.remove_all(&coup.cards().iter().map(|(_, c)| *c).collect::<Vec<_>>())
            .unwrap();
        let odds = odds(&shoe, &coup);
        let winner = coup.outcome().unwrap().winner;
        assert_eq!(winner, Winner::Player);
        assert_eq!(
            (odds.player, odds.banker, odds.tie, odds.player_pair, odds.banker_pair),
            (1.0, 0.0, 0.0, 1.0, 0.0)
        );
        // Even with an empty shoe: nothing is left to draw.
        assert_eq!(super::odds(&Composition::from_counts([0; 13]), &coup).player, 1.0);
    }

    /// The reference: every ordering of the physical cards left, dealt one by one into the
    /// coup, each path weighed by the chance of drawing exactly those cards in that order.
    fn brute_force(remaining: &[Card], coup: &Coup) -> Odds {
        fn walk(remaining: &[Card], used: &mut Vec<bool>, coup: &mut Coup, weight: f64, mass: &mut [f64; 5]) {
            if let Some(outcome) = coup.outcome() {
                match outcome.winner {
                    Winner::Banker => mass[0] += weight,
                    Winner::Player => mass[1] += weight,
                    Winner::Tie => mass[2] += weight,
                }
                mass[3] += if outcome.player_pair { weight } else { 0.0 };
                mass[4] += if outcome.banker_pair { weight } else { 0.0 };
                return;
            }
            let left = used.iter().filter(|u| !**u).count();
            for i in 0..remaining.len() {
                if used[i] {
                    continue;
                }
                used[i] = true;
                coup.deal(remaining[i]).unwrap();
                walk(remaining, used, coup, weight / left as f64, mass);
                coup.undo().unwrap();
                used[i] = false;
            }
        }
        let mut mass = [0.0; 5];
        walk(
            remaining,
            &mut vec![false; remaining.len()],
            &mut coup.clone(),
            1.0,
            &mut mass,
        );
        let total = mass[0] + mass[1] + mass[2];
        if total == 0.0 {
            return Odds::ZERO;
        }
        Odds {
            banker: mass[0] / total,
            player: mass[1] / total,
            tie: mass[2] / total,
            player_pair: mass[3] / total,
            banker_pair: mass[4] / total,
        }
    }

    /// `count` cards of one deck picked by a stride, none of them in `dealt`.
    fn small_shoe(count: usize, stride: u8, offset: u8, dealt: &Coup) -> Vec<Card> {
        let dealt: Vec<Card> = dealt.cards().iter().map(|(_, c)| *c).collect();
        (0..52u32)
            .map(|i| Card::from_index(((i * u32::from(stride) + u32::from(offset)) % 52) as u8).unwrap())
            .filter(|c| !dealt.contains(c))
            .take(count)
            .collect()
    }

    #[test]
    fn odds_equal_brute_force_over_orderings_of_a_small_shoe() {
        let cases: [(&str, usize, u8, u8); 9] = [
            ("", 9, 7, 0),
            ("", 9, 5, 3),
            ("", 8, 11, 1),
            ("Ah", 10, 3, 2),
            ("Ah 3d", 12, 7, 5),
            ("Ah 3d 4c", 13, 9, 1),
            ("2h 3d 3s Kd", 20, 7, 4),
            ("6h 3d Ks Kd", 20, 5, 0),
            ("2h 2d 3s 3d 7c", 25, 3, 1),
        ];
        for (dealt, count, stride, offset) in cases {
            let coup = coup_of(dealt);
            let remaining = small_shoe(count, stride, offset, &coup);
            assert_eq!(remaining.len(), count);
            let fast = odds(&composition_of(&remaining), &coup);
            let reference = brute_force(&remaining, &coup);
            assert_odds_close(&fast, &reference, 1e-12);
            assert_close(fast.banker + fast.player + fast.tie, 1.0, 1e-12, "sum");
        }
    }

    #[test]
    fn short_shoes_condition_on_the_completions_that_exist() {
        for (dealt, count) in [
            ("", 0),
            ("", 3),
            ("", 4),
            ("", 5),
            ("Ah", 4),
            ("2h 3d", 3),
            ("2h 3d 3s Kd", 1),
        ] {
            let coup = coup_of(dealt);
            for stride in [1, 3, 5, 7, 11] {
                let remaining = small_shoe(count, stride, 0, &coup);
                let fast = odds(&composition_of(&remaining), &coup);
                assert_odds_close(&fast, &brute_force(&remaining, &coup), 1e-12);
                let sum = fast.banker + fast.player + fast.tie;
                assert!(sum == 0.0 || (sum - 1.0).abs() < 1e-12, "sum {sum}");
            }
        }
        let nothing = odds(&Composition::from_counts([0; 13]), &Coup::new());
        assert_eq!(nothing, Odds::ZERO);
    }

    #[test]
    fn a_shoe_of_tens_always_ties_with_pairs() {
        let mut counts = [0u16; 13];
        counts[Rank::Ten.index()] = 100;
        let odds = odds(&Composition::from_counts(counts), &Coup::new());
        assert_odds_close(
            &odds,
            &Odds {
                banker: 0.0,
                player: 0.0,
                tie: 1.0,
                player_pair: 1.0,
                banker_pair: 1.0,
            },
            1e-12,
        );
    }

    #[test]
    fn the_largest_shoes_a_composition_holds_neither_overflow_nor_panic() {
        let mut one_rank = [0u16; 13];
        one_rank[Rank::Two.index()] = u16::MAX;
        let mut two_ranks = [0u16; 13];
        two_ranks[Rank::Ten.index()] = 32_767;
        two_ranks[Rank::King.index()] = 32_768;
        let mut two_values = [0u16; 13];
        two_values[Rank::Ace.index()] = 32_767;
        two_values[Rank::Two.index()] = 32_768;
        for counts in [one_rank, two_ranks, two_values, [5041; 13]] {
            let shoe = Composition::from_counts(counts);
            for dealt in ["", "Ah", "2h 3d", "2h 3d 3s Kd"] {
                let odds = odds(&shoe, &coup_of(dealt));
                assert_close(odds.banker + odds.player + odds.tie, 1.0, 1e-9, dealt);
                for p in [odds.banker, odds.player, odds.tie, odds.player_pair, odds.banker_pair] {
                    assert!((0.0..=1.0 + 1e-12).contains(&p), "{counts:?} {dealt}: {odds:?}");
                }
            }
        }
        // All twos: player 4, banker 4, both draw a 2: a tie every time.
        assert_close(
            odds(&Composition::from_counts(one_rank), &Coup::new()).tie,
            1.0,
            1e-12,
            "tie",
        );
    }

    fn any_card() -> impl Strategy<Value = Card> {
        (0u8..52).prop_map(|i| Card::from_index(i).unwrap())
    }

    fn any_outcome() -> impl Strategy<Value = Outcome> {
        proptest::collection::vec(any_card(), 6).prop_map(|cards| {
            let mut coup = Coup::new();
            for c in cards {
                if coup.deal(c).is_err() {
                    break;
                }
            }
            coup.outcome().unwrap()
        })
    }

    proptest! {
        #[test]
        fn settlement_never_pays_a_losing_bet(outcome in any_outcome(), stake in 0i64..=1_000_000_000_000) {
            let stake = Amount(stake);
            for spot in Spot::ALL {
                let paid = payout(spot, stake, &outcome).unwrap();
                prop_assert!(paid.minor() >= 0);
                prop_assert!(paid <= max_return(spot, stake).unwrap());
            }
            let paid = |spot| payout(spot, stake, &outcome).unwrap();
            match outcome.winner {
                Winner::Player => {
                    prop_assert_eq!(paid(Spot::Banker), Amount::ZERO);
                    prop_assert_eq!(paid(Spot::Tie), Amount::ZERO);
                    prop_assert!(paid(Spot::Player) > stake || stake == Amount::ZERO);
                }
                Winner::Banker => {
                    prop_assert_eq!(paid(Spot::Player), Amount::ZERO);
                    prop_assert_eq!(paid(Spot::Tie), Amount::ZERO);
                }
                Winner::Tie => {
                    prop_assert_eq!(paid(Spot::Player), stake);
                    prop_assert_eq!(paid(Spot::Banker), stake);
                }
            }
            if !outcome.player_pair {
                prop_assert_eq!(paid(Spot::PlayerPair), Amount::ZERO);
            }
            if !outcome.banker_pair {
                prop_assert_eq!(paid(Spot::BankerPair), Amount::ZERO);
            }
        }

        #[test]
        fn any_stake_settles_without_panicking(outcome in any_outcome(), stake in any::<i64>()) {
            for spot in Spot::ALL {
                let paid = payout(spot, Amount(stake), &outcome);
                if let Some(paid) = paid {
                    prop_assert!(paid.minor() >= 0);
                }
                // A stake whose best case overflows is refused at betting time, so the
                // bound only has to hold where it exists.
                if let (Some(paid), Some(most)) = (paid, max_return(spot, Amount(stake))) {
                    prop_assert!(paid <= most);
                }
            }
        }

        #[test]
        fn deal_then_undo_restores_every_state(cards in proptest::collection::vec(any_card(), 0..10)) {
            let mut coup = Coup::new();
            let mut states = vec![coup.clone()];
            let mut dealt = Vec::new();
            for c in cards {
                let expected = coup.next_position();
                match coup.deal(c) {
                    Ok(position) => {
                        prop_assert_eq!(Some(position), expected);
                        dealt.push((position, c));
                        states.push(coup.clone());
                    }
                    Err(error) => {
                        prop_assert_eq!(error, RuleError::NoCardExpected);
                        prop_assert!(coup.is_complete());
                        prop_assert!(coup.outcome().is_some());
                    }
                }
            }
            prop_assert_eq!(coup.cards(), dealt.clone());
            states.pop();
            while let Some(previous) = states.pop() {
                let undone = coup.undo().unwrap();
                prop_assert_eq!(Some(undone), dealt.pop());
                prop_assert_eq!(&coup, &previous);
            }
            prop_assert_eq!(coup.undo(), Err(RuleError::NothingToUndo));
        }

        /// The fast engine against the rank-by-rank walk, on random shoes from a handful of
        /// cards to eight decks, after at least three cards (keeps the walk quick).
        #[test]
        fn fast_odds_equal_the_rank_walk(
            cards in proptest::collection::vec(any_card(), 3..7),
            counts in proptest::array::uniform13(0u16..=32),
        ) {
            let mut coup = Coup::new();
            for c in cards {
                if coup.deal(c).is_err() {
                    break;
                }
            }
            let shoe = Composition::from_counts(counts);
            let fast = odds(&shoe, &coup);
            let reference = odds_by_rank(&shoe, &coup);
            assert_odds_close(&fast, &reference, 1e-9);
            for p in [fast.banker, fast.player, fast.tie, fast.player_pair, fast.banker_pair] {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&p));
            }
        }
    }
}
