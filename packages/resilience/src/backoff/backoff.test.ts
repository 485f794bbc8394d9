import { isValidationError, seededRandom } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff, linearBackoff } from './backoff.js';
import type { Backoff } from './backoff.js';

const huge = [1e3, 1e6, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e308, Infinity];

function delays(backoff: Backoff, count: number): number[] {
  const sequence = backoff.begin();
  return Array.from({ length: count }, (_, index) => sequence.next(index + 1));
}

describe('backoff strategies', () => {
  it('constant backoff returns the same delay every retry', () => {
    expect(delays(constantBackoff(250), 4)).toEqual([250, 250, 250, 250]);
  });

  it('linear backoff grows by the step up to the max delay', () => {
    expect(delays(linearBackoff(100, { step: 50, maxDelay: 220 }), 5)).toEqual([100, 150, 200, 220, 220]);
  });

  it('exponential backoff doubles by default up to the max delay', () => {
    expect(delays(exponentialBackoff(100, { maxDelay: 1_000 }), 5)).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('exponential backoff honours a custom factor', () => {
    expect(delays(exponentialBackoff(10, { factor: 3 }), 3)).toEqual([10, 30, 90]);
  });

  it('full jitter scales the delay by the random source', () => {
    expect(delays(exponentialBackoff(100, { jitter: 'full', random: () => 0.5 }), 2)).toEqual([50, 100]);
  });

  it('equal jitter keeps at least half of the delay', () => {
    expect(delays(constantBackoff(100, { jitter: 'equal', random: () => 0 }), 1)).toEqual([50]);
  });

  it('decorrelated jitter follows the Polly V2 formula', () => {
    const random = (): number => 0.5;
    const f = (t: number): number => 2 ** t * Math.tanh(Math.sqrt(4 * t));
    const expected = [((f(0.5) - 0) / 1.4) * 100, ((f(1.5) - f(0.5)) / 1.4) * 100];
    const actual = delays(decorrelatedJitterBackoff(100, { random, maxDelay: 60_000 }), 2);
    expect(actual[0]).toBeCloseTo(expected[0]!, 9);
    expect(actual[1]).toBeCloseTo(expected[1]!, 9);
  });

  it('decorrelated jitter has a median near the doubling series', () => {
    const random = seededRandom(7);
    const seconds = Array.from({ length: 2_001 }, () =>
      decorrelatedJitterBackoff(1_000, { random }).begin().next(1),
    );
    seconds.sort((a, b) => a - b);
    expect(seconds[1_000]).toBeGreaterThan(800);
    expect(seconds[1_000]).toBeLessThan(1_300);
  });

  it.each(huge)('no strategy returns NaN or Infinity at retry %d', (retry) => {
    const strategies = [
      constantBackoff(5),
      linearBackoff(5),
      linearBackoff(0, { step: 0 }),
      exponentialBackoff(5),
      exponentialBackoff(0),
      exponentialBackoff(5, { jitter: 'full' }),
      decorrelatedJitterBackoff(5),
    ];
    for (const strategy of strategies) {
      const delay = strategy.begin().next(retry);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });

  it('decorrelated jitter stays finite after an overflowing retry', () => {
    const sequence = decorrelatedJitterBackoff(100, { maxDelay: 5_000 }).begin();
    expect(sequence.next(2_000)).toBe(5_000);
    expect(sequence.next(2_001)).toBe(5_000);
    expect(sequence.next(3)).toBeGreaterThanOrEqual(0);
  });

  it('property: every delay stays within [0, maxDelay] for any retry number and settings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(
          fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.double({ min: 1, max: 1e308, noNaN: true })),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.integer(),
        (first, extra, retries, factor, seed) => {
          const maxDelay = first + extra;
          const random = seededRandom(seed);
          const strategies = [
            constantBackoff(first, { maxDelay, jitter: 'equal', random }),
            linearBackoff(first, { maxDelay }),
            exponentialBackoff(first, { maxDelay, factor, jitter: 'full', random }),
            decorrelatedJitterBackoff(first, { maxDelay, random }),
          ];
          for (const strategy of strategies) {
            const sequence = strategy.begin();
            for (const retry of retries) {
              const delay = sequence.next(retry);
              if (!(delay >= 0 && delay <= maxDelay)) return false;
            }
          }
          return true;
        },
      ),
    );
  });

  it('rejects a negative delay with a validation error naming the option', () => {
    const attempt = (): unknown => exponentialBackoff(-1);
    expect(attempt).toThrow(/delay: must be a finite number >= 0 \(got -1\)/);
    expect(
      isValidationError(
        (() => {
          try {
            attempt();
          } catch (error) {
            return error;
          }
        })(),
      ),
    ).toBe(true);
  });

  it('rejects a first delay above the max delay', () => {
    expect(() => linearBackoff(500, { maxDelay: 100 })).toThrow(
      /delay: must be <= maxDelay \(100\) \(got 500\)/,
    );
  });

  it('rejects a shrinking exponential factor', () => {
    expect(() => exponentialBackoff(10, { factor: 0.5 })).toThrow(/factor: must be a finite number >= 1/);
  });

  it('rejects an unknown jitter mode', () => {
    expect(() => constantBackoff(10, { jitter: 'lots' as never })).toThrow(/jitter/);
  });
});
