import type { Clock } from '@keel/core';
import { createCacheAside, MemoryCacheStore, ShardRouter } from '@keel/scaling';
import type { CacheAside, CacheAsideEntry, CacheWriteTarget, RebalancePlan } from '@keel/scaling';
import type { Product, SimulatedDatabase } from './database.js';

interface Shard {
  readonly store: MemoryCacheStore<string, CacheAsideEntry<Product>>;
  readonly cache: CacheAside<string, Product>;
}

/** What moving cached entries to a new shard did. */
export interface Migration {
  readonly plan: RebalancePlan;
  /** Cached entries copied to the new shard and dropped from the old one. */
  readonly migrated: number;
}

/**
 * A cache-aside cache split over several in-memory shards by a consistent-hash `ShardRouter`,
 * in front of the slow database. Each shard is its own `MemoryCacheStore` (in production: one
 * Redis node each); a miss loads from the database once however many callers miss together.
 */
export class ShardedCache implements CacheWriteTarget<string, Product> {
  readonly router: ShardRouter;
  readonly #shards = new Map<string, Shard>();
  readonly #db: SimulatedDatabase;
  readonly #clock: Clock;

  constructor(shardIds: readonly string[], db: SimulatedDatabase, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.router = new ShardRouter(shardIds);
    for (const id of shardIds) this.#shards.set(id, this.#createShard());
  }

  /** Reads a product through the cache of the shard that owns it. */
  get(id: string): Promise<Product> {
    return this.#shardOf(id).cache.get(id);
  }

  /** Stores a new value in the owning shard (used by write-behind). */
  set(id: string, product: Product): Promise<void> {
    return this.#shardOf(id).cache.set(id, product);
  }

  /** Forgets a key in the owning shard. */
  delete(id: string): Promise<boolean> {
    return this.#shardOf(id).cache.delete(id);
  }

  /** Cached entries per shard. */
  sizes(): Map<string, number> {
    return new Map([...this.#shards].map(([id, shard]) => [id, shard.store.cache.size]));
  }

  /** Hit ratio over every shard since the start. */
  hitRatio(): number {
    let hits = 0;
    let reads = 0;
    for (const { store } of this.#shards.values()) {
      const stats = store.cache.stats();
      hits += stats.hits;
      reads += stats.hits + stats.misses;
    }
    return reads === 0 ? 0 : hits / reads;
  }

  /**
   * Adds a shard: plans the change over the cached keys, copies every entry whose owner changes
   * to the new shard, drops it from the old one, then switches the router.
   */
  async addShard(id: string): Promise<Migration> {
    const cachedKeys = [...this.#shards.values()].flatMap(({ store }) =>
      [...store.cache].map(([key]) => key),
    );
    const plan = this.router.planRebalance({ add: [id] }, cachedKeys);
    const target = this.#createShard();
    this.#shards.set(id, target);
    let migrated = 0;
    for (const move of plan.moves) {
      const source = this.#shards.get(move.from[0]!)!;
      const entry = await source.store.get(move.key);
      if (entry === undefined) continue;
      await target.store.set(move.key, entry);
      await source.store.delete(move.key);
      migrated++;
    }
    this.router.apply({ add: [id] });
    return { plan, migrated };
  }

  #shardOf(id: string): Shard {
    return this.#shards.get(this.router.route(id))!;
  }

  #createShard(): Shard {
    const store = new MemoryCacheStore<string, CacheAsideEntry<Product>>({ max: 1_000, clock: this.#clock });
    const cache = createCacheAside(store, (key: string) => this.#db.load(key), {
      ttl: 600_000,
      clock: this.#clock,
    });
    return { store, cache };
  }
}
