/** Why a value left a cache, as passed to a cache's `onDispose` callback. */
export type DisposeReason =
  /** Pushed out to respect the cache's bounds. */
  | 'evict'
  /** Its time to live ran out. */
  | 'expire'
  /** Removed by `delete()`. */
  | 'delete'
  /**
   * Replaced by a later `set()` of the same key with a different value (also when the old value
   * had expired but was not purged yet). Setting the value a key already holds disposes nothing.
   */
  | 'set'
  /** Removed by `clear()`. */
  | 'clear';

/** Called after a value leaves a cache; see {@link DisposeReason}. */
export type DisposeListener<TKey, TValue> = (value: TValue, key: TKey, reason: DisposeReason) => void;

/** Options of one `set()` call. */
export interface CacheSetOptions {
  /**
   * Time to live of this entry in milliseconds; `0` or `Infinity` means it never expires.
   * @default the cache's `ttl`
   */
  ttl?: number | undefined;
  /**
   * The entry's size, for caches bounded by `maxSize`; overrides the cache's `sizeOf`.
   * @default the cache's `sizeOf(value, key)`
   */
  size?: number | undefined;
}

/** Counters a cache keeps since it was created or its stats were last reset. */
export interface CacheStats {
  /** Reads (`get`) that found a live value. */
  readonly hits: number;
  /** Reads (`get`) that found nothing or an expired value. */
  readonly misses: number;
  /** Entries removed to respect the cache's bounds. */
  readonly evictions: number;
  /** Entries removed because their time to live ran out. */
  readonly expirations: number;
  /** `hits / (hits + misses)`, or `0` before the first read. */
  readonly hitRatio: number;
}

/**
 * The synchronous in-memory cache contract shared by {@link LruCache} and
 * {@link WTinyLfuCache}, so either can sit behind a `MemoryCacheStore` or be swapped by config.
 *
 * Keys are compared with `SameValueZero` like a `Map`: the number `1` and the string `'1'` are
 * different keys.
 */
export interface Cache<TKey, TValue> extends Iterable<[TKey, TValue]> {
  /** How many entries are stored, including expired ones not yet purged. */
  readonly size: number;
  /** The most entries the cache holds. */
  readonly max: number;
  /** The live value of `key`, marking it recently used, or `undefined`. Counts a hit or a miss. */
  get(key: TKey): TValue | undefined;
  /** The live value of `key` without marking it used or counting a hit or miss. */
  peek(key: TKey): TValue | undefined;
  /** Whether `key` has a live value; does not mark it used. */
  has(key: TKey): boolean;
  /** Stores `value` under `key` as the most recently used entry, evicting others if needed. */
  set(key: TKey, value: TValue, options?: CacheSetOptions): this;
  /** Removes `key`; returns whether a live value was removed. */
  delete(key: TKey): boolean;
  /** Removes every entry, calling `onDispose` with reason `clear`. */
  clear(): void;
  /** Removes every expired entry now; returns how many were removed. */
  purgeStale(): number;
  /** Milliseconds until `key` expires: `Infinity` without a TTL, `undefined` when absent. */
  remainingTtl(key: TKey): number | undefined;
  /** A snapshot of the hit, miss, eviction and expiration counters. */
  stats(): CacheStats;
  /** Sets every counter of {@link stats} back to zero. */
  resetStats(): void;
  /** Live keys, in the cache's retention order (most recently used first for an LRU). */
  keys(): IterableIterator<TKey>;
  /** Live values, in the same order as {@link keys}. */
  values(): IterableIterator<TValue>;
  /** Live `[key, value]` pairs, in the same order as {@link keys}. */
  entries(): IterableIterator<[TKey, TValue]>;
}
