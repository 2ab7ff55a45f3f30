//! Measurements shared by every simulated player: HDR histograms, counters, errors by code,
//! and the per-second time series.
//!
//! Players record into one of `SHARDS` mutex-protected shards (by player index) so that the
//! runtime's worker threads rarely contend; the one-second ticker and the final report merge
//! the shards. Latencies are recorded in microseconds.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use hdrhistogram::Histogram;

/// Shards of the statistics; more than the worker threads so two players on two threads
/// rarely share one.
pub const SHARDS: usize = 16;
/// Largest latency a histogram holds (60 s in µs); larger values are clamped to it.
const LATENCY_MAX_US: u64 = 60_000_000;

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("valid histogram bounds")
}

/// What one shard holds. `*_interval` parts are emptied by the ticker every second.
pub struct Shard {
    pub push: Histogram<u64>,
    pub push_interval: Histogram<u64>,
    pub ack: Histogram<u64>,
    pub ack_interval: Histogram<u64>,
    pub connect: Histogram<u64>,
    pub resume: Histogram<u64>,
    pub launch: Histogram<u64>,
    pub counters: Counters,
    pub errors: BTreeMap<String, u64>,
    /// Missed events per table (only tables with a gap appear).
    pub missed_by_table: BTreeMap<String, u64>,
    pub closes: BTreeMap<u16, u64>,
}

/// Plain counters; `Counters::delta` gives per-second rates.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Every frame received.
    pub messages: u64,
    /// Frames received during the steady state (after the ramp).
    pub messages_steady: u64,
    /// Table events (frames with a table seq) received live.
    pub events: u64,
    /// Events received as part of a resume replay.
    pub replayed: u64,
    pub bets_sent: u64,
    pub bets_acked: u64,
    pub bets_acked_steady: u64,
    pub actions_acked: u64,
    pub errors: u64,
    pub missed: u64,
    pub out_of_order: u64,
    pub drops: u64,
    pub resumes: u64,
    /// Resumes the server answered with a snapshot instead of the missed events.
    pub resume_snapshots: u64,
    pub connect_failures: u64,
    /// Players whose first connection joined all its tables.
    pub players_joined: u64,
    /// Connections the server closed on us (by code in `Shard::closes`).
    pub server_closes: u64,
    pub epoch_changes: u64,
    /// Requests still unanswered when the run ended.
    pub unanswered: u64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.messages += o.messages;
        self.messages_steady += o.messages_steady;
        self.events += o.events;
        self.replayed += o.replayed;
        self.bets_sent += o.bets_sent;
        self.bets_acked += o.bets_acked;
        self.bets_acked_steady += o.bets_acked_steady;
        self.actions_acked += o.actions_acked;
        self.errors += o.errors;
        self.missed += o.missed;
        self.out_of_order += o.out_of_order;
        self.drops += o.drops;
        self.resumes += o.resumes;
        self.resume_snapshots += o.resume_snapshots;
        self.connect_failures += o.connect_failures;
        self.players_joined += o.players_joined;
        self.server_closes += o.server_closes;
        self.epoch_changes += o.epoch_changes;
        self.unanswered += o.unanswered;
    }
}

impl Shard {
    fn new() -> Shard {
        Shard {
            push: histogram(),
            push_interval: histogram(),
            ack: histogram(),
            ack_interval: histogram(),
            connect: histogram(),
            resume: histogram(),
            launch: histogram(),
            counters: Counters::default(),
            errors: BTreeMap::new(),
            missed_by_table: BTreeMap::new(),
            closes: BTreeMap::new(),
        }
    }

    pub fn error(&mut self, code: &str) {
        self.counters.errors += 1;
        *self.errors.entry(code.to_owned()).or_default() += 1;
    }
}

pub struct Stats {
    shards: Vec<Mutex<Shard>>,
    /// Players with an open connection right now.
    pub connected: AtomicUsize,
    /// Set when the ramp is over: from then on latencies count toward the headline figures.
    pub steady: AtomicBool,
    /// Set when the run is ending: players stop betting and drain.
    pub stopping: AtomicBool,
    /// Requests in flight across all players (drain waits for zero).
    pub in_flight: AtomicU64,
    /// Players back (every table rejoined) after the mass drop.
    pub mass_resumes: AtomicU64,
    /// From the mass drop to the last of those players being back, in µs.
    pub mass_resume_last_us: AtomicU64,
}

/// The merged view of every shard.
pub struct Merged {
    pub push: Histogram<u64>,
    pub ack: Histogram<u64>,
    pub connect: Histogram<u64>,
    pub resume: Histogram<u64>,
    pub launch: Histogram<u64>,
    pub counters: Counters,
    pub errors: BTreeMap<String, u64>,
    pub missed_by_table: BTreeMap<String, u64>,
    pub closes: BTreeMap<u16, u64>,
}

/// One second of the run, for the progress line and the chart.
pub struct Interval {
    pub push: Histogram<u64>,
    pub ack: Histogram<u64>,
    pub counters: Counters,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new())).collect(),
            connected: AtomicUsize::new(0),
            steady: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            in_flight: AtomicU64::new(0),
            mass_resumes: AtomicU64::new(0),
            mass_resume_last_us: AtomicU64::new(0),
        }
    }

    /// Runs `f` on the shard of player `index`.
    pub fn with<R>(&self, index: usize, f: impl FnOnce(&mut Shard) -> R) -> R {
        let mut shard = self.shards[index % SHARDS].lock().unwrap_or_else(|p| p.into_inner());
        f(&mut shard)
    }

    pub fn is_steady(&self) -> bool {
        self.steady.load(Ordering::Relaxed)
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Takes (and resets) the interval histograms; counters are cumulative (the caller diffs).
    pub fn take_interval(&self) -> Interval {
        let mut push = histogram();
        let mut ack = histogram();
        let mut counters = Counters::default();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            let _ = push.add(&shard.push_interval);
            let _ = ack.add(&shard.ack_interval);
            shard.push_interval.reset();
            shard.ack_interval.reset();
            counters.add(&shard.counters);
        }
        Interval { push, ack, counters }
    }

    pub fn merged(&self) -> Merged {
        let mut merged = Merged {
            push: histogram(),
            ack: histogram(),
            connect: histogram(),
            resume: histogram(),
            launch: histogram(),
            counters: Counters::default(),
            errors: BTreeMap::new(),
            missed_by_table: BTreeMap::new(),
            closes: BTreeMap::new(),
        };
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            let _ = merged.push.add(&shard.push);
            let _ = merged.ack.add(&shard.ack);
            let _ = merged.connect.add(&shard.connect);
            let _ = merged.resume.add(&shard.resume);
            let _ = merged.launch.add(&shard.launch);
            merged.counters.add(&shard.counters);
            for (code, n) in &shard.errors {
                *merged.errors.entry(code.clone()).or_default() += n;
            }
            for (table, n) in &shard.missed_by_table {
                *merged.missed_by_table.entry(table.clone()).or_default() += n;
            }
            for (code, n) in &shard.closes {
                *merged.closes.entry(*code).or_default() += n;
            }
        }
        merged
    }
}

/// A latency in µs as milliseconds (microsecond resolution).
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Percentile `q` (0..100) of `h` in milliseconds; 0 for an empty histogram.
pub fn pct_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        ms(h.value_at_quantile(q / 100.0))
    }
}
