//! `WalletActor`: serialises every debit and credit of one player; `BankActor` finds or
//! starts a player's wallet, rebuilding its balances from the ledger.
//!
//! A wallet takes a debit from the balance at once (so concurrent bets at several tables
//! can never overdraw) and adds a credit only once it is durable; it replies only once the
//! journal says the movement is durable. Every movement is idempotent by txid: the journal
//! writes a ledger record only under a new (player, txid) key. Wallets never touch table
//! state.

use std::collections::{BTreeMap, HashMap};

use actix::prelude::*;

use crate::actors::messages::{Credit, Debit, GetBalances, GetWallet, UnwatchBalance, WatchBalance};
use crate::actors::outbound::{ConnId, Outbound};
use crate::domain::ids::PlayerId;
use crate::domain::money::{Amount, Currency};
use crate::journal::records::{self, LedgerRecord, TxKind};
use crate::journal::{self, replay, Batch, Committed, Journal, JournalError, Tree};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("this transaction id was already used for a different movement")]
    DuplicateTransaction,
    #[error("the same transaction is still being written; retry")]
    InFlight,
    #[error("amount out of range")]
    BadAmount,
    #[error("the journal is busy; retry")]
    Busy,
    #[error("internal error")]
    Internal,
}

impl WalletError {
    pub fn code(&self) -> &'static str {
        match self {
            WalletError::InsufficientFunds => "insufficient_funds",
            WalletError::DuplicateTransaction => "duplicate_transaction",
            WalletError::InFlight | WalletError::Busy => "busy",
            WalletError::BadAmount => "bad_amount",
            WalletError::Internal => "internal",
        }
    }
}

impl From<JournalError> for WalletError {
    fn from(error: JournalError) -> Self {
        match error {
            JournalError::Busy => WalletError::Busy,
            other => {
                tracing::error!(error = %other, "wallet journal write failed");
                WalletError::Internal
            }
        }
    }
}

/// A player's money as rebuilt from the ledger. Which txids were applied is answered by
/// the ledger itself (keyed by player and txid), so memory does not grow with history.
#[derive(Default, Clone)]
pub struct WalletState {
    pub balances: BTreeMap<Currency, Amount>,
}

impl WalletState {
    /// Applies a durable record during replay.
    ///
    /// # Errors
    /// The record would overflow or make a balance negative: the ledger is inconsistent.
    pub fn replay(&mut self, record: LedgerRecord) -> Result<(), String> {
        let balance = self.balances.entry(record.currency).or_default();
        let next = Amount(
            balance
                .minor()
                .checked_add(record.signed_amount())
                .ok_or("balance overflow")?,
        );
        if next.minor() < 0 {
            return Err(format!(
                "balance of {} in {} goes negative at {}",
                record.player, record.currency, record.txid
            ));
        }
        *balance = next;
        Ok(())
    }
}

/// Amounts of one currency being journaled.
#[derive(Default, Clone, Copy)]
struct Held {
    debits: i64,
    credits: i64,
}

pub struct WalletActor {
    player: PlayerId,
    journal: Journal,
    state: WalletState,
    /// Records journaled but not yet durable: a repeat must wait, not be acknowledged early.
    in_flight: HashMap<String, LedgerRecord>,
    /// Per currency, debits (already out of the balance) and credits (not yet in it)
    /// being journaled.
    held: HashMap<Currency, Held>,
    /// Connections of this player that get a `balance` push after every change; a closed
    /// one is dropped at the next push.
    watchers: HashMap<ConnId, Outbound>,
    /// Currencies whose balance changed since the last push.
    unpushed: Vec<Currency>,
    mailbox_max: usize,
}

impl WalletActor {
    fn balance(&self, currency: Currency) -> Amount {
        self.state.balances.get(&currency).copied().unwrap_or_default()
    }

    /// Journals a movement; the future resolves once it is durable.
    ///
    /// A debit is taken from the balance at once (concurrent bets can never overdraw) and
    /// given back if the journal refuses it; a credit counts only once durable, so a
    /// credit that turns out to be a repeat was never spendable. The journal writes the
    /// record only if its (player, txid) key is new: that is the idempotency check, with
    /// no read before the write.
    fn apply(&mut self, record: LedgerRecord) -> ResponseActFuture<Self, Result<Amount, WalletError>> {
        if let Some(existing) = self.in_flight.get(&record.txid) {
            let result = if existing.same_movement(&record) {
                Err(WalletError::InFlight)
            } else {
                Err(WalletError::DuplicateTransaction)
            };
            return Box::pin(fut::ready(result));
        }
        if !record.amount.is_positive() {
            return Box::pin(fut::ready(Err(WalletError::BadAmount)));
        }
        let currency = record.currency;
        let amount = record.amount.minor();
        let debit = record.kind.sign() < 0;
        let current = self.balance(currency).minor();
        let held = self.held.get(&currency).copied().unwrap_or_default();
        let refusal = if debit {
            (current < amount).then_some(WalletError::InsufficientFunds)
        } else {
            // Whichever of the held movements are written, the balance must stay in i64.
            let most = i128::from(current) + i128::from(held.debits) + i128::from(held.credits) + i128::from(amount);
            (most > i128::from(i64::MAX)).then_some(WalletError::BadAmount)
        };
        if let Some(refusal) = refusal {
            // The repeat of a movement applied when it still fitted is answered as applied.
            let result = match replay::ledger_record(&self.journal, &self.player, &record.txid) {
                Ok(Some(existing)) => self.answer_repeat(&existing, &record),
                Ok(None) => Err(refusal),
                Err(error) => Err(error.into()),
            };
            return Box::pin(fut::ready(result));
        }
        let batch = Batch::insert_new(
            Tree::Ledger,
            records::ledger_key(&record.player, &record.txid),
            records::encode(&record),
        );
        let durable = match self.journal.submit(batch) {
            Ok(durable) => durable,
            Err(error) => return Box::pin(fut::ready(Err(error.into()))),
        };
        self.hold(currency, amount, debit);
        let txid = record.txid.clone();
        self.in_flight.insert(txid.clone(), record);
        Box::pin(journal::wait(durable).into_actor(self).map(move |result, act, ctx| {
            let record = act.in_flight.remove(&txid).expect("in flight until durable");
            act.release(currency, amount, debit);
            match result {
                Ok(Committed::Written) => act.written(&record, ctx),
                Ok(Committed::Exists(raw)) => match records::decode::<LedgerRecord>("ledger", &raw) {
                    Ok(existing) => act.answer_repeat(&existing, &record),
                    Err(error) => Err(error.into()),
                },
                // The writer aborts the process on a failed flush; this is a stopped journal.
                Err(error) => Err(error.into()),
            }
        }))
    }

    /// A durable movement reaches the balance. It can never take it below zero while
    /// debits are refused past the balance; if it would, the ledger is inconsistent: that
    /// is said in full and nothing moves.
    fn written(&mut self, record: &LedgerRecord, ctx: &mut Context<Self>) -> Result<Amount, WalletError> {
        let balance = self.state.balances.entry(record.currency).or_default();
        let next = balance.minor().checked_add(record.signed_amount()).filter(|b| *b >= 0);
        let Some(next) = next else {
            tracing::error!(player = %self.player, balance = %balance, record = ?record, "a written movement takes the balance below zero");
            return Err(WalletError::Internal);
        };
        *balance = Amount(next);
        self.balance_changed(record.currency, ctx);
        Ok(Amount(next))
    }

    /// Sets a movement's amount aside while it is journaled: a debit leaves the balance
    /// at once, a credit is counted against overflow.
    fn hold(&mut self, currency: Currency, amount: i64, debit: bool) {
        let held = self.held.entry(currency).or_default();
        if debit {
            held.debits += amount;
            let balance = self.state.balances.entry(currency).or_default();
            *balance = Amount(balance.minor() - amount);
        } else {
            held.credits += amount;
        }
    }

    /// Undoes [`Self::hold`]; the movement's effect, if written, is applied by the caller.
    fn release(&mut self, currency: Currency, amount: i64, debit: bool) {
        self.hold(currency, -amount, debit);
    }

    /// A txid already in the ledger: the same movement is answered as done (nothing moves
    /// again); another movement under that txid is refused.
    fn answer_repeat(&self, existing: &LedgerRecord, record: &LedgerRecord) -> Result<Amount, WalletError> {
        if existing.same_movement(record) {
            Ok(self.balance(record.currency))
        } else {
            Err(WalletError::DuplicateTransaction)
        }
    }

    /// Schedules a `balance` push. Movements that become durable together (one group
    /// commit: a player's several bets placed at once) are pushed once, with the resulting
    /// amount: the push runs after the other completions ready in this turn of the actor.
    fn balance_changed(&mut self, currency: Currency, ctx: &mut Context<Self>) {
        if self.watchers.is_empty() {
            return;
        }
        if self.unpushed.is_empty() {
            ctx.spawn(fut::ready(()).map(|(), act: &mut Self, _| act.push_balances()));
        }
        if !self.unpushed.contains(&currency) {
            self.unpushed.push(currency);
        }
    }

    fn push_balances(&mut self) {
        // One per burst of movements.
        for currency in std::mem::take(&mut self.unpushed) {
            let balance = crate::wire::message::Money {
                amount: self.balance(currency),
                currency,
            };
            let frame = crate::wire::message::ServerMsg::Balance(balance).encode();
            self.watchers.retain(|_, out| out.send(frame.clone()));
        }
    }
}

impl Actor for WalletActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.mailbox_max);
    }
}

impl Handler<Debit> for WalletActor {
    type Result = ResponseActFuture<Self, Result<Amount, WalletError>>;

    fn handle(&mut self, Debit(record): Debit, _: &mut Self::Context) -> Self::Result {
        debug_assert!(matches!(record.kind, TxKind::Stake | TxKind::Withdrawal));
        debug_assert_eq!(record.player, self.player);
        self.apply(record)
    }
}

impl Handler<Credit> for WalletActor {
    type Result = ResponseActFuture<Self, Result<Amount, WalletError>>;

    fn handle(&mut self, Credit(record): Credit, _: &mut Self::Context) -> Self::Result {
        debug_assert!(record.kind.sign() > 0);
        self.apply(record)
    }
}

impl Handler<GetBalances> for WalletActor {
    type Result = MessageResult<GetBalances>;

    fn handle(&mut self, _: GetBalances, _: &mut Self::Context) -> Self::Result {
        // Whoever asks (a table about to send `settled`) tells the player after the push.
        self.push_balances();
        MessageResult(self.state.balances.clone())
    }
}

impl Handler<WatchBalance> for WalletActor {
    type Result = ();

    fn handle(&mut self, msg: WatchBalance, _: &mut Self::Context) {
        self.watchers.insert(msg.out.conn, msg.out);
    }
}

impl Handler<UnwatchBalance> for WalletActor {
    type Result = ();

    fn handle(&mut self, msg: UnwatchBalance, _: &mut Self::Context) {
        self.watchers.remove(&msg.conn);
    }
}

/// Finds or starts wallets. Holds the states rebuilt at start-up until each wallet starts.
pub struct BankActor {
    journal: Journal,
    wallets: HashMap<PlayerId, Addr<WalletActor>>,
    /// States loaded from the ledger at start-up, handed over when a wallet first starts.
    dormant: HashMap<PlayerId, WalletState>,
    mailbox_max: usize,
}

impl BankActor {
    pub fn new(journal: Journal, dormant: HashMap<PlayerId, WalletState>, mailbox_max: usize) -> BankActor {
        BankActor {
            journal,
            wallets: HashMap::new(),
            dormant,
            mailbox_max,
        }
    }
}

impl Actor for BankActor {
    type Context = Context<Self>;
}

impl Handler<GetWallet> for BankActor {
    type Result = MessageResult<GetWallet>;

    fn handle(&mut self, GetWallet(player): GetWallet, _: &mut Self::Context) -> Self::Result {
        let addr = self.wallets.entry(player.clone()).or_insert_with(|| {
            let state = self.dormant.remove(&player).unwrap_or_default();
            WalletActor {
                player,
                journal: self.journal.clone(),
                state,
                in_flight: HashMap::new(),
                held: HashMap::new(),
                watchers: HashMap::new(),
                unpushed: Vec::new(),
                mailbox_max: self.mailbox_max,
            }
            .start()
        });
        MessageResult(addr.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(txid: &str, kind: TxKind, amount: i64) -> LedgerRecord {
        LedgerRecord {
            v: records::RECORD_VERSION,
            txid: txid.into(),
            player: PlayerId::parse("ann").unwrap(),
            currency: "EUR".parse().unwrap(),
            kind,
            amount: Amount(amount),
            table: None,
            round_id: None,
            bet_id: None,
            spot: None,
            session_id: None,
            ts_us: 0,
        }
    }

    /// Goal: every movement is applied once per txid, also when the balance has moved on
    /// so far that the repeat would no longer fit (it is answered as applied, not refused).
    #[actix::test]
    async fn a_txid_moves_money_once_and_its_repeat_is_answered_as_applied() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), 8 << 20, 64).unwrap();
        let bank = BankActor::new(journal, HashMap::new(), 64).start();
        let wallet = bank.send(GetWallet(PlayerId::parse("ann").unwrap())).await.unwrap();
        let debit = |txid, amount| wallet.send(Debit(record(txid, TxKind::Stake, amount)));
        let credit = |txid, amount| wallet.send(Credit(record(txid, TxKind::Deposit, amount)));

        assert_eq!(credit("d1", 1_000).await.unwrap(), Ok(Amount(1_000)));
        assert_eq!(
            credit("d1", 1_000).await.unwrap(),
            Ok(Amount(1_000)),
            "a repeat moves nothing"
        );
        assert_eq!(credit("d1", 7).await.unwrap(), Err(WalletError::DuplicateTransaction));
        assert_eq!(debit("s1", 800).await.unwrap(), Ok(Amount(200)));
        assert_eq!(
            debit("s1", 800).await.unwrap(),
            Ok(Amount(200)),
            "no longer fits, yet applied"
        );
        assert_eq!(debit("s1", 900).await.unwrap(), Err(WalletError::DuplicateTransaction));
        assert_eq!(debit("d1", 100).await.unwrap(), Err(WalletError::DuplicateTransaction));
        assert_eq!(debit("s2", 300).await.unwrap(), Err(WalletError::InsufficientFunds));
        assert_eq!(debit("s3", 0).await.unwrap(), Err(WalletError::BadAmount));
        let balances = wallet.send(GetBalances).await.unwrap();
        assert_eq!(balances.get(&"EUR".parse().unwrap()), Some(&Amount(200)));
    }

    /// Goal: a player's connection is told every balance the wallet reaches once movements
    /// are durable; bets that became durable together may share a push, but the last push
    /// always shows where the balance ended, and it arrives before `GetBalances` answers (a
    /// table's `settled` frame follows the balance pushes).
    #[actix::test]
    async fn the_last_balance_push_shows_the_balance_after_a_burst_of_bets() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), 8 << 20, 64).unwrap();
        let bank = BankActor::new(journal, HashMap::new(), 64).start();
        let wallet = bank.send(GetWallet(PlayerId::parse("ann").unwrap())).await.unwrap();
        let (out, mut pushes) = Outbound::channel(64);
        wallet.send(WatchBalance { out }).await.unwrap();
        wallet
            .send(Credit(record("d1", TxKind::Deposit, 10_000)))
            .await
            .unwrap()
            .unwrap();
        let bets: Vec<_> = (0..8)
            .map(|n| wallet.send(Debit(record(&format!("s{n}"), TxKind::Stake, 100 + n))))
            .collect();
        for bet in futures_util::future::join_all(bets).await {
            bet.unwrap().unwrap();
        }
        wallet.send(GetBalances).await.unwrap();
        let mut amounts = Vec::new();
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        while let std::task::Poll::Ready(Some(crate::actors::outbound::Next::Send(
            crate::actors::outbound::Frame::Text(text),
        ))) = pushes.poll_next(&mut cx)
        {
            let push: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(push["type"], "balance");
            amounts.push(push["amount"].as_i64().unwrap());
        }
        assert_eq!(amounts.first(), Some(&10_000), "the deposit is pushed: {amounts:?}");
        assert_eq!(amounts.last(), Some(&(10_000 - 8 * 100 - 28)), "{amounts:?}");
        assert!(amounts.len() <= 9, "at most one push per movement: {amounts:?}");
    }
}
