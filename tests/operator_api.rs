//! Goal: operator endpoints refuse unsigned, mis-signed, stale and replayed requests; an
//! operator can revoke a player's sessions (the socket closes with 4005 and the token is
//! dead); the public endpoints keep their contract. Method: real server, raw HTTP requests
//! signed (or not) as the README describes, and a real WebSocket.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::json;

#[tokio::test]
async fn signatures_are_enforced() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let body = json!({"player_id": "pat", "currency": "EUR", "amount": 100}).to_string();
    let path = "/v1/sandbox/deposit";
    assert_eq!(server.http("POST", path, &[], &body).await.0, 401, "unsigned");

    let forged = sign_headers("POST", path, &body, "not-the-secret");
    assert_eq!(
        server.http("POST", path, &forged, &body).await.1["code"],
        "unauthorized"
    );

    let tampered = sign_headers("POST", path, &body, SECRET);
    let other_body = body.replace("100", "100000");
    assert_eq!(
        server.http("POST", path, &tampered, &other_body).await.0,
        401,
        "body changed after signing"
    );

    let stale_ts = (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() - 120).to_string();
    let nonce = "0123456789abcdef0123";
    let stale = vec![
        ("X-Croupier-Key", KEY_ID.to_owned()),
        ("X-Croupier-Timestamp", stale_ts.clone()),
        ("X-Croupier-Nonce", nonce.to_owned()),
        (
            "X-Croupier-Signature",
            signature(SECRET, &stale_ts, nonce, "POST", path, &body),
        ),
    ];
    assert_eq!(server.http("POST", path, &stale, &body).await.0, 401, "stale timestamp");

    let good = sign_headers("POST", path, &body, SECRET);
    assert_eq!(server.http("POST", path, &good, &body).await.0, 200);
    let replay = server.http("POST", path, &good, &body).await;
    assert_eq!(replay.0, 401, "a replayed request must be refused");
    assert_eq!(
        server.balance("pat", "EUR").await,
        100,
        "only the one good request moved money"
    );

    for bad_amount in ["0", "-5", "1.5", "\"10\"", "99999999999999999999"] {
        let body = format!(r#"{{"player_id":"pat","currency":"EUR","amount":{bad_amount}}}"#);
        let (status, reply) = server.signed("POST", path, &body).await;
        assert_eq!(status, 400, "{bad_amount}: {reply}");
    }
    let unknown_field = r#"{"player_id":"pat","currency":"EUR","amount":5,"bonus":1}"#;
    assert_eq!(
        server.signed("POST", path, unknown_field).await.1["code"],
        "bad_request"
    );
    assert_eq!(server.balance("pat", "EUR").await, 100);
    server.assert_conserved().await;
}

#[tokio::test]
async fn revoked_sessions_are_closed_and_dead() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let mut quinn = server.player("quinn", "EUR").await;
    let (status, reply) = server.signed("DELETE", "/v1/players/quinn/sessions", "").await;
    assert_eq!((status, reply["revoked"].as_u64()), (200, Some(1)));
    while quinn.next().await.is_some() {}
    assert_eq!(quinn.close_code, Some(4005), "revocation close code");
    assert_eq!(upgrade_status_token(&server.addr, &quinn.resume_token).await, 401);
    let spare = server.launch("quinn", "EUR").await;
    let session = spare["session_id"].as_str().unwrap();
    assert_eq!(
        server.signed("DELETE", &format!("/v1/sessions/{session}"), "").await.0,
        200
    );
    let status = upgrade_status(
        &server.addr,
        &format!("/v1/play?token={}", spare["token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 401, "a revoked launch token must not open a socket");
}

#[tokio::test]
async fn public_endpoints_keep_their_contract() {
    let server = Server::start(
        &[
            ("b", auto_table("bac", "baccarat", "")),
            ("r", auto_table("rou", "roulette", "")),
        ],
        "",
    );
    assert_eq!(server.http("GET", "/healthz", &[], "").await.1["status"], "ok");
    let lobby = server.http("GET", "/v1/lobby", &[], "").await.1;
    let tables = lobby["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2);
    for table in tables {
        for key in ["id", "game", "name", "dealer", "phase", "round_id", "players", "limits"] {
            assert!(table.get(key).is_some(), "lobby table lacks {key}: {table}");
        }
    }
    let mut rae = server.player("rae", "EUR").await;
    server.deposit("rae", "EUR", 10_000).await;
    rae.join("bac").await;
    let round = rae.next_round("bac").await;
    rae.bet("bac", round, "tie", 100, "t").await;
    rae.bet("bac", round, "moon", 100, "m").await;
    let (_, metrics) = server.signed("GET", "/metrics", "").await;
    let text = metrics.as_str().unwrap_or_default().to_owned();
    for name in [
        "croupier_bets_accepted_total",
        "croupier_bets_rejected_total",
        "croupier_journal_flush_seconds",
        "croupier_connections",
    ] {
        assert!(text.contains(name), "/metrics lacks {name}");
    }
    assert!(text.contains("code=\"unknown_spot\""), "rejections are counted by code");
    let balance = server
        .http(
            "GET",
            "/v1/balance",
            &[("Authorization", format!("Bearer {}", rae.resume_token))],
            "",
        )
        .await;
    assert_eq!(balance.1["amount"], 9_900, "{balance:?}");
    assert_eq!(
        server
            .http("GET", "/v1/balance", &[("Authorization", "Bearer nope".into())], "")
            .await
            .0,
        401
    );
}

/// Goal: the audit export gives every money movement exactly once, with its session, round
/// and time, however it is paged, and only to a signed operator.
#[tokio::test]
async fn the_ledger_export_pages_through_every_movement_once() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    for player in ["pia", "quin", "ruth"] {
        server.deposit(player, "EUR", 10_000).await;
    }
    let mut pia = server.player("pia", "EUR").await;
    pia.join("bac").await;
    let round = pia.next_round("bac").await;
    assert_eq!(pia.bet("bac", round, "tie", 500, "p-1").await["type"], "ack");

    let (status, _) = server.http("GET", "/v1/ledger/export", &[], "").await;
    assert_eq!(status, 401, "the export is for operators only");
    let (status, reply) = server.signed("GET", "/v1/ledger/export?after=zz", "").await;
    assert_eq!((status, reply["code"].as_str()), (400, Some("bad_request")), "{reply}");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(next) => format!("/v1/ledger/export?limit=2&after={next}"),
            None => "/v1/ledger/export?limit=2".to_owned(),
        };
        let (status, page) = server.signed("GET", &path, "").await;
        assert_eq!(status, 200, "{page}");
        let records = page["records"].as_array().unwrap();
        assert!(records.len() <= 2, "{page}");
        seen.extend(records.iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let mut txids: Vec<String> = seen
        .iter()
        .map(|r| format!("{}/{}", r["player"], r["txid"].as_str().unwrap()))
        .collect();
    txids.sort();
    txids.dedup();
    assert_eq!(txids.len(), seen.len(), "a movement was exported twice: {seen:?}");
    assert_eq!(seen.iter().filter(|r| r["kind"] == "deposit").count(), 3, "{seen:?}");
    let stake = seen
        .iter()
        .find(|r| r["txid"] == format!("stake/{round}/p-1").as_str())
        .expect("the stake is exported");
    assert_eq!(stake["amount"], 500);
    assert_eq!(stake["round_id"], round);
    assert!(stake["session_id"].as_str().is_some_and(|s| !s.is_empty()), "{stake}");
    assert!(stake["ts_us"].as_i64().is_some(), "{stake}");
}

/// Goal: a body not sent as JSON (a cross-site form or text/plain post) is refused with a
/// stable code before anything happens.
#[tokio::test]
async fn bodies_must_be_sent_as_json() {
    let server = Server::start(&[], "");
    let body = json!({"player_id": "vic", "currency": "EUR", "amount": 500}).to_string();
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut headers = sign_headers("POST", "/v1/sandbox/deposit", &body, SECRET);
        // The harness adds application/json to any body unless a Content-Type is given.
        headers.push(("Content-Type", content_type.unwrap_or("").to_owned()));
        let (status, reply) = server.http("POST", "/v1/sandbox/deposit", &headers, &body).await;
        assert_eq!(status, 415, "{content_type:?}: {reply}");
        assert_eq!(reply["code"], "unsupported_media_type");
    }
    assert_eq!(server.balance("vic", "EUR").await, 0);
}

/// Goal: a movement retried with the same `tx_id` after the server was killed (SIGKILL) and
/// restarted is applied once, and the same `tx_id` with another amount is refused: the
/// idempotency check reaches what is durable, not what one process remembers.
#[tokio::test]
async fn a_tx_id_repeated_across_a_restart_is_applied_once() {
    let mut server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let deposit = json!({"player_id": "ida", "currency": "EUR", "amount": 5_000, "tx_id": "ida-1"}).to_string();
    assert_eq!(server.signed("POST", "/v1/sandbox/deposit", &deposit).await.0, 200);
    server.kill();
    server.start_again();
    let (status, reply) = server.signed("POST", "/v1/sandbox/deposit", &deposit).await;
    assert_eq!(status, 200, "a repeated tx_id is harmless: {reply}");
    let changed = json!({"player_id": "ida", "currency": "EUR", "amount": 1, "tx_id": "ida-1"}).to_string();
    let (status, reply) = server.signed("POST", "/v1/sandbox/deposit", &changed).await;
    assert_eq!(reply["code"], "duplicate_transaction", "{status} {reply}");
    assert_eq!(server.balance("ida", "EUR").await, 5_000, "applied once");
    server.assert_conserved().await;
}
