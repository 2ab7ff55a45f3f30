//! What player and dealer sockets share: the response body that writes an `Outbound` queue
//! to the socket, the inbound token bucket, and close reasons.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use actix::prelude::*;
use actix_http::body::{BodyStream, MessageBody};
use actix_http::ws::{self, OpCode, Parser};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, MessageStream, ProtocolError};
use bytes::{Bytes, BytesMut};
use futures_util::Stream;

use crate::actors::outbound::{close_code, Frame, Next, Outbound, OutboundReceiver};

/// Frames are gathered into chunks of up to this many bytes: one write for all the frames
/// that queued up since the last one.
const CHUNK_BYTES: usize = 16 * 1024;

/// The response body of a WebSocket connection: the frames of its `Outbound` queue, encoded
/// as they are taken. actix-http polls it whenever the socket can take more, so all frames
/// waiting at that moment go out in one write, with no task or channel in between. When the
/// client stops reading it is not polled, the queue fills and the connection is closed as
/// too slow (and the kernel's write timeout drops it if the client never reads again).
struct FrameStream {
    receiver: OutboundReceiver,
    done: bool,
}

impl Stream for FrameStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut chunk = BytesMut::new();
        while !this.done && chunk.len() < CHUNK_BYTES {
            match this.receiver.poll_next(cx) {
                Poll::Pending => break,
                Poll::Ready(Some(Next::Send(Frame::Text(text)))) => {
                    Parser::write_message(&mut chunk, text.as_bytes(), OpCode::Text, true, false)
                }
                Poll::Ready(Some(Next::Send(Frame::Ping))) => {
                    Parser::write_message(&mut chunk, b"", OpCode::Ping, true, false)
                }
                Poll::Ready(Some(Next::Send(Frame::Pong(payload)))) => {
                    Parser::write_message(&mut chunk, payload, OpCode::Pong, true, false)
                }
                Poll::Ready(next) => {
                    let code = match next {
                        Some(Next::Close(code)) => code,
                        _ => close_code::GOING_AWAY,
                    };
                    Parser::write_close(&mut chunk, Some(close_reason(code)), false);
                    this.done = true;
                }
            }
        }
        match (chunk.is_empty(), this.done) {
            (false, _) => Poll::Ready(Some(Ok(chunk.freeze()))),
            (true, true) => Poll::Ready(None),
            (true, false) => Poll::Pending,
        }
    }
}

/// Answers a WebSocket upgrade with `outbound`'s frames as its outbound side; returns the
/// response and the inbound messages (frames up to `frame_bytes_max`). actix-ws has no
/// public constructor for its inbound stream, so it is taken from `actix_ws::handle`, and
/// that call's own outbound session is left unused.
pub fn upgrade(
    req: &HttpRequest,
    body: web::Payload,
    outbound: OutboundReceiver,
    frame_bytes_max: usize,
) -> Result<(HttpResponse, MessageStream), actix_web::Error> {
    let (_, _, inbound) = actix_ws::handle(req, body)?;
    let frames = FrameStream {
        receiver: outbound,
        done: false,
    };
    let response = ws::handshake(req.head())?
        .message_body(BodyStream::new(frames).boxed())?
        .into();
    Ok((response, inbound.max_frame_size(frame_bytes_max)))
}

/// The answer to a `ping` on either socket: the server time, and the `req` when it had one.
pub fn pong(req: Option<u64>) -> bytestring::ByteString {
    crate::actors::table::reply("pong", req, serde_json::json!({"ts": crate::actors::table::now_us()}))
}

/// Stops a socket actor once its connection's outbound side is gone (the response body was
/// dropped: the connection ended).
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
