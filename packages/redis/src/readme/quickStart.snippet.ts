import { Redis } from 'ioredis';
import { tokenBucket, rateLimiter } from '@keel/resilience';
import { RedisCacheStore, RedisLock, RedisRateLimitStore } from '@keel/redis';

const redis = new Redis(process.env.KEEL_REDIS_URL ?? 'redis://127.0.0.1:6379');
const cache = new RedisCacheStore<{ name: string }>(redis, { prefix: 'app:users:', ttl: 60_000 });
await cache.set('u1', { name: 'Ada' });

const limiter = rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }), {
  store: new RedisRateLimitStore(redis),
});
const { allowed } = await limiter.tryAcquire('client-42');
console.log(await cache.get('u1'), allowed); // { name: 'Ada' } true

{
  await using lock = await new RedisLock(redis).acquire('invoice:42', { ttl: 10_000, wait: 2_000 });
  console.log(`invoice 42 locked, fencing token ${lock.token}`);
} // released here
await redis.quit();
