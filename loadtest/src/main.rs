//! `croupier-loadtest`: a peak-traffic simulator for Croupier.
//!
//! N simulated players (see `player.rs`) launch sessions through the signed REST API, get
//! sandbox credits, join tables, bet every round, play blackjack decisions, and a share of
//! them drop mid-round and resume with `last_seq`. The run ramps up, holds a steady state,
//! drains, checks money conservation through the ledger summary, prints a summary table and
//! writes a JSON report with an HTML chart beside it.
//!
//! Module map: `sys` (loopback rule, fd limit, /proc), `http` (signed REST), `player` (one
//! simulated player), `stats` (histograms and counters), `server` (`--spawn-server`),
//! `report` (progress line, summary, JSON, HTML).
//!
//! It only ever sends traffic to loopback addresses, and every run is bounded in players,
//! tables and time.

#![recursion_limit = "256"]

mod http;
mod player;
mod report;
mod server;
mod stats;
mod sys;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};

use crate::http::Api;
use crate::player::{parse_game, Plan, TableInfo};
use crate::report::Sample;
use crate::server::{ServerOptions, SpawnedServer};
use crate::stats::{pct_ms, Counters, Stats};

/// Most players one run may simulate (one process; use several processes beyond it).
const PLAYERS_MAX: usize = 100_000;
/// Most tables one run may use.
const TABLES_MAX: usize = 10_000;
/// Longest steady state and ramp.
const DURATION_MAX_S: u64 = 3_600;
const RAMP_MAX_S: u64 = 600;
/// Ephemeral ports one source address can use toward one server port (about 28k on Linux).
const PORTS_PER_SOURCE_IP: usize = 28_000;
/// File descriptors kept for REST, stdio and the runtime beyond one per player.
const FD_MARGIN: usize = 256;
/// REST requests in flight at once during the ramp.
const REST_CONCURRENCY: usize = 64;
/// How long the run waits past the drain for players to finish before abandoning them.
const FINISH_GRACE: Duration = Duration::from_secs(15);
/// Longest the steady state waits for the ramp's last players to join.
const STEADY_WAIT_MAX: Duration = Duration::from_secs(10);

#[derive(Parser, Debug, Clone)]
#[command(
    name = "croupier-loadtest",
    about = "Peak-traffic simulator for Croupier: simulated players over the real protocol, latency report",
    after_help = "Loopback only. Example: croupier-loadtest --spawn-server target/release/croupier --players 2000 --tables 50 --duration-s 60 --report run.json"
)]
struct Args {
    /// Base URL of a running server (loopback only); ignored with --spawn-server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Simulated players.
    #[arg(long, default_value_t = 100)]
    players: usize,
    /// Tables to spread the players over (with --spawn-server: how many tables to create).
    #[arg(long, default_value_t = 10)]
    tables: usize,
    /// Steady-state duration after the ramp, in seconds.
    #[arg(long, default_value_t = 30)]
    duration_s: u64,
    /// Ramp-up: players start evenly spread over this many seconds.
    #[arg(long, default_value_t = 10)]
    ramp_s: u64,
    /// Write the JSON report here (and the HTML chart beside it, with .html).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Operator key id for the signed REST API.
    #[arg(long, default_value = "sandbox")]
    key_id: String,
    /// Operator secret for the signed REST API.
    #[arg(long, default_value = "sandbox-secret")]
    secret: String,
    /// Share (0..1) of players that drop their connection mid-round and resume with last_seq.
    #[arg(long, default_value_t = 0.0)]
    drop_share: f64,
    /// A dropping player drops about once per this many seconds (randomised ±50%).
    #[arg(long, default_value_t = 10.0)]
    drop_interval_s: f64,
    /// Longest pause between a drop and the resume, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    drop_pause_ms: u64,
    /// Seconds into the steady state at which every connected player drops at the same
    /// instant and resumes at once; the report gives the time until the last one is back.
    #[arg(long)]
    mass_resume_at_s: Option<f64>,
    /// Every player bets as fast as acknowledgements allow (durable bets per second).
    #[arg(long)]
    bet_storm: bool,
    /// Bet storm: bets each player keeps in flight.
    #[arg(long, default_value_t = 1)]
    storm_inflight: usize,
    /// Start a private server from this croupier binary (free loopback port, temp data dir).
    #[arg(long)]
    spawn_server: Option<PathBuf>,
    /// With --spawn-server: the table files to copy (default: the repository's tables/).
    #[arg(long)]
    table_set: Option<PathBuf>,
    /// With --spawn-server: the config's pacing_scale (1 = shipped pacing, 0 = instant).
    #[arg(long, default_value_t = 1.0)]
    pacing_scale: f64,
    /// With --spawn-server: extra [limits] lines for the config, e.g. "socket_queue_max = 4096".
    #[arg(long = "server-limit")]
    server_limits: Vec<String>,
    /// With --spawn-server: RUST_LOG of the server.
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// With --spawn-server: keep the temp dir (data, config, server.log); without it, the
    /// dir is kept only after a crash, server errors, missed events or lost money.
    #[arg(long)]
    keep_server_dir: bool,
    /// Read CPU time and RSS of this server process from /proc (automatic with --spawn-server).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Bind client sockets to 127.0.0.1..=127.0.0.N (each has ~28k ports toward one server port).
    #[arg(long, default_value_t = 1)]
    source_ips: u8,
    /// Tables each player joins.
    #[arg(long, default_value_t = 1)]
    tables_per_player: usize,
    /// Bets per player per round (blackjack: always one main bet).
    #[arg(long, default_value_t = 1)]
    bets_per_round: u32,
    /// Bet amounts, as multiples of the table's minimum stake (one picked per bet).
    #[arg(long, default_value = "1,2,5")]
    stake_multiples: String,
    /// Spot weights, e.g. "banker=45,player=45,tie=10,red=1,straight:N=1"; each table uses the
    /// spots its game accepts (straight:N / dozen:D pick a number); default: a realistic mix.
    #[arg(long, default_value = "")]
    spot_mix: String,
    /// Currency of every player.
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// Sandbox deposit per player, in minor units.
    #[arg(long, default_value_t = 1_000_000_000)]
    deposit: i64,
    /// How long players wait for their last answers after the steady state, in seconds.
    #[arg(long, default_value_t = 10)]
    drain_s: u64,
    /// Runtime worker threads of the loadtest.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Run id used in player ids (default: random), so runs against one server never collide.
    #[arg(long)]
    run_id: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("croupier-loadtest: {error}");
            ExitCode::from(1)
        }
    }
}

fn validate(args: &Args) -> Result<(), String> {
    if args.players == 0 || args.players > PLAYERS_MAX {
        return Err(format!("--players must be 1..={PLAYERS_MAX} per process"));
    }
    if args.tables == 0 || args.tables > TABLES_MAX {
        return Err(format!("--tables must be 1..={TABLES_MAX}"));
    }
    if args.duration_s == 0 || args.duration_s > DURATION_MAX_S {
        return Err(format!("--duration-s must be 1..={DURATION_MAX_S}"));
    }
    if args.ramp_s > RAMP_MAX_S || args.drain_s > 120 {
        return Err(format!("--ramp-s must be <= {RAMP_MAX_S} and --drain-s <= 120"));
    }
    if !(0.0..=1.0).contains(&args.drop_share) || args.drop_interval_s <= 0.0 {
        return Err("--drop-share must be within 0..=1 and --drop-interval-s positive".into());
    }
    if !(0.0..=100.0).contains(&args.pacing_scale) {
        return Err("--pacing-scale must be within 0..=100".into());
    }
    if args.source_ips == 0 || args.source_ips > 254 {
        return Err("--source-ips must be 1..=254".into());
    }
    if args.players.div_ceil(args.source_ips as usize) > PORTS_PER_SOURCE_IP {
        return Err(format!(
            "{} players need more than {PORTS_PER_SOURCE_IP} ports per source address: raise --source-ips",
            args.players
        ));
    }
    if args.threads == 0 || args.threads > 64 || args.storm_inflight == 0 || args.storm_inflight > 64 {
        return Err("--threads must be 1..=64 and --storm-inflight 1..=64".into());
    }
    if args.bets_per_round > 50 || args.tables_per_player == 0 || args.tables_per_player > 8 {
        return Err("--bets-per-round must be <= 50 and --tables-per-player 1..=8".into());
    }
    if args.deposit <= 0 || args.currency.len() != 3 {
        return Err("--deposit must be positive and --currency a 3-letter code".into());
    }
    Ok(())
}

fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().map_err(|_| format!("bad {what} entry {s:?}")))
        .collect()
}

fn parse_mix(text: &str) -> Result<Vec<(String, u32)>, String> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|entry| {
            let (spot, weight) = entry
                .split_once('=')
                .ok_or_else(|| format!("--spot-mix entry {entry:?} needs spot=weight"))?;
            let weight: u32 = weight.trim().parse().map_err(|_| format!("bad weight in {entry:?}"))?;
            Ok((spot.trim().to_owned(), weight))
        })
        .collect()
}

/// The repository's `tables/` (this crate sits in `loadtest/` beside it).
fn default_table_set() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("tables")
}

fn run(args: Args) -> Result<bool, String> {
    validate(&args)?;
    let stake_multiples: Vec<i64> = parse_list(&args.stake_multiples, "--stake-multiples")?;
    if stake_multiples.is_empty() || stake_multiples.iter().any(|m| *m <= 0) {
        return Err("--stake-multiples needs positive numbers".into());
    }
    let mix = parse_mix(&args.spot_mix)?;
    let fd_limit = sys::raise_fd_limit();
    let fds_needed = args.players + FD_MARGIN;
    if fds_needed as u64 > fd_limit {
        return Err(format!(
            "{} players need about {fds_needed} file descriptors but this process may open {fd_limit}: split the players over several loadtest processes (--url, distinct --run-id)",
            args.players
        ));
    }

    let mut spawned = match &args.spawn_server {
        Some(binary) => {
            let table_set = args.table_set.clone().unwrap_or_else(default_table_set);
            let mut limits = args.server_limits.clone();
            if args.bet_storm {
                // The storm measures the journal, not the per-connection abuse limits.
                for line in [
                    "messages_per_s = 1000000",
                    "messages_burst = 1000000",
                    "bets_per_round_max = 1000000",
                ] {
                    let key = line.split('=').next().unwrap_or_default().trim();
                    if !limits.iter().any(|l| l.trim_start().starts_with(key)) {
                        limits.push(line.to_owned());
                    }
                }
            }
            let options = ServerOptions {
                binary,
                table_set: &table_set,
                tables: args.tables,
                pacing_scale: args.pacing_scale,
                connections_max: args.players * 2 + 1000,
                limits,
                log_level: &args.server_log,
            };
            let server = SpawnedServer::start(&options)?;
            eprintln!(
                "croupier-loadtest: started {} (pid {}) on {} with {} tables from {}; dir {}",
                binary.display(),
                server.pid,
                server.addr,
                args.tables,
                table_set.display(),
                server.dir.display()
            );
            Some(server)
        }
        None => None,
    };
    let addr = match &spawned {
        Some(server) => server.addr,
        None => sys::loopback_addr(&args.url)?,
    };
    let server_pid = spawned.as_ref().map(|s| s.pid).or(args.server_pid);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let outcome = runtime.block_on(drive(&args, addr, server_pid, stake_multiples, mix, fd_limit));
    drop(runtime);

    let mut report = match outcome {
        Ok(report) => report,
        Err(error) => {
            if let Some(server) = spawned.as_mut() {
                server.stop();
                eprintln!("croupier-loadtest: server dir kept: {}", server.dir.display());
            }
            return Err(error);
        }
    };
    let mut clean = report["verdict"] == "clean";
    if let Some(server) = spawned.as_mut() {
        let crashed = !server.is_running();
        let stopped = server.stop();
        let (problems, lines) = server::log_problems(&server.log_path(), 20);
        report["server"]["crashed_during_run"] = json!(crashed);
        report["server"]["clean_exit"] = json!(stopped.clean_exit);
        report["server"]["shutdown_s"] = json!(stopped.shutdown_s);
        report["server"]["log_warnings_and_errors"] = json!(problems);
        report["server"]["log_excerpt"] = json!(lines);
        if crashed {
            clean = false;
            report["verdict"] = json!("server crashed");
        }
        // A storm's journal is gigabytes: keep the dir when it may explain a fault, not for
        // late bets or slow clients (the expected symptoms of an overloaded machine).
        let suspect = crashed
            || !stopped.clean_exit
            || problems > 0
            || report["missed_events"] != 0
            || report["out_of_order"] != 0
            || report["conserved"] != true;
        if suspect || args.keep_server_dir {
            report["server"]["dir"] = json!(server.dir.display().to_string());
            eprintln!("croupier-loadtest: server dir kept: {}", server.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&server.dir);
        }
    }
    if let Some(path) = &args.report {
        write_report(path, &report)?;
    }
    print!("{}", report::summary_table(&report));
    Ok(clean)
}

fn write_report(path: &std::path::Path, report: &Value) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let samples: Vec<Sample> = report["timeseries"]
        .as_array()
        .map(|a| a.iter().map(sample_from_json).collect())
        .unwrap_or_default();
    let html_path = path.with_extension("html");
    std::fs::write(&html_path, report::html(report, &samples)).map_err(|e| format!("{}: {e}", html_path.display()))?;
    eprintln!(
        "croupier-loadtest: wrote {} and {}",
        path.display(),
        html_path.display()
    );
    Ok(())
}

fn sample_from_json(v: &Value) -> Sample {
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Sample {
        t_s: f("t_s"),
        connected: v["connected"].as_u64().unwrap_or(0) as usize,
        messages_per_s: f("messages_per_s"),
        events_per_s: f("events_per_s"),
        bets_per_s: f("bets_per_s"),
        push_p50_ms: f("push_p50_ms"),
        push_p99_ms: f("push_p99_ms"),
        push_p999_ms: f("push_p999_ms"),
        push_max_ms: f("push_max_ms"),
        ack_p99_ms: f("ack_p99_ms"),
        errors: v["errors"].as_u64().unwrap_or(0),
        missed: v["missed"].as_u64().unwrap_or(0),
        server_cpu_pct: v["server_cpu_pct"].as_f64(),
        server_rss_mib: v["server_rss_mib"].as_f64(),
        client_cpu_pct: v["client_cpu_pct"].as_f64(),
    }
}

/// The tables the run uses, from the lobby: auto-dealt tables with limits in our currency.
async fn lobby_tables(api: &Api, args: &Args, mix: &[(String, u32)]) -> Result<Vec<Arc<TableInfo>>, String> {
    let reply = api.signed("GET", "/v1/lobby", "").await?;
    if reply.status != 200 {
        return Err(format!("GET /v1/lobby answered {}: {}", reply.status, reply.body));
    }
    let mut tables = Vec::new();
    for table in reply.body["tables"].as_array().cloned().unwrap_or_default() {
        if table["dealer"] != "auto" {
            continue;
        }
        let Some(game) = table["game"].as_str().and_then(parse_game) else {
            continue;
        };
        let limits = &table["limits"][args.currency.as_str()];
        let (Some(stake_min), Some(stake_max)) = (limits["stake_min"].as_i64(), limits["stake_max"].as_i64()) else {
            continue;
        };
        let id = table["id"].as_str().unwrap_or_default().to_owned();
        let seats_max = table["seats_max"].as_u64().unwrap_or(7) as u8;
        tables.push(Arc::new(TableInfo::new(id, game, stake_min, stake_max, seats_max, mix)));
        if tables.len() == args.tables {
            break;
        }
    }
    if tables.is_empty() {
        return Err(format!(
            "the lobby has no auto-dealt table with {} limits",
            args.currency
        ));
    }
    if tables.len() < args.tables {
        eprintln!(
            "croupier-loadtest: only {} usable tables in the lobby (asked for {})",
            tables.len(),
            args.tables
        );
    }
    Ok(tables)
}

fn random_run_id() -> String {
    format!("{:08x}", sys::Rng::from_clock(99).next_u64() as u32)
}

async fn drive(
    args: &Args,
    addr: std::net::SocketAddr,
    server_pid: Option<u32>,
    stake_multiples: Vec<i64>,
    mix: Vec<(String, u32)>,
    fd_limit: u64,
) -> Result<Value, String> {
    let api = Arc::new(Api::new(
        addr,
        args.key_id.clone(),
        args.secret.clone(),
        REST_CONCURRENCY,
    ));
    let tables = lobby_tables(&api, args, &mix).await?;
    let stats = Arc::new(Stats::new());
    let run_id = args.run_id.clone().unwrap_or_else(random_run_id);
    let started = Instant::now();
    let ramp = Duration::from_secs(args.ramp_s);
    let end_at = started + ramp + Duration::from_secs(args.duration_s);
    let plan = Arc::new(Plan {
        addr,
        api: api.clone(),
        stats: stats.clone(),
        tables: tables.clone(),
        tables_per_player: args.tables_per_player,
        bets_per_round: args.bets_per_round,
        stake_multiples,
        drop_share: args.drop_share,
        drop_interval: Duration::from_secs_f64(args.drop_interval_s),
        drop_pause_max: Duration::from_millis(args.drop_pause_ms),
        bet_storm: args.bet_storm,
        storm_inflight: args.storm_inflight,
        source_ips: args.source_ips,
        run_id: run_id.clone(),
        currency: args.currency.clone(),
        deposit: args.deposit,
        end_at,
        drain: Duration::from_secs(args.drain_s),
        mass_drop_at: args
            .mass_resume_at_s
            .map(|at| started + ramp + Duration::from_secs_f64(at.max(0.0))),
    });
    let server_baseline = server_pid.and_then(sys::proc_sample);
    let client_pid = std::process::id();
    let client_baseline = sys::proc_sample(client_pid);

    let mut handles = Vec::with_capacity(args.players);
    for index in 0..args.players {
        let offset = ramp.mul_f64(index as f64 / args.players as f64);
        handles.push(tokio::spawn(player::run(index, plan.clone(), started + offset)));
    }

    // The ticker: progress, samples, steady-state start, stop.
    let mut samples: Vec<Sample> = Vec::new();
    let mut previous = Counters::default();
    let mut previous_server = server_baseline;
    let mut previous_client = client_baseline;
    let mut steady_at: Option<(Instant, Counters, Option<sys::ProcSample>)> = None;
    let mut steady_end: Option<(Instant, Counters, Option<sys::ProcSample>)> = None;
    let mut rss_peak_kib = server_baseline.map_or(0, |s| s.rss_kib);
    let mut connected_peak = 0usize;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut last_tick = Instant::now();
    loop {
        tick.tick().await;
        let now = Instant::now();
        let elapsed = now.duration_since(last_tick).as_secs_f64().max(0.001);
        last_tick = now;
        let interval = stats.take_interval();
        let counters = interval.counters;
        let connected = stats.connected.load(Ordering::Relaxed);
        connected_peak = connected_peak.max(connected);
        let server_now = server_pid.and_then(sys::proc_sample);
        let client_now = sys::proc_sample(client_pid);
        if let Some(s) = server_now {
            rss_peak_kib = rss_peak_kib.max(s.rss_kib);
        }
        let cpu_pct = |a: Option<sys::ProcSample>, b: Option<sys::ProcSample>| match (a, b) {
            (Some(a), Some(b)) => Some((b.cpu_s - a.cpu_s) / elapsed * 100.0),
            _ => None,
        };
        let sample = Sample {
            t_s: now.duration_since(started).as_secs_f64(),
            connected,
            messages_per_s: (counters.messages - previous.messages) as f64 / elapsed,
            events_per_s: (counters.events - previous.events) as f64 / elapsed,
            bets_per_s: (counters.bets_acked - previous.bets_acked) as f64 / elapsed,
            push_p50_ms: pct_ms(&interval.push, 50.0),
            push_p99_ms: pct_ms(&interval.push, 99.0),
            push_p999_ms: pct_ms(&interval.push, 99.9),
            push_max_ms: stats::ms(interval.push.max()),
            ack_p99_ms: pct_ms(&interval.ack, 99.0),
            errors: counters.errors,
            missed: counters.missed,
            server_cpu_pct: cpu_pct(previous_server, server_now),
            server_rss_mib: server_now.map(|s| s.rss_kib as f64 / 1024.0),
            client_cpu_pct: cpu_pct(previous_client, client_now),
        };
        eprintln!("{}", sample.progress_line(args.players));
        samples.push(sample);
        previous = counters;
        previous_server = server_now;
        previous_client = client_now;

        let ramp_over = now >= started + ramp;
        if steady_at.is_none()
            && ramp_over
            && (connected * 100 >= args.players * 99 || now >= started + ramp + STEADY_WAIT_MAX)
            && now < end_at
        {
            stats.steady.store(true, Ordering::Relaxed);
            steady_at = Some((now, counters, server_now));
        }
        if steady_end.is_none() && now >= end_at {
            stats.stopping.store(true, Ordering::Relaxed);
            stats.steady.store(false, Ordering::Relaxed);
            steady_end = Some((now, counters, server_now));
        }
        let finished = handles.iter().all(|h| h.is_finished());
        if finished && steady_end.is_some() {
            break;
        }
        if now >= end_at + plan.drain + FINISH_GRACE {
            eprintln!("croupier-loadtest: abandoning players that did not finish");
            for handle in &handles {
                handle.abort();
            }
            break;
        }
    }
    let finished_at = Instant::now();

    // Money conservation, through the operator API.
    let (conserved, ledger) = match api.signed("GET", "/v1/ledger/summary", "").await {
        Ok(reply) if reply.status == 200 => {
            let mut conserved = reply.body["conserved"] == true;
            let currencies = reply.body["currencies"].clone();
            for (_, c) in currencies.as_object().into_iter().flatten() {
                let lhs = c["player_balances"].as_i64().unwrap_or(0) + c["house_result"].as_i64().unwrap_or(0);
                let rhs = c["deposits"].as_i64().unwrap_or(0) - c["withdrawals"].as_i64().unwrap_or(0);
                conserved &= lhs == rhs;
            }
            (conserved, currencies)
        }
        Ok(reply) => (false, json!({"status": reply.status, "body": reply.body})),
        Err(error) => (false, json!({"error": error})),
    };

    let merged = stats.merged();
    let c = merged.counters;
    let (steady_start, steady_counters, steady_server) =
        steady_at.unwrap_or((started + ramp, Counters::default(), server_baseline));
    let (steady_stop, end_counters, end_server) = steady_end.unwrap_or((finished_at, c, None));
    let steady_s = steady_stop.duration_since(steady_start).as_secs_f64().max(0.001);
    let messages_steady = end_counters.messages_steady - steady_counters.messages_steady;
    let bets_steady = end_counters.bets_acked_steady - steady_counters.bets_acked_steady;
    let server_cpu_s = match (steady_server, end_server) {
        (Some(a), Some(b)) => Some(b.cpu_s - a.cpu_s),
        _ => None,
    };
    let client_cpu_s = match (client_baseline, sys::proc_sample(client_pid)) {
        (Some(a), Some(b)) => b.cpu_s - a.cpu_s,
        _ => 0.0,
    };
    // Bets sent before betting closed that the server reached after it: an overloaded
    // machine, not a wrong answer. A storm bets until the last moment, so it expects them.
    let late_codes = ["betting_closed", "wrong_round"];
    let late_bets: u64 = merged
        .errors
        .iter()
        .filter(|(code, _)| late_codes.contains(&code.as_str()))
        .map(|(_, n)| n)
        .sum();
    let allowed: &[&str] = if args.bet_storm { &["busy"] } else { &[] };
    let unexpected_errors: u64 = merged
        .errors
        .iter()
        .filter(|(code, _)| !late_codes.contains(&code.as_str()) && !allowed.contains(&code.as_str()))
        .map(|(_, n)| n)
        .sum();
    let verdict = if c.missed > 0 || c.out_of_order > 0 {
        "missed or out-of-order events"
    } else if !conserved {
        "money not conserved"
    } else if unexpected_errors > 0 {
        "unexpected errors"
    } else if late_bets > 0 && !args.bet_storm {
        "late bets"
    } else if c.server_closes > 0 {
        "server closed connections"
    } else if c.unanswered > 0 {
        "requests left unanswered"
    } else if c.players_joined < args.players as u64 {
        "not every player connected"
    } else {
        "clean"
    };
    let rss_baseline_kib = server_baseline.map(|s| s.rss_kib);
    // Per player: growth from before the ramp to the moment every player had joined. Later
    // growth is the tables' event history and sled's cache filling, not connections.
    let rss_joined_kib = steady_server.map(|s| s.rss_kib);
    let rss_steady_kib = end_server.map(|s| s.rss_kib);
    let server = json!({
        "pid": server_pid,
        "cpu_s": server_cpu_s,
        "cpu_pct": server_cpu_s.map(|s| s / steady_s * 100.0),
        "cpu_us_per_message": server_cpu_s.filter(|_| messages_steady > 0).map(|s| s * 1e6 / messages_steady as f64),
        "rss_baseline_mib": rss_baseline_kib.map(|k| k as f64 / 1024.0),
        "rss_all_joined_mib": rss_joined_kib.map(|k| k as f64 / 1024.0),
        "rss_end_of_steady_mib": rss_steady_kib.map(|k| k as f64 / 1024.0),
        "rss_peak_mib": server_pid.map(|_| rss_peak_kib as f64 / 1024.0),
        "rss_growth_during_steady_mib_per_s": match (rss_joined_kib, rss_steady_kib) {
            (Some(a), Some(b)) => Some((b as f64 - a as f64) / 1024.0 / steady_s),
            _ => None,
        },
        "rss_per_player_kib": match (rss_baseline_kib, rss_joined_kib) {
            (Some(a), Some(b)) => Some((b as f64 - a as f64) / args.players as f64),
            _ => None,
        },
    });
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| pct_ms(h, q);
    Ok(json!({
        "players": args.players,
        "players_joined": c.players_joined,
        "players_connected_peak": connected_peak,
        "tables": tables.len(),
        "steady_s": steady_s,
        "push_p50_ms": ms(&merged.push, 50.0),
        "push_p99_ms": ms(&merged.push, 99.0),
        "push_p999_ms": ms(&merged.push, 99.9),
        "push_max_ms": stats::ms(merged.push.max()),
        "push_samples": merged.push.len(),
        "ack_p50_ms": ms(&merged.ack, 50.0),
        "ack_p99_ms": ms(&merged.ack, 99.0),
        "ack_p999_ms": ms(&merged.ack, 99.9),
        "ack_max_ms": stats::ms(merged.ack.max()),
        "connect_p50_ms": ms(&merged.connect, 50.0),
        "connect_p99_ms": ms(&merged.connect, 99.0),
        "connect_max_ms": stats::ms(merged.connect.max()),
        "launch_p50_ms": ms(&merged.launch, 50.0),
        "launch_p99_ms": ms(&merged.launch, 99.0),
        "resume_p50_ms": ms(&merged.resume, 50.0),
        "resume_p99_ms": ms(&merged.resume, 99.0),
        "resume_max_ms": stats::ms(merged.resume.max()),
        "mass_resume_players": stats.mass_resumes.load(std::sync::atomic::Ordering::Relaxed),
        "mass_resume_all_ms": args.mass_resume_at_s.map(|_| {
            stats.mass_resume_last_us.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
        }),
        "messages_per_s": messages_steady as f64 / steady_s,
        "bets_per_s": bets_steady as f64 / steady_s,
        "messages_total": c.messages,
        "events_total": c.events,
        "replayed_events": c.replayed,
        "bets_sent": c.bets_sent,
        "bets_acked": c.bets_acked,
        "actions_acked": c.actions_acked,
        "missed_events": c.missed,
        "missed_by_table": merged.missed_by_table,
        "out_of_order": c.out_of_order,
        "epoch_changes": c.epoch_changes,
        "drops": c.drops,
        "resumes": c.resumes,
        "resume_snapshots": c.resume_snapshots,
        "connect_failures": c.connect_failures,
        "server_closes": merged.closes.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "unanswered": c.unanswered,
        "errors": merged.errors,
        "unexpected_errors": unexpected_errors,
        "late_bets": late_bets,
        "conserved": conserved,
        "ledger": ledger,
        "verdict": verdict,
        "server": server,
        "client_cpu_s": client_cpu_s,
        "config": {
            "url": format!("http://{addr}"),
            "run_id": run_id,
            "players": args.players,
            "tables": args.tables,
            "tables_per_player": args.tables_per_player,
            "duration_s": args.duration_s,
            "ramp_s": args.ramp_s,
            "drop_share": args.drop_share,
            "drop_interval_s": args.drop_interval_s,
            "bet_storm": args.bet_storm,
            "storm_inflight": args.storm_inflight,
            "spawn_server": args.spawn_server,
            "table_set": args.table_set,
            "pacing_scale": args.pacing_scale,
            "server_limits": args.server_limits,
            "source_ips": args.source_ips,
            "bets_per_round": args.bets_per_round,
            "stake_multiples": args.stake_multiples,
            "spot_mix": args.spot_mix,
            "threads": args.threads,
            "fd_limit": fd_limit,
            "machine_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        },
        "timeseries": samples.iter().map(Sample::to_json).collect::<Vec<_>>(),
    }))
}
