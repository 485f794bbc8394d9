import {
  assertOptions,
  optionClock,
  optionObject,
  optionRule,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type {
  Cache,
  CacheStore,
  CacheStoreEntry,
  CacheStoreOptions,
  CacheStoreSetOptions,
} from '@keel/scaling';
import { KeyVersions } from '../internal/keyVersions.js';
import type { VersionTicket } from '../internal/keyVersions.js';
import type { InvalidationMessage } from './invalidationMessage.js';
import type { RedisCacheStore } from './redisCacheStore.js';
import type { RedisInvalidationListener } from './redisInvalidationListener.js';

/** Parts of {@link createTieredCache}. `store`, `local` and `listener` are required. */
export interface TieredCacheOptions<TValue> {
  /** L2: the shared store; it must publish on the listener's channel. */
  store: RedisCacheStore<TValue>;
  /**
   * L1: an in-process cache (e.g. `new LruCache({ max: 10_000, ttl: 5_000 })`). Its TTL bounds
   * staleness if a message is lost; a copy never outlives the Redis entry either.
   */
  local: Cache<string, TValue>;
  /** Receives the invalidations of every process; started by {@link createTieredCache}. */
  listener: RedisInvalidationListener;
  /** Measures how long a Redis round trip took, so an L1 copy expires no later than Redis's. @default systemClock */
  clock?: Clock;
}

/** A two-level cache: a {@link CacheStore} that also owns its listener subscription. */
export interface TieredCache<TValue> extends CacheStore<string, TValue>, AsyncDisposable {
  /** Stops listening for invalidations and clears L1; the clients stay open. */
  close(): Promise<void>;
}

const TIERED_CACHE_DEFAULTS = Object.freeze({ clock: systemClock as Clock });

/**
 * A {@link CacheStore} with an in-process cache (L1) in front of a {@link RedisCacheStore}
 * (L2). Reads hit L1 first; writes go to Redis, which publishes the keys, and every other
 * process's tiered cache drops them from its L1. The promises:
 *
 * - A value read from or written to Redis goes into L1 only if nothing changed that key (a
 *   delete or write of this process, an invalidation from another) while it was in flight, so a
 *   racing delete or overwrite never leaves the old value in L1.
 * - An L1 copy expires no later than the Redis entry: its TTL is capped by the remaining TTL
 *   Redis reports with the value (`PTTL`), less the round trip.
 * - While the invalidation subscription is down, L1 is bypassed (every read goes to Redis, and
 *   nothing is kept); once it is back, L1 is emptied, since messages may have been missed.
 * - It hands out copies, as every store does (one serializer round trip per L1 hit): a caller
 *   changing a value it read or wrote never changes L1. It passes the `CacheStore` contract.
 *
 * @throws ValidationError when a part is missing or the store publishes on another channel than the listener's.
 * @example
 * ```ts
 * const cache = await createTieredCache({
 *   store: new RedisCacheStore(redis, { prefix: 'app:', invalidationChannel: 'app:inv' }),
 *   local: new LruCache({ max: 1_000, ttl: 5_000 }),
 *   listener: new RedisInvalidationListener(subscriber, { channel: 'app:inv' }),
 * });
 * ```
 */
export async function createTieredCache<TValue>(
  options: TieredCacheOptions<TValue>,
  startOptions: { signal?: AbortSignal } = {},
): Promise<TieredCache<TValue>> {
  const settings = withDefaults(TIERED_CACHE_DEFAULTS, options);
  const { store, local, listener, clock } = settings;
  const channel = (listener as Partial<RedisInvalidationListener> | undefined)?.channel;
  assertOptions('createTieredCache', {
    store: optionObject(
      store,
      'a RedisCacheStore',
      ['getManyWithTtl', 'setMany', 'deleteMany', 'clear'],
      true,
    ),
    local: optionObject(local, 'a Cache', ['get', 'set', 'delete', 'clear', 'remainingTtl'], true),
    listener: optionObject(listener, 'a RedisInvalidationListener', ['onInvalidate', 'start', 'close'], true),
    clock: optionClock(clock, ['now']),
    'store.invalidationChannel': optionRule(
      store?.invalidationChannel === channel || channel === undefined,
      `must be the listener's channel "${channel}" (got ${String(store?.invalidationChannel)}); give the store that invalidationChannel.`,
    ),
  });
  const tiered = new Tiered(store, local, listener, clock);
  const stop = listener.onInvalidate((message) => tiered.invalidate(message));
  try {
    await listener.start(startOptions);
  } catch (error) {
    stop();
    throw error;
  }
  tiered.onClose = async () => {
    stop();
    await listener.close();
  };
  return tiered;
}

/** The TTL of an L1 copy written by this process: the Redis TTL it was written with. */
function writtenTtl(ttl: number | undefined, storeTtl: number): number {
  const effective = ttl ?? storeTtl;
  return effective === 0 ? Infinity : effective;
}

class Tiered<TValue> implements TieredCache<TValue> {
  readonly #store: RedisCacheStore<TValue>;
  readonly #local: Cache<string, TValue>;
  readonly #listener: RedisInvalidationListener;
  readonly #clock: Clock;
  readonly #versions = new KeyVersions();
  onClose: () => Promise<void> = async () => {};

  constructor(
    store: RedisCacheStore<TValue>,
    local: Cache<string, TValue>,
    listener: RedisInvalidationListener,
    clock: Clock,
  ) {
    this.#store = store;
    this.#local = local;
    this.#listener = listener;
    this.#clock = clock;
  }

  invalidate(message: InvalidationMessage): void {
    if (message.source === this.#store.instanceId) return;
    if (message.all === true) this.#forgetAll();
    else for (const key of message.keys ?? []) this.#forget(key);
  }

  async get(key: string, options?: CacheStoreOptions): Promise<TValue | undefined> {
    return (await this.getMany([key], options))[0];
  }

  async getMany(keys: readonly string[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    // While the subscription is down, an L1 copy may have missed its invalidation.
    const trusted = this.#listener.subscribed;
    const values = keys.map((key) => {
      const cached = trusted ? this.#local.get(key) : undefined;
      // A copy, as every store hands out: a caller changing it must not change L1.
      return cached === undefined ? undefined : this.#copy(cached, key);
    });
    const missing = keys.filter((_, index) => values[index] === undefined);
    if (missing.length === 0) return values;
    const tickets = missing.map((key) => this.#versions.begin(key));
    const startedAt = this.#clock.now();
    try {
      const fetched = await this.#store.getManyWithTtl(missing, options);
      const elapsed = this.#clock.now() - startedAt;
      const loaded = fetched.map((entry, index) => {
        if (entry !== undefined) {
          this.#fill(tickets[index]!, () => this.#copy(entry.value, missing[index]!), entry.ttl - elapsed);
        }
        return entry?.value;
      });
      let next = 0;
      return values.map((value) => (value !== undefined ? value : loaded[next++]));
    } finally {
      for (const ticket of tickets) this.#versions.end(ticket);
    }
  }

  async set(key: string, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    throwIfAborted(options?.signal);
    await this.#write([{ key, value }], options, () => this.#store.set(key, value, options));
  }

  async setMany(
    entries: readonly CacheStoreEntry<string, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    await this.#write(entries, options, () => this.#store.setMany(entries, options));
  }

  async delete(key: string, options?: CacheStoreOptions): Promise<boolean> {
    throwIfAborted(options?.signal);
    this.#forget(key);
    return this.#store.delete(key, options);
  }

  async deleteMany(keys: readonly string[], options?: CacheStoreOptions): Promise<number> {
    throwIfAborted(options?.signal);
    for (const key of keys) this.#forget(key);
    return this.#store.deleteMany(keys, options);
  }

  async clear(options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#forgetAll();
    await this.#store.clear(options);
  }

  async close(): Promise<void> {
    this.#forgetAll();
    await this.onClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Writes through to Redis, then keeps the written values in L1 if no other change raced them. */
  async #write(
    entries: readonly CacheStoreEntry<string, TValue>[],
    options: CacheStoreSetOptions | undefined,
    send: () => Promise<void>,
  ): Promise<void> {
    for (const entry of entries) this.#forget(entry.key);
    const tickets = entries.map((entry) => this.#versions.begin(entry.key));
    const startedAt = this.#clock.now();
    try {
      await send();
      const elapsed = this.#clock.now() - startedAt;
      entries.forEach((entry, index) => {
        const ttl = writtenTtl(entry.ttl ?? options?.ttl, this.#store.ttl);
        // L1 keeps what other processes read back (a Date as its string), not the caller's object.
        this.#fill(tickets[index]!, () => this.#copy(entry.value, entry.key), ttl - elapsed);
      });
    } finally {
      for (const ticket of tickets) this.#versions.end(ticket);
    }
  }

  /** Keeps the value in L1 for at most `ttl` ms, if nothing changed its key since `ticket`. */
  #fill(ticket: VersionTicket, valueOf: () => TValue, ttl: number): void {
    if (!this.#listener.subscribed || !this.#versions.unchanged(ticket)) return;
    const cap = Math.floor(ttl);
    if (!(cap >= 1)) return;
    const value = valueOf();
    this.#local.set(ticket.key, value);
    // L1's own TTL applies unless the Redis entry expires sooner.
    const remaining = this.#local.remainingTtl(ticket.key);
    if (remaining !== undefined && remaining > cap) this.#local.set(ticket.key, value, { ttl: cap });
  }

  /** `value` as the store would give it back: a separate object, changed as the serializer changes it. */
  #copy(value: TValue, key: string): TValue {
    const { serializer } = this.#store;
    return serializer.deserialize(serializer.serialize(value, key));
  }

  #forget(key: string): void {
    this.#versions.bump(key);
    this.#local.delete(key);
  }

  #forgetAll(): void {
    this.#versions.bumpAll();
    this.#local.clear();
  }
}
