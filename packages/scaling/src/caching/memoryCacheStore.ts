import { throwIfAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import type { Cache } from './cache.js';
import type { CacheStore, CacheStoreEntry, CacheStoreOptions, CacheStoreSetOptions } from './cacheStore.js';
import { LruCache } from './lruCache.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions<TKey, TValue> {
  /** The cache to keep entries in, e.g. a `WTinyLfuCache`; when given, `max`, `ttl` and `clock` are ignored. @default a new LruCache */
  cache?: Cache<TKey, TValue>;
  /** The most entries of the default `LruCache`. @default 10_000 */
  max?: number;
  /** Default time to live in ms of the default `LruCache`; `0` means never. @default 0 */
  ttl?: number;
  /** The clock of the default `LruCache`. @default systemClock */
  clock?: Clock;
}

/** The defaults of {@link MemoryCacheStore}'s options. */
export const MEMORY_CACHE_STORE_DEFAULTS = Object.freeze({ max: 10_000, ttl: 0 });

/**
 * An in-process {@link CacheStore} over a synchronous {@link Cache} (an `LruCache` unless
 * another is given): for tests, single-process services, and the near tier of a tiered cache.
 *
 * @example
 * ```ts
 * const store = new MemoryCacheStore<string, User>({ max: 50_000, ttl: 60_000 });
 * await store.set('u1', user, { ttl: 5_000 });
 * ```
 */
export class MemoryCacheStore<TKey = string, TValue = unknown> implements CacheStore<TKey, TValue> {
  /** The synchronous cache holding the entries (for stats and inspection). */
  readonly cache: Cache<TKey, TValue>;

  /** @throws ValidationError when `max` or `ttl` is out of range. */
  constructor(options: MemoryCacheStoreOptions<TKey, TValue> = {}) {
    this.cache =
      options.cache ??
      new LruCache<TKey, TValue>({
        max: options.max ?? MEMORY_CACHE_STORE_DEFAULTS.max,
        ttl: options.ttl ?? MEMORY_CACHE_STORE_DEFAULTS.ttl,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
  }

  async get(key: TKey, options?: CacheStoreOptions): Promise<TValue | undefined> {
    throwIfAborted(options?.signal);
    return this.cache.get(key);
  }

  async getMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    return keys.map((key) => this.cache.get(key));
  }

  async set(key: TKey, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.cache.set(key, value, ttlOf(options?.ttl));
  }

  async setMany(
    entries: readonly CacheStoreEntry<TKey, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    for (const entry of entries) this.cache.set(entry.key, entry.value, ttlOf(entry.ttl ?? options?.ttl));
  }

  async delete(key: TKey, options?: CacheStoreOptions): Promise<boolean> {
    throwIfAborted(options?.signal);
    return this.cache.delete(key);
  }

  async deleteMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<number> {
    throwIfAborted(options?.signal);
    let removed = 0;
    for (const key of keys) if (this.cache.delete(key)) removed++;
    return removed;
  }

  async clear(options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.cache.clear();
  }
}

function ttlOf(ttl: number | undefined): { ttl: number } | undefined {
  return ttl === undefined ? undefined : { ttl };
}
