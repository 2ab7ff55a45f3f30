//! Money: debits for stakes, the payouts of a settled round, refunds of a void. Money
//! moves only through wallets and only after the round record that explains it is
//! durable, so a crash at any instant leaves something recovery can finish.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use actix::prelude::*;

use crate::actors::messages::{Credit, Debit, GetBalances};
use crate::actors::wallet::WalletActor;
use crate::clock::now_us;
use crate::domain::error::RuleError;
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::{Amount, Currency};
use crate::domain::round::{Bet, Command, Game, Spot};
use crate::journal::records::{self, BetRecord, CardRecord, LedgerRecord, RoundRecord, RoundStatus, TxKind};
use crate::journal::replay::{payout_credits, refund_of};
use crate::journal::txid;
use crate::journal::Batch;
use crate::wire::event::TableEvent;
use crate::wire::message::{self, Ack, Money, ServerMsg};
use crate::wire::CommandError;

use super::*;

impl TableActor {
    /// Publishes the result, then (once durable) pays every winner, then tells each player.
    pub(super) fn finish_round(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        if live.settling {
            return;
        }
        live.settling = true;
        self.timer.cancel(ctx);
        let settle_started = Instant::now();
        let payouts = match live.round.settle() {
            Ok(payouts) => payouts,
            Err(error) => {
                tracing::error!(table = %self.config.id, round = %live.round.id(), error = %error, "settlement failed; voiding");
                live.settling = false;
                self.void_round(ctx, "settlement failed".into(), None);
                return;
            }
        };
        let round_id = live.round.id();
        let outcome = live.round.outcome();
        let mut record = self.round_record(RoundStatus::Settling);
        let paid: HashMap<(&PlayerId, &BetId), Amount> =
            payouts.iter().map(|p| ((&p.player, &p.bet_id), p.payout)).collect();
        for bet in &mut record.bets {
            bet.payout = Some(paid.get(&(&bet.player, &bet.bet_id)).copied().unwrap_or(Amount::ZERO));
        }
        let Some(credits) = payout_credits(&record, now_us()) else {
            tracing::error!(table = %self.config.id, round = %round_id, "a player's payouts overflow; voiding");
            if let Some(live) = self.live.as_mut() {
                live.settling = false;
            }
            self.void_round(ctx, "settlement failed".into(), None);
            return;
        };
        if let Err(violation) = check_settlement(self.config.game, &record, &credits) {
            // Asserted before anything is journaled: a rules bug must not pay out.
            tracing::error!(table = %self.config.id, round = %round_id, violation = %violation, record = ?record, "settlement violates its invariants; voiding");
            if let Some(live) = self.live.as_mut() {
                live.settling = false;
            }
            self.void_round(ctx, "settlement failed".into(), None);
            return;
        }
        let mut batch = Batch::new();
        record.put(&mut batch, true);
        self.push_recent(outcome.as_ref());
        self.emit(
            ctx,
            vec![TableEvent::Result { round_id, outcome }],
            batch,
            Some(Box::new(move |act, ctx| {
                act.pay_out(ctx, record, credits, payouts, settle_started)
            })),
        );
    }

    /// Sends each player one credit with their winnings (`payout_credits`).
    pub(super) fn pay_out(
        &mut self,
        ctx: &mut Context<Self>,
        record: RoundRecord,
        credits: Vec<LedgerRecord>,
        payouts: Vec<crate::domain::round::Payout>,
        settle_started: Instant,
    ) {
        let Some(live) = self.live.as_ref() else { return };
        let round_id = record.round_id;
        let mut unpaid = 0;
        let credits: Vec<_> = credits
            .into_iter()
            .filter_map(|mut credit| {
                let Some((wallet, session)) = live.wallets.get(&credit.player) else {
                    unpaid += 1;
                    return None;
                };
                credit.session_id = Some(session.clone());
                Some(wallet.send(Credit(credit)))
            })
            .collect();
        let wallets: Vec<_> = live
            .wallets
            .iter()
            .map(|(player, (wallet, _))| (player.clone(), wallet.clone()))
            .collect();
        let game = self.game_label();
        let opened_at = live.opened_at;
        let work = async move {
            let results = futures_util::future::join_all(credits).await;
            // Asked only now: a wallet counts a credit once it is durable.
            let balances = wallets.into_iter().map(|(player, wallet)| async move {
                let balances = wallet.send(GetBalances).await.ok();
                (player, balances)
            });
            let balances = futures_util::future::join_all(balances).await;
            (results, balances)
        };
        ctx.spawn(work.into_actor(self).map(move |(results, balances), act, ctx| {
            let failed = unpaid + results.iter().filter(|r| !matches!(r, Ok(Ok(_)))).count();
            let mut batch = Batch::new();
            if failed > 0 {
                // Payouts are idempotent and recorded in the `settling` round record, which
                // stays so: recovery at the next start pays what is missing. Never pay
                // twice here.
                tracing::error!(table = %act.config.id, round = %round_id, failed, "payout credits failed; the next start finishes them");
            } else {
                let mut settled = record;
                settled.status = RoundStatus::Settled;
                settled.finished_at_us = Some(now_us());
                settled.put(&mut batch, false);
            }
            let balances: HashMap<PlayerId, _> = balances.into_iter().collect();
            act.submit(
                ctx,
                batch,
                Vec::new(),
                Some(Box::new(move |act, ctx| {
                    act.tell_settled(&payouts, &balances, round_id);
                    crate::telemetry::round_finished(game, opened_at.elapsed(), settle_started.elapsed());
                    act.end_round(ctx);
                })),
            );
        }));
    }

    pub(super) fn tell_settled(
        &mut self,
        payouts: &[crate::domain::round::Payout],
        balances: &HashMap<PlayerId, Option<BTreeMap<crate::domain::money::Currency, Amount>>>,
        round_id: RoundId,
    ) {
        // A storm round holds thousands of bets: group them once, not once per subscriber.
        let mut by_player: HashMap<&PlayerId, (Vec<message::Paid>, i64)> = HashMap::new();
        for p in payouts {
            let (mine, won) = by_player.entry(&p.player).or_default();
            mine.push(message::Paid {
                bet_id: &p.bet_id,
                spot: &p.spot,
                amount: p.amount,
                payout: p.payout,
            });
            *won += p.payout.minor();
        }
        for caller in self.subscribers.values() {
            let Some(balance) = balances.get(&caller.player) else {
                continue;
            };
            let (mine, won) = by_player
                .get(&caller.player)
                .map_or((&[][..], 0), |(m, w)| (&m[..], *w));
            let amount = balance
                .as_ref()
                .and_then(|b| b.get(&caller.currency).copied())
                .unwrap_or_default();
            let settled = ServerMsg::Settled(message::Settled {
                table: &self.config.id,
                round_id,
                payouts: mine,
                won,
                balance: Money {
                    amount,
                    currency: caller.currency,
                },
            });
            caller.out.send(settled.encode());
        }
    }

    /// Voids the round: the void record is made durable first, then every stake refunded.
    pub(super) fn void_round(&mut self, ctx: &mut Context<Self>, reason: String, reply: Reply) {
        let Some(live) = self.live.as_mut() else {
            reply_error(reply, RuleError::WrongPhase("no round to void".into()).into());
            return;
        };
        if live.settling {
            reply_error(
                reply,
                RuleError::WrongPhase("the round is already settling".into()).into(),
            );
            return;
        }
        if live.round.has_pending_bets() {
            let _ = live.round.apply(Command::StopBetting, now_us());
            match live.after_pending.replace(AfterPending::Void(reason, reply)) {
                Some(AfterPending::Close(closing)) => reply_error(
                    closing,
                    RuleError::WrongPhase("the round is being voided".into()).into(),
                ),
                Some(AfterPending::Void(_, earlier)) => reply_error(
                    earlier,
                    RuleError::WrongPhase("the round is being voided again".into()).into(),
                ),
                None => {}
            }
            return;
        }
        live.settling = true;
        let _ = live.round.apply(Command::Void, now_us());
        self.timer.cancel(ctx);
        // Cards dealt in a void round have been seen; the shoe moves on.
        let round_id = live.round.id();
        let mut record = self.round_record(RoundStatus::Void);
        record.void_reason = Some(reason.clone());
        let mut batch = Batch::new();
        record.put(&mut batch, true);
        self.emit(
            ctx,
            vec![TableEvent::RoundVoid { round_id, reason }],
            batch,
            Some(Box::new(move |act, ctx| act.refund_all(ctx, round_id))),
        );
        // After the void is durable and broadcast, never before.
        if let Some((req, out)) = reply {
            let round_id = Some(round_id);
            self.send_after_pending(out, message::ack(req, Ack::Round { round_id }));
        }
        self.report_status();
    }

    pub(super) fn refund_all(&mut self, ctx: &mut Context<Self>, round_id: RoundId) {
        let Some(live) = self.live.as_ref() else { return };
        let ts = now_us();
        let mut refunds = Vec::new();
        let mut extras: HashMap<u8, u32> = HashMap::new();
        for bet in live.round.bets() {
            let Some((wallet, session)) = live.wallets.get(&bet.player) else {
                continue;
            };
            let stake = self.stake_record(
                bet,
                round_id,
                session,
                bet.amount,
                txid::stake(round_id, bet.bet_id.as_str()),
                ts,
            );
            refunds.push(wallet.send(Credit(refund_of(&stake, ts))));
            // Blackjack doubles and splits were separate stakes of the same seat.
            for (seat, extra) in live
                .round
                .extra_stakes()
                .iter()
                .filter(|(seat, _)| Some(*seat) == bet.seat)
            {
                let n = extras.entry(*seat).or_default();
                *n += 1;
                let txid = txid::extra_stake(round_id, bet.bet_id.as_str(), *n);
                let stake = self.stake_record(bet, round_id, session, *extra, txid, ts);
                refunds.push(wallet.send(Credit(refund_of(&stake, ts))));
            }
        }
        ctx.spawn(futures_util::future::join_all(refunds).into_actor(self).map(move |results, act, ctx| {
            if results.iter().any(|r| !matches!(r, Ok(Ok(_)))) {
                tracing::error!(table = %act.config.id, round = %round_id, "refunds failed; recovery will finish them");
            }
            act.end_round(ctx);
        }));
    }

    pub(super) fn stake_record(
        &self,
        bet: &Bet,
        round_id: RoundId,
        session: &str,
        amount: Amount,
        txid: String,
        ts: i64,
    ) -> LedgerRecord {
        LedgerRecord {
            v: records::RECORD_VERSION,
            txid,
            player: bet.player.clone(),
            currency: bet.currency,
            kind: TxKind::Stake,
            amount,
            table: Some(self.config.id.clone()),
            round_id: Some(round_id),
            bet_id: Some(bet.bet_id.clone()),
            spot: Some(bet.spot.name()),
            session_id: Some(session.to_owned()),
            ts_us: ts,
        }
    }

    pub(super) fn round_record(&self, status: RoundStatus) -> RoundRecord {
        let live = self.live.as_ref().expect("round_record needs a live round");
        let round = &live.round;
        RoundRecord {
            v: records::RECORD_VERSION,
            round_id: round.id(),
            table: self.config.id.clone(),
            game: self.config.game,
            status,
            opened_at_us: live.opened_at_us,
            finished_at_us: Some(now_us()),
            shoe_nonce: self.shoe.as_ref().map(|s| s.nonce),
            shoe_start: live.shoe_start,
            commit: self.shoe.as_ref().map(|s| s.commit.clone()),
            cards: round
                .cards()
                .into_iter()
                .map(|(position, card)| CardRecord { position, card })
                .collect(),
            pocket: round.pocket(),
            outcome: round.outcome().and_then(|o| serde_json::to_value(o).ok()),
            bets: round
                .bets()
                .iter()
                .filter(|b| b.confirmed)
                .map(|b| BetRecord {
                    bet_id: b.bet_id.clone(),
                    player: b.player.clone(),
                    currency: b.currency,
                    spot: b.spot.name(),
                    amount: round.staked(b),
                    payout: None,
                    seat: b.seat,
                })
                .collect(),
            void_reason: None,
            bet_chunks: None,
        }
    }

    /// Debits `stake` from a player's wallet, then hands `then` the balance after it or the
    /// refusal, as long as round `round_id` is still the live one (an answer for a round that
    /// has ended is dropped, as each caller did before).
    pub(super) fn debit(
        &mut self,
        ctx: &mut Context<Self>,
        wallet: &Addr<WalletActor>,
        stake: LedgerRecord,
        round_id: RoundId,
        then: impl FnOnce(&mut Self, &mut Context<Self>, Result<Amount, CommandError>) + 'static,
    ) {
        ctx.spawn(wallet.send(Debit(stake)).into_actor(self).map(move |result, act, ctx| {
            if act.live.as_ref().is_none_or(|l| l.round.id() != round_id) {
                return;
            }
            let result = match result {
                Ok(Ok(balance)) => Ok(balance),
                Ok(Err(error)) => Err(CommandError::new(error.code(), error.to_string())),
                Err(_) => Err(CommandError::new("busy", "the wallet is busy; retry")),
            };
            then(act, ctx, result)
        }));
    }
}

/// The invariants of a round's settlement, checked before its payouts are journaled: every
/// payout is between 0 and the most its bet could return, and the credits (one per player
/// and currency) are exactly the sum of the payouts.
///
/// # Errors
/// The first violation, in words.
fn check_settlement(game: Game, record: &RoundRecord, credits: &[LedgerRecord]) -> Result<(), String> {
    let mut owed: BTreeMap<(&PlayerId, Currency), i64> = BTreeMap::new();
    for bet in &record.bets {
        let payout = bet.payout.unwrap_or(Amount::ZERO);
        let spot = Spot::parse(game, &bet.spot).map_err(|e| format!("bet {}: {e}", bet.bet_id))?;
        let most = spot
            .max_return(bet.amount)
            .ok_or_else(|| format!("bet {}: its most return overflows", bet.bet_id))?;
        if payout.minor() < 0 || payout > most {
            return Err(format!(
                "bet {} of {} pays {payout} on a stake of {}, at most {most}",
                bet.bet_id, bet.player, bet.amount
            ));
        }
        let sum = owed.entry((&bet.player, bet.currency)).or_default();
        *sum = sum.checked_add(payout.minor()).ok_or("payouts overflow")?;
    }
    owed.retain(|_, sum| *sum != 0);
    let mut credited: BTreeMap<(&PlayerId, Currency), i64> = BTreeMap::new();
    for credit in credits {
        *credited.entry((&credit.player, credit.currency)).or_default() += credit.amount.minor();
    }
    credited.retain(|_, sum| *sum != 0);
    if owed != credited {
        return Err(format!("credits {credited:?} differ from the payouts {owed:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(payout: i64) -> RoundRecord {
        RoundRecord {
            v: records::RECORD_VERSION,
            round_id: RoundId(1),
            table: crate::domain::ids::TableId::parse("bac").unwrap(),
            game: Game::Baccarat,
            status: RoundStatus::Settling,
            opened_at_us: 0,
            finished_at_us: None,
            shoe_nonce: None,
            shoe_start: None,
            commit: None,
            cards: Vec::new(),
            pocket: None,
            outcome: None,
            bets: vec![BetRecord {
                bet_id: BetId::parse("b").unwrap(),
                player: PlayerId::parse("ann").unwrap(),
                currency: "EUR".parse().unwrap(),
                spot: "banker".into(),
                amount: Amount(1_000),
                payout: Some(Amount(payout)),
                seat: None,
            }],
            void_reason: None,
            bet_chunks: None,
        }
    }

    /// Goal: a settlement is checked before it is journaled: a payout beyond what its bet
    /// can return, or credits that are not the payouts, refuse it.
    #[test]
    fn a_settlement_that_pays_too_much_or_credits_other_sums_is_refused() {
        let fair = round(1_950);
        let credits = payout_credits(&fair, 0).unwrap();
        assert_eq!(check_settlement(Game::Baccarat, &fair, &credits), Ok(()));
        let greedy = round(9_000);
        let credits = payout_credits(&greedy, 0).unwrap();
        assert!(check_settlement(Game::Baccarat, &greedy, &credits).is_err());
        assert!(check_settlement(Game::Baccarat, &fair, &[]).is_err(), "an unpaid win");
    }
}
