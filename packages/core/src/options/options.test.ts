import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../errors/errors.js';
import { isValidationError } from '../errors/errors.js';
import {
  assertOptions,
  optionFunction,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionOneOf,
  optionRatio,
  optionString,
  withDefaults,
} from './options.js';

const DEFAULTS = Object.freeze({ maxRetries: 3, delayMs: 100 });

describe('withDefaults', () => {
  it('keeps the default when an option is undefined', () => {
    const settings = withDefaults(DEFAULTS, { maxRetries: undefined, delayMs: 5 });
    expect(settings).toEqual({ maxRetries: 3, delayMs: 5 });
  });

  it('keeps options that have no default and accepts undefined options', () => {
    expect(withDefaults(DEFAULTS, { extra: 'x' as string | undefined })).toEqual({ ...DEFAULTS, extra: 'x' });
    expect(withDefaults(DEFAULTS, undefined)).toEqual(DEFAULTS);
  });

  it('never mutates the defaults', () => {
    withDefaults(DEFAULTS, { maxRetries: 9 });
    expect(DEFAULTS.maxRetries).toBe(3);
  });
});

describe('assertOptions', () => {
  it('lists every failed check in one ValidationError', () => {
    let caught: unknown;
    try {
      assertOptions('retry', {
        maxRetries: optionInteger(-1, { min: 0, infinity: true }),
        delayMs: optionNumber(Number.NaN, { min: 0 }),
        handle: optionFunction(undefined),
      });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    const error = caught as ValidationError;
    expect(error.issues.map((issue) => issue.path[0])).toEqual(['maxRetries', 'delayMs']);
    expect(error.message).toContain('Invalid retry options (2 problems)');
    expect(error.message).toContain('must be an integer >= 0 or Infinity (got -1)');
  });

  it('does nothing when every check passes', () => {
    expect(() => assertOptions('x', { a: undefined })).not.toThrow();
  });
});

describe('option checks', () => {
  it('accepts Infinity only where allowed', () => {
    expect(optionInteger(Infinity, { min: 1, infinity: true })).toBeUndefined();
    expect(optionInteger(Infinity, { min: 1 })).toMatch(/got Infinity/);
    expect(optionNumber(Infinity, { min: 0 })).toMatch(/got Infinity/);
  });

  it('refuses fractions, NaN and values of the wrong type for integers', () => {
    expect(optionInteger(1.5, { min: 0 })).toMatch(/integer/);
    expect(optionInteger(Number.NaN)).toMatch(/got NaN/);
    expect(optionInteger('3')).toMatch(/got "3"/);
  });

  it('refuses a missing required value', () => {
    expect(optionNumber(undefined, { min: 0, exclusiveMin: true, required: true })).toMatch(/is required/);
    expect(optionNumber(0, { min: 0, exclusiveMin: true })).toMatch(/> 0/);
  });

  it('checks ratios, strings, literals and object kinds', () => {
    expect(optionRatio(1)).toBeUndefined();
    expect(optionRatio(1.1)).toMatch(/ratio/);
    expect(optionString('')).toMatch(/non-empty/);
    expect(optionOneOf('b', ['a'])).toMatch(/one of "a"/);
    expect(optionObject({ tryAcquire: () => true }, 'a RetryBudget', ['tryAcquire'])).toBeUndefined();
    expect(optionObject({}, 'a RetryBudget', ['tryAcquire'])).toMatch(/must be a RetryBudget/);
  });
});

describe('optionClock', () => {
  const partialClock = { now: () => 0, sleep: async () => {} };

  it('accepts a partial clock that has every method the component uses', () => {
    expect(optionClock(partialClock, ['now', 'sleep'])).toBeUndefined();
  });

  it('names the kind and the methods it needs when one is missing', () => {
    expect(optionClock({ now: () => 0 }, ['now', 'sleep'])).toBe(
      'must be a Clock (with now, sleep) (got an object).',
    );
  });

  it('needs every Clock method by default', () => {
    expect(optionClock(partialClock)).toBe(
      'must be a Clock (with now, setTimeout, setInterval, sleep) (got an object).',
    );
  });

  it('passes undefined (the default clock) and refuses values of another type', () => {
    expect(optionClock(undefined)).toBeUndefined();
    expect(optionClock(null, ['now'])).toBe('must be a Clock (with now) (got null).');
    expect(optionClock(42, ['now'])).toBe('must be a Clock (with now) (got 42).');
  });
});

describe('optionLogger', () => {
  const noop = (): void => {};
  const levels = { debug: noop, info: noop, warn: noop, error: noop };

  it('needs debug, info, warn and error by default', () => {
    expect(optionLogger(levels)).toBeUndefined();
    expect(optionLogger({ warn: noop, error: noop })).toBe(
      'must be a Logger (with debug, info, warn, error) (got an object).',
    );
  });

  it('accepts a partial logger that has every method the component uses', () => {
    expect(optionLogger({ warn: noop }, { uses: ['warn'] })).toBeUndefined();
    expect(optionLogger(levels, { uses: ['info', 'child'] })).toBe(
      'must be a Logger (with info, child) (got an object).',
    );
  });

  it('passes undefined unless the logger is required', () => {
    expect(optionLogger(undefined)).toBeUndefined();
    expect(optionLogger(undefined, { required: true })).toBe('is required: a Logger');
  });
});
