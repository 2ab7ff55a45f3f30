//! Goal: the logs of a full run, at the most verbose level, never carry a launch
//! or resume token (valid or forged), the operator secret, a dealer key (right or wrong) or a
//! server seed. Method: the real server at `RUST_LOG=trace` (ours and every library's); players launch,
//! connect, resume, bet and read their balance, a dealer console signs in, bad tokens and
//! keys are tried, a shoe runs out and is revealed; then the log file is searched.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn logs_of_a_full_run_carry_no_secrets() {
    let server = Server::start_logging(
        &[
            (
                "small",
                auto_table("small", "baccarat", "decks = 1\ncut_cards_from_end = 30"),
            ),
            ("live", console_table("live", "baccarat")),
        ],
        "",
        "trace",
    );
    let mut secrets = vec![SECRET.to_owned(), DEALER_KEY.to_owned()];
    server.deposit("kim", "EUR", 100_000).await;

    // Launch, connect, resume, and a REST call with the resume token.
    let grant = server.launch("kim", "EUR").await;
    let launch = grant["token"].as_str().unwrap().to_owned();
    let mut first = Client::connect_token(&server.addr, &launch).await;
    let welcome = first.expect("welcome").await;
    let resume = welcome["resume_token"].as_str().unwrap().to_owned();
    let mut kim = Client::connect_token(&server.addr, &resume).await;
    let again = kim.expect("welcome").await;
    let current = again["resume_token"].as_str().unwrap().to_owned();
    let bearer = [("Authorization", format!("Bearer {current}"))];
    assert_eq!(server.http("GET", "/v1/balance", &bearer, "").await.0, 200);
    secrets.extend([launch.clone(), resume.clone(), current.clone()]);

    // Refused tokens and keys are not echoed either.
    let forged = "f".repeat(64);
    for token in [&launch, &resume, &forged] {
        assert_eq!(upgrade_status_token(&server.addr, token).await, 401);
        let bearer = [("Authorization", format!("Bearer {token}"))];
        assert_eq!(server.http("GET", "/v1/balance", &bearer, "").await.0, 401);
    }
    secrets.push(forged);
    let wrong_key = "not-the-dealer-key-0123456789";
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=live", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": wrong_key})).await;
    assert_eq!(console.reply(req).await["type"], "error");
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=live", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    assert_eq!(console.reply(req).await["type"], "ack");
    secrets.push(wrong_key.to_owned());
    let (status, _) = server
        .http(
            "GET",
            "/v1/ledger/summary",
            &sign_headers("GET", "/v1/ledger/summary", "", "wrong-secret"),
            "",
        )
        .await;
    assert_eq!(status, 401);
    secrets.push("wrong-secret".to_owned());

    // Bet through the whole shoe; its seed is revealed at the end.
    kim.join("small").await;
    let mut n = 0;
    let seed = loop {
        let msg = kim.next().await.expect("socket closed");
        if msg["type"] == "round_open" {
            n += 1;
            let req = kim
                .send(json!({"type": "bet", "table": "small", "round_id": msg["round_id"], "spot": "banker", "amount": 100, "bet_id": format!("b{n}")}))
                .await;
            assert_eq!(kim.reply(req).await["type"], "ack");
        }
        if msg["type"] == "reveal" {
            break msg["server_seed"].as_str().unwrap().to_owned();
        }
    };
    secrets.push(seed);
    server.assert_conserved().await;

    let logs = server.logs();
    assert!(logs.contains("player connected"), "the log was not written: {logs}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "the logs contain a secret ({} chars)",
            secret.len()
        );
    }
}
