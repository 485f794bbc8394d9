import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createEvent, defineMetric, KeelError, recordMetric, traceHeaders, withSpan } from '@keel/core';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { createOpenTelemetryProvider } from './openTelemetryProvider.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const REMOTE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('createOpenTelemetryProvider', () => {
  it('nests spans through async work and ends them when the promise settles', async () => {
    await withSpan('outer', { kind: 'server', attributes: { a: 1, skipped: undefined } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await withSpan('inner', {}, async () => 'done');
    });
    const outer = kit.span('outer');
    expect(outer.kind).toBe(SpanKind.SERVER);
    expect(outer.attributes).toEqual({ a: 1 });
    expect(kit.childrenOf(outer).map((span) => span.name)).toEqual(['inner']);
  });

  it('marks a span failed per the exception conventions when the callback rejects', async () => {
    const error = new KeelError('SOMETHING_BROKE', 'Nope.');
    await expect(withSpan('failing', {}, async () => Promise.reject(error))).rejects.toBe(error);
    const span = kit.span('failing');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Nope.' });
    expect(span.attributes['error.type']).toBe('SOMETHING_BROKE');
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('marks a span failed without an exception event when asked, as for an HTTP 503 answer', () => {
    withSpan('GET /orders', { kind: 'server' }, (span) =>
      span.fail(new KeelError('HTTP_503', 'Service Unavailable'), { recordException: false }),
    );
    const span = kit.span('GET /orders');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Service Unavailable' });
    expect(span.attributes['error.type']).toBe('HTTP_503');
    expect(span.events).toEqual([]);
  });

  it('marks a span failed when a synchronous callback throws', () => {
    expect(() =>
      withSpan('sync', {}, () => {
        throw new TypeError('bad');
      }),
    ).toThrow('bad');
    expect(kit.span('sync').attributes['error.type']).toBe('TypeError');
  });

  it('continues a remote trace from a carrier when no span is active, and links others', () => {
    withSpan(
      'consume',
      {
        kind: 'consumer',
        parent: { traceparent: REMOTE },
        links: [{ traceparent: REMOTE }, { traceparent: 'junk' }],
      },
      () => {},
    );
    const span = kit.span('consume');
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span.links).toHaveLength(1);
  });

  it('keeps the active span as parent over a carrier', () => {
    withSpan('outer', {}, () => withSpan('inner', { parent: { traceparent: REMOTE } }, () => {}));
    expect(kit.span('inner').spanContext().traceId).toBe(kit.span('outer').spanContext().traceId);
  });

  it('writes the active context into new messages as traceparent', () => {
    const event = withSpan('handle', {}, () => createEvent('Happened', {}));
    const { traceId, spanId } = kit.span('handle').spanContext();
    expect(event.metadata.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(traceHeaders()).toEqual({});
  });

  it('records counters, histograms and gauges under their names and units', async () => {
    const counter = defineMetric({
      name: 'keel.test.count',
      kind: 'counter',
      unit: '{call}',
      description: 'Calls.',
    });
    const histogram = defineMetric({
      name: 'keel.test.duration',
      kind: 'histogram',
      unit: 's',
      description: 'Durations.',
      buckets: [0.1, 1],
    });
    const gauge = defineMetric({ name: 'keel.test.level', kind: 'gauge', unit: '1', description: 'Level.' });
    recordMetric(counter, 1, { outcome: 'ok' });
    recordMetric(counter, 2, { outcome: 'ok' });
    recordMetric(counter, 1, { outcome: 'failed' });
    recordMetric(histogram, 0.5);
    recordMetric(histogram, 0.25);
    recordMetric(gauge, 7);
    recordMetric(gauge, 3);
    expect(await kit.value('keel.test.count', { outcome: 'ok' })).toBe(3);
    expect(await kit.value('keel.test.count')).toBe(4);
    const [durations] = await kit.points('keel.test.duration');
    expect(durations).toMatchObject({ unit: 's', value: 0.75, count: 2 });
    expect(await kit.value('keel.test.level')).toBe(3);
  });

  it('refuses options of the wrong kind with one validation error', () => {
    expect(() => createOpenTelemetryProvider({ scope: '', tracerProvider: {} as never })).toThrow(
      /scope[\s\S]*tracerProvider/,
    );
  });
});
