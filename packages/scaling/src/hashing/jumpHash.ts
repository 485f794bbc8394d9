import { assertOptions, describeValue, optionInteger } from '@keel/core';
import { murmur3 } from './murmur3.js';

// The 64-bit LCG multiplier of the paper, 2862933555777941757, as two 32-bit halves.
const MUL_HI = 0x27bb2ee6;
const MUL_LO = 0x87b0b0fd;
const TWO_32 = 4294967296;

/** key = key * 2862933555777941757 + 1 (mod 2^64), on 32-bit halves without BigInt. */
function step(state: Uint32Array): void {
  const hi = state[0]!;
  const lo = state[1]!;
  const a = lo >>> 16;
  const b = lo & 0xffff;
  const c = MUL_LO >>> 16;
  const d = MUL_LO & 0xffff;
  const mid = a * d + b * c;
  const low = b * d + (mid % 65536) * 65536 + 1;
  const carry = Math.floor(low / TWO_32) + Math.floor(mid / 65536) + a * c;
  state[1] = low % TWO_32;
  state[0] = (carry % TWO_32) + Math.imul(hi, MUL_LO) + Math.imul(lo, MUL_HI);
}

function toHalves(key: bigint | number | string): Uint32Array {
  if (typeof key === 'bigint') {
    const wrapped = BigInt.asUintN(64, key);
    return Uint32Array.of(Number(wrapped >> 32n), Number(wrapped & 0xffffffffn));
  }
  if (typeof key === 'string') return Uint32Array.of(murmur3(key, 0x9747b28c), murmur3(key));
  assertOptions('jumpHash', {
    key:
      typeof key === 'number'
        ? optionInteger(key, { min: 0, required: true })
        : `must be a bigint, a safe integer >= 0 or a string (got ${describeValue(key)}).`,
  });
  return Uint32Array.of(Math.floor((key as number) / TWO_32), (key as number) % TWO_32);
}

/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a key to one of `buckets` numbered
 * buckets with no memory, an even spread, and the fewest moves when buckets are added —
 * growing from n to n + 1 buckets moves exactly the keys that land in the new bucket
 * (about 1/(n + 1) of them). Buckets can only be added or removed at the end.
 *
 * Integer keys (a `bigint` is taken modulo 2^64) give the same bucket as the paper's C++ code;
 * string keys are first hashed to 64 bits with two MurmurHash3 seeds.
 *
 * @param key The key: an unsigned 64-bit `bigint`, a safe non-negative integer, or a string.
 * @param buckets How many buckets exist (an integer from 1 to 2^31 - 1).
 * @returns The bucket, from 0 to `buckets - 1`.
 * @throws {ValidationError} When `buckets` or a numeric `key` is out of range.
 * @example
 * ```ts
 * jumpHash(123456, 1000); // 984
 * jumpHash('user-42', 8); // a stable bucket in 0..7
 * ```
 */
export function jumpHash(key: bigint | number | string, buckets: number): number {
  assertOptions('jumpHash', { buckets: optionInteger(buckets, { min: 1, max: 0x7fffffff, required: true }) });
  const state = toHalves(key);
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    step(state);
    // (key >> 33) + 1 is the top 31 bits of the state plus one.
    j = Math.floor((b + 1) * (2147483648 / ((state[0]! >>> 1) + 1)));
  }
  return b;
}
