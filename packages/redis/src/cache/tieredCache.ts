import { throwIfAborted } from '@keel/core';
import type {
  Cache,
  CacheStore,
  CacheStoreEntry,
  CacheStoreOptions,
  CacheStoreSetOptions,
} from '@keel/scaling';
import { ValidationError } from '@keel/core';
import type { InvalidationMessage } from './invalidationMessage.js';
import type { RedisCacheStore } from './redisCacheStore.js';
import type { RedisInvalidationListener } from './redisInvalidationListener.js';

/** Parts of {@link createTieredCache}. */
export interface TieredCacheOptions<TValue> {
  /** L2: the shared store; it must publish on the listener's channel. */
  store: RedisCacheStore<TValue>;
  /** L1: an in-process cache (e.g. `new LruCache({ max: 10_000, ttl: 5_000 })`); its TTL bounds staleness if a message is lost. */
  local: Cache<string, TValue>;
  /** Receives the invalidations of every process; started by {@link createTieredCache}. */
  listener: RedisInvalidationListener;
}

/** A two-level cache: a {@link CacheStore} that also owns its listener subscription. */
export interface TieredCache<TValue> extends CacheStore<string, TValue>, AsyncDisposable {
  /** Stops listening for invalidations and clears L1; the clients stay open. */
  close(): Promise<void>;
}

/**
 * A {@link CacheStore} with an in-process cache (L1) in front of a {@link RedisCacheStore}
 * (L2). Reads hit L1 first; writes go to Redis, which publishes the keys, and every other
 * process's tiered cache drops them from its L1. A value read from Redis is kept in L1 only
 * when no invalidation arrived while it was being read, so a racing write never leaves a stale
 * copy behind.
 *
 * @throws ValidationError when the store publishes on another channel than the listener's.
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
  const { store, local, listener } = options;
  if (store.invalidationChannel !== listener.channel) {
    const message = `must be the listener's channel "${listener.channel}" (got ${String(store.invalidationChannel)}); give the store that invalidationChannel.`;
    throw new ValidationError([{ path: ['store', 'invalidationChannel'], message }], {
      subject: 'createTieredCache options',
    });
  }
  const tiered = new Tiered(store, local);
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

/** An explicit finite TTL also bounds the L1 copy, so it never outlives the Redis entry. */
function localTtl(ttl: number | undefined): { ttl: number } | undefined {
  return ttl !== undefined && ttl > 0 && Number.isFinite(ttl) ? { ttl } : undefined;
}

class Tiered<TValue> implements TieredCache<TValue> {
  readonly #store: RedisCacheStore<TValue>;
  readonly #local: Cache<string, TValue>;
  /** Bumped by every foreign invalidation; a read or write fills L1 only if it did not move. */
  #generation = 0;
  onClose: () => Promise<void> = async () => {};

  constructor(store: RedisCacheStore<TValue>, local: Cache<string, TValue>) {
    this.#store = store;
    this.#local = local;
  }

  invalidate(message: InvalidationMessage): void {
    if (message.source === this.#store.instanceId) return;
    this.#generation += 1;
    if (message.all === true) this.#local.clear();
    else for (const key of message.keys ?? []) this.#local.delete(key);
  }

  async get(key: string, options?: CacheStoreOptions): Promise<TValue | undefined> {
    throwIfAborted(options?.signal);
    const cached = this.#local.get(key);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const value = await this.#store.get(key, options);
    if (value !== undefined && generation === this.#generation) this.#local.set(key, value);
    return value;
  }

  async getMany(keys: readonly string[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    const values = keys.map((key) => this.#local.get(key));
    const missing = keys.filter((_, index) => values[index] === undefined);
    if (missing.length === 0) return values;
    const generation = this.#generation;
    const fetched = await this.#store.getMany(missing, options);
    const fresh = generation === this.#generation;
    let next = 0;
    return values.map((value, index) => {
      if (value !== undefined) return value;
      const loaded = fetched[next++];
      if (loaded !== undefined && fresh) this.#local.set(keys[index]!, loaded);
      return loaded;
    });
  }

  async set(key: string, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#local.delete(key);
    const generation = this.#generation;
    await this.#store.set(key, value, options);
    if (generation === this.#generation) this.#local.set(key, value, localTtl(options?.ttl));
  }

  async setMany(
    entries: readonly CacheStoreEntry<string, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    for (const entry of entries) this.#local.delete(entry.key);
    const generation = this.#generation;
    await this.#store.setMany(entries, options);
    if (generation !== this.#generation) return;
    for (const entry of entries) this.#local.set(entry.key, entry.value, localTtl(entry.ttl ?? options?.ttl));
  }

  async delete(key: string, options?: CacheStoreOptions): Promise<boolean> {
    this.#local.delete(key);
    return this.#store.delete(key, options);
  }

  async deleteMany(keys: readonly string[], options?: CacheStoreOptions): Promise<number> {
    for (const key of keys) this.#local.delete(key);
    return this.#store.deleteMany(keys, options);
  }

  async clear(options?: CacheStoreOptions): Promise<void> {
    this.#local.clear();
    await this.#store.clear(options);
  }

  async close(): Promise<void> {
    this.#local.clear();
    await this.onClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
