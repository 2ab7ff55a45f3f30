// conn.js: the player's WebSocket to /v1/play, with requests matched to replies by `req`,
// resume after a drop, and the per-table sequence bookkeeping that makes a resume exact.
//
// What it owns: the socket, the current resume token, reconnect timing, pending requests,
// and for every joined table the last `seq`/`epoch` applied, the rule that a table event
// with seq <= last is ignored, and the rule that a gap triggers a re-join from the last
// seq applied. It does not render anything: it calls the handlers it was given.
//
// The token is offered in the WebSocket handshake as a subprotocol, never in the URL: URLs
// are written to access and proxy logs, a handshake header is not (and the server refuses a
// resume token in the query). Nor is the connection or its token hung on `window`, where
// any script on the page could take it.

const NO_RETRY = new Map([[4003, 'close_expired'], [4004, 'close_replaced'], [4005, 'close_revoked'], [1008, 'close_policy']]);
/** Replies older than this are given up on, so a lost reply never hangs the UI. */
const REQUEST_TIMEOUT_MS = 15000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const PING_MS = 20000;
/** The protocol the server answers with; the second subprotocol offered carries the token. */
const PROTOCOL = 'croupier.v1';
const TOKEN_PROTOCOL_PREFIX = 'croupier.token.';
/** Launch and resume tokens are 64 lowercase hex characters, which a subprotocol can carry. */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** Whether `token` has the form of a launch or resume token. */
export function isToken(token) {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

/**
 * Messages private to this player. Everything else that names a `table` and carries a `seq`
 * is a table event, including types this client does not know yet: those still advance the
 * table's seq (and are otherwise ignored), or the next event would look like a gap.
 */
const PRIVATE = new Set(['welcome', 'ack', 'error', 'settled', 'balance', 'pong', 'console', 'bets']);

export class PlayerConnection {
  /**
   * handlers: welcome(msg, resumed), table(event, replayed), private(msg),
   * status('connecting'|'online'|'reconnecting'|'closed', detail), relaunch() → Promise<token>
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.ws = null;
    this.token = null;
    this.nextReq = 1;
    this.pending = new Map();
    this.tables = new Map(); // table id → {seq, epoch, resyncing}
    this.attempt = 0;
    this.everOnline = false;
    this.stopped = false;
    this.failedResumes = 0;
    /** Server clock minus local clock in ms, estimated from event timestamps. */
    this.clockOffsetMs = 0;
    this.clockSamples = 0;
  }

  open(token) {
    this.token = token;
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    if (!isToken(this.token)) {
      // The WebSocket constructor would throw on a subprotocol it cannot send, and the
      // server refuses any other form: this session cannot go on.
      this.stopped = true;
      this.handlers.status('closed', 'close_policy');
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/v1/play`, [PROTOCOL, TOKEN_PROTOCOL_PREFIX + this.token]);
    this.ws = ws;
    this.gotWelcome = false;
    this.handlers.status(this.everOnline ? 'reconnecting' : 'connecting');
    ws.onmessage = (e) => this.onFrame(e.data);
    ws.onclose = (e) => this.onClose(ws, e);
    ws.onerror = () => {};
  }

  serverNow() {
    return Date.now() + this.clockOffsetMs;
  }

  noteServerTime(tsMicros) {
    if (typeof tsMicros !== 'number') return;
    // An event is received after it was stamped, so (ts - now) underestimates the offset;
    // the largest sample is the best estimate. The first sample is taken as it is.
    const sample = tsMicros / 1000 - Date.now();
    if (this.clockSamples === 0 || sample > this.clockOffsetMs) this.clockOffsetMs = sample;
    this.clockSamples++;
  }

  onFrame(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.ts && msg.type !== 'snapshot') this.noteServerTime(msg.ts);
    if (msg.type === 'welcome') {
      const resumed = this.everOnline;
      this.gotWelcome = true;
      this.everOnline = true;
      this.attempt = 0;
      this.failedResumes = 0;
      this.token = msg.resume_token;
      this.handlers.welcome(msg, resumed);
      // Resume every joined table from the last event applied.
      for (const [table, st] of this.tables) this.sendJoin(table, st);
      this.handlers.status('online', resumed ? 'resumed' : '');
      this.startPing();
      return;
    }
    if (msg.table && typeof msg.seq === 'number' && !PRIVATE.has(msg.type)) {
      this.onTableEvent(msg);
      return;
    }
    if (msg.req !== undefined && this.pending.has(msg.req)) {
      const { resolve, reject, timer } = this.pending.get(msg.req);
      this.pending.delete(msg.req);
      clearTimeout(timer);
      if (msg.type === 'error') reject(msg);
      else resolve(msg);
    }
    this.handlers.private(msg);
  }

  onTableEvent(ev) {
    const st = this.tables.get(ev.table);
    if (!st) return;
    if (ev.type === 'snapshot') {
      st.seq = ev.seq;
      st.epoch = ev.epoch;
      st.resyncing = false;
      this.handlers.table(ev);
      return;
    }
    // Before the first snapshot (or resume) nothing is applied: the snapshot covers it.
    if (st.seq === null) return;
    if (ev.epoch !== undefined && st.epoch !== null && ev.epoch !== st.epoch) {
      this.resync(ev.table, st);
      return;
    }
    if (ev.seq <= st.seq) return;
    if (ev.seq > st.seq + 1) {
      this.resync(ev.table, st);
      return;
    }
    st.seq = ev.seq;
    this.handlers.table(ev);
  }

  resync(table, st) {
    if (st.resyncing) return;
    st.resyncing = true;
    this.sendJoin(table, st);
  }

  sendJoin(table, st) {
    const msg = { type: 'join', table };
    if (st.seq !== null) {
      msg.last_seq = st.seq;
      if (st.epoch !== null) msg.epoch = st.epoch;
    }
    this.request(msg).then(() => {
      st.resyncing = false;
    }, (err) => this.handlers.private({ ...err, type: 'error' }));
  }

  join(table) {
    const st = { seq: null, epoch: null, resyncing: false };
    this.tables.set(table, st);
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.gotWelcome) this.sendJoin(table, st);
  }

  leave(table) {
    if (!this.tables.delete(table)) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.request({ type: 'leave', table }).catch(() => {});
  }

  lastSeq(table) {
    return this.tables.get(table)?.seq ?? null;
  }

  /** Sends a message with a fresh `req`; resolves with its ack, rejects with its error. */
  request(msg) {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject({ type: 'error', code: 'network', message: 'not connected' });
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject({ type: 'error', code: 'network', message: 'no reply' });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(req, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, req }));
    });
  }

  startPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ping' }));
    }, PING_MS);
  }

  onClose(ws, e) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject({ type: 'error', code: 'network', message: 'connection lost' });
    }
    this.pending.clear();
    if (this.stopped) return;
    if (NO_RETRY.has(e.code)) {
      this.stopped = true;
      this.handlers.status('closed', NO_RETRY.get(e.code));
      return;
    }
    if (!this.gotWelcome) this.failedResumes++;
    this.handlers.status(this.everOnline ? 'reconnecting' : 'connecting');
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    setTimeout(() => this.reconnect(), delay);
  }

  async reconnect() {
    if (this.stopped) return;
    // A resume token is single use: if the socket died before its welcome arrived, the
    // token may be spent. After two such failures ask for a fresh launch (sandbox only).
    if (this.failedResumes >= 2 && this.handlers.relaunch) {
      try {
        this.token = await this.handlers.relaunch();
        this.failedResumes = 0;
      } catch {
        // Network still down: try again with the same token after the next backoff.
      }
    }
    this.connect();
  }

  close() {
    this.stopped = true;
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, 'bye');
  }
}
