import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidationError } from '../errors/errors.js';
import { seededRandom } from './seededRandom.js';

const seeds = fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 });

function draws(seed: number, count: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => random());
}

describe('seededRandom', () => {
  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        expect(draws(seed, 50)).toEqual(draws(seed, 50));
      }),
    );
  });

  it('returns floats in [0, 1) for any seed', () => {
    fc.assert(fc.property(seeds, (seed) => draws(seed, 200).every((value) => value >= 0 && value < 1)));
  });

  it('gives the same value whether called or asked for next', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const called = seededRandom(seed);
        const viaNext = seededRandom(seed);
        expect([called(), called(), called()]).toEqual([viaNext.next(), viaNext.next(), viaNext.next()]);
      }),
    );
  });

  it('keeps the mulberry32 sequence the earlier copies produced', () => {
    // Seeds and values recorded from the per-package copies this generator replaced.
    expect(draws(42, 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(seededRandom(2 ** 32 + 42)()).toBe(seededRandom(42)());
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(1, 5)).not.toEqual(draws(2, 5));
  });

  it('spreads values over the whole interval', () => {
    const buckets = new Array<number>(10).fill(0);
    for (const value of draws(7, 10_000)) buckets[Math.floor(value * 10)]! += 1;
    expect(Math.min(...buckets)).toBeGreaterThan(800);
  });

  it('remembers its seed and cannot be changed', () => {
    const random = seededRandom(9);
    expect(random.seed).toBe(9);
    expect(Object.isFrozen(random)).toBe(true);
  });

  it('refuses a seed that is not a finite number', () => {
    for (const seed of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => seededRandom(seed)).toThrow(/seed: must be a finite number/);
    }
  });
});

describe('seededRandom.between', () => {
  const ranges = fc
    .tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }))
    .map(([min, width]) => [min, min + width] as const);

  it('returns integers within both bounds', () => {
    fc.assert(
      fc.property(seeds, ranges, (seed, [min, max]) => {
        const random = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const value = random.between(min, max);
          expect(Number.isInteger(value) && value >= min && value <= max).toBe(true);
        }
      }),
    );
  });

  it('stays within the widest safe range', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 1_000; i++) {
      const value = random.between(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      expect(value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER).toBe(true);
    }
  });

  it('reaches both ends of a small range', () => {
    const random = seededRandom(5);
    const seen = new Set(Array.from({ length: 200 }, () => random.between(1, 3)));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });

  it('returns the only value of a one-value range', () => {
    expect(seededRandom(1).between(4, 4)).toBe(4);
  });

  it('refuses reversed or fractional bounds, listing every problem', () => {
    const random = seededRandom(1);
    expect(() => random.between(5, 1)).toThrow(/max: must be at least min \(5\), got 1/);
    try {
      random.between(0.5, Number.NaN);
      expect.unreachable();
    } catch (error) {
      expect(isValidationError(error) && error.issues.map((issue) => issue.path)).toEqual([['min'], ['max']]);
    }
  });
});

describe('seededRandom.pick', () => {
  it('returns an element of the list', () => {
    fc.assert(
      fc.property(seeds, fc.array(fc.string(), { minLength: 1 }), (seed, items) => {
        expect(items).toContain(seededRandom(seed).pick(items));
      }),
    );
  });

  it('picks the same elements for the same seed', () => {
    const items = ['a', 'b', 'c', 'd'];
    const pickAll = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => random.pick(items));
    };
    expect(pickAll(11)).toEqual(pickAll(11));
  });

  it('refuses an empty list', () => {
    expect(() => seededRandom(1).pick([])).toThrow(/items: must hold at least one element/);
  });
});
