import {
  assertOptions,
  optionClock,
  optionInteger,
  optionNumber,
  optionObject,
  storableCopy,
  throwIfAborted,
  ValidationError,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { Cache } from './cache.js';
import type { CacheStore, CacheStoreEntry, CacheStoreOptions, CacheStoreSetOptions } from './cacheStore.js';
import { entryTtl } from './internal/entryOptions.js';
import { LruCache } from './lruCache.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions<TKey, TValue> {
  /** The cache to keep entries in, e.g. a `WTinyLfuCache`; when given, `max`, `ttl` and `clock` are ignored. @default a new LruCache */
  cache?: Cache<TKey, TValue> | undefined;
  /** The most entries of the default `LruCache` (an integer >= 1, or `Infinity`). @default 10_000 */
  max?: number | undefined;
  /** Default time to live in ms of the default `LruCache`; `0` or `Infinity` means never. @default 0 */
  ttl?: number | undefined;
  /** The clock of the default `LruCache`. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link MemoryCacheStore}'s options. */
export const MEMORY_CACHE_STORE_DEFAULTS = Object.freeze({ max: 10_000, ttl: 0 });

/**
 * An in-process {@link CacheStore} over a synchronous {@link Cache} (an `LruCache` unless
 * another is given): for tests, single-process services, and the near tier of a tiered cache.
 *
 * It keeps values exactly as a remote store (Redis) would give them back: each value is checked
 * and copied with core's `storableCopy` on write, and copied again on read. So it accepts,
 * refuses (with a `SerializationError`, before any effect) and changes values like every other
 * store — a `Date` comes back as its ISO string, `Infinity` or a `Map` is refused — and a caller
 * mutating a value it stored or read never changes what the store holds. A string key that is
 * not well-formed UTF-16 (it holds a lone surrogate) is refused with a `ValidationError` by every
 * method, as a remote store must refuse it; a `ttl` too large to hold (beyond
 * `Number.MAX_SAFE_INTEGER` ms) never expires, like `Infinity`.
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

  /**
   * @param options The cache to use, or the bounds, TTL and clock of the default `LruCache`; an
   *   option left out or `undefined` keeps its default.
   * @throws ValidationError when `max` or `ttl` is out of range or `cache` is not a `Cache`.
   */
  constructor(options: MemoryCacheStoreOptions<TKey, TValue> = {}) {
    const settings = withDefaults(MEMORY_CACHE_STORE_DEFAULTS, options);
    assertOptions('MemoryCacheStore', {
      cache: optionObject(settings.cache, 'a Cache', ['get', 'set', 'delete', 'clear']),
      max: optionInteger(settings.max, { min: 1, infinity: true }),
      ttl: optionNumber(settings.ttl, { min: 0, infinity: true }),
      clock: optionClock(settings.clock, ['now']),
    });
    this.cache =
      settings.cache ??
      new LruCache<TKey, TValue>({ max: settings.max, ttl: settings.ttl, clock: settings.clock });
  }

  async get(key: TKey, options?: CacheStoreOptions): Promise<TValue | undefined> {
    throwIfAborted(options?.signal);
    checkKey(key);
    return copyOut(this.cache.get(key));
  }

  async getMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    keys.forEach(checkKey);
    return keys.map((key) => copyOut(this.cache.get(key)));
  }

  async set(key: TKey, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    throwIfAborted(options?.signal);
    checkKey(key);
    const ttl = ttlOf(options?.ttl);
    const copy = copyIn(value, key);
    this.cache.set(key, copy, ttl);
  }

  async setMany(
    entries: readonly CacheStoreEntry<TKey, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    // Every entry is checked before any is stored: a refused value stores nothing.
    const prepared = entries.map((entry) => ({
      key: checkKey(entry.key),
      value: copyIn(entry.value, entry.key),
      ttl: ttlOf(entry.ttl ?? options?.ttl),
    }));
    for (const entry of prepared) this.cache.set(entry.key, entry.value, entry.ttl);
  }

  async delete(key: TKey, options?: CacheStoreOptions): Promise<boolean> {
    throwIfAborted(options?.signal);
    checkKey(key);
    return this.cache.delete(key);
  }

  async deleteMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<number> {
    throwIfAborted(options?.signal);
    keys.forEach(checkKey);
    let removed = 0;
    for (const key of keys) if (this.cache.delete(key)) removed++;
    return removed;
  }

  async clear(options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.cache.clear();
  }
}

/** A lone UTF-16 surrogate (a code point of category Cs once paired halves are joined). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Refuses a string key that is not well-formed UTF-16, as every remote store must: Redis (and
 * any store keeping keys as UTF-8) would turn each lone surrogate into U+FFFD, so two such keys
 * would share one entry there.
 */
function checkKey<TKey>(key: TKey): TKey {
  if (typeof key === 'string' && LONE_SURROGATE.test(key)) {
    const message = `${JSON.stringify(key)} contains a lone UTF-16 surrogate, which is not valid Unicode (Redis, and any store keeping keys as UTF-8, would turn it into U+FFFD, the same as other such keys); use a well-formed string.`;
    throw new ValidationError([{ path: [], message }], { subject: 'cache key' });
  }
  return key;
}

/** The copy a store keeps: checked and changed as JSON would (`SerializationError` otherwise). */
function copyIn<TKey, TValue>(value: TValue, key: TKey): TValue {
  if (value === undefined) {
    const message = 'is undefined, which every store reads back as "absent"; store null or delete the key.';
    throw new ValidationError([{ path: [], message }], { subject: 'cache value' });
  }
  return storableCopy(value, `the cache value of key ${JSON.stringify(String(key))}`);
}

/** A fresh copy of a kept value, so a caller mutating it never changes the store. */
function copyOut<TValue>(value: TValue | undefined): TValue | undefined {
  return value === undefined || value === null || typeof value !== 'object'
    ? value
    : (JSON.parse(JSON.stringify(value)) as TValue);
}

function ttlOf(ttl: number | undefined): { ttl: number } | undefined {
  return ttl === undefined ? undefined : { ttl: entryTtl(ttl, 'MemoryCacheStore.set') };
}
