import { describeValue, optionObject } from '@keel/core';
import type { OptionProblem } from '@keel/core';

/** Checks a `clock` option: a core `Clock`. `undefined` passes (the default clock). */
export function optionClock(value: unknown): OptionProblem {
  return optionObject(value, 'a Clock', ['now', 'setTimeout', 'setInterval', 'sleep']);
}

/** Checks a logger option: a core `Logger`. `undefined` passes unless `required`. */
export function optionLogger(value: unknown, required = false): OptionProblem {
  return optionObject(value, 'a Logger', ['debug', 'info', 'warn', 'error'], required);
}

/** Checks a list of middleware: an array of functions. `undefined` passes (no middleware). */
export function optionMiddleware(value: unknown): OptionProblem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `must be an array of middleware functions (got ${describeValue(value)}).`;
  const index = value.findIndex((item) => typeof item !== 'function');
  return index < 0
    ? undefined
    : `must hold only middleware functions (item ${index} is ${describeValue(value[index])}).`;
}
