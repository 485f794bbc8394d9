import { describe, expect, it } from 'vitest';
import { xxHash32, xxHash32Bytes } from './xxHash32.js';

// Published XXH32 vectors (seed 0), covering the short path and the 16-byte stripe path.
const VECTORS: [string, number][] = [
  ['', 0x02cc5d05],
  ['a', 0x550d7456],
  ['abc', 0x32d153ff],
  ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ['The quick brown fox jumps over the lazy dog', 0xe85ea4de],
];

describe('xxHash32', () => {
  it.each(VECTORS)('hashes %j to the reference value', (text, expected) => {
    expect(xxHash32(text)).toBe(expected);
  });

  it('changes with the seed', () => {
    expect(xxHash32('abc', 1)).not.toBe(xxHash32('abc', 0));
  });

  it('hashes a byte prefix when given a length', () => {
    const bytes = new TextEncoder().encode('abcdef');
    expect(xxHash32Bytes(bytes, 3)).toBe(0x32d153ff);
  });
});
