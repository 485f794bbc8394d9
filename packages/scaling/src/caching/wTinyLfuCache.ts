import {
  assertOptions,
  optionBoolean,
  optionClock,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRatio,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { Cache, CacheSetOptions, CacheStats, DisposeListener, DisposeReason } from './cache.js';
import { DisposeQueue } from './internal/disposeQueue.js';
import { hashKey } from './internal/hashKey.js';
import { TinyLfuPolicy } from './internal/tinyLfuPolicy.js';
import { entryTtl } from './internal/entryOptions.js';
import { CacheMeter } from './cacheTelemetry.js';

/** Options of {@link WTinyLfuCache}. */
export interface WTinyLfuCacheOptions<TKey, TValue> {
  /** The most entries kept (required: an integer >= 1; it sizes the frequency sketch up front). */
  max: number;
  /** The initial share of `max` given to the admission window (an LRU). @default 0.01 */
  windowFraction?: number | undefined;
  /** The share of the main space kept for entries read twice (protected segment). @default 0.8 */
  protectedFraction?: number | undefined;
  /** Whether a hill climber resizes the window to the workload, as in Caffeine. @default true */
  adaptive?: boolean | undefined;
  /** Whether a Bloom-filter doorkeeper keeps one-hit wonders out of the sketch. @default false */
  doorkeeper?: boolean | undefined;
  /** Default time to live of entries in ms; `0` or `Infinity` means never. @default 0 */
  ttl?: number | undefined;
  /** Called after a value leaves the cache, with the reason. @default undefined */
  onDispose?: DisposeListener<TKey, TValue> | undefined;
  /** The source of time for TTLs. @default systemClock */
  clock?: Clock | undefined;
  /** Uniform random numbers in [0, 1) for the admission tie-break that resists hash flooding. @default Math.random */
  random?: (() => number) | undefined;
  /** Names the cache in its metrics (`keel.cache.name`); keep it low cardinality. @default 'default' */
  name?: string | undefined;
}

/** The defaults of {@link WTinyLfuCache}'s options. */
export const W_TINY_LFU_CACHE_DEFAULTS = Object.freeze({
  windowFraction: 0.01,
  protectedFraction: 0.8,
  adaptive: true,
  doorkeeper: false,
  ttl: 0,
  clock: systemClock,
  random: Math.random,
  name: 'default',
});

/**
 * A W-TinyLFU cache (Caffeine's policy): new entries enter a small LRU window; leaving it they
 * must win against the main space's eviction victim on estimated frequency (a count-min sketch
 * that ages) to be admitted to the segmented LRU main space (probation and protected). It keeps
 * frequently used keys through scans and one-hit wonders, and beats plain LRU on skewed traffic.
 * Same interface as {@link LruCache}; bounded by entry count only. It reserves about 25–35 bytes
 * per entry of `max` up front (links, hashes and the sketch). For recency-dominated traffic
 * (keys read a few times in quick succession, then never) prefer `LruCache` or a larger
 * `windowFraction`.
 *
 * @example
 * ```ts
 * const cache = new WTinyLfuCache<string, Product>({ max: 10_000 });
 * cache.set('p1', product);
 * cache.get('p1');
 * ```
 */
export class WTinyLfuCache<TKey, TValue> implements Cache<TKey, TValue> {
  readonly max: number;
  readonly #index = new Map<TKey, number>();
  readonly #keys: (TKey | undefined)[];
  readonly #values: (TValue | undefined)[];
  readonly #policy: TinyLfuPolicy;
  readonly #clock: Clock;
  readonly #ttl: number;
  readonly #disposals: DisposeQueue<TKey, TValue> | undefined;
  #expires: Float64Array | undefined;
  readonly #meter: CacheMeter;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  /**
   * @param options `max` and the policy's tuning; see {@link WTinyLfuCacheOptions}.
   * @throws ValidationError when an option is out of range.
   */
  constructor(options: WTinyLfuCacheOptions<TKey, TValue>) {
    const settings = withDefaults(W_TINY_LFU_CACHE_DEFAULTS, options);
    assertOptions('WTinyLfuCache', {
      max: optionInteger(settings.max, { min: 1, required: true }),
      windowFraction: optionRatio(settings.windowFraction),
      protectedFraction: optionRatio(settings.protectedFraction),
      adaptive: optionBoolean(settings.adaptive),
      doorkeeper: optionBoolean(settings.doorkeeper),
      ttl: optionNumber(settings.ttl, { min: 0, infinity: true }),
      onDispose: optionFunction(settings.onDispose),
      clock: optionClock(settings.clock, ['now']),
      random: optionFunction(settings.random),
      name: optionString(settings.name),
    });
    this.max = settings.max;
    this.#clock = settings.clock;
    this.#ttl = settings.ttl === Infinity ? 0 : settings.ttl;
    this.#disposals = settings.onDispose ? new DisposeQueue(settings.onDispose) : undefined;
    this.#meter = new CacheMeter(settings.name, 'w-tinylfu');
    this.#policy = new TinyLfuPolicy(this.max, settings, (slot) => {
      this.#evictions++;
      this.#meter.evicted();
      this.#forget(slot, 'evict');
    });
    // Slots are handed out in order, so these grow by appending (no holes) as the cache fills.
    this.#keys = [undefined, undefined, undefined];
    this.#values = [undefined, undefined, undefined];
    if (this.#ttl > 0) this.#expires = new Float64Array(this.#policy.capacity);
  }

  get size(): number {
    return this.#index.size;
  }

  /** The current size of the admission window (it moves when `adaptive` is on). */
  get windowSize(): number {
    return this.#policy.windowSize;
  }

  get(key: TKey): TValue | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined || (this.#expires !== undefined && this.#isExpired(slot))) {
      if (slot !== undefined) this.#expire(slot);
      this.#meter.miss(this.#hits, ++this.#misses);
      this.#policy.onMiss();
      this.#disposals?.drain();
      return undefined;
    }
    this.#meter.hit(++this.#hits, this.#misses);
    this.#policy.onHit(slot);
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
    const ttl = options?.ttl === undefined ? this.#ttl : entryTtl(options.ttl, 'WTinyLfuCache.set');
    const existing = this.#index.get(key);
    if (existing !== undefined) {
      const old = this.#values[existing]!;
      this.#values[existing] = value;
      if (old !== value) this.#disposals?.push(old, key, 'set');
      this.#setExpiry(existing, ttl);
      this.#policy.onUpdate(existing);
    } else {
      const slot = this.#policy.admit(hashKey(key));
      this.#index.set(key, slot);
      this.#keys[slot] = key;
      this.#values[slot] = value;
      this.#setExpiry(slot, ttl);
      this.#policy.maintain();
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
    for (const slot of this.#policy.slots()) {
      this.#disposals?.push(this.#values[slot]!, this.#keys[slot]!, 'clear');
    }
    this.#index.clear();
    this.#keys.length = TinyLfuPolicy.FIRST_SLOT;
    this.#values.length = TinyLfuPolicy.FIRST_SLOT;
    this.#policy.reset();
    this.#disposals?.drain();
  }

  purgeStale(): number {
    if (this.#expires === undefined) return 0;
    const stale = [...this.#policy.slots()].filter((slot) => this.#isExpired(slot));
    for (const slot of stale) this.#expire(slot);
    this.#disposals?.drain();
    return stale.length;
  }

  remainingTtl(key: TKey): number | undefined {
    const slot = this.#liveSlot(key);
    if (slot === undefined) return undefined;
    const expiresAt = this.#expires?.[slot] ?? 0;
    return expiresAt === 0 ? Infinity : expiresAt - this.#clock.now();
  }

  stats(): CacheStats {
    const reads = this.#hits + this.#misses;
    const hitRatio = reads === 0 ? 0 : this.#hits / reads;
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
      hitRatio,
    };
  }

  resetStats(): void {
    this.#hits = this.#misses = this.#evictions = this.#expirations = 0;
  }

  /** Live keys: protected (most recent first), then probation, then the window. */
  *keys(): IterableIterator<TKey> {
    for (const slot of this.#liveSlots()) yield this.#keys[slot]!;
  }

  /** Live values, in the order of {@link keys}. */
  *values(): IterableIterator<TValue> {
    for (const slot of this.#liveSlots()) yield this.#values[slot]!;
  }

  /** Live `[key, value]` pairs, in the order of {@link keys}. */
  *entries(): IterableIterator<[TKey, TValue]> {
    for (const slot of this.#liveSlots()) yield [this.#keys[slot]!, this.#values[slot]!];
  }

  [Symbol.iterator](): IterableIterator<[TKey, TValue]> {
    return this.entries();
  }

  #expire(slot: number): void {
    this.#expirations++;
    this.#meter.expired();
    this.#remove(slot, 'expire');
  }

  #remove(slot: number, reason: DisposeReason): void {
    this.#forget(slot, reason);
    this.#policy.remove(slot);
  }

  /** Drops the key and value of `slot` and queues their disposal; the policy frees the slot. */
  #forget(slot: number, reason: DisposeReason): void {
    const key = this.#keys[slot]!;
    const value = this.#values[slot]!;
    this.#index.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#disposals?.push(value, key, reason);
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

  #setExpiry(slot: number, ttl: number): void {
    const never = ttl === 0 || ttl === Infinity;
    if (this.#expires === undefined) {
      if (never) return;
      this.#expires = new Float64Array(this.#policy.capacity);
    }
    this.#expires[slot] = never ? 0 : this.#clock.now() + ttl;
  }

  *#liveSlots(): Generator<number> {
    const now = this.#expires === undefined ? 0 : this.#clock.now();
    for (const slot of this.#policy.slots()) {
      const expiresAt = this.#expires?.[slot] ?? 0;
      if (expiresAt === 0 || expiresAt > now) yield slot;
    }
  }
}
