// The README's "Production workers" block (src/readme/workers.snippet.ts, checked by
// scripts/check-snippets.mjs), run as written on embedded PGlite.
import { afterEach, expect, it, vi } from 'vitest';
import { eventually } from '../eventsourcing/daemon/daemon.fixture.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

it('runs the README workers section as written: both workers own their work and stop', async () => {
  vi.stubEnv('KEEL_PG_URL', undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const { shutdown } = await import('./workers.snippet.js');
  // The two status lines come right after whenStarted(); the workers may print before them.
  const printed: unknown[] = log.mock.calls.map((call) => call[0]);
  const projections = printed.find((value) => Array.isArray(value));
  const relayDetails = printed.find((value) => typeof value === 'object' && !Array.isArray(value));
  expect(projections).toEqual([
    expect.objectContaining({ name: 'balances', owned: true }),
    expect.objectContaining({ name: 'history', owned: true }),
  ]);
  expect(relayDetails).toMatchObject({ owner: true });
  const lines = () => log.mock.calls.map((call) => call[0]).filter((line) => typeof line === 'string');
  await eventually(() => lines().length === 2, 'the projection and the relay to run');
  expect(lines().sort()).toEqual(['balance +5', 'published 1']);
  await shutdown();
});
