// dealer.js: the dealer console. Logs in to one table with a dealer key over /v1/deal,
// then drives it: open a round, close betting, deal cards typed or scanned (`Kh` + Enter),
// undo, burn, change the shoe, void with a reason, pause and resume, land a roulette ball.
// It shows the table's events, the cards dealt, and the live bets and exposure.
//
// The server is the authority: every command's ack or error is shown, and the console's
// picture of the round is rebuilt from the table events it receives, never from guesses.
// The dealer key and the socket stay inside this module: nothing is put on `window`. The
// status line's `data-state` says when the console is attached (`online`).

import { LANGUAGES, errorText, money, setLanguage, t } from './i18n.js';
import { cardEl, clear, h, outcomeText, ringEl, setRing } from './dom.js';

const POSITIONS = {
  baccarat: ['player1', 'banker1', 'player2', 'banker2', 'player3', 'banker3'],
  dragon_tiger: ['dragon', 'tiger'],
  blackjack: ['dealer'],
  roulette: [],
};
const LOG_MAX = 200;
const $ = (sel) => document.querySelector(sel);

const state = {
  ws: null,
  table: null,
  key: null,
  nextReq: 1,
  pending: new Map(),
  attached: false,
  stopped: true,
  game: 'baccarat',
  phase: 'waiting',
  roundId: null,
  paused: false,
  nextPosition: null,
  cards: [],
  outcome: null,
  closesAtMs: null,
  windowMs: null,
  bets: null,
  clockOffsetMs: 0,
};

function showError(code, message) {
  const box = $('#errors');
  const item = h('p', { class: 'error', dataset: { code } }, t('error_prefix', { message: errorText(code, message) }));
  box.append(item);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => item.remove(), 7000);
}

function setStatus(kind, text) {
  const el = $('#conn-status');
  el.dataset.state = kind;
  el.hidden = !text;
  el.textContent = text || '';
}

function log(text) {
  const list = $('#event-log');
  if (!list) return;
  list.prepend(h('li', {}, `${new Date().toLocaleTimeString()} ${text}`));
  while (list.children.length > LOG_MAX) list.lastChild.remove();
}

// ---------------------------------------------------------------- login

async function renderLogin() {
  document.title = t('console_title');
  let tables = [];
  try {
    tables = (await (await fetch('/v1/lobby')).json()).tables;
  } catch {
    showError('network');
  }
  tables.sort((a, b) => (a.dealer === 'console' ? 0 : 1) - (b.dealer === 'console' ? 0 : 1));
  const params = new URLSearchParams(location.search);
  const wanted = params.get('table');
  const form = h('form', { class: 'panel login', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, t('console_login')),
    h('label', { for: 'table' }, t('table')),
    h('select', { id: 'table', name: 'table', required: true }, tables.map((tb) => h('option', {
      value: tb.id, selected: tb.id === wanted,
    }, `${tb.name} (${tb.id}) · ${t(tb.dealer === 'console' ? 'live_dealer' : 'auto_dealer')}`))),
    h('label', { for: 'dealer-key' }, t('dealer_key')),
    h('input', { id: 'dealer-key', name: 'key', type: 'password', required: true, autocomplete: 'current-password' }),
    h('label', { for: 'language' }, t('language')),
    h('select', {
      id: 'language', name: 'language', onchange: (e) => { setLanguage(e.target.value); renderLogin(); },
    }, LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === document.documentElement.lang }, name))),
    h('button', { type: 'submit', class: 'primary' }, t('connect')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const table = String(data.get('table'));
    state.game = tables.find((tb) => tb.id === table)?.game ?? 'baccarat';
    connect(table, String(data.get('key')));
  });
  clear($('#main'), form);
  $('#dealer-key').focus();
}

// ---------------------------------------------------------------- socket

function connect(table, key) {
  state.table = table;
  state.key = key;
  state.stopped = false;
  state.attached = false;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/v1/deal?table=${encodeURIComponent(table)}`);
  state.ws = ws;
  setStatus('connecting', t('connecting'));
  ws.onopen = () => {
    request({ type: 'auth', key }).then(() => {
      state.attached = true;
      setStatus('online', '');
      log(t('attached', { table }));
    }, (err) => {
      state.stopped = true;
      showError(err.code, err.message);
      setStatus('closed', errorText(err.code, err.message));
      renderLogin();
    });
  };
  ws.onmessage = (e) => onFrame(e.data);
  ws.onclose = () => {
    if (ws !== state.ws) return;
    for (const { reject } of state.pending.values()) reject({ code: 'network' });
    state.pending.clear();
    if (state.stopped) return;
    setStatus('reconnecting', t('reconnecting'));
    setTimeout(() => { if (!state.stopped) connect(state.table, state.key); }, 1000);
  };
}

/** One line of the event log. */
function describe(msg) {
  const parts = [`#${msg.seq}`, msg.type];
  if (msg.card) parts.push(msg.to ?? msg.position, msg.card);
  if (msg.type === 'ball') parts.push(String(msg.pocket));
  if (msg.reason) parts.push(`(${msg.reason})`);
  if (msg.outcome) parts.push(JSON.stringify(msg.outcome));
  return parts.join(' ');
}

function request(msg) {
  const req = state.nextReq++;
  return new Promise((resolve, reject) => {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      reject({ code: 'network' });
      return;
    }
    state.pending.set(req, { resolve, reject });
    state.ws.send(JSON.stringify({ ...msg, req }));
  });
}

/** Sends a console command; shows its error in words. Resolves with the ack or null. */
async function command(msg) {
  try {
    const ack = await request(msg);
    if ('next_position' in ack) state.nextPosition = ack.next_position;
    draw();
    return ack;
  } catch (err) {
    showError(err.code, err.message);
    return null;
  }
}

function onFrame(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof msg.ts === 'number' && msg.type !== 'snapshot') {
    const sample = msg.ts / 1000 - Date.now();
    if (!state.clockSamples++ || sample > state.clockOffsetMs) state.clockOffsetMs = sample;
  }
  if ((msg.type === 'ack' || msg.type === 'error') && state.pending.has(msg.req)) {
    const { resolve, reject } = state.pending.get(msg.req);
    state.pending.delete(msg.req);
    if (msg.type === 'ack') resolve(msg);
    else reject(msg);
    return;
  }
  switch (msg.type) {
    case 'console':
      state.game = msg.game;
      state.paused = msg.paused;
      state.phase = msg.phase;
      state.roundId = msg.round_id;
      state.nextPosition = msg.next_position;
      state.cards = msg.cards ?? [];
      drawConsole();
      return;
    case 'bets':
      if (msg.round_id === state.roundId) state.bets = msg;
      break;
    case 'error':
      showError(msg.code, msg.message);
      return;
    case 'round_open':
      state.roundId = msg.round_id;
      state.phase = 'betting';
      state.cards = [];
      state.outcome = null;
      state.bets = null;
      state.closesAtMs = msg.closes_at / 1000;
      state.windowMs = Math.max(1000, state.closesAtMs - msg.ts / 1000);
      state.nextPosition = null;
      break;
    case 'bets_closed':
      state.phase = 'dealing';
      state.nextPosition = POSITIONS[state.game]?.[0] ?? null;
      break;
    case 'card':
      state.cards.push({ to: msg.to, card: msg.card });
      break;
    case 'card_undone': {
      const i = state.cards.map((c) => c.to).lastIndexOf(msg.position);
      if (i >= 0) state.cards.splice(i, 1);
      state.phase = 'dealing';
      state.outcome = null;
      break;
    }
    case 'ball':
      state.cards = [{ to: 'ball', card: String(msg.pocket) }];
      break;
    case 'result':
      state.phase = 'result';
      state.outcome = msg.outcome;
      state.nextPosition = null;
      break;
    case 'round_void':
      state.phase = 'void';
      state.nextPosition = null;
      break;
    case 'paused':
      state.paused = true;
      break;
    case 'resumed':
      state.paused = false;
      break;
    case 'decision':
      state.phase = 'deciding';
      break;
    default:
  }
  if (msg.table && msg.seq) log(describe(msg));
  if (state.phase === 'result' && msg.type === 'result') state.roundId = msg.round_id;
  draw();
}

// ---------------------------------------------------------------- console view

function drawConsole() {
  document.title = `${t('console_title')} · ${state.table}`;
  const cardInput = h('input', {
    id: 'card-input', name: 'card', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', maxlength: 3,
    placeholder: 'Kh', 'aria-describedby': 'next-position',
  });
  const positionSelect = h('select', { id: 'position', name: 'position' },
    h('option', { value: '' }, t('position_auto')), (POSITIONS[state.game] ?? []).map((p) => h('option', { value: p }, p)));
  const reasonInput = h('input', { id: 'void-reason', name: 'reason', maxlength: 200, autocomplete: 'off' });
  const pocketInput = h('input', { id: 'pocket', name: 'pocket', type: 'number', min: 0, max: 36, inputmode: 'numeric' });
  const view = h('section', { class: 'console', 'aria-labelledby': 'console-title' },
    h('div', { class: 'table-head' },
      h('h2', { id: 'console-title' }, `${t('console_title')}: ${state.table}`),
      h('span', { class: 'badge phase', id: 'phase' }),
      h('span', { class: 'round-no', id: 'round-no' }),
      h('div', { class: 'countdown', id: 'countdown', role: 'timer' }, ringEl()),
      h('button', { class: 'ghost', type: 'button', onclick: disconnect }, t('disconnect'))),
    h('div', { class: 'console-grid' },
      h('div', { class: 'console-main' },
        h('section', { class: 'panel' },
          h('div', { class: 'controls', role: 'group', 'aria-label': t('console_title') },
            h('button', { id: 'open-round', class: 'primary', onclick: () => command({ type: 'open_round' }) }, t('open_round'), ' ', h('kbd', {}, 'O')),
            h('button', { id: 'close-betting', onclick: () => command({ type: 'close_betting' }) }, t('close_betting'), ' ', h('kbd', {}, 'C')),
            h('button', { id: 'undo', onclick: () => command({ type: 'undo' }) }, t('undo'), ' ', h('kbd', {}, 'U')),
            h('button', { id: 'pause', onclick: togglePause }, t('pause'), ' ', h('kbd', {}, 'P')),
            h('button', { id: 'change-shoe', onclick: () => command({ type: 'change_shoe' }) }, t('change_shoe'))),
          h('p', { class: 'muted small' }, t('shortcuts'))),
        state.game === 'roulette'
          ? h('form', {
            class: 'panel row', onsubmit: (e) => { e.preventDefault(); if (pocketInput.value !== '') command({ type: 'spin', pocket: Number(pocketInput.value) }); },
          }, h('label', { for: 'pocket' }, t('pocket')), pocketInput, h('button', { type: 'submit', class: 'primary' }, t('spin')))
          : h('form', {
            class: 'panel card-entry', onsubmit: (e) => { e.preventDefault(); dealTyped(cardInput, positionSelect); },
          },
          h('label', { for: 'card-input' }, t('card_entry')),
          h('div', { class: 'row' }, cardInput,
            h('label', { for: 'position', class: 'visually-hidden' }, t('position')), positionSelect,
            h('button', { type: 'submit', class: 'primary', id: 'deal' }, t('deal')),
            h('button', { type: 'button', id: 'burn', onclick: () => burnTyped(cardInput) }, t('burn'))),
          h('p', { id: 'next-position', class: 'next', 'aria-live': 'polite' })),
        h('section', { class: 'panel felt', 'aria-label': t('result') },
          h('div', { id: 'dealt', class: 'hands' }),
          h('p', { id: 'console-result', class: 'result', 'aria-live': 'polite' })),
        h('form', {
          class: 'panel row', onsubmit: (e) => {
            e.preventDefault();
            const reason = reasonInput.value.trim();
            if (!reason) { showError('reason_required', t('reason_required')); reasonInput.focus(); return; }
            command({ type: 'void', reason }).then((ack) => { if (ack) reasonInput.value = ''; });
          },
        }, h('label', { for: 'void-reason' }, t('void_reason_label')), reasonInput, h('button', { type: 'submit', class: 'danger', id: 'void' }, t('void_round')))),
      h('div', { class: 'side' },
        h('section', { class: 'panel', 'aria-labelledby': 'bets-title' },
          h('h3', { id: 'bets-title' }, t('bets_live')), h('div', { id: 'exposure', 'aria-live': 'polite' })),
        h('section', { class: 'panel', 'aria-labelledby': 'log-title' },
          h('h3', { id: 'log-title' }, t('event_log')), h('ol', { id: 'event-log', class: 'event-log' })))));
  clear($('#main'), view);
  draw();
  cardInput.focus();
}

function dealTyped(input, positionSelect) {
  const card = input.value.trim();
  if (!card) return;
  const msg = { type: 'deal', card };
  if (positionSelect.value) msg.position = positionSelect.value;
  // Scanner style: clear at once so the next scan can follow; put the text back on error.
  input.value = '';
  command(msg).then((ack) => {
    if (!ack) input.value = card;
    positionSelect.value = '';
    input.focus();
  });
}

function burnTyped(input) {
  const card = input.value.trim();
  if (!card) { input.focus(); return; }
  input.value = '';
  command({ type: 'burn', card }).then((ack) => { if (!ack) input.value = card; input.focus(); });
}

function togglePause() {
  command({ type: state.paused ? 'resume' : 'pause' });
}

function disconnect() {
  state.stopped = true;
  state.ws?.close(1000);
  setStatus('', '');
  renderLogin();
}

function draw() {
  if (!$('#phase')) return;
  const phase = state.paused && ['waiting', 'result', 'void', 'settled'].includes(state.phase) ? 'paused' : state.phase;
  $('#phase').textContent = t(`phase_${phase}`) ?? phase;
  $('#phase').dataset.phase = phase;
  $('#round-no').textContent = state.roundId ? t('round_n', { n: state.roundId }) : '';
  $('#round-no').dataset.round = state.roundId ?? '';
  $('#pause').firstChild.textContent = state.paused ? t('resume') : t('pause');
  $('#pause').dataset.paused = String(state.paused);
  const next = $('#next-position');
  if (next) next.textContent = state.nextPosition ? t('next_position', { p: state.nextPosition }) : t('no_card_now');
  const dealt = $('#dealt');
  const groups = new Map();
  for (const c of state.cards) {
    const key = c.to === 'ball' ? 'ball' : c.to.replace(/\d+$/, '').replace(/^seat(\d+)\..*$/, 'seat$1');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  clear(dealt, [...groups].map(([key, cards]) => h('div', { class: `hand hand-${key}`, dataset: { hand: key } },
    h('h4', {}, key),
    h('div', { class: 'cards' }, cards.map((c) => (c.to === 'ball' ? h('span', { class: 'ball landed' }, c.card) : cardEl(c.card)))))));
  $('#console-result').textContent = state.outcome ? outcomeText(state.game, state.outcome) : '';
  drawExposure();
  tick();
}

function drawExposure() {
  const box = $('#exposure');
  const bets = state.bets;
  if (!bets) {
    clear(box, h('p', { class: 'muted', dataset: { count: 0 } }, t('bets_count', { n: 0 })));
    return;
  }
  const blocks = Object.entries(bets.exposure ?? {}).map(([currency, e]) => h('table', { class: 'exposure', dataset: { currency, staked: e.staked, maxReturn: e.max_return } },
    h('caption', { class: 'muted' }, currency),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('spot')), h('th', { scope: 'col' }, t('exposure_staked')))),
    h('tbody', {}, Object.entries(e.spots ?? {}).map(([spot, amount]) => h('tr', { dataset: { spot } }, h('td', {}, spot), h('td', { class: 'num' }, money(amount, currency))))),
    h('tfoot', {},
      h('tr', {}, h('th', { scope: 'row' }, t('exposure_staked')), h('td', { class: 'num' }, money(e.staked, currency))),
      h('tr', {}, h('th', { scope: 'row' }, t('exposure_max')), h('td', { class: 'num' }, money(e.max_return, currency))))));
  clear(box, h('p', { id: 'bets-count', dataset: { count: bets.count } }, t('bets_count', { n: bets.count })), blocks);
}

function tick() {
  const ring = $('#countdown svg');
  if (!ring) return;
  const remaining = state.phase === 'betting' && state.closesAtMs ? state.closesAtMs - (Date.now() + state.clockOffsetMs) : 0;
  setRing(ring, remaining, state.windowMs ?? 10000);
  $('#countdown').hidden = remaining <= 0;
}

function onKey(e) {
  if (!state.attached || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
  const key = e.key.toLowerCase();
  const actions = { o: () => command({ type: 'open_round' }), c: () => command({ type: 'close_betting' }), u: () => command({ type: 'undo' }), p: togglePause };
  if (actions[key]) {
    e.preventDefault();
    actions[key]();
  }
}

function boot() {
  const browserLang = (navigator.language || 'en').split('-')[0];
  setLanguage(new URLSearchParams(location.search).get('lang') || browserLang);
  document.addEventListener('keydown', onKey);
  setInterval(tick, 200);
  renderLogin();
}

boot();
