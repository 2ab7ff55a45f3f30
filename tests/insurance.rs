//! Goal: a blackjack table with `insurance = true` offers insurance against a dealer ace,
//! takes its stake before it applies, pays it 2:1 on a dealer blackjack and conserves money.
//! Method: real server, a console-dealt table so the cards are chosen, a real player.

mod common;

use common::*;
use serde_json::json;

async fn deal(console: &mut Client, card: &str) {
    let req = console.send(json!({"type": "deal", "card": card})).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "deal {card}: {reply}");
}

#[tokio::test]
async fn insurance_pays_2_to_1_on_a_dealer_blackjack() {
    let insured =
        console_table("bji", "blackjack").replace("decision_ms = 1500", "decision_ms = 5000\ninsurance = true");
    let server = Server::start(&[("bji", insured)], "");
    server.deposit("ines", "EUR", 100_000).await;
    let mut ines = server.player("ines", "EUR").await;
    ines.join("bji").await;
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=bji", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    assert_eq!(console.reply(req).await["type"], "ack");
    let req = console.send(json!({"type": "open_round"})).await;
    let round = console.reply(req).await["round_id"].as_u64().unwrap();
    ines.next_round("bji").await;
    assert_eq!(ines.bet("bji", round, "main", 1_000, "i").await["seat"], 1);
    let req = console.send(json!({"type": "close_betting"})).await;
    assert_eq!(console.reply(req).await["type"], "ack");
    for card in ["Tc", "Ah", "9c"] {
        deal(&mut console, card).await;
    }
    let decision = ines.expect("decision").await;
    assert!(
        decision["actions"].as_array().unwrap().contains(&json!("insurance")),
        "{decision}"
    );
    for action in ["insurance", "stand"] {
        let req = ines
            .send(json!({"type": "action", "table": "bji", "round_id": round, "hand": 0, "action": action}))
            .await;
        assert_eq!(ines.reply(req).await["type"], "ack");
        if action == "insurance" {
            assert_eq!(
                server.balance("ines", "EUR").await,
                98_500,
                "the insurance stake is taken"
            );
        }
    }
    deal(&mut console, "Kd").await; // the dealer's blackjack
    let settled = ines.expect("settled").await;
    assert_eq!(settled["payouts"][0]["amount"], 1_500, "{settled}");
    assert_eq!(settled["payouts"][0]["payout"], 1_500, "{settled}");
    assert_eq!(settled["balance"]["amount"], 100_000);
    server.assert_conserved().await;
}
