//! WebSocket connections taken over from actix-http's HTTP/1 dispatcher after the handshake.
//!
//! The dispatcher keeps an 8 KiB read buffer and an 8 KiB write buffer for as long as its
//! connection lives, and a WebSocket lives for the whole session: with the dispatcher's own
//! state that was most of a connected player's memory. actix-http's upgrade hook hands the
//! socket over instead. The handshake still goes through the app (routing, extractors, token
//! checks stay in the handlers); a handler that accepts leaves a [`Takeover`] in its 101
//! response. The dispatcher then ends, and [`Connection`], a task of its own, moves bytes
//! between the socket and the connection's queues with buffers that exist only while bytes
//! are in flight.
//!
//! Bounds it keeps whatever the client does: a frame whose header declares more than the
//! frame limit is refused from its header (close 1009) before its body is read, so the read
//! buffer never holds more than one frame's limit plus its header; once the connection is
//! closing it is dropped after `closing_timeout_ms` even if the client reads nothing; the
//! connection's [`Slot`] (its place in the connection limits) is released only when the
//! socket itself is gone.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use actix_codec::{AsyncRead, AsyncWrite, Decoder, Framed, FramedParts, ReadBuf};
use actix_http::body::{BoxBody, EitherBody, MessageBody};
use actix_http::h1::{Codec, SendResponse};
use actix_http::ws::{self, Frame as WsFrame, HandshakeError, OpCode, Parser};
use actix_http::{Request, Response};
use actix_service::{Service, ServiceFactory};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::rt::time::Sleep;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use bytes::{Buf, BytesMut};
use bytestring::ByteString;
use futures_util::future::LocalBoxFuture;
use futures_util::Stream;

use crate::actors::outbound::{close_code, Close, Frame, Next, OutboundReceiver};
use crate::transport::admission::Slot;
use crate::transport::socket::close_reason;

/// Frames are gathered into writes of up to this many bytes: one write for all the frames
/// that queued up since the last one.
const CHUNK_BYTES: usize = 16 * 1024;
/// Bytes taken from the socket per read; on the stack, so an idle connection holds none.
const READ_BYTES: usize = 4 * 1024;
/// How long a client gets to close its side after the server's close frame.
const LINGER: Duration = Duration::from_secs(1);
/// Client messages waiting for the socket actor before the connection stops reading (and
/// TCP pushes back on the client).
const INBOUND_MAX: usize = 16;
/// The longest WebSocket frame header a client sends: 2 bytes, an 8-byte length, a mask.
const HEADER_BYTES_MAX: usize = 14;

/// Marks a request that reached the app through the upgrade hook: only such a request can
/// be taken over.
struct Upgrading;

/// What a handler that accepts a WebSocket handshake leaves in its 101 response.
struct Takeover {
    outbound: OutboundReceiver,
    inbound: Rc<RefCell<Queue>>,
    limits: SocketLimits,
    slot: Arc<Slot>,
}

/// The bounds one connection keeps (from `[limits]`).
#[derive(Clone, Copy)]
pub struct SocketLimits {
    /// Largest frame the client may send; a larger declared length closes with 1009.
    pub frame_bytes_max: usize,
    /// Once closing, the connection is dropped after this long whatever the client does.
    pub closing_timeout: Duration,
}

/// What the client sent that the socket actors receive besides its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A frame header declared more than the frame limit: close with 1009. Nothing follows.
    TooBig,
    /// A frame the protocol forbids (reserved bits, unmasked, bad opcode or close code, an
    /// oversized control frame, broken fragmentation): close with 1002. Nothing follows.
    Protocol,
    /// A text frame whose payload is not UTF-8; the frames after it still arrive.
    NotUtf8,
}

/// Whether `req` is a WebSocket handshake this server can take over (it came through the
/// upgrade hook).
pub fn is_handshake(req: &HttpRequest) -> bool {
    req.extensions().contains::<Upgrading>() && ws::verify_handshake(req.head()).is_ok()
}

/// Accepts a WebSocket handshake: the 101 response to return, which makes `outbound`'s
/// frames the connection's outbound side, and the client's messages, for the socket
/// actor's `add_stream`. The connection holds `slot` until it is gone. `protocol`, when
/// given, is the subprotocol the 101 names (one the client offered).
///
/// # Errors
/// The request is not a valid WebSocket handshake.
pub fn accept(
    req: &HttpRequest,
    outbound: OutboundReceiver,
    limits: SocketLimits,
    slot: Arc<Slot>,
    protocol: Option<&'static str>,
) -> Result<(HttpResponse, Inbound), HandshakeError> {
    let mut handshake = ws::handshake(req.head())?;
    if let Some(protocol) = protocol {
        handshake.insert_header((actix_http::header::SEC_WEBSOCKET_PROTOCOL, protocol));
    }
    let mut response: HttpResponse = handshake.finish().map_into_boxed_body().into();
    let queue = Rc::new(RefCell::new(Queue::default()));
    response.extensions_mut().insert(Takeover {
        outbound,
        inbound: queue.clone(),
        limits,
        slot,
    });
    Ok((response, Inbound(queue)))
}

/// The upgrade service factory for `HttpServiceBuilder::upgrade`: each worker builds its
/// own instance of the app (`make_app` returns its service factory) to answer handshakes.
pub struct Upgrade<F, T> {
    make_app: F,
    io: PhantomData<fn(T)>,
}

impl<F, T> Upgrade<F, T> {
    pub fn new(make_app: F) -> Self {
        Upgrade {
            make_app,
            io: PhantomData,
        }
    }
}

impl<F, A, B, T> ServiceFactory<(Request, Framed<T, Codec>)> for Upgrade<F, T>
where
    F: Fn() -> A,
    A: ServiceFactory<Request, Config = AppConfig, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    A::InitError: std::fmt::Debug,
    B: MessageBody + 'static,
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    type Response = ();
    type Error = Infallible;
    type Config = ();
    type Service = UpgradeService<A::Service, T>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Service, ()>>;

    fn new_service(&self, _: ()) -> Self::Future {
        let app = (self.make_app)().new_service(AppConfig::default());
        Box::pin(async move {
            let app = app
                .await
                .map_err(|error| tracing::error!(error = ?error, "cannot start the app for upgrades"))?;
            Ok(UpgradeService {
                app: Rc::new(app),
                io: PhantomData,
            })
        })
    }
}

pub struct UpgradeService<S, T> {
    app: Rc<S>,
    io: PhantomData<fn(T)>,
}

impl<S, B, T> Service<(Request, Framed<T, Codec>)> for UpgradeService<S, T>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    type Response = ();
    type Error = Infallible;
    type Future = LocalBoxFuture<'static, Result<(), Infallible>>;

    actix_service::always_ready!();

    fn call(&self, (req, framed): (Request, Framed<T, Codec>)) -> Self::Future {
        let app = self.app.clone();
        Box::pin(async move {
            req.extensions_mut().insert(Upgrading);
            let response: Response<BoxBody> = match app.call(req).await {
                Ok(response) => response.map_into_boxed_body().into(),
                Err(error) => error.error_response().into(),
            };
            if let Err(error) = answer(response, framed).await {
                tracing::debug!(error = %error, "could not answer a WebSocket handshake");
            }
            Ok(())
        })
    }
}

/// Writes the app's answer to a handshake; a 101 carrying a `Takeover` goes on as a
/// WebSocket connection, anything else is written whole and the connection closed.
async fn answer<T: AsyncRead + AsyncWrite + Unpin + 'static>(
    mut response: Response<BoxBody>,
    framed: Framed<T, Codec>,
) -> Result<(), Box<dyn std::error::Error>> {
    let takeover = response.extensions_mut().remove::<Takeover>();
    // EitherBody gives the body the error type SendResponse asks for.
    let response = response.map_body(|_, body| EitherBody::new(body));
    let mut framed = SendResponse::new(framed, response).await?;
    match takeover {
        Some(takeover) => {
            // The dispatcher's write buffer (8 KiB) is dropped here, and the dispatcher itself
            // when this returns: the connection goes on as a task of its own.
            let FramedParts { io, read_buf, .. } = framed.into_parts();
            actix_web::rt::spawn(Connection::new(io, read_buf, takeover));
        }
        None => poll_fn(|cx| Pin::new(framed.io_mut()).poll_shutdown(cx)).await?,
    }
    Ok(())
}

/// Client messages on their way from the connection to its socket actor.
#[derive(Default)]
struct Queue {
    messages: VecDeque<Result<ws::Message, Violation>>,
    actor: Option<Waker>,
    connection: Option<Waker>,
}

/// The socket actor's side of the queue: a stream of the client's messages.
pub struct Inbound(Rc<RefCell<Queue>>);

impl Stream for Inbound {
    type Item = Result<ws::Message, Violation>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Once the connection is gone nothing follows the queued messages.
        let connection_gone = Rc::strong_count(&self.0) == 1;
        let mut queue = self.0.borrow_mut();
        if let Some(message) = queue.messages.pop_front() {
            if let Some(connection) = queue.connection.take() {
                connection.wake();
            }
            return Poll::Ready(Some(message));
        }
        if connection_gone {
            return Poll::Ready(None);
        }
        queue.actor = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// One WebSocket connection after its handshake: writes the outbound queue's frames to the
/// socket and hands what the client sends to the socket actor. Ends when the close frame is
/// written, the client goes away or the socket fails.
struct Connection<T> {
    io: T,
    outbound: OutboundReceiver,
    inbound: Rc<RefCell<Queue>>,
    codec: ws::Codec,
    frame_bytes_max: usize,
    closing_timeout: Duration,
    /// Encoded frames the socket has not taken yet; unallocated while idle.
    pending: BytesMut,
    /// Bytes read that do not make a whole frame yet; unallocated while idle. Never more
    /// than `frame_bytes_max + HEADER_BYTES_MAX`.
    read: BytesMut,
    /// The close frame is encoded: nothing follows it.
    closing: bool,
    /// False once the socket actor is gone or the client broke the protocol: the actor's
    /// close is on its way.
    reading: bool,
    /// Set when the close frame is out: how long the client gets to close its side.
    linger: Option<Pin<Box<Sleep>>>,
    /// Set once the connection is closing (a close asked for, or the close frame encoded):
    /// when it fires the connection is dropped, written out or not.
    deadline: Option<Pin<Box<Sleep>>>,
    /// This connection's place in the connection limits, released when it is dropped.
    _slot: Arc<Slot>,
}

impl<T: AsyncRead + AsyncWrite + Unpin + 'static> Connection<T> {
    fn new(io: T, read: BytesMut, takeover: Takeover) -> Self {
        let SocketLimits {
            frame_bytes_max,
            closing_timeout,
        } = takeover.limits;
        Connection {
            io,
            outbound: takeover.outbound,
            inbound: takeover.inbound,
            codec: ws::Codec::new().max_size(frame_bytes_max),
            frame_bytes_max,
            closing_timeout,
            pending: BytesMut::new(),
            // Bytes the client sent right behind its handshake, if any; otherwise the
            // dispatcher's empty 8 KiB read buffer is not kept.
            read: if read.is_empty() { BytesMut::new() } else { read },
            closing: false,
            reading: true,
            linger: None,
            deadline: None,
            _slot: takeover.slot,
        }
    }

    /// Arms the closing deadline once the connection is closing; ready when it fired.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.deadline.is_none() && (self.closing || self.outbound.poll_close(cx).is_some()) {
            self.deadline = Some(Box::pin(actix_web::rt::time::sleep(self.closing_timeout)));
        }
        let Some(deadline) = &mut self.deadline else {
            return Poll::Pending;
        };
        ready!(deadline.as_mut().poll(cx));
        // Reset rather than close: a plain close leaves what the client never read in the
        // kernel's buffers until it reads it, which a client that stopped reading never does.
        if let Some(tcp) = tcp_stream(&self.io as &dyn std::any::Any) {
            let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
        }
        Poll::Ready(())
    }

    /// Writes until the queue is empty or the socket is full. Ready when writing is over:
    /// `Ok` once the close frame is out and the write side shut, `Err` if the socket failed.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.pending.is_empty() {
                self.pending = BytesMut::new();
                if self.closing {
                    return Pin::new(&mut self.io).poll_shutdown(cx);
                }
                self.encode_queued(cx);
                if self.pending.is_empty() {
                    return match ready!(Pin::new(&mut self.io).poll_flush(cx)) {
                        Ok(()) => Poll::Pending,
                        Err(error) => Poll::Ready(Err(error)),
                    };
                }
            }
            match ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(written) => self.pending.advance(written),
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    /// After the close frame: drops what the client still sends until it closes too, or the
    /// linger time is up. Closing a socket with unread bytes in it sends a reset, which can
    /// destroy the close frame before the client reads it.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let linger = self
            .linger
            .get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep(LINGER)));
        if linger.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        loop {
            match ready!(self.poll_fill(cx)) {
                Ok(read) if read > 0 => self.read.clear(),
                _ => return Poll::Ready(()),
            }
        }
    }

    /// Encodes the frames waiting in the queue, up to `CHUNK_BYTES`.
    fn encode_queued(&mut self, cx: &mut Context<'_>) {
        while !self.closing && self.pending.len() < CHUNK_BYTES {
            let chunk = &mut self.pending;
            match self.outbound.poll_next(cx) {
                Poll::Pending => break,
                Poll::Ready(Some(Next::Send(Frame::Text(text)))) => {
                    Parser::write_message(chunk, text.as_bytes(), OpCode::Text, true, false)
                }
                Poll::Ready(Some(Next::Send(Frame::Ping))) => {
                    Parser::write_message(chunk, b"", OpCode::Ping, true, false)
                }
                Poll::Ready(Some(Next::Send(Frame::Pong(payload)))) => {
                    Parser::write_message(chunk, payload, OpCode::Pong, true, false)
                }
                Poll::Ready(Some(Next::Close(code))) => {
                    Parser::write_close(chunk, close_reason(code), false);
                    self.closing = true;
                }
                Poll::Ready(None) => {
                    Parser::write_close(chunk, close_reason(Close::Ours(close_code::GOING_AWAY)), false);
                    self.closing = true;
                }
            }
        }
    }

    /// Reads while the socket actor keeps up. Ready when the client is gone.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            self.hand_over();
            if !self.reading || Rc::strong_count(&self.inbound) == 1 {
                return Poll::Pending;
            }
            if self.inbound.borrow().messages.len() >= INBOUND_MAX {
                self.inbound.borrow_mut().connection = Some(cx.waker().clone());
                return Poll::Pending;
            }
            // A client that closed and one whose socket failed are gone alike: the actor's
            // stream ends when the connection is dropped.
            match ready!(self.poll_fill(cx)) {
                Ok(0) | Err(_) => return Poll::Ready(()),
                Ok(_) => {}
            }
        }
    }

    /// Moves the whole frames read so far to the actor's queue, as far as it has room.
    /// Each frame's header is checked before the codec waits for its body.
    fn hand_over(&mut self) {
        if self.read.is_empty() {
            return;
        }
        let mut queue = self.inbound.borrow_mut();
        let before = queue.messages.len();
        while self.reading && queue.messages.len() < INBOUND_MAX {
            let decoded = match check_header(&self.read, self.frame_bytes_max) {
                Ok(()) => self.codec.decode(&mut self.read).map_err(|_| Violation::Protocol),
                Err(violation) => Err(violation),
            };
            match decoded {
                Ok(Some(frame)) => queue.messages.push_back(message(frame)),
                Ok(None) => break,
                Err(violation) => {
                    // The stream cannot be parsed past a bad frame.
                    queue.messages.push_back(Err(violation));
                    self.reading = false;
                    self.read = BytesMut::new();
                }
            }
        }
        if self.read.is_empty() {
            self.read = BytesMut::new();
        }
        if queue.messages.len() > before {
            if let Some(actor) = queue.actor.take() {
                actor.wake();
            }
        }
    }

    /// Reads what the socket has into `read`, never past one frame's limit plus its header
    /// (after `hand_over` the buffer holds less than a whole frame, so there is room): how
    /// many bytes, 0 once the client closed.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let room = (self.frame_bytes_max + HEADER_BYTES_MAX).saturating_sub(self.read.len());
        debug_assert!(room > 0, "the read buffer holds a whole frame that was not handed over");
        let mut buf = [MaybeUninit::<u8>::uninit(); READ_BYTES];
        let mut read = ReadBuf::uninit(&mut buf[..room.clamp(1, READ_BYTES)]);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut read))?;
        self.read.extend_from_slice(read.filled());
        Poll::Ready(Ok(read.filled().len()))
    }
}

/// The TCP socket under a connection, plain or TLS (the server's two kinds of io).
pub fn tcp_stream(io: &dyn std::any::Any) -> Option<&actix_web::rt::net::TcpStream> {
    use actix_tls::accept::rustls_0_23::TlsStream;
    use actix_web::rt::net::TcpStream;
    io.downcast_ref::<TcpStream>()
        .or_else(|| io.downcast_ref::<TlsStream<TcpStream>>().map(|tls| tls.get_ref().0))
}

/// Refuses the frame at the front of `read` when its header declares a payload over
/// `frame_bytes_max`: actix-http's parser compares the length with its limit only once the
/// whole declared frame has arrived.
fn check_header(read: &[u8], frame_bytes_max: usize) -> Result<(), Violation> {
    let declared = match read.get(1).map(|second| second & 0x7f) {
        None => return Ok(()),
        Some(126) if read.len() >= 4 => u16::from_be_bytes([read[2], read[3]]) as u64,
        Some(127) if read.len() >= 10 => u64::from_be_bytes(read[2..10].try_into().expect("8 bytes")),
        Some(126 | 127) => return Ok(()),
        Some(short) => short as u64,
    };
    if declared > frame_bytes_max as u64 {
        return Err(Violation::TooBig);
    }
    Ok(())
}

/// A frame as the socket actors see it.
fn message(frame: WsFrame) -> Result<ws::Message, Violation> {
    Ok(match frame {
        WsFrame::Text(bytes) => ws::Message::Text(ByteString::try_from(bytes).map_err(|_| Violation::NotUtf8)?),
        WsFrame::Binary(bytes) => ws::Message::Binary(bytes),
        WsFrame::Ping(bytes) => ws::Message::Ping(bytes),
        WsFrame::Pong(bytes) => ws::Message::Pong(bytes),
        WsFrame::Close(reason) => ws::Message::Close(reason),
        WsFrame::Continuation(item) => ws::Message::Continuation(item),
    })
}

impl<T> Drop for Connection<T> {
    fn drop(&mut self) {
        // The actor's stream ends once it sees the connection gone.
        if let Some(actor) = self.inbound.borrow_mut().actor.take() {
            actor.wake();
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin + 'static> Future for Connection<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let written = if this.linger.is_none() {
            this.poll_write(cx)
        } else {
            Poll::Ready(Ok(()))
        };
        // After writing, which may have encoded the close frame: a client that stopped
        // reading leaves the write pending for good, and only the deadline ends it.
        if this.poll_deadline(cx).is_ready() {
            return Poll::Ready(());
        }
        match written {
            Poll::Ready(Ok(())) => this.poll_linger(cx),
            Poll::Ready(Err(_)) => Poll::Ready(()),
            Poll::Pending => this.poll_read(cx),
        }
    }
}
