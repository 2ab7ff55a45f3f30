//! The table's event stream: every event gets the next gap-free `seq`, is encoded once,
//! journaled as a typed record, and delivered to every subscriber only after its group
//! commit is durable (the outbox keeps delivery in seq order whatever order commits are
//! reported in). Also joins: snapshots, resumes from memory or the journal, leaving.

use actix::prelude::*;
use bytestring::ByteString;

use crate::actors::messages::{Join, Leave};
use crate::actors::outbound::Outbound;
use crate::clock::now_us;
use crate::domain::ids::PlayerId;
use crate::journal::events::{self, EventRecord, StoredEvent};
use crate::journal::records;
use crate::journal::{self, table_key, Batch, Journal, Tree};
use crate::wire::event::{EventFrame, TableEvent};
use crate::wire::message::{self, Ack, ServerMsg};

use super::*;

/// Events kept in memory for resuming clients; older resumes read the journal.
pub(super) const HISTORY_MAX: usize = 2048;

/// Resumes further back than this get a snapshot instead of a replay.
pub(super) const REPLAY_MAX: u64 = 10_000;

/// Every this many events the table prunes its history beyond `history_events_max`.
pub(super) const PRUNE_EVERY: u64 = 1024;

/// Most events one pruning pass deletes (it catches up over later passes).
pub(super) const PRUNE_BATCH_MAX: usize = 8 * 1024;

/// What becomes visible once one journal batch is durable.
pub(super) struct OutboxEntry {
    pub(super) ticket: u64,
    pub(super) durable: bool,
    pub(super) frames: Vec<(u64, ByteString)>,
    pub(super) then: Option<Then>,
}

impl TableActor {
    /// Assigns seqs to `events`, journals them with `batch`, and delivers them (then runs
    /// `then`) once durable. Each event is encoded once, for the journal and every subscriber.
    pub(super) fn emit(
        &mut self,
        ctx: &mut Context<Self>,
        events: Vec<TableEvent>,
        mut batch: Batch,
        then: Option<Then>,
    ) {
        let ts = now_us();
        let mut frames = Vec::with_capacity(events.len());
        for event in events {
            self.seq += 1;
            let text = EventFrame {
                event: &event,
                table: &self.config.id,
                seq: self.seq,
                epoch: self.epoch,
                ts,
            }
            .encode();
            let record = EventRecord::new(ts, StoredEvent::from(event));
            batch.insert(Tree::Events, table_key(self.id(), self.seq), events::encode(&record));
            frames.push((self.seq, text));
        }
        self.submit(ctx, batch, frames, then);
    }

    pub(super) fn submit(
        &mut self,
        ctx: &mut Context<Self>,
        batch: Batch,
        frames: Vec<(u64, ByteString)>,
        then: Option<Then>,
    ) {
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

    pub(super) fn mark_durable(&mut self, ticket: u64, ctx: &mut Context<Self>) {
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

    pub(super) fn deliver(&mut self, frames: Vec<(u64, ByteString)>) {
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
    pub(super) fn prune_history(&mut self) {
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
    pub(super) fn send_after_pending(&mut self, out: Outbound, frame: ByteString) {
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

    pub(super) fn send_snapshot(&self, join: &Join) {
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
    pub(super) fn round_view(&self, live: &LiveRound, player: &PlayerId) -> message::RoundView {
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
    pub(super) fn missed_since(&self, last_seq: u64) -> Option<Vec<ByteString>> {
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
            let (key, value) = entry.ok()?;
            let seq = journal::table_key_n(&key)?;
            match events::decode(&value) {
                // An event of an older journal goes out as it was sent then.
                Ok(events::Read::Frame(_, frame)) => missed.push(ByteString::try_from(frame).ok()?),
                Ok(events::Read::Record(record)) => missed.push(self.frame_of(seq, record)),
                Err(error) => {
                    tracing::error!(table = %self.config.id, seq, error = %error, "unreadable event; the client gets a snapshot");
                    return None;
                }
            }
        }
        (missed.len() as u64 == self.delivered_seq - last_seq).then_some(missed)
    }

    /// The wire frame of a stored event at `seq` of this table's stream.
    pub(super) fn frame_of(&self, seq: u64, record: EventRecord) -> ByteString {
        EventFrame {
            event: &TableEvent::from(record.event),
            table: &self.config.id,
            seq,
            epoch: self.epoch,
            ts: record.ts,
        }
        .encode()
    }
}

/// The table stream's epoch: drawn at random when the journal first holds the table and kept
/// with it, so a stream rebuilt from nothing (a wiped data dir) never matches an old one and a
/// client's resume cannot silently skip. A u32, so every client language reads it exactly.
pub(super) fn stream_epoch(journal: &Journal, table: &str) -> Result<u64, journal::JournalError> {
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

/// The journal's record of an event, and the event again from its record. The two enums
/// have the same variants and fields today; when one of them changes, this is where the
/// other learns of it.
macro_rules! convert_events {
    ($($variant:ident $({ $($field:ident),* })?),* $(,)?) => {
        impl From<TableEvent> for StoredEvent {
            fn from(event: TableEvent) -> StoredEvent {
                match event {
                    $(TableEvent::$variant $({ $($field),* })? => StoredEvent::$variant $({ $($field),* })?,)*
                }
            }
        }

        impl From<StoredEvent> for TableEvent {
            fn from(event: StoredEvent) -> TableEvent {
                match event {
                    $(StoredEvent::$variant $({ $($field),* })? => TableEvent::$variant $({ $($field),* })?,)*
                }
            }
        }
    };
}

convert_events! {
    RoundOpen { round_id, closes_at, commit, shoe, game },
    BetsClosed { round_id, bets },
    Card { round_id, to, card, shoe, shoe_pos },
    Odds { round_id, version, odds },
    Ball { round_id, pocket },
    Decision { round_id, seat, hand, deadline, actions },
    Countdown { round_id, seat, hand, remaining_ms },
    Action { round_id, seat, hand, action, auto },
    Result { round_id, outcome },
    Reveal { shoe, server_seed, commit, client_seed, decks },
    RoundVoid { round_id, reason },
    CardUndone { round_id, position, card },
    Burn { round_id },
    ShoeChanged { decks },
    Paused,
    Resumed,
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

impl Handler<Leave> for TableActor {
    type Result = ();

    fn handle(&mut self, leave: Leave, _: &mut Self::Context) {
        self.subscribers.remove(&leave.conn);
        self.dealers.remove(&leave.conn);
        self.report_status();
    }
}
