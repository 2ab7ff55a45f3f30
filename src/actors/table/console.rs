//! Dealer console commands, one function each, and the shutdown of a table. A
//! command's answer follows the events it caused, once they are durable.

use actix::prelude::*;
use bytestring::ByteString;

use crate::actors::messages::{DealerAction, DealerCommand};
use crate::actors::outbound::{close_code, Outbound};
use crate::clock::now_us;
use crate::domain::cards::{Card, Composition};
use crate::domain::error::RuleError;
use crate::domain::ids::RoundId;
use crate::domain::round::{moved_card, Command};
use crate::journal::Batch;
use crate::wire::event::TableEvent;
use crate::wire::message::{self, Ack, ServerMsg};
use crate::wire::CommandError;

use super::*;

/// Shutdown: take no new round, void the running one (refunding every bet), then reply.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown(pub tokio::sync::oneshot::Sender<()>);

impl TableActor {
    /// No round is left to finish: dealer consoles are told to come back later (after the
    /// frames already queued for them, the void included), and the shutdown goes on. Players
    /// are closed by the sessions actor, which knows every player connection.
    pub(super) fn stopped_for_shutdown(&mut self) {
        for out in self.dealers.values() {
            out.close(close_code::GOING_AWAY);
        }
        for waiter in self.stopping.drain(..) {
            let _ = waiter.send(());
        }
    }

    pub(super) fn round_id(&self) -> Option<RoundId> {
        self.live.as_ref().map(|l| l.round.id())
    }

    pub(super) fn next_position(&self) -> Option<String> {
        self.live.as_ref().and_then(|l| l.round.next_position())
    }

    /// Sends the console its view of the table and the round's bets.
    pub(super) fn attach_console(&mut self, req: Option<u64>, out: &Outbound) -> ByteString {
        self.dealers.insert(out.conn, out.clone());
        let live = self.live.as_ref();
        let paused_or_waiting = if self.paused { "paused" } else { "waiting" };
        let console = message::Console {
            table: self.config.id.clone(),
            game: self.config.game,
            dealer: self.config.dealer,
            paused: self.paused,
            seq: self.delivered_seq,
            round_id: self.round_id(),
            closes_at: live.map(|l| l.round.closes_at_us()),
            phase: live.map_or(paused_or_waiting, |l| phase_name(l.round.phase())),
            next_position: self.next_position(),
            cards: live.map(|l| dealt(&l.round)),
        };
        out.send(ServerMsg::Console(console).encode());
        self.tell_dealers_bets();
        answer(req, Ok(Ack::Table { table: &self.config.id }))
    }

    pub(super) fn console_open_round(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let result = self.open_round(ctx).map(|()| Ack::Round {
            round_id: self.round_id(),
        });
        answer(req, result)
    }

    pub(super) fn console_deal(
        &mut self,
        ctx: &mut Context<Self>,
        req: Option<u64>,
        card: &str,
        position: Option<&str>,
    ) -> ByteString {
        let round_id = self.round_id();
        let result = card
            .parse::<Card>()
            .map_err(|e| CommandError::from(RuleError::from(e)))
            .and_then(|card| self.deal_card(ctx, card, position))
            .map(|()| Ack::Dealt {
                round_id,
                next_position: self.next_position(),
            });
        answer(req, result)
    }

    pub(super) fn console_spin(&mut self, ctx: &mut Context<Self>, req: Option<u64>, pocket: u8) -> ByteString {
        let round_id = self.round_id();
        let result = self.land_ball(ctx, pocket).map(|()| Ack::Round { round_id });
        answer(req, result)
    }

    /// Takes back the last card: it returns to the unseen cards and to the shoe.
    pub(super) fn console_undo(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let round_id = self.round_id();
        let undone = match self.live.as_mut() {
            Some(live) if !live.settling => (live.round.apply(Command::UndoCard, now_us()))
                .and_then(|events| moved_card(&events).ok_or(RuleError::NothingToUndo))
                .map_err(CommandError::from),
            _ => Err(RuleError::NothingToUndo.into()),
        };
        let (position, card) = match undone {
            Ok(undone) => undone,
            Err(error) => return answer(req, Err(error)),
        };
        let mut counts = *self.unseen.counts();
        counts[card.rank.index()] += 1;
        self.unseen = Composition::from_counts(counts);
        if let Some(cards) = self.shoe.as_mut().and_then(|s| s.cards.as_mut()) {
            cards.undraw();
        }
        let event = TableEvent::CardUndone {
            round_id,
            position,
            card,
        };
        self.emit(ctx, vec![event], Batch::new(), None);
        let next_position = self.next_position();
        answer(
            req,
            Ok(Ack::Dealt {
                round_id,
                next_position,
            }),
        )
    }

    pub(super) fn console_burn(&mut self, ctx: &mut Context<Self>, req: Option<u64>, card: &str) -> ByteString {
        let card = match card.parse::<Card>() {
            Ok(card) => card,
            Err(error) => return answer(req, Err(RuleError::from(error).into())),
        };
        let _ = self.unseen.remove(card.rank);
        let round_id = self.round_id();
        self.emit(ctx, vec![TableEvent::Burn { round_id }], Batch::new(), None);
        answer(req, Ok(Ack::Done {}))
    }

    /// Between rounds: a full new shoe (on auto tables the old one is revealed first).
    pub(super) fn console_change_shoe(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        if self.live.is_some() {
            let error = RuleError::WrongPhase("change the shoe between rounds".into());
            return answer(req, Err(error.into()));
        }
        if let Ok(full) = Composition::decks(self.config.decks) {
            self.unseen = full;
        }
        if self.shoe.is_some() && self.is_auto() {
            self.reveal(ctx);
        }
        let decks = self.config.decks;
        self.emit(ctx, vec![TableEvent::ShoeChanged { decks }], Batch::new(), None);
        answer(req, Ok(Ack::Done {}))
    }

    pub(super) fn console_pause(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        self.paused = true;
        self.emit(ctx, vec![TableEvent::Paused], Batch::new(), None);
        self.report_status();
        answer(req, Ok(Ack::Paused { paused: true }))
    }

    pub(super) fn console_resume(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let was_paused = std::mem::replace(&mut self.paused, false);
        self.emit(ctx, vec![TableEvent::Resumed], Batch::new(), None);
        if was_paused && self.is_auto() && self.live.is_none() {
            let _ = self.open_round(ctx);
        }
        self.report_status();
        answer(req, Ok(Ack::Paused { paused: false }))
    }
}

impl Handler<Shutdown> for TableActor {
    type Result = ();

    fn handle(&mut self, Shutdown(done): Shutdown, ctx: &mut Self::Context) {
        self.paused = true;
        self.timer.cancel(ctx);
        self.stopping.push(done);
        match &self.live {
            None => self.stopped_for_shutdown(),
            Some(live) => {
                if !live.settling {
                    self.void_round(ctx, "server shutting down".into(), None);
                }
            }
        }
    }
}

impl Handler<DealerCommand> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: DealerCommand, ctx: &mut Self::Context) {
        let DealerCommand { req, out, command } = msg;
        let frame = match command {
            DealerAction::Attach => self.attach_console(req, &out),
            DealerAction::Detach => {
                self.dealers.remove(&out.conn);
                return;
            }
            DealerAction::OpenRound => self.console_open_round(ctx, req),
            DealerAction::CloseBetting => return self.close_betting(ctx, Some((req, out))),
            DealerAction::Deal { card, position } => self.console_deal(ctx, req, &card, position.as_deref()),
            DealerAction::Spin { pocket } => self.console_spin(ctx, req, pocket),
            DealerAction::Undo => self.console_undo(ctx, req),
            DealerAction::Burn { card } => self.console_burn(ctx, req, &card),
            DealerAction::ChangeShoe => self.console_change_shoe(ctx, req),
            DealerAction::Void { reason } => return self.void_round(ctx, reason, Some((req, out))),
            DealerAction::Pause => self.console_pause(ctx, req),
            DealerAction::Resume => self.console_resume(ctx, req),
        };
        // A console's answer follows the events its command caused, once they are durable.
        self.send_after_pending(out, frame);
    }
}

/// A console command's answer frame.
pub(super) fn answer(req: Option<u64>, result: Result<Ack<'_>, CommandError>) -> ByteString {
    match result {
        Ok(body) => message::ack(req, body),
        Err(error) => message::error(req, &error),
    }
}
