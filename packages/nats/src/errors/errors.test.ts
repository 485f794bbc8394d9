import { describe, expect, it } from 'vitest';
import {
  isNatsDeliveryLimitError,
  isNatsInvalidSubjectError,
  isNatsOptionError,
  isNatsPublishError,
  isNatsSerializationError,
  isNatsSetupError,
  isNatsTransportClosedError,
  NATS_ERROR_CODES,
  NatsDeliveryLimitError,
  NatsPublishError,
  NatsSetupError,
  NatsTransportClosedError,
} from './errors.js';

/** Builds an error the way a second loaded copy of the package would: same brand, other class. */
function fromAnotherCopy(code: string): Error {
  const error = Object.assign(new Error('from another copy'), { code });
  Object.defineProperty(error, Symbol.for('@keel/error'), { value: true });
  return error;
}

describe('NATS errors', () => {
  it.each([
    [NATS_ERROR_CODES.invalidOption, isNatsOptionError],
    [NATS_ERROR_CODES.invalidSubject, isNatsInvalidSubjectError],
    [NATS_ERROR_CODES.serialization, isNatsSerializationError],
    [NATS_ERROR_CODES.publish, isNatsPublishError],
    [NATS_ERROR_CODES.setup, isNatsSetupError],
    [NATS_ERROR_CODES.closed, isNatsTransportClosedError],
    [NATS_ERROR_CODES.deliveryLimit, isNatsDeliveryLimitError],
  ] as const)('the guard for %s works across two loaded copies of the package', (code, guard) => {
    expect(guard(fromAnotherCopy(code))).toBe(true);
    expect(guard(fromAnotherCopy('OTHER'))).toBe(false);
    expect(guard(Object.assign(new Error('unbranded'), { code }))).toBe(false);
  });

  it('a publish error says how many events were stored and that retrying is safe', () => {
    const error = new NatsPublishError(
      { subject: 'orders.Placed', messageId: 'm-3', failedIndex: 2, total: 5 },
      { cause: new Error('no responders') },
    );
    expect(error.message).toBe(
      'JetStream did not accept event 3 of 5 (m-3) on "orders.Placed": no responders. 2 event(s) before it were stored; ' +
        'publish the batch again (duplicates are dropped by message id) after checking that a stream captures the subject (call ensureStream()).',
    );
    expect(error.published).toBe(2);
  });

  it('setup, closed and delivery-limit errors say what to do', () => {
    expect(new NatsSetupError('stream "S"', 'Enable JetStream.').message).toBe(
      'Could not set up stream "S". Enable JetStream.',
    );
    expect(new NatsTransportClosedError('publish').message).toContain('Create a new transport');
    const limit = new NatsDeliveryLimitError('m-1', 6, 5);
    expect(limit.message).toContain('delivered 6 times (maxDeliver 5)');
    expect(limit.deliveryCount).toBe(6);
  });
});
