import assert from 'node:assert/strict';
import { createEvent, isKeelError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { assertEqual } from '@keel/core/testing';
import { DeliveryRecorder } from './deliveryRecorder.js';
import type { Open } from './eventTransportClosingContract.js';
import { numbered } from './eventTransportClosingContract.js';

/** Serialization errors of any transport: core's `SERIALIZATION_FAILED` or a transport's own `…_SERIALIZATION_FAILED`. */
const isSerializationFailure = (error: unknown): boolean =>
  isKeelError(error) && error.code.endsWith('SERIALIZATION_FAILED');

/** What a subscriber gets of an event's values, and what a transport refuses: JSON on every transport. */
export function defineValueTests({ it }: ContractRunner, open: Open): void {
  it('delivers data as JSON carries it: a Date as its ISO string, undefined properties left out', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const event = createEvent('Stamped', { at: new Date(0), gone: undefined, list: [1, 'two'] });
    await transport.publish([event]);
    await recorder.receivedAll([event]);
    assertEqual(recorder.received[0]!.event.data, { at: '1970-01-01T00:00:00.000Z', list: [1, 'two'] });
  });

  it('hands subscribers a frozen event that is not the publisher’s object', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const event = numbered(1);
    await transport.publish([event]);
    await recorder.receivedAll([event]);
    const { event: received } = recorder.received[0]!;
    assert.notEqual(received, event, 'the subscriber got the publisher’s own object');
    assert.equal(Object.isFrozen(received), true, 'the delivered event is not frozen');
    assert.equal(Object.isFrozen(received.metadata), true, 'the delivered event’s metadata is not frozen');
  });

  for (const [what, data] of [
    ['a BigInt', { amount: 10n }],
    ['NaN', { amount: Number.NaN }],
    ['a Map', { lines: new Map([['a', 1]]) }],
  ] as const) {
    it(`refuses an event holding ${what} with a serialization error and delivers nothing of the call`, async () => {
      const transport = await open();
      const recorder = new DeliveryRecorder();
      await transport.subscribe(recorder.handler);
      const fine = numbered(1);
      const error = await transport.publish([fine, createEvent('Bad', data)]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      assert.equal(
        isSerializationFailure(error),
        true,
        `expected a serialization error, got ${String(error)}`,
      );
      const after = numbered(2);
      await transport.publish([after]);
      await recorder.receivedAll([after]);
      assert.deepEqual(recorder.ids(), [after.metadata.messageId]);
    });
  }
}
