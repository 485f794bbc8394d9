// The README quick start (src/readme/quickStart.snippet.ts, checked by scripts/check-snippets.mjs),
// run as written against a stubbed `fetch`.
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('README quick start', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('retries a 503 and returns the order', async () => {
    const responses = [new Response('', { status: 503 }), Response.json({ id: 42 })];
    const fetchStub = vi.fn(async (_url: string, init: { signal: AbortSignal }) => {
      expect(init.signal).toBeInstanceOf(AbortSignal);
      return responses.shift()!;
    });
    vi.stubGlobal('fetch', fetchStub);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('./readme/quickStart.snippet.js');
    expect(log.mock.calls).toEqual([[{ id: 42 }]]);
    expect(fetchStub).toHaveBeenCalledTimes(2);
  });
});
