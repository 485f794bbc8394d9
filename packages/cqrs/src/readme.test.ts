import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

it('runs the README quick start as written', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  // The README's block is this file, checked by scripts/check-snippets.mjs.
  await import('./readme/quickStart.snippet.js');
  expect(log.mock.calls).toEqual([['Deposited', 5], [5]]);
});
