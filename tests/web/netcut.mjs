// netcut.mjs: a TCP relay between the browser and the croupier server that a test can cut.
// A cut destroys every connection through the relay at once, as a network failure would (no
// close frame, no goodbye), and holds connections made afterwards for a while before they
// reach the server. The page under test has no hook for this: it only sees its network fail.
import net from 'node:net';

/** Starts a relay on a loopback port to the server at `base` (http://host:port). */
export async function startNetCut(base) {
  const target = new URL(base);
  /** Relayed connections, [browser side, server side]; a cut destroys them all. */
  const live = new Set();
  /** Connections accepted during a hold, waiting for it to end (closed by `close`). */
  const held = new Set();
  let holdUntil = 0;

  const relay = (client) => {
    held.delete(client);
    if (client.destroyed) return;
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair = [client, upstream];
    live.add(pair);
    const end = () => {
      live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const server = net.createServer((client) => {
    const wait = holdUntil - Date.now();
    if (wait <= 0) {
      relay(client);
      return;
    }
    // Read nothing yet: the browser's request waits in the socket until the hold ends.
    client.pause();
    client.on('error', () => {});
    held.add(client);
    setTimeout(() => relay(client), wait);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    base: `http://127.0.0.1:${server.address().port}`,
    /** Drops every connection now; connections made in the next `holdMs` wait until it ends. */
    cut(holdMs = 0) {
      holdUntil = Date.now() + holdMs;
      for (const [client, upstream] of live) {
        client.destroy();
        upstream.destroy();
      }
      live.clear();
    },
    close() {
      for (const [client, upstream] of live) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of held) client.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
