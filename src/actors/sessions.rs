//! `SessionsActor`: player sessions, their launch tokens and resume tokens.
//!
//! A launch token (256-bit random, single use, short-lived) opens the first socket; the
//! `resume_token` from `welcome` reopens the same session later until the session expires.
//! Tokens are kept only as SHA-256 digests, so a memory dump or a log can never replay one.
//! Sessions live in memory: a restart ends them (clients launch again; their bets stand).
//! An expired token is remembered for a while (its digest only), so that it keeps getting the
//! documented `token_expired` rather than `unauthorized`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use sha2::{Digest, Sha256};

use crate::actors::outbound::{close_code, ConnId, Outbound};
use crate::domain::ids::PlayerId;
use crate::domain::money::Currency;

/// Sessions held at most; creating more evicts expired ones first, then refuses.
const SESSIONS_MAX: usize = 1_000_000;
/// How long an expired launch token or an expired session's resume token is still answered
/// `token_expired` once the server has noticed its expiry (at once when it is presented,
/// otherwise at the next sweep, within `SWEEP_INTERVAL`); then it is forgotten and answered
/// `unauthorized` like any unknown token. docs/protocol.md §2 states this bound.
const EXPIRED_TOKENS_REMEMBERED: Duration = Duration::from_secs(24 * 3600);
/// Expired tokens remembered at most (a digest and a time, about 100 bytes each: 50 MB at
/// most); when full, the one remembered longest is forgotten first.
const EXPIRED_TOKENS_MAX: usize = 500_000;
/// How often expired launch tokens and sessions are swept away (and expired tokens past
/// `EXPIRED_TOKENS_REMEMBERED` forgotten).
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub session_id: String,
    pub player: PlayerId,
    pub currency: Currency,
    pub language: String,
}

struct Session {
    info: SessionInfo,
    expires_at: Instant,
    expires_at_unix_s: u64,
    resume_digest: [u8; 32],
    /// The connection currently using the session; a newer one replaces it.
    connection: Option<Outbound>,
}

/// Digests of expired tokens, oldest first, each until `EXPIRED_TOKENS_REMEMBERED` after it
/// was noticed; at most `EXPIRED_TOKENS_MAX` (past it the oldest is dropped).
struct ExpiredTokens {
    digests: HashSet<[u8; 32]>,
    /// Digest and when to forget it; in insertion order, which is also forgetting order.
    order: VecDeque<([u8; 32], Instant)>,
    remembered_for: Duration,
    max: usize,
}

impl ExpiredTokens {
    fn new(remembered_for: Duration, max: usize) -> ExpiredTokens {
        ExpiredTokens {
            digests: HashSet::new(),
            order: VecDeque::new(),
            remembered_for,
            max,
        }
    }

    fn remember(&mut self, digest: [u8; 32], now: Instant) {
        if self.max == 0 || !self.digests.insert(digest) {
            return;
        }
        if self.order.len() >= self.max {
            if let Some((oldest, _)) = self.order.pop_front() {
                self.digests.remove(&oldest);
            }
        }
        self.order.push_back((digest, now + self.remembered_for));
    }

    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.digests.contains(digest)
    }

    fn forget_old(&mut self, now: Instant) {
        while let Some(&(digest, forget_at)) = self.order.front() {
            if forget_at > now {
                break;
            }
            self.order.pop_front();
            self.digests.remove(&digest);
        }
    }
}

pub struct SessionsActor {
    sessions: HashMap<String, Session>,
    /// Unused launch tokens: digest → (session id, expiry).
    launch: HashMap<[u8; 32], (String, Instant)>,
    /// resume digest → session id.
    resume: HashMap<[u8; 32], String>,
    /// Launch and resume tokens that expired, answered `token_expired` for a bounded time.
    expired: ExpiredTokens,
    launch_ttl: Duration,
    session_ttl: Duration,
    /// Open connections per player (one per session at most), against `connections_max`.
    connected: HashMap<PlayerId, usize>,
    connections_max: usize,
}

impl SessionsActor {
    pub fn new(launch_ttl: Duration, session_ttl: Duration, connections_per_player_max: usize) -> SessionsActor {
        SessionsActor {
            sessions: HashMap::new(),
            launch: HashMap::new(),
            resume: HashMap::new(),
            expired: ExpiredTokens::new(EXPIRED_TOKENS_REMEMBERED, EXPIRED_TOKENS_MAX),
            launch_ttl,
            session_ttl,
            connected: HashMap::new(),
            connections_max: connections_per_player_max,
        }
    }

    fn disconnected(&mut self, player: &PlayerId) {
        if let Some(count) = self.connected.get_mut(player) {
            *count -= 1;
            if *count == 0 {
                self.connected.remove(player);
            }
        }
    }

    fn evict_expired(&mut self) {
        let now = Instant::now();
        self.expired.forget_old(now);
        let expired = &mut self.expired;
        self.launch.retain(|digest, (_, expires)| {
            let live = *expires > now;
            if !live {
                expired.remember(*digest, now);
            }
            live
        });
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.expires_at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.end(&id, close_code::EXPIRED);
        }
    }

    /// Ends a session and forgets its tokens; when it ended by expiring, they are remembered
    /// as expired.
    fn end(&mut self, session_id: &str, code: u16) {
        let now = Instant::now();
        let expired = code == close_code::EXPIRED;
        if let Some(session) = self.sessions.remove(session_id) {
            if self.resume.remove(&session.resume_digest).is_some() && expired {
                self.expired.remember(session.resume_digest, now);
            }
            if let Some(conn) = session.connection {
                conn.close(code);
                self.disconnected(&session.info.player);
            }
        }
        let remembered = &mut self.expired;
        self.launch.retain(|digest, (id, _)| {
            let ours = id == session_id;
            if ours && expired {
                remembered.remember(*digest, now);
            }
            !ours
        });
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    hex::encode(bytes)
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn unix_now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Actor for SessionsActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(SWEEP_INTERVAL, |act, _| act.evict_expired());
    }
}

#[derive(Message)]
#[rtype(result = "Result<Grant, &'static str>")]
pub struct CreateSession {
    pub player: PlayerId,
    pub currency: Currency,
    pub language: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Grant {
    pub token: String,
    pub session_id: String,
    pub expires_at: u64,
}

impl Handler<CreateSession> for SessionsActor {
    type Result = Result<Grant, &'static str>;

    fn handle(&mut self, msg: CreateSession, _: &mut Self::Context) -> Self::Result {
        if self.sessions.len() >= SESSIONS_MAX {
            self.evict_expired();
            if self.sessions.len() >= SESSIONS_MAX {
                return Err("busy");
            }
        }
        let session_id = random_token()[..32].to_owned();
        let token = random_token();
        let now = Instant::now();
        let expires_at_unix_s = unix_now_s() + self.session_ttl.as_secs();
        self.launch
            .insert(digest(&token), (session_id.clone(), now + self.launch_ttl));
        self.sessions.insert(
            session_id.clone(),
            Session {
                info: SessionInfo {
                    session_id: session_id.clone(),
                    player: msg.player,
                    currency: msg.currency,
                    language: msg.language,
                },
                expires_at: now + self.session_ttl,
                expires_at_unix_s,
                resume_digest: [0; 32],
                connection: None,
            },
        );
        Ok(Grant {
            token,
            session_id,
            expires_at: expires_at_unix_s,
        })
    }
}

/// Opens a socket with a launch token (single use) or a resume token.
#[derive(Message)]
#[rtype(result = "Result<Opened, &'static str>")]
pub struct OpenSocket {
    pub token: String,
    /// The token came in a URL: a launch token is taken, a resume token is refused
    /// (`token_in_url`) without being spent.
    pub launch_only: bool,
    pub out: Outbound,
}

pub struct Opened {
    pub info: SessionInfo,
    /// A fresh resume token for this connection (the previous one stops working).
    pub resume_token: String,
    pub expires_at: u64,
}

impl Handler<OpenSocket> for SessionsActor {
    type Result = Result<Opened, &'static str>;

    fn handle(&mut self, msg: OpenSocket, _: &mut Self::Context) -> Self::Result {
        let presented = digest(&msg.token);
        if msg.launch_only && !self.launch.contains_key(&presented) && self.resume.contains_key(&presented) {
            return Err("token_in_url");
        }
        let now = Instant::now();
        // Refused before the token is spent: the player can close a socket and retry.
        let peeked = self
            .launch
            .get(&presented)
            .map(|(id, _)| id)
            .or_else(|| self.resume.get(&presented))
            .and_then(|id| self.sessions.get(id));
        if let Some(session) = peeked {
            let open = self.connected.get(&session.info.player).copied().unwrap_or(0);
            if session.connection.is_none() && open >= self.connections_max {
                return Err("too_many_connections");
            }
        }
        let session_id = if let Some((session_id, expires)) = self.launch.remove(&presented) {
            if expires <= now {
                self.expired.remember(presented, now);
                return Err("token_expired");
            }
            session_id
        } else if let Some(session_id) = self.resume.remove(&presented) {
            session_id
        } else if self.expired.contains(&presented) {
            return Err("token_expired");
        } else {
            return Err("unauthorized");
        };
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return Err("unauthorized");
        };
        if session.expires_at <= now {
            self.expired.remember(presented, now);
            self.end(&session_id, close_code::EXPIRED);
            return Err("token_expired");
        }
        match session.connection.replace(msg.out) {
            Some(previous) => previous.close(close_code::REPLACED),
            None => *self.connected.entry(session.info.player.clone()).or_default() += 1,
        }
        let resume_token = random_token();
        session.resume_digest = digest(&resume_token);
        self.resume.insert(session.resume_digest, session_id);
        Ok(Opened {
            info: session.info.clone(),
            resume_token,
            expires_at: session.expires_at_unix_s,
        })
    }
}

/// A socket closed; a stale one (already replaced) changes nothing.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SocketClosed {
    pub session_id: String,
    pub conn: ConnId,
}

impl Handler<SocketClosed> for SessionsActor {
    type Result = ();

    fn handle(&mut self, msg: SocketClosed, _: &mut Self::Context) {
        if let Some(session) = self.sessions.get_mut(&msg.session_id) {
            if session.connection.as_ref().is_some_and(|c| c.conn == msg.conn) {
                session.connection = None;
                let player = session.info.player.clone();
                self.disconnected(&player);
            }
        }
    }
}

/// Operator revocation: by session id or every session of a player.
#[derive(Message)]
#[rtype(result = "usize")]
pub enum Revoke {
    Session(String),
    Player(PlayerId),
}

impl Handler<Revoke> for SessionsActor {
    type Result = usize;

    fn handle(&mut self, msg: Revoke, _: &mut Self::Context) -> usize {
        let ids: Vec<String> = match msg {
            Revoke::Session(id) => self.sessions.contains_key(&id).then_some(id).into_iter().collect(),
            Revoke::Player(player) => self
                .sessions
                .iter()
                .filter(|(_, s)| s.info.player == player)
                .map(|(id, _)| id.clone())
                .collect(),
        };
        for id in &ids {
            self.end(id, close_code::REVOKED);
        }
        ids.len()
    }
}

/// Looks a session up by its current resume token without using it (player REST calls).
#[derive(Message)]
#[rtype(result = "Option<SessionInfo>")]
pub struct Peek {
    pub token: String,
}

impl Handler<Peek> for SessionsActor {
    type Result = Option<SessionInfo>;

    fn handle(&mut self, msg: Peek, _: &mut Self::Context) -> Self::Result {
        let session_id = self.resume.get(&digest(&msg.token))?;
        let session = self.sessions.get(session_id)?;
        (session.expires_at > Instant::now()).then(|| session.info.clone())
    }
}

/// Shutdown: closes every player connection with 1001 (reconnect later).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseAll;

impl Handler<CloseAll> for SessionsActor {
    type Result = ();

    fn handle(&mut self, _: CloseAll, _: &mut Self::Context) {
        for session in self.sessions.values_mut() {
            if let Some(conn) = session.connection.take() {
                conn.close(close_code::GOING_AWAY);
            }
        }
        self.connected.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_tokens_are_remembered_for_a_bounded_time_and_number() {
        let start = Instant::now();
        let mut expired = ExpiredTokens::new(Duration::from_secs(60), 2);
        expired.remember([1; 32], start);
        expired.remember([2; 32], start + Duration::from_secs(30));
        expired.remember([2; 32], start + Duration::from_secs(40));
        assert!(expired.contains(&[1; 32]) && expired.contains(&[2; 32]));
        // Forgotten once their time is up, in order.
        expired.forget_old(start + Duration::from_secs(59));
        assert!(expired.contains(&[1; 32]));
        expired.forget_old(start + Duration::from_secs(60));
        assert!(!expired.contains(&[1; 32]) && expired.contains(&[2; 32]));
        // Full: the oldest is forgotten to make room.
        expired.remember([3; 32], start + Duration::from_secs(61));
        expired.remember([4; 32], start + Duration::from_secs(62));
        assert!(!expired.contains(&[2; 32]));
        assert!(expired.contains(&[3; 32]) && expired.contains(&[4; 32]));
        assert_eq!((expired.digests.len(), expired.order.len()), (2, 2));
        expired.forget_old(start + Duration::from_secs(3600));
        assert!(expired.digests.is_empty() && expired.order.is_empty());
    }
}
