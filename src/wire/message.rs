//! Private messages: what one connection is told about itself (its welcome, the answers to
//! its requests, its balance and payouts, a snapshot of a table as this player sees it,
//! a dealer console's view). Each is encoded for its one recipient.

use std::collections::BTreeMap;

use bytestring::ByteString;
use serde::Serialize;

use crate::config::{DealerMode, StakeLimits};
use crate::domain::cards::Card;
use crate::domain::ids::{BetId, PlayerId, RoundId, TableId};
use crate::domain::money::{Amount, Currency};
use crate::domain::round::{Game, Odds, Outcome};
use crate::wire::CommandError;

/// A private message; `type` on the wire is the variant's name in snake_case.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg<'a> {
    /// The first frame on every player connection.
    Welcome(Welcome),
    /// A table as this connection sees it now; live events follow from `seq`.
    Snapshot(Box<Snapshot>),
    /// A request succeeded; `req` is the request's own.
    Ack {
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
        #[serde(flatten)]
        body: Ack<'a>,
    },
    /// A request failed; nothing changed.
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
        #[serde(flatten)]
        error: &'a CommandError,
    },
    /// The answer to an application `ping`: the server's time.
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
        ts: i64,
    },
    /// The player's balance changed.
    Balance(Money),
    /// This player's payouts of a round, and the balance after them.
    Settled(Settled<'a>),
    /// No command for a while: the session closes in `closes_in_ms` unless one comes.
    IdleWarning { closes_in_ms: u64 },
    /// A dealer console's view of its table, sent once it authenticated.
    Console(Console),
    /// A dealer console's bet totals of the running round.
    Bets(Bets),
}

impl ServerMsg<'_> {
    /// The frame's text.
    pub fn encode(&self) -> ByteString {
        ByteString::from(serde_json::to_string(self).expect("a server message serialises"))
    }
}

/// An amount in a currency.
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
pub struct Money {
    pub amount: Amount,
    pub currency: Currency,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Welcome {
    pub session_id: String,
    /// Reopens this session once; every welcome carries a new one.
    pub resume_token: String,
    pub player_id: PlayerId,
    pub currency: Currency,
    pub language: String,
    /// When the session ends, unix seconds.
    pub expires_at: u64,
    pub balance: Money,
    pub ts: i64,
}

/// A card and the position it was dealt to.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Dealt {
    pub to: String,
    pub card: Card,
}

/// A blackjack hand that must act.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Decision {
    pub seat: u8,
    pub hand: u8,
    pub deadline: Option<i64>,
    pub actions: Vec<String>,
}

/// One of this player's bets in the running round.
#[derive(Serialize, schemars::JsonSchema)]
pub struct MyBet {
    pub bet_id: BetId,
    pub spot: String,
    pub amount: Amount,
    pub seat: Option<u8>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Snapshot {
    pub table: TableId,
    /// The last event this snapshot includes; live events follow from `seq + 1`.
    pub seq: u64,
    pub epoch: u64,
    pub ts: i64,
    pub game: Game,
    pub name: String,
    pub paused: bool,
    /// `waiting`, `betting`, `dealing`, `deciding`, `result`, `settled` or `void`.
    pub phase: &'static str,
    /// The latest results, newest first.
    pub recent: Vec<String>,
    /// This table's stake limits in the player's currency (none: it does not take it).
    pub limits: Option<StakeLimits>,
    pub currency: Currency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shoe: Option<u64>,
    /// The running round, when there is one.
    #[serde(flatten)]
    pub round: Option<RoundView>,
}

/// The running round in a snapshot.
#[derive(Serialize, schemars::JsonSchema)]
pub struct RoundView {
    pub round_id: RoundId,
    pub closes_at: i64,
    pub cards: Vec<Dealt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odds: Option<Odds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    pub my_bets: Vec<MyBet>,
}

/// One bet's settlement: `payout` is what was credited back, stake included (0 on a loss).
#[derive(Serialize, schemars::JsonSchema)]
pub struct Paid<'a> {
    pub bet_id: &'a BetId,
    pub spot: &'a str,
    pub amount: Amount,
    pub payout: Amount,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Settled<'a> {
    pub table: &'a TableId,
    pub round_id: RoundId,
    pub payouts: &'a [Paid<'a>],
    /// The sum of `payouts`, in the player's currency.
    pub won: i64,
    pub balance: Money,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Console {
    pub table: TableId,
    pub game: Game,
    pub dealer: DealerMode,
    pub paused: bool,
    pub seq: u64,
    pub round_id: Option<RoundId>,
    pub closes_at: Option<i64>,
    pub phase: &'static str,
    pub next_position: Option<String>,
    pub cards: Option<Vec<Dealt>>,
}

/// The round's bets in one currency.
#[derive(Default, Serialize, schemars::JsonSchema)]
pub struct Exposure {
    pub staked: i64,
    /// The most the bets could return, stakes included, if every one of them won.
    pub max_return: i64,
    /// Staked per spot.
    pub spots: BTreeMap<String, i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Bets {
    pub table: TableId,
    pub round_id: RoundId,
    pub count: usize,
    pub exposure: BTreeMap<Currency, Exposure>,
}

/// What an `ack` says besides `type` and `req`, by request.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Ack<'a> {
    /// `join`: the stream position the client is at (`resumed` when missed events were
    /// replayed instead of a snapshot).
    Joined {
        table: &'a TableId,
        seq: u64,
        epoch: u64,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        resumed: bool,
    },
    /// `bet`: the bet is durable; the balance after its stake.
    BetPlaced {
        bet_id: &'a BetId,
        round_id: RoundId,
        seat: Option<u8>,
        balance: Money,
    },
    /// `bet` with a `bet_id` already accepted in this round: nothing new happened.
    BetRepeated {
        bet_id: &'a BetId,
        round_id: RoundId,
        seat: Option<u8>,
        repeat: bool,
    },
    /// `action` (blackjack).
    Acted { round_id: RoundId, action: String },
    /// `client_seed`: it goes into this shoe's shuffle.
    SeedTaken { shoe: u64 },
    /// `leave`, and a dealer console's `auth`.
    Table { table: &'a TableId },
    /// Dealer `deal` and `undo`: where the next card goes.
    Dealt {
        round_id: Option<RoundId>,
        next_position: Option<String>,
    },
    /// Dealer `open_round`, `close_betting`, `spin`, `void`.
    Round { round_id: Option<RoundId> },
    /// Dealer `pause` and `resume`.
    Paused { paused: bool },
    /// Dealer `burn` and `change_shoe`.
    Done {},
}

/// `{"type": "ack", "req"?, ...body}`.
pub fn ack(req: Option<u64>, body: Ack<'_>) -> ByteString {
    ServerMsg::Ack { req, body }.encode()
}

/// `{"type": "error", "req"?, "code", "message"}`.
pub fn error(req: Option<u64>, error: &CommandError) -> ByteString {
    ServerMsg::Error { req, error }.encode()
}

/// `{"type": "pong", "req"?, "ts"}`.
pub fn pong(req: Option<u64>, ts: i64) -> ByteString {
    ServerMsg::Pong { req, ts }.encode()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// Goal: an accepted bet's ack is the documented one, with and without `req`.
    #[test]
    fn a_bet_ack_carries_the_documented_fields() {
        let bet = BetId::parse("b-1").unwrap();
        let placed = |seat| Ack::BetPlaced {
            bet_id: &bet,
            round_id: RoundId(42),
            seat,
            balance: Money {
                amount: Amount(950),
                currency: "EUR".parse().unwrap(),
            },
        };
        let reply: Value = serde_json::from_str(&ack(Some(7), placed(Some(3)))).unwrap();
        assert_eq!(
            reply,
            json!({"type": "ack", "req": 7, "bet_id": "b-1", "round_id": 42, "seat": 3, "balance": {"amount": 950, "currency": "EUR"}})
        );
        let reply: Value = serde_json::from_str(&ack(None, placed(None))).unwrap();
        assert_eq!(
            reply,
            json!({"type": "ack", "bet_id": "b-1", "round_id": 42, "seat": null, "balance": {"amount": 950, "currency": "EUR"}})
        );
    }

    /// Goal: answers without a body, errors and pongs are `{type, req?, ...}` objects.
    #[test]
    fn bodiless_answers_errors_and_pongs_are_flat_objects() {
        let done: Value = serde_json::from_str(&ack(Some(1), Ack::Done {})).unwrap();
        assert_eq!(done, json!({"type": "ack", "req": 1}));
        let refused = CommandError::new("bet_limit", "too much");
        let refused: Value = serde_json::from_str(&error(None, &refused)).unwrap();
        assert_eq!(
            refused,
            json!({"type": "error", "code": "bet_limit", "message": "too much"})
        );
        let pong: Value = serde_json::from_str(&pong(Some(2), 5)).unwrap();
        assert_eq!(pong, json!({"type": "pong", "req": 2, "ts": 5}));
    }
}
