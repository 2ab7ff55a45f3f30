//! `TableActor`: one live table. Owns its round, its shoe, its timers and its event stream.
//!
//! Message → domain call → journal → fan-out. Every table event gets the next gap-free `seq`,
//! is serialised once, journaled, and delivered to every subscriber only after its group
//! commit is durable (the outbox keeps delivery in seq order whatever order commits are
//! reported in). Money moves only through wallets, and only after the round record that
//! explains it is durable, so a crash at any instant leaves something `replay` can finish.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use serde_json::{json, Value};

use crate::actors::lobby::LobbyActor;
use crate::actors::messages::{
    Act, Caller, ClientSeed, Credit, DealerAction, DealerCommand, Debit, GetBalances, GetWallet, Join, Leave, PlaceBet,
    TableStatus,
};
use crate::actors::outbound::{close_code, ConnId, Outbound};
use crate::actors::wallet::{BankActor, WalletActor, WalletError};
use crate::clock::now_us;
use crate::config::{DealerMode, Limits, TableConfig};
use crate::domain::cards::{Card, Composition};
use crate::domain::error::RuleError;
use crate::domain::fair::{self, ServerSeed};
use crate::domain::games::blackjack;
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::Amount;
use crate::domain::round::{moved_card, Bet, BetRules, Command, Game, Phase, Placement, Round, Spot};
use crate::domain::shoe::Shoe;
use crate::journal::records::{
    self, BetRecord, CardRecord, LedgerRecord, RoundRecord, RoundStatus, ShoeRecord, TxKind,
};
use crate::journal::replay::{ledger_record, payout_credits, refund_of, stake_txid};
use crate::journal::{self, table_key, table_prefix, Batch, Journal, Tree};
use crate::wire::event::{EventFrame, TableEvent};
use crate::wire::message::{self, Ack, Money, ServerMsg};
use crate::wire::CommandError;

/// Events kept in memory for resuming clients; older resumes read the journal.
const HISTORY_MAX: usize = 2048;
/// Resumes further back than this get a snapshot instead of a replay.
const REPLAY_MAX: u64 = 10_000;
/// How often a close of betting re-checks for stakes still being written.
const PENDING_RETRY: Duration = Duration::from_millis(2);
/// Every this many events the table prunes its history beyond `history_events_max`.
const PRUNE_EVERY: u64 = 1024;
/// Most events one pruning pass deletes (it catches up over later passes).
const PRUNE_BATCH_MAX: usize = 8 * 1024;
/// Time left on a blackjack decision at which a `countdown` warning is pushed.
const COUNTDOWN_WARNINGS_MS: [u64; 2] = [5_000, 2_000];
/// Dealer consoles get the round's bet totals at most this often.
const DEALER_BETS_EVERY: Duration = Duration::from_millis(100);
/// A winner's letter in the road: B, P, T in baccarat; D, T, = in Dragon Tiger, whose tiger
/// already has the T.
fn road_letter(game: Game, winner: &str) -> String {
    match (game, winner) {
        (Game::DragonTiger, "tie") => "=".to_owned(),
        _ => winner.get(..1).unwrap_or_default().to_ascii_uppercase(),
    }
}

/// Results shown in the lobby's road.
const RECENT_MAX: usize = 60;

type Then = Box<dyn FnOnce(&mut TableActor, &mut Context<TableActor>) + Send>;

/// The pending step of an auto table.
#[derive(Default)]
struct Timer {
    handle: Option<SpawnHandle>,
    /// Bumped on every cancel. actix can still run a cancelled timer that was already due
    /// (actix/actix#284): a stale step, such as a decision timeout after the player acted,
    /// must do nothing.
    generation: u64,
}

impl Timer {
    fn cancel(&mut self, ctx: &mut Context<TableActor>) {
        self.generation += 1;
        if let Some(handle) = self.handle.take() {
            ctx.cancel_future(handle);
        }
    }
}

/// What becomes visible once one journal batch is durable.
struct OutboxEntry {
    ticket: u64,
    durable: bool,
    frames: Vec<(u64, ByteString)>,
    then: Option<Then>,
}

/// The provably fair shoe (or roulette seed) in use.
struct ShoeState {
    nonce: u64,
    seed: ServerSeed,
    commit: String,
    client_seeds: Vec<String>,
    /// The shuffled order; `None` until the first round of the shoe closes betting,
    /// because client seeds contributed while betting is open go into the shuffle.
    cards: Option<Shoe>,
    key: Option<[u8; 32]>,
}

struct LiveRound {
    round: Round,
    opened_at: Instant,
    opened_at_us: i64,
    shoe_start: Option<usize>,
    /// Wallet and session of every player with a bet, for settlement.
    wallets: HashMap<PlayerId, (Addr<WalletActor>, String)>,
    /// Blackjack: a decision whose extra stake is being debited; the timer must not stand it.
    decision_in_flight: bool,
    decision_deadline_us: Option<i64>,
    extra_stakes: u32,
    settling: bool,
}

pub struct TableActor {
    config: TableConfig,
    journal: Journal,
    /// Receives a `TableStatus` on every phase change; `do_send` never blocks the table.
    lobby: Addr<LobbyActor>,
    limits: Limits,
    epoch: u64,
    /// Last seq assigned (durable or not).
    seq: u64,
    /// Last seq delivered to subscribers (durable).
    delivered_seq: u64,
    history: VecDeque<(u64, ByteString)>,
    subscribers: HashMap<ConnId, Caller>,
    /// Dealer consoles watching the table; a closed one is dropped at the next send.
    dealers: HashMap<ConnId, Outbound>,
    /// Joins that need a snapshot wait here until every assigned event is durable, so a
    /// snapshot never shows state a crash could still take back.
    pending_snapshots: Vec<Join>,
    outbox: VecDeque<OutboxEntry>,
    next_ticket: u64,
    shoe: Option<ShoeState>,
    shoe_nonce: u64,
    /// Cards no player has seen in the current shoe (odds are computed from these).
    unseen: Composition,
    live: Option<LiveRound>,
    paused: bool,
    /// The pending step of an auto table (close, next card, decision timeout, next round).
    timer: Timer,
    recent: VecDeque<String>,
    odds_version: u64,
    /// Rounds that recovery voided at start-up; announced as `round_void` once started.
    voided_at_start: Vec<RoundId>,
    /// Delay of the first round after a start (see `stagger`).
    first_open_after_ms: u64,
    /// A round a crash interrupted while dealing, dealt on once the table starts.
    interrupted: Option<(RoundRecord, Addr<BankActor>)>,
    /// A push of the bet totals to dealer consoles is scheduled.
    dealer_bets_due: bool,
    /// Events below this seq are already pruned from the journal's history window.
    pruned_below: u64,
    /// Shutdown callers waiting for the current round to be voided and refunded.
    stopping: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// The table stream's epoch: drawn at random when the journal first holds the table and kept
/// with it, so a stream rebuilt from nothing (a wiped data dir) never matches an old one and a
/// client's resume cannot silently skip. A u32, so every client language reads it exactly.
fn stream_epoch(journal: &Journal, table: &str) -> Result<u64, journal::JournalError> {
    let tables = journal.tree(Tree::Tables);
    if let Some(stored) = tables.get(table.as_bytes())? {
        let record: records::TableRecord = records::decode("tables", &stored)?;
        return Ok(record.epoch);
    }
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| journal::JournalError::Io(std::io::Error::other(e.to_string())))?;
    let epoch = u64::from(u32::from_be_bytes(bytes).max(1));
    // Made durable by the table's first group commit, before any event of this epoch.
    tables.insert(
        table.as_bytes(),
        records::encode(&records::TableRecord {
            v: records::RECORD_VERSION,
            epoch,
        }),
    )?;
    Ok(epoch)
}

impl TableActor {
    /// A table continuing the event stream found in the journal (seq and epoch survive restarts).
    ///
    /// # Errors
    /// The journal cannot be read.
    pub fn new(
        config: TableConfig,
        journal: Journal,
        lobby: Addr<LobbyActor>,
        limits: Limits,
    ) -> Result<TableActor, journal::JournalError> {
        let id = config.id.as_str().to_owned();
        let events = journal.tree(Tree::Events);
        let seq = match events.scan_prefix(table_prefix(&id)).next_back() {
            Some(entry) => journal::table_key_n(&entry?.0).unwrap_or(0),
            None => 0,
        };
        let shoe_nonce = match journal.tree(Tree::Shoes).scan_prefix(table_prefix(&id)).next_back() {
            Some(entry) => journal::table_key_n(&entry?.0).unwrap_or(0),
            None => 0,
        };
        let epoch = stream_epoch(&journal, &id)?;
        let unseen = Composition::decks(config.decks.clamp(1, crate::domain::cards::DECKS_MAX))
            .unwrap_or(Composition::from_counts([0; 13]));
        Ok(TableActor {
            config,
            journal,
            lobby,
            limits,
            epoch,
            seq,
            delivered_seq: seq,
            history: VecDeque::new(),
            subscribers: HashMap::new(),
            dealers: HashMap::new(),
            pending_snapshots: Vec::new(),
            outbox: VecDeque::new(),
            next_ticket: 0,
            shoe: None,
            shoe_nonce,
            unseen,
            live: None,
            paused: false,
            timer: Timer::default(),
            recent: VecDeque::new(),
            odds_version: 0,
            voided_at_start: Vec::new(),
            first_open_after_ms: 0,
            interrupted: None,
            dealer_bets_due: false,
            stopping: Vec::new(),
            pruned_below: 0,
        }
        .with_unrevealed_shoe())
    }

    /// Places this table, `index` of `count` started together, at its share of one bet
    /// window: its first round opens that much later. Tables with the same pacing started
    /// at once would otherwise stay in lockstep for good, every one of them opening, taking
    /// bets, dealing and settling at the same instant, in bursts.
    pub fn stagger(&mut self, index: usize, count: usize) {
        self.first_open_after_ms = self.config.bet_window_ms * index as u64 / count.max(1) as u64;
    }

    pub fn announce_voids(&mut self, rounds: Vec<RoundId>) {
        self.voided_at_start = rounds;
    }

    /// Deals on `round`, which a crash interrupted after betting closed; `bank` finds its
    /// players' wallets for the payouts.
    pub fn continue_dealing(&mut self, round: RoundRecord, bank: Addr<BankActor>) {
        self.interrupted = Some((round, bank));
    }

    /// Rebuilds an interrupted round from its record (the bets at close) and the cards,
    /// actions and ball journaled after it. Returns the round and how many extra stakes
    /// (doubles, splits) its actions took.
    fn rebuild_round(&self, record: &RoundRecord) -> Result<(Round, u32), String> {
        let rules = blackjack::Rules {
            dealer_hits_soft_17: self.config.dealer_hits_soft_17,
            ..Default::default()
        };
        let mut bets = Vec::with_capacity(record.bets.len());
        for bet in &record.bets {
            bets.push(Bet {
                bet_id: bet.bet_id.clone(),
                player: bet.player.clone(),
                currency: bet.currency,
                spot: Spot::parse(self.config.game, &bet.spot).map_err(|e| e.to_string())?,
                amount: bet.amount,
                seat: bet.seat,
                confirmed: true,
            });
        }
        let mut round = Round::closed_with(record.round_id, self.config.game, record.opened_at_us, rules, bets)
            .map_err(|e| e.to_string())?;
        let mut extra_stakes = 0;
        for event in self.round_events(record.round_id) {
            let step = match event["type"].as_str() {
                Some("card") => serde_json::from_value::<Card>(event["card"].clone())
                    .map_err(|e| e.to_string())
                    .and_then(|card| {
                        let position = event["to"].as_str().map(Into::into);
                        round
                            .apply(Command::DealCard { card, position }, now_us())
                            .map_err(|e| e.to_string())
                    })
                    .map(drop),
                Some("action") => {
                    let seat = event["seat"].as_u64().unwrap_or(0) as u8;
                    let hand = event["hand"].as_u64().unwrap_or(0) as u8;
                    event["action"]
                        .as_str()
                        .unwrap_or("")
                        .parse::<blackjack::Action>()
                        .map_err(|e| e.to_string())
                        .and_then(|action| {
                            let extra = round.extra_stake(seat, hand, action).map_err(|e| e.to_string())?;
                            round
                                .apply(Command::Act { seat, hand, action }, now_us())
                                .map_err(|e| e.to_string())?;
                            extra_stakes += u32::from(extra.is_positive());
                            Ok(())
                        })
                }
                Some("ball") => round
                    .apply(
                        Command::LandBall {
                            pocket: event["pocket"].as_u64().unwrap_or(u64::MAX) as u8,
                        },
                        now_us(),
                    )
                    .map(drop)
                    .map_err(|e| e.to_string()),
                _ => Ok(()),
            };
            step.map_err(|error| format!("{error} replaying {event}"))?;
        }
        Ok((round, extra_stakes))
    }

    /// Round `round_id`'s events, oldest first, read back from the end of the stream.
    fn round_events(&self, round_id: RoundId) -> Vec<Value> {
        let mut events = Vec::new();
        for entry in self
            .journal
            .tree(Tree::Events)
            .scan_prefix(table_prefix(self.id()))
            .rev()
        {
            let Ok((_, value)) = entry else { break };
            let Ok(event) = serde_json::from_slice::<Value>(&value) else {
                continue;
            };
            if event["round_id"] != json!(round_id) {
                continue;
            }
            if event["type"] == "round_open" {
                break;
            }
            events.push(event);
        }
        events.reverse();
        events
    }

    /// Takes up the interrupted round: finds its players' wallets and refunds a double or
    /// split whose stake was taken but whose action never made it into the stream, then
    /// deals on (or voids it, when it cannot be rebuilt).
    fn take_up_interrupted(&mut self, ctx: &mut Context<Self>, record: RoundRecord, bank: Addr<BankActor>) {
        let (round, extra_stakes, void) = match self.rebuild_round(&record) {
            Ok((round, extra_stakes)) => (round, extra_stakes, None),
            Err(error) => {
                tracing::error!(table = %self.config.id, round = %record.round_id, error = %error, "cannot rebuild the interrupted round; voiding it");
                let rules = blackjack::Rules::default();
                let mut round = Round::open(record.round_id, self.config.game, record.opened_at_us, rules);
                let _ = round.apply(Command::CloseBetting, now_us());
                (round, 0, Some(format!("server restarted during the round ({error})")))
            }
        };
        tracing::info!(table = %self.config.id, round = %record.round_id, cards = round.cards().len(), "dealing on the round a restart interrupted");
        let journal = self.journal.clone();
        let stake_of = move |player: &PlayerId, txid: &str| ledger_record(&journal, player, txid).ok().flatten();
        let round_id = record.round_id;
        let blackjack = self.config.game == Game::Blackjack;
        let bets = record.bets.clone();
        self.live = Some(LiveRound {
            round,
            opened_at: Instant::now(),
            opened_at_us: record.opened_at_us,
            shoe_start: record.shoe_start,
            wallets: HashMap::new(),
            decision_in_flight: false,
            decision_deadline_us: None,
            extra_stakes,
            settling: false,
        });
        let work = async move {
            let mut wallets = HashMap::new();
            for bet in &bets {
                if wallets.contains_key(&bet.player) {
                    continue;
                }
                let Ok(wallet) = bank.send(GetWallet(bet.player.clone())).await else {
                    continue;
                };
                let session = stake_of(&bet.player, &stake_txid(round_id, bet.bet_id.as_str()))
                    .and_then(|stake| stake.session_id)
                    .unwrap_or_default();
                wallets.insert(bet.player.clone(), (wallet, session));
            }
            if blackjack {
                let orphan = format!("/x{}", extra_stakes + 1);
                for bet in &bets {
                    let txid = format!("{}{orphan}", stake_txid(round_id, bet.bet_id.as_str()));
                    let (Some(stake), Some((wallet, _))) = (stake_of(&bet.player, &txid), wallets.get(&bet.player))
                    else {
                        continue;
                    };
                    if !matches!(wallet.send(Credit(refund_of(&stake, now_us()))).await, Ok(Ok(_))) {
                        tracing::error!(round = %round_id, txid = %txid, "refund of an unapplied double or split failed");
                    }
                }
            }
            wallets
        };
        // `wait`: nothing (a dealer's card, a player's action) may touch the round before
        // the wallets that will pay it are known.
        ctx.wait(work.into_actor(self).map(move |wallets, act, ctx| {
            let Some(live) = act.live.as_mut() else { return };
            live.wallets = wallets;
            match void {
                Some(reason) => act.void_round(ctx, reason, None),
                None => act.after_change(ctx),
            }
            act.report_status();
        }));
    }

    /// Picks up the shoe a stop interrupted: its seed is still secret and its order is fixed
    /// by what was committed, so dealing continues at the same card. Roulette spins and
    /// shoes that cannot be rebuilt are revealed at start instead (see `started`).
    fn with_unrevealed_shoe(mut self) -> TableActor {
        let id = self.config.id.as_str().to_owned();
        let key = table_key(&id, self.shoe_nonce);
        let secret = self.journal.tree(Tree::Secrets).get(&key).ok().flatten();
        let record = self.journal.tree(Tree::Shoes).get(&key).ok().flatten();
        let (Some(secret), Some(record)) = (secret, record) else {
            return self;
        };
        let Ok(seed) = std::str::from_utf8(&secret)
            .map_err(|_| ())
            .and_then(|hex| ServerSeed::from_hex(hex).map_err(|_| ()))
        else {
            return self;
        };
        let Ok(record) = records::decode::<ShoeRecord>("shoes", &record) else {
            return self;
        };
        let mut shoe = ShoeState {
            nonce: record.nonce,
            seed,
            commit: record.commit,
            client_seeds: Vec::new(),
            cards: None,
            key: None,
        };
        if let Some(client_seed) = record.client_seed {
            let key = fair::shuffle_key(&shoe.seed, &client_seed, shoe.nonce);
            shoe.key = Some(key);
            if self.config.game != Game::Roulette {
                let Ok(cards) = fair::shuffled_shoe(self.config.decks, &key) else {
                    return self;
                };
                let position = self.last_shoe_position(shoe.nonce);
                let mut unseen = Composition::decks(self.config.decks).unwrap_or(self.unseen);
                let _ = unseen.remove_all(&cards[..position.min(cards.len())]);
                self.unseen = unseen;
                shoe.cards = Some(Shoe::at_position(
                    cards,
                    self.config.cut_cards_from_end as usize,
                    position,
                ));
            }
            // The client seeds were combined already; keep them for the reveal.
            if !client_seed.is_empty() {
                shoe.client_seeds = client_seed
                    .split(fair::CLIENT_SEED_SEPARATOR)
                    .map(str::to_owned)
                    .collect();
            }
        }
        tracing::info!(table = %self.config.id, shoe = shoe.nonce, position = shoe.cards.as_ref().map(Shoe::position), "continuing the interrupted shoe");
        self.shoe = Some(shoe);
        self
    }

    /// The shoe position after the last card of shoe `nonce` found in the event stream.
    fn last_shoe_position(&self, nonce: u64) -> usize {
        /// Events searched backwards; a shoe's last card is never far from the stream's end.
        const SCAN_MAX: usize = 100_000;
        for entry in self
            .journal
            .tree(Tree::Events)
            .scan_prefix(table_prefix(self.id()))
            .rev()
            .take(SCAN_MAX)
        {
            let Ok((_, value)) = entry else { break };
            let Ok(event) = serde_json::from_slice::<Value>(&value) else {
                continue;
            };
            if event["type"] == "card" && event["shoe"] == json!(nonce) {
                return event["shoe_pos"].as_u64().unwrap_or(0) as usize;
            }
            if event["type"] == "round_open" && event["shoe"].as_u64().is_some_and(|n| n < nonce) {
                break;
            }
        }
        0
    }

    fn id(&self) -> &str {
        self.config.id.as_str()
    }

    fn game_label(&self) -> &'static str {
        match self.config.game {
            Game::Baccarat => "baccarat",
            Game::Blackjack => "blackjack",
            Game::Roulette => "roulette",
            Game::DragonTiger => "dragon_tiger",
        }
    }

    fn is_auto(&self) -> bool {
        self.config.dealer == DealerMode::Auto
    }

    // ---- the event stream ----

    /// Assigns seqs to `events`, journals them with `batch`, and delivers them (then runs
    /// `then`) once durable. Each event is encoded once, for the journal and every subscriber.
    fn emit(&mut self, ctx: &mut Context<Self>, events: Vec<TableEvent>, mut batch: Batch, then: Option<Then>) {
        let ts = now_us();
        let mut frames = Vec::with_capacity(events.len());
        for event in &events {
            self.seq += 1;
            let text = EventFrame {
                event,
                table: &self.config.id,
                seq: self.seq,
                epoch: self.epoch,
                ts,
            }
            .encode();
            batch.insert(Tree::Events, table_key(self.id(), self.seq), text.as_bytes().as_ref());
            frames.push((self.seq, text));
        }
        self.submit(ctx, batch, frames, then);
    }

    fn submit(&mut self, ctx: &mut Context<Self>, batch: Batch, frames: Vec<(u64, ByteString)>, then: Option<Then>) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.outbox.push_back(OutboxEntry {
            ticket,
            durable: false,
            frames,
            then,
        });
        match self.journal.submit_waiting(batch) {
            Ok(durable) => {
                ctx.spawn(journal::wait(durable).into_actor(self).map(move |result, act, ctx| {
                    if let Err(error) = result {
                        tracing::error!(table = %act.config.id, error = %error, "table journal write failed");
                        ctx.stop();
                        return;
                    }
                    act.mark_durable(ticket, ctx);
                }));
            }
            Err(error) => {
                tracing::error!(table = %self.config.id, error = %error, "journal stopped; table stops");
                ctx.stop();
            }
        }
    }

    fn mark_durable(&mut self, ticket: u64, ctx: &mut Context<Self>) {
        if let Some(entry) = self.outbox.iter_mut().find(|e| e.ticket == ticket) {
            entry.durable = true;
        }
        while self.outbox.front().is_some_and(|e| e.durable) {
            let Some(entry) = self.outbox.pop_front() else { break };
            self.deliver(entry.frames);
            if let Some(then) = entry.then {
                then(self, ctx);
            }
        }
        if self.outbox.is_empty() && !self.pending_snapshots.is_empty() {
            for join in std::mem::take(&mut self.pending_snapshots) {
                self.send_snapshot(&join);
            }
        }
    }

    fn deliver(&mut self, frames: Vec<(u64, ByteString)>) {
        let mut pushed = 0;
        for (seq, frame) in frames {
            self.subscribers.retain(|_, caller| caller.out.send(frame.clone()));
            self.dealers.retain(|_, out| out.send(frame.clone()));
            pushed += self.subscribers.len() + self.dealers.len();
            self.delivered_seq = seq;
            self.history.push_back((seq, frame));
            if self.history.len() > HISTORY_MAX {
                self.history.pop_front();
            }
        }
        crate::telemetry::events_pushed(pushed);
        if self.delivered_seq % PRUNE_EVERY == 0 {
            self.prune_history();
        }
    }

    /// Keeps the table's stream to `history_events_max` events: older ones are deleted in
    /// the background (resumes from before the window get a snapshot). Round records,
    /// shoes and the ledger are kept for audit.
    fn prune_history(&mut self) {
        let cutoff = self.delivered_seq.saturating_sub(self.limits.history_events_max);
        if cutoff <= self.pruned_below {
            return;
        }
        let mut batch = Batch::new();
        let range = table_key(self.id(), self.pruned_below)..table_key(self.id(), cutoff);
        for entry in self.journal.tree(Tree::Events).range(range).take(PRUNE_BATCH_MAX) {
            let Ok((key, _)) = entry else { break };
            batch.remove(Tree::Events, key.to_vec());
        }
        self.pruned_below = cutoff;
        // Nothing waits on this: a crash before it lands just leaves more history.
        if !batch.is_empty() && self.journal.submit(batch).is_err() {
            tracing::warn!(table = %self.config.id, "history pruning skipped: journal busy");
        }
    }

    /// Sends a private frame after everything emitted so far is delivered.
    fn send_after_pending(&mut self, out: Outbound, frame: ByteString) {
        match self.outbox.back_mut() {
            Some(entry) => {
                let previous = entry.then.take();
                entry.then = Some(Box::new(move |act, ctx| {
                    if let Some(previous) = previous {
                        previous(act, ctx);
                    }
                    out.send(frame);
                }));
            }
            None => {
                out.send(frame);
            }
        }
    }

    fn report_status(&self) {
        let (phase, round_id, closes_at) = match &self.live {
            Some(live) => (
                phase_name(live.round.phase()),
                Some(live.round.id()),
                Some(live.round.closes_at_us()),
            ),
            None if self.paused => ("paused", None, None),
            None => ("waiting", None, None),
        };
        let mut players: Vec<&PlayerId> = self.subscribers.values().map(|c| &c.player).collect();
        players.sort();
        players.dedup();
        self.lobby.do_send(TableStatus {
            id: self.config.id.clone(),
            phase,
            round_id,
            players: players.len(),
            closes_at: closes_at.filter(|_| phase == "betting"),
            recent: self.recent.iter().cloned().collect(),
        });
    }

    fn schedule(
        &mut self,
        ctx: &mut Context<Self>,
        after_ms: u64,
        step: fn(&mut TableActor, &mut Context<TableActor>),
    ) {
        self.timer.cancel(ctx);
        let generation = self.timer.generation;
        self.timer.handle = Some(ctx.run_later(Duration::from_millis(after_ms), move |act, ctx| {
            if act.timer.generation != generation {
                return;
            }
            act.timer.handle = None;
            step(act, ctx);
        }));
    }

    // ---- the round cycle ----

    fn open_round(&mut self, ctx: &mut Context<Self>) -> Result<(), CommandError> {
        if self.paused {
            return Err(RuleError::Paused.into());
        }
        if self.live.is_some() {
            return Err(RuleError::WrongPhase("a round is already running".into()).into());
        }
        let mut batch = Batch::new();
        let needs_shoe = self.config.game == Game::Roulette
            || match &self.shoe {
                None => true,
                Some(shoe) => shoe.cards.as_ref().is_some_and(Shoe::past_cut),
            };
        if self.is_auto() && needs_shoe {
            self.new_shoe(&mut batch)?;
        }
        let round_id = RoundId(self.journal.generate_id().map_err(|e| internal(&e))?);
        let opened_at_us = now_us();
        let closes_at_us = opened_at_us + (self.config.bet_window_ms as i64) * 1000;
        let rules = blackjack::Rules {
            dealer_hits_soft_17: self.config.dealer_hits_soft_17,
            ..Default::default()
        };
        let round = Round::open(round_id, self.config.game, closes_at_us, rules);
        let commit = self.shoe.as_ref().map(|s| s.commit.clone());
        let mut record = RoundRecord {
            v: records::RECORD_VERSION,
            round_id,
            table: self.config.id.clone(),
            game: self.config.game,
            status: RoundStatus::Open,
            opened_at_us,
            finished_at_us: None,
            shoe_nonce: self.shoe.as_ref().map(|s| s.nonce),
            shoe_start: None,
            commit: commit.clone(),
            cards: Vec::new(),
            pocket: None,
            outcome: None,
            bets: Vec::new(),
            void_reason: None,
            bet_chunks: None,
        };
        record.put(&mut batch, true);
        self.live = Some(LiveRound {
            round,
            opened_at: Instant::now(),
            opened_at_us,
            shoe_start: None,
            wallets: HashMap::new(),
            decision_in_flight: false,
            decision_deadline_us: None,
            extra_stakes: 0,
            settling: false,
        });
        self.odds_version = 0;
        let event = TableEvent::RoundOpen {
            round_id,
            closes_at: closes_at_us,
            commit,
            shoe: self.shoe.as_ref().map(|s| s.nonce),
            game: self.config.game,
        };
        self.emit(ctx, vec![event], batch, None);
        if self.is_auto() {
            self.schedule(ctx, self.config.bet_window_ms, |act, ctx| act.close_betting(ctx, None));
        }
        self.report_status();
        Ok(())
    }

    fn new_shoe(&mut self, batch: &mut Batch) -> Result<(), CommandError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| internal(&e))?;
        let seed = ServerSeed::from_bytes(bytes);
        let commit = fair::commit(&seed);
        self.shoe_nonce += 1;
        let nonce = self.shoe_nonce;
        let key = table_key(self.id(), nonce);
        batch.insert(Tree::Secrets, key.clone(), seed.to_hex().into_bytes());
        let record = ShoeRecord {
            v: records::RECORD_VERSION,
            table: self.config.id.clone(),
            nonce,
            game: self.config.game,
            decks: self.config.decks,
            commit: commit.clone(),
            client_seed: None,
            server_seed: None,
        };
        batch.insert(Tree::Shoes, key, records::encode(&record));
        self.shoe = Some(ShoeState {
            nonce,
            seed,
            commit,
            client_seeds: Vec::new(),
            cards: None,
            key: None,
        });
        if let Ok(full) = Composition::decks(self.config.decks) {
            self.unseen = full;
        }
        Ok(())
    }

    /// Closes betting once no stake is still being written; shuffles a fresh shoe.
    fn close_betting(&mut self, ctx: &mut Context<Self>, reply: Option<(Option<u64>, Outbound)>) {
        let Some(live) = self.live.as_mut() else {
            reply_error(reply, RuleError::WrongPhase("no round is open".into()).into());
            return;
        };
        if live.round.phase() != Phase::Betting {
            reply_error(reply, RuleError::WrongPhase("betting is not open".into()).into());
            return;
        }
        // Stop taking bets now, then wait for stakes already being written.
        let _ = live.round.apply(Command::StopBetting, now_us());
        if live.round.has_pending_bets() {
            ctx.run_later(PENDING_RETRY, move |act, ctx| act.close_betting(ctx, reply));
            return;
        }
        if let Err(error) = live.round.apply(Command::CloseBetting, now_us()) {
            reply_error(reply, error.into());
            return;
        }
        let round_id = live.round.id();
        let bets = live.round.bets().len();
        let mut batch = Batch::new();
        if let Some(shoe) = self.shoe.as_mut() {
            if shoe.key.is_none() {
                let client_seed = fair::combine_client_seeds(&shoe.client_seeds);
                let key = fair::shuffle_key(&shoe.seed, &client_seed, shoe.nonce);
                if self.config.game != Game::Roulette {
                    match fair::shuffled_shoe(self.config.decks, &key) {
                        Ok(cards) => shoe.cards = Some(Shoe::new(cards, self.config.cut_cards_from_end as usize)),
                        Err(error) => tracing::error!(table = %self.config.id, error = %error, "cannot build shoe"),
                    }
                }
                shoe.key = Some(key);
                let record = ShoeRecord {
                    v: records::RECORD_VERSION,
                    table: self.config.id.clone(),
                    nonce: shoe.nonce,
                    game: self.config.game,
                    decks: self.config.decks,
                    commit: shoe.commit.clone(),
                    client_seed: Some(client_seed),
                    server_seed: None,
                };
                batch.insert(
                    Tree::Shoes,
                    table_key(self.config.id.as_str(), shoe.nonce),
                    records::encode(&record),
                );
            }
            if let Some(live) = self.live.as_mut() {
                live.shoe_start = shoe.cards.as_ref().map(Shoe::position);
            }
        }
        // The bets as they stand at close, durable with `bets_closed`: what a restart needs
        // to deal the round on.
        let mut record = self.round_record(RoundStatus::Dealing);
        record.finished_at_us = None;
        record.put(&mut batch, true);
        self.emit(ctx, vec![TableEvent::BetsClosed { round_id, bets }], batch, None);
        if let Some((req, out)) = reply {
            let round_id = Some(round_id);
            self.send_after_pending(out, message::ack(req, Ack::Round { round_id }));
        }
        self.report_status();
        self.after_change(ctx);
    }

    /// Decides the next step after the round changed: deal on, ask for a decision, or finish.
    fn after_change(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_ref() else { return };
        if live.settling {
            return;
        }
        match live.round.phase() {
            Phase::Dealing if self.is_auto() => {
                let interval = match self.config.game {
                    Game::Roulette => self.config.card_interval_ms * 4,
                    _ => self.config.card_interval_ms,
                };
                self.schedule(ctx, interval, |act, ctx| act.auto_deal(ctx));
            }
            Phase::Deciding => self.ask_decision(ctx),
            Phase::Complete => self.finish_round(ctx),
            _ => {}
        }
    }

    fn auto_deal(&mut self, ctx: &mut Context<Self>) {
        if self.config.game == Game::Roulette {
            let Some(key) = self.shoe.as_ref().and_then(|s| s.key) else {
                return;
            };
            let pocket = fair::roulette_pocket(&key);
            if let Err(error) = self.land_ball(ctx, pocket) {
                tracing::error!(table = %self.config.id, error = %error.message, "auto spin failed");
            }
            return;
        }
        let card = self.shoe.as_mut().and_then(|s| s.cards.as_mut()).and_then(Shoe::draw);
        let Some(card) = card else {
            // Only a misconfigured cut card can empty a shoe mid-round: void rather than stall.
            self.void_round(ctx, "the shoe ran out of cards".into(), None);
            return;
        };
        if let Err(error) = self.deal_card(ctx, card, None) {
            tracing::error!(table = %self.config.id, error = %error.message, "auto deal failed");
        }
    }

    fn deal_card(&mut self, ctx: &mut Context<Self>, card: Card, position: Option<&str>) -> Result<(), CommandError> {
        let live = self.live.as_mut().ok_or(RuleError::NoCardExpected)?;
        let events = live.round.apply(
            Command::DealCard {
                card,
                position: position.map(Into::into),
            },
            now_us(),
        )?;
        let (to, _) = moved_card(&events).ok_or(RuleError::NoCardExpected)?;
        let round_id = live.round.id();
        let _ = self.unseen.remove(card.rank);
        // Where the committed shoe stands: lets a restart continue from the same card.
        let (shoe, shoe_pos) = match &self.shoe {
            Some(shoe) => (
                shoe.cards.as_ref().map(|_| shoe.nonce),
                shoe.cards.as_ref().map(Shoe::position),
            ),
            None => (None, None),
        };
        let mut events = vec![TableEvent::Card {
            round_id,
            to,
            card,
            shoe,
            shoe_pos,
        }];
        if let Some(odds) = self.live.as_ref().and_then(|l| l.round.odds(&self.unseen)) {
            self.odds_version += 1;
            events.push(TableEvent::Odds {
                round_id,
                version: self.odds_version,
                odds,
            });
        }
        self.emit(ctx, events, Batch::new(), None);
        self.after_change(ctx);
        Ok(())
    }

    fn land_ball(&mut self, ctx: &mut Context<Self>, pocket: u8) -> Result<(), CommandError> {
        let live = self.live.as_mut().ok_or(RuleError::NoCardExpected)?;
        live.round.apply(Command::LandBall { pocket }, now_us())?;
        let round_id = live.round.id();
        self.emit(ctx, vec![TableEvent::Ball { round_id, pocket }], Batch::new(), None);
        self.after_change(ctx);
        Ok(())
    }

    fn ask_decision(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        let Some((seat, hand)) = live.round.awaiting_decision() else {
            return;
        };
        let deadline = now_us() + self.config.decision_ms as i64 * 1000;
        live.decision_deadline_us = Some(deadline);
        let actions = legal_actions(&live.round);
        let round_id = live.round.id();
        let decision = TableEvent::Decision {
            round_id,
            seat,
            hand,
            deadline,
            actions,
        };
        self.emit(ctx, vec![decision], Batch::new(), None);
        self.schedule(ctx, self.config.decision_ms, move |act, ctx| act.decision_timeout(ctx));
        // Warnings before the hand is stood, so a player who reconnects mid-decision sees the
        // clock running out.
        for remaining_ms in COUNTDOWN_WARNINGS_MS
            .into_iter()
            .filter(|ms| *ms < self.config.decision_ms)
        {
            ctx.run_later(
                Duration::from_millis(self.config.decision_ms - remaining_ms),
                move |act, ctx| {
                    let Some(live) = act.live.as_ref() else { return };
                    if live.decision_deadline_us != Some(deadline)
                        || live.round.awaiting_decision() != Some((seat, hand))
                    {
                        return;
                    }
                    let event = TableEvent::Countdown {
                        round_id,
                        seat,
                        hand,
                        remaining_ms,
                    };
                    act.emit(ctx, vec![event], Batch::new(), None);
                },
            );
        }
    }

    fn decision_timeout(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        if live.decision_in_flight {
            // The player's double or split is being paid for; its outcome decides.
            ctx.run_later(PENDING_RETRY, |act, ctx| act.decision_timeout(ctx));
            return;
        }
        let Some((seat, hand)) = live.round.awaiting_decision() else {
            return;
        };
        let stand = Command::Act {
            seat,
            hand,
            action: blackjack::Action::Stand,
        };
        if live.round.apply(stand, now_us()).is_ok() {
            let round_id = live.round.id();
            let stood = TableEvent::Action {
                round_id,
                seat,
                hand,
                action: blackjack::Action::Stand.to_string(),
                auto: true,
            };
            self.emit(ctx, vec![stood], Batch::new(), None);
            self.after_change(ctx);
        }
    }

    /// Publishes the result, then (once durable) pays every winner, then tells each player.
    fn finish_round(&mut self, ctx: &mut Context<Self>) {
        let Some(live) = self.live.as_mut() else { return };
        if live.settling {
            return;
        }
        live.settling = true;
        self.timer.cancel(ctx);
        let settle_started = Instant::now();
        let payouts = match live.round.settle() {
            Ok(payouts) => payouts,
            Err(error) => {
                tracing::error!(table = %self.config.id, round = %live.round.id(), error = %error, "settlement failed; voiding");
                live.settling = false;
                self.void_round(ctx, "settlement failed".into(), None);
                return;
            }
        };
        let round_id = live.round.id();
        let outcome = live.round.outcome();
        let mut record = self.round_record(RoundStatus::Settling);
        let paid: HashMap<(&PlayerId, &BetId), Amount> =
            payouts.iter().map(|p| ((&p.player, &p.bet_id), p.payout)).collect();
        for bet in &mut record.bets {
            bet.payout = Some(paid.get(&(&bet.player, &bet.bet_id)).copied().unwrap_or(Amount::ZERO));
        }
        let Some(credits) = payout_credits(&record, now_us()) else {
            tracing::error!(table = %self.config.id, round = %round_id, "a player's payouts overflow; voiding");
            if let Some(live) = self.live.as_mut() {
                live.settling = false;
            }
            self.void_round(ctx, "settlement failed".into(), None);
            return;
        };
        let mut batch = Batch::new();
        record.put(&mut batch, true);
        self.push_recent(outcome.as_ref());
        self.emit(
            ctx,
            vec![TableEvent::Result { round_id, outcome }],
            batch,
            Some(Box::new(move |act, ctx| {
                act.pay_out(ctx, record, credits, payouts, settle_started)
            })),
        );
    }

    /// Sends each player one credit with their winnings (`payout_credits`).
    fn pay_out(
        &mut self,
        ctx: &mut Context<Self>,
        record: RoundRecord,
        credits: Vec<LedgerRecord>,
        payouts: Vec<crate::domain::round::Payout>,
        settle_started: Instant,
    ) {
        let Some(live) = self.live.as_ref() else { return };
        let round_id = record.round_id;
        let mut unpaid = 0;
        let credits: Vec<_> = credits
            .into_iter()
            .filter_map(|mut credit| {
                let Some((wallet, session)) = live.wallets.get(&credit.player) else {
                    unpaid += 1;
                    return None;
                };
                credit.session_id = Some(session.clone());
                Some(wallet.send(Credit(credit)))
            })
            .collect();
        let wallets: Vec<_> = live
            .wallets
            .iter()
            .map(|(player, (wallet, _))| (player.clone(), wallet.clone()))
            .collect();
        let game = self.game_label();
        let opened_at = live.opened_at;
        let work = async move {
            let results = futures_util::future::join_all(credits).await;
            // Asked only now: a wallet counts a credit once it is durable.
            let balances = wallets.into_iter().map(|(player, wallet)| async move {
                let balances = wallet.send(GetBalances).await.ok();
                (player, balances)
            });
            let balances = futures_util::future::join_all(balances).await;
            (results, balances)
        };
        ctx.spawn(work.into_actor(self).map(move |(results, balances), act, ctx| {
            let failed = unpaid + results.iter().filter(|r| !matches!(r, Ok(Ok(_)))).count();
            let mut batch = Batch::new();
            if failed > 0 {
                // Payouts are idempotent and recorded in the `settling` round record, which
                // stays so: recovery at the next start pays what is missing. Never pay
                // twice here.
                tracing::error!(table = %act.config.id, round = %round_id, failed, "payout credits failed; the next start finishes them");
            } else {
                let mut settled = record;
                settled.status = RoundStatus::Settled;
                settled.finished_at_us = Some(now_us());
                settled.put(&mut batch, false);
            }
            let balances: HashMap<PlayerId, _> = balances.into_iter().collect();
            act.submit(
                ctx,
                batch,
                Vec::new(),
                Some(Box::new(move |act, ctx| {
                    act.tell_settled(&payouts, &balances, round_id);
                    crate::telemetry::round_finished(game, opened_at.elapsed(), settle_started.elapsed());
                    act.end_round(ctx);
                })),
            );
        }));
    }

    fn tell_settled(
        &mut self,
        payouts: &[crate::domain::round::Payout],
        balances: &HashMap<PlayerId, Option<BTreeMap<crate::domain::money::Currency, Amount>>>,
        round_id: RoundId,
    ) {
        // A storm round holds thousands of bets: group them once, not once per subscriber.
        let mut by_player: HashMap<&PlayerId, (Vec<message::Paid>, i64)> = HashMap::new();
        for p in payouts {
            let (mine, won) = by_player.entry(&p.player).or_default();
            mine.push(message::Paid {
                bet_id: &p.bet_id,
                spot: &p.spot,
                amount: p.amount,
                payout: p.payout,
            });
            *won += p.payout.minor();
        }
        for caller in self.subscribers.values() {
            let Some(balance) = balances.get(&caller.player) else {
                continue;
            };
            let (mine, won) = by_player
                .get(&caller.player)
                .map_or((&[][..], 0), |(m, w)| (&m[..], *w));
            let amount = balance
                .as_ref()
                .and_then(|b| b.get(&caller.currency).copied())
                .unwrap_or_default();
            let settled = ServerMsg::Settled(message::Settled {
                table: &self.config.id,
                round_id,
                payouts: mine,
                won,
                balance: Money {
                    amount,
                    currency: caller.currency,
                },
            });
            caller.out.send(settled.encode());
        }
    }

    /// After settlement or void: reveal a finished shoe, then start the next round.
    fn end_round(&mut self, ctx: &mut Context<Self>) {
        self.live = None;
        if !self.stopping.is_empty() {
            self.stopped_for_shutdown();
        }
        let shoe_done = self.config.game == Game::Roulette
            || self
                .shoe
                .as_ref()
                .and_then(|s| s.cards.as_ref())
                .is_some_and(Shoe::past_cut);
        if shoe_done && self.is_auto() {
            self.reveal(ctx);
        }
        self.report_status();
        if self.is_auto() && !self.paused {
            self.schedule_open(ctx, self.config.result_pause_ms);
        }
    }

    fn schedule_open(&mut self, ctx: &mut Context<Self>, after_ms: u64) {
        self.schedule(ctx, after_ms, |act, ctx| {
            if let Err(error) = act.open_round(ctx) {
                if error.code != "table_paused" {
                    tracing::error!(table = %act.config.id, error = %error.message, "cannot open round");
                }
            }
        });
    }

    fn reveal(&mut self, ctx: &mut Context<Self>) {
        let Some(shoe) = self.shoe.take() else { return };
        let key = table_key(self.id(), shoe.nonce);
        let client_seed = fair::combine_client_seeds(&shoe.client_seeds);
        let record = ShoeRecord {
            v: records::RECORD_VERSION,
            table: self.config.id.clone(),
            nonce: shoe.nonce,
            game: self.config.game,
            decks: self.config.decks,
            commit: shoe.commit.clone(),
            client_seed: Some(client_seed.clone()),
            server_seed: Some(shoe.seed.to_hex()),
        };
        let mut batch = Batch::new();
        batch.insert(Tree::Shoes, key.clone(), records::encode(&record));
        batch.remove(Tree::Secrets, key);
        let event = TableEvent::Reveal {
            shoe: shoe.nonce,
            server_seed: shoe.seed.to_hex(),
            commit: shoe.commit,
            client_seed,
            decks: self.config.decks,
        };
        self.emit(ctx, vec![event], batch, None);
    }

    /// Voids the round: the void record is made durable first, then every stake refunded.
    fn void_round(&mut self, ctx: &mut Context<Self>, reason: String, reply: Option<(Option<u64>, Outbound)>) {
        let Some(live) = self.live.as_mut() else {
            reply_error(reply, RuleError::WrongPhase("no round to void".into()).into());
            return;
        };
        if live.settling {
            reply_error(
                reply,
                RuleError::WrongPhase("the round is already settling".into()).into(),
            );
            return;
        }
        if live.round.has_pending_bets() {
            let _ = live.round.apply(Command::StopBetting, now_us());
            ctx.run_later(PENDING_RETRY, move |act, ctx| act.void_round(ctx, reason, reply));
            return;
        }
        live.settling = true;
        let _ = live.round.apply(Command::Void, now_us());
        self.timer.cancel(ctx);
        // Cards dealt in a void round have been seen; the shoe moves on.
        let round_id = live.round.id();
        let mut record = self.round_record(RoundStatus::Void);
        record.void_reason = Some(reason.clone());
        let mut batch = Batch::new();
        record.put(&mut batch, true);
        self.emit(
            ctx,
            vec![TableEvent::RoundVoid { round_id, reason }],
            batch,
            Some(Box::new(move |act, ctx| act.refund_all(ctx, round_id))),
        );
        // After the void is durable and broadcast, never before.
        if let Some((req, out)) = reply {
            let round_id = Some(round_id);
            self.send_after_pending(out, message::ack(req, Ack::Round { round_id }));
        }
        self.report_status();
    }

    fn refund_all(&mut self, ctx: &mut Context<Self>, round_id: RoundId) {
        let Some(live) = self.live.as_ref() else { return };
        let ts = now_us();
        let mut refunds = Vec::new();
        let mut extras: HashMap<u8, u32> = HashMap::new();
        for bet in live.round.bets() {
            let Some((wallet, session)) = live.wallets.get(&bet.player) else {
                continue;
            };
            let stake = self.stake_record(
                bet,
                round_id,
                session,
                bet.amount,
                stake_txid(round_id, bet.bet_id.as_str()),
                ts,
            );
            refunds.push(wallet.send(Credit(refund_of(&stake, ts))));
            // Blackjack doubles and splits were separate stakes of the same seat.
            for (seat, extra) in live
                .round
                .extra_stakes()
                .iter()
                .filter(|(seat, _)| Some(*seat) == bet.seat)
            {
                let n = extras.entry(*seat).or_default();
                *n += 1;
                let txid = format!("{}/x{n}", stake_txid(round_id, bet.bet_id.as_str()));
                let stake = self.stake_record(bet, round_id, session, *extra, txid, ts);
                refunds.push(wallet.send(Credit(refund_of(&stake, ts))));
            }
        }
        ctx.spawn(futures_util::future::join_all(refunds).into_actor(self).map(move |results, act, ctx| {
            if results.iter().any(|r| !matches!(r, Ok(Ok(_)))) {
                tracing::error!(table = %act.config.id, round = %round_id, "refunds failed; recovery will finish them");
            }
            act.end_round(ctx);
        }));
    }

    fn stake_record(
        &self,
        bet: &Bet,
        round_id: RoundId,
        session: &str,
        amount: Amount,
        txid: String,
        ts: i64,
    ) -> LedgerRecord {
        LedgerRecord {
            v: records::RECORD_VERSION,
            txid,
            player: bet.player.clone(),
            currency: bet.currency,
            kind: TxKind::Stake,
            amount,
            table: Some(self.config.id.clone()),
            round_id: Some(round_id),
            bet_id: Some(bet.bet_id.clone()),
            spot: Some(bet.spot.name()),
            session_id: Some(session.to_owned()),
            ts_us: ts,
        }
    }

    fn round_record(&self, status: RoundStatus) -> RoundRecord {
        let live = self.live.as_ref().expect("round_record needs a live round");
        let round = &live.round;
        RoundRecord {
            v: records::RECORD_VERSION,
            round_id: round.id(),
            table: self.config.id.clone(),
            game: self.config.game,
            status,
            opened_at_us: live.opened_at_us,
            finished_at_us: Some(now_us()),
            shoe_nonce: self.shoe.as_ref().map(|s| s.nonce),
            shoe_start: live.shoe_start,
            commit: self.shoe.as_ref().map(|s| s.commit.clone()),
            cards: round
                .cards()
                .into_iter()
                .map(|(position, card)| CardRecord { position, card })
                .collect(),
            pocket: round.pocket(),
            outcome: round.outcome().and_then(|o| serde_json::to_value(o).ok()),
            bets: round
                .bets()
                .iter()
                .filter(|b| b.confirmed)
                .map(|b| BetRecord {
                    bet_id: b.bet_id.clone(),
                    player: b.player.clone(),
                    currency: b.currency,
                    spot: b.spot.name(),
                    amount: round.staked(b),
                    payout: None,
                    seat: b.seat,
                })
                .collect(),
            void_reason: None,
            bet_chunks: None,
        }
    }

    fn push_recent(&mut self, outcome: Option<&crate::domain::round::Outcome>) {
        let Some(outcome) = outcome else { return };
        let label = match serde_json::to_value(outcome).unwrap_or_default() {
            Value::Object(map) => {
                if let Some(pocket) = map.get("pocket") {
                    pocket.to_string()
                } else if let Some(winner) = map.get("winner").and_then(Value::as_str) {
                    road_letter(self.config.game, winner)
                } else if let Some(total) = map.get("dealer_total") {
                    total.to_string()
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        self.recent.push_front(label);
        self.recent.truncate(RECENT_MAX);
    }

    // ---- joins, snapshots, resumes ----

    fn send_snapshot(&self, join: &Join) {
        let caller = &join.caller;
        let phase = self.live.as_ref().map_or("waiting", |l| phase_name(l.round.phase()));
        let snapshot = message::Snapshot {
            table: self.config.id.clone(),
            seq: self.delivered_seq,
            epoch: self.epoch,
            ts: now_us(),
            game: self.config.game,
            name: self.config.name.clone(),
            paused: self.paused,
            phase,
            recent: self.recent.iter().cloned().collect(),
            limits: self.config.limits.get(&caller.currency).copied(),
            currency: caller.currency,
            commit: self.shoe.as_ref().map(|s| s.commit.clone()),
            shoe: self.shoe.as_ref().map(|s| s.nonce),
            round: self.live.as_ref().map(|live| self.round_view(live, &caller.player)),
        };
        caller.out.send(ServerMsg::Snapshot(Box::new(snapshot)).encode());
        let joined = Ack::Joined {
            table: &self.config.id,
            seq: self.delivered_seq,
            epoch: self.epoch,
            resumed: false,
        };
        caller.out.send(message::ack(join.req, joined));
    }

    /// The running round as `player` sees it in a snapshot.
    fn round_view(&self, live: &LiveRound, player: &PlayerId) -> message::RoundView {
        let round = &live.round;
        message::RoundView {
            round_id: round.id(),
            closes_at: round.closes_at_us(),
            cards: dealt(round),
            odds: round.odds(&self.unseen),
            outcome: round.outcome(),
            decision: round.awaiting_decision().map(|(seat, hand)| message::Decision {
                seat,
                hand,
                deadline: live.decision_deadline_us,
                actions: legal_actions(round),
            }),
            my_bets: round
                .bets()
                .iter()
                .filter(|b| &b.player == player && b.confirmed)
                .map(|b| message::MyBet {
                    bet_id: b.bet_id.clone(),
                    spot: b.spot.name(),
                    amount: round.staked(b),
                    seat: b.seat,
                })
                .collect(),
        }
    }

    /// Events after `last_seq`, from memory or the journal; `None` when a snapshot is needed.
    fn missed_since(&self, last_seq: u64) -> Option<Vec<ByteString>> {
        // A replay must fit the socket's queue with room for live events, or the client
        // would be closed as too slow; further behind than that gets a snapshot.
        let replay_max = REPLAY_MAX.min(self.limits.socket_queue_max as u64 / 2);
        if last_seq > self.delivered_seq || self.delivered_seq - last_seq > replay_max {
            return None;
        }
        if self.history.front().is_some_and(|(first, _)| *first <= last_seq + 1) {
            return Some(
                self.history
                    .iter()
                    .filter(|(seq, _)| *seq > last_seq)
                    .map(|(_, f)| f.clone())
                    .collect(),
            );
        }
        let from = table_key(self.id(), last_seq + 1);
        let to = table_key(self.id(), self.delivered_seq);
        let mut missed = Vec::new();
        for entry in self.journal.tree(Tree::Events).range(from..=to) {
            let (_, value) = entry.ok()?;
            missed.push(ByteString::try_from(value.to_vec()).ok()?);
        }
        (missed.len() as u64 == self.delivered_seq - last_seq).then_some(missed)
    }
}

fn internal(error: &dyn std::fmt::Display) -> CommandError {
    tracing::error!(error = %error, "internal error");
    CommandError::new("internal", "internal error")
}

fn reply_error(reply: Option<(Option<u64>, Outbound)>, error: CommandError) {
    if let Some((req, out)) = reply {
        out.send(message::error(req, &error));
    }
}

/// The cards of `round` and where each went.
fn dealt(round: &Round) -> Vec<message::Dealt> {
    round
        .cards()
        .into_iter()
        .map(|(to, card)| message::Dealt { to, card })
        .collect()
}

/// What the blackjack hand awaiting a decision may do.
fn legal_actions(round: &Round) -> Vec<String> {
    round.legal_actions().iter().map(ToString::to_string).collect()
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Betting => "betting",
        Phase::Dealing => "dealing",
        Phase::Deciding => "deciding",
        Phase::Complete => "result",
        Phase::Settled => "settled",
        Phase::Void => "void",
    }
}

impl Actor for TableActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.limits.mailbox_max);
        tracing::info!(table = %self.config.id, game = self.game_label(), seq = self.seq, "table started");
        let voids: Vec<TableEvent> = std::mem::take(&mut self.voided_at_start)
            .into_iter()
            .map(|round_id| TableEvent::RoundVoid {
                round_id,
                reason: "server restarted during the round".into(),
            })
            .collect();
        if !voids.is_empty() {
            self.emit(ctx, voids, Batch::new(), None);
        }
        if let Some((round, bank)) = self.interrupted.take() {
            self.take_up_interrupted(ctx, round, bank);
        } else if self.config.game == Game::Roulette && self.shoe.is_some() {
            // A roulette spin is one round: no round is using it, so its seed can be shown.
            self.reveal(ctx);
        }
        self.report_status();
        if self.is_auto() && self.live.is_none() {
            self.schedule_open(ctx, self.first_open_after_ms);
        }
    }
}

impl Handler<Join> for TableActor {
    type Result = ();

    fn handle(&mut self, join: Join, _: &mut Self::Context) {
        let conn = join.caller.out.conn;
        self.subscribers.insert(conn, join.caller.clone());
        self.report_status();
        let resumable = join.epoch.is_none_or(|epoch| epoch == self.epoch);
        if let (Some(last_seq), true) = (join.last_seq, resumable) {
            if let Some(missed) = self.missed_since(last_seq) {
                for frame in missed {
                    join.caller.out.send(frame);
                }
                let resumed = Ack::Joined {
                    table: &self.config.id,
                    seq: self.delivered_seq,
                    epoch: self.epoch,
                    resumed: true,
                };
                join.caller.out.send(message::ack(join.req, resumed));
                return;
            }
        }
        if self.outbox.is_empty() {
            self.send_snapshot(&join);
        } else {
            self.pending_snapshots.push(join);
        }
    }
}

/// Shutdown: take no new round, void the running one (refunding every bet), then reply.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown(pub tokio::sync::oneshot::Sender<()>);

impl Handler<Shutdown> for TableActor {
    type Result = ();

    fn handle(&mut self, Shutdown(done): Shutdown, ctx: &mut Self::Context) {
        self.paused = true;
        self.timer.cancel(ctx);
        self.stopping.push(done);
        match &self.live {
            None => self.stopped_for_shutdown(),
            Some(live) => {
                if !live.settling {
                    self.void_round(ctx, "server shutting down".into(), None);
                }
            }
        }
    }
}

impl TableActor {
    /// No round is left to finish: dealer consoles are told to come back later (after the
    /// frames already queued for them, the void included), and the shutdown goes on. Players
    /// are closed by the sessions actor, which knows every player connection.
    fn stopped_for_shutdown(&mut self) {
        for out in self.dealers.values() {
            out.close(close_code::GOING_AWAY);
        }
        for waiter in self.stopping.drain(..) {
            let _ = waiter.send(());
        }
    }
}

impl Handler<Leave> for TableActor {
    type Result = ();

    fn handle(&mut self, leave: Leave, _: &mut Self::Context) {
        self.subscribers.remove(&leave.conn);
        self.dealers.remove(&leave.conn);
        self.report_status();
    }
}

impl Handler<PlaceBet> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: PlaceBet, ctx: &mut Self::Context) {
        let PlaceBet {
            req,
            caller,
            round_id,
            spot,
            amount,
            bet_id,
        } = msg;
        let out = caller.out.clone();
        let refuse = |error: CommandError| {
            crate::telemetry::bet_rejected(error.code);
            out.send(message::error(req, &error));
        };
        if self.paused {
            return refuse(RuleError::Paused.into());
        }
        let Some(limits) = self.config.limits.get(&caller.currency).copied() else {
            return refuse(RuleError::WrongCurrency.into());
        };
        let spot = match Spot::parse(self.config.game, &spot) {
            Ok(spot) => spot,
            Err(error) => return refuse(error.into()),
        };
        let Some(live) = self.live.as_mut() else {
            return refuse(RuleError::BettingClosed.into());
        };
        let bet = Bet {
            bet_id: bet_id.clone(),
            player: caller.player.clone(),
            currency: caller.currency,
            spot: spot.clone(),
            amount: Amount(amount),
            seat: None,
            confirmed: false,
        };
        let rules = BetRules {
            stake_min: limits.stake_min,
            stake_max: limits.stake_max,
            bets_per_round_max: self.limits.bets_per_round_max,
            seats_max: self.config.seats_max,
        };
        if amount <= 0 {
            return refuse(RuleError::BadAmount.into());
        }
        match live
            .round
            .apply(Command::PlaceBet { round_id, bet, rules }, now_us())
            .map(|events| Placement::of(&events))
        {
            Ok(Placement::New) => {}
            Ok(Placement::Repeat { confirmed: true }) => {
                let repeated = Ack::BetRepeated {
                    bet_id: &bet_id,
                    round_id,
                    seat: live.round.seat_of(&caller.player),
                    repeat: true,
                };
                out.send(message::ack(req, repeated));
                return;
            }
            // The first attempt's ack is on its way; this request still gets an answer.
            Ok(Placement::Repeat { confirmed: false }) => {
                return refuse(CommandError::new(
                    "bet_pending",
                    "this bet is still being placed; its ack follows",
                ));
            }
            Err(error) => return refuse(error.into()),
        }
        live.wallets.insert(
            caller.player.clone(),
            (caller.wallet.clone(), caller.session_id.clone()),
        );
        let seat = live
            .round
            .seat_of(&caller.player)
            .filter(|_| spot == Spot::BlackjackMain);
        let placed = live.round.bets().last().cloned().expect("just placed");
        let stake = self.stake_record(
            &placed,
            round_id,
            &caller.session_id,
            Amount(amount),
            stake_txid(round_id, bet_id.as_str()),
            now_us(),
        );
        let game = self.game_label();
        self.debit(ctx, &caller.wallet, stake, round_id, move |act, ctx, result| {
            let Some(live) = act.live.as_mut() else { return };
            match result {
                Ok(balance) => {
                    let _ = live.round.apply(
                        Command::ConfirmBet {
                            player: caller.player.clone(),
                            bet_id: bet_id.clone(),
                        },
                        now_us(),
                    );
                    crate::telemetry::bet_accepted(game);
                    let placed = Ack::BetPlaced {
                        bet_id: &bet_id,
                        round_id,
                        seat,
                        balance: Money {
                            amount: balance,
                            currency: caller.currency,
                        },
                    };
                    out.send(message::ack(req, placed));
                    act.tell_dealers_bets_soon(ctx);
                }
                Err(mut error) => {
                    let _ = live.round.apply(
                        Command::DropBet {
                            player: caller.player.clone(),
                            bet_id: bet_id.clone(),
                        },
                        now_us(),
                    );
                    // A bet_id reused from another round is, to the player, a duplicate bet.
                    if error.code == WalletError::DuplicateTransaction.code() {
                        error.code = "duplicate_bet";
                    }
                    crate::telemetry::bet_rejected(error.code);
                    out.send(message::error(req, &error));
                }
            }
        });
    }
}

impl TableActor {
    /// Debits `stake` from a player's wallet, then hands `then` the balance after it or the
    /// refusal, as long as round `round_id` is still the live one (an answer for a round that
    /// has ended is dropped, as each caller did before).
    fn debit(
        &mut self,
        ctx: &mut Context<Self>,
        wallet: &Addr<WalletActor>,
        stake: LedgerRecord,
        round_id: RoundId,
        then: impl FnOnce(&mut Self, &mut Context<Self>, Result<Amount, CommandError>) + 'static,
    ) {
        ctx.spawn(wallet.send(Debit(stake)).into_actor(self).map(move |result, act, ctx| {
            if act.live.as_ref().is_none_or(|l| l.round.id() != round_id) {
                return;
            }
            let result = match result {
                Ok(Ok(balance)) => Ok(balance),
                Ok(Err(error)) => Err(CommandError::new(error.code(), error.to_string())),
                Err(_) => Err(CommandError::new("busy", "the wallet is busy; retry")),
            };
            then(act, ctx, result)
        }));
    }

    /// Coalesces the dealers' bet totals: one push per `DEALER_BETS_EVERY` however many
    /// bets arrive, since each push sums the whole round.
    fn tell_dealers_bets_soon(&mut self, ctx: &mut Context<Self>) {
        if self.dealers.is_empty() || self.dealer_bets_due {
            return;
        }
        self.dealer_bets_due = true;
        ctx.run_later(DEALER_BETS_EVERY, |act, _| {
            act.dealer_bets_due = false;
            act.tell_dealers_bets();
        });
    }

    /// Dealer consoles see the round's bets and exposure per currency.
    fn tell_dealers_bets(&mut self) {
        if self.dealers.is_empty() {
            return;
        }
        let Some(live) = &self.live else { return };
        let mut exposure: BTreeMap<crate::domain::money::Currency, message::Exposure> = BTreeMap::new();
        let mut count = 0;
        for bet in live.round.bets().iter().filter(|b| b.confirmed) {
            let entry = exposure.entry(bet.currency).or_default();
            let staked = live.round.staked(bet).minor();
            entry.staked += staked;
            entry.max_return += bet.spot.max_return(bet.amount).map_or(0, |a| a.minor());
            *entry.spots.entry(bet.spot.name()).or_default() += staked;
            count += 1;
        }
        let body = ServerMsg::Bets(message::Bets {
            table: self.config.id.clone(),
            round_id: live.round.id(),
            count,
            exposure,
        })
        .encode();
        self.dealers.retain(|_, out| out.send(body.clone()));
    }
}

impl Handler<Act> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: Act, ctx: &mut Self::Context) {
        let Act {
            req,
            caller,
            round_id,
            hand,
            action,
        } = msg;
        let out = caller.out.clone();
        let refuse = |error: CommandError| {
            out.send(message::error(req, &error));
        };
        let action: blackjack::Action = match action.parse() {
            Ok(action) => action,
            Err(error) => return refuse(CommandError::from(error)),
        };
        let Some(live) = self.live.as_mut() else {
            return refuse(RuleError::NotYourTurn.into());
        };
        if live.round.id() != round_id {
            return refuse(RuleError::WrongRound.into());
        }
        if live.decision_in_flight {
            return refuse(CommandError::new("busy", "a decision is already being applied"));
        }
        let Some(seat) = live.round.seat_of(&caller.player) else {
            return refuse(RuleError::NotYourTurn.into());
        };
        let extra = match live.round.extra_stake(seat, hand, action) {
            Ok(extra) => extra,
            Err(error) => return refuse(error.into()),
        };
        if !extra.is_positive() {
            return self.apply_action(ctx, req, out, seat, hand, action);
        }
        let Some(bet) = live.round.player_at_seat(seat).cloned() else {
            return refuse(RuleError::NotYourTurn.into());
        };
        live.extra_stakes += 1;
        live.decision_in_flight = true;
        let txid = format!("{}/x{}", stake_txid(round_id, bet.bet_id.as_str()), live.extra_stakes);
        let stake = self.stake_record(&bet, round_id, &caller.session_id, extra, txid, now_us());
        self.debit(ctx, &caller.wallet, stake, round_id, move |act, ctx, result| {
            let Some(live) = act.live.as_mut() else { return };
            live.decision_in_flight = false;
            match result {
                Ok(_) => act.apply_action(ctx, req, out, seat, hand, action),
                Err(error) => {
                    live.extra_stakes -= 1;
                    out.send(message::error(req, &error));
                }
            }
        });
    }
}

impl TableActor {
    fn apply_action(
        &mut self,
        ctx: &mut Context<Self>,
        req: Option<u64>,
        out: Outbound,
        seat: u8,
        hand: u8,
        action: blackjack::Action,
    ) {
        let Some(live) = self.live.as_mut() else { return };
        if let Err(error) = live.round.apply(Command::Act { seat, hand, action }, now_us()) {
            out.send(message::error(req, &error.into()));
            return;
        }
        let round_id = live.round.id();
        self.timer.cancel(ctx);
        let acted = TableEvent::Action {
            round_id,
            seat,
            hand,
            action: action.to_string(),
            auto: false,
        };
        self.emit(ctx, vec![acted], Batch::new(), None);
        let action = action.to_string();
        self.send_after_pending(out, message::ack(req, Ack::Acted { round_id, action }));
        self.after_change(ctx);
    }
}

impl Handler<ClientSeed> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: ClientSeed, _: &mut Self::Context) {
        let out = &msg.caller.out;
        if let Err(error) = fair::validate_client_seed(&msg.seed) {
            out.send(message::error(
                msg.req,
                &CommandError::new("bad_request", error.to_string()),
            ));
            return;
        }
        let betting = self.live.as_ref().is_some_and(|l| l.round.phase() == Phase::Betting);
        match self.shoe.as_mut() {
            Some(shoe) if betting && shoe.key.is_none() => {
                if shoe.client_seeds.len() >= 64 {
                    out.send(message::error(
                        msg.req,
                        &CommandError::new("rate_limited", "this shoe has enough client seeds"),
                    ));
                    return;
                }
                shoe.client_seeds.push(msg.seed);
                out.send(message::ack(msg.req, Ack::SeedTaken { shoe: shoe.nonce }));
            }
            _ => {
                out.send(message::error(
                    msg.req,
                    &CommandError::new(
                        "betting_closed",
                        "client seeds are taken while a new shoe's first round is betting",
                    ),
                ));
            }
        }
    }
}

impl Handler<DealerCommand> for TableActor {
    type Result = ();

    fn handle(&mut self, msg: DealerCommand, ctx: &mut Self::Context) {
        let DealerCommand { req, out, command } = msg;
        let frame = match command {
            DealerAction::Attach => self.attach_console(req, &out),
            DealerAction::Detach => {
                self.dealers.remove(&out.conn);
                return;
            }
            DealerAction::OpenRound => self.console_open_round(ctx, req),
            DealerAction::CloseBetting => return self.close_betting(ctx, Some((req, out))),
            DealerAction::Deal { card, position } => self.console_deal(ctx, req, &card, position.as_deref()),
            DealerAction::Spin { pocket } => self.console_spin(ctx, req, pocket),
            DealerAction::Undo => self.console_undo(ctx, req),
            DealerAction::Burn { card } => self.console_burn(ctx, req, &card),
            DealerAction::ChangeShoe => self.console_change_shoe(ctx, req),
            DealerAction::Void { reason } => return self.void_round(ctx, reason, Some((req, out))),
            DealerAction::Pause => self.console_pause(ctx, req),
            DealerAction::Resume => self.console_resume(ctx, req),
        };
        // A console's answer follows the events its command caused, once they are durable.
        self.send_after_pending(out, frame);
    }
}

/// A console command's answer frame.
fn answer(req: Option<u64>, result: Result<Ack<'_>, CommandError>) -> ByteString {
    match result {
        Ok(body) => message::ack(req, body),
        Err(error) => message::error(req, &error),
    }
}

/// Dealer console commands, one function each; each returns the command's answer.
impl TableActor {
    fn round_id(&self) -> Option<RoundId> {
        self.live.as_ref().map(|l| l.round.id())
    }

    fn next_position(&self) -> Option<String> {
        self.live.as_ref().and_then(|l| l.round.next_position())
    }

    /// Sends the console its view of the table and the round's bets.
    fn attach_console(&mut self, req: Option<u64>, out: &Outbound) -> ByteString {
        self.dealers.insert(out.conn, out.clone());
        let live = self.live.as_ref();
        let paused_or_waiting = if self.paused { "paused" } else { "waiting" };
        let console = message::Console {
            table: self.config.id.clone(),
            game: self.config.game,
            dealer: self.config.dealer,
            paused: self.paused,
            seq: self.delivered_seq,
            round_id: self.round_id(),
            closes_at: live.map(|l| l.round.closes_at_us()),
            phase: live.map_or(paused_or_waiting, |l| phase_name(l.round.phase())),
            next_position: self.next_position(),
            cards: live.map(|l| dealt(&l.round)),
        };
        out.send(ServerMsg::Console(console).encode());
        self.tell_dealers_bets();
        answer(req, Ok(Ack::Table { table: &self.config.id }))
    }

    fn console_open_round(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let result = self.open_round(ctx).map(|()| Ack::Round {
            round_id: self.round_id(),
        });
        answer(req, result)
    }

    fn console_deal(
        &mut self,
        ctx: &mut Context<Self>,
        req: Option<u64>,
        card: &str,
        position: Option<&str>,
    ) -> ByteString {
        let round_id = self.round_id();
        let result = card
            .parse::<Card>()
            .map_err(|e| CommandError::from(RuleError::from(e)))
            .and_then(|card| self.deal_card(ctx, card, position))
            .map(|()| Ack::Dealt {
                round_id,
                next_position: self.next_position(),
            });
        answer(req, result)
    }

    fn console_spin(&mut self, ctx: &mut Context<Self>, req: Option<u64>, pocket: u8) -> ByteString {
        let round_id = self.round_id();
        let result = self.land_ball(ctx, pocket).map(|()| Ack::Round { round_id });
        answer(req, result)
    }

    /// Takes back the last card: it returns to the unseen cards and to the shoe.
    fn console_undo(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let round_id = self.round_id();
        let undone = match self.live.as_mut() {
            Some(live) if !live.settling => (live.round.apply(Command::UndoCard, now_us()))
                .and_then(|events| moved_card(&events).ok_or(RuleError::NothingToUndo))
                .map_err(CommandError::from),
            _ => Err(RuleError::NothingToUndo.into()),
        };
        let (position, card) = match undone {
            Ok(undone) => undone,
            Err(error) => return answer(req, Err(error)),
        };
        let mut counts = *self.unseen.counts();
        counts[card.rank.index()] += 1;
        self.unseen = Composition::from_counts(counts);
        if let Some(cards) = self.shoe.as_mut().and_then(|s| s.cards.as_mut()) {
            cards.undraw();
        }
        let event = TableEvent::CardUndone {
            round_id,
            position,
            card,
        };
        self.emit(ctx, vec![event], Batch::new(), None);
        let next_position = self.next_position();
        answer(
            req,
            Ok(Ack::Dealt {
                round_id,
                next_position,
            }),
        )
    }

    fn console_burn(&mut self, ctx: &mut Context<Self>, req: Option<u64>, card: &str) -> ByteString {
        let card = match card.parse::<Card>() {
            Ok(card) => card,
            Err(error) => return answer(req, Err(RuleError::from(error).into())),
        };
        let _ = self.unseen.remove(card.rank);
        let round_id = self.round_id();
        self.emit(ctx, vec![TableEvent::Burn { round_id }], Batch::new(), None);
        answer(req, Ok(Ack::Done {}))
    }

    /// Between rounds: a full new shoe (on auto tables the old one is revealed first).
    fn console_change_shoe(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        if self.live.is_some() {
            let error = RuleError::WrongPhase("change the shoe between rounds".into());
            return answer(req, Err(error.into()));
        }
        if let Ok(full) = Composition::decks(self.config.decks) {
            self.unseen = full;
        }
        if self.shoe.is_some() && self.is_auto() {
            self.reveal(ctx);
        }
        let decks = self.config.decks;
        self.emit(ctx, vec![TableEvent::ShoeChanged { decks }], Batch::new(), None);
        answer(req, Ok(Ack::Done {}))
    }

    fn console_pause(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        self.paused = true;
        self.emit(ctx, vec![TableEvent::Paused], Batch::new(), None);
        self.report_status();
        answer(req, Ok(Ack::Paused { paused: true }))
    }

    fn console_resume(&mut self, ctx: &mut Context<Self>, req: Option<u64>) -> ByteString {
        let was_paused = std::mem::replace(&mut self.paused, false);
        self.emit(ctx, vec![TableEvent::Resumed], Batch::new(), None);
        if was_paused && self.is_auto() && self.live.is_none() {
            let _ = self.open_round(ctx);
        }
        self.report_status();
        answer(req, Ok(Ack::Paused { paused: false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_road_letter_names_one_result() {
        let letters = |game, winners: &[&str]| winners.iter().map(|w| road_letter(game, w)).collect::<Vec<_>>();
        assert_eq!(letters(Game::Baccarat, &["banker", "player", "tie"]), ["B", "P", "T"]);
        assert_eq!(letters(Game::DragonTiger, &["dragon", "tiger", "tie"]), ["D", "T", "="]);
    }
}
