import type { OptionProblem } from '@keel/core';
import { describeValue } from '@keel/core';

// NUL is exactly what must be found here, as PostgreSQL cannot store it.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces what no store can hold (NUL characters, lone surrogates) with U+FFFD, so a text the
 * orchestrator records (an error message from a step) can always be stored.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/**
 * Checks a string that stores keep as text (a saga id, a saga or step name): non-empty and free
 * of what PostgreSQL cannot hold (NUL, lone surrogates), so it is refused up front, alike on
 * every store. `undefined` passes unless `required`.
 */
export function optionStorableText(value: unknown, required = false): OptionProblem {
  if (value === undefined) return required ? 'is required: a non-empty string' : undefined;
  if (typeof value !== 'string' || value.length === 0)
    return `must be a non-empty string (got ${describeValue(value)}).`;
  return storableText(value) !== value
    ? 'must not contain a NUL character or a lone UTF-16 surrogate, which stores cannot hold.'
    : undefined;
}

/** The longest duration any saga option accepts: 2^40 ms, about 34 years. */
export const MAX_MS = 2 ** 40;
