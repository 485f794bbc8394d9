import { LruCache } from '@keel/scaling';
import { cacheStoreContract } from '@keel/scaling/testing';
import { isValidationError } from '@keel/core';
import { afterAll, expect, it } from 'vitest';
import { realSleep } from '../internal/redisTestKit.fixture.js';
import type { RedisTestKit } from '../internal/redisTestKit.fixture.js';
import { RedisCacheStore } from './redisCacheStore.js';
import { RedisInvalidationListener } from './redisInvalidationListener.js';
import { createTieredCache } from './tieredCache.js';
import type { TieredCache } from './tieredCache.js';

/**
 * Test-only: one "process" of a tiered-cache test: its own connections, Redis store and
 * in-process L1 (60 s TTL), registered in `caches` for closing.
 */
export async function tieredProcess(
  kit: RedisTestKit,
  caches: TieredCache<unknown>[],
  name: string,
  scope: string,
) {
  const channel = `${kit.prefix}${scope}:inv`;
  const store = new RedisCacheStore(kit.connect(), {
    prefix: `${kit.prefix}${scope}:`,
    invalidationChannel: channel,
  });
  const local = new LruCache<string, unknown>({ max: 100, ttl: 60_000 });
  const subscriber = kit.connect();
  const listener = new RedisInvalidationListener(subscriber, { channel });
  const cache = await createTieredCache({ store, local, listener });
  caches.push(cache);
  // Loads the read script, so a later read is sent as one command (no NOSCRIPT round trip).
  await cache.get('warm-up');
  return { name, store, local, cache, listener, subscriber };
}

/**
 * Resolves once `process`'s listener received an invalidation of `key`. Another process's
 * write reaches it asynchronously (on a cluster, over the cluster bus, possibly after the write
 * resolved), and a read it overtakes is rightly not kept in L1: wait for it before reading.
 */
export function invalidated(process: { listener: RedisInvalidationListener }, key: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = process.listener.onInvalidate((message) => {
      if (message.keys?.includes(key) !== true) return;
      stop();
      resolve();
    });
  });
}

/**
 * The {@link createTieredCache} tests every target must pass (single server, cluster): the
 * `CacheStore` contract and the invalidation promises between "processes". Call inside a
 * `describe`.
 */
export function describeTieredCache(kit: RedisTestKit): void {
  const caches: TieredCache<unknown>[] = [];
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await kit.cleanup();
  });

  const process = (name: string, scope: string) => tieredProcess(kit, caches, name, scope);

  let contractStores = 0;
  cacheStoreContract('createTieredCache', {
    create: async () => {
      const scope = `contract${contractStores++}`;
      const channel = `${kit.prefix}${scope}:inv`;
      const store = new RedisCacheStore(kit.connect(), {
        prefix: `${kit.prefix}${scope}:`,
        invalidationChannel: channel,
      });
      const local = new LruCache<string, unknown>({ max: 100, ttl: 60_000 });
      const listener = new RedisInvalidationListener(kit.connect(), { channel });
      const cache = await createTieredCache({ store, local, listener });
      caches.push(cache);
      return cache;
    },
    advance: (ms) => realSleep(ms),
  });

  it('serves a repeated read from L1 without asking Redis', async () => {
    const a = await process('a', 'l1');
    const raw = kit.connect();
    await a.store.set('k', 'v');
    expect(await a.cache.get('k')).toBe('v');
    await raw.set(`${kit.prefix}l1:k`, JSON.stringify('changed behind its back'));
    expect(await a.cache.get('k')).toBe('v');
  });

  it('drops an L1 entry when another process writes the key', async () => {
    const a = await process('a', 'write');
    const b = await process('b', 'write');
    const seen = invalidated(b, 'user');
    await a.cache.set('user', { name: 'Ada' });
    await seen;
    expect(await b.cache.get('user')).toEqual({ name: 'Ada' });
    expect(b.local.peek('user')).toEqual({ name: 'Ada' });
    await a.cache.set('user', { name: 'Grace' });
    await expect.poll(() => b.local.peek('user')).toBeUndefined();
    expect(await b.cache.get('user')).toEqual({ name: 'Grace' });
  });

  it('drops an L1 entry when another process deletes the key', async () => {
    const a = await process('a', 'delete');
    const b = await process('b', 'delete');
    const seen = invalidated(b, 'y');
    await a.cache.setMany([
      { key: 'x', value: 1 },
      { key: 'y', value: 2 },
    ]);
    await seen;
    expect(await b.cache.getMany(['x', 'y'])).toEqual([1, 2]);
    await a.cache.delete('x');
    await expect.poll(() => b.local.peek('x')).toBeUndefined();
    expect(b.local.peek('y')).toBe(2);
    expect(await b.cache.get('x')).toBeUndefined();
  });

  it('empties every L1 when another process clears the store', async () => {
    const a = await process('a', 'clear');
    const b = await process('b', 'clear');
    await a.cache.set('x', 1);
    expect(await b.cache.get('x')).toBe(1);
    await a.cache.clear();
    await expect.poll(() => b.local.size).toBe(0);
    expect(await b.cache.get('x')).toBeUndefined();
  });

  it('keeps its own write in L1 (its own invalidation is ignored)', async () => {
    const a = await process('a', 'own');
    const b = await process('b', 'own');
    await a.cache.set('k', 'mine');
    // b's later write on the same channel arrives after a's own message: once it is seen,
    // a's own invalidation has been delivered (and ignored).
    a.local.set('marker', 1);
    await b.cache.set('marker', 2);
    await expect.poll(() => a.local.peek('marker')).toBeUndefined();
    expect(a.local.peek('k')).toBe('mine');
  });

  it('refuses a store that publishes on another channel than the listener', async () => {
    const store = new RedisCacheStore(kit.connect(), { prefix: `${kit.prefix}bad:` });
    const listener = new RedisInvalidationListener(kit.connect(), { channel: `${kit.prefix}bad:inv` });
    const local = new LruCache<string, unknown>({ max: 10 });
    const error: unknown = await createTieredCache({ store, local, listener }).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
  });

  it('does not put back into L1 a value read while the same process deleted the key', async () => {
    const a = await process('a', 'read-delete');
    const b = await process('b', 'read-delete');
    await a.cache.set('k', 'v1');
    const read = b.cache.get('k');
    const removal = b.cache.delete('k');
    // Sent in this order on one connection: the read saw the value the delete then removed.
    expect(await read).toBe('v1');
    expect(await removal).toBe(true);
    expect(b.local.peek('k')).toBeUndefined();
    expect(await b.cache.get('k')).toBeUndefined();
    await expect.poll(() => a.local.peek('k')).toBeUndefined();
  });

  it('does not keep in L1 a value written while the same process deleted the key', async () => {
    const a = await process('a', 'write-delete');
    const b = await process('b', 'write-delete');
    await Promise.all([b.cache.set('k', 'written'), b.cache.delete('k')]);
    expect(b.local.peek('k')).toBeUndefined();
    expect(await b.cache.get('k')).toBeUndefined();
    expect(await a.cache.get('k')).toBeUndefined();
  });

  it("bounds another process's L1 copy by the Redis TTL left, not the whole L1 TTL", async () => {
    const a = await process('a', 'ttl');
    const b = await process('b', 'ttl');
    const seen = invalidated(b, 'k');
    await a.cache.set('k', 'brief', { ttl: 300 });
    await seen;
    expect(await b.cache.get('k')).toBe('brief');
    expect(b.local.remainingTtl('k')).toBeLessThanOrEqual(300);
    expect(a.local.remainingTtl('k')).toBeLessThanOrEqual(300);
    await realSleep(350);
    expect(b.local.peek('k')).toBeUndefined();
    expect(await b.cache.get('k')).toBeUndefined();
  });

  it("applies the store's default TTL to the L1 copies", async () => {
    const channel = `${kit.prefix}default-ttl:inv`;
    const store = new RedisCacheStore(kit.connect(), {
      prefix: `${kit.prefix}default-ttl:`,
      invalidationChannel: channel,
      ttl: 250,
    });
    const local = new LruCache<string, unknown>({ max: 10, ttl: 60_000 });
    const listener = new RedisInvalidationListener(kit.connect(), { channel });
    const cache = await createTieredCache({ store, local, listener });
    caches.push(cache);
    await cache.set('k', 1);
    expect(local.remainingTtl('k')).toBeLessThanOrEqual(250);
  });
}
