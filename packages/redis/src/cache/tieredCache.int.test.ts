import { serviceAvailable } from '@keel/test-services';
import { afterAll, describe, expect } from 'vitest';
import type { Redis } from 'ioredis';
import { it } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import type { TieredCache } from './tieredCache.js';
import { describeTieredCache, tieredProcess } from './tieredCache.suite.js';

const up = await serviceAvailable('redis');

/** Holds every SUBSCRIBE of `subscriber` (the client's own resubscription too) until released. */
function holdSubscribes(subscriber: Redis): () => void {
  const original = subscriber.subscribe.bind(subscriber);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  subscriber.subscribe = (async (...args: Parameters<Redis['subscribe']>) => {
    await gate;
    return original(...args);
  }) as Redis['subscribe'];
  return release;
}

// The same suite runs on a Redis Cluster in src/cluster/redisCluster.int.test.ts, and the
// cluster's way to lose a subscription (its node fails) in redisCluster.failover.int.test.ts.
describe.runIf(up)('createTieredCache on a real server', () => {
  describeTieredCache(redisTestKit('keel_tiered'));

  describe('across a reconnect of the subscriber', () => {
    const kit = redisTestKit('keel_tiered_reconnect');
    const caches: TieredCache<unknown>[] = [];
    const process = (name: string, scope: string) => tieredProcess(kit, caches, name, scope);
    afterAll(async () => {
      await Promise.all(caches.map((cache) => cache.close()));
      await kit.cleanup();
    });

    it('loses no invalidation across a reconnect: L1 is emptied once the subscription is back', async () => {
      const a = await process('a', 'kill');
      const b = await process('b', 'kill');
      const admin = kit.connect() as Redis;
      const subscriberId = Number(await (b.subscriber as Redis).client('ID'));
      await a.cache.set('k', 'v1');
      expect(await b.cache.get('k')).toBe('v1');
      expect(b.local.peek('k')).toBe('v1');
      // Widen the gap between "connected again" and "subscribed again" to hit it for sure.
      const release = holdSubscribes(b.subscriber as Redis);
      const closed = new Promise((resolve) => b.subscriber.once('close', resolve));
      await admin.client('KILL', 'ID', String(subscriberId));
      await closed;
      expect(b.listener.subscribed).toBe(false);
      await expect.poll(() => b.subscriber.status).toBe('ready');
      // In the gap: b reads, then a writes and publishes a message b cannot receive.
      expect(await b.cache.get('k')).toBe('v1');
      await a.cache.set('k', 'v2');
      expect(await b.cache.get('k')).toBe('v2');
      release();
      await expect.poll(() => b.listener.subscribed).toBe(true);
      expect(await b.cache.get('k')).toBe('v2');
      expect(b.local.peek('k')).toBe('v2');
      // Invalidations flow again.
      await a.cache.set('k', 'v3');
      await expect.poll(() => b.local.peek('k')).toBeUndefined();
      expect(await b.cache.get('k')).toBe('v3');
    });
  });
});
