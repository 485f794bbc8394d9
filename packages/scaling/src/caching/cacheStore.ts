/** Options of a {@link CacheStore} call that may wait. */
export interface CacheStoreOptions {
  /** Stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link CacheStore.set} and {@link CacheStore.setMany}. */
export interface CacheStoreSetOptions extends CacheStoreOptions {
  /**
   * Time to live in ms; leave it out for the store's default; `0`, `Infinity` or more than
   * `Number.MAX_SAFE_INTEGER` mean never expire.
   */
  ttl?: number | undefined;
}

/** One entry of {@link CacheStore.setMany}. */
export interface CacheStoreEntry<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
  /** Time to live of this entry in ms; overrides the call's `ttl`. */
  readonly ttl?: number | undefined;
}

/**
 * An asynchronous key-value cache: the contract the caching strategies (`createCacheAside`,
 * `createWriteThrough`, `createWriteBehind`) are written against. `MemoryCacheStore` implements
 * it in process; `@keel/redis` implements it over Redis so several processes share one cache.
 *
 * `undefined` means "absent", so a store never holds `undefined` as a value. A string key that
 * is not well-formed UTF-16 (a lone surrogate) is refused with a `ValidationError`, since a store
 * keeping keys as UTF-8 would merge such keys. Every method checks its signal before starting
 * and rejects with the signal's reason.
 */
export interface CacheStore<TKey = string, TValue = unknown> {
  /** The value of `key`, or `undefined` when it is absent or expired. */
  get(key: TKey, options?: CacheStoreOptions): Promise<TValue | undefined>;
  /** The values of `keys`, in the same order, `undefined` for each absent one. */
  getMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]>;
  /** Stores `value` under `key`, replacing any value. */
  set(key: TKey, value: TValue, options?: CacheStoreSetOptions): Promise<void>;
  /** Stores several entries (one round trip for remote stores). */
  setMany(entries: readonly CacheStoreEntry<TKey, TValue>[], options?: CacheStoreSetOptions): Promise<void>;
  /** Removes `key`; resolves whether it was present. */
  delete(key: TKey, options?: CacheStoreOptions): Promise<boolean>;
  /** Removes several keys; resolves how many were present. */
  deleteMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<number>;
  /** Removes every entry of this store. */
  clear(options?: CacheStoreOptions): Promise<void>;
}

/**
 * What a write strategy updates when a value changes: a {@link CacheStore}, or a cache-aside
 * (which stores its own entry format) so reads and writes share one cache.
 */
export interface CacheWriteTarget<TKey, TValue> {
  /** Stores the new value. */
  set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void>;
  /** Forgets the key. */
  delete(key: TKey, options?: CacheStoreOptions): Promise<unknown>;
}
