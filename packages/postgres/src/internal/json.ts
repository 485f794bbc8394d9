import { SerializationError } from '../client/errors.js';

/**
 * Serializes `value` for a `$n::jsonb` parameter. `undefined` becomes SQL NULL, so it reads
 * back as `undefined`, while `null` is stored as JSON `null`.
 *
 * @throws {SerializationError} when the value cannot be stored as JSON.
 */
export function toJsonParam(value: unknown, what: string): string | null {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
    return text;
  } catch (error) {
    throw new SerializationError(what, error);
  }
}

/**
 * Reads a `jsonb` column written with {@link toJsonParam}. Drivers return both SQL NULL and
 * JSON `null` as `null`, so queries select `col IS NULL AS col_is_null` to tell them apart.
 */
export function fromJsonColumn(value: unknown, isSqlNull: unknown): unknown {
  return isSqlNull === true ? undefined : value;
}
