import { utf8Bytes } from '../internal/utf8.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The MurmurHash3 32-bit finaliser: spreads every input bit over every output bit. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(k: number): number {
  let mixed = Math.imul(k, C1);
  mixed = (mixed << 15) | (mixed >>> 17);
  return Math.imul(mixed, C2);
}

/** MurmurHash3 x86_32 over `length` bytes of `bytes`. */
export function murmur3Bytes(bytes: Uint8Array, length: number = bytes.length, seed = 0): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= mixBlock(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let tail = bytes[blocks]!;
    if (rest > 1) tail ^= bytes[blocks + 1]! << 8;
    if (rest > 2) tail ^= bytes[blocks + 2]! << 16;
    h ^= mixBlock(tail);
  }
  return fmix32(h ^ length);
}

/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: a fast, well-mixed, non-cryptographic
 * hash, identical to the reference C++ `MurmurHash3_x86_32`.
 *
 * @param key The text to hash (encoded as UTF-8).
 * @param seed Varies the hash; the same seed always gives the same result. @default 0
 * @returns An unsigned 32-bit integer.
 * @example
 * ```ts
 * murmur3('abc'); // 0xb3dd93fa
 * ```
 */
export function murmur3(key: string, seed = 0): number {
  const ascii = murmur3Ascii(key, seed);
  if (ascii >= 0) return ascii;
  const { bytes, length } = utf8Bytes(key);
  return murmur3Bytes(bytes, length, seed);
}

/** MurmurHash3 straight from the char codes of an ASCII string (no copy); -1 if not ASCII. */
function murmur3Ascii(key: string, seed: number): number {
  const length = key.length;
  let h = seed >>> 0;
  const blocks = length & ~3;
  let any = 0;
  for (let i = 0; i < blocks; i += 4) {
    const a = key.charCodeAt(i);
    const b = key.charCodeAt(i + 1);
    const c = key.charCodeAt(i + 2);
    const d = key.charCodeAt(i + 3);
    any |= a | b | c | d;
    h ^= mixBlock(a | (b << 8) | (c << 16) | (d << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    const t0 = key.charCodeAt(blocks);
    const t1 = rest > 1 ? key.charCodeAt(blocks + 1) : 0;
    const t2 = rest > 2 ? key.charCodeAt(blocks + 2) : 0;
    any |= t0 | t1 | t2;
    h ^= mixBlock(t0 | (t1 << 8) | (t2 << 16));
  }
  return any >= 0x80 ? -1 : fmix32(h ^ length);
}
