// End-to-end tests of the bundled player client (/) and dealer console (/dealer) in headless
// Chromium against the real croupier binary (harness.mjs starts it with fast test tables).
//
// Each test opens with its goal and method. They share one server and one browser and run
// in order; every page must finish without console errors, uncaught exceptions or
// Content-Security-Policy violations, and without a debug hook on `window`.
//
// The pages put nothing on `window`: the tests read what the page shows, including the data
// attributes the player client keeps on `.table-view` (phase, round id, seqs applied, when
// betting closes on the server's clock and that clock's offset).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cspViolations, launchBrowser, newPage, socketTrace } from './browser.mjs';
import { DEALER_KEY, REPO, getJson, startServer } from './harness.mjs';
import { startNetCut } from './netcut.mjs';

// Screenshots go to a temp dir; CROUPIER_SCREENSHOTS_DIR=docs/screenshots refreshes the
// committed ones (README) without every test run rewriting them.
const SHOTS = process.env.CROUPIER_SCREENSHOTS_DIR
  ? resolve(REPO, process.env.CROUPIER_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), 'croupier-shots-'));
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 768 };

let server;
let browser;
/** A round dealt by the dealer console (no RNG shoe), for the fairness test. */
let consoleRoundId = null;
let closeBrowser;

before(async () => {
  server = await startServer();
  ({ browser, close: closeBrowser } = await launchBrowser());
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
  await server?.stop();
});

async function login(page, playerId, { currency = 'EUR', language = 'en', base = server.base } = {}) {
  await page.goto(`${base}/`);
  await page.fill('#player-id', playerId);
  await page.selectOption('#currency', currency);
  await page.selectOption('#language', language);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('.table-card');
  await page.waitForSelector('#balance[data-amount]');
}

async function openTable(page, id) {
  await page.click(`.table-card[data-table="${id}"] button.open-table`);
  await page.waitForSelector(`.table-view[data-table="${id}"][data-synced="true"]`, { state: 'attached' });
}

/** Waits until betting is open with at least `marginMs` left, and returns the round id. */
async function waitForBetting(page, marginMs = 1200) {
  await page.waitForFunction((margin) => {
    // The time left as the page computes it: close time and offset are both server clock.
    const view = document.querySelector('.table-view');
    if (!view || view.dataset.phase !== 'betting' || !view.dataset.closesAtMs) return false;
    return Number(view.dataset.closesAtMs) - (Date.now() + Number(view.dataset.clockOffsetMs)) > margin;
  }, marginMs, { timeout: 20000 });
  return roundIdOf(page);
}

async function roundIdOf(page) {
  return Number(await page.getAttribute('.table-view', 'data-round-id'));
}

async function balance(page) {
  return Number(await page.getAttribute('#balance', 'data-amount'));
}

/** What baccarat returns on a bet (stake included), from docs: banker 0.95:1, tie 8:1, player/banker push on a tie. */
function baccaratReturn(spot, stake, outcome) {
  if (spot === 'player') return outcome.winner === 'player' ? 2 * stake : outcome.winner === 'tie' ? stake : 0;
  if (spot === 'banker') return outcome.winner === 'banker' ? stake + Math.floor((stake * 95) / 100) : outcome.winner === 'tie' ? stake : 0;
  if (spot === 'tie') return outcome.winner === 'tie' ? 9 * stake : 0;
  throw new Error(spot);
}

/** No console error, no uncaught exception, no CSP violation, no debug hook on `window`. */
async function assertCleanPage(page) {
  assert.deepEqual(page.errors, [], `page errors: ${page.errors.join('\n')}`);
  const violations = await cspViolations(page);
  assert.deepEqual(violations, [], `Content-Security-Policy violations: ${violations.join('\n')}`);
  assert.deepEqual(await page.evaluate(() => [typeof window.__croupier, typeof window.__dealer]), ['undefined', 'undefined'],
    'the page exposes no debug hook');
}

/** A header from a DevTools handshake request or response, by lower-case name. */
function headerOf(headers, name) {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

const TOKEN = /^[0-9a-f]{64}$/;

test('the pages are served with a Content-Security-Policy, and a violation would be noticed', async () => {
  // Method: fetch / and /dealer and read their content-security-policy header. Then, so that
  // "no violation" in the other tests means something, set a style attribute from the page
  // (which the policy refuses) and check the recorder in browser.mjs caught it.
  for (const path of ['/', '/dealer']) {
    const response = await fetch(server.base + path);
    assert.equal(response.status, 200, path);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/, `${path}: ${csp}`);
    assert.match(csp, /frame-ancestors/, `${path}: ${csp}`);
  }
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${server.base}/`);
  await page.waitForSelector('#player-id');
  assert.deepEqual(await cspViolations(page), [], 'the login page loads without a violation');
  await page.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
  await page.waitForFunction(() => window.__cspViolations.length > 0);
  assert.match((await cspViolations(page)).join('\n'), /style-src/);
  await page.close();
});

test('the token travels in the WebSocket handshake, never in a URL', async () => {
  // Method: log in, catching the launch token from the sandbox's answer and the handshake
  // headers from Chromium's DevTools protocol. The socket's URL is the bare /v1/play, the
  // handshake offers croupier.v1 and croupier.token.<launch token>, the server answers
  // croupier.v1, and the page's address holds no token. Reload: the page resumes with the
  // resume token it kept, offered the same way, and its URL is bare again.
  const page = await newPage(browser, DESKTOP);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const offered = [];
  const answered = [];
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => offered.push(headerOf(e.request.headers, 'sec-websocket-protocol')));
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => answered.push(headerOf(e.response.headers, 'sec-websocket-protocol')));
  const launched = page.waitForResponse((r) => r.url().endsWith('/v1/sandbox/launch'));
  await login(page, 'ivan-e2e');
  const launchToken = (await (await launched).json()).token;
  assert.match(launchToken, TOKEN);
  const play = `${server.base.replace(/^http/, 'ws')}/v1/play`;
  assert.deepEqual(page.sockets.map((s) => s.url), [play], 'one socket, to the bare URL');
  assert.deepEqual(offered, [`croupier.v1, croupier.token.${launchToken}`]);
  assert.deepEqual(answered, ['croupier.v1']);
  const href = await page.evaluate(() => location.href);
  assert.equal(href, `${server.base}/`);

  const { resume_token: resumeToken } = JSON.parse(await page.evaluate(() => sessionStorage.getItem('croupier.session')));
  assert.match(resumeToken, TOKEN);
  await page.reload();
  await page.waitForSelector('.table-card');
  await page.waitForSelector('#balance[data-amount]');
  assert.deepEqual(page.sockets.map((s) => s.url), [play, play], 'the resumed socket has the bare URL too');
  assert.equal(offered.at(-1), `croupier.v1, croupier.token.${resumeToken}`);
  assert.equal(answered.at(-1), 'croupier.v1');
  const hrefResumed = await page.evaluate(() => location.href);
  assert.equal(hrefResumed, `${server.base}/`);
  for (const token of [launchToken, resumeToken]) assert.ok(!hrefResumed.includes(token) && !href.includes(token), 'no token in the address');
  assert.equal(await balance(page), 100000, 'the resumed session is the same player');
  await assertCleanPage(page);
  await cdp.detach();
  await page.close();
});

test('a player logs in, bets on baccarat, sees the cards one by one, the result and the right balance', async () => {
  // Method: sandbox login in the page, open the fast baccarat table, bet €5 on banker and
  // €1 on player in one round, record every change of the number of cards on the felt,
  // then compute the expected balance from the outcome the page shows and compare.
  const page = await newPage(browser, DESKTOP);
  await login(page, 'alice-e2e');
  const start = await balance(page);
  assert.equal(start, 100000, 'the sandbox welcome credit is 1000.00 EUR');
  assert.match(await page.textContent('#balance'), /€1,000\.00/);
  await openTable(page, 'bac-play');
  const roundId = await waitForBetting(page);
  // The test's own recorder (the page has no hook): every change in the number of cards.
  await page.evaluate(() => {
    window.__cardCounts = [];
    const felt = document.querySelector('#hands');
    new MutationObserver(() => {
      const n = felt.querySelectorAll('.card').length;
      if (window.__cardCounts.at(-1) !== n) window.__cardCounts.push(n);
    }).observe(felt, { childList: true, subtree: true });
  });
  await page.click('.chip-1'); // €5.00
  await page.click('.spot-banker');
  await page.click('.chip-0'); // €1.00
  await page.click('.spot-player');
  await page.waitForFunction(() => document.querySelectorAll('#my-bets li[data-status="accepted"]').length === 2);
  assert.equal(await balance(page), start - 600, 'both stakes are debited when accepted');
  await page.waitForSelector(`#result[data-round="${roundId}"][data-settled="true"]`, { timeout: 20000 });
  // Read the felt at once: the next round clears it soon after.
  const felt = await page.evaluate(() => [...document.querySelectorAll('#hands .card')].map((el) => el.dataset.card));

  // The counts seen until the felt is cleared for the next round.
  const counts = await page.evaluate(() => {
    const log = window.__cardCounts;
    const first = log.findIndex((n) => n > 0);
    const end = log.indexOf(0, first);
    return log.slice(first, end < 0 ? undefined : end);
  });
  assert.ok(counts.length >= 4 && counts.length <= 6, `4 to 6 cards, got the sequence ${counts}`);
  assert.deepEqual(counts, counts.map((_, i) => i + 1), `cards arrive one at a time: ${counts}`);

  const outcome = JSON.parse(await page.getAttribute('#result', 'data-outcome'));
  const returned = baccaratReturn('banker', 500, outcome) + baccaratReturn('player', 100, outcome);
  assert.equal(await balance(page), start - 600 + returned, `balance after ${JSON.stringify(outcome)}`);
  const record = await getJson(server.base, `/v1/rounds/${roundId}`);
  assert.equal(record.outcome.winner, outcome.winner, 'the page shows the recorded outcome');
  assert.deepEqual([...felt].sort(), record.cards.map((c) => c.card).sort(), 'the felt shows the recorded cards');
  const mine = page.locator(`#my-rounds li[data-round="${roundId}"]`);
  assert.equal(await mine.getAttribute('data-won'), String(returned));
  assert.equal(await mine.getAttribute('data-staked'), '600');
  assert.ok((await page.textContent('#announcer')).length > 0, 'the result is announced to screen readers');
  await assertCleanPage(page);
  await page.close();
});

test('a dealer console deals a round on the console table while a player watches', async () => {
  // Method: a player opens baccarat-live and a dealer logs in at /dealer with the sandbox
  // key. The dealer opens a round, the player bets, the dealer sees the bet and exposure,
  // closes betting and types cards into the scanner field (Enter submits), including a bad
  // card (shown in words), a wrong card taken back with Undo, and the player sees exactly
  // the cards dealt and the result, and loses the stake.
  const player = await newPage(browser, DESKTOP);
  await login(player, 'bob-e2e');
  await openTable(player, 'baccarat-live');
  const start = await balance(player);

  const dealer = await newPage(browser, DESKTOP);
  await dealer.goto(`${server.base}/dealer?table=baccarat-live`);
  await dealer.fill('#dealer-key', DEALER_KEY);
  await dealer.click('form.login button[type=submit]');
  await dealer.waitForSelector('#open-round');
  // Attached: the key was accepted (the status line stays hidden while online).
  await dealer.waitForSelector('#conn-status[data-state="online"]', { state: 'attached' });

  await dealer.click('#open-round');
  await dealer.waitForSelector('#phase[data-phase="betting"]');
  await player.waitForSelector('#phase[data-phase="betting"]');
  const roundId = await roundIdOf(player);
  await player.click('.spot-player');
  await player.waitForSelector('#my-bets li[data-status="accepted"]');
  await dealer.waitForSelector('#bets-count[data-count="1"]');
  assert.equal(await dealer.getAttribute('#exposure table[data-currency="EUR"]', 'data-staked'), '100');
  assert.equal(await dealer.getAttribute('#exposure table[data-currency="EUR"]', 'data-max-return'), '200');

  await dealer.click('#close-betting');
  await player.waitForSelector('#phase[data-phase="dealing"]');
  const scan = async (card) => {
    await dealer.fill('#card-input', card);
    await dealer.press('#card-input', 'Enter');
  };
  await scan('Zz');
  await dealer.waitForSelector('#errors .error[data-code="bad_card"]');
  assert.match(await dealer.textContent('#errors .error[data-code="bad_card"]'), /not a card/);
  for (const card of ['Kh', '4d', 'Qs']) {
    await scan(card);
    await player.waitForFunction((c) => [...document.querySelectorAll('#hands .card')].some((el) => el.dataset.card === c), card);
  }
  await scan('2c');
  await player.waitForFunction(() => document.querySelectorAll('#hands .card').length === 4);
  await dealer.click('#undo');
  await player.waitForFunction(() => document.querySelectorAll('#hands .card').length === 3);
  await scan('5c'); // banker 9 against player 0: a natural, the coup ends
  await player.waitForSelector(`#result[data-round="${roundId}"][data-settled="true"]`);
  const shown = await player.evaluate(() => ({
    player: [...document.querySelectorAll('.hand-player .card')].map((el) => el.dataset.card),
    banker: [...document.querySelectorAll('.hand-banker .card')].map((el) => el.dataset.card),
  }));
  assert.deepEqual(shown, { player: ['Kh', 'Qs'], banker: ['4d', '5c'] });
  assert.match(await player.textContent('#result .outcome'), /Banker wins 9 to 0/);
  consoleRoundId = roundId;
  assert.equal(await balance(player), start - 100);
  await dealer.waitForSelector('#phase[data-phase="result"]');
  assert.match(await dealer.textContent('#event-log'), /result/);
  assert.equal(await dealer.locator('#dealt .card').count(), 4, 'the console shows the four cards dealt');
  assert.match(await dealer.textContent('#console-result'), /Banker wins 9 to 0/);
  await dealer.screenshot({ path: join(SHOTS, 'dealer-desktop.png'), animations: 'disabled' });

  // Void with a reason refunds: open a round, bet, void it.
  await dealer.click('#open-round');
  await player.waitForSelector('#phase[data-phase="betting"]');
  await player.click('.spot-banker');
  await player.waitForSelector('#my-bets li[data-status="accepted"]');
  await dealer.click('#void'); // no reason yet: refused in the console itself
  await dealer.waitForSelector('#errors .error[data-code="reason_required"]');
  await dealer.fill('#void-reason', 'card fell on the floor');
  await dealer.press('#void-reason', 'Enter');
  await player.waitForSelector('#result .void');
  assert.match(await player.textContent('#result .void'), /card fell on the floor/);
  await player.waitForFunction((b) => Number(document.querySelector('#balance').dataset.amount) === b, start - 100);

  // Pause and resume from the keyboard shortcut P (focus outside text fields).
  await dealer.focus('#open-round');
  await dealer.keyboard.press('p');
  await player.waitForSelector('#phase[data-phase="paused"]');
  await dealer.keyboard.press('p');
  await player.waitForFunction(() => document.querySelector('#phase').dataset.phase !== 'paused');
  await assertCleanPage(player);
  await assertCleanPage(dealer);
  await dealer.close();
  await player.close();
});

test('a dropped connection shows reconnecting, resumes by last_seq and redraws with nothing missed', async () => {
  // Method: the page reaches the server through a TCP relay (netcut.mjs). While a round is
  // betting, the relay drops the page's connections as a network failure would and holds new
  // ones for 3 s while the round closes and cards are dealt. The banner must say
  // "Reconnecting…"; after the resume every seq from the join on was applied exactly once
  // and in order (the page's data-applied-seqs), the felt holds the round record's cards at
  // their positions in dealing order, and no socket URL carried the resume token.
  const relay = await startNetCut(server.base);
  const page = await newPage(browser, DESKTOP);
  try {
    await login(page, 'carol-e2e', { base: relay.base });
    await openTable(page, 'bac-play');
    const roundId = await waitForBetting(page, 1500);
    await page.click('.spot-tie');
    await page.waitForSelector('#my-bets li[data-status="accepted"]');
    const lastSeq = async () => Number(await page.getAttribute('.table-view', 'data-last-seq'));
    const seqBefore = await lastSeq();
    relay.cut(3000);
    await page.waitForSelector('#conn-status:not([hidden])');
    assert.match(await page.textContent('#conn-status'), /Reconnecting…/);
    await page.waitForTimeout(1500);
    assert.equal(await lastSeq(), seqBefore, 'offline: nothing applied');
    await page.waitForSelector('#conn-status[data-state="online"]', { timeout: 15000 });
    await page.waitForSelector(`#result[data-round="${roundId}"]:not([data-outcome=""])`, { timeout: 15000 });
    // One read of state and felt, before the next round clears them.
    const seen = await page.evaluate(() => {
      const cards = [...document.querySelectorAll('#hands .card')];
      return {
        seqs: document.querySelector('.table-view').dataset.appliedSeqs.split(' ').map(Number),
        dealt: cards.map((el) => ({ index: Number(el.dataset.index), card: `${el.dataset.to}:${el.dataset.card}` }))
          .sort((a, b) => a.index - b.index),
        felt: cards.map((el) => el.dataset.card),
      };
    });
    const { seqs } = seen;
    assert.ok(seqs.at(-1) > seqBefore + 2, 'events emitted while offline were replayed');
    seqs.forEach((seq, i) => { if (i) assert.equal(seq, seqs[i - 1] + 1, `gap-free and applied once: ${seqs}`); });
    const record = await getJson(server.base, `/v1/rounds/${roundId}`);
    assert.deepEqual(seen.dealt.map((c) => c.index), record.cards.map((_, i) => i), 'every card dealt is on the felt once');
    assert.deepEqual(seen.dealt.map((c) => c.card), record.cards.map((c) => `${c.position}:${c.card}`), 'every card at its position, in order');
    assert.deepEqual(seen.felt.sort(), record.cards.map((c) => c.card).sort(), 'the felt is redrawn with every card');
    const play = `${relay.base.replace(/^http/, 'ws')}/v1/play`;
    assert.ok(page.sockets.length >= 2, 'the page opened a new socket');
    assert.deepEqual(page.sockets.map((s) => s.url), page.sockets.map(() => play), 'every socket URL is the bare /v1/play');

    await assertCleanPage(page);
  } finally {
    await page.close();
    await relay.close();
  }
});

test('the fairness panel recomputes a finished shoe in the browser and says verified', async () => {
  // Method: watch the one-deck table until its shoe ends; on `reveal` the page fetches each
  // round it saw from that shoe and recomputes commit and cards with WebCrypto and
  // web/fair.js. Then verify one round by number through the form, and check that the
  // console-dealt round from the dealer test is reported as a physical shoe.
  const page = await newPage(browser, DESKTOP);
  await login(page, 'dave-e2e');
  await openTable(page, 'bac-shoe');
  await page.waitForSelector('.fair-result[data-status="verified"]', { timeout: 60000 });
  assert.match(await page.textContent('.fair-result[data-status="verified"]'), /Verified: the commit and every card match/);
  assert.equal(await page.locator('.fair-result[data-status="mismatch"]').count(), 0);
  const rounds = (await page.getAttribute('.fair-result[data-status="verified"][data-rounds]', 'data-rounds')).split(' ').map(Number);
  assert.ok(rounds.length >= 1);
  const checkByNumber = async (id) => {
    await page.fill('#fair-round', String(id));
    await page.press('#fair-round', 'Enter');
    await page.waitForSelector(`.fair-result[data-key="round-${id}"]:not([data-status="checking"])`);
    return page.getAttribute(`.fair-result[data-key="round-${id}"]`, 'data-status');
  };
  const last = rounds.at(-1);
  assert.equal(await checkByNumber(last), 'verified');
  assert.equal((await getJson(server.base, `/v1/rounds/${last}/verify`)).status, 'verified', 'the server agrees');
  assert.ok(consoleRoundId, 'the dealer test ran first');
  assert.equal(await checkByNumber(consoleRoundId), 'unverifiable');
  await assertCleanPage(page);
  await page.close();
});

test('blackjack: a seat bet, the decision buttons with their timer, and settlement', async () => {
  // Method: bet the main spot, wait until the server asks this player's seat for a
  // decision (or the hand ends without one, e.g. a blackjack), check the timer runs, stand,
  // and wait for the settled result.
  const page = await newPage(browser, DESKTOP);
  await login(page, 'erin-e2e');
  await openTable(page, 'blackjack-fast');
  for (let attempt = 0; attempt < 3; attempt++) {
    const roundId = await waitForBetting(page);
    await page.click('.spot-main');
    await page.waitForSelector('#my-bets li[data-status="accepted"]');
    const seat = Number(await page.getAttribute('.table-view', 'data-my-seat'));
    assert.ok(seat >= 1 && seat <= 7, `the ack gives a seat, got ${seat}`);
    await page.waitForSelector(`#decision .action-stand, #result[data-round="${roundId}"]:not([data-outcome=""])`, { timeout: 20000 });
    if (await page.locator('#decision .action-stand').count()) {
      const before = Number(await page.getAttribute('#decision-timer', 'value'));
      await page.waitForTimeout(600);
      const later = Number(await page.getAttribute('#decision-timer', 'value'));
      assert.ok(later < before, `the decision timer runs down (${before} → ${later})`);
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.action !== undefined), true, 'focus moves to the decision');
      await page.screenshot({ path: join(SHOTS, 'blackjack-desktop.png') });
      await page.click('#decision .action-stand');
      await page.waitForSelector(`#result[data-round="${roundId}"][data-settled="true"]`, { timeout: 20000 });
      assert.notEqual(await page.getAttribute('#result', 'data-outcome'), '', `the result is shown; received: ${socketTrace(page)}`);
      await assertCleanPage(page);
      await page.close();
      return;
    }
    await page.waitForSelector(`#result[data-round="${roundId}"][data-settled="true"]`, { timeout: 20000 });
  }
  assert.fail('no decision was asked in three rounds');
});

test('errors in words, other languages and currencies', async () => {
  // Method: a German EUR session shows German text and German money; a Spanish JPY session
  // shows yen without minor units; an invalid roulette spot typed by hand comes back from
  // the server as unknown_spot and is shown in words (in Spanish).
  const de = await newPage(browser, DESKTOP);
  await login(de, 'frank-e2e', { language: 'de' });
  assert.equal(await de.textContent('#lobby-title'), 'Tische');
  assert.equal(await de.getAttribute('html', 'lang'), 'de');
  assert.match(await de.textContent('#balance'), /Guthaben\s*1\.000,00\s€/);
  await assertCleanPage(de);
  await de.close();

  const es = await newPage(browser, DESKTOP);
  await login(es, 'gina-e2e', { currency: 'JPY', language: 'es' });
  assert.equal(await balance(es), 1000, 'the JPY welcome credit is 1000 yen (no minor units)');
  const text = await es.textContent('#balance strong');
  assert.match(text, /¥|JPY/);
  assert.doesNotMatch(text, /[.,]\d\d(\D|$)/, `no decimals for JPY: ${text}`);
  await openTable(es, 'roulette-fast');
  await waitForBetting(es);
  await es.fill('#other-spot', 'split:1-5');
  await es.press('#other-spot', 'Enter');
  await es.waitForSelector('#errors .error[data-code="unknown_spot"]');
  assert.match(await es.textContent('#errors .error[data-code="unknown_spot"]'), /Esa apuesta no existe en esta mesa/);
  await es.click('.spot-red');
  await es.waitForSelector('#my-bets li[data-status="accepted"]');
  await es.waitForSelector('#hands .ball.landed', { timeout: 20000 });
  await es.screenshot({ path: join(SHOTS, 'roulette-desktop.png') });
  await assertCleanPage(es);
  await es.close();
});

test('screenshots of the lobby and a table at phone and desktop width', async () => {
  // Method: the lobby and the baccarat table with a bet and dealt cards, at 390×844 and
  // 1366×768, written to docs/screenshots/ (linked from the README). Also checks that the
  // phone layout has no horizontal scrolling.
  for (const [name, size] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const page = await newPage(browser, size);
    await login(page, `shots-${name}`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, `lobby-${name}.png`) });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the ${name} lobby does not scroll sideways (${overflow}px)`);
    await openTable(page, 'bac-play');
    const roundId = await waitForBetting(page);
    await page.click('.chip-2');
    await page.click('.spot-banker');
    await page.waitForSelector('#my-bets li[data-status="accepted"]');
    await page.waitForSelector(`#result[data-round="${roundId}"][data-settled="true"]`, { timeout: 20000 });
    // At once, before the next round clears the felt; animations are run to their end.
    await page.screenshot({ path: join(SHOTS, `table-${name}.png`), animations: 'disabled' });
    const tableOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(tableOverflow <= 0, `the ${name} table does not scroll sideways (${tableOverflow}px)`);
    await assertCleanPage(page);
    await page.close();
  }
});
