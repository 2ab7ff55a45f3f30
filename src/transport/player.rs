//! `PlayerSocket`: one player connection. Parses frames, enforces the per-connection limits,
//! forwards commands to tables, and owns the connection's lifecycle (heartbeat, idle close).
//!
//! It never awaits a table or wallet on the read path: commands are `try_send`s answered
//! through the connection's `Outbound`, so a busy table answers `busy` instead of stalling.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::actors::messages::{
    Act, Caller, ClientSeed, FindTable, ForTable, Join, Leave, PlaceBet, TableHandle, UnwatchBalance,
};
use crate::actors::outbound::close_code;
use crate::actors::sessions::SocketClosed;
use crate::domain::ids::TableId;
use crate::transport::socket::{self, TokenBucket, STRIKES_MAX};
use crate::transport::takeover::{Inbound, Violation};
use crate::transport::AppState;
use crate::wire::inbound::{self, ClientMsg};
use crate::wire::message::{self, Ack, ServerMsg};
use crate::wire::CommandError;
use actix::prelude::*;
use actix_http::ws::Message;

pub struct PlayerSocket {
    pub caller: Caller,
    pub state: AppState,
    /// Tables joined (bounded by `tables_per_connection_max`).
    pub joined: HashMap<TableId, TableHandle>,
    /// Last frame of any kind from the client; silent for `idle_timeout_ms`: closed (4002).
    pub last_seen: Instant,
    /// Inbound messages (`messages_per_s`, bursts of `messages_burst`); past it a message
    /// is refused `rate_limited` and counts as a strike.
    pub bucket: TokenBucket,
    /// Rejected messages in a row; at `STRIKES_MAX` the connection is closed (4009).
    pub strikes: u32,
    /// Last command from the player (pongs and pings do not count): idle sessions are
    /// warned, then closed.
    pub last_command: Instant,
    pub idle_warned: bool,
    /// Joins waiting for the lobby's answer; they count against the table limit too.
    pub joins_in_flight: usize,
}

/// How long before an idle close the player is warned.
const IDLE_WARNING: Duration = Duration::from_secs(60);

impl PlayerSocket {
    fn reply_error(&mut self, req: Option<u64>, error: CommandError) {
        self.caller.out.send(message::error(req, &error));
    }

    fn strike(&mut self, ctx: &mut Context<Self>) {
        self.strikes += 1;
        if self.strikes >= STRIKES_MAX {
            tracing::warn!(player = %self.caller.player, "closing abusive connection");
            self.caller.out.close(close_code::FLOODING);
            ctx.stop();
        }
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        if !self.bucket.take() {
            self.reply_error(None, CommandError::new("rate_limited", "too many messages; slow down"));
            self.strike(ctx);
            return;
        }
        let msg: ClientMsg = match inbound::parse(text) {
            Ok(msg) => msg,
            Err((req, error)) => {
                self.reply_error(req, error);
                self.strike(ctx);
                return;
            }
        };
        self.strikes = 0;
        if !matches!(msg, ClientMsg::Ping { .. }) {
            self.last_command = Instant::now();
            self.idle_warned = false;
        }
        self.dispatch(msg, ctx);
    }

    fn dispatch(&mut self, msg: ClientMsg, ctx: &mut Context<Self>) {
        let caller = self.caller.clone();
        match msg {
            ClientMsg::Ping { req } => {
                self.caller.out.send(socket::pong(req));
            }
            ClientMsg::Join {
                req,
                table,
                last_seq,
                epoch,
            } => self.join(req, table, last_seq, epoch, ctx),
            ClientMsg::Leave { req, table } => self.leave(req, table),
            ClientMsg::Bet {
                req,
                table,
                round_id,
                spot,
                amount,
                bet_id,
            } => {
                let bet = PlaceBet {
                    req,
                    caller,
                    round_id,
                    spot,
                    amount,
                    bet_id,
                };
                self.send_to_table(req, &table, bet);
            }
            ClientMsg::Action {
                req,
                table,
                round_id,
                hand,
                action,
            } => {
                let act = Act {
                    req,
                    caller,
                    round_id,
                    hand,
                    action,
                };
                self.send_to_table(req, &table, act);
            }
            ClientMsg::ClientSeed { req, table, seed } => {
                self.send_to_table(req, &table, ClientSeed { req, caller, seed });
            }
        }
    }

    /// Finds the table through the lobby, then subscribes (a join in flight counts against
    /// `tables_per_connection_max` too).
    fn join(
        &mut self,
        req: Option<u64>,
        table: TableId,
        last_seq: Option<u64>,
        epoch: Option<u64>,
        ctx: &mut Context<Self>,
    ) {
        let open = self.joined.len() + self.joins_in_flight;
        if !self.joined.contains_key(&table) && open >= self.state.config.limits.tables_per_connection_max {
            let error = CommandError::new("too_many_tables", "leave a table before joining another");
            return self.reply_error(req, error);
        }
        let caller = self.caller.clone();
        let lobby = self.state.lobby.clone();
        let id = table.clone();
        self.joins_in_flight += 1;
        let found = async move { lobby.send(FindTable(id)).await.ok().flatten() };
        ctx.spawn(found.into_actor(self).map(move |found, act, _| {
            act.joins_in_flight -= 1;
            let Some(handle) = found else {
                return act.reply_error(req, CommandError::new("unknown_table", format!("no table {table}")));
            };
            let join = Join {
                req,
                caller,
                last_seq,
                epoch,
            };
            if !handle.try_send(join) {
                return act.reply_error(req, CommandError::new("busy", "the table is busy; retry"));
            }
            act.joined.insert(table, handle);
        }));
    }

    fn leave(&mut self, req: Option<u64>, table: TableId) {
        let Some(handle) = self.joined.remove(&table) else {
            return self.reply_error(req, CommandError::new("not_joined", "join the table first"));
        };
        handle.do_send(Leave {
            conn: self.caller.out.conn,
        });
        self.caller.out.send(message::ack(req, Ack::Table { table: &table }));
    }

    fn send_to_table<M: ForTable>(&mut self, req: Option<u64>, table: &TableId, msg: M) {
        match self.joined.get(table) {
            Some(handle) => {
                if !handle.try_send(msg) {
                    self.reply_error(req, CommandError::new("busy", "the table is busy; retry"));
                }
            }
            None => self.reply_error(req, CommandError::new("not_joined", "join the table first")),
        }
    }
}

impl PlayerSocket {
    /// Starts the socket actor of a connection that just opened `caller`'s session.
    pub fn start(caller: Caller, state: AppState, stream: Inbound) {
        let limits = &state.config.limits;
        let bucket = TokenBucket::new(limits.messages_per_s, limits.messages_burst);
        PlayerSocket::create(move |ctx| {
            ctx.add_stream(stream);
            PlayerSocket {
                caller,
                state,
                joined: HashMap::new(),
                last_seen: Instant::now(),
                bucket,
                strikes: 0,
                last_command: Instant::now(),
                idle_warned: false,
                joins_in_flight: 0,
            }
        });
    }
}

impl Actor for PlayerSocket {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        socket::stop_with_connection(&self.caller.out, ctx);
        let limits = &self.state.config.limits;
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        let session_idle = Duration::from_millis(limits.session_idle_ms);
        ctx.run_interval(Duration::from_millis(limits.heartbeat_ms), move |act, ctx| {
            if act.last_seen.elapsed() > idle {
                act.caller.out.close(close_code::IDLE);
                ctx.stop();
                return;
            }
            let quiet = act.last_command.elapsed();
            if quiet >= session_idle {
                act.caller.out.close(close_code::SESSION_IDLE);
                ctx.stop();
                return;
            }
            if !act.idle_warned && quiet + IDLE_WARNING.min(session_idle) >= session_idle {
                act.idle_warned = true;
                let closes_in_ms = session_idle.saturating_sub(quiet).as_millis() as u64;
                act.caller.out.send(ServerMsg::IdleWarning { closes_in_ms }.encode());
            }
            act.caller.out.ping();
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        let conn = self.caller.out.conn;
        for handle in self.joined.values() {
            handle.do_send(Leave { conn });
        }
        self.caller.wallet.do_send(UnwatchBalance { conn });
        self.state.sessions.do_send(SocketClosed {
            session_id: self.caller.session_id.clone(),
            conn,
        });
        // Dropping our Outbound clone lets the writer end once tables and wallet drop theirs;
        // closing makes that immediate.
        self.caller.out.close(close_code::GOING_AWAY);
    }
}

impl StreamHandler<Result<Message, Violation>> for PlayerSocket {
    fn handle(&mut self, item: Result<Message, Violation>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        let refused = match item {
            Ok(Message::Text(text)) => return self.on_text(&text, ctx),
            Ok(Message::Ping(bytes)) => {
                self.caller.out.pong(bytes);
                return;
            }
            Ok(Message::Pong(_)) | Ok(Message::Nop) => return,
            Ok(Message::Close(reason)) => {
                socket::answer_close(&self.caller.out, reason);
                return ctx.stop();
            }
            Ok(Message::Binary(_)) => "send JSON text frames",
            Ok(Message::Continuation(_)) => "fragmented messages are not accepted",
            Err(Violation::NotUtf8) => "text frames must be UTF-8",
            Err(violation) => {
                self.caller.out.close(socket::close_code_for(violation));
                return ctx.stop();
            }
        };
        self.reply_error(None, CommandError::new("bad_request", refused));
        self.strike(ctx);
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
