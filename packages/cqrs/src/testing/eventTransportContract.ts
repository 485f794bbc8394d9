import assert from 'node:assert/strict';
import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import { createEventBus } from '../eventBus/eventBus.js';
import type { EventTransport, TransportHandler } from '../transport/eventTransport.js';
import { assertEqual } from '@keel/core/testing';
import { DeliveryRecorder } from './deliveryRecorder.js';
import { defineClosingTests, numbered } from './eventTransportClosingContract.js';
import type { Open } from './eventTransportClosingContract.js';
import { eventually } from './eventually.js';
import { defineValueTests } from './eventTransportValuesContract.js';

/**
 * Builds the transport under test on a channel of its own (for a broker: its own stream,
 * subjects and consumer), with nothing published yet. The suite closes it after each test.
 * Brokers should redeliver a failed event quickly (well under a second) so the suite stays fast.
 */
export type EventTransportFactory = () => EventTransport | Promise<EventTransport>;

/**
 * The behaviour every {@link EventTransport} must have, as a test suite for any runner: every
 * published event reaches a subscriber unchanged (headers included, so trace context survives)
 * and as JSON carries it (a `Date` as its string; BigInt, NaN or a Map refused before anything of
 * the call is sent), events of one type arrive in publish order, concurrent publishes lose and
 * repeat nothing, a failed handler never silently drops its event (the publisher hears of it or
 * it is delivered again), closed subscriptions and transports receive nothing more and abort the
 * signal of handlers still running (with core's `CancelledError`), a closed transport refuses
 * `publish` and `subscribe` with an error `isTransportClosedError` recognises, and an aborted
 * signal is honoured first, before anything is sent or subscribed. Call it from a test file of
 * your transport. Its checks use `node:assert`, so it needs no particular test runner.
 *
 * @param name Names the suite.
 * @param createTransport Returns a fresh transport on its own channel.
 * @param options `runner`: the test functions to register with; by default the global
 *   `describe`, `it`, `beforeEach` and `afterEach` (Jest, Mocha, Bun, Vitest with `globals: true`).
 * @throws `ValidationError` from `@keel/core` when no runner is given and the globals are missing.
 * @example
 * ```ts
 * // With the runner's globals (Jest, Mocha, Bun, Vitest with `globals: true`):
 * eventTransportContract('InProcessEventTransport', () => new InProcessEventTransport());
 *
 * // Under node:test (or Vitest without globals), pass the runner's functions:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * eventTransportContract('InProcessEventTransport', () => new InProcessEventTransport(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function eventTransportContract(
  name: string,
  createTransport: EventTransportFactory,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  const { describe, afterEach } = runner;
  describe(`EventTransport contract: ${name}`, () => {
    const opened: EventTransport[] = [];
    const open: Open = async () => {
      const transport = await createTransport();
      opened.push(transport);
      return transport;
    };
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((transport) => transport.close()));
    });
    describe('delivery', () => defineDeliveryTests(runner, open));
    describe('values', () => defineValueTests(runner, open));
    describe('failures', () => defineFailureTests(runner, open));
    describe('closing and cancelling', () => defineClosingTests(runner, open));
  });
}

function defineDeliveryTests({ it }: ContractRunner, open: Open): void {
  it('delivers a published event with its type, data and metadata, headers included, unchanged', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const event = createEvent(
      'Deposited',
      { accountId: 'a-1', amount: 5, note: 'ünïcode ✓', tags: ['x', null], nested: { ok: true } },
      {
        metadata: {
          correlationId: 'flow-1',
          causationId: 'cmd-1',
          tenantId: 'tenant-1',
          headers: {
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            tracestate: 'keel=1',
            aggregateId: 'a-1',
          },
        },
      },
    );
    await transport.publish([event]);
    await recorder.receivedAll([event]);
    assertEqual(
      recorder.received.map((entry) => entry.event),
      [event],
    );
  });

  it('hands every delivery a signal that is not aborted while the subscription is open', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const event = numbered(1);
    await transport.publish([event]);
    await recorder.receivedAll([event]);
    const { signal } = recorder.received[0]!.delivery;
    assert.ok(signal instanceof AbortSignal, `expected an AbortSignal, got ${String(signal)}`);
    assert.equal(signal.aborted, false, 'the delivery signal is aborted while the subscription is open');
  });

  it('delivers the events of one type in the order they were published, within and across calls', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const first = Array.from({ length: 12 }, (_, n) => numbered(n));
    const second = Array.from({ length: 12 }, (_, n) => numbered(12 + n));
    await transport.publish(first);
    await transport.publish(second);
    await recorder.receivedAll([...first, ...second]);
    assert.deepEqual(
      recorder.ids(),
      [...first, ...second].map((event) => event.metadata.messageId),
    );
  });

  it('delivers every event of concurrent publishes exactly once, each call’s events in order', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const batches = Array.from({ length: 5 }, (_, b) =>
      Array.from({ length: 8 }, (_, n) => numbered(b * 100 + n, `Batch${b}`)),
    );
    await Promise.all(batches.map((batch) => transport.publish(batch)));
    const sentinel = numbered(-1, 'Sentinel');
    await transport.publish([sentinel]);
    await recorder.receivedAll([...batches.flat(), sentinel]);
    for (const event of [...batches.flat(), sentinel])
      assert.equal(
        recorder.count(event.metadata.messageId),
        1,
        `event ${event.type} delivered more or less than once`,
      );
    for (const batch of batches) {
      const ids = new Set(batch.map((event) => event.metadata.messageId));
      assert.deepEqual(
        recorder.ids().filter((id) => ids.has(id)),
        [...ids],
      );
    }
  });

  it('keeps event types with dots, spaces and wildcard characters exactly as published', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    const events = ['order.placed', 'Order Placed', 'a*b>c', 'ünï'].map((type) => createEvent(type, {}));
    await transport.publish(events);
    await recorder.receivedAll(events);
    assert.deepEqual(
      recorder.received.map(({ event }) => event.type).sort(),
      events.map((event) => event.type).sort(),
    );
  });

  it('accepts a publish of no events and keeps delivering afterwards', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder();
    await transport.subscribe(recorder.handler);
    await transport.publish([]);
    const event = numbered(1);
    await transport.publish([event]);
    await recorder.receivedAll([event]);
    assert.deepEqual(recorder.ids(), [event.metadata.messageId]);
  });

  it('carries events from a publishing event bus to the handlers of a consuming one', async () => {
    const transport = await open();
    const producer = createEventBus({ transport });
    const consumer = createEventBus();
    const seen: Message[] = [];
    consumer.subscribe('Opened', (event) => void seen.push(event));
    await consumer.consume(transport);
    const event = createEvent('Opened', { id: 'a' });
    await producer.publish([event]);
    await eventually('the consuming bus to handle the event', () => seen.length > 0);
    assertEqual(seen, [event]);
    await consumer.close();
  });
}

function defineFailureTests({ it }: ContractRunner, open: Open): void {
  it('never drops an event whose handler failed: the publisher is told or it is delivered again', async () => {
    const transport = await open();
    const failure = new Error('handler failed once');
    const recorder = new DeliveryRecorder((_event, _delivery) => {
      if (recorder.received.length === 1) throw failure;
    });
    await transport.subscribe(recorder.handler);
    const event = numbered(1);
    let reported: unknown;
    await transport.publish([event]).catch((error: unknown) => (reported = error));
    const id = event.metadata.messageId;
    await eventually('the failure to be reported or the event redelivered', () => {
      return reported !== undefined || recorder.count(id) >= 2;
    });
    if (reported !== undefined)
      assert.ok(reported instanceof Error, `the publisher was told ${String(reported)}, not an Error`);
    else assert.deepEqual(recorder.ids(), [id, id]);
  });

  it('treats a handler that throws synchronously like one that rejects', async () => {
    const transport = await open();
    const seen: string[] = [];
    const throwing = ((event: Message): Promise<void> => {
      seen.push(event.metadata.messageId);
      if (seen.length === 1) throw new Error('thrown before any promise');
      return Promise.resolve();
    }) as TransportHandler;
    await transport.subscribe(throwing);
    const [first, second] = [numbered(1), numbered(2)];
    let reported: unknown;
    await transport.publish([first]).catch((error: unknown) => (reported = error));
    await transport.publish([second]).catch(() => undefined);
    const redelivered = () => seen.filter((id) => id === first.metadata.messageId).length >= 2;
    await eventually('the failure to be reported or the event redelivered, and the next event', () => {
      return (reported !== undefined || redelivered()) && seen.includes(second.metadata.messageId);
    });
    assert.equal(seen[0], first.metadata.messageId);
  });

  it('keeps delivering later events after a handler failed', async () => {
    const transport = await open();
    const recorder = new DeliveryRecorder(({ type }) => {
      if (type === 'Poison') throw new Error('always fails');
    });
    await transport.subscribe(recorder.handler);
    const poison = createEvent('Poison', {});
    await transport.publish([poison]).catch(() => undefined);
    const later = numbered(2);
    await transport.publish([later]).catch(() => undefined);
    await recorder.receivedAll([poison, later]);
    assert.equal(
      recorder.count(later.metadata.messageId),
      1,
      'the event after the failing one was not delivered once',
    );
  });
}
