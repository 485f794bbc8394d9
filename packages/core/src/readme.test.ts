import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

it('runs the README quick start as written', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  // The README's block is this file, checked by scripts/check-snippets.mjs.
  await import('./readme/quickStart.snippet.js');
  expect(log.mock.calls).toEqual([[true], [2]]);
});

it('runs the README concurrency example as written', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await import('./readme/concurrency.snippet.js');
  expect(log.mock.calls).toEqual([[15], ['caller left'], [false]]);
});
