//! Goal: a flood of frames, an oversized frame and garbage close only the offending
//! connections: an honest player at the same table keeps seeing every event, betting and
//! being paid, and money is conserved. Method: real server; three flooding WebSocket clients
//! sending thousands of frames as fast as they can, beside one honest player.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_and_oversized_frames_close_only_the_offender() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    server.deposit("honest", "EUR", 100_000).await;
    let mut honest = server.player("honest", "EUR").await;
    honest.join("bac").await;

    let mut floods = Vec::new();
    for i in 0..3 {
        server.deposit(&format!("flood{i}"), "EUR", 100_000).await;
        let mut flooder = server.player(&format!("flood{i}"), "EUR").await;
        flooder.join("bac").await;
        floods.push(tokio::spawn(async move {
            // A round that does not exist: every flood bet is refused, none moves money.
            let bet = json!({"type": "bet", "table": "bac", "round_id": 999_999, "spot": "banker", "amount": 100, "bet_id": "x"}).to_string();
            let mut sent = 0;
            for _ in 0..5_000 {
                if flooder.ws.send(Message::Text(bet.clone().into())).await.is_err() {
                    break;
                }
                sent += 1;
            }
            while flooder.next().await.is_some() {}
            (sent, flooder.close_code)
        }));
    }
    // An oversized frame (limit 16 KiB) closes that connection with 1009.
    let mut big = server.player("big", "EUR").await;
    let _ = big.ws.send(Message::Text("x".repeat(64 * 1024).into())).await;
    while big.next().await.is_some() {}
    assert_eq!(big.close_code, Some(1009));

    // Meanwhile the honest player plays two full rounds.
    for n in 0..2 {
        let round = honest.next_round("bac").await;
        let ack = honest.bet("bac", round, "player", 1_000, &format!("h{n}")).await;
        assert_eq!(ack["type"], "ack", "honest bet refused during the flood: {ack}");
        honest
            .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
            .await;
    }
    for flood in floods {
        let (sent, code) = flood.await.unwrap();
        assert!(sent > 0);
        assert_eq!(code, Some(4009), "a flooding connection is closed as flooding");
    }
    // No flood bet moved money: each flooder still has exactly what it deposited.
    for i in 0..3 {
        assert_eq!(server.balance(&format!("flood{i}"), "EUR").await, 100_000);
    }
    server.assert_conserved().await;
}
