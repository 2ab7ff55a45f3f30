//! Loadtest smoke run, part of the test suite.
//!
//! Goal: the load generator and the engine agree end to end under a small crowd: a few
//! hundred players betting every round, a share of them dropping mid-round and resuming
//! with `last_seq`, with no missed or out-of-order table event, no unexpected error and
//! money conserved. Speed is not asserted (CI machines vary); correctness is.
//!
//! Method: run the real `croupier-loadtest` binary with `--spawn-server` pointing at the
//! real `croupier` binary (a private server on a free loopback port with a temp data dir
//! and copies of the shipped tables at a fifth of their pacing), then read its JSON report.
//!
//! The `croupier` binary is taken from `CROUPIER_BIN` when set, else from the same target
//! directory as this test's loadtest binary (`cargo build --workspace` / `cargo test
//! --workspace` build it there); when it is missing it is built with
//! `cargo build -p croupier --bin croupier` first.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn croupier_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CROUPIER_BIN") {
        return PathBuf::from(path);
    }
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_croupier-loadtest"))
        .parent()
        .expect("the loadtest binary sits in a profile dir")
        .to_owned();
    let binary = profile_dir.join("croupier");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "-p", "croupier", "--bin", "croupier"])
            .current_dir(workspace_root());
        if profile_dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        // The profile dir's parent is the target dir in use.
        if let Some(target_dir) = profile_dir.parent() {
            build.env("CARGO_TARGET_DIR", target_dir);
        }
        let status = build.status().expect("run cargo build for the croupier binary");
        assert!(status.success(), "building the croupier binary failed");
    }
    assert!(binary.exists(), "no croupier binary at {}", binary.display());
    binary
}

fn run_loadtest(name: &str, extra: &[&str]) -> Value {
    let dir = std::env::temp_dir().join(format!("croupier-loadtest-smoke-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_croupier-loadtest"))
        .arg("--spawn-server")
        .arg(croupier_binary())
        .arg("--table-set")
        .arg(workspace_root().join("tables"))
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .expect("run croupier-loadtest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}); status {}\n{stdout}\n{stderr}", output.status));
    let value: Value = serde_json::from_str(&text).expect("the report is JSON");
    assert!(
        dir.join("report.html").exists(),
        "the HTML chart is written beside the JSON"
    );
    for key in [
        "players",
        "push_p50_ms",
        "push_p99_ms",
        "push_p999_ms",
        "ack_p99_ms",
        "messages_per_s",
        "bets_per_s",
        "missed_events",
        "errors",
        "conserved",
    ] {
        assert!(value.get(key).is_some(), "report lacks {key}");
    }
    let context = format!("status {}\n{stdout}\n{}", output.status, tail(&stderr, 40));
    assert_eq!(value["missed_events"], 0, "missed events\n{context}");
    assert_eq!(value["out_of_order"], 0, "out-of-order events\n{context}");
    assert_eq!(
        value["unexpected_errors"], 0,
        "unexpected errors {}\n{context}",
        value["errors"]
    );
    assert_eq!(
        value["conserved"], true,
        "money not conserved: {}\n{context}",
        value["ledger"]
    );
    assert_eq!(
        value["players_joined"], value["players"],
        "not every player joined\n{context}"
    );
    assert_eq!(value["verdict"], "clean", "{context}");
    assert!(output.status.success(), "{context}");
    let _ = std::fs::remove_dir_all(&dir);
    value
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn a_few_hundred_players_with_drops_miss_nothing_and_conserve_money() {
    let report = run_loadtest(
        "players",
        &[
            "--players",
            "300",
            "--tables",
            "10",
            "--ramp-s",
            "2",
            "--duration-s",
            "8",
            "--pacing-scale",
            "0.2",
            "--drop-share",
            "0.2",
            "--drop-interval-s",
            "3",
            "--drop-pause-ms",
            "300",
            "--bets-per-round",
            "2",
        ],
    );
    assert!(report["bets_acked"].as_u64().unwrap() > 0, "players bet");
    assert!(report["events_total"].as_u64().unwrap() > 0, "events were pushed");
    assert!(
        report["resumes"].as_u64().unwrap() > 0,
        "some players dropped and resumed"
    );
    assert!(
        report["actions_acked"].as_u64().unwrap() > 0,
        "blackjack decisions were played"
    );
}

#[test]
fn a_short_bet_storm_is_acknowledged_and_conserves_money() {
    let report = run_loadtest(
        "storm",
        &[
            "--players",
            "40",
            "--tables",
            "4",
            "--ramp-s",
            "1",
            "--duration-s",
            "3",
            "--pacing-scale",
            "0.2",
            "--bet-storm",
        ],
    );
    assert!(report["bets_acked"].as_u64().unwrap() > 100, "the storm placed bets");
}
