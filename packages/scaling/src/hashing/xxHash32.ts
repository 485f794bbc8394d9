import { utf8Bytes } from '../internal/utf8.js';

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function readU32(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

function stripes(bytes: Uint8Array, length: number, seed: number): number {
  let v1 = (seed + P1 + P2) | 0;
  let v2 = (seed + P2) | 0;
  let v3 = seed | 0;
  let v4 = (seed - P1) | 0;
  const limit = length - 16;
  let at = 0;
  for (; at <= limit; at += 16) {
    v1 = round(v1, readU32(bytes, at));
    v2 = round(v2, readU32(bytes, at + 4));
    v3 = round(v3, readU32(bytes, at + 8));
    v4 = round(v4, readU32(bytes, at + 12));
  }
  return (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
}

/** xxHash32 over `length` bytes of `bytes`. */
export function xxHash32Bytes(bytes: Uint8Array, length: number = bytes.length, seed = 0): number {
  let h = length >= 16 ? stripes(bytes, length, seed) : (seed + P5) | 0;
  h = (h + length) | 0;
  let at = length >= 16 ? length - (length % 16) : 0;
  for (; at + 4 <= length; at += 4) {
    h = Math.imul(rotl((h + Math.imul(readU32(bytes, at), P3)) | 0, 17), P4);
  }
  for (; at < length; at++) {
    h = Math.imul(rotl((h + Math.imul(bytes[at]!, P5)) | 0, 11), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * xxHash32 of a string's UTF-8 bytes: a fast non-cryptographic hash, identical to the
 * reference `XXH32`.
 *
 * @param key The text to hash (encoded as UTF-8).
 * @param seed Varies the hash. @default 0
 * @returns An unsigned 32-bit integer.
 * @example
 * ```ts
 * xxHash32('abc'); // 0x32d153ff
 * ```
 */
export function xxHash32(key: string, seed = 0): number {
  const { bytes, length } = utf8Bytes(key);
  return xxHash32Bytes(bytes, length, seed);
}
