//! `WalletActor`: serialises every debit and credit of one player; `BankActor` finds or
//! starts a player's wallet, rebuilding its balances from the ledger.
//!
//! A wallet reserves a debit in memory at once (so concurrent bets at several tables can
//! never overdraw), journals it, and replies only once the journal says it is durable.
//! Every movement is idempotent by txid. Wallets never touch table state.

use std::collections::{BTreeMap, HashMap};

use actix::prelude::*;
use serde_json::json;

use crate::actors::messages::{Credit, Debit, GetBalances, GetWallet, UnwatchBalance, WatchBalance};
use crate::actors::outbound::{ConnId, Outbound};
use crate::domain::ids::PlayerId;
use crate::domain::money::{Amount, Currency};
use crate::journal::records::{self, LedgerRecord, TxKind};
use crate::journal::{self, replay, Batch, Journal, JournalError, Tree};

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

pub struct WalletActor {
    player: PlayerId,
    journal: Journal,
    state: WalletState,
    /// Records journaled but not yet durable: a repeat must wait, not be acknowledged early.
    in_flight: HashMap<String, LedgerRecord>,
    /// Connections of this player that get a `balance` push after every change; a closed
    /// one is dropped at the next push.
    watchers: HashMap<ConnId, Outbound>,
    mailbox_max: usize,
}

impl WalletActor {
    fn balance(&self, currency: Currency) -> Amount {
        self.state.balances.get(&currency).copied().unwrap_or_default()
    }

    /// Applies a movement in memory and journals it; the future resolves once durable.
    fn apply(
        &mut self,
        record: LedgerRecord,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Amount, WalletError>> {
        if let Some(existing) = self.in_flight.get(&record.txid) {
            let result = if existing.same_movement(&record) {
                Err(WalletError::InFlight)
            } else {
                Err(WalletError::DuplicateTransaction)
            };
            return Box::pin(fut::ready(result));
        }
        match replay::ledger_record(&self.journal, &self.player, &record.txid) {
            Ok(Some(existing)) => {
                let result = if existing.same_movement(&record) {
                    Ok(self.balance(record.currency))
                } else {
                    Err(WalletError::DuplicateTransaction)
                };
                return Box::pin(fut::ready(result));
            }
            Ok(None) => {}
            Err(error) => return Box::pin(fut::ready(Err(error.into()))),
        }
        if !record.amount.is_positive() {
            return Box::pin(fut::ready(Err(WalletError::BadAmount)));
        }
        let current = self.balance(record.currency);
        let Some(next) = current.minor().checked_add(record.signed_amount()).map(Amount) else {
            return Box::pin(fut::ready(Err(WalletError::BadAmount)));
        };
        if next.minor() < 0 {
            return Box::pin(fut::ready(Err(WalletError::InsufficientFunds)));
        }
        let mut batch = Batch::new();
        batch.insert(
            Tree::Ledger,
            records::ledger_key(&record.player, &record.txid),
            records::encode(&record),
        );
        let durable = match self.journal.submit(batch) {
            Ok(durable) => durable,
            Err(error) => return Box::pin(fut::ready(Err(error.into()))),
        };
        let _ = ctx;
        let txid = record.txid.clone();
        let currency = record.currency;
        self.state.balances.insert(currency, next);
        self.in_flight.insert(txid.clone(), record);
        Box::pin(journal::wait(durable).into_actor(self).map(move |result, act, _| {
            act.in_flight.remove(&txid);
            match result {
                Ok(()) => {
                    let balance = act.balance(currency);
                    act.push_balance(currency, balance);
                    Ok(balance)
                }
                // The writer aborts the process on a failed flush; this is a stopped journal.
                Err(error) => Err(error.into()),
            }
        }))
    }

    fn push_balance(&mut self, currency: Currency, amount: Amount) {
        if self.watchers.is_empty() {
            return;
        }
        let frame: bytestring::ByteString = json!({"type": "balance", "amount": amount, "currency": currency})
            .to_string()
            .into();
        self.watchers.retain(|_, out| out.send(frame.clone()));
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

    fn handle(&mut self, Debit(record): Debit, ctx: &mut Self::Context) -> Self::Result {
        debug_assert!(matches!(record.kind, TxKind::Stake | TxKind::Withdrawal));
        debug_assert_eq!(record.player, self.player);
        self.apply(record, ctx)
    }
}

impl Handler<Credit> for WalletActor {
    type Result = ResponseActFuture<Self, Result<Amount, WalletError>>;

    fn handle(&mut self, Credit(record): Credit, ctx: &mut Self::Context) -> Self::Result {
        debug_assert!(record.kind.sign() > 0);
        self.apply(record, ctx)
    }
}

impl Handler<GetBalances> for WalletActor {
    type Result = MessageResult<GetBalances>;

    fn handle(&mut self, _: GetBalances, _: &mut Self::Context) -> Self::Result {
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
                watchers: HashMap::new(),
                mailbox_max: self.mailbox_max,
            }
            .start()
        });
        MessageResult(addr.clone())
    }
}
