import { describeValue } from '@keel/core';
import type { OptionProblem } from '@keel/core';

/** Checks a list of middleware: an array of functions. `undefined` passes (no middleware). */
export function optionMiddleware(value: unknown): OptionProblem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `must be an array of middleware functions (got ${describeValue(value)}).`;
  const index = value.findIndex((item) => typeof item !== 'function');
  return index < 0
    ? undefined
    : `must hold only middleware functions (item ${index} is ${describeValue(value[index])}).`;
}
