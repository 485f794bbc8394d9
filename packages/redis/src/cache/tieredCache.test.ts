import { LruCache } from '@keel/scaling';
import { describe, expect, it } from 'vitest';
import type { InvalidationMessage } from './invalidationMessage.js';
import type { RedisCacheStore } from './redisCacheStore.js';
import type { RedisInvalidationListener } from './redisInvalidationListener.js';
import { createTieredCache } from './tieredCache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A fake L2 whose reads wait until the test releases them, and a fake listener to drive. */
function fakes() {
  const pending = deferred<unknown>();
  let deliver: (message: InvalidationMessage) => void = () => {};
  const store = {
    instanceId: 'me',
    invalidationChannel: 'inv',
    get: () => pending.promise,
    getMany: async (keys: readonly string[]) => Promise.all(keys.map(() => pending.promise)),
  } as unknown as RedisCacheStore<unknown>;
  const listener = {
    channel: 'inv',
    onInvalidate: (fn: (message: InvalidationMessage) => void) => {
      deliver = fn;
      return () => {};
    },
    start: async () => {},
    close: async () => {},
  } as unknown as RedisInvalidationListener;
  return { store, listener, pending, deliver: (m: InvalidationMessage) => deliver(m) };
}

describe('createTieredCache', () => {
  it('does not keep in L1 a value read while another process invalidated it', async () => {
    const { store, listener, pending, deliver } = fakes();
    const local = new LruCache<string, unknown>({ max: 10 });
    const cache = await createTieredCache({ store, local, listener });
    const read = cache.get('k');
    deliver({ source: 'other', keys: ['k'] });
    pending.resolve('old');
    expect(await read).toBe('old');
    expect(local.peek('k')).toBeUndefined();
  });

  it('keeps in L1 a value read while nothing was invalidated', async () => {
    const { store, listener, pending } = fakes();
    const local = new LruCache<string, unknown>({ max: 10 });
    const cache = await createTieredCache({ store, local, listener });
    pending.resolve('fresh');
    expect(await cache.getMany(['k', 'j'])).toEqual(['fresh', 'fresh']);
    expect(local.peek('k')).toBe('fresh');
  });

  it('ignores the invalidations it published itself', async () => {
    const { store, listener, deliver } = fakes();
    const local = new LruCache<string, unknown>({ max: 10 });
    await createTieredCache({ store, local, listener });
    local.set('k', 1);
    deliver({ source: 'me', keys: ['k'] });
    expect(local.peek('k')).toBe(1);
    deliver({ source: 'other', all: true });
    expect(local.size).toBe(0);
  });
});
