//! The round cycle and its timers: open, close betting, deal (or wait for the dealer),
//! blackjack decisions and their clocks, then settlement and the next round.

use std::time::Duration;

use actix::prelude::*;
use serde_json::Value;

use crate::actors::messages::TableStatus;
use crate::clock::now_us;
use crate::domain::cards::Card;
use crate::domain::error::RuleError;
use crate::domain::fair;
use crate::domain::games::blackjack;
use crate::domain::ids::{PlayerId, RoundId};
use crate::domain::round::{moved_card, Command, Game, Phase, Round};
use crate::domain::shoe::Shoe;
use crate::journal::records::{self, RoundRecord, RoundStatus};
use crate::journal::Batch;
use crate::wire::event::TableEvent;
use crate::wire::message::{self, Ack};
use crate::wire::CommandError;

use super::*;

/// Time left on a blackjack decision at which a `countdown` warning is pushed.
pub(super) const COUNTDOWN_WARNINGS_MS: [u64; 2] = [5_000, 2_000];

/// Results shown in the lobby's road.
pub(super) const RECENT_MAX: usize = 60;

impl TableActor {
    pub(super) fn report_status(&self) {
        let (phase, round_id, closes_at) = match &self.live {
            Some(live) => (
                phase_name(live.round.phase()),
                Some(live.round.id()),
                Some(live.round.closes_at_us()),
            ),
            None if self.paused => ("paused", None, None),
            None => ("waiting", None, None),
        };
        let mut players: Vec<&PlayerId> = self.subscribers.values().map(|c| &c.player).collect();
        players.sort();
        players.dedup();
        self.lobby.do_send(TableStatus {
            id: self.config.id.clone(),
            phase,
            round_id,
            players: players.len(),
            closes_at: closes_at.filter(|_| phase == "betting"),
            recent: self.recent.iter().cloned().collect(),
        });
    }

    pub(super) fn schedule(
        &mut self,
        ctx: &mut Context<Self>,
        after_ms: u64,
        step: fn(&mut TableActor, &mut Context<TableActor>),
    ) {
        self.timer.cancel(ctx);
        let generation = self.timer.generation;
        self.timer.handle = Some(ctx.run_later(Duration::from_millis(after_ms), move |act, ctx| {
            if act.timer.generation != generation {
                return;
            }
            act.timer.handle = None;
            step(act, ctx);
        }));
    }

    pub(super) fn open_round(&mut self, ctx: &mut Context<Self>) -> Result<(), CommandError> {
        if self.paused {
            return Err(RuleError::Paused.into());
        }
        if self.live.is_some() {
            return Err(RuleError::WrongPhase("a round is already running".into()).into());
        }
        let mut batch = Batch::new();
        let needs_shoe = self.config.game == Game::Roulette
            || match &self.shoe {
                None => true,
                Some(shoe) => shoe.cards.as_ref().is_some_and(Shoe::past_cut),
            };
        if self.is_auto() && needs_shoe {
            self.new_shoe(&mut batch)?;
        }
        let round_id = RoundId(self.journal.generate_id().map_err(|e| internal(&e))?);
        let opened_at_us = now_us();
        let closes_at_us = opened_at_us + (self.config.bet_window_ms as i64) * 1000;
        let rules = self.config.blackjack_rules();
        let round = Round::open(round_id, self.config.game, closes_at_us, rules);
        let commit = self.shoe.as_ref().map(|s| s.commit.clone());
        let mut record = RoundRecord {
            v: records::RECORD_VERSION,
            round_id,
            table: self.config.id.clone(),
            game: self.config.game,
            status: RoundStatus::Open,
            opened_at_us,
            finished_at_us: None,
            shoe_nonce: self.shoe.as_ref().map(|s| s.nonce),
            shoe_start: None,
            commit: commit.clone(),
            cards: Vec::new(),
            pocket: None,
            outcome: None,
            bets: Vec::new(),
            void_reason: None,
            bet_chunks: None,
        };
        record.put(&mut batch, true);
        self.live = Some(LiveRound::new(round, opened_at_us, None, 0));
        self.odds_version = 0;
        let event = TableEvent::RoundOpen {
            round_id,
            closes_at: closes_at_us,
            commit,
            shoe: self.shoe.as_ref().map(|s| s.nonce),
            game: self.config.game,
        };
        self.emit(ctx, vec![event], batch, None);
        if self.is_auto() {
            self.schedule(ctx, self.config.bet_window_ms, |act, ctx| act.close_betting(ctx, None));
        }
        self.report_status();
        Ok(())
    }

    /// Closes betting once no stake is still being written; shuffles a fresh shoe.
    pub(super) fn close_betting(&mut self, ctx: &mut Context<Self>, reply: Reply) {
        let Some(live) = self.live.as_mut() else {
            reply_error(reply, RuleError::WrongPhase("no round is open".into()).into());
            return;
        };
        if live.round.phase() != Phase::Betting {
            reply_error(reply, RuleError::WrongPhase("betting is not open".into()).into());
            return;
        }
        // Stop taking bets now, then wait for stakes already being written.
        let _ = live.round.apply(Command::StopBetting, now_us());
        if live.round.has_pending_bets() {
            if live.after_pending.is_some() {
                reply_error(reply, RuleError::WrongPhase("betting is already closing".into()).into());
            } else {
                live.after_pending = Some(AfterPending::Close(reply));
            }
            return;
        }
        if let Err(error) = live.round.apply(Command::CloseBetting, now_us()) {
            reply_error(reply, error.into());
            return;
        }
        let round_id = live.round.id();
        let bets = live.round.bets().len();
        let mut batch = Batch::new();
        self.shuffle_at_close(&mut batch);
        // The bets as they stand at close, durable with `bets_closed`: what a restart needs
        // to deal the round on.
        let mut record = self.round_record(RoundStatus::Dealing);
        record.finished_at_us = None;
        record.put(&mut batch, true);
        self.emit(ctx, vec![TableEvent::BetsClosed { round_id, bets }], batch, None);
        if let Some((req, out)) = reply {
            let round_id = Some(round_id);
            self.send_after_pending(out, message::ack(req, Ack::Round { round_id }));
        }
        self.report_status();
        self.after_change(ctx);
    }

    /// Decides the next step after the round changed: deal on, ask for a decision, or finish.
    pub(super) fn after_change(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_ref() else { return };
        if live.settling {
            return;
        }
        match live.round.phase() {
            Phase::Dealing if self.is_auto() => {
                let interval = match self.config.game {
                    Game::Roulette => self.config.card_interval_ms * 4,
                    _ => self.config.card_interval_ms,
                };
                self.schedule(ctx, interval, |act, ctx| act.auto_deal(ctx));
            }
            Phase::Deciding => self.ask_decision(ctx),
            Phase::Complete => self.finish_round(ctx),
            _ => {}
        }
    }

    pub(super) fn auto_deal(&mut self, ctx: &mut Context<Self>) {
        if self.config.game == Game::Roulette {
            let Some(key) = self.shoe.as_ref().and_then(|s| s.key) else {
                return;
            };
            let pocket = fair::roulette_pocket(&key);
            if let Err(error) = self.land_ball(ctx, pocket) {
                tracing::error!(table = %self.config.id, error = %error.message, "auto spin failed");
            }
            return;
        }
        let card = self.shoe.as_mut().and_then(|s| s.cards.as_mut()).and_then(Shoe::draw);
        let Some(card) = card else {
            // Only a misconfigured cut card can empty a shoe mid-round: void rather than stall.
            self.void_round(ctx, "the shoe ran out of cards".into(), None);
            return;
        };
        if let Err(error) = self.deal_card(ctx, card, None) {
            tracing::error!(table = %self.config.id, error = %error.message, "auto deal failed");
        }
    }

    pub(super) fn deal_card(
        &mut self,
        ctx: &mut Context<Self>,
        card: Card,
        position: Option<&str>,
    ) -> Result<(), CommandError> {
        let live = self.live.as_mut().ok_or(RuleError::NoCardExpected)?;
        let events = live.round.apply(
            Command::DealCard {
                card,
                position: position.map(Into::into),
            },
            now_us(),
        )?;
        let (to, _) = moved_card(&events).ok_or(RuleError::NoCardExpected)?;
        let round_id = live.round.id();
        let _ = self.unseen.remove(card.rank);
        // Where the committed shoe stands: lets a restart continue from the same card.
        let (shoe, shoe_pos) = match &self.shoe {
            Some(shoe) => (
                shoe.cards.as_ref().map(|_| shoe.nonce),
                shoe.cards.as_ref().map(Shoe::position),
            ),
            None => (None, None),
        };
        let mut events = vec![TableEvent::Card {
            round_id,
            to,
            card,
            shoe,
            shoe_pos,
        }];
        if let Some(odds) = self.live.as_ref().and_then(|l| l.round.odds(&self.unseen)) {
            self.odds_version += 1;
            events.push(TableEvent::Odds {
                round_id,
                version: self.odds_version,
                odds,
            });
        }
        self.emit(ctx, events, Batch::new(), None);
        self.after_change(ctx);
        Ok(())
    }

    pub(super) fn land_ball(&mut self, ctx: &mut Context<Self>, pocket: u8) -> Result<(), CommandError> {
        let live = self.live.as_mut().ok_or(RuleError::NoCardExpected)?;
        live.round.apply(Command::LandBall { pocket }, now_us())?;
        let round_id = live.round.id();
        self.emit(ctx, vec![TableEvent::Ball { round_id, pocket }], Batch::new(), None);
        self.after_change(ctx);
        Ok(())
    }

    pub(super) fn ask_decision(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        let Some((seat, hand)) = live.round.awaiting_decision() else {
            return;
        };
        let deadline = now_us() + self.config.decision_ms as i64 * 1000;
        live.decision_deadline_us = Some(deadline);
        let actions = legal_actions(&live.round);
        let round_id = live.round.id();
        let decision = TableEvent::Decision {
            round_id,
            seat,
            hand,
            deadline,
            actions,
        };
        self.emit(ctx, vec![decision], Batch::new(), None);
        self.schedule(ctx, self.config.decision_ms, move |act, ctx| act.decision_timeout(ctx));
        // Warnings before the hand is stood, so a player who reconnects mid-decision sees the
        // clock running out.
        for remaining_ms in COUNTDOWN_WARNINGS_MS
            .into_iter()
            .filter(|ms| *ms < self.config.decision_ms)
        {
            ctx.run_later(
                Duration::from_millis(self.config.decision_ms - remaining_ms),
                move |act, ctx| {
                    let Some(live) = act.live.as_ref() else { return };
                    if live.decision_deadline_us != Some(deadline)
                        || live.round.awaiting_decision() != Some((seat, hand))
                    {
                        return;
                    }
                    let event = TableEvent::Countdown {
                        round_id,
                        seat,
                        hand,
                        remaining_ms,
                    };
                    act.emit(ctx, vec![event], Batch::new(), None);
                },
            );
        }
    }

    pub(super) fn decision_timeout(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        if live.decision_in_flight {
            // The player's double or split is being paid for; its outcome decides.
            live.timed_out_in_flight = true;
            return;
        }
        let Some((seat, hand)) = live.round.awaiting_decision() else {
            return;
        };
        let stand = Command::Act {
            seat,
            hand,
            action: blackjack::Action::Stand,
        };
        if live.round.apply(stand, now_us()).is_ok() {
            let round_id = live.round.id();
            let stood = TableEvent::Action {
                round_id,
                seat,
                hand,
                action: blackjack::Action::Stand.to_string(),
                auto: true,
            };
            self.emit(ctx, vec![stood], Batch::new(), None);
            self.after_change(ctx);
        }
    }

    /// After settlement or void: reveal a finished shoe, then start the next round.
    pub(super) fn end_round(&mut self, ctx: &mut Context<Self>) {
        self.live = None;
        if !self.stopping.is_empty() {
            self.stopped_for_shutdown();
        }
        let shoe_done = self.config.game == Game::Roulette
            || self
                .shoe
                .as_ref()
                .and_then(|s| s.cards.as_ref())
                .is_some_and(Shoe::past_cut);
        if shoe_done && self.is_auto() {
            self.reveal(ctx);
        }
        self.report_status();
        if self.is_auto() && !self.paused {
            self.schedule_open(ctx, self.config.result_pause_ms);
        }
    }

    pub(super) fn schedule_open(&mut self, ctx: &mut Context<Self>, after_ms: u64) {
        self.schedule(ctx, after_ms, |act, ctx| {
            if let Err(error) = act.open_round(ctx) {
                if error.code != "table_paused" {
                    tracing::error!(table = %act.config.id, error = %error.message, "cannot open round");
                }
            }
        });
    }

    pub(super) fn push_recent(&mut self, outcome: Option<&crate::domain::round::Outcome>) {
        let Some(outcome) = outcome else { return };
        let label = match serde_json::to_value(outcome).unwrap_or_default() {
            Value::Object(map) => {
                if let Some(pocket) = map.get("pocket") {
                    pocket.to_string()
                } else if let Some(winner) = map.get("winner").and_then(Value::as_str) {
                    road_letter(self.config.game, winner)
                } else if let Some(total) = map.get("dealer_total") {
                    total.to_string()
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        self.recent.push_front(label);
        self.recent.truncate(RECENT_MAX);
    }
}

/// A winner's letter in the road: B, P, T in baccarat; D, T, = in Dragon Tiger, whose tiger
/// already has the T.
pub(super) fn road_letter(game: Game, winner: &str) -> String {
    match (game, winner) {
        (Game::DragonTiger, "tie") => "=".to_owned(),
        _ => winner.get(..1).unwrap_or_default().to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_road_letter_names_one_result() {
        let letters = |game, winners: &[&str]| winners.iter().map(|w| road_letter(game, w)).collect::<Vec<_>>();
        assert_eq!(letters(Game::Baccarat, &["banker", "player", "tie"]), ["B", "P", "T"]);
        assert_eq!(letters(Game::DragonTiger, &["dragon", "tiger", "tie"]), ["D", "T", "="]);
    }
}
