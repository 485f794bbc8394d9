import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import { RedisCacheStore } from '../cache/redisCacheStore.js';
import { RedisInvalidationListener } from '../cache/redisInvalidationListener.js';
import { RedisLock } from '../lock/redisLock.js';
import { RedisRateLimitStore } from '../rateLimit/redisRateLimitStore.js';

describe('clients', () => {
  it('every store takes a single-server client or a cluster client', () => {
    for (const client of [{} as Redis, {} as Cluster]) {
      expectTypeOf(RedisCacheStore<number>).toBeConstructibleWith(client, { prefix: 'app:' });
      expectTypeOf(RedisInvalidationListener).toBeConstructibleWith(client, { channel: 'inv' });
      expectTypeOf(RedisRateLimitStore).toBeConstructibleWith(client);
      expectTypeOf(RedisLock).toBeConstructibleWith(client, { ttl: 1_000 });
    }
  });

  it('refuses what is not an ioredis client', () => {
    expectTypeOf(RedisLock).constructorParameters.toExtend<[Redis | Cluster, ...unknown[]]>();
    // @ts-expect-error a connection URL is not a client
    new RedisLock('redis://127.0.0.1:6379');
  });
});
