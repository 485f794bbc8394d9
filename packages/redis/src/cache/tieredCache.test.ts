import { isValidationError, ManualClock } from '@keel/core';
import { LruCache } from '@keel/scaling';
import { describe, expect, it } from 'vitest';
import type { InvalidationMessage } from './invalidationMessage.js';
import type { CacheEntryWithTtl, RedisCacheStore } from './redisCacheStore.js';
import type { RedisInvalidationListener } from './redisInvalidationListener.js';
import { jsonSerializer } from './serializer.js';
import { createTieredCache } from './tieredCache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A fake L2 whose every call waits until the test releases it (`step()` releases the oldest),
 * holding entries with remaining TTLs, and a fake listener the test drives.
 */
function fakes(storeTtl = 0) {
  const data = new Map<string, CacheEntryWithTtl<unknown>>();
  const queue: (() => void)[] = [];
  const later = <T>(run: () => T): Promise<T> => {
    const gate = deferred<void>();
    queue.push(() => gate.resolve());
    return gate.promise.then(run);
  };
  const put = (key: string, value: unknown, ttl: number | undefined) =>
    data.set(key, { value, ttl: ttl === undefined || ttl === 0 ? storeTtl || Infinity : ttl });
  const store = {
    instanceId: 'me',
    invalidationChannel: 'inv',
    ttl: storeTtl,
    serializer: jsonSerializer,
    getManyWithTtl: (keys: readonly string[]) => later(() => keys.map((key) => data.get(key))),
    set: (key: string, value: unknown, options?: { ttl?: number }) =>
      later(() => void put(key, value, options?.ttl)),
    setMany: (entries: { key: string; value: unknown; ttl?: number }[]) =>
      later(() => entries.forEach((entry) => put(entry.key, entry.value, entry.ttl))),
    delete: (key: string) => later(() => data.delete(key)),
    deleteMany: (keys: string[]) => later(() => keys.filter((key) => data.delete(key)).length),
    clear: () => later(() => data.clear()),
  } as unknown as RedisCacheStore<unknown>;
  let deliver: (message: InvalidationMessage) => void = () => {};
  const state = { subscribed: true };
  const listener = {
    channel: 'inv',
    get subscribed() {
      return state.subscribed;
    },
    onInvalidate: (fn: (message: InvalidationMessage) => void) => {
      deliver = fn;
      return () => {};
    },
    start: async () => {},
    close: async () => {},
  } as unknown as RedisInvalidationListener;
  /** Releases the oldest pending store call and lets its continuation run. */
  const step = async () => {
    queue.shift()!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return {
    store,
    listener,
    data,
    state,
    step,
    pending: () => queue.length,
    deliver: (m: InvalidationMessage) => deliver(m),
  };
}

async function setup(storeTtl = 0) {
  const f = fakes(storeTtl);
  const clock = new ManualClock(0);
  const local = new LruCache<string, unknown>({ max: 10, ttl: 60_000, clock });
  const cache = await createTieredCache({ store: f.store, local, listener: f.listener, clock });
  return { ...f, clock, local, cache };
}

describe('createTieredCache: racing changes', () => {
  it('does not put back into L1 a value read while this process deleted the key', async () => {
    const { cache, local, data, step } = await setup();
    data.set('k', { value: 'old', ttl: Infinity });
    const read = cache.get('k');
    const removal = cache.delete('k');
    await step(); // the read is answered first, with the value the delete then removes
    await step();
    expect(await read).toBe('old');
    expect(await removal).toBe(true);
    expect(local.peek('k')).toBeUndefined();
  });

  it('does not put back into L1 a value read while this process overwrote the key', async () => {
    const { cache, local, data, step } = await setup();
    data.set('k', { value: 'old', ttl: Infinity });
    const read = cache.getMany(['k']);
    const write = cache.set('k', 'new');
    await step();
    expect(local.peek('k')).toBeUndefined();
    await step();
    await Promise.all([read, write]);
    expect(local.peek('k')).toBe('new');
  });

  it('does not keep in L1 a written value that a later delete removed', async () => {
    const { cache, local, step } = await setup();
    const write = cache.set('k', 'v');
    const removal = cache.delete('k');
    await step();
    await step();
    await Promise.all([write, removal]);
    expect(local.peek('k')).toBeUndefined();
  });

  it('does not keep in L1 a value read while another process invalidated it', async () => {
    const { cache, local, data, step, deliver } = await setup();
    data.set('k', { value: 'old', ttl: Infinity });
    const read = cache.get('k');
    deliver({ source: 'other', keys: ['k'] });
    await step();
    expect(await read).toBe('old');
    expect(local.peek('k')).toBeUndefined();
  });

  it('keeps in L1 what it read while nothing changed, and serves it from there', async () => {
    const { cache, local, data, step, pending } = await setup();
    data.set('k', { value: 'fresh', ttl: Infinity });
    data.set('j', { value: 'also', ttl: Infinity });
    const read = cache.getMany(['k', 'nope', 'j']);
    await step();
    expect(await read).toEqual(['fresh', undefined, 'also']);
    expect(local.peek('k')).toBe('fresh');
    expect(await cache.get('k')).toBe('fresh');
    expect(pending()).toBe(0);
  });

  it("keeps in L1 what other processes read back, not the caller's object", async () => {
    const { cache, local, step } = await setup();
    const value = { at: new Date(0), tags: ['a'] };
    const write = cache.set('k', value);
    await step();
    await write;
    value.tags.push('mutated later');
    expect(local.peek('k')).toEqual({ at: '1970-01-01T00:00:00.000Z', tags: ['a'] });
  });

  it('hands out copies, so a caller changing a value read from L1 does not change L1', async () => {
    const { cache, local, data, step } = await setup();
    data.set('k', { value: { tags: ['a'] }, ttl: Infinity });
    const first = cache.get('k');
    await step();
    ((await first) as { tags: string[] }).tags.push('changed');
    ((await cache.get('k')) as { tags: string[] }).tags.push('changed again');
    expect(await cache.get('k')).toEqual({ tags: ['a'] });
    expect(local.peek('k')).toEqual({ tags: ['a'] });
  });

  it('ignores the invalidations it published itself', async () => {
    const { local, deliver } = await setup();
    local.set('k', 1);
    deliver({ source: 'me', keys: ['k'] });
    expect(local.peek('k')).toBe(1);
    deliver({ source: 'other', all: true });
    expect(local.size).toBe(0);
  });
});

describe('createTieredCache: L1 time to live', () => {
  it("caps an L1 copy's TTL by the Redis TTL left, less the round trip", async () => {
    const { cache, local, data, step, clock } = await setup();
    data.set('k', { value: 1, ttl: 300 });
    const read = cache.get('k');
    await clock.tickAsync(20);
    await step();
    await read;
    expect(local.remainingTtl('k')).toBe(280);
    await clock.tickAsync(280);
    expect(local.peek('k')).toBeUndefined();
  });

  it("keeps L1's own TTL for a Redis entry without expiry, or one that outlives it", async () => {
    const { cache, local, data, step } = await setup();
    data.set('forever', { value: 1, ttl: Infinity });
    data.set('long', { value: 2, ttl: 3_600_000 });
    const read = cache.getMany(['forever', 'long']);
    await step();
    await read;
    expect(local.remainingTtl('forever')).toBe(60_000);
    expect(local.remainingTtl('long')).toBe(60_000);
  });

  it('does not keep a value whose Redis TTL ran out during the round trip', async () => {
    const { cache, local, data, step, clock } = await setup();
    data.set('k', { value: 1, ttl: 5 });
    const read = cache.get('k');
    await clock.tickAsync(5);
    await step();
    expect(await read).toBe(1);
    expect(local.has('k')).toBe(false);
  });

  it("caps its own writes by the write's TTL, or the store's default TTL", async () => {
    const { cache, local, step } = await setup(1_000);
    const writes = Promise.all([
      cache.set('default', 1),
      cache.setMany([{ key: 'own', value: 2, ttl: 400 }]),
    ]);
    await step();
    await step();
    await writes;
    expect(local.remainingTtl('default')).toBe(1_000);
    expect(local.remainingTtl('own')).toBe(400);
  });
});

describe('createTieredCache: subscription down', () => {
  it('bypasses L1 while the subscription is down, and keeps nothing read meanwhile', async () => {
    const { cache, local, data, step, state, deliver } = await setup();
    local.set('k', 'stale');
    data.set('k', { value: 'current', ttl: Infinity });
    state.subscribed = false;
    deliver({ source: '', all: true });
    const read = cache.get('k');
    await step();
    expect(await read).toBe('current');
    expect(local.size).toBe(0);
  });

  it('does not keep a value read before the subscription was confirmed again', async () => {
    const { cache, local, data, step, state, deliver } = await setup();
    state.subscribed = false;
    data.set('k', { value: 'read while down', ttl: Infinity });
    const read = cache.get('k');
    state.subscribed = true;
    deliver({ source: '', all: true });
    await step();
    await read;
    expect(local.size).toBe(0);
    const again = cache.get('k');
    await step();
    await again;
    expect(local.peek('k')).toBe('read while down');
  });
});

describe('createTieredCache options', () => {
  it('keeps the default clock when given undefined', async () => {
    const { store, listener } = fakes();
    const local = new LruCache<string, unknown>({ max: 10 });
    const cache = await createTieredCache({ store, local, listener, clock: undefined } as never);
    expect(typeof cache.get).toBe('function');
  });

  it('refuses missing parts and a store on another channel, listing every problem', async () => {
    const { store } = fakes();
    const error: unknown = await createTieredCache({ store, local: undefined, listener: {} } as never).catch(
      (e: unknown) => e,
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('local');
    expect((error as Error).message).toContain('listener');
    const { listener } = fakes();
    const other = { ...fakes().store, invalidationChannel: 'elsewhere', getManyWithTtl: () => {} };
    const local = new LruCache<string, unknown>({ max: 10 });
    const mismatch: unknown = await createTieredCache({ store: other as never, local, listener }).catch(
      (e: unknown) => e,
    );
    expect((mismatch as Error).message).toContain('invalidationChannel');
  });
});
