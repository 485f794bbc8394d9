import { createEvent } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNatsOptionError } from '../errors/errors.js';
import { NATS_TRANSPORT_DEFAULTS, redeliveryDelay, resolveNatsOptions } from './natsTransportOptions.js';
import type { NatsEventTransportOptions } from './natsTransportOptions.js';

function optionError(options: NatsEventTransportOptions): { option: string; message: string } {
  try {
    resolveNatsOptions(options);
  } catch (error) {
    if (isNatsOptionError(error)) return error;
    throw error;
  }
  throw new Error('resolveNatsOptions did not throw');
}

describe('resolveNatsOptions', () => {
  it('keeps the default of every option set to undefined', () => {
    const allUndefined = Object.fromEntries(
      Object.keys(NATS_TRANSPORT_DEFAULTS).map((key) => [key, undefined]),
    ) as NatsEventTransportOptions;
    const resolved = resolveNatsOptions({
      ...allUndefined,
      deadLetterSubject: undefined,
      filterSubjects: undefined,
    });
    expect(resolved).toEqual(resolveNatsOptions());
  });

  it('applies the documented defaults and derives the dead-letter names from the stream', () => {
    const resolved = resolveNatsOptions({ stream: 'ORDERS' });
    expect(resolved.subjectPrefix).toBe('keel.events');
    expect(resolved.maxDeliver).toBe(NATS_TRANSPORT_DEFAULTS.maxDeliver);
    expect(resolved.deadLetterSubject).toBe('keel.dead-letter.ORDERS');
    expect(resolved.deadLetterStream).toBe('ORDERS_DLQ');
    expect(resolved.filterSubjects).toEqual(['keel.events.>']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(NATS_TRANSPORT_DEFAULTS)).toBe(true);
  });

  it('maps an event to <subjectPrefix>.<type>, turning characters NATS reserves into underscores', () => {
    const { subject, subjectPrefix } = resolveNatsOptions({ subjectPrefix: 'orders' });
    expect(subject(createEvent('OrderPlaced', {}), subjectPrefix)).toBe('orders.OrderPlaced');
    expect(subject(createEvent('order.placed *now >', {}), subjectPrefix)).toBe('orders.order_placed__now__');
  });

  it.each<[string, NatsEventTransportOptions]>([
    ['stream', { stream: 'has.dot' }],
    ['stream', { stream: '' }],
    ['subjectPrefix', { subjectPrefix: 'orders.*' }],
    ['subjectPrefix', { subjectPrefix: 'orders.' }],
    ['durableName', { durableName: 'a b' }],
    ['ackWaitMs', { ackWaitMs: 0 }],
    ['maxDeliver', { maxDeliver: 0 }],
    ['maxDeliver', { maxDeliver: 1.5 }],
    ['backoffMs', { backoffMs: [] }],
    ['backoffMs', { backoffMs: [10, -1] }],
    ['concurrency', { concurrency: 0 }],
    ['prefetch', { prefetch: Infinity }],
    ['maxAckPending', { maxAckPending: -1 }],
    ['duplicateWindowMs', { duplicateWindowMs: 0 }],
    ['maxAgeMs', { maxAgeMs: -5 }],
    ['deliverPolicy', { deliverPolicy: 'last' as never }],
    ['storage', { storage: 'disk' as never }],
    ['heartbeat', { heartbeat: 'yes' as never }],
    ['createStream', { createStream: 1 as never }],
    ['publishTimeoutMs', { publishTimeoutMs: Number.NaN }],
    ['deadLetterSubject', { deadLetterSubject: 'dead.>' }],
    ['deadLetterSubject', { subjectPrefix: 'orders', deadLetterSubject: 'orders.dead' }],
    ['deadLetterStream', { deadLetterStream: 'x*y' }],
    ['filterSubjects', { filterSubjects: [] }],
    ['subject', { subject: 'orders' as never }],
    ['codec', { codec: {} as never }],
    ['replicas', { replicas: 0 }],
    ['replicas', { replicas: 6 }],
    ['replicas', { replicas: 2.5 }],
    ['failoverRetryMs', { failoverRetryMs: -1 }],
    ['failoverRetryMs', { failoverRetryMs: 116_000 }],
    ['failoverRetryMs', { duplicateWindowMs: 10_000, publishTimeoutMs: 2_000, failoverRetryMs: 9_000 }],
  ])('rejects an invalid "%s" with a NatsOptionError naming it', (option, options) => {
    const error = optionError(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}" must be`);
  });

  it('accepts one to five replicas', () => {
    expect([1, 3, 5].map((replicas) => resolveNatsOptions({ replicas }).replicas)).toEqual([1, 3, 5]);
    expect(resolveNatsOptions().replicas).toBe(1);
  });

  it('shrinks the default failoverRetryMs so every retry stays inside a short duplicate window', () => {
    expect(resolveNatsOptions().failoverRetryMs).toBe(20_000);
    const short = resolveNatsOptions({ duplicateWindowMs: 10_000, publishTimeoutMs: 2_000 });
    expect(short.failoverRetryMs).toBe(8_000);
    expect(resolveNatsOptions({ duplicateWindowMs: 1_000 }).failoverRetryMs).toBe(0);
  });

  it('explains a failoverRetryMs longer than the duplicate window allows', () => {
    const error = optionError({ duplicateWindowMs: 10_000, publishTimeoutMs: 2_000, failoverRetryMs: 9_000 });
    expect(error.message).toContain('at most duplicateWindowMs - publishTimeoutMs = 8000 ms');
  });

  it('accepts deadLetterSubject: false to terminate failed events without a copy', () => {
    expect(resolveNatsOptions({ deadLetterSubject: false }).deadLetterSubject).toBe(false);
  });
});

describe('redeliveryDelay', () => {
  it('uses the n-th backoff value after the n-th failure and repeats the last one', () => {
    expect([1, 2, 3, 4, 9].map((n) => redeliveryDelay([10, 20, 30], n))).toEqual([10, 20, 30, 30, 30]);
  });

  it('always returns one of the configured delays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1 }),
        fc.integer({ min: 0, max: 1_000 }),
        (backoff, failures) => {
          expect(backoff).toContain(redeliveryDelay(backoff, failures));
        },
      ),
      { seed: 7 },
    );
  });
});
