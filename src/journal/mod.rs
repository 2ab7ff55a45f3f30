//! The sled journal: the durable truth of every round, bet, payout and table event.
//!
//! Writers hand a [`Batch`] to [`Journal::submit`]; one writer thread applies every batch
//! waiting in its queue, flushes sled, then `fdatasync`s sled's data file (sled's own flush
//! uses `sync_file_range`, which does not flush the device cache, sled#1452), and only then
//! completes each batch's [`Durable`]. That is group commit: one fsync per group, not per bet.
//! Callers acknowledge or broadcast nothing before their `Durable` resolves.
//!
//! Only actors (and the offline `replay`) use this module.

pub mod events;
pub mod records;
pub mod replay;
pub mod txid;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::oneshot;

/// The sled trees, one per kind of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// Table event streams: `table_id 0x00 seq(u64 BE)` → [`events::EventRecord`] (older
    /// journals: the event's wire frame, still read).
    Events,
    /// Money movements: `txid` → [`records::LedgerRecord`]. The txid makes replays harmless.
    Ledger,
    /// Round records: `round_id(u64 BE)` → [`records::RoundRecord`] (without its bets).
    Rounds,
    /// A round's bets: `round_id(u64 BE) chunk(u32 BE)` → up to
    /// [`records::BETS_PER_CHUNK`] [`records::BetRecord`]s.
    RoundBets,
    /// Shoes: `table_id 0x00 nonce(u64 BE)` → [`records::ShoeRecord`] (seed only once revealed).
    Shoes,
    /// Unrevealed server seeds: same key as `Shoes`. Never served, never logged.
    Secrets,
    /// Per-table state kept across restarts: `table_id` → [`records::TableRecord`].
    Tables,
}

const TREES: [(Tree, &str); 7] = [
    (Tree::Events, "events"),
    (Tree::Ledger, "ledger"),
    (Tree::Rounds, "rounds"),
    (Tree::RoundBets, "round_bets"),
    (Tree::Shoes, "shoes"),
    (Tree::Secrets, "secrets"),
    (Tree::Tables, "tables"),
];

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the journal queue is full")]
    Busy,
    #[error("the journal writer has stopped")]
    Stopped,
    #[error("corrupt record in {tree}: {message}")]
    Corrupt { tree: &'static str, message: String },
}

/// Writes that become durable together.
#[derive(Default, Debug)]
pub struct Batch {
    ops: Vec<(Tree, Vec<u8>, Option<Vec<u8>>)>,
    /// A record that must not exist yet; if it does, nothing of the batch is written.
    new: Option<(Tree, Vec<u8>, Vec<u8>)>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    pub fn insert(&mut self, tree: Tree, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((tree, key.into(), Some(value.into())));
    }

    pub fn remove(&mut self, tree: Tree, key: impl Into<Vec<u8>>) {
        self.ops.push((tree, key.into(), None));
    }

    /// A batch of one record written only if its key is new: the check and the write are
    /// one step of the writer, so an idempotency check costs no separate read.
    pub fn insert_new(tree: Tree, key: Vec<u8>, value: Vec<u8>) -> Batch {
        Batch {
            ops: Vec::new(),
            new: Some((tree, key, value)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.new.is_none()
    }
}

/// What the group commit did with a batch, once durable.
#[derive(Debug)]
pub enum Committed {
    Written,
    /// The [`Batch::insert_new`] key was taken (by a durable record): nothing was written.
    Exists(sled::IVec),
}

/// Resolves once the batch is durable on disk.
pub type Durable = oneshot::Receiver<Result<Committed, Arc<JournalError>>>;

struct Pending {
    batch: Batch,
    done: oneshot::Sender<Result<Committed, Arc<JournalError>>>,
}

struct Inner {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    queue: SyncSender<Pending>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    /// The last handle gone: the writer drains, syncs and ends before this returns, so the
    /// database is closed (and its lock released) when a `Journal` is dropped.
    fn drop(&mut self) {
        let (closed, _) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.queue, closed));
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// A handle to the journal; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

/// Batches one group commit may hold; bounds the latency of the group's first writer.
const GROUP_BATCHES_MAX: usize = 8192;

impl Journal {
    /// Opens (or creates) the journal in `dir` and starts its writer thread.
    ///
    /// `queue_max` bounds batches waiting for a group commit: past it, `submit` answers
    /// [`JournalError::Busy`] and the caller refuses the request (players see `busy`).
    ///
    /// # Errors
    /// sled cannot open the directory, or the data file cannot be opened for syncing.
    pub fn open(dir: &Path, cache_capacity_bytes: u64, queue_max: usize) -> Result<Journal, JournalError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity_bytes)
            .mode(sled::Mode::HighThroughput)
            // Durability is ours: nothing is acknowledged before our own flush + fdatasync.
            .flush_every_ms(None)
            .open()?;
        let trees = TREES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        let data_file = File::open(dir.join("db"))?;
        let (queue, receiver) = mpsc::sync_channel(queue_max.max(1));
        let writer = Writer {
            db: db.clone(),
            trees: trees.clone(),
            blobs: Blobs::new(dir.join("blobs")),
        };
        let writer = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer.run(receiver, data_file))?;
        Ok(Journal {
            inner: Arc::new(Inner {
                db,
                trees,
                queue,
                writer: Some(writer),
            }),
        })
    }

    pub fn tree(&self, tree: Tree) -> &sled::Tree {
        &self.inner.trees[tree as usize]
    }

    /// Queues a batch for the next group commit without waiting.
    ///
    /// # Errors
    /// [`JournalError::Busy`] when the queue is full, [`JournalError::Stopped`] after shutdown.
    pub fn submit(&self, batch: Batch) -> Result<Durable, JournalError> {
        let (done, durable) = oneshot::channel();
        match self.inner.queue.try_send(Pending { batch, done }) {
            Ok(()) => Ok(durable),
            Err(TrySendError::Full(_)) => Err(JournalError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(JournalError::Stopped),
        }
    }

    /// Queues a batch, waiting for room when the queue is full. For table events, which
    /// must never be dropped (their seq would leave a gap); the writer drains independently
    /// of actix, so this cannot deadlock.
    ///
    /// # Errors
    /// [`JournalError::Stopped`] after shutdown.
    pub fn submit_waiting(&self, batch: Batch) -> Result<Durable, JournalError> {
        let (done, durable) = oneshot::channel();
        self.inner
            .queue
            .send(Pending { batch, done })
            .map_err(|_| JournalError::Stopped)?;
        Ok(durable)
    }

    /// Submits and waits until durable.
    ///
    /// # Errors
    /// As [`Journal::submit`], or the group's flush failed.
    pub async fn commit(&self, batch: Batch) -> Result<(), JournalError> {
        wait(self.submit(batch)?).await.map(|_| ())
    }

    /// A server-wide unique, increasing id (round ids); sled persists its high-water mark.
    ///
    /// # Errors
    /// sled failure.
    pub fn generate_id(&self) -> Result<u64, JournalError> {
        Ok(self.inner.db.generate_id()? + 1)
    }

    pub fn size_on_disk(&self) -> u64 {
        self.inner.db.size_on_disk().unwrap_or(0)
    }
}

/// Waits for a submitted batch.
///
/// # Errors
/// The group's flush failed or the writer stopped.
pub async fn wait(durable: Durable) -> Result<Committed, JournalError> {
    match durable.await {
        Ok(Ok(committed)) => Ok(committed),
        Ok(Err(error)) => Err(JournalError::Io(std::io::Error::other(error.to_string()))),
        Err(_) => Err(JournalError::Stopped),
    }
}

struct Writer {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    blobs: Blobs,
}

/// sled stores an item too big for a log segment's quarter (over 128 KiB with the default
/// 512 KiB segments) in a file of its own under `blobs/`, and never syncs those files
/// (sled#1077): a power cut could leave the log pointing at a blob that never reached the
/// disk. Our records stay far smaller (a round's bets are chunked), so this is a safety net:
/// the writer syncs every blob file it has not synced yet (and the directory, for their
/// entries) before each group's flush.
struct Blobs {
    dir: PathBuf,
    synced: HashSet<OsString>,
    /// The directory's mtime at the last listing, and when that listing was taken.
    listed: Option<(SystemTime, SystemTime)>,
    listings: u64,
}

/// A blob's creation moves the directory's mtime, but only at the file system's clock
/// granularity (a few ms): a listing taken longer than this after the mtime it saw has seen
/// every file that mtime stands for.
const MTIME_SLACK: Duration = Duration::from_millis(50);

impl Blobs {
    fn new(dir: PathBuf) -> Blobs {
        Blobs {
            dir,
            synced: HashSet::new(),
            listed: None,
            listings: 0,
        }
    }

    fn sync_new(&mut self) -> std::io::Result<()> {
        // One `stat` per group instead of listing the directory (which was 9% of the
        // writer's CPU at 800 groups a second, with nothing to find).
        let modified = match std::fs::metadata(&self.dir) {
            Ok(meta) => meta.modified()?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        if let Some((seen, listed_at)) = self.listed {
            if seen == modified && listed_at.duration_since(seen).is_ok_and(|after| after > MTIME_SLACK) {
                return Ok(());
            }
        }
        let listed_at = SystemTime::now();
        self.listings += 1;
        let mut present = HashSet::with_capacity(self.synced.len());
        let mut new = false;
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            if !self.synced.contains(&name) {
                match File::open(self.dir.join(&name)) {
                    Ok(file) => file.sync_data()?,
                    // Collected by sled since it was listed.
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error),
                }
                new = true;
            }
            present.insert(name);
        }
        if new {
            File::open(&self.dir)?.sync_all()?;
        }
        // Forget blobs sled has collected.
        self.synced = present;
        self.listed = Some((modified, listed_at));
        Ok(())
    }
}

impl Writer {
    fn run(mut self, receiver: Receiver<Pending>, data_file: File) {
        let mut group: Vec<Pending> = Vec::with_capacity(256);
        while let Ok(first) = receiver.recv() {
            group.push(first);
            while group.len() < GROUP_BATCHES_MAX {
                match receiver.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            let started = Instant::now();
            let result = self.write_group(&group, &data_file);
            crate::telemetry::journal_flushed(started.elapsed(), group.len());
            let committed = match result {
                Ok(committed) => committed,
                Err(error) => {
                    // Fail-stop: after a failed fsync the page cache may not match the disk
                    // (fsyncgate); carrying on could acknowledge money that is not durable.
                    tracing::error!(error = %error, "journal flush failed; stopping the process");
                    std::process::abort();
                }
            };
            for (pending, committed) in group.drain(..).zip(committed) {
                let _ = pending.done.send(Ok(committed));
            }
        }
        // Every handle is gone: make what was written durable before the thread ends.
        let _ = self.blobs.sync_new();
        let _ = self.db.flush().map(|_| data_file.sync_data());
    }

    fn write_group(&mut self, group: &[Pending], data_file: &File) -> Result<Vec<Committed>, JournalError> {
        let mut committed = Vec::with_capacity(group.len());
        for pending in group {
            if let Some((tree, key, value)) = &pending.batch.new {
                let tree = &self.trees[*tree as usize];
                if let Err(taken) = tree.compare_and_swap(key.as_slice(), None::<&[u8]>, Some(value.as_slice()))? {
                    let existing = taken.current.expect("compare_and_swap from None fails only on a value");
                    committed.push(Committed::Exists(existing));
                    continue;
                }
            }
            committed.push(Committed::Written);
            for (tree, key, value) in &pending.batch.ops {
                let tree = &self.trees[*tree as usize];
                match value {
                    Some(value) => tree.insert(key.as_slice(), value.as_slice())?,
                    None => tree.remove(key.as_slice())?,
                };
            }
        }
        self.blobs.sync_new()?;
        self.db.flush()?;
        data_file.sync_data()?;
        Ok(committed)
    }
}

/// `table_id 0x00 n(u64 BE)`: per-table keys that sort by `n`.
pub fn table_key(table: &str, n: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(table.len() + 9);
    key.extend_from_slice(table.as_bytes());
    key.push(0);
    key.extend_from_slice(&n.to_be_bytes());
    key
}

/// The prefix of every [`table_key`] of `table`.
pub fn table_prefix(table: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(table.len() + 1);
    key.extend_from_slice(table.as_bytes());
    key.push(0);
    key
}

/// The `n` of a [`table_key`].
pub fn table_key_n(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// Where a journal lives inside the data dir.
pub fn journal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("journal")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: every blob file sled creates is synced before the next flush, while a
    /// directory with nothing new costs one `stat`, not a listing.
    #[test]
    fn new_blob_files_are_synced_and_an_unchanged_directory_is_not_listed_again() {
        let dir = tempfile::tempdir().unwrap();
        let blobs_dir = dir.path().join("blobs");
        let mut blobs = Blobs::new(blobs_dir.clone());
        blobs.sync_new().unwrap();
        assert_eq!(blobs.listings, 0, "no directory yet: nothing to do");

        std::fs::create_dir(&blobs_dir).unwrap();
        std::fs::write(blobs_dir.join("1"), b"page").unwrap();
        blobs.sync_new().unwrap();
        assert!(blobs.synced.contains(&OsString::from("1")));
        blobs.sync_new().unwrap();
        assert_eq!(
            blobs.listings, 2,
            "listed again: a blob could hide in the same mtime tick"
        );

        let past = SystemTime::now() - Duration::from_secs(1);
        File::open(&blobs_dir).unwrap().set_modified(past).unwrap();
        blobs.sync_new().unwrap();
        blobs.sync_new().unwrap();
        blobs.sync_new().unwrap();
        assert_eq!(blobs.listings, 3, "an unchanged directory is not listed again");

        std::fs::write(blobs_dir.join("2"), b"page").unwrap();
        blobs.sync_new().unwrap();
        assert_eq!(blobs.listings, 4);
        assert!(blobs.synced.contains(&OsString::from("2")));
    }
}
