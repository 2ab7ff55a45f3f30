//! Goal: a journal written by an earlier release opens with the current binary and nothing in
//! it is lost: every balance, every money movement (money conserved), every round's record
//! and its `/verify` answer; the rounds a crash interrupted are finished as the README's
//! "Crash recovery policy" says; a client resuming with a `last_seq` and `epoch` it saw before
//! the crash gets what docs/protocol.md §6 promises across a restart; `croupier replay`
//! audits the old journal clean.
//!
//! Method: `tests/fixtures/journal-v1/` holds a sled data dir as SIGKILL left it, written by
//! the release named in its `manifest.json`: four auto tables (one per game, one-deck shoes
//! cut early so shoes end and are revealed) and a console-dealt baccarat table, played with
//! winning and losing bets in EUR and JPY, blackjack hits, stands and doubles, a round voided
//! from the dealer console, and at the kill one roulette round still taking bets and one
//! console round dealing. The manifest holds what only the writer could know (players, round
//! ids and their phase at the kill, the last seq and epoch a client saw) and the state that
//! release reached after recovering a copy of that journal, read from its own API. The test
//! starts the current binary on a copy of the fixture with the table files in
//! `journal-v1/tables/` and compares; a newer release may add fields, but it may not lose
//! or change one. It then deals the interrupted console round to its end.
//!
//! `make_journal_fixture` (ignored) wrote the fixture:
//! `cargo test --test upgrade -- --ignored make_journal_fixture`. It refuses to overwrite it:
//! a later release's journal goes into a new directory (`journal-v2`) with a test of its own,
//! and this one stays as it is.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/journal-v1");
/// The server config the fixture was written with: the defaults (sandbox keys).
const CONFIG: &str = "";
const DEALER_VOID_REASON: &str = "card dropped on the floor";
/// README, "Crash recovery policy": a round still taking bets is voided with this reason.
const RESTART_REASON: &str = "server restarted during the round";

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_written_by_the_previous_release_opens() {
    check_fixture(Path::new(FIXTURE)).await;
}

async fn check_fixture(fixture: &Path) {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture.join("manifest.json")).expect("the fixture's manifest.json"),
    )
    .expect("manifest.json is JSON");
    check_offline_audit(fixture, &manifest);

    let tables = read_tables(&fixture.join("tables"));
    let tables: Vec<(&str, String)> = tables.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let config = manifest["config"].as_str().expect("manifest.config");
    let server = Server::start_on_copy(&fixture.join("data"), &tables, config);
    // First: the restarted auto tables move their streams on, and a resume further behind
    // than the replay window would rightly get a snapshot.
    check_resume(&server, &manifest).await;
    let expected = &manifest["after_recovery"];
    check_balances(&server, &manifest, &expected["balances"]).await;
    let summary = server.assert_conserved().await;
    assert_unchanged(&expected["summary"], &summary, "ledger summary");
    let ledger = check_ledger(&server, &manifest).await;
    check_rounds(&server, &manifest).await;
    check_finished_rounds(&server, &manifest, &ledger).await;
    deal_on(&server, &manifest).await;
}

/// `croupier replay` on a copy of the journal as the kill left it: exit 0, the same report.
fn check_offline_audit(fixture: &Path, manifest: &Value) {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&fixture.join("data"), &copy.path().join("data"));
    let report = replay(&copy.path().join("data"));
    assert_unchanged(&manifest["replay"], &report, "croupier replay report");
}

/// Runs `croupier replay --data DIR` and returns its report; panics unless it exits 0.
fn replay(data: &Path) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_croupier"))
        .arg("replay")
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "croupier replay failed ({}): {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("croupier replay prints JSON")
}

/// docs/protocol.md §6: across a restart the stream carries on with the next seq and the
/// same epoch, so a client that left some events before the crash and resumes with its
/// `last_seq` and `epoch` gets `resumed: true` and every event it missed, gap-free (`Client`
/// asserts the order): those written before the crash exactly as they were sent then, then
/// the new ones, among them the `round_void` of the round the kill caught taking bets.
async fn check_resume(server: &Server, manifest: &Value) {
    let betting = &manifest["interrupted_betting"];
    let dealing = &manifest["interrupted_dealing"];
    let mut client = server.player("watcher", "EUR").await;
    let mut replayed: HashMap<String, Vec<Value>> = HashMap::new();
    // The console table first: its stream is quiet, so nothing of the other one is skipped.
    for table in [&dealing["table"], &betting["table"]] {
        let table = table.as_str().unwrap();
        let seen = &manifest["resume"][table];
        let last_seq = seen["last_seq"].as_u64().expect("resume.last_seq");
        let epoch = seen["epoch"].as_u64().expect("resume.epoch");
        client.seqs.insert(table.to_owned(), last_seq);
        let req = client
            .send(json!({"type": "join", "table": table, "last_seq": last_seq, "epoch": epoch}))
            .await;
        let ack = loop {
            let msg = client.next().await.expect("connection closed during the resume");
            if msg["req"] == json!(req) {
                break msg;
            }
            assert_ne!(
                msg["type"], "snapshot",
                "{table}: a resume across a restart got a snapshot: {msg}"
            );
            if let (Some(of), true) = (msg["table"].as_str(), msg["seq"].is_u64()) {
                replayed.entry(of.to_owned()).or_default().push(msg);
            }
        };
        assert_eq!(ack["type"], "ack", "{table}: {ack}");
        assert_eq!(ack["resumed"], true, "{table}: not resumed from seq {last_seq}: {ack}");
        assert_eq!(
            ack["epoch"],
            json!(epoch),
            "{table}: the epoch changed across the restart"
        );
        assert!(
            ack["seq"].as_u64() >= Some(last_seq),
            "{table}: the stream went back: {ack}"
        );
        // First every event written before the crash, as it was sent then; then the new ones.
        let events = replayed.get(table).map(Vec::as_slice).unwrap_or_default();
        let missed = seen["missed_before_crash"]
            .as_array()
            .expect("resume.missed_before_crash");
        assert!(
            events.len() >= missed.len(),
            "{table}: {} events replayed, {} were written before the crash",
            events.len(),
            missed.len()
        );
        for (was, event) in missed.iter().zip(events) {
            assert_unchanged(was, event, &format!("{table}'s event {}", was["seq"]));
        }
    }
    let round = &betting["round_id"];
    let is_void = |m: &Value| m["type"] == "round_void" && m["round_id"] == *round;
    let table = betting["table"].as_str().unwrap();
    let void = match replayed
        .get(table)
        .and_then(|events| events.iter().find(|m| is_void(m)))
    {
        Some(void) => void.clone(),
        // Replayed events end where the table stood at the join; the void may come after.
        None => client.until("the interrupted round's round_void", is_void).await,
    };
    assert_eq!(void["reason"], RESTART_REASON, "{void}");
    assert_eq!(void["table"], betting["table"], "{void}");
}

async fn check_balances(server: &Server, manifest: &Value, expected: &Value) {
    for player in manifest["players"].as_object().expect("manifest.players").keys() {
        let (status, reply) = server.signed("GET", &format!("/v1/players/{player}/balance"), "").await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["balances"], expected[player], "{player}'s balances changed");
    }
}

/// Every money movement of the journal, once, as it was recorded (the refunds recovery made
/// carry the time of the start that made them); returns the export.
async fn check_ledger(server: &Server, manifest: &Value) -> Vec<Value> {
    let ledger = ledger_export(server).await;
    let key = |r: &Value| {
        (
            r["player"].as_str().unwrap().to_owned(),
            r["txid"].as_str().unwrap().to_owned(),
        )
    };
    let actual: BTreeMap<_, _> = ledger.iter().map(|r| (key(r), r)).collect();
    assert_eq!(actual.len(), ledger.len(), "the export repeats a movement");
    let expected = manifest["after_recovery"]["ledger"]
        .as_array()
        .expect("after_recovery.ledger");
    let made_at_start = format!("refund/stake/{}/", manifest["interrupted_betting"]["round_id"]);
    for want in expected {
        let (player, txid) = key(want);
        let got = actual
            .get(&(player.clone(), txid.clone()))
            .unwrap_or_else(|| panic!("{player}'s {txid} is gone from the ledger"));
        let mut want = without_version(want);
        if txid.starts_with(&made_at_start) {
            assert!(got["ts_us"].is_i64(), "{got}");
            want.as_object_mut().unwrap().remove("ts_us");
        }
        assert_unchanged(&want, got, &format!("ledger {player} {txid}"));
    }
    assert_eq!(ledger.len(), expected.len(), "movements appeared from nowhere");
    ledger
}

/// Every round the journal held: the same record (bets and payouts included) and the same
/// `/verify` answer. A shoe still secret at the kill is dealt on after the start and may be
/// revealed while the test runs: its rounds then verify.
async fn check_rounds(server: &Server, manifest: &Value) {
    let revealed: BTreeSet<u64> = ids(&manifest["revealed_at_crash"]);
    let finished_at_start = manifest["interrupted_betting"]["round_id"].as_u64().unwrap();
    let rounds = manifest["after_recovery"]["rounds"]
        .as_object()
        .expect("after_recovery.rounds");
    assert_eq!(rounds.len() as u64, manifest["max_round_id"].as_u64().unwrap());
    for (id, expected) in rounds {
        let round: u64 = id.parse().unwrap();
        let (status, record) = server.signed("GET", &format!("/v1/rounds/{id}"), "").await;
        if expected["record"].is_null() {
            assert_eq!(status, 404, "round {id} was never recorded, yet: {record}");
            continue;
        }
        assert_eq!(status, 200, "round {id} is gone: {record}");
        let mut want = without_version(&expected["record"]);
        // A roulette spin has no decks; the release that wrote the journal showed its
        // table's default on the round and its verification.
        let roulette = expected["record"]["game"] == "roulette";
        let fields = want.as_object_mut().unwrap();
        if roulette {
            fields.remove("decks");
        }
        if round == finished_at_start {
            // Recovery voided it at the start that opened the journal, and says when.
            assert!(record["finished_at_us"].is_i64(), "{record}");
            fields.remove("finished_at_us");
        }
        let secret_at_crash = !revealed.contains(&round);
        if secret_at_crash {
            // Revealed at some point after a start (or not yet): `/verify` checks the seed.
            fields.remove("server_seed");
            fields.remove("client_seed");
        }
        assert_unchanged(&want, &record, &format!("round {id}"));

        let verdict = server.http("GET", &format!("/v1/rounds/{id}/verify"), &[], "").await.1;
        let mut was = expected["verify"].clone();
        if roulette {
            was.as_object_mut().map(|fields| fields.remove("decks"));
        }
        let was = &was;
        let revealing = ["pending", "verified"];
        if !secret_at_crash {
            assert_eq!(verdict["status"], "verified", "round {id}: {verdict}");
        }
        if secret_at_crash && verdict["status"] != was["status"] {
            for verdict in [was, &verdict] {
                let status = verdict["status"].as_str().unwrap_or("");
                assert!(revealing.contains(&status), "round {id}: {verdict}");
            }
            for field in ["round_id", "table", "commit"] {
                assert_eq!(verdict[field], was[field], "round {id}: {verdict}");
            }
        } else {
            assert_unchanged(was, &verdict, &format!("round {id}'s verification"));
        }
    }
}

/// The rounds that did not settle normally, checked for what they mean, not only for being
/// unchanged: the dealer's void and the round the kill caught taking bets refunded every
/// stake once; the round the kill caught dealing is still dealing, its stakes held.
async fn check_finished_rounds(server: &Server, manifest: &Value, ledger: &[Value]) {
    let voided = &manifest["voided_by_dealer"];
    let record = round_record(server, &voided["round_id"]).await;
    assert_eq!(record["status"], "void", "{record}");
    assert_eq!(record["void_reason"], DEALER_VOID_REASON, "{record}");
    refunded_once(ledger, &voided["round_id"]);

    let betting = &manifest["interrupted_betting"];
    let record = round_record(server, &betting["round_id"]).await;
    assert_eq!(record["status"], "void", "the round taking bets at the kill: {record}");
    assert_eq!(record["void_reason"], RESTART_REASON, "{record}");
    refunded_once(ledger, &betting["round_id"]);

    let dealing = &manifest["interrupted_dealing"];
    let record = round_record(server, &dealing["round_id"]).await;
    // Its record keeps the bets as betting closed; the cards dealt since are in the table's
    // event stream, from which the table rebuilds the round (`deal_on` sees them).
    assert_eq!(record["status"], "dealing", "the round dealing at the kill: {record}");
    let round = &dealing["round_id"];
    let stakes = ledger
        .iter()
        .filter(|r| r["kind"] == "stake" && r["round_id"] == *round)
        .count();
    assert!(stakes > 0, "no stakes recorded for the dealing round {round}");
    assert_eq!(stakes, record["bets"].as_array().unwrap().len(), "{record}");
    assert!(
        !ledger
            .iter()
            .any(|r| r["round_id"] == *round && matches!(r["kind"].as_str(), Some("refund" | "payout"))),
        "the dealing round {round} was refunded or paid before it was dealt"
    );
}

/// Every stake of `round` has exactly one refund of the same amount, and nothing was paid.
fn refunded_once(ledger: &[Value], round: &Value) {
    let stakes: Vec<&Value> = ledger
        .iter()
        .filter(|r| r["kind"] == "stake" && r["round_id"] == *round)
        .collect();
    assert!(!stakes.is_empty(), "round {round} has no stakes to refund");
    for stake in stakes {
        let txid = format!("refund/{}", stake["txid"].as_str().unwrap());
        let refunds: Vec<&Value> = ledger
            .iter()
            .filter(|r| r["player"] == stake["player"] && r["txid"] == txid.as_str())
            .collect();
        assert_eq!(refunds.len(), 1, "{txid}: {refunds:?}");
        assert_eq!(refunds[0]["amount"], stake["amount"], "{txid}");
        assert_eq!(refunds[0]["kind"], "refund", "{txid}");
    }
    assert!(
        !ledger.iter().any(|r| r["kind"] == "payout" && r["round_id"] == *round),
        "void round {round} paid out"
    );
}

/// The console round the kill caught dealing: a dealer console finds it dealing with its
/// cards, deals the rest, and it settles as the writing release settled it.
async fn deal_on(server: &Server, manifest: &Value) {
    let dealing = &manifest["interrupted_dealing"];
    let table = dealing["table"].as_str().unwrap();
    let round = &dealing["round_id"];
    let mut console = dealer(server, table).await;
    let state = console.expect("console").await;
    assert_eq!(state["phase"], "dealing", "{state}");
    assert_eq!(state["round_id"], *round, "{state}");
    assert_eq!(state["cards"], dealing["dealt"], "{state}");
    let remaining = dealing["remaining"].as_array().unwrap();
    assert_eq!(state["next_position"], remaining[0]["position"], "{state}");
    for card in remaining {
        command(
            &mut console,
            json!({"type": "deal", "card": card["card"], "position": card["position"]}),
        )
        .await;
    }
    let record = finished_round(server, round).await;
    assert_eq!(record["status"], "settled", "{record}");
    let expected = &manifest["after_dealing_on"];
    let mut want = without_version(&expected["round"]);
    want.as_object_mut().unwrap().remove("finished_at_us");
    assert_unchanged(&want, &record, "the dealt-on round");
    check_balances(server, manifest, &expected["balances"]).await;
    let summary = server.assert_conserved().await;
    assert_unchanged(&expected["summary"], &summary, "ledger summary after dealing on");
}

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// `None` when `actual` holds everything `expected` does: equal scalars, arrays of the same
/// length element by element, every key of an object (a null may be left out). Extra keys
/// are allowed: a newer release may add fields, never lose or change one.
fn lost(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => want.iter().find_map(|(key, value)| match got.get(key) {
            Some(other) => lost(value, other, &format!("{path}.{key}")),
            None if value.is_null() => None,
            None => Some(format!("{path}.{key} is gone (was {value})")),
        }),
        (Value::Array(want), Value::Array(got)) if want.len() == got.len() => want
            .iter()
            .zip(got)
            .enumerate()
            .find_map(|(i, (w, g))| lost(w, g, &format!("{path}[{i}]"))),
        _ if expected == actual => None,
        _ => Some(format!("{path} was {expected}, is {actual}")),
    }
}

/// A record without its storage version `v`: a release that rewrites old records in a new
/// format may say so; their content must stay.
fn without_version(record: &Value) -> Value {
    let mut record = record.clone();
    record.as_object_mut().expect("a record is an object").remove("v");
    record
}

fn assert_unchanged(expected: &Value, actual: &Value, what: &str) {
    assert!(!expected.is_null(), "the manifest has no {what}");
    if let Some(difference) = lost(expected, actual, "") {
        panic!("{what}: {difference}\nexpected {expected}\nactual {actual}");
    }
}

fn ids(list: &Value) -> BTreeSet<u64> {
    list.as_array()
        .expect("a list of round ids")
        .iter()
        .map(|id| id.as_u64().unwrap())
        .collect()
}

/// The table files of a directory, by file stem, in name order.
fn read_tables(dir: &Path) -> Vec<(String, String)> {
    let mut tables: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    tables.sort();
    assert!(!tables.is_empty(), "no table files in {}", dir.display());
    tables
}

async fn round_record(server: &Server, round: &Value) -> Value {
    let (status, record) = server.signed("GET", &format!("/v1/rounds/{round}"), "").await;
    assert_eq!(status, 200, "round {round}: {record}");
    record
}

/// The round's record once settled or void (a dealt-on round pays out when it finishes).
async fn finished_round(server: &Server, round: &Value) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let record = round_record(server, round).await;
        let finished = matches!(record["status"].as_str(), Some("settled" | "void"));
        if finished || tokio::time::Instant::now() > deadline {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every ledger record, through the paged operator export.
async fn ledger_export(server: &Server) -> Vec<Value> {
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(next) => format!("/v1/ledger/export?limit=1000&after={next}"),
            None => "/v1/ledger/export?limit=1000".to_owned(),
        };
        let (status, page) = server.signed("GET", &path, "").await;
        assert_eq!(status, 200, "{page}");
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return records,
        }
    }
}

/// A dealer console on `table`, authenticated with the sandbox key.
async fn dealer(server: &Server, table: &str) -> Client {
    let mut console = Client::connect(&format!("ws://{}/v1/deal?table={table}", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "dealer auth refused: {reply}");
    console
}

async fn command(console: &mut Client, msg: Value) -> Value {
    let req = console.send(msg.clone()).await;
    let reply = console.reply(req).await;
    assert_eq!(reply["type"], "ack", "{msg} refused: {reply}");
    reply
}

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

/// Money put in before play: player, currency, amount in minor units.
const DEPOSITS: [(&str, &str, i64); 5] = [
    ("ada", "EUR", 200_000),
    ("ada", "JPY", 5_000_000),
    ("bo", "EUR", 100_000),
    ("chen", "JPY", 3_000_000),
    ("dee", "EUR", 50_000),
];

/// The console round the kill catches dealing: two cards before, two after (player 8 + Q = 8,
/// banker 2 + 5 = 7: no third card, the player wins).
const LIVE_DEALT: [(&str, &str); 2] = [("8s", "player1"), ("2h", "banker1")];
const LIVE_REMAINING: [(&str, &str); 2] = [("Qd", "player2"), ("5c", "banker2")];

/// What one player connection joined to every table saw: every table event, in order.
type Seen = Arc<Mutex<Vec<Value>>>;

/// One auto table per game with a one-deck shoe cut 32 cards from its end (20 cards dealt,
/// so shoes end and are revealed every few rounds), and a console baccarat table.
fn fixture_tables() -> Vec<(&'static str, String)> {
    let short_shoe = "decks = 1\ncut_cards_from_end = 32";
    vec![
        ("bac", auto_table("bac", "baccarat", short_shoe)),
        (
            "bj",
            auto_table("bj", "blackjack", &format!("{short_shoe}\nseats_max = 7"))
                .replace("decision_ms = 1500", "decision_ms = 3000"),
        ),
        ("dt", auto_table("dt", "dragon_tiger", short_shoe)),
        ("live", console_table("live", "baccarat")),
        ("rou", auto_table("rou", "roulette", "")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures/journal-v1: run it only to capture a new release's journal"]
async fn make_journal_fixture() {
    let fixture = Path::new(FIXTURE);
    // Written again by a newer binary, the fixture would no longer test anything.
    assert!(
        !fixture.exists(),
        "{} exists: it is a previous release's journal and stays as it is. Capture a new one \
         into a new directory; delete this one first only if you mean to replace it",
        fixture.display()
    );
    std::fs::create_dir_all(fixture.join("tables")).unwrap();
    let tables = fixture_tables();
    for (name, toml) in &tables {
        std::fs::write(fixture.join("tables").join(format!("{name}.toml")), toml).unwrap();
    }
    let mut server = Server::start(&tables, CONFIG);
    let mut players: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (player, currency, amount) in DEPOSITS {
        server.deposit(player, currency, amount).await;
        players.entry(player).or_default().push(currency);
    }
    let (seen, watching) = watch(&server, &tables).await;
    let mut played: BTreeMap<u64, Value> = BTreeMap::new();
    let mut left = play_auto_tables(&server, &seen, &mut played).await;
    let crash = play_console_then_kill(&mut server, &mut played, &mut left).await;

    let watcher = watching.await.expect("the watcher saw a gap or stalled");
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen
            .iter()
            .any(|m| m["type"] == "bets_closed" && m["round_id"] == json!(crash.betting)),
        "betting closed on round {} before the kill: run the generator again",
        crash.betting
    );
    copy_dir(&server.data_dir(), &fixture.join("data"));
    drop(server);
    // Git keeps no empty directory (sled's `blobs/`): test the fixture as a checkout has it.
    remove_empty_dirs(&fixture.join("data"));

    let mut manifest = json!({
        "about": "A croupier data dir as SIGKILL left it (data/), the table files it was played with (tables/), and what tests/upgrade.rs expects of it. See tests/upgrade.rs.",
        "written_by": {"version": env!("CARGO_PKG_VERSION"), "commit": git_commit()},
        "config": CONFIG,
        "players": players,
        "rounds_played": played.iter().map(|(id, r)| (id.to_string(), r.clone())).collect::<BTreeMap<_, _>>(),
        "voided_by_dealer": {"table": "live", "round_id": crash.voided, "reason": DEALER_VOID_REASON},
        "interrupted_betting": {"table": "rou", "round_id": crash.betting, "phase": "betting"},
        "interrupted_dealing": {
            "table": "live",
            "round_id": crash.dealing,
            "phase": "dealing",
            "dealt": LIVE_DEALT.iter().map(|(card, to)| json!({"to": to, "card": card})).collect::<Vec<_>>(),
            "remaining": LIVE_REMAINING.iter().map(|(card, position)| json!({"card": card, "position": position})).collect::<Vec<_>>(),
        },
        "resume": resume_points(&seen, &watcher, &left),
        "max_round_id": seen.iter().filter_map(|m| m["round_id"].as_u64()).max().unwrap(),
        "revealed_at_crash": revealed_rounds(&seen),
    });
    assert!(
        manifest["max_round_id"].as_u64() >= Some(crash.betting.max(crash.dealing)),
        "the watcher missed the last rounds"
    );
    write_manifest(fixture, &manifest);

    let copy = tempfile::tempdir().unwrap();
    copy_dir(&fixture.join("data"), &copy.path().join("data"));
    let report = replay(&copy.path().join("data"));
    let unfinished: BTreeSet<u64> = [crash.betting, crash.dealing].into();
    assert_eq!(report["unfinished_rounds"], json!(unfinished), "{report}");
    manifest["replay"] = report;

    record_recovery(fixture, &tables, &mut manifest).await;
    write_manifest(fixture, &manifest);
    check_fixture_quality(&manifest);
    // The fixture is only worth committing if the test passes on it.
    check_fixture(fixture).await;
}

/// Where clients left each table: (last seq seen, epoch).
type Left = BTreeMap<&'static str, (u64, u64)>;

/// Settled rounds with bets at every auto table, each until one of its shoes is revealed.
/// Returns where a client left the roulette table.
async fn play_auto_tables(server: &Server, seen: &Seen, played: &mut BTreeMap<u64, Value>) -> Left {
    let mut at_bac = vec![server.player("ada", "EUR").await, server.player("chen", "JPY").await];
    let bets = [
        (0, "player", 1_000),
        (0, "player_pair", 200),
        (1, "banker", 20_000),
        (1, "tie", 1_000),
    ];
    play_rounds("bac", &mut at_bac, &bets, seen, played).await;
    drop(at_bac);
    let mut at_dt = vec![server.player("bo", "EUR").await, server.player("ada", "JPY").await];
    let bets = [(0, "dragon", 1_500), (1, "tiger", 30_000), (1, "tie", 2_000)];
    play_rounds("dt", &mut at_dt, &bets, seen, played).await;
    drop(at_dt);
    let mut at_rou = vec![server.player("ada", "EUR").await, server.player("chen", "JPY").await];
    let bets = [
        (0, "red", 1_000),
        (0, "straight:17", 200),
        (0, "dozen:2", 500),
        (1, "black", 20_000),
        (1, "split:0-1", 2_000),
        (1, "column:3", 5_000),
    ];
    play_rounds("rou", &mut at_rou, &bets, seen, played).await;
    // Where two clients left, long enough before the kill that a resume after it replays
    // events written before the crash (read back from the journal) as well as new ones.
    let mut left = Left::new();
    left.insert("rou", (at_rou[0].seqs["rou"], at_rou[0].epochs["rou"]));
    drop(at_rou);
    play_blackjack(server, seen, played).await;
    left
}

/// The rounds the kill leaves behind.
struct Crash {
    /// Voided from the dealer console before the kill.
    voided: u64,
    /// Console round: betting closed, two cards dealt.
    dealing: u64,
    /// Roulette round still taking bets, with bets.
    betting: u64,
}

/// The console table's rounds (settled, voided, then one left dealing), then a bet on a
/// roulette round still taking bets, and SIGKILL. The other auto tables are paused first (a
/// paused table finishes its round and opens no other), so these two are the only rounds
/// the kill leaves unfinished.
async fn play_console_then_kill(server: &mut Server, played: &mut BTreeMap<u64, Value>, left: &mut Left) -> Crash {
    let mut at_live = vec![
        server.player("dee", "EUR").await,
        server.player("bo", "EUR").await,
        server.player("ada", "JPY").await,
    ];
    let mut console = dealer(server, "live").await;
    let voided = play_console(&mut console, &mut at_live, played, left).await;
    let mut pausing = Vec::new();
    for table in ["bac", "bj", "dt"] {
        let mut console = dealer(server, table).await;
        command(&mut console, json!({"type": "pause"})).await;
        pausing.push(console);
    }
    wait_paused(server, &["bac", "bj", "dt"]).await;
    let dealing = deal_part_of_a_round(&mut console, &mut at_live, played).await;
    let mut at_rou = vec![server.player("ada", "EUR").await, server.player("chen", "JPY").await];
    for player in &mut at_rou {
        player.join("rou").await;
    }
    let betting = at_rou[0].next_round("rou").await;
    for (who, spot, amount) in [(0, "red", 1_000), (0, "straight:5", 300), (1, "even", 10_000)] {
        let ack = at_rou[who]
            .bet("rou", betting, spot, amount, &format!("rou-{betting}-{spot}"))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    server.kill();
    played.insert(
        betting,
        json!({"table": "rou", "game": "roulette", "at_crash": "betting", "bets": 3}),
    );
    Crash {
        voided,
        dealing,
        betting,
    }
}

/// Per table in `left`: the seq and epoch to resume from, and every event of the table after
/// that seq the watcher saw before the kill (a resume must replay these first, as sent).
fn resume_points(seen: &[Value], watcher: &Client, left: &Left) -> BTreeMap<&'static str, Value> {
    let mut resume = BTreeMap::new();
    for (&table, &(last_seq, epoch)) in left {
        assert_eq!(watcher.epochs[table], epoch);
        let missed: Vec<&Value> = seen
            .iter()
            .filter(|m| m["table"] == table && m["type"] != "snapshot")
            .filter(|m| m["seq"].as_u64().is_some_and(|seq| seq > last_seq))
            .collect();
        // Well inside the replay window (512 events), with room for the events after the start.
        assert!(
            !missed.is_empty() && missed.len() < 300,
            "{table}: {} events missed",
            missed.len()
        );
        resume.insert(
            table,
            json!({"last_seq": last_seq, "epoch": epoch, "missed_before_crash": missed}),
        );
    }
    resume
}

/// The commit the generator ran at (and the binary was built from).
fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn remove_empty_dirs(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            remove_empty_dirs(&path);
            if std::fs::read_dir(&path).unwrap().next().is_none() {
                std::fs::remove_dir(&path).unwrap();
            }
        }
    }
}

fn write_manifest(fixture: &Path, manifest: &Value) {
    let text = serde_json::to_string_pretty(manifest).unwrap() + "\n";
    std::fs::write(fixture.join("manifest.json"), text).unwrap();
}

/// A player connection joined to every table, reading in a task of its own until the
/// server dies; returns its log and, at the end, the connection (its last seq and epoch per
/// table). `Client` asserts every table's events arrive gap-free.
async fn watch(server: &Server, tables: &[(&str, String)]) -> (Seen, tokio::task::JoinHandle<Client>) {
    let mut watcher = server.player("watcher", "EUR").await;
    let seen: Seen = Arc::default();
    for (table, _) in tables {
        let snapshot = watcher.join(table).await;
        seen.lock().unwrap().push(snapshot);
    }
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Some(msg) = watcher.next().await {
            log.lock().unwrap().push(msg);
        }
        watcher
    });
    (seen, task)
}

/// Rounds dealt from a shoe (or roulette spin) whose seed the watcher saw revealed.
fn revealed_rounds(seen: &[Value]) -> BTreeSet<u64> {
    let revealed: BTreeSet<(String, u64)> = seen
        .iter()
        .filter(|m| m["type"] == "reveal")
        .map(|m| (m["table"].as_str().unwrap().to_owned(), m["shoe"].as_u64().unwrap()))
        .collect();
    seen.iter()
        .filter(|m| m["type"] == "round_open" || m["type"] == "snapshot")
        .filter_map(|m| {
            let shoe = (m["table"].as_str()?.to_owned(), m["shoe"].as_u64()?);
            revealed.contains(&shoe).then_some(m["round_id"].as_u64()?)
        })
        .collect()
}

/// Plays rounds of `table` with `bets` (player index, spot, amount) until at least three
/// are settled and one of them was dealt from a shoe now revealed.
async fn play_rounds(
    table: &str,
    players: &mut [Client],
    bets: &[(usize, &str, i64)],
    seen: &Seen,
    played: &mut BTreeMap<u64, Value>,
) {
    for player in players.iter_mut() {
        player.join(table).await;
    }
    let game = match table {
        "bac" => "baccarat",
        "dt" => "dragon_tiger",
        _ => "roulette",
    };
    let mut rounds = Vec::new();
    loop {
        let revealed = revealed_rounds(&seen.lock().unwrap());
        if rounds.len() >= 3 && rounds.iter().any(|r| revealed.contains(r)) {
            break;
        }
        assert!(rounds.len() < 16, "{table}: no shoe revealed after {rounds:?}");
        let round = players[0].next_round(table).await;
        for (n, (who, spot, amount)) in bets.iter().enumerate() {
            let ack = players[*who]
                .bet(table, round, spot, *amount, &format!("{table}-{round}-{n}"))
                .await;
            assert_eq!(ack["type"], "ack", "{spot} {amount}: {ack}");
        }
        let bettors: BTreeSet<usize> = bets.iter().map(|b| b.0).collect();
        for who in bettors {
            players[who]
                .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
                .await;
        }
        played.insert(
            round,
            json!({"table": table, "game": game, "at_crash": "settled", "bets": bets.len()}),
        );
        rounds.push(round);
    }
}

fn hand_total(cards: &[String]) -> u32 {
    let mut sum = 0;
    let mut aces = 0;
    for card in cards {
        sum += match &card[..1] {
            "A" => {
                aces += 1;
                11
            }
            "T" | "J" | "Q" | "K" => 10,
            digit => digit.parse().unwrap(),
        };
    }
    while sum > 21 && aces > 0 {
        sum -= 10;
        aces -= 1;
    }
    sum
}

/// Two seats (ada in EUR, chen in JPY) playing by a simple rule: double on 11 or less when
/// allowed, hit below 15, stand otherwise; until hit, stand and double have each been played
/// and a shoe with a played round is revealed.
async fn play_blackjack(server: &Server, seen: &Seen, played: &mut BTreeMap<u64, Value>) {
    let mut players = vec![server.player("ada", "EUR").await, server.player("chen", "JPY").await];
    for player in &mut players {
        player.join("bj").await;
    }
    let stakes = [1_000, 20_000];
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut rounds = Vec::new();
    loop {
        let revealed = revealed_rounds(&seen.lock().unwrap());
        let every_action = ["hit", "stand", "double"].iter().all(|a| used.contains(*a));
        if every_action && rounds.len() >= 3 && rounds.iter().any(|r| revealed.contains(r)) {
            break;
        }
        assert!(rounds.len() < 24, "blackjack: played {used:?} in {rounds:?}");
        let round = players[0].next_round("bj").await;
        let mut seats = Vec::new();
        for (who, stake) in stakes.iter().enumerate() {
            let ack = players[who]
                .bet("bj", round, "main", *stake, &format!("bj-{round}-{who}"))
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
            seats.push(ack["seat"].clone());
        }
        let actions = play_blackjack_hands(&mut players, round, &seats).await;
        used.extend(actions.iter().filter_map(|a| a["action"].as_str().map(str::to_owned)));
        players[1]
            .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
            .await;
        played.insert(
            round,
            json!({"table": "bj", "game": "blackjack", "at_crash": "settled", "bets": 2, "actions": actions}),
        );
        rounds.push(round);
    }
}

/// Plays out `round` once the players at `seats` have bet: ada (players[0]) sees every
/// seat's cards and decisions, and each player answers their own. Returns the actions taken.
async fn play_blackjack_hands(players: &mut [Client], round: u64, seats: &[Value]) -> Vec<Value> {
    let mut hands: HashMap<String, Vec<String>> = HashMap::new();
    let mut actions = Vec::new();
    loop {
        let msg = players[0].next().await.expect("ada's connection");
        if msg["round_id"] != json!(round) {
            continue;
        }
        match msg["type"].as_str().unwrap_or("") {
            "card" => hands
                .entry(msg["to"].as_str().unwrap().to_owned())
                .or_default()
                .push(msg["card"].as_str().unwrap().to_owned()),
            "decision" => {
                let Some(who) = seats.iter().position(|s| *s == msg["seat"]) else {
                    continue;
                };
                let legal: Vec<&str> = msg["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                let hand = msg["hand"].as_u64().unwrap();
                let cards = hands
                    .get(&format!("seat{}.{hand}", msg["seat"]))
                    .cloned()
                    .unwrap_or_default();
                let total = hand_total(&cards);
                let action = if legal.contains(&"double") && total <= 11 {
                    "double"
                } else if total < 15 && legal.contains(&"hit") {
                    "hit"
                } else {
                    "stand"
                };
                let req = players[who]
                    .send(json!({"type": "action", "table": "bj", "round_id": round, "hand": hand, "action": action}))
                    .await;
                let reply = players[who].reply(req).await;
                assert_eq!(reply["type"], "ack", "{action} refused: {reply}");
                actions.push(json!({"seat": msg["seat"], "hand": hand, "action": action, "total": total}));
            }
            // Ada's own settlement: the round is over.
            "settled" => return actions,
            _ => {}
        }
    }
}

/// On the console table: one round dealt to its end and settled, then one voided by the
/// dealer after bets and a card. Returns the voided round.
///
/// `left` gets where a client leaving after the first round stood.
async fn play_console(
    console: &mut Client,
    players: &mut [Client],
    played: &mut BTreeMap<u64, Value>,
    left: &mut Left,
) -> u64 {
    for player in players.iter_mut() {
        player.join("live").await;
    }
    let bets = [(0, "player", 1_000), (1, "banker", 2_000), (2, "tie", 5_000)];
    let round = open_and_bet(console, players, &bets).await;
    command(console, json!({"type": "close_betting"})).await;
    // Player 9 + K = 9, banker 3 + 4 = 7: the player wins on naturals.
    for (card, position) in [
        ("9h", "player1"),
        ("3d", "banker1"),
        ("Ks", "player2"),
        ("4c", "banker2"),
    ] {
        command(console, json!({"type": "deal", "card": card, "position": position})).await;
    }
    for player in players.iter_mut() {
        player
            .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
            .await;
    }
    played.insert(
        round,
        json!({"table": "live", "game": "baccarat", "at_crash": "settled", "bets": bets.len()}),
    );
    left.insert("live", (players[0].seqs["live"], players[0].epochs["live"]));

    let bets = [(0, "banker", 1_500), (1, "player", 1_000), (2, "player", 3_000)];
    let voided = open_and_bet(console, players, &bets).await;
    command(console, json!({"type": "close_betting"})).await;
    command(console, json!({"type": "deal", "card": "5h", "position": "player1"})).await;
    command(console, json!({"type": "void", "reason": DEALER_VOID_REASON})).await;
    for player in players.iter_mut() {
        player
            .until("round_void", |m| {
                m["type"] == "round_void" && m["round_id"] == json!(voided)
            })
            .await;
    }
    played.insert(
        voided,
        json!({"table": "live", "game": "baccarat", "at_crash": "void", "bets": bets.len()}),
    );
    voided
}

/// Opens a console round and places `bets` (player index, spot, amount) in it.
async fn open_and_bet(console: &mut Client, players: &mut [Client], bets: &[(usize, &str, i64)]) -> u64 {
    let round = command(console, json!({"type": "open_round"})).await["round_id"]
        .as_u64()
        .unwrap();
    for player in players.iter_mut() {
        assert_eq!(player.next_round("live").await, round);
    }
    for (who, spot, amount) in bets {
        let ack = players[*who]
            .bet("live", round, spot, *amount, &format!("live-{round}-{who}"))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    round
}

/// A console round with bets, betting closed and `LIVE_DEALT` dealt; returns it once the
/// cards are durable (players see them).
async fn deal_part_of_a_round(console: &mut Client, players: &mut [Client], played: &mut BTreeMap<u64, Value>) -> u64 {
    let bets = [(0, "player", 1_500), (1, "banker", 2_000), (2, "banker", 10_000)];
    let round = open_and_bet(console, players, &bets).await;
    command(console, json!({"type": "close_betting"})).await;
    for (card, position) in LIVE_DEALT {
        command(console, json!({"type": "deal", "card": card, "position": position})).await;
    }
    let last = LIVE_DEALT[LIVE_DEALT.len() - 1].1;
    for player in players.iter_mut() {
        player
            .until("the last card", |m| {
                m["type"] == "card" && m["to"] == last && m["round_id"] == json!(round)
            })
            .await;
    }
    played.insert(
        round,
        json!({"table": "live", "game": "baccarat", "at_crash": "dealing", "bets": bets.len()}),
    );
    round
}

/// Waits until the lobby shows each table paused with no round running, then a moment for
/// a last reveal to become durable.
async fn wait_paused(server: &Server, tables: &[&str]) {
    let deadline = tokio::time::Instant::now() + UNTIL_MAX;
    loop {
        let lobby = server.http("GET", "/v1/lobby", &[], "").await.1;
        let idle = tables.iter().all(|id| {
            lobby["tables"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == *id && t["phase"] == "paused")
        });
        if idle {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not paused: {lobby}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Starts the writing release on a copy of the fixture (recovery runs) and records, from its
/// API, the state the test expects; then deals the interrupted console round on and records
/// that too.
async fn record_recovery(fixture: &Path, tables: &[(&str, String)], manifest: &mut Value) {
    let server = Server::start_on_copy(&fixture.join("data"), tables, CONFIG);
    let mut balances = BTreeMap::new();
    for player in manifest["players"].as_object().unwrap().keys() {
        let reply = server
            .signed("GET", &format!("/v1/players/{player}/balance"), "")
            .await
            .1;
        balances.insert(player.clone(), reply["balances"].clone());
    }
    let summary = server.assert_conserved().await;
    let ledger = ledger_export(&server).await;
    let mut rounds = BTreeMap::new();
    for id in 1..=manifest["max_round_id"].as_u64().unwrap() {
        let (status, record) = server.signed("GET", &format!("/v1/rounds/{id}"), "").await;
        let entry = if status == 404 {
            json!({"record": null})
        } else {
            assert_eq!(status, 200, "{record}");
            let verify = server.http("GET", &format!("/v1/rounds/{id}/verify"), &[], "").await.1;
            json!({"record": record, "verify": verify})
        };
        rounds.insert(id.to_string(), entry);
    }
    manifest["after_recovery"] = json!({
        "balances": balances,
        "summary": summary,
        "ledger": ledger,
        "rounds": rounds,
    });

    let dealing = manifest["interrupted_dealing"]["round_id"].clone();
    let mut console = dealer(&server, "live").await;
    for (card, position) in LIVE_REMAINING {
        command(
            &mut console,
            json!({"type": "deal", "card": card, "position": position}),
        )
        .await;
    }
    let round = finished_round(&server, &dealing).await;
    assert_eq!(round["status"], "settled", "{round}");
    let mut balances = BTreeMap::new();
    for player in manifest["players"].as_object().unwrap().keys() {
        let reply = server
            .signed("GET", &format!("/v1/players/{player}/balance"), "")
            .await
            .1;
        balances.insert(player.clone(), reply["balances"].clone());
    }
    manifest["after_dealing_on"] = json!({
        "round": round,
        "balances": balances,
        "summary": server.assert_conserved().await,
    });
}

/// The fixture covers what the test is for: every game with winning and losing bets,
/// revealed shoes with verified rounds, every blackjack action, the void and both
/// interrupted rounds as the recovery policy says.
fn check_fixture_quality(manifest: &Value) {
    let revealed = ids(&manifest["revealed_at_crash"]);
    let rounds = &manifest["after_recovery"]["rounds"];
    let played = manifest["rounds_played"].as_object().unwrap();
    let mut verified_tables = BTreeSet::new();
    let (mut won, mut lost_bets) = (0, 0);
    for (id, about) in played {
        let record = &rounds[id]["record"];
        if revealed.contains(&id.parse().unwrap()) {
            assert_eq!(rounds[id]["verify"]["status"], "verified", "round {id}: {}", rounds[id]);
            verified_tables.insert(about["table"].as_str().unwrap());
        }
        if record["status"] == "settled" {
            for bet in record["bets"].as_array().unwrap() {
                match bet["payout"].as_i64().unwrap_or(0) {
                    0 => lost_bets += 1,
                    _ => won += 1,
                }
            }
        }
    }
    assert_eq!(
        verified_tables,
        BTreeSet::from(["bac", "bj", "dt", "rou"]),
        "every auto table needs a verified round"
    );
    assert!(won > 0 && lost_bets > 0, "won {won}, lost {lost_bets}");
    let actions: BTreeSet<&str> = played
        .values()
        .flat_map(|r| r["actions"].as_array().into_iter().flatten())
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(
        ["hit", "stand", "double"].iter().all(|a| actions.contains(a)),
        "{actions:?}"
    );
    let status = |round: &Value| rounds[round.to_string()]["record"]["status"].clone();
    assert_eq!(status(&manifest["voided_by_dealer"]["round_id"]), "void");
    assert_eq!(status(&manifest["interrupted_betting"]["round_id"]), "void");
    assert_eq!(status(&manifest["interrupted_dealing"]["round_id"]), "dealing");
}
