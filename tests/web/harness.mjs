// harness.mjs: starts the real `croupier` binary for the browser tests: a loopback port
// chosen by the OS, a temp data dir, a temp tables dir with fast-paced tables, and a
// config file with nothing special. The server's cwd is the repository root, so it serves
// the real web/ directory. Nothing is built here: CROUPIER_BIN names the binary.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.CROUPIER_BIN || join(REPO, 'target/debug/croupier');
export const DEALER_KEY = 'dealer-secret';

const LIMITS = `
[limits.EUR]
stake_min = 100
stake_max = 100000

[limits.JPY]
stake_min = 100
stake_max = 10000000
`;

/** Tables paced for tests: short bet windows, quick cards, short pauses. */
export const TABLES = {
  // Where the player bets: 8 decks, so its shoe outlasts the suite. The result stays up for
  // 2.5 s: a test that reconnects or reads the felt after a round must find it before the
  // next round clears it, also on a slow or loaded machine.
  'bac-play': `id = "bac-play"\nname = "Test Baccarat"\ngame = "baccarat"\ndealer = "auto"\ndecks = 8\nbet_window_ms = 2500\ncard_interval_ms = 300\nresult_pause_ms = 2500\n${LIMITS}`,
  // One deck, cut card 32 from the end: the shoe ends after a few rounds and is revealed.
  'bac-shoe': `id = "bac-shoe"\nname = "Short Shoe Baccarat"\ngame = "baccarat"\ndealer = "auto"\ndecks = 1\ncut_cards_from_end = 32\nbet_window_ms = 1500\ncard_interval_ms = 200\nresult_pause_ms = 400\n${LIMITS}`,
  // Driven by the dealer console; a long window because the dealer closes betting.
  'baccarat-live': `id = "baccarat-live"\nname = "Baccarat Studio (live dealer)"\ngame = "baccarat"\ndealer = "console"\ndecks = 8\nbet_window_ms = 60000\n${LIMITS}`,
  'blackjack-fast': `id = "blackjack-fast"\nname = "Test Blackjack"\ngame = "blackjack"\ndealer = "auto"\ndecks = 6\ncut_cards_from_end = 78\nseats_max = 7\nbet_window_ms = 2500\ncard_interval_ms = 250\ndecision_ms = 6000\nresult_pause_ms = 600\n${LIMITS}`,
  'dragon-tiger-fast': `id = "dragon-tiger-fast"\nname = "Test Dragon Tiger"\ngame = "dragon_tiger"\ndealer = "auto"\ndecks = 8\nbet_window_ms = 2500\ncard_interval_ms = 300\nresult_pause_ms = 500\n${LIMITS}`,
  'roulette-fast': `id = "roulette-fast"\nname = "Test Roulette"\ngame = "roulette"\ndealer = "auto"\nbet_window_ms = 3000\ncard_interval_ms = 250\nresult_pause_ms = 600\n${LIMITS.replace(/stake_min = 100/g, 'stake_min = 10')}`,
};

export async function startServer(tables = TABLES) {
  const dir = mkdtempSync(join(tmpdir(), 'croupier-web-'));
  const tablesDir = join(dir, 'tables');
  mkdirSync(tablesDir);
  for (const [name, toml] of Object.entries(tables)) writeFileSync(join(tablesDir, `${name}.toml`), toml);
  writeFileSync(join(dir, 'config.toml'), '# browser tests: defaults\n');
  const log = createWriteStream(join(dir, 'server.log'));
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--tables', tablesDir, '--config', join(dir, 'config.toml')], {
    cwd: REPO,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);
  const base = await new Promise((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error(`croupier did not start; see ${dir}/server.log`)), 20000);
    child.on('exit', (code) => reject(new Error(`croupier exited with ${code}; see ${dir}/server.log`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      const match = /croupier listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveBase(match[1]);
      }
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (!process.env.KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  };
  return { base, dir, stop };
}

export async function getJson(base, path) {
  const response = await fetch(base + path);
  return response.json();
}
