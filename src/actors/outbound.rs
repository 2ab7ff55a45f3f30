//! The outbound side of one connection: a bounded queue of ready-to-send frames.
//!
//! Tables, wallets and sockets push frames here without awaiting anything; when a queue is
//! full its reader is too slow and the connection is closed, so a stalled client can never
//! grow server memory or slow a table's fan-out. Knows nothing of the socket it feeds.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use bytestring::ByteString;
use futures_util::task::AtomicWaker;
use tokio::sync::mpsc;

/// Close codes the server sends (see `docs/protocol.md`); 4xxx are ours.
pub mod close_code {
    /// Server shutting down: reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame the WebSocket protocol forbids (reserved bits, unmasked, bad opcode).
    pub const PROTOCOL: u16 = 1002;
    /// Policy violation (failed authentication, repeated abuse): do not retry the same thing.
    pub const POLICY: u16 = 1008;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// No pong or no traffic within the idle timeout: reconnect.
    pub const IDLE: u16 = 4002;
    /// The session's token expired: get a new launch token.
    pub const EXPIRED: u16 = 4003;
    /// A newer connection of the same session took over: do not reconnect this one.
    pub const REPLACED: u16 = 4004;
    /// The operator revoked the session: do not reconnect.
    pub const REVOKED: u16 = 4005;
    /// No command for `session_idle_ms` after a warning: reconnect when the player is back.
    pub const SESSION_IDLE: u16 = 4007;
    /// The client did not read fast enough: reconnect and resume.
    pub const TOO_SLOW: u16 = 4008;
    /// Too many messages: reconnect after a pause.
    pub const FLOODING: u16 = 4009;
}

/// Identifies one connection server-wide.
pub type ConnId = u64;

static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

pub fn next_conn_id() -> ConnId {
    NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed)
}

/// How a connection closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// The server closes with one of its `close_code`s.
    Ours(u16),
    /// The client closed: its close frame is answered with its own code (none if it sent none).
    Echo(Option<u16>),
}

/// Marks an encoded `Close::Echo` (codes fit in 16 bits).
const ECHO: u32 = 1 << 16;

impl Close {
    fn encode(self) -> u32 {
        match self {
            Close::Ours(code) => code as u32,
            Close::Echo(code) => ECHO | code.unwrap_or(0) as u32,
        }
    }

    fn decode(raw: u32) -> Option<Close> {
        match raw {
            0 => None,
            ECHO => Some(Close::Echo(None)),
            raw if raw & ECHO != 0 => Some(Close::Echo(Some(raw as u16))),
            raw => Some(Close::Ours(raw as u16)),
        }
    }
}

struct Kill {
    /// The close asked for (`Close::encode`); 0 while the connection is not closing.
    close: AtomicU32,
    waker: AtomicWaker,
}

impl Kill {
    fn close(&self) -> Option<Close> {
        Close::decode(self.close.load(Ordering::Acquire))
    }
}

/// The sending half; cheap to clone, held by every table and wallet the connection joined.
#[derive(Clone)]
pub struct Outbound {
    pub conn: ConnId,
    queue: mpsc::Sender<Frame>,
    kill: Arc<Kill>,
}

/// The receiving half, read by the connection that writes to the socket (`transport::takeover`).
pub struct OutboundReceiver {
    queue: mpsc::Receiver<Frame>,
    kill: Arc<Kill>,
}

/// One frame to write. Heartbeats share the queue with data so that one place writes to the
/// socket: nothing else can be left waiting on a client that stopped reading.
pub enum Frame {
    Text(ByteString),
    Ping,
    Pong(Bytes),
}

/// What the writer must do next.
pub enum Next {
    Send(Frame),
    Close(Close),
}

impl Outbound {
    /// A queue holding at most `capacity` frames.
    pub fn channel(capacity: usize) -> (Outbound, OutboundReceiver) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let kill = Arc::new(Kill {
            close: AtomicU32::new(0),
            waker: AtomicWaker::new(),
        });
        (
            Outbound {
                conn: next_conn_id(),
                queue,
                kill: kill.clone(),
            },
            OutboundReceiver { queue: receiver, kill },
        )
    }

    /// Queues a frame; a full queue closes the connection as too slow. Returns false when
    /// the connection is gone or closing, so holders can forget it.
    pub fn send(&self, text: ByteString) -> bool {
        self.push(Frame::Text(text))
    }

    pub fn ping(&self) -> bool {
        self.push(Frame::Ping)
    }

    pub fn pong(&self, payload: Bytes) -> bool {
        self.push(Frame::Pong(payload))
    }

    fn push(&self, frame: Frame) -> bool {
        if self.kill.close().is_some() {
            return false;
        }
        match self.queue.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                crate::telemetry::socket_too_slow();
                self.close(close_code::TOO_SLOW);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Asks the writer to close the connection with `code` (the first close asked for wins).
    pub fn close(&self, code: u16) {
        self.close_with(Close::Ours(code));
    }

    /// Answers the client's close frame with its own code.
    pub fn answer_close(&self, code: Option<u16>) {
        self.close_with(Close::Echo(code));
    }

    fn close_with(&self, close: Close) {
        let first = self
            .kill
            .close
            .compare_exchange(0, close.encode(), Ordering::AcqRel, Ordering::Acquire);
        if first.is_ok() {
            self.kill.waker.wake();
        }
    }

    /// Resolves once the receiving half is dropped (the connection ended).
    pub async fn closed(&self) {
        self.queue.closed().await
    }

    pub fn is_open(&self) -> bool {
        self.kill.close().is_none() && !self.queue.is_closed()
    }
}

impl OutboundReceiver {
    /// The next frame to write, or the close to perform. `None` when every sender is gone.
    /// Frames queued before a close still go out (so a client reads the error that explains
    /// it), except when closing for being too slow: that queue is the problem.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Next>> {
        if let Some(close) = self.poll_close(cx) {
            return Poll::Ready(Some(self.drain_or_close(close)));
        }
        self.queue.poll_recv(cx).map(|frame| frame.map(Next::Send))
    }

    /// The close asked for, if any; wakes the task when one is asked for later.
    pub fn poll_close(&mut self, cx: &mut Context<'_>) -> Option<Close> {
        self.kill.waker.register(cx.waker());
        self.kill.close()
    }

    fn drain_or_close(&mut self, close: Close) -> Next {
        if close != Close::Ours(close_code::TOO_SLOW) {
            if let Ok(frame) = self.queue.try_recv() {
                return Next::Send(frame);
            }
        }
        Next::Close(close)
    }
}
