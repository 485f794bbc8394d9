import { ValidationError } from '../errors/errors.js';
import type { ValidationIssue } from '../errors/errors.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../logger/logger.js';

/** What is wrong with one option, in words (`must be …`), or `undefined` when it is fine. */
export type OptionProblem = string | undefined;

/** The checks of one options object: option path (`'a'` or `'a.b'`) to its {@link OptionProblem}. */
export type OptionChecks = Readonly<Record<string, OptionProblem>>;

/** An options object with `undefined` entries removed from its type (see {@link withDefaults}). */
export type Defined<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/**
 * Merges `options` over `defaults`, where an option that is absent **or `undefined`** keeps its
 * default. Users without `exactOptionalPropertyTypes` write `retry({ maxRetries: config.retries })`
 * with `retries` undefined, and mean "the default"; a bare `{ ...defaults, ...options }` would
 * replace the default with `undefined`.
 *
 * @param defaults The frozen defaults; their keys are the options that have one.
 * @param options What the caller passed (may be `undefined`).
 * @returns A new object: every default, overridden by each defined option.
 * @example
 * ```ts
 * const settings = withDefaults(RETRY_DEFAULTS, options); // settings.maxRetries is a number
 * ```
 */
export function withDefaults<TDefaults extends object, TOptions extends object>(
  defaults: TDefaults,
  options: TOptions | undefined,
): Omit<TOptions, keyof TDefaults> & Defined<TDefaults> {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options !== undefined && options !== null) {
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  }
  return merged as Omit<TOptions, keyof TDefaults> & Defined<TDefaults>;
}

/**
 * Throws one {@link ValidationError} listing every failed check, so a caller fixes every bad
 * option at once; does nothing when all pass. Call it at construction, never in a hot path.
 *
 * @param subject What is being configured, e.g. `retry`; the error says `Invalid retry options`.
 * @param checks Option path to problem, built with the `option*` helpers of this module.
 * @throws {ValidationError} when any check has a problem.
 * @example
 * ```ts
 * assertOptions('retry', {
 *   maxRetries: optionInteger(settings.maxRetries, { min: 0, infinity: true }),
 *   handle: optionFunction(settings.handle),
 * });
 * ```
 */
export function assertOptions(subject: string, checks: OptionChecks): void {
  const issues: ValidationIssue[] = [];
  for (const [path, problem] of Object.entries(checks)) {
    if (problem !== undefined) issues.push({ path: path.split('.'), message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject: `${subject} options` });
}

/** Bounds of a numeric option: see {@link optionInteger} and {@link optionNumber}. */
export interface OptionRange {
  /** The smallest allowed value. @default -Infinity */
  min?: number;
  /** The largest allowed value. @default Number.MAX_SAFE_INTEGER for integers, else Number.MAX_VALUE */
  max?: number;
  /** Whether `min` itself is refused (a strict lower bound). @default false */
  exclusiveMin?: boolean;
  /** Whether `Infinity` is accepted (meaning "no limit"). @default false */
  infinity?: boolean;
  /** Whether the option must be given (`undefined` refused). @default false */
  required?: boolean;
}

/** Renders a value for a problem message: strings quoted, functions and objects named. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function rangeText(kind: string, range: OptionRange, integerMax: boolean): string {
  const { min, max, exclusiveMin = false, infinity = false } = range;
  const parts: string[] = [];
  if (min !== undefined && min !== -Infinity) parts.push(`${exclusiveMin ? '>' : '>='} ${min}`);
  const defaultMax = integerMax ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE;
  if (max !== undefined && max !== defaultMax) parts.push(`<= ${max}`);
  return `${kind}${parts.length > 0 ? ` ${parts.join(' and ')}` : ''}${infinity ? ' or Infinity' : ''}`;
}

function checkNumber(value: unknown, range: OptionRange, integer: boolean): OptionProblem {
  const kind = integer ? 'an integer' : 'a finite number';
  if (value === undefined)
    return range.required === true ? `is required: ${rangeText(kind, range, integer)}` : undefined;
  const expected = rangeText(kind, range, integer);
  if (typeof value !== 'number' || Number.isNaN(value))
    return `must be ${expected} (got ${describeValue(value)}).`;
  if (value === Infinity) return range.infinity === true ? undefined : `must be ${expected} (got Infinity).`;
  const { min = -Infinity, max = integer ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE } = range;
  const ok =
    (integer ? Number.isInteger(value) : Number.isFinite(value)) &&
    (range.exclusiveMin === true ? value > min : value >= min) &&
    value <= max;
  return ok ? undefined : `must be ${expected} (got ${value}).`;
}

/**
 * Checks an integer option (a count). `undefined` passes unless `required`.
 * @example `optionInteger(settings.maxRetries, { min: 0, infinity: true })`
 */
export function optionInteger(value: unknown, range: OptionRange = {}): OptionProblem {
  return checkNumber(value, range, true);
}

/**
 * Checks a numeric option (a duration, a rate). `undefined` passes unless `required`; NaN never does.
 * @example `optionNumber(settings.delayMs, { min: 0 })`
 */
export function optionNumber(value: unknown, range: OptionRange = {}): OptionProblem {
  return checkNumber(value, range, false);
}

/** Checks a ratio option: a number from 0 to 1 inclusive. `undefined` passes unless `required`. */
export function optionRatio(value: unknown, required = false): OptionProblem {
  if (value === undefined) return required ? 'is required: a ratio from 0 to 1' : undefined;
  return typeof value === 'number' && value >= 0 && value <= 1
    ? undefined
    : `must be a ratio from 0 to 1, e.g. 0.5 for 50% (got ${describeValue(value)}).`;
}

/** Checks a callback option. `undefined` passes unless `required`. */
export function optionFunction(value: unknown, required = false): OptionProblem {
  if (value === undefined) return required ? 'is required: a function' : undefined;
  return typeof value === 'function' ? undefined : `must be a function (got ${describeValue(value)}).`;
}

/** Checks a string option: non-empty. `undefined` passes unless `required`. */
export function optionString(value: unknown, required = false): OptionProblem {
  if (value === undefined) return required ? 'is required: a non-empty string' : undefined;
  return typeof value === 'string' && value.length > 0
    ? undefined
    : `must be a non-empty string (got ${describeValue(value)}).`;
}

/** Checks a boolean option. `undefined` passes. */
export function optionBoolean(value: unknown): OptionProblem {
  return value === undefined || typeof value === 'boolean'
    ? undefined
    : `must be true or false (got ${describeValue(value)}).`;
}

/** Checks an option that takes one of a few literal values. `undefined` passes unless `required`. */
export function optionOneOf(value: unknown, allowed: readonly unknown[], required = false): OptionProblem {
  if (value === undefined)
    return required ? `is required: one of ${allowed.map(describeValue).join(', ')}` : undefined;
  return allowed.includes(value)
    ? undefined
    : `must be one of ${allowed.map(describeValue).join(', ')} (got ${describeValue(value)}).`;
}

/**
 * Checks an option that must be an object of a kind, recognised by its methods (duck typing,
 * so it works across two loaded copies of a package). `undefined` passes unless `required`.
 * @example `optionObject(settings.budget, 'a RetryBudget', ['tryAcquire', 'recordSuccess'])`
 */
export function optionObject(
  value: unknown,
  kind: string,
  methods: readonly string[],
  required = false,
): OptionProblem {
  if (value === undefined) return required ? `is required: ${kind}` : undefined;
  const ok =
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
  return ok ? undefined : `must be ${kind} (with ${methods.join(', ')}) (got ${describeValue(value)}).`;
}

/** A method of core's `Clock` that a component calls: see {@link optionClock}. */
export type ClockMethod = keyof Clock;

/** A method of core's `Logger` that a component calls: see {@link optionLogger}. */
export type LoggerMethod = Exclude<keyof Logger, 'isLevelEnabled'>;

const CLOCK_METHODS: readonly ClockMethod[] = Object.freeze(['now', 'setTimeout', 'setInterval', 'sleep']);
const LOGGER_METHODS: readonly LoggerMethod[] = Object.freeze(['debug', 'info', 'warn', 'error']);

/**
 * Checks a `clock` option: a core `Clock`, recognised by the methods the component calls, so a
 * partial test clock that has them is accepted. `undefined` passes (the component's default clock).
 *
 * @param value The option as passed.
 * @param uses The `Clock` methods the component calls (or hands the clock to code that calls);
 *   by default every method of `Clock`: now, setTimeout, setInterval, sleep.
 * @returns The problem, e.g. `must be a Clock (with now, sleep) (got an object).`, or `undefined`.
 * @example `optionClock(settings.clock, ['now', 'sleep'])`
 */
export function optionClock(value: unknown, uses?: readonly ClockMethod[]): OptionProblem {
  return optionObject(value, 'a Clock', uses ?? CLOCK_METHODS);
}

/** What {@link optionLogger} checks. */
export interface OptionLoggerOptions {
  /**
   * The `Logger` methods the component calls (or hands the logger to code that calls).
   * @default ['debug', 'info', 'warn', 'error']
   */
  uses?: readonly LoggerMethod[] | undefined;
  /** Whether the logger must be given (`undefined` refused). @default false */
  required?: boolean | undefined;
}

/**
 * Checks a `logger` option: a core `Logger`, recognised by the methods the component calls.
 * `undefined` passes unless `required` (the component's default, usually the no-op logger).
 *
 * @param value The option as passed.
 * @param options Which methods are needed and whether the logger is required.
 * @returns The problem, e.g. `must be a Logger (with warn, error) (got null).`, or `undefined`.
 * @example `optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error', 'child'] })`
 */
export function optionLogger(value: unknown, options: OptionLoggerOptions = {}): OptionProblem {
  const { uses = LOGGER_METHODS, required = false } = options;
  return optionObject(value, 'a Logger', uses, required);
}

/** A relation between options: `ok`, or `message` (e.g. `'must be >= minDelayMs (got 5 < 10).'`). */
export function optionRule(ok: boolean, message: string): OptionProblem {
  return ok ? undefined : message;
}
