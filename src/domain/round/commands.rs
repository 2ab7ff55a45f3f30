//! The commands a round takes, the events it answers with, and the rule of each transition.
//!
//! [`Round::apply`] is the only way a round changes. Every transition checks everything
//! before it writes, so a refused command leaves the round exactly as it was, and a command
//! that changes nothing (confirming a bet twice) returns no event.

use std::collections::HashMap;

use super::{target_name, Bet, BetRules, Deal, Phase, PlayerBets, Round, Spot};
use crate::domain::cards::Card;
use crate::domain::error::RuleError;
use crate::domain::games::blackjack;
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::Amount;

/// What a table asks of its round. [`Round::apply`] refuses it (and changes nothing) or
/// applies it.
#[derive(Clone, Debug)]
pub enum Command {
    /// Takes a bet as pending while its stake is debited. `bet.confirmed` is ignored; a
    /// blackjack main bet gets the first free seat in `bet.seat`. Repeating a placed bet
    /// (same `bet_id` and content) is answered with [`Event::BetRepeated`] and changes nothing.
    PlaceBet {
        round_id: RoundId,
        bet: Bet,
        rules: BetRules,
    },
    /// The wallet took the stake: the bet stands. An unknown or confirmed bet is left alone.
    ConfirmBet { player: PlayerId, bet_id: BetId },
    /// The wallet refused the stake: the pending bet is forgotten, which frees its place and
    /// its id. An unknown or confirmed bet is left alone.
    DropBet { player: PlayerId, bet_id: BetId },
    /// No new bet from `now_us` on (the deadline only ever moves earlier); bets whose debit
    /// is in flight can still be confirmed or dropped, and betting then closes.
    StopBetting,
    /// Ends betting; bets still pending are dropped. Blackjack seats its confirmed main bets;
    /// a blackjack round with no seated player completes at once with nothing to deal.
    CloseBetting,
    /// Deals one card to the next position; `position`, when given (dealer console), must be it.
    DealCard { card: Card, position: Option<String> },
    /// Takes back the last card dealt (never a blackjack decision, never the ball).
    UndoCard,
    /// Roulette: the ball lands in `pocket`.
    LandBall { pocket: u8 },
    /// Blackjack: a decision for the hand awaiting one. Its extra stake, quoted by
    /// [`Round::extra_stake`], must already be debited.
    Act {
        seat: u8,
        hand: u8,
        action: blackjack::Action,
    },
    /// Voids the round; its stakes are to be refunded. Refused while a bet is pending (its
    /// debit must end first) and once the round is void.
    Void,
}

/// What a command changed, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A new bet, pending until its debit is confirmed; `bet.seat` is its blackjack seat.
    BetPlaced {
        bet: Bet,
    },
    /// The same bet again: nothing changed; answer with the original bet's ack.
    BetRepeated {
        bet_id: BetId,
        confirmed: bool,
    },
    BetConfirmed {
        player: PlayerId,
        bet_id: BetId,
    },
    /// A pending bet forgotten: its debit was refused, or betting closed before it was confirmed.
    BetDropped {
        player: PlayerId,
        bet_id: BetId,
    },
    /// Betting closes at `closes_at_us` now (earlier than it would have).
    BettingStopped {
        closes_at_us: i64,
    },
    /// Betting closed with `bets` bets, all confirmed.
    BettingClosed {
        bets: usize,
    },
    CardDealt {
        to: String,
        card: Card,
    },
    CardUndone {
        position: String,
        card: Card,
    },
    BallLanded {
        pocket: u8,
    },
    /// A blackjack decision; `extra_stake` is what it added to the seat's stake (zero for a
    /// hit or a stand).
    ActionTaken {
        seat: u8,
        hand: u8,
        action: blackjack::Action,
        extra_stake: Amount,
    },
    /// The round moved to `phase` (after the events that moved it). A round that completes
    /// or is voided says so this way.
    PhaseChanged {
        phase: Phase,
    },
}

/// Whether a `PlaceBet` took a new bet or met the harmless repeat of one already placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    New,
    /// Same bet_id and content: answer with the original ack.
    Repeat {
        confirmed: bool,
    },
}

impl Placement {
    /// How an applied `PlaceBet` went, read from its events.
    pub fn of(events: &[Event]) -> Placement {
        events
            .iter()
            .find_map(|event| match event {
                Event::BetRepeated { confirmed, .. } => Some(Placement::Repeat { confirmed: *confirmed }),
                _ => None,
            })
            .unwrap_or(Placement::New)
    }
}

/// The card an applied `DealCard` or `UndoCard` moved, with its position, read from its events.
pub fn moved_card(events: &[Event]) -> Option<(String, Card)> {
    events.iter().find_map(|event| match event {
        Event::CardDealt { to: position, card } | Event::CardUndone { position, card } => {
            Some((position.clone(), *card))
        }
        _ => None,
    })
}

impl Round {
    /// Applies `command` at `now_us`: the one way a round changes.
    ///
    /// # Errors
    /// The [`RuleError`] of the rule the command breaks; the round is then unchanged.
    pub fn apply(&mut self, command: Command, now_us: i64) -> Result<Vec<Event>, RuleError> {
        let phase = self.phase;
        let mut events = match command {
            Command::PlaceBet { round_id, bet, rules } => vec![self.place_bet(round_id, bet, &rules, now_us)?],
            Command::ConfirmBet { player, bet_id } => self.confirm_bet(player, bet_id),
            Command::DropBet { player, bet_id } => self.drop_bet(player, bet_id),
            Command::StopBetting => self.stop_betting(now_us)?,
            Command::CloseBetting => self.close_betting()?,
            Command::DealCard { card, position } => vec![self.deal_card(card, position.as_deref())?],
            Command::UndoCard => vec![self.undo_card()?],
            Command::LandBall { pocket } => vec![self.land_ball(pocket)?],
            Command::Act { seat, hand, action } => vec![self.act(seat, hand, action)?],
            Command::Void => self.void()?,
        };
        if self.phase != phase {
            events.push(Event::PhaseChanged { phase: self.phase });
        }
        Ok(events)
    }

    pub(super) fn reindex(&mut self) {
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
    fn place_bet(
        &mut self,
        round_id: RoundId,
        mut bet: Bet,
        rules: &BetRules,
        now_us: i64,
    ) -> Result<Event, RuleError> {
        if round_id != self.id {
            return Err(RuleError::WrongRound);
        }
        if let Some(existing) = self.position(&bet.player, &bet.bet_id).map(|at| &self.bets[at]) {
            return if existing.same_content(&bet) {
                Ok(Event::BetRepeated {
                    bet_id: bet.bet_id,
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
        self.index(bet.clone());
        Ok(Event::BetPlaced { bet })
    }

    fn confirm_bet(&mut self, player: PlayerId, bet_id: BetId) -> Vec<Event> {
        let Some(at) = self.position(&player, &bet_id) else {
            return Vec::new();
        };
        let bet = &mut self.bets[at];
        if bet.confirmed {
            return Vec::new();
        }
        bet.confirmed = true;
        self.pending -= 1;
        vec![Event::BetConfirmed { player, bet_id }]
    }

    fn drop_bet(&mut self, player: PlayerId, bet_id: BetId) -> Vec<Event> {
        let Some(at) = self.position(&player, &bet_id) else {
            return Vec::new();
        };
        if self.bets[at].confirmed {
            return Vec::new();
        }
        // Rare (a refused debit): rebuilding the indexes keeps one way of keeping them.
        self.bets.remove(at);
        self.reindex();
        vec![Event::BetDropped { player, bet_id }]
    }

    /// # Errors
    /// [`RuleError::WrongPhase`] unless betting is open.
    fn stop_betting(&mut self, now_us: i64) -> Result<Vec<Event>, RuleError> {
        if self.phase != Phase::Betting {
            return Err(RuleError::WrongPhase("betting is not open".into()));
        }
        if now_us >= self.closes_at_us {
            return Ok(Vec::new());
        }
        self.closes_at_us = now_us;
        Ok(vec![Event::BettingStopped { closes_at_us: now_us }])
    }

    /// # Errors
    /// [`RuleError::WrongPhase`] unless betting is open; blackjack seats that cannot be dealt.
    fn close_betting(&mut self) -> Result<Vec<Event>, RuleError> {
        if self.phase != Phase::Betting {
            return Err(RuleError::WrongPhase("betting is not open".into()));
        }
        // Everything that can fail before anything changes.
        let blackjack = match &self.deal {
            Deal::Blackjack(_) => {
                let mut seats: Vec<(u8, Amount)> = self
                    .bets
                    .iter()
                    .filter(|b| b.confirmed)
                    .filter_map(|b| Some((b.seat?, b.amount)))
                    .collect();
                seats.sort();
                if seats.is_empty() {
                    None
                } else {
                    Some(blackjack::Round::new(self.rules, &seats)?)
                }
            }
            _ => None,
        };
        let mut events: Vec<Event> = self
            .bets
            .iter()
            .filter(|b| !b.confirmed)
            .map(|b| Event::BetDropped {
                player: b.player.clone(),
                bet_id: b.bet_id.clone(),
            })
            .collect();
        if self.pending > 0 {
            self.bets.retain(|b| b.confirmed);
            self.reindex();
        }
        self.phase = Phase::Dealing;
        if let Deal::Blackjack(slot) = &mut self.deal {
            if blackjack.is_none() {
                self.phase = Phase::Complete;
            }
            *slot = blackjack;
        }
        events.push(Event::BettingClosed { bets: self.bets.len() });
        Ok(events)
    }

    /// Deals one card to the next position; `position`, when given, must match.
    ///
    /// # Errors
    /// No card expected now, or a different position expected.
    fn deal_card(&mut self, card: Card, position: Option<&str>) -> Result<Event, RuleError> {
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
        Ok(Event::CardDealt { to: expected, card })
    }

    /// # Errors
    /// [`RuleError::NothingToUndo`] when there is no card to take back (or the last step was
    /// a decision).
    fn undo_card(&mut self) -> Result<Event, RuleError> {
        if !matches!(self.phase, Phase::Dealing | Phase::Deciding | Phase::Complete) {
            return Err(RuleError::NothingToUndo);
        }
        let (position, card) = match &mut self.deal {
            Deal::Baccarat(coup) => coup.undo().map(|(p, c)| (p.to_string(), c))?,
            Deal::DragonTiger(coup) => coup.undo().map(|(p, c)| (p.to_string(), c))?,
            Deal::Blackjack(Some(round)) => round.undo().map(|(t, c)| (target_name(t), c))?,
            Deal::Roulette(_) | Deal::Blackjack(None) => return Err(RuleError::NothingToUndo),
        };
        self.phase = Phase::Dealing;
        self.advance_phase();
        Ok(Event::CardUndone { position, card })
    }

    /// # Errors
    /// Not dealing, not roulette, or an invalid pocket.
    fn land_ball(&mut self, pocket: u8) -> Result<Event, RuleError> {
        match (&mut self.deal, self.phase) {
            (Deal::Roulette(spin), Phase::Dealing) => {
                spin.set_pocket(pocket)?;
                self.phase = Phase::Complete;
                Ok(Event::BallLanded { pocket })
            }
            _ => Err(RuleError::NoCardExpected),
        }
    }

    /// Applies a decision whose extra stake (if any) is already debited.
    ///
    /// # Errors
    /// Not the hand's turn, or an illegal action.
    fn act(&mut self, seat: u8, hand: u8, action: blackjack::Action) -> Result<Event, RuleError> {
        let Deal::Blackjack(Some(round)) = &mut self.deal else {
            return Err(RuleError::NotYourTurn);
        };
        if self.phase != Phase::Deciding {
            return Err(RuleError::NotYourTurn);
        }
        let extra_stake = match round.act(seat, hand, action)? {
            blackjack::ActionEffect::ExtraStake(extra) => {
                self.extra_stakes.push((seat, extra));
                extra
            }
            blackjack::ActionEffect::None => Amount::ZERO,
        };
        self.phase = Phase::Dealing;
        self.advance_phase();
        Ok(Event::ActionTaken {
            seat,
            hand,
            action,
            extra_stake,
        })
    }

    /// # Errors
    /// [`RuleError::WrongPhase`] while a bet is pending or once the round is void.
    fn void(&mut self) -> Result<Vec<Event>, RuleError> {
        if self.phase == Phase::Void {
            return Err(RuleError::WrongPhase("the round is already void".into()));
        }
        if self.pending > 0 {
            return Err(RuleError::WrongPhase("a bet is still being placed".into()));
        }
        self.phase = Phase::Void;
        Ok(Vec::new())
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
}
