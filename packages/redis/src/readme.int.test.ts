import { serviceAvailable } from '@keel/test-services';
import { rateLimiter, tokenBucket } from '@keel/resilience';
import { afterAll, describe, expect, it } from 'vitest';
import { redisTestKit } from './internal/redisTestKit.js';
import { RedisCacheStore, RedisLock, RedisRateLimitStore } from './index.js';

const up = await serviceAvailable('redis');

describe.runIf(up)('README quick start', () => {
  const kit = redisTestKit('keel_readme');
  afterAll(() => kit.cleanup());

  it('caches a value, takes a permit and holds a lock', async () => {
    const redis = kit.connect();
    const cache = new RedisCacheStore<{ name: string }>(redis, {
      prefix: `${kit.prefix}users:`,
      ttl: 60_000,
    });
    await cache.set('u1', { name: 'Ada' });

    const limiter = rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }), {
      store: new RedisRateLimitStore(redis, { prefix: kit.prefix }),
    });
    const { allowed } = await limiter.tryAcquire('client-42');

    const locks = new RedisLock(redis, { prefix: kit.prefix });
    {
      await using lock = await locks.acquire('invoice:42', { ttl: 10_000, wait: 2_000 });
      expect(lock.token).toBeGreaterThan(0);
      expect(await redis.exists(`${kit.prefix}{invoice:42}`)).toBe(1);
    }
    expect(await cache.get('u1')).toEqual({ name: 'Ada' });
    expect(allowed).toBe(true);
    expect(await redis.exists(`${kit.prefix}{invoice:42}`)).toBe(0);
  });

  it('runs work under a lock kept by the watchdog', async () => {
    const redis = kit.connect();
    const buildReport = async (options: { fencingToken: number; signal: AbortSignal }) => ({
      token: options.fencingToken,
      aborted: options.signal.aborted,
    });

    const locks = new RedisLock(redis, { ttl: 10_000, watchdog: true, prefix: kit.prefix });
    const report = await locks.using('nightly-report', async (lock, signal) => {
      // Held for as long as this takes; `signal` aborts if the lock is lost.
      return buildReport({ fencingToken: lock.token, signal });
    });

    expect(report).toEqual({ token: 1, aborted: false });
    expect(await redis.exists(`${kit.prefix}{nightly-report}`)).toBe(0);
  });
});
