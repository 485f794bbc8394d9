import { serviceAvailable } from '@keel/test-services';
import { LruCache } from '@keel/scaling';
import { isValidationError } from '@keel/core';
import { afterAll, describe, expect, it } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.js';
import { RedisCacheStore } from './redisCacheStore.js';
import { RedisInvalidationListener } from './redisInvalidationListener.js';
import { createTieredCache } from './tieredCache.js';
import type { TieredCache } from './tieredCache.js';

const up = await serviceAvailable('redis');

describe.runIf(up)('createTieredCache on a real server', () => {
  const kit = redisTestKit('keel_tiered');
  const caches: TieredCache<unknown>[] = [];
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await kit.cleanup();
  });

  /** One "process": its own connections, Redis store and in-process L1. */
  async function process(name: string, scope: string) {
    const channel = `${kit.prefix}${scope}:inv`;
    const store = new RedisCacheStore(kit.connect(), {
      prefix: `${kit.prefix}${scope}:`,
      invalidationChannel: channel,
    });
    const local = new LruCache<string, unknown>({ max: 100 });
    const listener = new RedisInvalidationListener(kit.connect(), { channel });
    const cache = await createTieredCache({ store, local, listener });
    caches.push(cache);
    return { name, store, local, cache };
  }

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
    await a.cache.set('user', { name: 'Ada' });
    expect(await b.cache.get('user')).toEqual({ name: 'Ada' });
    expect(b.local.peek('user')).toEqual({ name: 'Ada' });
    await a.cache.set('user', { name: 'Grace' });
    await expect.poll(() => b.local.peek('user')).toBeUndefined();
    expect(await b.cache.get('user')).toEqual({ name: 'Grace' });
  });

  it('drops an L1 entry when another process deletes the key', async () => {
    const a = await process('a', 'delete');
    const b = await process('b', 'delete');
    await a.cache.setMany([
      { key: 'x', value: 1 },
      { key: 'y', value: 2 },
    ]);
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
});
