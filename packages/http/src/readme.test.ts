// The README quick start (src/readme/quickStart.snippet.ts, checked by scripts/check-snippets.mjs),
// run as written on a free port, with `fetch` stubbed to play the two order services.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

it('runs the README quick start as written: proxies an order request to an upstream', async () => {
  const realFetch = globalThis.fetch;
  const upstream = vi.fn(async (url: string | URL | Request) => Response.json({ from: String(url) }));
  vi.stubGlobal('fetch', upstream);
  vi.stubEnv('PORT', '0');
  const { server } = await import('./readme/quickStart.snippet.js');
  if (!server.listening) await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const response = await realFetch(`http://127.0.0.1:${port}/orders/42`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { from: string };
    expect(body.from).toMatch(/^http:\/\/10\.0\.0\.[12]:8080\/orders\/42$/);
    expect(upstream).toHaveBeenCalledTimes(1);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
