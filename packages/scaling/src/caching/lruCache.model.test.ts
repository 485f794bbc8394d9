import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DisposeReason } from './cache.js';
import { LruCache } from './lruCache.js';

type Key = number | string;
interface ModelEntry {
  key: Key;
  value: number;
  size: number;
  expiresAt: number;
}

/** A deliberately naive LRU: an array, most recent first. */
class ReferenceLru {
  entries: ModelEntry[] = [];
  disposed: [number, Key, DisposeReason][] = [];
  stats = { hits: 0, misses: 0, evictions: 0, expirations: 0 };
  constructor(
    readonly max: number,
    readonly maxSize: number,
    readonly clock: ManualClock,
  ) {}
  #find(key: Key): number {
    return this.entries.findIndex((entry) => Object.is(entry.key, key));
  }
  #expired(entry: ModelEntry): boolean {
    return entry.expiresAt !== 0 && entry.expiresAt <= this.clock.now();
  }
  #remove(at: number, reason: DisposeReason): void {
    const [entry] = this.entries.splice(at, 1);
    if (reason === 'evict') this.stats.evictions++;
    if (reason === 'expire') this.stats.expirations++;
    this.disposed.push([entry!.value, entry!.key, reason]);
  }
  #live(key: Key): number {
    const at = this.#find(key);
    if (at >= 0 && this.#expired(this.entries[at]!)) {
      this.#remove(at, 'expire');
      return -1;
    }
    return at;
  }
  get totalSize(): number {
    return this.entries.reduce((sum, entry) => sum + entry.size, 0);
  }
  get(key: Key): number | undefined {
    const at = this.#live(key);
    if (at < 0) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    const [entry] = this.entries.splice(at, 1);
    this.entries.unshift(entry!);
    return entry!.value;
  }
  peek(key: Key): number | undefined {
    const at = this.#live(key);
    return at < 0 ? undefined : this.entries[at]!.value;
  }
  delete(key: Key): boolean {
    const at = this.#live(key);
    if (at >= 0) this.#remove(at, 'delete');
    return at >= 0;
  }
  set(key: Key, value: number, ttl: number, size: number): void {
    const at = this.#find(key);
    const expiresAt = ttl === 0 ? 0 : this.clock.now() + ttl;
    if (size > this.maxSize) {
      if (at >= 0) this.#remove(at, 'set');
      this.stats.evictions++;
      this.disposed.push([value, key, 'evict']);
    } else if (at >= 0) {
      const [entry] = this.entries.splice(at, 1);
      if (entry!.value !== value) this.disposed.push([entry!.value, key, 'set']);
      this.entries.unshift({ key, value, size, expiresAt });
    } else {
      if (this.entries.length >= this.max) this.#remove(this.entries.length - 1, 'evict');
      this.entries.unshift({ key, value, size, expiresAt });
    }
    while (this.totalSize > this.maxSize) this.#remove(this.entries.length - 1, 'evict');
  }
  live(): [Key, number][] {
    return this.entries.filter((entry) => !this.#expired(entry)).map((entry) => [entry.key, entry.value]);
  }
}

const key = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }).map(String));
const operation = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      key,
      value: fc.integer({ min: 0, max: 3 }),
      ttl: fc.constantFrom(0, 0, 5, 20),
      size: fc.integer({ min: 1, max: 6 }),
    }),
    weight: 3,
  },
  fc.record({
    op: fc.constant('set' as const),
    key,
    value: fc.integer({ min: 0, max: 3 }),
    ttl: fc.constantFrom(0, 0, 5, 20),
    size: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ op: fc.constant('get' as const), key }),
  fc.record({ op: fc.constant('peek' as const), key }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 10 }) }),
);

describe('LruCache against a reference model', () => {
  it('matches the reference LRU and never exceeds max or maxSize on random operation sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 4, max: 20 }),
        fc.array(operation, { minLength: 10, maxLength: 150, size: 'max' }),
        (max, maxSize, operations) => {
          const clock = new ManualClock();
          const model = new ReferenceLru(max, maxSize, clock);
          const disposed: [number, Key, DisposeReason][] = [];
          const cache = new LruCache<Key, number>({
            max,
            maxSize,
            sizeOf: () => 1,
            clock,
            onDispose: (v, k, r) => disposed.push([v, k, r]),
          });
          for (const step of operations) {
            if (step.op === 'set') {
              cache.set(step.key, step.value, { ttl: step.ttl, size: step.size });
              model.set(step.key, step.value, step.ttl, step.size);
            } else if (step.op === 'advance') clock.advance(step.ms);
            else expect(cache[step.op](step.key)).toEqual(model[step.op](step.key));
            expect(cache.size).toBeLessThanOrEqual(max);
            expect(cache.totalSize).toBeLessThanOrEqual(maxSize);
            expect([...cache.entries()]).toEqual(model.live());
          }
          expect(cache.totalSize).toBe(model.totalSize);
          expect(cache.stats()).toMatchObject(model.stats);
          expect(disposed).toEqual(model.disposed);
        },
      ),
      { seed: 20261124, numRuns: 300 },
    );
  });
});
