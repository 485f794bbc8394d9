import { isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jumpHash } from './jumpHash.js';

// Vectors generated from the paper's reference C++ code (as published with dgryski/go-jump and
// jmphash-rs): bucket for 1..19 buckets.
const TABLE: [bigint, number[]][] = [
  [0n, Array.from({ length: 19 }, () => 0)],
  [1n, [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]],
  [0xdeadbeefn, [0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16]],
  [0x0ddc0ffeebadf00dn, [0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15]],
];

describe('jumpHash', () => {
  it.each(TABLE)('matches the reference buckets for key %s', (key, buckets) => {
    expect(buckets.map((_, index) => jumpHash(key, index + 1))).toEqual(buckets);
  });

  it('matches the single published vectors for number keys', () => {
    expect(jumpHash(123456, 1000)).toBe(984);
    expect(jumpHash(256, 1024)).toBe(520);
  });

  it('gives the same bucket for a number and the equal bigint', () => {
    expect(jumpHash(2 ** 40 + 7, 97)).toBe(jumpHash(2n ** 40n + 7n, 97));
  });

  it('moves a key only into the new bucket when one bucket is added', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 500 }), (key, buckets) => {
        const before = jumpHash(key, buckets);
        const after = jumpHash(key, buckets + 1);
        return after === before || after === buckets;
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('rejects a bucket count below 1 with a validation error', () => {
    expect(() => jumpHash('k', 0)).toThrow(/buckets/);
    try {
      jumpHash('k', 0);
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
    }
  });

  it('rejects a negative number key', () => {
    expect(() => jumpHash(-1, 10)).toThrow(/key/);
  });
});
