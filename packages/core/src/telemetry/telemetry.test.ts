import { afterEach, describe, expect, it } from 'vitest';
import { createEvent } from '../messages/message.js';
import { KeelError } from '../errors/keelError.js';
import {
  addSpanEvent,
  currentTelemetry,
  errorTypeOf,
  defineMetric,
  installTelemetry,
  recordMetric,
  telemetryEnabled,
  traceHeaders,
  withSpan,
} from './telemetry.js';
import type { Attributes, MetricInstrument, SpanOptions, TelemetryProvider } from './telemetry.js';

interface Recorded {
  spans: { name: string; options: SpanOptions }[];
  points: { instrument: MetricInstrument; value: number; attributes: Attributes | undefined }[];
}

function recordingProvider(traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01') {
  const recorded: Recorded = { spans: [], points: [] };
  const provider: TelemetryProvider = {
    span: (name, options, fn) => {
      recorded.spans.push({ name, options });
      return fn({ recording: true, setAttributes: () => {}, addEvent: () => {}, fail: () => {} });
    },
    inject: (carrier) => {
      carrier.traceparent = traceparent;
    },
    record: (instrument, value, attributes) => recorded.points.push({ instrument, value, attributes }),
  };
  return { provider, recorded };
}

let uninstall: (() => void) | undefined;
afterEach(() => uninstall?.());

describe('telemetry points', () => {
  it('runs the callback with an inert span when nothing is installed', () => {
    expect(telemetryEnabled()).toBe(false);
    const result = withSpan('work', {}, (span) => {
      span.setAttributes({ a: 1 });
      span.addEvent('e');
      return span.recording ? 'recorded' : 'inert';
    });
    expect(result).toBe('inert');
    expect(() =>
      recordMetric(defineMetric({ name: 'x', kind: 'counter', unit: '1', description: 'x' }), 1),
    ).not.toThrow();
  });

  it('hands spans and measurements to the installed provider until it is removed', () => {
    const { provider, recorded } = recordingProvider();
    uninstall = installTelemetry(provider);
    const hits = defineMetric({
      name: 'keel.test.hits',
      kind: 'counter',
      unit: '{hit}',
      description: 'Hits.',
    });
    expect(withSpan('work', { kind: 'consumer', attributes: { a: 'b' } }, () => 42)).toBe(42);
    recordMetric(hits, 2, { k: 'v' });
    expect(recorded.spans).toEqual([{ name: 'work', options: { kind: 'consumer', attributes: { a: 'b' } } }]);
    expect(recorded.points).toEqual([{ instrument: hits, value: 2, attributes: { k: 'v' } }]);
    uninstall();
    expect(currentTelemetry()).toBeUndefined();
    withSpan('after', {}, () => undefined);
    expect(recorded.spans).toHaveLength(1);
  });

  it('refuses a provider without the three methods', () => {
    expect(() => installTelemetry({ span: () => undefined } as never)).toThrow(/inject\(\)/);
    expect(currentTelemetry()).toBeUndefined();
  });

  it('leaves a newer provider installed when an older one is disposed', () => {
    const first = installTelemetry(recordingProvider().provider);
    const second = recordingProvider().provider;
    uninstall = installTelemetry(second);
    first();
    expect(currentTelemetry()).toBe(second);
  });

  it('puts the active trace context into new messages, keeping explicit headers', () => {
    uninstall = installTelemetry(
      recordingProvider('00-11111111111111111111111111111111-2222222222222222-01').provider,
    );
    const event = createEvent('Happened', {}, { metadata: { headers: { user: 'u-1' } } });
    expect(event.metadata.headers).toEqual({
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
      user: 'u-1',
    });
  });

  it('carries the cause trace context into consequences when no span is active', () => {
    const cause = createEvent(
      'Cause',
      {},
      { metadata: { headers: { traceparent: 'tp', tracestate: 'ts', other: 'x' } } },
    );
    const effect = createEvent('Effect', {}, { causedBy: cause });
    expect(effect.metadata.headers).toEqual({ traceparent: 'tp', tracestate: 'ts' });
    expect(traceHeaders()).toEqual({});
  });

  it('adds no headers to messages of a flow without trace context', () => {
    expect(createEvent('Plain', {}).metadata.headers).toEqual({});
  });

  it('drops span events when nothing is installed and hands them to a provider that takes them', () => {
    expect(() => addSpanEvent('resilience.retry', { attempt: 2 })).not.toThrow();
    const events: unknown[] = [];
    const { provider } = recordingProvider();
    uninstall = installTelemetry({
      ...provider,
      event: (name, attributes) => events.push({ name, attributes }),
    });
    addSpanEvent('resilience.retry', { attempt: 2 });
    expect(events).toEqual([{ name: 'resilience.retry', attributes: { attempt: 2 } }]);
  });

  it('names error types by Keel code, then class name, then _OTHER', () => {
    expect(errorTypeOf(new KeelError('STREAM_GONE', 'gone'))).toBe('STREAM_GONE');
    expect(errorTypeOf(new RangeError('x'))).toBe('RangeError');
    expect(errorTypeOf('a string')).toBe('_OTHER');
    expect(errorTypeOf(Object.assign(new Error('x'), { name: '' }))).toBe('_OTHER');
  });
});
