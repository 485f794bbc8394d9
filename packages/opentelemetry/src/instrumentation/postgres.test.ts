import { PGlite } from '@electric-sql/pglite';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, withSpan } from '@keel/core';
import { NO_STREAM } from '@keel/eventsourcing';
import type { NewEvent, RecordedEvent } from '@keel/eventsourcing';
import { defineInlineProjection, fromPglite, migrate, PostgresEventStore } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

const SCHEMA = 'es_otel';
let client: SqlClient;
beforeAll(async () => {
  client = fromPglite(await PGlite.create());
  await migrate(client, { schema: SCHEMA });
});
afterAll(() => client.close());

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

let streams = 0;
const freshStream = (): string => `account-${++streams}`;
const deposited = (amount: number): NewEvent => ({ type: 'Deposited', data: { amount } });
const store = (): PostgresEventStore => new PostgresEventStore(client, { schema: SCHEMA, notify: false });

async function take(events: AsyncIterable<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  for await (const event of events) {
    taken.push(event);
    if (taken.length === count) break;
  }
  return taken;
}

describe('PostgresEventStore instrumentation', () => {
  it('makes each append an append_to_stream client span with the database and stream attributes', async () => {
    const stream = freshStream();
    await store().appendToStream(stream, [deposited(1), deposited(2)], { expectedVersion: NO_STREAM });
    const span = kit.span('append_to_stream');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': SCHEMA,
      'db.operation.name': 'append_to_stream',
      'keel.stream.name': stream,
      'keel.event.count': 2,
      'keel.expected_version': 'no_stream',
      'keel.outcome': 'appended',
      'keel.stream.version': 2,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('counts appends, appended events and the append duration', async () => {
    const events = store();
    await events.appendToStream(freshStream(), [deposited(1), deposited(2)]);
    await events.appendToStream(freshStream(), [deposited(3)]);
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'appended' })).toBe(2);
    expect(await kit.value('keel.eventstore.events.appended', { 'db.namespace': SCHEMA })).toBe(3);
    const [duration] = await kit.points('db.client.operation.duration', {
      'db.operation.name': 'append_to_stream',
    });
    expect(duration).toMatchObject({ unit: 's', count: 2 });
  });

  it('fails the span of a version conflict with error.type and counts the conflict', async () => {
    const events = store();
    const stream = freshStream();
    await events.appendToStream(stream, [deposited(1)]);
    kit.resetSpans();
    await expect(events.appendToStream(stream, [deposited(2)], { expectedVersion: 0 })).rejects.toThrow(
      /version/,
    );
    const span = kit.span('append_to_stream');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'CONCURRENCY_CONFLICT',
      'keel.outcome': 'conflict',
      'keel.expected_version': 0,
    });
    expect(await kit.value('keel.eventstore.conflicts', { 'db.namespace': SCHEMA })).toBe(1);
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'conflict' })).toBe(1);
    const [failed] = await kit.points('db.client.operation.duration', {
      'error.type': 'CONCURRENCY_CONFLICT',
    });
    expect(failed?.count).toBe(1);
  });

  it('still refuses a bad append with its own error, failing the span and counting an error', async () => {
    const badName = 42 as unknown as string;
    await expect(store().appendToStream(badName, [deposited(1)])).rejects.toThrow(/stream/i);
    const span = kit.span('append_to_stream');
    expect(span.attributes['keel.stream.name']).toBeUndefined();
    expect(span.attributes['error.type']).toBe('VALIDATION_FAILED');
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'error' })).toBe(1);
  });

  it('reports an idempotent retry as recorded, without counting its events again', async () => {
    const events = store();
    const stream = freshStream();
    const batch = [{ ...deposited(1), eventId: `${stream}-e1` }];
    await events.appendToStream(stream, batch, { expectedVersion: NO_STREAM });
    await events.appendToStream(stream, batch, { expectedVersion: NO_STREAM });
    const outcomes = kit.spans().map((span) => span.attributes['keel.outcome']);
    expect(outcomes).toEqual(['appended', 'recorded']);
    expect(await kit.value('keel.eventstore.events.appended')).toBe(1);
  });

  it('nests the append under the caller span, and each inline projection under the append', async () => {
    const projection = defineInlineProjection({ name: 'balances', handlers: { Deposited: () => {} } });
    const events = new PostgresEventStore(client, { schema: SCHEMA, inlineProjections: [projection] });
    await withSpan('deposit command', {}, () => events.appendToStream(freshStream(), [deposited(5)]));
    const append = kit.span('append_to_stream');
    expect(append.parentSpanContext?.spanId).toBe(kit.span('deposit command').spanContext().spanId);
    const [project] = kit.childrenOf(append);
    expect(project?.name).toBe('project balances');
    expect(project?.attributes['keel.projection.name']).toBe('balances');
  });

  it('makes each page of readStream a read_stream span with the events it returned', async () => {
    const events = store();
    const stream = freshStream();
    await events.appendToStream(stream, [1, 2, 3, 4, 5].map(deposited));
    kit.resetSpans();
    const read = await take(events.readStream(stream, { pageSize: 2 }), 5);
    expect(read).toHaveLength(5);
    const pages = kit.spans().filter((span) => span.name === 'read_stream');
    expect(pages.map((span) => span.attributes['keel.event.count'])).toEqual([2, 2, 1]);
    expect(pages[0]?.attributes).toMatchObject({
      'db.operation.name': 'read_stream',
      'keel.stream.name': stream,
    });
    expect(
      (await kit.points('db.client.operation.duration', { 'db.operation.name': 'read_stream' }))[0]?.count,
    ).toBe(3);
  });

  it('makes each page of readAll a read_all span', async () => {
    const events = store();
    await events.appendToStream(freshStream(), [deposited(1)]);
    kit.resetSpans();
    await take(events.readAll({ maxCount: 1 }), 1);
    const span = kit.span('read_all');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({ 'db.operation.name': 'read_all', 'keel.event.count': 1 });
  });

  it('makes a subscription page a receive span linked to the traces the events were written in', async () => {
    const events = store();
    const stream = freshStream();
    const head = await events.headPosition();
    await withSpan('deposit command', {}, () =>
      events.appendToStream(stream, [
        createEvent('Deposited', { amount: 1 }),
        createEvent('Deposited', { amount: 2 }),
      ]),
    );
    const command = kit.span('deposit command').spanContext().spanId;
    kit.resetSpans();
    const received = await take(events.subscribeToAll({ fromPosition: head + 1 }), 2);
    expect(received.map((event) => event.streamName)).toEqual([stream, stream]);
    const receive = kit.span('receive $all');
    expect(receive.kind).toBe(SpanKind.CONSUMER);
    expect(receive.attributes).toMatchObject({
      'messaging.operation.type': 'receive',
      'messaging.batch.message_count': 2,
      'db.namespace': SCHEMA,
    });
    // Both events were created in the command's span: one distinct context, one link.
    expect(receive.links.map((link) => link.context.spanId)).toEqual([command]);
  });

  it('makes no span for a subscription poll that finds nothing, but still times it', async () => {
    const events = store();
    const controller = new AbortController();
    const subscription = events.subscribeToStream(freshStream(), { signal: controller.signal });
    const iterator = subscription[Symbol.asyncIterator]();
    const next = iterator.next().catch(() => undefined);
    const polls = async (): Promise<number> =>
      (await kit.points('db.client.operation.duration', { 'db.operation.name': 'read_stream' }))[0]?.count ??
      0;
    while ((await polls()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await next;
    expect(kit.spans().filter((span) => span.name.startsWith('receive'))).toEqual([]);
  });
});
