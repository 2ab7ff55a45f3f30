//! Croupier: a real-time live-table engine for live-dealer casino games.
//!
//! The architecture map (dependencies point one way: transport → actors → domain):
//!
//! - [`domain`]: PURE rules: cards, shoes, games, payouts, exact odds, provably fair
//!   shuffles, money and the round state machine. No actix, tokio, sled, clocks or RNGs.
//! - [`actors`]: thin actix shells: `TableActor` (one per table: round cycle, timers, event
//!   stream), `WalletActor` (one per player: serialises money), `BankActor` (finds wallets),
//!   `LobbyActor` (knows the tables), `SessionsActor` (tokens). Only actors touch the journal.
//! - [`journal`]: the sled journal: keys, versioned records, group commit with fdatasync,
//!   replay and crash repairs.
//! - [`transport`]: HTTP, WebSocket and JSON: REST routes, player and dealer sockets, the
//!   wire protocol, operator HMAC auth.
//! - [`app`]: start-up and shutdown order. [`config`]: configuration and table files.
//!   [`telemetry`]: logging and metric names. [`cli`]: the offline subcommands.

pub mod actors;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod journal;
pub mod telemetry;
pub mod transport;
