//! A table's events as the journal keeps them, under `(table, seq)` in [`Tree::Events`]:
//! typed, versioned records, apart from the wire frames clients get (the wire is a
//! contract, this is storage; the table actor converts between the two).
//!
//! Version 2 is [`EventRecord`]. Version 1, written by releases before it, was the event's
//! wire frame itself (`{"type", "table", "seq", "epoch", "ts", ...}`); it is still read,
//! into the same types, so old journals open without a migration. Nothing is defaulted: a
//! record missing a field its event needs is an error the reader reports.
//!
//! [`Tree::Events`]: crate::journal::Tree::Events

use serde::{Deserialize, Serialize};

use crate::domain::cards::Card;
use crate::domain::ids::{RoundId, TableId};
use crate::domain::round::{Game, Odds, Outcome};
use crate::journal::JournalError;

/// The version [`EventRecord::new`] writes.
pub const EVENT_VERSION: u8 = 2;

/// One stored table event and when it happened (unix microseconds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub v: u8,
    pub ts: i64,
    pub event: StoredEvent,
}

impl EventRecord {
    pub fn new(ts: i64, event: StoredEvent) -> EventRecord {
        EventRecord {
            v: EVENT_VERSION,
            ts,
            event,
        }
    }
}

/// A table event as stored; the variants and fields are those of the protocol version the
/// record was written under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoredEvent {
    RoundOpen {
        round_id: RoundId,
        closes_at: i64,
        commit: Option<String>,
        shoe: Option<u64>,
        game: Game,
    },
    BetsClosed {
        round_id: RoundId,
        bets: usize,
    },
    Card {
        round_id: RoundId,
        to: String,
        card: Card,
        /// The shoe and the position in it after this card (auto tables).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shoe: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shoe_pos: Option<usize>,
    },
    Odds {
        round_id: RoundId,
        version: u64,
        #[serde(flatten)]
        odds: Odds,
    },
    Ball {
        round_id: RoundId,
        pocket: u8,
    },
    Decision {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        deadline: i64,
        actions: Vec<String>,
    },
    Countdown {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        remaining_ms: u64,
    },
    Action {
        round_id: RoundId,
        seat: u8,
        hand: u8,
        action: String,
        /// Absent in records of a hand that acted itself.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        auto: bool,
    },
    Result {
        round_id: RoundId,
        outcome: Option<Outcome>,
    },
    Reveal {
        shoe: u64,
        server_seed: String,
        commit: String,
        client_seed: String,
        decks: u32,
    },
    RoundVoid {
        round_id: RoundId,
        reason: String,
    },
    CardUndone {
        round_id: Option<RoundId>,
        position: String,
        card: Card,
    },
    Burn {
        round_id: Option<RoundId>,
    },
    ShoeChanged {
        decks: u32,
    },
    Paused,
    Resumed,
}

impl StoredEvent {
    /// The round the event belongs to, when it belongs to one.
    pub fn round_id(&self) -> Option<RoundId> {
        match self {
            StoredEvent::RoundOpen { round_id, .. }
            | StoredEvent::BetsClosed { round_id, .. }
            | StoredEvent::Card { round_id, .. }
            | StoredEvent::Odds { round_id, .. }
            | StoredEvent::Ball { round_id, .. }
            | StoredEvent::Decision { round_id, .. }
            | StoredEvent::Countdown { round_id, .. }
            | StoredEvent::Action { round_id, .. }
            | StoredEvent::Result { round_id, .. }
            | StoredEvent::RoundVoid { round_id, .. } => Some(*round_id),
            StoredEvent::CardUndone { round_id, .. } | StoredEvent::Burn { round_id } => *round_id,
            StoredEvent::Reveal { .. }
            | StoredEvent::ShoeChanged { .. }
            | StoredEvent::Paused
            | StoredEvent::Resumed => None,
        }
    }
}

/// A version 1 record: the wire frame, whose envelope the journal's key and table record
/// now hold.
#[derive(Deserialize)]
struct FrameV1 {
    #[allow(dead_code)]
    table: TableId,
    #[allow(dead_code)]
    seq: u64,
    #[allow(dead_code)]
    epoch: u64,
    ts: i64,
    #[serde(flatten)]
    event: StoredEvent,
}

/// A stored event as read, with the version it was written in.
pub enum Read {
    /// Version 2.
    Record(EventRecord),
    /// Version 1: the typed event, and the frame as clients were sent it (a resume sends
    /// those bytes again).
    Frame(EventRecord, Vec<u8>),
}

impl Read {
    pub fn record(&self) -> &EventRecord {
        match self {
            Read::Record(record) | Read::Frame(record, _) => record,
        }
    }

    pub fn into_record(self) -> EventRecord {
        match self {
            Read::Record(record) | Read::Frame(record, _) => record,
        }
    }
}

/// Reads one stored event of either version.
///
/// # Errors
/// A record that is not JSON, of an unknown version, or missing what its event needs.
pub fn decode(bytes: &[u8]) -> Result<Read, JournalError> {
    let corrupt = |message: String| JournalError::Corrupt {
        tree: "events",
        message,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get("v").map(serde_json::Value::as_u64) {
        Some(Some(v)) if v == u64::from(EVENT_VERSION) => serde_json::from_value(value)
            .map(Read::Record)
            .map_err(|e| corrupt(e.to_string())),
        Some(v) => Err(corrupt(format!("unknown event record version {v:?}"))),
        None => {
            let frame: FrameV1 = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
            Ok(Read::Frame(EventRecord::new(frame.ts, frame.event), bytes.to_vec()))
        }
    }
}

/// The bytes of a version 2 record.
pub fn encode(record: &EventRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("an event record serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: a version 1 record (the wire frame) and a version 2 record of the same event
    /// read as the same event; a record missing a field is an error, not a default.
    #[test]
    fn both_versions_read_as_one_type_and_missing_fields_are_errors() {
        let v1 = br#"{"type":"card","table":"bac","seq":7,"epoch":3,"ts":11,"round_id":5,"to":"player1","card":"As","shoe":2,"shoe_pos":9}"#;
        let card = StoredEvent::Card {
            round_id: RoundId(5),
            to: "player1".into(),
            card: "As".parse().unwrap(),
            shoe: Some(2),
            shoe_pos: Some(9),
        };
        let read = decode(v1).unwrap();
        assert!(matches!(read, Read::Frame(_, ref frame) if frame == v1));
        assert_eq!(read.record(), &EventRecord::new(11, card.clone()));
        let v2 = encode(&EventRecord::new(11, card.clone()));
        assert!(matches!(decode(&v2).unwrap(), Read::Record(r) if r == EventRecord::new(11, card)));
        let seatless =
            br#"{"type":"action","table":"bj","seq":8,"epoch":3,"ts":12,"round_id":5,"hand":0,"action":"hit"}"#;
        assert!(decode(seatless).is_err(), "a missing seat must not read as seat 0");
        let future = br#"{"v":9,"ts":1,"event":{"type":"paused"}}"#;
        assert!(decode(future).is_err());
    }
}
