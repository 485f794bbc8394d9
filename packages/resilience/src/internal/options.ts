import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/** One option check: an issue when the value is bad, `undefined` when it is fine. */
export type Check = ValidationIssue | undefined;

/**
 * Throws one {@link ValidationError} listing every failed check, so a caller fixes all bad
 * options at once. `subject` names the factory, e.g. `retry`.
 */
export function validateOptions(subject: string, checks: readonly Check[]): void {
  const issues = checks.filter((check): check is ValidationIssue => check !== undefined);
  if (issues.length > 0) throw new ValidationError(issues, { subject: `${subject} options` });
}

function issue(name: string, message: string): ValidationIssue {
  return { path: [name], message };
}

/** A finite number >= 0 (a delay or duration in ms), or absent. */
export function nonNegative(name: string, value: number | undefined): Check {
  if (value === undefined || (Number.isFinite(value) && value >= 0)) return undefined;
  return issue(name, `must be a finite number >= 0 (got ${value}); use 0 for none.`);
}

/** A finite number > 0, or absent. */
export function positive(name: string, value: number | undefined): Check {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return undefined;
  return issue(name, `must be a finite number > 0 (got ${value}).`);
}

/** An integer >= `min` (Infinity allowed when `allowInfinity`), or absent. */
export function integerAtLeast(
  name: string,
  value: number | undefined,
  min: number,
  allowInfinity = false,
): Check {
  if (value === undefined) return undefined;
  if ((Number.isInteger(value) || (allowInfinity && value === Infinity)) && value >= min) return undefined;
  const infinity = allowInfinity ? ' or Infinity' : '';
  return issue(name, `must be an integer >= ${min}${infinity} (got ${value}).`);
}

/** A ratio between 0 and 1 inclusive, or absent. */
export function ratio(name: string, value: number | undefined): Check {
  if (value === undefined || (value >= 0 && value <= 1)) return undefined;
  return issue(name, `must be a ratio between 0 and 1 (got ${value}); e.g. 0.5 for 50%.`);
}

/** A function, or absent. */
export function callable(name: string, value: unknown): Check {
  if (value === undefined || typeof value === 'function') return undefined;
  return issue(name, `must be a function (got ${typeof value}).`);
}

/** `ok` must hold; otherwise `message` explains the relation between options. */
export function relation(name: string, ok: boolean, message: string): Check {
  return ok ? undefined : issue(name, message);
}
