//! Target `protocol`: one inbound WebSocket text frame through
//! `croupier::wire::inbound::parse`, as the player socket (`ClientMsg`) and the dealer
//! console (`DealerMsg`) parse it, then through the field parsers the table actor applies
//! to an accepted command (`table_side`).
//!
//! Contract checked, besides "never panics": only a JSON object is accepted (docs/protocol.md,
//! "Conventions"); a refused frame gets `bad_request` or `bad_amount`, carrying the frame's
//! own top-level `req` when it has a readable one (the client matches replies by it); an
//! accepted frame's `req` is that same `req`; the ids in an accepted frame are valid ids.

use croupier::wire::CommandError;
use croupier::domain::ids::{BetId, TableId};
use croupier::wire::inbound::{self as protocol, ClientMsg, DealerMsg};
use serde_json::Value;

use crate::table_side;

pub fn check(data: &[u8]) {
    // The sockets get text frames only, and the connection passes on a text frame only when it is
    // valid UTF-8 (RFC 6455 §8.1): other bytes never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let value = serde_json::from_str::<Value>(text).ok();
    let frame_req = value
        .as_ref()
        .and_then(|value| value.get("req").and_then(Value::as_u64));
    let is_object = value.as_ref().is_some_and(Value::is_object);

    match protocol::parse::<ClientMsg>(text) {
        Ok(msg) => {
            accepted_object(text, is_object);
            client(msg, frame_req);
        }
        Err(refusal) => refused(text, refusal, frame_req),
    }
    match protocol::parse::<DealerMsg>(text) {
        Ok(msg) => {
            accepted_object(text, is_object);
            dealer(msg, frame_req);
        }
        Err(refusal) => refused(text, refusal, frame_req),
    }
}

/// docs/protocol.md, "Conventions": every message is one JSON object with a `type`.
fn accepted_object(text: &str, is_object: bool) {
    assert!(is_object, "{text:?}: accepted a frame that is not a JSON object");
}

fn refused(text: &str, (req, error): (Option<u64>, CommandError), frame_req: Option<u64>) {
    assert!(
        matches!(error.code, "bad_request" | "bad_amount"),
        "{text:?}: unexpected code {:?}",
        error.code
    );
    assert_eq!(req, frame_req, "{text:?}: the error must carry the frame's req");
}

fn table_id(table: &TableId) {
    assert_eq!(TableId::parse(table.as_str()).as_ref(), Ok(table));
}

fn client(msg: ClientMsg, frame_req: Option<u64>) {
    let req = match msg {
        ClientMsg::Join { req, table, .. } | ClientMsg::Leave { req, table } => {
            table_id(&table);
            req
        }
        ClientMsg::Bet {
            req,
            table,
            spot,
            bet_id,
            ..
        } => {
            table_id(&table);
            assert_eq!(BetId::parse(bet_id.as_str()).as_ref(), Ok(&bet_id));
            for game in table_side::GAMES {
                table_side::spot(game, &spot);
            }
            req
        }
        ClientMsg::Action { req, table, action, .. } => {
            table_id(&table);
            table_side::action(&action);
            req
        }
        ClientMsg::ClientSeed { req, table, seed } => {
            table_id(&table);
            table_side::client_seed(&seed);
            req
        }
        ClientMsg::Ping { req } => req,
    };
    assert_eq!(req, frame_req, "an accepted frame's req is its top-level req");
}

fn dealer(msg: DealerMsg, frame_req: Option<u64>) {
    let req = match msg {
        DealerMsg::Deal { req, card, position } => {
            table_side::deal(&card, position.as_deref());
            req
        }
        DealerMsg::Burn { req, card } => {
            table_side::card(&card);
            req
        }
        DealerMsg::Spin { req, pocket } => {
            table_side::spin(pocket);
            req
        }
        DealerMsg::Auth { req, .. }
        | DealerMsg::OpenRound { req }
        | DealerMsg::CloseBetting { req }
        | DealerMsg::Undo { req }
        | DealerMsg::ChangeShoe { req }
        | DealerMsg::Void { req, .. }
        | DealerMsg::Pause { req }
        | DealerMsg::Resume { req }
        | DealerMsg::Ping { req } => req,
    };
    assert_eq!(req, frame_req, "an accepted frame's req is its top-level req");
}
