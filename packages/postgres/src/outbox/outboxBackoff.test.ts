import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outboxBackoff } from './outboxBackoff.js';

describe('outboxBackoff', () => {
  it('doubles from the base delay: 1 s, 2 s, 4 s … capped at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => outboxBackoff(attempt, 1_000, 30_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('stays within [0, maxDelayMs] and never decreases, even for huge attempts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (attempt, base, max) => {
          const delay = outboxBackoff(attempt, base, max);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(max);
          expect(outboxBackoff(attempt + 1, base, max)).toBeGreaterThanOrEqual(delay);
        },
      ),
      { seed: 42 },
    );
  });
});
