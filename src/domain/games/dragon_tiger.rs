//! Dragon Tiger: one card to the dragon, one to the tiger, the higher rank wins (Ace low,
//! King high, suits ignored). Owns the deal order, outcomes, payouts and exact odds.
//!
//! Pure rules: no I/O, no clock, no RNG, never a float for money. Betting windows and the
//! shoe belong to the round state machine, not here.

use std::fmt;
use std::str::FromStr;

use crate::domain::cards::{Card, Composition};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;

/// Longest spot or position text echoed back in an error.
const ECHO_CHARS_MAX: usize = 64;

fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spot {
    Dragon,
    Tiger,
    Tie,
}

impl Spot {
    pub const ALL: [Spot; 3] = [Spot::Dragon, Spot::Tiger, Spot::Tie];

    /// The wire name (`dragon`, `tiger`, `tie`).
    pub fn as_str(self) -> &'static str {
        match self {
            Spot::Dragon => "dragon",
            Spot::Tiger => "tiger",
            Spot::Tie => "tie",
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

    /// Exact, case-sensitive wire names only.
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

/// Where a card goes; declaration order is deal order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Position {
    Dragon,
    Tiger,
}

impl Position {
    pub const ALL: [Position; 2] = [Position::Dragon, Position::Tiger];

    /// The wire name (`dragon`, `tiger`).
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Dragon => "dragon",
            Position::Tiger => "tiger",
        }
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
#[schemars(rename = "DragonTigerWinner")]
pub enum Outcome {
    Dragon,
    Tiger,
    Tie,
}

/// One round's two cards. Only `deal`/`deal_to`/`undo` change it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coup {
    dragon: Option<Card>,
    tiger: Option<Card>,
}

impl Coup {
    pub fn new() -> Coup {
        Coup::default()
    }

    /// The card at `position`, if dealt.
    pub fn card(&self, position: Position) -> Option<Card> {
        match position {
            Position::Dragon => self.dragon,
            Position::Tiger => self.tiger,
        }
    }

    /// Dragon first, then tiger; `None` once both are dealt.
    pub fn next_position(&self) -> Option<Position> {
        if self.dragon.is_none() {
            Some(Position::Dragon)
        } else if self.tiger.is_none() {
            Some(Position::Tiger)
        } else {
            None
        }
    }

    fn place(&mut self, position: Position, card: Card) {
        match position {
            Position::Dragon => self.dragon = Some(card),
            Position::Tiger => self.tiger = Some(card),
        }
    }

    /// Deals `card` to the next position and says which one that was.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] when both cards are dealt.
    pub fn deal(&mut self, card: Card) -> Result<Position, RuleError> {
        let position = self.next_position().ok_or(RuleError::NoCardExpected)?;
        self.place(position, card);
        Ok(position)
    }

    /// Deals `card` to `position`, which the dealer console names; it must be the next one.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] when both cards are dealt,
    /// [`RuleError::WrongPosition`] when `position` is not the next position.
    pub fn deal_to(&mut self, position: Position, card: Card) -> Result<(), RuleError> {
        let expected = self.next_position().ok_or(RuleError::NoCardExpected)?;
        if expected != position {
            return Err(RuleError::WrongPosition {
                expected: expected.to_string(),
                got: position.to_string(),
            });
        }
        self.place(position, card);
        Ok(())
    }

    /// Takes back the last card dealt.
    ///
    /// # Errors
    /// [`RuleError::NothingToUndo`] when no card has been dealt.
    pub fn undo(&mut self) -> Result<(Position, Card), RuleError> {
        if let Some(card) = self.tiger.take() {
            return Ok((Position::Tiger, card));
        }
        if let Some(card) = self.dragon.take() {
            return Ok((Position::Dragon, card));
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

    pub fn is_complete(&self) -> bool {
        self.next_position().is_none()
    }

    /// The result, once both cards are dealt.
    pub fn outcome(&self) -> Option<Outcome> {
        let (dragon, tiger) = (self.dragon?, self.tiger?);
        Some(match dragon.rank.number().cmp(&tiger.rank.number()) {
            std::cmp::Ordering::Greater => Outcome::Dragon,
            std::cmp::Ordering::Less => Outcome::Tiger,
            std::cmp::Ordering::Equal => Outcome::Tie,
        })
    }
}

/// What a bet of `stake` on `spot` returns after `outcome`, stake included (0 on a loss).
///
/// Dragon and tiger pay 1:1, tie 8:1. On a tie, dragon and tiger bets lose half: half the
/// stake comes back, rounded DOWN to a whole minor unit (the odd unit goes to the house),
/// so a stake of 15 gets 7 back.
///
/// Returns `None` when the amount would overflow, and for a negative stake (bet
/// validation rejects those long before settlement).
pub fn payout(spot: Spot, stake: Amount, outcome: &Outcome) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    match (spot, outcome) {
        (Spot::Dragon, Outcome::Dragon) | (Spot::Tiger, Outcome::Tiger) | (Spot::Tie, Outcome::Tie) => {
            max_return(spot, stake)
        }
        (Spot::Dragon | Spot::Tiger, Outcome::Tie) => stake.mul_ratio_floor(1, 2),
        _ => Some(Amount::ZERO),
    }
}

/// The most a bet of `stake` on `spot` can return, stake included. `None` on overflow or
/// a negative stake.
pub fn max_return(spot: Spot, stake: Amount) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    match spot {
        Spot::Dragon | Spot::Tiger => stake.checked_mul(2),
        Spot::Tie => stake.checked_mul(9),
    }
}

/// Probabilities of the outcome; they sum to 1, or are all 0 when no completion exists.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DragonTigerOdds")]
pub struct Odds {
    pub dragon: f64,
    pub tiger: f64,
    pub tie: f64,
}

impl Odds {
    const ZERO: Odds = Odds {
        dragon: 0.0,
        tiger: 0.0,
        tie: 0.0,
    };
}

/// The exact probabilities of the outcome when the rest of `coup` comes from `shoe` (the
/// undealt cards, the coup's own already removed; every order equally likely).
///
/// A shoe too short to finish the coup gives all zeros. Never panics.
pub fn odds(shoe: &Composition, coup: &Coup) -> Odds {
    let counts: [f64; 13] = shoe.counts().map(f64::from);
    let total = f64::from(shoe.total());
    // counts[i] is rank number i + 1.
    let number_index = |card: Card| usize::from(card.rank.number()) - 1;
    match (coup.dragon, coup.tiger) {
        (Some(_), Some(_)) => match coup.outcome() {
            Some(Outcome::Dragon) => Odds {
                dragon: 1.0,
                ..Odds::ZERO
            },
            Some(Outcome::Tiger) => Odds {
                tiger: 1.0,
                ..Odds::ZERO
            },
            Some(Outcome::Tie) => Odds { tie: 1.0, ..Odds::ZERO },
            None => Odds::ZERO,
        },
        (Some(known), None) | (None, Some(known)) => {
            if total <= 0.0 {
                return Odds::ZERO;
            }
            let index = number_index(known);
            let lower: f64 = counts[..index].iter().sum();
            let higher: f64 = counts[index + 1..].iter().sum();
            let same = counts[index];
            // `known` is the dragon's card when only one is dealt; deal order forbids the
            // other case, but it is answered symmetrically rather than trusted away.
            let (dragon, tiger) = if coup.dragon.is_some() {
                (lower, higher)
            } else {
                (higher, lower)
            };
            Odds {
                dragon: dragon / total,
                tiger: tiger / total,
                tie: same / total,
            }
        }
        (None, None) => {
            let pairs = total * (total - 1.0);
            if pairs <= 0.0 {
                return Odds::ZERO;
            }
            let same: f64 = counts.iter().map(|n| n * (n - 1.0).max(0.0)).sum();
            // Dragon wins by rank: sum over dragon ranks of count × (cards ranked below it).
            let mut below = 0.0;
            let mut dragon_higher = 0.0;
            for n in &counts {
                dragon_higher += n * below;
                below += n;
            }
            // By symmetry the tiger wins on as many ordered pairs as the dragon does.
            Odds {
                dragon: dragon_higher / pairs,
                tiger: dragon_higher / pairs,
                tie: same / pairs,
            }
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

    #[test]
    fn names_round_trip() {
        for spot in Spot::ALL {
            assert_eq!(spot.to_string().parse::<Spot>().unwrap(), spot);
        }
        for position in Position::ALL {
            assert_eq!(position.to_string().parse::<Position>().unwrap(), position);
        }
        assert_eq!("dragon ".parse::<Spot>(), Err(RuleError::UnknownSpot("dragon ".into())));
        assert!("banker".parse::<Position>().is_err());
    }

    #[test]
    fn deals_dragon_then_tiger_and_compares_ranks_ace_low() {
        let mut coup = Coup::new();
        assert_eq!(
            coup.deal_to(Position::Tiger, card("As")),
            Err(RuleError::WrongPosition {
                expected: "dragon".into(),
                got: "tiger".into()
            })
        );
        assert_eq!(coup.deal(card("As")).unwrap(), Position::Dragon);
        assert_eq!(coup.outcome(), None);
        coup.deal_to(Position::Tiger, card("2c")).unwrap();
        assert_eq!(coup.outcome(), Some(Outcome::Tiger));
        assert_eq!(coup.deal(card("3c")), Err(RuleError::NoCardExpected));
        assert_eq!(
            coup.cards(),
            vec![(Position::Dragon, card("As")), (Position::Tiger, card("2c"))]
        );
        assert_eq!(coup.undo().unwrap(), (Position::Tiger, card("2c")));
        assert_eq!(coup.undo().unwrap(), (Position::Dragon, card("As")));
        assert_eq!(coup.undo(), Err(RuleError::NothingToUndo));

        for (text, outcome) in [
            ("Kd Qd", Outcome::Dragon),
            ("Ts Jh", Outcome::Tiger),
            ("7h 7s", Outcome::Tie),
        ] {
            let mut coup = Coup::new();
            for c in parse_cards(text).unwrap() {
                coup.deal(c).unwrap();
            }
            assert!(coup.is_complete());
            assert_eq!(coup.outcome(), Some(outcome), "{text}");
        }
    }

    #[test]
    fn payouts_and_half_back_on_a_tie() {
        let stake = Amount(100);
        assert_eq!(payout(Spot::Dragon, stake, &Outcome::Dragon), Some(Amount(200)));
        assert_eq!(payout(Spot::Dragon, stake, &Outcome::Tiger), Some(Amount(0)));
        assert_eq!(payout(Spot::Tiger, stake, &Outcome::Tiger), Some(Amount(200)));
        assert_eq!(payout(Spot::Tiger, stake, &Outcome::Dragon), Some(Amount(0)));
        assert_eq!(payout(Spot::Tie, stake, &Outcome::Tie), Some(Amount(900)));
        assert_eq!(payout(Spot::Tie, stake, &Outcome::Dragon), Some(Amount(0)));
        assert_eq!(payout(Spot::Dragon, stake, &Outcome::Tie), Some(Amount(50)));
        assert_eq!(payout(Spot::Tiger, Amount(15), &Outcome::Tie), Some(Amount(7)));
        assert_eq!(payout(Spot::Dragon, Amount(1), &Outcome::Tie), Some(Amount(0)));
        assert_eq!(payout(Spot::Tie, Amount(i64::MAX / 8), &Outcome::Tie), None);
        assert_eq!(payout(Spot::Dragon, Amount(-2), &Outcome::Tie), None);
    }

    #[test]
    fn eight_deck_tie_is_sum_of_same_rank_pairs() {
        let odds = odds(&Composition::decks(8).unwrap(), &Coup::new());
        let tie = 13.0 * 32.0 * 31.0 / (416.0 * 415.0);
        assert!((odds.tie - tie).abs() < 1e-15);
        assert!((odds.tie - 0.074699).abs() < 5e-7, "{}", odds.tie);
        assert!((odds.dragon - (1.0 - tie) / 2.0).abs() < 1e-15);
        assert!((odds.dragon + odds.tiger + odds.tie - 1.0).abs() < 1e-15);
    }

    /// Every ordered pair of physical cards left, equally likely.
    fn brute_force(remaining: &[Card], coup: &Coup) -> Odds {
        let mut mass = [0.0f64; 3];
        let mut add = |outcome: Option<Outcome>, weight: f64| match outcome {
            Some(Outcome::Dragon) => mass[0] += weight,
            Some(Outcome::Tiger) => mass[1] += weight,
            Some(Outcome::Tie) => mass[2] += weight,
            None => {}
        };
        let n = remaining.len();
        match coup.next_position() {
            None => add(coup.outcome(), 1.0),
            Some(Position::Tiger) => {
                for &c in remaining {
                    let mut coup = coup.clone();
                    coup.deal(c).unwrap();
                    add(coup.outcome(), 1.0 / n as f64);
                }
            }
            Some(Position::Dragon) => {
                for (i, &a) in remaining.iter().enumerate() {
                    for (j, &b) in remaining.iter().enumerate() {
                        if i != j {
                            let mut coup = coup.clone();
                            coup.deal(a).unwrap();
                            coup.deal(b).unwrap();
                            add(coup.outcome(), 1.0);
                        }
                    }
                }
            }
        }
        let total: f64 = mass.iter().sum();
        if total == 0.0 {
            return Odds::ZERO;
        }
        Odds {
            dragon: mass[0] / total,
            tiger: mass[1] / total,
            tie: mass[2] / total,
        }
    }

    fn composition_of(cards: &[Card]) -> Composition {
        let mut counts = [0u16; 13];
        for c in cards {
            counts[c.rank.index()] += 1;
        }
        Composition::from_counts(counts)
    }

    #[test]
    fn odds_equal_brute_force_on_small_shoes() {
        for (dealt, count, stride) in [
            ("", 20, 7u32),
            ("", 2, 5),
            ("", 1, 3),
            ("", 0, 1),
            ("8h", 15, 3),
            ("8h", 0, 3),
            ("8h Ks", 0, 1),
        ] {
            let mut coup = Coup::new();
            for c in parse_cards(dealt).unwrap() {
                coup.deal(c).unwrap();
            }
            let remaining: Vec<Card> = (0..52u32)
                .map(|i| Card::from_index((i * stride % 52) as u8).unwrap())
                .filter(|c| !coup.cards().iter().any(|(_, d)| d == c))
                .take(count)
                .collect();
            let fast = odds(&composition_of(&remaining), &coup);
            let reference = brute_force(&remaining, &coup);
            for (got, want) in [
                (fast.dragon, reference.dragon),
                (fast.tiger, reference.tiger),
                (fast.tie, reference.tie),
            ] {
                assert!(
                    (got - want).abs() < 1e-12,
                    "{dealt:?} {count}: {fast:?} vs {reference:?}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn settlement_never_pays_a_losing_bet(dragon in 0u8..52, tiger in 0u8..52, stake in 0i64..=1_000_000_000_000) {
            let mut coup = Coup::new();
            coup.deal(Card::from_index(dragon).unwrap()).unwrap();
            coup.deal(Card::from_index(tiger).unwrap()).unwrap();
            let outcome = coup.outcome().unwrap();
            let stake = Amount(stake);
            for spot in Spot::ALL {
                let paid = payout(spot, stake, &outcome).unwrap();
                prop_assert!(paid.minor() >= 0 && paid <= max_return(spot, stake).unwrap());
            }
            match outcome {
                Outcome::Dragon => prop_assert_eq!(payout(Spot::Tiger, stake, &outcome), Some(Amount::ZERO)),
                Outcome::Tiger => prop_assert_eq!(payout(Spot::Dragon, stake, &outcome), Some(Amount::ZERO)),
                Outcome::Tie => prop_assert!(payout(Spot::Dragon, stake, &outcome).unwrap() <= stake),
            }
            if outcome != Outcome::Tie {
                prop_assert_eq!(payout(Spot::Tie, stake, &outcome), Some(Amount::ZERO));
            }
        }

        #[test]
        fn odds_are_probabilities(counts in proptest::array::uniform13(0u16..=64), dragon in proptest::option::of(0u8..52)) {
            let mut coup = Coup::new();
            if let Some(index) = dragon {
                coup.deal(Card::from_index(index).unwrap()).unwrap();
            }
            let odds = odds(&Composition::from_counts(counts), &coup);
            let sum = odds.dragon + odds.tiger + odds.tie;
            prop_assert!(sum == 0.0 || (sum - 1.0).abs() < 1e-12);
            for p in [odds.dragon, odds.tiger, odds.tie] {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&p));
            }
        }
    }
}
