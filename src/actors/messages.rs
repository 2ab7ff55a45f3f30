//! Every actix message between actors, with its reply type, in one place.

use std::collections::{BTreeMap, BTreeSet};

use actix::prelude::*;

use crate::actors::outbound::{ConnId, Outbound};
use crate::actors::table::TableActor;
use crate::actors::wallet::{WalletActor, WalletError};
use crate::domain::ids::{BetId, PlayerId, RoundId, TableId};
use crate::domain::money::{Amount, Currency};
use crate::journal::records::LedgerRecord;

/// Who is speaking: a player's connection with its session.
#[derive(Clone)]
pub struct Caller {
    pub player: PlayerId,
    pub session_id: String,
    pub currency: Currency,
    pub out: Outbound,
    pub wallet: Addr<WalletActor>,
}

// ---- Table ----

/// Subscribe a connection to a table's events. With `last_seq` (and the `epoch` it was
/// seen in) the table replays what was missed, else it sends a snapshot.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    pub req: Option<u64>,
    pub caller: Caller,
    pub last_seq: Option<u64>,
    pub epoch: Option<u64>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub conn: ConnId,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct PlaceBet {
    pub req: Option<u64>,
    pub caller: Caller,
    pub round_id: RoundId,
    pub spot: String,
    pub amount: i64,
    pub bet_id: BetId,
}

/// A blackjack decision.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Act {
    pub req: Option<u64>,
    pub caller: Caller,
    pub round_id: RoundId,
    pub hand: u8,
    pub action: String,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct ClientSeed {
    pub req: Option<u64>,
    pub caller: Caller,
    pub seed: String,
}

/// A dealer console command; the table answers on `out` with `ack`/`error`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DealerCommand {
    pub req: Option<u64>,
    pub out: Outbound,
    pub command: DealerAction,
}

#[derive(Clone, Debug)]
pub enum DealerAction {
    /// Subscribe the console to the table's events and bets.
    Attach,
    Detach,
    OpenRound,
    CloseBetting,
    Deal {
        card: String,
        position: Option<String>,
    },
    Spin {
        pocket: u8,
    },
    Undo,
    Burn {
        card: String,
    },
    ChangeShoe,
    Void {
        reason: String,
    },
    Pause,
    Resume,
}

// ---- Wallet ----

/// Debit a stake; durable before the reply.
#[derive(Message)]
#[rtype(result = "Result<Amount, WalletError>")]
pub struct Debit(pub LedgerRecord);

/// Credit a payout, refund or deposit; durable before the reply. Idempotent by txid.
#[derive(Message)]
#[rtype(result = "Result<Amount, WalletError>")]
pub struct Credit(pub LedgerRecord);

#[derive(Message)]
#[rtype(result = "BTreeMap<Currency, Amount>")]
pub struct GetBalances;

/// Push `balance` frames to this connection after every change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct WatchBalance {
    pub out: Outbound,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct UnwatchBalance {
    pub conn: ConnId,
}

// ---- Bank (wallet registry) ----

#[derive(Message)]
#[rtype(result = "Addr<WalletActor>")]
pub struct GetWallet(pub PlayerId);

// ---- Lobby ----

/// A table's public state, sent by the table to the lobby on every phase change.
#[derive(Message, Clone, Debug, serde::Serialize)]
#[rtype(result = "()")]
pub struct TableStatus {
    pub id: TableId,
    pub phase: &'static str,
    pub round_id: Option<RoundId>,
    pub players: usize,
    pub closes_at: Option<i64>,
    /// Most recent results first, short labels (`B`, `P`, `T`, `D`, `17`, …).
    pub recent: Vec<String>,
}

#[derive(Message)]
#[rtype(result = "Vec<serde_json::Value>")]
pub struct GetLobby;

/// The currencies at least one table takes (has limits for): a session in any other
/// currency could not bet anywhere, so its launch is refused.
#[derive(Message)]
#[rtype(result = "BTreeSet<Currency>")]
pub struct GetCurrencies;

#[derive(Message)]
#[rtype(result = "Option<TableHandle>")]
pub struct FindTable(pub TableId);

/// A table as sockets reach it: the messages a table takes, without its actor's type (the
/// transport knows tables only through this).
#[derive(Clone)]
pub struct TableHandle(Addr<TableActor>);

impl TableHandle {
    pub fn new(addr: Addr<TableActor>) -> TableHandle {
        TableHandle(addr)
    }

    /// Queues `msg` for the table; false when its mailbox is full (`mailbox_max`): the
    /// caller answers `busy` instead of waiting.
    pub fn try_send<M: ForTable>(&self, msg: M) -> bool {
        msg.try_send_to(&self.0)
    }

    /// Queues `msg` even past the mailbox bound: for leaving and detaching, which free
    /// the table's resources and must not be lost.
    pub fn do_send<M: ForTable>(&self, msg: M) {
        msg.do_send_to(&self.0);
    }
}

/// A message a socket sends a table.
pub trait ForTable: Message<Result = ()> + Send + 'static + Sized {
    fn try_send_to(self, table: &Addr<TableActor>) -> bool;
    fn do_send_to(self, table: &Addr<TableActor>);
}

impl<M> ForTable for M
where
    M: Message<Result = ()> + Send + 'static,
    TableActor: Handler<M>,
{
    fn try_send_to(self, table: &Addr<TableActor>) -> bool {
        table.try_send(self).is_ok()
    }

    fn do_send_to(self, table: &Addr<TableActor>) {
        table.do_send(self);
    }
}
