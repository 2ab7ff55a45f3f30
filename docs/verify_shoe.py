#!/usr/bin/env python3
"""Recompute a Croupier shoe or roulette spin from its revealed seed (docs/fairness.md).

Standard library only (hashlib + a pure-Python ChaCha20 block), independent of the engine.

    python3 verify_shoe.py --self-test
    python3 verify_shoe.py SERVER_SEED_HEX NONCE DECKS [--client-seed S ...] [--commit HEX]
    python3 verify_shoe.py SERVER_SEED_HEX NONCE --roulette [--client-seed S ...]
"""
import argparse
import hashlib
import struct
import sys

MASK = 0xFFFFFFFF
RANKS, SUITS = "A23456789TJQK", "cdhs"  # canonical order: suits c d h s, each A..K


def chacha20_block(key: bytes, counter: int) -> list:
    """One 64-byte ChaCha20 block as 16 little-endian words: 64-bit counter, 64-bit nonce 0."""
    def rotl(v, n):
        return ((v << n) & MASK) | (v >> (32 - n))

    def quarter(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & MASK; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & MASK; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & MASK; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & MASK; s[b] = rotl(s[b] ^ s[c], 7)

    initial = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    initial += list(struct.unpack("<8I", key))
    initial += [counter & MASK, counter >> 32, 0, 0]
    s = list(initial)
    for _ in range(10):  # 20 rounds: a column round and a diagonal round each time
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return [(w + i) & MASK for w, i in zip(s, initial)]


def words(key: bytes):
    """The key stream: block 0's 16 words, then block 1's, and so on."""
    counter = 0
    while True:
        yield from chacha20_block(key, counter)
        counter += 1


def uniform_below(stream, bound: int) -> int:
    zone = (2**32 // bound) * bound
    while True:
        x = next(stream)
        if x < zone:
            return x % bound


def shuffle_key(server_seed: bytes, client_seed: str, nonce: int) -> bytes:
    return hashlib.sha256(server_seed + client_seed.encode() + struct.pack(">Q", nonce)).digest()


def shoe(key: bytes, decks: int) -> list:
    cards = [RANKS[i % 13] + SUITS[i // 13] for _ in range(decks) for i in range(52)]
    stream = words(key)
    for i in range(len(cards) - 1, 0, -1):
        j = uniform_below(stream, i + 1)
        cards[i], cards[j] = cards[j], cards[i]
    return cards  # dealt from index 0 upward


def roulette_pocket(key: bytes) -> int:
    return uniform_below(words(key), 37)


# The published test vectors, also asserted by the engine's tests (src/domain/fair.rs).
SHOE_VECTORS = [
    # (server_seed, client_seed, nonce, decks, commit, key, first 10 cards, sha256 of the order)
    ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "", 0, 1,
     "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
     "a9d6e500293a88bd38cbe213d07ab71f8cb2258552072a01bdf1c40be527f4d0",
     "2d 7d 8s 5c 3d 9d Tc 6s Js Jh",
     "35fed2cc4a475ce13603f2a1544c6693fb3111825b19b8bb2e20b71894debba9"),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "alice-42\nBob_seed!", 1, 8,
     "954d5a49fd70d9b8bcdb35d252267829957f7ef7fa6c74f88419bdc5e82209f4",
     "aa6edd2147c17105f0afdbe9839bd7c540b06c26125c2d5b32f74e5322341e2c",
     "Kd 2d 6h Ad 8h Jc 5h 9s Th 6d",
     "aa3413cf5cd40c82522634e2e5825a6fb6a5c4b9f3a558fcbc84ca9bdbd6176c"),
    ("FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100", "lucky7", 2**64 - 1, 6,
     "5df404c22ba4e956e7ef06b6499f07ee62894450c25c928a7f5db26f6ea499a4",
     "825dbcd33fea37d681b993f5d44b2619103b116c7fd277d8fc550728dac74778",
     "3h 9d Ad Ad 4c 8h 6c 2h 5d Kc",
     "ca432d4634067ae210ce358df6142439df2d582cda4959422009b4b003d1c5a1"),
]
SPIN_VECTORS = [  # (server_seed, client_seed, nonce, pocket)
    ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "", 0, 19),
    ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "", 1, 24),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "alice-42\nBob_seed!", 7001, 31),
]


def self_test() -> bool:
    ok = True
    # RFC 7539 appendix A.1 #1: all-zero key, counter 0, nonce 0.
    zero = struct.pack("<16I", *chacha20_block(bytes(32), 0)).hex()
    ok &= zero == ("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                   "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586")
    for seed_hex, client, nonce, decks, commit, key_hex, first, order_sha in SHOE_VECTORS:
        seed = bytes.fromhex(seed_hex)
        key = shuffle_key(seed, client, nonce)
        cards = shoe(key, decks)
        ok &= hashlib.sha256(seed).hexdigest() == commit and key.hex() == key_hex
        ok &= " ".join(cards[:10]) == first
        ok &= hashlib.sha256(" ".join(cards).encode()).hexdigest() == order_sha
    for seed_hex, client, nonce, pocket in SPIN_VECTORS:
        ok &= roulette_pocket(shuffle_key(bytes.fromhex(seed_hex), client, nonce)) == pocket
    print("self-test", "passed" if ok else "FAILED")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("server_seed", nargs="?", help="the revealed server seed, 64 hex digits")
    parser.add_argument("nonce", nargs="?", type=int, help="the table's shoe number (roulette: its spin number)")
    parser.add_argument("decks", nargs="?", type=int, default=0)
    parser.add_argument("--client-seed", action="append", default=[],
                        help="one player's contribution; repeat in order of acceptance")
    parser.add_argument("--commit", help="the commit published before betting, to check")
    parser.add_argument("--roulette", action="store_true")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test or args.server_seed is None:
        return 0 if self_test() else 1
    try:
        seed = bytes.fromhex(args.server_seed)
    except ValueError:
        seed = b""
    if len(seed) != 32 or args.nonce is None or not 0 <= args.nonce < 2**64:
        parser.error("need a 64-hex-digit server seed and a nonce in 0..2^64")
    commit = hashlib.sha256(seed).hexdigest()
    print("commit", commit)
    if args.commit is not None and args.commit.lower() != commit:
        print("COMMIT MISMATCH: this is not the seed that was committed to")
        return 1
    key = shuffle_key(seed, "\n".join(args.client_seed), args.nonce)
    print("key", key.hex())
    if args.roulette:
        print("pocket", roulette_pocket(key))
    elif 1 <= args.decks <= 16:
        print("shoe", " ".join(shoe(key, args.decks)))
    else:
        parser.error("decks must be 1 to 16 (or pass --roulette)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
