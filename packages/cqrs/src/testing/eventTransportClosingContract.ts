import assert from 'node:assert/strict';
import { createEvent, isCancelledError } from '@keel/core';
import type { Message } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import type { EventTransport, TransportSubscription } from '../transport/eventTransport.js';
import { isTransportClosedError } from '../transport/transportClosedError.js';
import { assertRejectsWith } from '@keel/core/testing';
import { DeliveryRecorder } from './deliveryRecorder.js';
import { eventually } from './eventually.js';

/** Opens a fresh transport that the suite closes after the test. */
export type Open = () => Promise<EventTransport>;

/** An event of `type` numbered `n`. */
export const numbered = (n: number, type = 'Numbered'): Message => createEvent(type, { n });

/**
 * Subscribes a handler that waits until its signal aborts (failing the wait after the contract's
 * delivery wait), publishes one event and resolves once the handler runs.
 */
async function runningHandler(transport: EventTransport) {
  let signal: AbortSignal | undefined;
  const subscription: TransportSubscription = await transport.subscribe(async (_event, delivery) => {
    signal = delivery.signal;
    await eventually('the delivery signal to abort', () => delivery.signal.aborted);
  });
  const publishing = transport.publish([numbered(1)]).catch(() => undefined);
  await eventually('the handler to start', () => signal !== undefined);
  return { subscription, signal: signal!, publishing };
}

/** Asserts the signal of a running handler was aborted with core's `CancelledError`. */
function assertAbortedWithCancelledError(signal: AbortSignal): void {
  assert.equal(signal.aborted, true, 'the signal of the running handler was not aborted');
  const { reason } = signal as { reason: unknown };
  assert.equal(
    isCancelledError(reason),
    true,
    `expected a CancelledError as the reason, got ${String(reason)}`,
  );
}

/** Closing subscriptions and transports, and cancelling, for `eventTransportContract`. */
export function defineClosingTests(runner: ContractRunner, open: Open): void {
  defineCloseTests(runner, open);
  defineAbortTests(runner, open);
  defineClosedTransportTests(runner, open);
}

function defineCloseTests({ it }: ContractRunner, open: Open): void {
  it('delivers nothing to a closed subscription, while a newer one gets the events', async () => {
    const transport = await open();
    const closed = new DeliveryRecorder();
    const subscription = await transport.subscribe(closed.handler);
    await subscription.close();
    const current = new DeliveryRecorder();
    await transport.subscribe(current.handler);
    const events = [numbered(1), numbered(2)];
    await transport.publish(events);
    await current.receivedAll(events);
    assert.deepEqual(closed.ids(), [], 'the closed subscription received events');
  });

  it('lets a subscription be closed twice', async () => {
    const transport = await open();
    const subscription = await transport.subscribe(new DeliveryRecorder().handler);
    await subscription.close();
    assert.equal(await subscription.close(), undefined);
  });

  it('aborts the signal of a handler still running when its subscription closes, with a CancelledError', async () => {
    const transport = await open();
    const { subscription, signal, publishing } = await runningHandler(transport);
    await subscription.close();
    assertAbortedWithCancelledError(signal);
    await publishing;
  });

  it('aborts the signal of a handler still running when the transport closes', async () => {
    const transport = await open();
    const { signal, publishing } = await runningHandler(transport);
    await transport.close();
    assertAbortedWithCancelledError(signal);
    await publishing;
  });
}

function defineAbortTests({ it }: ContractRunner, open: Open): void {
  it('rejects subscribe with the abort reason when the signal is already aborted, and delivers nothing to it', async () => {
    const transport = await open();
    const reason = new Error('gave up');
    const refused = new DeliveryRecorder();
    await assertRejectsWith(
      transport.subscribe(refused.handler, { signal: AbortSignal.abort(reason) }),
      reason,
    );
    const current = new DeliveryRecorder();
    await transport.subscribe(current.handler);
    const event = numbered(1);
    await transport.publish([event]);
    await current.receivedAll([event]);
    assert.deepEqual(refused.ids(), [], 'the refused subscription received events');
  });

  it('rejects publish with the abort reason when the signal is already aborted, and sends nothing', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const reason = new Error('stop');
    const dropped = numbered(1);
    await assertRejectsWith(transport.publish([dropped], { signal: AbortSignal.abort(reason) }), reason);
    const sent = numbered(2);
    await transport.publish([sent]);
    await recorder.receivedAll([sent]);
    assert.deepEqual(recorder.ids(), [sent.metadata.messageId]);
  });
}

function defineClosedTransportTests({ it }: ContractRunner, open: Open): void {
  it('stops every subscription when the transport closes, and close can be called again', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const before = numbered(1);
    await transport.publish([before]);
    await recorder.receivedAll([before]);
    await transport.close();
    await transport.publish([numbered(2)]).catch(() => undefined);
    assert.equal(await transport.close(), undefined);
    assert.deepEqual(recorder.ids(), [before.metadata.messageId]);
  });

  it('refuses publish after close with a transport-closed error, and delivers nothing', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    await transport.close();
    const error = await transport.publish([numbered(1)]).catch((caught: unknown) => caught);
    assert.equal(
      isTransportClosedError(error),
      true,
      `expected a transport-closed error, got ${String(error)}`,
    );
    assert.deepEqual(recorder.ids(), [], 'the subscription of a closed transport received events');
  });

  it('refuses subscribe after close with a transport-closed error', async () => {
    const transport = await open();
    await transport.close();
    const error = await transport
      .subscribe(new DeliveryRecorder().handler)
      .catch((caught: unknown) => caught);
    assert.equal(
      isTransportClosedError(error),
      true,
      `expected a transport-closed error, got ${String(error)}`,
    );
  });

  it('checks an aborted signal before refusing a closed transport', async () => {
    const transport = await open();
    await transport.close();
    const reason = new Error('stop');
    const signal = AbortSignal.abort(reason);
    await assertRejectsWith(transport.publish([numbered(1)], { signal }), reason);
    await assertRejectsWith(transport.subscribe(new DeliveryRecorder().handler, { signal }), reason);
  });
}
