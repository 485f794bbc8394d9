import {
  assertOptions,
  noopLogger,
  noopPolicy,
  optionClock,
  optionFunction,
  optionLogger,
  optionNumber,
  optionObject,
  optionRatio,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Defined, Logger, Policy } from '@keel/core';
import type { CacheStore, CacheStoreOptions, CacheWriteTarget } from './cacheStore.js';
import { SingleFlight } from './internal/singleFlight.js';
import type { FlightContext } from './internal/singleFlight.js';
import { CacheMeter } from './cacheTelemetry.js';

/**
 * How cache-aside keeps a value in its {@link CacheStore}: the value plus its timing. Plain JSON,
 * so it survives any store: "never" is written as `null`, not as `Infinity` (which JSON would
 * turn into `null` anyway, and which core's `toStorableJson` refuses).
 */
export interface CacheAsideEntry<TValue> {
  /** The loaded value (`undefined`/`null` for a cached negative result). */
  readonly value: TValue;
  /** Epoch ms until which the value is served without reloading; `null`: forever (`ttl: Infinity`). */
  readonly freshUntil: number | null;
  /**
   * Epoch ms until which a stale value is still served while it is refreshed in the background;
   * `null`: forever.
   */
  readonly staleUntil: number | null;
  /** How long the load took in ms: XFetch's `delta`. */
  readonly loadMs: number;
}

/** An entry read back from a store, with "never" as `Infinity`; `undefined` when it is not an entry. */
interface ReadEntry<TValue> {
  readonly value: TValue;
  readonly freshUntil: number;
  readonly staleUntil: number;
  readonly loadMs: number;
}

/** Loads the value of a key from the source of truth; gets a signal to stop early. */
export type CacheLoader<TKey, TValue> = (
  key: TKey,
  context: { readonly signal: AbortSignal },
) => Promise<TValue>;

/** Options of {@link createCacheAside}. */
export interface CacheAsideOptions {
  /** How long a loaded value is fresh, in ms (`Infinity`: until evicted or invalidated). @default 60_000 */
  ttl?: number | undefined;
  /** How long after `ttl` a stale value is still served while one background load refreshes it, in ms. @default 0 */
  staleWhileRevalidate?: number | undefined;
  /** Shortens each TTL by a random share up to this fraction, so keys loaded together do not expire together. @default 0 */
  jitter?: number | undefined;
  /**
   * XFetch's β: a fresh value is refreshed early, in the background, when
   * `-loadMs × β × ln(random())` reaches its remaining TTL; `0` turns it off, `1` is the usual choice.
   * @default 0
   */
  earlyRecompute?: number | undefined;
  /** How long a `null`/`undefined` load result is cached, in ms; `0` caches none (each read reloads). @default 0 */
  negativeTtl?: number | undefined;
  /** Wraps every load (retry, timeout, circuit breaker from `@keel/resilience`). @default noopPolicy */
  policy?: Policy | undefined;
  /** Reports store failures (reads then fall back to the loader) and failed background refreshes. @default noopLogger */
  logger?: Logger | undefined;
  /** The source of time. @default systemClock */
  clock?: Clock | undefined;
  /** Uniform random numbers in [0, 1) for jitter and early recomputation. @default Math.random */
  random?: (() => number) | undefined;
  /** Names this cache in its metrics (`keel.cache.name`, kind `cache-aside`); keep it low cardinality. @default 'default' */
  name?: string | undefined;
}

/** A read-through view of a {@link CacheStore} in front of a loader; see {@link createCacheAside}. */
export interface CacheAside<TKey, TValue> extends CacheWriteTarget<TKey, TValue> {
  /** The cached value of `key`, loading it on a miss (one load however many callers miss at once). */
  get(key: TKey, options?: CacheStoreOptions): Promise<TValue>;
  /** The values of `keys` in order: one store round trip, then a single-flight load per miss. */
  getMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<TValue[]>;
  /** Loads `key` now, bypassing the cached value, and stores the result. */
  refresh(key: TKey, options?: CacheStoreOptions): Promise<TValue>;
  /** Stores a known value (e.g. after a write), replacing the cached one and any load in flight. */
  set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void>;
  /** Forgets `key`, so the next read loads it; a load in flight is not stored. */
  delete(key: TKey, options?: CacheStoreOptions): Promise<boolean>;
}

/** The defaults of {@link createCacheAside}'s options. */
export const CACHE_ASIDE_DEFAULTS = Object.freeze({
  ttl: 60_000,
  staleWhileRevalidate: 0,
  jitter: 0,
  earlyRecompute: 0,
  negativeTtl: 0,
  policy: noopPolicy,
  logger: noopLogger,
  clock: systemClock,
  random: Math.random,
  name: 'default',
});

/**
 * Creates a cache-aside (read-through) cache: reads come from `store`; a miss calls `loader`
 * once per key however many callers miss together, and stores the result. Optional
 * stale-while-revalidate, TTL jitter, XFetch early recomputation and negative caching protect
 * the source from stampedes. A failing load rejects every waiting caller and caches nothing.
 *
 * @param store Where entries live (a `MemoryCacheStore`, a Redis store …).
 * @param loader Loads a key from the source of truth.
 * @param options Timing and protection settings; an option left out or `undefined` keeps its default.
 * @throws ValidationError when an option is out of range or of the wrong kind.
 * @example
 * ```ts
 * const users = createCacheAside(new MemoryCacheStore<string, CacheAsideEntry<User>>(), loadUser, {
 *   ttl: 60_000, staleWhileRevalidate: 10_000, jitter: 0.1, earlyRecompute: 1,
 * });
 * const user = await users.get('u1', { signal });
 * ```
 */
export function createCacheAside<TKey, TValue>(
  store: CacheStore<TKey, CacheAsideEntry<TValue>>,
  loader: CacheLoader<TKey, TValue>,
  options: CacheAsideOptions = {},
): CacheAside<TKey, TValue> {
  const settings = withDefaults(CACHE_ASIDE_DEFAULTS, options);
  assertOptions('cache-aside', {
    store: optionObject(store, 'a CacheStore', ['get', 'getMany', 'set', 'delete'], true),
    loader: optionFunction(loader, true),
    ttl: optionNumber(settings.ttl, { min: 0, exclusiveMin: true, infinity: true }),
    staleWhileRevalidate: optionNumber(settings.staleWhileRevalidate, { min: 0, infinity: true }),
    jitter: optionRatio(settings.jitter),
    earlyRecompute: optionNumber(settings.earlyRecompute, { min: 0 }),
    negativeTtl: optionNumber(settings.negativeTtl, { min: 0, infinity: true }),
    policy: optionObject(settings.policy, 'a Policy', ['execute']),
    logger: optionLogger(settings.logger, { uses: ['warn'] }),
    clock: optionClock(settings.clock, ['now']),
    random: optionFunction(settings.random),
    name: optionString(settings.name),
  });
  return new CacheAsideImpl(store, loader, settings);
}

type Settings = Readonly<Defined<CacheAsideOptions>>;

class CacheAsideImpl<TKey, TValue> implements CacheAside<TKey, TValue> {
  readonly #flights = new SingleFlight<TKey, TValue>();
  readonly #store: CacheStore<TKey, CacheAsideEntry<TValue>>;
  readonly #loader: CacheLoader<TKey, TValue>;
  readonly #settings: Settings;
  readonly #meter: CacheMeter;
  #hits = 0;
  #misses = 0;

  constructor(
    store: CacheStore<TKey, CacheAsideEntry<TValue>>,
    loader: CacheLoader<TKey, TValue>,
    settings: Settings,
  ) {
    this.#store = store;
    this.#loader = loader;
    this.#settings = settings;
    this.#meter = new CacheMeter(settings.name, 'cache-aside');
  }

  async get(key: TKey, options?: CacheStoreOptions): Promise<TValue> {
    throwIfAborted(options?.signal);
    const entry = await this.#read(() => this.#store.get(key, options), undefined, options?.signal);
    return this.#serve(key, entry, options?.signal);
  }

  async getMany(keys: readonly TKey[], options?: CacheStoreOptions): Promise<TValue[]> {
    throwIfAborted(options?.signal);
    const entries = await this.#read(() => this.#store.getMany(keys, options), [], options?.signal);
    return Promise.all(keys.map((key, at) => this.#serve(key, entries[at], options?.signal)));
  }

  async refresh(key: TKey, options?: CacheStoreOptions): Promise<TValue> {
    throwIfAborted(options?.signal);
    this.#flights.invalidate(key);
    return this.#flights.run(key, (context) => this.#load(key, context), options?.signal);
  }

  async set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#flights.invalidate(key);
    await this.#write(key, value, 0, options?.signal);
  }

  async delete(key: TKey, options?: CacheStoreOptions): Promise<boolean> {
    throwIfAborted(options?.signal);
    this.#flights.invalidate(key);
    return this.#store.delete(key, options);
  }

  #serve(
    key: TKey,
    stored: CacheAsideEntry<TValue> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TValue> {
    const entry = readEntry(stored);
    const now = this.#settings.clock.now();
    if (entry !== undefined && now < entry.staleUntil) {
      this.#meter.hit(++this.#hits, this.#misses);
      if (now >= entry.freshUntil || this.#recomputeEarly(entry, now)) this.#refreshInBackground(key);
      return Promise.resolve(entry.value);
    }
    this.#meter.miss(this.#hits, ++this.#misses);
    return this.#flights.run(key, (context) => this.#load(key, context), signal);
  }

  /** XFetch (Vattani et al.): refresh with a probability that grows as expiry nears and loads get slower. */
  #recomputeEarly(entry: ReadEntry<TValue>, now: number): boolean {
    const beta = this.#settings.earlyRecompute;
    if (beta === 0 || entry.loadMs <= 0 || now >= entry.freshUntil) return false;
    return -entry.loadMs * beta * Math.log(this.#settings.random()) >= entry.freshUntil - now;
  }

  #refreshInBackground(key: TKey): void {
    this.#flights
      .runDetached(key, (context) => this.#load(key, context))
      .catch((error: unknown) => {
        this.#settings.logger.warn('cache-aside background refresh failed; serving the cached value', {
          key,
          error,
        });
      });
  }

  async #load(key: TKey, context: FlightContext): Promise<TValue> {
    const { clock, policy } = this.#settings;
    const started = clock.now();
    let value: TValue;
    try {
      value = await policy.execute(({ signal }) => this.#loader(key, { signal }), context.signal);
    } catch (error) {
      this.#meter.loaded(false, clock.now() - started);
      throw error;
    }
    this.#meter.loaded(true, clock.now() - started);
    if (context.isCurrent()) await this.#write(key, value, clock.now() - started, undefined);
    return value;
  }

  async #write(key: TKey, value: TValue, loadMs: number, signal: AbortSignal | undefined): Promise<void> {
    const written = this.#entryFor(value, loadMs);
    if (written === undefined) {
      await this.#tolerate('delete', () =>
        this.#store.delete(key, signal === undefined ? undefined : { signal }),
      );
      return;
    }
    const { entry, ttl } = written;
    await this.#tolerate('write', () =>
      this.#store.set(key, entry, signal === undefined ? { ttl } : { ttl, signal }),
    );
  }

  /** The entry to store and the store TTL (`Infinity`: never expires), or `undefined` to store none. */
  #entryFor(value: TValue, loadMs: number): { entry: CacheAsideEntry<TValue>; ttl: number } | undefined {
    const { clock, negativeTtl, staleWhileRevalidate } = this.#settings;
    const negative = value === undefined || value === null;
    if (negative && negativeTtl === 0) return undefined;
    const now = clock.now();
    const fresh = negative ? negativeTtl : this.#jittered(this.#settings.ttl);
    // Jitter can leave a tiny TTL; a store reads 0 as "never expires", so keep at least 1 ms.
    const ttl = Math.max(1, fresh + (negative ? 0 : staleWhileRevalidate));
    const entry = { value, freshUntil: until(now, fresh), staleUntil: until(now, ttl), loadMs };
    return { entry, ttl };
  }

  #jittered(ttl: number): number {
    const { jitter, random } = this.#settings;
    return jitter === 0 || ttl === Infinity ? ttl : ttl * (1 - jitter * random());
  }

  async #read<T>(read: () => Promise<T>, fallback: T, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throwIfAborted(signal);
      this.#settings.logger.warn('cache-aside store read failed; loading from the source', { error });
      return fallback;
    }
  }

  async #tolerate(operation: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.#settings.logger.warn(`cache-aside store ${operation} failed; the value is served uncached`, {
        error,
      });
    }
  }
}

/** `now + ms` as epoch ms, or `null` for "never" (JSON has no Infinity). */
function until(now: number, ms: number): number | null {
  return ms === Infinity ? null : now + ms;
}

/**
 * The timing of a stored entry with "never" back as `Infinity`: `null` (what this module writes,
 * and what JSON made of an `Infinity` written by earlier versions) means no expiry. Anything
 * that is not an entry counts as a miss.
 */
function readEntry<TValue>(stored: CacheAsideEntry<TValue> | undefined): ReadEntry<TValue> | undefined {
  if (stored === undefined || stored === null || typeof stored !== 'object') return undefined;
  const { value, freshUntil, staleUntil, loadMs } = stored;
  if (!isTime(freshUntil) || !isTime(staleUntil)) return undefined;
  return {
    value,
    freshUntil: freshUntil ?? Infinity,
    staleUntil: staleUntil ?? Infinity,
    loadMs: typeof loadMs === 'number' ? loadMs : 0,
  };
}

function isTime(value: unknown): value is number | null {
  return value === null || typeof value === 'number';
}
