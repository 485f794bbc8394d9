import { PGlite } from '@electric-sql/pglite';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, ManualClock, withSpan } from '@keel/core';
import type { EventPublisher, Message } from '@keel/core';
import { fromPglite, migrate, PostgresInbox, PostgresOutbox } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

const REMOTE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let client: SqlClient;
let schemas = 0;
beforeAll(async () => {
  client = fromPglite(await PGlite.create());
});
afterAll(() => client.close());

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

async function freshOutbox(clock = new ManualClock(1_000_000)) {
  const schema = `outbox_otel_${++schemas}`;
  await migrate(client, { schema });
  return { schema, clock, outbox: new PostgresOutbox(client, { schema, clock }) };
}

/** A publisher that records what it got (and fails while `failing` is set). */
function recordingPublisher(failing = false): EventPublisher & { received: Message[] } {
  const received: Message[] = [];
  return {
    received,
    async publish(events) {
      if (failing) throw new Error('broker down');
      received.push(...events);
    },
  };
}

describe('outbox instrumentation', () => {
  it('stores the enqueue span context with a message that had none, and publishes under it', async () => {
    const { outbox, schema } = await freshOutbox();
    const placed = createEvent('OrderPlaced', { orderId: 'o-1' }); // created outside any span
    await withSpan('place order', {}, () => outbox.enqueue(client, [placed]));
    const publisher = recordingPublisher();
    await outbox.createRelay(publisher).dispatchOnce();

    const create = kit.span('create default');
    expect(create.kind).toBe(SpanKind.PRODUCER);
    expect(create.attributes).toMatchObject({
      'messaging.operation.type': 'create',
      'messaging.destination.name': 'default',
      'messaging.batch.message_count': 1,
      'db.namespace': schema,
    });
    const { traceId, spanId } = create.spanContext();
    expect(placed.metadata.headers.traceparent).toBeUndefined(); // the caller's object is untouched
    expect(publisher.received[0]?.metadata.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    const publish = kit.span('publish default');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.spanContext().traceId).toBe(kit.span('place order').spanContext().traceId);
    expect(publish.parentSpanContext?.spanId).toBe(spanId);
    expect(publish.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.message.id': placed.metadata.messageId,
      'messaging.message.conversation_id': placed.metadata.correlationId,
      'keel.message.type': 'OrderPlaced',
      'keel.delivery.attempt': 1,
    });
  });

  it('still refuses a message without metadata inside a span, writing nothing', async () => {
    const { outbox } = await freshOutbox();
    const broken = { type: 'OrderPlaced', data: {} } as unknown as Message;
    await withSpan('place order', {}, async () => {
      await expect(outbox.enqueue(client, [createEvent('OrderPlaced', {}), broken])).rejects.toThrow(
        /messageId/,
      );
    });
    expect(kit.span('create default').attributes['error.type']).toBe('VALIDATION_FAILED');
    expect((await outbox.stats()).pending).toBe(0);
  });

  it('keeps the trace context a message already carries', async () => {
    const { outbox } = await freshOutbox();
    const placed = createEvent('OrderPlaced', {}, { metadata: { headers: { traceparent: REMOTE } } });
    await withSpan('unrelated', {}, () => outbox.enqueue(client, [placed]));
    const publisher = recordingPublisher();
    await outbox.createRelay(publisher).dispatchOnce();
    expect(publisher.received[0]?.metadata.headers.traceparent).toBe(REMOTE);
    const publish = kit.span('publish default');
    expect(publish.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(publish.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('links the stored context when the relay runs inside a span of its own', async () => {
    const { outbox } = await freshOutbox();
    await outbox.enqueue(client, [
      createEvent('OrderPlaced', {}, { metadata: { headers: { traceparent: REMOTE } } }),
    ]);
    await withSpan('relay round', {}, () => outbox.createRelay(recordingPublisher()).dispatchOnce());
    const publish = kit.span('publish default');
    expect(publish.parentSpanContext?.spanId).toBe(kit.span('relay round').spanContext().spanId);
    expect(publish.links.map((link) => link.context.spanId)).toEqual(['00f067aa0ba902b7']);
  });

  it('fails the publish span of a message the publisher refuses and counts it as retried', async () => {
    const { outbox } = await freshOutbox();
    await outbox.enqueue(client, [createEvent('OrderPlaced', {})]);
    await outbox.createRelay(recordingPublisher(true), { maxAttempts: 2 }).dispatchOnce();
    const publish = kit.span('publish default');
    expect(publish.status.code).toBe(SpanStatusCode.ERROR);
    expect(publish.attributes['error.type']).toBe('Error');
    expect(await kit.value('keel.outbox.messages', { 'keel.outcome': 'retried' })).toBe(1);
    expect(await kit.value('keel.outbox.messages', { 'keel.outcome': 'published' })).toBe(0);
  });

  it('counts a message given up after its last attempt as failed', async () => {
    const { outbox } = await freshOutbox();
    await outbox.enqueue(client, [createEvent('OrderPlaced', {})]);
    await outbox.createRelay(recordingPublisher(true), { maxAttempts: 1 }).dispatchOnce();
    expect(await kit.value('keel.outbox.messages', { 'keel.outcome': 'failed' })).toBe(1);
    expect(await kit.value('keel.outbox.backlog', { 'keel.outbox.topic': 'default' })).toBe(0);
  });

  it('reports the backlog and the age of the oldest pending message after a round', async () => {
    const { outbox, clock } = await freshOutbox();
    await outbox.enqueue(
      client,
      [1, 2, 3].map((n) => createEvent('OrderPlaced', { n })),
    );
    clock.advance(5_000);
    await outbox.enqueue(client, [createEvent('OrderPlaced', { n: 4 })]);
    clock.advance(2_000);
    const relay = outbox.createRelay(recordingPublisher(), { batchSize: 1 });
    await relay.dispatchOnce();
    expect(await kit.value('keel.outbox.messages', { 'keel.outcome': 'published' })).toBe(1);
    expect(await kit.value('keel.outbox.backlog', { 'keel.outbox.topic': 'default' })).toBe(3);
    const [age] = await kit.points('keel.outbox.oldest_age', { 'keel.outbox.topic': 'default' });
    expect(age).toMatchObject({ unit: 's', value: 7 });
  });

  it('measures the backlog at most once per poll interval', async () => {
    const { outbox, clock } = await freshOutbox();
    await outbox.enqueue(
      client,
      [1, 2].map((n) => createEvent('OrderPlaced', { n })),
    );
    const relay = outbox.createRelay(recordingPublisher(), { batchSize: 1, pollIntervalMs: 1_000 });
    await relay.dispatchOnce();
    await relay.dispatchOnce(); // within the interval: the gauge keeps the first value
    expect(await kit.value('keel.outbox.backlog')).toBe(1);
    clock.advance(1_000);
    await relay.dispatchOnce();
    expect(await kit.value('keel.outbox.backlog')).toBe(0);
    expect(await kit.value('keel.outbox.messages', { 'keel.outcome': 'published' })).toBe(2);
  });
});

describe('inbox instrumentation', () => {
  it('continues the message trace in an inbox span and counts a redelivery as a duplicate', async () => {
    const { schema } = await freshOutbox();
    const inbox = new PostgresInbox(client, 'billing', { schema });
    const placed = createEvent('OrderPlaced', {}, { metadata: { headers: { traceparent: REMOTE } } });
    expect((await inbox.handle(placed, async () => 'invoiced')).status).toBe('processed');
    expect((await inbox.handle(placed, async () => 'again')).status).toBe('duplicate');
    const spans = kit.spans().filter((span) => span.name === 'inbox billing');
    expect(spans.map((span) => span.attributes['keel.outcome'])).toEqual(['processed', 'duplicate']);
    expect(spans[0]?.kind).toBe(SpanKind.CONSUMER);
    expect(spans[0]?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spans[0]?.attributes).toMatchObject({
      'messaging.consumer.group.name': 'billing',
      'messaging.message.id': placed.metadata.messageId,
    });
    expect(await kit.value('keel.inbox.duplicates', { 'messaging.consumer.group.name': 'billing' })).toBe(1);
  });

  it('fails the inbox span when the handler throws', async () => {
    const { schema } = await freshOutbox();
    const inbox = new PostgresInbox(client, 'billing', { schema });
    await expect(
      inbox.handle(createEvent('OrderPlaced', {}), async () => Promise.reject(new TypeError('bad invoice'))),
    ).rejects.toThrow('bad invoice');
    const span = kit.span('inbox billing');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('TypeError');
  });
});
