//! The only code that knows HTTP and WebSocket: REST routes, the player and dealer sockets,
//! operator authentication and who may connect. The frames themselves are `crate::wire`.

pub mod admission;
pub mod auth;
pub mod dealer;
pub mod player;
pub mod routes;
pub mod socket;
pub mod takeover;
pub mod web;

use std::sync::Arc;

use actix::Addr;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::actors::lobby::LobbyActor;
use crate::actors::sessions::SessionsActor;
use crate::actors::wallet::BankActor;
use crate::config::Config;
use crate::journal::Journal;

/// What every request handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub journal: Journal,
    pub lobby: Addr<LobbyActor>,
    pub bank: Addr<BankActor>,
    pub sessions: Addr<SessionsActor>,
    pub auth: Arc<auth::OperatorAuth>,
    pub metrics: Option<PrometheusHandle>,
    /// Open sockets and who may open more (connection limits, per-address rates).
    pub admission: Arc<admission::Admission>,
}
