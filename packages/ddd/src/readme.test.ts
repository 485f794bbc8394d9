import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

it('runs the README quick start as written: saves, publishes and reloads the counter', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  // The README's block is this file, checked by scripts/check-snippets.mjs.
  await import('./readme/quickStart.snippet.js');
  expect(log.mock.calls).toEqual([[['Incremented v1']], [2]]);
});
