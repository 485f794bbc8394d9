import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/** One range check: the option's name, whether its value is acceptable, and what is expected. */
export type OptionCheck = readonly [name: string, ok: boolean, expected: string, value: unknown];

/**
 * Throws one {@link ValidationError} listing every failed check, so a caller fixes all of its
 * options at once; does nothing when every check passes.
 */
export function checkOptions(subject: string, checks: readonly OptionCheck[]): void {
  const issues: ValidationIssue[] = [];
  for (const [name, ok, expected, value] of checks) {
    if (!ok) issues.push({ path: [name], message: `must be ${expected}; got ${describe(value)}` });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject });
}

/** Whether `value` is `undefined` or passes `test`. */
export function optional<T>(value: T | undefined, test: (value: T) => boolean): boolean {
  return value === undefined || test(value);
}

/** A positive safe integer. */
export function isPositiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** A finite number greater than zero. */
export function isPositiveFinite(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/** A duration in milliseconds: `>= 0`, `Infinity` allowed (it means "never"). */
export function isDuration(value: number): boolean {
  return typeof value === 'number' && value >= 0;
}

/** A fraction in `[0, 1]`. */
export function isFraction(value: number): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Rejects a per-call TTL that is negative or not a number. */
export function checkTtl(ttl: number, subject: string): number {
  if (!(ttl >= 0))
    checkOptions(subject, [['ttl', false, 'a duration in ms >= 0 (0 or Infinity: never expires)', ttl]]);
  return ttl;
}

/** The options that are set, so spreading them over frozen defaults keeps the defaults of the rest. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
