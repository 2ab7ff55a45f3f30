//! What player and dealer sockets share: pong, the inbound token bucket, close reasons.

use std::time::Instant;

use actix::prelude::*;
use actix_http::ws::{CloseCode, CloseReason, ProtocolError};

use crate::actors::outbound::{close_code, Outbound};

/// The answer to a `ping` on either socket: the server time, and the `req` when it had one.
pub fn pong(req: Option<u64>) -> bytestring::ByteString {
    crate::actors::table::reply("pong", req, serde_json::json!({"ts": crate::actors::table::now_us()}))
}

/// Stops a socket actor once its connection's outbound side is gone (the connection ended
/// and dropped its receiver).
pub fn stop_with_connection<A>(out: &Outbound, ctx: &mut Context<A>)
where
    A: Actor<Context = Context<A>>,
{
    let out = out.clone();
    ctx.spawn(actix::fut::wrap_future(async move { out.closed().await }).map(|_, _, ctx: &mut Context<A>| ctx.stop()));
}

pub fn close_reason(code: u16) -> CloseReason {
    let description = match code {
        close_code::GOING_AWAY => "server shutting down",
        close_code::POLICY => "policy violation",
        close_code::TOO_BIG => "frame too large",
        close_code::IDLE => "idle timeout",
        close_code::EXPIRED => "session expired",
        close_code::REPLACED => "replaced by a newer connection",
        close_code::REVOKED => "session revoked",
        close_code::TOO_SLOW => "too slow",
        close_code::SESSION_IDLE => "session idle",
        close_code::FLOODING => "too many messages",
        _ => "closed",
    };
    CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    }
}

/// A text frame whose payload is not UTF-8 (`takeover` reports it as an `InvalidData` I/O
/// error and goes on), so the socket can answer it like any other bad message instead of
/// closing.
pub fn is_invalid_utf8(error: &ProtocolError) -> bool {
    matches!(error, ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData)
}

/// Inbound message rate limit: `rate` per second with bursts up to `burst`.
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32, burst: u32) -> TokenBucket {
        TokenBucket {
            tokens: burst as f64,
            rate: rate as f64,
            burst: burst as f64,
            last: Instant::now(),
        }
    }

    pub fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Consecutive rejected-for-abuse messages after which a connection is closed.
pub const STRIKES_MAX: u32 = 20;
