import { rateLimitStoreContract } from '@keel/resilience/testing';
import { gcra, InMemoryRateLimitStore, rateLimiter, slidingWindow, tokenBucket } from '@keel/resilience';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitStore } from '@keel/resilience';
import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import type { RedisClient } from '../internal/client.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedisTestKit } from '../internal/redisTestKit.fixture.js';
import { RedisRateLimitStore } from './redisRateLimitStore.js';

/** A deliberately non-atomic store (GET, compute, SET): the control that proves the race test bites. */
class NaiveRedisStore implements RateLimitStore {
  constructor(
    private readonly client: RedisClient,
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

/** The token-bucket script before the fix: it wrote the caller's time back, even an older one. */
const BACKWARDS_BUCKET_LUA = `
local now = tonumber(ARGV[1])
local permits = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local perMs = tonumber(ARGV[4]) / 1000
local s = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = capacity
if s[1] then tokens = math.min(capacity, tonumber(s[1]) + math.max(now - tonumber(s[2]), 0) * perMs) end
local allowed = 0
if tokens + 1e-9 >= permits then tokens = math.max(tokens - permits, 0); allowed = 1 end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', now))
return allowed
`;

/** A store running {@link BACKWARDS_BUCKET_LUA}: the control that proves the skew test bites. */
class BackwardsBucketStore implements RateLimitStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}
  async consume(key: string, algorithm: RateLimitAlgorithm, permits: number, now: number) {
    const { capacity, refillPerSecond } = algorithm.params;
    const args = [this.prefix + key, now, permits, capacity!, refillPerSecond!];
    const allowed = await this.client.eval(BACKWARDS_BUCKET_LUA, 1, ...args);
    return { allowed: allowed === 1, remaining: 0, retryAfter: 0 };
  }
}

/**
 * Two processes whose clocks differ by `skewMs` take turns on one key, one call per ms of real
 * time for `durationMs`; returns how many were allowed and the span of the times they passed.
 */
async function alternate(
  stores: readonly [RateLimitStore, RateLimitStore],
  key: string,
  algorithm: RateLimitAlgorithm,
  skewMs: number,
  durationMs: number,
): Promise<{ allowed: number; spanMs: number }> {
  let allowed = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let t = 0; t < durationMs; t++) {
    const lagging = t % 2 === 1;
    const now = BASE + t - (lagging ? skewMs : 0);
    first = Math.min(first, now);
    last = Math.max(last, now);
    const decision = await stores[lagging ? 1 : 0].consume(key, algorithm, 1, now);
    if (decision.allowed) allowed++;
  }
  return { allowed, spanMs: last - first };
}

/**
 * The {@link RedisRateLimitStore} tests every target must pass (single server, cluster): the
 * `RateLimitStore` contract, the same decisions as the in-memory store for every algorithm, atomicity under concurrent
 * callers (with non-atomic controls that show the tests can fail) and skewed clocks. Call
 * inside a `describe`.
 */
export function describeRedisRateLimitStore(kit: RedisTestKit): void {
  const client = kit.connect();
  const other = kit.connect();
  let keys = 0;
  let stores = 0;
  afterAll(() => kit.cleanup());

  // The RateLimitStore contract, with a prefix per store: every test starts with no keys.
  rateLimitStoreContract(
    'RedisRateLimitStore',
    () => new RedisRateLimitStore(client, { prefix: `${kit.prefix}contract${stores++}:` }),
  );

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
    it(`makes the same ${name} decisions as the in-memory store for any sequence, clocks skewed too`, async () => {
      // Negative gaps are callers whose clocks lag behind the last one's.
      const steps = fc.array(
        fc.record({
          gap: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: -50, max: 0 })),
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
    await kit.flushScripts();
    expect(await store.consume('flush', algorithm, 1, BASE)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfter: 0,
    });
  });

  describe('with clocks a few ms apart', () => {
    const bucket = tokenBucket({ capacity: 5, refillPerSecond: 50 });

    it('a token bucket shared by two processes 5 ms apart stays within its limit', async () => {
      const stores = [
        new RedisRateLimitStore(client, { prefix: kit.prefix }),
        new RedisRateLimitStore(other, { prefix: kit.prefix }),
      ] as const;
      const { allowed, spanMs } = await alternate(stores, 'skew-bucket', bucket, 5, 400);
      expect(allowed).toBeLessThanOrEqual(5 + (50 * spanMs) / 1_000);
      expect(allowed).toBeGreaterThanOrEqual(20);
    });

    it('the same run over-grants when a lagging caller writes its older time back (the test can fail)', async () => {
      const stores = [
        new BackwardsBucketStore(client, `${kit.prefix}control:`),
        new BackwardsBucketStore(other, `${kit.prefix}control:`),
      ] as const;
      const { allowed, spanMs } = await alternate(stores, 'skew-bucket', bucket, 5, 400);
      expect(allowed).toBeGreaterThan(2 * (5 + (50 * spanMs) / 1_000));
    });

    it('GCRA shared by two processes 5 ms apart stays within its limit', async () => {
      const stores = [
        new RedisRateLimitStore(client, { prefix: kit.prefix }),
        new RedisRateLimitStore(other, { prefix: kit.prefix }),
      ] as const;
      const algorithm = gcra({ limit: 50, periodMs: 1_000, burst: 5 });
      const { allowed, spanMs } = await alternate(stores, 'skew-gcra', algorithm, 5, 400);
      expect(allowed).toBeLessThanOrEqual(5 + spanMs / 20);
      expect(allowed).toBeGreaterThanOrEqual(20);
    });

    it('never moves the stored time of a key backwards', async () => {
      const store = new RedisRateLimitStore(client, { prefix: `${kit.prefix}mono:` });
      await store.consume('k', bucket, 1, BASE + 100);
      await store.consume('k', slidingWindow({ limit: 5, windowMs: 1_000 }), 1, BASE + 1_000);
      await store.consume('k', gcra({ limit: 5, periodMs: 1_000 }), 1, BASE + 100);
      const before = await Promise.all([
        client.hget(`${kit.prefix}mono:token-bucket:k`, 'u'),
        client.hget(`${kit.prefix}mono:sliding-window:k`, 's'),
        client.get(`${kit.prefix}mono:gcra:k`),
      ]);
      await store.consume('k', bucket, 1, BASE + 90);
      await store.consume('k', slidingWindow({ limit: 5, windowMs: 1_000 }), 1, BASE + 990);
      await store.consume('k', gcra({ limit: 5, periodMs: 1_000 }), 0, BASE);
      const after = await Promise.all([
        client.hget(`${kit.prefix}mono:token-bucket:k`, 'u'),
        client.hget(`${kit.prefix}mono:sliding-window:k`, 's'),
        client.get(`${kit.prefix}mono:gcra:k`),
      ]);
      expect(after).toEqual(before);
      expect(Number(before[0])).toBe(BASE + 100);
    });

    it('counts a sliding-window caller that lags behind a new window as at its start, not beyond it', async () => {
      const store = new RedisRateLimitStore(client, { prefix: `${kit.prefix}lag:` });
      const algorithm = slidingWindow({ limit: 10, windowMs: 1_000 });
      const start = BASE - (BASE % 1_000);
      expect((await store.consume('k', algorithm, 9, start + 500)).allowed).toBe(true);
      // The next window opens: 9 of 10 still weigh in at its very start, so exactly 1 fits.
      expect((await store.consume('k', algorithm, 0, start + 1_000)).remaining).toBe(1);
      const lagging = await store.consume('k', algorithm, 1, start + 995);
      expect(lagging).toEqual({ allowed: true, remaining: 0, retryAfter: 0 });
    });
  });
}
