// Per-request overhead of @keel/http's upstream client over a bare `fetch`, and side by side with
// got 14 and ky 1 configured with retries, all against one node:http server on loopback in this
// process. Each contender sends a batch of GETs that answer 200 at once, so the difference is the
// client's own work (balancing, pipeline, spans off, body buffering), not the network.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUpstream } from '@keel/http';
import got from 'got';
import ky from 'ky';
import { interleaved } from '../interleaved.js';

const BATCH = 200;

async function startServer(): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => (server.closeAllConnections(), server.close()) };
}

async function batch(send: () => Promise<unknown>): Promise<void> {
  for (let index = 0; index < BATCH; index++) await send();
}

/** Runs the suite: bare fetch (the baseline), the Keel upstream, got and ky with retries. */
export async function run(): Promise<void> {
  const server = await startServer();
  const upstream = createUpstream('bench', { endpoints: [{ url: server.url }] });
  const gotClient = got.extend({ prefixUrl: server.url, retry: { limit: 2 } });
  const kyClient = ky.create({ prefixUrl: server.url, retry: 2 });
  try {
    await interleaved(
      `@keel/http upstream: one GET on loopback (${BATCH} sequential requests per sample)`,
      [
        {
          name: 'bare fetch',
          fn: () => batch(async () => (await fetch(`${server.url}/items`)).arrayBuffer()),
        },
        {
          name: 'keel upstream (retry, timeouts, balancer)',
          fn: () => batch(() => upstream.request({ path: '/items' })),
        },
        { name: 'got with retries', fn: () => batch(() => gotClient.get('items').buffer()) },
        { name: 'ky with retries', fn: () => batch(() => kyClient.get('items').arrayBuffer()) },
      ],
      { ops: BATCH, warmupRounds: 3 },
    );
  } finally {
    await upstream.close();
    server.close();
  }
}
