// The README quick start, verbatim inside `quickStart`, run against a stubbed `fetch`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { circuitBreaker, exponentialBackoff, pipeline, retry, timeout } from './index.js';

async function quickStart(): Promise<unknown> {
  const resilient = pipeline(
    retry({ maxRetries: 3, backoff: exponentialBackoff(200, { jitter: 'full' }) }),
    circuitBreaker({ breakDuration: 10_000 }),
    timeout(2_000),
  );

  const order = await resilient.execute(async ({ signal }) => {
    const res = await fetch('https://api.example.com/orders/42', { signal });
    if (res.status >= 500) throw new Error(`Upstream answered ${res.status}`);
    return res.json();
  });
  return order;
}

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
    await expect(quickStart()).resolves.toEqual({ id: 42 });
    expect(fetchStub).toHaveBeenCalledTimes(2);
  });
});
