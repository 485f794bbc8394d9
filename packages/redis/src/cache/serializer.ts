import { ValidationError } from '@keel/core';

/** Turns cache values into the strings Redis stores, and back. */
export interface Serializer<TValue = unknown> {
  /** The text stored for `value`. */
  serialize(value: TValue): string;
  /** The value `text` stands for. */
  deserialize(text: string): TValue;
}

/**
 * The default serializer: `JSON.stringify` / `JSON.parse`. Values must survive JSON (plain
 * objects, arrays, strings, finite numbers, booleans, `null`); a `Date` comes back as a string.
 *
 * @throws ValidationError from `serialize` when the value has no JSON form (`undefined`, a function).
 * @example
 * ```ts
 * jsonSerializer.deserialize(jsonSerializer.serialize({ a: 1 })); // { a: 1 }
 * ```
 */
export const jsonSerializer: Serializer<unknown> = Object.freeze({
  serialize(value: unknown): string {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) {
      throw new ValidationError(
        [{ path: [], message: `a ${typeof value} has no JSON form; store null or a plain value instead.` }],
        { subject: 'cache value' },
      );
    }
    return text;
  },
  deserialize(text: string): unknown {
    return JSON.parse(text) as unknown;
  },
});
