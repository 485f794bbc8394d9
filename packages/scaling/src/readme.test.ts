// The README quick start (src/readme/quickStart.snippet.ts, checked by scripts/check-snippets.mjs),
// run as written against a stubbed `fetch`.
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

it('runs the README quick start as written: balances, routes, caches and scales', async () => {
  const fetchStub = vi.fn(async (_url: string, _init: { signal: AbortSignal }) => new Response('{}'));
  vi.stubGlobal('fetch', fetchStub);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await import('./readme/quickStart.snippet.js');

  expect(fetchStub.mock.calls[0]?.[0]).toMatch(/^http:\/\/10\.0\.0\.[12]\/users\/7$/);
  const [status, preference, movedFraction, cached, replicas] = log.mock.calls.map((call) => call[0]);
  expect(status).toBe(200);
  expect(new Set(preference as string[]).size).toBe(2);
  expect(movedFraction).toBeGreaterThan(0.1);
  expect(movedFraction).toBeLessThan(0.4);
  expect(cached).toBe('Ada');
  expect(replicas).toBe(3);
});
