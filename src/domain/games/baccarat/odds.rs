//! The exact [`Odds`] of how a coup ends when the rest of its cards come from a known shoe:
//! a closed-form enumeration over baccarat values for ordinary shoes, and a walk over every
//! rank sequence for shoes of at most five cards.
//!
//! It owns probabilities only, in floats that never touch money. It must not change the
//! coup it is given.

use crate::domain::cards::{Card, Composition, Rank, Suit};

use super::coup::{banker_draws, is_natural, player_draws, winner, BANKER_DRAWS_MASK};
use super::{Coup, Position, Winner};

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
    pub(super) const ZERO: Odds = Odds {
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
pub(super) fn odds_by_rank(shoe: &Composition, coup: &Coup) -> Odds {
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
