import { isSerializationError, isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCacheAside } from '../cacheAside.js';
import type { CacheAsideEntry } from '../cacheAside.js';
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
 * Values follow core's storable-JSON rules (`toStorableJson`), as every Keel store does: what
 * JSON changes comes back changed (a `Date` as its ISO string, `undefined` properties left out),
 * what JSON would lose (NaN, ±Infinity, BigInt, Map, functions, cycles …) is refused with a
 * `SerializationError` before anything is stored, and `undefined` itself (which reads back as
 * "absent") is refused with a `ValidationError`. A `ttl` of `0` or `Infinity` never expires.
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

    it('never expires a value stored with a ttl of 0 or Infinity', async () => {
      const store = await subject.create();
      await store.set('zero', 'z', { ttl: 0 });
      await store.set('infinite', 'i', { ttl: Infinity });
      await store.setMany([{ key: 'many', value: 'm', ttl: Infinity }], { ttl: 100 });
      await subject.advance(250);
      expect(await store.getMany(['zero', 'infinite', 'many'])).toEqual(['z', 'i', 'm']);
    });

    it('serves a cache-aside entry loaded with ttl Infinity as a hit, also to another reader', async () => {
      const store = (await subject.create()) as CacheStore<string, CacheAsideEntry<unknown>>;
      let loads = 0;
      const loader = async (key: string) => ({ key, load: ++loads });
      const reader = createCacheAside(store, loader, { ttl: Infinity });
      const otherProcess = createCacheAside(store, loader, { ttl: Infinity });
      expect(await reader.get('user')).toEqual({ key: 'user', load: 1 });
      await subject.advance(250);
      expect(await reader.get('user')).toEqual({ key: 'user', load: 1 });
      expect(await otherProcess.get('user')).toEqual({ key: 'user', load: 1 });
      expect(loads).toBe(1);
    });

    it('hands values back as JSON does: a Date as its ISO string, undefined properties left out', async () => {
      const store = await subject.create();
      await store.set('k', { at: new Date(0), gone: undefined, list: [1, undefined], nested: { n: -0 } });
      expect(await store.get('k')).toStrictEqual({
        at: '1970-01-01T00:00:00.000Z',
        list: [1, null],
        nested: { n: 0 },
      });
    });

    it('keeps its own copy: changing a value after set or after get changes nothing stored', async () => {
      const store = await subject.create();
      const value = { tags: ['a'] };
      await store.set('k', value);
      value.tags.push('changed after set');
      const read = (await store.get('k')) as { tags: string[] };
      read.tags.push('changed after get');
      expect(await store.get('k')).toEqual({ tags: ['a'] });
    });

    it('refuses a value JSON cannot keep with a SerializationError, storing nothing', async () => {
      const store = await subject.create();
      await store.set('k', 'before');
      const cycle: Record<string, unknown> = {};
      cycle['self'] = cycle;
      for (const value of [
        { n: Number.NaN },
        { n: Infinity },
        10n,
        new Map([[1, 2]]),
        { f: () => 1 },
        cycle,
      ]) {
        const refused = await store.set('k', value).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isSerializationError(refused)).toBe(true);
      }
      const batch = store.setMany([
        { key: 'fine', value: 1 },
        { key: 'bad', value: { n: Number.NaN } },
      ]);
      expect(isSerializationError(await batch.catch((error: unknown) => error))).toBe(true);
      expect(await store.getMany(['k', 'fine', 'bad'])).toEqual(['before', undefined, undefined]);
    });

    it('refuses undefined as a value with a ValidationError: it reads back as "absent"', async () => {
      const store = await subject.create();
      const refused = await store.set('k', undefined).catch((error: unknown) => error);
      expect(isValidationError(refused)).toBe(true);
    });
  });
}
