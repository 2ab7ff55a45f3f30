//! The exact distribution of the dealer's final result ([`DealerOdds`]): from an up card
//! alone ([`dealer_odds`], infinite or finite [`Deck`]) or live for a round in play
//! ([`dealer_odds_for_round`]), by enumerating every draw.
//!
//! It owns probabilities only, in floats that never touch money. It must not change a
//! round: it reads the dealer's cards and the rules.

use std::collections::HashMap;

use crate::domain::cards::{Composition, Rank};

use super::hands::{dealer_stands, is_natural};
use super::{hand_total, Round};

/// The cards the dealer draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deck {
    /// Every draw independent: each rank 1/13, the four ten-value ranks 4/13 together.
    Infinite,
    /// Exactly these cards remain (the dealer's own cards already removed).
    Finite(Composition),
}

/// Distribution of the dealer's final result. Serialised with keys `"17"` … `"21"`, `"bust"`,
/// `"blackjack"`. `blackjack` is the two-card 21, not counted in `p21`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BlackjackDealerOdds")]
pub struct DealerOdds {
    #[serde(rename = "17")]
    pub p17: f64,
    #[serde(rename = "18")]
    pub p18: f64,
    #[serde(rename = "19")]
    pub p19: f64,
    #[serde(rename = "20")]
    pub p20: f64,
    #[serde(rename = "21")]
    pub p21: f64,
    pub bust: f64,
    pub blackjack: f64,
}

impl DealerOdds {
    /// The sum of all outcomes: 1 up to rounding, or 0 when no completion exists.
    pub fn total(&self) -> f64 {
        self.as_array().iter().sum()
    }

    pub(super) fn as_array(&self) -> [f64; OUTCOMES] {
        [
            self.p17,
            self.p18,
            self.p19,
            self.p20,
            self.p21,
            self.bust,
            self.blackjack,
        ]
    }

    pub(super) fn from_array(p: [f64; OUTCOMES]) -> DealerOdds {
        DealerOdds {
            p17: p[0],
            p18: p[1],
            p19: p[2],
            p20: p[3],
            p21: p[4],
            bust: p[5],
            blackjack: p[6],
        }
    }
}

/// 17, 18, 19, 20, 21, bust, blackjack.
pub(super) const OUTCOMES: usize = 7;
const BUST: usize = 5;
const NATURAL: usize = 6;

/// Exact distribution of the dealer's final result given the up card, by enumerating every
/// draw (with removal for a finite deck). No conditioning on a peek: ENHC has none.
///
/// For a finite deck too small to finish every draw, the result is conditioned on the draws
/// that do finish; when none does it is all zeros. Never panics.
pub fn dealer_odds(upcard: Rank, deck: &Deck, dealer_hits_soft_17: bool) -> DealerOdds {
    dealer_odds_from(&[upcard], deck, dealer_hits_soft_17)
}

/// Live dealer odds for `round` once its up card is out, conditioned on every dealer card so
/// far. `shoe` holds the cards nobody has seen (all dealt cards removed). `None` before the up
/// card, and for a finished round whose dealer stopped below 17 (every hand busted or a
/// blackjack, so the dealer drew no more and no key fits).
pub fn dealer_odds_for_round(round: &Round, shoe: &Composition) -> Option<DealerOdds> {
    let dealer = round.dealer_cards();
    if dealer.is_empty() {
        return None;
    }
    if round.is_finished() {
        let (total, _) = hand_total(dealer);
        if total < 17 {
            return None;
        }
        let mut p = [0.0; OUTCOMES];
        p[outcome_index(total, is_natural(dealer))] = 1.0;
        return Some(DealerOdds::from_array(p));
    }
    let ranks: Vec<Rank> = dealer.iter().map(|card| card.rank).collect();
    Some(dealer_odds_from(
        &ranks,
        &Deck::Finite(*shoe),
        round.rules.dealer_hits_soft_17,
    ))
}

pub(super) fn outcome_index(total: u8, natural: bool) -> usize {
    match total {
        _ if natural => NATURAL,
        22.. => BUST,
        17..=21 => usize::from(total - 17),
        // Callers only ask once the dealer stands, at 17 or more.
        _ => BUST,
    }
}

/// The dealer's hand during the enumeration: the sum with aces as 1, whether there is an ace,
/// and the number of cards (saturating at 3: only "exactly 2" matters, for the natural).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct DealerHand {
    hard: u8,
    ace: bool,
    cards: u8,
}

impl DealerHand {
    fn add(self, value: u8) -> DealerHand {
        DealerHand {
            hard: self.hard.saturating_add(value),
            ace: self.ace || value == 1,
            cards: (self.cards + 1).min(3),
        }
    }

    /// The final outcome if the dealer stands here, `None` if the dealer draws.
    fn outcome(self, hits_soft_17: bool) -> Option<usize> {
        let soft = self.ace && self.hard <= 11;
        let total = if soft { self.hard + 10 } else { self.hard };
        if total > 21 {
            Some(BUST)
        } else if self.cards >= 2 && dealer_stands(total, soft, hits_soft_17) {
            Some(outcome_index(total, self.cards == 2 && total == 21))
        } else {
            None
        }
    }
}

fn dealer_odds_from(cards: &[Rank], deck: &Deck, hits_soft_17: bool) -> DealerOdds {
    let start = cards.iter().fold(
        DealerHand {
            hard: 0,
            ace: false,
            cards: 0,
        },
        |hand, rank| hand.add(rank.blackjack_value()),
    );
    let raw = match deck {
        Deck::Infinite => infinite(start, hits_soft_17, &mut HashMap::new()),
        Deck::Finite(composition) => {
            // Counts by blackjack value (ace = index 0 … ten-value = index 9).
            let mut counts = [0u32; 10];
            for rank in Rank::ALL {
                counts[usize::from(rank.blackjack_value()) - 1] += u32::from(composition.count(rank));
            }
            let mut search = FiniteSearch {
                counts,
                drawn: [0; 10],
                hits_soft_17,
                memo: HashMap::new(),
            };
            search.run(start)
        }
    };
    let sum: f64 = raw.iter().sum();
    if sum > 0.0 {
        DealerOdds::from_array(raw.map(|p| p / sum))
    } else {
        DealerOdds::default()
    }
}

fn infinite(hand: DealerHand, hits_soft_17: bool, memo: &mut HashMap<DealerHand, [f64; OUTCOMES]>) -> [f64; OUTCOMES] {
    let mut result = [0.0; OUTCOMES];
    if let Some(outcome) = hand.outcome(hits_soft_17) {
        result[outcome] = 1.0;
        return result;
    }
    if let Some(known) = memo.get(&hand) {
        return *known;
    }
    for value in 1..=10u8 {
        let p = if value == 10 { 4.0 / 13.0 } else { 1.0 / 13.0 };
        let next = infinite(hand.add(value), hits_soft_17, memo);
        for (slot, q) in result.iter_mut().zip(next) {
            *slot += p * q;
        }
    }
    memo.insert(hand, result);
    result
}

/// Enumeration with removal. The dealer's hand and the cards left are both fixed by the
/// multiset of cards drawn so far, so that multiset is the memo key. Results are
/// unnormalised: draws that run out of cards contribute nothing.
struct FiniteSearch {
    counts: [u32; 10],
    drawn: [u8; 10],
    hits_soft_17: bool,
    memo: HashMap<[u8; 10], [f64; OUTCOMES]>,
}

impl FiniteSearch {
    fn run(&mut self, hand: DealerHand) -> [f64; OUTCOMES] {
        let mut result = [0.0; OUTCOMES];
        if let Some(outcome) = hand.outcome(self.hits_soft_17) {
            result[outcome] = 1.0;
            return result;
        }
        if let Some(known) = self.memo.get(&self.drawn) {
            return *known;
        }
        let remaining: u32 = self.counts.iter().sum();
        if remaining == 0 {
            return result;
        }
        for index in 0..10 {
            if self.counts[index] == 0 {
                continue;
            }
            let p = f64::from(self.counts[index]) / f64::from(remaining);
            self.counts[index] -= 1;
            self.drawn[index] += 1;
            let next = self.run(hand.add(index as u8 + 1));
            self.drawn[index] -= 1;
            self.counts[index] += 1;
            for (slot, q) in result.iter_mut().zip(next) {
                *slot += p * q;
            }
        }
        self.memo.insert(self.drawn, result);
        result
    }
}
