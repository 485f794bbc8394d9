import { PostgresOptionError } from '../client/errors.js';

/** Checks that `value` is a finite number > 0 (or Infinity when allowed). */
export function checkPositive(option: string, value: number, allowInfinity = false): number {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Infinity));
  if (!ok)
    throw new PostgresOptionError(
      option,
      allowInfinity ? 'a number > 0 or Infinity' : 'a finite number > 0',
      value,
    );
  return value;
}

/** Checks that `value` is a finite number >= 0. */
export function checkNonNegative(option: string, value: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new PostgresOptionError(option, 'a finite number >= 0', value);
}

/** Checks that `value` is an integer >= 1 (or Infinity when allowed). */
export function checkCount(option: string, value: number, allowInfinity = false): number {
  if ((allowInfinity && value === Infinity) || (Number.isInteger(value) && value >= 1)) return value;
  throw new PostgresOptionError(
    option,
    allowInfinity ? 'an integer >= 1 or Infinity' : 'an integer >= 1',
    value,
  );
}

/** Checks that `value` is a non-empty string. */
export function checkName(option: string, value: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new PostgresOptionError(option, 'a non-empty string', value);
}

/** Drops `undefined` entries so `{ ...DEFAULTS, ...definedOnly(options) }` keeps the defaults. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
