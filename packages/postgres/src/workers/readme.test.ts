// The README's "Production workers" block (src/readme/workers.snippet.ts, checked by
// scripts/check-snippets.mjs), run as written on embedded PGlite.
import { afterEach, expect, it, vi } from 'vitest';
import { eventually } from './daemon.fixture.js';

afterEach(() => vi.restoreAllMocks());

it('runs the README workers section as written: both workers own their work and stop', async () => {
  vi.stubEnv('KEEL_PG_URL', undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const { shutdown } = await import('../readme/workers.snippet.js');
    await eventually(() => log.mock.calls.length === 2, 'the projection and the relay to run');
    expect(log.mock.calls.map((call) => call[0]).sort()).toEqual(['balance +5', 'published 1']);
    await shutdown();
  } finally {
    vi.unstubAllEnvs();
  }
});
