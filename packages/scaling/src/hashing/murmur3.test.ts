import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, murmur3, murmur3Bytes } from './murmur3.js';

// Published MurmurHash3_x86_32 vectors (SMHasher reference implementation).
const VECTORS: [string, number, number][] = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['abc', 0, 0xb3dd93fa],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
];

describe('murmur3', () => {
  it.each(VECTORS)('hashes %j with seed %d to the reference value', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    const bytes = new TextEncoder().encode('héllo wörld ✓');
    expect(murmur3('héllo wörld ✓', 7)).toBe(murmur3Bytes(bytes, bytes.length, 7));
  });

  it('gives different hashes to a number-like string and its neighbours', () => {
    expect(new Set(['1', '01', '1 ', '10']).size).toBe(
      new Set(['1', '01', '1 ', '10'].map((s) => murmur3(s))).size,
    );
  });

  it('finalises zero to zero and anything else to a different unsigned value', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).not.toBe(1);
    expect(fmix32(-1)).toBeGreaterThanOrEqual(0);
  });
});

describe('murmur3 on strings', () => {
  it('hashes ASCII and non-ASCII strings of every tail length exactly like their UTF-8 bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (text, seed) => {
          const bytes = new TextEncoder().encode(text);
          expect(murmur3(text, seed)).toBe(murmur3Bytes(bytes, bytes.length, seed));
        },
      ),
      { seed: 99, numRuns: 500 },
    );
  });
});
