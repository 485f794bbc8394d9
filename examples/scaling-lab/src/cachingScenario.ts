import { ManualClock, seededRandom } from '@keel/core';
import { createWriteBehind } from '@keel/scaling';
import { SimulatedDatabase } from './database.js';
import type { Product } from './database.js';
import { zipf } from './random.js';
import { ShardedCache } from './shardedCache.js';
import type { Migration } from './shardedCache.js';

/** What the sharded cache-aside, write-behind and rebalance steps measured. */
export interface CachingReport {
  readonly warmup: {
    reads: number;
    dbReads: number;
    hitRatio: number;
    dbBusyMs: number;
    uncachedBusyMs: number;
  };
  readonly stampede: { callers: number; dbReads: number };
  readonly writeBehind: {
    accepted: number;
    keys: number;
    batches: number;
    rowWrites: number;
    allPersisted: boolean;
  };
  readonly rebalance: {
    migration: Migration;
    sizesBefore: Map<string, number>;
    sizesAfter: Map<string, number>;
    readsAfter: number;
    dbReadsAfter: number;
  };
}

const PRODUCTS = 2_000;

async function warmup(cache: ShardedCache, db: SimulatedDatabase, reads: number) {
  const next = zipf(PRODUCTS, 1.1, seededRandom(7));
  for (let i = 0; i < reads; i++) await cache.get(`product-${next()}`);
  return {
    reads,
    dbReads: db.reads,
    hitRatio: cache.hitRatio(),
    dbBusyMs: db.busyMs,
    uncachedBusyMs: reads * db.readLatencyMs,
  };
}

async function stampede(cache: ShardedCache, db: SimulatedDatabase, callers: number) {
  const before = db.reads;
  await Promise.all(Array.from({ length: callers }, () => cache.get('product-1999')));
  return { callers, dbReads: db.reads - before };
}

async function writeBehind(cache: ShardedCache, db: SimulatedDatabase, clock: ManualClock) {
  const writes = createWriteBehind<string, Product>(cache, (batch) => db.saveAll(batch), {
    flushInterval: 500,
    maxBatchSize: 50,
    clock,
  });
  const random = seededRandom(11);
  const latest = new Map<string, Product>();
  for (let i = 0; i < 300; i++) {
    const id = `product-${Math.floor(random() * 40)}`;
    const product = { id, name: `Product ${id}`, priceCents: 900 + i };
    latest.set(id, product);
    await writes.set(id, product);
    if (i % 100 === 99) await clock.tickAsync(500);
  }
  await writes.close();
  const allPersisted = [...latest].every(([id, product]) => db.peek(id)?.priceCents === product.priceCents);
  return { accepted: 300, keys: latest.size, batches: db.batches, rowWrites: db.rowWrites, allPersisted };
}

async function rebalance(cache: ShardedCache, db: SimulatedDatabase, reads: number) {
  const sizesBefore = cache.sizes();
  const migration = await cache.addShard('cache-4');
  const sizesAfter = cache.sizes();
  const before = db.reads;
  const next = zipf(PRODUCTS, 1.1, seededRandom(7));
  for (let i = 0; i < reads; i++) await cache.get(`product-${next()}`);
  return { migration, sizesBefore, sizesAfter, readsAfter: reads, dbReadsAfter: db.reads - before };
}

/**
 * A sharded cache-aside over three shards in front of a slow database: a Zipf-distributed read
 * workload, a stampede on one cold key, write-behind of 300 price changes, and a fourth shard
 * added with the moved entries migrated so reads stay warm.
 */
export async function runCachingScenario(): Promise<CachingReport> {
  const clock = new ManualClock();
  const db = new SimulatedDatabase(PRODUCTS);
  const cache = new ShardedCache(['cache-1', 'cache-2', 'cache-3'], db, clock);
  return {
    warmup: await warmup(cache, db, 5_000),
    stampede: await stampede(cache, db, 50),
    writeBehind: await writeBehind(cache, db, clock),
    rebalance: await rebalance(cache, db, 2_000),
  };
}
