import { isValidationError } from '@keel/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { REDIS_RATE_LIMIT_STORE_DEFAULTS, RedisRateLimitStore } from './redisRateLimitStore.js';

const client = {} as Redis;

describe('RedisRateLimitStore options', () => {
  it('default to the frozen defaults', () => {
    expect(Object.isFrozen(REDIS_RATE_LIMIT_STORE_DEFAULTS)).toBe(true);
    expect(new RedisRateLimitStore(client).prefix).toBe('keel:rate-limit:');
  });

  it('keep the default for an option given as undefined', () => {
    const store = new RedisRateLimitStore(client, { prefix: undefined, time: undefined } as never);
    expect(store.prefix).toBe('keel:rate-limit:');
    expect(new RedisRateLimitStore(client, undefined).prefix).toBe('keel:rate-limit:');
  });

  it('refuse an empty prefix and an unknown time source', () => {
    let error: unknown;
    try {
      new RedisRateLimitStore(client, { prefix: '', time: 'local' as never });
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('prefix');
    expect((error as Error).message).toContain('time');
  });
});
