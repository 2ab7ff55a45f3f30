//! The `croupier` binary: parse the command line, load config, init telemetry, run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use croupier::config::Config;

/// Every pushed frame, bet and journal record allocates on one thread and is freed on
/// another; glibc's malloc spent a quarter of the server's CPU there in the bet storm.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "croupier",
    version,
    about = "Real-time live-table engine for live-dealer casino games"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Exact odds from a shoe composition.
    Odds {
        #[command(subcommand)]
        game: OddsGame,
    },
    /// Recompute a provably fair shoe: its commit and first cards.
    Verify {
        #[arg(long)]
        server_seed: String,
        #[arg(long, default_value = "")]
        client_seed: String,
        #[arg(long)]
        nonce: u64,
        #[arg(long, default_value_t = 8)]
        decks: u32,
        #[arg(long, default_value_t = 10)]
        count: usize,
    },
    /// Rebuild every balance and round from the journal offline; exit 1 on any inconsistency.
    Replay {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Listen address (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Data directory for the journal (default ./data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory of table files (default ./tables).
    #[arg(long)]
    tables: Option<PathBuf>,
    /// TOML config file for everything else.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum OddsGame {
    Baccarat {
        #[arg(long, default_value_t = 8)]
        decks: u32,
        #[arg(long)]
        seen: Option<String>,
    },
    Blackjack {
        #[arg(long, default_value = "infinite")]
        decks: String,
        #[arg(long)]
        upcard: String,
        #[arg(long)]
        h17: bool,
        #[arg(long)]
        seen: Option<String>,
    },
    #[command(name = "dragon-tiger")]
    DragonTiger {
        #[arg(long, default_value_t = 8)]
        decks: u32,
        #[arg(long)]
        seen: Option<String>,
    },
    Roulette,
}

fn print(result: Result<serde_json::Value, String>) -> ExitCode {
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    croupier::telemetry::init_logging();
    let mut config = match &args.config {
        Some(path) => match Config::from_file(path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    config.apply_env();
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(data) = args.data {
        config.data_dir = data;
    }
    if let Some(tables) = args.tables {
        config.tables_dir = tables;
    }
    match actix_web::rt::System::new().block_on(croupier::app::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            tracing::error!(error = %error, "server failed");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args),
        Command::Odds { game } => print(match game {
            OddsGame::Baccarat { decks, seen } => croupier::cli::card_game_odds("baccarat", decks, seen.as_deref()),
            OddsGame::DragonTiger { decks, seen } => {
                croupier::cli::card_game_odds("dragon_tiger", decks, seen.as_deref())
            }
            OddsGame::Blackjack {
                decks,
                upcard,
                h17,
                seen,
            } => croupier::cli::blackjack_odds(&decks, &upcard, h17, seen.as_deref()),
            OddsGame::Roulette => Ok(croupier::cli::roulette_odds()),
        }),
        Command::Verify {
            server_seed,
            client_seed,
            nonce,
            decks,
            count,
        } => print(croupier::cli::verify(&server_seed, &client_seed, nonce, decks, count)),
        Command::Replay { data } => replay(data),
    }
}

fn replay(data: PathBuf) -> ExitCode {
    let journal_dir = croupier::journal::journal_dir(&data);
    if !journal_dir.exists() {
        eprintln!("error: no journal at {}", journal_dir.display());
        return ExitCode::from(2);
    }
    let result = croupier::journal::Journal::open(&journal_dir, 64 * 1024 * 1024, 16).and_then(|journal| {
        let replayed = croupier::journal::replay::replay_ledger(&journal)?;
        let rounds = croupier::journal::replay::audit_rounds(&journal, &replayed)?;
        Ok((replayed, rounds))
    });
    match result {
        Ok((replayed, rounds)) => {
            let problems: Vec<&String> = replayed.problems.iter().chain(&rounds.problems).collect();
            let report = serde_json::json!({
                "ledger_records": replayed.ledger_records,
                "players": replayed.wallets.len(),
                "currencies": replayed.summary,
                "rounds": rounds.rounds,
                "unfinished_rounds": rounds.unfinished,
                "problems": problems,
            });
            println!("{report}");
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
