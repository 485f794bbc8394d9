import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import type { CacheStats } from '../cache.js';
import { disposalsOf } from './cacheContractSetup.js';
import type { Setup } from './cacheContractSetup.js';

const ZERO: CacheStats = { hits: 0, misses: 0, evictions: 0, expirations: 0, hitRatio: 0 };

/** The hit, miss, eviction and expiration counters and `resetStats`, for `cacheContract`. */
export function defineStatsTests({ it }: ContractRunner, setup: Setup): void {
  it('starts with every counter and the hit ratio at 0', () => {
    const { cache } = setup({ max: 4 });
    assert.deepEqual(cache.stats(), ZERO);
  });

  it('counts a get that finds a value as a hit and one that finds nothing as a miss', () => {
    const { cache } = setup({ max: 4 });
    cache.set('k', 1);
    cache.get('k');
    cache.get('k');
    cache.get('k');
    cache.get('missing');
    assert.deepEqual(cache.stats(), { ...ZERO, hits: 3, misses: 1, hitRatio: 0.75 });
  });

  it('counts no hit or miss for peek, has, set, delete or clear', () => {
    const { cache } = setup({ max: 4 });
    cache.set('k', 1).set('k', 2);
    cache.peek('k');
    cache.peek('missing');
    cache.has('k');
    cache.has('missing');
    cache.delete('k');
    cache.delete('missing');
    cache.set('other', 3);
    cache.clear();
    assert.deepEqual(cache.stats(), ZERO);
  });

  it('counts one eviction per entry evicted, and none for delete or clear', () => {
    const { cache, disposed } = setup({ max: 2 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, key);
    cache.delete('e');
    cache.clear();
    const evicted = disposalsOf(disposed, 'evict').length;
    assert.equal(evicted, 3, 'entries disposed as evicted after five keys entered a cache of two');
    assert.deepEqual(cache.stats(), { ...ZERO, evictions: 3 });
  });

  it('counts one expiration per expired entry, however it is found, and a get of one as a miss', () => {
    const { cache, clock } = setup({ max: 8, ttl: 100 });
    for (const key of ['got', 'peeked', 'had', 'deleted', 'purged', 'also purged']) cache.set(key, key);
    clock.advance(100);
    cache.get('got');
    cache.peek('peeked');
    cache.has('had');
    cache.delete('deleted');
    cache.purgeStale();
    cache.get('got');
    assert.deepEqual(cache.stats(), { ...ZERO, misses: 2, expirations: 6 });
  });

  it('resetStats sets every counter back to 0, and counting goes on from there', () => {
    const { cache, clock } = setup({ max: 1, ttl: 100 });
    cache.set('a', 1).set('b', 2);
    cache.get('b');
    cache.get('a');
    clock.advance(100);
    cache.get('b');
    cache.resetStats();
    assert.deepEqual(cache.stats(), ZERO, 'stats right after resetStats');
    cache.set('c', 3);
    cache.get('c');
    assert.deepEqual(cache.stats(), { ...ZERO, hits: 1, hitRatio: 1 }, 'stats after one hit');
  });

  it('hands out a snapshot: later operations do not change stats read before', () => {
    const { cache } = setup({ max: 4 });
    const before = cache.stats();
    cache.set('k', 1);
    cache.get('k');
    cache.get('missing');
    assert.deepEqual(before, ZERO);
  });
}
