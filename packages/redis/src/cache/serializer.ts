import { toStorableJson, ValidationError } from '@keel/core';

/** Turns cache values into the strings Redis stores, and back. */
export interface Serializer<TValue = unknown> {
  /** The text stored for `value` (under cache key `key`, for error messages). */
  serialize(value: TValue, key?: string): string;
  /** The value `text` stands for. */
  deserialize(text: string): TValue;
}

/**
 * The default serializer: core's `toStorableJson` / `JSON.parse`, so the Redis store accepts,
 * refuses and changes values exactly as `MemoryCacheStore` and every other Keel store do.
 * Values must be plain JSON (objects, arrays, strings, finite numbers, booleans, `null`); a
 * `Date` comes back as its ISO string, a class instance as a plain object.
 *
 * @throws ValidationError from `serialize` when the value is `undefined` (read back as "absent").
 * @throws SerializationError from `serialize` when the value has no faithful JSON form (NaN,
 * Infinity, BigInt, a function, a Map or Set, a cycle, a NUL character, …).
 * @example
 * ```ts
 * jsonSerializer.deserialize(jsonSerializer.serialize({ a: 1 })); // { a: 1 }
 * ```
 */
export const jsonSerializer: Serializer<unknown> = Object.freeze({
  serialize(value: unknown, key?: string): string {
    if (value === undefined) {
      const message = 'is undefined, which every store reads back as "absent"; store null or delete the key.';
      throw new ValidationError([{ path: [], message }], { subject: 'cache value' });
    }
    const what = key === undefined ? 'a cache value' : `the cache value of key ${JSON.stringify(key)}`;
    return toStorableJson(value, what)!;
  },
  deserialize(text: string): unknown {
    return JSON.parse(text) as unknown;
  },
});
