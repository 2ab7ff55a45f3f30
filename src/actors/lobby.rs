//! `LobbyActor`: the registry of live tables and their public state for `GET /v1/lobby`.
//!
//! Tables report their status here; the lobby never calls into a table.

use std::collections::{BTreeMap, BTreeSet};

use actix::prelude::*;
use serde_json::json;

use crate::actors::messages::{FindTable, GetCurrencies, GetLobby, TableHandle, TableStatus};
use crate::actors::table::TableActor;
use crate::config::TableConfig;
use crate::domain::ids::TableId;
use crate::domain::money::Currency;

struct Entry {
    config: TableConfig,
    addr: Option<Addr<TableActor>>,
    status: Option<TableStatus>,
}

#[derive(Default)]
pub struct LobbyActor {
    tables: BTreeMap<TableId, Entry>,
}

impl Actor for LobbyActor {
    type Context = Context<Self>;
}

/// Adds a table at start-up (its address once it runs).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RegisterTable {
    pub config: TableConfig,
    pub addr: Addr<TableActor>,
}

impl Handler<RegisterTable> for LobbyActor {
    type Result = ();

    fn handle(&mut self, msg: RegisterTable, _: &mut Self::Context) {
        let entry = self.tables.entry(msg.config.id.clone()).or_insert(Entry {
            config: msg.config.clone(),
            addr: None,
            status: None,
        });
        entry.config = msg.config;
        entry.addr = Some(msg.addr);
    }
}

impl Handler<TableStatus> for LobbyActor {
    type Result = ();

    fn handle(&mut self, status: TableStatus, _: &mut Self::Context) {
        if let Some(entry) = self.tables.get_mut(&status.id) {
            entry.status = Some(status);
        }
    }
}

impl Handler<FindTable> for LobbyActor {
    type Result = Option<TableHandle>;

    fn handle(&mut self, FindTable(id): FindTable, _: &mut Self::Context) -> Self::Result {
        self.tables.get(&id).and_then(|e| e.addr.clone()).map(TableHandle::new)
    }
}

impl Handler<GetCurrencies> for LobbyActor {
    type Result = MessageResult<GetCurrencies>;

    fn handle(&mut self, _: GetCurrencies, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.tables
                .values()
                .flat_map(|entry| entry.config.limits.keys().copied())
                .collect::<BTreeSet<Currency>>(),
        )
    }
}

impl Handler<GetLobby> for LobbyActor {
    type Result = MessageResult<GetLobby>;

    fn handle(&mut self, _: GetLobby, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.tables
                .values()
                .map(|entry| {
                    let c = &entry.config;
                    let s = entry.status.as_ref();
                    json!({
                        "id": c.id,
                        "game": c.game,
                        "name": c.name,
                        "dealer": c.dealer,
                        "phase": s.map_or("starting", |s| s.phase),
                        "round_id": s.and_then(|s| s.round_id),
                        "closes_at": s.and_then(|s| s.closes_at),
                        "players": s.map_or(0, |s| s.players),
                        "recent": s.map(|s| s.recent.clone()).unwrap_or_default(),
                        "limits": c.limits,
                        "decks": c.decks,
                        "seats_max": (c.game == crate::domain::round::Game::Blackjack).then_some(c.seats_max),
                    })
                })
                .collect(),
        )
    }
}
