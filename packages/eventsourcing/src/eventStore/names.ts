import { ValidationError } from '@keel/core';
import type { OptionChecks, OptionProblem, ValidationIssue } from '@keel/core';

/**
 * The longest stream name every store accepts, in UTF-16 code units (`name.length`). Longer
 * names are refused with a `ValidationError`, so no store fails deep inside an index instead:
 * 800 units of any characters are at most 2,400 bytes of UTF-8, which fits PostgreSQL's B-tree
 * entries (2,704 bytes) next to the stream version.
 */
export const MAX_STREAM_NAME_LENGTH = 800;

/**
 * The longest event type every store accepts, in UTF-16 code units (short enough that any
 * characters fit a SQL index entry).
 */
export const MAX_EVENT_TYPE_LENGTH = 500;

/** The longest event id every store accepts, in UTF-16 code units. */
export const MAX_EVENT_ID_LENGTH = 500;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A short description of a refused value (long strings are not echoed in full). */
export function describeName(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

/**
 * What is wrong with a string every store keeps as text (PostgreSQL `text` cannot hold NUL, and
 * a lone surrogate is not valid Unicode), or `undefined` when it is fine.
 *
 * @param value The value to check.
 * @param options `max`: the longest allowed length (default unlimited); `allowEmpty` (default false).
 */
export function textProblem(
  value: unknown,
  options: { readonly max?: number; readonly allowEmpty?: boolean } = {},
): OptionProblem {
  const { max = Infinity, allowEmpty = false } = options;
  const limit = max === Infinity ? '' : ` of at most ${max} characters`;
  const expected = `${allowEmpty ? 'a string' : 'a non-empty string'}${limit}`;
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0))
    return `must be ${expected} (got ${describeName(value)}).`;
  if (value.length > max) return `must be ${expected} (got ${describeName(value)}).`;
  if (value.includes('\u0000'))
    return 'must not contain a NUL character (\\u0000), which PostgreSQL cannot store.';
  if (LONE_SURROGATE.test(value))
    return 'must not contain a lone UTF-16 surrogate, which is not valid Unicode.';
  return undefined;
}

/** What is wrong with a stream name, or `undefined` when every store accepts it. */
export function streamNameProblem(streamName: unknown): OptionProblem {
  return textProblem(streamName, { max: MAX_STREAM_NAME_LENGTH });
}

/**
 * Refuses a stream name no store can keep: not a string, empty, longer than
 * {@link MAX_STREAM_NAME_LENGTH} UTF-16 code units, or holding a NUL character or a lone
 * surrogate. Stores call it (directly or through `checkAppend` and the read checks) before
 * anything else, so every store refuses the same names with the same error.
 *
 * @param streamName The stream name.
 * @throws ValidationError when the name is refused.
 * @example
 * ```ts
 * async streamVersion(streamName: string) { checkStreamName(streamName); ... }
 * ```
 */
export function checkStreamName(streamName: unknown): void {
  const problem = streamNameProblem(streamName);
  if (problem !== undefined)
    throw new ValidationError([{ path: ['streamName'], message: problem }], { subject: 'stream name' });
}

/**
 * Throws one `ValidationError` about `subject` (a value, not options) listing every failed
 * check, like core's `assertOptions` does for options.
 */
export function assertValid(subject: string, checks: OptionChecks): void {
  const issues: ValidationIssue[] = [];
  for (const [path, problem] of Object.entries(checks))
    if (problem !== undefined) issues.push({ path: path.split('.'), message: problem });
  if (issues.length > 0) throw new ValidationError(issues, { subject });
}
