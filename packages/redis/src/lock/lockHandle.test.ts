import { createLogger, ManualClock } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isLockLostError } from './errors.js';
import type { LockLostError } from './errors.js';
import { fakeLockRedis } from './fakeLockRedis.fixture.js';
import { RedisLock } from './redisLock.js';
import type { RedisLockOptions } from './redisLockOptions.js';

function setup(options: RedisLockOptions = {}) {
  const fake = fakeLockRedis();
  const clock = new ManualClock(1_000);
  const logs: LogEntry[] = [];
  const logger = createLogger((entry) => logs.push(entry), { level: 'debug' });
  const locks = new RedisLock(fake.client, { clock, logger, ttl: 3_000, ...options });
  return { fake, clock, logs, locks };
}

/** Work that runs until its signal aborts, then rejects with the reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error));
  });
}

describe('RedisLock watchdog', () => {
  it('extends a held lock every third of its TTL while the work runs, and stops once released', async () => {
    const { fake, clock, locks } = setup({ watchdog: true });
    let finish!: () => void;
    const outcome = locks.using('job', () => new Promise<void>((resolve) => (finish = resolve)));
    await clock.tickAsync(30_000);
    expect(fake.count('keelLockExtend')).toBe(30);
    expect(fake.locks.has('keel:lock:{job}')).toBe(true);
    finish();
    await outcome;
    expect(fake.locks.has('keel:lock:{job}')).toBe(false);
    await clock.tickAsync(30_000);
    expect(fake.count('keelLockExtend')).toBe(30);
  });

  it('uses the configured interval and is off unless asked for', async () => {
    const { fake, clock, locks } = setup({ watchdogInterval: 500 });
    const plain = await locks.acquire('a');
    await clock.tickAsync(2_000);
    expect(fake.count('keelLockExtend')).toBe(0);
    await plain.release();
    const watched = await locks.acquire('b', { watchdog: true });
    await clock.tickAsync(2_000);
    expect(fake.count('keelLockExtend')).toBe(4);
    await watched.release();
  });

  it('aborts the work signal with LockLostError when an extension finds another owner', async () => {
    const { fake, clock, locks } = setup({ watchdog: true });
    const outcome = locks.using('job', (_lock, signal) => untilAborted(signal)).catch((e: unknown) => e);
    await clock.tickAsync(500);
    fake.locks.set('keel:lock:{job}', { owner: 'someone else', ttl: 3_000 });
    await clock.tickAsync(1_000);
    const error = (await outcome) as LockLostError;
    expect(isLockLostError(error)).toBe(true);
    expect(error.reason).toBe('not-owner');
    expect(fake.locks.get('keel:lock:{job}')?.owner).toBe('someone else');
  });

  it('retries an extension that failed without an answer, and keeps the lock', async () => {
    const { fake, clock, locks, logs } = setup({ watchdog: true, retryDelay: 100 });
    const lock = await locks.acquire('job');
    fake.failNext('keelLockExtend', new Error('connection reset'));
    await clock.tickAsync(1_000);
    await clock.tickAsync(100);
    expect(fake.count('keelLockExtend')).toBe(2);
    expect(lock.signal.aborted).toBe(false);
    expect(logs.some((entry) => entry.level === 'warn' && entry.message.includes('watchdog'))).toBe(true);
    await clock.tickAsync(10_000);
    expect(lock.held).toBe(true);
    await lock.release();
  });

  it('gives up once the lease runs out with no successful extension', async () => {
    const { fake, clock, locks } = setup({ watchdog: true, retryDelay: 400 });
    const lock = await locks.acquire('job');
    for (let i = 0; i < 20; i++) fake.failNext('keelLockExtend', new Error('unreachable'));
    await clock.tickAsync(2_999);
    expect(lock.signal.aborted).toBe(false);
    await clock.tickAsync(1);
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('lease-expired');
    const extendsSoFar = fake.count('keelLockExtend');
    await clock.tickAsync(5_000);
    expect(fake.count('keelLockExtend')).toBe(extendsSoFar);
  });
});

describe('RedisLock using', () => {
  it('aborts the work signal when the TTL runs out without the watchdog', async () => {
    const { clock, locks } = setup();
    const outcome = locks.using('job', (_lock, signal) => untilAborted(signal)).catch((e: unknown) => e);
    await clock.tickAsync(2_999);
    await clock.tickAsync(1);
    const error = (await outcome) as LockLostError;
    expect(isLockLostError(error)).toBe(true);
    expect(error.reason).toBe('lease-expired');
  });

  it('measures the lease from a manual extend', async () => {
    const { clock, locks } = setup();
    const outcome = locks
      .using('job', async (lock, signal) => {
        await clock.sleep(2_000);
        await lock.extend(5_000);
        return untilAborted(signal);
      })
      .catch((e: unknown) => e);
    await clock.tickAsync(6_999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await clock.tickAsync(0);
    expect(settled).toBe(false);
    await clock.tickAsync(1);
    expect(isLockLostError(await outcome)).toBe(true);
  });

  it("throws the work's own error when the release fails too, and logs the release failure", async () => {
    const { fake, locks, logs } = setup();
    fake.failNext('keelLockRelease', new Error('connection lost'));
    const outcome = locks.using('job', () => Promise.reject(new Error('boom')));
    await expect(outcome).rejects.toThrow('boom');
    const warning = logs.find((entry) => entry.level === 'warn');
    expect((warning?.fields.error as Error).message).toBe('connection lost');
    expect(warning?.fields).toMatchObject({ key: 'job', token: 1 });
  });

  it("returns the work's result when the release fails, and logs it", async () => {
    const { fake, locks, logs } = setup();
    fake.failNext('keelLockRelease', new Error('connection lost'));
    expect(await locks.using('job', () => 42)).toBe(42);
    expect(logs.map((entry) => entry.level)).toEqual(['warn']);
  });

  it('logs when the lock turned out to be lost by the time the work finished', async () => {
    const { fake, locks, logs } = setup();
    const result = await locks.using('job', () => {
      fake.locks.delete('keel:lock:{job}');
      return 'done';
    });
    expect(result).toBe('done');
    expect(logs[0]?.message).toContain('lost');
  });

  it('passes on the abort of the caller with its reason', async () => {
    const { locks } = setup({ watchdog: true });
    const controller = new AbortController();
    const outcome = locks.using('job', (_lock, signal) => untilAborted(signal), {
      signal: controller.signal,
    });
    await Promise.resolve();
    controller.abort(new Error('shutdown'));
    await expect(outcome).rejects.toThrow('shutdown');
  });
});

describe('LockHandle', () => {
  it('never throws from await using when the release fails, so the block error stands', async () => {
    const { fake, locks, logs } = setup();
    fake.failNext('keelLockRelease', new Error('connection lost'));
    const run = async (): Promise<void> => {
      await using lock = await locks.acquire('job');
      expect(lock.held).toBe(true);
      throw new Error('block failed');
    };
    await expect(run()).rejects.toThrow('block failed');
    expect(logs).toHaveLength(1);
  });

  it('throws LockLostError from extend once another owner holds the key, and aborts its signal', async () => {
    const { fake, locks } = setup();
    const lock = await locks.acquire('job');
    fake.locks.set('keel:lock:{job}', { owner: 'other', ttl: 1 });
    const error: unknown = await lock.extend().catch((e: unknown) => e);
    expect(isLockLostError(error)).toBe(true);
    expect(lock.signal.reason).toBe(error);
    expect(lock.held).toBe(false);
  });

  it('does not abort its signal after a release', async () => {
    const { clock, locks } = setup();
    const lock = await locks.acquire('job');
    expect(await lock.release()).toBe(true);
    await clock.tickAsync(10_000);
    expect(lock.signal.aborted).toBe(false);
    expect(lock.held).toBe(false);
  });

  it('keeps the same fencing token across extensions', async () => {
    const { locks } = setup();
    const first = await locks.acquire('job');
    await first.extend(10_000);
    expect(first.token).toBe(1);
    await first.release();
    const second = await locks.acquire('job');
    expect(second.token).toBe(2);
    await second.release();
  });
});
