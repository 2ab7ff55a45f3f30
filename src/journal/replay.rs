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
use crate::domain::money::Currency;
use crate::journal::records::{self, LedgerRecord, RoundRecord, RoundStatus, TxKind};
use crate::journal::{Journal, JournalError, Tree};

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
    for entry in journal.tree(Tree::Rounds).iter() {
        let (_, value) = entry?;
        let round: RoundRecord = records::decode("rounds", &value)?;
        audit.rounds += 1;
        recorded.insert(round.round_id);
        let id = round.round_id;
        let stakes = replayed.stakes_by_round.get(&id).map(Vec::as_slice).unwrap_or_default();
        match round.status {
            RoundStatus::Open | RoundStatus::Dealing | RoundStatus::Settling => audit.unfinished.push(id),
            RoundStatus::Void => {
                for stake in stakes {
                    if ledger(&stake.player, &refund_txid(&stake.txid)).is_none() {
                        audit
                            .problems
                            .push(format!("round {id} is void but stake {} was not refunded", stake.txid));
                    }
                }
            }
            RoundStatus::Settled => {
                for bet in &round.bets {
                    let staked: i64 = stakes
                        .iter()
                        // A refunded stake (a double whose action was lost to a crash) was
                        // never part of the bet.
                        .filter(|s| s.player == bet.player && s.bet_id.as_ref() == Some(&bet.bet_id))
                        .filter(|s| ledger(&s.player, &refund_txid(&s.txid)).is_none())
                        .map(|s| s.amount.minor())
                        .sum();
                    if staked != bet.amount.minor() {
                        audit.problems.push(format!(
                            "round {id} bet {}: recorded stake {} but ledger took {staked}",
                            bet.bet_id, bet.amount
                        ));
                    }
                    let paid =
                        ledger(&bet.player, &payout_txid(id, bet.bet_id.as_str())).map_or(0, |r| r.amount.minor());
                    if paid != bet.payout.map_or(0, |p| p.minor()) {
                        audit.problems.push(format!(
                            "round {id} bet {}: payout {:?} recorded but {paid} paid",
                            bet.bet_id, bet.payout
                        ));
                    }
                }
                for stake in stakes {
                    if !round
                        .bets
                        .iter()
                        .any(|b| b.player == stake.player && stake.bet_id.as_ref() == Some(&b.bet_id))
                    {
                        audit
                            .problems
                            .push(format!("round {id} is settled without stake {}", stake.txid));
                    }
                }
            }
        }
    }
    for round in replayed.stakes_by_round.keys().filter(|r| !recorded.contains(r)) {
        audit.unfinished.push(*round);
    }
    Ok(audit)
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
    for entry in journal.tree(Tree::Rounds).iter() {
        let (_, value) = entry?;
        let mut round: RoundRecord = records::decode("rounds", &value)?;
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
                for bet in &round.bets {
                    let Some(payout) = bet.payout.filter(|p| p.is_positive()) else {
                        continue;
                    };
                    let txid = payout_txid(round.round_id, bet.bet_id.as_str());
                    if !applied(&bet.player, &txid) {
                        repairs.ledger.push(LedgerRecord {
                            v: records::RECORD_VERSION,
                            txid,
                            player: bet.player.clone(),
                            currency: bet.currency,
                            kind: TxKind::Payout,
                            amount: payout,
                            table: Some(round.table.clone()),
                            round_id: Some(round.round_id),
                            bet_id: Some(bet.bet_id.clone()),
                            spot: Some(bet.spot.clone()),
                            session_id: None,
                            ts_us: now_us,
                        });
                    }
                }
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

pub fn stake_txid(round: RoundId, bet_id: &str) -> String {
    format!("stake/{round}/{bet_id}")
}

pub fn payout_txid(round: RoundId, bet_id: &str) -> String {
    format!("payout/{round}/{bet_id}")
}

pub fn refund_txid(stake_txid: &str) -> String {
    format!("refund/{stake_txid}")
}

/// The refund that cancels a stake.
pub fn refund_of(stake: &LedgerRecord, now_us: i64) -> LedgerRecord {
    LedgerRecord {
        v: records::RECORD_VERSION,
        txid: refund_txid(&stake.txid),
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
