import { assertOptions, raceAbort, throwIfAborted } from '@keel/core';
import type { CacheStore, CacheStoreEntry, CacheStoreOptions, CacheStoreSetOptions } from '@keel/scaling';
import type { ChainableCommander, Redis } from 'ioredis';
import { runScript } from '../internal/commands.js';
import type { ScriptDefinition } from '../internal/commands.js';
import { execPipeline } from '../internal/pipeline.js';
import { encodeInvalidation } from './invalidationMessage.js';
import { escapeGlob, optionTtl, pxFor, resolveCacheStoreOptions } from './redisCacheStoreOptions.js';
import type { RedisCacheStoreOptions, ResolvedCacheStoreOptions } from './redisCacheStoreOptions.js';
import type { Serializer } from './serializer.js';

/** A value read with {@link RedisCacheStore.getWithTtl}, and how long Redis keeps it. */
export interface CacheEntryWithTtl<TValue> {
  /** The stored value. */
  readonly value: TValue;
  /** Milliseconds Redis keeps it from the moment it was read (`PTTL`); `Infinity` without expiry. */
  readonly ttl: number;
}

/** KEYS: the keys to read. Returns value, PTTL for each key (false, -2 when absent), atomically. */
const GET_WITH_TTL_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelCacheGetWithTtl',
  keys: undefined,
  lua: `
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  out[2 * i - 1] = value
  if value then out[2 * i] = redis.call('PTTL', key) else out[2 * i] = -2 end
end
return out
`,
});

/**
 * A {@link CacheStore} in Redis, shared by every process that uses the same prefix. Values are
 * serialized (JSON by default), TTLs set with `PX`, batches sent as `MGET` or one pipeline, and
 * `clear` walks the prefix with `SCAN` (never `KEYS`). With `invalidationChannel`, every write
 * also publishes the keys it changed, so in-process caches in front of Redis
 * ({@link createTieredCache}) drop stale copies.
 *
 * The client is borrowed: the store never closes it.
 *
 * @example
 * ```ts
 * const store = new RedisCacheStore<User>(new Redis(), { prefix: 'app:users:', ttl: 60_000 });
 * await store.set('u1', { id: 'u1', name: 'Ada' });
 * ```
 */
export class RedisCacheStore<TValue = unknown> implements CacheStore<string, TValue> {
  readonly #client: Redis;
  readonly #options: ResolvedCacheStoreOptions<TValue>;

  /**
   * @param client A connected ioredis client (not in subscriber mode).
   * @param options Prefix, default TTL, serializer and invalidation channel.
   * @throws ValidationError when an option is out of range.
   */
  constructor(client: Redis, options: RedisCacheStoreOptions<TValue> = {}) {
    this.#client = client;
    this.#options = resolveCacheStoreOptions(options);
  }

  /** The prefix of every key of this store. */
  get prefix(): string {
    return this.#options.prefix;
  }

  /** The channel writes are published on, or `undefined` when they are not. */
  get invalidationChannel(): string | undefined {
    return this.#options.invalidationChannel;
  }

  /** Turns values into the stored strings and back. */
  get serializer(): Serializer<TValue> {
    return this.#options.serializer;
  }

  /** The default time to live of a write, in ms; `0` or `Infinity` mean never expire. */
  get ttl(): number {
    return this.#options.ttl;
  }

  /** This instance's id in the invalidation messages it publishes. */
  get instanceId(): string {
    return this.#options.instanceId;
  }

  /** The value of `key`, or `undefined` when absent or expired. */
  async get(key: string, options?: CacheStoreOptions): Promise<TValue | undefined> {
    throwIfAborted(options?.signal);
    const text = await raceAbort(this.#client.get(this.#key(key)), options?.signal);
    return text === null ? undefined : this.#options.serializer.deserialize(text);
  }

  /** The values of `keys` in order, with one `MGET`. */
  async getMany(keys: readonly string[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return [];
    const texts = await raceAbort(this.#client.mget(keys.map((key) => this.#key(key))), options?.signal);
    return texts.map((text) => (text === null ? undefined : this.#options.serializer.deserialize(text)));
  }

  /**
   * The value of `key` and how long Redis keeps it (`GET` and `PTTL` in one script, so the two
   * agree), or `undefined` when absent. A cache in front of Redis bounds its copy's TTL by it.
   */
  async getWithTtl(key: string, options?: CacheStoreOptions): Promise<CacheEntryWithTtl<TValue> | undefined> {
    return (await this.getManyWithTtl([key], options))[0];
  }

  /** {@link getWithTtl} for several keys, in one atomic script, in the order asked. */
  async getManyWithTtl(
    keys: readonly string[],
    options?: CacheStoreOptions,
  ): Promise<(CacheEntryWithTtl<TValue> | undefined)[]> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return [];
    const args = [keys.length, ...keys.map((key) => this.#key(key))];
    const reply = (await raceAbort(runScript(this.#client, GET_WITH_TTL_SCRIPT, args), options?.signal)) as (
      string | number | null
    )[];
    return keys.map((_, index) => {
      const text = reply[2 * index];
      if (typeof text !== 'string') return undefined;
      const pttl = Number(reply[2 * index + 1]);
      return { value: this.#options.serializer.deserialize(text), ttl: pttl < 0 ? Infinity : pttl };
    });
  }

  /**
   * Stores `value` under `key` with the call's TTL or the store's default.
   *
   * @throws ValidationError when `ttl` is negative or the value cannot be serialized.
   */
  async set(key: string, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    throwIfAborted(options?.signal);
    const pipeline = this.#client.pipeline();
    this.#queueSet(pipeline, key, value, options?.ttl);
    this.#queuePublish(pipeline, [key]);
    await raceAbort(execPipeline(pipeline), options?.signal);
  }

  /** Stores several entries in one pipeline; an entry's `ttl` overrides the call's. */
  async setMany(
    entries: readonly CacheStoreEntry<string, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    if (entries.length === 0) return;
    const pipeline = this.#client.pipeline();
    for (const entry of entries) this.#queueSet(pipeline, entry.key, entry.value, entry.ttl ?? options?.ttl);
    this.#queuePublish(
      pipeline,
      entries.map((entry) => entry.key),
    );
    await raceAbort(execPipeline(pipeline), options?.signal);
  }

  /** Removes `key`; resolves whether it was present. */
  async delete(key: string, options?: CacheStoreOptions): Promise<boolean> {
    return (await this.deleteMany([key], options)) === 1;
  }

  /** Removes several keys with one `DEL`; resolves how many were present. */
  async deleteMany(keys: readonly string[], options?: CacheStoreOptions): Promise<number> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return 0;
    const pipeline = this.#client.pipeline();
    pipeline.del(...keys.map((key) => this.#key(key)));
    this.#queuePublish(pipeline, keys);
    const [removed] = await raceAbort(execPipeline(pipeline), options?.signal);
    return removed as number;
  }

  /**
   * Removes every key under this store's prefix, walking it with `SCAN` and `UNLINK` in
   * batches of `scanCount`. Keys written while it runs may survive. The signal is checked
   * between batches.
   */
  async clear(options?: CacheStoreOptions): Promise<void> {
    const signal = options?.signal;
    throwIfAborted(signal);
    const match = `${escapeGlob(this.#options.prefix)}*`;
    let cursor = '0';
    do {
      const [next, found] = await raceAbort(
        this.#client.scan(cursor, 'MATCH', match, 'COUNT', this.#options.scanCount),
        signal,
      );
      if (found.length > 0) await raceAbort(this.#client.unlink(...found), signal);
      cursor = next;
      throwIfAborted(signal);
    } while (cursor !== '0');
    const channel = this.#options.invalidationChannel;
    if (channel !== undefined) {
      await this.#client.publish(channel, encodeInvalidation({ source: this.instanceId, all: true }));
    }
  }

  #key(key: string): string {
    return this.#options.prefix + key;
  }

  #queueSet(pipeline: ChainableCommander, key: string, value: TValue, ttl: number | undefined): void {
    const effective = ttl ?? this.#options.ttl;
    assertOptions('RedisCacheStore set', { ttl: optionTtl(effective) });
    const text = this.#options.serializer.serialize(value, key);
    const px = pxFor(effective);
    if (px === undefined) pipeline.set(this.#key(key), text);
    else pipeline.set(this.#key(key), text, 'PX', px);
  }

  #queuePublish(pipeline: ChainableCommander, keys: readonly string[]): void {
    const channel = this.#options.invalidationChannel;
    if (channel === undefined) return;
    pipeline.publish(channel, encodeInvalidation({ source: this.instanceId, keys }));
  }
}
