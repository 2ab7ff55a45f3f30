//! Goal: `croupier replay` rebuilds balances and rounds offline and exits non-zero on any
//! inconsistency. Method: real server plays settled rounds, is stopped, the audit passes;
//! then one payout is deleted from the journal behind its back and the audit must name it.

mod common;

use common::*;
use croupier::journal::records::{self, LedgerRecord, TxKind};
use croupier::journal::{journal_dir, Journal, Tree};
use serde_json::{json, Value};

fn replay(server: &Server) -> (bool, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_croupier"))
        .arg("replay")
        .arg("--data")
        .arg(server.data_dir())
        .output()
        .unwrap();
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn replay_finds_a_missing_payout() {
    let mut server = Server::start(&[("d", auto_table("dt", "dragon_tiger", ""))], "");
    server.deposit("uma", "EUR", 100_000).await;
    let mut uma = server.player("uma", "EUR").await;
    uma.join("dt").await;
    // Both sides: one of them wins (or both get half back on a tie): a payout is certain.
    let round = uma.next_round("dt").await;
    uma.bet("dt", round, "dragon", 1_000, "d").await;
    uma.bet("dt", round, "tiger", 1_000, "t").await;
    uma.until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;
    assert!(server.terminate());

    let (ok, report) = replay(&server);
    assert!(ok, "a healthy journal passes: {report}");
    assert!(report["rounds"].as_u64().unwrap() >= 1);
    assert_eq!(report["currencies"]["EUR"]["deposits"], 100_000);

    {
        let journal = Journal::open(&journal_dir(&server.data_dir()), 16 << 20, 16).unwrap();
        let ledger = journal.tree(Tree::Ledger);
        let payout = ledger
            .iter()
            .filter_map(Result::ok)
            .find(|(_, v)| records::decode::<LedgerRecord>("ledger", v).unwrap().kind == TxKind::Payout)
            .expect("a payout was made");
        ledger.remove(payout.0).unwrap();
        ledger.flush().unwrap();
    }
    let (ok, report) = replay(&server);
    assert!(!ok, "a missing payout must fail the audit");
    let problems = report["problems"].to_string();
    assert!(
        problems.contains(&format!("round {round}")),
        "the audit names the round: {problems}"
    );
}
