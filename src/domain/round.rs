//! One round at one table: its bets, its deal and its settlement, for any game. Pure.
//!
//! The table actor drives a `Round` through betting → dealing (→ blackjack decisions) →
//! complete, journals what happens, and pays what `settle` says. Nothing here moves money
//! or knows about time other than the microsecond timestamps it is handed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::cards::{Card, Composition};
use crate::domain::error::RuleError;
use crate::domain::games::{baccarat, blackjack, dragon_tiger, roulette};
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::{Amount, Currency};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Game {
    Baccarat,
    Blackjack,
    Roulette,
    DragonTiger,
}

impl Game {
    pub fn uses_cards(self) -> bool {
        self != Game::Roulette
    }
}

/// A bet spot of one game, parsed from its wire name (`banker`, `split:1-2`, `main`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spot {
    Baccarat(baccarat::Spot),
    DragonTiger(dragon_tiger::Spot),
    Roulette(roulette::Spot),
    /// The blackjack main bet on the player's seat.
    BlackjackMain,
}

impl Spot {
    /// # Errors
    /// [`RuleError::UnknownSpot`] when `name` is not a spot of `game`.
    pub fn parse(game: Game, name: &str) -> Result<Spot, RuleError> {
        Ok(match game {
            Game::Baccarat => Spot::Baccarat(name.parse()?),
            Game::DragonTiger => Spot::DragonTiger(name.parse()?),
            Game::Roulette => Spot::Roulette(name.parse()?),
            Game::Blackjack if name == "main" => Spot::BlackjackMain,
            Game::Blackjack => return Err(RuleError::UnknownSpot(name.to_owned())),
        })
    }

    pub fn name(&self) -> String {
        match self {
            Spot::Baccarat(spot) => spot.to_string(),
            Spot::DragonTiger(spot) => spot.to_string(),
            Spot::Roulette(spot) => spot.to_string(),
            Spot::BlackjackMain => "main".to_owned(),
        }
    }

    /// The most this bet can return, stake included (exposure).
    pub fn max_return(&self, stake: Amount) -> Option<Amount> {
        match self {
            Spot::Baccarat(spot) => baccarat::max_return(*spot, stake),
            Spot::DragonTiger(spot) => dragon_tiger::max_return(*spot, stake),
            Spot::Roulette(spot) => roulette::max_return(spot, stake),
            Spot::BlackjackMain => blackjack::max_return(stake),
        }
    }
}

/// An accepted (or pending) bet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bet {
    pub bet_id: BetId,
    pub player: PlayerId,
    pub currency: Currency,
    pub spot: Spot,
    pub amount: Amount,
    /// Blackjack seat taken by this bet.
    pub seat: Option<u8>,
    /// False while the wallet debit is in flight.
    pub confirmed: bool,
}

impl Bet {
    fn same_content(&self, other: &Bet) -> bool {
        self.currency == other.currency && self.spot == other.spot && self.amount == other.amount
    }
}

/// Limits applied to one bet.
#[derive(Clone, Copy, Debug)]
pub struct BetRules {
    pub stake_min: Amount,
    pub stake_max: Amount,
    pub bets_per_round_max: usize,
    pub seats_max: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Betting,
    Dealing,
    /// Blackjack: waiting for a hand's decision.
    Deciding,
    Complete,
    Settled,
    Void,
}

/// The cards or ball of the round, by game.
#[derive(Clone, Debug, PartialEq)]
pub enum Deal {
    Baccarat(baccarat::Coup),
    DragonTiger(dragon_tiger::Coup),
    Roulette(roulette::Spin),
    /// `None` until betting closes and the seats are known.
    Blackjack(Option<blackjack::Round>),
}

/// What a round ended with, as players see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Outcome {
    Baccarat(baccarat::Outcome),
    DragonTiger {
        winner: dragon_tiger::Outcome,
    },
    Roulette(roulette::Outcome),
    Blackjack {
        dealer_total: u8,
        dealer_blackjack: bool,
        dealer_bust: bool,
    },
}

/// Live odds after a card, by game.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Odds {
    Baccarat(baccarat::Odds),
    DragonTiger(dragon_tiger::Odds),
    Blackjack(blackjack::DealerOdds),
}

/// One bet's settlement: `payout` is the total credited back (stake included; 0 on a loss).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    pub bet_id: BetId,
    pub player: PlayerId,
    pub currency: Currency,
    pub spot: String,
    pub amount: Amount,
    pub payout: Amount,
}

/// Whether a bet is new or the harmless repeat of one already placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    New,
    /// Same bet_id and content: answer with the original ack.
    Repeat {
        confirmed: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub id: RoundId,
    pub game: Game,
    pub phase: Phase,
    pub closes_at_us: i64,
    bets: Vec<Bet>,
    /// Indexes over `bets`, so a bet costs the same in a round of ten bets or of ten
    /// thousand (a bet storm).
    by_player: HashMap<PlayerId, PlayerBets>,
    pending: usize,
    pub deal: Deal,
    /// Blackjack extra stakes (doubles, splits) per seat, already debited.
    pub extra_stakes: Vec<(u8, Amount)>,
    rules: blackjack::Rules,
}

/// One player's bets this round: where each sits in `bets`, and what the bet rules need.
#[derive(Clone, Debug, PartialEq)]
struct PlayerBets {
    at: HashMap<BetId, usize>,
    currency: Currency,
    /// Blackjack: the seat of the player's main bet.
    seat: Option<u8>,
    blackjack_main: bool,
}

impl Round {
    pub fn open(id: RoundId, game: Game, closes_at_us: i64, rules: blackjack::Rules) -> Round {
        let deal = match game {
            Game::Baccarat => Deal::Baccarat(baccarat::Coup::new()),
            Game::DragonTiger => Deal::DragonTiger(dragon_tiger::Coup::new()),
            Game::Roulette => Deal::Roulette(roulette::Spin::new()),
            Game::Blackjack => Deal::Blackjack(None),
        };
        Round {
            id,
            game,
            phase: Phase::Betting,
            closes_at_us,
            bets: Vec::new(),
            by_player: HashMap::new(),
            pending: 0,
            deal,
            extra_stakes: Vec::new(),
            rules,
        }
    }

    /// A round whose betting closed with `bets` (each already paid for), as it stood when
    /// the cards started: how a restart picks up a round that was dealing.
    ///
    /// # Errors
    /// Blackjack seats that cannot be dealt.
    pub fn closed_with(
        id: RoundId,
        game: Game,
        closes_at_us: i64,
        rules: blackjack::Rules,
        bets: Vec<Bet>,
    ) -> Result<Round, RuleError> {
        let mut round = Round::open(id, game, closes_at_us, rules);
        round.bets = bets.into_iter().map(|bet| Bet { confirmed: true, ..bet }).collect();
        round.reindex();
        round.close_betting()?;
        Ok(round)
    }

    pub fn bets(&self) -> &[Bet] {
        &self.bets
    }

    fn reindex(&mut self) {
        let bets = std::mem::take(&mut self.bets);
        self.by_player.clear();
        self.pending = 0;
        for bet in bets {
            self.index(bet);
        }
    }

    fn index(&mut self, bet: Bet) {
        let mine = self.by_player.entry(bet.player.clone()).or_insert(PlayerBets {
            at: HashMap::new(),
            currency: bet.currency,
            seat: None,
            blackjack_main: false,
        });
        mine.at.insert(bet.bet_id.clone(), self.bets.len());
        mine.seat = mine.seat.or(bet.seat);
        mine.blackjack_main |= bet.spot == Spot::BlackjackMain;
        self.pending += usize::from(!bet.confirmed);
        self.bets.push(bet);
    }

    fn position(&self, player: &PlayerId, bet_id: &BetId) -> Option<usize> {
        self.by_player.get(player)?.at.get(bet_id).copied()
    }

    /// Validates a bet and records it as pending (unconfirmed until its debit is durable).
    ///
    /// # Errors
    /// Betting closed, wrong round, bad amount, limits, a reused bet_id with other content,
    /// or no free blackjack seat.
    pub fn place_bet(
        &mut self,
        round_id: RoundId,
        mut bet: Bet,
        rules: &BetRules,
        now_us: i64,
    ) -> Result<Placement, RuleError> {
        if round_id != self.id {
            return Err(RuleError::WrongRound);
        }
        if let Some(existing) = self.position(&bet.player, &bet.bet_id).map(|at| &self.bets[at]) {
            return if existing.same_content(&bet) {
                Ok(Placement::Repeat {
                    confirmed: existing.confirmed,
                })
            } else {
                Err(RuleError::DuplicateBet)
            };
        }
        if self.phase != Phase::Betting || now_us >= self.closes_at_us {
            return Err(RuleError::BettingClosed);
        }
        if !bet.amount.is_positive() {
            return Err(RuleError::BadAmount);
        }
        if bet.amount < rules.stake_min || bet.amount > rules.stake_max {
            return Err(RuleError::BetLimit(format!(
                "stake must be {}",
                crate::domain::money::stake_range(rules.stake_min, rules.stake_max, bet.currency)
            )));
        }
        if let Some(mine) = self.by_player.get(&bet.player) {
            if mine.at.len() >= rules.bets_per_round_max {
                return Err(RuleError::BetLimit(format!(
                    "at most {} bets per round",
                    rules.bets_per_round_max
                )));
            }
            if mine.currency != bet.currency {
                return Err(RuleError::WrongCurrency);
            }
            if bet.spot == Spot::BlackjackMain && mine.blackjack_main {
                return Err(RuleError::BetLimit("one main bet per player per round".into()));
            }
        }
        if bet.spot == Spot::BlackjackMain {
            let taken: Vec<u8> = self.bets.iter().filter_map(|b| b.seat).collect();
            bet.seat = Some(
                (1..=rules.seats_max)
                    .find(|s| !taken.contains(s))
                    .ok_or(RuleError::TableFull)?,
            );
        }
        bet.confirmed = false;
        self.index(bet);
        Ok(Placement::New)
    }

    /// The wallet took the stake: the bet stands.
    pub fn confirm_bet(&mut self, player: &PlayerId, bet_id: &BetId) {
        let Some(at) = self.position(player, bet_id) else {
            return;
        };
        let bet = &mut self.bets[at];
        if !bet.confirmed {
            bet.confirmed = true;
            self.pending -= 1;
        }
    }

    /// The wallet refused the stake: forget the bet.
    pub fn drop_bet(&mut self, player: &PlayerId, bet_id: &BetId) {
        let Some(at) = self.position(player, bet_id) else {
            return;
        };
        if self.bets[at].confirmed {
            return;
        }
        // Rare (a refused debit): rebuilding the indexes keeps one way of keeping them.
        self.bets.remove(at);
        self.reindex();
    }

    pub fn has_pending_bets(&self) -> bool {
        self.pending > 0
    }

    /// Ends betting. Blackjack seats its confirmed main bets; a blackjack round with no
    /// seated player completes at once with nothing to deal.
    ///
    /// # Errors
    /// [`RuleError::WrongPhase`] unless betting is open.
    pub fn close_betting(&mut self) -> Result<(), RuleError> {
        if self.phase != Phase::Betting {
            return Err(RuleError::WrongPhase("betting is not open".into()));
        }
        if self.pending > 0 {
            self.bets.retain(|b| b.confirmed);
            self.reindex();
        }
        self.phase = Phase::Dealing;
        if let Deal::Blackjack(slot) = &mut self.deal {
            let mut seats: Vec<(u8, Amount)> = self.bets.iter().filter_map(|b| Some((b.seat?, b.amount))).collect();
            seats.sort();
            if seats.is_empty() {
                self.phase = Phase::Complete;
            } else {
                *slot = Some(blackjack::Round::new(self.rules, &seats)?);
            }
        }
        Ok(())
    }

    /// Where the next card goes (`player1`, `dragon`, `seat3.0`, `dealer`), or `None`.
    pub fn next_position(&self) -> Option<String> {
        if self.phase != Phase::Dealing {
            return None;
        }
        match &self.deal {
            Deal::Baccarat(coup) => coup.next_position().map(|p| p.to_string()),
            Deal::DragonTiger(coup) => coup.next_position().map(|p| p.to_string()),
            Deal::Roulette(_) => None,
            Deal::Blackjack(round) => round.as_ref()?.next_card_target().map(target_name),
        }
    }

    /// Deals one card to the next position; `position`, when given (dealer console), must match.
    /// Returns the position it went to.
    ///
    /// # Errors
    /// No card expected now, or a different position expected.
    pub fn deal_card(&mut self, card: Card, position: Option<&str>) -> Result<String, RuleError> {
        let expected = self.next_position().ok_or(RuleError::NoCardExpected)?;
        if let Some(named) = position {
            if named != expected {
                return Err(RuleError::WrongPosition {
                    expected,
                    got: named.chars().take(16).collect(),
                });
            }
        }
        match &mut self.deal {
            Deal::Baccarat(coup) => {
                coup.deal(card)?;
            }
            Deal::DragonTiger(coup) => {
                coup.deal(card)?;
            }
            Deal::Blackjack(Some(round)) => {
                round.deal(card)?;
            }
            Deal::Roulette(_) | Deal::Blackjack(None) => return Err(RuleError::NoCardExpected),
        }
        self.advance_phase();
        Ok(expected)
    }

    /// Takes back the last card dealt.
    ///
    /// # Errors
    /// [`RuleError::NothingToUndo`] when there is none (or the last step was a decision).
    pub fn undo_card(&mut self) -> Result<(String, Card), RuleError> {
        if !matches!(self.phase, Phase::Dealing | Phase::Deciding | Phase::Complete) {
            return Err(RuleError::NothingToUndo);
        }
        let undone = match &mut self.deal {
            Deal::Baccarat(coup) => coup.undo().map(|(p, c)| (p.to_string(), c))?,
            Deal::DragonTiger(coup) => coup.undo().map(|(p, c)| (p.to_string(), c))?,
            Deal::Blackjack(Some(round)) => round.undo().map(|(t, c)| (target_name(t), c))?,
            Deal::Roulette(_) | Deal::Blackjack(None) => return Err(RuleError::NothingToUndo),
        };
        self.phase = Phase::Dealing;
        self.advance_phase();
        Ok(undone)
    }

    /// Roulette: the ball lands in `pocket`.
    ///
    /// # Errors
    /// Not dealing, not roulette, or an invalid pocket.
    pub fn land_ball(&mut self, pocket: u8) -> Result<(), RuleError> {
        match (&mut self.deal, self.phase) {
            (Deal::Roulette(spin), Phase::Dealing) => {
                spin.set_pocket(pocket)?;
                self.phase = Phase::Complete;
                Ok(())
            }
            _ => Err(RuleError::NoCardExpected),
        }
    }

    /// Blackjack: the (seat, hand) that must act now.
    pub fn awaiting_decision(&self) -> Option<(u8, u8)> {
        match &self.deal {
            Deal::Blackjack(Some(round)) if self.phase == Phase::Deciding => round.awaiting_decision(),
            _ => None,
        }
    }

    pub fn seat_of(&self, player: &PlayerId) -> Option<u8> {
        self.by_player.get(player)?.seat
    }

    pub fn player_at_seat(&self, seat: u8) -> Option<&Bet> {
        self.bets.iter().find(|b| b.seat == Some(seat))
    }

    /// Blackjack: the extra stake an action needs (double, split, insurance), checking it is legal.
    ///
    /// # Errors
    /// Not the hand's turn, or an illegal action.
    pub fn extra_stake(&self, seat: u8, hand: u8, action: blackjack::Action) -> Result<Amount, RuleError> {
        match &self.deal {
            Deal::Blackjack(Some(round)) if self.phase == Phase::Deciding => round.extra_stake(seat, hand, action),
            _ => Err(RuleError::NotYourTurn),
        }
    }

    /// Blackjack: applies a decision whose extra stake (if any) is already debited.
    ///
    /// # Errors
    /// Not the hand's turn, or an illegal action.
    pub fn act(&mut self, seat: u8, hand: u8, action: blackjack::Action) -> Result<(), RuleError> {
        let Deal::Blackjack(Some(round)) = &mut self.deal else {
            return Err(RuleError::NotYourTurn);
        };
        if self.phase != Phase::Deciding {
            return Err(RuleError::NotYourTurn);
        }
        if let blackjack::ActionEffect::ExtraStake(extra) = round.act(seat, hand, action)? {
            self.extra_stakes.push((seat, extra));
        }
        self.phase = Phase::Dealing;
        self.advance_phase();
        Ok(())
    }

    fn advance_phase(&mut self) {
        if self.phase != Phase::Dealing {
            return;
        }
        let complete = match &self.deal {
            Deal::Baccarat(coup) => coup.is_complete(),
            Deal::DragonTiger(coup) => coup.is_complete(),
            Deal::Roulette(spin) => spin.pocket().is_some(),
            Deal::Blackjack(Some(round)) => {
                if round.awaiting_decision().is_some() {
                    self.phase = Phase::Deciding;
                }
                round.is_finished()
            }
            Deal::Blackjack(None) => true,
        };
        if complete {
            self.phase = Phase::Complete;
        }
    }

    /// Every card dealt this round, in order, with its position.
    pub fn cards(&self) -> Vec<(String, Card)> {
        match &self.deal {
            Deal::Baccarat(coup) => coup.cards().into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
            Deal::DragonTiger(coup) => coup.cards().into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
            Deal::Blackjack(Some(round)) => round.cards().into_iter().map(|(t, c)| (target_name(t), c)).collect(),
            Deal::Roulette(_) | Deal::Blackjack(None) => Vec::new(),
        }
    }

    /// Live odds given the cards nobody has seen yet.
    pub fn odds(&self, unseen: &Composition) -> Option<Odds> {
        match &self.deal {
            Deal::Baccarat(coup) => Some(Odds::Baccarat(baccarat::odds(unseen, coup))),
            Deal::DragonTiger(coup) => Some(Odds::DragonTiger(dragon_tiger::odds(unseen, coup))),
            Deal::Blackjack(Some(round)) => blackjack::dealer_odds_for_round(round, unseen).map(Odds::Blackjack),
            Deal::Roulette(_) | Deal::Blackjack(None) => None,
        }
    }

    pub fn outcome(&self) -> Option<Outcome> {
        if !matches!(self.phase, Phase::Complete | Phase::Settled) {
            return None;
        }
        match &self.deal {
            Deal::Baccarat(coup) => coup.outcome().map(Outcome::Baccarat),
            Deal::DragonTiger(coup) => coup.outcome().map(|winner| Outcome::DragonTiger { winner }),
            Deal::Roulette(spin) => spin.pocket().map(|pocket| {
                Outcome::Roulette(roulette::Outcome {
                    pocket,
                    color: roulette::color(pocket),
                })
            }),
            Deal::Blackjack(Some(round)) => {
                let (dealer_total, _) = blackjack::hand_total(round.dealer_cards());
                let dealer_blackjack = round.dealer_cards().len() == 2 && dealer_total == 21;
                Some(Outcome::Blackjack {
                    dealer_total,
                    dealer_blackjack,
                    dealer_bust: dealer_total > 21,
                })
            }
            Deal::Blackjack(None) => None,
        }
    }

    /// Pays every bet of a complete round: a pure function of the deal and the bets.
    ///
    /// # Errors
    /// [`RuleError::WrongPhase`] before the round is complete; an overflow is reported the same way.
    pub fn settle(&self) -> Result<Vec<Payout>, RuleError> {
        if self.phase != Phase::Complete {
            return Err(RuleError::WrongPhase("the round is not complete".into()));
        }
        let overflow = || RuleError::WrongPhase("payout overflow".into());
        let blackjack_results = match &self.deal {
            Deal::Blackjack(Some(round)) => round
                .settle()
                .ok_or_else(|| RuleError::WrongPhase("hands unfinished".into()))?,
            _ => Vec::new(),
        };
        let mut payouts = Vec::with_capacity(self.bets.len());
        for bet in self.bets.iter().filter(|b| b.confirmed) {
            let payout = match (&bet.spot, &self.deal) {
                (Spot::Baccarat(spot), Deal::Baccarat(coup)) => {
                    baccarat::payout(*spot, bet.amount, &coup.outcome().ok_or_else(overflow)?)
                }
                (Spot::DragonTiger(spot), Deal::DragonTiger(coup)) => {
                    dragon_tiger::payout(*spot, bet.amount, &coup.outcome().ok_or_else(overflow)?)
                }
                (Spot::Roulette(spot), Deal::Roulette(spin)) => {
                    roulette::payout(spot, bet.amount, spin.pocket().ok_or_else(overflow)?)
                }
                (Spot::BlackjackMain, Deal::Blackjack(_)) => blackjack_results
                    .iter()
                    .filter(|r| Some(r.seat) == bet.seat)
                    .try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.payout)),
                _ => None,
            }
            .ok_or_else(overflow)?;
            payouts.push(Payout {
                bet_id: bet.bet_id.clone(),
                player: bet.player.clone(),
                currency: bet.currency,
                spot: bet.spot.name(),
                amount: self.staked(bet),
                payout,
            });
        }
        Ok(payouts)
    }

    /// What a bet put at stake in total (blackjack adds doubles and splits).
    pub fn staked(&self, bet: &Bet) -> Amount {
        self.extra_stakes
            .iter()
            .filter(|(seat, _)| Some(*seat) == bet.seat)
            .fold(bet.amount, |sum, (_, extra)| sum.checked_add(*extra).unwrap_or(sum))
    }
}

/// Wire name of a blackjack card target: `dealer` or `seat3.0` (seat 3, first hand).
pub fn target_name(target: blackjack::Target) -> String {
    match target {
        blackjack::Target::Dealer => "dealer".to_owned(),
        blackjack::Target::Seat { seat, hand } => format!("seat{seat}.{hand}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bet(player: &str, id: &str, spot: &str, amount: i64, currency: &str) -> Bet {
        Bet {
            bet_id: BetId::parse(id).unwrap(),
            player: PlayerId::parse(player).unwrap(),
            currency: currency.parse().unwrap(),
            spot: Spot::parse(Game::Baccarat, spot).unwrap(),
            amount: Amount(amount),
            seat: None,
            confirmed: false,
        }
    }

    const RULES: BetRules = BetRules {
        stake_min: Amount(100),
        stake_max: Amount(10_000),
        bets_per_round_max: 2,
        seats_max: 2,
    };

    #[test]
    fn bet_rules_hold_across_confirms_and_refused_debits() {
        let mut round = Round::open(RoundId(1), Game::Baccarat, i64::MAX, blackjack::Rules::default());
        let place = |round: &mut Round, b: Bet| round.place_bet(RoundId(1), b, &RULES, 0);
        assert_eq!(
            place(&mut round, bet("ann", "a1", "banker", 500, "EUR")),
            Ok(Placement::New)
        );
        assert!(round.has_pending_bets());
        assert_eq!(
            place(&mut round, bet("ann", "a1", "banker", 500, "EUR")),
            Ok(Placement::Repeat { confirmed: false })
        );
        assert_eq!(
            place(&mut round, bet("ann", "a1", "player", 500, "EUR")),
            Err(RuleError::DuplicateBet)
        );
        assert_eq!(
            place(&mut round, bet("ann", "a2", "tie", 500, "USD")),
            Err(RuleError::WrongCurrency)
        );
        round.confirm_bet(&PlayerId::parse("ann").unwrap(), &BetId::parse("a1").unwrap());
        assert!(!round.has_pending_bets());
        assert_eq!(
            place(&mut round, bet("ann", "a1", "banker", 500, "EUR")),
            Ok(Placement::Repeat { confirmed: true })
        );
        assert_eq!(
            place(&mut round, bet("ann", "a2", "tie", 500, "EUR")),
            Ok(Placement::New)
        );
        assert!(matches!(
            place(&mut round, bet("ann", "a3", "tie", 500, "EUR")),
            Err(RuleError::BetLimit(_))
        ));
        // A refused debit frees its place and its id; confirmed bets stay findable.
        round.drop_bet(&PlayerId::parse("ann").unwrap(), &BetId::parse("a2").unwrap());
        assert!(!round.has_pending_bets());
        assert_eq!(
            place(&mut round, bet("ann", "a3", "tie", 500, "EUR")),
            Ok(Placement::New)
        );
        assert_eq!(
            place(&mut round, bet("ann", "a1", "banker", 500, "EUR")),
            Ok(Placement::Repeat { confirmed: true })
        );
        assert_eq!(
            place(&mut round, bet("bob", "a1", "banker", 500, "EUR")),
            Ok(Placement::New)
        );
        round.drop_bet(&PlayerId::parse("ann").unwrap(), &BetId::parse("a3").unwrap());
        round.drop_bet(&PlayerId::parse("bob").unwrap(), &BetId::parse("a1").unwrap());
        round.close_betting().unwrap();
        let left: Vec<&str> = round.bets().iter().map(|b| b.bet_id.as_str()).collect();
        assert_eq!(left, ["a1"]);
    }
}
