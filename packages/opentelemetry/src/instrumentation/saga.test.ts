import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceHeaders, withSpan } from '@keel/core';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { orderWorld, RETRY_DELAY_MS, start } from './sagaWorld.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const names = (spans: readonly ReadableSpan[]) => spans.map((span) => span.name);
const eventsNamed = (span: ReadableSpan, name: string) => span.events.filter((event) => event.name === name);

describe('saga instrumentation: spans', () => {
  it('runs a saga in a span under the caller, with a child span per step', async () => {
    const { orchestrator } = orderWorld();
    await withSpan('request', {}, () => start(orchestrator()));
    const saga = kit.span('saga order');
    expect(saga.parentSpanContext?.spanId).toBe(kit.span('request').spanContext().spanId);
    expect(saga.attributes).toMatchObject({
      'keel.saga.name': 'order',
      'keel.saga.id': 's-1',
      'keel.saga.resumed': false,
      'keel.outcome': 'completed',
    });
    expect(names(kit.childrenOf(saga))).toEqual(['saga step reserve', 'saga step pay', 'saga step ship']);
    expect(kit.span('saga step pay').attributes).toMatchObject({
      'keel.saga.name': 'order',
      'keel.saga.id': 's-1',
      'keel.saga.step': 'pay',
      'keel.saga.attempt': 1,
      'keel.outcome': 'completed',
    });
  });

  it('reports each retry of a step as an event with its attempt, delay and error type', async () => {
    const { orchestrator, drive } = orderWorld({ payFailures: 2 });
    expect(await drive(start(orchestrator()))).toMatchObject({ status: 'completed' });
    const pay = kit.span('saga step pay');
    expect(eventsNamed(pay, 'retry').map((event) => event.attributes)).toEqual([
      { 'keel.retry.attempt': 2, 'keel.retry.delay_ms': RETRY_DELAY_MS, 'error.type': 'SERVICE_DOWN' },
      { 'keel.retry.attempt': 3, 'keel.retry.delay_ms': RETRY_DELAY_MS, 'error.type': 'SERVICE_DOWN' },
    ]);
    expect(pay.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('fails the step span whose retries ran out and runs each compensation in its own span', async () => {
    const { orchestrator, drive } = orderWorld({ payFailures: 3 });
    expect(await drive(start(orchestrator()))).toMatchObject({ status: 'compensated' });
    const saga = kit.span('saga order');
    expect(saga.attributes['keel.outcome']).toBe('compensated');
    expect(saga.status.code).toBe(SpanStatusCode.UNSET);
    const pay = kit.span('saga step pay');
    expect(pay.status.code).toBe(SpanStatusCode.ERROR);
    expect(pay.attributes).toMatchObject({ 'keel.outcome': 'failed', 'error.type': 'SERVICE_DOWN' });
    expect(eventsNamed(pay, 'exception')).toHaveLength(1);
    expect(names(kit.childrenOf(saga))).toEqual([
      'saga step reserve',
      'saga step pay',
      'saga compensate reserve',
    ]);
    expect(kit.span('saga compensate reserve').attributes).toMatchObject({
      'keel.saga.step': 'reserve',
      'keel.saga.step_outcome': 'completed',
      'keel.outcome': 'completed',
    });
  });

  it('records a step cut off by its timeout as a timeout with an unknown outcome', async () => {
    const { orchestrator, drive } = orderWorld({ shipHangs: true });
    expect(await drive(start(orchestrator()))).toMatchObject({ status: 'compensated' });
    const ship = kit.span('saga step ship');
    expect(eventsNamed(ship, 'timeout').map((event) => event.attributes)).toEqual([
      { 'error.type': 'TIMEOUT' },
    ]);
    expect(ship.attributes).toMatchObject({
      'keel.outcome': 'failed',
      'keel.saga.outcome_unknown': true,
      'error.type': 'TIMEOUT',
    });
    expect(kit.span('saga compensate pay').attributes['keel.saga.step_outcome']).toBe('completed');
  });

  it('marks the saga span failed when a compensation keeps failing', async () => {
    const { orchestrator, drive } = orderWorld({ payFailures: 3, releaseFails: true });
    expect(await drive(start(orchestrator()))).toMatchObject({ status: 'failed' });
    const saga = kit.span('saga order');
    expect(saga.status.code).toBe(SpanStatusCode.ERROR);
    expect(saga.attributes).toMatchObject({ 'keel.outcome': 'failed', 'error.type': 'SERVICE_DOWN' });
    const release = kit.span('saga compensate reserve');
    expect(release.status.code).toBe(SpanStatusCode.ERROR);
    expect(release.attributes).toMatchObject({ 'keel.outcome': 'failed', 'error.type': 'SERVICE_DOWN' });
  });

  it('stores the trace context active at the start in the saga history', async () => {
    const { orchestrator, store } = orderWorld();
    const active = await withSpan('request', {}, async () => {
      await start(orchestrator());
      return traceHeaders();
    });
    const record = await store.get('s-1');
    expect(record?.history[0]).toEqual({ type: 'sagaStarted', at: 0, trace: active });
  });

  it('starts a saga made outside any span in a start span whose trace context it stores', async () => {
    const { orchestrator, store } = orderWorld();
    await start(orchestrator());
    const started = kit.span('start saga order');
    const { traceId, spanId } = started.spanContext();
    expect(started.parentSpanContext).toBeUndefined();
    expect(started.attributes).toMatchObject({ 'keel.saga.name': 'order', 'keel.saga.id': 's-1' });
    expect((await store.get('s-1'))?.history[0]).toEqual({
      type: 'sagaStarted',
      at: 0,
      trace: { traceparent: `00-${traceId}-${spanId}-01` },
    });
    expect(kit.span('saga order').parentSpanContext?.spanId).toBe(spanId);
  });
});
