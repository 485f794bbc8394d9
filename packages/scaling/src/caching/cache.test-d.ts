import { describe, expectTypeOf, it } from 'vitest';
import type { Cache, CacheAsideEntry, CacheStore, CacheWriteTarget } from '../index.js';
import { createCacheAside, createWriteBehind, LruCache, MemoryCacheStore, WTinyLfuCache } from '../index.js';

describe('caching types', () => {
  it('LruCache and WTinyLfuCache are both a Cache', () => {
    expectTypeOf(new LruCache<string, number>({ max: 1 })).toMatchTypeOf<Cache<string, number>>();
    expectTypeOf(new WTinyLfuCache<string, number>({ max: 1 })).toMatchTypeOf<Cache<string, number>>();
  });

  it('get returns the value type or undefined', () => {
    expectTypeOf(new LruCache<string, Date>({ max: 1 }).get('k')).toEqualTypeOf<Date | undefined>();
  });

  it('MemoryCacheStore is a CacheStore and a write target', () => {
    const store = new MemoryCacheStore<string, number>();
    expectTypeOf(store).toMatchTypeOf<CacheStore<string, number>>();
    expectTypeOf(store).toMatchTypeOf<CacheWriteTarget<string, number>>();
  });

  it('cache-aside infers the value type from the loader', async () => {
    const store = new MemoryCacheStore<string, CacheAsideEntry<{ id: string }>>();
    const users = createCacheAside(store, async (id: string) => ({ id }));
    expectTypeOf(users.get('u1')).resolves.toEqualTypeOf<{ id: string }>();
    expectTypeOf(users).toMatchTypeOf<CacheWriteTarget<string, { id: string }>>();
  });

  it('write-behind hands the flush typed operations', () => {
    createWriteBehind(new MemoryCacheStore<string, number>(), async (batch) => {
      expectTypeOf(batch[0]!.key).toEqualTypeOf<string>();
    });
  });

  it('rejects a cache-aside store of raw values', () => {
    // @ts-expect-error the store must hold CacheAsideEntry values
    createCacheAside(new MemoryCacheStore<string, number>(), async () => 1);
  });
});
