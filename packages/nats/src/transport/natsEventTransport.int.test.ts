import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { createEventBus } from '@keel/cqrs';
import { serviceAvailable } from '@keel/test-services';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEL_HEADERS } from '../codec/headers.js';
import { jsonEventCodec } from '../codec/jsonEventCodec.js';
import {
  isNatsPublishError,
  isNatsSerializationError,
  isNatsSetupError,
  isNatsTransportClosedError,
} from '../errors/errors.js';
import { deferred, eventually, NatsTestKit } from '../internal/natsTestKit.fixture.js';
import type { NatsDelivery } from './natsDelivery.js';

const up = await serviceAvailable('nats');

describe.runIf(up)('NatsEventTransport on a real NATS JetStream server', () => {
  const kit = new NatsTestKit();
  beforeAll(async () => {
    await kit.connect();
  });
  afterAll(() => kit.cleanup());

  it('carries an event from one event bus to another with its data and metadata intact', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const producer = createEventBus({ transport });
    const consumer = createEventBus();
    const received: Message[] = [];
    consumer.subscribe('Deposited', async (event) => void received.push(event));
    const stop = await consumer.consume(transport);

    const event = createEvent(
      'Deposited',
      { accountId: 'a-1', amount: 5 },
      { metadata: { headers: { aggregateId: 'a-1' } } },
    );
    await producer.publish([event]);
    await eventually('the event to arrive', () => received.length === 1);

    expect(received[0]).toEqual(event);
    await stop();
  });

  it('delivers an event published twice with the same message id only once', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const event = createEvent('Deposited', { amount: 1 });
    const sentinel = createEvent('Sentinel', {});
    await transport.publish([event]);
    await transport.publish([event]);
    await transport.publish([sentinel]);

    const seen: string[] = [];
    await transport.subscribe(async (received) => void seen.push(received.metadata.messageId));
    await eventually('the sentinel', () => seen.includes(sentinel.metadata.messageId));

    expect(seen).toEqual([event.metadata.messageId, sentinel.metadata.messageId]);
    expect((await kit.storedMessages(names.stream)).length).toBe(2);
  });

  it('redelivers an event whose handler failed twice, and acknowledges it once the handler succeeds', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, maxDeliver: 5 });
    await transport.ensureStream();
    const deliveries: number[] = [];
    await transport.subscribe(async (_event, delivery: NatsDelivery) => {
      deliveries.push(delivery.deliveryCount);
      if (deliveries.length <= 2) throw new Error(`transient failure #${deliveries.length}`);
    });
    await transport.publish([createEvent('Deposited', { amount: 2 })]);

    const jsm = await kit.manager();
    await eventually('the ack', async () => {
      const info = await jsm.consumers.info(names.stream, names.durableName);
      return info.ack_floor.stream_seq === 1 && info.num_ack_pending === 0;
    });
    expect(deliveries).toEqual([1, 2, 3]);
    expect((await jsm.streams.info(`${names.stream}_DLQ`)).state.messages).toBe(0);
  });

  it('retries through an event bus: a handler failing twice runs three times and then succeeds', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const bus = createEventBus({ transport });
    let calls = 0;
    const done = deferred();
    bus.subscribe('Deposited', async () => {
      calls++;
      if (calls <= 2) throw new Error('not yet');
      done.resolve();
    });
    await bus.consume(transport);
    await bus.publish([createEvent('Deposited', { amount: 3 })]);
    await done.promise;
    expect(calls).toBe(3);
    await bus.close();
  });

  it('sends a poison event to the dead-letter subject with error info after maxDeliver attempts', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, maxDeliver: 3, backoffMs: [20] });
    await transport.ensureStream();
    const bus = createEventBus({ transport });
    let calls = 0;
    bus.subscribe('Deposited', async function rejectDeposit() {
      calls++;
      throw new Error('amount\nis poison');
    });
    await bus.consume(transport);
    const poison = createEvent('Deposited', { amount: -1 });
    await bus.publish([poison]);

    const dlq = `${names.stream}_DLQ`;
    await eventually('the dead letter', async () => (await kit.storedMessages(dlq)).length === 1);
    const [letter] = await kit.storedMessages(dlq);
    expect(letter!.subject).toBe(`keel.dead-letter.${names.stream}`);
    expect(jsonEventCodec.decode(letter!.data)).toEqual(poison);
    expect(letter!.header.get(KEEL_HEADERS.errorCode)).toBe('CQRS_EVENT_DELIVERY_FAILED');
    expect(letter!.header.get(KEEL_HEADERS.errorMessage)).toContain('rejectDeposit on Deposited');
    expect(letter!.header.get(KEEL_HEADERS.errorMessage)).toContain('amount is poison');
    expect(letter!.header.get(KEEL_HEADERS.deliveryCount)).toBe('3');
    expect(letter!.header.get(KEEL_HEADERS.originalSubject)).toBe(`${names.subjectPrefix}.Deposited`);
    expect(letter!.header.get(KEEL_HEADERS.originalSequence)).toBe('1');
    expect(letter!.header.get(KEEL_HEADERS.consumer)).toBe(names.durableName);
    const jsm = await kit.manager();
    await eventually('the original to be acknowledged', async () => {
      const info = await jsm.consumers.info(names.stream, names.durableName);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    expect(calls).toBe(3);
  });

  it('dead-letters a message that is not a valid event without calling the handler', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    let calls = 0;
    await transport.subscribe(async () => void calls++);
    await jetstream(await kit.connect()).publish(
      `${names.subjectPrefix}.Garbage`,
      new TextEncoder().encode('{not json'),
    );

    const dlq = `${names.stream}_DLQ`;
    await eventually('the dead letter', async () => (await kit.storedMessages(dlq)).length === 1);
    const [letter] = await kit.storedMessages(dlq);
    expect(letter!.header.get(KEEL_HEADERS.errorCode)).toBe('NATS_SERIALIZATION_FAILED');
    expect(letter!.header.get(KEEL_HEADERS.deliveryCount)).toBe('1');
    expect(calls).toBe(0);
  });

  it('keeps the event of a slow handler from being redelivered by sending in-progress heartbeats', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, ackWaitMs: 300 });
    await transport.ensureStream();
    const deliveries: number[] = [];
    const done = deferred();
    await transport.subscribe(async (_event, delivery: NatsDelivery) => {
      deliveries.push(delivery.deliveryCount);
      await new Promise((resolve) => setTimeout(resolve, 900));
      done.resolve();
    });
    await transport.publish([createEvent('Slow', {})]);
    await done.promise;
    const jsm = await kit.manager();
    await eventually(
      'the ack',
      async () => (await jsm.consumers.info(names.stream, names.durableName)).num_ack_pending === 0,
    );
    expect(deliveries).toEqual([1]);
  });

  it('dead-letters an event delivered more than maxDeliver times without an ack (a crashing handler)', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, maxDeliver: 1, ackWaitMs: 200 });
    await transport.ensureStream();
    const setup = await transport.subscribe(async () => {});
    await setup.close();
    await transport.publish([createEvent('Crashes', {})]);
    // A worker that "crashes": it receives the event and never acknowledges it.
    const crashed = await jetstream(await kit.connect()).consumers.get(names.stream, names.durableName);
    expect(await crashed.next({ expires: 1_000 })).not.toBeNull();

    let calls = 0;
    await transport.subscribe(async () => void calls++);
    const dlq = `${names.stream}_DLQ`;
    await eventually('the dead letter', async () => (await kit.storedMessages(dlq)).length === 1);
    const [letter] = await kit.storedMessages(dlq);
    expect(letter!.header.get(KEEL_HEADERS.errorCode)).toBe('NATS_DELIVERY_LIMIT_REACHED');
    expect(letter!.header.get(KEEL_HEADERS.deliveryCount)).toBe('2');
    expect(calls).toBe(0);
  });

  it('keeps consuming after the connection reconnects', async () => {
    const names = kit.names();
    const connection = await kit.connect({ reconnectTimeWait: 50 });
    const transport = await kit.transport(names, connection);
    await transport.ensureStream();
    const seen: number[] = [];
    await transport.subscribe(async (event) => void seen.push((event.data as { n: number }).n));
    await transport.publish([createEvent('Numbered', { n: 1 })]);
    await eventually('the first event', () => seen.length === 1);

    const reconnected = (async () => {
      for await (const status of connection.status()) if (status.type === 'reconnect') return;
    })();
    await connection.reconnect();
    await reconnected;
    await transport.publish([createEvent('Numbered', { n: 2 })]);
    await eventually('the event published after the reconnect', () => seen.length === 2);
    expect(seen).toEqual([1, 2]);
  });

  it('stores nothing from a batch holding an event that cannot be encoded', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const batch = [createEvent('Fine', {}), createEvent('Broken', { big: 1n })];
    await expect(transport.publish(batch)).rejects.toSatisfy(isNatsSerializationError);
    const jsm = await kit.manager();
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(0);
  });

  it('resumes a durable consumer after a restart with the unacknowledged and new events only', async () => {
    const names = kit.names();
    const producer = await kit.transport(names);
    await producer.ensureStream();
    const [e1, e2, e3, e4, e5] = [1, 2, 3, 4, 5].map((n) => createEvent('Numbered', { n }));

    const first = await kit.transport(names);
    const firstSeen: number[] = [];
    const thirdStarted = deferred();
    await first.subscribe(async (event, { signal }) => {
      const { n } = event.data as { n: number };
      firstSeen.push(n);
      if (n !== 3) return;
      thirdStarted.resolve();
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    });
    await producer.publish([e1!, e2!, e3!]);
    await thirdStarted.promise;
    await first.close(); // event 3 is interrupted mid-handler, so it was never acknowledged
    await producer.publish([e4!, e5!]);

    const second = await kit.transport(names, await kit.connect());
    const secondSeen: number[] = [];
    await second.subscribe(async (event) => void secondSeen.push((event.data as { n: number }).n));
    await eventually('events 3 to 5 after the restart', () => secondSeen.length >= 3);
    const sentinel = createEvent('Numbered', { n: 6 });
    await producer.publish([sentinel]);
    await eventually('the sentinel', () => secondSeen.includes(6));

    expect(firstSeen).toEqual([1, 2, 3]);
    expect(secondSeen).toEqual([3, 4, 5, 6]);
  });

  it('hands events of one subject to the handler in publish order while other subjects run concurrently', async () => {
    const names = kit.names();
    const transport = await kit.transport({
      ...names,
      concurrency: 4,
      subject: (event, prefix) => `${prefix}.${event.metadata.headers['aggregateId']}`,
    });
    await transport.ensureStream();
    const events = Array.from({ length: 30 }, (_, i) =>
      createEvent('Step', { i }, { metadata: { headers: { aggregateId: `agg${i % 3}` } } }),
    );
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let maxInFlight = 0;
    await transport.subscribe(async (event) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ((event.data as { i: number }).i * 7) % 5));
      const key = event.metadata.headers['aggregateId']!;
      seen.set(key, [...(seen.get(key) ?? []), (event.data as { i: number }).i]);
      inFlight--;
    });
    await transport.publish(events);
    await eventually('all 30 events', () => [...seen.values()].flat().length === 30);

    for (const [key, order] of seen) {
      const published = events.filter((e) => e.metadata.headers['aggregateId'] === key).map((e) => e.data.i);
      expect(order).toEqual(published);
    }
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('keeps strict order through a redelivery when maxAckPending is 1', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, maxAckPending: 1 });
    await transport.ensureStream();
    const attempts: number[] = [];
    let failedOnce = false;
    await transport.subscribe(async (event) => {
      const { n } = event.data as { n: number };
      attempts.push(n);
      if (n === 1 && !failedOnce) {
        failedOnce = true;
        throw new Error('transient');
      }
    });
    await transport.publish([1, 2, 3].map((n) => createEvent('Numbered', { n })));
    await eventually('all three events', () => attempts.includes(3));
    expect(attempts).toEqual([1, 1, 2, 3]);
  });

  it('creates the stream on first use when createStream is set, and ensureStream can run again', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, createStream: true });
    await transport.publish([createEvent('Deposited', { amount: 1 })]);
    await transport.ensureStream();
    const jsm = await kit.manager();
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(1);
  });

  it('adds its subjects to an existing stream instead of failing', async () => {
    const names = kit.names();
    const jsm = await kit.manager();
    await jsm.streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}_other.>`] });
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const { config } = await jsm.streams.info(names.stream);
    expect(config.subjects).toEqual([`${names.subjectPrefix}_other.>`, `${names.subjectPrefix}.>`]);
    expect(config.duplicate_window).toBe(120_000 * 1_000_000);
  });

  it('rejects ensureStream with a NatsSetupError when another stream captures the subjects', async () => {
    const names = kit.names();
    await (await kit.transport(names)).ensureStream();
    const rival = await kit.transport({ ...kit.names(), subjectPrefix: names.subjectPrefix });
    await expect(rival.ensureStream()).rejects.toSatisfy(isNatsSetupError);
  });

  it('stops a subscription that finishes starting after its signal aborted', async () => {
    const names = kit.names();
    const transport = await kit.transport(names);
    await transport.ensureStream();
    const controller = new AbortController();
    const abandonedCalls: unknown[] = [];
    const abandoned = transport.subscribe(async (event) => void abandonedCalls.push(event), {
      signal: controller.signal,
    });
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(abandoned).rejects.toBe(reason);

    const seen: unknown[] = [];
    await transport.subscribe(async (event) => void seen.push(event));
    await transport.publish(Array.from({ length: 10 }, (_, n) => createEvent('Numbered', { n })));
    await eventually('all ten events', () => seen.length === 10);
    expect(abandonedCalls).toEqual([]);
  });

  it('rejects a publish with a NatsPublishError after bounded retries when no stream captures the subject', async () => {
    const transport = await kit.transport({ ...kit.names(), publishTimeoutMs: 1_000, failoverRetryMs: 300 });
    const error = await transport.publish([createEvent('Deposited', {})]).catch((e: unknown) => e);
    expect(isNatsPublishError(error)).toBe(true);
    // No server answers for the subject, which looks like a leader election: retried, within the bound.
    expect((error as { attempts: number }).attempts).toBeGreaterThan(1);
  });

  it('rejects a subscription with a NatsSetupError when the stream does not exist', async () => {
    const transport = await kit.transport(kit.names());
    const error = await transport.subscribe(async () => {}).catch((e: unknown) => e);
    expect(isNatsSetupError(error)).toBe(true);
  });

  it('refuses to publish or subscribe once closed', async () => {
    const transport = await kit.transport(kit.names());
    await transport.close();
    await expect(transport.publish([])).rejects.toSatisfy(isNatsTransportClosedError);
    await expect(transport.subscribe(async () => {})).rejects.toSatisfy(isNatsTransportClosedError);
  });

  it('rejects with the abort reason when the signal is already aborted', async () => {
    const transport = await kit.transport(kit.names());
    const reason = new Error('stop');
    await expect(transport.publish([], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(transport.subscribe(async () => {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    await expect(transport.ensureStream({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
