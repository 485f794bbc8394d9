import { isKeelError, isValidationError, ManualClock } from '@keel/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  isLockLostError,
  isLockNotAcquiredError,
  LOCK_ERROR_CODES,
  LockLostError,
  LockNotAcquiredError,
} from './errors.js';
import { fakeLockRedis } from './fakeLockRedis.fixture.js';
import { RedisLock } from './redisLock.js';
import { REDIS_LOCK_DEFAULTS } from './redisLockOptions.js';

/** A client whose acquire script always finds the lock held for `pttl` ms. */
function heldClient(pttl: number): { client: Redis; attempts: () => number } {
  let attempts = 0;
  const client = {
    defineCommand(name: string) {
      (this as Record<string, unknown>)[name] = async () => {
        attempts += 1;
        return [0, pttl];
      };
    },
  } as unknown as Redis;
  return { client, attempts: () => attempts };
}

describe('RedisLock', () => {
  it('refuses out-of-range options with one ValidationError', () => {
    expect(Object.isFrozen(REDIS_LOCK_DEFAULTS)).toBe(true);
    let error: unknown;
    try {
      new RedisLock({} as Redis, { prefix: '', ttl: 0, retryDelay: -1 });
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('3 problems');
  });

  it('retries every retryDelay until the wait is over, then throws LockNotAcquiredError', async () => {
    const clock = new ManualClock(0);
    const { client, attempts } = heldClient(9_000);
    const locks = new RedisLock(client, { clock, retryDelay: 100 });
    const outcome = locks.acquire('k', { wait: 250 }).catch((e: unknown) => e);
    await clock.tickAsync(300);
    const error = await outcome;
    expect(isLockNotAcquiredError(error)).toBe(true);
    expect((error as LockNotAcquiredError).details).toMatchObject({
      key: 'k',
      waited: 250,
      heldForMs: 9_000,
    });
    expect(attempts()).toBe(4);
  });

  it('rejects at once with the reason of an aborted signal, without asking Redis', async () => {
    const { client, attempts } = heldClient(1);
    const locks = new RedisLock(client);
    await expect(locks.acquire('k', { signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
    expect(attempts()).toBe(0);
  });

  it('keeps the default for an option given as undefined', async () => {
    const fake = fakeLockRedis();
    const locks = new RedisLock(fake.client, {
      prefix: undefined,
      ttl: undefined,
      retryDelay: undefined,
      clock: undefined,
      watchdog: undefined,
      watchdogInterval: undefined,
      logger: undefined,
    } as never);
    expect(locks.prefix).toBe('keel:lock:');
    const lock = await locks.acquire('k', { ttl: undefined, wait: undefined, watchdog: undefined } as never);
    expect(fake.calls[0]).toEqual({
      name: 'keelLockAcquireV2',
      args: ['keel:lock:{k}', 'keel:lock:{k}:fence', lock.owner, 30_000],
    });
    await lock.release();
  });

  it('accepts an infinite wait and keeps trying until the signal aborts', async () => {
    const clock = new ManualClock(0);
    const { client, attempts } = heldClient(9_000);
    const controller = new AbortController();
    const locks = new RedisLock(client, { clock, retryDelay: 1_000 });
    const outcome = locks
      .acquire('k', { wait: Infinity, signal: controller.signal })
      .catch((e: unknown) => e);
    await clock.tickAsync(60_000);
    controller.abort(new Error('enough'));
    expect(((await outcome) as Error).message).toBe('enough');
    expect(attempts()).toBe(61);
  });

  it('refuses a watchdog interval that is not shorter than the TTL, at construction or acquire', async () => {
    const fake = fakeLockRedis();
    expect(() => new RedisLock(fake.client, { ttl: 1_000, watchdogInterval: 1_000 })).toThrow(
      /watchdogInterval/,
    );
    const locks = new RedisLock(fake.client, { ttl: 10_000, watchdogInterval: 2_000 });
    const error: unknown = await locks.acquire('k', { ttl: 1_500, watchdog: true }).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect(fake.count('keelLockAcquireV2')).toBe(0);
  });

  it('refuses a clock or logger of the wrong kind', () => {
    let error: unknown;
    try {
      new RedisLock({} as Redis, { clock: {} as never, logger: 'console' as never });
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('clock');
    expect((error as Error).message).toContain('logger');
  });

  it('needs only warn of its logger, the one level it logs at', () => {
    const warnOnly = { warn: () => {} } as never;
    expect(() => new RedisLock({} as Redis, { logger: warnOnly })).not.toThrow();
    expect(() => new RedisLock({} as Redis, { logger: { info: () => {} } as never })).toThrow(
      /logger: must be a Logger \(with warn\)/,
    );
  });

  it('refuses a lock TTL beyond Number.MAX_SAFE_INTEGER with a ValidationError before sending anything', async () => {
    const fake = fakeLockRedis();
    expect(() => new RedisLock(fake.client, { ttl: 1e20 })).toThrow(/ttl/);
    const locks = new RedisLock(fake.client);
    for (const ttl of [Number.MAX_SAFE_INTEGER + 2, 1e20, Number.MAX_VALUE]) {
      const error: unknown = await locks.acquire('k', { ttl }).catch((e: unknown) => e);
      expect(isValidationError(error), `acquire with ttl ${ttl}`).toBe(true);
    }
    expect(fake.count('keelLockAcquireV2')).toBe(0);
    const lock = await locks.acquire('k', { ttl: Number.MAX_SAFE_INTEGER });
    expect(fake.calls[0]!.args[3]).toBe(Number.MAX_SAFE_INTEGER);
    const error: unknown = await lock.extend(1e20).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect(fake.count('keelLockExtend')).toBe(0);
    expect(lock.held).toBe(true);
    await lock.release();
  });

  it('refuses a key holding a lone surrogate, which Redis would merge with others, before sending anything', async () => {
    const fake = fakeLockRedis();
    const locks = new RedisLock(fake.client, { prefix: 'p:' });
    for (const key of ['s\uD800', 's\uDFFF', '\uDC00\uD800']) {
      const error: unknown = await locks.acquire(key).catch((e: unknown) => e);
      expect(isValidationError(error), `acquire ${JSON.stringify(key)}`).toBe(true);
      await expect(locks.using(key, () => 1)).rejects.toThrow(/lone UTF-16 surrogate/);
    }
    expect(fake.count('keelLockAcquireV2')).toBe(0);
    const paired = await locks.acquire('s\uD83D\uDE00');
    expect(fake.calls[0]!.args[0]).toBe('p:{s\uD83D\uDE00}');
    await paired.release();
  });

  it('names the lock of an empty key <prefix>{~}~ on a cluster client, and keeps <prefix>{} on one server', async () => {
    const single = fakeLockRedis();
    await (await new RedisLock(single.client, { prefix: 'p:' }).acquire('')).release();
    expect(single.calls[0]!.args.slice(0, 2)).toEqual(['p:{}', 'p:{}:fence']);
    const cluster = fakeLockRedis();
    Object.assign(cluster.client, { isCluster: true });
    const locks = new RedisLock(cluster.client, { prefix: 'p:' });
    await (await locks.acquire('')).release();
    await (await locks.acquire('}x')).release();
    await (await locks.acquire('x')).release();
    const acquired = cluster.calls.filter((call) => call.name === 'keelLockAcquireV2');
    expect(acquired.map((call) => call.args.slice(0, 2))).toEqual([
      ['p:{~}~', 'p:{~}~:fence'],
      ['p:{~}}x~', 'p:{~}}x~:fence'],
      ['p:{x}', 'p:{x}:fence'],
    ]);
    expect(
      cluster.calls.filter((call) => call.name === 'keelLockRelease').map((call) => call.args[0]),
    ).toEqual(['p:{~}~', 'p:{~}}x~', 'p:{x}']);
  });

  it('refuses a negative wait', async () => {
    const error: unknown = await new RedisLock(heldClient(1).client)
      .acquire('k', { wait: -1 })
      .catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
  });
});

describe('lock errors', () => {
  it('carry stable codes recognised by their guards', () => {
    const lost = new LockLostError('k', 7);
    const notAcquired = new LockNotAcquiredError('k', 10, 20);
    expect(isKeelError(lost, LOCK_ERROR_CODES.lost)).toBe(true);
    expect(isLockLostError(lost)).toBe(true);
    expect(isLockLostError(notAcquired)).toBe(false);
    expect(isLockNotAcquiredError(notAcquired)).toBe(true);
    expect(lost.message).toContain('fencing token 7');
  });
});
