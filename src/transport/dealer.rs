//! `DealerSocket`: a dealer console connection to one table. The first frame must be
//! `auth` with a dealer key that opens this table; every later frame is a console command.

use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_http::ws::{Message, ProtocolError};

use crate::actors::messages::{CommandError, DealerAction, DealerCommand};
use crate::actors::outbound::{close_code, Outbound};
use crate::actors::table::{error_frame, TableActor};
use crate::domain::ids::TableId;
use crate::transport::protocol::{self, DealerMsg};
use crate::transport::socket::{self, TokenBucket, STRIKES_MAX};
use crate::transport::AppState;

/// Time a console has to authenticate after connecting.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

pub struct DealerSocket {
    pub table_id: TableId,
    pub table: Addr<TableActor>,
    pub state: AppState,
    pub out: Outbound,
    pub authenticated: bool,
    pub last_seen: Instant,
    pub bucket: TokenBucket,
    pub strikes: u32,
}

impl DealerSocket {
    fn send_error(&self, req: Option<u64>, error: CommandError) {
        self.out.send(error_frame(req, &error));
    }

    fn key_opens_table(&self, key: &str) -> bool {
        self.state.config.dealers.iter().any(|dealer| {
            constant_time_eq(dealer.key.as_bytes(), key.as_bytes())
                && (dealer.tables.is_empty() || dealer.tables.contains(&self.table_id))
        })
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        if !self.bucket.take() {
            self.send_error(None, CommandError::new("rate_limited", "too many messages; slow down"));
            return;
        }
        let msg: DealerMsg = match protocol::parse(text) {
            Ok(msg) => msg,
            Err((req, error)) => {
                self.send_error(req, error);
                self.strikes += 1;
                if self.strikes >= STRIKES_MAX {
                    self.out.close(close_code::POLICY);
                    ctx.stop();
                }
                return;
            }
        };
        self.strikes = 0;
        let (req, command) = match msg {
            DealerMsg::Auth { req, key } => {
                if self.authenticated {
                    self.send_error(req, CommandError::new("bad_request", "already authenticated"));
                } else if self.key_opens_table(&key) {
                    self.authenticated = true;
                    tracing::info!(table = %self.table_id, "dealer console attached");
                    self.table.do_send(DealerCommand {
                        req,
                        out: self.out.clone(),
                        command: DealerAction::Attach,
                    });
                } else {
                    self.send_error(
                        req,
                        CommandError::new("unauthorized", "this dealer key does not open this table"),
                    );
                    self.out.close(close_code::POLICY);
                    ctx.stop();
                }
                return;
            }
            _ if !self.authenticated => {
                self.send_error(None, CommandError::new("unauthorized", "send auth first"));
                self.out.close(close_code::POLICY);
                ctx.stop();
                return;
            }
            DealerMsg::Ping { req } => {
                self.out.send(crate::transport::socket::pong(req));
                return;
            }
            DealerMsg::OpenRound { req } => (req, DealerAction::OpenRound),
            DealerMsg::CloseBetting { req } => (req, DealerAction::CloseBetting),
            DealerMsg::Deal { req, card, position } => (req, DealerAction::Deal { card, position }),
            DealerMsg::Spin { req, pocket } => (req, DealerAction::Spin { pocket }),
            DealerMsg::Undo { req } => (req, DealerAction::Undo),
            DealerMsg::Burn { req, card } => (req, DealerAction::Burn { card }),
            DealerMsg::ChangeShoe { req } => (req, DealerAction::ChangeShoe),
            DealerMsg::Void { req, reason } => {
                let reason: String = reason.chars().filter(|c| !c.is_control()).take(200).collect();
                if reason.trim().is_empty() {
                    self.send_error(req, CommandError::new("bad_request", "a void needs a reason"));
                    return;
                }
                (req, DealerAction::Void { reason })
            }
            DealerMsg::Pause { req } => (req, DealerAction::Pause),
            DealerMsg::Resume { req } => (req, DealerAction::Resume),
        };
        if self
            .table
            .try_send(DealerCommand {
                req,
                out: self.out.clone(),
                command,
            })
            .is_err()
        {
            self.send_error(req, CommandError::new("busy", "the table is busy; retry"));
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Actor for DealerSocket {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        crate::telemetry::connection_opened("dealer");
        socket::stop_with_connection(&self.out, ctx);
        ctx.run_later(AUTH_TIMEOUT, |act, ctx| {
            if !act.authenticated {
                act.out.close(close_code::POLICY);
                ctx.stop();
            }
        });
        let limits = &self.state.config.limits;
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        ctx.run_interval(Duration::from_millis(limits.heartbeat_ms), move |act, ctx| {
            if act.last_seen.elapsed() > idle {
                act.out.close(close_code::IDLE);
                ctx.stop();
                return;
            }
            act.out.ping();
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        crate::telemetry::connection_closed("dealer");
        self.table.do_send(DealerCommand {
            req: None,
            out: self.out.clone(),
            command: DealerAction::Detach,
        });
        self.out.close(close_code::GOING_AWAY);
    }
}

impl StreamHandler<Result<Message, ProtocolError>> for DealerSocket {
    fn handle(&mut self, item: Result<Message, ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        match item {
            Ok(Message::Text(text)) => self.on_text(&text, ctx),
            Ok(Message::Ping(bytes)) => {
                self.out.pong(bytes);
            }
            Ok(Message::Close(_)) => ctx.stop(),
            Ok(Message::Pong(_)) | Ok(Message::Nop) => {}
            Ok(_) => self.send_error(None, CommandError::new("bad_request", "send JSON text frames")),
            Err(ProtocolError::Overflow) => {
                self.out.close(close_code::TOO_BIG);
                ctx.stop();
            }
            Err(error) if socket::is_invalid_utf8(&error) => {
                self.send_error(None, CommandError::new("bad_request", "text frames must be UTF-8"));
            }
            Err(_) => {
                self.out.close(close_code::POLICY);
                ctx.stop();
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
