import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { DisposeReason } from './cache.js';
import { LruCache } from './lruCache.js';

type Disposal = [value: unknown, key: unknown, reason: DisposeReason];

function recording<TKey, TValue>(options: ConstructorParameters<typeof LruCache<TKey, TValue>>[0]) {
  const disposed: Disposal[] = [];
  const cache = new LruCache<TKey, TValue>({
    ...options,
    onDispose: (value, key, reason) => disposed.push([value, key, reason]),
  });
  return { cache, disposed };
}

describe('LruCache', () => {
  it('evicts the least recently used entry when max is reached', () => {
    const cache = new LruCache<string, number>({ max: 2 });
    cache.set('a', 1).set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([...cache.keys()]).toEqual(['c', 'a']);
  });

  it('iterates entries from most to least recently used', () => {
    const cache = new LruCache<string, number>({ max: 3 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('b');
    expect([...cache]).toEqual([
      ['b', 2],
      ['c', 3],
      ['a', 1],
    ]);
    expect([...cache.values()]).toEqual([2, 3, 1]);
  });

  it('treats a number and the numeric string as different keys', () => {
    const cache = new LruCache<string | number, string>({ max: 10 });
    cache.set(1, 'number').set('1', 'string');
    expect(cache.get(1)).toBe('number');
    expect(cache.get('1')).toBe('string');
    expect(cache.size).toBe(2);
  });

  it('peek and has neither mark an entry used nor count a hit', () => {
    const cache = new LruCache<string, number>({ max: 2 });
    cache.set('a', 1).set('b', 2);
    expect(cache.peek('a')).toBe(1);
    expect(cache.has('a')).toBe(true);
    cache.set('c', 3);
    expect(cache.has('a')).toBe(false);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, evictions: 1 });
  });

  it('counts hits, misses and evictions and resets them', () => {
    const cache = new LruCache<string, number>({ max: 1 });
    cache.set('a', 1);
    cache.get('a');
    cache.get('b');
    cache.set('b', 2);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 1, expirations: 0, hitRatio: 0.5 });
    cache.resetStats();
    expect(cache.stats().hits + cache.stats().misses + cache.stats().evictions).toBe(0);
  });

  it('expires an entry once its default TTL has passed on the injected clock', () => {
    const clock = new ManualClock();
    const cache = new LruCache<string, number>({ max: 10, ttl: 1_000, clock });
    cache.set('a', 1);
    clock.advance(999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ expirations: 1, misses: 1 });
  });

  it('lets a per-entry TTL override the default, and 0 mean never', () => {
    const clock = new ManualClock();
    const cache = new LruCache<string, number>({ max: 10, ttl: 1_000, clock });
    cache.set('short', 1, { ttl: 10 }).set('forever', 2, { ttl: 0 });
    clock.advance(5_000);
    expect(cache.has('short')).toBe(false);
    expect(cache.get('forever')).toBe(2);
    expect(cache.remainingTtl('forever')).toBe(Infinity);
  });

  it('reports the remaining TTL of an entry', () => {
    const clock = new ManualClock();
    const cache = new LruCache<string, number>({ max: 10, clock });
    cache.set('a', 1, { ttl: 500 });
    clock.advance(200);
    expect(cache.remainingTtl('a')).toBe(300);
    expect(cache.remainingTtl('missing')).toBeUndefined();
  });

  it('purgeStale removes every expired entry and reports how many', () => {
    const clock = new ManualClock();
    const { cache, disposed } = recording<string, number>({ max: 10, clock });
    cache.set('a', 1, { ttl: 10 }).set('b', 2, { ttl: 20 }).set('c', 3);
    clock.advance(15);
    expect(cache.purgeStale()).toBe(1);
    expect(cache.size).toBe(2);
    expect(disposed).toEqual([[1, 'a', 'expire']]);
  });

  it('skips expired entries when iterating', () => {
    const clock = new ManualClock();
    const cache = new LruCache<string, number>({ max: 10, clock });
    cache.set('a', 1, { ttl: 10 }).set('b', 2);
    clock.advance(10);
    expect([...cache.keys()]).toEqual(['b']);
  });

  it('bounds the total size measured by sizeOf', () => {
    const cache = new LruCache<string, string>({ maxSize: 10, sizeOf: (value) => value.length });
    cache.set('a', 'xxxx').set('b', 'xxxx').set('c', 'xxxx');
    expect([...cache.keys()]).toEqual(['c', 'b']);
    expect(cache.totalSize).toBe(8);
  });

  it('refuses an entry larger than maxSize, disposing it as evicted and dropping the old value', () => {
    const { cache, disposed } = recording<string, string>({ maxSize: 5, sizeOf: (value) => value.length });
    cache.set('a', 'ok');
    cache.set('a', 'far too large');
    expect(cache.has('a')).toBe(false);
    expect(disposed).toEqual([
      ['ok', 'a', 'set'],
      ['far too large', 'a', 'evict'],
    ]);
  });

  it('grows beyond its initial capacity when bounded only by size', () => {
    // 70,000 entries also cross from 16-bit to 32-bit slot links.
    const cache = new LruCache<number, number>({ maxSize: 70_000, sizeOf: () => 1 });
    for (let key = 0; key < 70_000; key++) cache.set(key, key);
    expect(cache.size).toBe(70_000);
    expect([cache.get(0), cache.get(69_999)]).toEqual([0, 69_999]);
    expect([...cache.keys()].slice(0, 3)).toEqual([69_999, 0, 69_998]);
  });

  it('grows past the slots it reserves up front when max is large', () => {
    const cache = new LruCache<number, number>({ max: 100_000 });
    for (let key = 0; key < 70_000; key++) cache.set(key, key);
    expect(cache.size).toBe(70_000);
    expect(cache.get(0)).toBe(0);
    expect(cache.get(69_999)).toBe(69_999);
  });

  it('calls onDispose with the reason for every way a value leaves', () => {
    const clock = new ManualClock();
    const { cache, disposed } = recording<string, number>({ max: 2, clock });
    cache.set('a', 1).set('a', 2).set('b', 3).set('c', 4);
    cache.delete('b');
    cache.set('d', 5, { ttl: 1 });
    clock.advance(1);
    cache.get('d');
    cache.clear();
    expect(disposed).toEqual([
      [1, 'a', 'set'],
      [2, 'a', 'evict'],
      [3, 'b', 'delete'],
      [5, 'd', 'expire'],
      [4, 'c', 'clear'],
    ]);
  });

  it('runs dispose callbacks after the update, so a callback may use the cache safely', () => {
    const cache: LruCache<string, number> = new LruCache<string, number>({
      max: 1,
      onDispose: (_value, key, reason) => {
        if (reason === 'evict' && key === 'a') cache.set('a-again', 0);
      },
    });
    cache.set('a', 1).set('b', 2);
    expect(cache.size).toBe(1);
    expect(cache.has('a-again')).toBe(true);
  });

  it('delete reports whether a live value was removed', () => {
    const cache = new LruCache<string, number>({ max: 2 });
    cache.set('a', 1);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
  });

  it('is usable again after clear', () => {
    const cache = new LruCache<string, number>({ max: 2 });
    cache.set('a', 1).set('b', 2).clear();
    cache.set('c', 3).set('d', 4).set('e', 5);
    expect([...cache.keys()]).toEqual(['e', 'd']);
  });

  it('rejects options out of range with one ValidationError listing each problem', () => {
    let caught: unknown;
    try {
      new LruCache({ max: 0, ttl: -1 });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/max.*ttl/s);
  });

  it('is unbounded with the default max and maxSize, given or left out', () => {
    for (const cache of [
      new LruCache<number, number>(),
      new LruCache<number, number>({ max: Infinity, maxSize: Infinity }),
    ]) {
      for (let key = 0; key < 70_000; key++) cache.set(key, key);
      expect(cache.size).toBe(70_000);
      expect(cache.max).toBe(Infinity);
      expect(cache.stats().evictions).toBe(0);
    }
  });

  it('requires sizeOf with a finite maxSize', () => {
    expect(() => new LruCache({ maxSize: 10 })).toThrow(/sizeOf/);
  });

  it('rejects a negative per-entry TTL and a non-positive size', () => {
    const cache = new LruCache<string, string>({ maxSize: 10, sizeOf: () => 0 });
    expect(() => cache.set('a', 'x', { ttl: -5, size: 1 })).toThrow(/ttl/);
    expect(() => cache.set('a', 'x')).toThrow(/size/);
  });
});
