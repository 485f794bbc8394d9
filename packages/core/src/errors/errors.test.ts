import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ConcurrencyError,
  isCancelledError,
  isConcurrencyError,
  isNotFoundError,
  isTimeoutError,
  isValidationError,
  NotFoundError,
  TimeoutError,
  ValidationError,
} from './errors.js';
import { isKeelError, KeelError, toError } from './keelError.js';

/** Builds an error the way a second loaded copy of @keel/core would: same brand, other class. */
function fromAnotherCopy(code: string): Error {
  const error = new Error('from another copy') as Error & { code: string };
  error.code = code;
  Object.defineProperty(error, Symbol.for('@keel/error'), { value: true });
  return error;
}

describe('KeelError', () => {
  it('carries a stable code, the cause and frozen details', () => {
    const cause = new Error('socket closed');
    const error = new KeelError('STORE_UNAVAILABLE', 'The store is down.', {
      cause,
      details: { host: 'db' },
    });
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ host: 'db' });
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(error.name).toBe('KeelError');
  });

  it('names subclasses after themselves', () => {
    expect(new NotFoundError('Order', 'o-1').name).toBe('NotFoundError');
  });

  it('is recognised by isKeelError, optionally by code', () => {
    const error = new KeelError('X', 'x');
    expect(isKeelError(error)).toBe(true);
    expect(isKeelError(error, 'X')).toBe(true);
    expect(isKeelError(error, 'Y')).toBe(false);
    expect(isKeelError(new Error('plain'))).toBe(false);
    expect(isKeelError('X')).toBe(false);
    expect(isKeelError(null)).toBe(false);
  });
});

describe('shared errors', () => {
  it('ValidationError lists every issue with its path', () => {
    const error = new ValidationError(
      [
        { path: ['items', 0, 'price'], message: 'must be positive' },
        { path: [], message: 'order is empty' },
      ],
      { subject: 'PlaceOrder command' },
    );
    expect(error.message).toBe(
      'Invalid PlaceOrder command (2 problems): items[0].price: must be positive; (root): order is empty',
    );
    expect(error.issues).toHaveLength(2);
    expect(error.code).toBe('VALIDATION_FAILED');
  });

  it('ConcurrencyError says the expected and actual versions and what to do', () => {
    const error = new ConcurrencyError({ subject: 'account-42', expected: 3, actual: 5 });
    expect(error.message).toBe('Expected "account-42" at version 3 but it is at 5; reload and retry.');
    expect(error.expected).toBe(3);
    expect(error.actual).toBe(5);
  });

  it('NotFoundError, TimeoutError and CancelledError describe themselves', () => {
    expect(new NotFoundError('Order', 'o-7').message).toBe('Order "o-7" was not found.');
    expect(new TimeoutError(250, { operation: 'Query' }).message).toBe('Query timed out after 250 ms.');
    expect(new CancelledError().code).toBe('CANCELLED');
  });

  it.each([
    ['VALIDATION_FAILED', isValidationError],
    ['CONCURRENCY_CONFLICT', isConcurrencyError],
    ['NOT_FOUND', isNotFoundError],
    ['TIMEOUT', isTimeoutError],
    ['CANCELLED', isCancelledError],
  ] as const)('the guard for %s works across two loaded copies of the package', (code, guard) => {
    expect(guard(fromAnotherCopy(code))).toBe(true);
    expect(guard(fromAnotherCopy('SOMETHING_ELSE'))).toBe(false);
    expect(guard(Object.assign(new Error('unbranded'), { code }))).toBe(false);
  });

  it('each guard accepts its own class and rejects the others', () => {
    expect(isTimeoutError(new TimeoutError(1))).toBe(true);
    expect(isTimeoutError(new CancelledError())).toBe(false);
    expect(isNotFoundError(new NotFoundError('A', 'b'))).toBe(true);
  });
});

describe('toError', () => {
  it('passes errors through and wraps anything else with the value as cause', () => {
    const error = new Error('x');
    expect(toError(error)).toBe(error);
    const wrapped = toError('boom');
    expect(isKeelError(wrapped, 'UNKNOWN_ERROR')).toBe(true);
    expect(wrapped.message).toContain('"boom"');
    expect(wrapped.cause).toBe('boom');
  });

  it('passes an error of another realm (a vm context) through instead of wrapping it', () => {
    const foreign: unknown = runInNewContext('new TypeError("from another realm")');
    expect(toError(foreign)).toBe(foreign);
  });
});
