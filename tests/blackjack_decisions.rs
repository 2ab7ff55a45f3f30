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
    let (mut doubled, mut split, mut auto_stood, mut idle_decisions) = (0, 0, 0, 0);
    for n in 0..4 {
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
                "decision" if msg["seat"] == json!(idle_seat) => idle_decisions += 1,
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
    assert!(idle_decisions > 0);
    assert_eq!(
        auto_stood, idle_decisions,
        "every hand of the silent player is stood by the timer"
    );
    eprintln!("doubled {doubled}, split {split}, auto-stood {auto_stood}");
    server.assert_conserved().await;
}

async fn deal(console: &mut Client, card: &str) -> Value {
    let req = console.send(json!({"type": "deal", "card": card})).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "deal {card}: {reply}");
    reply
}

async fn act(player: &mut Client, round: u64, hand: u64, action: &str) {
    let decision = player
        .until("decision", |m| {
            m["type"] == "decision" && m["hand"] == json!(hand) && m["seat"] == json!(1)
        })
        .await;
    assert!(
        decision["actions"].as_array().unwrap().contains(&json!(action)),
        "{action} not offered: {decision}"
    );
    let req = player
        .send(json!({"type": "action", "table": "bjc", "round_id": round, "hand": hand, "action": action}))
        .await;
    assert_eq!(player.reply(req).await["type"], "ack");
}

#[tokio::test]
async fn a_dealt_pair_is_split_and_both_hands_doubled() {
    let table = console_table("bjc", "blackjack").replace("decision_ms = 1500", "decision_ms = 400");
    let server = Server::start(&[("bjc", table)], "");
    server.deposit("paul", "EUR", 100_000).await;
    server.deposit("ruth", "EUR", 100_000).await;
    let mut paul = server.player("paul", "EUR").await;
    let mut ruth = server.player("ruth", "EUR").await;
    paul.join("bjc").await;
    ruth.join("bjc").await;
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=bjc", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    assert_eq!(console.reply(req).await["type"], "ack");
    let req = console.send(json!({"type": "open_round"})).await;
    let round = console.reply(req).await["round_id"].as_u64().unwrap();
    paul.next_round("bjc").await;
    ruth.next_round("bjc").await;
    assert_eq!(paul.bet("bjc", round, "main", 1_000, "p").await["seat"], 1);
    assert_eq!(ruth.bet("bjc", round, "main", 500, "r").await["seat"], 2);
    let req = console.send(json!({"type": "close_betting"})).await;
    assert_eq!(console.reply(req).await["type"], "ack");

    for card in ["8h", "5h", "6c", "8d", "5d"] {
        deal(&mut console, card).await;
    }
    act(&mut paul, round, 0, "split").await;
    deal(&mut console, "3c").await; // hand 0: 8 3 = 11
    act(&mut paul, round, 0, "double").await;
    deal(&mut console, "Kd").await; // 21, doubled
    deal(&mut console, "2s").await; // hand 1: 8 2 = 10
    act(&mut paul, round, 1, "double").await;
    deal(&mut console, "9s").await; // 19, doubled
                                    // Ruth (5 5) never acts: her decision timer stands her hand.
    ruth.until("auto stand", |m| {
        m["type"] == "action" && m["seat"] == json!(2) && m["auto"] == json!(true)
    })
    .await;
    deal(&mut console, "Tc").await; // dealer 16
    deal(&mut console, "7s").await; // dealer 23: bust

    let settled = paul.expect("settled").await;
    assert_eq!(
        settled["payouts"][0]["amount"], 4_000,
        "1,000 + split 1,000 + two doubles: {settled}"
    );
    assert_eq!(
        settled["payouts"][0]["payout"], 8_000,
        "both doubled hands win against a bust: {settled}"
    );
    assert_eq!(settled["balance"]["amount"], 104_000);
    let settled = ruth.expect("settled").await;
    assert_eq!(
        settled["balance"]["amount"], 100_500,
        "ruth's stood 10 wins against the bust"
    );
    server.assert_conserved().await;
}
