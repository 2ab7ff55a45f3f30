// app.js: the player client. Sandbox login, the lobby, one live table at a time for all four
// games, bets, blackjack decisions, results and winnings, the fairness panel, and the
// "reconnecting…" state while conn.js resumes the socket.
//
// All table state is rebuilt from the server's events (or a snapshot) in `applyEvent`; the
// view functions only draw that state. Nothing here decides an outcome or a payout: the
// server's `result` and `settled` do. Money is integer minor units until `money()` formats it.
//
// Nothing is put on `window`: the connection and its resume token stay inside this module.
// What the page shows of a table's state (phase, round, seqs applied, when betting closes)
// is mirrored as data attributes on the `.table-view` element (`markTable`), which is
// where tests and curious players read it; none of it is secret.

import { PlayerConnection, isToken } from './conn.js';
import { LANGUAGES, errorText, money, percent, setLanguage, t } from './i18n.js';
import {
  baccaratTotal, blackjackTotal, cardEl, clear, h, outcomeText, pocketColor, ringEl, roadEl, setRing, updateOddsBars,
} from './dom.js';
import { verifyRound } from '../fair.js';

const STORE_KEY = 'croupier.session';
const LOBBY_POLL_MS = 2000;
const CURRENCIES = ['EUR', 'USD', 'JPY'];
const MY_ROUNDS_MAX = 12;
/** The table seqs applied lately, newest last; older ones are forgotten (a few rounds' worth). */
const APPLIED_SEQS_MAX = 256;

const PAYS = {
  player: '1:1', banker: '0.95:1', tie: '8:1', player_pair: '11:1', banker_pair: '11:1',
  dragon: '1:1', tiger: '1:1', main: '3:2 / 1:1',
};
const SPOTS = {
  baccarat: ['player', 'tie', 'banker', 'player_pair', 'banker_pair'],
  dragon_tiger: ['dragon', 'tie', 'tiger'],
  blackjack: ['main'],
};

const app = {
  login: null, // {player_id, currency, language}
  session: null, // the welcome message
  balance: null,
  conn: null,
  view: 'login',
  lobby: new Map(),
  lobbyTimer: null,
  table: null,
  myRounds: [],
};

const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $('#main');

// ---------------------------------------------------------------- helpers

function currency() {
  return app.session?.currency ?? app.login?.currency ?? 'EUR';
}

function fmt(minor) {
  return money(minor, currency());
}

function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function spotLabel(spot) {
  const [kind, arg] = String(spot).split(':');
  if (kind === 'straight') return t('spot_straight', { n: arg });
  if (kind === 'dozen' || kind === 'column') return t(`spot_${kind}`, { n: arg });
  const key = `spot_${kind}`;
  const text = t(key);
  return text === key ? spot : text;
}

function showError(code, message) {
  const box = $('#errors');
  const text = t('error_prefix', { message: errorText(code, message) });
  const item = h('p', { class: 'error', dataset: { code } }, text);
  box.append(item);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => item.remove(), 7000);
}

function announce(text) {
  const region = $('#announcer');
  region.textContent = '';
  // A fresh text node makes screen readers speak a repeated message too.
  setTimeout(() => { region.textContent = text; }, 30);
}

function setStatus(kind, detail) {
  const el = $('#conn-status');
  el.dataset.state = kind;
  if (kind === 'online') {
    if (detail === 'resumed') {
      el.textContent = t('reconnected');
      el.hidden = false;
      clearTimeout(setStatus.timer);
      setStatus.timer = setTimeout(() => { if (el.dataset.state === 'online') el.hidden = true; }, 2500);
    } else {
      el.hidden = true;
    }
    return;
  }
  clearTimeout(setStatus.timer);
  el.hidden = false;
  el.textContent = kind === 'closed' ? t('session_over', { reason: t(detail) }) : t(kind);
}

function renderBalance() {
  const el = $('#balance');
  if (app.balance === null) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.dataset.amount = String(app.balance);
  el.dataset.currency = currency();
  clear(el, h('span', { class: 'label' }, t('balance')), ' ', h('strong', {}, fmt(app.balance)));
}

function setBalance(amount) {
  if (typeof amount !== 'number') return;
  app.balance = amount;
  renderBalance();
}

function renderChrome() {
  document.title = t('app_title');
  $('.skip-link').textContent = t('skip_to_main');
  $('#logout').textContent = t('logout');
  $('#logout').hidden = !app.session;
  $('#lobby-link').textContent = t('lobby');
  $('#lobby-link').hidden = !app.session || app.view === 'lobby';
  renderBalance();
}

// ---------------------------------------------------------------- login and session

function renderLogin() {
  app.view = 'login';
  stopLobby();
  renderChrome();
  const saved = app.login ?? {};
  const browserLang = (navigator.language || 'en').split('-')[0];
  const lang = saved.language ?? (LANGUAGES.some(([c]) => c === browserLang) ? browserLang : 'en');
  const form = h('form', { class: 'panel login', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, t('login_heading')),
    h('p', { class: 'muted' }, t('login_intro')),
    h('label', { for: 'player-id' }, t('player_id')),
    h('input', {
      id: 'player-id', name: 'player_id', required: true, maxlength: 64, pattern: '[A-Za-z0-9_.:\\-]+',
      autocomplete: 'username', value: saved.player_id ?? `player-${randomId().slice(0, 6)}`,
    }),
    h('label', { for: 'currency' }, t('currency')),
    h('select', { id: 'currency', name: 'currency' }, CURRENCIES.map((c) => h('option', { value: c, selected: c === (saved.currency ?? 'EUR') }, c))),
    h('label', { for: 'language' }, t('language')),
    h('select', {
      id: 'language', name: 'language',
      onchange: (e) => { setLanguage(e.target.value); app.login = { ...readLogin(form), language: e.target.value }; renderLogin(); },
    }, LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === lang, lang: code }, name))),
    h('button', { type: 'submit', class: 'primary' }, t('play')));
  setLanguage(lang);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    startSession(readLogin(form));
  });
  clear(main(), form);
  $('#player-id').focus();
}

function readLogin(form) {
  const data = new FormData(form);
  return { player_id: String(data.get('player_id')).trim(), currency: String(data.get('currency')), language: String(data.get('language')) };
}

async function launch(login) {
  const response = await fetch('/v1/sandbox/launch', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(login),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw body.code ? body : { code: 'network', message: String(response.status) };
  return body.token;
}

async function startSession(login) {
  app.login = login;
  let token;
  try {
    token = await launch(login);
  } catch (err) {
    showError(err.code ?? 'network', err.message);
    return;
  }
  connect(token);
}

function connect(token) {
  if (app.conn) app.conn.close();
  const conn = new PlayerConnection({
    welcome: onWelcome,
    table: (ev) => applyEvent(ev),
    private: onPrivate,
    status: setStatus,
    relaunch: () => launch(app.login),
  });
  app.conn = conn;
  conn.open(token);
}

function onWelcome(msg, resumed) {
  app.session = msg;
  setLanguage(msg.language);
  setBalance(msg.balance?.amount);
  sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...app.login, resume_token: msg.resume_token }));
  if (!resumed) {
    if (app.view === 'login') showLobby();
    else renderChrome();
  }
}

function onPrivate(msg) {
  switch (msg.type) {
    case 'balance':
      setBalance(msg.amount);
      break;
    case 'settled':
      onSettled(msg);
      break;
    case 'error':
      // Errors with a req are shown by whoever sent the request.
      if (msg.req === undefined) showError(msg.code, msg.message);
      break;
    default:
  }
}

function logout() {
  if (app.table) leaveTable();
  app.conn?.close();
  app.conn = null;
  app.session = null;
  app.balance = null;
  app.myRounds = [];
  sessionStorage.removeItem(STORE_KEY);
  $('#conn-status').hidden = true;
  renderLogin();
}

// ---------------------------------------------------------------- lobby

function stopLobby() {
  clearInterval(app.lobbyTimer);
  app.lobbyTimer = null;
}

async function refreshLobby() {
  try {
    const response = await fetch('/v1/lobby');
    const body = await response.json();
    for (const table of body.tables) app.lobby.set(table.id, table);
    if (app.view === 'lobby') drawLobby(body.tables);
  } catch {
    // The socket status shows connectivity; the next poll tries again.
  }
}

function showLobby() {
  if (app.table) leaveTable();
  app.view = 'lobby';
  renderChrome();
  clear(main(), h('section', { class: 'lobby', 'aria-labelledby': 'lobby-title' },
    h('h2', { id: 'lobby-title' }, t('tables')),
    h('ul', { class: 'table-list', id: 'table-list' })));
  main().focus({ preventScroll: true });
  refreshLobby();
  stopLobby();
  app.lobbyTimer = setInterval(refreshLobby, LOBBY_POLL_MS);
}

function drawLobby(tables) {
  const list = $('#table-list');
  if (!list) return;
  for (const table of tables) {
    let item = list.querySelector(`[data-table="${CSS.escape(table.id)}"]`);
    if (!item) {
      item = h('li', { class: `table-card game-${table.game}`, dataset: { table: table.id, game: table.game } },
        h('div', { class: 'table-card-head' },
          h('h3', {}, table.name),
          h('span', { class: 'badge phase' })),
        h('p', { class: 'table-meta' }),
        h('p', { class: 'countdown-line', 'aria-live': 'off' }),
        h('div', { class: 'road-box' }),
        h('button', { class: 'primary open-table', onclick: () => openTable(table.id), 'aria-label': t('open_table', { name: table.name }) }, t('play')));
      list.append(item);
    }
    const limits = table.limits?.[currency()];
    item.dataset.phase = table.phase;
    item.querySelector('.phase').textContent = t(`phase_${table.phase}`);
    item.querySelector('.phase').dataset.phase = table.phase;
    clear(item.querySelector('.table-meta'),
      h('span', {}, t(`game_${table.game}`)), ' · ',
      h('span', {}, t(table.dealer === 'console' ? 'live_dealer' : 'auto_dealer')), ' · ',
      h('span', {}, t('players_n', { n: table.players })), h('br'),
      h('span', {}, limits ? t('limits_range', { min: fmt(limits.stake_min), max: fmt(limits.stake_max) }) : t('no_limits', { currency: currency() })));
    item.querySelector('.countdown-line').dataset.closesAt = table.phase === 'betting' && table.closes_at ? String(table.closes_at) : '';
    clear(item.querySelector('.road-box'),
      h('span', { class: 'road-title' }, table.game === 'roulette' ? t('recent_numbers') : table.game === 'blackjack' ? t('recent_totals') : t('road')),
      roadEl(table.game, table.recent, { max: table.game === 'roulette' || table.game === 'blackjack' ? 12 : 36 }));
  }
  tickLobby();
}

function tickLobby() {
  for (const line of document.querySelectorAll('.countdown-line')) {
    const closesAt = Number(line.dataset.closesAt) / 1000;
    const remaining = closesAt ? closesAt - (app.conn?.serverNow() ?? Date.now()) : 0;
    line.textContent = remaining > 0 ? t('closes_in', { s: Math.ceil(remaining / 1000) }) : '';
  }
}

// ---------------------------------------------------------------- the table: state

function newTableState(id) {
  const info = app.lobby.get(id) ?? {};
  return {
    id,
    game: info.game ?? 'baccarat',
    name: info.name ?? id,
    phase: info.phase ?? 'waiting',
    roundId: null,
    closesAtMs: null,
    windowMs: null,
    commit: null,
    shoe: null,
    cards: [],
    odds: null,
    outcome: null,
    pocket: null,
    decision: null,
    myBets: [],
    mySeat: null,
    recent: [],
    limits: info.limits?.[currency()] ?? null,
    paused: false,
    voidReason: null,
    note: '',
    settled: null,
    rounds: new Map(), // round id → {shoe, commit} as this client saw them before betting
    fairLines: [],
    appliedSeqs: [],
    synced: false,
  };
}

function openTable(id) {
  stopLobby();
  app.view = 'table';
  app.table = newTableState(id);
  renderChrome();
  drawTable();
  app.conn.join(id);
}

function leaveTable() {
  if (!app.table) return;
  app.conn?.leave(app.table.id);
  app.table = null;
}

function roundStart(T, ev) {
  T.roundId = ev.round_id;
  T.cards = [];
  T.odds = null;
  T.outcome = null;
  T.pocket = null;
  T.decision = null;
  T.myBets = [];
  T.mySeat = null;
  T.voidReason = null;
  T.settled = null;
  T.note = '';
}

function recentLabel(game, outcome) {
  if (!outcome) return null;
  if (game === 'roulette') return String(outcome.pocket);
  if (game === 'blackjack') return String(outcome.dealer_total);
  if (game === 'dragon_tiger') return { dragon: 'D', tiger: 'T', tie: '=' }[outcome.winner] ?? null; // as the server's road
  return outcome.winner ? outcome.winner[0].toUpperCase() : null;
}

/** Applies one table event (in seq order, gap-free: conn.js guarantees it) and redraws. */
function applyEvent(ev) {
  const T = app.table;
  if (!T || ev.table !== T.id) return;
  T.appliedSeqs.push(ev.seq);
  if (T.appliedSeqs.length > APPLIED_SEQS_MAX) T.appliedSeqs.shift();
  let fresh = -1;
  switch (ev.type) {
    case 'snapshot': {
      T.appliedSeqs = [ev.seq];
      T.synced = true;
      T.game = ev.game ?? T.game;
      T.name = ev.name ?? T.name;
      T.paused = Boolean(ev.paused);
      T.phase = ev.paused && !ev.round_id ? 'paused' : ev.phase;
      T.recent = ev.recent ?? [];
      T.limits = ev.limits ?? T.limits;
      T.commit = ev.commit ?? null;
      T.shoe = ev.shoe ?? null;
      if (ev.round_id !== T.roundId) roundStart(T, ev);
      T.roundId = ev.round_id ?? null;
      T.closesAtMs = ev.closes_at ? ev.closes_at / 1000 : null;
      if (T.closesAtMs && !T.windowMs) T.windowMs = Math.max(1000, T.closesAtMs - app.conn.serverNow());
      T.cards = (ev.cards ?? []).map((c) => ({ to: c.to, card: c.card }));
      T.odds = ev.odds ?? null;
      T.outcome = ev.outcome ?? null;
      T.pocket = ev.outcome?.pocket ?? null;
      T.decision = ev.decision ? { ...ev.decision, actions: ev.decision.actions ?? ['hit', 'stand', 'double'] } : null;
      T.myBets = (ev.my_bets ?? []).map((b) => ({ ...b, status: 'accepted' }));
      T.mySeat = T.myBets.find((b) => b.seat)?.seat ?? null;
      if (T.roundId && !T.rounds.has(T.roundId)) T.rounds.set(T.roundId, { shoe: T.shoe, commit: T.commit });
      drawTable();
      return;
    }
    case 'round_open':
      roundStart(T, ev);
      T.phase = T.paused ? 'paused' : 'betting';
      T.closesAtMs = ev.closes_at / 1000;
      T.windowMs = Math.max(1000, ev.closes_at / 1000 - ev.ts / 1000);
      T.commit = ev.commit ?? null;
      T.shoe = ev.shoe ?? null;
      T.rounds.set(ev.round_id, { shoe: T.shoe, commit: T.commit });
      break;
    case 'bets_closed':
      T.phase = 'dealing';
      T.myBets = T.myBets.filter((b) => b.status === 'accepted');
      break;
    case 'card':
      T.cards.push({ to: ev.to, card: ev.card });
      fresh = T.cards.length - 1;
      break;
    case 'card_undone': {
      const index = T.cards.map((c) => c.to).lastIndexOf(ev.position);
      if (index >= 0) T.cards.splice(index, 1);
      T.phase = 'dealing';
      T.outcome = null;
      T.note = t('undone_note', { card: ev.card });
      break;
    }
    case 'odds':
      T.odds = ev;
      break;
    case 'ball':
      T.pocket = ev.pocket;
      break;
    case 'decision':
      T.phase = 'deciding';
      T.decision = ev;
      break;
    case 'countdown':
      // The server's word on a decision's time left: re-anchor the timer to it.
      if (T.decision && T.decision.seat === ev.seat && T.decision.hand === ev.hand && typeof ev.remaining_ms === 'number') {
        T.decision.deadline = (app.conn.serverNow() + ev.remaining_ms) * 1000;
      }
      break;
    case 'action':
      T.decision = null;
      T.phase = 'dealing';
      if (ev.auto) T.note = t('auto_stand', { seat: ev.seat });
      break;
    case 'result': {
      T.phase = 'result';
      T.outcome = ev.outcome;
      T.decision = null;
      if (ev.outcome?.pocket !== undefined) T.pocket = ev.outcome.pocket;
      const label = recentLabel(T.game, ev.outcome);
      if (label !== null) T.recent = [label, ...T.recent].slice(0, 60);
      announce(`${t('round_n', { n: ev.round_id })}: ${outcomeText(T.game, ev.outcome)}`);
      break;
    }
    case 'round_void': {
      T.phase = 'void';
      T.voidReason = ev.reason;
      T.decision = null;
      const staked = T.roundId === ev.round_id ? T.myBets.filter((b) => b.status === 'accepted').reduce((s, b) => s + b.amount, 0) : 0;
      if (staked > 0) addMyRound({ round_id: ev.round_id, staked, won: staked, void: true });
      announce(t('void_reason', { reason: ev.reason }));
      break;
    }
    case 'reveal':
      verifyShoe(ev);
      break;
    case 'burn':
      T.note = t('burn_note');
      break;
    case 'shoe_changed':
      T.note = t('shoe_changed_note');
      T.odds = null;
      break;
    case 'paused':
      T.paused = true;
      if (!T.roundId || ['result', 'void', 'settled', 'waiting'].includes(T.phase)) T.phase = 'paused';
      T.note = t('paused_note');
      break;
    case 'resumed':
      T.paused = false;
      if (T.phase === 'paused') T.phase = 'waiting';
      T.note = '';
      break;
    default:
      // Nothing to draw, but its seq was applied.
      markTable();
      return;
  }
  updateTable(fresh);
}

function onSettled(msg) {
  const T = app.table;
  setBalance(msg.balance?.amount);
  const staked = (msg.payouts ?? []).reduce((s, p) => s + p.amount, 0);
  const won = msg.won ?? (msg.payouts ?? []).reduce((s, p) => s + p.payout, 0);
  if (staked > 0) addMyRound({ round_id: msg.round_id, staked, won, table: msg.table });
  if (T && msg.table === T.id && msg.round_id === T.roundId) {
    T.settled = { staked, won };
    if (T.phase === 'result') T.phase = 'settled';
    if (staked > 0) announce(winText(staked, won));
    updateTable(-1);
  }
}

function addMyRound(entry) {
  app.myRounds = [entry, ...app.myRounds.filter((r) => r.round_id !== entry.round_id)].slice(0, MY_ROUNDS_MAX);
}

function winText(staked, won) {
  if (won > staked) return t('you_won', { amount: fmt(won) });
  if (won === staked) return t('you_pushed', { amount: fmt(won) });
  if (won > 0) return `${t('you_lost', { amount: fmt(staked) })} · ${t('you_pushed', { amount: fmt(won) })}`;
  return t('you_lost', { amount: fmt(staked) });
}

// ---------------------------------------------------------------- the table: actions

async function placeBet(spot) {
  const T = app.table;
  if (!T) return;
  if (T.phase !== 'betting' || !T.roundId) {
    showError('no_round', t('err_no_round'));
    return;
  }
  const amount = selectedChip();
  if (T.limits && amount < T.limits.stake_min) { showError('below_min', t('err_below_min', { min: fmt(T.limits.stake_min) })); return; }
  if (T.limits && amount > T.limits.stake_max) { showError('above_max', t('err_above_max', { max: fmt(T.limits.stake_max) })); return; }
  const bet = { bet_id: randomId(), spot, amount, status: 'pending', round_id: T.roundId };
  T.myBets.push(bet);
  updateTable(-1);
  try {
    const ack = await app.conn.request({ type: 'bet', table: T.id, round_id: T.roundId, spot, amount, bet_id: bet.bet_id });
    bet.status = 'accepted';
    if (ack.seat) { bet.seat = ack.seat; if (T === app.table) T.mySeat = ack.seat; }
    setBalance(ack.balance?.amount);
  } catch (err) {
    T.myBets = T.myBets.filter((b) => b !== bet);
    showError(err.code, err.message);
  }
  if (T === app.table) updateTable(-1);
}

async function act(action) {
  const T = app.table;
  if (!T?.decision) return;
  try {
    await app.conn.request({ type: 'action', table: T.id, round_id: T.roundId, hand: T.decision.hand, action });
  } catch (err) {
    showError(err.code, err.message);
  }
}

function chipValues(limits) {
  const min = limits?.stake_min ?? 100;
  const max = limits?.stake_max ?? min * 1000;
  return [1, 5, 10, 25, 100, 500].map((f) => min * f).filter((v) => v <= max).slice(0, 5);
}

function selectedChip() {
  const checked = document.querySelector('input[name="chip"]:checked');
  return checked ? Number(checked.value) : chipValues(app.table?.limits)[0];
}

// ---------------------------------------------------------------- the table: drawing

function drawTable() {
  const T = app.table;
  const game = T.game;
  const chips = chipValues(T.limits);
  const previousChip = document.querySelector('input[name="chip"]:checked')?.value;
  const section = h('section', { class: `table-view game-${game}`, 'aria-labelledby': 'table-title', dataset: { table: T.id, game } },
    h('div', { class: 'table-head' },
      h('button', { class: 'ghost', onclick: showLobby }, `← ${t('back_to_lobby')}`),
      h('h2', { id: 'table-title' }, T.name),
      h('span', { class: 'badge phase', id: 'phase' }),
      h('span', { class: 'round-no', id: 'round-no' }),
      h('div', { class: 'countdown', id: 'countdown', role: 'timer' }, ringEl(), h('span', { class: 'visually-hidden', id: 'countdown-text' }))),
    h('div', { class: 'table-grid' },
      h('div', { class: 'felt', id: 'felt' },
        h('div', { id: 'hands', class: 'hands' }),
        h('p', { id: 'note', class: 'note', 'aria-live': 'polite' }),
        h('div', { id: 'result', class: 'result', 'aria-live': 'off' }),
        h('div', { id: 'decision', class: 'decision' })),
      h('aside', { class: 'side' },
        h('section', { class: 'panel odds-panel', 'aria-labelledby': 'odds-title', hidden: game === 'roulette' },
          h('h3', { id: 'odds-title' }, t('odds')), h('div', { id: 'odds' })),
        h('section', { class: 'panel', 'aria-labelledby': 'road-title' },
          h('h3', { id: 'road-title' }, game === 'roulette' ? t('recent_numbers') : game === 'blackjack' ? t('recent_totals') : t('road')),
          h('div', { id: 'road' })))),
    h('section', { class: 'betting panel', 'aria-labelledby': 'bets-title' },
      h('h3', { id: 'bets-title', class: 'visually-hidden' }, t('phase_betting')),
      h('fieldset', { class: 'chips' },
        h('legend', {}, t('chips')),
        chips.map((value, i) => h('label', { class: `chip chip-${i}` },
          h('input', { type: 'radio', name: 'chip', value, checked: previousChip ? String(value) === previousChip : i === 0 }),
          h('span', {}, fmt(value))))),
      h('p', { class: 'limits muted', id: 'limits' }, T.limits ? t('limits_range', { min: fmt(T.limits.stake_min), max: fmt(T.limits.stake_max) }) : ''),
      game === 'roulette' ? rouletteLayout() : h('div', { class: 'spots' }, SPOTS[game].map((spot) => spotButton(spot)))),
    h('div', { class: 'lower-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'mybets-title' }, h('h3', { id: 'mybets-title' }, t('your_bets')), h('div', { id: 'my-bets' })),
      h('section', { class: 'panel', 'aria-labelledby': 'myrounds-title' }, h('h3', { id: 'myrounds-title' }, t('your_rounds')), h('div', { id: 'my-rounds' })),
      fairPanel()));
  clear(main(), section);
  updateTable(-1);
}

function spotButton(spot, extraClass = '', label = spotLabel(spot)) {
  return h('button', {
    class: `spot spot-${spot.replace(/[^a-z0-9]/gi, '_')} ${extraClass}`.trim(),
    type: 'button',
    dataset: { spot },
    onclick: () => placeBet(spot),
  }, h('span', { class: 'spot-name' }, label),
  PAYS[spot] ? h('span', { class: 'spot-pays' }, t('pays', { ratio: PAYS[spot] })) : null,
  h('span', { class: 'spot-odds' }),
  h('span', { class: 'spot-stake' }));
}

function rouletteLayout() {
  const numbers = [];
  for (let col = 0; col < 12; col++) {
    for (let row = 0; row < 3; row++) {
      const n = col * 3 + (3 - row);
      const button = spotButton(`straight:${n}`, `num pocket-${pocketColor(n)}`, String(n));
      button.style.gridColumn = String(col + 2);
      button.style.gridRow = String(row + 1);
      button.setAttribute('aria-label', `${t('spot_straight', { n })}, ${t(`color_${pocketColor(n)}`)}`);
      numbers.push(button);
    }
  }
  const zero = spotButton('straight:0', 'num pocket-green zero', '0');
  zero.setAttribute('aria-label', `${t('spot_straight', { n: 0 })}, ${t('color_green')}`);
  const columns = [3, 2, 1].map((c, row) => {
    const b = spotButton(`column:${c}`, 'outside column', '2:1');
    b.setAttribute('aria-label', t('spot_column', { n: c }));
    b.style.gridColumn = '14';
    b.style.gridRow = String(row + 1);
    return b;
  });
  const dozens = [1, 2, 3].map((d) => {
    const b = spotButton(`dozen:${d}`, 'outside dozen', t('spot_dozen', { n: d }));
    b.style.gridColumn = `${2 + (d - 1) * 4} / span 4`;
    b.style.gridRow = '4';
    return b;
  });
  const evens = ['low', 'even', 'red', 'black', 'odd', 'high'].map((s, i) => {
    const b = spotButton(s, `outside even-${s}`);
    b.style.gridColumn = `${2 + i * 2} / span 2`;
    b.style.gridRow = '5';
    return b;
  });
  const otherInput = h('input', { id: 'other-spot', name: 'other_spot', autocomplete: 'off', spellcheck: 'false', placeholder: 'split:1-2' });
  return h('div', { class: 'roulette-wrap' },
    h('div', { class: 'roulette-layout' }, zero, numbers, columns, dozens, evens),
    h('form', {
      class: 'other-bet',
      onsubmit: (e) => { e.preventDefault(); if (otherInput.value.trim()) placeBet(otherInput.value.trim()); },
    }, h('label', { for: 'other-spot' }, t('other_bet')), h('div', { class: 'row' }, otherInput, h('button', { type: 'submit' }, t('place_bet')))));
}

function fairPanel() {
  const roundInput = h('input', { id: 'fair-round', inputmode: 'numeric', pattern: '[0-9]+', autocomplete: 'off' });
  const seedInput = h('input', { id: 'client-seed', maxlength: 64, pattern: '[!-~]+', autocomplete: 'off' });
  return h('section', { class: 'panel fair', id: 'fair', 'aria-labelledby': 'fair-title' },
    h('h3', { id: 'fair-title' }, t('fairness')),
    h('p', { class: 'muted small' }, t('fair_intro')),
    h('p', { class: 'commit' }, h('span', {}, `${t('fair_commit')}: `), h('code', { id: 'fair-commit' }, '–')),
    h('ul', { id: 'fair-results', class: 'fair-results', 'aria-live': 'polite' }),
    h('form', {
      class: 'row', onsubmit: (e) => { e.preventDefault(); if (roundInput.value) verifyRoundId(Number(roundInput.value)); },
    }, h('label', { for: 'fair-round' }, t('fair_round')), roundInput, h('button', { type: 'submit' }, t('fair_verify'))),
    h('form', {
      class: 'row', onsubmit: async (e) => {
        e.preventDefault();
        const T = app.table;
        if (!T || !seedInput.value) return;
        try {
          const ack = await app.conn.request({ type: 'client_seed', table: T.id, seed: seedInput.value });
          T.note = t('fair_seed_taken', { n: ack.shoe });
          updateTable(-1);
        } catch (err) {
          showError(err.code, err.message);
        }
      },
    }, h('label', { for: 'client-seed' }, t('fair_client_seed')), seedInput, h('button', { type: 'submit' }, t('fair_send_seed'))));
}

function handCards(T, prefix, fresh) {
  return T.cards.map((c, i) => ({ ...c, i })).filter((c) => c.to.startsWith(prefix)).map((c) => {
    const el = cardEl(c.card, c.i === fresh);
    // Where and when in the round it was dealt: the felt groups cards by hand, this keeps
    // the dealing order readable from the page.
    el.dataset.to = c.to;
    el.dataset.index = String(c.i);
    return el;
  });
}

function drawHands(fresh) {
  const T = app.table;
  const box = $('#hands');
  if (!box) return;
  const hand = (key, title, cards, total, extra = '') => h('div', { class: `hand hand-${key} ${extra}`.trim(), dataset: { hand: key } },
    h('h4', {}, title, total !== null ? h('span', { class: 'total', dataset: { total } }, String(total)) : null),
    h('div', { class: 'cards', dataset: { count: cards.length } }, cards));
  if (T.game === 'baccarat') {
    const p = T.cards.filter((c) => c.to.startsWith('player')).map((c) => c.card);
    const b = T.cards.filter((c) => c.to.startsWith('banker')).map((c) => c.card);
    const win = T.outcome?.winner;
    clear(box,
      hand('player', t('spot_player'), handCards(T, 'player', fresh), p.length ? baccaratTotal(p) : null, win === 'player' ? 'winner' : ''),
      hand('banker', t('spot_banker'), handCards(T, 'banker', fresh), b.length ? baccaratTotal(b) : null, win === 'banker' ? 'winner' : ''));
  } else if (T.game === 'dragon_tiger') {
    const win = T.outcome?.winner;
    clear(box,
      hand('dragon', t('spot_dragon'), handCards(T, 'dragon', fresh), null, win === 'dragon' ? 'winner' : ''),
      hand('tiger', t('spot_tiger'), handCards(T, 'tiger', fresh), null, win === 'tiger' ? 'winner' : ''));
  } else if (T.game === 'blackjack') {
    const dealer = T.cards.filter((c) => c.to === 'dealer').map((c) => c.card);
    const seats = [...new Set(T.cards.filter((c) => c.to.startsWith('seat')).map((c) => c.to))].sort();
    clear(box,
      hand('dealer', t('dealer'), handCards(T, 'dealer', fresh), dealer.length ? blackjackTotal(dealer).total : null),
      h('div', { class: 'seats' }, seats.map((pos) => {
        const [seat, handNo] = pos.slice(4).split('.').map(Number);
        const cards = T.cards.filter((c) => c.to === pos).map((c) => c.card);
        const mine = seat === T.mySeat;
        const deciding = T.decision && T.decision.seat === seat && T.decision.hand === handNo;
        const title = `${mine ? t('your_seat', { n: seat }) : t('seat_n', { n: seat })}${handNo ? ` · ${handNo + 1}` : ''}`;
        return hand(pos, title, handCards(T, pos, fresh).filter((el, i) => cards[i] !== undefined),
          blackjackTotal(cards).total, `${mine ? 'mine' : ''} ${deciding ? 'deciding' : ''}`);
      })));
  } else {
    const pocket = T.pocket;
    clear(box, h('div', { class: `ball ${pocket !== null && pocket !== undefined ? `pocket-${pocketColor(pocket)} landed` : ''}`, dataset: { pocket: pocket ?? '' } },
      pocket !== null && pocket !== undefined ? String(pocket) : '?'));
  }
}

function oddsRows(T) {
  const o = T.odds;
  if (!o) return null;
  if (T.game === 'baccarat') return ['player', 'banker', 'tie', 'player_pair', 'banker_pair'].map((k) => [k, t(`spot_${k}`), o[k] ?? 0]);
  if (T.game === 'dragon_tiger') return ['dragon', 'tiger', 'tie'].map((k) => [k, t(`spot_${k}`), o[k] ?? 0]);
  if (T.game === 'blackjack') return ['17', '18', '19', '20', '21', 'bust', 'blackjack'].map((k) => [`d${k}`, k === 'bust' ? 'Bust' : k === 'blackjack' ? 'BJ' : k, o[k] ?? 0]);
  return null;
}

/** Redraws everything that depends on table state; `fresh` is the index of a card just dealt. */
function updateTable(fresh) {
  const T = app.table;
  if (!T || !$('#felt')) return;
  const phaseEl = $('#phase');
  phaseEl.textContent = t(`phase_${T.phase}`);
  phaseEl.dataset.phase = T.phase;
  $('#felt').dataset.phase = T.phase;
  $('#round-no').textContent = T.roundId ? t('round_n', { n: T.roundId }) : '';
  $('#round-no').dataset.round = T.roundId ?? '';
  $('#note').textContent = T.note || '';
  drawHands(fresh);

  const rows = oddsRows(T);
  const oddsBox = $('#odds');
  if (rows) updateOddsBars(oddsBox, rows);
  else clear(oddsBox, h('p', { class: 'muted small' }, T.game === 'roulette' ? '' : '—'));
  for (const button of document.querySelectorAll('.spot')) {
    const spot = button.dataset.spot;
    const mine = T.myBets.filter((b) => b.spot === spot);
    const sum = mine.reduce((s, b) => s + b.amount, 0);
    button.querySelector('.spot-stake').textContent = sum ? fmt(sum) : '';
    button.classList.toggle('has-bet', sum > 0);
    button.classList.toggle('pending', mine.some((b) => b.status === 'pending'));
    button.disabled = T.phase !== 'betting';
    button.setAttribute('aria-disabled', String(T.phase !== 'betting'));
    const p = T.odds?.[spot];
    button.querySelector('.spot-odds').textContent = typeof p === 'number' && T.game !== 'blackjack' ? percent(p) : '';
    const outcome = T.outcome;
    const won = outcome && ((outcome.winner === spot) || (spot === 'player_pair' && outcome.player_pair) || (spot === 'banker_pair' && outcome.banker_pair)
      || (T.game === 'roulette' && spotCovers(spot, outcome.pocket)));
    button.classList.toggle('won', Boolean(won));
  }
  for (const button of document.querySelectorAll('.other-bet button, .other-bet input')) button.disabled = T.phase !== 'betting';

  const result = $('#result');
  result.dataset.round = T.roundId ?? '';
  result.dataset.outcome = T.outcome ? JSON.stringify(T.outcome) : '';
  result.dataset.settled = T.settled ? 'true' : '';
  if (T.voidReason) clear(result, h('p', { class: 'void' }, t('void_reason', { reason: T.voidReason })));
  else if (T.outcome) {
    clear(result, h('p', { class: 'outcome' }, outcomeText(T.game, T.outcome)),
      T.settled ? h('p', { class: `win ${T.settled.won > T.settled.staked ? 'positive' : ''}`, dataset: { won: T.settled.won, staked: T.settled.staked } },
        winText(T.settled.staked, T.settled.won)) : null);
  } else clear(result);

  drawDecision();
  drawMyBets();
  drawMyRounds();
  clear($('#road'), roadEl(T.game, T.recent, { max: T.game === 'roulette' || T.game === 'blackjack' ? 18 : 48 }));
  $('#fair-commit').textContent = T.commit ? `${T.commit.slice(0, 16)}… (${t('fair_shoe', { n: T.shoe })})` : '–';
  $('#fair-commit').title = T.commit ?? '';
  drawFair();
  markTable();
  tickTable();
}

/**
 * Mirrors the table's state onto `.table-view` as data attributes: phase, round id, whether
 * a snapshot arrived, when betting closes (server clock, ms), this player's seat, and the
 * seqs applied since the last snapshot (at most APPLIED_SEQS_MAX, oldest first). The server
 * clock offset is kept current by `tickTable`. No token, nothing private to the session.
 */
function markTable() {
  const T = app.table;
  const view = $('.table-view');
  if (!T || !view) return;
  Object.assign(view.dataset, {
    phase: T.phase,
    roundId: T.roundId ?? '',
    synced: String(T.synced),
    closesAtMs: T.closesAtMs ? String(Math.round(T.closesAtMs)) : '',
    mySeat: T.mySeat ?? '',
    lastSeq: T.appliedSeqs.at(-1) ?? '',
    appliedSeqs: T.appliedSeqs.join(' '),
  });
}

function spotCovers(spot, pocket) {
  if (pocket === undefined || pocket === null) return false;
  const n = Number(pocket);
  const [kind, arg] = spot.split(':');
  const nonzero = n !== 0;
  switch (kind) {
    case 'straight': return Number(arg) === n;
    case 'dozen': return nonzero && Math.floor((n - 1) / 12) + 1 === Number(arg);
    case 'column': return nonzero && ((n - 1) % 3) + 1 === Number(arg);
    case 'red': return pocketColor(n) === 'red';
    case 'black': return pocketColor(n) === 'black';
    case 'odd': return nonzero && n % 2 === 1;
    case 'even': return nonzero && n % 2 === 0;
    case 'low': return nonzero && n <= 18;
    case 'high': return n >= 19;
    default: return false;
  }
}

function drawDecision() {
  const T = app.table;
  const box = $('#decision');
  const d = T.decision;
  if (!d) {
    clear(box);
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const mine = d.seat === T.mySeat;
  if (!mine) {
    clear(box, h('p', {}, t('decision_for', { seat: d.seat })), h('progress', { id: 'decision-timer', max: 1000, value: 1000, 'aria-label': t('decision_time') }));
    return;
  }
  if (box.dataset.key === `${T.roundId}/${d.seat}/${d.hand}/${d.seq ?? ''}` && box.querySelector('button')) return;
  box.dataset.key = `${T.roundId}/${d.seat}/${d.hand}/${d.seq ?? ''}`;
  clear(box,
    h('h3', { id: 'decision-title' }, t('your_decision', { hand: d.hand + 1 })),
    h('progress', { id: 'decision-timer', max: 1000, value: 1000, 'aria-label': t('decision_time') }),
    h('div', { class: 'actions', role: 'group', 'aria-labelledby': 'decision-title' },
      (d.actions ?? ['hit', 'stand']).map((a) => h('button', { class: `action action-${a}`, dataset: { action: a }, onclick: () => act(a) }, t(`action_${a}`)))));
  box.querySelector('button')?.focus();
}

function drawMyBets() {
  const T = app.table;
  const box = $('#my-bets');
  if (!T.myBets.length) {
    clear(box, h('p', { class: 'muted' }, t('no_bets')));
    return;
  }
  const total = T.myBets.reduce((s, b) => s + b.amount, 0);
  clear(box,
    h('ul', { class: 'bet-list' }, T.myBets.map((b) => h('li', { dataset: { spot: b.spot, status: b.status, amount: b.amount } },
      h('span', {}, spotLabel(b.spot)), h('strong', {}, fmt(b.amount)), h('span', { class: `status ${b.status}` }, t(b.status))))),
    h('p', { class: 'muted' }, t('total_staked', { amount: fmt(total) })));
}

function drawMyRounds() {
  const box = $('#my-rounds');
  if (!box) return;
  if (!app.myRounds.length) {
    clear(box, h('p', { class: 'muted' }, t('no_rounds')));
    return;
  }
  clear(box, h('ol', { class: 'round-list' }, app.myRounds.map((r) => h('li', {
    class: r.void ? 'void' : r.won > r.staked ? 'up' : r.won < r.staked ? 'down' : 'even',
    dataset: { round: r.round_id, staked: r.staked, won: r.won },
  }, r.void ? t('round_void_line', { n: r.round_id, staked: fmt(r.staked) }) : t('round_line', { n: r.round_id, staked: fmt(r.staked), won: fmt(r.won) })))));
}

function tickTable() {
  const T = app.table;
  if (!T || !$('#countdown')) return;
  const now = app.conn?.serverNow() ?? Date.now();
  // With data-closes-at-ms, what a reader needs to compute the time left as this page does.
  const view = $('.table-view');
  const offset = String(Math.round(app.conn?.clockOffsetMs ?? 0));
  if (view.dataset.clockOffsetMs !== offset) view.dataset.clockOffsetMs = offset;
  const remaining = T.phase === 'betting' && T.closesAtMs ? T.closesAtMs - now : 0;
  const ring = $('#countdown svg');
  setRing(ring, remaining, T.windowMs ?? 10000);
  $('#countdown').hidden = remaining <= 0;
  const seconds = Math.ceil(remaining / 1000);
  const text = $('#countdown-text');
  if (text.dataset.s !== String(seconds)) {
    text.dataset.s = String(seconds);
    text.textContent = remaining > 0 ? t('betting_closes_in', { s: seconds }) : '';
  }
  const timer = $('#decision-timer');
  if (timer && T.decision?.deadline) {
    const left = T.decision.deadline / 1000 - now;
    const total = T.decisionTotalMs ?? (T.decisionTotalMs = Math.max(1000, left));
    timer.value = Math.max(0, Math.min(1000, (left / total) * 1000));
  } else if (!T.decision) {
    T.decisionTotalMs = null;
  }
}

// ---------------------------------------------------------------- fairness

async function verifyShoe(reveal) {
  const T = app.table;
  const rounds = [...T.rounds.entries()].filter(([, r]) => r.shoe === reveal.shoe).map(([id]) => id);
  const line = { key: `shoe-${reveal.shoe}`, title: t('fair_revealed', { n: reveal.shoe }), status: 'checking', text: t('fair_checking'), rounds };
  T.fairLines = [line, ...T.fairLines.filter((l) => l.key !== line.key)].slice(0, 8);
  drawFair();
  if (!rounds.length) {
    // Joined after this shoe's rounds: check the reveal's own commit at least.
    line.status = 'checking';
  }
  const results = [];
  for (const id of rounds) results.push(await checkRound(id));
  const bad = results.find((r) => r.status !== 'verified');
  line.status = rounds.length ? (bad ? bad.status : 'verified') : 'pending';
  line.text = rounds.length ? describeFair(bad ?? results[0]) : t('fair_pending');
  line.detail = results.map((r) => `${t('round_n', { n: r.round_id })}: ${(r.dealt_cards ?? []).join(' ') || (r.expected_pocket ?? '')}`).join(' · ');
  drawFair();
}

async function verifyRoundId(id) {
  const T = app.table;
  const line = { key: `round-${id}`, title: t('round_n', { n: id }), status: 'checking', text: t('fair_checking') };
  T.fairLines = [line, ...T.fairLines.filter((l) => l.key !== line.key)].slice(0, 8);
  drawFair();
  const result = await checkRound(id);
  line.status = result.status;
  line.text = describeFair(result);
  line.detail = (result.dealt_cards ?? []).join(' ');
  drawFair();
}

async function checkRound(id) {
  try {
    if (!globalThis.crypto?.subtle) throw new Error('WebCrypto needs https or localhost');
    const response = await fetch(`/v1/rounds/${id}`);
    const record = await response.json();
    if (!response.ok) return { round_id: id, status: 'error', message: errorText(record.code, record.message) };
    return await verifyRound(record, app.table?.rounds.get(id)?.commit);
  } catch (err) {
    return { round_id: id, status: 'error', message: err.message };
  }
}

function describeFair(result) {
  switch (result.status) {
    case 'verified': return t('fair_verified');
    case 'mismatch': return t('fair_mismatch', { reasons: result.reasons.map((r) => t(`fair_reason_${r}`)).join('; ') });
    case 'pending': return t('fair_pending');
    case 'unverifiable': return t('fair_unverifiable');
    default: return t('fair_error', { message: result.message ?? '' });
  }
}

function drawFair() {
  const list = $('#fair-results');
  if (!list || !app.table) return;
  clear(list, app.table.fairLines.map((l) => {
    // A shoe's line names the rounds it checked, so a reader can check one of them again.
    const dataset = { status: l.status, key: l.key, ...(l.rounds ? { rounds: l.rounds.join(' ') } : {}) };
    return h('li', { class: `fair-result fair-${l.status}`, dataset },
      h('strong', {}, l.title), ': ', h('span', { class: 'fair-text' }, l.text),
      l.detail ? h('span', { class: 'fair-detail small muted' }, l.detail) : null);
  }));
}

// ---------------------------------------------------------------- boot

function tick() {
  if (app.view === 'lobby') tickLobby();
  if (app.view === 'table') tickTable();
}

function boot() {
  $('#logout').addEventListener('click', logout);
  $('#lobby-link').addEventListener('click', showLobby);
  setInterval(tick, 200);
  const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
  if (isToken(saved?.resume_token)) {
    app.login = { player_id: saved.player_id, currency: saved.currency, language: saved.language };
    setLanguage(saved.language);
    app.view = 'lobby';
    showLobby();
    connect(saved.resume_token);
  } else {
    renderLogin();
  }
}

boot();
