//! `TableActor`: one live table. Owns its round, its shoe, its timers and its event stream.
//!
//! Message → domain call → journal → fan-out. Every table event gets the next gap-free `seq`,
//! is serialised once, journaled, and delivered to every subscriber only after its group
//! commit is durable (the outbox keeps delivery in seq order whatever order commits are
//! reported in). Money moves only through wallets, and only after the round record that
//! explains it is durable, so a crash at any instant leaves something `replay` can finish.
//!
//! One concern per file: this one holds the actor, its state and its start; [`stream`] the
//! event stream (seq, outbox, history, snapshots, resumes); [`cycle`] the round cycle and
//! its timers; [`players`] bets, actions and client seeds; [`money`] debits, payouts,
//! refunds and voids; [`shoe`] commit, shuffle and reveal; [`recovery`] rounds a crash
//! interrupted; [`console`] dealer commands and shutdown.

mod console;
mod cycle;
mod money;
mod players;
mod recovery;
mod shoe;
mod stream;

pub use console::Shutdown;
use shoe::ShoeState;
use stream::{stream_epoch, OutboxEntry};

use crate::actors::lobby::LobbyActor;
use crate::actors::messages::{Caller, Join};
use crate::actors::outbound::{ConnId, Outbound};
use crate::actors::wallet::{BankActor, WalletActor};
use crate::config::{DealerMode, Limits, TableConfig};
use crate::domain::cards::Composition;
use crate::domain::ids::{PlayerId, RoundId};
use crate::domain::round::{Game, Phase, Round};
use crate::journal::records::RoundRecord;
use crate::journal::{self, table_prefix, Batch, Journal, Tree};
use crate::wire::event::TableEvent;
use crate::wire::message::{self};
use crate::wire::CommandError;
use actix::prelude::*;
use bytestring::ByteString;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// Who asked for a round change: a dealer console's request, answered when it is done.
type Reply = Option<(Option<u64>, Outbound)>;

/// A change that waits for the round's pending stakes: it runs when the last of their
/// debits is answered (every debit is: its journal write, or a refusal), never by polling.
enum AfterPending {
    Close(Reply),
    Void(String, Reply),
}

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

struct LiveRound {
    round: Round,
    opened_at: Instant,
    opened_at_us: i64,
    shoe_start: Option<usize>,
    /// Wallet and session of every player with a bet, for settlement.
    wallets: HashMap<PlayerId, (Addr<WalletActor>, String)>,
    /// Blackjack: a decision whose extra stake is being debited; the timer must not stand it.
    decision_in_flight: bool,
    /// Blackjack: the decision's time ran out while its double or split was being paid
    /// for. If the payment is refused, the hand stands then; if it goes through, the
    /// action stands and the next decision gets its own clock.
    timed_out_in_flight: bool,
    /// A close of betting or a void waiting for the pending stakes (at most one).
    after_pending: Option<AfterPending>,
    decision_deadline_us: Option<i64>,
    extra_stakes: u32,
    settling: bool,
}

impl LiveRound {
    /// A round taking its first steps at this table (`extra_stakes`: blackjack doubles and
    /// splits already paid for, when a restart takes a round up).
    fn new(round: Round, opened_at_us: i64, shoe_start: Option<usize>, extra_stakes: u32) -> LiveRound {
        LiveRound {
            round,
            opened_at: Instant::now(),
            opened_at_us,
            shoe_start,
            wallets: HashMap::new(),
            decision_in_flight: false,
            timed_out_in_flight: false,
            after_pending: None,
            decision_deadline_us: None,
            extra_stakes,
            settling: false,
        }
    }
}

pub struct TableActor {
    config: TableConfig,
    /// Where every event, round and shoe record goes; its submit queue is bounded
    /// (`journal_queue_max`): when full, the table stops rather than lose a write.
    journal: Journal,
    /// Receives a `TableStatus` on every phase change; `do_send` never blocks the table.
    lobby: Addr<LobbyActor>,
    limits: Limits,
    /// The stream's identity (a resume from another epoch gets a snapshot).
    epoch: u64,
    /// Last seq assigned (durable or not).
    seq: u64,
    /// Last seq delivered to subscribers (durable).
    delivered_seq: u64,
    /// The last `HISTORY_MAX` delivered frames, for resumes without reading the journal;
    /// the oldest is dropped when it is full.
    history: VecDeque<(u64, ByteString)>,
    /// Joined connections. Each has a bounded outbound queue (`socket_queue_max`): a send
    /// to a full one closes that connection as too slow (4008) and drops it from here.
    /// Bounded by the connections that can join (`connections_max`, each at most
    /// `tables_per_connection_max` tables).
    subscribers: HashMap<ConnId, Caller>,
    /// Dealer consoles watching the table; a closed one is dropped at the next send.
    dealers: HashMap<ConnId, Outbound>,
    /// Joins that need a snapshot wait here until every assigned event is durable, so a
    /// snapshot never shows state a crash could still take back.
    pending_snapshots: Vec<Join>,
    /// Emitted events waiting for their group commit, in seq order; bounded by the
    /// journal's queue (`journal_queue_max`), past which nothing more is emitted.
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
    /// The latest results for the lobby's road, at most `RECENT_MAX`.
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
    /// Shutdown callers waiting for the current round to be voided and refunded (one per
    /// shutdown request; answered, then dropped, when no round is left).
    stopping: Vec<tokio::sync::oneshot::Sender<()>>,
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
}

impl Timer {
    fn cancel(&mut self, ctx: &mut Context<TableActor>) {
        self.generation += 1;
        if let Some(handle) = self.handle.take() {
            ctx.cancel_future(handle);
        }
    }
}

fn internal(error: &dyn std::fmt::Display) -> CommandError {
    tracing::error!(error = %error, "internal error");
    CommandError::new("internal", "internal error")
}

fn reply_error(reply: Reply, error: CommandError) {
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
