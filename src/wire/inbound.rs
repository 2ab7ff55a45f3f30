//! What the server accepts: the player's and the dealer console's messages, parsed strictly.
//!
//! Every inbound message is parsed into a typed enum; unknown types or fields, wrong types
//! and bad values are errors with a stable code, never a panic. See `docs/protocol.md`.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::ids::{BetId, RoundId, TableId};
use crate::wire::CommandError;

/// Player → server.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Join {
        req: Option<u64>,
        table: TableId,
        last_seq: Option<u64>,
        epoch: Option<u64>,
    },
    Leave {
        req: Option<u64>,
        table: TableId,
    },
    Bet {
        req: Option<u64>,
        table: TableId,
        round_id: RoundId,
        spot: String,
        amount: i64,
        bet_id: BetId,
    },
    Action {
        req: Option<u64>,
        table: TableId,
        round_id: RoundId,
        hand: u8,
        action: String,
    },
    ClientSeed {
        req: Option<u64>,
        table: TableId,
        seed: String,
    },
    Ping {
        req: Option<u64>,
    },
}

/// Dealer console → server. The first frame must be `auth`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DealerMsg {
    Auth {
        req: Option<u64>,
        key: String,
    },
    OpenRound {
        req: Option<u64>,
    },
    CloseBetting {
        req: Option<u64>,
    },
    Deal {
        req: Option<u64>,
        card: String,
        position: Option<String>,
    },
    Spin {
        req: Option<u64>,
        pocket: u8,
    },
    Undo {
        req: Option<u64>,
    },
    Burn {
        req: Option<u64>,
        card: String,
    },
    ChangeShoe {
        req: Option<u64>,
    },
    Void {
        req: Option<u64>,
        reason: String,
    },
    Pause {
        req: Option<u64>,
    },
    Resume {
        req: Option<u64>,
    },
    Ping {
        req: Option<u64>,
    },
}

/// Parses one inbound text frame, keeping its `req` (when readable) for the error reply.
///
/// # Errors
/// `bad_request` for anything that is not a valid message, `bad_amount` for an amount
/// that is not a whole number in `i64`.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, (Option<u64>, CommandError)> {
    // Every bet passes here: read a valid message straight into its type, and build the
    // JSON tree only to explain a bad one.
    if text.trim_start().starts_with('{') {
        if let Ok(message) = serde_json::from_str(text) {
            return Ok(message);
        }
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| (None, CommandError::new("bad_request", format!("not JSON: {e}"))))?;
    // serde would also read a message from an array (`["undo",6]`); the protocol's
    // messages are objects only (found by the `protocol` fuzz target).
    if !value.is_object() {
        return Err((None, CommandError::new("bad_request", "a message is a JSON object")));
    }
    let req = value.get("req").and_then(Value::as_u64);
    if let Some(amount) = value.get("amount") {
        if amount.as_i64().is_none() {
            return Err((
                req,
                CommandError::new("bad_amount", "amount must be a whole number of minor units within i64"),
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| (req, CommandError::new("bad_request", e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parsing() {
        let ok: ClientMsg =
            parse(r#"{"type":"bet","req":1,"table":"b1","round_id":3,"spot":"banker","amount":100,"bet_id":"x1"}"#)
                .unwrap();
        assert!(matches!(ok, ClientMsg::Bet { amount: 100, .. }));
        let array = parse::<DealerMsg>(r#"["undo",6]"#).unwrap_err();
        assert_eq!(array.1.code, "bad_request");
        let unknown_field = parse::<ClientMsg>(r#"{"type":"ping","req":2,"evil":1}"#).unwrap_err();
        assert_eq!(
            unknown_field,
            (
                Some(2),
                CommandError::new("bad_request", unknown_field.1.message.clone())
            )
        );
        assert_eq!(
            parse::<ClientMsg>(r#"{"type":"nope"}"#).unwrap_err().1.code,
            "bad_request"
        );
        assert_eq!(parse::<ClientMsg>("{").unwrap_err().1.code, "bad_request");
        for amount in ["1.5", "1e30", "\"100\"", "99999999999999999999"] {
            let text = format!(
                r#"{{"type":"bet","req":5,"table":"b1","round_id":3,"spot":"banker","amount":{amount},"bet_id":"x"}}"#
            );
            assert_eq!(
                parse::<ClientMsg>(&text).unwrap_err(),
                (
                    Some(5),
                    CommandError::new("bad_amount", "amount must be a whole number of minor units within i64")
                )
            );
        }
        assert_eq!(
            parse::<ClientMsg>(r#"{"type":"join","table":"bad table!"}"#)
                .unwrap_err()
                .1
                .code,
            "bad_request"
        );
    }
}
