import { assertOptions, raceAbort, throwIfAborted } from '@keel/core';
import type { CacheStore, CacheStoreEntry, CacheStoreOptions, CacheStoreSetOptions } from '@keel/scaling';
import type { ChainableCommander } from 'ioredis';
import { isClusterClient, perSlot } from '../internal/client.js';
import type { RedisClient } from '../internal/client.js';
import { runScript } from '../internal/commands.js';
import type { ScriptDefinition } from '../internal/commands.js';
import { execPipeline } from '../internal/pipeline.js';
import { unlinkMatching } from '../internal/scanKeys.js';
import { assertWellFormedKey } from '../internal/wellFormedKey.js';
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

/** A value ready to write: its Redis key, text and `PX` (`undefined`: no expiry). */
interface Write {
  readonly redisKey: string;
  readonly text: string;
  readonly px: number | undefined;
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
 * On a Redis Cluster (an ioredis `Cluster` client) keys keep the same layout and spread over
 * the cluster; a batch is split into one command per hash slot (so none fails with CROSSSLOT),
 * `clear` scans every master, and invalidations go over the cluster's pub/sub. A batch is then
 * atomic per slot, not as a whole.
 *
 * Keys must be well-formed UTF-16: ioredis sends them as UTF-8, where every lone surrogate
 * becomes U+FFFD, so a key holding one is refused with a `ValidationError` (as `MemoryCacheStore`
 * refuses it). A `ttl` beyond `Number.MAX_SAFE_INTEGER` ms (about 285,000 years) is stored
 * without expiry, like `Infinity`.
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
  readonly #client: RedisClient;
  readonly #options: ResolvedCacheStoreOptions<TValue>;

  /**
   * @param client A connected ioredis client, `Redis` or `Cluster` (not in subscriber mode).
   * @param options Prefix, default TTL, serializer and invalidation channel.
   * @throws ValidationError when an option is out of range.
   */
  constructor(client: RedisClient, options: RedisCacheStoreOptions<TValue> = {}) {
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

  /** The values of `keys` in order, with one `MGET` (one per hash slot on a cluster). */
  async getMany(keys: readonly string[], options?: CacheStoreOptions): Promise<(TValue | undefined)[]> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return [];
    const redisKeys = keys.map((key) => this.#key(key));
    const groups = await raceAbort(
      perSlot(this.#client, redisKeys, (slotKeys) => this.#client.mget(slotKeys)),
      options?.signal,
    );
    const values: (TValue | undefined)[] = new Array<TValue | undefined>(keys.length).fill(undefined);
    for (const { indexes, reply } of groups) {
      indexes.forEach((index, i) => {
        const text = reply[i];
        if (typeof text === 'string') values[index] = this.#options.serializer.deserialize(text);
      });
    }
    return values;
  }

  /**
   * The value of `key` and how long Redis keeps it (`GET` and `PTTL` in one script, so the two
   * agree), or `undefined` when absent. A cache in front of Redis bounds its copy's TTL by it.
   */
  async getWithTtl(key: string, options?: CacheStoreOptions): Promise<CacheEntryWithTtl<TValue> | undefined> {
    return (await this.getManyWithTtl([key], options))[0];
  }

  /**
   * {@link getWithTtl} for several keys, in the order asked: one atomic script (one per hash
   * slot on a cluster).
   */
  async getManyWithTtl(
    keys: readonly string[],
    options?: CacheStoreOptions,
  ): Promise<(CacheEntryWithTtl<TValue> | undefined)[]> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return [];
    const read = (slotKeys: string[]) =>
      runScript(this.#client, GET_WITH_TTL_SCRIPT, [slotKeys.length, ...slotKeys]) as Promise<
        (string | number | null)[]
      >;
    const groups = await raceAbort(
      perSlot(
        this.#client,
        keys.map((key) => this.#key(key)),
        read,
      ),
      options?.signal,
    );
    const entries = new Array<CacheEntryWithTtl<TValue> | undefined>(keys.length).fill(undefined);
    for (const { indexes, reply } of groups) {
      indexes.forEach((index, i) => {
        const text = reply[2 * i];
        if (typeof text !== 'string') return;
        const pttl = Number(reply[2 * i + 1]);
        entries[index] = {
          value: this.#options.serializer.deserialize(text),
          ttl: pttl < 0 ? Infinity : pttl,
        };
      });
    }
    return entries;
  }

  /**
   * Stores `value` under `key` with the call's TTL or the store's default.
   *
   * @throws ValidationError when `ttl` is negative, the key holds a lone surrogate or the value
   * cannot be serialized.
   */
  async set(key: string, value: TValue, options?: CacheStoreSetOptions): Promise<void> {
    await this.setMany([{ key, value }], options);
  }

  /**
   * Stores several entries in one pipeline (one per hash slot on a cluster); an entry's `ttl`
   * overrides the call's. Every key, TTL and value is checked before anything is sent, so a
   * refused entry stores nothing.
   *
   * @throws ValidationError when a `ttl` is negative, a key holds a lone surrogate or a value
   * cannot be serialized.
   */
  async setMany(
    entries: readonly CacheStoreEntry<string, TValue>[],
    options?: CacheStoreSetOptions,
  ): Promise<void> {
    throwIfAborted(options?.signal);
    if (entries.length === 0) return;
    const writes = entries.map((entry) => this.#prepare(entry.key, entry.value, entry.ttl ?? options?.ttl));
    const keys = entries.map((entry) => entry.key);
    if (!isClusterClient(this.#client)) {
      const pipeline = this.#client.pipeline();
      for (const write of writes) queueWrite(pipeline, write);
      this.#queuePublish(pipeline, keys);
      await raceAbort(execPipeline(pipeline), options?.signal);
      return;
    }
    const cluster = this.#client;
    const sent = perSlot(
      cluster,
      writes.map((write) => write.redisKey),
      (_, indexes) => {
        const pipeline = cluster.pipeline();
        for (const index of indexes) queueWrite(pipeline, writes[index]!);
        return execPipeline(pipeline);
      },
    );
    await raceAbort(sent, options?.signal);
    await this.#publish(keys, options?.signal);
  }

  /** Removes `key`; resolves whether it was present. */
  async delete(key: string, options?: CacheStoreOptions): Promise<boolean> {
    return (await this.deleteMany([key], options)) === 1;
  }

  /** Removes several keys with one `DEL` (one per hash slot on a cluster); resolves how many were present. */
  async deleteMany(keys: readonly string[], options?: CacheStoreOptions): Promise<number> {
    throwIfAborted(options?.signal);
    if (keys.length === 0) return 0;
    const redisKeys = keys.map((key) => this.#key(key));
    if (!isClusterClient(this.#client)) {
      const pipeline = this.#client.pipeline();
      pipeline.del(...redisKeys);
      this.#queuePublish(pipeline, keys);
      const [removed] = await raceAbort(execPipeline(pipeline), options?.signal);
      return removed as number;
    }
    const cluster = this.#client;
    const groups = await raceAbort(
      perSlot(cluster, redisKeys, (slotKeys) => cluster.del(...slotKeys)),
      options?.signal,
    );
    await this.#publish(keys, options?.signal);
    return groups.reduce((sum, group) => sum + group.reply, 0);
  }

  /**
   * Removes every key under this store's prefix, walking it with `SCAN` and `UNLINK` in
   * batches of `scanCount` (on every master of a cluster). Keys written while it runs may
   * survive. The signal is checked between batches.
   */
  async clear(options?: CacheStoreOptions): Promise<void> {
    const signal = options?.signal;
    throwIfAborted(signal);
    const match = `${escapeGlob(this.#options.prefix)}*`;
    await unlinkMatching(this.#client, match, this.#options.scanCount, signal);
    const channel = this.#options.invalidationChannel;
    if (channel !== undefined) {
      await this.#client.publish(channel, encodeInvalidation({ source: this.instanceId, all: true }));
    }
  }

  /** The Redis key of `key`, refusing a key ioredis would change (a lone surrogate). */
  #key(key: string): string {
    assertWellFormedKey(key, 'cache key');
    return this.#options.prefix + key;
  }

  #prepare(key: string, value: TValue, ttl: number | undefined): Write {
    const effective = ttl ?? this.#options.ttl;
    assertOptions('RedisCacheStore set', { ttl: optionTtl(effective) });
    const text = this.#options.serializer.serialize(value, key);
    return { redisKey: this.#key(key), text, px: pxFor(effective) };
  }

  async #publish(keys: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    const channel = this.#options.invalidationChannel;
    if (channel === undefined) return;
    await raceAbort(
      this.#client.publish(channel, encodeInvalidation({ source: this.instanceId, keys })),
      signal,
    );
  }

  #queuePublish(pipeline: ChainableCommander, keys: readonly string[]): void {
    const channel = this.#options.invalidationChannel;
    if (channel === undefined) return;
    pipeline.publish(channel, encodeInvalidation({ source: this.instanceId, keys }));
  }
}

function queueWrite(pipeline: ChainableCommander, write: Write): void {
  if (write.px === undefined) pipeline.set(write.redisKey, write.text);
  else pipeline.set(write.redisKey, write.text, 'PX', write.px);
}
