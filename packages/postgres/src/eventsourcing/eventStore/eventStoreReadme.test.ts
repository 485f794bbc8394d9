// The README's "Event sourcing" block (src/readme/eventSourcing.snippet.ts, checked by
// scripts/check-snippets.mjs), run as written on in-memory PGlite.
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

it('runs the README event sourcing block as written: appends, projects inline and reads back', async () => {
  vi.stubEnv('KEEL_PG_URL', undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await import('../../readme/eventSourcing.snippet.js');
  expect(log.mock.calls).toEqual([[1, 'Deposited'], [[{ cents: 500 }]], [undefined, undefined]]);
});
