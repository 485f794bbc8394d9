import { createEvent, isCancelledError } from '@keel/core';
import type { Message } from '@keel/core';
import { expect, it } from 'vitest';
import type { EventTransport, TransportSubscription } from '../transport/eventTransport.js';
import { isTransportClosedError } from '../transport/transportClosedError.js';
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

/** Closing subscriptions and transports, and cancelling, for `eventTransportContract`. */
export function defineClosingTests(open: Open): void {
  defineCloseTests(open);
  defineAbortTests(open);
  defineClosedTransportTests(open);
}

function defineCloseTests(open: Open): void {
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
    expect(closed.received).toEqual([]);
  });

  it('lets a subscription be closed twice', async () => {
    const transport = await open();
    const subscription = await transport.subscribe(new DeliveryRecorder().handler);
    await subscription.close();
    await expect(subscription.close()).resolves.toBeUndefined();
  });

  it('aborts the signal of a handler still running when its subscription closes, with a CancelledError', async () => {
    const transport = await open();
    const { subscription, signal, publishing } = await runningHandler(transport);
    await subscription.close();
    expect(signal.aborted).toBe(true);
    expect(isCancelledError(signal.reason)).toBe(true);
    await publishing;
  });

  it('aborts the signal of a handler still running when the transport closes', async () => {
    const transport = await open();
    const { signal, publishing } = await runningHandler(transport);
    await transport.close();
    expect(signal.aborted).toBe(true);
    expect(isCancelledError(signal.reason)).toBe(true);
    await publishing;
  });
}

function defineAbortTests(open: Open): void {
  it('rejects subscribe with the abort reason when the signal is already aborted, and delivers nothing to it', async () => {
    const transport = await open();
    const reason = new Error('gave up');
    const refused = new DeliveryRecorder();
    await expect(transport.subscribe(refused.handler, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    const current = new DeliveryRecorder();
    await transport.subscribe(current.handler);
    const event = numbered(1);
    await transport.publish([event]);
    await current.receivedAll([event]);
    expect(refused.received).toEqual([]);
  });

  it('rejects publish with the abort reason when the signal is already aborted, and sends nothing', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const reason = new Error('stop');
    const dropped = numbered(1);
    await expect(transport.publish([dropped], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const sent = numbered(2);
    await transport.publish([sent]);
    await recorder.receivedAll([sent]);
    expect(recorder.ids()).toEqual([sent.metadata.messageId]);
  });
}

function defineClosedTransportTests(open: Open): void {
  it('stops every subscription when the transport closes, and close can be called again', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const before = numbered(1);
    await transport.publish([before]);
    await recorder.receivedAll([before]);
    await transport.close();
    await transport.publish([numbered(2)]).catch(() => undefined);
    await expect(transport.close()).resolves.toBeUndefined();
    expect(recorder.ids()).toEqual([before.metadata.messageId]);
  });

  it('refuses publish after close with a transport-closed error, and delivers nothing', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    await transport.close();
    const error = await transport.publish([numbered(1)]).catch((caught: unknown) => caught);
    expect(isTransportClosedError(error)).toBe(true);
    expect(recorder.received).toEqual([]);
  });

  it('refuses subscribe after close with a transport-closed error', async () => {
    const transport = await open();
    await transport.close();
    const error = await transport
      .subscribe(new DeliveryRecorder().handler)
      .catch((caught: unknown) => caught);
    expect(isTransportClosedError(error)).toBe(true);
  });

  it('checks an aborted signal before refusing a closed transport', async () => {
    const transport = await open();
    await transport.close();
    const reason = new Error('stop');
    const signal = AbortSignal.abort(reason);
    await expect(transport.publish([numbered(1)], { signal })).rejects.toBe(reason);
    await expect(transport.subscribe(new DeliveryRecorder().handler, { signal })).rejects.toBe(reason);
  });
}
