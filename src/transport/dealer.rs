//! `DealerSocket`: a dealer console connection to one table. The first frame must be
//! `auth` with a dealer key that opens this table; every later frame is a console command.
//!
//! Until it authenticates the socket is a stranger's: anything but a valid `auth` closes it
//! (1008), a wrong key is counted against the client's address (`admission`) and logged
//! without the key, and keys are compared in constant time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_http::ws::Message;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::actors::messages::TableHandle;
use crate::actors::messages::{DealerAction, DealerCommand};
use crate::actors::outbound::{close_code, Outbound};
use crate::domain::ids::TableId;
use crate::transport::admission::Slot;
use crate::transport::socket::{self, TokenBucket, STRIKES_MAX};
use crate::transport::takeover::Violation;
use crate::transport::AppState;
use crate::wire::inbound::{self, DealerMsg};
use crate::wire::message;
use crate::wire::CommandError;

/// Time a console has to authenticate after connecting.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

pub struct DealerSocket {
    pub table_id: TableId,
    /// The table this console drives; a full mailbox answers `busy`.
    pub table: TableHandle,
    pub state: AppState,
    /// The console's bounded outbound queue (`socket_queue_max`; full: closed, 4008).
    pub out: Outbound,
    /// This socket's place in the connection limits, shared with its connection: counts as
    /// unauthenticated until `auth` succeeds.
    pub slot: Arc<Slot>,
    pub authenticated: bool,
    /// Last frame from the console; silent for `idle_timeout_ms`: closed (4002).
    pub last_seen: Instant,
    /// Console messages: at least 50 a second, bursts of 100; past it `rate_limited`.
    pub bucket: TokenBucket,
    /// Unparsable messages in a row after `auth`; at `STRIKES_MAX` closed (1008).
    pub strikes: u32,
}

impl DealerSocket {
    fn send_error(&self, req: Option<u64>, error: CommandError) {
        self.out.send(message::error(req, &error));
    }

    /// Whether `key` is a configured dealer key that opens this table. Keys are compared by
    /// their SHA-256 digests in constant time, so neither their bytes nor their lengths
    /// show in the time taken.
    fn key_opens_table(&self, key: &str) -> bool {
        let presented = Sha256::digest(key.as_bytes());
        let mut opens = false;
        for dealer in &self.state.config.dealers {
            let matches: bool = Sha256::digest(dealer.key.as_bytes()).ct_eq(&presented).into();
            opens |= matches && (dealer.tables.is_empty() || dealer.tables.contains(&self.table_id));
        }
        opens
    }

    /// Refuses a stranger: the error, then close 1008.
    fn refuse(&mut self, req: Option<u64>, error: CommandError, ctx: &mut Context<Self>) {
        self.send_error(req, error);
        self.out.close(close_code::POLICY);
        ctx.stop();
    }

    fn authenticate(&mut self, req: Option<u64>, key: &str, ctx: &mut Context<Self>) {
        if self.authenticated {
            return self.send_error(req, CommandError::new("bad_request", "already authenticated"));
        }
        if !self.key_opens_table(key) {
            let address = self.slot.address();
            self.state.admission.dealer_auth_failed(address);
            if let Some(left_out) = crate::telemetry::auth_failed("dealer") {
                tracing::warn!(table = %self.table_id, %address, left_out, "dealer authentication failed");
            }
            let error = CommandError::new("unauthorized", "this dealer key does not open this table");
            return self.refuse(req, error, ctx);
        }
        self.authenticated = true;
        self.slot.authenticated();
        tracing::info!(table = %self.table_id, "dealer console attached");
        self.table.do_send(DealerCommand {
            req,
            out: self.out.clone(),
            command: DealerAction::Attach,
        });
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        if !self.bucket.take() {
            self.send_error(None, CommandError::new("rate_limited", "too many messages; slow down"));
            return;
        }
        let msg: DealerMsg = match inbound::parse(text) {
            Ok(msg) => msg,
            Err((req, error)) if !self.authenticated => return self.refuse(req, error, ctx),
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
            DealerMsg::Auth { req, key } => return self.authenticate(req, &key, ctx),
            _ if !self.authenticated => {
                return self.refuse(None, CommandError::new("unauthorized", "send auth first"), ctx);
            }
            DealerMsg::Ping { req } => {
                self.out.send(socket::pong(req));
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
        if !self.table.try_send(DealerCommand {
            req,
            out: self.out.clone(),
            command,
        }) {
            self.send_error(req, CommandError::new("busy", "the table is busy; retry"));
        }
    }
}

impl Actor for DealerSocket {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
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
        self.table.do_send(DealerCommand {
            req: None,
            out: self.out.clone(),
            command: DealerAction::Detach,
        });
        self.out.close(close_code::GOING_AWAY);
    }
}

impl StreamHandler<Result<Message, Violation>> for DealerSocket {
    fn handle(&mut self, item: Result<Message, Violation>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        let refused = match item {
            Ok(Message::Text(text)) => return self.on_text(&text, ctx),
            Ok(Message::Ping(bytes)) => {
                self.out.pong(bytes);
                return;
            }
            Ok(Message::Pong(_)) | Ok(Message::Nop) => return,
            Ok(Message::Close(reason)) => {
                socket::answer_close(&self.out, reason);
                return ctx.stop();
            }
            Ok(Message::Binary(_)) | Ok(Message::Continuation(_)) => "send JSON text frames",
            Err(Violation::NotUtf8) => "text frames must be UTF-8",
            Err(violation) => {
                self.out.close(socket::close_code_for(violation));
                return ctx.stop();
            }
        };
        let error = CommandError::new("bad_request", refused);
        if self.authenticated {
            self.send_error(None, error);
        } else {
            self.refuse(None, error, ctx);
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
