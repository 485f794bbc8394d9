import { describe, expect, it } from 'vitest';
import type { CacheStore } from '../cacheStore.js';

/** How {@link describeCacheStoreContract} creates a store and moves its time forward. */
export interface CacheStoreContractSubject {
  /** A new, empty store of string keys. */
  create(): Promise<CacheStore<string, unknown>> | CacheStore<string, unknown>;
  /** Lets `ms` milliseconds pass for the store's TTLs (advance a manual clock, or sleep for a remote store). */
  advance(ms: number): Promise<void>;
}

/**
 * The behaviour every {@link CacheStore} must share, as a vitest suite: run it unchanged against
 * the in-memory store here and against remote stores (e.g. `@keel/redis`) so they stay
 * interchangeable under the caching strategies.
 *
 * @example
 * ```ts
 * describeCacheStoreContract('MemoryCacheStore', {
 *   create: () => new MemoryCacheStore({ clock }),
 *   advance: async (ms) => void clock.advance(ms),
 * });
 * ```
 */
export function describeCacheStoreContract(name: string, subject: CacheStoreContractSubject): void {
  describe(`${name} (CacheStore contract)`, () => {
    it('returns undefined for a key never stored', async () => {
      const store = await subject.create();
      expect(await store.get('missing')).toBeUndefined();
    });

    it('returns what was stored, structured values included', async () => {
      const store = await subject.create();
      await store.set('user', { id: 'u1', tags: ['a'], score: 1.5, active: true });
      expect(await store.get('user')).toEqual({ id: 'u1', tags: ['a'], score: 1.5, active: true });
    });

    it('replaces a value stored under the same key', async () => {
      const store = await subject.create();
      await store.set('k', 1);
      await store.set('k', 2);
      expect(await store.get('k')).toBe(2);
    });

    it('forgets a value once its TTL has passed, and keeps it before', async () => {
      const store = await subject.create();
      await store.set('short', 'x', { ttl: 200 });
      await store.set('long', 'y', { ttl: 60_000 });
      expect(await store.get('short')).toBe('x');
      await subject.advance(250);
      expect(await store.get('short')).toBeUndefined();
      expect(await store.get('long')).toBe('y');
    });

    it('reads many keys in the order asked, undefined for the absent ones', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      expect(await store.getMany(['b', 'nope', 'a'])).toEqual([2, undefined, 1]);
    });

    it('applies a per-entry TTL in setMany over the call TTL', async () => {
      const store = await subject.create();
      await store.setMany(
        [
          { key: 'brief', value: 1, ttl: 200 },
          { key: 'default', value: 2 },
        ],
        { ttl: 60_000 },
      );
      await subject.advance(250);
      expect(await store.getMany(['brief', 'default'])).toEqual([undefined, 2]);
    });

    it('delete reports whether the key was present', async () => {
      const store = await subject.create();
      await store.set('k', 1);
      expect(await store.delete('k')).toBe(true);
      expect(await store.delete('k')).toBe(false);
      expect(await store.get('k')).toBeUndefined();
    });

    it('deleteMany reports how many keys were present', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      expect(await store.deleteMany(['a', 'b', 'c'])).toBe(2);
    });

    it('clear removes every entry', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      await store.clear();
      expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    });

    it('rejects with the reason of an already aborted signal and changes nothing', async () => {
      const store = await subject.create();
      const signal = AbortSignal.abort(new Error('stop'));
      await expect(store.set('k', 1, { signal })).rejects.toThrow('stop');
      await expect(store.get('k', { signal })).rejects.toThrow('stop');
      expect(await store.get('k')).toBeUndefined();
    });
  });
}
