import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

it('runs the README quick start as written: handles a deposit and reads the stream back', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  // The README's block is this file, checked by scripts/check-snippets.mjs.
  await import('./readme/quickStart.snippet.js');
  expect(log.mock.calls).toEqual([[50], [1, 'Deposited']]);
});
