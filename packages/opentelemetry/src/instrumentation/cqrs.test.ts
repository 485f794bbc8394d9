import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommand, createEvent, ManualClock, TRACEPARENT } from '@keel/core';
import type { Message, StandardSchemaV1 } from '@keel/core';
import {
  correlationMiddleware,
  createCommandBus,
  createEventBus,
  createQueryBus,
  idempotencyMiddleware,
  InProcessEventTransport,
  validationMiddleware,
} from '@keel/cqrs';
import type { EventTransport, Middleware } from '@keel/cqrs';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const REMOTE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE = `00-${REMOTE_TRACE}-00f067aa0ba902b7-01`;

const names = (spans: readonly ReadableSpan[]) => spans.map((span) => span.name).sort();
const eventNames = (span: ReadableSpan) => span.events.map((event) => event.name);

/** A Standard Schema that refuses every value. */
const refuseAll: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: () => ({ issues: [{ message: 'always refused' }] }),
  },
};

describe('command bus telemetry', () => {
  it('traces a command as a send span with the handler as a consumer child', async () => {
    const audit: Middleware = (_context, next) => next();
    const commands = createCommandBus({ middleware: [correlationMiddleware(), audit] });
    commands.register('Deposit', async ({ data }) => (data as { amount: number }).amount);
    const command = createCommand('Deposit', { amount: 5 }, { metadata: { correlationId: 'flow-1' } });
    await expect(commands.execute(command)).resolves.toBe(5);
    const send = kit.span('send Deposit');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'keel',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'Deposit',
      'messaging.message.id': command.metadata.messageId,
      'messaging.message.conversation_id': 'flow-1',
      'keel.bus': 'command',
      'keel.message.type': 'Deposit',
    });
    expect(eventNames(send)).toEqual(['middleware correlation', 'middleware audit']);
    const [handle] = kit.childrenOf(send);
    expect(handle!.name).toBe('handle Deposit');
    expect(handle!.kind).toBe(SpanKind.CONSUMER);
    expect(handle!.attributes['messaging.operation.type']).toBe('process');
  });

  it('names anonymous middleware by their position', async () => {
    const commands = createCommandBus({ middleware: [correlationMiddleware(), (_c, next) => next()] });
    commands.register('Ping', async () => 'pong');
    await commands.send('Ping', {});
    expect(eventNames(kit.span('send Ping'))).toEqual(['middleware correlation', 'middleware #2']);
  });

  it('marks both spans failed with the error code when the handler throws', async () => {
    const commands = createCommandBus();
    commands.register('Withdraw', async () => {
      throw new RangeError('Insufficient funds.');
    });
    await expect(commands.send('Withdraw', {})).rejects.toThrow('Insufficient funds.');
    const send = kit.span('send Withdraw');
    const handle = kit.span('handle Withdraw');
    expect(send.status.code).toBe(SpanStatusCode.ERROR);
    expect(handle.status.code).toBe(SpanStatusCode.ERROR);
    expect(handle.attributes['error.type']).toBe('RangeError');
    expect(
      await kit.value('keel.bus.messages', { 'keel.outcome': 'failure', 'error.type': 'RangeError' }),
    ).toBe(1);
  });

  it('shows a command refused by validation as a failed send span without a handler span', async () => {
    const commands = createCommandBus({ middleware: [validationMiddleware({ Open: refuseAll })] });
    let handled = false;
    commands.register('Open', async () => void (handled = true));
    await expect(commands.send('Open', {})).rejects.toThrow();
    const send = kit.span('send Open');
    expect(send.attributes['error.type']).toBe('VALIDATION_FAILED');
    expect(eventNames(send)).toContain('middleware validation');
    expect(kit.childrenOf(send)).toEqual([]);
    expect(handled).toBe(false);
  });

  it('counts dispatches by bus, type and outcome, and times them on the bus clock', async () => {
    const clock = new ManualClock(0);
    const commands = createCommandBus({ clock });
    commands.register('Slow', async () => {
      clock.advance(250);
    });
    await commands.send('Slow', {});
    await commands.send('Slow', {});
    const ok = { 'keel.bus': 'command', 'keel.message.type': 'Slow', 'keel.outcome': 'success' };
    expect(await kit.value('keel.bus.messages', ok)).toBe(2);
    const [duration] = await kit.points('keel.bus.duration', ok);
    expect(duration).toMatchObject({ unit: 's', value: 0.5, count: 2 });
    const [processing] = await kit.points('messaging.process.duration', { 'keel.message.type': 'Slow' });
    expect(processing).toMatchObject({ value: 0.5, count: 2 });
  });

  it('records a repeated command answered by the idempotency middleware, without a handler span', async () => {
    const commands = createCommandBus({ middleware: [idempotencyMiddleware()] });
    let runs = 0;
    commands.register('Pay', async () => ++runs);
    const command = createCommand('Pay', {});
    await commands.execute(command);
    kit.resetSpans();
    await expect(commands.execute(command)).resolves.toBe(1);
    const send = kit.span('send Pay');
    expect(eventNames(send)).toEqual(['middleware idempotency', 'idempotency duplicate']);
    expect(send.events[1]!.attributes).toMatchObject({ 'keel.idempotency.source': 'stored' });
    expect(kit.childrenOf(send)).toEqual([]);
    expect(await kit.value('keel.idempotency.duplicates', { 'keel.message.type': 'Pay' })).toBe(1);
  });

  it('continues the trace of the command headers when no span is active', async () => {
    const commands = createCommandBus();
    commands.register('Ship', async () => 'ok');
    await commands.execute(createCommand('Ship', {}, { metadata: { headers: { [TRACEPARENT]: REMOTE } } }));
    const send = kit.span('send Ship');
    expect(send.spanContext().traceId).toBe(REMOTE_TRACE);
    expect(send.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('query bus telemetry', () => {
  it('traces a query as a query span with its handler as a child', async () => {
    const queries = createQueryBus();
    queries.register('Balance', async () => 42);
    await expect(queries.send('Balance', {})).resolves.toBe(42);
    const query = kit.span('query Balance');
    expect(query.attributes).toMatchObject({ 'keel.bus': 'query', 'messaging.operation.name': 'query' });
    expect(names(kit.childrenOf(query))).toEqual(['handle Balance']);
  });
});

describe('event bus telemetry', () => {
  it('shows a failing handler as a failed child while the other handlers succeed', async () => {
    const events = createEventBus();
    events.subscribe('Opened', async () => {}, { name: 'audit' });
    events.subscribe(
      'Opened',
      async () => {
        throw new Error('mailer down');
      },
      { name: 'mailer' },
    );
    await expect(events.publish([createEvent('Opened', {})])).rejects.toThrow();
    const publish = kit.span('publish Opened');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    const [process] = kit.childrenOf(publish);
    expect(process!.name).toBe('process Opened');
    expect(process!.kind).toBe(SpanKind.CONSUMER);
    expect(process!.attributes['error.type']).toBe('CQRS_EVENT_DELIVERY_FAILED');
    expect(names(kit.childrenOf(process!))).toEqual(['handle Opened (audit)', 'handle Opened (mailer)']);
    expect(kit.span('handle Opened (audit)').status.code).toBe(SpanStatusCode.UNSET);
    expect(kit.span('handle Opened (mailer)').status.code).toBe(SpanStatusCode.ERROR);
    expect(kit.span('handle Opened (mailer)').attributes['keel.handler.name']).toBe('mailer');
    const [mailer] = await kit.points('messaging.process.duration', { 'error.type': 'Error' });
    expect(mailer).toMatchObject({ count: 1, attributes: { 'keel.handler.name': 'mailer' } });
  });

  it('puts handler middleware on the handler span and event middleware on the process span', async () => {
    const timing: Middleware = (_context, next) => next();
    const events = createEventBus({ middleware: [correlationMiddleware()], handlerMiddleware: [timing] });
    events.subscribe('Opened', async () => {}, { name: 'audit' });
    await events.publish([createEvent('Opened', {})]);
    expect(eventNames(kit.span('process Opened'))).toEqual(['middleware correlation']);
    expect(eventNames(kit.span('handle Opened (audit)'))).toEqual(['middleware timing']);
  });

  it('names a publish of mixed types by its count and delivers each event in its own span', async () => {
    const events = createEventBus();
    events.subscribe('A', async () => {});
    events.subscribe('B', async () => {});
    await events.publish([createEvent('A', {}), createEvent('B', {})]);
    const publish = kit.span('publish events');
    expect(publish.attributes['messaging.batch.message_count']).toBe(2);
    expect(names(kit.childrenOf(publish))).toEqual(['process A', 'process B']);
    expect(await kit.value('messaging.client.sent.messages')).toBe(2);
    expect(await kit.value('keel.bus.messages', { 'keel.bus': 'event', 'keel.outcome': 'success' })).toBe(2);
  });

  it('links a command, the events its handler publishes and their handlers in one trace', async () => {
    const events = createEventBus();
    const commands = createCommandBus({ middleware: [correlationMiddleware({ ambient: true })] });
    let published: Message | undefined;
    events.subscribe('Deposited', async (event) => void (published = event), { name: 'projector' });
    commands.register('Deposit', async () => events.publish([createEvent('Deposited', {})]));
    await commands.send('Deposit', {});
    const send = kit.span('send Deposit');
    const handle = kit.span('handle Deposit');
    const publish = kit.span('publish Deposited');
    expect(handle.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(publish.parentSpanContext?.spanId).toBe(handle.spanContext().spanId);
    expect(kit.span('handle Deposited (projector)').spanContext().traceId).toBe(send.spanContext().traceId);
    // The event was created inside the handler span: its headers name that span.
    expect(published!.metadata.headers[TRACEPARENT]).toContain(handle.spanContext().spanId);
    expect(published!.metadata.causationId).toBeDefined();
  });
});

describe('event bus telemetry in background delivery and across traces', () => {
  it('delivers background events in spans that are children of the publish span', async () => {
    const events = createEventBus({ delivery: 'background' });
    events.subscribe('Opened', async () => {}, { name: 'audit' });
    await events.publish([createEvent('Opened', {})]);
    await events.drain();
    const publish = kit.span('publish Opened');
    expect(kit.span('process Opened').parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(kit.span('handle Opened (audit)').spanContext().traceId).toBe(publish.spanContext().traceId);
  });

  it('continues the trace an event was created in when it is published with no span active', async () => {
    const events = createEventBus();
    await events.publish([createEvent('Opened', {}, { metadata: { headers: { [TRACEPARENT]: REMOTE } } })]);
    const publish = kit.span('publish Opened');
    expect(publish.spanContext().traceId).toBe(REMOTE_TRACE);
    expect(publish.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('event transport telemetry', () => {
  it('keeps the trace through the in-process transport: the consumer spans are children of publish', async () => {
    const transport = new InProcessEventTransport();
    const publisher = createEventBus({ transport });
    const consumer = createEventBus();
    consumer.subscribe('Opened', async () => {}, { name: 'audit' });
    await consumer.consume(transport);
    await publisher.publish([createEvent('Opened', {})]);
    const publish = kit.span('publish Opened');
    const process = kit.span('process Opened');
    expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });

  it('hands a transport events whose headers carry the publish span as traceparent', async () => {
    const sent: Message[] = [];
    const recording: EventTransport = {
      publish: async (events) => void sent.push(...events),
      subscribe: async () => ({ close: async () => {} }),
      close: async () => {},
    };
    const event = createEvent('Opened', {}, { metadata: { headers: { tenant: 't-1' } } });
    await createEventBus({ transport: recording }).publish([event]);
    const publish = kit.span('publish Opened');
    expect(sent[0]!.metadata.headers).toMatchObject({ tenant: 't-1' });
    expect(sent[0]!.metadata.headers[TRACEPARENT]).toBe(
      `00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`,
    );
    expect(sent[0]!.metadata.messageId).toBe(event.metadata.messageId);
  });

  it('continues the trace of a consumed event headers when no span is active', async () => {
    const transport = new InProcessEventTransport();
    const consumer = createEventBus();
    consumer.subscribe('Opened', async () => {});
    await consumer.consume(transport);
    await transport.publish([
      createEvent('Opened', {}, { metadata: { headers: { [TRACEPARENT]: REMOTE } } }),
    ]);
    const process = kit.span('process Opened');
    expect(process.spanContext().traceId).toBe(REMOTE_TRACE);
    expect(process.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });
});
