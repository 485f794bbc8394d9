import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isInvalidOptionError } from '../errors/errors.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

describe('InMemoryIdempotencyStore', () => {
  it('grants a claim to exactly one of two concurrent claimers', async () => {
    const store = new InMemoryIdempotencyStore();
    const claims = await Promise.all([store.claim('k', 100), store.claim('k', 100)]);
    expect(claims.map((c) => c.status).sort()).toEqual(['claimed', 'pending']);
  });

  it('returns the completed result until its ttl passes', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock, ttlMs: 1_000 });
    await store.claim('k', 100);
    await store.complete('k', { ok: true });
    await clock.tickAsync(999);
    expect(await store.claim('k', 100)).toEqual({ status: 'completed', result: { ok: true } });
    await clock.tickAsync(1);
    expect(await store.claim('k', 100)).toEqual({ status: 'claimed' });
  });

  it('frees a released key but never forgets a completed one on release', async () => {
    const store = new InMemoryIdempotencyStore();
    await store.claim('a', 100);
    await store.release('a');
    expect((await store.claim('a', 100)).status).toBe('claimed');
    await store.complete('b', 1);
    await store.release('b');
    expect((await store.claim('b', 100)).status).toBe('completed');
  });

  it('forgets the oldest keys beyond maxEntries', async () => {
    const store = new InMemoryIdempotencyStore({ maxEntries: 2 });
    await store.complete('a', 1);
    await store.complete('b', 2);
    await store.complete('c', 3);
    expect(store.size).toBe(2);
    expect((await store.claim('a', 100)).status).toBe('claimed');
  });

  it('rejects out-of-range options at construction', () => {
    for (const options of [{ ttlMs: 0 }, { maxEntries: 1.5 }]) {
      let caught: unknown;
      try {
        new InMemoryIdempotencyStore(options);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidOptionError(caught)).toBe(true);
    }
  });
});
