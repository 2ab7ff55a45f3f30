//! One round at one table: its bets, its deal and its settlement, for any game. Pure.
//!
//! A `Round` is a closed state machine. [`Round::apply`] is the only way to change one: it
//! refuses a [`Command`] with a [`RuleError`] and changes nothing, or applies it and returns
//! the [`Event`]s that say what changed. Everything else only reads, so phases, deadlines
//! and stakes cannot be set from outside. The table actor drives a round through betting →
//! dealing (→ blackjack decisions) → complete (or void), journals what happens, and pays
//! what [`Round::settle`] computes. Nothing here moves money or knows about time other than
//! the microsecond timestamps it is handed.
//!
//! `commands.rs` holds the commands, the events and the rule of each transition;
//! `model_tests.rs` runs random command sequences against a plain model of bets and money.

mod commands;
#[cfg(test)]
mod model_tests;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::cards::{Card, Composition};
use crate::domain::error::RuleError;
use crate::domain::games::{baccarat, blackjack, dragon_tiger, roulette};
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::{Amount, Currency};

pub use commands::{moved_card, Command, Event, Placement};

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
    /// A bet as a player places it: no seat yet, not confirmed until its stake is debited.
    pub fn pending(bet_id: BetId, player: PlayerId, currency: Currency, spot: Spot, amount: Amount) -> Bet {
        Bet {
            bet_id,
            player,
            currency,
            spot,
            amount,
            seat: None,
            confirmed: false,
        }
    }

    fn same_content(&self, other: &Bet) -> bool {
        self.currency == other.currency && self.spot == other.spot && self.amount == other.amount
    }
}

/// Limits applied to one bet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
enum Deal {
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

/// One round: only [`Round::apply`] changes it (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    id: RoundId,
    game: Game,
    phase: Phase,
    /// Bets are taken while `now_us < closes_at_us`; `StopBetting` only moves it earlier.
    closes_at_us: i64,
    bets: Vec<Bet>,
    /// Indexes over `bets`, so a bet costs the same in a round of ten bets or of ten
    /// thousand (a bet storm).
    by_player: HashMap<PlayerId, PlayerBets>,
    /// Bets whose debit is in flight; only betting has any.
    pending: usize,
    deal: Deal,
    /// Blackjack extra stakes (doubles, splits, insurance) per seat, already debited.
    extra_stakes: Vec<(u8, Amount)>,
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
    /// A round taking bets until `closes_at_us`.
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
    /// the cards started: how a restart picks up a round that was dealing. The cards,
    /// decisions and ball journaled after the close are then applied again, in order.
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
        round.apply(Command::CloseBetting, closes_at_us)?;
        Ok(round)
    }

    pub fn id(&self) -> RoundId {
        self.id
    }

    pub fn game(&self) -> Game {
        self.game
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// When betting closes (or closed): bets are taken while `now_us < closes_at_us`.
    pub fn closes_at_us(&self) -> i64 {
        self.closes_at_us
    }

    /// Every bet, pending ones included, in the order they were placed.
    pub fn bets(&self) -> &[Bet] {
        &self.bets
    }

    pub fn has_pending_bets(&self) -> bool {
        self.pending > 0
    }

    /// Blackjack: the extra stakes (doubles, splits, insurance) taken so far, `(seat, amount)`
    /// in the order they were taken.
    pub fn extra_stakes(&self) -> &[(u8, Amount)] {
        &self.extra_stakes
    }

    /// Roulette: the pocket the ball landed in, once it has.
    pub fn pocket(&self) -> Option<u8> {
        match &self.deal {
            Deal::Roulette(spin) => spin.pocket(),
            _ => None,
        }
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

    /// Blackjack: the (seat, hand) that must act now.
    pub fn awaiting_decision(&self) -> Option<(u8, u8)> {
        match &self.deal {
            Deal::Blackjack(Some(round)) if self.phase == Phase::Deciding => round.awaiting_decision(),
            _ => None,
        }
    }

    /// Blackjack: what the hand awaiting a decision may do; empty when none is awaited.
    pub fn legal_actions(&self) -> Vec<blackjack::Action> {
        match &self.deal {
            Deal::Blackjack(Some(round)) if self.phase == Phase::Deciding => round.legal_actions(),
            _ => Vec::new(),
        }
    }

    /// Blackjack: the extra stake an action needs (double, split, insurance), checking it is
    /// legal, without changing anything: debit it, then apply [`Command::Act`].
    ///
    /// # Errors
    /// Not the hand's turn, or an illegal action.
    pub fn extra_stake(&self, seat: u8, hand: u8, action: blackjack::Action) -> Result<Amount, RuleError> {
        match &self.deal {
            Deal::Blackjack(Some(round)) if self.phase == Phase::Deciding => round.extra_stake(seat, hand, action),
            _ => Err(RuleError::NotYourTurn),
        }
    }

    pub fn seat_of(&self, player: &PlayerId) -> Option<u8> {
        self.by_player.get(player)?.seat
    }

    pub fn player_at_seat(&self, seat: u8) -> Option<&Bet> {
        self.bets.iter().find(|b| b.seat == Some(seat))
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

    /// Pays every bet of a complete round: a pure function of the deal and the bets. It
    /// changes nothing, so computing it twice gives the same payouts.
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
        let place = |round: &mut Round, b: Bet| {
            let command = Command::PlaceBet {
                round_id: RoundId(1),
                bet: b,
                rules: RULES,
            };
            round.apply(command, 0).map(|events| Placement::of(&events))
        };
        let confirm = |round: &mut Round, player: &str, bet_id: &str| {
            let player = PlayerId::parse(player).unwrap();
            let bet_id = BetId::parse(bet_id).unwrap();
            round.apply(Command::ConfirmBet { player, bet_id }, 0).unwrap();
        };
        let drop = |round: &mut Round, player: &str, bet_id: &str| {
            let player = PlayerId::parse(player).unwrap();
            let bet_id = BetId::parse(bet_id).unwrap();
            round.apply(Command::DropBet { player, bet_id }, 0).unwrap();
        };
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
        confirm(&mut round, "ann", "a1");
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
        drop(&mut round, "ann", "a2");
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
        drop(&mut round, "ann", "a3");
        drop(&mut round, "bob", "a1");
        round.apply(Command::CloseBetting, 0).unwrap();
        let left: Vec<&str> = round.bets().iter().map(|b| b.bet_id.as_str()).collect();
        assert_eq!(left, ["a1"]);
    }
}
