import { KeelError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEEL_HEADERS } from '../codec/headers.js';
import { deadLetterHeaderValues, errorCodeOf, keptHeaders, MAX_HEADER_TEXT, oneLine } from './deadLetter.js';

const facts = {
  deliveryCount: 5,
  subject: 'orders.Placed',
  stream: 'ORDERS',
  sequence: 42,
  consumer: 'billing',
  failedAt: '2026-01-01T00:00:00.000Z',
};

describe('dead-letter headers', () => {
  it('carry the error code and message, the delivery count and where the event came from', () => {
    const values = deadLetterHeaderValues({
      ...facts,
      error: new KeelError('ORDER_LOCKED', 'Order is\r\nlocked'),
    });
    expect(values).toEqual({
      [KEEL_HEADERS.errorCode]: 'ORDER_LOCKED',
      [KEEL_HEADERS.errorMessage]: 'Order is locked',
      [KEEL_HEADERS.deliveryCount]: '5',
      [KEEL_HEADERS.originalSubject]: 'orders.Placed',
      [KEEL_HEADERS.originalStream]: 'ORDERS',
      [KEEL_HEADERS.originalSequence]: '42',
      [KEEL_HEADERS.consumer]: 'billing',
      [KEEL_HEADERS.failedAt]: '2026-01-01T00:00:00.000Z',
    });
  });

  it('name errors without a code by their class, and thrown non-errors as UNKNOWN_ERROR', () => {
    expect(errorCodeOf(new TypeError('x'))).toBe('TypeError');
    expect(errorCodeOf('a string')).toBe('UNKNOWN_ERROR');
    expect(deadLetterHeaderValues({ ...facts, error: 'plain' })[KEEL_HEADERS.errorMessage]).toBe('plain');
  });

  it('never hold a line break and never exceed the length limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3_000 }), (text) => {
        const line = oneLine(text);
        expect(/[\r\n]/.test(line)).toBe(false);
        expect(line.length).toBeLessThanOrEqual(MAX_HEADER_TEXT);
      }),
      { seed: 11 },
    );
  });

  it('keep the original headers except JetStream own Nats-* headers', () => {
    const original: [string, string[]][] = [
      ['Nats-Msg-Id', ['m-1']],
      ['Keel-Event-Type', ['Placed']],
      ['X-Trace', ['a', 'b']],
    ];
    expect(keptHeaders(original)).toEqual([
      ['Keel-Event-Type', 'Placed'],
      ['X-Trace', 'a'],
      ['X-Trace', 'b'],
    ]);
    expect(keptHeaders(undefined)).toEqual([]);
  });
});
