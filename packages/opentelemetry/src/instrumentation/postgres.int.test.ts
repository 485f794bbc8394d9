import pg from 'pg';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, withSpan } from '@keel/core';
import type { EventPublisher, Message } from '@keel/core';
import { NO_STREAM } from '@keel/eventsourcing';
import { fromPgPool, migrate, PostgresEventStore, PostgresOutbox, quoteIdentifier } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgreSQL instrumentation on a real server', () => {
  const schema = uniqueName('keel_otel');
  let client: SqlClient;
  let kit: OtelTestKit;
  beforeAll(async () => {
    client = fromPgPool(new pg.Pool({ connectionString: serviceUrl('postgres'), max: 4 }));
    await migrate(client, { schema });
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await client.close();
  });
  beforeEach(() => {
    kit = otelTestKit();
  });
  afterEach(() => kit.close());

  it('traces concurrent appends to one stream: one appended, the other a failed conflict span', async () => {
    const store = new PostgresEventStore(client, { schema });
    const stream = uniqueName('account');
    const attempts = [1, 2].map((amount) =>
      store.appendToStream(stream, [createEvent('Deposited', { amount })], { expectedVersion: NO_STREAM }),
    );
    const settled = await Promise.allSettled(attempts);
    expect(settled.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const spans = kit.spans().filter((span) => span.name === 'append_to_stream');
    expect(spans.map((span) => span.attributes['keel.outcome']).sort()).toEqual(['appended', 'conflict']);
    const failed = spans.find((span) => span.status.code === SpanStatusCode.ERROR);
    expect(failed?.attributes).toMatchObject({
      'error.type': 'CONCURRENCY_CONFLICT',
      'db.namespace': schema,
    });
    expect(await kit.value('keel.eventstore.conflicts', { 'db.namespace': schema })).toBe(1);
    expect(await kit.value('keel.eventstore.appends', { 'db.namespace': schema })).toBe(2);
  });

  it('carries a request trace through the outbox table to the relay publish on another client', async () => {
    const outbox = new PostgresOutbox(client, { schema });
    const topic = uniqueName('topic');
    await withSpan('place order', {}, () =>
      client.transaction((tx) => outbox.enqueue(tx, [createEvent('OrderPlaced', {})], { topic })),
    );
    const received: Message[] = [];
    const publisher: EventPublisher = { publish: async (events) => void received.push(...events) };
    // A second pool stands in for the relay's process: only the stored row connects the two.
    const relayClient = fromPgPool(new pg.Pool({ connectionString: serviceUrl('postgres'), max: 1 }));
    try {
      const relay = new PostgresOutbox(relayClient, { schema }).createRelay(publisher, { topic });
      expect(await relay.dispatchOnce()).toMatchObject({ published: 1 });
    } finally {
      await relayClient.close();
    }
    const publish = kit.span(`publish ${topic}`);
    expect(publish.spanContext().traceId).toBe(kit.span('place order').spanContext().traceId);
    // The event was created in the request span, so it carries that context, which the outbox keeps.
    expect(publish.parentSpanContext?.spanId).toBe(kit.span('place order').spanContext().spanId);
    expect(kit.span(`create ${topic}`).parentSpanContext?.spanId).toBe(
      kit.span('place order').spanContext().spanId,
    );
    expect(received[0]?.metadata.headers.traceparent).toContain(publish.spanContext().traceId);
    expect(await kit.value('keel.outbox.backlog', { 'keel.outbox.topic': topic })).toBe(0);
  });
});
