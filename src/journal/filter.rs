//! Which ledger keys may exist: a Bloom filter over every (player, txid) in the ledger.
//!
//! A wallet must look a txid up in the ledger before applying it (idempotency), and nearly
//! every txid it sees is new: that look-up is a sled read per bet and per payout. The filter
//! answers "certainly not in the ledger" without touching sled; a "maybe" falls back to the
//! ledger. It never forgets a key, so it can be wrong only in the safe direction.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bit positions set per key.
const PROBES: u64 = 6;
/// Bits per key planned for: about 0.1% false "maybe" at that load.
const BITS_PER_KEY: usize = 16;
/// Keys planned for beyond those present at start (written until the next start).
const HEADROOM_KEYS: usize = 1_000_000;

pub struct LedgerFilter {
    words: Box<[AtomicU64]>,
    /// Number of bits minus one (a power of two minus one).
    mask: u64,
}

/// A key's two hashes, from which its bit positions follow for any filter size.
#[derive(Clone, Copy)]
pub struct KeyHash(u64, u64);

impl KeyHash {
    pub fn of(key: &[u8]) -> KeyHash {
        let hash = |salt: u64| {
            let mut hasher = BuildHasherDefault::<DefaultHasher>::default().build_hasher();
            hasher.write_u64(salt);
            hasher.write(key);
            hasher.finish()
        };
        KeyHash(hash(0), hash(1) | 1)
    }
}

impl LedgerFilter {
    /// A filter holding `keys`, sized for them plus the headroom.
    pub fn with(keys: &[KeyHash]) -> LedgerFilter {
        let bits = ((keys.len() + HEADROOM_KEYS) * BITS_PER_KEY)
            .next_power_of_two()
            .max(64);
        let filter = LedgerFilter {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits as u64 - 1,
        };
        for key in keys {
            filter.insert_hash(*key);
        }
        filter
    }

    pub fn insert(&self, key: &[u8]) {
        self.insert_hash(KeyHash::of(key));
    }

    fn insert_hash(&self, key: KeyHash) {
        for bit in self.bits(key) {
            self.words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
    }

    /// False only if `key` was never inserted.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.bits(KeyHash::of(key))
            .all(|bit| self.words[(bit / 64) as usize].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0)
    }

    /// Double hashing (Kirsch–Mitzenmacher): probe i is h1 + i·h2.
    fn bits(&self, KeyHash(h1, h2): KeyHash) -> impl Iterator<Item = u64> + '_ {
        (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & self.mask)
    }
}

impl Default for LedgerFilter {
    fn default() -> Self {
        LedgerFilter::with(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inserted_key_is_found_and_most_others_are_not() {
        let filter = LedgerFilter::default();
        let keys: Vec<Vec<u8>> = (0..50_000)
            .map(|i| format!("player-{i}/stake-{i}").into_bytes())
            .collect();
        for key in &keys {
            filter.insert(key);
        }
        assert!(keys.iter().all(|k| filter.may_contain(k)), "an inserted key was missed");
        let false_maybes = (0..50_000)
            .filter(|i| filter.may_contain(format!("player-{i}/payout-{i}").as_bytes()))
            .count();
        assert!(false_maybes < 50, "{false_maybes} of 50,000 new keys answered maybe");
    }
}
