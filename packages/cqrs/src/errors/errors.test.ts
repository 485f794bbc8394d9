import { createEvent, isKeelError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import {
  CQRS_ERROR_CODES,
  DuplicateHandlerError,
  EventBusClosedError,
  EventDeliveryError,
  IdempotencyClaimLostError,
  IdempotencyInProgressError,
  InvalidOptionError,
  isDuplicateHandlerError,
  isEventBusClosedError,
  isEventDeliveryError,
  isIdempotencyClaimLostError,
  isIdempotencyInProgressError,
  isInvalidOptionError,
  isNoHandlerError,
  NoHandlerError,
} from './errors.js';

describe('cqrs errors', () => {
  it('are KeelErrors whose guards recognise only their own code', () => {
    const errors = [
      new NoHandlerError('command', 'A'),
      new DuplicateHandlerError('query', 'B'),
      new EventDeliveryError([]),
      new InvalidOptionError('concurrency', 'an integer', 0),
      new IdempotencyInProgressError('k', 10),
      new IdempotencyClaimLostError('k', 'another worker holds it'),
      new EventBusClosedError('publish'),
    ];
    const guards = [
      isNoHandlerError,
      isDuplicateHandlerError,
      isEventDeliveryError,
      isInvalidOptionError,
      isIdempotencyInProgressError,
      isIdempotencyClaimLostError,
      isEventBusClosedError,
    ];
    const matrix = errors.map((error) => guards.map((guard) => guard(error)));
    expect(matrix).toEqual(errors.map((_, row) => guards.map((_guard, column) => row === column)));
    expect(errors.every((error) => isKeelError(error))).toBe(true);
  });

  it('are recognised when they come from another loaded copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { code: CQRS_ERROR_CODES.noHandler });
    Object.defineProperty(foreign, Symbol.for('@keel/error'), { value: true });
    expect(isNoHandlerError(foreign)).toBe(true);
  });

  it('flattens nested delivery errors into one list of failures', () => {
    const event = createEvent('Opened', {});
    const inner = new EventDeliveryError([{ event, handler: 'h', error: new Error('x') }]);
    expect(EventDeliveryError.failuresOf(event, 'outer', inner)).toEqual(inner.failures);
    const wrapped = EventDeliveryError.failuresOf(event, 'outer', 'oops');
    expect(wrapped[0]!.handler).toBe('outer');
    expect(wrapped[0]!.error).toBeInstanceOf(Error);
  });
});
