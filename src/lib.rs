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
//! - [`wire`]: the WebSocket protocol as types: every frame the server sends (table events
//!   and private messages, each encoded once) and every frame it accepts (strict parsing),
//!   and the AsyncAPI document generated from them. Actors build frames with it, transport
//!   parses and writes them; it knows neither.
//! - [`transport`]: HTTP and WebSocket: REST routes, player and dealer sockets, operator
//!   HMAC auth, who may connect. It reaches actors only through their messages.
//! - [`app`]: start-up and shutdown order. [`config`]: configuration and table files.
//!   [`telemetry`]: logging and metric names. [`cli`]: the offline subcommands.
//!   [`clock`]: the server clock.

pub mod actors;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod journal;
pub mod telemetry;
pub mod transport;
pub mod wire;
