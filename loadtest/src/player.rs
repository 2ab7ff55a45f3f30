//! One simulated player: launches a session over signed REST, gets sandbox credits, opens a
//! WebSocket, joins its tables, bets every round, plays blackjack decisions, and (for the
//! share that drops) loses its connection mid-round and resumes with `last_seq`.
//!
//! Every frame is checked: table events must arrive gap-free per table (`seq`), and their
//! push latency is the client's receipt time minus the server's `ts`. Players never panic on
//! what the server sends; anything unexpected is counted.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::sleep_until;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::http::Api;
use crate::stats::{Shard, Stats};
use crate::sys::{now_us, source_ip, Rng};

/// Longest a connect (TCP + WebSocket handshake + `welcome`) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect attempts in a row before a player gives up for the run.
const CONNECT_ATTEMPTS_MAX: u32 = 5;
/// A `decision` gets at most this many hits before the player stands.
const HITS_MAX: u8 = 2;
/// Retry delay for a bet the server answered `busy`.
const BUSY_RETRY: Duration = Duration::from_millis(5);

pub use croupier::domain::round::Game;
use croupier::domain::round::Spot;

/// A game from its lobby name (`baccarat`, `dragon_tiger`, …).
pub fn parse_game(name: &str) -> Option<Game> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Default spot weights: mostly even-money bets, some long shots, like a real table.
/// `straight:N` and `dozen:D` pick their number per bet.
fn default_mix(game: Game) -> Vec<(String, u32)> {
    let pairs: &[(&str, u32)] = match game {
        Game::Baccarat => &[
            ("banker", 45),
            ("player", 40),
            ("tie", 8),
            ("player_pair", 4),
            ("banker_pair", 3),
        ],
        Game::DragonTiger => &[("dragon", 46), ("tiger", 46), ("tie", 8)],
        Game::Roulette => &[
            ("red", 25),
            ("black", 25),
            ("straight:N", 20),
            ("dozen:D", 15),
            ("even", 8),
            ("odd", 7),
        ],
        Game::Blackjack => &[("main", 1)],
    };
    pairs.iter().map(|(s, w)| ((*s).to_owned(), *w)).collect()
}

/// Whether `spot` (or a `straight:N` / `dozen:D` pattern) is a spot of `game`, by the
/// engine's own parser.
fn accepts(game: Game, spot: &str) -> bool {
    let example = match spot {
        "straight:N" => "straight:0",
        "dozen:D" => "dozen:1",
        _ => spot,
    };
    Spot::parse(game, example).is_ok()
}

/// A table the run uses.
#[derive(Debug)]
pub struct TableInfo {
    pub id: String,
    pub game: Game,
    pub stake_min: i64,
    pub stake_max: i64,
    pub seats_max: u8,
    /// Weighted spots for this table's game.
    pub mix: Vec<(String, u32)>,
}

impl TableInfo {
    pub fn new(
        id: String,
        game: Game,
        stake_min: i64,
        stake_max: i64,
        seats_max: u8,
        mix: &[(String, u32)],
    ) -> TableInfo {
        let mut own: Vec<(String, u32)> = mix.iter().filter(|(s, _)| accepts(game, s)).cloned().collect();
        if own.is_empty() {
            own = default_mix(game);
        }
        TableInfo {
            id,
            game,
            stake_min,
            stake_max,
            seats_max,
            mix: own,
        }
    }
}

/// What every player shares: where to connect, what to do, where to record.
pub struct Plan {
    pub addr: SocketAddr,
    pub api: Arc<Api>,
    pub stats: Arc<Stats>,
    pub tables: Vec<Arc<TableInfo>>,
    pub tables_per_player: usize,
    pub bets_per_round: u32,
    /// Bet amounts as multiples of the table's minimum stake.
    pub stake_multiples: Vec<i64>,
    pub drop_share: f64,
    pub drop_interval: Duration,
    pub drop_pause_max: Duration,
    pub bet_storm: bool,
    pub storm_inflight: usize,
    pub source_ips: u8,
    pub run_id: String,
    pub currency: String,
    pub deposit: i64,
    /// When players stop betting and drain.
    pub end_at: Instant,
    /// When every connected player drops at once and resumes at once.
    pub mass_drop_at: Option<Instant>,
    /// How long a draining player waits for its last answers.
    pub drain: Duration,
}

/// The fields of a server frame the players use; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    table: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    epoch: Option<u64>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    req: Option<u64>,
    #[serde(borrow, default)]
    code: Option<Cow<'a, str>>,
    #[serde(default)]
    round_id: Option<u64>,
    #[serde(default)]
    closes_at: Option<i64>,
    #[serde(default)]
    seat: Option<u8>,
    #[serde(default)]
    hand: Option<u8>,
    #[serde(borrow, default)]
    actions: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    resume_token: Option<Cow<'a, str>>,
    #[serde(default)]
    resumed: Option<bool>,
}

type Ws = WebSocketStream<TcpStream>;

/// How far a table's event stream is checked.
enum Sync {
    /// A join was sent; `resume_from` is the `last_seq` it carried. Events before the
    /// snapshot (or the resume ack) are buffered and checked once the server says which it is.
    Joining {
        resume_from: Option<u64>,
        buffered: Vec<u64>,
        snapshot_seen: bool,
    },
    Live,
    /// The join failed; the table is ignored.
    Failed,
}

struct TableState {
    info: Arc<TableInfo>,
    last_seq: Option<u64>,
    epoch: Option<u64>,
    sync: Sync,
    round_id: Option<u64>,
    betting: bool,
    closes_at_us: i64,
    /// Blackjack: only the first `seats_max` players of a table take seats, so nobody is
    /// refused with `table_full`.
    seated_player: bool,
    /// Blackjack: (round, seat) of our main bet.
    seat: Option<(u64, u8)>,
    hits: u8,
    /// Bet storm: the round being stormed and bets in flight for it.
    storm_round: Option<u64>,
    storm_in_flight: usize,
}

enum Pending {
    Join { table: usize },
    Bet { table: usize, round_id: u64, sent: Instant },
    Action { sent: Instant },
}

enum SessionEnd {
    /// The run is over.
    Finished,
    /// We dropped the connection on purpose; resume after a pause.
    Dropped,
    /// The mass drop: resume at once.
    MassDropped,
    /// The server closed or the connection failed; resume as a real client would.
    Lost,
}

struct Player {
    index: usize,
    plan: Arc<Plan>,
    rng: Rng,
    token: String,
    tables: Vec<TableState>,
    pending: HashMap<u64, Pending>,
    next_req: u64,
    next_bet: u64,
    /// Bets waiting for their moment in the window: (due, table, round).
    scheduled: Vec<(Instant, usize, u64)>,
    drops: bool,
    drop_at: Option<Instant>,
    /// When the current (re)connect started and how many join acks it still waits for.
    connecting: Option<(Instant, usize, bool)>,
    /// This player took part in the mass drop (it happens once).
    mass_dropped: bool,
    /// It is resuming from the mass drop right now.
    mass_resuming: bool,
    /// Frames written to the socket's buffer but not yet sent.
    unflushed: bool,
}

/// Frames taken from the socket in one go before the replies they caused are sent.
const FRAMES_PER_READ_MAX: usize = 64;

/// Runs one player from `start_at` to the end of the run.
pub async fn run(index: usize, plan: Arc<Plan>, start_at: Instant) {
    sleep_until(start_at.into()).await;
    let stats = plan.stats.clone();
    let mut rng = Rng::from_clock(index as u64);
    let drops = rng.unit() < plan.drop_share;
    let player_id = format!("lt-{}-{index}", plan.run_id);
    let launched = Instant::now();
    let token = match launch(&plan.api, &player_id, &plan.currency, plan.deposit, &plan.run_id, index).await {
        Ok(token) => token,
        Err(error) => {
            stats.with(index, |s| {
                s.counters.connect_failures += 1;
                s.error(&error);
            });
            return;
        }
    };
    stats.with(index, |s| {
        s.launch.saturating_record(launched.elapsed().as_micros() as u64)
    });
    let tpp = plan.tables_per_player.clamp(1, plan.tables.len().max(1));
    let tables = (0..tpp)
        .map(|k| {
            let slot = index * tpp + k;
            let info = plan.tables[slot % plan.tables.len()].clone();
            let rank_at_table = slot / plan.tables.len();
            TableState {
                seated_player: info.game != Game::Blackjack || rank_at_table < info.seats_max as usize,
                info,
                last_seq: None,
                epoch: None,
                sync: Sync::Failed,
                round_id: None,
                betting: false,
                closes_at_us: 0,
                seat: None,
                hits: 0,
                storm_round: None,
                storm_in_flight: 0,
            }
        })
        .collect();
    let mut player = Player {
        index,
        plan,
        rng,
        token,
        tables,
        pending: HashMap::new(),
        next_req: 1,
        next_bet: 1,
        unflushed: false,
        scheduled: Vec::new(),
        drops,
        drop_at: None,
        connecting: None,
        mass_dropped: false,
        mass_resuming: false,
    };
    player.lifecycle().await;
}

/// Sandbox credits and a launch token for one player.
async fn launch(
    api: &Api,
    player_id: &str,
    currency: &str,
    deposit: i64,
    run_id: &str,
    index: usize,
) -> Result<String, String> {
    // A tx_id makes a retried deposit harmless.
    let body = format!(
        r#"{{"player_id":"{player_id}","currency":"{currency}","amount":{deposit},"tx_id":"lt-{run_id}-{index}"}}"#
    );
    let reply = api
        .signed("POST", "/v1/sandbox/deposit", &body)
        .await
        .map_err(|_| "lt_rest_failed".to_owned())?;
    if reply.status != 200 {
        return Err(format!(
            "rest_{}",
            reply.body["code"].as_str().unwrap_or("deposit_failed")
        ));
    }
    let body = format!(r#"{{"player_id":"{player_id}","currency":"{currency}"}}"#);
    let reply = api
        .signed("POST", "/v1/sessions", &body)
        .await
        .map_err(|_| "lt_rest_failed".to_owned())?;
    if reply.status != 201 {
        return Err(format!(
            "rest_{}",
            reply.body["code"].as_str().unwrap_or("session_failed")
        ));
    }
    reply.body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "lt_no_token".to_owned())
}

impl Player {
    fn stats(&self) -> &Stats {
        &self.plan.stats
    }

    fn record<R>(&self, f: impl FnOnce(&mut Shard) -> R) -> R {
        self.plan.stats.with(self.index, f)
    }

    async fn lifecycle(&mut self) {
        let mut resume = false;
        let mut failures = 0;
        loop {
            if Instant::now() >= self.plan.end_at {
                return;
            }
            let started = Instant::now();
            let ws = match self.connect().await {
                Ok(ws) => ws,
                Err(code) => {
                    failures += 1;
                    self.record(|s| {
                        s.counters.connect_failures += 1;
                        s.error(&code);
                    });
                    if failures >= CONNECT_ATTEMPTS_MAX {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(failures))).await;
                    continue;
                }
            };
            failures = 0;
            self.connecting = Some((started, 0, resume));
            let end = self.session(ws, resume).await;
            self.stats()
                .connected
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            match end {
                SessionEnd::Finished => return,
                SessionEnd::MassDropped => {
                    self.record(|s| s.counters.drops += 1);
                    self.mass_resuming = true;
                }
                SessionEnd::Dropped => {
                    self.record(|s| s.counters.drops += 1);
                    let pause_ms = self.rng.below(self.plan.drop_pause_max.as_millis().max(1) as u64);
                    tokio::time::sleep(Duration::from_millis(pause_ms)).await;
                }
                SessionEnd::Lost => {
                    if self.stats().is_stopping() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            // Whatever was in flight is lost with the connection; its outcome is unknown.
            let lost = self.pending.len() as u64;
            self.pending.clear();
            self.stats()
                .in_flight
                .fetch_sub(lost, std::sync::atomic::Ordering::Relaxed);
            self.scheduled.clear();
            resume = true;
        }
    }

    /// TCP (from our source address) + WebSocket handshake + `welcome`.
    async fn connect(&mut self) -> Result<Ws, String> {
        let plan = self.plan.clone();
        let attempt = async {
            let socket = if plan.addr.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            }
            .map_err(|_| "lt_socket".to_owned())?;
            if let Some(ip) = source_ip(self.index, plan.source_ips) {
                socket
                    .bind(SocketAddr::new(ip, 0))
                    .map_err(|_| "lt_bind_source_ip".to_owned())?;
            }
            let stream = socket
                .connect(plan.addr)
                .await
                .map_err(|_| "lt_tcp_connect".to_owned())?;
            let _ = stream.set_nodelay(true);
            // The token travels as a subprotocol, never in the URL (resume tokens must not).
            let mut request = format!("ws://{}/v1/play", plan.addr)
                .into_client_request()
                .map_err(|_| "lt_request".to_owned())?;
            let protocols = format!("croupier.v1, croupier.token.{}", self.token);
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                protocols.parse().map_err(|_| "lt_request".to_owned())?,
            );
            // tungstenite zero-fills its whole read buffer before every read, including the
            // last one that finds nothing: at the default 128 KiB that memset was a third of
            // the loadtest's CPU, at 8 KiB still 7%. Pushes are a few hundred bytes; a bigger
            // frame takes several reads.
            let config = WebSocketConfig::default().read_buffer_size(2 * 1024);
            let (mut ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
                .await
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(response) => {
                        format!("ws_http_{}", response.status().as_u16())
                    }
                    _ => "lt_ws_handshake".to_owned(),
                })?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let Ok(msg) = serde_json::from_str::<Incoming>(&text) else {
                            continue;
                        };
                        if msg.kind == "welcome" {
                            if let Some(token) = msg.resume_token {
                                self.token = token.into_owned();
                            }
                            return Ok(ws);
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => return Err("lt_closed_before_welcome".to_owned()),
                }
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, attempt)
            .await
            .unwrap_or_else(|_| Err("lt_connect_timeout".to_owned()))
    }

    /// Buffers a frame; the session loop sends everything buffered before it waits again,
    /// so the bets answering several acks read at once go out in one write, as a real
    /// client placing several chips at once would send them.
    async fn send(&mut self, ws: &mut Ws, text: String) -> bool {
        self.unflushed = true;
        ws.feed(Message::Text(text.into())).await.is_ok()
    }

    fn take_req(&mut self, pending: Pending) -> u64 {
        let req = self.next_req;
        self.next_req += 1;
        self.pending.insert(req, pending);
        self.stats()
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        req
    }

    fn answered(&mut self, req: u64) -> Option<Pending> {
        let pending = self.pending.remove(&req);
        if pending.is_some() {
            self.stats()
                .in_flight
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        pending
    }

    /// One connection's life. `connected` counts it from here until `lifecycle` sees it end.
    async fn session(&mut self, mut ws: Ws, resume: bool) -> SessionEnd {
        self.stats()
            .connected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Join (or rejoin with last_seq) every table.
        for t in 0..self.tables.len() {
            let req = self.take_req(Pending::Join { table: t });
            let state = &mut self.tables[t];
            let resume_from = if resume { state.last_seq } else { None };
            let mut text = format!(r#"{{"type":"join","req":{req},"table":"{}""#, state.info.id);
            if let (Some(last), Some(epoch)) = (resume_from, state.epoch) {
                text.push_str(&format!(r#","last_seq":{last},"epoch":{epoch}"#));
            }
            text.push('}');
            state.sync = Sync::Joining {
                resume_from: resume_from.filter(|_| state.epoch.is_some()),
                buffered: Vec::new(),
                snapshot_seen: false,
            };
            state.storm_round = None;
            state.storm_in_flight = 0;
            if !self.send(&mut ws, text).await {
                return SessionEnd::Lost;
            }
        }
        if let Some(connecting) = self.connecting.as_mut() {
            connecting.1 = self.tables.len();
        }
        self.drop_at = self.drops.then(|| {
            let jitter = 0.5 + self.rng.unit();
            Instant::now() + self.plan.drop_interval.mul_f64(jitter)
        });
        let mut stopping_since: Option<Instant> = None;
        loop {
            if std::mem::take(&mut self.unflushed) && ws.flush().await.is_err() {
                return SessionEnd::Lost;
            }
            let now = Instant::now();
            if now >= self.plan.end_at {
                let since = *stopping_since.get_or_insert(now);
                self.scheduled.clear();
                if self.pending.is_empty() || now >= since + self.plan.drain {
                    let unanswered = self.pending.len() as u64;
                    if unanswered > 0 {
                        self.record(|s| s.counters.unanswered += unanswered);
                    }
                    let _ = ws.close(None).await;
                    return SessionEnd::Finished;
                }
            }
            let mass_drop_at = self.plan.mass_drop_at.filter(|_| !self.mass_dropped);
            if mass_drop_at.is_some_and(|at| now >= at) {
                // Like a network outage for everyone at once: no close handshake.
                self.mass_dropped = true;
                drop(ws);
                return SessionEnd::MassDropped;
            }
            let wake = self
                .scheduled
                .iter()
                .map(|(due, _, _)| *due)
                .chain(mass_drop_at)
                .min()
                .unwrap_or(now + Duration::from_secs(3600))
                .min(if now >= self.plan.end_at {
                    now + Duration::from_millis(50)
                } else {
                    self.plan.end_at
                });
            tokio::select! {
                frame = ws.next() => {
                    let mut frame = frame;
                    for _ in 0..FRAMES_PER_READ_MAX {
                        if let Some(end) = self.on_frame(&mut ws, frame, now).await {
                            // A drop mid-round ends here too: no close handshake, like a lost network.
                            return end;
                        }
                        // `next` is cancel-safe: a frame not yet readable stays for the select.
                        match ws.next().now_or_never() {
                            Some(next) => frame = next,
                            None => break,
                        }
                    }
                }
                _ = sleep_until(wake.into()) => {
                    if !self.fire_scheduled(&mut ws).await {
                        return SessionEnd::Lost;
                    }
                }
            }
        }
    }

    /// Handles one frame read from the socket; `Some` ends the session.
    async fn on_frame(
        &mut self,
        ws: &mut Ws,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        now: Instant,
    ) -> Option<SessionEnd> {
        match frame {
            Some(Ok(Message::Text(text))) => match self.on_text(ws, &text).await {
                Ok(true) => None,
                Ok(false) => Some(SessionEnd::Dropped),
                Err(()) => Some(SessionEnd::Lost),
            },
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                self.record(|s| {
                    s.counters.server_closes += 1;
                    *s.closes.entry(code).or_default() += 1;
                });
                Some(if now >= self.plan.end_at {
                    SessionEnd::Finished
                } else {
                    SessionEnd::Lost
                })
            }
            Some(Ok(_)) => None,
            Some(Err(_)) | None => {
                self.record(|s| {
                    s.counters.server_closes += 1;
                    *s.closes.entry(1006).or_default() += 1;
                });
                Some(SessionEnd::Lost)
            }
        }
    }

    async fn fire_scheduled(&mut self, ws: &mut Ws) -> bool {
        let now = Instant::now();
        let due: Vec<(Instant, usize, u64)> = self.scheduled.iter().copied().filter(|(at, _, _)| *at <= now).collect();
        self.scheduled.retain(|(at, _, _)| *at > now);
        for (_, table, round_id) in due {
            if !self.place_bet(ws, table, round_id).await {
                return false;
            }
        }
        true
    }

    fn pick_spot(&mut self, table: usize) -> String {
        let info = self.tables[table].info.clone();
        let total: u32 = info.mix.iter().map(|(_, w)| *w).sum();
        let mut roll = self.rng.below(u64::from(total.max(1))) as u32;
        let mut spot = info.mix[0].0.as_str();
        for (name, weight) in &info.mix {
            if roll < *weight {
                spot = name;
                break;
            }
            roll -= weight;
        }
        if spot == "straight:N" {
            format!("straight:{}", self.rng.below(37))
        } else if spot == "dozen:D" {
            format!("dozen:{}", 1 + self.rng.below(3))
        } else {
            spot.to_owned()
        }
    }

    /// Sends one bet on `table` for `round_id` if betting is still open there.
    async fn place_bet(&mut self, ws: &mut Ws, table: usize, round_id: u64) -> bool {
        let state = &self.tables[table];
        if self.stats().is_stopping() || !state.betting || state.round_id != Some(round_id) {
            return true;
        }
        let info = state.info.clone();
        let spot = self.pick_spot(table);
        let multiple = self.plan.stake_multiples[self.rng.below(self.plan.stake_multiples.len() as u64) as usize];
        let amount = (info.stake_min * multiple).clamp(info.stake_min, info.stake_max);
        let bet_id = self.next_bet;
        self.next_bet += 1;
        let sent = Instant::now();
        let req = self.take_req(Pending::Bet { table, round_id, sent });
        let text = format!(
            r#"{{"type":"bet","req":{req},"table":"{}","round_id":{round_id},"spot":"{spot}","amount":{amount},"bet_id":"b{bet_id}"}}"#,
            info.id
        );
        self.record(|s| s.counters.bets_sent += 1);
        self.send(ws, text).await
    }

    /// Handles one frame. `Ok(false)` asks the caller to drop the connection now.
    async fn on_text(&mut self, ws: &mut Ws, text: &str) -> Result<bool, ()> {
        let received_us = now_us();
        let steady = self.stats().is_steady();
        let Ok(msg) = serde_json::from_str::<Incoming>(text) else {
            self.record(|s| {
                s.counters.messages += 1;
                s.error("lt_unparsable_frame");
            });
            return Ok(true);
        };
        match msg.kind.as_ref() {
            "ack" | "error" => {
                self.record(|s| {
                    s.counters.messages += 1;
                    if steady {
                        s.counters.messages_steady += 1;
                    }
                });
                self.on_reply(ws, &msg).await?;
                Ok(true)
            }
            "welcome" | "settled" | "balance" | "pong" | "idle_warning" | "console" | "bets" => {
                self.record(|s| {
                    s.counters.messages += 1;
                    if steady {
                        s.counters.messages_steady += 1;
                    }
                });
                Ok(true)
            }
            _ => {
                let (Some(table_id), Some(seq)) = (msg.table.as_deref(), msg.seq) else {
                    self.record(|s| {
                        s.counters.messages += 1;
                        s.error("lt_unknown_frame");
                    });
                    return Ok(true);
                };
                let Some(t) = self.tables.iter().position(|t| t.info.id == table_id) else {
                    self.record(|s| {
                        s.counters.messages += 1;
                        s.error("lt_event_of_unjoined_table");
                    });
                    return Ok(true);
                };
                self.on_event(ws, t, seq, &msg, received_us, steady).await
            }
        }
    }

    async fn on_event(
        &mut self,
        ws: &mut Ws,
        t: usize,
        seq: u64,
        msg: &Incoming<'_>,
        received_us: i64,
        steady: bool,
    ) -> Result<bool, ()> {
        let index = self.index;
        let stats = self.plan.stats.clone();
        let state = &mut self.tables[t];
        let kind = msg.kind.as_ref();
        // --- the stream check ---
        let mut live = false;
        if kind == "snapshot" {
            if let Sync::Joining {
                resume_from,
                buffered,
                snapshot_seen,
                ..
            } = &mut state.sync
            {
                buffered.retain(|s| *s > seq);
                *snapshot_seen = true;
                if resume_from.is_some() {
                    stats.with(index, |s| s.counters.resume_snapshots += 1);
                }
            }
            state.last_seq = Some(seq);
            state.epoch = msg.epoch;
            state.round_id = msg.round_id;
            state.betting = false;
            stats.with(index, |s| {
                s.counters.messages += 1;
                if steady {
                    s.counters.messages_steady += 1;
                }
            });
            return Ok(true);
        }
        let mut gap = 0u64;
        let mut reordered = false;
        let mut epoch_changed = false;
        match &mut state.sync {
            Sync::Joining {
                resume_from: Some(_),
                buffered,
                snapshot_seen: false,
                ..
            } => buffered.push(seq),
            Sync::Joining {
                snapshot_seen: false, ..
            } => {}
            Sync::Failed => {}
            Sync::Joining {
                snapshot_seen: true, ..
            }
            | Sync::Live => {
                live = matches!(state.sync, Sync::Live);
                if let (Some(epoch), Some(known)) = (msg.epoch, state.epoch) {
                    if epoch != known {
                        epoch_changed = true;
                        state.epoch = Some(epoch);
                        state.last_seq = Some(seq);
                    }
                }
                if !epoch_changed {
                    (gap, reordered) = check_seq(&mut state.last_seq, seq);
                }
            }
        }
        let latency_us = msg.ts.map(|ts| (received_us - ts).max(0) as u64);
        stats.with(index, |s| {
            s.counters.messages += 1;
            if steady {
                s.counters.messages_steady += 1;
            }
            if live {
                s.counters.events += 1;
                if let Some(latency) = latency_us {
                    s.push_interval.saturating_record(latency);
                    if steady {
                        s.push.saturating_record(latency);
                    }
                }
            } else {
                s.counters.replayed += 1;
            }
            if gap > 0 {
                s.counters.missed += gap;
                *s.missed_by_table.entry(state.info.id.clone()).or_default() += gap;
            }
            if reordered {
                s.counters.out_of_order += 1;
            }
            if epoch_changed {
                s.counters.epoch_changes += 1;
            }
        });
        // --- the game ---
        enum Then {
            Nothing,
            PlanBets(u64),
            Decide,
        }
        let then = match kind {
            "round_open" => {
                state.round_id = msg.round_id;
                state.betting = true;
                state.closes_at_us = msg.closes_at.unwrap_or(0);
                state.seat = None;
                state.hits = 0;
                match msg.round_id {
                    Some(round_id) if live && !stats.is_stopping() && state.seated_player => Then::PlanBets(round_id),
                    _ => Then::Nothing,
                }
            }
            "bets_closed" => {
                state.betting = false;
                Then::Nothing
            }
            "decision" => {
                let mine =
                    matches!(state.seat, Some((round, seat)) if Some(round) == msg.round_id && Some(seat) == msg.seat);
                if live && mine {
                    Then::Decide
                } else {
                    Then::Nothing
                }
            }
            "result" | "round_void" => {
                state.betting = false;
                state.seat = None;
                Then::Nothing
            }
            _ => Then::Nothing,
        };
        match then {
            Then::PlanBets(round_id) => self.plan_bets(ws, t, round_id).await?,
            Then::Decide => self.decide(ws, t, msg).await?,
            Then::Nothing => {}
        }
        // Drop mid-round (cards are being dealt), with nothing in flight, well before the end.
        let mid_round = matches!(kind, "card" | "ball" | "bets_closed" | "decision" | "odds");
        if live
            && mid_round
            && self.pending.is_empty()
            && self.drop_at.is_some_and(|at| Instant::now() >= at)
            && Instant::now() + Duration::from_secs(2) < self.plan.end_at
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// Schedules this round's bets at random moments in the first half of the window,
    /// or starts the storm.
    async fn plan_bets(&mut self, ws: &mut Ws, t: usize, round_id: u64) -> Result<(), ()> {
        if self.plan.bet_storm && self.tables[t].info.game != Game::Blackjack {
            self.tables[t].storm_round = Some(round_id);
            self.tables[t].storm_in_flight = 0;
            for _ in 0..self.plan.storm_inflight.max(1) {
                self.tables[t].storm_in_flight += 1;
                if !self.place_bet(ws, t, round_id).await {
                    return Err(());
                }
            }
            return Ok(());
        }
        let window_us = (self.tables[t].closes_at_us - now_us()).max(0) as u64;
        let bets = if self.tables[t].info.game == Game::Blackjack {
            1
        } else {
            self.plan.bets_per_round
        };
        for _ in 0..bets {
            let delay_us = self.rng.below(window_us / 2 + 1);
            self.scheduled
                .push((Instant::now() + Duration::from_micros(delay_us), t, round_id));
        }
        Ok(())
    }

    /// Blackjack: stand on most hands, hit a few, double sometimes.
    async fn decide(&mut self, ws: &mut Ws, t: usize, msg: &Incoming<'_>) -> Result<(), ()> {
        let actions: Vec<String> = msg
            .actions
            .as_ref()
            .map(|a| a.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let can = |name: &str| actions.iter().any(|a| a == name);
        let roll = self.rng.below(100);
        let state = &mut self.tables[t];
        let action = if can("double") && roll < 10 {
            "double"
        } else if can("hit") && state.hits < HITS_MAX && roll < 50 {
            state.hits += 1;
            "hit"
        } else {
            "stand"
        };
        let (Some(round_id), Some(hand)) = (msg.round_id, msg.hand) else {
            return Ok(());
        };
        let table = state.info.id.clone();
        let req = self.take_req(Pending::Action { sent: Instant::now() });
        let text = format!(
            r#"{{"type":"action","req":{req},"table":"{table}","round_id":{round_id},"hand":{hand},"action":"{action}"}}"#
        );
        if self.send(ws, text).await {
            Ok(())
        } else {
            Err(())
        }
    }

    async fn on_reply(&mut self, ws: &mut Ws, msg: &Incoming<'_>) -> Result<(), ()> {
        let is_error = msg.kind == "error";
        let Some(req) = msg.req else {
            // An error with no request (rate limiting of an unparsable frame): count it.
            if is_error {
                let code = msg.code.as_deref().unwrap_or("unknown").to_owned();
                self.record(|s| s.error(&code));
            }
            return Ok(());
        };
        let Some(pending) = self.answered(req) else {
            if is_error {
                let code = msg.code.as_deref().unwrap_or("unknown").to_owned();
                self.record(|s| s.error(&code));
            }
            return Ok(());
        };
        let steady = self.stats().is_steady();
        let code = msg.code.as_deref().unwrap_or("unknown").to_owned();
        match pending {
            Pending::Join { table } => {
                if is_error {
                    self.tables[table].sync = Sync::Failed;
                    self.record(|s| s.error(&format!("join_{code}")));
                } else {
                    self.finish_join(table, msg);
                }
                if let Some((started, waiting, resume)) = self.connecting.as_mut() {
                    *waiting = waiting.saturating_sub(1);
                    if *waiting == 0 {
                        let elapsed = started.elapsed().as_micros() as u64;
                        let resume = *resume;
                        self.connecting = None;
                        if std::mem::take(&mut self.mass_resuming) {
                            if let Some(at) = self.plan.mass_drop_at {
                                let stats = self.stats();
                                stats.mass_resumes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                stats
                                    .mass_resume_last_us
                                    .fetch_max(at.elapsed().as_micros() as u64, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                        self.record(|s| {
                            if resume {
                                s.counters.resumes += 1;
                                s.resume.saturating_record(elapsed);
                            } else {
                                s.counters.players_joined += 1;
                                s.connect.saturating_record(elapsed);
                            }
                        });
                    }
                }
            }
            Pending::Bet { table, round_id, sent } => {
                let latency = sent.elapsed().as_micros() as u64;
                let storm = self.tables[table].storm_round == Some(round_id);
                self.record(|s| {
                    if is_error {
                        s.error(&code);
                    } else {
                        s.counters.bets_acked += 1;
                        if steady {
                            s.counters.bets_acked_steady += 1;
                        }
                        s.ack_interval.saturating_record(latency);
                        if steady {
                            s.ack.saturating_record(latency);
                        }
                    }
                });
                if !is_error {
                    if let Some(seat) = msg.seat {
                        self.tables[table].seat = Some((round_id, seat));
                    }
                }
                if storm {
                    let state = &mut self.tables[table];
                    state.storm_in_flight = state.storm_in_flight.saturating_sub(1);
                    let keep_going = !is_error || code == "busy";
                    if keep_going && state.betting && state.round_id == Some(round_id) {
                        state.storm_in_flight += 1;
                        if code == "busy" {
                            self.scheduled.push((Instant::now() + BUSY_RETRY, table, round_id));
                        } else if !self.place_bet(ws, table, round_id).await {
                            return Err(());
                        }
                    } else {
                        state.storm_round = None;
                    }
                }
            }
            Pending::Action { sent } => {
                let _ = sent;
                self.record(|s| {
                    if is_error {
                        s.error(&format!("action_{code}"));
                    } else {
                        s.counters.actions_acked += 1;
                    }
                });
            }
        }
        Ok(())
    }

    /// The join's ack: a resume's buffered replay is checked against the `last_seq` it asked
    /// from; from here on the table's stream is checked event by event.
    fn finish_join(&mut self, table: usize, ack: &Incoming<'_>) {
        let index = self.index;
        let stats = self.plan.stats.clone();
        let state = &mut self.tables[table];
        let sync = std::mem::replace(&mut state.sync, Sync::Live);
        let Sync::Joining {
            resume_from,
            buffered,
            snapshot_seen,
            ..
        } = sync
        else {
            return;
        };
        let mut gap = 0;
        let mut reordered = 0;
        if snapshot_seen {
            for seq in buffered {
                let (g, r) = check_seq(&mut state.last_seq, seq);
                gap += g;
                reordered += u64::from(r);
            }
        } else if ack.resumed == Some(true) {
            let mut last = resume_from;
            for seq in buffered {
                let (g, r) = check_seq(&mut last, seq);
                gap += g;
                reordered += u64::from(r);
            }
            // Everything up to the ack's seq must have been replayed.
            if let (Some(l), Some(acked)) = (last, ack.seq) {
                if acked > l {
                    gap += acked - l;
                    last = Some(acked);
                }
            }
            state.last_seq = last;
        } else {
            stats.with(index, |s| s.error("lt_join_without_snapshot"));
        }
        if gap > 0 || reordered > 0 {
            let id = state.info.id.clone();
            stats.with(index, |s| {
                s.counters.missed += gap;
                s.counters.out_of_order += reordered;
                if gap > 0 {
                    *s.missed_by_table.entry(id).or_default() += gap;
                }
            });
        }
    }
}

/// Advances `last` with `seq`; returns (events missed before it, whether it came out of order).
fn check_seq(last: &mut Option<u64>, seq: u64) -> (u64, bool) {
    match *last {
        None => {
            *last = Some(seq);
            (0, false)
        }
        Some(l) if seq == l + 1 => {
            *last = Some(seq);
            (0, false)
        }
        Some(l) if seq <= l => (0, true),
        Some(l) => {
            *last = Some(seq);
            (seq - l - 1, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_check_counts_gaps_and_reorders() {
        let mut last = Some(10);
        assert_eq!(check_seq(&mut last, 11), (0, false));
        assert_eq!(check_seq(&mut last, 14), (2, false));
        assert_eq!(check_seq(&mut last, 13), (0, true));
        assert_eq!(last, Some(14));
    }

    #[test]
    fn spot_mix_filters_by_game() {
        let mix = vec![("banker".to_owned(), 1), ("red".to_owned(), 2)];
        let baccarat = TableInfo::new("b".into(), Game::Baccarat, 100, 1000, 7, &mix);
        assert_eq!(baccarat.mix, vec![("banker".to_owned(), 1)]);
        let dragon = TableInfo::new("d".into(), Game::DragonTiger, 100, 1000, 7, &mix);
        assert_eq!(dragon.mix.len(), 3, "falls back to the default mix");
    }

    #[test]
    fn frames_parse_borrowing_only_what_is_needed() {
        let text = r#"{"type":"decision","table":"blackjack-1","seq":7,"epoch":1,"ts":5,"round_id":3,"seat":2,"hand":0,"deadline":9,"actions":["hit","stand"]}"#;
        let msg: Incoming = serde_json::from_str(text).unwrap();
        assert_eq!(msg.kind, "decision");
        assert_eq!(msg.seat, Some(2));
        assert_eq!(msg.actions.unwrap().len(), 2);
        let ack =
            r#"{"type":"ack","req":4,"bet_id":"b1","round_id":3,"seat":null,"balance":{"amount":1,"currency":"EUR"}}"#;
        let msg: Incoming = serde_json::from_str(ack).unwrap();
        assert_eq!((msg.req, msg.seat), (Some(4), None));
    }
}
