//! Goal: the `odds` and `verify` subcommands print the documented JSON keys with the
//! published values, and bad input gets a clear error and a non-zero exit, never a panic.
//! Method: run the real binary as a user would.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_croupier"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr,
    )
}

#[test]
fn odds_match_published_values() {
    let (code, baccarat, _) = run(&["odds", "baccarat", "--decks", "8"]);
    assert_eq!(code, 0);
    for (key, value) in [("banker", 0.458597), ("player", 0.446247), ("tie", 0.095156)] {
        assert!(
            (baccarat[key].as_f64().unwrap() - value).abs() < 5e-7,
            "{key}: {baccarat}"
        );
    }
    assert!(baccarat["player_pair"].as_f64().unwrap() > 0.07 && baccarat["banker_pair"].is_f64());
    let (_, seen, _) = run(&["odds", "baccarat", "--decks", "8", "--seen", "Kh,5d,9c"]);
    assert_ne!(seen["banker"], baccarat["banker"], "removing cards changes the odds");

    let (code, bj, _) = run(&["odds", "blackjack", "--decks", "infinite", "--upcard", "6"]);
    assert_eq!(code, 0);
    assert!((bj["bust"].as_f64().unwrap() - 0.4232).abs() < 5e-4, "{bj}");
    let sum: f64 = ["17", "18", "19", "20", "21", "bust", "blackjack"]
        .iter()
        .map(|k| bj[*k].as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9);
    let (_, h17, _) = run(&["odds", "blackjack", "--decks", "6", "--upcard", "6", "--h17"]);
    assert!(h17["bust"].as_f64() > bj["bust"].as_f64().map(|b| b - 0.01));

    let (_, dt, _) = run(&["odds", "dragon-tiger", "--decks", "8"]);
    assert!(
        (dt["tie"].as_f64().unwrap() - 0.0747).abs() < 1e-3 && dt["dragon"] == dt["tiger"],
        "{dt}"
    );

    let (_, roulette, _) = run(&["odds", "roulette"]);
    for row in roulette["bets"].as_array().unwrap() {
        assert!(
            (row["house_edge"].as_f64().unwrap() - 1.0 / 37.0).abs() < 1e-12,
            "{row}"
        );
    }
}

#[test]
fn verify_reproduces_the_published_vector() {
    // Vector 1 of docs/fairness.md.
    let seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let (code, out, _) = run(&[
        "verify",
        "--server-seed",
        seed,
        "--client-seed",
        "",
        "--nonce",
        "0",
        "--decks",
        "1",
        "--count",
        "10",
    ]);
    assert_eq!(code, 0);
    let cards: Vec<&str> = out["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cards, ["2d", "7d", "8s", "5c", "3d", "9d", "Tc", "6s", "Js", "Jh"]);
    assert!(out["commit"].as_str().unwrap().starts_with("630dcd29"));
}

#[test]
fn bad_input_is_a_clear_error() {
    for (args, says) in [
        (vec!["odds", "baccarat", "--decks", "0"], "decks"),
        (
            vec!["odds", "baccarat", "--decks", "8", "--seen", "Kh,Zz"],
            "not a card",
        ),
        (
            vec!["odds", "baccarat", "--decks", "1", "--seen", "Kh,Kd,Kc,Ks,Kh"],
            "no more",
        ),
        (vec!["odds", "blackjack", "--decks", "two", "--upcard", "6"], "decks"),
        (vec!["odds", "blackjack", "--decks", "8", "--upcard", "Z"], "rank"),
        (vec!["verify", "--server-seed", "xyz", "--nonce", "1"], "seed"),
        (
            vec![
                "verify",
                "--server-seed",
                &"0".repeat(64),
                "--nonce",
                "1",
                "--decks",
                "0",
            ],
            "decks",
        ),
    ] {
        let (code, _, stderr) = run(&args);
        assert_ne!(code, 0, "{args:?} succeeded");
        assert!(stderr.to_lowercase().contains(says), "{args:?}: {stderr}");
    }
}
