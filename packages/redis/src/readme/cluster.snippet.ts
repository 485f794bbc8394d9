import { Cluster } from 'ioredis';
import { LruCache } from '@keel/scaling';
import { tokenBucket, rateLimiter } from '@keel/resilience';
import {
  createTieredCache,
  RedisCacheStore,
  RedisInvalidationListener,
  RedisLock,
  RedisRateLimitStore,
} from '@keel/redis';

// A few nodes of the cluster (the client discovers the rest), and patience through a failover.
const nodes = (process.env.KEEL_REDIS_CLUSTER_NODES ?? '127.0.0.1:7000').split(',').map((node) => {
  const [host, port] = node.split(':');
  return { host: host!, port: Number(port) };
});
const options = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  clusterRetryStrategy: (times: number) => Math.min(100 * times, 1_000),
};
const redis = new Cluster(nodes, options);
const subscriber = new Cluster(nodes, options); // pub/sub gets its own client, as on one server

const channel = 'app:users:inv';
const store = new RedisCacheStore<{ name: string }>(redis, {
  prefix: 'app:users:',
  invalidationChannel: channel,
});
const listener = new RedisInvalidationListener(subscriber, { channel });
const local = new LruCache<string, { name: string }>({ max: 10_000, ttl: 5_000 });
const users = await createTieredCache({ store, local, listener });
// 'app:users:u1' and 'app:users:u2' hash to different slots: one command per slot, no CROSSSLOT.
await users.setMany([
  { key: 'u1', value: { name: 'Ada' } },
  { key: 'u2', value: { name: 'Grace' } },
]);
console.log(await users.getMany(['u1', 'u2'])); // [ { name: 'Ada' }, { name: 'Grace' } ]

const limiter = rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }), {
  store: new RedisRateLimitStore(redis),
});
console.log((await limiter.tryAcquire('client-42')).allowed); // true

{
  // 'keel:lock:{invoice:42}' and its token key share a hash tag: one slot, one script.
  await using lock = await new RedisLock(redis).acquire('invoice:42', { ttl: 10_000, wait: 2_000 });
  console.log(lock.token > 0); // true: greater than every earlier token, even across a failover
}
await users.close();
await Promise.all([redis.quit(), subscriber.quit()]);
