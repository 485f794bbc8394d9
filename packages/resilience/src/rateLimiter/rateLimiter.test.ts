import { isValidationError, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRateLimitedError, RateLimitedError } from '../errors/errors.js';
import { gcra } from './gcra.js';
import { slidingWindow } from './slidingWindow.js';
import { tokenBucket } from './tokenBucket.js';
import type { RateLimitAlgorithm } from './rateLimitAlgorithm.js';
import { rateLimiter } from './rateLimiter.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import type { RateLimitStore } from './rateLimitStore.js';

async function allowedCount(
  limiter: ReturnType<typeof rateLimiter>,
  times: number,
  key?: string,
): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < times; i++) if ((await limiter.tryAcquire(key)).allowed) allowed++;
  return allowed;
}

describe('rateLimiter: token bucket', () => {
  it('allows a burst up to capacity, then refuses with the time until the next token', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 2 }), { clock });
    expect(await allowedCount(limiter, 3)).toBe(3);
    expect(await limiter.tryAcquire()).toEqual({ allowed: false, remaining: 0, retryAfter: 500 });
  });

  it('refills continuously over time', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 2 }), { clock });
    await allowedCount(limiter, 3);
    clock.advance(1_000);
    expect(await allowedCount(limiter, 5)).toBe(2);
  });
});

describe('rateLimiter: sliding window', () => {
  it('allows the limit within one window', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(slidingWindow({ limit: 5, windowMs: 1_000 }), { clock });
    expect(await allowedCount(limiter, 8)).toBe(5);
  });

  it('weighs the previous window by how much of it still overlaps', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(slidingWindow({ limit: 10, windowMs: 1_000 }), { clock });
    await allowedCount(limiter, 10);
    clock.advance(1_500);
    expect(await allowedCount(limiter, 10)).toBe(5);
  });

  it('forgets everything after two windows', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(slidingWindow({ limit: 4, windowMs: 1_000 }), { clock });
    await allowedCount(limiter, 4);
    clock.advance(2_000);
    expect(await allowedCount(limiter, 6)).toBe(4);
  });
});

describe('rateLimiter: GCRA', () => {
  it('allows the burst, then spaces requests at the emission interval', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(gcra({ limit: 10, periodMs: 1_000, burst: 2 }), { clock });
    expect(await allowedCount(limiter, 3)).toBe(2);
    expect((await limiter.tryAcquire()).retryAfter).toBe(100);
    clock.advance(100);
    expect(await allowedCount(limiter, 2)).toBe(1);
  });
});

const algorithms: [string, () => RateLimitAlgorithm][] = [
  ['token bucket', () => tokenBucket({ capacity: 5, refillPerSecond: 3 })],
  ['sliding window', () => slidingWindow({ limit: 5, windowMs: 1_000 })],
  ['gcra', () => gcra({ limit: 5, periodMs: 1_000, burst: 3 })],
];

describe.each(algorithms)('rateLimiter: %s properties', (_, make) => {
  it('property: a refused request is granted once its retryAfter has passed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 40 }),
        async (gaps) => {
          const clock = new ManualClock();
          const limiter = rateLimiter(make(), { clock });
          for (const gap of gaps) {
            clock.advance(gap);
            const decision = await limiter.tryAcquire();
            if (!decision.allowed) {
              if (!(decision.retryAfter > 0)) return false;
              clock.advance(decision.retryAfter);
              if (!(await limiter.tryAcquire()).allowed) return false;
            }
          }
          return true;
        },
      ),
    );
  });
});

describe('rateLimiter: token bucket and GCRA never exceed burst + rate × time', () => {
  it.each([
    ['token bucket', tokenBucket({ capacity: 4, refillPerSecond: 10 }), 4, 10],
    ['gcra', gcra({ limit: 10, periodMs: 1_000, burst: 4 }), 4, 10],
  ] as const)('property: %s', async (_, algorithm, burst, perSecond) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }),
        async (gaps) => {
          const clock = new ManualClock();
          const limiter = rateLimiter(algorithm, { clock });
          let allowed = 0;
          for (const gap of gaps) {
            clock.advance(gap);
            if ((await limiter.tryAcquire()).allowed) allowed++;
          }
          return allowed <= burst + Math.floor((clock.now() * perSecond) / 1_000) + 1;
        },
      ),
    );
  });
});

describe('rateLimiter: policy', () => {
  it('keeps a separate allowance per key', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), { clock });
    await expect(limiter.executeFor('tenant-a', () => 'a')).resolves.toBe('a');
    await expect(limiter.executeFor('tenant-b', () => 'b')).resolves.toBe('b');
    await expect(limiter.executeFor('tenant-a', () => 'a')).rejects.toThrow(
      /Rate limit reached for "tenant-a"; try again in 1000 ms/,
    );
  });

  it('refuses with a typed RateLimitedError carrying retryAfter and the key', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 4 }), { clock });
    const events: unknown[] = [];
    limiter.onReject((event) => events.push(event));
    await limiter.execute(() => 1);
    const error = await limiter.execute(() => 2).catch((e: unknown) => e);
    expect(isRateLimitedError(error)).toBe(true);
    expect((error as RateLimitedError).retryAfter).toBe(250);
    expect(events).toEqual([{ key: 'default', retryAfter: 250 }]);
  });

  it('forKey gives a core Policy for one partition', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), { clock });
    const tenant = limiter.forKey('t1');
    await tenant.execute(() => 1);
    await expect(tenant.execute(() => 2)).rejects.toThrow(RateLimitedError);
  });

  it('waits up to maxWait for permits and then runs the call', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 10 }), { clock, maxWait: 200 });
    await limiter.execute(() => 1);
    const waiting = limiter.execute(() => 'ran');
    await clock.tickAsync(100);
    await expect(waiting).resolves.toBe('ran');
  });

  it('an abort stops the wait at once, leaving no timer', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), { clock, maxWait: 5_000 });
    await limiter.execute(() => 1);
    const controller = new AbortController();
    const waiting = limiter.execute(() => 'never', controller.signal);
    await clock.tickAsync(0);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });

  it('works with an asynchronous store (the shape a Redis store has)', async () => {
    const clock = new ManualClock();
    const inner = new InMemoryRateLimitStore();
    const calls: string[] = [];
    const store: RateLimitStore = {
      consume: async (key, algorithm, permits, now) => {
        calls.push(`${key}:${algorithm.kind}:${JSON.stringify(algorithm.params)}`);
        return inner.consume(key, algorithm, permits, now);
      },
    };
    const limiter = rateLimiter(gcra({ limit: 1, periodMs: 1_000 }), { clock, store, name: 'api' });
    await limiter.execute(() => 1);
    await expect(limiter.execute(() => 2)).rejects.toThrow(RateLimitedError);
    expect(calls[0]).toBe('api:default:gcra:{"limit":1,"periodMs":1000,"burst":1}');
  });

  it('the in-memory store forgets the least recently used key beyond maxKeys', async () => {
    const store = new InMemoryRateLimitStore({ maxKeys: 2 });
    const algorithm = tokenBucket({ capacity: 1, refillPerSecond: 1 });
    store.consume('a', algorithm, 1, 0);
    store.consume('b', algorithm, 1, 0);
    store.consume('a', algorithm, 1, 0);
    store.consume('c', algorithm, 1, 0);
    expect(store.size).toBe(2);
    expect(store.consume('b', algorithm, 1, 0).allowed).toBe(true);
    expect(store.consume('c', algorithm, 1, 0).allowed).toBe(false);
  });

  it('rejects asking for more permits than the algorithm can ever grant', async () => {
    const limiter = rateLimiter(tokenBucket({ capacity: 2, refillPerSecond: 1 }));
    await expect(limiter.tryAcquire('k', 3)).rejects.toThrow(
      /permits: must be an integer >= 1 and <= 2 \(got 3\)/,
    );
  });

  it('rejects bad algorithm options at construction', () => {
    expect(() => tokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(
      /capacity: must be an integer >= 1/,
    );
    expect(() => tokenBucket({ capacity: 1, refillPerSecond: -1 })).toThrow(/refillPerSecond/);
    expect(() => slidingWindow({ limit: 1, windowMs: 0 })).toThrow(/windowMs/);
    expect(() => gcra({ limit: 0, periodMs: 1 })).toThrow(/limit/);
    expect(
      isValidationError(
        (() => {
          try {
            return rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), { maxWait: -1 });
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
  });
});
