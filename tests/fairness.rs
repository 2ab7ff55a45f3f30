//! Goal: every auto-dealt round can be verified by anyone once its shoe is revealed: the
//! REST verify endpoint says `verified`, and the offline `croupier verify` reproduces the
//! same cards. Method: real server with a 1-deck shoe that ends after a few rounds.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn finished_shoe_verifies_over_rest_and_offline() {
    let server = Server::start(
        &[(
            "small",
            auto_table("small", "baccarat", "decks = 1\ncut_cards_from_end = 30"),
        )],
        "",
    );
    let mut kim = server.player("kim", "EUR").await;
    kim.join("small").await;
    let open = kim.expect("round_open").await;
    let first_round = open["round_id"].as_u64().unwrap();
    let commit = open["commit"].as_str().unwrap().to_owned();
    let pending = server
        .http("GET", &format!("/v1/rounds/{first_round}/verify"), &[], "")
        .await
        .1;
    assert!(
        pending["server_seed"].is_null(),
        "the seed must stay secret until the shoe ends: {pending}"
    );
    let reveal = kim.expect("reveal").await;
    assert_eq!(reveal["commit"], commit.as_str());
    let seed = reveal["server_seed"].as_str().unwrap();
    let (status, verdict) = server
        .http("GET", &format!("/v1/rounds/{first_round}/verify"), &[], "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(verdict["status"], "verified", "{verdict}");

    let record = server
        .http("GET", &format!("/v1/rounds/{first_round}"), &[], "")
        .await
        .1;
    let dealt: Vec<&str> = record["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["card"].as_str().unwrap())
        .collect();
    assert!(dealt.len() >= 4);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_croupier"))
        .args([
            "verify",
            "--server-seed",
            seed,
            "--client-seed",
            reveal["client_seed"].as_str().unwrap(),
        ])
        .args(["--nonce", &reveal["shoe"].to_string(), "--decks", "1", "--count", "52"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let offline: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(offline["commit"], commit.as_str());
    assert!(!server.logs().contains(seed), "server seeds never reach the logs");
    let start = record["shoe_start"].as_u64().unwrap() as usize;
    let offline_cards: Vec<&str> = offline["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(&offline_cards[start..start + dealt.len()], dealt.as_slice());
}

#[tokio::test]
async fn roulette_spins_verify_each_round() {
    let server = Server::start(&[("r", auto_table("rou", "roulette", ""))], "");
    let mut lee = server.player("lee", "EUR").await;
    lee.join("rou").await;
    let round = lee.next_round("rou").await;
    let ball = lee.expect("ball").await;
    lee.expect("reveal").await;
    let verdict = server
        .http("GET", &format!("/v1/rounds/{round}/verify"), &[], "")
        .await
        .1;
    assert_eq!(verdict["status"], "verified", "{verdict}");
    assert_eq!(verdict["expected"]["pocket"], ball["pocket"]);
    assert!(verdict.get("decks").is_none(), "a spin has no decks: {verdict}");
    let record = server.http("GET", &format!("/v1/rounds/{round}"), &[], "").await.1;
    assert!(record.get("decks").is_none(), "a spin has no decks: {record}");
}
