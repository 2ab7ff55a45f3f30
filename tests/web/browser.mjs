// browser.mjs: launches Debian's headless Chromium through playwright-core with a fresh
// profile, and records for each page what a test asserts on at the end: console errors and
// uncaught exceptions, Content-Security-Policy violations, and the WebSockets it opened.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'croupier-chromium-'));
  // playwright-core passes the fresh profile as --user-data-dir itself.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
  });
  const close = async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

/** Frames kept per WebSocket for a failure report. */
const FRAMES_KEPT = 200;

/**
 * A page at `width`×`height` that records its console errors and uncaught exceptions
 * (`page.errors`), the WebSockets it opens (`page.sockets`: url and the last frames
 * received, as `type#seq rN`), and, from before the first script of every document, each
 * `securitypolicyviolation` event (read with `cspViolations(page)`).
 */
export async function newPage(browser, { width = 1366, height = 768 } = {}) {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height });
  page.errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(msg.text()); });
  page.on('pageerror', (err) => page.errors.push(String(err)));
  await page.addInitScript(() => {
    const seen = [];
    Object.defineProperty(window, '__cspViolations', { value: seen });
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.effectiveDirective} refused ${e.blockedURI || 'inline'} at ${e.sourceFile || '?'}:${e.lineNumber} ${e.sample}`);
    });
  });
  page.sockets = [];
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), received: [] };
    page.sockets.push(socket);
    ws.on('framereceived', ({ payload }) => {
      let msg;
      try {
        msg = JSON.parse(payload);
      } catch {
        return;
      }
      socket.received.push(`${msg.type}${msg.seq !== undefined ? `#${msg.seq}` : ''}${msg.round_id !== undefined ? ` r${msg.round_id}` : ''}`);
      if (socket.received.length > FRAMES_KEPT) socket.received.shift();
    });
  });
  return page;
}

/** The CSP violations the page's current document has seen. */
export function cspViolations(page) {
  return page.evaluate(() => [...(window.__cspViolations ?? [])]);
}

/** What the page's last WebSocket received lately, for a failure message. */
export function socketTrace(page) {
  return page.sockets.at(-1)?.received.join(' ') ?? '(no socket)';
}
