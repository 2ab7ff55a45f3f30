//! Goal: SIGKILL at any instant loses no acknowledged bet, pays nothing twice, keeps every
//! table's event stream gap-free and money conserved. Method: a real server with several
//! fast tables and concurrent bettors is killed with SIGKILL at seeded random moments,
//! `croupier replay` audits the data dir offline, the server restarts on the same data, and
//! every bet acknowledged before the kill is checked to be settled or refunded exactly once.
//!
//! `CROUPIER_CRASH_KILLS` (default 20) and `CROUPIER_CRASH_SEED` make longer runs.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// A bet the server acknowledged: (player, round_id, bet_id).
type Acked = Arc<Mutex<Vec<(String, u64, String)>>>;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const TABLES: [(&str, &str, &[&str]); 3] = [
    ("bac", "baccarat", &["player", "banker", "tie", "player_pair"]),
    ("dt", "dragon_tiger", &["dragon", "tiger", "tie"]),
    (
        "rou",
        "roulette",
        &["red", "black", "straight:7", "dozen:2", "split:0-1"],
    ),
];

/// Bets on every round of `table` until the connection dies.
async fn bettor(addr: String, player: String, table: &'static str, spots: &'static [&'static str], acked: Acked) {
    let server_addr = addr.clone();
    let grant = {
        let body = json!({"player_id": player, "currency": "EUR"}).to_string();
        let headers = sign_headers("POST", "/v1/sessions", &body, SECRET);
        http(&server_addr, "POST", "/v1/sessions", &headers, &body).await.1
    };
    let Some(token) = grant["token"].as_str() else { return };
    let Ok(Ok((ws, _))) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{addr}/v1/play?token={token}")),
    )
    .await
    else {
        return;
    };
    use futures_util::{SinkExt, StreamExt};
    let (mut tx, mut rx) = ws.split();
    let send = |v: Value| tokio_tungstenite::tungstenite::Message::Text(v.to_string().into());
    if tx
        .send(send(json!({"type": "join", "table": table, "req": 0})))
        .await
        .is_err()
    {
        return;
    }
    let mut pending: HashMap<u64, (u64, String)> = HashMap::new();
    let mut req = 1u64;
    while let Some(Ok(msg)) = rx.next().await {
        let Ok(text) = msg.to_text() else { continue };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        match v["type"].as_str() {
            Some("round_open") => {
                let round = v["round_id"].as_u64().unwrap();
                for spot in spots.iter().take(1 + (round as usize % spots.len())) {
                    let bet_id = format!("{player}-{round}-{}", spot.replace(':', "_"));
                    let bet = json!({"type": "bet", "req": req, "table": table, "round_id": round, "spot": spot, "amount": 100 + (req % 7) as i64 * 10, "bet_id": bet_id});
                    pending.insert(req, (round, bet_id));
                    req += 1;
                    if tx.send(send(bet)).await.is_err() {
                        return;
                    }
                }
            }
            Some("ack") => {
                if let Some((round, bet_id)) = v["req"].as_u64().and_then(|r| pending.remove(&r)) {
                    acked.lock().unwrap().push((player.clone(), round, bet_id));
                }
            }
            _ => {}
        }
    }
}

/// The round's record once it is finished: a round the kill caught dealing is dealt on
/// after the restart, so it may need a moment.
async fn finished_round(server: &Server, round: u64) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let record = server.signed("GET", &format!("/v1/rounds/{round}"), "").await.1;
        let finished = matches!(record["status"].as_str(), Some("settled" | "void"));
        if finished || tokio::time::Instant::now() > deadline {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `audited`: per table, the seq up to which the stream was already checked gap-free.
async fn check_after_restart(
    server: &Server,
    acked: &[(String, u64, String)],
    kill: usize,
    audited: &mut HashMap<String, (u64, Option<u64>)>,
) {
    server.assert_conserved().await;
    // Every round first: a round dealt on after the restart pays out when it finishes, and
    // the histories read below must include that.
    let mut rounds: HashMap<u64, Value> = HashMap::new();
    for (_, round, _) in acked {
        if !rounds.contains_key(round) {
            rounds.insert(*round, finished_round(server, *round).await);
        }
    }
    let mut histories: HashMap<String, Vec<Value>> = HashMap::new();
    for (player, round, bet_id) in acked {
        let record = &rounds[round];
        let status = record["status"].as_str().unwrap_or("missing");
        assert!(
            status == "settled" || status == "void",
            "kill {kill}: round {round} left {status}: {record}"
        );
        if !histories.contains_key(player) {
            let history = server
                .signed("GET", &format!("/v1/players/{player}/history"), "")
                .await
                .1;
            histories.insert(
                player.clone(),
                history["transactions"].as_array().cloned().unwrap_or_default(),
            );
        }
        let count = |txid: &str| histories[player].iter().filter(|t| t["txid"] == txid).count();
        let stake = format!("stake/{round}/{bet_id}");
        assert_eq!(
            count(&stake),
            1,
            "kill {kill}: acknowledged bet {stake} of {player} is not in the ledger once"
        );
        if status == "void" {
            assert_eq!(
                count(&format!("refund/{stake}")),
                1,
                "kill {kill}: {stake} in a void round not refunded once"
            );
        } else {
            let bet = record["bets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["bet_id"] == bet_id.as_str() && b["player"] == player.as_str());
            let bet = bet.unwrap_or_else(|| panic!("kill {kill}: settled round {round} lost bet {bet_id}: {record}"));
            // One credit per player and round carries the sum of their winning bets.
            let currency = bet["currency"].as_str().unwrap();
            let won: i64 = record["bets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["player"] == player.as_str() && b["currency"] == currency)
                .map(|b| b["payout"].as_i64().unwrap_or(0))
                .sum();
            let txid = format!("payout/{round}/{currency}");
            let paid: Vec<i64> = histories[player]
                .iter()
                .filter(|t| t["txid"] == txid.as_str())
                .map(|t| t["amount"].as_i64().unwrap())
                .collect();
            let expected = if won > 0 { vec![won] } else { vec![] };
            assert_eq!(
                paid, expected,
                "kill {kill}: {player} paid {paid:?} for round {round}: {record}"
            );
            let verdict = server
                .http("GET", &format!("/v1/rounds/{round}/verify"), &[], "")
                .await
                .1;
            assert_ne!(
                verdict["status"], "mismatch",
                "kill {kill}: round {round} fails verification: {verdict}"
            );
        }
    }
    // Every table's stream stays gap-free across the restart: resuming from the seq checked
    // last time replays every event since, in order (Client::next asserts it).
    let mut auditor = server.player(&format!("auditor{kill}"), "EUR").await;
    for (table, _, _) in TABLES {
        let (from, epoch) = audited.get(table).copied().unwrap_or((0, None));
        auditor.seqs.insert(table.to_owned(), from);
        let req = auditor
            .send(json!({"type": "join", "table": table, "last_seq": from, "epoch": epoch}))
            .await;
        let reply = auditor.reply(req).await;
        assert_eq!(reply["type"], "ack", "{reply}");
        assert_eq!(
            reply["resumed"], true,
            "kill {kill}: {table}'s history since {from} could not be replayed: {reply}"
        );
        if let Some(previous) = epoch {
            assert_eq!(
                reply["epoch"].as_u64(),
                Some(previous),
                "kill {kill}: {table}'s epoch changed across a restart"
            );
        }
        audited.insert(
            table.to_owned(),
            (reply["seq"].as_u64().unwrap(), reply["epoch"].as_u64()),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing() {
    let kills: usize = std::env::var("CROUPIER_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("CROUPIER_CRASH_SEED")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let mut rng = Rng(seed | 1);
    let fast = "bet_window_ms = 300\ncard_interval_ms = 15\nresult_pause_ms = 10";
    let tables: Vec<(&str, String)> = TABLES
        .iter()
        // One-deck shoes end every few rounds, so rounds dealt after a restart from a
        // continued shoe are revealed and verified too.
        .map(|(id, game, _)| {
            let shoe = if *game == "roulette" {
                ""
            } else {
                "decks = 1\ncut_cards_from_end = 26"
            };
            (
                *id,
                auto_table(id, game, shoe)
                    .replace("bet_window_ms = 1500\ncard_interval_ms = 0\nresult_pause_ms = 50", fast),
            )
        })
        .collect();
    // The stream audit after each restart replays everything since the previous audit; on a
    // slow machine that can pass the default replay window (half the socket queue), which
    // would rightly get a snapshot instead. A bigger queue keeps the audit a full replay.
    let mut server = Server::start(&tables, "[limits]\nsocket_queue_max = 20000\n");
    let acked: Acked = Arc::default();
    let mut audited = HashMap::new();
    for kill in 0..kills {
        let mut tasks = Vec::new();
        for (i, (table, _, spots)) in TABLES.iter().enumerate() {
            for n in 0..2 {
                let player = format!("k{kill}p{i}{n}");
                server.deposit(&player, "EUR", 1_000_000).await;
                tasks.push(tokio::spawn(bettor(
                    server.addr.clone(),
                    player,
                    table,
                    spots,
                    acked.clone(),
                )));
            }
        }
        let alive_ms = 200 + rng.below(1_300);
        tokio::time::sleep(Duration::from_millis(alive_ms)).await;
        server.kill();
        for task in tasks {
            let _ = tokio::time::timeout(WAIT, task).await;
        }
        let audit = std::process::Command::new(env!("CARGO_BIN_EXE_croupier"))
            .arg("replay")
            .arg("--data")
            .arg(server.data_dir())
            .output()
            .unwrap();
        assert!(
            audit.status.success(),
            "kill {kill}: croupier replay found problems: {}",
            String::from_utf8_lossy(&audit.stdout)
        );
        server.restart();
        let snapshot = acked.lock().unwrap().clone();
        check_after_restart(&server, &snapshot, kill, &mut audited).await;
    }
    let total = acked.lock().unwrap().len();
    let mut verified = 0;
    let rounds: std::collections::BTreeSet<u64> = acked.lock().unwrap().iter().map(|(_, r, _)| *r).collect();
    for round in rounds {
        let verdict = server
            .http("GET", &format!("/v1/rounds/{round}/verify"), &[], "")
            .await
            .1;
        verified += usize::from(verdict["status"] == "verified");
    }
    assert!(
        verified > kills,
        "too few rounds were revealed and verified ({verified})"
    );
    assert!(
        total > kills * 5,
        "too few bets were acknowledged ({total}) for the test to mean anything"
    );
    eprintln!("{kills} kills, {total} acknowledged bets checked");
}

/// Goal: a round the crash caught dealing is dealt on after the restart, from the same
/// committed shoe, and its bets settle (not refunded). Method: a baccarat table dealing one
/// card every 0.6 s is killed with SIGKILL right after its first card; a player who bet
/// resumes with `last_seq` on the restarted server and sees the rest of the round.
#[tokio::test]
async fn a_round_killed_while_dealing_is_dealt_on_from_the_same_shoe() {
    // One deck cut early: the shoe ends with this round, so its seed is revealed and the
    // round can be verified.
    let slow = auto_table("bac", "baccarat", "decks = 1\ncut_cards_from_end = 32")
        .replace("card_interval_ms = 0", "card_interval_ms = 600");
    let mut server = Server::start(&[("b", slow)], "");
    server.deposit("kim", "EUR", 10_000).await;
    let mut kim = server.player("kim", "EUR").await;
    kim.join("bac").await;
    let round = kim.next_round("bac").await;
    let ack = kim.bet("bac", round, "player", 1_000, "k-1").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let first = kim
        .until("first card", |m| m["type"] == "card" && m["round_id"] == json!(round))
        .await;
    let (seq, epoch) = (first["seq"].as_u64().unwrap(), first["epoch"].as_u64());

    server.restart();

    let mut back = server.player("kim", "EUR").await;
    back.seqs.insert("bac".into(), seq);
    let req = back
        .send(json!({"type": "join", "table": "bac", "last_seq": seq, "epoch": epoch}))
        .await;
    let reply = back.reply(req).await;
    assert_eq!(reply["resumed"], true, "{reply}");
    let result = back
        .until("the round's result", |m| {
            assert!(
                !(m["type"] == "round_void" && m["round_id"] == json!(round)),
                "the dealing round was voided: {m}"
            );
            m["type"] == "result" && m["round_id"] == json!(round)
        })
        .await;
    let settled = back
        .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;

    let record = finished_round(&server, round).await;
    assert_eq!(record["status"], "settled", "{record}");
    assert_eq!(record["cards"][0]["card"], first["card"], "{record}");
    assert!(record["cards"].as_array().unwrap().len() >= 4, "{record}");
    assert_eq!(record["outcome"], result["outcome"], "{record}");
    // The shoe ends a few rounds later; then its seed shows the cards dealt after the restart
    // are the committed ones.
    let deadline = tokio::time::Instant::now() + UNTIL_MAX;
    let verdict = loop {
        let verdict = server
            .http("GET", &format!("/v1/rounds/{round}/verify"), &[], "")
            .await
            .1;
        if verdict["status"] != "pending" || tokio::time::Instant::now() > deadline {
            break verdict;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(verdict["status"], "verified", "{verdict}");

    let history = server.signed("GET", "/v1/players/kim/history", "").await.1;
    let txids: Vec<&str> = history["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["txid"].as_str())
        .collect();
    let stake = format!("stake/{round}/k-1");
    assert_eq!(txids.iter().filter(|t| **t == stake).count(), 1, "{history}");
    assert!(
        !txids.contains(&format!("refund/{stake}").as_str()),
        "refunded: {history}"
    );
    let won = settled["won"].as_i64().unwrap();
    assert_eq!(server.balance("kim", "EUR").await, 9_000 + won, "{settled}");
    server.assert_conserved().await;
}

/// Goal: a blackjack round killed mid-decisions is rebuilt with the actions already taken,
/// gives the next hand a fresh decision, and settles. Method: two players at a 3 s decision
/// table; the first doubles (or stands), the server is SIGKILLed while the second one's decision runs.
#[tokio::test]
async fn a_blackjack_round_killed_mid_decisions_carries_on_with_its_actions() {
    let table = auto_table("bj", "blackjack", "").replace("decision_ms = 1500", "decision_ms = 3000");
    let mut server = Server::start(&[("j", table)], "");
    server.deposit("ann", "EUR", 10_000).await;
    server.deposit("ben", "EUR", 10_000).await;
    let mut ann = server.player("ann", "EUR").await;
    let mut ben = server.player("ben", "EUR").await;
    ann.join("bj").await;
    ben.join("bj").await;
    // Ann doubles (or stands); the kill lands while a later hand (Ben's) is deciding. A
    // round that gives Ben no decision (a blackjack) is played out and the next one tried.
    let (round, dealt, doubled, last) = 'rounds: loop {
        let round = ann.next_round("bj").await;
        let seat = ann.bet("bj", round, "main", 1_000, &format!("a-{round}")).await["seat"].clone();
        assert!(seat.is_u64(), "ann has no seat");
        let ben_ack = ben.bet("bj", round, "main", 500, &format!("b-{round}")).await;
        assert_eq!(ben_ack["type"], "ack", "{ben_ack}");
        let mut dealt = Vec::new();
        let mut doubled = false;
        loop {
            let msg = ann.next().await.expect("ann's connection");
            if msg["round_id"] != json!(round) {
                continue;
            }
            match msg["type"].as_str().unwrap_or("") {
                "card" => dealt.push(msg["card"].clone()),
                "decision" if msg["seat"] == seat => {
                    // A double when allowed: its extra stake must survive the rebuild.
                    let double = msg["actions"].as_array().is_some_and(|a| a.contains(&json!("double")));
                    let action = if double { "double" } else { "stand" };
                    let req = ann
                        .send(json!({"type": "action", "table": "bj", "round_id": round, "hand": msg["hand"], "action": action}))
                        .await;
                    let reply = ann.reply(req).await;
                    assert_eq!(reply["type"], "ack", "{reply}");
                    doubled |= double;
                }
                "decision" => break 'rounds (round, dealt, doubled, msg),
                "result" => continue 'rounds,
                _ => {}
            }
        }
    };
    drop(ben);
    server.restart();

    let mut back = server.player("ann", "EUR").await;
    back.seqs.insert("bj".into(), last["seq"].as_u64().unwrap());
    let req = back
        .send(json!({"type": "join", "table": "bj", "last_seq": last["seq"], "epoch": last["epoch"]}))
        .await;
    assert_eq!(back.reply(req).await["resumed"], true);
    assert!(
        server.logs().contains("dealing on the round a restart interrupted"),
        "the round was not taken up"
    );
    // Ben is gone: his hand gets a fresh decision, then the timer stands it.
    let fresh = back
        .until("a fresh decision", |m| {
            m["type"] == "decision" && m["round_id"] == json!(round)
        })
        .await;
    assert_eq!(fresh["seat"], last["seat"], "{fresh}");
    assert!(fresh["deadline"].as_i64() > last["deadline"].as_i64(), "{fresh}");
    back.until("settled", |m| {
        assert!(m["type"] != "round_void", "voided: {m}");
        m["type"] == "settled" && m["round_id"] == json!(round)
    })
    .await;

    let record = finished_round(&server, round).await;
    assert_eq!(record["status"], "settled", "{record}");
    let cards: Vec<Value> = record["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["card"].clone())
        .collect();
    assert_eq!(
        cards[..dealt.len()],
        dealt[..],
        "cards before the kill changed: {record}"
    );
    let ann_bet = record["bets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["player"] == "ann")
        .unwrap();
    assert_eq!(ann_bet["amount"], if doubled { 2_000 } else { 1_000 }, "{record}");
    for (player, stake) in [("ann", format!("a-{round}")), ("ben", format!("b-{round}"))] {
        let history = server
            .signed("GET", &format!("/v1/players/{player}/history"), "")
            .await
            .1;
        let refunds = history["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "refund")
            .count();
        assert_eq!(refunds, 0, "{player}'s {stake} was refunded: {history}");
    }
    server.assert_conserved().await;
}
