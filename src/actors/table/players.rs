//! What players ask of a table: bets, blackjack actions, client seeds; and the bet
//! totals dealer consoles see.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::prelude::*;

use crate::actors::messages::{Act, ClientSeed, PlaceBet};
use crate::actors::outbound::Outbound;
use crate::actors::wallet::WalletError;
use crate::clock::now_us;
use crate::domain::error::RuleError;
use crate::domain::fair;
use crate::domain::games::blackjack;
use crate::domain::money::Amount;
use crate::domain::round::{Bet, BetRules, Command, Phase, Placement, Spot};
use crate::journal::records::LedgerRecord;
use crate::journal::txid;
use crate::journal::Batch;
use crate::wire::event::TableEvent;
use crate::wire::message::{self, Ack, Money, ServerMsg};
use crate::wire::CommandError;

use super::*;

/// Dealer consoles get the round's bet totals at most this often.
pub(super) const DEALER_BETS_EVERY: Duration = Duration::from_millis(100);

impl TableActor {
    /// Coalesces the dealers' bet totals: one push per `DEALER_BETS_EVERY` however many
    /// bets arrive, since each push sums the whole round.
    pub(super) fn tell_dealers_bets_soon(&mut self, ctx: &mut Context<Self>) {
        if self.dealers.is_empty() || self.dealer_bets_due {
            return;
        }
        self.dealer_bets_due = true;
        ctx.run_later(DEALER_BETS_EVERY, |act, _| {
            act.dealer_bets_due = false;
            act.tell_dealers_bets();
        });
    }

    /// Dealer consoles see the round's bets and exposure per currency.
    pub(super) fn tell_dealers_bets(&mut self) {
        if self.dealers.is_empty() {
            return;
        }
        let Some(live) = &self.live else { return };
        let mut exposure: BTreeMap<crate::domain::money::Currency, message::Exposure> = BTreeMap::new();
        let mut count = 0;
        for bet in live.round.bets().iter().filter(|b| b.confirmed) {
            let entry = exposure.entry(bet.currency).or_default();
            let staked = live.round.staked(bet).minor();
            entry.staked += staked;
            entry.max_return += bet.spot.max_return(bet.amount).map_or(0, |a| a.minor());
            *entry.spots.entry(bet.spot.name()).or_default() += staked;
            count += 1;
        }
        let body = ServerMsg::Bets(message::Bets {
            table: self.config.id.clone(),
            round_id: live.round.id(),
            count,
            exposure,
        })
        .encode();
        self.dealers.retain(|_, out| out.send(body.clone()));
    }

    pub(super) fn apply_action(
        &mut self,
        ctx: &mut Context<Self>,
        req: Option<u64>,
        out: Outbound,
        seat: u8,
        hand: u8,
        action: blackjack::Action,
    ) {
        let Some(live) = self.live.as_mut() else { return };
        if let Err(error) = live.round.apply(Command::Act { seat, hand, action }, now_us()) {
            out.send(message::error(req, &error.into()));
            return;
        }
        let round_id = live.round.id();
        self.timer.cancel(ctx);
        let acted = TableEvent::Action {
            round_id,
            seat,
            hand,
            action: action.to_string(),
            auto: false,
        };
        self.emit(ctx, vec![acted], Batch::new(), None);
        let action = action.to_string();
        self.send_after_pending(out, message::ack(req, Ack::Acted { round_id, action }));
        self.after_change(ctx);
    }
}

impl Handler<PlaceBet> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: PlaceBet, ctx: &mut Self::Context) {
        match self.take_bet(&msg) {
            Ok(Some(taken)) => self.debit_bet(ctx, msg, taken),
            Ok(None) => {}
            Err(error) => {
                crate::telemetry::bet_rejected(error.code);
                msg.caller.out.send(message::error(msg.req, &error));
            }
        }
    }
}

/// A bet the round took, pending until its stake is debited.
struct Taken {
    seat: Option<u8>,
    stake: LedgerRecord,
}

impl TableActor {
    /// Puts a bet into the round, pending. `None`: the repeat of a bet already accepted,
    /// answered here.
    ///
    /// # Errors
    /// Why the bet is refused; nothing changed.
    fn take_bet(&mut self, msg: &PlaceBet) -> Result<Option<Taken>, CommandError> {
        let PlaceBet {
            req,
            caller,
            round_id,
            spot,
            amount,
            bet_id,
        } = msg;
        if self.paused {
            return Err(RuleError::Paused.into());
        }
        let limits = self.config.limits.get(&caller.currency).copied();
        let limits = limits.ok_or(RuleError::WrongCurrency)?;
        let spot = Spot::parse(self.config.game, spot)?;
        let rules = BetRules {
            stake_min: limits.stake_min,
            stake_max: limits.stake_max,
            bets_per_round_max: self.limits.bets_per_round_max,
            seats_max: self.config.seats_max,
        };
        let live = self.live.as_mut().ok_or(RuleError::BettingClosed)?;
        let bet = Bet::pending(
            bet_id.clone(),
            caller.player.clone(),
            caller.currency,
            spot.clone(),
            Amount(*amount),
        );
        if *amount <= 0 {
            return Err(RuleError::BadAmount.into());
        }
        let placed = live.round.apply(
            Command::PlaceBet {
                round_id: *round_id,
                bet,
                rules,
            },
            now_us(),
        )?;
        match Placement::of(&placed) {
            Placement::New => {}
            Placement::Repeat { confirmed: true } => {
                let repeated = Ack::BetRepeated {
                    bet_id,
                    round_id: *round_id,
                    seat: live.round.seat_of(&caller.player),
                    repeat: true,
                };
                caller.out.send(message::ack(*req, repeated));
                return Ok(None);
            }
            // The first attempt's ack is on its way; this request still gets an answer.
            Placement::Repeat { confirmed: false } => {
                let pending = "this bet is still being placed; its ack follows";
                return Err(CommandError::new("bet_pending", pending));
            }
        }
        let wallet = (caller.wallet.clone(), caller.session_id.clone());
        live.wallets.insert(caller.player.clone(), wallet);
        let seat = live
            .round
            .seat_of(&caller.player)
            .filter(|_| spot == Spot::BlackjackMain);
        let placed = live.round.bets().last().cloned().expect("just placed");
        let txid = txid::stake(*round_id, bet_id.as_str());
        let stake = self.stake_record(&placed, *round_id, &caller.session_id, Amount(*amount), txid, now_us());
        Ok(Some(Taken { seat, stake }))
    }

    /// Debits a taken bet's stake: the bet is confirmed and acknowledged once the debit is
    /// durable, or dropped when the wallet refuses it.
    fn debit_bet(&mut self, ctx: &mut Context<Self>, msg: PlaceBet, taken: Taken) {
        let PlaceBet {
            req,
            caller,
            round_id,
            bet_id,
            ..
        } = msg;
        let game = self.game_label();
        let wallet = caller.wallet.clone();
        self.debit(ctx, &wallet, taken.stake, round_id, move |act, ctx, result| {
            let Some(live) = act.live.as_mut() else { return };
            match result {
                Ok(balance) => {
                    let confirm = Command::ConfirmBet {
                        player: caller.player.clone(),
                        bet_id: bet_id.clone(),
                    };
                    let _ = live.round.apply(confirm, now_us());
                    crate::telemetry::bet_accepted(game);
                    let placed = Ack::BetPlaced {
                        bet_id: &bet_id,
                        round_id,
                        seat: taken.seat,
                        balance: Money {
                            amount: balance,
                            currency: caller.currency,
                        },
                    };
                    caller.out.send(message::ack(req, placed));
                    act.tell_dealers_bets_soon(ctx);
                    act.after_stake_answered(ctx);
                }
                Err(mut error) => {
                    let drop = Command::DropBet {
                        player: caller.player.clone(),
                        bet_id: bet_id.clone(),
                    };
                    let _ = live.round.apply(drop, now_us());
                    // A bet_id reused from another round is, to the player, a duplicate bet.
                    if error.code == WalletError::DuplicateTransaction.code() {
                        error.code = "duplicate_bet";
                    }
                    crate::telemetry::bet_rejected(error.code);
                    caller.out.send(message::error(req, &error));
                    act.after_stake_answered(ctx);
                }
            }
        });
    }

    /// Runs the close of betting or the void that waited for the pending stakes, once the
    /// last of them is answered.
    fn after_stake_answered(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        if live.round.has_pending_bets() {
            return;
        }
        match live.after_pending.take() {
            Some(AfterPending::Close(reply)) => self.close_betting(ctx, reply),
            Some(AfterPending::Void(reason, reply)) => self.void_round(ctx, reason, reply),
            None => {}
        }
    }
}

impl Handler<Act> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: Act, ctx: &mut Self::Context) {
        let Act {
            req,
            caller,
            round_id,
            hand,
            action,
        } = msg;
        let out = caller.out.clone();
        let refuse = |error: CommandError| {
            out.send(message::error(req, &error));
        };
        let action: blackjack::Action = match action.parse() {
            Ok(action) => action,
            Err(error) => return refuse(CommandError::from(error)),
        };
        let Some(live) = self.live.as_mut() else {
            return refuse(RuleError::NotYourTurn.into());
        };
        if live.round.id() != round_id {
            return refuse(RuleError::WrongRound.into());
        }
        if live.decision_in_flight {
            return refuse(CommandError::new("busy", "a decision is already being applied"));
        }
        let Some(seat) = live.round.seat_of(&caller.player) else {
            return refuse(RuleError::NotYourTurn.into());
        };
        let extra = match live.round.extra_stake(seat, hand, action) {
            Ok(extra) => extra,
            Err(error) => return refuse(error.into()),
        };
        if !extra.is_positive() {
            return self.apply_action(ctx, req, out, seat, hand, action);
        }
        let Some(bet) = live.round.player_at_seat(seat).cloned() else {
            return refuse(RuleError::NotYourTurn.into());
        };
        live.extra_stakes += 1;
        live.decision_in_flight = true;
        let txid = txid::extra_stake(round_id, bet.bet_id.as_str(), live.extra_stakes);
        let stake = self.stake_record(&bet, round_id, &caller.session_id, extra, txid, now_us());
        self.debit(ctx, &caller.wallet, stake, round_id, move |act, ctx, result| {
            let Some(live) = act.live.as_mut() else { return };
            live.decision_in_flight = false;
            let timed_out = std::mem::take(&mut live.timed_out_in_flight);
            match result {
                Ok(_) => act.apply_action(ctx, req, out, seat, hand, action),
                Err(error) => {
                    live.extra_stakes -= 1;
                    out.send(message::error(req, &error));
                    if timed_out {
                        act.decision_timeout(ctx);
                    }
                }
            }
        });
    }
}

impl Handler<ClientSeed> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: ClientSeed, _: &mut Self::Context) {
        let out = &msg.caller.out;
        if let Err(error) = fair::validate_client_seed(&msg.seed) {
            out.send(message::error(
                msg.req,
                &CommandError::new("bad_request", error.to_string()),
            ));
            return;
        }
        let betting = self.live.as_ref().is_some_and(|l| l.round.phase() == Phase::Betting);
        match self.shoe.as_mut() {
            Some(shoe) if betting && shoe.key.is_none() => {
                if shoe.client_seeds.len() >= 64 {
                    out.send(message::error(
                        msg.req,
                        &CommandError::new("rate_limited", "this shoe has enough client seeds"),
                    ));
                    return;
                }
                shoe.client_seeds.push(msg.seed);
                out.send(message::ack(msg.req, Ack::SeedTaken { shoe: shoe.nonce }));
            }
            _ => {
                out.send(message::error(
                    msg.req,
                    &CommandError::new(
                        "betting_closed",
                        "client seeds are taken while a new shoe's first round is betting",
                    ),
                ));
            }
        }
    }
}
