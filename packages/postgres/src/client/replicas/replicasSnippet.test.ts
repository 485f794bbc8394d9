// The replicas guide's example (src/readme/replicas.snippet.ts), run as written without a
// replica: on embedded PGlite every wait ends at once and the same code works.
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

it('runs the replicas example as written without a replica', async () => {
  vi.stubEnv('KEEL_PG_URL', undefined);
  vi.stubEnv('KEEL_PG_READ_URL', undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const { shutdown } = await import('../../readme/replicas.snippet.js');
  await shutdown();
  expect(log.mock.calls.map((call) => call[0])).toEqual([['OrderPlaced'], [{ total: 42 }]]);
});
