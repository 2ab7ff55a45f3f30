//! Fills a data dir with a long history for the restart-time measurement in the README:
//! `cargo run --release --example fill_journal -- DIR EVENTS` writes EVENTS ledger records
//! (a deposit then withdrawals for each of 10,000 players, so money is conserved and no round
//! is left for recovery) and EVENTS table
//! events through the real journal, group commit and fdatasync included.

use croupier::domain::ids::{PlayerId, TableId};
use croupier::domain::money::Amount;
use croupier::journal::records::{self, LedgerRecord, TxKind};
use croupier::journal::{journal_dir, table_key, Batch, Journal, Tree};

const PLAYERS: u64 = 10_000;
const BATCH: u64 = 10_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: fill_journal DIR EVENTS")?);
    let events: u64 = args.next().ok_or("usage: fill_journal DIR EVENTS")?.parse()?;
    let journal = Journal::open(&journal_dir(&dir), 256 << 20, 1024)?;
    let table = TableId::parse("baccarat-1")?;
    let currency = "EUR".parse()?;
    let started = std::time::Instant::now();
    let mut n = 0;
    while n < events {
        let mut batch = Batch::new();
        for i in n..(n + BATCH).min(events) {
            let player = PlayerId::parse(&format!("p{}", i % PLAYERS))?;
            // Each player's first record is a deposit; the rest are small withdrawals.
            let (kind, amount, txid) = if i < PLAYERS {
                (TxKind::Deposit, 1_000_000, format!("deposit/fill-{i}"))
            } else {
                (TxKind::Withdrawal, 10, format!("withdrawal/fill-{i}"))
            };
            let record = LedgerRecord {
                v: records::RECORD_VERSION,
                txid,
                player: player.clone(),
                currency,
                kind,
                amount: Amount(amount),
                table: Some(table.clone()),
                round_id: None,
                bet_id: None,
                spot: Some("banker".into()),
                session_id: None,
                ts_us: i as i64,
            };
            batch.insert(
                Tree::Ledger,
                records::ledger_key(&player, &record.txid),
                records::encode(&record),
            );
            let event = format!(
                r#"{{"type":"card","table":"baccarat-1","seq":{},"epoch":1,"ts":{i},"round_id":{},"to":"player1","card":"Kh"}}"#,
                i + 1,
                i / 100
            );
            batch.insert(Tree::Events, table_key("baccarat-1", i + 1), event.into_bytes());
        }
        journal.commit(batch).await?;
        n += BATCH;
    }
    println!(
        "wrote {events} ledger records and {events} table events in {:.1}s ({} bytes on disk)",
        started.elapsed().as_secs_f64(),
        journal.size_on_disk()
    );
    Ok(())
}
