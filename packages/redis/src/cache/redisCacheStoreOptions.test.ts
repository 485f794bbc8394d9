import { isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import {
  escapeGlob,
  pxFor,
  REDIS_CACHE_STORE_DEFAULTS,
  resolveCacheStoreOptions,
} from './redisCacheStoreOptions.js';
import { jsonSerializer } from './serializer.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('RedisCacheStore options', () => {
  it('fill in the frozen defaults', () => {
    const resolved = resolveCacheStoreOptions({});
    expect(Object.isFrozen(REDIS_CACHE_STORE_DEFAULTS)).toBe(true);
    expect(resolved).toMatchObject({
      prefix: 'keel:cache:',
      ttl: 0,
      scanCount: 500,
      invalidationChannel: undefined,
    });
    expect(resolved.serializer).toBe(jsonSerializer);
    expect(resolved.instanceId.length).toBeGreaterThan(0);
  });

  it('keep the default for an option given as undefined', () => {
    const resolved = resolveCacheStoreOptions({
      prefix: undefined,
      ttl: undefined,
      serializer: undefined,
      scanCount: undefined,
      invalidationChannel: undefined,
      instanceId: undefined,
    } as never);
    expect(resolved).toMatchObject({ prefix: 'keel:cache:', ttl: 0, scanCount: 500 });
    expect(resolved.serializer).toBe(jsonSerializer);
    expect(resolved.invalidationChannel).toBeUndefined();
    expect(resolved.instanceId.length).toBeGreaterThan(0);
    expect(resolveCacheStoreOptions(undefined).prefix).toBe('keel:cache:');
  });

  it('accept Infinity and 0 as "never expire"', () => {
    expect(resolveCacheStoreOptions({ ttl: Infinity }).ttl).toBe(Infinity);
    expect(resolveCacheStoreOptions({ ttl: 0 }).ttl).toBe(0);
  });

  it('refuse a NaN TTL and an empty invalidation channel', () => {
    const error = thrown(() => resolveCacheStoreOptions({ ttl: NaN, invalidationChannel: '' }));
    expect(isValidationError(error)).toBe(true);
    expect((error as ValidationError).issues.map((issue) => issue.path[0])).toEqual([
      'ttl',
      'invalidationChannel',
    ]);
  });

  it('list every out-of-range option in one ValidationError', () => {
    const error = thrown(() =>
      resolveCacheStoreOptions({ prefix: '', ttl: -1, scanCount: 0.5, serializer: {} as never }),
    );
    expect(isValidationError(error)).toBe(true);
    const paths = (error as ValidationError).issues.map((issue) => issue.path[0]);
    expect(paths).toEqual(['prefix', 'ttl', 'serializer', 'scanCount']);
  });

  it('turn a TTL into a PX argument, none for "never expire"', () => {
    expect(pxFor(0)).toBeUndefined();
    expect(pxFor(Infinity)).toBeUndefined();
    expect(pxFor(0.2)).toBe(1);
    expect(pxFor(1500.5)).toBe(1501);
  });

  it('store a TTL beyond Number.MAX_SAFE_INTEGER ms without expiry, never as a PX Redis refuses', () => {
    expect(pxFor(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    for (const ttl of [Number.MAX_SAFE_INTEGER + 2, 1e20, 1e21, Number.MAX_VALUE]) {
      expect(pxFor(ttl)).toBeUndefined();
    }
  });

  it('escape glob characters of a prefix for SCAN MATCH', () => {
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });
});
