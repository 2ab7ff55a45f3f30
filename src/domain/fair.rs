//! Provably fair shoes and spins: the server-seed commitment, the shuffle key, the ChaCha20
//! word stream, rejection sampling, the Fisher–Yates shoe and the roulette pocket.
//!
//! Every byte this module consumes is specified in `docs/fairness.md`, and the test vectors
//! there are asserted below: a shoe dealt years ago must still verify, so nothing here may
//! depend on a `rand` version's `gen_range` or `shuffle`, and any change to the output of
//! these functions is a breaking change to a published contract. Pure: this module never
//! draws a seed itself (the caller hands it one from the OS) and never logs a seed.

use std::fmt;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::domain::cards::{Card, CardError, DECKS_MAX};

/// Bytes in a server seed (and in a shuffle key).
pub const SEED_BYTES: usize = 32;

/// Longest client seed, in characters (each one byte: printable ASCII only).
pub const CLIENT_SEED_CHARS_MAX: usize = 64;

/// What joins players' client seeds, in the order they were accepted. It can never occur
/// inside a valid client seed, so the combined text names its parts unambiguously.
pub const CLIENT_SEED_SEPARATOR: &str = "\n";

/// Pockets on a single-zero wheel (0 to 36).
const ROULETTE_POCKETS: u32 = 37;

/// Bad seed text. Messages never echo the text: a server seed pasted in the wrong place
/// may be a secret, and a client seed is a player's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FairError {
    #[error("a server seed is 64 hexadecimal digits, got {got} characters")]
    ServerSeedLength { got: usize },
    #[error("a server seed is 64 hexadecimal digits (0-9, a-f), got another character")]
    ServerSeedHex,
    #[error("a client seed needs at least one character")]
    ClientSeedEmpty,
    #[error("a client seed has at most {max} characters, got {got}")]
    ClientSeedTooLong { got: usize, max: usize },
    #[error("a client seed is printable ASCII without spaces (0x21-0x7E); character {position} is not")]
    ClientSeedCharacter { position: usize },
}

/// The server's secret for one shoe (one spin for roulette). It is published only as
/// [`commit`] until the shoe ends, so its `Debug` never shows the bytes: a stray `{:?}` in
/// a log line must not leak a live shoe.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSeed([u8; SEED_BYTES]);

impl ServerSeed {
    /// Wraps 32 bytes the caller drew from the operating system's RNG.
    pub fn from_bytes(bytes: [u8; SEED_BYTES]) -> ServerSeed {
        ServerSeed(bytes)
    }

    /// Parses exactly 64 hexadecimal digits (either case), as revealed.
    ///
    /// # Errors
    /// [`FairError::ServerSeedLength`] unless the text is 64 characters long,
    /// [`FairError::ServerSeedHex`] when one of them is not a hexadecimal digit.
    pub fn from_hex(text: &str) -> Result<ServerSeed, FairError> {
        let got = text.chars().count();
        if got != SEED_BYTES * 2 || text.len() != got {
            return Err(FairError::ServerSeedLength { got });
        }
        let mut bytes = [0u8; SEED_BYTES];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| FairError::ServerSeedHex)?;
        Ok(ServerSeed(bytes))
    }

    /// The 64 lower-case hexadecimal digits that are revealed when the shoe ends.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; SEED_BYTES] {
        &self.0
    }
}

impl fmt::Debug for ServerSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSeed(..)")
    }
}

/// The public commitment to a server seed: lower-case hex of `sha256(seed bytes)`.
/// Published before the first bet, so the seed cannot be chosen after seeing the bets.
pub fn commit(seed: &ServerSeed) -> String {
    hex::encode(Sha256::digest(seed.0))
}

/// True when `seed` is the one `commitment` committed to (hex compared case-insensitively,
/// since a third party may paste either case).
pub fn matches_commit(seed: &ServerSeed, commitment: &str) -> bool {
    commit(seed).eq_ignore_ascii_case(commitment.trim())
}

/// The ChaCha20 key of one shoe or spin:
/// `sha256(server_seed (32 raw bytes) || client_seed (its UTF-8 bytes) || nonce (8 bytes, big-endian))`.
///
/// No length prefix is needed: the seed and the nonce have fixed lengths, so the client
/// seed is whatever lies between them.
pub fn shuffle_key(server_seed: &ServerSeed, client_seed: &str, nonce: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(server_seed.0);
    hasher.update(client_seed.as_bytes());
    hasher.update(nonce.to_be_bytes());
    hasher.finalize().into()
}

/// Checks one player's contribution: 1 to 64 printable ASCII characters other than space
/// (bytes 0x21 to 0x7E), so it survives any transport unchanged and can never contain the
/// separator [`combine_client_seeds`] puts between seeds.
///
/// # Errors
/// [`FairError::ClientSeedEmpty`], [`FairError::ClientSeedTooLong`] or
/// [`FairError::ClientSeedCharacter`] (1-based position of the first bad character).
pub fn validate_client_seed(seed: &str) -> Result<(), FairError> {
    let got = seed.chars().count();
    if got == 0 {
        return Err(FairError::ClientSeedEmpty);
    }
    if got > CLIENT_SEED_CHARS_MAX {
        return Err(FairError::ClientSeedTooLong {
            got,
            max: CLIENT_SEED_CHARS_MAX,
        });
    }
    match seed.chars().position(|c| !('\x21'..='\x7e').contains(&c)) {
        Some(index) => Err(FairError::ClientSeedCharacter { position: index + 1 }),
        None => Ok(()),
    }
}

/// The client seed a shoe is shuffled with: the accepted contributions in order of
/// acceptance joined by `"\n"`; no contribution gives `""`.
///
/// Callers pass only seeds that passed [`validate_client_seed`]; otherwise two different
/// lists could combine to the same text.
pub fn combine_client_seeds(seeds: &[String]) -> String {
    seeds.join(CLIENT_SEED_SEPARATOR)
}

/// The ChaCha20 word stream a shuffle key opens: the original ChaCha20 (20 rounds) with the
/// key as its 256-bit key, a 64-bit block counter starting at 0 and a 64-bit nonce of 0,
/// read as consecutive little-endian 32-bit words of the keystream (block 0 words 0..16,
/// then block 1, …). `docs/fairness.md` describes it for third parties and a test below
/// checks it against an independent block function.
pub struct KeyStream {
    rng: ChaCha20Rng,
}

impl KeyStream {
    pub fn new(key: &[u8; 32]) -> KeyStream {
        // rand_chacha's `from_seed` is exactly "key = seed, counter = 0, stream = 0"; we
        // only ever read `next_u32`, which returns keystream words in order.
        KeyStream {
            rng: ChaCha20Rng::from_seed(*key),
        }
    }

    /// The next little-endian word of the keystream.
    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
}

impl fmt::Debug for KeyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The state is the key, which predicts the shoe: keep it out of logs too.
        f.write_str("KeyStream(..)")
    }
}

/// An unbiased integer in `0..bound`, by rejection: draw a word `x`; accept it when
/// `x < bound * floor(2^32 / bound)` and return `x % bound`; otherwise discard it and draw
/// again. Accepted words are uniform over a whole number of copies of `0..bound`, so every
/// result is equally likely, and at most half of the draws are rejected.
///
/// A bound of 0 has no value below it: it returns 0 and draws nothing (this module never
/// passes 0).
pub fn uniform_below(stream: &mut KeyStream, bound: u32) -> u32 {
    uniform_below_with(|| stream.next_u32(), bound)
}

fn uniform_below_with(mut next_word: impl FnMut() -> u32, bound: u32) -> u32 {
    if bound == 0 {
        return 0;
    }
    let bound = u64::from(bound);
    // In 64 bits so that bound = 1 (zone = 2^32) and large bounds need no special case.
    let zone = (1u64 << 32) / bound * bound;
    loop {
        let word = u64::from(next_word());
        if word < zone {
            // word % bound < bound <= u32::MAX, so the cast is lossless.
            return (word % bound) as u32;
        }
    }
}

/// The order of a shoe of `decks` decks for a shuffle key. Starts from the canonical order
/// (deck 0's cards by [`Card::from_index`] 0..52, then deck 1, …) and runs Fisher–Yates
/// from the last position down: for `i` from `n - 1` down to 1, `j = uniform_below(i + 1)`,
/// swap positions `i` and `j`. Cards are dealt from index 0 upward.
///
/// # Errors
/// [`CardError::BadDeckCount`] for zero decks or more than [`DECKS_MAX`].
pub fn shuffled_shoe(decks: u32, key: &[u8; 32]) -> Result<Vec<Card>, CardError> {
    if decks == 0 || decks > DECKS_MAX {
        return Err(CardError::BadDeckCount {
            got: decks,
            max: DECKS_MAX,
        });
    }
    let mut cards: Vec<Card> = (0..decks)
        .flat_map(|_| (0..52u8).filter_map(Card::from_index))
        .collect();
    let mut stream = KeyStream::new(key);
    for i in (1..cards.len()).rev() {
        // i < 52 * DECKS_MAX, far inside u32.
        let j = uniform_below(&mut stream, (i + 1) as u32) as usize;
        cards.swap(i, j);
    }
    Ok(cards)
}

/// The whole derivation for one shoe: `shuffled_shoe(decks, shuffle_key(seed, client_seed, nonce))`.
///
/// # Errors
/// As [`shuffled_shoe`].
pub fn shoe_for(server_seed: &ServerSeed, client_seed: &str, nonce: u64, decks: u32) -> Result<Vec<Card>, CardError> {
    shuffled_shoe(decks, &shuffle_key(server_seed, client_seed, nonce))
}

/// The pocket (0 to 36, the number itself, not a position on the wheel) a spin's key
/// selects: `uniform_below(37)` on a fresh stream.
pub fn roulette_pocket(key: &[u8; 32]) -> u8 {
    // uniform_below(37) < 37, so the cast is lossless.
    uniform_below(&mut KeyStream::new(key), ROULETTE_POCKETS) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cards::parse_cards;

    fn seed(text: &str) -> ServerSeed {
        ServerSeed::from_hex(text).unwrap()
    }

    fn counting_seed() -> ServerSeed {
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = index as u8;
        }
        ServerSeed::from_bytes(bytes)
    }

    // ---- Published test vectors: the same ones docs/fairness.md lists and
    // docs/verify_shoe.py checks. If one of these fails, old shoes no longer verify. ----

    struct ShoeVector {
        server_seed: &'static str,
        client_seed: &'static str,
        nonce: u64,
        decks: u32,
        commit: &'static str,
        key: &'static str,
        first_cards: &'static str,
        /// sha256 of the whole order written as card names joined by single spaces.
        order_sha256: &'static str,
    }

    const SHOE_VECTORS: [ShoeVector; 3] = [
        ShoeVector {
            server_seed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            client_seed: "",
            nonce: 0,
            decks: 1,
            commit: "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
            key: "a9d6e500293a88bd38cbe213d07ab71f8cb2258552072a01bdf1c40be527f4d0",
            first_cards: "2d 7d 8s 5c 3d 9d Tc 6s Js Jh",
            order_sha256: "35fed2cc4a475ce13603f2a1544c6693fb3111825b19b8bb2e20b71894debba9",
        },
        ShoeVector {
            server_seed: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            client_seed: "alice-42\nBob_seed!",
            nonce: 1,
            decks: 8,
            commit: "954d5a49fd70d9b8bcdb35d252267829957f7ef7fa6c74f88419bdc5e82209f4",
            key: "aa6edd2147c17105f0afdbe9839bd7c540b06c26125c2d5b32f74e5322341e2c",
            first_cards: "Kd 2d 6h Ad 8h Jc 5h 9s Th 6d",
            order_sha256: "aa3413cf5cd40c82522634e2e5825a6fb6a5c4b9f3a558fcbc84ca9bdbd6176c",
        },
        ShoeVector {
            server_seed: "FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100",
            client_seed: "lucky7",
            nonce: 18_446_744_073_709_551_615,
            decks: 6,
            commit: "5df404c22ba4e956e7ef06b6499f07ee62894450c25c928a7f5db26f6ea499a4",
            key: "825dbcd33fea37d681b993f5d44b2619103b116c7fd277d8fc550728dac74778",
            first_cards: "3h 9d Ad Ad 4c 8h 6c 2h 5d Kc",
            order_sha256: "ca432d4634067ae210ce358df6142439df2d582cda4959422009b4b003d1c5a1",
        },
    ];

    struct SpinVector {
        server_seed: &'static str,
        client_seed: &'static str,
        nonce: u64,
        pocket: u8,
    }

    const SPIN_VECTORS: [SpinVector; 3] = [
        SpinVector {
            server_seed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            client_seed: "",
            nonce: 0,
            pocket: 19,
        },
        SpinVector {
            server_seed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            client_seed: "",
            nonce: 1,
            pocket: 24,
        },
        SpinVector {
            server_seed: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            client_seed: "alice-42\nBob_seed!",
            nonce: 7_001,
            pocket: 31,
        },
    ];

    fn order_text(cards: &[Card]) -> String {
        cards.iter().map(Card::to_string).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn published_shoe_vectors_still_hold() {
        for v in &SHOE_VECTORS {
            let server_seed = seed(v.server_seed);
            assert_eq!(commit(&server_seed), v.commit);
            assert!(matches_commit(&server_seed, &v.commit.to_ascii_uppercase()));
            let key = shuffle_key(&server_seed, v.client_seed, v.nonce);
            assert_eq!(hex::encode(key), v.key);
            let cards = shuffled_shoe(v.decks, &key).unwrap();
            assert_eq!(cards.len(), 52 * v.decks as usize);
            assert_eq!(cards[..10].to_vec(), parse_cards(v.first_cards).unwrap());
            assert_eq!(hex::encode(Sha256::digest(order_text(&cards))), v.order_sha256);
            assert_eq!(shoe_for(&server_seed, v.client_seed, v.nonce, v.decks).unwrap(), cards);
        }
    }

    #[test]
    fn published_spin_vectors_still_hold() {
        for v in &SPIN_VECTORS {
            let key = shuffle_key(&seed(v.server_seed), v.client_seed, v.nonce);
            assert_eq!(roulette_pocket(&key), v.pocket, "nonce {}", v.nonce);
        }
    }

    #[test]
    fn the_docs_publish_these_vectors_and_the_script_they_embed() {
        let doc = include_str!("../../docs/fairness.md");
        let script = include_str!("../../docs/verify_shoe.py");
        assert!(
            doc.contains(script.trim_end()),
            "docs/fairness.md must embed docs/verify_shoe.py verbatim"
        );
        for v in &SHOE_VECTORS {
            for text in [v.server_seed, v.commit, v.key, v.first_cards, v.order_sha256] {
                assert!(
                    doc.contains(text) && script.contains(text),
                    "{text} missing from the docs"
                );
            }
        }
        for v in &SPIN_VECTORS {
            let row = format!(
                "{}  {:<22}  {:>5}  {:>6}",
                v.server_seed,
                format!("{:?}", v.client_seed).replace('"', "'"),
                v.nonce,
                v.pocket
            );
            assert!(doc.contains(&row), "spin row missing from the docs: {row}");
        }
    }

    // ---- The stream is the ChaCha20 keystream we document, word for word. ----

    /// A ChaCha20 block written from the specification (RFC 7539 section 2.3), independent
    /// of rand_chacha: `words_12_to_15` is the counter-and-nonce part of the state.
    fn chacha20_block(key: &[u8; 32], words_12_to_15: [u32; 4]) -> [u32; 16] {
        fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(16);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(12);
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(8);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(7);
        }
        let mut initial = [0u32; 16];
        initial[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        for (index, chunk) in key.chunks_exact(4).enumerate() {
            initial[4 + index] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        initial[12..].copy_from_slice(&words_12_to_15);
        let mut state = initial;
        for _ in 0..10 {
            quarter(&mut state, 0, 4, 8, 12);
            quarter(&mut state, 1, 5, 9, 13);
            quarter(&mut state, 2, 6, 10, 14);
            quarter(&mut state, 3, 7, 11, 15);
            quarter(&mut state, 0, 5, 10, 15);
            quarter(&mut state, 1, 6, 11, 12);
            quarter(&mut state, 2, 7, 8, 13);
            quarter(&mut state, 3, 4, 9, 14);
        }
        for (word, start) in state.iter_mut().zip(initial) {
            *word = word.wrapping_add(start);
        }
        state
    }

    fn le_words(bytes: &[u8]) -> Vec<u32> {
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn reference_block_function_matches_rfc_7539() {
        // RFC 7539 section 2.3.2: key 00..1f, nonce 00000009 0000004a 00000000, counter 1.
        let key = *counting_seed().as_bytes();
        let block = chacha20_block(&key, [1, 0x0900_0000, 0x4a00_0000, 0]);
        let expected = hex::decode(concat!(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e",
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
        ))
        .unwrap();
        assert_eq!(block.to_vec(), le_words(&expected));
    }

    #[test]
    fn key_stream_is_chacha20_counter_from_zero_nonce_zero() {
        // RFC 7539 appendix A.1 test vector #1: all-zero key, counter 0, nonce 0.
        let zero_key_block_0 = hex::decode(concat!(
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7",
            "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
        ))
        .unwrap();
        let mut stream = KeyStream::new(&[0u8; 32]);
        let words: Vec<u32> = (0..16).map(|_| stream.next_u32()).collect();
        assert_eq!(words, le_words(&zero_key_block_0));

        // And word for word against the independent block function over ten blocks (past
        // rand_chacha's four-block buffer), with the 64-bit counter in words 12-13.
        for key in [
            [0u8; 32],
            *counting_seed().as_bytes(),
            shuffle_key(&counting_seed(), "x", 9),
        ] {
            let mut stream = KeyStream::new(&key);
            for counter in 0u64..10 {
                let block = chacha20_block(&key, [counter as u32, (counter >> 32) as u32, 0, 0]);
                for (index, word) in block.iter().enumerate() {
                    assert_eq!(stream.next_u32(), *word, "block {counter} word {index}");
                }
            }
        }
    }

    #[test]
    fn key_layout_is_seed_then_client_seed_then_big_endian_nonce() {
        let server_seed = counting_seed();
        let mut message = server_seed.as_bytes().to_vec();
        message.extend_from_slice(b"ab");
        message.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 2]);
        let expected: [u8; 32] = Sha256::digest(&message).into();
        assert_eq!(shuffle_key(&server_seed, "ab", 0x0102), expected);
    }

    // ---- Rejection sampling ----

    #[test]
    fn uniform_below_rejects_words_above_the_zone() {
        let bound = 3u32 << 30;
        // The zone is exactly 3 * 2^30: words from there up would favour 0..2^30.
        let mut words = [u32::MAX, 3 << 30, (3 << 30) - 1].into_iter();
        let mut drawn = 0;
        let value = uniform_below_with(
            || {
                drawn += 1;
                words.next().unwrap_or(0)
            },
            bound,
        );
        assert_eq!((value, drawn), ((3 << 30) - 1, 3));

        // bound 37: zone = 37 * floor(2^32 / 37) = 4294967289, so the top seven words are rejected.
        let zone = 4_294_967_289u32;
        let mut words = [u32::MAX, zone, zone - 1].into_iter();
        assert_eq!(uniform_below_with(|| words.next().unwrap_or(0), 37), (zone - 1) % 37);
        assert_eq!(uniform_below_with(|| 5, 1), 0);
        assert_eq!(uniform_below_with(|| 5, 0), 0);
        assert_eq!(uniform_below_with(|| u32::MAX - 1, u32::MAX), u32::MAX - 1);
    }

    #[test]
    fn uniform_below_is_unbiased_where_plain_modulo_is_not() {
        let bound = 3u32 << 30;
        let mut stream = KeyStream::new(&shuffle_key(&counting_seed(), "bias", 0));
        let mut thirds = [0u64; 3];
        let draws = 30_000;
        for _ in 0..draws {
            thirds[(uniform_below(&mut stream, bound) >> 30) as usize] += 1;
        }
        // Plain `x % bound` would put half of all results in the first third.
        assert!(chi_square(&thirds, draws) < 13.82, "{thirds:?}");

        // About a quarter of the words fall above the zone and are redrawn.
        let mut stream = KeyStream::new(&shuffle_key(&counting_seed(), "bias", 1));
        let mut shadow = KeyStream::new(&shuffle_key(&counting_seed(), "bias", 1));
        let mut words = 0u64;
        for _ in 0..4_000 {
            let value = uniform_below(&mut stream, bound);
            loop {
                words += 1;
                let word = shadow.next_u32();
                if word < bound {
                    assert_eq!(value, word);
                    break;
                }
            }
        }
        let rejected = words - 4_000;
        assert!((1_100..1_600).contains(&rejected), "{rejected} rejected");
    }

    // ---- Shoes ----

    fn chi_square(counts: &[u64], total: u64) -> f64 {
        let expected = total as f64 / counts.len() as f64;
        counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
    }

    #[test]
    fn shoes_are_deterministic_permutations() {
        for decks in [1, 2, 6, 8, DECKS_MAX] {
            let key = shuffle_key(&counting_seed(), "perm", u64::from(decks));
            let cards = shuffled_shoe(decks, &key).unwrap();
            assert_eq!(cards, shuffled_shoe(decks, &key).unwrap());
            let mut counts = [0u32; 52];
            for card in &cards {
                counts[card.index() as usize] += 1;
            }
            assert!(counts.iter().all(|&count| count == decks), "{decks} decks: {counts:?}");
        }
        assert_eq!(
            shuffled_shoe(0, &[0; 32]),
            Err(CardError::BadDeckCount { got: 0, max: DECKS_MAX })
        );
        assert!(shuffled_shoe(DECKS_MAX + 1, &[0; 32]).is_err());
    }

    #[test]
    fn every_input_changes_the_order() {
        let base = shoe_for(&counting_seed(), "alice", 5, 6).unwrap();
        let mut other_bytes = *counting_seed().as_bytes();
        other_bytes[31] ^= 1;
        let other_seed = ServerSeed::from_bytes(other_bytes);
        assert_ne!(shoe_for(&other_seed, "alice", 5, 6).unwrap(), base);
        assert_ne!(shoe_for(&counting_seed(), "alicf", 5, 6).unwrap(), base);
        assert_ne!(shoe_for(&counting_seed(), "", 5, 6).unwrap(), base);
        assert_ne!(shoe_for(&counting_seed(), "alice", 6, 6).unwrap(), base);
        assert_ne!(shoe_for(&counting_seed(), "alice", 5 | 1 << 63, 6).unwrap(), base);
    }

    #[test]
    fn first_and_last_cards_are_uniform() {
        let shoes = 20_000u64;
        let mut first = [0u64; 52];
        let mut last = [0u64; 52];
        for nonce in 0..shoes {
            let cards = shoe_for(&counting_seed(), "chi-square", nonce, 1).unwrap();
            first[cards[0].index() as usize] += 1;
            last[cards[51].index() as usize] += 1;
        }
        // 0.999 quantile of chi-square with 51 degrees of freedom is 87.97.
        let (first_stat, last_stat) = (chi_square(&first, shoes), chi_square(&last, shoes));
        assert!(first_stat < 87.97, "first card chi-square {first_stat}");
        assert!(last_stat < 87.97, "last card chi-square {last_stat}");
        // A too-perfect fit would be as suspicious as a bad one (0.001 quantile: 25.37).
        assert!(first_stat > 25.37 && last_stat > 25.37, "{first_stat} {last_stat}");
    }

    #[test]
    fn roulette_pockets_are_uniform() {
        let spins = 37_000u64;
        let mut counts = [0u64; 37];
        for nonce in 0..spins {
            let pocket = roulette_pocket(&shuffle_key(&counting_seed(), "", nonce));
            counts[pocket as usize] += 1;
        }
        // 0.999 and 0.001 quantiles of chi-square with 36 degrees of freedom.
        let statistic = chi_square(&counts, spins);
        assert!(
            statistic < 67.99 && statistic > 15.32,
            "chi-square {statistic}: {counts:?}"
        );
    }

    // ---- Seeds ----

    #[test]
    fn server_seeds_parse_strictly_and_never_print() {
        let text = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        let parsed = seed(text);
        assert_eq!(parsed, counting_seed());
        assert_eq!(parsed.to_hex(), text);
        assert_eq!(seed(&text.to_ascii_uppercase()), parsed);
        assert_eq!(format!("{parsed:?}"), "ServerSeed(..)");
        assert_eq!(format!("{:?}", KeyStream::new(&[7; 32])), "KeyStream(..)");

        assert_eq!(
            ServerSeed::from_hex(&text[..62]),
            Err(FairError::ServerSeedLength { got: 62 })
        );
        assert_eq!(
            ServerSeed::from_hex(&format!("{text}00")),
            Err(FairError::ServerSeedLength { got: 66 })
        );
        assert_eq!(ServerSeed::from_hex(""), Err(FairError::ServerSeedLength { got: 0 }));
        let with_g = format!("g{}", &text[1..]);
        assert_eq!(ServerSeed::from_hex(&with_g), Err(FairError::ServerSeedHex));
        let with_space = format!(" {}", &text[1..]);
        assert_eq!(ServerSeed::from_hex(&with_space), Err(FairError::ServerSeedHex));
        // 63 ASCII characters plus one two-byte character: 64 characters, 65 bytes.
        let with_accent = format!("é{}", &text[1..]);
        assert!(matches!(
            ServerSeed::from_hex(&with_accent),
            Err(FairError::ServerSeedLength { got: 64 })
        ));
        // Error messages never echo what was pasted.
        let message = ServerSeed::from_hex(&with_g).unwrap_err().to_string();
        assert!(!message.contains(&text[1..10]));
    }

    #[test]
    fn client_seeds_are_validated_and_combined_in_order() {
        assert_eq!(validate_client_seed("a"), Ok(()));
        assert_eq!(validate_client_seed(&"~".repeat(64)), Ok(()));
        assert_eq!(validate_client_seed("!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\""), Ok(()));
        assert_eq!(validate_client_seed(""), Err(FairError::ClientSeedEmpty));
        assert_eq!(
            validate_client_seed(&"x".repeat(65)),
            Err(FairError::ClientSeedTooLong { got: 65, max: 64 })
        );
        for (bad, position) in [("a b", 2), ("ab\n", 3), ("\t", 1), ("ü", 1), ("ok\u{7f}", 3)] {
            assert_eq!(
                validate_client_seed(bad),
                Err(FairError::ClientSeedCharacter { position }),
                "{bad:?}"
            );
        }
        assert_eq!(combine_client_seeds(&[]), "");
        assert_eq!(combine_client_seeds(&["alice-42".into()]), "alice-42");
        assert_eq!(
            combine_client_seeds(&["alice-42".into(), "Bob_seed!".into()]),
            "alice-42\nBob_seed!"
        );
    }
}
