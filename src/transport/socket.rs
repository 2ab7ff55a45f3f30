//! What player and dealer sockets share: pong, the inbound token bucket, close reasons.

use std::time::Instant;

use actix::prelude::*;
use actix_http::ws::{CloseCode, CloseReason};

use crate::actors::outbound::{close_code, Close, Outbound};
use crate::transport::takeover::Violation;

/// The answer to a `ping` on either socket: the server time, and the `req` when it had one.
pub fn pong(req: Option<u64>) -> bytestring::ByteString {
    crate::wire::message::pong(req, crate::clock::now_us())
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

/// The close frame's payload: our code with its description, or the client's own code.
pub fn close_reason(close: Close) -> Option<CloseReason> {
    let code = match close {
        Close::Ours(code) => code,
        Close::Echo(code) => {
            return code.map(|code| CloseReason {
                code: CloseCode::from(code),
                description: None,
            })
        }
    };
    let description = match code {
        close_code::GOING_AWAY => "server shutting down",
        close_code::PROTOCOL => "protocol error",
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
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    })
}

/// The close code for a frame that ends the stream.
pub fn close_code_for(violation: Violation) -> u16 {
    match violation {
        Violation::TooBig => close_code::TOO_BIG,
        Violation::Protocol | Violation::NotUtf8 => close_code::PROTOCOL,
    }
}

/// Answers the client's close frame with its own code.
pub fn answer_close(out: &Outbound, reason: Option<CloseReason>) {
    out.answer_close(reason.map(|reason| reason.code.into()));
}

/// A token bucket: `rate` tokens per second, holding at most `burst`.
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32, burst: u32) -> TokenBucket {
        TokenBucket::with_rate(rate as f64, burst as f64)
    }

    /// `count` tokens a minute, all of them available at once.
    pub fn per_minute(count: u32) -> TokenBucket {
        TokenBucket::with_rate(count as f64 / 60.0, count as f64)
    }

    fn with_rate(rate: f64, burst: f64) -> TokenBucket {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            last: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token; false when none is left.
    pub fn take(&mut self) -> bool {
        self.refill();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether a token is left, without taking it.
    pub fn peek(&mut self) -> bool {
        self.refill();
        self.tokens >= 1.0
    }

    /// Refilled to its burst: indistinguishable from a new bucket.
    pub fn is_full(&mut self) -> bool {
        self.refill();
        self.tokens >= self.burst
    }
}

/// Consecutive rejected-for-abuse messages after which a connection is closed.
pub const STRIKES_MAX: u32 = 20;
