import { isValidationError } from '@keel/core';
import { afterAll, expect, it } from 'vitest';
import { realSleep } from '../internal/redisTestKit.fixture.js';
import type { RedisTestKit } from '../internal/redisTestKit.fixture.js';
import { isLockLostError, isLockNotAcquiredError } from './errors.js';
import { RedisLock } from './redisLock.js';

/**
 * The {@link RedisLock} tests every target must pass (single server, cluster): mutual exclusion
 * under concurrent acquirers, increasing fencing tokens, expiry, extension, the watchdog and
 * aborts. Call inside a `describe`.
 */
export function describeRedisLock(kit: RedisTestKit): void {
  const clientA = kit.connect();
  const clientB = kit.connect();
  afterAll(() => kit.cleanup());

  const locksOn = (client = clientA) => new RedisLock(client, { prefix: kit.prefix, retryDelay: 2 });

  it('keeps a read-await-write critical section consistent under concurrent acquirers', async () => {
    const locks = [locksOn(clientA), locksOn(clientB)];
    let counter = 0;
    let inside = 0;
    let maxInside = 0;
    const increment = (i: number) =>
      locks[i % 2]!.using(
        'counter',
        async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          const read = counter;
          await realSleep(1);
          counter = read + 1;
          inside -= 1;
        },
        { ttl: 5_000, wait: 10_000 },
      );
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i)));
    expect(counter).toBe(20);
    expect(maxInside).toBe(1);
  });

  it('hands out strictly increasing fencing tokens', async () => {
    const locks = locksOn();
    const tokens: number[] = [];
    for (let i = 0; i < 5; i++) {
      await using lock = await locks.acquire('fence', { ttl: 5_000 });
      tokens.push(lock.token);
    }
    expect(tokens.every((token, i) => i === 0 || token > tokens[i - 1]!)).toBe(true);
  });

  it('refuses a held lock with LockNotAcquiredError after the wait', async () => {
    const held = await locksOn(clientA).acquire('held', { ttl: 5_000 });
    const error: unknown = await locksOn(clientB)
      .acquire('held', { wait: 20 })
      .catch((e: unknown) => e);
    expect(isLockNotAcquiredError(error)).toBe(true);
    expect(await held.release()).toBe(true);
  });

  it('lets an expired lock be taken over, and the old owner then releases nothing', async () => {
    const old = await locksOn(clientA).acquire('expiring', { ttl: 30 });
    await realSleep(60);
    const next = await locksOn(clientB).acquire('expiring', { ttl: 5_000 });
    expect(next.token).toBeGreaterThan(old.token);
    expect(await old.release()).toBe(false);
    const error: unknown = await old.extend(5_000).catch((e: unknown) => e);
    expect(isLockLostError(error)).toBe(true);
    expect(await clientA.get(`${kit.prefix}{expiring}`)).toBe(next.owner);
    await next.release();
  });

  it('extends a held lock so it outlives its first TTL', async () => {
    const lock = await locksOn().acquire('extended', { ttl: 50 });
    await lock.extend(5_000);
    await realSleep(80);
    const error: unknown = await locksOn(clientB)
      .acquire('extended')
      .catch((e: unknown) => e);
    expect(isLockNotAcquiredError(error)).toBe(true);
    expect(await lock.release()).toBe(true);
  });

  it('takes a lock on an empty key or one starting with }, its token key in the same slot', async () => {
    const locks = locksOn();
    for (const key of ['', '}x']) {
      const first = await locks.acquire(key, { ttl: 5_000 });
      // One server keeps the names every version used; a cluster needs a non-empty hash tag.
      const name = kit.cluster ? `${kit.prefix}{~}${key}~` : `${kit.prefix}{${key}}`;
      expect(await clientA.get(name)).toBe(first.owner);
      expect(Number(await clientA.get(`${name}:fence`))).toBe(first.token);
      expect(await first.release()).toBe(true);
      const second = await locks.acquire(key, { ttl: 5_000 });
      expect(second.token).toBeGreaterThan(first.token);
      expect(await second.release()).toBe(true);
    }
  });

  it('refuses a key with a lone surrogate rather than share one Redis key with other such keys', async () => {
    const locks = locksOn();
    for (const key of ['s\uD800', 's\uDFFF']) {
      const error: unknown = await locks.acquire(key, { ttl: 5_000 }).catch((e: unknown) => e);
      expect(isValidationError(error), `acquire ${JSON.stringify(key)}`).toBe(true);
    }
    expect(await kit.keys(`${kit.prefix}{s*`)).toEqual([]);
  });

  it('refuses a TTL Redis cannot hold with a ValidationError, on acquire and extend', async () => {
    const locks = locksOn();
    const refused: unknown = await locks.acquire('huge', { ttl: 1e20 }).catch((e: unknown) => e);
    expect(isValidationError(refused)).toBe(true);
    const lock = await locks.acquire('huge', { ttl: Number.MAX_SAFE_INTEGER });
    expect(await clientA.pttl(`${kit.prefix}{huge}`)).toBeGreaterThan(Number.MAX_SAFE_INTEGER - 60_000);
    const error: unknown = await lock.extend(Number.MAX_VALUE).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect(lock.held).toBe(true);
    expect(await lock.release()).toBe(true);
  });

  it('waits for a lock released by its owner', async () => {
    const first = await locksOn(clientA).acquire('handover', { ttl: 5_000 });
    const waiting = locksOn(clientB).acquire('handover', { wait: 5_000 });
    await realSleep(10);
    await first.release();
    const second = await waiting;
    expect(second.token).toBeGreaterThan(first.token);
    await second.release();
  });

  it('stops waiting when the signal aborts, with its reason', async () => {
    const held = await locksOn(clientA).acquire('aborted', { ttl: 5_000 });
    const controller = new AbortController();
    const waiting = locksOn(clientB).acquire('aborted', { wait: 5_000, signal: controller.signal });
    await realSleep(10);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await held.release();
  });

  it('gives back a lock its script took after the caller aborted', async () => {
    const controller = new AbortController();
    const pending = locksOn().acquire('abort-in-flight', { ttl: 60_000, signal: controller.signal });
    controller.abort(new Error('too late'));
    await expect(pending).rejects.toThrow('too late');
    await expect.poll(() => clientA.exists(`${kit.prefix}{abort-in-flight}`)).toBe(0);
    // The script ran (it issued a token) though the caller had gone.
    expect(Number(await clientA.get(`${kit.prefix}{abort-in-flight}:fence`))).toBeGreaterThan(0);
  });

  it('releases the lock when the work of using throws', async () => {
    const locks = locksOn();
    await expect(
      locks.using('throws', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const again = await locks.acquire('throws');
    expect(await again.release()).toBe(true);
  });

  it('keeps a lock past its TTL with the watchdog while the work runs', async () => {
    const locks = new RedisLock(clientA, { prefix: kit.prefix, watchdog: true, ttl: 120 });
    const rival = locksOn(clientB);
    const result = await locks.using('watched', async (lock, signal) => {
      await realSleep(400);
      const error: unknown = await rival.acquire('watched').catch((e: unknown) => e);
      expect(isLockNotAcquiredError(error)).toBe(true);
      expect(signal.aborted).toBe(false);
      return lock.token;
    });
    expect(result).toBeGreaterThan(0);
    expect(await clientA.exists(`${kit.prefix}{watched}`)).toBe(0);
  });

  it('aborts the work signal with LockLostError when the lock is taken away', async () => {
    const locks = new RedisLock(clientA, { prefix: kit.prefix, watchdog: true, ttl: 150 });
    const outcome = locks
      .using('stolen', async (_lock, signal) => {
        await clientB.set(`${kit.prefix}{stolen}`, 'intruder', 'PX', 5_000);
        await new Promise((_, reject) => {
          if (signal.aborted) reject(signal.reason as Error);
          signal.addEventListener('abort', () => reject(signal.reason as Error));
        });
      })
      .catch((e: unknown) => e);
    const error = await outcome;
    expect(isLockLostError(error)).toBe(true);
    expect(await clientA.get(`${kit.prefix}{stolen}`)).toBe('intruder');
  });

  it("throws the work's error, not the release's, when Redis is gone by the release", async () => {
    const doomed = kit.connect();
    const locks = new RedisLock(doomed, { prefix: kit.prefix });
    const error: unknown = await locks
      .using('doomed', () => {
        doomed.disconnect();
        throw new Error('work failed');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('work failed');
  });
}
