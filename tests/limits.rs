//! Goal: every per-player and per-server limit holds with its stable code, the offender
//! alone is refused or closed, an honest player at the same table plays on, and no money
//! moves. Method: the real server with small limits in its config, real WebSocket clients;
//! balances and conservation through the operator API.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn bets_tables_and_connections_are_capped_with_stable_codes() {
    let server = Server::start(
        &[
            ("a", auto_table("bac", "baccarat", "")),
            ("b", auto_table("rou", "roulette", "")),
        ],
        "[limits]\nbets_per_round_max = 2\ntables_per_connection_max = 1\nconnections_max = 3\n",
    );
    server.deposit("honest", "EUR", 10_000).await;
    server.deposit("mallory", "EUR", 10_000).await;
    let mut honest = server.player("honest", "EUR").await;
    honest.join("bac").await;
    let mut mallory = server.player("mallory", "EUR").await;
    mallory.join("bac").await;

    // One table per connection: the second join is refused, the first stays joined.
    let req = mallory.send(json!({"type": "join", "table": "rou"})).await;
    assert_eq!(mallory.reply(req).await["code"], "too_many_tables");

    // Two bets per round: the third is refused and moves nothing.
    let round = mallory.next_round("bac").await;
    for n in 0..2 {
        let ack = mallory.bet("bac", round, "player", 100, &format!("m{n}")).await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    let refused = mallory.bet("bac", round, "banker", 100, "m2").await;
    assert_eq!(refused["code"], "bet_limit", "{refused}");
    let ack = honest.bet("bac", round, "banker", 500, "h0").await;
    assert_eq!(ack["type"], "ack", "the honest player is not limited by mallory: {ack}");

    // Three connections on the server: a fourth upgrade is refused with 503 and the
    // launch token is not spent; closing one lets it in.
    let third = server.player("third", "EUR").await;
    let grant = server.launch("fourth", "EUR").await;
    let path = format!("/v1/play?token={}", grant["token"].as_str().unwrap());
    assert_eq!(upgrade_status(&server.addr, &path).await, 503);
    drop(third);
    let mut admitted = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if upgrade_status(&server.addr, &path).await == 101 {
            admitted = true;
            break;
        }
    }
    assert!(admitted, "a freed connection slot was not given back");

    let settled = honest
        .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;
    assert_eq!(settled["payouts"].as_array().unwrap().len(), 1, "{settled}");
    let mine = mallory
        .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;
    assert_eq!(
        mine["payouts"].as_array().unwrap().len(),
        2,
        "only two bets stood: {mine}"
    );
    server.assert_conserved().await;
}

/// Goal: a client that stops reading is disconnected once its outbound queue is full,
/// instead of holding server memory and a connection slot, and the tables it joined go on
/// for everyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected() {
    // Eight tables dealing as fast as they can fill a stalled socket in a few seconds.
    let fast = |id: &str| {
        auto_table(id, "baccarat", "")
            .replace("bet_window_ms = 1500", "bet_window_ms = 100")
            .replace("result_pause_ms = 50", "result_pause_ms = 0")
    };
    let tables: Vec<(String, String)> = (0..8).map(|i| (format!("f{i}"), fast(&format!("fast{i}")))).collect();
    let mut all: Vec<(&str, String)> = tables.iter().map(|(f, t)| (f.as_str(), t.clone())).collect();
    all.push(("bac", auto_table("bac", "baccarat", "")));
    let server = Server::start(&all, "[limits]\nsocket_queue_max = 256\nwrite_timeout_ms = 2000\n");
    server.deposit("honest", "EUR", 10_000).await;
    let mut honest = server.player("honest", "EUR").await;
    honest.join("bac").await;

    // The stalled client: a tiny receive buffer, so the kernel cannot hide the stall.
    let grant = server.launch("stalled", "EUR").await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr.parse().unwrap()).await.unwrap();
    let url = format!(
        "ws://{}/v1/play?token={}",
        server.addr,
        grant["token"].as_str().unwrap()
    );
    let (mut stalled, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    for i in 0..8 {
        let join = json!({"type": "join", "table": format!("fast{i}"), "req": i + 1});
        stalled.send(Message::Text(join.to_string().into())).await.unwrap();
    }

    // The server lets go of the connection while the client is still not reading.
    let mut open = u64::MAX;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, metrics) = server.signed("GET", "/metrics", "").await;
        open = metrics_value(
            metrics.as_str().unwrap_or_default(),
            "croupier_connections{kind=\"player\"}",
        );
        if open == 1 {
            break;
        }
    }
    assert_eq!(open, 1, "the stalled connection is still held by the server");
    // Reading again, the client finds the end of the connection, not the thousands of
    // frames the tables pushed while it stalled.
    let mut frames = 0;
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(Ok(_)) = stalled.next().await {
            frames += 1;
        }
    })
    .await
    .expect("the stalled connection was never closed");
    assert!(
        frames < 1_000,
        "{frames} frames were kept for a client that did not read"
    );

    // The tables went on: the honest player bets and is paid at both.
    honest.join("fast0").await;
    for table in ["bac", "fast0"] {
        let round = honest.next_round(table).await;
        let ack = honest.bet(table, round, "player", 100, &format!("h-{table}")).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        honest
            .until("settled", |m| {
                m["type"] == "settled" && m["round_id"] == json!(round) && m["table"] == table
            })
            .await;
    }
    server.assert_conserved().await;
}

/// Goal: an unused launch token and a session both expire: the token and the session's
/// resume token then open nothing, and the session's open socket is closed with 4003.
#[tokio::test]
async fn launch_tokens_and_sessions_expire() {
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "[limits]\nlaunch_token_ttl_s = 1\nsession_ttl_s = 3\n",
    );
    let unused = server.launch("ann", "EUR").await;
    let mut ann = server.player("ann", "EUR").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let path = format!("/v1/play?token={}", unused["token"].as_str().unwrap());
    assert_eq!(
        upgrade_status(&server.addr, &path).await,
        401,
        "an expired launch token opened a session"
    );

    // The live session ends at its expiry (sessions are swept every 5 s).
    while ann.next().await.is_some() {}
    assert_eq!(ann.close_code, Some(4003));
    assert_eq!(
        upgrade_status_token(&server.addr, &ann.resume_token).await,
        401,
        "an expired session was resumed"
    );
    server.assert_conserved().await;
}

/// Goal: an expired launch token and an expired session's resume token keep getting the
/// documented `token_expired` (so the client knows to launch again), also after the
/// server's periodic sweep has ended the session and on every later try, while a token the
/// server never issued gets `unauthorized`. Method: short token and session lifetimes; the
/// tokens are presented after the live session was closed with 4003, which the sweep does.
#[tokio::test]
async fn expired_tokens_are_answered_token_expired_after_the_sweep() {
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "[limits]\nlaunch_token_ttl_s = 1\nsession_ttl_s = 2\n",
    );
    let unused = server.launch("ann", "EUR").await;
    let unused = unused["token"].as_str().unwrap().to_owned();
    let mut ann = server.player("ann", "EUR").await;
    // The sweep (every 5 s) ends the session: by then the launch token has expired too.
    while ann.next().await.is_some() {}
    assert_eq!(ann.close_code, Some(4003));

    for attempt in 1..=2 {
        for (what, token) in [("launch", &unused), ("resume", &ann.resume_token)] {
            assert_eq!(
                refusal(&server.addr, token).await,
                (401, "token_expired".to_owned()),
                "the expired {what} token, try {attempt}"
            );
        }
        let path = format!("/v1/play?token={unused}");
        let in_url = tokio_tungstenite::connect_async(format!("ws://{}{path}", server.addr)).await;
        assert_eq!(
            refusal_of(in_url),
            (401, "token_expired".to_owned()),
            "the expired launch token in the URL, try {attempt}"
        );
    }
    let never_issued = "ab".repeat(32);
    assert_eq!(
        refusal(&server.addr, &never_issued).await,
        (401, "unauthorized".to_owned())
    );
    server.assert_conserved().await;
}

/// The status and body `code` of a refused `/v1/play` upgrade presenting `token` as the
/// `croupier.token.` subprotocol.
async fn refusal(addr: &str, token: &str) -> (u16, String) {
    refusal_of(tokio_tungstenite::connect_async(play_request(addr, token)).await)
}

fn refusal_of<T>(result: Result<T, tokio_tungstenite::tungstenite::Error>) -> (u16, String) {
    match result {
        Ok(_) => panic!("the upgrade was accepted"),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body: serde_json::Value = response
                .body()
                .as_deref()
                .and_then(|body| serde_json::from_slice(body).ok())
                .unwrap_or_default();
            (
                response.status().as_u16(),
                body["code"].as_str().unwrap_or_default().to_owned(),
            )
        }
        Err(other) => panic!("upgrade failed without an HTTP answer: {other}"),
    }
}

fn metrics_value(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}
