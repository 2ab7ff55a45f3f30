//! Recovery: a round a crash interrupted after betting closed is rebuilt from its record
//! and its journaled events, its wallets found again, and dealt on (or voided).

use std::collections::HashMap;

use actix::prelude::*;

use crate::actors::messages::{Credit, GetWallet};
use crate::actors::wallet::BankActor;
use crate::clock::now_us;
use crate::domain::games::blackjack;
use crate::domain::ids::{PlayerId, RoundId};
use crate::domain::round::{Bet, Command, Game, Round, Spot};
use crate::journal::events::{self, StoredEvent};
use crate::journal::records::RoundRecord;
use crate::journal::replay::{ledger_record, refund_of};
use crate::journal::txid;
use crate::journal::{self, table_prefix, Tree};

use super::*;

impl TableActor {
    /// Rebuilds an interrupted round from its record (the bets at close) and the cards,
    /// actions and ball journaled after it. Returns the round and how many extra stakes
    /// (doubles, splits) its actions took.
    pub(super) fn rebuild_round(&self, record: &RoundRecord) -> Result<(Round, u32), String> {
        let rules = self.config.blackjack_rules();
        let mut bets = Vec::with_capacity(record.bets.len());
        for bet in &record.bets {
            bets.push(Bet {
                bet_id: bet.bet_id.clone(),
                player: bet.player.clone(),
                currency: bet.currency,
                spot: Spot::parse(self.config.game, &bet.spot).map_err(|e| e.to_string())?,
                amount: bet.amount,
                seat: bet.seat,
                confirmed: true,
            });
        }
        let mut round = Round::closed_with(record.round_id, self.config.game, record.opened_at_us, rules, bets)
            .map_err(|e| e.to_string())?;
        let mut extra_stakes = 0;
        for event in self.round_events(record.round_id)? {
            let step = match &event {
                StoredEvent::Card { to, card, .. } => {
                    let deal = Command::DealCard {
                        card: *card,
                        position: Some(to.clone()),
                    };
                    round.apply(deal, now_us()).map(drop)
                }
                StoredEvent::Action { seat, hand, action, .. } => {
                    action.parse::<blackjack::Action>().and_then(|action| {
                        let extra = round.extra_stake(*seat, *hand, action)?;
                        let act = Command::Act {
                            seat: *seat,
                            hand: *hand,
                            action,
                        };
                        round.apply(act, now_us())?;
                        extra_stakes += u32::from(extra.is_positive());
                        Ok(())
                    })
                }
                StoredEvent::Ball { pocket, .. } => {
                    round.apply(Command::LandBall { pocket: *pocket }, now_us()).map(drop)
                }
                _ => Ok(()),
            };
            step.map_err(|error| format!("{error} replaying {event:?}"))?;
        }
        Ok((round, extra_stakes))
    }

    /// Round `round_id`'s events, oldest first, read back from the end of the stream.
    ///
    /// # Errors
    /// An event that cannot be read: recovery reports it rather than guess.
    pub(super) fn round_events(&self, round_id: RoundId) -> Result<Vec<StoredEvent>, String> {
        let mut found = Vec::new();
        for entry in self
            .journal
            .tree(Tree::Events)
            .scan_prefix(table_prefix(self.id()))
            .rev()
        {
            let (key, value) = entry.map_err(|e| e.to_string())?;
            let read = events::decode(&value).map_err(|e| format!("event {:?}: {e}", journal::table_key_n(&key)))?;
            let event = read.into_record().event;
            if event.round_id() != Some(round_id) {
                continue;
            }
            if matches!(event, StoredEvent::RoundOpen { .. }) {
                break;
            }
            found.push(event);
        }
        found.reverse();
        Ok(found)
    }

    /// Takes up the interrupted round: finds its players' wallets and refunds a double or
    /// split whose stake was taken but whose action never made it into the stream, then
    /// deals on (or voids it, when it cannot be rebuilt).
    pub(super) fn take_up_interrupted(&mut self, ctx: &mut Context<Self>, record: RoundRecord, bank: Addr<BankActor>) {
        let (round, extra_stakes, void) = match self.rebuild_round(&record) {
            Ok((round, extra_stakes)) => (round, extra_stakes, None),
            Err(error) => {
                tracing::error!(table = %self.config.id, round = %record.round_id, error = %error, "cannot rebuild the interrupted round; voiding it");
                let rules = self.config.blackjack_rules();
                let mut round = Round::open(record.round_id, self.config.game, record.opened_at_us, rules);
                let _ = round.apply(Command::CloseBetting, now_us());
                (round, 0, Some(format!("server restarted during the round ({error})")))
            }
        };
        tracing::info!(table = %self.config.id, round = %record.round_id, cards = round.cards().len(), "dealing on the round a restart interrupted");
        let journal = self.journal.clone();
        let stake_of = move |player: &PlayerId, txid: &str| ledger_record(&journal, player, txid).ok().flatten();
        let round_id = record.round_id;
        let blackjack = self.config.game == Game::Blackjack;
        let bets = record.bets.clone();
        self.live = Some(LiveRound::new(
            round,
            record.opened_at_us,
            record.shoe_start,
            extra_stakes,
        ));
        let work = async move {
            let mut wallets = HashMap::new();
            for bet in &bets {
                if wallets.contains_key(&bet.player) {
                    continue;
                }
                let Ok(wallet) = bank.send(GetWallet(bet.player.clone())).await else {
                    continue;
                };
                let session = stake_of(&bet.player, &txid::stake(round_id, bet.bet_id.as_str()))
                    .and_then(|stake| stake.session_id)
                    .unwrap_or_default();
                wallets.insert(bet.player.clone(), (wallet, session));
            }
            if blackjack {
                for bet in &bets {
                    // A double or split paid for whose action never reached the journal.
                    let txid = txid::extra_stake(round_id, bet.bet_id.as_str(), extra_stakes + 1);
                    let (Some(stake), Some((wallet, _))) = (stake_of(&bet.player, &txid), wallets.get(&bet.player))
                    else {
                        continue;
                    };
                    if !matches!(wallet.send(Credit(refund_of(&stake, now_us()))).await, Ok(Ok(_))) {
                        tracing::error!(round = %round_id, txid = %txid, "refund of an unapplied double or split failed");
                    }
                }
            }
            wallets
        };
        // `wait`: nothing (a dealer's card, a player's action) may touch the round before
        // the wallets that will pay it are known.
        ctx.wait(work.into_actor(self).map(move |wallets, act, ctx| {
            let Some(live) = act.live.as_mut() else { return };
            live.wallets = wallets;
            match void {
                Some(reason) => act.void_round(ctx, reason, None),
                None => act.after_change(ctx),
            }
            act.report_status();
        }));
    }
}
