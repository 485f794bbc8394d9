import { InvalidOptionError } from '../errors/errors.js';

/** Checks that `value` is a finite number > 0 (or Infinity when allowed). */
export function checkPositive(option: string, value: number, allowInfinity = false): number {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Infinity));
  if (!ok)
    throw new InvalidOptionError(
      option,
      allowInfinity ? 'a number > 0 or Infinity' : 'a finite number > 0',
      value,
    );
  return value;
}

/** Checks that `value` is an integer >= 1, or Infinity. */
export function checkCount(option: string, value: number): number {
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value;
  throw new InvalidOptionError(option, 'an integer >= 1 or Infinity', value);
}
