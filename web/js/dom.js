// dom.js: a tiny element builder and the card, road and bar widgets shared by the player
// client and the dealer console. Pure presentation: no sockets, no state of its own.

import { t, percent } from './i18n.js';

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) → Element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') setStyle(el, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/**
 * Sets inline styles through the CSSOM, which the Content-Security-Policy allows (a `style`
 * attribute in markup would be refused). Custom properties (`--rows`) need setProperty:
 * assigning them to `el.style` only makes a JavaScript property.
 */
function setStyle(el, styles) {
  for (const [name, value] of Object.entries(styles)) {
    if (name.startsWith('--')) el.style.setProperty(name, String(value));
    else el.style[name] = value;
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SUIT_SYMBOL = { c: '♣', d: '♦', h: '♥', s: '♠' };
const SUIT_NAME = { c: 'clubs', d: 'diamonds', h: 'hearts', s: 'spades' };
const RANK_NAME = { A: 'Ace', T: '10', J: 'Jack', Q: 'Queen', K: 'King' };

/** A face-up card; `fresh` plays the deal-in animation (a card just dealt). */
export function cardEl(card, fresh = false) {
  const rank = card.slice(0, -1).toUpperCase();
  const suit = card.slice(-1).toLowerCase();
  const shown = rank === 'T' ? '10' : rank;
  return h('span', {
    class: `card suit-${suit}${fresh ? ' fresh' : ''}`,
    role: 'img',
    'aria-label': `${RANK_NAME[rank] ?? rank} of ${SUIT_NAME[suit] ?? suit}`,
    dataset: { card },
  }, h('span', { class: 'rank', 'aria-hidden': 'true' }, shown), h('span', { class: 'suit', 'aria-hidden': 'true' }, SUIT_SYMBOL[suit] ?? '?'));
}

export function baccaratValue(card) {
  const rank = card[0].toUpperCase();
  if (rank === 'A') return 1;
  if ('TJQK'.includes(rank)) return 0;
  return Number(rank);
}

export function baccaratTotal(cards) {
  return cards.reduce((sum, c) => sum + baccaratValue(c), 0) % 10;
}

/** Best blackjack total and whether it is soft. */
export function blackjackTotal(cards) {
  let total = 0;
  let aces = 0;
  for (const c of cards) {
    const rank = c[0].toUpperCase();
    if (rank === 'A') { total += 1; aces++; } else if ('TJQK'.includes(rank)) total += 10;
    else total += Number(rank);
  }
  const soft = aces > 0 && total + 10 <= 21;
  return { total: soft ? total + 10 : total, soft };
}

/** A round's outcome in words, for players and dealers alike. */
export function outcomeText(game, outcome) {
  if (!outcome) return '';
  if (game === 'baccarat') {
    const p = outcome.player_total;
    const b = outcome.banker_total;
    return t(outcome.winner === 'banker' ? 'win_banker' : outcome.winner === 'player' ? 'win_player' : 'win_tie_bac', { p, b });
  }
  if (game === 'dragon_tiger') return t(outcome.winner === 'dragon' ? 'win_dragon' : outcome.winner === 'tiger' ? 'win_tiger' : 'win_tie_dt');
  if (game === 'roulette') return t('pocket_result', { n: outcome.pocket, color: t(`color_${outcome.color ?? pocketColor(outcome.pocket)}`) });
  if (outcome.dealer_blackjack) return t('dealer_blackjack');
  return t(outcome.dealer_bust ? 'dealer_bust' : 'dealer_total', { n: outcome.dealer_total });
}

const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
export function pocketColor(n) {
  const v = Number(n);
  if (v === 0) return 'green';
  return RED.has(v) ? 'red' : 'black';
}

/**
 * The last results as a bead road (baccarat, dragon tiger: six rows, filled column by
 * column, oldest first), coloured numbers (roulette) or dealer totals (blackjack).
 * `recent` is newest first, as the server sends it; `exact` (optional) holds winners this
 * client saw itself, newest first, which resolve dragon tiger's ambiguous `T`.
 */
export function roadEl(game, recent, { max = 36, rows = 6 } = {}) {
  const items = (recent || []).slice(0, max);
  if (!items.length) return h('p', { class: 'muted road-empty' }, t('no_results_yet'));
  if (game === 'baccarat' || game === 'dragon_tiger') {
    const beads = items.slice().reverse();
    const names = game === 'baccarat'
      ? { B: ['banker', t('spot_banker')], P: ['player', t('spot_player')], T: ['tie', t('spot_tie')] }
      : { D: ['dragon', t('spot_dragon')], T: ['tiger', t('spot_tiger')], '=': ['tie', t('spot_tie')] };
    const label = `${t('road')}: ${beads.map((b) => names[b]?.[1] ?? b).join(', ')}`;
    return h('div', { class: 'bead-road', role: 'img', 'aria-label': label, style: { '--rows': rows } },
      beads.map((b) => {
        const [kind] = names[b] ?? ['other'];
        return h('span', { class: `bead bead-${kind}`, title: names[b]?.[1] ?? b }, b);
      }));
  }
  if (game === 'roulette') {
    return h('ol', { class: 'numbers-road', 'aria-label': t('recent_numbers') },
      items.map((n) => h('li', { class: `pocket pocket-${pocketColor(n)}`, title: t(`color_${pocketColor(n)}`) }, String(n))));
  }
  return h('ol', { class: 'numbers-road', 'aria-label': t('recent_totals') },
    items.map((n) => h('li', { class: `total${Number(n) > 21 ? ' bust' : ''}` }, String(n))));
}

/** Horizontal probability bars; `rows` is [[key, label, probability]]. */
export function oddsBars(rows) {
  return h('ul', { class: 'odds-bars' }, rows.map(([key, label, p]) => h('li', { class: `odds-row odds-${key}`, dataset: { key } },
    h('span', { class: 'odds-label' }, label),
    h('span', { class: 'odds-track', 'aria-hidden': 'true' }, h('span', { class: 'odds-fill', style: { width: `${Math.max(0, Math.min(1, p)) * 100}%` } })),
    h('span', { class: 'odds-value' }, percent(p)))));
}

/** Updates bars made by oddsBars in place so that their widths animate. */
export function updateOddsBars(container, rows) {
  const list = container.querySelector('.odds-bars');
  if (!list || list.children.length !== rows.length) {
    clear(container, oddsBars(rows));
    return;
  }
  rows.forEach(([key, , p], i) => {
    const row = list.children[i];
    if (row.dataset.key !== key) return;
    row.querySelector('.odds-fill').style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    row.querySelector('.odds-value').textContent = percent(p);
  });
}

/** The countdown ring: an SVG circle whose stroke empties as the window runs out. */
export function ringEl() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 64 64');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('ring');
  for (const cls of ['ring-track', 'ring-fill']) {
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', '32'); c.setAttribute('cy', '32'); c.setAttribute('r', '28');
    c.setAttribute('class', cls);
    svg.append(c);
  }
  const text = document.createElementNS(ns, 'text');
  text.setAttribute('x', '32'); text.setAttribute('y', '38'); text.setAttribute('text-anchor', 'middle');
  text.setAttribute('class', 'ring-text');
  svg.append(text);
  return svg;
}

const RING_LENGTH = 2 * Math.PI * 28;
export function setRing(svg, remainingMs, totalMs) {
  const fraction = totalMs > 0 ? Math.max(0, Math.min(1, remainingMs / totalMs)) : 0;
  const fill = svg.querySelector('.ring-fill');
  fill.style.strokeDasharray = `${RING_LENGTH}`;
  fill.style.strokeDashoffset = `${RING_LENGTH * (1 - fraction)}`;
  svg.classList.toggle('urgent', remainingMs > 0 && remainingMs < 3000);
  svg.querySelector('.ring-text').textContent = remainingMs > 0 ? String(Math.ceil(remainingMs / 1000)) : '';
}
