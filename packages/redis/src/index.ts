export type { RedisClient } from './internal/client.js';
export { RedisCacheStore } from './cache/redisCacheStore.js';
export type { CacheEntryWithTtl } from './cache/redisCacheStore.js';
export { REDIS_CACHE_STORE_DEFAULTS } from './cache/redisCacheStoreOptions.js';
export type { RedisCacheStoreOptions } from './cache/redisCacheStoreOptions.js';
export { jsonSerializer } from './cache/serializer.js';
export type { Serializer } from './cache/serializer.js';
export type { InvalidationMessage } from './cache/invalidationMessage.js';
export { RedisInvalidationListener } from './cache/redisInvalidationListener.js';
export type { RedisInvalidationListenerOptions } from './cache/redisInvalidationListener.js';
export { createTieredCache } from './cache/tieredCache.js';
export type { TieredCache, TieredCacheOptions } from './cache/tieredCache.js';

export { RedisRateLimitStore, REDIS_RATE_LIMIT_STORE_DEFAULTS } from './rateLimit/redisRateLimitStore.js';
export type { RedisRateLimitStoreOptions } from './rateLimit/redisRateLimitStore.js';

export { RedisLock } from './lock/redisLock.js';
export { LockHandle } from './lock/lockHandle.js';
export { REDIS_LOCK_DEFAULTS } from './lock/redisLockOptions.js';
export type { RedisLockOptions, LockAcquireOptions } from './lock/redisLockOptions.js';
export {
  LockNotAcquiredError,
  LockLostError,
  isLockNotAcquiredError,
  isLockLostError,
  LOCK_ERROR_CODES,
} from './lock/errors.js';
export type { LockLostReason } from './lock/errors.js';
