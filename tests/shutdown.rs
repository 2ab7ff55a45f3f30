//! Goal: a graceful stop (SIGTERM) in the middle of a round voids it and refunds every bet
//! before the process exits, tells players to come back later (close 1001), and leaves
//! nothing for recovery to repair. Method: real server, real player, real SIGTERM.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn sigterm_voids_the_running_round_and_refunds_before_exit() {
    let table = auto_table("bac", "baccarat", "").replace("bet_window_ms = 1500", "bet_window_ms = 60000");
    let mut server = Server::start(&[("b", table)], "");
    server.deposit("sam", "EUR", 10_000).await;
    let mut sam = server.player("sam", "EUR").await;
    // The table opened its first round (60 s of betting) before sam joined.
    let snapshot = sam.join("bac").await;
    assert_eq!(snapshot["phase"], "betting", "{snapshot}");
    let round = snapshot["round_id"].as_u64().unwrap();
    assert_eq!(sam.bet("bac", round, "banker", 2_500, "s1").await["type"], "ack");

    let stopping = std::thread::spawn(move || {
        let clean = server.terminate();
        (server, clean)
    });
    let void = sam
        .until("round_void", |m| m["type"] == "round_void" || m["type"] == "closed")
        .await;
    assert_eq!(void["round_id"], json!(round));
    assert_eq!(void["reason"], "server shutting down");
    while sam.next().await.is_some() {}
    assert_eq!(sam.close_code, Some(1001), "players are told to reconnect later");
    let (mut server, clean) = stopping.join().unwrap();
    assert!(clean, "the server exits with status 0 after SIGTERM");

    server.start_again();
    assert_eq!(server.balance("sam", "EUR").await, 10_000, "the stake was refunded");
    let record = server.http("GET", &format!("/v1/rounds/{round}"), &[], "").await.1;
    assert_eq!(record["status"], "void");
    assert_eq!(record["void_reason"], "server shutting down");
    assert!(
        !server.logs().contains("finishing rounds interrupted"),
        "a graceful stop leaves nothing to repair"
    );
    server.assert_conserved().await;
}
