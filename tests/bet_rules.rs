//! Goal: every refused bet gets its stable error code and moves no money; a retried bet is
//! harmless. Method: one real server, one player betting into a live baccarat round through
//! a real WebSocket; balances and the ledger are checked through the operator API.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn refused_bets_have_stable_codes_and_move_nothing() {
    // A second table takes pounds, so a GBP session can be launched but not bet at `bac`.
    let pounds_table = auto_table("rou", "roulette", "").replace("[limits.JPY]", "[limits.GBP]");
    let server = Server::start(&[("b", auto_table("bac", "baccarat", "")), ("r", pounds_table)], "");
    server.deposit("erin", "EUR", 5_000).await;
    let mut erin = server.player("erin", "EUR").await;
    erin.join("bac").await;
    let round = erin.next_round("bac").await;

    let ok = erin.bet("bac", round, "banker", 1_000, "b-1").await;
    assert_eq!(ok["type"], "ack", "{ok}");
    assert_eq!(ok["balance"]["amount"], 4_000);

    // The same bet_id with the same content: the original ack again, charged once.
    let again = erin.bet("bac", round, "banker", 1_000, "b-1").await;
    assert_eq!(again["type"], "ack", "{again}");
    // The same bet_id with different content.
    let dup = erin.bet("bac", round, "player", 1_000, "b-1").await;
    assert_eq!(dup["code"], "duplicate_bet", "{dup}");

    let cases = [
        (
            json!({"spot": "banker", "amount": 100_000, "bet_id": "b-2"}),
            "insufficient_funds",
        ),
        (json!({"spot": "banker", "amount": 50, "bet_id": "b-3"}), "bet_limit"),
        (
            json!({"spot": "banker", "amount": 200_000, "bet_id": "b-4"}),
            "bet_limit",
        ),
        (json!({"spot": "moon", "amount": 100, "bet_id": "b-5"}), "unknown_spot"),
        (json!({"spot": "banker", "amount": 0, "bet_id": "b-6"}), "bad_amount"),
        (json!({"spot": "banker", "amount": -100, "bet_id": "b-7"}), "bad_amount"),
        (json!({"spot": "banker", "amount": 1.5, "bet_id": "b-8"}), "bad_amount"),
        (
            json!({"spot": "banker", "amount": 9_223_372_036_854_775_808u64, "bet_id": "b-11"}),
            "bad_amount",
        ),
        (
            json!({"spot": "banker", "amount": 1e30, "bet_id": "b-12"}),
            "bad_amount",
        ),
        (
            json!({"spot": "banker", "amount": "100", "bet_id": "b-13"}),
            "bad_amount",
        ),
        (
            json!({"spot": "banker", "amount": 100, "bet_id": "b-9", "round_id": round + 1000}),
            "wrong_round",
        ),
        (
            json!({"spot": "banker", "amount": 100, "bet_id": "b-10", "table": "nope"}),
            "not_joined",
        ),
    ];
    for (fields, code) in cases {
        let mut msg = json!({"type": "bet", "table": "bac", "round_id": round});
        for (k, v) in fields.as_object().unwrap() {
            msg[k] = v.clone();
        }
        let req = erin.send(msg.clone()).await;
        let reply = erin.reply(req).await;
        assert_eq!(reply["type"], "error", "{msg} was accepted: {reply}");
        assert_eq!(reply["code"], code, "{msg}: {reply}");
        if msg["bet_id"] == "b-3" {
            // Limits are said in major units, as a player reads money.
            assert_eq!(
                reply["message"],
                "bet outside the table limits: stake must be between 1.00 and 1,000.00 EUR"
            );
        }
    }
    assert_eq!(server.balance("erin", "EUR").await, 4_000, "refused bets moved money");

    // A session in a currency this table has no limits for (another table takes it).
    server.deposit("erin", "GBP", 5_000).await;
    let mut pounds = server.player("erin", "GBP").await;
    pounds.join("bac").await;
    let refused = pounds.bet("bac", round, "banker", 1_000, "gbp-1").await;
    assert_eq!(refused["code"], "wrong_currency", "{refused}");
    assert_eq!(server.balance("erin", "GBP").await, 5_000);

    // After betting closes.
    erin.until("bets_closed", |m| {
        m["type"] == "bets_closed" && m["round_id"] == json!(round)
    })
    .await;
    let late = erin.bet("bac", round, "player", 100, "b-late").await;
    assert_eq!(late["code"], "betting_closed", "{late}");

    // Joining an unknown table.
    let req = erin.send(json!({"type": "join", "table": "no-such-table"})).await;
    assert_eq!(erin.reply(req).await["code"], "unknown_table");

    erin.until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;
    let history = server.signed("GET", "/v1/players/erin/history", "").await.1;
    let stakes = history["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "stake")
        .count();
    assert_eq!(stakes, 1, "exactly one stake was taken: {history}");
    server.assert_conserved().await;
}

#[tokio::test]
async fn malformed_frames_get_errors_and_the_connection_survives() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let mut frank = server.player("frank", "EUR").await;
    for (raw, code) in [
        ("{not json", "bad_request"),
        (r#"{"type":"teleport","req":7}"#, "bad_request"),
        (r#"{"type":"ping","req":8,"extra":true}"#, "bad_request"),
        (r#"{"type":"join","req":9}"#, "bad_request"),
    ] {
        frank.send_raw(raw).await;
        let reply = frank.expect("error").await;
        assert_eq!(reply["code"], code, "{raw}: {reply}");
    }
    // Frames that are not JSON text: a text frame that is not UTF-8, and a binary frame.
    let not_utf8 = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    for frame in [Message::Frame(not_utf8), Message::Binary(vec![1, 2, 3].into())] {
        frank.ws.send(frame).await.expect("send");
        let reply = frank.expect("error").await;
        assert_eq!(reply["code"], "bad_request", "{reply}");
    }
    let req = frank.send(json!({"type": "ping"})).await;
    assert_eq!(frank.until("pong", |m| m["type"] == "pong").await["req"], json!(req));
    // A request without `req` gets an answer without one (not `"req": null`).
    frank.send_raw(r#"{"type":"ping"}"#).await;
    let pong = frank.until("pong", |m| m["type"] == "pong").await;
    assert!(pong.get("req").is_none() && pong["ts"].is_i64(), "{pong}");
}
