// The README quick start (src/readme/quickStart.snippet.ts, checked by scripts/check-snippets.mjs),
// run as written on embedded PGlite in ./.data/keel, removed afterwards.
import { rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(resolve('.data/keel'), { recursive: true, force: true });
  await rmdir(resolve('.data')).catch(() => undefined); // only when nothing else is in it
});

it('runs the README quick start as written: the order event is relayed and the saga completes', async () => {
  vi.stubEnv('KEEL_PG_URL', undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await import('../readme/quickStart.snippet.js');
  const lines = log.mock.calls.map((call) => String(call[0]));
  expect(lines).toContain('completed');
  expect(lines.filter((line) => line.startsWith('placed '))).toHaveLength(1);
});
