//! Criterion benchmarks of journal appends, the floor under every money acknowledgement:
//! a player hears "bet accepted" only once its ledger record is durable. Measures
//! (a) one durable commit of one ledger record, the latency a lone bet waits, which is one
//! flush plus `fdatasync` and so mostly the disk; and (b) 1,000 records submitted at once
//! and awaited together, the throughput group commit gives a bet storm.

use std::collections::VecDeque;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use croupier::config::Config;
use croupier::domain::ids::{BetId, PlayerId, RoundId, TableId};
use croupier::domain::money::Amount;
use croupier::journal::records::{encode, ledger_key, LedgerRecord, TxKind, RECORD_VERSION};
use croupier::journal::txid;
use croupier::journal::{wait, Batch, Journal, JournalError, Tree};
use tokio::runtime::Runtime;

const STORM_INSERTS: usize = 1_000;

/// Samples per benchmark (`--sample-size` still overrides it). Every iteration waits for
/// the disk, so Criterion's default of 100 would spend minutes in fsync without making the
/// figures any steadier.
const SAMPLES: usize = 20;

/// The key and encoded record of the stake of bet number `n`, with the fields the table
/// writes for a stake (about 230 bytes of JSON). The key is unique for every `n`, so no
/// insert overwrites an earlier one.
fn stake_record(n: u64) -> (Vec<u8>, Vec<u8>) {
    let player = PlayerId::parse(&format!("player-{}", n % 200)).expect("valid player id");
    let round_id = RoundId(1 + n / 1_000);
    let bet_id = BetId::parse(&format!("bet-{n}")).expect("valid bet id");
    let txid = txid::stake(round_id, bet_id.as_str());
    let record = LedgerRecord {
        v: RECORD_VERSION,
        txid: txid.clone(),
        player: player.clone(),
        currency: "EUR".parse().expect("EUR is a currency"),
        kind: TxKind::Stake,
        amount: Amount(2_500),
        table: Some(TableId::parse("baccarat-1").expect("valid table id")),
        round_id: Some(round_id),
        bet_id: Some(bet_id),
        spot: Some("banker".to_owned()),
        session_id: Some(format!("session-{:016x}", n % 200)),
        ts_us: 1_700_000_000_000_000 + n as i64,
    };
    (ledger_key(&player, &txid), encode(&record))
}

fn batch_of(key: &[u8], value: &[u8]) -> Batch {
    let mut batch = Batch::new();
    batch.insert(Tree::Ledger, key, value);
    batch
}

/// The journal as the server opens it, in a temporary directory on the machine's disk
/// (a tmpfs would make fsync free and the figures meaningless).
fn open_journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config::default();
    let journal = Journal::open(dir.path(), config.cache_capacity_bytes, config.limits.journal_queue_max)
        .expect("the journal opens in an empty directory");
    (dir, journal)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

/// Submits every record as its own batch, then waits until all are durable.
async fn append_storm(journal: &Journal, records: &[(Vec<u8>, Vec<u8>)]) {
    let mut waiting = VecDeque::with_capacity(records.len());
    for (key, value) in records {
        // `submit` consumes the batch even when it answers Busy, so a retry builds it anew.
        loop {
            match journal.submit(batch_of(key, value)) {
                Ok(durable) => {
                    waiting.push_back(durable);
                    break;
                }
                // The queue drains as groups complete: waiting on the oldest makes room.
                Err(JournalError::Busy) => {
                    let oldest = waiting.pop_front().expect("a full queue holds one of ours");
                    wait(oldest).await.expect("the group commit succeeds");
                }
                Err(error) => panic!("journal submit failed: {error}"),
            }
        }
    }
    for durable in waiting {
        wait(durable).await.expect("the group commit succeeds");
    }
}

fn append(c: &mut Criterion) {
    let (_dir, journal) = open_journal();
    let runtime = runtime();
    let mut next_n = 0_u64;
    let mut group = c.benchmark_group("journal");
    // Every iteration waits for an fsync: flat sampling, which Criterion recommends for
    // slow iterations, keeps the run near its measurement time instead of ramping past it.
    group.sampling_mode(SamplingMode::Flat);

    group.bench_function("commit_1_ledger_insert", |b| {
        b.iter_batched(
            || {
                next_n += 1;
                let (key, value) = stake_record(next_n);
                batch_of(&key, &value)
            },
            |batch| runtime.block_on(journal.commit(batch)).expect("the commit succeeds"),
            BatchSize::SmallInput,
        )
    });

    group.throughput(Throughput::Elements(STORM_INSERTS as u64));
    group.bench_function("group_commit_1000_ledger_inserts", |b| {
        b.iter_batched(
            || {
                (0..STORM_INSERTS)
                    .map(|_| {
                        next_n += 1;
                        stake_record(next_n)
                    })
                    .collect::<Vec<_>>()
            },
            |records| runtime.block_on(append_storm(&journal, &records)),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group! {
    name = journal;
    config = Criterion::default().sample_size(SAMPLES);
    targets = append
}
criterion_main!(journal);
