/** Values the contract suites use to hold every store to the same storage rules. */

/**
 * Values PostgreSQL cannot hold, which every store must refuse with a `SerializationError`
 * before any effect: a NUL character, a lone surrogate (in a value and in a key), a BigInt.
 */
export const UNSTORABLE_VALUES: readonly (readonly [string, unknown])[] = Object.freeze([
  ['a NUL character', { note: 'before\u0000after' }],
  ['a lone surrogate', { note: 'broken \uD800 text' }],
  ['a key with a NUL character', { ['key\u0000']: 1 }],
  ['a BigInt', { amount: 10n }],
]);

/** A class instance: every store keeps its own enumerable properties, as a plain object. */
export class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}

  get label(): string {
    return `${this.amount} ${this.currency}`;
  }
}

/**
 * A name of `length` UTF-16 code units made of varied three-byte UTF-8 characters (CJK), so it
 * takes 3 × `length` bytes and does not compress: the worst case for a SQL index entry.
 */
export function wideName(length: number): string {
  return Array.from({ length }, (_, index) => String.fromCharCode(0x4e00 + ((index * 7919) % 20000))).join(
    '',
  );
}

/** Values that are not an integer >= 0 (for positions, versions and counts). */
export const NOT_COUNTS: readonly unknown[] = Object.freeze([Number.NaN, -1, 1.5, '3', null, Infinity]);
