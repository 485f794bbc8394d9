import type { SqlRow } from '../client/sqlClient.js';

const INT8_OID = 20;

/** Parses an `int8` text value as PGlite does: a number when it is safe, a bigint beyond. */
export function parseInt8(text: string): number | bigint {
  // Up to 15 digits (and a sign) is always a safe integer: skip the BigInt round trip.
  if (text.length <= 15) return Number(text);
  const value = BigInt(text);
  return value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)
    ? value
    : Number(value);
}

/** The field description a driver returns with each result. */
export interface FieldInfo {
  readonly name: string;
  readonly dataTypeID: number;
}

/**
 * Converts the `int8` columns `pg` returns as strings into numbers, so `pg` rows have the
 * same JavaScript types as PGlite rows. Mutates and returns `rows`.
 */
export function normalizeInt8Columns(rows: SqlRow[], fields: readonly FieldInfo[] | undefined): SqlRow[] {
  const int8 = (fields ?? []).filter((field) => field.dataTypeID === INT8_OID).map((field) => field.name);
  if (int8.length === 0) return rows;
  for (const row of rows) {
    for (const name of int8) {
      const value = row[name];
      if (typeof value === 'string') row[name] = parseInt8(value);
    }
  }
  return rows;
}

/** Reads a numeric column value (number, bigint or numeric string) as a JavaScript number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`Expected a numeric column value, got ${typeof value}.`);
}

/** Like {@link toNumber}, but `null`/`undefined` stay `undefined`. */
export function toOptionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : toNumber(value);
}
