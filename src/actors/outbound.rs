//! The outbound side of one connection: a bounded queue of ready-to-send frames.
//!
//! Tables, wallets and sockets push frames here without awaiting anything; when a queue is
//! full its reader is too slow and the connection is closed, so a stalled client can never
//! grow server memory or slow a table's fan-out. Knows nothing of the socket it feeds.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
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
    /// Protocol violation (bad frames, repeated abuse): do not retry the same thing.
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

struct Kill {
    /// The close code asked for; 0 while the connection is not closing.
    code: AtomicU16,
    waker: AtomicWaker,
}

impl Kill {
    fn code(&self) -> Option<u16> {
        Some(self.code.load(Ordering::Acquire)).filter(|&code| code != 0)
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
    Close(u16),
}

impl Outbound {
    /// A queue holding at most `capacity` frames.
    pub fn channel(capacity: usize) -> (Outbound, OutboundReceiver) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let kill = Arc::new(Kill {
            code: AtomicU16::new(0),
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
        if self.kill.code().is_some() {
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

    /// Asks the writer to close the connection with `code` (first code wins).
    pub fn close(&self, code: u16) {
        let first = self
            .kill
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire);
        if first.is_ok() {
            self.kill.waker.wake();
        }
    }

    /// Resolves once the receiving half is dropped (the connection ended).
    pub async fn closed(&self) {
        self.queue.closed().await
    }

    pub fn is_open(&self) -> bool {
        self.kill.code().is_none() && !self.queue.is_closed()
    }
}

impl OutboundReceiver {
    /// The next frame to write, or the close to perform. `None` when every sender is gone.
    /// Frames queued before a close still go out (so a client reads the error that explains
    /// it), except when closing for being too slow: that queue is the problem.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Next>> {
        self.kill.waker.register(cx.waker());
        if let Some(code) = self.kill.code() {
            return Poll::Ready(Some(self.drain_or_close(code)));
        }
        self.queue.poll_recv(cx).map(|frame| frame.map(Next::Send))
    }

    fn drain_or_close(&mut self, code: u16) -> Next {
        if code != close_code::TOO_SLOW {
            if let Ok(frame) = self.queue.try_recv() {
                return Next::Send(frame);
            }
        }
        Next::Close(code)
    }
}
