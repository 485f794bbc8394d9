import { Redis } from 'ioredis';
import { RedisLock } from '@keel/redis';

// Your job; a stand-in here. Pass the fencing token to every write it makes.
async function buildReport(options: { fencingToken: number; signal: AbortSignal }): Promise<string> {
  options.signal.throwIfAborted();
  return `report written with fencing token ${options.fencingToken}`;
}

const redis = new Redis(process.env.KEEL_REDIS_URL ?? 'redis://127.0.0.1:6379');
const locks = new RedisLock(redis, { ttl: 10_000, watchdog: true });
const report = await locks.using('nightly-report', async (lock, signal) => {
  // Held for as long as this takes; `signal` aborts if the lock is lost.
  return buildReport({ fencingToken: lock.token, signal });
});
console.log(report);
await redis.quit();
