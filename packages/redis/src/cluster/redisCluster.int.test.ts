// Every store's suite, run unchanged on a Redis Cluster (3 masters, 3 replicas) that this file
// starts and removes. The same suites run on the single test server in each store's
// *.int.test.ts.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { describeRedisCacheStore } from '../cache/redisCacheStore.suite.js';
import { describeTieredCache } from '../cache/tieredCache.suite.js';
import { keySlot } from '../internal/keySlot.js';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import { describeRedisLock } from '../lock/redisLock.suite.js';
import { describeRedisRateLimitStore } from '../rateLimit/redisRateLimitStore.suite.js';
import { startRedisCluster } from './redisCluster.fixture.js';

const cluster = await startRedisCluster('stores');

describe.runIf(cluster)('on a Redis Cluster', () => {
  const fixture = cluster!;
  afterAll(() => fixture.stop());

  describe('RedisCacheStore', () => describeRedisCacheStore(redisTestKit('keel_cache', fixture)));
  describe('createTieredCache', () => describeTieredCache(redisTestKit('keel_tiered', fixture)));
  describe('RedisRateLimitStore', () => describeRedisRateLimitStore(redisTestKit('keel_rl', fixture)));
  describe('RedisLock', () => describeRedisLock(redisTestKit('keel_lock', fixture)));

  describe('the cluster itself', () => {
    const kit = redisTestKit('keel_cluster', fixture);
    afterAll(() => kit.cleanup());

    it('refuses a multi-key command across slots with CROSSSLOT (what the stores split around)', async () => {
      const client = kit.connect();
      const [a, b] = [`${kit.prefix}a`, `${kit.prefix}b`];
      expect(keySlot(a)).not.toBe(keySlot(b));
      await expect(client.mget(a, b)).rejects.toThrow(/CROSSSLOT/);
    });

    it('hashes keys to the slots the cluster computes', async () => {
      const client = kit.connect();
      const keys = ['foo', 'keel:lock:{job}', 'keel:lock:{job}:fence', '{é}x', 'a{}b', `${kit.prefix}k1`];
      const slots = await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key)));
      expect(slots.map(Number)).toEqual(keys.map(keySlot));
    });

    it('spreads one cache prefix over every master', async () => {
      const client = fixture.connect();
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.set(`${kit.prefix}spread:${i}`, '1')));
      const perMaster = await Promise.all(
        client.nodes('master').map(async (node) => (await node.keys(`${kit.prefix}spread:*`)).length),
      );
      expect(perMaster).toHaveLength(3);
      expect(perMaster.every((count) => count > 0)).toBe(true);
    });
  });

  it('runs the README cluster block as written', async () => {
    const nodes = fixture.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',');
    vi.stubEnv('KEEL_REDIS_CLUSTER_NODES', nodes);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('../readme/cluster.snippet.js');
      expect(log.mock.calls).toEqual([[[{ name: 'Ada' }, { name: 'Grace' }]], [true], [true]]);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
