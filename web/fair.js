// fair.js: recomputes a Croupier shoe or roulette spin from its revealed seed, in the
// browser (or node), exactly as docs/fairness.md specifies: commit = sha256(server_seed),
// key = sha256(server_seed || client_seed || be64(nonce)), a ChaCha20 stream (64-bit
// counter from 0, nonce 0) read as little-endian u32 words, rejection-sampled
// uniform_below, and a Fisher-Yates shuffle from the last position down.
//
// It owns only arithmetic: no DOM, no network. SHA-256 comes from WebCrypto
// (globalThis.crypto.subtle, present in browsers and in node 19+); ChaCha20 is written
// here from the specification so that a player need not trust any library of ours.
// tests/web/fair.test.mjs checks it against every vector of docs/fairness.md.

const RANKS = 'A23456789TJQK';
const SUITS = 'cdhs';
const MASK = 0xffffffff;

/** Hex text (either case, even length) to bytes; throws on anything else. */
export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('not hexadecimal');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256(bytes) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return new Uint8Array(digest);
}

/** commit = lower-case hex of SHA-256 over the 32 raw seed bytes (not the hex text). */
export async function commitOf(serverSeedHex) {
  const seed = hexToBytes(serverSeedHex);
  if (seed.length !== 32) throw new Error('a server seed is 32 bytes (64 hex digits)');
  return bytesToHex(await sha256(seed));
}

/** key = SHA-256(server_seed || utf8(client_seed) || be64(nonce)); nonce may be a BigInt. */
export async function shuffleKey(serverSeedHex, clientSeed, nonce) {
  const seed = hexToBytes(serverSeedHex);
  if (seed.length !== 32) throw new Error('a server seed is 32 bytes (64 hex digits)');
  const client = new TextEncoder().encode(clientSeed);
  const message = new Uint8Array(32 + client.length + 8);
  message.set(seed, 0);
  message.set(client, 32);
  new DataView(message.buffer).setBigUint64(32 + client.length, BigInt(nonce), false);
  return sha256(message);
}

function rotl(v, n) {
  return ((v << n) | (v >>> (32 - n))) >>> 0;
}

function quarter(s, a, b, c, d) {
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
}

/** One ChaCha20 block (20 rounds) as 16 words: 64-bit block counter, 64-bit nonce 0. */
export function chachaBlock(key, counter) {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const initial = new Uint32Array(16);
  initial[0] = 0x61707865; initial[1] = 0x3320646e; initial[2] = 0x79622d32; initial[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) initial[4 + i] = view.getUint32(i * 4, true);
  initial[12] = counter % 0x100000000;
  initial[13] = Math.floor(counter / 0x100000000);
  const s = Array.from(initial);
  for (let round = 0; round < 10; round++) {
    quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13); quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15);
    quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12); quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14);
  }
  return s.map((w, i) => ((w + initial[i]) & MASK) >>> 0);
}

/** The key stream as a word source: block 0's 16 words, then block 1's, and so on. */
export function wordStream(key) {
  let counter = 0;
  let block = [];
  let index = 16;
  return () => {
    if (index === 16) {
      block = chachaBlock(key, counter++);
      index = 0;
    }
    return block[index++];
  };
}

/** Uniform in 0..bound-1 without modulo bias (docs/fairness.md section 7). */
export function uniformBelow(next, bound) {
  const zone = Math.floor(0x100000000 / bound) * bound;
  for (;;) {
    const x = next();
    if (x < zone) return x % bound;
  }
}

/** The whole shoe, dealt from index 0 upward, as card names like `Td`. */
export function shuffledShoe(key, decks) {
  if (!Number.isInteger(decks) || decks < 1 || decks > 16) throw new Error('decks must be 1 to 16');
  const cards = [];
  for (let d = 0; d < decks; d++) for (let i = 0; i < 52; i++) cards.push(RANKS[i % 13] + SUITS[Math.floor(i / 13)]);
  const next = wordStream(key);
  for (let i = cards.length - 1; i > 0; i--) {
    const j = uniformBelow(next, i + 1);
    [cards[i], cards[j]] = [cards[j], cards[i]];
  }
  return cards;
}

export function roulettePocket(key) {
  return uniformBelow(wordStream(key), 37);
}

/** Card names as the server writes them (`Kh`, `Td`), whatever case or `10` form was given. */
export function normalCard(text) {
  const t = String(text).trim();
  const suit = t.slice(-1).toLowerCase();
  let rank = t.slice(0, -1).toUpperCase();
  if (rank === '10') rank = 'T';
  return rank + suit;
}

/**
 * Verifies one round record (GET /v1/rounds/{id}) in full. `seenCommit`, when given, is the
 * commit this client saw at round_open, before it bet: the check that matters most.
 * Returns {status: 'verified'|'mismatch'|'pending'|'unverifiable', reasons[], ...details}.
 */
export async function verifyRound(record, seenCommit) {
  const details = { round_id: record.round_id, commit: record.commit, nonce: record.shoe_nonce };
  if (record.shoe_nonce === undefined || record.shoe_nonce === null) {
    return { ...details, status: 'unverifiable', reasons: ['physical_shoe'] };
  }
  if (!record.server_seed) {
    return { ...details, status: 'pending', reasons: ['not_revealed'] };
  }
  const reasons = [];
  const commit = await commitOf(record.server_seed);
  if (commit !== String(record.commit).toLowerCase()) reasons.push('commit_differs');
  if (seenCommit && commit !== String(seenCommit).toLowerCase()) reasons.push('commit_not_what_you_saw');
  const key = await shuffleKey(record.server_seed, record.client_seed ?? '', BigInt(record.shoe_nonce));
  const result = { ...details, server_seed: record.server_seed, client_seed: record.client_seed ?? '', computed_commit: commit };
  if (record.game === 'roulette') {
    const pocket = roulettePocket(key);
    result.expected_pocket = pocket;
    if (record.pocket !== undefined && record.pocket !== null && record.pocket !== pocket) reasons.push('pocket_differs');
  } else {
    const shoe = shuffledShoe(key, record.decks);
    const start = record.shoe_start ?? 0;
    const dealt = (record.cards || []).map((c) => normalCard(c.card));
    const expected = shoe.slice(start, start + dealt.length);
    result.expected_cards = expected;
    result.dealt_cards = dealt;
    if (expected.join(' ') !== dealt.join(' ')) reasons.push('cards_differ');
  }
  return { ...result, status: reasons.length ? 'mismatch' : 'verified', reasons };
}
