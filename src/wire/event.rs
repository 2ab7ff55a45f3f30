//! A table's events: what every subscriber of a table (players and dealer consoles) sees,
//! in `seq` order, gap-free. Each event is encoded once, inside its envelope (`table`,
//! `seq`, `epoch`, `ts`), and the same bytes go to every subscriber and into the journal's
//! history for resuming clients.

use bytestring::ByteString;
use serde::Serialize;

use crate::domain::cards::Card;
use crate::domain::ids::{RoundId, TableId};
use crate::domain::round::{Game, Odds, Outcome};

/// One table event; `type` on the wire is the variant's name in snake_case.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TableEvent {
    /// A round opened: bets are taken until `closes_at`. `commit` is the SHA-256 of the
    /// shoe's server seed (auto tables), committed before the first bet.
    RoundOpen {
        round_id: RoundId,
        closes_at: i64,
        commit: Option<String>,
        shoe: Option<u64>,
        game: Game,
    },
    /// Betting closed with `bets` bets accepted.
    BetsClosed { round_id: RoundId, bets: usize },
    /// A card dealt to position `to`. Auto tables say where the committed shoe stands.
    Card {
        round_id: RoundId,
        to: String,
        card: Card,
        #[serde(skip_serializing_if = "Option::is_none")]
        shoe: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        shoe_pos: Option<usize>,
    },
    /// The exact odds after the last card, from the cards not yet seen; `version` counts
    /// the odds of this round.
    Odds {
        round_id: RoundId,
        version: u64,
        #[serde(flatten)]
        odds: Odds,
    },
    /// Roulette: the ball landed.
    Ball { round_id: RoundId, pocket: u8 },
    /// Blackjack: a hand must act before `deadline`, with one of `actions`.
    Decision {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        deadline: i64,
        actions: Vec<String>,
    },
    /// Blackjack: a decision's time is running out.
    Countdown {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        remaining_ms: u64,
    },
    /// Blackjack: a hand acted; `auto` when its time ran out and it stood.
    Action {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        action: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        auto: bool,
    },
    /// The round's result; payouts follow as each player's private `settled`.
    Result {
        round_id: RoundId,
        outcome: Option<Outcome>,
    },
    /// A shoe ended: its server seed, so every round dealt from it can be verified.
    Reveal {
        shoe: u64,
        server_seed: String,
        commit: String,
        client_seed: String,
        decks: u32,
    },
    /// The round was voided and every bet refunded.
    RoundVoid { round_id: RoundId, reason: String },
    /// The dealer took back the last card.
    CardUndone {
        round_id: Option<RoundId>,
        position: String,
        card: Card,
    },
    /// The dealer burned a card.
    Burn { round_id: Option<RoundId> },
    /// A new shoe of `decks` decks.
    ShoeChanged { decks: u32 },
    /// No new round opens; bets are refused.
    Paused,
    /// Rounds open again.
    Resumed,
}

/// A table event as it goes on the wire: the event and where it stands in its table's
/// stream.
#[derive(Serialize, schemars::JsonSchema)]
pub struct EventFrame<'a> {
    #[serde(flatten)]
    pub event: &'a TableEvent,
    pub table: &'a TableId,
    /// Gap-free position in the table's stream.
    pub seq: u64,
    /// The stream's identity: a resume with another epoch gets a snapshot.
    pub epoch: u64,
    /// When the event happened, unix microseconds.
    pub ts: i64,
}

impl EventFrame<'_> {
    /// The frame's text, shared by every recipient.
    pub fn encode(&self) -> ByteString {
        ByteString::from(serde_json::to_string(self).expect("a table event serialises"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// Goal: an event frame is one flat object: its type, its fields and its place in the
    /// stream; a unit event has only those.
    #[test]
    fn an_event_frame_is_flat() {
        let table = TableId::parse("bac").unwrap();
        let frame = |event: &TableEvent| {
            let text = EventFrame {
                event,
                table: &table,
                seq: 7,
                epoch: 9,
                ts: 11,
            }
            .encode();
            serde_json::from_str::<Value>(&text).unwrap()
        };
        assert_eq!(
            frame(&TableEvent::Ball {
                round_id: RoundId(3),
                pocket: 17
            }),
            json!({"type": "ball", "round_id": 3, "pocket": 17, "table": "bac", "seq": 7, "epoch": 9, "ts": 11})
        );
        assert_eq!(
            frame(&TableEvent::Paused),
            json!({"type": "paused", "table": "bac", "seq": 7, "epoch": 9, "ts": 11})
        );
    }
}
