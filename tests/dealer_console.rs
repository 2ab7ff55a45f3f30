//! Goal: a dealer console drives a live table (open, close, deal typed cards to named
//! positions, undo) while players watch and get paid, and a void refunds every bet.
//! Method: real server with a console-driven baccarat table; a real dealer WebSocket
//! and real player WebSockets.

mod common;

use common::*;
use serde_json::{json, Value};

async fn dealer(server: &Server, table: &str, key: &str) -> Client {
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table={table}", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": key})).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "dealer auth refused: {reply}");
    console
}

async fn command(console: &mut Client, msg: Value) -> Value {
    let req = console.send(msg.clone()).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "{msg} refused: {reply}");
    reply
}

#[tokio::test]
async fn dealer_deals_a_round_players_watch_and_are_paid() {
    let server = Server::start(&[("live", console_table("live", "baccarat"))], "");
    server.deposit("gina", "EUR", 10_000).await;
    let mut gina = server.player("gina", "EUR").await;
    gina.join("live").await;
    let mut console = dealer(&server, "live", DEALER_KEY).await;

    let round = command(&mut console, json!({"type": "open_round"})).await["round_id"]
        .as_u64()
        .unwrap();
    assert_eq!(gina.next_round("live").await, round);
    assert_eq!(gina.bet("live", round, "player", 1_000, "g1").await["type"], "ack");
    let bets = console.expect("bets").await;
    assert_eq!(bets["exposure"]["EUR"]["staked"], 1_000, "{bets}");
    command(&mut console, json!({"type": "close_betting"})).await;

    // A wrong position is refused; a mistyped card is undone.
    let req = console
        .send(json!({"type": "deal", "card": "9h", "position": "banker1"}))
        .await;
    assert_eq!(console.reply(req).await["code"], "wrong_position");
    command(
        &mut console,
        json!({"type": "deal", "card": "2c", "position": "player1"}),
    )
    .await;
    command(&mut console, json!({"type": "undo"})).await;
    // Player 9 + K = 9 (natural), banker 3 + 4 = 7: player wins with four cards.
    for (card, position) in [
        ("9h", "player1"),
        ("3d", "banker1"),
        ("Ks", "player2"),
        ("4c", "banker2"),
    ] {
        command(
            &mut console,
            json!({"type": "deal", "card": card, "position": position}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let result = loop {
        let msg = gina.next().await.unwrap();
        match msg["type"].as_str().unwrap() {
            "card" => seen.push(msg["card"].as_str().unwrap().to_owned()),
            "card_undone" => {
                seen.pop();
            }
            "result" => break msg,
            _ => {}
        }
    };
    assert_eq!(seen, ["9h", "3d", "Ks", "4c"]);
    assert_eq!(result["outcome"]["winner"], "player", "{result}");
    let settled = gina.expect("settled").await;
    assert_eq!(settled["balance"]["amount"], 11_000, "{settled}");
    server.assert_conserved().await;
}

#[tokio::test]
async fn void_refunds_everyone_and_dealer_keys_open_only_their_tables() {
    let config = format!(
        "[[dealers]]\nkey = \"{DEALER_KEY}\"\ntables = [\"live\"]\n\n[[dealers]]\nkey = \"other-key\"\ntables = [\"elsewhere\"]\n"
    );
    let server = Server::start(&[("live", console_table("live", "baccarat"))], &config);
    let mut players = Vec::new();
    for name in ["hana", "ivan", "jade"] {
        server.deposit(name, "EUR", 5_000).await;
        let mut client = server.player(name, "EUR").await;
        client.join("live").await;
        players.push(client);
    }
    // A key for another table is refused.
    let mut intruder = Client::connect(&format!("ws://{}/v1/deal?table=live", server.addr)).await;
    let req = intruder.send(json!({"type": "auth", "key": "other-key"})).await;
    assert_eq!(intruder.reply(req).await["code"], "unauthorized");

    let mut console = dealer(&server, "live", DEALER_KEY).await;
    let round = command(&mut console, json!({"type": "open_round"})).await["round_id"]
        .as_u64()
        .unwrap();
    for (i, client) in players.iter_mut().enumerate() {
        client.next_round("live").await;
        assert_eq!(
            client.bet("live", round, "banker", 1_000 + i as i64 * 100, "v").await["type"],
            "ack"
        );
    }
    command(&mut console, json!({"type": "close_betting"})).await;
    command(&mut console, json!({"type": "deal", "card": "5h"})).await;
    // The void's ack comes after its `round_void`, which is durable and broadcast by then.
    let req = console
        .send(json!({"type": "void", "reason": "card dropped on the floor"}))
        .await;
    let mut void_seen = false;
    loop {
        let msg = console.next().await.expect("the console stays open");
        if msg["type"] == "round_void" {
            void_seen = true;
        }
        if msg["req"] == json!(req) {
            assert_eq!(msg["type"], "ack", "{msg}");
            assert!(void_seen, "the void was acknowledged before its round_void");
            break;
        }
    }
    for client in &mut players {
        let void = client.expect("round_void").await;
        assert_eq!(void["reason"], "card dropped on the floor");
    }
    // Refunds are durable credits: poll until every balance is whole again.
    for name in ["hana", "ivan", "jade"] {
        let mut balance = 0;
        for _ in 0..100 {
            balance = server.balance(name, "EUR").await;
            if balance == 5_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(balance, 5_000, "{name} was not refunded");
    }
    let record = server.http("GET", &format!("/v1/rounds/{round}"), &[], "").await.1;
    assert_eq!(record["status"], "void", "{record}");
    server.assert_conserved().await;
}

/// Goal: a graceful stop (SIGTERM) tells a connected dealer console that its round is void
/// and to come back later (close 1001), as it tells players.
#[tokio::test]
async fn sigterm_voids_the_round_and_closes_the_console_with_1001() {
    let mut server = Server::start(&[("live", console_table("live", "baccarat"))], "");
    let mut console = dealer(&server, "live", DEALER_KEY).await;
    let round = command(&mut console, json!({"type": "open_round"})).await["round_id"]
        .as_u64()
        .unwrap();

    let stopping = std::thread::spawn(move || server.terminate());
    let void = console
        .until("round_void", |m| m["type"] == "round_void" || m["type"] == "closed")
        .await;
    assert_eq!(void["round_id"], json!(round), "{void}");
    while console.next().await.is_some() {}
    assert_eq!(console.close_code, Some(1001), "the console is told to reconnect later");
    assert!(stopping.join().unwrap(), "the server exits with status 0 after SIGTERM");
}
