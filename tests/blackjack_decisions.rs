//! Goal: blackjack decisions that cost money (double, split) debit the extra stake durably
//! before they apply, are settled on the whole stake, and conserve money; a player who does
//! not act is stood by the decision timer. Method: real server with a fast 7-seat table;
//! two real players choose split > double > hit/stand by the legal actions pushed to them.

mod common;

use common::*;
use serde_json::{json, Value};

fn total(cards: &[String]) -> u32 {
    let mut sum = 0;
    let mut aces = 0;
    for c in cards {
        sum += match &c[..1] {
            "A" => {
                aces += 1;
                11
            }
            "T" | "J" | "Q" | "K" => 10,
            d => d.parse().unwrap(),
        };
    }
    while sum > 21 && aces > 0 {
        sum -= 10;
        aces -= 1;
    }
    sum
}

#[tokio::test]
async fn doubles_and_splits_are_paid_for_and_settled_on_the_whole_stake() {
    let server = Server::start(
        &[(
            "j",
            auto_table("bj", "blackjack", "decks = 6\ncut_cards_from_end = 60")
                .replace("decision_ms = 1500", "decision_ms = 3000"),
        )],
        "",
    );
    server.deposit("olga", "EUR", 1_000_000).await;
    server.deposit("idle", "EUR", 1_000_000).await;
    let mut olga = server.player("olga", "EUR").await;
    let mut idle = server.player("idle", "EUR").await;
    olga.join("bj").await;
    idle.join("bj").await;
    let (mut doubled, mut split, mut auto_stood) = (0, 0, 0);
    for n in 0..6 {
        let before = server.balance("olga", "EUR").await;
        let round = olga.next_round("bj").await;
        let seat = olga.bet("bj", round, "main", 1_000, &format!("o{n}")).await["seat"]
            .as_u64()
            .unwrap();
        let idle_ack = idle.bet("bj", round, "main", 500, &format!("i{n}")).await;
        let idle_seat = idle_ack["seat"].as_u64().unwrap();
        let mut hands: std::collections::HashMap<String, Vec<String>> = Default::default();
        let settled = loop {
            let msg = olga.next().await.unwrap();
            match msg["type"].as_str().unwrap() {
                "card" => hands
                    .entry(msg["to"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(msg["card"].as_str().unwrap().to_owned()),
                "action" if msg["seat"] == json!(idle_seat) && msg["auto"] == json!(true) => auto_stood += 1,
                "decision" if msg["seat"] == json!(seat) => {
                    let actions: Vec<&str> = msg["actions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                    let hand = msg["hand"].as_u64().unwrap();
                    let cards = hands.get(&format!("seat{seat}.{hand}")).cloned().unwrap_or_default();
                    let action = if actions.contains(&"split") {
                        split += 1;
                        "split"
                    } else if actions.contains(&"double") && total(&cards) <= 11 {
                        doubled += 1;
                        "double"
                    } else if total(&cards) < 15 {
                        "hit"
                    } else {
                        "stand"
                    };
                    let req = olga
                        .send(
                            json!({"type": "action", "table": "bj", "round_id": round, "hand": hand, "action": action}),
                        )
                        .await;
                    let reply = olga.reply(req).await;
                    assert_eq!(reply["type"], "ack", "{action} refused: {reply}");
                }
                "settled" if msg["round_id"] == json!(round) => break msg,
                _ => {}
            }
        };
        let history = server.signed("GET", "/v1/players/olga/history", "").await.1;
        let staked_in_ledger: i64 = history["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "stake" && t["round_id"] == json!(round))
            .map(|t| t["amount"].as_i64().unwrap())
            .sum();
        let payout: &Value = &settled["payouts"][0];
        assert_eq!(
            payout["amount"].as_i64().unwrap(),
            staked_in_ledger,
            "settled on a different stake than was debited"
        );
        let expected = before - staked_in_ledger + payout["payout"].as_i64().unwrap();
        assert_eq!(settled["balance"]["amount"].as_i64().unwrap(), expected, "{settled}");
        assert!(
            payout["payout"].as_i64().unwrap() <= 16 * 1_000,
            "a main bet can return at most 16 stakes"
        );
    }
    assert!(
        auto_stood >= 6,
        "the silent player's hands were stood by the timer ({auto_stood})"
    );
    eprintln!("doubled {doubled}, split {split}, auto-stood {auto_stood}");
    server.assert_conserved().await;
}
