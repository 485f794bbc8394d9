import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { MemoryCacheStore } from './memoryCacheStore.js';
import { describeCacheStoreContract } from './testing/cacheStoreContract.js';
import { WTinyLfuCache } from './wTinyLfuCache.js';

const contractClock = new ManualClock();
describeCacheStoreContract('MemoryCacheStore over LruCache', {
  create: () => new MemoryCacheStore({ clock: contractClock }),
  advance: async (ms) => void contractClock.advance(ms),
});
describeCacheStoreContract('MemoryCacheStore over WTinyLfuCache', {
  create: () => new MemoryCacheStore({ cache: new WTinyLfuCache({ max: 100, clock: contractClock }) }),
  advance: async (ms) => void contractClock.advance(ms),
});

describe('MemoryCacheStore', () => {
  it('stores, reads and deletes values', async () => {
    const store = new MemoryCacheStore<string, number>();
    await store.set('a', 1);
    expect(await store.get('a')).toBe(1);
    expect(await store.delete('a')).toBe(true);
    expect(await store.get('a')).toBeUndefined();
  });

  it('expires a value after its TTL on the injected clock', async () => {
    const clock = new ManualClock();
    const store = new MemoryCacheStore<string, number>({ clock });
    await store.set('a', 1, { ttl: 100 });
    clock.advance(100);
    expect(await store.get('a')).toBeUndefined();
  });

  it('reads and writes many keys, keeping the order of the keys asked for', async () => {
    const store = new MemoryCacheStore<string, number>();
    await store.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: 2, ttl: 10 },
    ]);
    expect(await store.getMany(['b', 'missing', 'a'])).toEqual([2, undefined, 1]);
    expect(await store.deleteMany(['a', 'missing'])).toBe(1);
  });

  it('clear removes everything', async () => {
    const store = new MemoryCacheStore<string, number>();
    await store.set('a', 1);
    await store.clear();
    expect(await store.get('a')).toBeUndefined();
  });

  it('runs over any Cache implementation, such as a W-TinyLFU cache', async () => {
    const cache = new WTinyLfuCache<string, number>({ max: 10 });
    const store = new MemoryCacheStore({ cache });
    await store.set('a', 1);
    expect(cache.get('a')).toBe(1);
  });

  it('rejects with the reason of an aborted signal before doing anything', async () => {
    const store = new MemoryCacheStore<string, number>();
    await expect(store.set('a', 1, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    expect(await store.get('a')).toBeUndefined();
  });
});
