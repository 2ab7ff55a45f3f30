//! Goal: a blackjack player who drops mid-decision gets `countdown` warnings on the client
//! they reconnect with, then the hand stands; an idle session is warned, then closed with
//! 4007, and its bet still settles. Method: real server, real sockets that really drop.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn dropped_player_sees_the_countdown_after_reconnecting_then_stands() {
    let table = console_table("bjc", "blackjack").replace("decision_ms = 1500", "decision_ms = 6000");
    let server = Server::start(&[("bjc", table)], "");
    server.deposit("vera", "EUR", 10_000).await;
    let mut vera = server.player("vera", "EUR").await;
    vera.join("bjc").await;
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=bjc", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    console.reply(req).await;
    let req = console.send(json!({"type": "open_round"})).await;
    let round = console.reply(req).await["round_id"].as_u64().unwrap();
    vera.next_round("bjc").await;
    assert_eq!(vera.bet("bjc", round, "main", 1_000, "v").await["type"], "ack");
    let req = console.send(json!({"type": "close_betting"})).await;
    console.reply(req).await;
    for card in ["9h", "7c", "8d"] {
        let req = console.send(json!({"type": "deal", "card": card})).await;
        assert_eq!(console.reply(req).await["type"], "ack");
    }
    vera.expect("decision").await;
    let last_seq = vera.seqs["bjc"];
    let epoch = vera.epochs["bjc"];
    let resume = vera.resume_token.clone();
    drop(vera);

    let mut back = Client::connect_token(&server.addr, &resume).await;
    back.expect("welcome").await;
    back.seqs.insert("bjc".into(), last_seq);
    back.send(json!({"type": "join", "table": "bjc", "last_seq": last_seq, "epoch": epoch}))
        .await;
    let warning = back.expect("countdown").await;
    assert_eq!(
        (warning["seat"].as_u64(), warning["remaining_ms"].as_u64()),
        (Some(1), Some(5_000))
    );
    assert_eq!(back.expect("countdown").await["remaining_ms"], 2_000);
    let stood = back.expect("action").await;
    assert_eq!(
        (stood["action"].as_str(), stood["auto"].as_bool()),
        (Some("stand"), Some(true))
    );
}

#[tokio::test]
async fn idle_session_is_warned_then_closed_and_its_bet_still_settles() {
    let table = auto_table("bac", "baccarat", "").replace("bet_window_ms = 1500", "bet_window_ms = 400");
    let server = Server::start(
        &[("b", table)],
        "[limits]\nsession_idle_ms = 2000\nheartbeat_ms = 100\n",
    );
    server.deposit("walt", "EUR", 10_000).await;
    let mut walt = server.player("walt", "EUR").await;
    walt.join("bac").await;
    let round = walt.next_round("bac").await;
    assert_eq!(walt.bet("bac", round, "banker", 1_000, "w").await["type"], "ack");
    let warning = walt.expect("idle_warning").await;
    assert!(warning["closes_in_ms"].as_u64().unwrap() <= 2_000);
    while walt.next().await.is_some() {}
    assert_eq!(walt.close_code, Some(4007));
    // The bet stands: the round settles and the ledger shows the stake and its outcome.
    let mut settled = false;
    for _ in 0..200 {
        let record = server.signed("GET", &format!("/v1/rounds/{round}"), "").await.1;
        if record["status"] == "settled" {
            assert_eq!(record["bets"][0]["player"], "walt");
            let public = server.http("GET", &format!("/v1/rounds/{round}"), &[], "").await.1;
            assert!(
                public["bets"][0]["player"].is_null(),
                "the public round record hides who bet: {public}"
            );
            assert_eq!(public["bets"][0]["amount"], 1_000);
            settled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(settled, "the round of an idle-closed player settles");
    server.assert_conserved().await;
}
