import { describe, expect, it, vi } from 'vitest';

describe('README quick start', () => {
  it('runs as written and completes the saga with both steps', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // The README's block is this file, checked by scripts/check-snippets.mjs.
      await import('./readme/quickStart.snippet.js');
      expect(log).toHaveBeenCalledWith('p-42-order-o-1/charge');
    } finally {
      log.mockRestore();
    }
  });
});
