import type { Clock } from '@keel/core';
import type { Cache, CacheSetOptions, CacheStats, DisposeReason } from './cache.js';
import { DisposeQueue } from './internal/disposeQueue.js';
import { resized, SlotList } from './internal/slotList.js';
import { entrySize, entryTtl } from './internal/entryOptions.js';
import { lruCacheSettings } from './lruCacheOptions.js';
import { CacheMeter } from './cacheTelemetry.js';
import type { LruCacheOptions } from './lruCacheOptions.js';

/** The one list of the shared slot list: slot 0 is its sentinel. */
const LIST = 0;
/** Slots allocated up front when only `maxSize` bounds the cache; they double as needed. */
const GROWABLE_START = 64;
/** The most slots allocated up front; larger `max` values grow to it as entries arrive. */
const PREALLOCATED = 65_536;

/**
 * A least-recently-used cache bounded by entry count and/or total size, with per-entry TTLs.
 *
 * Entries live in a preallocated typed-array linked list (the slot list W-TinyLFU shares)
 * indexed by a `Map`, so reads and writes allocate nothing. Expired entries are removed lazily when touched (or by {@link purgeStale}).
 *
 * @example
 * ```ts
 * const cache = new LruCache<string, User>({ max: 10_000, ttl: 60_000 });
 * cache.set('u1', user);
 * cache.get('u1'); // user, now the most recently used
 * ```
 */
export class LruCache<TKey, TValue> implements Cache<TKey, TValue> {
  readonly max: number;
  /** The most total size kept (`Infinity` when unbounded by size). */
  readonly maxSize: number;
  readonly #index = new Map<TKey, number>();
  readonly #keys: (TKey | undefined)[] = [undefined];
  readonly #values: (TValue | undefined)[] = [undefined];
  // One circular list with sentinel slot 0: next[0] is the most recent entry, prev[0] the least.
  readonly #slots: SlotList;
  /** The slot list's capacity that `#expires` and `#sizes` are (or will be) allocated for. */
  #capacity: number;
  #expires: Float64Array | undefined;
  #sizes: Float64Array | undefined;
  #totalSize = 0;
  readonly #ttl: number;
  readonly #clock: Clock;
  readonly #sizeOf: ((value: TValue, key: TKey) => number) | undefined;
  readonly #disposals: DisposeQueue<TKey, TValue> | undefined;
  readonly #meter: CacheMeter;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  /**
   * @param options The bounds (`max` and/or `maxSize`; without either the cache is unbounded),
   *   TTL, dispose callback and clock; an option left out or `undefined` keeps its default.
   * @throws ValidationError when an option is out of range, or `maxSize` is finite without `sizeOf`.
   */
  constructor(options: LruCacheOptions<TKey, TValue> = {}) {
    const settings = lruCacheSettings(options);
    this.max = settings.max;
    this.maxSize = settings.maxSize;
    this.#ttl = settings.ttl === Infinity ? 0 : settings.ttl;
    this.#clock = settings.clock;
    this.#sizeOf = settings.sizeOf;
    this.#disposals = settings.onDispose ? new DisposeQueue(settings.onDispose) : undefined;
    this.#meter = new CacheMeter(settings.name, 'lru');
    const entries = Math.min(this.max, Number.isFinite(this.max) ? PREALLOCATED : GROWABLE_START);
    this.#slots = new SlotList(1, entries);
    const capacity = (this.#capacity = this.#slots.capacity);
    if (this.#ttl > 0) this.#expires = new Float64Array(capacity);
    if (Number.isFinite(this.maxSize)) this.#sizes = new Float64Array(capacity);
  }

  get size(): number {
    return this.#index.size;
  }

  /** The total size of the stored entries as measured by `sizeOf` (0 without `maxSize`). */
  get totalSize(): number {
    return this.#totalSize;
  }

  get(key: TKey): TValue | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) {
      this.#meter.miss(this.#hits, ++this.#misses);
      return undefined;
    }
    if (this.#expires !== undefined && this.#isExpired(slot)) {
      this.#meter.miss(this.#hits, ++this.#misses);
      this.#expire(slot);
      this.#disposals?.drain();
      return undefined;
    }
    this.#meter.hit(++this.#hits, this.#misses);
    this.#slots.moveToFront(slot, LIST);
    return this.#values[slot];
  }

  peek(key: TKey): TValue | undefined {
    const slot = this.#liveSlot(key);
    return slot === undefined ? undefined : this.#values[slot];
  }

  has(key: TKey): boolean {
    return this.#liveSlot(key) !== undefined;
  }

  set(key: TKey, value: TValue, options?: CacheSetOptions): this {
    const existing = this.#index.get(key);
    if (existing === undefined && options === undefined && this.#sizes === undefined) {
      this.#insert(key, value, this.#ttl);
    } else {
      this.#setWithOptions(key, value, options, existing);
    }
    this.#disposals?.drain();
    return this;
  }

  delete(key: TKey): boolean {
    const slot = this.#liveSlot(key);
    if (slot === undefined) return false;
    this.#remove(slot, 'delete');
    this.#disposals?.drain();
    return true;
  }

  clear(): void {
    const next = this.#slots.next;
    for (let slot = next[LIST]!; slot !== LIST; slot = next[slot]!) {
      this.#disposals?.push(this.#values[slot]!, this.#keys[slot]!, 'clear');
    }
    this.#index.clear();
    this.#keys.length = 1;
    this.#values.length = 1;
    this.#slots.reset();
    this.#totalSize = 0;
    this.#disposals?.drain();
  }

  purgeStale(): number {
    if (this.#expires === undefined) return 0;
    let purged = 0;
    for (let slot = this.#slots.last(LIST); slot !== LIST;) {
      const older = this.#slots.prev[slot]!;
      if (this.#isExpired(slot)) {
        this.#expire(slot);
        purged++;
      }
      slot = older;
    }
    this.#disposals?.drain();
    return purged;
  }

  remainingTtl(key: TKey): number | undefined {
    const slot = this.#liveSlot(key);
    if (slot === undefined) return undefined;
    const expiresAt = this.#expires?.[slot] ?? 0;
    return expiresAt === 0 ? Infinity : expiresAt - this.#clock.now();
  }

  stats(): CacheStats {
    const reads = this.#hits + this.#misses;
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
      hitRatio: reads === 0 ? 0 : this.#hits / reads,
    };
  }

  resetStats(): void {
    this.#hits = this.#misses = this.#evictions = this.#expirations = 0;
  }

  /** Live keys, most recently used first. */
  *keys(): IterableIterator<TKey> {
    for (const slot of this.#liveSlots()) yield this.#keys[slot]!;
  }

  /** Live values, most recently used first. */
  *values(): IterableIterator<TValue> {
    for (const slot of this.#liveSlots()) yield this.#values[slot]!;
  }

  /** Live `[key, value]` pairs, most recently used first. */
  *entries(): IterableIterator<[TKey, TValue]> {
    for (const slot of this.#liveSlots()) yield [this.#keys[slot]!, this.#values[slot]!];
  }

  [Symbol.iterator](): IterableIterator<[TKey, TValue]> {
    return this.entries();
  }

  *#liveSlots(): Generator<number> {
    const now = this.#expires === undefined ? 0 : this.#clock.now();
    for (let slot = this.#slots.first(LIST); slot !== LIST;) {
      const older = this.#slots.next[slot]!;
      const expiresAt = this.#expires?.[slot] ?? 0;
      if (expiresAt === 0 || expiresAt > now) yield slot;
      slot = older;
    }
  }

  #liveSlot(key: TKey): number | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined || this.#expires === undefined || !this.#isExpired(slot)) return slot;
    this.#expire(slot);
    this.#disposals?.drain();
    return undefined;
  }

  #isExpired(slot: number): boolean {
    const expiresAt = this.#expires![slot]!;
    return expiresAt !== 0 && expiresAt <= this.#clock.now();
  }

  #expire(slot: number): void {
    this.#expirations++;
    this.#meter.expired();
    this.#remove(slot, 'expire');
  }

  /** Stores a new key as the most recent entry, reusing the least recent entry's slot when full. */
  #insert(key: TKey, value: TValue, ttl: number): number {
    const slot = this.#index.size >= this.max ? this.#evictForReuse() : this.#allocate();
    this.#index.set(key, slot);
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#slots.linkFront(slot, LIST);
    if (ttl !== 0 || this.#expires !== undefined) this.#setExpiry(slot, ttl);
    return slot;
  }

  #setWithOptions(
    key: TKey,
    value: TValue,
    options: CacheSetOptions | undefined,
    existing: number | undefined,
  ): void {
    const ttl = options?.ttl === undefined ? this.#ttl : entryTtl(options.ttl, 'LruCache.set');
    const size = this.#sizes === undefined ? 0 : this.#measure(key, value, options);
    if (size > this.maxSize) {
      // Too large to ever fit: drop any older value and hand this one straight back as evicted.
      if (existing !== undefined) this.#remove(existing, 'set');
      this.#evictions++;
      this.#meter.evicted();
      this.#disposals?.push(value, key, 'evict');
    } else if (existing !== undefined) {
      this.#replace(existing, value, size);
      this.#setExpiry(existing, ttl);
      this.#slots.moveToFront(existing, LIST);
    } else {
      const slot = this.#insert(key, value, ttl);
      if (this.#sizes !== undefined) this.#addSize(slot, size);
    }
    while (this.#totalSize > this.maxSize) this.#evict();
  }

  /** Evicts the least recent entry and returns its slot for the caller to fill at once. */
  #evictForReuse(): number {
    const slot = this.#slots.last(LIST);
    const key = this.#keys[slot]!;
    this.#evictions++;
    this.#meter.evicted();
    this.#index.delete(key);
    this.#slots.unlink(slot);
    if (this.#sizes !== undefined) this.#totalSize -= this.#sizes[slot]!;
    this.#disposals?.push(this.#values[slot]!, key, 'evict');
    return slot;
  }

  #evict(): void {
    const slot = this.#slots.last(LIST);
    if (slot === LIST) return;
    this.#evictions++;
    this.#meter.evicted();
    this.#remove(slot, 'evict');
  }

  #remove(slot: number, reason: DisposeReason): void {
    const key = this.#keys[slot]!;
    const value = this.#values[slot]!;
    this.#index.delete(key);
    this.#slots.release(slot);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    if (this.#sizes !== undefined) this.#totalSize -= this.#sizes[slot]!;
    this.#disposals?.push(value, key, reason);
  }

  #replace(slot: number, value: TValue, size: number): void {
    const old = this.#values[slot]!;
    this.#values[slot] = value;
    if (this.#sizes !== undefined) {
      this.#totalSize -= this.#sizes[slot]!;
      this.#addSize(slot, size);
    }
    if (old !== value) this.#disposals?.push(old, this.#keys[slot]!, 'set');
  }

  #measure(key: TKey, value: TValue, options: CacheSetOptions | undefined): number {
    return entrySize(options?.size ?? this.#sizeOf!(value, key), 'LruCache.set');
  }

  #addSize(slot: number, size: number): void {
    this.#sizes![slot] = size;
    this.#totalSize += size;
  }

  #setExpiry(slot: number, ttl: number): void {
    const never = ttl === 0 || ttl === Infinity;
    if (this.#expires === undefined) {
      if (never) return;
      this.#expires = new Float64Array(this.#slots.capacity);
    }
    this.#expires[slot] = never ? 0 : this.#clock.now() + ttl;
  }

  /** A free slot; when the slot list grew to hand it out, the per-slot arrays grow with it. */
  #allocate(): number {
    const slot = this.#slots.allocate();
    if (slot === this.#keys.length) {
      this.#keys.push(undefined);
      this.#values.push(undefined);
      if (slot >= this.#capacity) this.#grow();
    }
    return slot;
  }

  #grow(): void {
    const capacity = (this.#capacity = this.#slots.capacity);
    if (this.#expires !== undefined) this.#expires = resized(this.#expires, new Float64Array(capacity));
    if (this.#sizes !== undefined) this.#sizes = resized(this.#sizes, new Float64Array(capacity));
  }
}
