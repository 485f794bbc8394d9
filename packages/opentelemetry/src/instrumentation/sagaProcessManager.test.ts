import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommand, createEvent, KeelError, withSpan } from '@keel/core';
import type { Command, DomainEvent } from '@keel/core';
import { defineProcess, InMemoryProcessStore, ProcessManager } from '@keel/saga';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

type OrderEvent =
  DomainEvent<'OrderPlaced', { orderId: string }> | DomainEvent<'PaymentCaptured', { orderId: string }>;
type OrderCommand = Command<string, { orderId: string }>;

/** A fulfilment process: OrderPlaced → CapturePayment; PaymentCaptured → ShipOrder, done; bad data throws. */
function fulfilment() {
  const sent: OrderCommand[] = [];
  const definition = defineProcess<{ paid: boolean }, OrderEvent, OrderCommand>({
    name: 'fulfilment',
    correlate: (event) => event.data.orderId,
    initialState: () => ({ paid: false }),
    on: {
      OrderPlaced: (state, event) => {
        if (event.data.orderId === 'bad') throw new KeelError('BAD_ORDER', 'Order "bad" cannot be placed.');
        return {
          commands: [createCommand('CapturePayment', { orderId: event.data.orderId }, { causedBy: event })],
        };
      },
      PaymentCaptured: (state, event) => ({
        state: { paid: true },
        commands: [createCommand('ShipOrder', { orderId: event.data.orderId }, { causedBy: event })],
        complete: true,
      }),
    },
  });
  const manager = new ProcessManager(definition, {
    store: new InMemoryProcessStore(),
    send: (command) => void sent.push(command),
  });
  return { manager, sent };
}

/** An event published inside a `publish` span, so it carries that span's trace context. */
const publishedEvent = (orderId: string) =>
  withSpan('publish', {}, () =>
    createEvent('OrderPlaced', { orderId }, { metadata: { correlationId: 'c-1' } }),
  );

describe('process manager instrumentation', () => {
  it('handles an event in a consumer span that continues the event trace', async () => {
    const { manager } = fulfilment();
    const event = publishedEvent('o-1');
    await manager.handle(event);
    const span = kit.span('process_manager fulfilment');
    const publish = kit.span('publish');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(span.attributes).toEqual({
      'messaging.system': 'keel',
      'messaging.operation.type': 'process',
      'messaging.message.id': event.metadata.messageId,
      'messaging.message.conversation_id': 'c-1',
      'keel.message.type': 'OrderPlaced',
      'keel.process.name': 'fulfilment',
      'keel.outcome': 'handled',
      'keel.command.count': 1,
    });
  });

  it('sends commands that carry the trace of the span that handled their event', async () => {
    const { manager, sent } = fulfilment();
    await manager.handle(publishedEvent('o-1'));
    const span = kit.span('process_manager fulfilment');
    const { traceId, spanId } = span.spanContext();
    expect(sent.map((command) => command.metadata.headers.traceparent)).toEqual([
      `00-${traceId}-${spanId}-01`,
    ]);
  });

  it('nests under the span active in the caller, such as an event bus handler', async () => {
    const { manager } = fulfilment();
    const event = createEvent('PaymentCaptured', { orderId: 'o-1' });
    await withSpan('process PaymentCaptured', {}, () => manager.handle(event));
    const handler = kit.span('process PaymentCaptured');
    expect(kit.childrenOf(handler).map((span) => span.name)).toEqual(['process_manager fulfilment']);
  });

  it('reports a redelivered event as a duplicate', async () => {
    const { manager } = fulfilment();
    const event = publishedEvent('o-1');
    await manager.handle(event);
    await manager.handle(event);
    const outcomes = kit
      .spans()
      .filter((span) => span.name === 'process_manager fulfilment')
      .map((span) => span.attributes['keel.outcome']);
    expect(outcomes).toEqual(['handled', 'duplicate']);
    const labels = { 'keel.process.name': 'fulfilment', 'keel.message.type': 'OrderPlaced' };
    expect(await kit.value('keel.process_manager.events', { ...labels, 'keel.outcome': 'handled' })).toBe(1);
    expect(await kit.value('keel.process_manager.events', { ...labels, 'keel.outcome': 'duplicate' })).toBe(
      1,
    );
  });

  it('marks the span failed and counts an error when the handler throws', async () => {
    const { manager, sent } = fulfilment();
    await expect(manager.handle(publishedEvent('bad'))).rejects.toMatchObject({ code: 'BAD_ORDER' });
    const span = kit.span('process_manager fulfilment');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('BAD_ORDER');
    expect(sent).toEqual([]);
    expect(await kit.value('keel.process_manager.events', { 'keel.outcome': 'error' })).toBe(1);
  });
});
