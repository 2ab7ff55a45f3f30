//! Versioned records stored in the journal, and their keys. Every record carries `v`.
//!
//! Changing a record means adding a version and reading both: old journals must keep loading.

use serde::{Deserialize, Serialize};

use crate::domain::cards::Card;
use crate::domain::ids::{BetId, PlayerId, RoundId, TableId};
use crate::domain::money::{Amount, Currency};
use crate::domain::round::Game;
use crate::journal::{table_key, Batch, Journal, JournalError, Tree};

/// 2: a settled round pays one credit per player and currency (`payout/{round}/{currency}`,
/// the sum of that player's winning bets), and its bets are stored apart from it, in chunks
/// (`RoundRecord::put`). Rounds recorded at version 1 hold their bets inline and paid one
/// credit per winning bet (`payout/{round}/{bet_id}`). Other records are the same in both.
pub const RECORD_VERSION: u8 = 2;
pub const PAYOUTS_PER_PLAYER_SINCE: u8 = 2;

/// Kinds of money movement. Stakes leave the wallet; the rest arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    Deposit,
    Withdrawal,
    Stake,
    Payout,
    Refund,
}

impl TxKind {
    /// +1 when the movement credits the wallet, -1 when it debits it.
    pub fn sign(self) -> i64 {
        match self {
            TxKind::Deposit | TxKind::Payout | TxKind::Refund => 1,
            TxKind::Withdrawal | TxKind::Stake => -1,
        }
    }
}

/// One money movement. `amount` is positive; `kind` gives the direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRecord {
    pub v: u8,
    pub txid: String,
    pub player: PlayerId,
    pub currency: Currency,
    pub kind: TxKind,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_id: Option<RoundId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bet_id: Option<BetId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub ts_us: i64,
}

impl LedgerRecord {
    /// The wallet-side effect: same txid and content means the same movement.
    pub fn same_movement(&self, other: &LedgerRecord) -> bool {
        self.txid == other.txid
            && self.player == other.player
            && self.currency == other.currency
            && self.kind == other.kind
            && self.amount == other.amount
            && self.round_id == other.round_id
            && self.spot == other.spot
    }

    pub fn signed_amount(&self) -> i64 {
        self.kind.sign() * self.amount.minor()
    }
}

/// `player 0x00 txid`: a player's movements are one prefix scan away.
pub fn ledger_key(player: &PlayerId, txid: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(player.as_str().len() + 1 + txid.len());
    key.extend_from_slice(player.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(txid.as_bytes());
    key
}

pub fn ledger_prefix(player: &PlayerId) -> Vec<u8> {
    ledger_key(player, "")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Open,
    /// Betting closed with the recorded bets; cards are being dealt. A restart carries
    /// the round on from the journaled cards.
    Dealing,
    /// Outcome known and payouts decided; credits may still be in flight.
    Settling,
    Settled,
    Void,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    pub position: String,
    pub card: Card,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetRecord {
    pub bet_id: BetId,
    pub player: PlayerId,
    pub currency: Currency,
    pub spot: String,
    /// Total staked, blackjack doubles and splits included.
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout: Option<Amount>,
    /// Blackjack: the seat the bet took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<u8>,
}

/// Everything about one round, for audit, `GET /v1/rounds/{id}` and verification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    pub v: u8,
    pub round_id: RoundId,
    pub table: TableId,
    pub game: Game,
    pub status: RoundStatus,
    pub opened_at_us: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_us: Option<i64>,
    /// The shoe (or roulette spin) this round dealt from; `None` for console-dealt physical shoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shoe_nonce: Option<u64>,
    /// Index in the shoe of this round's first card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shoe_start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub cards: Vec<CardRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pocket: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<serde_json::Value>,
    /// Stored apart, in chunks (see [`RoundRecord::put`]); inline only in version-1 records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bets: Vec<BetRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    /// How many chunks of bets `Tree::RoundBets` holds for this round (version 2 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bet_chunks: Option<u32>,
}

pub fn round_key(round_id: RoundId) -> [u8; 8] {
    round_id.0.to_be_bytes()
}

/// Bets per stored chunk. A round of thousands of bets is kept as many small sled values,
/// never one big one: sled rewrites a page holding a big value whole whenever it touches
/// it (its segment cleaner does so again and again), and keeps items over 128 KiB in blob
/// files. A storm round record of several MB written whole made every later journal write slower.
pub const BETS_PER_CHUNK: usize = 32;

/// `round_id(u64 BE) chunk(u32 BE)`
pub fn round_bets_key(round_id: RoundId, chunk: u32) -> [u8; 12] {
    let mut key = [0; 12];
    key[..8].copy_from_slice(&round_id.0.to_be_bytes());
    key[8..].copy_from_slice(&chunk.to_be_bytes());
    key
}

impl RoundRecord {
    /// Adds this round to `batch`: with `with_bets`, its bets first, in chunks, then the
    /// record itself without them. A round's bets change at close and at settlement (their
    /// payouts); its status changes without them, so pass `false` then.
    pub fn put(&mut self, batch: &mut Batch, with_bets: bool) {
        let bets = std::mem::take(&mut self.bets);
        let chunks = bets.chunks(BETS_PER_CHUNK);
        self.bet_chunks = Some(chunks.len() as u32);
        if with_bets {
            for (n, chunk) in chunks.enumerate() {
                batch.insert(Tree::RoundBets, round_bets_key(self.round_id, n as u32), encode(&chunk));
            }
        }
        batch.insert(Tree::Rounds, round_key(self.round_id), encode(self));
        self.bets = bets;
    }

    /// The round `id` with its bets, if recorded.
    ///
    /// # Errors
    /// sled failure or a corrupt or incomplete record.
    pub fn get(journal: &Journal, id: RoundId) -> Result<Option<RoundRecord>, JournalError> {
        match journal.tree(Tree::Rounds).get(round_key(id))? {
            Some(stored) => Ok(Some(RoundRecord::read(journal, &stored)?)),
            None => Ok(None),
        }
    }

    /// Every recorded round with its bets, in id order.
    pub fn all(journal: &Journal) -> impl Iterator<Item = Result<RoundRecord, JournalError>> + '_ {
        journal
            .tree(Tree::Rounds)
            .iter()
            .map(|entry| RoundRecord::read(journal, &entry?.1))
    }

    fn read(journal: &Journal, stored: &[u8]) -> Result<RoundRecord, JournalError> {
        let mut round: RoundRecord = decode("rounds", stored)?;
        let Some(chunks) = round.bet_chunks else {
            return Ok(round);
        };
        let from = round_bets_key(round.round_id, 0);
        let to = round_bets_key(round.round_id, chunks);
        for entry in journal.tree(Tree::RoundBets).range(from..to) {
            round.bets.extend(decode::<Vec<BetRecord>>("round_bets", &entry?.1)?);
        }
        if round.bets.len().div_ceil(BETS_PER_CHUNK) != chunks as usize {
            return Err(JournalError::Corrupt {
                tree: "round_bets",
                message: format!(
                    "round {} has {} bets in {chunks} chunks",
                    round.round_id,
                    round.bets.len()
                ),
            });
        }
        Ok(round)
    }
}

/// A shoe (or a roulette spin's seed): public parts only; `server_seed` once revealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShoeRecord {
    pub v: u8,
    pub table: TableId,
    pub nonce: u64,
    pub game: Game,
    pub decks: u32,
    pub commit: String,
    /// Combined client seeds; fixed when the shoe is shuffled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_seed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_seed: Option<String>,
}

impl ShoeRecord {
    /// Shoe `nonce` of `table`, if the journal holds it.
    ///
    /// # Errors
    /// The journal cannot be read, or the record is corrupt.
    pub fn get(journal: &Journal, table: &TableId, nonce: u64) -> Result<Option<ShoeRecord>, JournalError> {
        match journal.tree(Tree::Shoes).get(table_key(table.as_str(), nonce))? {
            Some(bytes) => Ok(Some(decode("shoes", &bytes)?)),
            None => Ok(None),
        }
    }
}

/// Decodes a JSON record, naming the tree when it is corrupt.
///
/// # Errors
/// [`JournalError::Corrupt`].
pub fn decode<T: serde::de::DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T, JournalError> {
    serde_json::from_slice(bytes).map_err(|error| JournalError::Corrupt {
        tree,
        message: error.to_string(),
    })
}

pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    // Our record types contain only strings, numbers and maps with string keys.
    serde_json::to_vec(record).unwrap_or_default()
}

/// What a table keeps across restarts beyond its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRecord {
    pub v: u8,
    /// The event stream's epoch (see `docs/protocol.md`).
    pub epoch: u64,
}
