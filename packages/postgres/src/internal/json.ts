import { toStorableJson } from '@keel/core';

/**
 * Serializes `value` for a `$n::jsonb` parameter. `undefined` becomes SQL NULL, so it reads
 * back as `undefined`, while `null` is stored as JSON `null`.
 *
 * @throws {SerializationError} (from `@keel/core`) when the value cannot be stored: the rules
 *   are those of `toStorableJson`, the same for every store.
 */
export function toJsonParam(value: unknown, what: string): string | null {
  return toStorableJson(value, what) ?? null;
}

/**
 * Reads a `jsonb` column written with {@link toJsonParam}. Drivers return both SQL NULL and
 * JSON `null` as `null`, so queries select `col IS NULL AS col_is_null` to tell them apart.
 */
export function fromJsonColumn(value: unknown, isSqlNull: unknown): unknown {
  return isSqlNull === true ? undefined : value;
}
