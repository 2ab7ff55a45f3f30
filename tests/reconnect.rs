//! Goal: a dropped client resumes with its resume token and `last_seq` and receives exactly
//! the events it missed, in order; a stale epoch gets a snapshot; a newer connection of the
//! same session replaces the old one with close code 4004. Method: real server and real
//! WebSocket clients that really disconnect.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn resume_replays_exactly_what_was_missed() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    server.deposit("mia", "EUR", 10_000).await;
    let mut watcher = server.player("watcher", "EUR").await;
    watcher.join("bac").await;
    let mut mia = server.player("mia", "EUR").await;
    mia.join("bac").await;
    let round = mia.next_round("bac").await;
    assert_eq!(mia.bet("bac", round, "player", 500, "m1").await["type"], "ack");
    let last_seq = *mia.seqs.get("bac").unwrap();
    let epoch = mia.epochs["bac"];
    let resume = mia.resume_token.clone();
    drop(mia);

    // Let the table move on while mia is away: the round is dealt and settled.
    watcher
        .until("result", |m| m["type"] == "result" && m["round_id"] == json!(round))
        .await;
    let watcher_after = watcher
        .until("next round", |m| {
            m["type"] == "round_open" && m["round_id"].as_u64() > Some(round)
        })
        .await;

    let mut back = Client::connect_token(&server.addr, &resume).await;
    let welcome = back.expect("welcome").await;
    assert_eq!(welcome["player_id"], "mia");
    back.seqs.insert("bac".into(), last_seq);
    let req = back
        .send(json!({"type": "join", "table": "bac", "last_seq": last_seq, "epoch": epoch}))
        .await;
    let mut replayed = Vec::new();
    loop {
        let msg = back.next().await.unwrap();
        if msg["req"] == json!(req) {
            assert_eq!(msg["type"], "ack");
            assert_eq!(msg["resumed"], true, "{msg}");
            break;
        }
        assert_ne!(
            msg["type"], "snapshot",
            "a short absence must be replayed, not snapshotted"
        );
        if msg["seq"].is_u64() {
            replayed.push(msg);
        }
    }
    // `Client::next` already asserted gap-free order from last_seq.
    assert_eq!(replayed.first().unwrap()["seq"].as_u64().unwrap(), last_seq + 1);
    assert!(replayed
        .iter()
        .any(|m| m["type"] == "result" && m["round_id"] == json!(round)));
    assert!(replayed.last().unwrap()["seq"].as_u64() >= watcher_after["seq"].as_u64());
    // The bet placed before the drop stood and was paid (or lost) exactly once.
    let history = server.signed("GET", "/v1/players/mia/history", "").await.1;
    let stakes = history["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "stake")
        .count();
    assert_eq!(stakes, 1);
    server.assert_conserved().await;
}

#[tokio::test]
async fn stale_epoch_gets_a_snapshot_and_newer_connection_replaces_older() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let mut nia = server.player("nia", "EUR").await;
    nia.join("bac").await;
    nia.next_round("bac").await;
    let resume = nia.resume_token.clone();

    let mut second = Client::connect_token(&server.addr, &resume).await;
    second.expect("welcome").await;
    // The first connection is told it was replaced and must not reconnect.
    while nia.next().await.is_some() {}
    assert_eq!(nia.close_code, Some(4004));

    let req = second
        .send(json!({"type": "join", "table": "bac", "last_seq": 1, "epoch": 0}))
        .await;
    let snapshot = second.expect("snapshot").await;
    assert!(snapshot["phase"].is_string());
    assert_eq!(second.reply(req).await["type"], "ack");
    // A consumed resume token is refused before the upgrade.
    assert_eq!(upgrade_status_token(&server.addr, &resume).await, 401);
    // A plain GET (a link preview) is refused without spending a fresh launch token.
    let grant = server.launch("nia", "EUR").await;
    let path = format!("/v1/play?token={}", grant["token"].as_str().unwrap());
    assert_eq!(server.http("GET", &path, &[], "").await.0, 400);
    assert_eq!(
        upgrade_status(&server.addr, &path).await,
        101,
        "the launch token still works"
    );
}
