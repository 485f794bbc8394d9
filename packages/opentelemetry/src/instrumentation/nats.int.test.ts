import { PGlite } from '@electric-sql/pglite';
import { connect, headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, withSpan } from '@keel/core';
import type { Message } from '@keel/core';
import { NatsEventTransport } from '@keel/nats';
import type { NatsEventTransportOptions, NatsHandler } from '@keel/nats';
import { fromPglite, migrate, PostgresInbox, PostgresOutbox } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

const REMOTE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const up = await serviceAvailable('nats');

describe.runIf(up)('NATS transport instrumentation on a real NATS server', () => {
  let connection: NatsConnection;
  const streams: string[] = [];
  const transports: NatsEventTransport[] = [];
  let kit: OtelTestKit;

  beforeAll(async () => {
    connection = await connect({ servers: serviceUrl('nats'), name: 'keel-otel-tests' });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(connection);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await connection.close();
  });
  beforeEach(() => {
    kit = otelTestKit();
  });
  afterEach(async () => {
    await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
    await kit.close();
  });

  /** A transport on a fresh stream, subject prefix and durable consumer, with fast timings. */
  async function transport(options: NatsEventTransportOptions = {}) {
    const name = uniqueName('keel_otel');
    streams.push(name, `${name}_DLQ`);
    const created = new NatsEventTransport(connection, {
      stream: name,
      subjectPrefix: name,
      durableName: `${name}_consumer`,
      storage: 'memory',
      ackWaitMs: 2_000,
      backoffMs: [20],
      ...options,
    });
    transports.push(created);
    await created.ensureStream();
    return { transport: created, prefix: name, durable: `${name}_consumer` };
  }

  /** Waits until `count` spans named `name` have ended, and returns them. */
  async function ended(name: string, count = 1): Promise<ReadableSpan[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = kit.spans().filter((span) => span.name === name);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for ${count} "${name}" span(s):\n${kit.tree()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const parentOf = (span: ReadableSpan | undefined): string | undefined => span?.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

  it('follows one trace from the publisher span through NATS headers to the handler span', async () => {
    const { transport: nats, prefix, durable } = await transport();
    await nats.subscribe(async () => withSpan('apply deposit', {}, async () => undefined));
    const deposited = createEvent('Deposited', { amount: 1 });
    await withSpan('request', {}, () => nats.publish([deposited]));
    const subject = `${prefix}.Deposited`;
    const [process] = await ended(`process ${subject}`);
    const publish = kit.span(`publish ${subject}`);
    const request = kit.span('request');

    const traceIds = new Set(
      [request, publish, process!, kit.span('apply deposit')].map((s) => s.spanContext().traceId),
    );
    expect(traceIds.size).toBe(1);
    expect(parentOf(publish)).toBe(idOf(request));
    expect(parentOf(process)).toBe(idOf(publish));
    expect(parentOf(kit.span('apply deposit'))).toBe(idOf(process!));
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': subject,
      'messaging.consumer.group.name': durable,
      'messaging.message.id': deposited.metadata.messageId,
      'messaging.message.conversation_id': deposited.metadata.correlationId,
      'keel.message.type': 'Deposited',
      'keel.delivery.attempt': 1,
    });
  });

  it('writes the publish span context into the traceparent header of the stored message', async () => {
    const { transport: nats, prefix } = await transport();
    await nats.publish([createEvent('Deposited', {})]);
    const publish = kit.span(`publish ${prefix}.Deposited`);
    const jsm = await jetstreamManager(connection);
    const stored = await jsm.streams.getMessage(prefix, { seq: 1 });
    const { traceId, spanId } = publish.spanContext();
    expect(stored?.header.get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('counts sent and consumed messages and times publishing and processing', async () => {
    const { transport: nats, prefix } = await transport();
    await nats.subscribe(async () => undefined);
    await nats.publish([createEvent('Deposited', { n: 1 }), createEvent('Deposited', { n: 2 })]);
    const subject = `${prefix}.Deposited`;
    await ended(`process ${subject}`, 2);
    const destination = { 'messaging.destination.name': subject };
    expect(await kit.value('messaging.client.sent.messages', destination)).toBe(2);
    expect(await kit.value('messaging.client.consumed.messages', destination)).toBe(2);
    expect((await kit.points('messaging.client.operation.duration', destination))[0]).toMatchObject({
      count: 2,
      unit: 's',
    });
    expect((await kit.points('messaging.process.duration', destination))[0]).toMatchObject({
      count: 2,
      unit: 's',
    });
  });

  it('continues the trace an event carries when it is published outside any span', async () => {
    const { transport: nats, prefix } = await transport();
    await nats.subscribe(async () => undefined);
    await nats.publish([createEvent('Deposited', {}, { metadata: { headers: { traceparent: REMOTE } } })]);
    const [process] = await ended(`process ${prefix}.Deposited`);
    const publish = kit.span(`publish ${prefix}.Deposited`);
    expect(publish.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parentOf(publish)).toBe('00f067aa0ba902b7');
    expect(parentOf(process)).toBe(idOf(publish));
  });

  it('records a failed delivery as a failed span with a redelivery event, and the retry as attempt 2', async () => {
    const { transport: nats, prefix } = await transport({ maxDeliver: 3 });
    let calls = 0;
    await nats.subscribe(async () => {
      if (++calls === 1) throw new TypeError('database busy');
    });
    await nats.publish([createEvent('Deposited', {})]);
    const subject = `${prefix}.Deposited`;
    const [first, second] = await ended(`process ${subject}`, 2);
    expect(first?.status.code).toBe(SpanStatusCode.ERROR);
    expect(first?.attributes['error.type']).toBe('TypeError');
    expect(first?.events.map((event) => event.name)).toContain('redelivery');
    expect(first?.events.find((event) => event.name === 'redelivery')?.attributes).toMatchObject({
      'keel.delivery.attempt': 1,
      'keel.redelivery.delay_ms': 20,
    });
    expect(second?.attributes['keel.delivery.attempt']).toBe(2);
    expect(second?.status.code).toBe(SpanStatusCode.UNSET);
    expect(parentOf(second)).toBe(parentOf(first));
    expect(await kit.value('keel.nats.redeliveries', { 'messaging.destination.name': subject })).toBe(1);
    expect(await kit.value('messaging.client.consumed.messages', { 'error.type': 'TypeError' })).toBe(1);
  });

  it('records dead-lettering as an event and a metric on the last delivery', async () => {
    const { transport: nats, prefix } = await transport({ maxDeliver: 1 });
    await nats.subscribe(async () => Promise.reject(new RangeError('poison')));
    await nats.publish([createEvent('Deposited', {})]);
    const subject = `${prefix}.Deposited`;
    const [process] = await ended(`process ${subject}`);
    expect(process?.status.code).toBe(SpanStatusCode.ERROR);
    const deadLetter = process?.events.find((event) => event.name === 'dead_letter');
    expect(deadLetter?.attributes).toMatchObject({
      'keel.dead_letter.subject': `keel.dead-letter.${prefix}`,
      'error.type': 'RangeError',
    });
    expect(await kit.value('keel.nats.dead_letters', { 'error.type': 'RangeError' })).toBe(1);
    expect(await kit.value('keel.nats.redeliveries')).toBe(0);
  });

  it('fails the span of an undecodable message, dead-letters it and keeps the sender trace', async () => {
    const { transport: nats, prefix } = await transport();
    let handled = 0;
    await nats.subscribe(async () => void handled++);
    const wire = headers();
    wire.set('traceparent', REMOTE);
    await jetstream(connection).publish(`${prefix}.Garbled`, 'not json', { headers: wire });
    const [process] = await ended(`process ${prefix}.Garbled`);
    expect(handled).toBe(0);
    expect(parentOf(process)).toBe('00f067aa0ba902b7');
    expect(process?.attributes['error.type']).toBe('NATS_SERIALIZATION_FAILED');
    expect(process?.events.map((event) => event.name)).toContain('dead_letter');
    expect(await kit.value('keel.nats.dead_letters', { 'error.type': 'NATS_SERIALIZATION_FAILED' })).toBe(1);
  });

  describe('across a PostgreSQL outbox and inbox', () => {
    let client: SqlClient;
    beforeAll(async () => {
      client = fromPglite(await PGlite.create());
      await migrate(client, { schema: 'otel_hop' });
    });
    afterAll(() => client.close());

    it('links request, outbox, relay, NATS and inbox into one trace', async () => {
      const { transport: nats, prefix } = await transport();
      const outbox = new PostgresOutbox(client, { schema: 'otel_hop' });
      const inbox = new PostgresInbox(client, 'billing', { schema: 'otel_hop' });
      const handled: Message[] = [];
      const handler: NatsHandler = inbox.wrap(async (event) => void handled.push(event));
      await nats.subscribe(handler);
      const placed = createEvent('OrderPlaced', { orderId: 'o-1' });
      await withSpan('place order', {}, () => outbox.enqueue(client, [placed]));
      expect(await outbox.createRelay(nats).dispatchOnce()).toMatchObject({ published: 1 });
      const subject = `${prefix}.OrderPlaced`;
      const [inboxSpan] = await ended('inbox billing');

      const chain = [
        'place order',
        'create default',
        'publish default',
        `publish ${subject}`,
        `process ${subject}`,
      ];
      const spans = [...chain.map((name) => kit.span(name)), inboxSpan!];
      expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
      for (let index = 1; index < spans.length; index++) {
        expect(parentOf(spans[index]), `${spans[index]!.name} under ${spans[index - 1]!.name}`).toBe(
          idOf(spans[index - 1]!),
        );
      }
      expect(handled.map((event) => event.metadata.messageId)).toEqual([placed.metadata.messageId]);
      expect(inboxSpan?.attributes['keel.outcome']).toBe('processed');
    });
  });
});
