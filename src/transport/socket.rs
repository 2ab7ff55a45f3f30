//! What player and dealer sockets share: the writer task draining an `Outbound` into the
//! actix-ws session, the inbound token bucket, and close reasons.

use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_ws::{CloseCode, CloseReason, ProtocolError, Session};

use crate::actors::outbound::{close_code, Frame, Next, Outbound, OutboundReceiver};

/// How long a connection being closed gets to take the frame in flight and the close frame.
/// A client that is not reading by then is dropped without them.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Writes queued frames to the socket until the queue closes or a close is requested.
/// The socket's own send buffer is actix-ws's (32 frames); ours is the bounded `Outbound`.
/// This task is the only writer and the only holder of the session: when it ends, the
/// connection ends, even if the client never reads again.
pub fn spawn_writer(mut session: Session, mut receiver: OutboundReceiver) {
    actix_web::rt::spawn(async move {
        loop {
            match receiver.next().await {
                Some(Next::Send(frame)) => {
                    let send = write(&mut session, frame);
                    tokio::pin!(send);
                    let sent = tokio::select! {
                        biased;
                        sent = &mut send => sent,
                        _ = receiver.killed() => matches!(tokio::time::timeout(CLOSE_GRACE, send).await, Ok(true)),
                    };
                    if !sent {
                        return;
                    }
                }
                Some(Next::Close(code)) => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, session.close(Some(close_reason(code)))).await;
                    return;
                }
                None => {
                    let close = session.close(Some(close_reason(close_code::GOING_AWAY)));
                    let _ = tokio::time::timeout(CLOSE_GRACE, close).await;
                    return;
                }
            }
        }
    });
}

/// Stops a socket actor once its writer has ended. The actor holds the incoming half of the
/// connection, and actix-http lets go of a connection only when both halves are done: a
/// writer that gave up on a client that stopped reading must not leave it open.
pub fn stop_with_writer<A>(out: &Outbound, ctx: &mut Context<A>)
where
    A: Actor<Context = Context<A>>,
{
    let out = out.clone();
    ctx.spawn(actix::fut::wrap_future(async move { out.closed().await }).map(|_, _, ctx: &mut Context<A>| ctx.stop()));
}

async fn write(session: &mut Session, frame: Frame) -> bool {
    match frame {
        Frame::Text(text) => session.text(text).await,
        Frame::Ping => session.ping(b"").await,
        Frame::Pong(payload) => session.pong(&payload).await,
    }
    .is_ok()
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

/// A text frame whose payload is not UTF-8. actix-ws reports it as an `InvalidData` I/O
/// error after consuming the frame, and the stream goes on, so the socket can answer it
/// like any other bad message instead of closing.
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
