//! Goal: a token opens exactly one player's session, once: a used launch token, a rotated
//! resume token, a guessed or truncated token, a player's token on an operator endpoint
//! and a bet naming another player all get a clear refusal, and nobody's money moves.
//! Method: the real server, real WebSocket upgrades and REST calls.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn stolen_replayed_and_guessed_tokens_open_nothing() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    server.deposit("ann", "EUR", 10_000).await;
    server.deposit("bob", "EUR", 10_000).await;

    let grant = server.launch("ann", "EUR").await;
    let token = grant["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64, "a launch token carries 256 random bits: {token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    let mut ann = Client::connect_token(&server.addr, &token).await;
    let welcome = ann.expect("welcome").await;
    assert_eq!(welcome["player_id"], "ann");

    // A launch token works once.
    assert_eq!(upgrade_status_token(&server.addr, &token).await, 401);
    // Guessed, truncated or altered tokens.
    let mut altered = token.clone().into_bytes();
    altered[10] = if altered[10] == b'0' { b'1' } else { b'0' };
    for guess in [
        "0".repeat(64),
        token[..32].to_owned(),
        String::from_utf8(altered).unwrap(),
        token.to_uppercase(),
    ] {
        assert_eq!(
            upgrade_status_token(&server.addr, &guess).await,
            401,
            "{guess} opened a session"
        );
    }

    // A resume token reopens the same session once; the one it replaced is dead.
    let first = welcome["resume_token"].as_str().unwrap().to_owned();
    let mut again = Client::connect_token(&server.addr, &first).await;
    let second = again.expect("welcome").await;
    assert_eq!(second["player_id"], "ann");
    assert_eq!(second["session_id"], welcome["session_id"]);
    assert_eq!(upgrade_status_token(&server.addr, &first).await, 401);

    // The player's own REST call sees only its own balance; a player token is no operator key.
    let bearer = vec![(
        "Authorization",
        format!("Bearer {}", second["resume_token"].as_str().unwrap()),
    )];
    let (status, mine) = server.http("GET", "/v1/balance", &bearer, "").await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        (mine["player_id"].as_str(), mine["amount"].as_i64()),
        (Some("ann"), Some(10_000))
    );
    let (status, _) = server
        .http(
            "GET",
            "/v1/balance",
            &[("Authorization", format!("Bearer {token}"))],
            "",
        )
        .await;
    assert_eq!(status, 401, "a spent launch token read a balance");
    for path in [
        "/v1/players/bob/balance",
        "/v1/players/bob/history",
        "/v1/ledger/export",
    ] {
        let (status, reply) = server.http("GET", path, &bearer, "").await;
        assert_eq!(status, 401, "{path} answered a player token: {reply}");
    }

    // A bet cannot name another player: the session is the player.
    again.join("bac").await;
    let round = again.next_round("bac").await;
    let req = again
        .send(json!({"type": "bet", "table": "bac", "round_id": round, "spot": "banker", "amount": 1_000, "bet_id": "x-1", "player": "bob"}))
        .await;
    assert_eq!(again.reply(req).await["code"], "bad_request");
    assert_eq!(server.balance("bob", "EUR").await, 10_000);
    assert_eq!(server.balance("ann", "EUR").await, 10_000);
    server.assert_conserved().await;
}

/// Goal: one player cannot hold more than `connections_per_player_max` sockets, whatever
/// sessions an operator launched; the refusal is clear and does not spend the token.
#[tokio::test]
async fn connections_per_player_are_capped_without_spending_the_token() {
    // A table, so that sessions in EUR can be launched at all.
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "[limits]\nconnections_per_player_max = 2\n",
    );
    let url = |grant: &serde_json::Value| format!("/v1/play?token={}", grant["token"].as_str().unwrap());
    let grants = [
        server.launch("wes", "EUR").await,
        server.launch("wes", "EUR").await,
        server.launch("wes", "EUR").await,
    ];
    let first = Client::connect(&format!("ws://{}{}", server.addr, url(&grants[0]))).await;
    let mut second = Client::connect(&format!("ws://{}{}", server.addr, url(&grants[1]))).await;
    second.expect("welcome").await;
    assert_eq!(upgrade_status(&server.addr, &url(&grants[2])).await, 429);
    // Another player is not affected.
    let mut other = server.player("xia", "EUR").await;
    assert_eq!(other.welcome["player_id"], "xia");
    let _ = other.send(json!({"type": "ping"})).await;

    drop(first);
    // Once the server has seen the close, the refused (unspent) token opens its session.
    let mut status = 0;
    for _ in 0..100 {
        status = upgrade_status(&server.addr, &url(&grants[2])).await;
        if status != 429 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 101, "the third session could not connect after one closed");
}
