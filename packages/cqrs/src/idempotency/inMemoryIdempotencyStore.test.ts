import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { idempotencyStoreContract } from '../testing/idempotencyStoreContract.js';
import { IN_MEMORY_IDEMPOTENCY_DEFAULTS, InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

idempotencyStoreContract(
  'InMemoryIdempotencyStore',
  (clock, { ttlMs }) => new InMemoryIdempotencyStore({ clock, ttlMs }),
);

async function tokenOf(store: InMemoryIdempotencyStore, key: string, leaseMs = 100): Promise<string> {
  const claim = await store.claim(key, leaseMs);
  if (claim.status !== 'claimed') throw new Error(`"${key}" was ${claim.status}`);
  return claim.token;
}

describe('InMemoryIdempotencyStore', () => {
  it('returns the completed result until its ttl passes', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock, ttlMs: 1_000 });
    await store.complete('k', await tokenOf(store, 'k'), { ok: true });
    await clock.tickAsync(999);
    expect(await store.claim('k', 100)).toEqual({ status: 'completed', result: { ok: true } });
    await clock.tickAsync(1);
    expect((await store.claim('k', 100)).status).toBe('claimed');
  });

  it('forgets the oldest results beyond maxEntries', async () => {
    const store = new InMemoryIdempotencyStore({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) await store.complete(key, await tokenOf(store, key), key);
    expect(store.size).toBe(2);
    expect((await store.claim('a', 100)).status).toBe('claimed');
    expect((await store.claim('c', 100)).status).toBe('completed');
  });

  it('never forgets a live claim to make room, so a running handler is not run twice', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock, maxEntries: 1 });
    await tokenOf(store, 'running', 1_000);
    await store.complete('b', await tokenOf(store, 'b'), 'b');
    expect(await store.claim('running', 1_000)).toEqual({ status: 'pending' });
    await clock.tickAsync(1_000);
    await tokenOf(store, 'c');
    expect(store.size).toBe(1);
  });

  it('uses its defaults for options given as undefined', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock, ttlMs: undefined, maxEntries: undefined });
    await store.complete('k', await tokenOf(store, 'k'), 1);
    await clock.tickAsync(IN_MEMORY_IDEMPOTENCY_DEFAULTS.ttlMs - 1);
    expect((await store.claim('k', 100)).status).toBe('completed');
    await clock.tickAsync(1);
    expect((await store.claim('k', 100)).status).toBe('claimed');
    const defaults = new InMemoryIdempotencyStore({ clock: undefined });
    expect((await defaults.claim('x', 100)).status).toBe('claimed');
  });

  it('accepts its documented limits, Infinity included', () => {
    expect(() => new InMemoryIdempotencyStore({ ttlMs: Infinity, maxEntries: Infinity })).not.toThrow();
  });

  it('refuses out-of-range options at construction with one ValidationError listing each', () => {
    let caught: unknown;
    try {
      new InMemoryIdempotencyStore({
        ttlMs: 0,
        maxEntries: 1.5,
        clock: {} as ManualClock,
      });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as { issues: { path: string[] }[] }).issues.map((issue) => issue.path[0])).toEqual([
      'clock',
      'ttlMs',
      'maxEntries',
    ]);
    for (const options of [{ ttlMs: Number.NaN }, { ttlMs: -1 }, { maxEntries: 0 }]) {
      expect(() => new InMemoryIdempotencyStore(options)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});
