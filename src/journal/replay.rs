//! Rebuilding state from the journal: wallet balances, the ledger summary, and the repairs
//! a crash leaves owed.
//!
//! Recovery policy (README "Crash recovery"): a round still `open` when the server stopped
//! is voided and every stake of it refunded; a round `settling` has its recorded payouts
//! credited. Both by deterministic txids, so running recovery twice changes nothing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::actors::wallet::WalletState;
use crate::domain::ids::{PlayerId, RoundId};
use crate::domain::money::{Amount, Currency};
use crate::journal::records::{self, LedgerRecord, RoundRecord, RoundStatus, TxKind};
use crate::journal::{txid, Journal, JournalError, Tree};

/// Per-currency totals: `player_balances + house_result == deposits - withdrawals`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CurrencySummary {
    pub deposits: i64,
    pub withdrawals: i64,
    pub player_balances: i64,
    /// Stakes taken minus payouts and refunds made.
    pub house_result: i64,
}

impl CurrencySummary {
    pub fn conserved(&self) -> bool {
        self.player_balances.checked_add(self.house_result) == self.deposits.checked_sub(self.withdrawals)
    }

    fn add(&mut self, record: &LedgerRecord) -> Option<()> {
        let amount = record.amount.minor();
        let field = match record.kind {
            TxKind::Deposit => &mut self.deposits,
            TxKind::Withdrawal => &mut self.withdrawals,
            TxKind::Stake => &mut self.house_result,
            TxKind::Payout | TxKind::Refund => {
                self.house_result = self.house_result.checked_sub(amount)?;
                self.player_balances = self.player_balances.checked_add(amount)?;
                return Some(());
            }
        };
        *field = field.checked_add(amount)?;
        self.player_balances = self.player_balances.checked_add(record.signed_amount())?;
        Some(())
    }
}

/// What a full pass over the ledger found.
#[derive(Default)]
pub struct Replayed {
    pub wallets: HashMap<PlayerId, WalletState>,
    pub summary: BTreeMap<Currency, CurrencySummary>,
    /// Inconsistencies found (empty on a healthy journal).
    pub problems: Vec<String>,
    pub ledger_records: usize,
    /// Stakes per round, for recovery.
    stakes_by_round: HashMap<RoundId, Vec<LedgerRecord>>,
}

/// Reads every ledger record.
///
/// # Errors
/// sled failure or a corrupt record.
pub fn replay_ledger(journal: &Journal) -> Result<Replayed, JournalError> {
    let mut replayed = Replayed::default();
    for entry in journal.tree(Tree::Ledger).iter() {
        let (key, value) = entry?;
        let record: LedgerRecord = records::decode("ledger", &value)?;
        if key.as_ref() != records::ledger_key(&record.player, &record.txid).as_slice() {
            replayed
                .problems
                .push(format!("ledger record {} is stored under another key", record.txid));
        }
        if replayed
            .summary
            .entry(record.currency)
            .or_default()
            .add(&record)
            .is_none()
        {
            replayed
                .problems
                .push(format!("ledger totals overflow at {}", record.txid));
        }
        if record.kind == TxKind::Stake {
            if let Some(round) = record.round_id {
                replayed.stakes_by_round.entry(round).or_default().push(record.clone());
            }
        }
        let wallet = replayed.wallets.entry(record.player.clone()).or_default();
        if let Err(problem) = wallet.replay(record) {
            replayed.problems.push(problem);
        }
        replayed.ledger_records += 1;
    }
    for (currency, summary) in &replayed.summary {
        if !summary.conserved() {
            replayed
                .problems
                .push(format!("{currency}: money is not conserved: {summary:?}"));
        }
    }
    Ok(replayed)
}

/// What the round audit found: real problems, and rounds a stop left for recovery.
#[derive(Default, Debug, Serialize)]
pub struct RoundAudit {
    pub rounds: usize,
    pub problems: Vec<String>,
    /// Rounds still open or settling: recovery finishes them at the next start.
    pub unfinished: Vec<RoundId>,
}

/// The durable movement `txid` of `player`, if any.
///
/// # Errors
/// sled failure or a corrupt record.
pub fn ledger_record(journal: &Journal, player: &PlayerId, txid: &str) -> Result<Option<LedgerRecord>, JournalError> {
    match journal.tree(Tree::Ledger).get(records::ledger_key(player, txid))? {
        Some(raw) => Ok(Some(records::decode("ledger", &raw)?)),
        None => Ok(None),
    }
}

/// As `ledger_record`, an unreadable record counting as none (`replay_ledger` reports it).
fn applied(journal: &Journal, player: &PlayerId, txid: &str) -> Option<LedgerRecord> {
    ledger_record(journal, player, txid).ok().flatten()
}

/// Checks every round record against the ledger: a settled round's stakes and payouts match
/// its record exactly once; a void round refunded every stake.
///
/// # Errors
/// sled failure or a corrupt record.
pub fn audit_rounds(journal: &Journal, replayed: &Replayed) -> Result<RoundAudit, JournalError> {
    let mut audit = RoundAudit::default();
    let ledger = |player: &PlayerId, txid: &str| applied(journal, player, txid);
    let mut recorded = std::collections::HashSet::new();
    for round in RoundRecord::all(journal) {
        let round = round?;
        audit.rounds += 1;
        recorded.insert(round.round_id);
        let id = round.round_id;
        let stakes = replayed.stakes_by_round.get(&id).map(Vec::as_slice).unwrap_or_default();
        match round.status {
            RoundStatus::Open | RoundStatus::Dealing | RoundStatus::Settling => audit.unfinished.push(id),
            RoundStatus::Void => {
                for stake in stakes {
                    if ledger(&stake.player, &txid::refund(&stake.txid)).is_none() {
                        audit
                            .problems
                            .push(format!("round {id} is void but stake {} was not refunded", stake.txid));
                    }
                }
            }
            RoundStatus::Settled => audit_settled(&round, stakes, &ledger, &mut audit.problems),
        }
    }
    for round in replayed.stakes_by_round.keys().filter(|r| !recorded.contains(r)) {
        audit.unfinished.push(*round);
    }
    Ok(audit)
}

/// A settled round: every bet's stake was taken, every payout credited, no stake left out.
fn audit_settled(
    round: &RoundRecord,
    stakes: &[LedgerRecord],
    ledger: &impl Fn(&PlayerId, &str) -> Option<LedgerRecord>,
    problems: &mut Vec<String>,
) {
    let id = round.round_id;
    for bet in &round.bets {
        let staked: i64 = stakes
            .iter()
            // A refunded stake (a double whose action was lost to a crash) was never part
            // of the bet.
            .filter(|s| s.player == bet.player && s.bet_id.as_ref() == Some(&bet.bet_id))
            .filter(|s| ledger(&s.player, &txid::refund(&s.txid)).is_none())
            .map(|s| s.amount.minor())
            .sum();
        if staked != bet.amount.minor() {
            problems.push(format!(
                "round {id} bet {}: recorded stake {} but ledger took {staked}",
                bet.bet_id, bet.amount
            ));
        }
    }
    match payout_credits(round, 0) {
        Some(credits) => {
            for credit in credits {
                let paid = ledger(&credit.player, &credit.txid).map_or(0, |r| r.amount.minor());
                if paid != credit.amount.minor() {
                    problems.push(format!(
                        "round {id}: {} of {} recorded as {} but {paid} paid",
                        credit.txid, credit.player, credit.amount
                    ));
                }
            }
        }
        None => problems.push(format!("round {id}: its payouts overflow")),
    }
    for stake in stakes {
        let placed = |b: &crate::journal::records::BetRecord| {
            b.player == stake.player && stake.bet_id.as_ref() == Some(&b.bet_id)
        };
        if !round.bets.iter().any(placed) {
            problems.push(format!("round {id} is settled without stake {}", stake.txid));
        }
    }
}

/// Ledger records and round records that finish what a crash interrupted.
#[derive(Default, Debug)]
pub struct Repairs {
    pub ledger: Vec<LedgerRecord>,
    pub rounds: Vec<RoundRecord>,
}

/// Decides the repairs owed for unfinished rounds (pure over what was read). A round that
/// was dealing is left to its table, which deals it on (`dealing_continues`); a round
/// still taking bets is voided and refunded.
///
/// # Errors
/// sled failure or a corrupt round record.
pub fn plan_repairs(
    journal: &Journal,
    replayed: &Replayed,
    now_us: i64,
    dealing_continues: impl Fn(&RoundRecord) -> bool,
) -> Result<Repairs, JournalError> {
    let mut repairs = Repairs::default();
    let applied = |player: &PlayerId, txid: &str| applied(journal, player, txid).is_some();
    let mut rounds_seen = Vec::new();
    for round in RoundRecord::all(journal) {
        let mut round = round?;
        rounds_seen.push(round.round_id);
        match round.status {
            RoundStatus::Settled => continue,
            RoundStatus::Dealing if dealing_continues(&round) => continue,
            // A void's record is durable before its refunds are sent: finish any missing.
            RoundStatus::Open | RoundStatus::Dealing | RoundStatus::Void => {
                let mut missing = false;
                for stake in replayed.stakes_by_round.get(&round.round_id).into_iter().flatten() {
                    let refund = refund_of(stake, now_us);
                    if !applied(&refund.player, &refund.txid) {
                        repairs.ledger.push(refund);
                        missing = true;
                    }
                }
                if round.status == RoundStatus::Void && !missing {
                    continue;
                }
                if round.status != RoundStatus::Void {
                    round.status = RoundStatus::Void;
                    round.void_reason = Some("server restarted during the round".into());
                }
            }
            RoundStatus::Settling => {
                // The table checks the sums before recording a round as settling; a round
                // whose sums do not fit stays unfinished (the audit names it), never settled
                // unpaid.
                let Some(credits) = payout_credits(&round, now_us) else {
                    continue;
                };
                repairs
                    .ledger
                    .extend(credits.into_iter().filter(|c| !applied(&c.player, &c.txid)));
                round.status = RoundStatus::Settled;
            }
        }
        round.finished_at_us.get_or_insert(now_us);
        repairs.rounds.push(round);
    }
    // Stakes of a round whose record never became durable: refund them too.
    for (round_id, stakes) in &replayed.stakes_by_round {
        if rounds_seen.contains(round_id) {
            continue;
        }
        for stake in stakes {
            let refund = refund_of(stake, now_us);
            if !applied(&refund.player, &refund.txid) {
                repairs.ledger.push(refund);
            }
        }
    }
    Ok(repairs)
}

/// The payout credits a round owes once its outcome is known: one per player and currency
/// with winnings, their sum, under `payout/{round}/{currency}` (a round recorded before
/// version 2: one per winning bet, under `payout/{round}/{bet_id}`). The table pays these
/// and recovery and the audit derive the same ones, so a txid moves money exactly once.
/// `None` when a sum does not fit in an amount. `session_id` is left for the payer to set.
pub fn payout_credits(round: &RoundRecord, ts_us: i64) -> Option<Vec<LedgerRecord>> {
    let credit = |player: &PlayerId, currency: Currency, amount: Amount, txid: String| LedgerRecord {
        v: records::RECORD_VERSION,
        txid,
        player: player.clone(),
        currency,
        kind: TxKind::Payout,
        amount,
        table: Some(round.table.clone()),
        round_id: Some(round.round_id),
        bet_id: None,
        spot: None,
        session_id: None,
        ts_us,
    };
    let winning = round
        .bets
        .iter()
        .filter_map(|b| Some((b, b.payout.filter(|p| p.is_positive())?)));
    if round.v < records::PAYOUTS_PER_PLAYER_SINCE {
        return Some(
            winning
                .map(|(bet, payout)| LedgerRecord {
                    bet_id: Some(bet.bet_id.clone()),
                    spot: Some(bet.spot.clone()),
                    ..credit(
                        &bet.player,
                        bet.currency,
                        payout,
                        txid::payout_of_bet(round.round_id, bet.bet_id.as_str()),
                    )
                })
                .collect(),
        );
    }
    let mut sums: BTreeMap<(&PlayerId, Currency), Amount> = BTreeMap::new();
    for (bet, payout) in winning {
        let sum = sums.entry((&bet.player, bet.currency)).or_default();
        *sum = sum.checked_add(payout)?;
    }
    Some(
        sums.into_iter()
            .map(|((player, currency), amount)| {
                credit(player, currency, amount, txid::payout(round.round_id, currency))
            })
            .collect(),
    )
}

/// The refund that cancels a stake.
pub fn refund_of(stake: &LedgerRecord, now_us: i64) -> LedgerRecord {
    LedgerRecord {
        v: records::RECORD_VERSION,
        txid: txid::refund(&stake.txid),
        kind: TxKind::Refund,
        ts_us: now_us,
        session_id: None,
        ..stake.clone()
    }
}

/// A player's most recent money movements, oldest first (operator audit).
///
/// # Errors
/// sled failure or a corrupt record.
/// One page of the whole ledger in key order (player, then txid), for audit export:
/// up to `limit` records after the key `after`, and the key to continue from when more
/// remain. Key order is stable while records are added, so paging never skips one.
///
/// # Errors
/// sled failure or a corrupt record.
pub fn ledger_page(
    journal: &Journal,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<(Vec<LedgerRecord>, Option<Vec<u8>>), JournalError> {
    use std::ops::Bound;
    let start = after.map_or(Bound::Unbounded, |key| Bound::Excluded(key.to_vec()));
    let mut page = Vec::with_capacity(limit.min(1024));
    let mut last = None;
    for entry in journal
        .tree(Tree::Ledger)
        .range::<Vec<u8>, _>((start, Bound::Unbounded))
    {
        let (key, value) = entry?;
        if page.len() == limit {
            return Ok((page, last));
        }
        page.push(records::decode::<LedgerRecord>("ledger", &value)?);
        last = Some(key.to_vec());
    }
    Ok((page, None))
}

pub fn player_history(journal: &Journal, player: &PlayerId, limit: usize) -> Result<Vec<LedgerRecord>, JournalError> {
    let mut history = Vec::new();
    for entry in journal.tree(Tree::Ledger).scan_prefix(records::ledger_prefix(player)) {
        let (_, value) = entry?;
        history.push(records::decode::<LedgerRecord>("ledger", &value)?);
    }
    history.sort_by_key(|r| r.ts_us);
    let skip = history.len().saturating_sub(limit);
    Ok(history.split_off(skip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BetId, TableId};
    use crate::domain::round::Game;
    use crate::journal::records::{BetRecord, RECORD_VERSION};

    fn round(v: u8, bets: &[(&str, &str, &str, i64)]) -> RoundRecord {
        RoundRecord {
            v,
            round_id: RoundId(7),
            table: TableId::parse("t1").unwrap(),
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
            bet_chunks: None,
            bets: bets
                .iter()
                .map(|&(player, bet_id, currency, payout)| BetRecord {
                    bet_id: BetId::parse(bet_id).unwrap(),
                    player: PlayerId::parse(player).unwrap(),
                    currency: currency.parse().unwrap(),
                    spot: "banker".into(),
                    amount: Amount(100),
                    payout: Some(Amount(payout)),
                    seat: None,
                })
                .collect(),
            void_reason: None,
        }
    }

    fn owed(credits: &[LedgerRecord]) -> Vec<(&str, &str, i64)> {
        credits
            .iter()
            .map(|c| (c.player.as_str(), c.txid.as_str(), c.amount.minor()))
            .collect()
    }

    #[test]
    fn a_player_gets_one_credit_per_currency_with_the_sum_of_their_winning_bets() {
        let bets = [
            ("ann", "a1", "EUR", 195),
            ("ann", "a2", "EUR", 0),
            ("ann", "a3", "EUR", 900),
            ("bob", "b1", "EUR", 0),
            ("cyd", "c1", "USD", 200),
            ("cyd", "c2", "EUR", 200),
        ];
        let credits = payout_credits(&round(RECORD_VERSION, &bets), 1).unwrap();
        assert_eq!(
            owed(&credits),
            [
                ("ann", "payout/7/EUR", 1095),
                ("cyd", "payout/7/EUR", 200),
                ("cyd", "payout/7/USD", 200)
            ]
        );
        assert!(credits
            .iter()
            .all(|c| c.kind == TxKind::Payout && c.round_id == Some(RoundId(7))));
    }

    #[test]
    fn a_round_recorded_at_version_1_is_paid_per_winning_bet_as_it_was() {
        let bets = [
            ("ann", "a1", "EUR", 195),
            ("ann", "a2", "EUR", 0),
            ("ann", "a3", "EUR", 900),
        ];
        let credits = payout_credits(&round(1, &bets), 1).unwrap();
        assert_eq!(
            owed(&credits),
            [("ann", "payout/7/a1", 195), ("ann", "payout/7/a3", 900)]
        );
        assert_eq!(credits[0].bet_id.as_ref().map(BetId::as_str), Some("a1"));
    }

    /// Goal: a round of many bets is stored as small values (never one big one that sled
    /// would rewrite whole), reads back exactly, survives a status change written without
    /// its bets, and a version-1 record with inline bets still reads.
    #[actix::test]
    async fn a_big_round_is_stored_in_chunks_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), 8 << 20, 64).unwrap();
        let ids: Vec<(String, String)> = (0..70).map(|n| (format!("p{}", n % 9), format!("b{n}"))).collect();
        let bets: Vec<_> = ids.iter().map(|(p, b)| (p.as_str(), b.as_str(), "EUR", 0)).collect();
        let mut record = round(RECORD_VERSION, &bets);
        let mut batch = crate::journal::Batch::new();
        record.put(&mut batch, true);
        journal.commit(batch).await.unwrap();
        let stored = journal
            .tree(Tree::Rounds)
            .get(records::round_key(record.round_id))
            .unwrap()
            .unwrap();
        assert!(
            stored.len() < 1024,
            "the round itself holds no bets: {} bytes",
            stored.len()
        );
        assert_eq!(journal.tree(Tree::RoundBets).len(), 3);
        assert_eq!(RoundRecord::get(&journal, record.round_id).unwrap().unwrap(), record);

        record.status = RoundStatus::Settled;
        let mut batch = crate::journal::Batch::new();
        record.put(&mut batch, false);
        journal.commit(batch).await.unwrap();
        assert_eq!(RoundRecord::get(&journal, record.round_id).unwrap().unwrap(), record);

        let old = RoundRecord {
            round_id: RoundId(8),
            ..round(1, &bets[..5])
        };
        let mut batch = crate::journal::Batch::new();
        batch.insert(Tree::Rounds, records::round_key(old.round_id), records::encode(&old));
        journal.commit(batch).await.unwrap();
        let all: Vec<_> = RoundRecord::all(&journal).map(Result::unwrap).collect();
        assert_eq!(all, [record, old]);
    }

    #[test]
    fn winnings_that_do_not_fit_an_amount_are_refused_not_wrapped() {
        let bets = [("ann", "a1", "EUR", i64::MAX), ("ann", "a2", "EUR", 1)];
        assert!(payout_credits(&round(RECORD_VERSION, &bets), 1).is_none());
    }
}
