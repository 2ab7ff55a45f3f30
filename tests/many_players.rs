//! Goal: many players at one table, and tables running side by side, all see the same
//! gap-free event stream and are each paid their own bets. Method: real server, 25 real
//! WebSocket players over two baccarat tables; streams compared event by event.

mod common;

use common::*;
use serde_json::{json, Value};

async fn play(server: &Server, player: String, table: &'static str) -> (Vec<Value>, i64) {
    server.deposit(&player, "EUR", 100_000).await;
    let mut client = server.player(&player, "EUR").await;
    client.join(table).await;
    let round = client.next_round(table).await;
    let spot = if player.len() % 2 == 0 { "player" } else { "banker" };
    let ack = client.bet(table, round, spot, 1_000, "only").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut events = Vec::new();
    loop {
        let msg = client.next().await.expect("closed");
        if msg["table"] == table && msg["seq"].is_u64() && msg["type"] != "ack" {
            events
                .push(json!({"seq": msg["seq"], "type": msg["type"], "card": msg["card"], "outcome": msg["outcome"]}));
        }
        if msg["type"] == "settled" && msg["round_id"] == json!(round) {
            let balance = msg["balance"]["amount"].as_i64().unwrap();
            return (events, balance);
        }
    }
}

#[tokio::test]
async fn players_share_one_stream_and_are_paid_their_own_bets() {
    let tables = [
        ("a", auto_table("tab-a", "baccarat", "")),
        ("b", auto_table("tab-b", "baccarat", "")),
    ];
    let server = Server::start(&tables, "");
    let server = std::sync::Arc::new(server);
    let mut tasks = Vec::new();
    for i in 0..25 {
        let server = server.clone();
        let table = if i % 5 == 0 { "tab-b" } else { "tab-a" };
        tasks.push(tokio::spawn(async move {
            (table, play(&server, format!("p{i:02}"), table).await)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    for (_, (_, balance)) in &results {
        // Each bet of 1,000 either lost, pushed (1,000 back), or won (player 2,000 / banker 1,950).
        assert!(
            [99_000, 100_000, 100_950, 101_000].contains(balance),
            "unexpected balance {balance}"
        );
    }
    // Everyone at one table saw identical events for the seqs they share. Players joined
    // and left at different moments, so each saw its own stretch of the stream: every event
    // is checked against the first player who saw the same seq.
    for table in ["tab-a", "tab-b"] {
        let mut seen: std::collections::HashMap<u64, &Value> = std::collections::HashMap::new();
        let streams = results.iter().filter(|(t, _)| *t == table).map(|(_, (e, _))| e);
        for event in streams.flatten() {
            let first = *seen.entry(event["seq"].as_u64().unwrap()).or_insert(event);
            assert_eq!(first, event, "players at {table} saw different events");
        }
    }
    server.assert_conserved().await;
}
