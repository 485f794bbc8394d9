import { serviceAvailable } from '@keel/test-services';
import { gcra, InMemoryRateLimitStore, rateLimiter, slidingWindow, tokenBucket } from '@keel/resilience';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitStore } from '@keel/resilience';
import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.js';
import { RedisRateLimitStore } from './redisRateLimitStore.js';

const up = await serviceAvailable('redis');

/** A deliberately non-atomic store (GET, compute, SET): the control that proves the race test bites. */
class NaiveRedisStore implements RateLimitStore {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}
  async consume(
    key: string,
    algorithm: RateLimitAlgorithm,
    permits: number,
    now: number,
  ): Promise<RateLimitDecision> {
    const text = await this.client.get(this.prefix + key);
    const state = text === null ? undefined : (JSON.parse(text) as unknown);
    const step = algorithm.consume(state, permits, now);
    await this.client.set(this.prefix + key, JSON.stringify(step.state));
    return step.decision;
  }
}

const BASE = 1_700_000_000_000;

describe.runIf(up)('RedisRateLimitStore on a real server', () => {
  const kit = redisTestKit('keel_rl');
  const client = kit.connect();
  const other = kit.connect();
  let keys = 0;
  afterAll(() => kit.cleanup());

  const algorithms: [string, fc.Arbitrary<RateLimitAlgorithm>][] = [
    [
      'token bucket',
      fc
        .record({
          capacity: fc.integer({ min: 1, max: 10 }),
          refillPerSecond: fc.double({ min: 0.1, max: 50, noNaN: true }),
        })
        .map((o) => tokenBucket(o)),
    ],
    [
      'sliding window',
      fc
        .record({ limit: fc.integer({ min: 1, max: 10 }), windowMs: fc.integer({ min: 10, max: 5_000 }) })
        .map((o) => slidingWindow(o)),
    ],
    [
      'GCRA',
      fc
        .record({
          limit: fc.integer({ min: 1, max: 10 }),
          periodMs: fc.integer({ min: 10, max: 5_000 }),
          burst: fc.integer({ min: 1, max: 5 }),
        })
        .map((o) => gcra(o)),
    ],
  ];

  for (const [name, arbitrary] of algorithms) {
    it(`makes the same ${name} decisions as the in-memory store for any sequence`, async () => {
      const steps = fc.array(
        fc.record({
          gap: fc.integer({ min: 0, max: 3_000 }),
          permits: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        {
          minLength: 1,
          maxLength: 25,
        },
      );
      await fc.assert(
        fc.asyncProperty(arbitrary, steps, async (algorithm, sequence) => {
          const memory = new InMemoryRateLimitStore();
          const redis = new RedisRateLimitStore(client, { prefix: kit.prefix });
          const key = `same${keys++}`;
          let now = BASE;
          for (const { gap, permits: fraction } of sequence) {
            now += gap;
            const permits = Math.max(1, Math.ceil(fraction * algorithm.maxPermits));
            const expected = memory.consume(key, algorithm, permits, now);
            expect(await redis.consume(key, algorithm, permits, now)).toEqual(expected);
          }
        }),
        { numRuns: 30, seed: 20261124 },
      );
    });
  }

  it('never grants more than the limit to concurrent acquirers on two connections', async () => {
    const algorithm = tokenBucket({ capacity: 10, refillPerSecond: 0.001 });
    const stores = [
      new RedisRateLimitStore(client, { prefix: kit.prefix }),
      new RedisRateLimitStore(other, { prefix: kit.prefix }),
    ];
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => stores[i % 2]!.consume('race', algorithm, 1, BASE)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
  });

  it('the same race over-grants with a non-atomic read-modify-write (the test can fail)', async () => {
    const algorithm = tokenBucket({ capacity: 10, refillPerSecond: 0.001 });
    const stores = [new NaiveRedisStore(client, kit.prefix), new NaiveRedisStore(other, kit.prefix)];
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => stores[i % 2]!.consume('naive', algorithm, 1, BASE)),
    );
    expect(decisions.filter((d) => d.allowed).length).toBeGreaterThan(10);
  });

  it('shares one sliding-window limit between two rate limiters', async () => {
    const clock = new ManualClock(BASE);
    const algorithm = slidingWindow({ limit: 3, windowMs: 60_000 });
    const options = { clock, name: `${kit.prefix}shared` };
    const a = rateLimiter(algorithm, { ...options, store: new RedisRateLimitStore(client) });
    const b = rateLimiter(algorithm, { ...options, store: new RedisRateLimitStore(other) });
    const allowed = [];
    for (const limiter of [a, b, a, b]) allowed.push((await limiter.tryAcquire('user-1')).allowed);
    expect(allowed).toEqual([true, true, true, false]);
  });

  it("reads Redis TIME when told to, ignoring the caller's now", async () => {
    const store = new RedisRateLimitStore(client, { prefix: kit.prefix, time: 'redis' });
    const algorithm = gcra({ limit: 1, periodMs: 60_000, burst: 1 });
    expect((await store.consume('server-time', algorithm, 1, 0)).allowed).toBe(true);
    const refused = await store.consume('server-time', algorithm, 1, Number.MAX_SAFE_INTEGER);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(50_000);
  });

  it('gives every key an expiry', async () => {
    const store = new RedisRateLimitStore(client, { prefix: `${kit.prefix}exp:` });
    await store.consume('k', tokenBucket({ capacity: 5, refillPerSecond: 1 }), 1, BASE);
    await store.consume('k', slidingWindow({ limit: 5, windowMs: 1_000 }), 1, BASE);
    await store.consume('k', gcra({ limit: 5, periodMs: 1_000 }), 1, BASE);
    for (const kind of ['token-bucket', 'sliding-window', 'gcra']) {
      expect(await client.pttl(`${kit.prefix}exp:${kind}:k`)).toBeGreaterThan(0);
    }
  });

  it('re-loads its scripts after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    const store = new RedisRateLimitStore(client, { prefix: kit.prefix });
    const algorithm = tokenBucket({ capacity: 2, refillPerSecond: 1 });
    await store.consume('flush', algorithm, 1, BASE);
    await client.script('FLUSH');
    expect(await store.consume('flush', algorithm, 1, BASE)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfter: 0,
    });
  });
});
