import { isValidationError, ManualClock, seededRandom } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cache, DisposeReason } from './cache.js';
import { LruCache } from './lruCache.js';
import { WTinyLfuCache } from './wTinyLfuCache.js';

function zipfTrace(keys: number, exponent: number, length: number, seed: number): number[] {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= keys; rank++) cumulative.push((total += 1 / rank ** exponent));
  const random = seededRandom(seed);
  return Array.from({ length }, () => {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  });
}

function hitRatio(cache: Cache<number, number>, trace: readonly number[]): number {
  let hits = 0;
  for (const key of trace) {
    if (cache.get(key) === undefined) cache.set(key, key);
    else hits++;
  }
  return hits / trace.length;
}

describe('WTinyLfuCache', () => {
  it('returns a value right after it is set', () => {
    const cache = new WTinyLfuCache<string, number>({ max: 10 });
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    expect(cache.peek('a')).toBe(1);
  });

  it('treats a number and the numeric string as different keys', () => {
    const cache = new WTinyLfuCache<string | number, string>({ max: 10 });
    cache.set(1, 'number').set('1', 'string');
    expect([cache.get(1), cache.get('1')]).toEqual(['number', 'string']);
  });

  it('keeps a frequently used working set through a one-off scan that flushes an LRU', () => {
    const tinyLfu = new WTinyLfuCache<number, number>({ max: 100 });
    const lru = new LruCache<number, number>({ max: 100 });
    const hot = Array.from({ length: 50 }, (_, key) => key);
    const scan = Array.from({ length: 1_000 }, (_, at) => 10_000 + at);
    for (const cache of [tinyLfu, lru]) {
      for (let round = 0; round < 5; round++) hitRatio(cache, hot);
      hitRatio(cache, scan);
    }
    expect(hitRatio(tinyLfu, hot)).toBeGreaterThan(0.9);
    expect(hitRatio(lru, hot)).toBe(0);
  });

  it('refuses to admit new keys seen less often than the entries they would evict', () => {
    const cache = new WTinyLfuCache<number, number>({ max: 100, adaptive: false });
    const popular = Array.from({ length: 99 }, (_, key) => key);
    // Build each key's frequency without hits (so none is promoted), then store it once more.
    for (let round = 0; round < 5; round++) for (const key of popular) cache.set(key, key).delete(key);
    for (const key of popular) cache.set(key, key);
    for (let key = 1_000; key < 2_000; key++) cache.set(key, key);
    expect(popular.filter((key) => cache.has(key)).length).toBeGreaterThanOrEqual(95);
  });

  it('has a higher hit ratio than an LRU of the same size on a seeded Zipf trace', () => {
    const trace = zipfTrace(5_000, 0.9, 40_000, 7);
    const tinyLfu = hitRatio(new WTinyLfuCache({ max: 200 }), trace);
    const lru = hitRatio(new LruCache({ max: 200 }), trace);
    expect(tinyLfu).toBeGreaterThan(lru + 0.03);
  });

  it('grows its window when recency pays off (the hill climber)', () => {
    const cache = new WTinyLfuCache<number, number>({ max: 200 });
    const initial = cache.windowSize;
    // Every key is read again 50 accesses after its first use and never after: only recency helps.
    const trace: number[] = [];
    for (let key = 0; key < 20_000; key++) trace.push(key, key - 50);
    hitRatio(cache, trace);
    expect(cache.windowSize).toBeGreaterThan(initial);
  });

  it('keeps a fixed window when adaptive is off', () => {
    const cache = new WTinyLfuCache<number, number>({ max: 200, adaptive: false, windowFraction: 0.1 });
    hitRatio(cache, zipfTrace(1_000, 1, 10_000, 3));
    expect(cache.windowSize).toBe(20);
  });

  it('works with the doorkeeper on', () => {
    const trace = zipfTrace(5_000, 0.9, 40_000, 11);
    const withDoor = hitRatio(new WTinyLfuCache({ max: 200, doorkeeper: true }), trace);
    const lru = hitRatio(new LruCache({ max: 200 }), trace);
    expect(withDoor).toBeGreaterThan(lru);
  });

  it('expires entries through the injected clock', () => {
    const clock = new ManualClock();
    const cache = new WTinyLfuCache<string, number>({ max: 10, ttl: 100, clock });
    cache.set('a', 1).set('b', 2, { ttl: 0 });
    clock.advance(100);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, expirations: 1 });
  });

  it('calls onDispose with the reason and counts evictions', () => {
    const disposed: [number, string, DisposeReason][] = [];
    const cache = new WTinyLfuCache<string, number>({
      max: 1,
      onDispose: (value, key, reason) => disposed.push([value, key, reason]),
    });
    cache.set('a', 1).set('a', 2).set('b', 3);
    cache.delete('b');
    expect(disposed).toEqual([
      [1, 'a', 'set'],
      [2, 'a', 'evict'],
      [3, 'b', 'delete'],
    ]);
    expect(cache.stats().evictions).toBe(1);
  });

  it('clear disposes everything and leaves a working cache', () => {
    const reasons: DisposeReason[] = [];
    const cache = new WTinyLfuCache<number, number>({
      max: 5,
      onDispose: (_v, _k, reason) => reasons.push(reason),
    });
    for (let key = 0; key < 5; key++) cache.set(key, key);
    cache.clear();
    cache.set(9, 9);
    expect(reasons).toEqual(['clear', 'clear', 'clear', 'clear', 'clear']);
    expect([...cache.keys()]).toEqual([9]);
  });

  it('rejects a missing or fractional max', () => {
    expect(() => new WTinyLfuCache({ max: 1.5 })).toThrow(/max/);
    let caught: unknown;
    try {
      new WTinyLfuCache({ max: 10, windowFraction: 2 });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
  });

  it('never exceeds max and disposes every value it stops holding exactly once', () => {
    const step = fc.oneof(
      {
        arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 30 }) }),
        weight: 4,
      },
      fc.record({
        op: fc.constantFrom('get' as const, 'delete' as const),
        key: fc.integer({ min: 0, max: 30 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(step, { minLength: 20, maxLength: 300, size: 'max' }),
        (max, steps) => {
          const disposed = new Map<number, number>();
          const cache = new WTinyLfuCache<number, number>({
            max,
            onDispose: (value) => disposed.set(value, (disposed.get(value) ?? 0) + 1),
          });
          const latest = new Map<number, number>();
          steps.forEach((action, value) => {
            if (action.op === 'set') latest.set(action.key, value);
            if (action.op === 'set') cache.set(action.key, value);
            else cache[action.op](action.key);
            expect(cache.size).toBeLessThanOrEqual(max);
          });
          const held = new Map(cache.entries());
          for (const [key, value] of held) expect(latest.get(key)).toBe(value);
          const setValues = steps.flatMap((action, value) => (action.op === 'set' ? [value] : []));
          for (const value of setValues) {
            const stillHeld = [...held.values()].includes(value) ? 1 : 0;
            expect((disposed.get(value) ?? 0) + stillHeld).toBe(1);
          }
        },
      ),
      { seed: 424242, numRuns: 200 },
    );
  });
});
