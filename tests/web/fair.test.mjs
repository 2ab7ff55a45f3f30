// Goal: web/fair.js, the browser's own verifier, computes exactly what docs/fairness.md
// specifies. Method: every published test vector (commit, key, first ten cards, SHA-256 of
// the whole order, roulette pockets), RFC 7539 A.1 #1 for the ChaCha20 block, vector 1's
// full shoe, and verifyRound on a record built from a vector (verified) and tampered
// copies of it (mismatch), all under node's WebCrypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bytesToHex, chachaBlock, commitOf, roulettePocket, sha256, shuffleKey, shuffledShoe, verifyRound,
} from '../../web/fair.js';

const SHOES = [
  ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '', 0n, 1,
    '630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd',
    'a9d6e500293a88bd38cbe213d07ab71f8cb2258552072a01bdf1c40be527f4d0',
    '2d 7d 8s 5c 3d 9d Tc 6s Js Jh',
    '35fed2cc4a475ce13603f2a1544c6693fb3111825b19b8bb2e20b71894debba9'],
  ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'alice-42\nBob_seed!', 1n, 8,
    '954d5a49fd70d9b8bcdb35d252267829957f7ef7fa6c74f88419bdc5e82209f4',
    'aa6edd2147c17105f0afdbe9839bd7c540b06c26125c2d5b32f74e5322341e2c',
    'Kd 2d 6h Ad 8h Jc 5h 9s Th 6d',
    'aa3413cf5cd40c82522634e2e5825a6fb6a5c4b9f3a558fcbc84ca9bdbd6176c'],
  ['FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100', 'lucky7', 2n ** 64n - 1n, 6,
    '5df404c22ba4e956e7ef06b6499f07ee62894450c25c928a7f5db26f6ea499a4',
    '825dbcd33fea37d681b993f5d44b2619103b116c7fd277d8fc550728dac74778',
    '3h 9d Ad Ad 4c 8h 6c 2h 5d Kc',
    'ca432d4634067ae210ce358df6142439df2d582cda4959422009b4b003d1c5a1'],
];
const SPINS = [
  ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '', 0n, 19],
  ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '', 1n, 24],
  ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'alice-42\nBob_seed!', 7001n, 31],
];
const VECTOR1_SHOE = '2d 7d 8s 5c 3d 9d Tc 6s Js Jh Jc 2c 4d Ah Ts 6d 9h 3h Ks 8h Qd 2s Ad 2h Jd 3s Td 5h 8d As Kd 4s 6h 3c Ac Kc 4c 7h Kh Qc 7c 5s 6c 9c Th 7s 5d Qs Qh 4h 8c 9s';

test('ChaCha20 block matches RFC 7539 appendix A.1 test vector #1', () => {
  const words = chachaBlock(new Uint8Array(32), 0);
  const bytes = new Uint8Array(new Uint32Array(words).buffer); // little-endian on every CPU node runs on here
  assert.equal(bytesToHex(bytes),
    '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7'
    + 'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586');
});

for (const [i, [seed, client, nonce, decks, commit, key, first, orderSha]] of SHOES.entries()) {
  test(`shoe vector ${i + 1}: commit, key, first ten cards and the whole order`, async () => {
    assert.equal(await commitOf(seed), commit);
    const k = await shuffleKey(seed, client, nonce);
    assert.equal(bytesToHex(k), key);
    const shoe = shuffledShoe(k, decks);
    assert.equal(shoe.length, 52 * decks);
    assert.equal(shoe.slice(0, 10).join(' '), first);
    assert.equal(bytesToHex(await sha256(new TextEncoder().encode(shoe.join(' ')))), orderSha);
    if (i === 0) assert.equal(shoe.join(' '), VECTOR1_SHOE);
  });
}

test('roulette spin vectors', async () => {
  for (const [seed, client, nonce, pocket] of SPINS) {
    assert.equal(roulettePocket(await shuffleKey(seed, client, nonce)), pocket);
  }
});

test('the vectors in this test are the ones docs/fairness.md publishes', () => {
  const doc = readFileSync(new URL('../../docs/fairness.md', import.meta.url), 'utf8');
  for (const v of SHOES) for (const field of [v[4], v[5], v[6], v[7]]) assert.ok(doc.includes(field), field);
  assert.ok(doc.includes(VECTOR1_SHOE));
});

test('verifyRound: verified for an honest record, mismatch for tampered ones', async () => {
  const [seed, , , decks, commit] = SHOES[0];
  const order = VECTOR1_SHOE.split(' ');
  const record = {
    round_id: 7, game: 'baccarat', shoe_nonce: 0, shoe_start: 5, decks, commit,
    server_seed: seed, client_seed: '',
    cards: order.slice(5, 10).map((card, n) => ({ position: `p${n}`, card })),
  };
  assert.equal((await verifyRound(record, commit)).status, 'verified');
  const swapped = { ...record, cards: [...record.cards].reverse() };
  assert.deepEqual((await verifyRound(swapped, commit)).reasons, ['cards_differ']);
  const otherCommit = 'ff'.repeat(32);
  assert.deepEqual((await verifyRound(record, otherCommit)).reasons, ['commit_not_what_you_saw']);
  assert.equal((await verifyRound({ ...record, server_seed: undefined })).status, 'pending');
  assert.equal((await verifyRound({ ...record, shoe_nonce: undefined })).status, 'unverifiable');
  const spin = { round_id: 8, game: 'roulette', shoe_nonce: 1, commit, server_seed: seed, client_seed: '', pocket: 24, cards: [] };
  assert.equal((await verifyRound(spin)).status, 'verified');
  assert.equal((await verifyRound({ ...spin, pocket: 23 })).status, 'mismatch');
});
